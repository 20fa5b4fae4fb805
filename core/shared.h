/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * shared.h - shared holds of a lease: acquire, release, downgrade, list.
 *
 * Any number of hosts may hold a lease shared at once; an exclusive holder
 * (the Disk Paxos owner, paxos.h) excludes every shared one, and the
 * reverse.  The design is sanlock's: each host keeps its mode in its own
 * dblock sector of the slot (ondisk.h: mode_flags, mode_gen, mode_lver),
 * and sets it only while it owns the lease exclusively:
 *
 *   acquire shared   take the lease exclusively (a ballot, with the usual
 *                    rules: -EBUSY while a live host owns it), write our
 *                    dblock sector with mode SHARED, release the lease (a
 *                    ballot choosing nobody);
 *   release shared   write our dblock sector with the mode cleared: no
 *                    ballot, since dropping a hold can exclude nobody;
 *   acquire excl.    paxos.c: refuse when the read before the ballot shows
 *                    a shared holder; after winning, check the winning
 *                    ballot's phase 2 read again and let the lease go
 *                    (-EBUSY) if it shows one.
 *
 * One sector keeps one writer: the mode lives in the sector only its host
 * writes, and every ballot write carries it along unchanged (paxos.c
 * run_ballot), every mode write carries the ballot state along, both read
 * back from our own sector, which holds what we last wrote (invariant 6 of
 * paxos.h: nothing is issued while a write of ours may still land).
 *
 * Rules, S a host that sets its mode and E an exclusive acquirer:
 *   1. S writes a set mode only while it owns the lease, as instance m
 *      (between the commit of m naming it and the first write of its next
 *      ballot, the release, instance m + 1).  A clear may be written at
 *      any time.  A mode counts only while its host is LIVE or FAILING with
 *      that generation in the reader's host view (lockspace.h), exactly as
 *      an owner does (paxos.h invariant 3).
 *   2. Exclusive excludes shared.  S's set completed -- or, timed out, was
 *      reaped by the kernel -- before S submitted its first write of
 *      instance m + 1, because one context issues both in order and
 *      refuses the second while the first may land (invariant 6).  While
 *      S lives, only S starts instance m + 1, and anyone else who runs it
 *      can only choose S's accepted "nobody" (invariant 2a): so E's value
 *      is chosen in an instance k >= m + 2, which E runs only after it saw
 *      m + 1 decided, which needed S's first write of m + 1 on disk.  So
 *      S's mode was on disk before E's phase 1 of k began, and E's phase 2
 *      read of k shows it: E lets the lease go.  No timing is involved.
 *      The same read decides when E finds the lease its own already
 *      (-EALREADY: a transit hold, or a ballot of E's that another host
 *      carried to its end): that read follows the commit of k, so it
 *      shows S's mode, and E lets the lease go (paxos.c acquire_mode).
 *      A host that judged S dead (host_dead of silence) neither counts S's
 *      mode nor needs to: S's holders were fenced by then (timeouts.h).
 *   3. Shared excludes exclusive.  E owns the lease for its whole hold, so
 *      no host can set a mode during it (rule 1): a shared acquire fails
 *      with -EBUSY while E is LIVE or FAILING.  A mode set before E's
 *      ballot makes E refuse (rule 2).
 *   4. A dead host's shared hold: its mode names a generation that is DEAD
 *      (host_dead of silence), or older than its host's record (it
 *      rejoined), and so counts for nothing: nothing is written to take
 *      it away.  Its holders were killed within host_dead (timeouts.h,
 *      renewal_fail + kill_grace + kill_settle = host_dead).  The mode is
 *      left on disk; the host's next mode write replaces it.
 *   5. Late writes.  A set that timed out keeps S owning the lease until
 *      the kernel has reaped it (the release ballot is refused with -EIO
 *      until then): landing late it lands while S still owns the lease, as
 *      rule 1 wants.  A clear landing late can only drop a hold (S's own
 *      next write waits for it).  If S dies with a set in flight, the set
 *      names S's dead generation whenever it lands (rule 4), so no bound
 *      on its landing is needed.  Across incarnations of one host id (a
 *      restart while a write of the old generation is in flight) a mode
 *      write is as exposed as any dblock write: see tests/sim/README,
 *      finding C6; the fix for dblocks covers modes, being the same sector.
 *   6. Fencing token: a shared hold's is mode_lver, the instance S won to
 *      set it; every later exclusive hold has a larger lver (rule 2).
 *
 * Upgrade and downgrade fit without letting go:
 *   upgrade    lfs_paxos_acquire() while holding shared: other hosts'
 *              shared holds refuse it, our own does not; our mode stays
 *              set through the exclusive hold (lfs_shared_release() drops
 *              it, or it outlives the exclusive hold: a downgrade);
 *   downgrade  lfs_shared_downgrade(): set our mode while we own the lease
 *              (rule 1), then release the exclusive hold.
 *
 * Cost: a shared acquire is two ballots and a sector write, and while it
 * owns the lease a concurrent shared acquire elsewhere sees a live owner
 * and gets -EBUSY: callers that block retry, as for an exclusive lease.
 *
 * Thread safety: as paxos.h, one thread per io context at a time.
 */
