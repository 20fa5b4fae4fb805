/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ioset.h - several I/O contexts for one host's lease operations, so that
 * ballots of independent leases run at once (issue 15 point 4).
 *
 * One context serialized every lease operation of a host.  Here the
 * leases are partitioned: slot s belongs to context s % n, and every
 * operation on slot s runs with that context's lock held, so a host's
 * operations on one lease never interleave (one Disk Paxos process per
 * host and lease), while those of leases of different contexts proceed
 * in parallel.  Slot 0 (the table lease) is context 0's, and so are the
 * name-table operations (leases.c: a create or delete runs wholly on
 * context 0, whatever slot it touches; the caller of a delete holds the
 * deleted slot's context too, taken second: fs/daemon/context.h).
 *
 * Invariant 6 of paxos.h (no lease write while a timed-out write may still
 * land) is kept across the set, not per context: the contexts count their
 * abandoned I/Os together (lfs_io_set_group), and a lease write through
 * any of them is refused while any is pending.  Per context would not do,
 * since one slot is written through two contexts (a delete's ballot on
 * context 0, the slot's own ballots on s % n): a late write through one
 * could land in the middle of a later ballot through the other.  A
 * context's abandoned I/Os are reaped by calls on that context; those of
 * contexts nobody uses now must be reaped by the user too
 * (lfs_ioset_reap_idle(), or the daemon's own walk, fs/daemon/context.c,
 * which also wakes the contexts' waiters), or the set's writes stay
 * refused.
 *
 * The lockspace itself is shared: the host view, the stale-lease notes and
 * the name-table cache have their own locks (lockspace.h, tablecache.h).
 * Lock order: contexts' locks in ascending index, then those.
 */
#ifndef LEASEFS_IOSET_H
#define LEASEFS_IOSET_H

#include <pthread.h>
#include <stdatomic.h>

#include "diskio.h"

#define LFS_IOSET_MAX 64u

struct lfs_ioset {
	uint32_t n;
	struct lfs_io io[LFS_IOSET_MAX];
	pthread_mutex_t lock[LFS_IOSET_MAX]; /* lock[i] owns io[i] */
	_Atomic uint32_t abandoned;  /* of all io[] (lfs_io_set_group) */
};

/* n contexts (1 .. LFS_IOSET_MAX) on disk; sys NULL for the real system
 * calls, else sys[i] for context i (tests).  -EINVAL, -errno; nothing to
 * destroy on failure. */
int lfs_ioset_init(struct lfs_ioset *set, struct lfs_disk *disk, uint32_t n,
    uint32_t timeout_ms, const struct lfs_io_syscalls *const *sys,
    const struct lfs_logger *log);
/* Waits for every context's abandoned I/Os (lfs_io_destroy()). */
void lfs_ioset_destroy(struct lfs_ioset *set);

/* The context of slot, locked; hand it to the lease operation, then
 * unlock with the same slot. */
struct lfs_io *lfs_ioset_lock(struct lfs_ioset *set, uint32_t slot);
void lfs_ioset_unlock(struct lfs_ioset *set, uint32_t slot);
/* The index of slot's context. */
uint32_t lfs_ioset_index(const struct lfs_ioset *set, uint32_t slot);
/* Reap the abandoned I/Os of every context whose lock is free now (a
 * trylock each; never waits).  Returns the set's abandoned I/Os left. */
uint32_t lfs_ioset_reap_idle(struct lfs_ioset *set);

#endif
