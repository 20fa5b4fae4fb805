/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check_shared.c - unit tests of core/shared.c (shared holds) and
 * core/value.c (the value block), several hosts in one process.
 *
 * Claims: any number of hosts hold a lease shared at once; an exclusive
 * holder excludes every shared one and the reverse, also when one host's
 * whole acquire runs in any gap between two I/Os of the other's; upgrade
 * and downgrade never let go; a dead host's shared hold counts for nothing
 * at host_dead and not before, and a restarted host's at once; a mode write
 * that times out keeps the lease owned until it lands, and a late clear
 * errs on the side of a hold.  The value is read by anyone, written by the
 * exclusive holder only, durable at return, kept across release, transfer
 * and takeover, carries its lease generation, reads -EIO when corrupt
 * (never empty), and a timed-out value write lands before the lease can
 * move on.
 *
 * Hosts, the test clock and the instant disk: lfs_test.h (io_timeout 100
 * ms: renewal_fail 400 ms, host_dead 800 ms, all on the test clock).
 *
 * Sections:
 *   1. helpers: rules of the instant disk, interleaving hooks
 *   2. shared and exclusive
 *   3. interleavings
 *   4. dead hosts and late mode writes
 *   5. the value
 */
#include "lfs_test.h"
#include "shared.h"
#include "value.h"

/* ---- 1. helpers ------------------------------------------------------------ */

static int
sh_acquire(struct host *h, const struct lfs_lease_ref *ref,
    struct lfs_shared_hold *out)
{
	return lfs_shared_acquire(&h->ls, &h->io, ref, "vm1", out);
}

static int
sh_release(struct host *h, const struct lfs_lease_ref *ref)
{
	return lfs_shared_release(&h->ls, &h->io, ref);
}

/* The hosts holding ref shared, as h reads them: a bit per host id. */
static uint32_t
sh_mask(struct host *h, const struct lfs_lease_ref *ref)
{
	struct lfs_shared_holder hs[T_HOSTS];
	struct lfs_leader ld;
	uint32_t n, i, mask = 0;

	ck_assert_int_eq(lfs_shared_holders(&h->ls, &h->io, ref, &ld, hs,
	    T_HOSTS, &n), 0);
	ck_assert_uint_le(n, T_HOSTS);
	for (i = 0; i < n; i++)
		mask |= 1u << hs[i].host_id;
	return mask;
}

static void
renew_all(struct world *w)
{
	int i;

	for (i = 0; i < w->n; i++)
		if (w->h[i].open)
			host_renew(&w->h[i]);
}

/* A rule of the instant disk: hang the first write at offset `off` (a
 * sector of the slot) after `skip` writes there were let through. */
struct hang_at {
	uint64_t off;
	int skip;
	int hung;
};

static enum tp_act
hang_at_rule(void *arg, int seq, const struct iocb *cb, long *res)
{
	struct hang_at *h = arg;

	(void)seq;
	(void)res;
	if (cb->aio_lio_opcode != IO_CMD_PWRITE ||
	    (uint64_t)cb->u.c.offset != h->off || h->hung)
		return TP_NOW;
	if (h->skip-- > 0)
		return TP_NOW;
	h->hung = 1;
	return TP_HANG;
}

static uint64_t
dblock_off(const struct host *h, uint32_t slot, uint32_t id)
{
	return (lfs_slot_sector(&h->ls.layout, slot) + 1 + id) * 512u;
}

static uint64_t
value_off(const struct host *h, uint32_t slot)
{
	return lfs_value_sector(&h->ls.layout, slot) * 512u;
}

/* ---- 2. shared and exclusive ---------------------------------------------- */

/* Three hosts hold vm1 shared at once; a fourth cannot take it
 * exclusively, nor can a shared holder while others hold it; the last
 * shared holder upgrades without letting go, and then excludes new shared
 * holds; a release of the exclusive hold leaves the shared one (a
 * downgrade); dropping that frees the lease for anyone. */