#ifndef LEASEFS_SHARED_H
#define LEASEFS_SHARED_H

#include "paxos.h"

struct lfs_shared_hold {
	uint64_t token;          /* mode_lver: the lease generation it was
	                            set under (rule 6) */
	/* After -EINPROGRESS, what is left to finish (lfs_shared_finish()): */
	int mode_unknown;        /* the mode write failed: it may show us
	                            shared or not, and may still land */
	int ex_held;             /* the exclusive lease taken on the way is
	                            still ours */
	struct lfs_leader ex;    /* ... that lease, when ex_held */
};

struct lfs_shared_holder {
	uint32_t host_id;
	uint64_t gen;            /* the generation that set the mode */
	uint64_t lver;           /* its token */
	enum lfs_host_state state; /* LIVE or FAILING (others are not listed) */
};

/* Hold ref shared for this host.  0 with *out->token, or
 *   -EALREADY  held shared by this generation already (token filled);
 *   -EBUSY     a host that is not dead owns it exclusively (or is setting
 *              its own mode under it: retry), or lost a ballot;
 *   -EAGAIN    a concurrent ballot: retry; -ENOENT deleted; -errno: I/O.
 *   -EINPROGRESS  not usable as held: out->mode_unknown and out->ex_held
 *              say what is left; call lfs_shared_finish() until it
 *              returns 0 (-EIO until the context has settled).
 * If this host owns the lease exclusively already, the mode is set under
 * that hold and the exclusive hold is kept. */
int lfs_shared_acquire(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_ref *ref, const char *name,
    struct lfs_shared_hold *out);

/* Finish what an -EINPROGRESS left: keep != 0 keeps the shared hold (only
 * when !h->mode_unknown), else clears our mode; then releases h->ex when
 * h->ex_held (done also when the disk shows it is not ours any more, or
 * the lease was deleted: nothing is left to let go).  Updates h; 0 when
 * nothing is left, -errno to call again. */
int lfs_shared_finish(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_ref *ref, struct lfs_shared_hold *h, int keep);

/* Drop this host's shared hold (0 also when none).  -EIO while a timed-out
 * write may land; -errno from I/O: the mode may still show us, call again. */
int lfs_shared_release(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_ref *ref);

/* Turn the exclusive hold *held into a shared one, never letting go.  0
 * with *out->token; -EPERM not the owner (nothing written); -EINPROGRESS
 * as for lfs_shared_acquire() (ex_held: the exclusive release failed, the
 * shared hold is in place). */
int lfs_shared_downgrade(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_ref *ref, const struct lfs_leader *held,
    struct lfs_shared_hold *out);

/* The leader and every host holding ref shared, in one read (the leader
 * and dblocks 1 .. high water).  Hosts in host id order; *n is the count,
 * which may exceed max (then only max are filled).  A mode of a dead or
 * older generation is not listed (rule 4).  Errors as
 * lfs_paxos_read_leader(), and a dblock that does not decode. */
int lfs_shared_holders(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_ref *ref, struct lfs_leader *leader,
    struct lfs_shared_holder *out, uint32_t max, uint32_t *n);

#endif
