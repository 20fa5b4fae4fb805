/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * daemon.h - the leasefs daemon: its context (struct lfs_daemon), a
 * lease's entry (struct lfs_dlease) and the interfaces of daemon.c,
 * table.c, holders.c and watcher.c.  The daemon lives in fs/daemon/;
 * fs/cmd_mount.c, the `mount` subcommand, starts and stops it.  Each
 * other file has its own header (named below), and the parts of the two
 * structs are declared in their owners' headers (see struct lfs_dlease).
 *
 *   ../cmd_mount.c  command line, state and run directories, start-up and
 *                 tear-down (owns the order of everything below)
 *   daemon.c      logging, the signal thread, the renewal thread, fencing,
 *                 rejoining under a new generation, the clean shutdown
 *   view.c        the FUSE low-level operations (the tree); no disk I/O
 *                 of its own: it calls table.c, holders.c, snap.c (view.h)
 *   watcher.c     the watcher thread: blocked `lock` opens (deferred FUSE
 *                 replies, interrupts), pending requests, poll handles;
 *                 its state per lease and for the daemon (watcher.h)
 *   render.c      the text of owner, state, .hosts, .status, from snaps
 *                 (render.h)
 *   snap.c        the disk reads behind owner and state (snap.h: struct
 *                 lfs_snap)
 *   value.c       the value file (valuefile.h, over core/value.h)
 *   ctl_exec.c    the commands written to `ctl` (parsed by ../ctl.c)
 *   holders.c     the lease operations: lock and incoming files, requests
 *                 and arrivals, lost leases, process exits, fencing and
 *                 shutdown; d->opens and d->fencing (holders.h)
 *   shhold.c      shared holds: lock opened O_RDONLY, ctl `acquire shared`
 *                 (core/shared.h; l->sh and its state machine: shhold.h)
 *   table.c       the table of leases known here, file handles, the
 *                 watcher's active list, and the name-table operations
 *                 behind lookup, readdir, mkdir and rmdir (table.h)
 *   hold.c        a lease's exclusive hold and its request: their state
 *                 machines (the one writer of l->ex and l->rq: hold.h,
 *                 holders.h) and the disk operations that move them;
 *                 holders.h declares these building blocks
 *   pidhold.c     leases held or requested for a process (`acquire pid
 *                 N`): its pidfd, watched by pidwatch.c (pidhold.h,
 *                 pidwatch.h)
 *   context.c     the locks, the refusal of lease operations, the
 *                 watcher's wake-up signal, finding holders, error mapping
 *                 and logging: what everything above uses (context.h)
 *   iowatch.c     stuck I/O under a context's lock (iowatch.h)
 *   stallio.c     tests only: one write stalled before its submit
 *   pidwatch.c    the thread that waits on pidfds (pidwatch.h)
 *   gate.c        the daemon's side of the submit gate (gate.h)
 *   guard.c       the guard process (guard.h)
 *
 * Calls go down this list, never up and never in a circle: a file calls
 * only files listed below it (daemon.c and cmd_mount.c start the threads
 * of view.c and watcher.c through libfuse and pthread_create; pidwatch.c
 * calls holders.c's lfs_pid_exited back through the function pointer it
 * was registered with at start).  What must reach up is signalled: the
 * watcher through lfs_watch_kick (watch_cond), waiting openers through
 * their deferred FUSE replies.  Headers never include each other in a
 * circle: daemon.h includes the part headers and snap.h, which include
 * none of the daemon's but hold.h; render.h alone includes daemon.h
 * (scripts/check-layers checks both rules).

 * This host's generation (daemon.c):
 *
 *   SERVING --renewal gap >= renewal_fail: fence()--> FINISHED (fenced)
 *   FINISHED --every holder proven gone: recover_once(), rejoin()-->
 *             SERVING under generation + 1
 *   either --our id taken (-ESTALE)--> STALE (for good)
 *
 * A finished generation's leases are never written again (holders.c).
 *
 * Locks, in the order they may be taken (never the other way round):
 *
 *   shutdown_lock  ->  gen_lock  ->  ops.lock[i] (ascending i)  ->
 *   table_lock  ->  ls.view_lock
 *   renew_lock (renewal thread only; never with another of ours held
 *                except table_lock for its stats copy, and gen_lock, taken
 *                exclusive before it, while rejoining: no lease operation
 *                may run while the generation changes)
 *   reads.lock[i] (a read context: alone, or before table_lock)
 *   reads_kept.lock (a leaf: the watcher takes it with nothing else held,
 *                for a pointer swap; a renewal or a full host read only
 *                tries it, whatever it holds, and gives up when busy:
 *                watcher.c keep_read)
 *
 * The lease operations' contexts (d->ops, core/ioset.h): slot s's
 * operations run on context s % n with its lock held (lfs_ops_lock), so a
 * lease operation checks the local state, does its I/O and records the
 * result while holding it, and two operations on one lease never
 * interleave; operations on leases of different contexts run at once
 * (issue 15 point 4: 100 lock opens of 100 leases no longer queue behind
 * each other).  What is not a lease's own: the name-table operations run
 * on context 0, a delete also holding the deleted slot's context
 * (lfs_ops_lock_pair).  Every holder of a context holds gen_lock shared;
 * a rejoin takes it exclusive (lfs_ops_lock_all), so that no lease
 * operation runs while the generation changes.  A thread holds one
 * context, or a delete two in ascending index, never the other way.  table_lock protects the lease
 * table, file handle state, waiters and poll handles and is never held
 * across I/O or a FUSE reply.
 *
 * The contexts' locks and renew_lock are taken through their watches
 * (ops_watch[i], renew_watch; iowatch.h): a taker waits while the holder's
 * I/O is only slow and gets -EIO once a call of it has been stuck in the
 * kernel past io_timeout + slack.  Every taker handles that: FUSE replies
 * EIO, the watcher tries again on its next pass, the renewal thread counts
 * a rejoin as failed, shutdown leaves the lease owned on disk (the guard
 * fences on).
 */
