/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * leases.h - the lease name table: creating, deleting and listing leases.
 *
 * The name table maps names to lease slots (entry k names slot k + 1).  It is
 * changed only by a host holding the table lease (slot 0), so two hosts
 * creating leases at once are serialized by Disk Paxos, not by luck.  A slot
 * is initialized (leader written, dblocks zeroed) before its name entry is
 * written, so a visible name always has a usable slot; deletion takes the
 * lease first, so only a free lease can be deleted.
 */
#ifndef LEASEFS_LEASES_H
#define LEASEFS_LEASES_H

#include "lockspace.h"
#include "paxos.h"

struct lfs_lease_entry {
	char name[LFS_NAME_MAX + 1];
	struct lfs_lease_ref ref;
};

/* Read the whole name table.  Fills *out (malloc'd, caller frees) with the
 * entries in use, in slot order, and *n.  A corrupt entry fails the call. */
int lfs_leases_list(struct lfs_lockspace *ls, struct lfs_io *io,
    struct lfs_lease_entry **out, uint32_t *n);

/* Find one name: 0 and *out, -ENOENT, or errors as lfs_leases_list(). */
int lfs_leases_lookup(struct lfs_lockspace *ls, struct lfs_io *io,
    const char *name, struct lfs_lease_entry *out);

/* Create a lease.  -EINVAL bad name, -EEXIST exists, -ENOSPC table full,
 * -EBUSY/-EAGAIN table lease busy; the host must be joined. */
int lfs_leases_create(struct lfs_lockspace *ls, struct lfs_io *io,
    const char *name, struct lfs_lease_entry *out);

/* Delete a free lease.  -EBUSY when held (here or elsewhere), -ENOENT when
 * absent.  When lfs_hp_delete_unsettled(rv) (-EAGAIN, -EIO, -ETIMEDOUT,
 * -EINPROGRESS), the lease may be left ours on disk, held by nobody: the
 * caller settles it (acquire once more, release what that gives), as after
 * an acquire that gave up (hostpolicy.h). */
int lfs_leases_delete(struct lfs_lockspace *ls, struct lfs_io *io,
    const char *name);

/* Keep the table lease for idle_ms after each successful create or delete
 * (at most 200 ms in all), so that a run of them pays for taking and
 * releasing it once (leases.c, "linger"); 0, the default, releases it at
 * the end of every call.  A caller that sets it must call
 * lfs_leases_linger_end() once lfs_leases_linger_due() has passed, with the
 * same serialization as every other lease operation, and with force before
 * leaving the lockspace: a kept hold blocks every other host's mkdir and
 * rmdir.  -ENOMEM. */
int lfs_leases_set_linger(struct lfs_lockspace *ls, uint32_t idle_ms);
/* When the kept hold is due to be released, monotonic ms on ls->clock;
 * UINT64_MAX when none is kept.  Lock-free: a watcher may poll it. */
uint64_t lfs_leases_linger_due(struct lfs_lockspace *ls);
/* Release the kept hold if due (or force); 0 or the release's error. */
int lfs_leases_linger_end(struct lfs_lockspace *ls, struct lfs_io *io,
    int force);

#endif
