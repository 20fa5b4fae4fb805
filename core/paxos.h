/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * paxos.h - Disk Paxos leases (Gafni and Lamport): acquire, release,
 * transfer, inspect.
 *
 * A lease slot holds a leader record (owner id and generation, lease
 * generation lver), a request record and one dblock per host id.  Taking a
 * lease runs one Disk Paxos instance, numbered leader.lver + 1, over the
 * dblocks; its chosen value becomes the owner and is committed in the leader.
 * The owner's delta lease keeps the lease: there is no per-lease renewal.
 *
 * Invariants:
 *   1. lver only rises; every committed change -- an owner change or a
 *      release -- raises it by one, so it serves as a fencing token.
 *   2. A leader with lver n is written only by a host whose ballot of
 *      instance n chose its value: the proposer (the winner of an acquire,
 *      the old owner in a transfer or release), or a host that ran
 *      instance n again and so proposed the same value.  Any leader write
 *      may land late, over a newer leader; 2a makes that harmless.
 *   2a. The leader is a cache: a dblock of an instance newer than the leader
 *      means that instance is under way or decided; it is run again before
 *      anything else, and the leader is trusted only when no dblock is newer.
 *      While the leader names a live owner, only that owner starts the next
 *      instance, so a transfer or release in progress is never overtaken;
 *      but once a value is accepted (bal > 0) in the newer instance, any
 *      host may run it to its end, since it can only choose an accepted
 *      value, and commit what it chose.  Every change of owner, a release
 *      included, is a ballot, so the dblocks always show the newest
 *      instance: a leader put back by a late write is stale, never a
 *      live owner's lasting claim on a lease it no longer holds.
 *   3. A lease whose owner (id, gen) is LIVE or FAILING in the host view is
 *      busy; it may be taken only when the owner is DEAD, or the owner's
 *      record shows a newer generation or a clean leave.
 *   4. A ballot reads the dblocks of hosts 1 .. hw only, where hw is the
 *      highest host id in the host view when the ballot starts, and it
 *      counts a phase read only if that read completed within hosts_fresh
 *      of the start h of the FULL host-area read (every sector, 1 ..
 *      max_hosts; lockspace.h) that hw came from (hw and h are taken
 *      together: a later full read does not make an old hw fresh).
 *      Renewals read only the window 1 .. hw (their cost follows the hosts
 *      present), never move h, and so never make a ballot's view fresh: a
 *      ballot whose last full read is older than hosts_fresh makes one
 *      itself (at most one 1 MiB read per io of ballots at 2,000 hosts,
 *      none at all on an idle host).  Timeline, J a host that the view
 *      missed (units: io = io_timeout, hosts_fresh = 1 io,
 *      join_delay = 2 io):
 *        h        our full host-area read starts; it samples J's sector at
 *                 or after h and finds it empty, so J's join write lands
 *                 after h, and J's join write completes after h;
 *        > h+2io  J waits join_delay after that completion before its
 *                 first ballot: its first dblock write is not submitted,
 *                 so cannot land, before h + 2 io;
 *        <= h+io  every phase read we count has completed (checked after
 *                 the read, so a stall before or during it cannot slip a
 *                 late read through).
 *      So every dblock of J lands after all our counted reads: J's own
 *      phase reads then see our dblock, and Disk Paxos's usual argument
 *      holds.  Slack: 1 io (join_delay - hosts_fresh), for clock
 *      granularity and rate differences between hosts' clocks.  The join
 *      timeline is the one it was when renewals read the whole area: J
 *      joins in join_delay + a few I/Os (<= 2 io + 0.1 s), and is visible
 *      to every ballot that starts after J's join write landed plus
 *      hosts_fresh; what changed is only who makes the full read (the
 *      ballot, not the renewal thread).  A host that only renews learns of
 *      J at its next full read (a ballot, `.hosts`): its own renewals do
 *      not need J: only a ballot judges J's liveness or skips J's
 *      dblock, and every ballot starts from a fresh full read
 *      (read_for_ballot()).
 *   4a. With lazy presence (lockspaces of more than 256 hosts; lockspace.h
 *      presence_lazy), a ballot on slot s reads, of 1 .. hw, only our own
 *      dblock and those of the hosts whose host-area sector shows the bit
 *      of s's bucket (s % 512; ondisk.h, dblock presence), or shows a
 *      record without a readable presence; a never-written sector, none.
 *      A host sets the bit before its first dblock write in the bucket
 *      (a ballot's or a mode's) and publishes it: the bit counts from the
 *      completion c of a write of its sector that carries it, encoded
 *      while no other write of the sector was in flight and no failed
 *      write of ours could still land (delta.c write_record_checked), so
 *      that no write without the bit lands after c; bits are never
 *      cleared, and every join carries them (delta.c carry_presence).
 *      Timeline, J a host whose bit our view missed (units as in 4):
 *        h        our full host-area read starts; it samples J's sector
 *                 at or after h without the bit, so that sample came
 *                 before c: c > h;
 *        > h+2io  J waits join_delay after c before any dblock write in
 *                 the bucket (lfs_delta_presence_ready(), checked again
 *                 at the write: lfs_delta_presence_check());
 *        <= h+io  every phase read we count has completed (as in 4).
 *      So J's dblocks in the bucket land after all our counted reads, as
 *      a joiner's do in 4, and the same argument holds; slack 1 io.  The
 *      view is never older than h for J: every read after h (a renewal's
 *      window) only adds what a later sample shows, and a sector that
 *      does not decode counts as every bit set.  A reused slot's initial
 *      image (leases.c) writes every dblock, set bit or not: those it
 *      writes are empty and stamped, and read as empty when skipped; the
 *      stamp invariant 9 needs is in the dblock of the host that deleted
 *      the lease, which ballots there and so has the bit.  Price: a
 *      host's first ballot in a bucket waits join_delay (2 io), once per
 *      host id and bucket (a request of ours publishes early, without
 *      waiting: lfs_paxos_write_request()); a lockspace of up to 256
 *      hosts reads every dblock and never waits (the join sets every
 *      bit).  The simulator covers this with --presence (revert
 *      presence-wait).
 *   5. An unreadable or undecodable leader or dblock aborts the operation
 *      with an error: it is never taken for a free lease.  A record that
 *      fails its checksum is first read again, a few times
 *      (lfs_io_read_verified(), diskio.h): a read that met another
 *      host's write of the sector can return it torn on storage under a
 *      page cache.  A re-read is only a later read, so it counts for
 *      invariant 4 only if it too completed within hosts_fresh of h.
 *   6. No lease write is issued while a timed-out write of this io context
 *      may still land (-EIO until the kernel has completed it): a late
 *      write could undo what a later ballot relied on.  A host with
 *      several contexts (ioset.h) counts their timed-out I/Os together
 *      (lfs_io_set_group), so a late write through any of them stops the
 *      host's lease writes on all, as if it had one.
 *   7. No lease write is issued at or after renewal_fail since our last
 *      good renewal (-EIO): the generation is finished, and every write it
 *      made must land (within the storage promise, 5 io) before a next
 *      incarnation of our host id writes the same dblocks, which the join
 *      makes wait host_dead (delta.c has the timeline; slack 1 io).
 *
 *   8. Shared holds and the value (shared.h, value.h) live outside
 *      Disk Paxos: a host's mode in its own dblock sector, which every
 *      ballot write carries along unchanged, and the value in the slot's
 *      last sector.  Neither takes part in choosing an owner.  The
 *      exclusion rule (an exclusive hold overlaps no other hold; shared
 *      holds overlap each other) rests on two things, argued in shared.h
 *      rules 1-5: a mode is set only while its host owns the lease (so no
 *      mode appears during an exclusive hold), and an exclusive acquire
 *      takes the lease as held only if no other live host's mode shows
 *      in the phase 2 read of the ballot that chose it -- or, when the
 *      lease was ours already (-EALREADY: a transit hold of shared.c, or
 *      a ballot of ours that another host carried to its end, 2a), in
 *      the read that found it ours; otherwise it lets the lease go.  The
 *      simulator checks the rule at every instant (tests/sim, --shared).
 *   9. A ballot is about one incarnation of a slot (the name-table
 *      entry's), and every dblock it writes carries that incarnation.  A
 *      slot's reuse (leases.c init_slot) resets every dblock, stamped with
 *      the new incarnation; a ballot that reads a dblock of a newer
 *      incarnation than its own stops with -ENOENT, and one of an older
 *      incarnation reads as empty (decode_slot()).  Why the reset needs
 *      the stamp, X a ballot of incarnation k on instance n, stalled for
 *      any time after its leader read (a descheduled thread; nothing bounds
 *      it):
 *        D        deletes the lease: its acquire's ballot wins instance
 *                 m >= n, so D's dblock shows (m, mbal > X's) or more;
 *                 then the leader is marked DELETED, the entry cleared;
 *        C        creates a lease in the slot: the image of incarnation
 *                 k + 1 resets D's dblock (and every other);
 *        X        writes its phase 2 and reads the dblocks.
 *      Disk Paxos holds for X only because its phase 2 read sees D's
 *      dblock (D is in 1 .. hw by invariant 4).  Unstamped, the reset made
 *      it read as "no ballot anywhere": X chose itself and committed a
 *      leader of incarnation k over the new lease's, which then answered
 *      -ENOENT to every holder of its name for good (the simulator's seed
 *      50293).  Stamped, X's read sees D's dblock as it was or as k + 1 or
 *      newer (only D writes it again, always stamped): X stops.  Not
 *      covered: a commit of incarnation k whose write was submitted before
 *      the reuse and lands after it (a write late by up to 5 io, or a
 *      thread stalled between its phase 2 read and the leader write): the
 *      leader is the one sector without a stamp to compare with.
 *
 * Transitions of a lease as this host sees it:
 *   FREE --lfs_paxos_acquire()--> OWNED --lfs_paxos_release()--> FREE
 *   OWNED --lfs_paxos_transfer(to)--> OWNED by `to`
 *   OWNED by a DEAD host --lfs_paxos_acquire()--> OWNED
 */