#ifndef LEASEFS_DAEMON_H
#define LEASEFS_DAEMON_H

#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "ctl.h"
#include "delta.h"
#include "fence.h"
#include "gate.h"
#include "guard.h"
#include "hostpolicy.h"
#include "ioset.h"
#include "iowatch.h"
#include "leases.h"
#include "lockspace.h"
#include "mountopts.h"
#include "paxos.h"
#include "pidwatch.h"
#include "shared.h"
#include "stallio.h"
/* the parts of struct lfs_dlease, each from its owner */
#include "hold.h"
#include "holders.h"
#include "pidhold.h"
#include "shhold.h"
#include "table.h"
#include "watcher.h"
/* struct lfs_snap, in every owner/state handle */
#include "snap.h"

/* Lease operations of different leases run at once on this many contexts
 * (d->ops, core/ioset.h; daemon.h "Locks"): 100 lock opens of 100 leases
 * share a context at most two by two.  The reads behind owner, state,
 * value and .hosts and the watcher's notice reads run on LFS_READ_CONTEXTS
 * more (d->reads): they write nothing, so need none of a lease operation's
 * order, and a `cat owner` does not wait for a ballot.  Each context is an
 * aio context of LFS_IO_RING_EVENTS (48) events, counted against
 * fs.aio-max-nr (65,536 by default): with the renewal's, 73 of them take
 * 3,504 per daemon. */
#define LFS_OPS_CONTEXTS 64u
#define LFS_READ_CONTEXTS 8u
_Static_assert(LFS_OPS_CONTEXTS <= LFS_IOSET_MAX, "contexts fit the set");
_Static_assert(LFS_READ_CONTEXTS <= LFS_IOSET_MAX, "contexts fit the set");

/* ---- the tree ----
 * Inode numbers: root 1, .hosts 2, .status 3; a lease's files are
 * (slot << 3) | kind.  Slots start at 1, so lease inodes start at 8. */
#define LFS_INO_ROOT 1
#define LFS_INO_HOSTS 2
#define LFS_INO_STATUS 3