START_TEST(test_shared_many)
{
	struct world w;
	struct host *a = &w.h[0], *b = &w.h[1], *c = &w.h[2], *d = &w.h[3];
	const struct lfs_lease_ref *ref = &w.lease.ref;
	struct lfs_shared_hold sa, sb, sc, again;
	struct lfs_leader ex, ld;

	world_init(&w, 4, 1);
	ck_assert_int_eq(sh_acquire(a, ref, &sa), 0);
	ck_assert_int_eq(sh_acquire(b, ref, &sb), 0);
	ck_assert_int_eq(sh_acquire(c, ref, &sc), 0);
	/* each shared acquire is a ballot in and a ballot out: tokens rise */
	ck_assert_uint_lt(sa.token, sb.token);
	ck_assert_uint_lt(sb.token, sc.token);
	ck_assert_int_eq(sh_acquire(b, ref, &again), -EALREADY);
	ck_assert_uint_eq(again.token, sb.token);
	ck_assert_uint_eq(sh_mask(d, ref), 1u << 1 | 1u << 2 | 1u << 3);
	ld = read_leader(d, ref);
	ck_assert_uint_eq(ld.owner_id, 0); /* the lease itself is free */

	ck_assert_int_eq(acquire(d, ref, &ex), -EBUSY);
	ck_assert_int_eq(acquire(a, ref, &ex), -EBUSY); /* b and c hold it */
	ck_assert_uint_eq(read_leader(d, ref).lver, ld.lver); /* no ballot */

	renew_all(&w);
	ck_assert_int_eq(sh_release(b, ref), 0);
	ck_assert_int_eq(sh_release(b, ref), 0); /* nothing left: still 0 */
	ck_assert_int_eq(sh_release(c, ref), 0);
	ck_assert_uint_eq(sh_mask(d, ref), 1u << 1);
	/* upgrade: only a's own shared hold is left */
	ck_assert_int_eq(acquire(a, ref, &ex), 0);
	ck_assert_uint_eq(ex.owner_id, a->id);
	ck_assert_uint_eq(sh_mask(d, ref), 1u << 1); /* never let go */
	ck_assert_int_eq(sh_acquire(b, ref, &sb), -EBUSY);
	ck_assert_int_eq(acquire(d, ref, &ld), -EBUSY);
	/* release the exclusive hold: the shared one stays */
	renew_all(&w);
	ck_assert_int_eq(release(a, ref, &ex), 0);
	ck_assert_uint_eq(sh_mask(d, ref), 1u << 1);
	ck_assert_int_eq(acquire(d, ref, &ld), -EBUSY);
	ck_assert_int_eq(sh_release(a, ref), 0);
	ck_assert_uint_eq(sh_mask(d, ref), 0);
	ck_assert_int_eq(acquire(d, ref, &ld), 0);
	ck_assert_uint_gt(ld.lver, sc.token);
	world_fini(&w);
}
END_TEST

/* An exclusive holder excludes shared holds until it lets go; a downgrade
 * turns it into a shared hold without a moment of neither. */
START_TEST(test_exclusive_then_downgrade)
{
	struct world w;
	struct host *a = &w.h[0], *b = &w.h[1], *c = &w.h[2];
	const struct lfs_lease_ref *ref = &w.lease.ref;
	struct lfs_shared_hold sa, sb;
	struct lfs_leader ex, other;

	world_init(&w, 3, 1);
	ck_assert_int_eq(acquire(a, ref, &ex), 0);
	ck_assert_int_eq(sh_acquire(b, ref, &sb), -EBUSY);
	ck_assert_uint_eq(sh_mask(c, ref), 0);
	/* a downgrade by a host that does not own the lease writes nothing */
	other = ex;
	other.owner_id = b->id;
	other.owner_gen = b->ls.generation;
	ck_assert_int_eq(lfs_shared_downgrade(&b->ls, &b->io, ref, &other, &sb),
	    -EPERM);
	ck_assert_int_eq(lfs_shared_downgrade(&a->ls, &a->io, ref, &ex, &sa), 0);
	ck_assert_uint_eq(sa.token, ex.lver);
	ck_assert_uint_eq(read_leader(c, ref).owner_id, 0);
	ck_assert_uint_eq(sh_mask(c, ref), 1u << 1);
	/* now shared: others may join, nobody may take it exclusively */
	ck_assert_int_eq(sh_acquire(b, ref, &sb), 0);
	ck_assert_int_eq(acquire(c, ref, &other), -EBUSY);
	/* a shared acquire by the exclusive owner keeps the exclusive hold */
	renew_all(&w);
	ck_assert_int_eq(sh_release(a, ref), 0);
	ck_assert_int_eq(sh_release(b, ref), 0);
	ck_assert_int_eq(acquire(c, ref, &ex), 0);
	ck_assert_int_eq(sh_acquire(c, ref, &sb), 0);
	ck_assert_uint_eq(read_leader(a, ref).owner_id, c->id);
	ck_assert_uint_eq(sh_mask(a, ref), 1u << 3);
	ck_assert_int_eq(sh_acquire(a, ref, &sa), -EBUSY);
	world_fini(&w);
}
END_TEST

/* A mode that shows up while an exclusive ballot runs (written straight to
 * disk here: no correct host can do so, rule 2 of shared.h) is seen in the
 * winning ballot's phase 2 read: the winner lets the lease go again. */
struct poke {
	struct host *victim;     /* whose dblock gets a shared mode */
	uint32_t slot;
	int after;               /* completions of the acquirer before it */
	int seen;
};

static void
poke_after(void *arg)
{
	struct poke *p = arg;
	struct lfs_dblock d = { 0 };
	unsigned char buf[512];
	int fd;

	if (p->seen++ != p->after)
		return;
	d.mode_flags = LFS_MODE_SHARED;
	d.mode_gen = p->victim->ls.generation;
	d.mode_lver = 1;
	ck_assert_int_eq(lfs_dblock_encode(&d, buf, sizeof(buf)), 0);
	fd = open(test_path, O_WRONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, buf, sizeof(buf),
	    (off_t)dblock_off(p->victim, p->slot, p->victim->id)), 512);
	close(fd);
}

/*
 * a's I/O on a free lease: the light read (leader and its own dblock, one
 * batch), phase 1 write, phase 1 read, phase 2 write, phase 2 read.  _i 0:
 * the mode lands after the phase 1 write, before both phase reads: the
 * phase 1 read shows it and a stops there (paxos.c, "Light starts"),
 * nothing decided.  _i 1: it lands after the phase 1 read, before the
 * phase 2 read: a wins instance 1 and lets it go in 2.
 */
