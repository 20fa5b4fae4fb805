/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * delta.h - delta leases (Chockler and Malkhi): holding a host id.
 *
 * A host holds its id by rewriting its own host-area sector with a changing
 * timestamp every renewal_interval; other hosts judge it alive from seeing
 * the change (lockspace.h).  There is no compare-and-swap on a disk, so a
 * join writes, waits join_delay (longer than any racing writer's read-to-
 * write gap plus its write time), and reads again: of two hosts joining with
 * the same id at once, only the last writer reads its own identity back.
 *
 * State diagram of this host (function behind each transition):
 *
 *   OUT --lfs_delta_join()--> JOINED --lfs_delta_renew()--> JOINED
 *                               |  \--renewal_fail without success--> FAILED
 *                               \--lfs_delta_leave()--> OUT
 */
#ifndef LEASEFS_DELTA_H
#define LEASEFS_DELTA_H

#include "lockspace.h"

struct lfs_join_params {
	uint32_t host_id;
	uuid_t identity;             /* stable across restarts (state file) */
	const char *host_name;
	/* The lowest generation this host may join with: one past the last
	 * it joined with, as its state file remembers (0: none known).  The
	 * disk alone cannot promise that a generation never repeats or goes
	 * back: our record may be corrupt, or overwritten by a late write. */
	uint64_t min_generation;
	/* Called while waiting, so a daemon can stop a join; may be NULL.
	 * A non-zero return aborts the join with -EINTR. */
	int (*should_stop)(void *arg);
	void *arg;
};

/* Join ls as p->host_id.  Returns 0 (ls->host_id, generation set), or
 *   -EBUSY     the id is held by another identity that is alive;
 *   -EAGAIN    another host wrote the sector during our join (lost a race);
 *   -EINVAL    bad host id; -errno from I/O.
 * An id held by another identity that is not seen to change for host_dead
 * is taken over; so is one that shows our own identity (a previous
 * incarnation, which may have crashed with writes in flight and holders
 * alive): that wait happens inside this call, and a change of our own old
 * record during it starts it again (delta.c has the timeline). */
int lfs_delta_join(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_join_params *p);

/* One renewal: read the window of known hosts (lockspace.h: ids 1 ..
 * lfs_hosts_window(), not max_hosts; updating the view), check that our
 * sector is still ours, then write our record with the next timestamp.
 * -ESTALE when our sector holds another identity or generation (we lost
 * the id: fence; nothing written); -ETIME when another host's renewal
 * counter shows that far more time passed than our clock measured (we
 * were frozen or suspended: this generation is finished, fence and rejoin;
 * nothing written); -errno from I/O. */
int lfs_delta_renew(struct lfs_lockspace *ls, struct lfs_io *io);

/* Leave cleanly: write our record with LFS_HOST_FREE, which lets the id be
 * joined at once.  Callers release every lease first.  A write of ours that
 * failed or timed out may land until lfs_late_write_ms() after it was
 * submitted (ls->uncertain_write_ms); the leave waits that out first, so
 * that nothing of this incarnation lands after a next one joined. */
int lfs_delta_leave(struct lfs_lockspace *ls, struct lfs_io *io);

/* Milliseconds since the submit time of our last good renewal. */
uint64_t lfs_delta_since_renewal_ms(struct lfs_lockspace *ls);

/* 0 while our generation may still write its Disk Paxos blocks: less
 * than renewal_fail since our last good renewal; else -EIO (paxos.h
 * invariant 7: every write of a finished generation must land before a
 * next incarnation of our id writes the same sectors). */
int lfs_delta_generation_live(struct lfs_lockspace *ls);

/* 0 when a write submitted now, if it hangs, is given up (io_timeout)
 * before renewal_fail, measured from our last good renewal; else -EIO.
 * For writes that would do harm landing after another host took over
 * from us (the name table, a value): see leases.c and value.h. */
int lfs_delta_write_fresh(struct lfs_lockspace *ls);

/* Post a change notice naming lease slot (notice.h; with ls->notice_on,
 * else nothing): rewrite our host sector with our record unchanged and
 * slot added to its notice.  A hint for waiters on other hosts: the caller
 * may ignore the result.  -EIO when our last renewal is too old for a
 * write (lfs_delta_write_fresh; nothing written), -errno from I/O. */
int lfs_delta_notice(struct lfs_lockspace *ls, struct lfs_io *io,
    uint32_t slot);

/* Dblock presence (paxos.h invariant 4a).  Before any dblock write of ours
 * in slot: returns 0 once our bit for the slot's bucket has been on disk
 * for join_delay, publishing it and waiting first if needed (no wait once
 * published; none ever without ls->presence_lazy, whose join publishes
 * every bit).  -EAGAIN when it could not be published now (a write of our
 * sector that failed may still land without it: try again later), -EIO
 * when our last renewal is too old for a write, -errno from I/O. */
int lfs_delta_presence_ready(struct lfs_lockspace *ls, struct lfs_io *io,
    uint32_t slot);
/* The same without the wait, and only with ls->presence_lazy: publish the
 * bucket now so that a later first dblock write there waits less, or not
 * at all (a request of ours: the lease may become ours by a transfer,
 * whose release or next transfer is our first ballot in the bucket).
 * Errors as lfs_delta_presence_ready(); the caller may ignore them. */
int lfs_delta_presence_early(struct lfs_lockspace *ls, struct lfs_io *io,
    uint32_t slot);
/* 0 when a dblock write of ours in slot may be submitted now by that rule,
 * else -EAGAIN (logged): the check at the write itself. */
int lfs_delta_presence_check(struct lfs_lockspace *ls, uint32_t slot);

#endif