enum lfs_kind {
	LFS_K_DIR = 0, LFS_K_OWNER = 1, LFS_K_STATE = 2, LFS_K_CTL = 3,
	LFS_K_LOCK = 4, LFS_K_INCOMING = 5, LFS_K_VALUE = 6,
	/* not part of a lease directory: */
	LFS_K_ROOT = 8, LFS_K_HOSTS, LFS_K_STATUS,
};

#define LFS_INO(slot, kind) (((fuse_ino_t)(slot) << 3) | (fuse_ino_t)(kind))
/* the guard finds holders by these numbers (guard.h) */
_Static_assert(LFS_K_LOCK == LFS_GUARD_KIND_LOCK &&
    LFS_K_INCOMING == LFS_GUARD_KIND_INCOMING, "lease file inode kinds");
#define LFS_INO_SLOT(ino) ((uint32_t)((ino) >> 3))
#define LFS_INO_KIND(ino) ((int)((ino) & 7))

/* Buckets of the name hash of the lease table. */
#define LFS_NAME_BUCKETS 4096u

/* Entry and attribute cache time for everything, in seconds: names and
 * modes change rarely; owner/state contents bypass the cache (direct_io). */
#define LFS_ATTR_TIMEOUT_S 1.0

/* ---- timing of the daemon's own loops ---- */
/* Longest single timed wait, in ms: waits run on CLOCK_MONOTONIC, which a
 * suspend stops, and deadlines on CLOCK_BOOTTIME, which it does not; a
 * deadline passed during a suspend is seen within this of the resume. */
#define LFS_SLEEP_SLICE_MS 100u
/* Blocked lock opens retry at most this often, in ms (or io_timeout/20 if
 * larger): each retry of a busy lease costs one leader read. */
#define LFS_RETRY_MIN_MS 20u
/* Most lease holders one fencing pass looks for. */
#define FENCE_MAX_HOLDERS 1024

/* owner/state files with poll handles are re-read this often, in ms: a
 * change made by another host wakes poll(2) within this (one leader read
 * per polled lease each time, only while someone polls). */
#define LFS_POLL_CHECK_MS 20u

/* After a mkdir or rmdir the name table's lease stays held this long, in
 * ms, so that a run of them takes it once (core/leases.c, "linger"); the
 * watcher gives it up.  The gap between two mkdirs of a script is a FUSE
 * round trip or two (well under 1 ms); other hosts' mkdir wait at most
 * this plus the 200 ms cap. */
#define LFS_TABLE_LINGER_MS 20u

/* How often an armed handover's request record (is it claimed?) and a
 * claimed request's leader (has it arrived?) are read: every ms, a read
 * each, for the seconds a migration's switchover lasts.  Both waits are in
 * the guest's downtime, which change notices (LFS_WAKE_SCAN_MS, 20 ms)
 * would add to. */
#define LFS_HANDOVER_POLL_MS 1u

/* State of a lock or incoming file handle. */
enum lfs_fh_state {
	LFS_FH_IDLE,             /* not a lock/incoming file */
	LFS_FH_WAITING,          /* incoming: request written, not arrived */
	LFS_FH_HELD,             /* this open file holds the lease */
	LFS_FH_LOST,             /* it did (transfer, fencing); no more */
};

struct lfs_dlease;

/* One open file or directory of the view (fi->fh). */
struct lfs_fh {
	int kind;                /* enum lfs_kind */
	struct lfs_dlease *lease; /* NULL for root, .hosts, .status */
	/* protected by table_lock: */
	char *text;              /* owner, state, .hosts, .status */
	size_t len;
	int fresh;               /* text rendered at open, not yet read: the
	                            first read at offset 0 needs no re-read */
	struct lfs_snap snap;    /* owner/state: what text shows */
	enum lfs_fh_state st;    /* lock/incoming */
	enum lfs_fh_state st_read; /* st when last read (poll compares) */
	uint64_t lver;           /* lver held, when st == HELD or LOST (a
	                            shared hold: its token, shared.h rule 6) */
	int shared;              /* lock opened O_RDONLY: holds it shared */
	int fenced;              /* held its lease when fencing began: its
	                            opener may still run until it is released
	                            (d->fenced_fhs counts these) */
	struct fuse_pollhandle *ph; /* kernel waits for a change */
	int polling;             /* on lease->pollers */
	struct lfs_fh *poll_next;
	/* root directory listing, owned by the handle (readdir only) */
	struct lfs_lease_entry *ents;
	uint32_t n_ents;
	struct lfs_fh *all_prev, *all_next; /* d->fhs, under table_lock */
};