START_TEST(test_mode_during_ballot)
{
	struct world w;
	struct host *a = &w.h[0], *b = &w.h[1];
	const struct lfs_lease_ref *ref = &w.lease.ref;
	struct poke p = { .victim = b, .after = 1 + _i };
	struct lfs_leader ex, ld;

	world_init(&w, 2, 1);
	p.slot = ref->slot;
	a->path.after = poke_after;
	a->path.after_arg = &p;
	ck_assert_int_eq(acquire(a, ref, &ex), -EBUSY);
	a->path.after = NULL;
	ld = read_leader(b, ref);
	ck_assert_uint_eq(ld.owner_id, 0);
	/* 0: stopped in phase 1; 2: won instance 1, let go in 2 */
	ck_assert_uint_eq(ld.lver, _i == 0 ? 0 : 2);
	ck_assert_uint_eq(sh_mask(a, ref), 1u << 2);
	world_fini(&w);
}
END_TEST

/*
 * A lease this host owns exclusively while another host holds it shared:
 * what a shared acquire of ours has on its way (the transit hold, which
 * ignores shared holders), or an aborted ballot of ours that another host
 * carried to its end (paxos.h 2a) while a shared hold stood.  An exclusive
 * acquire must not take that for "already ours" (-EALREADY, success to
 * every caller): it lets the lease go, as a winner under a shared holder
 * does, and says -EBUSY; shared acquires elsewhere go on.
 */
START_TEST(test_already_ours_under_shared)
{
	struct world w;
	struct host *a = &w.h[0], *b = &w.h[1], *c = &w.h[2];
	const struct lfs_lease_ref *ref = &w.lease.ref;
	struct lfs_shared_hold sb, sc;
	struct lfs_leader ex, ld;

	world_init(&w, 3, 1);
	ck_assert_int_eq(sh_acquire(b, ref, &sb), 0);
	ck_assert_int_eq(lfs_paxos_acquire_transit(&a->ls, &a->io, ref, "vm1",
	    &ex), 0);
	ck_assert_uint_eq(read_leader(c, ref).owner_id, a->id);
	ck_assert_uint_eq(sh_mask(c, ref), 1u << 2);
	ck_assert_int_eq(acquire(a, ref, &ld), -EBUSY);
	ld = read_leader(c, ref);
	ck_assert_uint_eq(ld.owner_id, 0); /* let go */
	ck_assert_uint_gt(ld.lver, ex.lver);
	ck_assert_int_eq(sh_acquire(c, ref, &sc), 0);
	ck_assert_uint_eq(sh_mask(a, ref), 1u << 2 | 1u << 3);
	world_fini(&w);
}
END_TEST

/*
 * lfs_shared_finish() with an exclusive hold left over (ex_held) that is
 * no longer ours: the failed release had landed and the lease moved on
 * (-EPERM from the release), or the lease was deleted since (-ENOENT).
 * Nothing of it is left to release: finishing is done (0), or the caller
 * (the daemon's watcher) would retry for good and the lease stay busy on
 * this host.
 */
START_TEST(test_finish_exclusive_gone)
{
	struct world w;
	struct host *a = &w.h[0], *b = &w.h[1], *c = &w.h[2];
	const struct lfs_lease_ref *ref = &w.lease.ref;
	struct lfs_shared_hold h = { 0 }, sb;
	struct lfs_leader ex;

	world_init(&w, 3, 1);
	ck_assert_int_eq(acquire(a, ref, &ex), 0);
	h.ex = ex;
	h.ex_held = 1;
	/* the release that "failed" had landed; then b took it and let go */
	ck_assert_int_eq(release(a, ref, &ex), 0);
	ck_assert_int_eq(sh_acquire(b, ref, &sb), 0);
	ck_assert_int_eq(lfs_shared_finish(&a->ls, &a->io, ref, &h, 1), 0);
	ck_assert_int_eq(h.ex_held, 0);
	ck_assert_int_eq(lfs_shared_finish(&a->ls, &a->io, ref, &h, 1), 0);
	ck_assert_uint_eq(sh_mask(c, ref), 1u << 2); /* b's, untouched */
	/* deleted meanwhile */
	renew_all(&w);
	ck_assert_int_eq(sh_release(b, ref), 0);
	h.ex = ex;
	h.ex_held = 1;
	ck_assert_int_eq(lfs_leases_delete(&c->ls, &c->io, "vm1"), 0);
	ck_assert_int_eq(lfs_shared_finish(&a->ls, &a->io, ref, &h, 0), 0);
	ck_assert_int_eq(h.ex_held, 0);
	world_fini(&w);
}
END_TEST

/* ---- 3. interleavings ------------------------------------------------------ */

/*
 * One host's whole acquire (shared or exclusive) runs in the gap after the
 * k-th I/O completion of another host's acquire of the other mode, for
 * every k: at most one mode ends up held (both shared is no conflict: the
 * pairs are exclusive/shared and shared/exclusive).
 */