#ifndef LEASEFS_PAXOS_H
#define LEASEFS_PAXOS_H

#include "lockspace.h"

struct lfs_lease_ref {
	uint32_t slot;               /* 1 .. lease_capacity (0: table lease) */
	uint32_t incarnation;        /* from the name table */
};

/* The leader of a slot and the newest instance any dblock of hosts 1 ..
 * high water shows, in one read: a cheap token of "nothing changed" (the
 * name-table cache).  Errors as lfs_paxos_read_leader(). */
int lfs_paxos_read_instance(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_ref *ref, struct lfs_leader *leader,
    uint64_t *newest);

/* For a display of the slot (shared.c lfs_shared_holders): its leader as
 * it is on disk, and the dblocks of the hosts 1 .. hw that want[id] marks,
 * read as a ballot reads them (in runs; a torn sector read again; a dblock
 * of a newer incarnation than ref's is -ENOENT, of an older one read with
 * its ballot fields empty: invariant 9); dblocks[1 .. hw] of the others
 * are zero.  The caller says which hosts it may skip, and why: nothing
 * here checks that.  want and dblocks have hw + 1 entries.  Errors as
 * lfs_paxos_read_leader(), except that the leader is not checked against
 * ref. */
int lfs_paxos_read_marked(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_ref *ref, uint32_t hw, const uint8_t *want,
    struct lfs_leader *leader, struct lfs_dblock *dblocks);