/* A blocking `lock` open waiting for the lease (its reply is deferred). */
struct lfs_waiter {
	fuse_req_t req;
	struct fuse_file_info fi; /* copy: the original dies with open() */
	struct lfs_fh *fh;
	int registering;         /* interrupt callback being installed */
	int busy;                /* the watcher is trying to acquire for it */
	int interrupted;         /* FUSE_INTERRUPT arrived: reply EINTR */
	struct lfs_waiter *next;
};

/*
 * A lease this daemon knows of.  Entries are created on lookup, never
 * freed before exit (inode numbers, waiters and callbacks point at them).
 * name, ref and d are set before an entry is published; the rest is split
 * by owner, each part declared in its owner's header, written only by that
 * owner's .c file (scripts/check-fields) and read elsewhere through its
 * functions -- except by files below the owner in the list at the top,
 * which may not call it and read the few fields they need directly:
 * hold.c the shared side (its invariants, lfs_hold_release_due_locked)
 * and, to settle, the waiters and whether deleted; holders.c and shhold.c
 * the waiters (a waiter queue makes a new opener wait); table.c the
 * shared state (delete, idle); pidhold.c the hold and the shared ctl hold
 * (whom fencing must stop); and every file the tb.next links to walk the
 * table.  All parts are protected by table_lock unless a field says
 * otherwise.
 */
struct lfs_dlease {
	struct lfs_daemon *d;
	char name[LFS_NAME_MAX + 1];
	struct lfs_lease_ref ref;
	struct lfs_ex ex;        /* the exclusive hold: hold.c (hold.h) */
	struct lfs_rq rq;        /* our pending request: hold.c (holders.h) */
	struct lfs_sh_part sh;   /* shared holds: shhold.c (shhold.h) */
	struct lfs_pd pd;        /* the process held for: pidhold.c (pidhold.h) */
	struct lfs_wt wt;        /* waiters, wake-ups, the active list:
	                            watcher.c and table.c (watcher.h) */
	struct lfs_tb tb;        /* table membership: table.c (table.h) */
};

enum lfs_renewal { LFS_RENEWAL_OK, LFS_RENEWAL_FAILING, LFS_RENEWAL_LOST };

struct lfs_daemon {
	/* ---- configuration: set before any thread starts ---- */
	struct lfs_mount_opts opts;
	char device[PATH_MAX];
	char mountpoint[PATH_MAX]; /* canonical (fence.h compares text) */
	uint64_t mount_dev;      /* device of our FUSE mount, once mounted:
	                            holders are found by it (fence.h
	                            lfs_fence_find_dev); 0 before */
	gid_t gid;
	int foreground;
	int debug;
	int use_syslog;
	atomic_bool log_stderr;  /* also to stderr (foreground, or start-up) */
	struct lfs_logger log;
	uint64_t start_time;     /* CLOCK_REALTIME s, for file times */
	struct lfs_lockspace ls;
	struct fuse_session *se;
	struct lfs_guard guard;
	int fence_lock_fd;       /* state_dir/fencing, flock()ed (cmd_mount.c,
	                            guard.h); -1 before prepare_dirs */
	struct lfs_dgate gate;   /* the submit gate (gate.h), registered as
	                            ls.gate by cmd_mount.c start_guard */
	struct lfs_dgate rgate;  /* the renewal gate, as ls.renew_gate */
	struct lfs_pidwatch pidwatch; /* processes of `acquire pid` (pidhold.c) */
	pthread_t main_thread;
	/* tests only (LEASEFS_TEST_ACQUIRED_DELAY_MS): a lock open waits this
	 * long between winning the lease on disk and recording it, so a test
	 * can make fencing begin inside an open */
	uint32_t test_acquired_delay_ms;
	/* tests only (LEASEFS_TEST_STALL_WRITE=N:MS, stallio.h): the N-th
	 * write of the lease-operations context stalls MS ms right before
	 * its submit, inside the submit gate */
	int test_stall;
	struct lfs_stallio stall;
	/* records the generation of each join in the state directory (the
	 * next join takes more: delta.h min_generation); registered by
	 * cmd_mount.c, called by a rejoin */
	int (*save_generation)(const char *state_dir, uint64_t gen);