struct cut {
	struct host *other;
	const struct lfs_lease_ref *ref;
	int other_shared;        /* the interloper's mode */
	int at, seen, ran;
	int rv;
	struct lfs_shared_hold sh;
	struct lfs_leader ex;
};

static void
cut_after(void *arg)
{
	struct cut *c = arg;

	if (c->seen++ != c->at || c->ran)
		return;
	c->ran = 1;
	c->rv = c->other_shared ? sh_acquire(c->other, c->ref, &c->sh) :
	    acquire(c->other, c->ref, &c->ex);
}

START_TEST(test_interleaved_modes)
{
	const int cut_at = _i / 2, first_shared = _i % 2;
	struct world w;
	struct host *a = &w.h[0], *b = &w.h[1], *c3 = &w.h[2];
	const struct lfs_lease_ref *ref = &w.lease.ref;
	struct cut c = { .other = b, .ref = &w.lease.ref,
	    .other_shared = !first_shared, .at = cut_at };
	struct lfs_shared_hold sh;
	struct lfs_leader ex, ld;
	uint32_t mask;
	int rv;

	world_init(&w, 3, 1);
	a->path.after = cut_after;
	a->path.after_arg = &c;
	rv = first_shared ? sh_acquire(a, ref, &sh) : acquire(a, ref, &ex);
	a->path.after = NULL;
	if (!c.ran) {             /* a's acquire had fewer I/Os than cut_at */
		c.rv = c.other_shared ? sh_acquire(b, ref, &c.sh) :
		    acquire(b, ref, &c.ex);
	}
	ck_assert_msg(!(rv == 0 && c.rv == 0), "cut %d: both hold (a %s, b %s)",
	    cut_at, first_shared ? "shared" : "excl",
	    first_shared ? "excl" : "shared");
	/* the disk: never an owner while the other host shows shared (an
	 * exclusive acquire that said -EAGAIN may still have been chosen,
	 * its value carried to the end by the other host: paxos.h 2a) */
	mask = sh_mask(c3, ref);
	ld = read_leader(c3, ref);
	if (first_shared) {
		ck_assert(!((mask & 1u << 1) && ld.owner_id == b->id));
		ck_assert(rv != 0 || (mask & 1u << 1));
		ck_assert(c.rv != 0 || ld.owner_id == b->id);
	} else {
		ck_assert(!((mask & 1u << 2) && ld.owner_id == a->id));
		ck_assert(c.rv != 0 || (mask & 1u << 2));
		ck_assert(rv != 0 || ld.owner_id == a->id);
	}
	/* a refused one is refused for a reason that a retry resolves */
	if (rv < 0)
		ck_assert_msg(rv == -EBUSY || rv == -EAGAIN, "a: %d", rv);
	if (c.rv < 0)
		ck_assert_msg(c.rv == -EBUSY || c.rv == -EAGAIN, "b: %d", c.rv);
	world_fini(&w);
}
END_TEST

/* ---- 4. dead hosts and late mode writes ------------------------------------ */

/* A shared holder that stops renewing holds until host_dead as seen by the
 * others, and nothing after: no write is needed to take it away. */
START_TEST(test_dead_shared_holder)
{
	struct world w;
	struct host *a = &w.h[0], *b = &w.h[1];
	const struct lfs_lease_ref *ref = &w.lease.ref;
	struct lfs_shared_hold sb;
	struct lfs_leader ex;
	uint64_t last, now;
	int rv, busy = 0;

	world_init(&w, 2, 1);
	ck_assert_int_eq(sh_acquire(b, ref, &sb), 0);
	host_renew(b);
	last = tclock_ms(&test_clk); /* b's last renewal */
	for (;;) {
		host_renew(a);
		rv = acquire(a, ref, &ex);
		now = tclock_ms(&test_clk);
		if (rv == 0)
			break;
		ck_assert_int_eq(rv, -EBUSY);
		ck_assert_uint_eq(sh_mask(a, ref), 1u << 2);
		ck_assert_uint_lt(now - last, a->ls.to.host_dead_ms);
		busy++;
		tclock_advance(&test_clk, T_POLL_MS);
	}
	ck_assert_int_gt(busy, 0);
	ck_assert_uint_ge(now - last, a->ls.to.host_dead_ms);
	ck_assert_uint_lt(now - last, a->ls.to.host_dead_ms + 2 * T_POLL_MS);
	ck_assert_uint_eq(sh_mask(a, ref), 0);
	ck_assert_uint_gt(ex.lver, sb.token);
	world_fini(&w);
}
END_TEST

/* A restarted host (generation + 1) held nothing: its old mode is ignored
 * at once, by others and by itself. */
START_TEST(test_restarted_shared_holder)
{
	struct world w;
	struct host *a = &w.h[0], *b = &w.h[1];
	const struct lfs_lease_ref *ref = &w.lease.ref;
	struct lfs_shared_hold sb;
	struct lfs_leader ex;

	world_init(&w, 2, 1);
	ck_assert_int_eq(sh_acquire(b, ref, &sb), 0);
	host_restart(b);
	host_renew(a);
	ck_assert_uint_eq(sh_mask(a, ref), 0);
	ck_assert_int_eq(sh_acquire(b, ref, &sb), 0); /* not -EALREADY */
	ck_assert_uint_eq(sh_mask(a, ref), 1u << 2);
	ck_assert_int_eq(sh_release(b, ref), 0);
	ck_assert_int_eq(acquire(a, ref, &ex), 0);
	world_fini(&w);
}
END_TEST

