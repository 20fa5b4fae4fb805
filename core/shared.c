/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * shared.c - shared holds: our mode in our own dblock sector (shared.h).
 *
 * Sections:
 *   1. our own dblock sector: read it, write it with a new mode
 *   2. acquire, finish, release, downgrade
 *   3. listing the holders
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "delta.h"
#include "shared.h"

/* ---- 1. our own dblock sector ---- */

static uint64_t
dblock_offset(const struct lfs_lockspace *ls, uint32_t slot, uint32_t id)
{
	return (lfs_slot_sector(&ls->layout, slot) + LFS_SLOT_HEADER_SECTORS - 1 +
	    id) * ls->layout.sector_size;
}

/* For lfs_io_read_verified(): a decoder's error when a sector of buf reads
 * as a torn record might (read again: diskio.h), else 0; the callers
 * decode.  buf is one dblock, or a slot's header sectors (the leader
 * first; the request is not checked) and dblocks. */
static int
slot_checksums(void *arg, const void *buf, size_t len)
{
	const struct lfs_lockspace *ls = arg;
	const unsigned char *p = buf;
	uint32_t S = ls->layout.sector_size;
	struct lfs_leader ld;
	struct lfs_dblock d;
	size_t off = 0;
	int rv;

	if (len > S) {
		if (lfs_decode_maybe_torn(rv = lfs_leader_decode(&ld, p, S)))
			return rv;
		off = (size_t)LFS_SLOT_HEADER_SECTORS * S;
	}
	for (; off < len; off += S)
		if (lfs_decode_maybe_torn(rv = lfs_dblock_decode(&d, p + off, S)))
			return rv;
	return 0;
}

/* Our dblock as on disk (all zero when never written), which is what we
 * last wrote: lfs_paxos_settled() was checked by the caller. */
static int
read_own(struct lfs_lockspace *ls, struct lfs_io *io, uint32_t slot,
    struct lfs_dblock *d)
{
	uint32_t S = ls->layout.sector_size;
	unsigned char *buf;
	int rv;

	if ((buf = malloc(S)) == NULL)
		return -ENOMEM;
	rv = lfs_io_read_verified(io, dblock_offset(ls, slot, ls->host_id), buf,
	    S, slot_checksums, ls);
	if (rv == 0 || lfs_decode_maybe_torn(rv)) {
		rv = lfs_dblock_decode(d, buf, S);
		if (rv == -ENODATA) {
			memset(d, 0, sizeof(*d));
			rv = 0;
		} else if (rv < 0) {
			lfs_log(ls->log, LOG_ERR, "slot %u our dblock: %s", slot,
			    lfs_decode_strerror(rv));
		}
	}
	free(buf);
	return rv;
}

/* paxos.h invariant 7: a finished generation writes no dblock, so that all
 * its writes land before a next incarnation writes them.  Checked inside
 * the submit gate (lockspace.h). */
static int
mode_write_allowed(struct lfs_lockspace *ls)
{
	if (lfs_delta_generation_live(ls) == 0)
		return 0;
	lfs_log(ls->log, LOG_ERR, "refusing a mode write: generation %llu is "
	    "finished", (unsigned long long)ls->generation);
	return -EIO;
}

/* Write our dblock d back with its mode set to (flags, our generation,
 * lver), or cleared; the ballot state in it is unchanged. */
static int
write_mode(struct lfs_lockspace *ls, struct lfs_io *io, uint32_t slot,
    struct lfs_dblock *d, uint32_t flags, uint64_t lver)
{
	uint32_t S = ls->layout.sector_size;
	unsigned char *buf;
	int rv;

	/* a mode is a dblock write like a ballot's (paxos.h invariant 4a);
	 * the transit acquire before it has published our bucket already */
	if ((rv = lfs_delta_presence_ready(ls, io, slot)) < 0)
		return rv;
	d->mode_flags = flags;
	d->mode_gen = flags ? ls->generation : 0;
	d->mode_lver = flags ? lver : 0;
	if ((buf = malloc(S)) == NULL)
		return -ENOMEM;
	rv = lfs_dblock_encode(d, buf, S);
	if (rv == 0)
		rv = lfs_lockspace_write_checked(ls, io, dblock_offset(ls, slot,
		    ls->host_id), buf, S, mode_write_allowed);
	free(buf);
	return rv;
}