	/* ---- I/O contexts ---- */
	pthread_mutex_t renew_lock;  /* held by the renewal thread per renewal */
	struct lfs_io renew_io;
	struct lfs_iowatch renew_watch; /* renew_io's calls, renew_lock's takers */
	/* lease operations (see top): ops.io[i] is the context of the slots
	 * s with s % ops.n == i, owned by ops.lock[i] (core/ioset.h), whose
	 * calls and takers ops_watch[i] watches; taken through context.h */
	struct lfs_ioset ops;
	struct lfs_iowatch ops_watch[LFS_IOSET_MAX];
	/* held shared with every context above, exclusive by a rejoin (the
	 * generation changes): writer-preferring (context.c) */
	pthread_rwlock_t gen_lock;
	/* debug builds: the pthread_t holding ops.lock[i], 0 when free */
	atomic_ulong ops_owner[LFS_IOSET_MAX];
	/* the reads' contexts (LFS_READ_CONTEXTS above), the same way:
	 * reads.io[i] owned by reads.lock[i], watched by reads_watch[i] */
	struct lfs_ioset reads;
	struct lfs_iowatch reads_watch[LFS_IOSET_MAX];
	/* ends the process when shutdown found I/O stuck in the kernel
	 * (cmd_mount.c): unmount, pid file, exit without waiting for the
	 * stuck threads or the I/O; never returns */
	void (*exit_stuck)(struct lfs_daemon *d);

	/* ---- lease table, protected by table_lock ---- */
	pthread_mutex_t table_lock;  /* lfs_table_lock(), never directly */
	atomic_ulong table_owner;    /* debug builds: the holding thread's
	                                pthread_t, 0 when free (lfs_table_held) */
	pthread_cond_t watch_cond;   /* wakes the watcher (CLOCK_MONOTONIC
	                                waits, in slices: daemon.h) */
	/* the parts under table_lock, each written only by its owner
	 * (scripts/check-fields), declared in the owner's header: */
	struct lfs_tab tab;          /* leases and file handles: table.c
	                                (table.h) */
	struct lfs_watcher watcher;  /* the watcher's pass: watcher.c and
	                                context.c (watcher.h) */
	struct lfs_opens opens;      /* lock/incoming opens closed, replies
	                                under way: holders.c (holders.h) */
	struct lfs_survivors fencing; /* holders of a finished generation that
	                                may still run (holders.h) */
	/* copies for .status: ops_stats[i] of ops.io[i] (reads_stats[i] of
	 * reads.io[i]), each copied as its
	 * lock is dropped */
	struct lfs_io_stats ops_stats[LFS_IOSET_MAX], renew_stats;
	struct lfs_io_stats reads_stats[LFS_IOSET_MAX];
	/* for .status, counted by the watcher: its own reads of the whole
	 * window for change notices, and the renewal reads (reads_kept
	 * below) it looked at instead */
	_Atomic uint64_t notice_window_reads, notice_renewal_reads;

	/* the renewal's reads kept for the watcher's notice scans, under
	 * their own lock (watcher.h) */
	struct lfs_reads_kept reads_kept;