/*
 * The mode write of a shared acquire times out: the acquire says
 * -EINPROGRESS, the lease stays owned by the acquirer (everyone else:
 * -EBUSY) while the write may land, and finishing is refused until the
 * write has landed (late) and been reaped; then it clears the mode and
 * lets the lease go.
 */
START_TEST(test_mode_write_late)
{
	struct world w;
	struct host *a = &w.h[0], *b = &w.h[1];
	const struct lfs_lease_ref *ref = &w.lease.ref;
	struct hang_at rule = { 0 };
	struct lfs_shared_hold sb, sa;
	struct lfs_leader ex;

	world_init(&w, 2, 1);
	/* b's writes of its dblock: phase 1, phase 2, then the mode */
	rule.off = dblock_off(b, ref->slot, b->id);
	rule.skip = 2;
	b->path.rule = hang_at_rule;
	b->path.rule_arg = &rule;
	ck_assert_int_eq(sh_acquire(b, ref, &sb), -EINPROGRESS);
	ck_assert_int_eq(rule.hung, 1);
	ck_assert_int_eq(sb.mode_unknown, 1);
	ck_assert_int_eq(sb.ex_held, 1);
	ck_assert_uint_eq(sb.ex.owner_id, b->id);
	renew_all(&w);
	ck_assert_int_eq(acquire(a, ref, &ex), -EBUSY);
	ck_assert_int_eq(sh_acquire(a, ref, &sa), -EBUSY);
	ck_assert_int_eq(lfs_shared_finish(&b->ls, &b->io, ref, &sb, 0), -EIO);
	/* the write lands late: b shows shared, under its own lease still */
	tpath_land(&b->path, 0);
	ck_assert_uint_eq(sh_mask(a, ref), 1u << 2);
	ck_assert_uint_eq(read_leader(a, ref).owner_id, b->id);
	ck_assert_int_eq(lfs_shared_finish(&b->ls, &b->io, ref, &sb, 0), -EIO);
	tpath_release(&b->path);
	renew_all(&w);
	ck_assert_int_eq(lfs_shared_finish(&b->ls, &b->io, ref, &sb, 0), 0);
	ck_assert_int_eq(sb.mode_unknown, 0);
	ck_assert_int_eq(sb.ex_held, 0);
	ck_assert_uint_eq(sh_mask(a, ref), 0);
	ck_assert_int_eq(acquire(a, ref, &ex), 0);
	world_fini(&w);
}
END_TEST

/* The same, and b dies instead of finishing: its write lands within the
 * storage's promise (5 io), and at host_dead the lease is a's. */
START_TEST(test_mode_write_late_then_dead)
{
	struct world w;
	struct host *a = &w.h[0], *b = &w.h[1];
	const struct lfs_lease_ref *ref = &w.lease.ref;
	struct hang_at rule = { 0 };
	struct lfs_shared_hold sb;
	struct lfs_leader ex;
	uint64_t last;
	int rv;

	world_init(&w, 2, 1);
	rule.off = dblock_off(b, ref->slot, b->id);
	rule.skip = 2;
	b->path.rule = hang_at_rule;
	b->path.rule_arg = &rule;
	host_renew(b);
	host_renew(a); /* a sees b's last renewal now */
	last = tclock_ms(&test_clk);
	ck_assert_int_eq(sh_acquire(b, ref, &sb), -EINPROGRESS);
	tclock_advance(&test_clk, 4 * T_IO_MS);
	tpath_land(&b->path, 0); /* within 5 io of its submission */
	do {
		tclock_advance(&test_clk, T_POLL_MS);
		host_renew(a);
		rv = acquire(a, ref, &ex);
		ck_assert(rv == 0 || rv == -EBUSY);
		ck_assert(rv == -EBUSY ||
		    tclock_ms(&test_clk) - last >= a->ls.to.host_dead_ms);
		ck_assert_uint_lt(tclock_ms(&test_clk) - last,
		    a->ls.to.host_dead_ms + 4 * T_POLL_MS);
	} while (rv != 0);
	ck_assert_uint_eq(sh_mask(a, ref), 0);
	world_fini(&w);
}
END_TEST

/* A shared release whose clear times out leaves the hold in place for the
 * others (the safe side) until it lands; b's next lease write waits. */
