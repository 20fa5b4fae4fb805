/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ioset.h - several I/O contexts for one host's lease operations, so that
 * ballots of independent leases run at once (issue 15 point 4).
 *
 * One context serialized every lease operation of a host (paxos.h
 * invariant 6: no lease write while a timed-out write of the context may
 * still land).  What the invariant protects is per lease: a late dblock or
 * leader write can only undo a later ballot of the same slot.  So the
 * leases are partitioned: slot s belongs to context s % n, every lease
 * I/O of slot s goes through it, and invariant 6 holds per context as
 * before.  Slot 0 (the table lease) is context 0's, and so are the
 * name-table writes made under it (leases.c: the table sector, a new
 * slot's initial image, a DELETED leader): a create or delete runs wholly
 * on context 0, whatever slot it touches.  A slot's initial image is
 * written before its name entry, and ballots on the slot start only once
 * the entry is visible, so a late image write races only another create of
 * the same slot, which context 0 refuses until it has settled.
 *
 * Each context has its own lock, held across one lease operation (a
 * ballot, a read): operations on leases of different contexts proceed in
 * parallel, on the same one in order.  The lockspace itself is shared: the
 * host view, the stale-lease notes and the name-table cache have their own
 * locks (lockspace.h, tablecache.h).  Lock order: a context's lock, then
 * those.  Never two contexts' locks at once.
 */
#ifndef LEASEFS_IOSET_H
#define LEASEFS_IOSET_H

#include <pthread.h>

#include "diskio.h"

#define LFS_IOSET_MAX 64u

struct lfs_ioset {
	uint32_t n;
	struct lfs_io io[LFS_IOSET_MAX];
	pthread_mutex_t lock[LFS_IOSET_MAX]; /* lock[i] owns io[i] */
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

#endif
