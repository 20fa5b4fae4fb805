/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pidwatch.h - a thread that learns when processes exit, through pidfds
 * in poll(2): no /proc polling, no SIGCHLD (the processes are not ours).
 *
 * Used for leases held or requested for a process (ctl `acquire pid N`,
 * `request pid N`).  The watcher knows nothing of leases: its user
 * registers a callback at start, and each watch carries the user's key and
 * a token that is never reused, so that a callback for a watch that was
 * removed meanwhile can be told from a current one.
 *
 * Contract:
 *   - lfs_pidwatch_add dups the pidfd: the caller keeps and closes its own.
 *   - A watch fires once, from the watcher thread, with no lock of the
 *     watcher held (the callback may take any lock and call add/remove),
 *     and is gone before the callback runs.
 *   - lfs_pidwatch_remove of a watch that fired or never existed is a
 *     no-op; the callback may still run once for a watch removed while it
 *     was firing (the token says so).
 *   - Lock order: the watcher's own lock is taken last, after any of the
 *     daemon's (daemon.h); it is never held across the callback.
 */
#ifndef LEASEFS_PIDWATCH_H
#define LEASEFS_PIDWATCH_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

/* The process of the watch (key, token) exited. */
typedef void (*lfs_pid_exit_fn)(void *arg, void *key, uint64_t token);

struct lfs_pidwatch_ent {
	int fd;                  /* our dup of the pidfd */
	void *key;
	uint64_t token;
};

struct lfs_pidwatch {
	lfs_pid_exit_fn fn;      /* set before start, then immutable */
	void *arg;
	int efd;                 /* eventfd: the set changed, or stop */
	pthread_t thread;
	int started;
	atomic_bool stop;
	pthread_mutex_t lock;
	/* protected by lock: */
	struct lfs_pidwatch_ent *ents;
	int n, cap;
	uint64_t next_token;
};

/* Start the thread; fn(arg, key, token) is called for each exit.  0 or
 * -errno. */
int lfs_pidwatch_start(struct lfs_pidwatch *w, lfs_pid_exit_fn fn, void *arg);
/* Watch the process of pidfd for key.  A token (> 0) or -errno (as an
 * int64_t: the caller keeps it in a uint64_t only on success). */
int64_t lfs_pidwatch_add(struct lfs_pidwatch *w, int pidfd, void *key);
/* Stop watching token (its descriptor is closed). */
void lfs_pidwatch_remove(struct lfs_pidwatch *w, uint64_t token);
/* Stop and join the thread, close every descriptor.  Idempotent. */
void lfs_pidwatch_stop(struct lfs_pidwatch *w);

/* 1 when the process of pidfd has exited, else 0 (poll, no wait). */
int lfs_pidfd_exited(int pidfd);

#endif