START_TEST(test_clear_write_late)
{
	struct world w;
	struct host *a = &w.h[0], *b = &w.h[1];
	const struct lfs_lease_ref *ref = &w.lease.ref;
	struct hang_at rule = { 0 };
	struct lfs_shared_hold sb;
	struct lfs_leader ex;
	int rv;

	world_init(&w, 2, 1);
	ck_assert_int_eq(sh_acquire(b, ref, &sb), 0);
	rule.off = dblock_off(b, ref->slot, b->id);
	b->path.rule = hang_at_rule;
	b->path.rule_arg = &rule;
	renew_all(&w);
	rv = sh_release(b, ref);
	ck_assert_msg(rv == -ETIMEDOUT || rv == -EIO, "release: %d", rv);
	renew_all(&w);
	ck_assert_int_eq(acquire(a, ref, &ex), -EBUSY);
	ck_assert_int_eq(sh_acquire(b, ref, &sb), -EIO); /* not settled */
	tpath_land(&b->path, 0);
	tpath_release(&b->path);
	renew_all(&w);
	ck_assert_int_eq(sh_release(b, ref), 0);
	ck_assert_int_eq(acquire(a, ref, &ex), 0);
	world_fini(&w);
}
END_TEST

/* paxos.h invariant 7 for modes: at renewal_fail since our last good
 * renewal the generation is finished, and a shared release writes nothing
 * (every write of it must land before a next incarnation of our id writes
 * the same sector); the mode then counts for nothing at host_dead, like an
 * exclusive hold.  Just before renewal_fail the release still writes. */
START_TEST(test_mode_write_finished_generation)
{
	struct world w;
	struct host *a = &w.h[0], *b = &w.h[1];
	const struct lfs_lease_ref *ref = &w.lease.ref;
	struct lfs_shared_hold sb;
	int writes;

	world_init(&w, 2, 1);
	ck_assert_int_eq(sh_acquire(b, ref, &sb), 0);
	host_renew(b);
	tclock_advance(&test_clk, b->ls.to.renewal_fail_ms);
	writes = b->path.writes;
	ck_assert_int_eq(sh_release(b, ref), -EIO);
	ck_assert_int_eq(b->path.writes, writes);
	host_renew(a);
	ck_assert_uint_eq(sh_mask(a, ref), 1u << 2); /* still b's, not cleared */
	/* a fresh renewal: the same release writes its clear */
	host_renew(b);
	tclock_advance(&test_clk, b->ls.to.renewal_fail_ms - 1);
	ck_assert_int_eq(sh_release(b, ref), 0);
	ck_assert_int_gt(b->path.writes, writes);
	ck_assert_uint_eq(sh_mask(a, ref), 0);
	world_fini(&w);
}
END_TEST

/* ---- 5. the value ---------------------------------------------------------- */

static int
val_write(struct host *h, const struct lfs_lease_ref *ref,
    const struct lfs_leader *held, const char *s)
{
	return lfs_value_write(&h->ls, &h->io, ref, held, s,
	    (uint32_t)strlen(s), NULL);
}

static void
expect_value(struct host *h, const struct lfs_lease_ref *ref, const char *s,
    uint64_t lver)
{
	struct lfs_value v;

	ck_assert_int_eq(lfs_value_read(&h->ls, &h->io, ref, &v), 0);
	ck_assert_uint_eq(v.len, strlen(s));
	ck_assert_mem_eq(v.data, s, v.len);
	ck_assert_uint_eq(v.lver, lver);
}

/* Written by the exclusive holder, read on every host; refused to others
 * with nothing changed; kept across release, transfer and takeover, with
 * the lease generation it was written at. */
START_TEST(test_value_travels)
{
	struct world w;
	struct host *a = &w.h[0], *b = &w.h[1], *c = &w.h[2];
	const struct lfs_lease_ref *ref = &w.lease.ref;
	struct lfs_shared_hold sh;
	struct lfs_leader ha, hb, hc, forged;
	int i;

	world_init(&w, 3, 1);
	expect_value(c, ref, "", 0); /* none yet */
	ck_assert_int_eq(acquire(a, ref, &ha), 0);
	ck_assert_int_eq(val_write(a, ref, &ha, "clean=0"), 0);
	for (i = 0; i < 3; i++)
		expect_value(&w.h[i], ref, "clean=0", ha.lver);
	/* a non-holder, even with a forged leader, changes nothing */
	forged = ha;
	forged.owner_id = b->id;
	forged.owner_gen = b->ls.generation;
	ck_assert_int_eq(val_write(b, ref, &forged, "evil"), -EPERM);
	ck_assert_int_eq(val_write(b, ref, &ha, "evil"), -EPERM);
	expect_value(c, ref, "clean=0", ha.lver);
	ck_assert_int_eq(val_write(a, ref, &ha, "clean=1"), 0);
	renew_all(&w);
	ck_assert_int_eq(release(a, ref, &ha), 0);
	/* released: a cannot write any more; the value stays */
	ck_assert_int_eq(val_write(a, ref, &ha, "late"), -EPERM);
	expect_value(b, ref, "clean=1", ha.lver);
	/* a shared holder is not the exclusive one */
	ck_assert_int_eq(sh_acquire(b, ref, &sh), 0);
	hb = read_leader(b, ref);
	ck_assert_int_eq(val_write(b, ref, &hb, "shared"), -EPERM);
	ck_assert_int_eq(sh_release(b, ref), 0);
	/* b takes it: reads a's value, of an older generation */
	ck_assert_int_eq(acquire(b, ref, &hb), 0);
	ck_assert_uint_gt(hb.lver, ha.lver);
	expect_value(b, ref, "clean=1", ha.lver);
	ck_assert_int_eq(val_write(b, ref, &hb, "b was here"), 0);
	/* a transfer keeps it */
	renew_all(&w);
	ck_assert_int_eq(lfs_paxos_transfer(&b->ls, &b->io, ref, &hb, c->id,
	    c->ls.generation, &hc), 0);
	expect_value(c, ref, "b was here", hb.lver);
	ck_assert_int_eq(val_write(b, ref, &hb, "gone"), -EPERM);
	ck_assert_int_eq(val_write(c, ref, &hc, "c"), 0);
	/* c dies holding it: a takes it over at host_dead and reads c's */
	host_renew(c);
	for (i = 0;; i++) {
		ck_assert_int_lt(i, 2 * (int)(a->ls.to.host_dead_ms / T_POLL_MS));
		tclock_advance(&test_clk, T_POLL_MS);
		host_renew(a);
		if (acquire(a, ref, &ha) == 0)
			break;
	}
	expect_value(a, ref, "c", hc.lver);
	ck_assert_int_eq(val_write(a, ref, &ha, "a again"), 0);
	expect_value(b, ref, "a again", ha.lver);
	world_fini(&w);
}
END_TEST