static int
mode_ours(const struct lfs_lockspace *ls, const struct lfs_dblock *d)
{
	return (d->mode_flags & LFS_MODE_SHARED) &&
	    d->mode_gen == ls->generation;
}

/* Settled, then our sector read into *d. */
static int
own_sector(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_ref *ref, struct lfs_dblock *d)
{
	int rv;

	if (ls->host_id == 0)
		return -ENOTCONN;
	if ((rv = lfs_paxos_settled(ls, io)) < 0)
		return rv;
	return read_own(ls, io, ref->slot, d);
}

/* ---- 2. acquire, finish, release, downgrade ---- */

/*
 * Set our mode under the exclusive hold *ld (rule 1) and, unless keep_ex,
 * let that hold go.  Fills out; 0 or -EINPROGRESS (with what is left), or
 * the mode write's error when it could be undone at once.
 */
static int
set_under(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_ref *ref, const struct lfs_leader *ld, int keep_ex,
    struct lfs_shared_hold *out)
{
	struct lfs_dblock d;
	int rv, err;

	memset(out, 0, sizeof(*out));
	out->ex = *ld;
	out->ex_held = !keep_ex;
	if ((rv = read_own(ls, io, ref->slot, &d)) < 0 ||
	    (rv = write_mode(ls, io, ref->slot, &d, LFS_MODE_SHARED,
	    ld->lver)) < 0) {
		/* a failed write may still land: undo it if we can now */
		err = rv;
		out->mode_unknown = 1;
		lfs_log(ls->log, LOG_ERR, "%s: setting the shared mode failed "
		    "(%s)", ld->name, strerror(-err));
		rv = lfs_shared_finish(ls, io, ref, out, 0);
		return rv == 0 ? err : -EINPROGRESS;
	}
	out->token = ld->lver;
	if (!keep_ex) {
		if ((rv = lfs_paxos_release(ls, io, ref, ld)) < 0) {
			lfs_log(ls->log, LOG_ERR, "%s: held shared, but releasing "
			    "lver %llu failed (%s)", ld->name,
			    (unsigned long long)ld->lver, strerror(-rv));
			return -EINPROGRESS;
		}
		out->ex_held = 0;
	}
	lfs_log(ls->log, LOG_NOTICE, "%s: held shared (lver %llu, host %u gen "
	    "%llu)", ld->name, (unsigned long long)ld->lver, ls->host_id,
	    (unsigned long long)ls->generation);
	return 0;
}

int
lfs_shared_acquire(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_ref *ref, const char *name,
    struct lfs_shared_hold *out)
{
	struct lfs_dblock d;
	struct lfs_leader ld;
	int rv, keep_ex;

	memset(out, 0, sizeof(*out));
	if ((rv = own_sector(ls, io, ref, &d)) < 0)
		return rv;
	if (mode_ours(ls, &d)) {
		out->token = d.mode_lver;
		return -EALREADY;
	}
	rv = lfs_paxos_acquire_transit(ls, io, ref, name, &ld);
	keep_ex = rv == -EALREADY; /* ours exclusively already: keep it */
	if (rv < 0 && !keep_ex)
		return rv;
	return set_under(ls, io, ref, &ld, keep_ex, out);
}

int
lfs_shared_finish(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_ref *ref, struct lfs_shared_hold *h, int keep)
{
	int rv;

	if (!keep || h->mode_unknown) {
		if ((rv = lfs_shared_release(ls, io, ref)) < 0)
			return rv;
		h->mode_unknown = 0;
	}
	if (h->ex_held) {
		rv = lfs_paxos_release(ls, io, ref, &h->ex);
		/* -EPERM: the disk shows another owner or lver (our failed
		 * release had landed and the lease moved on, or a host that
		 * took us for dead took it); -ENOENT: deleted since.  Either
		 * way nothing of that hold is ours to let go any more */
		if (rv == -EPERM || rv == -ENOENT) {
			lfs_log(ls->log, LOG_INFO, "slot %u: the exclusive hold "
			    "of lver %llu left by a shared acquire is gone "
			    "already (%s)", ref->slot,
			    (unsigned long long)h->ex.lver, strerror(-rv));
			rv = 0;
		}
		if (rv < 0)
			return rv;
		h->ex_held = 0;
	}
	return 0;
}

