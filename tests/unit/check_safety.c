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

/* ---- runner ------------------------------------------------------------------- */

static Suite *
safety_suite(void)
{
	Suite *s = suite_create("safety");
	TCase *tc;

	tc = lt_tcase(s, "paxos");
	tcase_add_test(tc, test_ballot_sees_every_writer);
	return s;
}

int
main(void)
{
	return lt_main("check_safety", safety_suite, T_FILE_SIZE);
}
