/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * paxos.c - Disk Paxos leases: acquire, release, transfer (paxos.h).
 *
 * Sections:
 *   1. slot I/O: the leader, the request, the dblocks of hosts 1 .. hw
 *   2. the ballot (Gafni and Lamport, "Disk Paxos", section 2, one disk)
 *   3. acquire, release, transfer
 *   4. requests
 *
 * One ballot of instance n by host p with ballot number b, in the paper's
 * words adapted to one disk:
 *   phase 1: "p writes dblock[p] with mbal = b, then reads dblock[q] for
 *            every q; it aborts if some mbal > b.  Otherwise it picks the
 *            value of the block with the largest bal, or its own value
 *            when every bal is 0."
 *   phase 2: "p writes dblock[p] with bal = mbal = b and inp = that value,
 *            reads every dblock[q] again and aborts if some mbal > b."
 *   commit:  the value is chosen; p writes it into the leader.
 * Only dblocks of instance n (dblock.lver == n) take part; older ones are
 * leftovers of earlier instances and read as empty.
 *
 * Departures from the paper, and why:
 *   - only a host whose own ballot chose a value commits it (commit());
 *   - the leader is a cache; dblocks newer than it are the truth
 *     (next_instance()), and a release is a ballot too, so that they stay
 *     the truth after a late leader write (lfs_paxos_release());
 *   - a proposer whose ballot chose another value steps on to the next
 *     instance when that value names a free or dead owner
 *     (acquire_ballots()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crc32c.h"
#include "delta.h"
#include "paxos.h"

#define HANDOVER_TRIES 20 /* ballots before a release or transfer gives up */
#define HANDOVER_PAUSE_MS 2 /* between two of them */

/* ---- 1. slot I/O ---- */

/* A buffer holding sectors [0, 2 + hw) of one slot, decoded. */
struct slot_view {
	uint32_t hw;                 /* dblocks 1 .. hw were read, of the
	                                hosts in want (invariant 4a) */
	uint8_t *want;               /* [0 .. hw]: 1 = read this host's
	                                dblock; 0 = not in the slot's bucket:
	                                not read, taken as empty */
	uint64_t view_ms;            /* start of the host-area read hw is
	                                from (paxos.h invariant 4) */
	uint32_t inc;                /* incarnation of the lease meant; 0:
	                                the table lease, not checked */
	struct lfs_leader leader;
	struct lfs_dblock *dblocks;  /* [0 .. hw], index = host id */
	unsigned char *buf;          /* (2 + hw) sectors */
};

static uint64_t
slot_offset(const struct lfs_lockspace *ls, uint32_t slot, uint32_t sector)
{
	return (lfs_slot_sector(&ls->layout, slot) + sector) *
	    ls->layout.sector_size;
}

static void
slot_view_free(struct slot_view *v)
{
	free(v->want);
	free(v->dblocks);
	free(v->buf);
	memset(v, 0, sizeof(*v));
}

/* hw for a ballot: our own id and every id ever seen in the host area,
 * and the start of the full host-area read that showed them, taken
 * together: a later full read must not make an older hw look fresh (and
 * renewals, which read only the window, never move it: lockspace.h). */
static void
ballot_high_water(struct lfs_lockspace *ls, struct slot_view *v)
{
	pthread_mutex_lock(&ls->view_lock);
	v->hw = ls->high_water;
	v->view_ms = ls->hosts_read_ms;
	pthread_mutex_unlock(&ls->view_lock);
	if (v->hw < ls->host_id)
		v->hw = ls->host_id;
}

/* Invariant 4a: which dblocks of 1 .. hw a ballot on slot reads, by the
 * same view (taken after hw: the view only learns bits, so it is at least
 * as new as v->view_ms).  Without lazy presence, every one: a small
 * lockspace reads them all in one I/O, as before presence existed. */
static void
ballot_want(struct lfs_lockspace *ls, struct slot_view *v, uint32_t slot)
{
	uint32_t id, bucket = lfs_presence_bucket(slot);

	if (!ls->presence_lazy) {
		memset(v->want, 1, v->hw + 1u);
		return;
	}
	pthread_mutex_lock(&ls->view_lock);
	for (id = 1; id <= v->hw; id++)
		v->want[id] = id == ls->host_id ||
		    lfs_host_in_bucket_locked(ls, id, bucket);
	pthread_mutex_unlock(&ls->view_lock);
}

/*
 * paxos.h invariant 9: a dblock stamped with another incarnation than the
 * lease meant (v->inc).  A newer one means the slot was deleted and reused
 * after our leader read: the lease we mean is gone (-ENOENT), and a ballot
 * about it must not go on, since the reuse reset every dblock it competed
 * with.  An older one is left by a ballot that began before the reuse and
 * wrote after it: it says nothing about this incarnation's instances, so
 * its ballot fields read as empty (its mode, shared.c's, is kept as read).
 * Unstamped (0) dblocks, of binaries before the stamp, count as before.
 */
static int
check_incarnation(struct lfs_lockspace *ls, uint32_t slot,
    struct slot_view *v, uint32_t id)
{
	struct lfs_dblock *d = &v->dblocks[id];

	if (v->inc == 0 || d->incarnation == 0 || d->incarnation == v->inc)
		return 0;
	if (d->incarnation > v->inc) {
		lfs_log(ls->log, LOG_INFO, "slot %u: dblock %u is of incarnation "
		    "%u, newer than %u: the slot was reused", slot, id,
		    d->incarnation, v->inc);
		return -ENOENT;
	}
	d->lver = 0;
	d->mbal = 0;
	d->bal = 0;
	d->inp_id = 0;
	d->inp_gen = 0;
	return 0;
}

/* What read_slot() hands lfs_io_read_verified() for one run of sectors
 * [first, last] of the slot: decoding is quiet, and `bad` says which
 * sector of the slot failed to decode (0 the leader, 1 + id a dblock;
 * NO_BAD_SECTOR none), so that only what is left after the re-reads is
 * logged. */
#define NO_BAD_SECTOR UINT32_MAX
struct slot_decode {
	struct lfs_lockspace *ls;
	uint32_t slot;
	struct slot_view *v;
	int with_leader;
	uint32_t first, last;
	uint32_t bad;
};

static int
decode_slot(void *arg, const void *buf, size_t len)
{
	struct slot_decode *sd = arg;
	struct slot_view *v = sd->v;
	uint32_t id, S = sd->ls->layout.sector_size;
	int rv;

	(void)buf; /* v->buf, from the run's first sector */
	(void)len;
	sd->bad = NO_BAD_SECTOR;
	if (sd->with_leader && sd->first == 0 &&
	    (rv = lfs_leader_decode(&v->leader, v->buf, S)) < 0) {
		sd->bad = 0;
		return rv;
	}
	for (id = sd->first < 2 ? 1 : sd->first - 1; id + 1 <= sd->last; id++) {
		if (!v->want[id])
			continue;
		rv = lfs_dblock_decode(&v->dblocks[id],
		    v->buf + (size_t)(1 + id) * S, S);
		if (rv == -ENODATA)
			memset(&v->dblocks[id], 0, sizeof(v->dblocks[id]));
		else if (rv < 0) {
			sd->bad = 1 + id;
			return rv;
		} else if ((rv = check_incarnation(sd->ls, sd->slot, v, id)) < 0)
			return rv;
	}
	return 0;
}

/* Read one run of sectors [first, last] of the slot into v->buf. */
static int
read_run(struct lfs_lockspace *ls, struct lfs_io *io, uint32_t slot,
    struct slot_view *v, int with_leader, uint32_t first, uint32_t last)
{
	struct slot_decode sd = {
		.ls = ls, .slot = slot, .v = v, .with_leader = with_leader,
		.first = first, .last = last, .bad = NO_BAD_SECTOR,
	};
	uint32_t S = ls->layout.sector_size;
	int rv;

	rv = lfs_io_read_verified(io, slot_offset(ls, slot, first),
	    v->buf + (size_t)first * S, (size_t)(last - first + 1) * S,
	    decode_slot, &sd);
	if (rv >= 0 || sd.bad == NO_BAD_SECTOR)
		return rv; /* decoded, or the read failed, or ENOENT (reuse) */
	if (sd.bad == 0) {
		lfs_log(ls->log, LOG_ERR, "slot %u leader: %s", slot,
		    lfs_decode_strerror(rv));
		return rv == -ENODATA ? -ENOENT : rv;
	}
	lfs_log(ls->log, LOG_ERR, "slot %u dblock %u: %s", slot, sd.bad - 1,
	    lfs_decode_strerror(rv));
	return rv;
}

/* Whether sector k of the slot is one read_slot() must read. */
static int
sector_wanted(const struct slot_view *v, int with_leader, uint32_t k)
{
	return k == 0 ? with_leader : k >= 2 && v->want[k - 1];
}

/* The runs read_slot() reads: wanted sectors, joined across gaps of up to
 * `gap` sectors (reading a few sectors more costs less than another I/O).
 * Fills starts/ends up to max runs and returns how many there are. */
#define SLOT_RUNS_MAX 8
static uint32_t
slot_runs(const struct slot_view *v, int with_leader, uint32_t gap,
    uint32_t *starts, uint32_t *ends)
{
	uint32_t k, n = 0, end = 0;

	for (k = 0; k < 2 + v->hw; k++) {
		if (!sector_wanted(v, with_leader, k))
			continue;
		if (n > 0 && k - end <= gap + 1) {
			end = k;
			if (n <= SLOT_RUNS_MAX)
				ends[n - 1] = k;
			continue;
		}
		if (n < SLOT_RUNS_MAX) {
			starts[n] = k;
			ends[n] = k;
		}
		n++;
		end = k;
	}
	return n;
}

/* Read leader (if with_leader) and the wanted dblocks of 1 .. v->hw into
 * v; the others read as empty (invariant 4a).  Invariant 5: a record that
 * does not decode, read again (diskio.h) and still bad, is an error,
 * never an empty record. */
static int
read_slot(struct lfs_lockspace *ls, struct lfs_io *io, uint32_t slot,
    struct slot_view *v, int with_leader)
{
	uint32_t starts[SLOT_RUNS_MAX], ends[SLOT_RUNS_MAX];
	uint32_t S = ls->layout.sector_size, gap = 8, n, i, id;
	int rv;

	while ((n = slot_runs(v, with_leader, gap, starts, ends)) >
	    SLOT_RUNS_MAX)
		gap *= 2;
	for (i = 0; i < n; i++) {
		if ((rv = read_run(ls, io, slot, v, with_leader, starts[i],
		    ends[i])) < 0)
			return rv;
		/* what was not wanted stays empty, in the buffer too
		 * (stale_for_long() compares it), where a run read through
		 * it; elsewhere nothing ever wrote it (slot_view_init()) */
		for (id = starts[i] < 2 ? 1 : starts[i] - 1; id + 1 <= ends[i];
		    id++)
			if (!v->want[id])
				memset(v->buf + (size_t)(1 + id) * S, 0, S);
	}
	return 0;
}

static int
slot_view_init(struct lfs_lockspace *ls, struct slot_view *v, uint32_t slot)
{
	memset(v, 0, sizeof(*v));
	ballot_high_water(ls, v);
	v->want = calloc(v->hw + 1u, 1);
	v->dblocks = calloc(v->hw + 1u, sizeof(*v->dblocks));
	v->buf = calloc(2u + v->hw, ls->layout.sector_size);
	if (v->want == NULL || v->dblocks == NULL || v->buf == NULL) {
		slot_view_free(v);
		return -ENOMEM;
	}
	ballot_want(ls, v, slot);
	return 0;
}

/*
 * Whether the leader read is the lease ref means: -ENOENT when it is
 * deleted or of a newer incarnation (ref is out of date).  A leader of an
 * OLDER incarnation than ref, which the name table says the slot holds, is
 * a write of the slot's previous lease that landed after the reuse
 * (finding C11 of the simulator, seed 8485: another host's commit of t7,
 * in flight while its owner deleted it and a third host created t8 in the
 * slot).  The leader has no stamp of its own that could keep such a write
 * out, but the reuse reset every dblock with the new incarnation's stamp,
 * which only ballots of the new lease have written since (invariant 9): so
 * the leader reads as the reuse left it (lver 0, free), and the dblocks,
 * the truth (invariant 2a), say whatever happened since.  The next commit
 * writes it right again.
 */
static int
check_ref(struct lfs_leader *ld, const struct lfs_lease_ref *ref)
{
	if (ref->incarnation != 0 && ld->incarnation < ref->incarnation) {
		struct lfs_leader reset = { .incarnation = ref->incarnation };

		memcpy(reset.name, ld->name, sizeof(reset.name));
		*ld = reset;
		return 0;
	}
	if ((ld->flags & LFS_LEADER_DELETED) || ld->incarnation != ref->incarnation)
		return -ENOENT;
	return 0;
}

/* Read one sector at offset and decode it into rec, read again while it
 * does not pass its checksum (diskio.h). */
struct sector_decode {
	int (*decode)(void *, const void *, size_t);
	void *rec;
};

static int
decode_sector(void *arg, const void *buf, size_t len)
{
	struct sector_decode *sd = arg;

	return sd->decode(sd->rec, buf, len);
}

static int
read_sector(struct lfs_lockspace *ls, struct lfs_io *io, uint64_t offset,
    int (*decode)(void *, const void *, size_t), void *rec)
{
	struct sector_decode sd = { .decode = decode, .rec = rec };
	uint32_t S = ls->layout.sector_size;
	unsigned char *buf;
	int rv;

	buf = malloc(S);
	if (buf == NULL)
		return -ENOMEM;
	rv = lfs_io_read_verified(io, offset, buf, S, decode_sector, &sd);
	free(buf);
	return rv;
}

static int
dec_leader(void *r, const void *b, size_t s) { return lfs_leader_decode(r, b, s); }
static int
dec_request(void *r, const void *b, size_t s) { return lfs_request_decode(r, b, s); }

int
lfs_paxos_read_leader(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_ref *ref, struct lfs_leader *out)
{
	int rv;

	rv = read_sector(ls, io, slot_offset(ls, ref->slot, 0), dec_leader, out);
	if (rv == -ENODATA)
		return -ENOENT; /* never initialized: no lease there */
	return rv < 0 ? rv : check_ref(out, ref);
}

/*
 * Invariant 7: no lease write once our generation is finished.  From
 * renewal_fail after our last good renewal L we fence, and others may take
 * our id and our leases from L + host_dead; a new incarnation of our id
 * writes our dblocks again from L + host_dead + 2 io (delta.c).  A write
 * submitted before L + renewal_fail lands, at the latest, 5 io later (the
 * storage promise, lfs_late_write_ms): by L + host_dead + io, before that
 * new incarnation writes.  Slack: 1 io.  A later write could land over it
 * and undo what its ballots accepted (the simulator's finding C6).
 */
static int
live_generation(struct lfs_lockspace *ls)
{
	uint64_t since = lfs_delta_since_renewal_ms(ls);

	if (lfs_delta_generation_live(ls) == 0)
		return 0;
	lfs_log(ls->log, LOG_ERR, "refusing a lease write %llu ms after our "
	    "last good renewal: generation %llu is finished (renewal_fail %u ms)",
	    (unsigned long long)since, (unsigned long long)ls->generation,
	    ls->to.renewal_fail_ms);
	return -EIO;
}

static int
write_sector(struct lfs_lockspace *ls, struct lfs_io *io, uint64_t offset,
    int (*encode)(const void *, void *, size_t), const void *rec)
{
	uint32_t S = ls->layout.sector_size;
	unsigned char *buf;
	int rv;

	buf = malloc(S);
	if (buf == NULL)
		return -ENOMEM;
	rv = encode(rec, buf, S);
	if (rv == 0)    /* checked inside the submit gate (lockspace.h) */
		rv = lfs_lockspace_write_checked(ls, io, offset, buf, S,
		    live_generation);
	free(buf);
	return rv;
}

static int
enc_leader(const void *r, void *b, size_t s) { return lfs_leader_encode(r, b, s); }
static int
enc_dblock(const void *r, void *b, size_t s) { return lfs_dblock_encode(r, b, s); }
static int
enc_request(const void *r, void *b, size_t s) { return lfs_request_encode(r, b, s); }

static int
write_leader(struct lfs_lockspace *ls, struct lfs_io *io, uint32_t slot,
    const struct lfs_leader *ld)
{
	return write_sector(ls, io, slot_offset(ls, slot, 0), enc_leader, ld);
}

static int
write_dblock(struct lfs_lockspace *ls, struct lfs_io *io, uint32_t slot,
    const struct lfs_dblock *d)
{
	int rv;

	if ((rv = lfs_delta_presence_check(ls, slot)) < 0)
		return rv; /* invariant 4a: read_for_ballot() waited first */
	return write_sector(ls, io, slot_offset(ls, slot, 1 + ls->host_id),
	    enc_dblock, d);
}

/*
 * Invariant 6: no lease write while a write of ours may still land.  A
 * timed-out write stays owned by the kernel and may reach the disk at any
 * later time; landing in the middle of a later ballot (or over a later
 * leader) it would undo what that ballot relied on.  Until the kernel has
 * completed every abandoned I/O of this context, lease operations fail;
 * of every context of its group when it has one (ioset.h), since a slot
 * may be written through more than one context of a host (a name-table
 * operation's ballot on context 0, the slot's own ballots on its own).
 */
int
lfs_paxos_settled(struct lfs_lockspace *ls, struct lfs_io *io)
{
	uint32_t pending = lfs_io_reap_group(io), own = io->stats.abandoned;

	if (pending == 0)
		return 0;
	lfs_log(ls->log, LOG_WARNING, "lease I/O refused: %u timed-out I/O(s) "
	    "still pending (%u of this context)", pending, own);
	return -EIO;
}

/* ---- 2. the ballot ---- */

uint64_t
lfs_ballot_next(uint64_t above, uint32_t max_hosts, uint32_t host_id)
{
	uint64_t k = above / max_hosts;
	uint64_t b = k * max_hosts + host_id;

	return b > above ? b : b + max_hosts;
}

/* Whether the last full host-area read is recent enough to start a
 * ballot on (renewals do not count: they read only the window). */
static int
hosts_fresh(struct lfs_lockspace *ls)
{
	uint64_t at;

	pthread_mutex_lock(&ls->view_lock);
	at = ls->hosts_read_ms;
	pthread_mutex_unlock(&ls->view_lock);
	return lfs_clock_ms(ls->clock) - at <= ls->to.hosts_fresh_ms;
}

/* paxos.h invariant 4: a phase read counts only if it completed within
 * hosts_fresh of the start of the host-area read that v->hw came from.  It
 * is checked after the read, so that a stall anywhere before it (between
 * the check and io_submit, in the queue) cannot slip a late read through. */
static int
phase_read_in_time(struct lfs_lockspace *ls, const struct slot_view *v)
{
	return lfs_clock_ms(ls->clock) - v->view_ms <= ls->to.hosts_fresh_ms;
}

/* Re-read dblocks; -EAGAIN when some host of instance n has mbal > ours,
 * or when the read came too late for v->hw to cover every writer. */
static int
phase_read(struct lfs_lockspace *ls, struct lfs_io *io, uint32_t slot,
    struct slot_view *v, uint64_t n, uint64_t mbal)
{
	uint32_t id;
	int rv;

	if (!phase_read_in_time(ls, v))
		return -EAGAIN; /* no use reading: it would be too late */
	if ((rv = read_slot(ls, io, slot, v, 0)) < 0)
		return rv;
	if (!phase_read_in_time(ls, v))
		return -EAGAIN;
	for (id = 1; id <= v->hw; id++) {
		if (id == ls->host_id)
			continue;
		if (v->dblocks[id].lver > n)
			return -EAGAIN; /* instance n is over: re-read leader */
		if (v->dblocks[id].lver == n && v->dblocks[id].mbal > mbal)
			return -EAGAIN;
	}
	return 0;
}

/* The value of the block of instance n with the largest bal, if any. */
static void
pick_value(const struct slot_view *v, uint64_t n, uint32_t *id, uint64_t *gen)
{
	uint64_t best = 0;
	uint32_t q;

	for (q = 1; q <= v->hw; q++) {
		const struct lfs_dblock *d = &v->dblocks[q];

		if (d->lver == n && d->bal > best) {
			best = d->bal;
			*id = d->inp_id;
			*gen = d->inp_gen;
		}
	}
}

/*
 * Run instance n proposing (*id, *gen); v holds a read of the slot.  On
 * return 0, (*id, *gen) is the value chosen for instance n.  Nothing is
 * committed here: see commit().
 *
 * handover: the ballot is the owner of instance n - 1 giving the lease on
 * (a release or a transfer, ballot_handover()).  Its phase 1 dblock says
 * so, in the fields phase 2 fills: bal 0 (no value accepted, so no ballot
 * ever picks it: pick_value()) and inp = our own id and generation.  An
 * acquire's phase 1 leaves them 0.  stale_handover_by_none_live() reads
 * the mark; nothing else does.
 */
static int
run_ballot(struct lfs_lockspace *ls, struct lfs_io *io, uint32_t slot,
    struct slot_view *v, uint64_t n, uint32_t *id, uint64_t *gen,
    int handover, int *accepting)
{
	struct lfs_dblock mine = { .lver = n };
	uint64_t max_mbal = 0;
	uint32_t q;
	int rv;

	for (q = 1; q <= v->hw; q++)
		if (v->dblocks[q].lver == n && v->dblocks[q].mbal > max_mbal)
			max_mbal = v->dblocks[q].mbal;
	if (v->dblocks[ls->host_id].lver == n)
		mine = v->dblocks[ls->host_id]; /* keep what we accepted */
	/* our mode rides along unchanged in every ballot write (shared.h):
	 * only lfs_shared_*() change it, and they too write the whole sector */
	mine.mode_flags = v->dblocks[ls->host_id].mode_flags;
	mine.mode_gen = v->dblocks[ls->host_id].mode_gen;
	mine.mode_lver = v->dblocks[ls->host_id].mode_lver;
	mine.mbal = lfs_ballot_next(max_mbal, ls->layout.max_hosts, ls->host_id);
	mine.incarnation = v->inc; /* invariant 9 */
	if (handover && mine.bal == 0) {
		mine.inp_id = ls->host_id;
		mine.inp_gen = ls->generation;
	}

	/* phase 1 */
	if ((rv = write_dblock(ls, io, slot, &mine)) < 0)
		return rv;
	if ((rv = phase_read(ls, io, slot, v, n, mine.mbal)) < 0)
		return rv;
	pick_value(v, n, id, gen);

	/* phase 2: from here on the value may be accepted on disk, whatever
	 * the calls below return (a write that fails or times out may land) */
	mine.bal = mine.mbal;
	mine.inp_id = *id;
	mine.inp_gen = *gen;
	if (accepting != NULL)
		*accepting = 1;
	if ((rv = write_dblock(ls, io, slot, &mine)) < 0)
		return rv;
	return phase_read(ls, io, slot, v, n, mine.mbal);
}

/*
 * Write the leader for instance n, value (id, gen).  Only the proposer of a
 * value commits it (invariant 2): a host that merely carried someone else's
 * value through phase 2 never writes the leader, since such a write could
 * land late, over a newer leader, with no program order to stop it.
 */
static int
commit(struct lfs_lockspace *ls, struct lfs_io *io, uint32_t slot,
    const struct lfs_leader *prev, uint64_t n, uint32_t id, uint64_t gen,
    struct lfs_leader *out)
{
	*out = *prev;
	out->lver = n;
	out->owner_id = id;
	out->owner_gen = gen;
	out->writer_id = ls->host_id;
	out->wall_time = (uint64_t)time(NULL);
	return write_leader(ls, io, slot, out);
}

/*
 * The instance to run next.  The leader is a cache of chosen values; the
 * dblocks are the truth.  A dblock of an instance newer than the leader
 * means that instance is under way, or was decided and its commit was
 * overwritten or never written: it is run (again) before anything else --
 * by anyone when the leader's owner is free or dead, else only by that
 * owner (lfs_paxos_acquire()).
 */
static uint64_t
next_instance(const struct slot_view *v, int *stale)
{
	uint64_t m = 0;
	uint32_t q;

	for (q = 1; q <= v->hw; q++)
		if (v->dblocks[q].lver > m)
			m = v->dblocks[q].lver;
	*stale = m > v->leader.lver;
	return *stale ? m : v->leader.lver + 1;
}

/* Whether some host accepted a value (bal > 0) in instance n. */
static int
instance_accepted(const struct slot_view *v, uint64_t n)
{
	uint32_t q;

	for (q = 1; q <= v->hw; q++)
		if (v->dblocks[q].lver == n && v->dblocks[q].bal > 0)
			return 1;
	return 0;
}

int
lfs_paxos_read_instance(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_ref *ref, struct lfs_leader *leader,
    uint64_t *newest)
{
	struct slot_view v = { 0 };
	int rv, stale;

	if ((rv = slot_view_init(ls, &v, ref->slot)) < 0)
		return rv;
	v.inc = ref->incarnation;
	rv = read_slot(ls, io, ref->slot, &v, 1);
	if (rv == 0)
		rv = check_ref(&v.leader, ref);
	if (rv == 0) {
		uint64_t n = next_instance(&v, &stale);

		*leader = v.leader;
		*newest = stale ? n : v.leader.lver;
	}
	slot_view_free(&v);
	return rv;
}

int
lfs_paxos_read_marked(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_ref *ref, uint32_t hw, const uint8_t *want,
    struct lfs_leader *leader, struct lfs_dblock *dblocks)
{
	struct slot_view v = { 0 };
	int rv = -ENOMEM;

	v.hw = hw;
	v.inc = ref->incarnation;
	v.want = malloc(hw + 1u);
	v.dblocks = calloc(hw + 1u, sizeof(*v.dblocks));
	v.buf = calloc(2u + hw, ls->layout.sector_size);
	if (v.want != NULL && v.dblocks != NULL && v.buf != NULL) {
		memcpy(v.want, want, hw + 1u);
		v.want[0] = 0;
		rv = read_slot(ls, io, ref->slot, &v, 1);
	}
	if (rv == 0) {
		*leader = v.leader;
		memcpy(dblocks, v.dblocks, (hw + 1u) * sizeof(*dblocks));
	}
	slot_view_free(&v);
	return rv;
}

/*
 * Whether slot has shown this stale state (newest instance n, the same
 * dblocks) for io_timeout or more, as seen by our calls.  A live owner's
 * handover commits within io_timeout of its accepting write: its commit is
 * the write right after its phase 2 read, each given up after io_timeout.
 * Remembered per slot in a few entries of the lockspace; a slot that falls
 * out just waits again.
 */
static int
stale_for_long(struct lfs_lockspace *ls, uint32_t slot,
    const struct slot_view *v, uint64_t n)
{
	uint32_t S = ls->layout.sector_size;
	uint32_t crc = lfs_crc32c(v->buf + 2 * (size_t)S, (size_t)v->hw * S);
	uint64_t now = lfs_clock_ms(ls->clock);
	struct lfs_stale_seen *e, *pick = NULL;
	size_t i;
	int rv = 0;

	pthread_mutex_lock(&ls->view_lock);
	for (i = 0; i < sizeof(ls->stale_seen) / sizeof(ls->stale_seen[0]); i++) {
		e = &ls->stale_seen[i];
		if (e->slot == slot) {
			pick = e;
			break;
		}
		if (pick == NULL || e->slot == 0 ||
		    (pick->slot != 0 && e->since_ms < pick->since_ms))
			pick = e;
	}
	if (pick->slot == slot && pick->lver == n && pick->crc == crc)
		rv = now - pick->since_ms >= ls->to.io_timeout_ms;
	else {
		pick->slot = slot;
		pick->lver = n;
		pick->crc = crc;
		pick->since_ms = now;
	}
	pthread_mutex_unlock(&ls->view_lock);
	return rv;
}

/* ---- 3. acquire, release, transfer ---- */

/* Read the slot (refreshing the host view first when it is too old for a
 * ballot) and check it is the lease we mean.  Our presence in the slot's
 * bucket comes first (invariant 4a): its wait, if any, is over before the
 * view a ballot goes by is taken. */
static int
read_for_ballot(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_ref *ref, struct slot_view *v)
{
	int rv;

	if ((rv = lfs_delta_presence_ready(ls, io, ref->slot)) < 0)
		return rv;
	if (!hosts_fresh(ls) && (rv = lfs_hosts_refresh(ls, io)) < 0)
		return rv;
	if ((rv = slot_view_init(ls, v, ref->slot)) < 0)
		return rv;
	v->inc = ref->incarnation;
	rv = read_slot(ls, io, ref->slot, v, 1);
	if (rv == 0)
		rv = check_ref(&v->leader, ref);
	return rv;
}

static int
owner_busy(struct lfs_lockspace *ls, uint32_t id, uint64_t gen)
{
	enum lfs_host_state st;

	if (id == 0)
		return 0;
	st = lfs_host_state(ls, id, gen);
	return st == LFS_HOST_STATE_LIVE || st == LFS_HOST_STATE_FAILING;
}

/* The first host other than us whose mode block in v shows it holding
 * the lease shared, and which is not dead (shared.h: the exclusion rule),
 * or 0.  A mode of a dead generation, or of a generation older than its
 * host's record, holds nothing. */
static uint32_t
shared_busy(struct lfs_lockspace *ls, const struct slot_view *v)
{
	uint32_t q;

	for (q = 1; q <= v->hw; q++)
		if (q != ls->host_id &&
		    (v->dblocks[q].mode_flags & LFS_MODE_SHARED) &&
		    owner_busy(ls, q, v->dblocks[q].mode_gen))
			return q;
	return 0;
}

/* The first host other than us whose dblock shows a handover of its own
 * in instance n (run_ballot()'s mark: bal 0, inp = that host and a live
 * generation of it), or 0. */
static uint32_t
live_handover(struct lfs_lockspace *ls, const struct slot_view *v, uint64_t n)
{
	uint32_t q;

	for (q = 1; q <= v->hw; q++) {
		const struct lfs_dblock *d = &v->dblocks[q];

		if (q != ls->host_id && d->lver == n && d->bal == 0 &&
		    d->inp_id == q && owner_busy(ls, q, d->inp_gen))
			return q;
	}
	return 0;
}

/*
 * Whether the stale instance n (no accepted value in it) may be run by us
 * whoever the leader names: the leader is provably behind (n >=
 * leader.lver + 2), and no live host but us shows a handover in instance n
 * (run_ballot()'s mark: bal 0, inp = that host and a generation of it that
 * is live).  Finding C9 of the simulator: a leader regressed by a late
 * commit (or never written for an instance that acquire_ballots() stepped
 * over), an accepted value one instance above it, and the newest instance
 * begun by hosts that then gave up: the leader's owner, live, holds
 * nothing, and nobody would ever run an instance again.
 *
 * Why it is safe.  The first host to write a dblock of instance n had
 * learnt the value V chosen in n - 1: from a leader committed for n - 1
 * naming a free or dead owner (an acquire), from its own ballot of n - 1
 * choosing such a value (acquire_ballots()), or because it was V's owner
 * handing over (ballot_handover(): a release or a transfer, after which
 * that host may still hold the lease if its ballot went no further).  A
 * ballot on the stale path only runs an instance that some dblock already
 * shows.  So when V names a live host Y other than us, Y wrote the first
 * dblock of instance n, as a handover, and it still shows (only Y writes
 * it, keeping the mark while it has accepted nothing in n, and Y has not
 * gone past n, the newest).  Hence: no live other host's handover in
 * instance n means V is free, dead, or ours (a holder of it would not be
 * acquiring).  And n >= leader.lver + 2 means instances leader.lver + 1
 * .. n - 1 were all decided, so the live owner the leader names holds
 * nothing by it (its own handover would run instance leader.lver + 1,
 * decided already, and learn so) -- unlike n == leader.lver + 1, which may
 * be that owner's transfer or release about to begin.
 */
static int
stale_handover_by_none_live(struct lfs_lockspace *ls,
    const struct slot_view *v, uint64_t n)
{
	if (n < v->leader.lver + 2 || instance_accepted(v, n))
		return 0;
	return live_handover(ls, v, n) == 0;
}

#define ACQUIRE_INSTANCES 4 /* decided instances stepped over in one call */

/* Ballots from instance n on until one chooses us, or a live host. */
static int
acquire_ballots(struct lfs_lockspace *ls, struct lfs_io *io, uint32_t slot,
    struct slot_view *v, uint64_t n, struct lfs_leader *out)
{
	uint32_t id;
	uint64_t gen;
	int i, rv;

	for (i = 0; i < ACQUIRE_INSTANCES; i++, n++) {
		id = ls->host_id;
		gen = ls->generation;
		if ((rv = run_ballot(ls, io, slot, v, n, &id, &gen, 0,
		    NULL)) < 0)
			return rv;
		if (id == ls->host_id && gen == ls->generation)
			return commit(ls, io, slot, &v->leader, n, id, gen, out);
		if (owner_busy(ls, id, gen)) {
			/* we proposed it in our ballot: commit it, so that a
			 * leader that was stale or regressed is right again
			 * (invariant 2); a failure here changes nothing */
			commit(ls, io, slot, &v->leader, n, id, gen, out);
			return -EBUSY;
		}
		/* decided for a free or dead value: go on to the next one */
		v->leader.lver = n;
		v->leader.owner_id = id;
		v->leader.owner_gen = gen;
	}
	return -EAGAIN;
}

static int ballot_handover_retry(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_ref *ref, const struct lfs_leader *held,
    uint32_t to_id, uint64_t to_gen, struct lfs_leader *out);

/*
 * An exclusive acquire that won while some live host holds the lease shared
 * (its mode was set before our ballot, shared.h), or found it ours already
 * under such a holder, lets the lease go again: -EBUSY, or -EINPROGRESS
 * with *out still ours when letting go failed.
 */
static int
refuse_under_shared(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_ref *ref, uint32_t holder, struct lfs_leader *out)
{
	struct lfs_leader ld;
	int rv;

	lfs_log(ls->log, LOG_INFO, "%s: lver %llu is ours but host %u holds "
	    "it shared: letting it go", out->name, (unsigned long long)out->lver,
	    holder);
	rv = ballot_handover_retry(ls, io, ref, out, 0, 0, &ld);
	if (rv == 0)
		return -EBUSY;
	lfs_log(ls->log, LOG_ERR, "%s: letting lver %llu go failed (%s): still "
	    "ours, to be released", out->name, (unsigned long long)out->lver,
	    strerror(-rv));
	return -EINPROGRESS;
}

/* Acquire; excl: refuse (-EBUSY) while another live host holds it shared
 * (lfs_paxos_acquire()), else ignore shared holders (shared.c's transit). */
static int
acquire_mode(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_ref *ref, const char *name, int excl,
    struct lfs_leader *out)
{
	struct slot_view v = { 0 };
	uint64_t n;
	uint32_t holder;
	int rv, stale;

	memset(out, 0, sizeof(*out)); /* -EBUSY: owner_id 0 unless named */
	if (ls->host_id == 0)
		return -ENOTCONN;
	if ((rv = lfs_paxos_settled(ls, io)) < 0)
		return rv;
	if ((rv = read_for_ballot(ls, io, ref, &v)) < 0)
		goto out;
	n = next_instance(&v, &stale);
	if (!stale && v.leader.owner_id == ls->host_id &&
	    v.leader.owner_gen == ls->generation) {
		*out = v.leader;
		rv = -EALREADY;
		/* ours, but another host holds it shared: a transit hold of
		 * shared.c, or an aborted ballot of ours that another host
		 * carried to its end (invariant 2a).  Not an exclusive hold
		 * for anyone: let it go, as a winner under a shared holder
		 * does (shared.h rule 2) */
		if (excl && (holder = shared_busy(ls, &v)) != 0)
			rv = refuse_under_shared(ls, io, ref, holder, out);
		goto out;
	}
	/*
	 * While the leader names a live owner, only that owner may start the
	 * next instance (a handover), even when a newer dblock shows one under
	 * way: that dblock may be the owner's own transfer or release, and a
	 * ballot of ours could otherwise choose us while its holders still
	 * run.  But once some host accepted a value for that newer instance
	 * (a bal), any ballot of it can only choose an accepted value, never
	 * us unless we are it: then it may be run to its end and committed,
	 * which is what mends a leader regressed by a late write (invariant
	 * 2a).  The owner named by such a leader runs it at once, accepted
	 * value or not (it knows it holds nothing, or it would not acquire:
	 * the dblock is a handover of its own that stopped) -- but without
	 * an accepted value only when it is instance leader.lver + 1, the one
	 * its handover runs: a newer one means instances were decided since,
	 * the leader was left behind, and the dblock may be another owner's
	 * handover, which a fresh value of ours could beat
	 * (test_stale_leader_ours_not_our_handover: that owner still held, we
	 * chose ourselves); that is stale_handover_by_none_live()'s to judge,
	 * for every host alike.  Anyone else, only with an accepted value,
	 * waits until the
	 * same stale state has lasted io_timeout (stale_for_long()), so as not
	 * to duel with a live owner's handover, whose commit lands within that.
	 * Without an accepted value, see stale_begun_by_none_live().
	 */
	if (stale && v.leader.owner_id == ls->host_id &&
	    v.leader.owner_gen == ls->generation &&
	    (n == v.leader.lver + 1 || instance_accepted(&v, n)))
		; /* ours: an unfinished handover of ours, run to its end */
	else if (stale && instance_accepted(&v, n) &&
	    (!owner_busy(ls, v.leader.owner_id, v.leader.owner_gen) ||
	    stale_for_long(ls, ref->slot, &v, n)))
		;
	else if (stale && stale_handover_by_none_live(ls, &v, n))
		; /* a leader left behind: finding C9 */
	else if (stale && v.leader.owner_id == ls->host_id) {
		rv = -EBUSY; /* an older generation of ours: not ours to run */
		goto out;
	} else if (stale && !instance_accepted(&v, n) &&
	    live_handover(ls, &v, n) != 0) {
		/*
		 * A live host's handover began instance n and accepted nothing
		 * yet: by stale_handover_by_none_live()'s argument that host
		 * owns n - 1 and may still hold it (a transfer that failed
		 * before its phase 2, a release to be retried), whatever the
		 * leader says: a leader regressed by a late write can name a
		 * free owner of an older instance (finding C14, the
		 * simulator's seed 208305: a late release of host 5 landed
		 * over host 13's leader, and a ballot of ours chose us while
		 * host 13 held).  It runs n itself, or dies.
		 */
		rv = -EBUSY;
		goto out;
	} else if (owner_busy(ls, v.leader.owner_id, v.leader.owner_gen)) {
		*out = v.leader; /* whose release a waiter waits for */
		rv = -EBUSY;
		goto out;
	}
	/* shared holders: not worth a ballot when the read shows one already
	 * (rechecked after the ballot, which is what decides) */
	if (excl && shared_busy(ls, &v) != 0) {
		rv = -EBUSY;
		goto out;
	}
	if (name != NULL)
		snprintf(v.leader.name, sizeof(v.leader.name), "%s", name);
	rv = acquire_ballots(ls, io, ref->slot, &v, n, out);
	/* v now holds the winning ballot's phase 2 read, made after every
	 * shared mode set before it was on disk (shared.h, rule 2) */
	if (rv == 0 && excl && (holder = shared_busy(ls, &v)) != 0)
		rv = refuse_under_shared(ls, io, ref, holder, out);
	if (rv == 0)    /* slot 0, the name table's lease: debug (log.h) */
		lfs_log(ls->log, ref->slot == 0 ? LOG_DEBUG : LOG_NOTICE,
		    "%s: acquired lver %llu (host %u gen "
		    "%llu)", out->name, (unsigned long long)out->lver,
		    ls->host_id, (unsigned long long)ls->generation);
out:
	slot_view_free(&v);
	return rv;
}

int
lfs_paxos_acquire(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_ref *ref, const char *name, struct lfs_leader *out)
{
	return acquire_mode(ls, io, ref, name, 1, out);
}

int
lfs_paxos_acquire_transit(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_ref *ref, const char *name, struct lfs_leader *out)
{
	return acquire_mode(ls, io, ref, name, 0, out);
}

/* We still own instance held->lver: the leader shows it, or an older
 * instance whose late commit overwrote ours (nobody can have gone past an
 * instance decided for a live owner). */
static int
still_owner(struct lfs_lockspace *ls, const struct lfs_leader *disk,
    const struct lfs_leader *held)
{
	if (held->owner_id != ls->host_id || held->owner_gen != ls->generation)
		return 0;
	if (disk->lver < held->lver)
		return 1;
	return disk->lver == held->lver && disk->owner_id == held->owner_id &&
	    disk->owner_gen == held->owner_gen;
}

/* Give the lease to (to_id, to_gen), or free it with (0, 0), by running
 * instance held->lver + 1 ourselves: used for transfer, and for release
 * when our delta lease is not safely fresh (a host that thinks us dead may
 * be running a ballot). */
static int
ballot_handover(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_ref *ref, const struct lfs_leader *held,
    uint32_t to_id, uint64_t to_gen, int retry, int *accepting,
    struct lfs_leader *out)
{
	struct slot_view v = { 0 };
	uint64_t n = held->lver + 1;
	uint32_t id = to_id;
	uint64_t gen = to_gen;
	int rv, stale;

	if ((rv = lfs_paxos_settled(ls, io)) < 0)
		return rv;
	if ((rv = read_for_ballot(ls, io, ref, &v)) < 0)
		goto out;
	if (v.leader.lver == n && v.leader.owner_id == to_id &&
	    v.leader.owner_gen == to_gen) {
		*out = v.leader; /* our previous try was chosen and committed */
		goto out;
	}
	if (retry && to_id == 0 && held->owner_id == ls->host_id &&
	    held->owner_gen == ls->generation &&
	    v.dblocks[ls->host_id].lver == n && v.dblocks[ls->host_id].bal > 0 &&
	    v.dblocks[ls->host_id].inp_id == 0 &&
	    (v.leader.lver >= n || next_instance(&v, &stale) > n)) {
		/*
		 * A release whose instance was run to its end by another host:
		 * we had accepted "nobody" in it in an earlier try of this
		 * call, and the lease has moved on since, so the instance is
		 * over and what we held is let go, whichever host finished it
		 * (invariant 2a).
		 */
		lfs_log(ls->log, LOG_INFO, "%s: release of lver %llu completed "
		    "by another host (now lver %llu)", v.leader.name,
		    (unsigned long long)held->lver,
		    (unsigned long long)v.leader.lver);
		*out = v.leader;
		goto out;
	}
	if (!still_owner(ls, &v.leader, held) || next_instance(&v, &stale) > n) {
		lfs_log(ls->log, LOG_ERR, "%s: lost: disk shows lver %llu owner "
		    "%u gen %llu, we held lver %llu", v.leader.name,
		    (unsigned long long)v.leader.lver, v.leader.owner_id,
		    (unsigned long long)v.leader.owner_gen,
		    (unsigned long long)held->lver);
		rv = -EPERM;
		goto out;
	}
	if (v.dblocks[ls->host_id].lver == n && v.dblocks[ls->host_id].bal > 0 &&
	    v.dblocks[ls->host_id].inp_id == to_id &&
	    v.dblocks[ls->host_id].inp_gen == to_gen)
		*accepting = 1; /* an earlier try accepted it already */
	if ((rv = run_ballot(ls, io, ref->slot, &v, n, &id, &gen, 1,
	    accepting)) < 0)
		goto out;
	if (id != to_id || gen != to_gen) {
		*accepting = 0; /* chosen otherwise: not ours, not the target's */
		lfs_log(ls->log, LOG_ERR, "%s: lost: instance %llu chose host %u "
		    "gen %llu", v.leader.name, (unsigned long long)n, id,
		    (unsigned long long)gen);
		rv = -EPERM; /* a host that took us for dead won instance n */
	} else if ((rv = commit(ls, io, ref->slot, &v.leader, n, id, gen,
	    out)) < 0) {
		/*
		 * Instance n chose (to_id, to_gen): that is final, whatever
		 * became of the leader write (it may still land).  We are not
		 * the owner any more; only the leader, which the target waits
		 * for, is missing, and only we may write it (invariant 2).
		 * Calling again runs instance n again, which can only choose
		 * the same value, and commits it.
		 */
		lfs_log(ls->log, LOG_WARNING, "%s: instance %llu chose host %u "
		    "gen %llu, but its leader write failed (%s): no longer "
		    "ours, commit pending", v.leader.name,
		    (unsigned long long)n, id, (unsigned long long)gen,
		    strerror(-rv));
		rv = -EINPROGRESS;
	}
out:
	slot_view_free(&v);
	return rv;
}

/* A handover ballot only competes with hosts that think us dead, or with
 * our own earlier try; a larger ballot number makes it abort: try again. */
static int
ballot_handover_retry(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_ref *ref, const struct lfs_leader *held,
    uint32_t to_id, uint64_t to_gen, struct lfs_leader *out)
{
	int i, rv = -EAGAIN, accepting = 0;

	for (i = 0; i < HANDOVER_TRIES && rv == -EAGAIN; i++) {
		if (i > 0) /* on the lockspace's clock, like every wait of core */
			lfs_clock_sleep(ls->clock, HANDOVER_PAUSE_MS);
		rv = ballot_handover(ls, io, ref, held, to_id, to_gen, i > 0,
		    &accepting, out);
	}
	/*
	 * A transfer that failed after the target was accepted in instance n
	 * may still be chosen: another host may run n to its end (invariant
	 * 2a) and commit it, and the target then holds.  So it is not ours
	 * any more (-EINPROGRESS: stop the holders), until a later call
	 * finishes it.
	 */
	if (rv < 0 && rv != -EINPROGRESS && to_id != 0 &&
	    accepting) {
		lfs_log(ls->log, LOG_WARNING, "transfer to host %u failed after "
		    "it was accepted (%s): the lease may be the target's; "
		    "treated as gone, to be finished", to_id, strerror(-rv));
		*out = *held;
		out->lver = held->lver + 1;
		out->owner_id = to_id;
		out->owner_gen = to_gen;
		rv = -EINPROGRESS;
	}
	return rv;
}

/* Tell waiters elsewhere that ref changed hands (notice.h): after the
 * ballot, so that a waiter woken by the notice finds it done.  A hint: its
 * failure only delays them (to their fallback poll).  The table lease
 * (slot 0) has no waiters. */
static void
post_notice(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_ref *ref)
{
	int rv;

	if (ref->slot == 0 || !ls->notice_on)
		return;
	rv = lfs_delta_notice(ls, io, ref->slot);
	if (rv < 0)
		lfs_log(ls->log, LOG_DEBUG, "slot %u: change notice not "
		    "written: %s", ref->slot, strerror(-rv));
}

/*
 * A release is a ballot of the next instance choosing nobody, like a
 * transfer to nobody.  A plain leader write (the fast way) left no trace in
 * the dblocks: had a late write of an older leader then landed over it, the
 * dblocks would still name us as the owner of our last instance, a live host
 * that holds nothing, and the lease would be busy for good.  With the
 * release in the dblocks, such a regressed leader is stale, and the next
 * acquire runs the release's instance to its end (invariant 2a).
 */
int
lfs_paxos_release(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_ref *ref, const struct lfs_leader *held)
{
	struct lfs_leader ld;
	int rv;

	rv = ballot_handover_retry(ls, io, ref, held, 0, 0, &ld);
	if (rv == 0)
		lfs_log(ls->log, ref->slot == 0 ? LOG_DEBUG : LOG_NOTICE,
		    "%s: released lver %llu (now %llu)",
		    ld.name, (unsigned long long)held->lver,
		    (unsigned long long)ld.lver);
	if (rv == 0)
		post_notice(ls, io, ref);
	return rv;
}

int
lfs_paxos_transfer(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_ref *ref, const struct lfs_leader *held,
    uint32_t to_id, uint64_t to_gen, struct lfs_leader *out)
{
	struct lfs_host_view target;
	int rv;

	if (to_id == ls->host_id)
		return -EINVAL;
	if (to_id == 0 || to_id > ls->layout.max_hosts ||
	    lfs_host_get(ls, to_id, &target) < 0)
		return -ENOENT;
	/* the generation must be the one now renewing: a lease given to a
	 * generation that does not exist could be used by nobody */
	if (target.corrupt || target.rec.generation != to_gen ||
	    lfs_host_state(ls, to_id, to_gen) != LFS_HOST_STATE_LIVE)
		return -EHOSTDOWN;
	rv = ballot_handover_retry(ls, io, ref, held, to_id, to_gen, out);
	if (rv == 0)
		lfs_log(ls->log, LOG_NOTICE, "%s: transferred to host %u gen %llu "
		    "lver %llu", out->name, to_id, (unsigned long long)to_gen,
		    (unsigned long long)out->lver);
	if (rv == 0)
		post_notice(ls, io, ref);
	return rv;
}

/* ---- 4. requests ---- */

int
lfs_paxos_read_request(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_ref *ref, struct lfs_request *out)
{
	int rv;

	rv = read_sector(ls, io, slot_offset(ls, ref->slot, 1), dec_request, out);
	if (rv == -ENODATA) {
		memset(out, 0, sizeof(*out)); /* no request ever written */
		rv = 0;
	}
	return rv;
}

/*
 * The request record has many possible writers; the last one wins, which
 * is all a request needs: it is a hint to the owner, never a grant.  A
 * requester clears only a record that still names itself.
 */
int
lfs_paxos_write_request(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_ref *ref, int want)
{
	struct lfs_request rq;
	struct lfs_leader ld;
	int rv;

	if ((rv = lfs_paxos_settled(ls, io)) < 0 ||
	    (rv = lfs_paxos_read_request(ls, io, ref, &rq)) < 0)
		return rv;
	if (want != LFS_REQUEST_ASK && want != LFS_REQUEST_CLAIM &&
	    want != LFS_REQUEST_CLEAR)
		return -EINVAL;
	if (want == LFS_REQUEST_CLEAR) {
		if (rq.host_id != ls->host_id)
			return 0;
		rq.host_id = 0;
		rq.host_gen = 0;
	} else {
		if ((rv = lfs_paxos_read_leader(ls, io, ref, &ld)) < 0)
			return rv;
		rq.host_id = ls->host_id;
		rq.host_gen = ls->generation;
		/* a claim: one past the leader read (paxos.h, requests) */
		rq.lver = ld.lver + (want == LFS_REQUEST_CLAIM);
		/* invariant 4a: a lease we ask for may come to us by a
		 * transfer (a migration's destination), and our first ballot
		 * on it would wait join_delay; publish our bit now instead
		 * (a hint: its failure changes nothing but that wait) */
		(void)lfs_delta_presence_early(ls, io, ref->slot);
	}
	rq.seq++;
	return write_sector(ls, io, slot_offset(ls, ref->slot, 1), enc_request,
	    &rq);
}

int
lfs_request_is_claim(const struct lfs_request *rq,
    const struct lfs_leader *held)
{
	return rq->host_id != 0 && rq->lver == held->lver + 1;
}