	/* ---- health, read anywhere ---- */
	_Atomic int renewal;         /* enum lfs_renewal */
	atomic_bool fenced;          /* this generation is finished: its
	                                leases are lost; cleared by a rejoin */
	atomic_bool fence_done;      /* the fencing pass of it has run */
	atomic_bool guard_lost;      /* the guard died: no fencing from outside */
	_Atomic uint64_t generation; /* copy of ls.generation for readers */
	atomic_bool stale;           /* our host id was taken: no more I/O */
	atomic_bool stopping;        /* shutdown started: refuse lease ops */
	atomic_bool threads_stop;    /* the renewal and watcher threads end */
	atomic_bool watcher_stop;
	atomic_bool loop_done;       /* fuse_session_loop_mt returned */
	atomic_bool io_stuck;        /* shutdown gave up on a thread stuck in
	                                an I/O call (or its I/O): the process
	                                must end through exit_stuck */
	_Atomic uint64_t fenced_ms;  /* when fencing started (monotonic) */

	/* ---- threads ---- */
	pthread_mutex_t shutdown_lock;
	int shutdown_done;           /* protected by shutdown_lock */
	pthread_mutex_t sleep_lock;  /* renewal thread's sleep */
	pthread_cond_t sleep_cond;
	pthread_t renew_thread, watch_thread, signal_thread, deadline_thread;
	int renew_started, watch_started, signal_started, deadline_started;
};

/* ---- daemon.c ---- */
void lfs_daemon_log_setup(struct lfs_daemon *d);
/* Initialize locks and condition variables.  0 or -errno. */
int lfs_daemon_init_sync(struct lfs_daemon *d);
/* Start the renewal, watcher and signal threads.  0 or -errno (then the
 * ones started are stopped again). */
int lfs_daemon_start_threads(struct lfs_daemon *d);
/* The clean shutdown sequence (FUSE_SPEC "Shutdown"); idempotent, may run
 * while the FUSE loop still serves (it must: killed holders' files are
 * released through it). */
void lfs_daemon_shutdown(struct lfs_daemon *d);
/* lfs_daemon_shutdown on a watched thread of its own; when the shutdown
 * sticks in an I/O call, or leaves I/O stuck behind, the process ends
 * through d->exit_stuck (then this does not return). */
void lfs_daemon_stop(struct lfs_daemon *d);
/* After shutdown: 1 when an I/O call is stuck (or shutdown left a thread
 * stuck in one) and the process must end through d->exit_stuck, without
 * waiting for the FUSE loop or the threads. */
int lfs_daemon_io_stuck(struct lfs_daemon *d);
/* Make fuse_session_loop_mt() return (after shutdown). */
void lfs_daemon_end_loop(struct lfs_daemon *d);
/* Join every thread started (after the loop returned). */
void lfs_daemon_join_threads(struct lfs_daemon *d);

/* ---- table.c ---- */
/* File handles: every one is on d->fhs until freed, so that those the
 * kernel still had open when the session ended are freed too. */
struct lfs_fh *lfs_fh_new(struct lfs_daemon *d, int kind, struct lfs_dlease *l);
void lfs_fh_free(struct lfs_daemon *d, struct lfs_fh *fh);
/* After the FUSE session is destroyed: free every handle left. */
void lfs_fh_free_all(struct lfs_daemon *d);
/* Put l on the watcher's list (d->active), where it stays until idle:
 * every open of a lease's file does, which is where all local work on a
 * lease begins (lfs_fh_new). */
void lfs_watch_activate_locked(struct lfs_daemon *d, struct lfs_dlease *l);
/* Take the leases with nothing left to do here off d->active (each pass
 * does; so does the last close of a lease's files). */
void lfs_watch_prune_locked(struct lfs_daemon *d);
/* Register ph on fh (replacing an older one); takes table_lock
 * and wakes the watcher, which re-reads polled files. */
void lfs_poll_register(struct lfs_daemon *d, struct lfs_fh *fh,
    struct fuse_pollhandle *ph);
/* Forget fh's poll handle (release); call with table_lock held. */
void lfs_poll_unregister_locked(struct lfs_fh *fh);
int lfs_table_init(struct lfs_daemon *d);
void lfs_table_free(struct lfs_daemon *d);
/* The entry of slot, or NULL; takes table_lock. */
struct lfs_dlease *lfs_table_slot(struct lfs_daemon *d, uint32_t slot);
/* Look name up on disk and return its (new or refreshed) entry.  Takes
 * the contexts it reads on (context.h).  -ENOENT, -EIO. */
