/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check_safety.c - regression tests for the ways core/ could give one lease
 * two owners under faults (the core-safety issue), one test per case, each
 * replaying the case's timeline on the test clock and the instant disk of
 * lfs_test.h.  Each test failed on the code before its fix.
 *
 * The actors are hosts of one process, driven from one thread; "meanwhile"
 * is a hook (struct tpath's rule or after) run inside the call of the host
 * under test, at the point of the timeline where the others act.
 */
#include "lfs_test.h"
#include "repair.h"

/* ---- helpers ----------------------------------------------------------------- */

/* An extra I/O context of h (as the daemon's ops thread has one of its own,
 * beside the renewal thread's) on an instant disk with hooks. */
struct ctx {
	struct tpath path;
	struct lfs_io io;
};

static void
ctx_open(struct ctx *c, struct host *h)
{
	tpath_init(&c->path, &test_clk);
	ck_assert_int_eq(lfs_io_init(&c->io, &h->ls.disk, h->ls.to.io_timeout_ms,
	    &c->path.sys, test_log), 0);
}

static void
ctx_close(struct ctx *c)
{
	tpath_release(&c->path);
	lfs_io_destroy(&c->io);
}

/* ---- case 1: the ballot's high-water mark and its freshness -------------------
 *
 * Q (host 1) starts an acquire while its view shows hosts 1-2 (hw 2).  Its
 * ops thread stalls after the first slot read; meanwhile host 3 joins, Q's
 * renewal thread refreshes the view (and sees host 3), and host 3 runs a
 * whole ballot and takes the lease.  Q's phase reads then ran against a
 * fresh view but read only dblocks 1-2: Q decided itself too.  Property: a
 * ballot never decides without having read the dblock of every host that
 * may have written one (paxos.h invariant 4).
 */
struct case1 {
	struct host *q, *c;
	const struct lfs_lease_ref *ref;
	int fired;
	int c_rv;
	struct lfs_leader c_held;
};

static void
case1_meanwhile(void *arg)
{
	struct case1 *k = arg;

	if (k->fired++)
		return;
	ck_assert_int_eq(host_join(k->c), 0);     /* join_delay passes */
	host_renew(k->q);                         /* Q's renewal thread */
	host_renew(k->c);
	k->c_rv = acquire(k->c, k->ref, &k->c_held);
}

START_TEST(test_ballot_sees_every_writer)
{
	struct world w;
	struct host *q = &w.h[0], *c = &w.h[2];
	struct case1 k = { .q = q, .c = c, .ref = &w.lease.ref };
	struct lfs_leader q_held, ld;
	struct ctx ops;
	int q_rv;

	world_init(&w, 2, 1);       /* hosts 1, 2 and the lease vm1 */
	w.n = 3;
	host_open(c, 3);            /* host 3 joins later */
	ctx_open(&ops, q);
	ops.path.after = case1_meanwhile;
	ops.path.after_arg = &k;
	host_renew(q);

	q_rv = lfs_paxos_acquire(&q->ls, &ops.io, k.ref, "vm1", &q_held);
	ck_assert_int_eq(k.fired > 0, 1);
	ck_assert_int_eq(k.c_rv, 0);              /* host 3 took it */
	ck_assert_msg(q_rv != 0, "two owners of one instance: host 1 and host 3 "
	    "both acquired lver %llu", (unsigned long long)q_held.lver);
	ld = read_leader(c, k.ref);
	ck_assert_uint_eq(ld.owner_id, 3);
	/* and Q, trying again with a fresh view, sees host 3's hold */
	host_renew(q);
	host_renew(c);
	ck_assert_int_eq(lfs_paxos_acquire(&q->ls, &q->io, k.ref, "vm1",
	    &q_held), -EBUSY);
	ctx_close(&ops);
	world_fini(&w);
}
END_TEST

/* ---- case 3: a delete that fails half-way -------------------------------------
 *
 * Deleting cleared the table entry first and then wrote the DELETED leader;
 * when that write failed, the slot kept a valid leader named vm1 that no
 * table entry listed.  A host that had cached vm1 -> slot could still hold
 * it, while a new mkdir vm1 made a second lease vm1 in another slot.
 * Property: no failure at any step of a delete leaves two slots answering
 * to one name, or a slot answering to a name the table does not list; a
 * failed delete can be completed by deleting again.
 */
struct fail_write {
	uint64_t offset;         /* fail writes to this byte offset ... */
	int deleted_leader;      /* ... only of a DELETED leader */
	int failed;
};

static enum tp_act
fail_write_rule(void *arg, int seq, const struct iocb *cb, long *res)
{
	struct fail_write *f = arg;
	struct lfs_leader ld;

	(void)seq;
	if (cb->aio_lio_opcode != IO_CMD_PWRITE ||
	    (uint64_t)cb->u.c.offset != f->offset)
		return TP_NOW;
	if (f->deleted_leader && (lfs_leader_decode(&ld, cb->u.c.buf, 512) < 0 ||
	    !(ld.flags & LFS_LEADER_DELETED)))
		return TP_NOW;
	f->failed++;
	*res = -EIO;
	return TP_RESULT;
}

/* pad (slot 1) and vm1 (slot 2), then pad deleted: slot 1 is free, so a new
 * vm1 would go there. */
static struct lfs_lease_entry
two_slots(struct world *w)
{
	struct host *a = &w->h[0];
	struct lfs_lease_entry pad, vm1;

	world_init(w, 2, 0);
	ck_assert_int_eq(lfs_leases_create(&a->ls, &a->io, "pad", &pad), 0);
	ck_assert_int_eq(lfs_leases_create(&a->ls, &a->io, "vm1", &vm1), 0);
	ck_assert_int_eq(lfs_leases_delete(&a->ls, &a->io, "pad"), 0);
	ck_assert_uint_eq(vm1.ref.slot, 2);
	return vm1;
}

/* After a failed delete of vm1 (old: its entry before), at most one slot
 * answers to vm1, and a second delete completes the first. */
static void
check_one_vm1(struct world *w, const struct lfs_lease_entry *old)
{
	struct host *a = &w->h[0], *b = &w->h[1];
	struct lfs_lease_entry now, again;
	struct lfs_leader held;
	int listed, rv;

	host_renew(a);
	host_renew(b);
	listed = lfs_leases_lookup(&a->ls, &a->io, "vm1", &now) == 0;
	rv = lfs_paxos_acquire(&b->ls, &b->io, &old->ref, "vm1", &held);
	if (rv == 0) { /* the old slot still answers: it must be the listed one */
		ck_assert_msg(listed && now.ref.slot == old->ref.slot &&
		    now.ref.incarnation == old->ref.incarnation, "the old slot "
		    "of vm1 answers, but the table does not list it");
		ck_assert_int_eq(release(b, &old->ref, &held), 0);
		ck_assert_int_eq(lfs_leases_create(&a->ls, &a->io, "vm1",
		    &again), -EEXIST);
	} else {
		ck_assert_int_eq(rv, -ENOENT);
	}
	/* deleting again finishes the job; then vm1 can be made anew */
	rv = lfs_leases_delete(&a->ls, &a->io, "vm1");
	ck_assert_msg(rv == 0 || (!listed && rv == -ENOENT), "second delete: %d",
	    rv);
	ck_assert_int_eq(lfs_leases_lookup(&a->ls, &a->io, "vm1", &now), -ENOENT);
	ck_assert_int_eq(lfs_paxos_acquire(&b->ls, &b->io, &old->ref, "vm1",
	    &held), -ENOENT);
	ck_assert_int_eq(lfs_leases_create(&a->ls, &a->io, "vm1", &again), 0);
	host_renew(b);
	ck_assert_int_eq(lfs_paxos_acquire(&b->ls, &b->io, &old->ref, "vm1",
	    &held), -ENOENT);
}

START_TEST(test_delete_fails_deleted_leader)
{
	struct world w;
	struct host *a = &w.h[0];
	struct lfs_lease_entry vm1 = two_slots(&w);
	struct fail_write f = { .deleted_leader = 1 };
	struct ctx ops;

	f.offset = lfs_slot_sector(&a->ls.layout, vm1.ref.slot) *
	    a->ls.layout.sector_size;
	ctx_open(&ops, a);
	ops.path.rule = fail_write_rule;
	ops.path.rule_arg = &f;
	ck_assert_int_eq(lfs_leases_delete(&a->ls, &ops.io, "vm1"), -EIO);
	ck_assert_int_eq(f.failed, 1);
	ctx_close(&ops);
	check_one_vm1(&w, &vm1);
	world_fini(&w);
}
END_TEST

START_TEST(test_delete_fails_table_write)
{
	struct world w;
	struct host *a = &w.h[0];
	struct lfs_lease_entry vm1 = two_slots(&w);
	struct fail_write f = { 0 };
	struct ctx ops;

	f.offset = a->ls.layout.name_table * a->ls.layout.sector_size;
	ctx_open(&ops, a);
	ops.path.rule = fail_write_rule;
	ops.path.rule_arg = &f;
	ck_assert_int_eq(lfs_leases_delete(&a->ls, &ops.io, "vm1"), -EIO);
	ck_assert_int_eq(f.failed, 1);
	ctx_close(&ops);
	check_one_vm1(&w, &vm1);
	world_fini(&w);
}
END_TEST

/* ---- case 2: a transfer whose commit write times out ----------------------------
 *
 * The ballot has chosen the target; the leader write times out (it is held:
 * it may land later).  The source used to get a plain error, read the
 * leader (still its own, the write has not landed) and keep holding; the
 * write then lands and the target holds too.  Property: once a ballot has
 * chosen a value, the local host acts on that value whatever happens to
 * the commit write: the call says so (-EINPROGRESS: no longer ours), and
 * calling again once the context has settled finishes the commit.
 */
struct hang_leader {
	uint64_t offset;
	int hung;
};

static enum tp_act
hang_leader_rule(void *arg, int seq, const struct iocb *cb, long *res)
{
	struct hang_leader *h = arg;

	(void)seq;
	(void)res;
	if (cb->aio_lio_opcode == IO_CMD_PWRITE &&
	    (uint64_t)cb->u.c.offset == h->offset && h->hung == 0) {
		h->hung = 1;
		return TP_HANG;
	}
	return TP_NOW;
}

START_TEST(test_transfer_commit_times_out)
{
	struct world w;
	struct host *a = &w.h[0], *b = &w.h[1];
	const struct lfs_lease_ref *ref = &w.lease.ref;
	struct hang_leader hl = { 0 };
	struct lfs_leader held, out, ld;
	struct ctx ops;
	int rv;

	world_init(&w, 2, 1);
	ck_assert_int_eq(acquire(a, ref, &held), 0);
	hl.offset = lfs_slot_sector(&a->ls.layout, ref->slot) *
	    a->ls.layout.sector_size;
	ctx_open(&ops, a);
	ops.path.rule = hang_leader_rule;
	ops.path.rule_arg = &hl;
	host_renew(a);
	host_renew(b);
	rv = lfs_paxos_transfer(&a->ls, &ops.io, ref, &held, b->id,
	    b->ls.generation, &out);
	ck_assert_int_eq(hl.hung, 1);
	ck_assert_msg(rv == -EINPROGRESS, "transfer whose commit timed out "
	    "returned %d: the source would keep holding a lease chosen for "
	    "the target", rv);
	ck_assert_uint_eq(out.owner_id, b->id);       /* what was chosen */
	/* while the write is pending, the context refuses lease writes */
	ck_assert_int_eq(lfs_paxos_transfer(&a->ls, &ops.io, ref, &held, b->id,
	    b->ls.generation, &out), -EIO);
	/* the write is dropped (never lands); once settled, again: done */
	tpath_release(&ops.path);
	host_renew(a);
	host_renew(b);
	ck_assert_int_eq(lfs_paxos_transfer(&a->ls, &ops.io, ref, &held, b->id,
	    b->ls.generation, &out), 0);
	ld = read_leader(b, ref);
	ck_assert_uint_eq(ld.owner_id, b->id);
	ck_assert_uint_eq(ld.lver, held.lver + 1);
	/* and a, asked again, knows it is not the owner */
	ck_assert_int_eq(release(a, ref, &held), -EPERM);
	ctx_close(&ops);
	world_fini(&w);
}
END_TEST

/* ---- case 6: the table lease left decided or held after an error ----------------
 *
 * table_unlock() only logged a failed release, and an acquire of the table
 * lease that failed after its ballot had chosen us left a value decided for
 * us and never committed: either way every other host's mkdir and rmdir got
 * -EBUSY until this host's next one.  Property: a value decided for this
 * host is always eventually committed and released, on every error path of
 * the table lease.
 */
struct fail_table_leader {
	uint64_t offset;         /* the table lease's leader */
	uint32_t owner;          /* fail a leader write naming this owner */
	int failed;
};

static enum tp_act
fail_table_leader_rule(void *arg, int seq, const struct iocb *cb, long *res)
{
	struct fail_table_leader *f = arg;
	struct lfs_leader ld;

	(void)seq;
	if (cb->aio_lio_opcode != IO_CMD_PWRITE ||
	    (uint64_t)cb->u.c.offset != f->offset || f->failed ||
	    lfs_leader_decode(&ld, cb->u.c.buf, 512) < 0 ||
	    ld.owner_id != f->owner)
		return TP_NOW;
	f->failed = 1;
	*res = -EIO;
	return TP_RESULT;
}

static void
table_lease_case(int fail_release)
{
	struct world w;
	struct host *a = &w.h[0], *b = &w.h[1];
	struct fail_table_leader f = { 0 };
	const struct lfs_lease_ref table = { 0, 0 };
	struct lfs_lease_entry e;
	struct lfs_leader held;
	struct ctx ops;
	int rv;

	world_init(&w, 2, 0);
	f.offset = lfs_slot_sector(&a->ls.layout, 0) * a->ls.layout.sector_size;
	f.owner = fail_release ? 0 : a->id;
	ctx_open(&ops, a);
	ops.path.rule = fail_table_leader_rule;
	ops.path.rule_arg = &f;
	rv = lfs_leases_create(&a->ls, &ops.io, "x", &e);
	ck_assert_int_eq(f.failed, 1);
	ck_assert_msg(rv == 0 || rv == -EIO, "create: %d", rv);
	ctx_close(&ops);
	/* the table lease is free now, while a lives (a single try: the
	 * retries of lfs_leases_create() would outlast host_dead and take
	 * it over, which is not the point) */
	host_renew(a);
	host_renew(b);
	rv = lfs_paxos_acquire(&b->ls, &b->io, &table, "_table", &held);
	ck_assert_msg(rv == 0, "the table lease after a failed %s: %d "
	    "(every other host's mkdir waits)", fail_release ? "release" :
	    "commit", rv);
	ck_assert_int_eq(release(b, &table, &held), 0);
	ck_assert_int_eq(lfs_leases_create(&b->ls, &b->io, "y", &e), 0);
	world_fini(&w);
}

START_TEST(test_table_release_fails)
{
	table_lease_case(1);
}
END_TEST

START_TEST(test_table_commit_fails)
{
	table_lease_case(0);
}
END_TEST

/* ---- case 4: a host whose clock missed time ----------------------------------------
 *
 * A host suspended (or a VM guest paused) sees no time pass on a clock that
 * does not count it, and so never fences, while the others take its leases
 * after host_dead.  Its first renewal on waking must notice from another
 * host's renewal counter that far more time passed than it measured, and
 * treat its generation as lost (-ETIME).  Host a gets a clock of its own
 * here, which the test stops.
 */
static void
host_own_clock(struct host *h, struct test_clock *c)
{
	tclock_init(c);
	atomic_store(&c->ns, atomic_load(&test_clk.ns));
	h->ls.clock = &c->clock;
	h->path.clk = c;
	h->io.clock = &c->clock;
}

START_TEST(test_frozen_clock_loses_generation)
{
	struct world w;
	struct host *a = &w.h[0], *b = &w.h[1];
	struct test_clock aclk;
	uint32_t ri;
	int i;

	world_init(&w, 2, 1);
	host_own_clock(a, &aclk);
	ri = a->ls.to.renewal_interval_ms;
	/* both renew on schedule: nothing is wrong */
	for (i = 0; i < 10; i++) {
		tclock_advance(&test_clk, ri);
		tclock_advance(&aclk, ri);
		host_renew(b);
		host_renew(a);
	}
	/* a is frozen for host_dead and more; b renews on schedule */
	for (i = 0; i < 5; i++) {
		tclock_advance(&test_clk, ri);
		host_renew(b);
	}
	tclock_advance(&aclk, 1); /* a measured almost nothing */
	ck_assert_int_eq(lfs_delta_renew(&a->ls, &a->io), -ETIME);
	world_fini(&w);
}
END_TEST

/* A freeze shorter than the detection bound (one renewal interval missed)
 * is not taken for one: no false alarm from a peer's normal schedule. */
START_TEST(test_short_freeze_no_false_alarm)
{
	struct world w;
	struct host *a = &w.h[0], *b = &w.h[1];
	struct test_clock aclk;
	uint32_t ri;
	int i;

	world_init(&w, 2, 1);
	host_own_clock(a, &aclk);
	ri = a->ls.to.renewal_interval_ms;
	for (i = 0; i < 2; i++) {
		tclock_advance(&test_clk, ri);
		host_renew(b);
	}
	tclock_advance(&aclk, ri);
	ck_assert_int_eq(lfs_delta_renew(&a->ls, &a->io), 0);
	world_fini(&w);
}
END_TEST

/* ---- a view older than the owner it judges --------------------------------------
 *
 * From the daemon review: a view that still shows (id, g) silent for
 * host_dead judged (id, g + 1) DEAD as well, although that incarnation is
 * newer than anything the view saw.  The ballot's own freshness rule keeps
 * such a view away from a lease of g + 1 (join_delay), but the host state
 * must not lean on it: a generation newer than the view's is LIVE.
 */
START_TEST(test_newer_generation_than_view_is_live)
{
	struct world w;
	struct host *a = &w.h[0], *b = &w.h[1];
	uint64_t g;

	world_init(&w, 2, 0);
	g = b->ls.generation;
	ck_assert_int_eq(lfs_hosts_refresh(&a->ls, &a->io), 0); /* b's last */
	tclock_advance(&test_clk, a->ls.to.host_dead_ms);
	ck_assert_int_eq(lfs_hosts_refresh(&a->ls, &a->io), 0);
	ck_assert_int_eq(lfs_host_state(&a->ls, b->id, g), LFS_HOST_STATE_DEAD);
	ck_assert_int_ne(lfs_host_state(&a->ls, b->id, g + 1),
	    LFS_HOST_STATE_DEAD);
	world_fini(&w);
}
END_TEST

/* ---- case 8: generations never repeat, never go back ------------------------------
 *
 * A corrupt own host record made the next join start again at generation
 * 1, so leases of the old generation g > 1 looked live forever (their
 * owner's record renews, with a smaller generation).  Property: a host's
 * generation never repeats and never goes back: the daemon keeps it in its
 * state file too and joins with the maximum (join_params.min_generation).
 */
START_TEST(test_generation_never_goes_back)
{
	struct world w;
	struct host *a = &w.h[0], *b = &w.h[1];
	struct lfs_join_params p = { .host_id = 1, .host_name = "host1" };
	unsigned char junk[512];
	struct lfs_leader held, out;
	const struct lfs_lease_ref *ref = &w.lease.ref;
	uint64_t gen;

	world_init(&w, 2, 1);
	host_restart(a);            /* generation 2 */
	gen = a->ls.generation;
	ck_assert_uint_eq(gen, 2);
	ck_assert_int_eq(acquire(a, ref, &held), 0);
	/* a crashes; its record is then damaged on disk */
	memset(junk, 0x5a, sizeof(junk));
	ck_assert_int_eq(lfs_io_write(&b->io, lfs_host_sector(&b->ls.layout, 1) *
	    b->ls.layout.sector_size, junk, sizeof(junk)), 0);
	host_close(a);
	host_open(a, 1);
	uuid_copy(p.identity, a->identity);
	p.min_generation = gen + 1;   /* what a's state file remembers */
	/* the damaged record is another host's for all a knows: it waits to
	 * see it unchanged for host_dead, then takes it */
	ck_assert_int_eq(lfs_delta_join(&a->ls, &a->io, &p), 0);
	ck_assert_msg(a->ls.generation > gen, "rejoined with generation %llu "
	    "after %llu", (unsigned long long)a->ls.generation,
	    (unsigned long long)gen);
	/* so the lease of generation 2 is dead to everyone, and usable */
	host_renew(a);
	host_renew(b);
	ck_assert_int_eq(acquire(b, ref, &out), 0);
	ck_assert_uint_eq(out.owner_id, b->id);
	world_fini(&w);
}
END_TEST

/* ---- case 5: writes outside Paxos that could land late ------------------------
 *
 * The name-table sector, a slot's initial image and a DELETED leader are
 * plain writes: one queued on a hung path and landing after other hosts took
 * the table lease over would reset a slot they reused.  Property: such a
 * write is issued only while our renewal is fresh enough that its I/O
 * timeout ends before we would fence (leases.c has the timeline); else the
 * operation fails (-EIO) and writes nothing.
 */
START_TEST(test_unguarded_write_needs_fresh_renewal)
{
	struct world w;
	struct host *a = &w.h[0];
	struct lfs_lease_entry e;
	struct ctx ops;

	world_init(&w, 2, 0);
	ctx_open(&ops, a);
	/* the table lease can still be taken (a ballot is safe at any time),
	 * but the table write would come too close to renewal_fail */
	host_renew(a);
	tclock_advance(&test_clk, a->ls.to.renewal_fail_ms -
	    a->ls.to.io_timeout_ms);
	ops.path.writes = 0;
	ck_assert_int_eq(lfs_leases_create(&a->ls, &ops.io, "vm1", &e), -EIO);
	host_renew(a);
	ck_assert_int_eq(lfs_leases_lookup(&a->ls, &a->io, "vm1", &e), -ENOENT);
	/* fresh again: it works */
	ck_assert_int_eq(lfs_leases_create(&a->ls, &ops.io, "vm1", &e), 0);
	ctx_close(&ops);
	world_fini(&w);
}
END_TEST

/* ---- case 7: a late leader write ------------------------------------------------
 *
 * A release was only a leader write.  A leader write of an older instance
 * that lands late (here: a's commit of instance 1, put back on disk after
 * the lease moved on) regresses the leader, so that it names a live host
 * that no longer holds the lease, while the dblocks show newer instances:
 * every host then got EBUSY forever (only the leader's live owner may run
 * the next instance, and it refused because the leader was its own old
 * one).  Property: a late write of any leader record never makes a lease
 * unusable: the owner it names mends it at once, anyone else once the
 * stale state has lasted io_timeout (a live owner's handover is done by
 * then).
 */
START_TEST(test_late_leader_write_harmless)
{
	struct world w;
	struct host *a = &w.h[0], *b = &w.h[1];
	const struct lfs_lease_ref *ref = &w.lease.ref;
	unsigned char old[512];
	struct lfs_leader held, out;
	uint64_t off;
	int rv_a, rv_b;

	world_init(&w, 2, 1);
	off = lfs_slot_sector(&a->ls.layout, ref->slot) * a->ls.layout.sector_size;
	ck_assert_int_eq(acquire(a, ref, &held), 0);
	ck_assert_int_eq(lfs_io_read(&a->io, off, old, sizeof(old)), 0);
	ck_assert_int_eq(release(a, ref, &held), 0);
	ck_assert_int_eq(acquire(b, ref, &held), 0);
	ck_assert_int_eq(release(b, ref, &held), 0);
	/* a's commit of instance 1 lands now, late */
	ck_assert_int_eq(lfs_io_write(&a->io, off, old, sizeof(old)), 0);
	ck_assert_uint_eq(read_leader(b, ref).owner_id, a->id);
	host_renew(a);
	host_renew(b);
	/* b first gives a live owner's handover its time (io_timeout), then
	 * runs the stale instance to its end */
	ck_assert_int_eq(acquire(b, ref, &out), -EBUSY);
	tclock_advance(&test_clk, b->ls.to.io_timeout_ms);
	host_renew(a);
	rv_b = acquire(b, ref, &out);
	ck_assert_msg(rv_b == 0, "after a late leader write, b's acquire: %d", rv_b);
	ck_assert_uint_eq(out.owner_id, b->id);
	ck_assert_uint_gt(out.lver, held.lver);
	ck_assert_int_eq(release(b, ref, &out), 0);
	/* and the same for a, whose old leader it was */
	ck_assert_int_eq(lfs_io_write(&a->io, off, old, sizeof(old)), 0);
	rv_a = acquire(a, ref, &out);
	ck_assert_msg(rv_a == 0, "after a late leader write of its own, a's "
	    "acquire: %d", rv_a);
	ck_assert_uint_eq(out.owner_id, a->id);
	world_fini(&w);
}
END_TEST

/* ---- case 9: a corrupt record, and the way back -----------------------------------
 *
 * A corrupt dblock or leader made its lease unusable forever, even for that
 * dblock's owner, with no way out.  Corrupt stays never free; repair
 * (repair.h) rewrites a record only when that is safe: a dblock once its
 * host is free or dead, a leader once no ballot of its newest instance can
 * be under way.  While a host involved is alive it refuses and writes
 * nothing.
 */
static int
renew_b(void *arg)
{
	host_renew(arg);
	return 0;
}

START_TEST(test_repair_dblock)
{
	struct world w;
	struct host *a = &w.h[0], *b = &w.h[1], *r = &w.h[2];
	const struct lfs_lease_ref *ref = &w.lease.ref;
	struct lfs_repair_result res;
	unsigned char junk[512];
	struct lfs_leader held, out;
	uint64_t off;

	world_init(&w, 3, 1);
	ck_assert_int_eq(acquire(b, ref, &held), 0);
	ck_assert_int_eq(release(b, ref, &held), 0);
	off = (lfs_slot_sector(&a->ls.layout, ref->slot) + 1 + b->id) *
	    a->ls.layout.sector_size;
	memset(junk, 0x3c, sizeof(junk));
	ck_assert_int_eq(lfs_io_write(&a->io, off, junk, sizeof(junk)), 0);
	host_renew(a);
	ck_assert_int_lt(acquire(a, ref, &out), 0);   /* corrupt is never free */

	/* b renews while repair watches: refused, nothing written */
	ck_assert_int_eq(lfs_repair_lease(&r->ls, &r->io, &w.lease, renew_b, b,
	    &res), -EBUSY);
	ck_assert_uint_eq(res.busy_host, b->id);
	ck_assert_uint_eq(res.dblocks_rewritten, 0);
	host_renew(a);
	ck_assert_int_lt(acquire(a, ref, &out), 0);

	/* b leaves cleanly: repaired at once, the lease usable again */
	ck_assert_int_eq(lfs_delta_leave(&b->ls, &b->io), 0);
	ck_assert_int_eq(lfs_repair_lease(&r->ls, &r->io, &w.lease, NULL, NULL,
	    &res), 0);
	ck_assert_uint_eq(res.dblocks_rewritten, 1);
	ck_assert_int_eq(res.leader_rewritten, 0);
	host_renew(a);
	ck_assert_int_eq(acquire(a, ref, &out), 0);
	ck_assert_uint_eq(out.owner_id, a->id);
	world_fini(&w);
}
END_TEST

START_TEST(test_repair_leader)
{
	struct world w;
	struct host *a = &w.h[0], *b = &w.h[1], *r = &w.h[2];
	const struct lfs_lease_ref *ref = &w.lease.ref;
	struct lfs_repair_result res;
	unsigned char junk[512];
	struct lfs_leader held, out;
	uint64_t off;

	world_init(&w, 3, 1);
	ck_assert_int_eq(acquire(a, ref, &held), 0);
	off = lfs_slot_sector(&a->ls.layout, ref->slot) * a->ls.layout.sector_size;
	memset(junk, 0x7e, sizeof(junk));
	ck_assert_int_eq(lfs_io_write(&b->io, off, junk, sizeof(junk)), 0);
	host_renew(b);
	ck_assert_int_lt(acquire(b, ref, &out), 0);

	/* a, whose ballot made the newest instance, is alive: refused */
	ck_assert_int_eq(lfs_repair_lease(&r->ls, &r->io, &w.lease, renew_b, a,
	    &res), -EBUSY);
	ck_assert_int_eq(res.leader_rewritten, 0);

	/* a stops renewing (crashed): after host_dead the leader is rebuilt
	 * naming a, its chosen owner; a is dead, so b may take it over */
	ck_assert_int_eq(lfs_repair_lease(&r->ls, &r->io, &w.lease, NULL, NULL,
	    &res), 0);
	ck_assert_int_eq(res.leader_rewritten, 1);
	ck_assert_uint_eq(res.leader.owner_id, a->id);
	ck_assert_uint_eq(res.leader.lver, held.lver);
	/* b judges a dead by its own watch: a's last change it saw came
	 * late (a renewed during the first repair) */
	ck_assert_int_eq(lfs_hosts_refresh(&b->ls, &b->io), 0);
	ck_assert_int_eq(acquire(b, ref, &out), -EBUSY);
	tclock_advance(&test_clk, b->ls.to.host_dead_ms);
	host_renew(b);   /* b lives on, a does not */
	ck_assert_int_eq(acquire(b, ref, &out), 0);
	ck_assert_uint_eq(out.owner_id, b->id);
	ck_assert_uint_gt(out.lver, held.lver);
	world_fini(&w);
}
END_TEST

/* ---- case 10: incarnations of one host id ----------------------------------------
 *
 * The simulator's findings C6 and C8.  A host id's sectors (its delta
 * record, its dblock in every lease) are shared by all its incarnations.
 * A write of an earlier incarnation that lands late, after a later one
 * wrote the same sector, puts an old block back: another host's ballot
 * then misses a value the later incarnation accepted (two values chosen),
 * or the record shows the earlier incarnation over a newer one.  A rejoin
 * of our own identity after a crash was taken at once, though that
 * incarnation's writes and holders may still be in flight.  Property: a
 * sector of a host id is written by a new incarnation only when no write
 * of an earlier one can still land (delta.c has the timeline).
 */

/* a crashed, restarted: its join waits host_dead, as anyone's would */
START_TEST(test_rejoin_waits_out_old_incarnation)
{
	struct world w;
	struct host *a = &w.h[0];
	const struct lfs_lease_ref *ref = &w.lease.ref;
	struct lfs_leader held;
	uint64_t gen, t0;

	world_init(&w, 2, 1);
	ck_assert_int_eq(acquire(a, ref, &held), 0);
	gen = a->ls.generation;
	host_close(a);               /* a crash: no leave */
	host_open(a, 1);
	t0 = tclock_ms(&test_clk);
	ck_assert_int_eq(host_join(a), 0);
	ck_assert_msg(tclock_ms(&test_clk) - t0 >= a->ls.to.host_dead_ms,
	    "rejoined %llu ms after the first look, host_dead is %u",
	    (unsigned long long)(tclock_ms(&test_clk) - t0),
	    a->ls.to.host_dead_ms);
	ck_assert_uint_eq(a->ls.generation, gen + 1);
	world_fini(&w);
}
END_TEST

struct case10 {
	struct tpath *old;          /* the earlier incarnation's path */
	int land_at;                /* at this I/O of the joiner */
	uint64_t landed_ms;
};

static enum tp_act
case10_hang_writes(void *arg, int seq, const struct iocb *cb, long *res)
{
	(void)arg; (void)seq; (void)res;
	return cb->aio_lio_opcode == IO_CMD_PWRITE ? TP_HANG : TP_NOW;
}

static enum tp_act
case10_land_old(void *arg, int seq, const struct iocb *cb, long *res)
{
	struct case10 *k = arg;

	(void)cb; (void)res;
	if (seq == k->land_at) {
		tpath_land(k->old, 0);
		k->landed_ms = tclock_ms(&test_clk);
	}
	return TP_NOW;
}

/* a's renewal write hangs; a crashes; while its next incarnation waits, the
 * write lands: the wait starts again, and the new generation follows the
 * landed one */
START_TEST(test_rejoin_late_own_record_restarts_wait)
{
	struct world w;
	struct host *a = &w.h[0], *a2 = &w.h[2];
	struct case10 k = { .old = &a->path, .land_at = 2 };
	uint64_t gen;

	world_init(&w, 2, 0);
	gen = a->ls.generation;
	a->path.rule = case10_hang_writes;
	ck_assert_int_eq(lfs_delta_renew(&a->ls, &a->io), -ETIMEDOUT);
	uuid_copy(a2->identity, a->identity);
	host_open(a2, 1);            /* a's restart, a still in the kernel */
	a2->path.rule = case10_land_old;
	a2->path.rule_arg = &k;
	ck_assert_int_eq(host_join(a2), 0);
	ck_assert_uint_ne(k.landed_ms, 0);
	ck_assert_msg(tclock_ms(&test_clk) - k.landed_ms >= a2->ls.to.host_dead_ms,
	    "joined %llu ms after a write of the previous incarnation landed",
	    (unsigned long long)(tclock_ms(&test_clk) - k.landed_ms));
	ck_assert_uint_eq(a2->ls.generation, gen + 1);
	host_close(a2);
	world_fini(&w);
}
END_TEST

static enum tp_act
case10_hang_first_write(void *arg, int seq, const struct iocb *cb, long *res)
{
	uint64_t *submit_ms = arg;

	(void)seq; (void)res;
	if (cb->aio_lio_opcode != IO_CMD_PWRITE || *submit_ms != 0)
		return TP_NOW;
	*submit_ms = tclock_ms(&test_clk);
	return TP_HANG;
}

/* a write that timed out may land up to 5 io after its submission: a clean
 * leave, which lets the id be taken at once, waits that out first */
START_TEST(test_leave_waits_out_uncertain_write)
{
	struct world w;
	struct host *a = &w.h[0];
	const struct lfs_lease_ref *ref = &w.lease.ref;
	struct lfs_leader held;
	struct ctx ops;
	uint64_t submit_ms = 0;

	world_init(&w, 1, 1);
	ctx_open(&ops, a);
	ops.path.rule = case10_hang_first_write;
	ops.path.rule_arg = &submit_ms;
	ck_assert_int_lt(lfs_paxos_acquire(&a->ls, &ops.io, ref, "vm1", &held), 0);
	ck_assert_uint_ne(submit_ms, 0);
	ck_assert_int_eq(lfs_delta_leave(&a->ls, &a->io), 0);
	ck_assert_msg(tclock_ms(&test_clk) >= submit_ms +
	    lfs_late_write_ms(&a->ls.to), "left %llu ms after a write that "
	    "timed out was submitted", (unsigned long long)(tclock_ms(&test_clk) -
	    submit_ms));
	ctx_close(&ops);
	world_fini(&w);
}
END_TEST

/* past renewal_fail the generation is finished: no lease write goes out, so
 * that every write of an incarnation lands before host_dead */
START_TEST(test_ballot_write_needs_live_generation)
{
	struct world w;
	struct host *a = &w.h[0];
	const struct lfs_lease_ref *ref = &w.lease.ref;
	struct lfs_leader held;
	int writes;

	world_init(&w, 2, 1);
	tclock_advance(&test_clk, a->ls.to.renewal_fail_ms);
	writes = a->path.writes;
	ck_assert_int_eq(acquire(a, ref, &held), -EIO);
	ck_assert_int_eq(a->path.writes, writes);
	world_fini(&w);
}
END_TEST

/* ---- runner ------------------------------------------------------------------- */

static Suite *
safety_suite(void)
{
	Suite *s = suite_create("safety");
	TCase *tc;

	tc = lt_tcase(s, "paxos");
	tcase_add_test(tc, test_ballot_sees_every_writer);
	tcase_add_test(tc, test_transfer_commit_times_out);
	tcase_add_test(tc, test_late_leader_write_harmless);
	tc = lt_tcase(s, "clock");
	tcase_add_test(tc, test_frozen_clock_loses_generation);
	tcase_add_test(tc, test_short_freeze_no_false_alarm);
	tcase_add_test(tc, test_generation_never_goes_back);
	tcase_add_test(tc, test_newer_generation_than_view_is_live);
	tc = lt_tcase(s, "incarnations");
	tcase_add_test(tc, test_rejoin_waits_out_old_incarnation);
	tcase_add_test(tc, test_rejoin_late_own_record_restarts_wait);
	tcase_add_test(tc, test_leave_waits_out_uncertain_write);
	tcase_add_test(tc, test_ballot_write_needs_live_generation);
	tc = lt_tcase(s, "repair");
	tcase_add_test(tc, test_repair_dblock);
	tcase_add_test(tc, test_repair_leader);
	tc = lt_tcase(s, "names");
	tcase_add_test(tc, test_delete_fails_deleted_leader);
	tcase_add_test(tc, test_delete_fails_table_write);
	tcase_add_test(tc, test_table_release_fails);
	tcase_add_test(tc, test_table_commit_fails);
	tcase_add_test(tc, test_unguarded_write_needs_fresh_renewal);
	return s;
}

int
main(void)
{
	return lt_main("check_safety", safety_suite, T_FILE_SIZE);
}