int
lfs_shared_release(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_ref *ref)
{
	struct lfs_dblock d;
	uint64_t lver;
	int rv;

	if ((rv = own_sector(ls, io, ref, &d)) < 0)
		return rv;
	if (!mode_ours(ls, &d))
		return 0;
	lver = d.mode_lver; /* write_mode clears it in d */
	rv = write_mode(ls, io, ref->slot, &d, 0, 0);
	if (rv == 0)
		lfs_log(ls->log, LOG_NOTICE, "slot %u: shared hold released "
		    "(lver %llu)", ref->slot, (unsigned long long)lver);
	/* an exclusive waiter elsewhere may now win (core/notice.h); a hint,
	 * its failure only delays that */
	if (rv == 0 && lfs_delta_notice(ls, io, ref->slot) < 0)
		lfs_log(ls->log, LOG_DEBUG, "slot %u: change notice not written",
		    ref->slot);
	return rv;
}

int
lfs_shared_downgrade(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_ref *ref, const struct lfs_leader *held,
    struct lfs_shared_hold *out)
{
	struct lfs_leader ld;
	uint64_t newest;
	int rv;

	memset(out, 0, sizeof(*out));
	if (ls->host_id == 0)
		return -ENOTCONN;
	if ((rv = lfs_paxos_settled(ls, io)) < 0)
		return rv;
	/* rule 1: only while the disk shows the lease ours, with no newer
	 * instance started (by a host that took us for dead) */
	if ((rv = lfs_paxos_read_instance(ls, io, ref, &ld, &newest)) < 0)
		return rv;
	if (held->owner_id != ls->host_id || held->owner_gen != ls->generation ||
	    ld.lver != held->lver || ld.owner_id != held->owner_id ||
	    ld.owner_gen != held->owner_gen || newest != held->lver)
		return -EPERM;
	return set_under(ls, io, ref, held, 0, out);
}

/* ---- 3. listing the holders ---- */

/* Count host id's mode d into out (rule 4: only of a live generation). */
static void
add_holder(struct lfs_lockspace *ls, uint32_t id, const struct lfs_dblock *d,
    struct lfs_shared_holder *out, uint32_t max, uint32_t *n)
{
	enum lfs_host_state st;

	if (!(d->mode_flags & LFS_MODE_SHARED))
		return;
	st = lfs_host_state(ls, id, d->mode_gen);
	if (st != LFS_HOST_STATE_LIVE && st != LFS_HOST_STATE_FAILING)
		return;
	if (*n < max) {
		out[*n].host_id = id;
		out[*n].gen = d->mode_gen;
		out[*n].lver = d->mode_lver;
		out[*n].state = st;
	}
	(*n)++;
}

static int
leader_is_ref(const struct lfs_leader *leader, const struct lfs_lease_ref *ref)
{
	return !(leader->flags & LFS_LEADER_DELETED) &&
	    leader->incarnation == ref->incarnation;
}

/*
 * Which dblocks of 1 .. hw a lazy lockspace's listing reads (want[id]),
 * by paxos.h invariant 4a's rule: a host J sets the bit of a bucket
 * before its first dblock write there, and writes none until join_delay
 * after the write that published the bit completed.  So if our view's
 * last sample of J's sector, by a read that started at J.read_ms, showed
 * a record without the bit, J's publish completed after J.read_ms, and
 * J's dblocks in the bucket land after J.read_ms + join_delay: a slot
 * read completed before then holds none that we skipped.  Read: our own,
 * every host whose view shows the bit or no readable presence, and every
 * id that the view has never seen written (its read_ms is not kept).
 * Returns the earliest read_ms of the hosts skipped, UINT64_MAX if none:
 * the caller checks the bound after its read (slack 0).
 */