/* Read the leader of a slot.  -ENOENT when deleted or of another
 * incarnation, decoder errors as in ondisk.h, -errno from I/O. */
int lfs_paxos_read_leader(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_ref *ref, struct lfs_leader *out);

/* Acquire for this host, exclusively.  0 with *out the committed leader
 * (owner is us),
 *   -EBUSY     owned by a host that is not dead, or lost the ballot to a
 *              value naming another host, or held shared by another host
 *              that is not dead (shared.h; our own shared hold does not
 *              count: acquiring over it is an upgrade).  out->owner_id
 *              names the live owner when the leader read or the lost
 *              ballot's commit showed one, else it is 0 or ours (shared
 *              holders): a hint of whose release to wait for, no more;
 *   -EAGAIN    a concurrent ballot with a larger number: retry later;
 *   -EALREADY  already owned by this host and generation (*out filled),
 *              and no other host that is not dead holds it shared (if one
 *              does, the lease is let go again: -EBUSY);
 *   -EINPROGRESS  the ballot chose us (or the lease was ours already) but
 *              a shared holder showed up in it, and letting the lease go
 *              again failed: *out is ours, not to be used; pass it to
 *              lfs_paxos_release() until 0;
 *   -ENOENT    the lease was deleted; -errno from I/O or decoding. */