int lfs_table_lookup(struct lfs_daemon *d, const char *name,
    struct lfs_dlease **out);
/* Enter e (just created); NULL when out of memory. */
struct lfs_dlease *lfs_table_add(struct lfs_daemon *d,
    const struct lfs_lease_entry *e);
/* Record a fresh name-table read (readdir). */
void lfs_table_update(struct lfs_daemon *d, const struct lfs_lease_entry *e,
    uint32_t n);
/* readdir of the root: the name table read, recorded, and returned in *e
 * (malloc'd) with *n entries.  0 or -errno as FUSE answers. */
int lfs_table_list(struct lfs_daemon *d, struct lfs_lease_entry **e,
    uint32_t *n);
/* mkdir: create name on disk and enter it; *e is its entry.  0 or -errno
 * as FUSE answers (EEXIST, EBUSY, ENOSPC, EIO, ...), logged. */
int lfs_table_create(struct lfs_daemon *d, const char *name,
    struct lfs_lease_entry *e);
/* rmdir: delete name on disk unless this host uses it (EBUSY).  0 or
 * -errno as FUSE answers, logged. */
int lfs_table_delete(struct lfs_daemon *d, const char *name);

/* One attempt to acquire l for the lock file fh, shared when fh->shared
 * (a lease held shared here already is joined without I/O).  as_waiter:
 * fh is the head waiter (the queue does not make it wait).  0 held;
 * -EWOULDBLOCK busy (on disk or here); -EIO, -ENOENT.  busy_owner (NULL:
 * not wanted): on -EWOULDBLOCK the other host seen holding it
 * exclusively, whose change notices to read (core/notice.h), else 0. */
int lfs_hold_lock(struct lfs_daemon *d, struct lfs_dlease *l,
    struct lfs_fh *fh, int as_waiter, uint32_t *busy_owner);
/* Something of l is left to release or undo on disk by the watcher (an
 * exclusive hold lost here, a shared mode nobody holds, an unfinished
 * shared acquire): lfs_hold_release_lost does it.  table_lock held. */
int lfs_hold_release_due_locked(const struct lfs_dlease *l);
/* Open of `incoming`: write our request.  0, -EBUSY, -EIO, -ENOENT. */
int lfs_hold_incoming(struct lfs_daemon *d, struct lfs_dlease *l,
    struct lfs_fh *fh);
/* Last close of a lock/incoming file: release or cancel. */
void lfs_hold_close(struct lfs_daemon *d, struct lfs_fh *fh);
/* Execute a ctl command written by a process of user uid (the `pid N`
 * forms check that it may signal N, as kill(2) would).  0 or -errno
 * (already logged). */
int lfs_hold_ctl(struct lfs_daemon *d, struct lfs_dlease *l,
    const struct lfs_ctl_cmd *cmd, uid_t uid);
/* Watcher: check a pending request (leader read; arrival; acquiring a
 * free lease when now >= next_try_ms). */
/* With the lease's context held: take a pending request of ours that has been
 * answered (the leader names us, confirmed) as held now; no attempt to
 * take a free lease.  ctl commands call it first. */
void lfs_hold_arrival_ops(struct lfs_daemon *d, struct lfs_dlease *l);
void lfs_hold_check_request(struct lfs_daemon *d, struct lfs_dlease *l,
    uint64_t now);
/* Watcher: an armed handover (ctl `handover`): read the request; if the
 * armed host claims the lease, transfer it; if the request no longer
 * names that host, disarm. */
void lfs_hold_check_handover(struct lfs_daemon *d, struct lfs_dlease *l);
/* Watcher: release a lost lease on disk if renewal allows; clear a
 * shared mode nobody here holds; finish an unfinished shared acquire. */
