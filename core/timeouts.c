/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * timeouts.c - derivation of every lockspace timing parameter from io_timeout.
 *
 * Owns the formulas; timeouts.h has the worked timeline they come from.  All
 * values are milliseconds and whole multiples of io_timeout, so that the
 * header stores them exactly and lfs_timeouts_check() can compare for
 * equality.  With io at most LFS_IO_TIMEOUT_MAX_MS (300 s) the largest value,
 * host_dead = 8 io = 2400 s, fits easily in a u32.
 *
 * Timeline in units of io (see timeouts.h), A losing its storage after the
 * write submitted at 0:
 *
 *   0        last good renewal write submitted (lands by 1)
 *   2        next renewal due                       renewal_interval = 2
 *   4        fencing starts: SIGTERM                renewal_fail     = 4
 *   6        SIGKILL                                + kill_grace     = 2
 *   8        holders dead (SIGKILL took effect)     + kill_settle    = 2
 *   8        others may take A's leases over        host_dead        = 8
 */
#include <errno.h>
#include <stddef.h>

#include "timeouts.h"

/*
 * Time between a SIGKILL and the holder being gone, in units of io: the
 * kernel has to tear the process down (closing files, flushing its last
 * direct I/O) before it can no longer touch the shared resource.
 */
#define KILL_SETTLE_IO 2u

int
lfs_timeouts_from_io(uint32_t io, struct lfs_timeouts *t)
{
	if (io < LFS_IO_TIMEOUT_MIN_MS || io > LFS_IO_TIMEOUT_MAX_MS)
		return -EINVAL;
	t->io_timeout_ms = io;
	/* Renew every 2 io, half of renewal_fail: the renewal due at 2 io may
	 * hang for a full io (given up at 3 io) and a retry still completes
	 * before fencing at 4 io, so one slow I/O never fences a host. */
	t->renewal_interval_ms = 2 * io;
	/* Fence after 4 io without a good renewal: the renewal due at 2 io
	 * and a retry have both failed, so the storage has been unusable for
	 * about 2 io: an outage, not jitter.  Must exceed renewal_interval
	 * by at least io (renewal_interval + io <= renewal_fail). */
	t->renewal_fail_ms = 4 * io;
	/* SIGTERM to SIGKILL: 2 io lets a holder shut down cleanly, while
	 * keeping the whole fencing sequence inside host_dead. */
	t->kill_grace_ms = 2 * io;
	/* Other hosts wait until every holder of A is gone: A starts fencing
	 * at renewal_fail, kills at + kill_grace, and SIGKILL has taken
	 * effect after + kill_settle.  Measured from the last change another
	 * host saw, which is never before A's write was submitted (the
	 * reference point of A's own clock), so host_dead >= renewal_fail +
	 * kill_grace + kill_settle means holders are dead before any other
	 * host may take over.  = 8 io. */
	t->host_dead_ms = t->renewal_fail_ms + t->kill_grace_ms +
	    KILL_SETTLE_IO * io;
	/* After its join write completed, a host waits 2 io: a racing joiner
	 * submits its write at most io after its read and that write lands
	 * at most io later, so 2 io after our write completed every racer's
	 * write has landed and our re-read sees it. */
	t->join_delay_ms = 2 * io;
	/* A ballot counts a phase read only if it completed at most
	 * hosts_fresh = io after the start of the host-area read its high
	 * water came from (checked after the read).  A host that read missed
	 * submits its first dblock write more than join_delay = 2 io after
	 * that start, so paxos.h invariant 4 holds with a slack of
	 * join_delay - hosts_fresh = 1 io. */
	t->hosts_fresh_ms = io;
	return 0;
}

int
lfs_timeouts_check(const struct lfs_timeouts *t)
{
	struct lfs_timeouts want;

	if (t == NULL || lfs_timeouts_from_io(t->io_timeout_ms, &want) != 0)
		return -EINVAL;
	/* Field by field rather than memcmp: no reliance on the absence of
	 * padding in the struct. */
	if (t->renewal_interval_ms != want.renewal_interval_ms ||
	    t->renewal_fail_ms != want.renewal_fail_ms ||
	    t->kill_grace_ms != want.kill_grace_ms ||
	    t->host_dead_ms != want.host_dead_ms ||
	    t->join_delay_ms != want.join_delay_ms ||
	    t->hosts_fresh_ms != want.hosts_fresh_ms)
		return -EINVAL;
	return 0;
}
