/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * context.h - what context.c gives every other module of the daemon: the locks
 * (the lease contexts', table_lock with its owner record), the refusal of lease
 * operations, this host's health, the watcher's wake-up signal, finding
 * holders, error mapping and logging.  The lowest layer of daemon.h's list: it
 * calls none of the files above it, and this header includes none of the
 * daemon's.
 */
#ifndef LEASEFS_CONTEXT_H
#define LEASEFS_CONTEXT_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

struct fuse_pollhandle;
struct lfs_daemon;
struct lfs_dlease;
struct lfs_fh;
struct lfs_holder;
struct lfs_hp_health;
struct lfs_leader;
struct lfs_io;
struct lfs_io_stats;

/* -EIO when lease operations must be refused now (stopping, fenced, our
 * id lost, renewal too old), logging why under `what`; else 0. */
int lfs_daemon_refuse(struct lfs_daemon *d, const char *what);
/* This host's health now, for core/hostpolicy.h's decisions. */
void lfs_daemon_health(struct lfs_daemon *d, struct lfs_hp_health *h);
/* The processes with a lease file of ours open (slot NULL: any lease's),
 * found by device and inode once mounted, so also through other mount
 * namespaces and after a lazy unmount (fence.h).  As lfs_fence_find. */
int lfs_daemon_find_holders(struct lfs_daemon *d, const uint32_t *slot,
    struct lfs_holder *h, int max);
/* Retry interval of blocked lock opens, in ms. */
uint32_t lfs_retry_ms(const struct lfs_daemon *d);
/*
 * The lease operations' contexts (daemon.h "Locks"; core/ioset.h).  Take
 * slot's context: 0 with it held, or -EIO without it when its holder is
 * stuck in an I/O call (iowatch.h; logged once per stuck call).  Dropping
 * it copies its I/O counters for .status.  When timed-out I/O of another
 * context refuses lease writes (paxos.h invariant 6), the contexts nobody
 * holds are reaped first (context.c reap_idle), so that a context left idle
 * never keeps the host's lease writes refused.
 */
int lfs_ops_lock(struct lfs_daemon *d, uint32_t slot)
    __attribute__((warn_unused_result));
void lfs_ops_unlock(struct lfs_daemon *d, uint32_t slot);
/* As lfs_ops_lock, unless lease operations must be refused now (checked
 * again under it): 0 with the context held, or -EIO without. */
int lfs_ops_lock_serving(struct lfs_daemon *d, uint32_t slot,
    const char *what) __attribute__((warn_unused_result));
/* The context of slot, whose lock the calling thread holds (asserted in
 * debug builds). */
struct lfs_io *lfs_ops_io(struct lfs_daemon *d, uint32_t slot);
/* lfs_ops_io() of l's slot. */
struct lfs_io *lfs_lease_io(struct lfs_daemon *d, const struct lfs_dlease *l);
/* A name-table operation on slot (a delete): context 0 and slot's, in
 * that order (one lock when they are the same); serving as above.  The
 * name-table operation's I/O runs on lfs_ops_io(d, 0). */
int lfs_ops_lock_pair(struct lfs_daemon *d, uint32_t slot, const char *what)
    __attribute__((warn_unused_result));
void lfs_ops_unlock_pair(struct lfs_daemon *d, uint32_t slot);
/* No lease operation at all (a rejoin): gen_lock exclusive, which every
 * context's holder holds shared.  0, or -EIO without it once a lease
 * operation it waits for is stuck in an I/O call. */
int lfs_ops_lock_all(struct lfs_daemon *d) __attribute__((warn_unused_result));
void lfs_ops_unlock_all(struct lfs_daemon *d);
/* A read context (daemon.h LFS_READ_CONTEXTS): 0 with *io, its lock
 * held, or -EIO as lfs_ops_lock().  For reads only, never a write. */
int lfs_read_lock(struct lfs_daemon *d, uint32_t slot, struct lfs_io **io)
    __attribute__((warn_unused_result));
void lfs_read_unlock(struct lfs_daemon *d, uint32_t slot);
/* The sum of the contexts' counters as last copied (table_lock held). */
void lfs_ops_stats_locked(const struct lfs_daemon *d, struct lfs_io_stats *s);
/*
 * table_lock, through these only, so that debug builds (LFS_DEBUG: the
 * sanitizer and ThreadSanitizer builds) know which thread holds it and
 * every *_locked function can say so first: LFS_TABLE_HELD(d) asserts
 * that the calling thread holds table_lock, as SQLite's pager asserts the
 * state it needs.  The waits drop and retake the lock, so they keep the
 * record true across the wait.
 */
void lfs_table_lock(struct lfs_daemon *d);
void lfs_table_unlock(struct lfs_daemon *d);
void lfs_table_wait(struct lfs_daemon *d, pthread_cond_t *c);
int lfs_table_timedwait(struct lfs_daemon *d, pthread_cond_t *c,
    const struct timespec *abstime);
/* 1 when the calling thread holds table_lock (debug builds; else 1). */
int lfs_table_held(const struct lfs_daemon *d);
#ifdef LFS_DEBUG
#include <assert.h>
#define LFS_TABLE_HELD(d) assert(lfs_table_held(d))
#else
#define LFS_TABLE_HELD(d) ((void)(d))
#endif
/* A lease change worth a log line, with leader ld, held `via` (or NULL). */
void lfs_hold_log(struct lfs_daemon *d, int pri, const struct lfs_dlease *l,
    const char *what, const struct lfs_leader *ld, const char *via);

/* Whether ld names this host (id and generation) as owner. */
int lfs_leader_is_ours(const struct lfs_daemon *d, const struct lfs_leader *ld);

/* Map a core error to what a FUSE caller gets (FUSE_SPEC "Errors"),
 * logging the real reason when it becomes EIO.  r <= 0. */
int lfs_errno_map(struct lfs_daemon *d, int r, const char *lease,
    const char *what);
/* Wake the poll handle of fh (call with table_lock held); the handle is
 * returned for the caller to notify after dropping the lock. */
struct fuse_pollhandle *lfs_fh_take_ph(struct lfs_fh *fh);
void lfs_notify_ph(struct fuse_pollhandle *ph);
/* Ask the watcher for a pass now (takes table_lock). */
void lfs_watch_kick(struct lfs_daemon *d);
void lfs_watch_kick_locked(struct lfs_daemon *d);
/* After a mkdir or rmdir: wake the watcher (no pass over the leases) if
 * the table lease is kept now and was not before (kept_before). */
void lfs_watch_linger(struct lfs_daemon *d, int kept_before);

#endif