/* The size limit: the largest value is kept whole, one byte more is
 * -EFBIG with nothing written. */
START_TEST(test_value_size)
{
	struct world w;
	struct host *a = &w.h[0];
	const struct lfs_lease_ref *ref = &w.lease.ref;
	uint32_t max = lfs_value_max(512);
	unsigned char big[4096];
	struct lfs_leader ha;
	struct lfs_value v;

	world_init(&w, 1, 1);
	memset(big, 'z', sizeof(big));
	ck_assert_int_eq(acquire(a, ref, &ha), 0);
	ck_assert_int_eq(lfs_value_write(&a->ls, &a->io, ref, &ha, big, max,
	    &v), 0);
	ck_assert_uint_eq(v.len, max);
	ck_assert_int_eq(lfs_value_write(&a->ls, &a->io, ref, &ha, "x", 1 + max,
	    NULL), -EFBIG);
	ck_assert_int_eq(lfs_value_read(&a->ls, &a->io, ref, &v), 0);
	ck_assert_uint_eq(v.len, max);
	ck_assert_mem_eq(v.data, big, max);
	ck_assert_int_eq(lfs_value_write(&a->ls, &a->io, ref, &ha, "", 0,
	    NULL), 0);
	expect_value(a, ref, "", ha.lver);
	world_fini(&w);
}
END_TEST

/* A corrupt or torn value record reads -EIO on every host, never as an
 * empty value; the holder's next write mends it. */
START_TEST(test_value_corrupt)
{
	struct world w;
	struct host *a = &w.h[0], *b = &w.h[1];
	const struct lfs_lease_ref *ref = &w.lease.ref;
	struct lfs_leader ha;
	struct lfs_value v;
	unsigned char byte;
	int fd;

	world_init(&w, 2, 1);
	ck_assert_int_eq(acquire(a, ref, &ha), 0);
	ck_assert_int_eq(val_write(a, ref, &ha, "version 7"), 0);
	fd = open(test_path, O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, &byte, 1, (off_t)value_off(a, ref->slot) + 44),
	    1);
	byte ^= 0x01; /* '7' -> '6' inside the data: a torn sector */
	ck_assert_int_eq(pwrite(fd, &byte, 1, (off_t)value_off(a, ref->slot) + 44),
	    1);
	ck_assert_int_eq(lfs_value_read(&a->ls, &a->io, ref, &v), -EIO);
	ck_assert_int_eq(lfs_value_read(&b->ls, &b->io, ref, &v), -EIO);
	/* a wrong magic is no more an empty value than a bad crc */
	byte = 'X';
	ck_assert_int_eq(pwrite(fd, &byte, 1, (off_t)value_off(a, ref->slot)), 1);
	ck_assert_int_eq(lfs_value_read(&b->ls, &b->io, ref, &v), -EIO);
	close(fd);
	ck_assert_int_eq(val_write(a, ref, &ha, "version 8"), 0);
	expect_value(b, ref, "version 8", ha.lver);
	world_fini(&w);
}
END_TEST

/* A value write that times out: every later lease write of the holder is
 * refused while it may land (so the lease cannot move on under it); it
 * lands late, and the next holder reads it. */
START_TEST(test_value_write_late)
{
	struct world w;
	struct host *a = &w.h[0], *b = &w.h[1];
	const struct lfs_lease_ref *ref = &w.lease.ref;
	struct hang_at rule = { 0 };
	struct lfs_leader ha, hb;
	int rv;

	world_init(&w, 2, 1);
	ck_assert_int_eq(acquire(a, ref, &ha), 0);
	ck_assert_int_eq(val_write(a, ref, &ha, "old"), 0);
	rule.off = value_off(a, ref->slot);
	a->path.rule = hang_at_rule;
	a->path.rule_arg = &rule;
	rv = val_write(a, ref, &ha, "new");
	ck_assert_msg(rv == -ETIMEDOUT || rv == -EIO, "write: %d", rv);
	expect_value(b, ref, "old", ha.lver); /* not landed yet */
	renew_all(&w);
	ck_assert_int_eq(release(a, ref, &ha), -EIO);
	ck_assert_int_eq(val_write(a, ref, &ha, "newer"), -EIO);
	ck_assert_int_eq(acquire(b, ref, &hb), -EBUSY);
	tpath_land(&a->path, 0);
	tpath_release(&a->path);
	renew_all(&w);
	ck_assert_int_eq(release(a, ref, &ha), 0);
	ck_assert_int_eq(acquire(b, ref, &hb), 0);
	expect_value(b, ref, "new", ha.lver);
	ck_assert_int_eq(val_write(b, ref, &hb, "b"), 0);
	expect_value(a, ref, "b", hb.lver);
	world_fini(&w);
}
END_TEST