int lfs_paxos_acquire(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_ref *ref, const char *name, struct lfs_leader *out);

/* lfs_paxos_acquire() without the shared-holder check: for shared.c,
 * which takes the lease exclusively only to set its own mode under it. */
int lfs_paxos_acquire_transit(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_ref *ref, const char *name, struct lfs_leader *out);

/* Invariant 6: 0 when no timed-out I/O of io may still land, else -EIO
 * (logged).  Every lease write of core checks it first. */
int lfs_paxos_settled(struct lfs_lockspace *ls, struct lfs_io *io);

/* Release a lease held as *held.  -EPERM when the disk shows another owner
 * or lver (nothing written); -EINPROGRESS as for lfs_paxos_transfer() (to
 * nobody) when the release had to run a ballot. */
int lfs_paxos_release(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_ref *ref, const struct lfs_leader *held);

/* Hand a lease held as *held to (to_id, to_gen), which must be LIVE with
 * exactly that generation.  -EPERM not the owner, -EHOSTDOWN target not
 * live (or another generation), -ENOENT no such host, -EINVAL target is us;
 * 0 with *out the new leader.
 *   -EINPROGRESS  the ballot chose the target, but the leader write failed
 *              or timed out (it may still land): the lease is the target's
 *              and no longer ours (stop every local holder now), *out is
 *              the leader to be written.  Only this host may write it
 *              (invariant 2) and the target waits for it: call again with
 *              the same arguments, once the context has settled (-EIO
 *              until then), until it returns 0.  Calling again is safe:
 *              the instance can only choose the same value again. */
int lfs_paxos_transfer(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_ref *ref, const struct lfs_leader *held,
    uint32_t to_id, uint64_t to_gen, struct lfs_leader *out);

/*
 * Request record: read, and write ours or clear it if ours.  want is one of
 *   LFS_REQUEST_CLEAR  clear the record if it still names us;
 *   LFS_REQUEST_ASK    name us, at the leader's lver now (a hint: "give it
 *                      to me when you can");
 *   LFS_REQUEST_CLAIM  name us, at the leader's lver now + 1: a claim, "I
 *                      am ready: complete the handover you armed for me".
 * A claim is told from a request by lfs_request_is_claim(): no ASK can
 * carry the lver one past that of a leader that still holds, since an ASK
 * records a leader it read, and lvers only grow; so an owner that armed a
 * handover (the daemon's ctl `handover`) and reads a claim of the armed
 * host knows that host wrote it after the owner's own tenure began, with
 * the purpose of taking it now.  Requests stay hints: a claim grants
 * nothing by itself, the owner decides (and writes) the transfer.
 */
#define LFS_REQUEST_CLEAR 0
#define LFS_REQUEST_ASK 1
#define LFS_REQUEST_CLAIM 2
int lfs_paxos_read_request(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_ref *ref, struct lfs_request *out);
int lfs_paxos_write_request(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_ref *ref, int want);
/* 1 when rq is a claim (see above) on the lease held as *held, else 0. */
int lfs_request_is_claim(const struct lfs_request *rq,
    const struct lfs_leader *held);

/* Ballot numbers: unique per host, k * max_hosts + host_id. */
uint64_t lfs_ballot_next(uint64_t above, uint32_t max_hosts, uint32_t host_id);

#endif