void lfs_hold_release_lost(struct lfs_daemon *d, struct lfs_dlease *l);
/* Fencing began: no lock/incoming open may succeed from now on (waits
 * for the replies under way), every lease held here becomes lost with
 * this generation, every file that held one is counted until released.
 * Fills *names (malloc'd, caller frees) with the ctl-held ones, returns
 * their number. */
int lfs_hold_fence_all(struct lfs_daemon *d, char (**names)[LFS_NAME_MAX + 1]);
/* Shutdown began: no lock/incoming open may succeed from now on. */
void lfs_hold_close_opens(struct lfs_daemon *d);
/* Before replying success to a lock/incoming open: -EIO once fencing or
 * shutdown began (the caller undoes the open), else 0 and the reply
 * counts as under way until lfs_hold_reply_end(). */
int lfs_hold_reply_begin(struct lfs_daemon *d);
void lfs_hold_reply_end(struct lfs_daemon *d);
/* Holders of the finished generation that may still run: files not yet
 * released, ctl leases whose users were not proven stopped. */
int lfs_hold_survivors(struct lfs_daemon *d);
/* A new generation joined: forget the leases lost with the old one (the
 * disk names a dead generation; any host may take them). */
void lfs_hold_forget_finished(struct lfs_daemon *d);
/* Resolve a lease an aborted acquire of ours may have won (watcher). */
void lfs_hold_settle(struct lfs_daemon *d, struct lfs_dlease *l);
/* Names of the leases held here through ctl (malloc'd; caller frees). */
int lfs_hold_ctl_names(struct lfs_daemon *d, char (**names)[LFS_NAME_MAX + 1]);
/* Shutdown, after the holders were killed: release every lease whose
 * holders are gone, withdraw requests.  A lease whose lock file is still
 * open, or (keep_ctl) held through ctl, stays owned on disk.  0 when
 * nothing is left owned on disk, else -EIO. */
int lfs_hold_release_all(struct lfs_daemon *d, int keep_ctl);
/* Wait up to wait_ms for the lock files of held leases to be released
 * (killed holders' files close a little after they die). */
void lfs_hold_wait_files(struct lfs_daemon *d, uint32_t wait_ms);
/* ---- pidhold.c ---- */
/* The pidwatch callback (registered at start): the process of a lease
 * held or requested for it exited; release, withdraw, or count a fenced
 * one gone. */
void lfs_pid_exited(void *arg, void *key, uint64_t token);
/* Fill h[0..max) with the processes fencing or shutdown must stop: those
 * of leases held for a process, and of leases lost so at fencing.  Each
 * holder carries a dup of the pidfd: close them with lfs_pid_holders_free.
 * Returns how many (at most max). */
int lfs_pid_holders(struct lfs_daemon *d, struct lfs_holder *h, int max);
void lfs_pid_holders_free(struct lfs_holder *h, int n);

/* Number of leases held here (not lost), exclusively and shared. */
uint32_t lfs_hold_count(struct lfs_daemon *d, int shared);

/* ---- watcher.c ---- */
void *lfs_watcher_main(void *arg);
/* Take the renewal's reads of the window for change notices (core/
 * lockspace.h hosts_taker): after lfs_lockspace_open(), before the threads
 * start.  lfs_watcher_drop_reads() after they ended. */
void lfs_watcher_take_reads(struct lfs_daemon *d);
void lfs_watcher_drop_reads(struct lfs_daemon *d);
/* Queue a blocking lock open; the watcher replies to req.  0, or -EIO
 * when waiting is closed (the caller replies then). */
int lfs_waiter_defer(struct lfs_daemon *d, struct lfs_dlease *l,
    fuse_req_t req, const struct fuse_file_info *fi, struct lfs_fh *fh);
/* Shutdown: reply err to every waiter and refuse new ones. */
void lfs_waiters_fail_all(struct lfs_daemon *d, int err);
/* Reply to an open (fh in fi->fh); if the opener is gone (interrupted),
 * undo the open as a close would. */
void lfs_reply_open(struct lfs_daemon *d, fuse_req_t req,
    const struct fuse_file_info *fi, struct lfs_fh *fh);

#endif
