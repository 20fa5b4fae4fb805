/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * watcher.h - what the watcher thread (watcher.c) keeps for the daemon
 * (d->watcher) and per lease (l->wt): its blocked openers, its wake-ups,
 * and its place on the watcher's list of active leases.  The owner of each field is named beside it (the
 * active list and the poll handles are table.c's, which the watcher's
 * callers reach first); scripts/check-fields checks that no other file
 * writes it.
 *
 * Every field is protected by table_lock (daemon.h).
 */
#ifndef LEASEFS_WATCHER_H
#define LEASEFS_WATCHER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

struct lfs_dlease;
struct lfs_fh;
struct lfs_waiter;

/* d->watcher: owner watcher.c unless a field says otherwise; table_lock.
 * (watch_cond, which wakes the watcher, stays beside table_lock in
 * struct lfs_daemon: it is every module's to signal.) */
struct lfs_watcher {
	int watch_kick;          /* owner: context.c, watcher.c; the watcher
	                            should run a pass now (lfs_watch_kick
	                            sets it, the pass clears it) */
	uint64_t wake_gap_ms;    /* next fallback turn (core/notice.h
	                            lfs_wake_pick) */
	uint64_t wake_full_ms;   /* next scan of the whole window
	                            (core/notice.h lfs_wake_span_begin) */
};

/* d->reads_kept: owner watcher.c; its own lock, not table_lock.  The
 * renewal's last read of the host-area window, handed over for its change
 * notices (core/lockspace.h hosts_taker; watcher.c keep_read) while a
 * scan wants them: the renewal thread only ever tries the lock, and the
 * watcher holds it for a pointer swap.  At most one read is kept, and none
 * once no scan wants them (the next offer frees it). */
struct lfs_reads_kept {
	pthread_mutex_t lock;
	_Atomic uint64_t want_until_ms; /* keep reads that start before this
	                            (monotonic): each scan sets it
	                            LFS_WAKE_FULL_MS ahead while something
	                            waits on another host, 0 when nothing
	                            does */
	unsigned char *buf;      /* lock: hosts 1 .. n, NULL: none */
	uint32_t n;              /* lock */
	uint64_t start_ms;       /* lock: when that read started */
};

/* l->wt: owner watcher.c unless a field says otherwise; table_lock. */
struct lfs_wt {
	struct lfs_waiter *waiters; /* FIFO of blocked lock opens */
	/* Wake-ups of what waits here (core/notice.h): wake, the next waiter
	 * or request check should read the disk (a notice named the lease,
	 * a new waiter, a fallback turn); wait_local, the head waiter waits
	 * for a holder or request on this host; fallback_ms, when its
	 * fallback attempt is due (0: not waited on); busy_owner, the other
	 * host the head waiter's last attempt found holding it, whose notices
	 * a scan must read (0: unknown, read every host's).  table.c clears
	 * the four when it takes the lease off the active list. */
	int wake;                /* owner: watcher.c, table.c */
	int wait_local;          /* owner: watcher.c, table.c */
	uint64_t fallback_ms;    /* owner: watcher.c, table.c */
	uint32_t busy_owner;     /* owner: watcher.c, table.c */
	struct lfs_fh *pollers;  /* owner: table.c; handles with a poll handle */
	/* On d->active while this host may have work for it: from the first
	 * open of one of its files (nfh counts them) until the watcher's pass
	 * finds it idle (table.c lfs_watch_prune_locked). */
	int nfh;                 /* owner: table.c */
	int active;              /* owner: table.c */
	struct lfs_dlease *active_next; /* owner: table.c */
};

#endif
