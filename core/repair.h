/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * repair.h - a safe way back from a corrupt leader or dblock.
 *
 * A record that does not decode is never taken for a free one (paxos.h
 * invariant 5), so a corrupt leader or dblock makes its lease unusable, even
 * for that dblock's owner.  Repair rewrites such records, and only when the
 * rules of the protocol make the new content safe:
 *
 *   - a corrupt dblock of host X is rewritten empty, once X is free (left
 *     cleanly) or dead: then X runs no ballot of this lease, and an empty
 *     block is what X's next ballot would overwrite anyway.  What X had
 *     accepted there is lost; a value chosen with it was X's own ballot,
 *     so X, being gone, holds nothing through it.
 *   - a corrupt leader is rebuilt from the dblocks, once every host with a
 *     dblock of the newest instance m is free or dead (so no ballot of m is
 *     under way): lver m, owner the value with the largest bal in m, or
 *     nobody when none was accepted.  If that value was chosen, the leader
 *     tells the truth; if it was only accepted, its host's acquire failed
 *     and it settles the lease as after any failed acquire.  Name and
 *     incarnation come from the name table.
 *
 * "Free or dead" is judged as a join judges a host id it wants: from the
 * host view, watching a host's record for host_dead unless it shows a
 * clean leave.  A host seen renewing makes the repair refuse (-EBUSY);
 * nothing is written then.  Repair needs no host id of its own.
 */
#ifndef LEASEFS_REPAIR_H
#define LEASEFS_REPAIR_H

#include "leases.h"
#include "lockspace.h"

struct lfs_repair_result {
	uint32_t dblocks_rewritten;  /* corrupt dblocks rewritten empty */
	int leader_rewritten;        /* 1 when the leader was rebuilt */
	struct lfs_leader leader;    /* the rebuilt leader, if any */
	uint32_t busy_host;          /* on -EBUSY: a host seen alive */
};

/* Repair the lease e.  0 (and *out, which may say nothing was corrupt),
 * -EBUSY a host involved is alive (out->busy_host), -EAGAIN the slot
 * changed while we watched, -EINTR should_stop said so, -errno from I/O.
 * should_stop (may be NULL) is called between looks at the host area. */
int lfs_repair_lease(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_entry *e, int (*should_stop)(void *), void *arg,
    struct lfs_repair_result *out);

#endif
