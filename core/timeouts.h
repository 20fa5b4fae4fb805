/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * timeouts.h - every timing parameter of a lockspace, derived from io_timeout.
 *
 * This module owns the timing math and nothing else: no clocks, no I/O.  All
 * durations are in milliseconds.  The values are computed once at format time,
 * stored in the lockspace header (so that every host agrees by reading the
 * disk), and checked for consistency when a header is decoded.
 *
 * Worked timeline at io_timeout = 10 s (the default), host A holding a lease
 * and losing its storage just after its last good renewal write was submitted
 * at t = 0 (times on A's monotonic clock; other hosts measure durations on
 * their own monotonic clocks, which only have to run at the same rate):
 *
 *   t =   0  A submits its last successful renewal write (it lands by 10).
 *   t =  20  A's next renewal is due (renewal_interval) and fails or hangs.
 *   t =  40  A, or A's guard if the daemon is gone, starts fencing:
 *            SIGTERM to every local holder (renewal_fail).
 *   t =  60  SIGKILL to any holder still alive (renewal_fail + kill_grace).
 *   t =  80  every holder is dead: SIGKILL takes effect within
 *            kill_settle (another 2 io) or the watchdog has reset the host.
 *   t =  80  host B, which saw A's timestamp change for the last time no
 *            earlier than t = 0 and has seen no change since, may take A's
 *            leases over (host_dead).  B's observation of the last change is
 *            at or after the write was submitted, so B's deadline is never
 *            earlier than A's.
 *
 * The same timeline at io_timeout = 1 s ends at t = 8 s; B notices at its next
 * host-area read, at most one renewal_interval later.
 */
#ifndef LEASEFS_TIMEOUTS_H
#define LEASEFS_TIMEOUTS_H

#include <stdint.h>

#define LFS_IO_TIMEOUT_DEFAULT_MS 10000u /* like sanlock's io_timeout */
#define LFS_IO_TIMEOUT_MIN_MS 100u       /* below this, normal jitter fences */
#define LFS_IO_TIMEOUT_MAX_MS 300000u    /* keeps every derived time in u32 */

struct lfs_timeouts {
	uint32_t io_timeout_ms;       /* longest a single I/O may take */
	uint32_t renewal_interval_ms; /* time between two renewal writes */
	uint32_t renewal_fail_ms;     /* no good renewal for this long: fence */
	uint32_t kill_grace_ms;       /* SIGTERM to SIGKILL */
	uint32_t host_dead_ms;        /* unchanged this long: host is dead */
	uint32_t join_delay_ms;       /* wait after a join write before trusting it */
	uint32_t hosts_fresh_ms;      /* a ballot's reads complete within this of
	                                 its host-area read (paxos.h inv. 4) */
};

/*
 * The storage promise (leasefs(8), "What the storage must promise"): a write
 * given up after io_timeout may still land, but no later than this after its
 * submission, host_dead - renewal_fail + io = 5 io.  Every rule about writes
 * of a finished incarnation or of a host taken over counts on it: a host
 * submits lease writes only before renewal_fail (paxos.c, leases.c), so the
 * last of them lands by host_dead + io after its last good renewal, before
 * anyone else may write the sectors it wrote (delta.c, the join timeline).
 */
static inline uint32_t
lfs_late_write_ms(const struct lfs_timeouts *t)
{
	return t->host_dead_ms - t->renewal_fail_ms + t->io_timeout_ms;
}

/*
 * The submit gate (lockspace.h): the guard closes it at renewed +
 * lfs_gate_close_ms() unless a newer renewal came, waiting at most
 * lfs_gate_wait_ms() for a write inside it (checked, not yet submitted) to
 * reach io_submit, and kills the daemon if none did by then.  So no lease
 * write of a generation is submitted after renewed + renewal_fail - io,
 * the latest submission the rules of writes that must land before others
 * take over allow (leases.c fresh_for_unguarded_write, value.h rule 3:
 * since + io < renewal_fail); ballot writes, allowed by their own check up
 * to renewal_fail, lose io of their window to it.  At io = 10 s: the gate
 * closes at 29 s after the last good renewal, the daemon is killed at 30 s
 * if a write is still between its check and its submit; fencing starts at
 * 40 s.  Slack: none beyond the rules' own; the guard running late (a
 * starved or suspended host) is what the watchdog covers.
 */
static inline uint32_t
lfs_gate_wait_ms(const struct lfs_timeouts *t)
{
	return t->io_timeout_ms / 10;
}

static inline uint32_t
lfs_gate_close_ms(const struct lfs_timeouts *t)
{
	return t->renewal_fail_ms - t->io_timeout_ms - lfs_gate_wait_ms(t);
}

/* Fill *t from io_timeout_ms.  Returns 0, or -EINVAL when io_timeout_ms is
 * outside [LFS_IO_TIMEOUT_MIN_MS, LFS_IO_TIMEOUT_MAX_MS]. */
int lfs_timeouts_from_io(uint32_t io_timeout_ms, struct lfs_timeouts *t);

/* 0 when *t is exactly what lfs_timeouts_from_io() derives from its own
 * io_timeout_ms, -EINVAL otherwise (a header from another version or a
 * corrupted one must not give this host different deadlines from others). */
int lfs_timeouts_check(const struct lfs_timeouts *t);

#endif