/* A value write so long after our last renewal that, hung, it could land
 * after another host took over (value.h rule 3) is refused, unwritten. */
START_TEST(test_value_write_stale_renewal)
{
	struct world w;
	struct host *a = &w.h[0], *b = &w.h[1];
	const struct lfs_lease_ref *ref = &w.lease.ref;
	struct lfs_leader ha;
	int writes;

	world_init(&w, 2, 1);
	ck_assert_int_eq(acquire(a, ref, &ha), 0);
	host_renew(a);
	/* the last moment a write may start: since + io < renewal_fail */
	tclock_advance(&test_clk, a->ls.to.renewal_fail_ms -
	    a->ls.to.io_timeout_ms - 1);
	ck_assert_int_eq(val_write(a, ref, &ha, "just"), 0);
	tclock_advance(&test_clk, 1);
	writes = a->path.writes;
	ck_assert_int_eq(val_write(a, ref, &ha, "too late"), -EIO);
	ck_assert_int_eq(a->path.writes, writes);
	expect_value(b, ref, "just", ha.lver);
	world_fini(&w);
}
END_TEST

/* A deleted lease's value does not leak into the next lease of its slot:
 * mkdir zeroes the slot, and a record of the old incarnation put back
 * there (as a late write of the old holder would) reads as none. */
START_TEST(test_value_new_incarnation)
{
	struct world w;
	struct host *a = &w.h[0];
	struct lfs_lease_entry again;
	struct lfs_leader ha;
	struct lfs_value old = { .writer_id = 1, .lver = 1, .len = 3 };
	unsigned char buf[512];
	int fd;

	world_init(&w, 1, 1);
	ck_assert_int_eq(acquire(a, &w.lease.ref, &ha), 0);
	ck_assert_int_eq(val_write(a, &w.lease.ref, &ha, "old lease"), 0);
	host_renew(a);
	ck_assert_int_eq(release(a, &w.lease.ref, &ha), 0);
	ck_assert_int_eq(lfs_leases_delete(&a->ls, &a->io, "vm1"), 0);
	ck_assert_int_eq(lfs_leases_create(&a->ls, &a->io, "vm1", &again), 0);
	ck_assert_uint_eq(again.ref.slot, w.lease.ref.slot);
	ck_assert_uint_ne(again.ref.incarnation, w.lease.ref.incarnation);
	expect_value(a, &again.ref, "", 0);
	old.incarnation = w.lease.ref.incarnation;
	memcpy(old.data, "old", 3);
	ck_assert_int_eq(lfs_value_encode(&old, buf, sizeof(buf)), 0);
	fd = open(test_path, O_WRONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, buf, sizeof(buf),
	    (off_t)value_off(a, again.ref.slot)), 512);
	close(fd);
	expect_value(a, &again.ref, "", 0);
	expect_value(a, &w.lease.ref, "old", 1); /* the old incarnation's */
	world_fini(&w);
}
END_TEST

static Suite *
shared_suite(void)
{
	Suite *s = suite_create("shared");
	TCase *tc;

	tc = lt_tcase(s, "modes");
	tcase_add_test(tc, test_shared_many);
	tcase_add_test(tc, test_exclusive_then_downgrade);
	tcase_add_loop_test(tc, test_mode_during_ballot, 0, 2);
	tcase_add_test(tc, test_already_ours_under_shared);
	tcase_add_test(tc, test_finish_exclusive_gone);
	tc = lt_tcase(s, "interleavings");
	/* cut points 0 .. 15 (past every I/O of either acquire), both ways */
	tcase_add_loop_test(tc, test_interleaved_modes, 0, 32);
	tc = lt_tcase(s, "failures");
	tcase_add_test(tc, test_dead_shared_holder);
	tcase_add_test(tc, test_restarted_shared_holder);
	tcase_add_test(tc, test_mode_write_late);
	tcase_add_test(tc, test_mode_write_late_then_dead);
	tcase_add_test(tc, test_clear_write_late);
	tcase_add_test(tc, test_mode_write_finished_generation);
	tc = lt_tcase(s, "value");
	tcase_add_test(tc, test_value_travels);
	tcase_add_test(tc, test_value_size);
	tcase_add_test(tc, test_value_corrupt);
	tcase_add_test(tc, test_value_write_late);
	tcase_add_test(tc, test_value_write_stale_renewal);
	tcase_add_test(tc, test_value_new_incarnation);
	return s;
}

int
main(void)
{
	return lt_main("check_shared", shared_suite, 0);
}
