/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * iowatch.h - a watch over the kernel calls of one I/O context and over
 * the lock its user holds, so that a thread waiting for that lock can tell
 * a slow I/O from a stuck one and stop waiting for the latter (issue 11,
 * case 7).
 *
 * Every lease I/O goes through io_submit(2) and io_getevents(2)
 * (core/diskio.h).  io_getevents is always given a timeout of at most
 * io_timeout, so it returns by then, late only by scheduling.  io_submit
 * normally returns at once, but it can block in the kernel without limit, and
 * nothing in user space ends that call: on a FUSE-backed device whose server is
 * hung, a read waits there for a GETATTR the server never answers
 * (request_wait_answer); a full request queue does the same.  The thread in
 * that call holds its lock (a context's lock for lease operations) for as long,
 * and everything that waits for the lock would wait with it.
 *
 * The watch wraps the context's system-call table (struct lfs_io_syscalls,
 * the table diskio.h offers for this) and records when the call in
 * progress began.  A call is stuck once it has lasted longer than
 *
 *   bound = io_timeout + slack,  slack = max(io_timeout, 1000 ms)
 *
 * io_timeout is what a getevents call may take by design; the slack is for
 * a loaded host (sanitizer builds, two cores, a paging storm): a live
 * storage path is never called stuck for being slow.  With io_timeout 1 s
 * a stuck call is seen 2 s after it began.
 *
 * lfs_iowatch_lock() takes the lock, waiting while its holder is not stuck;
 * once the holder's call is stuck it returns -EIO.  It looks again every
 * LFS_IOWATCH_SLICE_MS (100 ms), and at once on each unlock.  So
 * a waiter gives up at most bound + 100 ms after the stuck call began, and
 * one that comes later gives up at once.  A holder that is between calls
 * (computing, sleeping between acquire retries, waiting join_delay) is
 * never stuck: each of its waits is bounded on its own.
 *
 * The thread in the stuck call itself cannot be helped: it stays there
 * until the kernel lets it go, and so does the FUSE request it serves.
 * When that request is a lookup, the kernel holds every other lookup of
 * the same directory behind it (fuse_lock_inode: libfuse 3.14 here does
 * not negotiate parallel dirops), out of our reach, until exit_stuck
 * closes the session and the kernel aborts the connection.
 * Its bounce buffer is the kernel's meanwhile (diskio.h), and the process
 * cannot fully exit before the kernel is done with it either (exit waits
 * for in-flight aio): shutdown ends what it can and exits (cmd_mount.c).
 *
 * Locks: wait_lock is a leaf; it is held only to wait for the lock (never
 * across I/O) and by the unlock to wake the waiters.
 */
#ifndef LEASEFS_IOWATCH_H
#define LEASEFS_IOWATCH_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include "diskio.h"
#include "log.h"

/* Least slack past io_timeout before a call counts as stuck, in ms. */
#define LFS_IOWATCH_MIN_SLACK_MS 1000u
/* A waiter looks whether the holder is stuck this often, in ms, besides
 * at each unlock: it gives up at most this late. */
#define LFS_IOWATCH_SLICE_MS 100u

struct lfs_iowatch {
	struct lfs_io_syscalls sys;        /* hand &sys to lfs_io_init() */
	const struct lfs_io_syscalls *next; /* the calls it wraps */
	pthread_mutex_t *lock;             /* the lock the context's user holds */
	const char *what;                  /* for the log: "lease I/O" */
	const struct lfs_logger *log;
	uint32_t bound_ms;                 /* 0 before lfs_iowatch_set_bound */
	_Atomic uint64_t since_ms;         /* lfs_now_ms() when the call in
	                                      progress began; 0: none */
	_Atomic pid_t tid;                 /* the thread in that call */
	_Atomic uint64_t reported_ms;      /* since_ms of the call last logged
	                                      as stuck (its return is logged) */
	pthread_mutex_t wait_lock;
	pthread_cond_t wait_cond;          /* CLOCK_MONOTONIC; on each unlock */
	int waiters;                       /* protected by wait_lock */
};

/* The bound above for io_timeout_ms, in ms. */
uint32_t lfs_iowatch_bound_ms(uint32_t io_timeout_ms);
/* Watch the user of lock; next: the calls to wrap (NULL: the real ones).
 * Before any thread uses it.  0 or -errno. */
int lfs_iowatch_init(struct lfs_iowatch *w, pthread_mutex_t *lock,
    const struct lfs_io_syscalls *next, const char *what,
    const struct lfs_logger *log);
/* Set the bound from the lockspace's io_timeout (before the first I/O). */
void lfs_iowatch_set_bound(struct lfs_iowatch *w, uint32_t io_timeout_ms);
/* How long past the bound the call in progress is at now_ms: 0 when none
 * is stuck. */
uint64_t lfs_iowatch_stuck_ms(struct lfs_iowatch *w, uint64_t now_ms);
/* How long past the bound the call in progress of thread tid (gettid())
 * is: 0 when that thread is in no stuck call of w's own context. */
uint64_t lfs_iowatch_stuck_tid_ms(struct lfs_iowatch *w, pid_t tid,
    uint64_t now_ms);
/* Take w->lock: 0 with it held, or -EIO (logged once per stuck call)
 * without it, when its holder is stuck in a call (see the top). */
int lfs_iowatch_lock(struct lfs_iowatch *w) __attribute__((warn_unused_result));
/* Drop w->lock and wake its waiters. */
void lfs_iowatch_unlock(struct lfs_iowatch *w);

#endif