static uint64_t
holders_want(struct lfs_lockspace *ls, uint32_t slot, uint32_t hw,
    uint8_t *want)
{
	uint32_t id, bucket = lfs_presence_bucket(slot);
	uint64_t earliest = UINT64_MAX;
	const struct lfs_host_view *v;

	pthread_mutex_lock(&ls->view_lock);
	for (id = 1; id <= hw; id++) {
		v = &ls->hosts[id];
		want[id] = id == ls->host_id || !v->valid ||
		    lfs_host_in_bucket_locked(ls, id, bucket);
		if (!want[id] && v->read_ms < earliest)
			earliest = v->read_ms;
	}
	pthread_mutex_unlock(&ls->view_lock);
	return earliest;
}

/* The listing of a lazy lockspace (paxos.h invariant 4a): the dblocks of
 * holders_want()'s hosts, and all of them when the read came too late for
 * the skipped ones' bound. */
static int
holders_lazy(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_ref *ref, uint32_t hw, struct lfs_leader *leader,
    struct lfs_dblock *dblocks)
{
	uint64_t earliest;
	uint8_t *want;
	int rv;

	if ((want = calloc(hw + 1u, 1)) == NULL)
		return -ENOMEM;
	earliest = holders_want(ls, ref->slot, hw, want);
	rv = lfs_paxos_read_marked(ls, io, ref, hw, want, leader, dblocks);
	if (rv == 0 && earliest != UINT64_MAX &&
	    lfs_clock_ms(ls->clock) >= earliest + ls->to.join_delay_ms) {
		memset(want, 1, hw + 1u);
		rv = lfs_paxos_read_marked(ls, io, ref, hw, want, leader,
		    dblocks);
	}
	free(want);
	return rv;
}

/* The listing of a small lockspace: one read of the leader and every
 * dblock, as before presence existed. */
static int
holders_all(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_ref *ref, uint32_t hw, struct lfs_leader *leader,
    struct lfs_dblock *dblocks)
{
	uint32_t S = ls->layout.sector_size, id;
	unsigned char *buf;
	int rv;

	if ((buf = malloc((size_t)(LFS_SLOT_HEADER_SECTORS + hw) * S)) == NULL)
		return -ENOMEM;
	rv = lfs_io_read_verified(io, lfs_slot_sector(&ls->layout, ref->slot) * S,
	    buf, (size_t)(LFS_SLOT_HEADER_SECTORS + hw) * S, slot_checksums, ls);
	if (lfs_decode_maybe_torn(rv))
		lfs_log(ls->log, LOG_ERR, "slot %u: %s", ref->slot,
		    lfs_decode_strerror(rv));
	if (rv == 0 && (rv = lfs_leader_decode(leader, buf, S)) == -ENODATA)
		rv = -ENOENT;
	if (rv == 0 && !leader_is_ref(leader, ref))
		rv = -ENOENT;
	for (id = 1; rv == 0 && id <= hw; id++)
		if ((rv = lfs_dblock_decode(&dblocks[id], buf + (size_t)(1 + id) *
		    S, S)) == -ENODATA) {
			memset(&dblocks[id], 0, sizeof(dblocks[id]));
			rv = 0;
		}
	free(buf);
	return rv;
}

int
lfs_shared_holders(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_ref *ref, struct lfs_leader *leader,
    struct lfs_shared_holder *out, uint32_t max, uint32_t *n)
{
	struct lfs_dblock *d;
	uint32_t hw, id;
	int rv;

	pthread_mutex_lock(&ls->view_lock);
	hw = ls->high_water;
	pthread_mutex_unlock(&ls->view_lock);
	if (hw < ls->host_id)
		hw = ls->host_id;
	*n = 0;
	if ((d = calloc(hw + 1u, sizeof(*d))) == NULL)
		return -ENOMEM;
	rv = ls->presence_lazy ? holders_lazy(ls, io, ref, hw, leader, d) :
	    holders_all(ls, io, ref, hw, leader, d);
	if (rv == 0 && !leader_is_ref(leader, ref))
		rv = -ENOENT;
	for (id = 1; rv == 0 && id <= hw; id++)
		add_holder(ls, id, &d[id], out, max, n);
	free(d);
	return rv;
}
