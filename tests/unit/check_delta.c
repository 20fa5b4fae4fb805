/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check_delta.c - unit tests of core/delta.c and the host view of
 * core/lockspace.c, several hosts in one process.
 *
 * A "host" is a struct lfs_lockspace opened on a shared temporary file with
 * its own struct lfs_io, joined with its own host id and identity
 * (lfs_test.h).  Nothing renews in the background unless a test starts a
 * renewer thread: a host that the test stops renewing is, to the others, a
 * host that died.  The lockspace uses io_timeout 100 ms (the minimum), so
 * renewal_fail is 400 ms, host_dead 800 ms and a join takes about
 * join_delay = 200 ms.
 *
 * Claims:
 *   - join, renew and leave round trip: the timestamp rises, another host
 *     sees LIVE, then FREE after the leave;
 *   - a rejoin with the same identity is immediate and bumps the
 *     generation, which makes the old generation DEAD to others;
 *   - a different identity is refused (-EBUSY) on an id whose holder
 *     renews, and takes over an id whose holder stopped, after host_dead;
 *   - a host seen to stop renewing goes LIVE -> FAILING -> DEAD, at
 *     renewal_fail and host_dead after its last renewal, never earlier;
 *   - of two racing joiners at most one ends up holding the id;
 *   - renewal returns -ESTALE once
 *     our sector holds another identity or generation;
 *   - a peer's record read torn once is a NOTICE and a change (LIVE), and
 *     reads whole next time; one bad the same on two reads is one WARNING.
 *
 * Time is each host's test clock (lfs_test.h): timing assertions are exact
 * (at the first look at or past a bound), whatever the machine's load.  Where the file goes and
 * LFS_TEST_LOG: lfs_test.h.
 */
#include "lfs_test.h"

/* ---- host helpers ------------------------------------------------------- */

/* Write rec into host id's sector of h's lockspace, through h's io. */
static void
write_host_sector(struct host *h, uint32_t id, const struct lfs_host *rec)
{
	uint32_t S = h->ls.layout.sector_size;
	unsigned char buf[4096];

	ck_assert_int_eq(lfs_host_encode(rec, buf, S), 0);
	ck_assert_int_eq(lfs_io_write(&h->io,
	    lfs_host_sector(&h->ls.layout, id) * S, buf, S), 0);
}

/* ---- join, renew, leave ------------------------------------------------- */

START_TEST(test_join_renew_leave)
{
	struct host a = { 0 }, b = { 0 };
	struct host *both[] = { &a, &b };
	struct lfs_host_view v;
	uint64_t ts0, gen1;

	format_lockspace();
	host_open(&a, 1);
	host_open(&b, 2);
	hosts_join(both, 2);
	ck_assert_uint_eq(a.ls.host_id, 1);
	ck_assert_uint_eq(a.ls.generation, 1); /* fresh lockspace */
	gen1 = a.ls.generation;

	/* b sees a's record, LIVE */
	ck_assert_int_eq(lfs_host_get(&b.ls, 1, &v), 0);
	ck_assert(uuid_compare(v.rec.identity, a.identity) == 0);
	ck_assert_uint_eq(v.rec.generation, gen1);
	ck_assert_str_eq(v.rec.name, "host1");
	ts0 = v.rec.timestamp;
	ck_assert_int_eq(lfs_host_state(&b.ls, 1, gen1), LFS_HOST_STATE_LIVE);
	ck_assert_int_eq(lfs_host_state(&b.ls, 1, 0), LFS_HOST_STATE_LIVE);
	ck_assert_int_eq(lfs_host_state(&b.ls, 3, 0), LFS_HOST_STATE_FREE);
	ck_assert_int_eq(lfs_host_find(&b.ls, "host1"), 1);

	/* renewals raise the timestamp, as seen from b */
	host_renew(&a);
	host_renew(&a);
	host_renew(&b);
	ck_assert_int_eq(lfs_host_get(&b.ls, 1, &v), 0);
	ck_assert_uint_gt(v.rec.timestamp, ts0);
	ck_assert_uint_eq(v.rec.timestamp, a.ls.renew_count);
	ck_assert_uint_eq(lfs_delta_since_renewal_ms(&a.ls), 0); /* no time passed */

	/* leave: FREE on disk and in b's view */
	ck_assert_int_eq(lfs_delta_leave(&a.ls, &a.io), 0);
	host_renew(&b);
	ck_assert_int_eq(lfs_host_get(&b.ls, 1, &v), 0);
	ck_assert(v.rec.flags & LFS_HOST_FREE);
	ck_assert_int_eq(lfs_host_state(&b.ls, 1, gen1), LFS_HOST_STATE_FREE);
	ck_assert_int_eq(lfs_host_state(&b.ls, 1, 0), LFS_HOST_STATE_FREE);

	host_close(&a);
	host_close(&b);
}
END_TEST

/* A restart with the same identity rejoins at once (no wait for host_dead)
 * with the next generation, after a clean leave and after a crash alike;
 * to others, the older generation is then DEAD, the new one LIVE. */
START_TEST(test_rejoin_same_identity)
{
	struct host a = { 0 }, b = { 0 };
	struct host *both[] = { &a, &b };
	uint64_t t0, gen1;

	format_lockspace();
	host_open(&a, 1);
	host_open(&b, 2);
	hosts_join(both, 2);
	gen1 = a.ls.generation;

	/* after a clean leave */
	ck_assert_int_eq(lfs_delta_leave(&a.ls, &a.io), 0);
	host_close(&a);
	host_open(&a, 1);
	t0 = tclock_ms(&test_clk);
	ck_assert_int_eq(host_join(&a), 0);
	ck_assert_uint_eq(tclock_ms(&test_clk) - t0, a.ls.to.join_delay_ms);
	ck_assert_uint_eq(a.ls.generation, gen1 + 1);

	/* after a crash: no leave, the record still LIVE; that incarnation's
	 * writes and holders may still be in flight, so the record is watched
	 * for host_dead first, as a stranger's would be (delta.c) */
	host_renew(&a);
	host_close(&a);
	host_renew(&b);
	host_open(&a, 1);
	t0 = tclock_ms(&test_clk);
	ck_assert_int_eq(host_join(&a), 0);
	ck_assert_uint_eq(tclock_ms(&test_clk) - t0, a.ls.to.host_dead_ms +
	    a.ls.to.join_delay_ms);
	ck_assert_uint_eq(a.ls.generation, gen1 + 2);

	host_renew(&b);
	ck_assert_int_eq(lfs_host_state(&b.ls, 1, gen1 + 1), LFS_HOST_STATE_DEAD);
	ck_assert_int_eq(lfs_host_state(&b.ls, 1, gen1 + 2), LFS_HOST_STATE_LIVE);
	host_renew(&a);

	host_close(&a);
	host_close(&b);
}
END_TEST

START_TEST(test_join_bad_id)
{
	struct host a = { 0 };

	format_lockspace();
	host_open(&a, 0);
	ck_assert_int_eq(host_join(&a), -EINVAL);
	a.id = T_HOSTS + 1;
	ck_assert_int_eq(host_join(&a), -EINVAL);
	ck_assert_uint_eq(a.ls.host_id, 0);
	ck_assert_int_eq(lfs_delta_leave(&a.ls, &a.io), 0); /* not joined: no-op */
	host_close(&a);
}
END_TEST

/*
 * A join that starts again (a late write of our previous generation landed
 * over its record: delta.c lfs_delta_join) must not write what its first
 * try wrote.  The daemon rejoins in-process after its renewals failed, and
 * a renewal of that generation may land up to 1.1 io after the rejoin's
 * first write (delta.c renewal_in_time).  A host that read the first try
 * before that late write and reads the second try after it would see the
 * same bytes twice, no change, and count our new generation's liveness
 * from the first try: 2 io or more before the second try's submit, from
 * which we count renewal_fail.  host_dead's slack for SIGKILL is 2 io.
 */
struct late_own {
	struct host *obs;        /* reads our sector, writes the late write */
	uint32_t id;
	struct lfs_host old;     /* the late write: a renewal of the old gen */
	struct lfs_host_view first; /* what obs read of the first try */
	int fired;
};

static int
late_own_step(void *arg)
{
	struct late_own *lo = arg;
	struct lfs_host_view v;

	if (lo->fired)
		return 0;
	ck_assert_int_eq(lfs_hosts_refresh(&lo->obs->ls, &lo->obs->io), 0);
	ck_assert_int_eq(lfs_host_get(&lo->obs->ls, lo->id, &v), 0);
	if (v.rec.generation == lo->old.generation)
		return 0; /* the first try has not been written yet */
	lo->first = v;
	lo->fired = 1;
	write_host_sector(lo->obs, lo->id, &lo->old);
	return 0;
}

START_TEST(test_join_again_writes_anew)
{
	struct host a = { 0 }, obs = { 0 };
	struct host *both[] = { &a, &obs };
	struct lfs_join_params p = { .host_id = 1, .host_name = "host1" };
	struct late_own lo = { .obs = &obs, .id = 1 };
	struct lfs_host_view after;

	format_lockspace();
	host_open(&a, 1);
	host_open(&obs, 2);
	hosts_join(both, 2);
	host_renew(&a);
	ck_assert_int_eq(lfs_hosts_refresh(&obs.ls, &obs.io), 0);
	ck_assert_int_eq(lfs_host_get(&obs.ls, 1, &after), 0);
	lo.old = after.rec;
	lo.old.timestamp++;

	/* a rejoins in-process with its identity, as the daemon does */
	uuid_copy(p.identity, a.identity);
	p.should_stop = late_own_step;
	p.arg = &lo;
	ck_assert_int_eq(lfs_delta_join(&a.ls, &a.io, &p), 0);
	ck_assert(lo.fired);
	ck_assert_uint_gt(lo.first.rec.generation, lo.old.generation);

	ck_assert_int_eq(lfs_hosts_refresh(&obs.ls, &obs.io), 0);
	ck_assert_int_eq(lfs_host_get(&obs.ls, 1, &after), 0);
	ck_assert(uuid_compare(after.rec.identity, a.identity) == 0);
	ck_assert_uint_eq(after.rec.generation, a.ls.generation);
	ck_assert_msg(after.rec.generation != lo.first.rec.generation ||
	    after.rec.timestamp != lo.first.rec.timestamp,
	    "the second try wrote generation %llu timestamp %llu again",
	    (unsigned long long)after.rec.generation,
	    (unsigned long long)after.rec.timestamp);
	/* obs saw a change after the first try: it counts from the second */
	ck_assert_uint_gt(after.changed_ms, lo.first.changed_ms);
	ck_assert_int_eq(lfs_host_state(&obs.ls, 1, a.ls.generation),
	    LFS_HOST_STATE_LIVE);
	host_renew(&a);

	host_close(&a);
	host_close(&obs);
}
END_TEST

/* ---- contention for one id ---------------------------------------------- */

/* The holder renews while a stranger tries its id: the joiner's wait
 * between two looks (join_params.should_stop, called at every step of it)
 * is where the holder renews, once per step, as a live holder would. */
static int
renew_holder(void *arg)
{
	host_renew(arg);
	return 0;
}

START_TEST(test_join_busy_while_renewing)
{
	struct host a = { 0 }, c = { 0 };
	struct lfs_join_params p = { .host_id = 3, .host_name = "c",
	    .should_stop = renew_holder, .arg = &a };
	struct lfs_host_view v;
	uint64_t t0, took, count0;
	int rv;

	format_lockspace();
	host_open(&a, 3);
	ck_assert_int_eq(host_join(&a), 0);
	count0 = a.ls.renew_count;

	host_open(&c, 3); /* another identity */
	uuid_copy(p.identity, c.identity);
	t0 = tclock_ms(&test_clk);
	rv = lfs_delta_join(&c.ls, &c.io, &p);
	took = tclock_ms(&test_clk) - t0;

	ck_assert_int_eq(rv, -EBUSY);
	ck_assert_uint_eq(c.ls.host_id, 0);
	/* saw it renew at its second look, one renewal_interval later */
	ck_assert_uint_eq(took, c.ls.to.renewal_interval_ms);
	ck_assert_uint_gt(a.ls.renew_count, count0);
	/* the holder still holds it */
	host_renew(&a);
	ck_assert_int_eq(lfs_host_get(&a.ls, 3, &v), 0);
	ck_assert(uuid_compare(v.rec.identity, a.identity) == 0);

	host_close(&a);
	host_close(&c);
}
END_TEST

/* The holder stopped renewing: a stranger's join waits host_dead, then
 * takes the id with the next generation. */
START_TEST(test_join_takes_over_dead)
{
	struct host a = { 0 }, c = { 0 };
	struct lfs_host_view v;
	uint64_t t0, took, gen_a;

	format_lockspace();
	host_open(&a, 4);
	ck_assert_int_eq(host_join(&a), 0);
	host_renew(&a);
	gen_a = a.ls.generation;

	host_open(&c, 4);
	t0 = tclock_ms(&test_clk);
	ck_assert_int_eq(host_join(&c), 0);
	took = tclock_ms(&test_clk) - t0;

	/* waited a full host_dead of silence from c's own first look (the
	 * first sight counts as a change), then join_delay; looks come every
	 * renewal_interval, so at most one interval more */
	ck_assert_uint_ge(took, c.ls.to.host_dead_ms + c.ls.to.join_delay_ms);
	ck_assert_uint_le(took, c.ls.to.host_dead_ms + c.ls.to.join_delay_ms +
	    c.ls.to.renewal_interval_ms);
	ck_assert_uint_eq(c.ls.generation, gen_a + 1);

	/* (a's next renewal now fails with -ESTALE:
	 * test_renew_after_takeover) */
	host_renew(&c);
	ck_assert_int_eq(lfs_host_get(&c.ls, 4, &v), 0);
	ck_assert(uuid_compare(v.rec.identity, c.identity) == 0);

	host_close(&a);
	host_close(&c);
}
END_TEST

/*
 * Two strangers race for a free id: at most one may end up holding it.
 * The race is played out deterministically, every way the hooks allow: b's
 * whole join runs inside a's, at a's k-th I/O (before that I/O is done, so
 * that a's I/O lands after b's join and, if b's join took longer than
 * io_timeout, a is told it timed out), or at the k-th step of a's waits.
 * Either exactly one joins (the other lost the race: -EAGAIN, saw the
 * winner alive: -EBUSY, or timed out), or the late one took the id over
 * after host_dead (the winner does not renew here): then its generation is
 * higher, its record is the one on disk, and the older one's next renewal
 * is -ESTALE.  One more outcome is real: a's record write is slower than
 * io_timeout (b's whole join fits in it), a gives up with -ETIMEDOUT, and
 * the write lands later over b's record; b's next renewal is -ESTALE.
 */
struct race {
	struct host *a, *b;
	int at;                  /* a's I/O or wait step at which b joins */
	int steps;               /* a's wait steps so far */
	int fired;
	int b_rv;
};

static void
race_fire(struct race *r, int n)
{
	if (n != r->at || r->fired)
		return;
	r->fired = 1;
	r->b_rv = host_join(r->b);
}

static enum tp_act
race_at_io(void *arg, int seq, const struct iocb *cb, long *res)
{
	(void)cb;
	(void)res;
	race_fire(arg, seq);
	return TP_NOW;
}

static int
race_step(void *arg)
{
	struct race *r = arg;

	race_fire(r, r->steps++);
	return 0;
}

static void
race_check(struct host *a, int a_rv, struct host *b, int b_rv, const char *how,
    int k)
{
	struct host obs = { 0 };
	struct lfs_host_view v;
	struct host *win, *lose;

	host_open(&obs, 7);
	ck_assert_int_eq(lfs_hosts_refresh(&obs.ls, &obs.io), 0);
	ck_assert_int_eq(lfs_host_get(&obs.ls, 6, &v), 0);
	ck_assert_msg(a_rv == 0 || b_rv == 0, "%s %d: nobody joined (%d, %d)",
	    how, k, a_rv, b_rv);
	if (a_rv == 0 && b_rv == 0) {
		ck_assert_msg(a->ls.generation != b->ls.generation,
		    "%s %d: both joined with generation %llu", how, k,
		    (unsigned long long)a->ls.generation);
		win = a->ls.generation > b->ls.generation ? a : b;
		lose = win == a ? b : a;
		ck_assert_int_eq(lfs_delta_renew(&lose->ls, &lose->io), -ESTALE);
	} else {
		win = a_rv == 0 ? a : b;
		lose = win == a ? b : a;
		ck_assert_uint_eq(lose->ls.host_id, 0);
	}
	if (uuid_compare(v.rec.identity, win->identity) != 0) {
		/* the loser's write timed out, landed late, over the winner's
		 * record: the winner learns it at its next renewal and must
		 * fence (the generation collision of the core-safety issue) */
		ck_assert_msg((lose == a ? a_rv : b_rv) == -ETIMEDOUT,
		    "%s %d: the record on disk is the loser's, which was not "
		    "told its write timed out", how, k);
		ck_assert_int_eq(lfs_delta_renew(&win->ls, &win->io), -ESTALE);
		host_close(&obs);
		return;
	}
	ck_assert_uint_eq(v.rec.generation, win->ls.generation);
	host_renew(win);
	host_close(&obs);
}

START_TEST(test_join_race)
{
	int k, mode, a_rv, runs = 0;

	for (mode = 0; mode < 2; mode++) {
		for (k = 0; k < 64; k++) {
			struct host a = { 0 }, b = { 0 };
			struct race r = { .a = &a, .b = &b, .at = k };
			struct lfs_join_params p = { .host_id = 6,
			    .host_name = "a" };

			format_lockspace();
			host_open(&a, 6);
			host_open(&b, 6);
			uuid_copy(p.identity, a.identity);
			if (mode == 0) {
				a.path.rule = race_at_io;
				a.path.rule_arg = &r;
			} else {
				p.should_stop = race_step;
				p.arg = &r;
			}
			a_rv = lfs_delta_join(&a.ls, &a.io, &p);
			if (!r.fired) { /* k is past a's whole join */
				host_close(&a);
				host_close(&b);
				break;
			}
			ck_assert_msg(a_rv == 0 || a_rv == -EAGAIN ||
			    a_rv == -EBUSY || a_rv == -ETIMEDOUT,
			    "a at %d: %d", k, a_rv);
			ck_assert_msg(r.b_rv == 0 || r.b_rv == -EAGAIN ||
			    r.b_rv == -EBUSY, "b at %d: %d", k, r.b_rv);
			race_check(&a, a_rv, &b, r.b_rv, mode == 0 ? "io" :
			    "step", k);
			runs++;
			host_close(&a);
			host_close(&b);
		}
		ck_assert_int_gt(k, 1); /* the hook fired at least twice */
	}
	fprintf(stderr, "check_delta: join race played out %d ways\n", runs);
}
END_TEST

/* ---- liveness as seen by another host ----------------------------------- */

/* b looks every T_POLL_MS and watches a, which renewed a few times and then
 * stopped: LIVE, then FAILING no earlier than renewal_fail after a's last
 * renewal, then DEAD no earlier than host_dead; never back.  Then a renews
 * again and is LIVE at once. */
START_TEST(test_state_transitions)
{
	struct host a = { 0 }, b = { 0 };
	struct host *both[] = { &a, &b };
	enum lfs_host_state s, prev = LFS_HOST_STATE_LIVE;
	uint64_t last, now, failing_at = 0, dead_at = 0;
	int i;

	format_lockspace();
	host_open(&a, 1);
	host_open(&b, 2);
	hosts_join(both, 2);
	for (i = 0; i < 3; i++) {
		host_renew(&a);
		host_renew(&b);
		tclock_advance(&test_clk, T_POLL_MS);
	}
	/* b's read right after a's last renewal is where b saw it change */
	host_renew(&a);
	last = tclock_ms(&test_clk);
	host_renew(&b);
	ck_assert_int_eq(lfs_host_state(&b.ls, 1, a.ls.generation),
	    LFS_HOST_STATE_LIVE);

	while (dead_at == 0) {
		/* b watches (reads) every T_POLL_MS; it renews no faster than
		 * a real host would (check_peers_clock() in delta.c) */
		ck_assert_int_eq(lfs_hosts_refresh(&b.ls, &b.io), 0);
		now = tclock_ms(&test_clk);
		ck_assert_uint_le(now - last, b.ls.to.host_dead_ms);
		s = lfs_host_state(&b.ls, 1, a.ls.generation);
		ck_assert_int_ge(s, prev); /* LIVE < FAILING < DEAD */
		ck_assert_int_le(s - prev, 1); /* no state skipped */
		if (s == LFS_HOST_STATE_FAILING && failing_at == 0)
			failing_at = now;
		if (s == LFS_HOST_STATE_DEAD)
			dead_at = now;
		prev = s;
		tclock_advance(&test_clk, T_POLL_MS);
	}
	/* exactly at the first look at or past each bound */
	ck_assert_uint_ne(failing_at, 0);
	ck_assert_uint_ge(failing_at - last, b.ls.to.renewal_fail_ms);
	ck_assert_uint_lt(failing_at - last, b.ls.to.renewal_fail_ms + T_POLL_MS);
	ck_assert_uint_ge(dead_at - last, b.ls.to.host_dead_ms);
	ck_assert_uint_lt(dead_at - last, b.ls.to.host_dead_ms + T_POLL_MS);

	/* a comes back */
	host_renew(&a);
	host_renew(&b);
	ck_assert_int_eq(lfs_host_state(&b.ls, 1, a.ls.generation),
	    LFS_HOST_STATE_LIVE);

	host_close(&a);
	host_close(&b);
}
END_TEST

/* A host we never saw change is presumed changed when first seen: a host
 * that opens a lockspace late does not call a silent host DEAD at once. */
START_TEST(test_first_sight_not_dead)
{
	struct host a = { 0 }, b = { 0 };

	format_lockspace();
	host_open(&a, 1);
	ck_assert_int_eq(host_join(&a), 0);
	host_renew(&a);
	tclock_advance(&test_clk, a.ls.to.host_dead_ms + T_POLL_MS); /* silent */

	host_open(&b, 2);
	ck_assert_int_eq(lfs_hosts_refresh(&b.ls, &b.io), 0);
	ck_assert_int_eq(lfs_host_state(&b.ls, 1, 0), LFS_HOST_STATE_LIVE);
	/* ... and DEAD exactly host_dead after b's first look, judged by
	 * the start of b's latest read (nothing is known after it) */
	tclock_advance(&test_clk, b.ls.to.host_dead_ms - 1);
	ck_assert_int_eq(lfs_hosts_refresh(&b.ls, &b.io), 0);
	ck_assert_int_eq(lfs_host_state(&b.ls, 1, 0), LFS_HOST_STATE_FAILING);
	tclock_advance(&test_clk, 1);
	ck_assert_int_eq(lfs_host_state(&b.ls, 1, 0), LFS_HOST_STATE_FAILING);
	ck_assert_int_eq(lfs_hosts_refresh(&b.ls, &b.io), 0);
	ck_assert_int_eq(lfs_host_state(&b.ls, 1, 0), LFS_HOST_STATE_DEAD);

	host_close(&a);
	host_close(&b);
}
END_TEST

/* ---- losing the id ----------------------------------------------------------
 *
 * A renewal must notice that our sector holds another identity or
 * generation (-ESTALE) and must not overwrite it.  It used to write our
 * record and read the host area in one batch, with no order between them,
 * so it read its own write back and never noticed; now it reads, checks,
 * then writes (delta.c).
 */

START_TEST(test_renew_estale)
{
	struct host a = { 0 }, w = { 0 };
	struct lfs_host rec = { 0 };

	format_lockspace();
	host_open(&a, 5);
	ck_assert_int_eq(host_join(&a), 0);
	host_renew(&a);
	host_open(&w, 7); /* only writes raw sectors; never joins */

	/* another identity, same generation */
	rec.host_id = 5;
	rec.flags = LFS_HOST_LIVE;
	rec.generation = a.ls.generation;
	rec.timestamp = 99;
	rec.io_timeout_ms = T_IO_MS;
	uuid_generate(rec.identity);
	strcpy(rec.name, "intruder");
	write_host_sector(&w, 5, &rec);
	ck_assert_int_eq(lfs_delta_renew(&a.ls, &a.io), -ESTALE);

	/* our identity, a newer generation (a restarted instance of us) */
	uuid_copy(rec.identity, a.identity);
	rec.generation = a.ls.generation + 1;
	write_host_sector(&w, 5, &rec);
	ck_assert_int_eq(lfs_delta_renew(&a.ls, &a.io), -ESTALE);

	host_close(&a);
	host_close(&w);
}
END_TEST

static int
count_take(void *arg)
{
	int *n = arg;

	if (*n < 0)
		return -EBUSY; /* closed */
	(*n)++;
	return 0;
}

static void
count_drop(void *arg)
{
	(void)arg;
}

/*
 * The simulator's seed 8207: a renewal written after renewal_fail (its
 * thread stopped between the window read and the write) landed over the
 * record of a host that had taken the id meanwhile.  With a fencing side
 * (a renewal gate registered), no renewal is written once renewal_fail
 * has passed since the last good one, and none while the gate is closed.
 */
START_TEST(test_renew_not_after_renewal_fail)
{
	struct host a = { 0 };
	int takes = 0;
	uint64_t renewed;

	format_lockspace();
	host_open(&a, 5);
	ck_assert_int_eq(host_join(&a), 0);
	a.ls.renew_gate.take = count_take;
	a.ls.renew_gate.drop = count_drop;
	a.ls.renew_gate.arg = &takes;
	ck_assert_int_eq(lfs_delta_renew(&a.ls, &a.io), 0);
	ck_assert_int_eq(takes, 1);
	renewed = a.ls.renewed_ms;
	tclock_advance(&test_clk, a.ls.to.renewal_fail_ms);
	ck_assert_int_eq(lfs_delta_renew(&a.ls, &a.io), -ETIMEDOUT);
	ck_assert_uint_eq(a.ls.renewed_ms, renewed); /* nothing written */
	takes = -1;                                  /* the guard closed it */
	a.ls.renewed_ms = lfs_clock_ms(a.ls.clock);  /* (in time again) */
	ck_assert_int_eq(lfs_delta_renew(&a.ls, &a.io), -EIO);
	a.ls.renew_gate.take = NULL;
	host_close(&a);
}
END_TEST

/* The consequence: a host that was silent for host_dead (e.g. its storage
 * hung) and resumes renewing after another host took its id over gets 0
 * and overwrites the new holder's record.  Both now "hold" the id, and the
 * record on disk flips between two generations, so other hosts judge the
 * old holder's leases DEAD whenever they see the new one's record. */
START_TEST(test_renew_after_takeover)
{
	struct host a = { 0 }, c = { 0 };
	struct lfs_host_view v;
	int rv;

	format_lockspace();
	host_open(&a, 4);
	ck_assert_int_eq(host_join(&a), 0);
	host_renew(&a);
	host_open(&c, 4);
	ck_assert_int_eq(host_join(&c), 0); /* after host_dead */

	rv = lfs_delta_renew(&a.ls, &a.io);
	ck_assert_int_eq(lfs_hosts_refresh(&c.ls, &c.io), 0); /* read only */
	ck_assert_int_eq(lfs_host_get(&c.ls, 4, &v), 0);
	/* expected: a is told it lost the id, c's record is intact */
	ck_assert_msg(rv == -ESTALE && uuid_compare(v.rec.identity,
	    c.identity) == 0, "old holder's renewal returned %d; the record "
	    "on disk is %s's (generation %llu)", rv,
	    uuid_compare(v.rec.identity, c.identity) == 0 ? "the new holder" :
	    "the old holder", (unsigned long long)v.rec.generation);

	host_close(&a);
	host_close(&c);
}
END_TEST

/* ---- the renewal's window ---------------------------------------------------
 *
 * A renewal reads the sectors of the hosts it knows (1 .. high water), not
 * max_hosts; it keeps judging their liveness (DEAD after host_dead of
 * silence) but never moves hosts_read_ms, the full read that ballots take
 * their high water from.  A host above the window is found by a full read,
 * after which the window covers it.
 */
struct area_reads {
	uint64_t lo, hi;          /* the host area, bytes */
	uint64_t bytes;
};

static enum tp_act
count_area_reads(void *arg, int seq, const struct iocb *cb, long *res)
{
	struct area_reads *t = arg;
	uint64_t off = (uint64_t)cb->u.c.offset;

	(void)seq;
	(void)res;
	if (cb->aio_lio_opcode == IO_CMD_PREAD && off < t->hi &&
	    off + cb->u.c.nbytes > t->lo)
		t->bytes += cb->u.c.nbytes;
	return TP_NOW;
}

START_TEST(test_renew_window)
{
	struct host h[3], *a = &h[0], *hs[2] = { &h[0], &h[1] };
	struct area_reads t = { 0 };
	struct lfs_host_view hv;
	uint64_t full;
	uint32_t S;

	memset(h, 0, sizeof(h));
	format_lockspace_hosts(64);
	host_open(&h[0], 1);
	host_open(&h[1], 2);
	hosts_join(hs, 2);
	S = a->ls.layout.sector_size;
	t.lo = a->ls.layout.host_area * S;
	t.hi = t.lo + (uint64_t)a->ls.layout.max_hosts * S;
	a->path.rule = count_area_reads;
	a->path.rule_arg = &t;

	/* host 2 joined after host 1's full read: the window (ids 1 .. 8,
	 * 4 KiB) shows it at host 1's renewal */
	full = a->ls.hosts_read_ms;
	tclock_advance(&test_clk, T_POLL_MS);
	host_renew(a);
	ck_assert_uint_eq(t.bytes, 4096);            /* not 64 sectors */
	ck_assert_uint_eq(a->ls.hosts_read_ms, full); /* no full read */
	ck_assert_int_eq(lfs_host_get(&a->ls, 2, &hv), 0);

	/* host 20 joins above the window: a's renewals do not see it */
	host_open(&h[2], 20);
	ck_assert_int_eq(host_join(&h[2]), 0);
	host_renew(&h[2]);
	t.bytes = 0;
	host_renew(a);
	ck_assert_uint_eq(t.bytes, 4096);
	ck_assert_int_eq(lfs_host_get(&a->ls, 20, &hv), -ENOENT);

	/* a full read finds it; from then on the window covers it */
	ck_assert_int_eq(lfs_hosts_refresh(&a->ls, &a->io), 0);
	ck_assert_int_eq(lfs_host_get(&a->ls, 20, &hv), 0);
	ck_assert_uint_gt(a->ls.hosts_read_ms, full);
	t.bytes = 0;
	host_renew(a);
	ck_assert_uint_eq(t.bytes, 24 * S);  /* ids 1 .. 21, rounded up */
	/* (host 20 renews too: a saw 2 renewals of a in no time, which its
	 * frozen-clock check would take for a suspend) */
	tclock_advance(&test_clk, 2 * a->ls.to.renewal_interval_ms);
	host_renew(&h[2]);

	/* liveness follows the window's reads: host 2 stops, host 20
	 * renews; only renewals of a, no full read, and 2 goes DEAD */
	full = a->ls.hosts_read_ms;
	while (lfs_host_state(&a->ls, 2, 0) != LFS_HOST_STATE_DEAD) {
		ck_assert_uint_le(tclock_ms(&test_clk) - full,
		    a->ls.to.host_dead_ms + 3 * T_POLL_MS);
		tclock_advance(&test_clk, T_POLL_MS);
		host_renew(a);
		host_renew(&h[2]);
	}
	ck_assert_int_eq(lfs_host_get(&a->ls, 2, &hv), 0);
	ck_assert_uint_ge(hv.read_ms - hv.changed_ms, a->ls.to.host_dead_ms);
	ck_assert_uint_gt(hv.read_ms, full);         /* a window read's */
	ck_assert_int_eq(lfs_host_state(&a->ls, 20, 0), LFS_HOST_STATE_LIVE);
	ck_assert_uint_eq(a->ls.hosts_read_ms, full);
	host_close(&h[0]);
	host_close(&h[1]);
	host_close(&h[2]);
}
END_TEST

/* A taker (lockspace.h hosts_taker) that keeps what it is handed when
 * keep is set, and counts offers. */
struct taker {
	int keep, offers;
	unsigned char *buf;
	uint32_t n;
	uint64_t start_ms;
};

static enum tp_act
fail_reads(void *arg, int seq, const struct iocb *cb, long *res)
{
	(void)arg;
	(void)seq;
	if (cb->aio_lio_opcode != IO_CMD_PREAD)
		return TP_NOW;
	*res = -EIO;
	return TP_RESULT;
}

static int
take_read(void *arg, unsigned char *buf, uint32_t n, uint64_t start_ms)
{
	struct taker *t = arg;

	t->offers++;
	if (!t->keep)
		return 0;
	free(t->buf);
	t->buf = buf;
	t->n = n;
	t->start_ms = start_ms;
	return 1;
}

/* A renewal hands its read of the window (and a full read the whole area)
 * to the registered taker, with the read's start time, after the view took
 * it: the watcher's change notices come from it (notice.h).  Declined, the
 * buffer is freed (ASan's leak check), and without a taker nothing is
 * offered.  A renewal whose read failed offers nothing. */
START_TEST(test_renew_hands_read_over)
{
	struct host a = { 0 }, b = { 0 };
	struct host *both[] = { &a, &b };
	struct taker t = { 0 };
	struct lfs_host_view v;
	uint32_t S;
	uint64_t t0;

	format_lockspace_hosts(64);
	host_open(&a, 1);
	host_open(&b, 2);
	hosts_join(both, 2);
	S = a.ls.layout.sector_size;
	a.ls.hosts_taker.take = take_read;
	a.ls.hosts_taker.arg = &t;
	host_renew(&a); /* declined: freed */
	ck_assert_int_eq(t.offers, 1);
	t.keep = 1;
	tclock_advance(&test_clk, T_POLL_MS);
	host_renew(&b);
	tclock_advance(&test_clk, T_POLL_MS);
	t0 = tclock_ms(&test_clk);
	host_renew(&a);
	ck_assert_int_eq(t.offers, 2);
	ck_assert_ptr_nonnull(t.buf);
	ck_assert_uint_eq(t.n, lfs_hosts_window(&a.ls));
	ck_assert_uint_eq(t.start_ms, t0);
	/* the bytes the view took: host 2's record, as renewed */
	ck_assert_int_eq(lfs_host_get(&a.ls, 2, &v), 0);
	{
		struct lfs_host rec;

		ck_assert_int_eq(lfs_host_decode(&rec, t.buf + S, S), 0);
		ck_assert_uint_eq(rec.timestamp, v.rec.timestamp);
		ck_assert_uint_eq(rec.host_id, 2);
	}
	/* a full read: the whole area */
	ck_assert_int_eq(lfs_hosts_refresh(&a.ls, &a.io), 0);
	ck_assert_int_eq(t.offers, 3);
	ck_assert_uint_eq(t.n, a.ls.layout.max_hosts);
	/* a read that fails is not offered */
	a.path.rule = fail_reads;
	ck_assert_int_eq(lfs_delta_renew(&a.ls, &a.io), -EIO);
	ck_assert_int_eq(t.offers, 3);
	a.path.rule = NULL;
	/* no taker: none */
	a.ls.hosts_taker.take = NULL;
	host_renew(&a);
	ck_assert_int_eq(t.offers, 3);
	free(t.buf);
	host_close(&a);
	host_close(&b);
}
END_TEST

/* What a host logged about bad records: NOTICEs and WARNINGs counted. */
struct bad_log {
	int notices, warnings;
};

static void
count_bad_records(void *arg, int priority, const char *msg)
{
	struct bad_log *b = arg;

	if (strstr(msg, "bad record") == NULL)
		return;
	if (priority == LOG_NOTICE)
		b->notices++;
	else if (priority <= LOG_WARNING)
		b->warnings++;
}

/*
 * A read of host 2's record that met host 2's write of it (a page cache
 * under the device: diskio.h) reads torn once: host 1 notes it (NOTICE),
 * takes it as a change (a live host: the safe side), and the next read
 * shows the record whole.  A record that reads bad the same twice is
 * damage: one WARNING, then silence while it stays so.
 */
START_TEST(test_torn_peer_record)
{
	struct host h[2], *a = &h[0], *hs[2] = { &h[0], &h[1] };
	struct bad_log b = { 0, 0 };
	struct lfs_logger lg = { count_bad_records, &b, LOG_DEBUG };
	struct lfs_host_view hv;
	struct tear t = { 0 };

	memset(h, 0, sizeof(h));
	format_lockspace_hosts(64);
	host_open(&h[0], 1);
	host_open(&h[1], 2);
	hosts_join(hs, 2);
	host_renew(a);
	a->ls.log = &lg;
	t.off = (a->ls.layout.host_area + 1) * a->ls.layout.sector_size;
	t.left = 1;
	a->path.rule = tear_rule;
	a->path.rule_arg = &t;

	host_renew(a);
	ck_assert_int_eq(t.torn, 1);
	ck_assert_int_eq(lfs_host_get(&a->ls, 2, &hv), 0);
	ck_assert_int_eq(hv.corrupt, 1);
	ck_assert_int_eq(lfs_host_state(&a->ls, 2, 0), LFS_HOST_STATE_LIVE);
	ck_assert_int_eq(b.notices, 1);
	ck_assert_int_eq(b.warnings, 0);
	host_renew(a);
	ck_assert_int_eq(lfs_host_get(&a->ls, 2, &hv), 0);
	ck_assert_int_eq(hv.corrupt, 0);
	ck_assert_int_eq(b.notices, 1);
	ck_assert_int_eq(b.warnings, 0);

	/* bad on every read: the same bytes each time */
	t.left = 1000;
	host_renew(a);
	ck_assert_int_eq(b.notices, 2);
	ck_assert_int_eq(b.warnings, 0);
	host_renew(a);
	ck_assert_int_eq(b.warnings, 1);
	host_renew(a);
	ck_assert_int_eq(b.notices, 2);
	ck_assert_int_eq(b.warnings, 1);
	ck_assert_int_eq(lfs_host_get(&a->ls, 2, &hv), 0);
	ck_assert_int_eq(hv.corrupt, 1);
	a->path.rule = NULL;
	a->ls.log = test_log;
	host_close(&h[0]);
	host_close(&h[1]);
}
END_TEST

/* ---- runner ---------------------------------------------------------------- */

static Suite *
delta_suite(void)
{
	Suite *s = suite_create("delta");
	TCase *basic = lt_tcase(s, "basic");
	TCase *contend = lt_tcase(s, "contention");
	TCase *live = lt_tcase(s, "liveness");

	tcase_add_test(basic, test_join_renew_leave);
	tcase_add_test(basic, test_rejoin_same_identity);
	tcase_add_test(basic, test_join_bad_id);
	tcase_add_test(basic, test_join_again_writes_anew);
	tcase_add_test(contend, test_join_busy_while_renewing);
	tcase_add_test(contend, test_join_takes_over_dead);
	tcase_add_test(contend, test_join_race);
	tcase_add_test(live, test_state_transitions);
	tcase_add_test(live, test_first_sight_not_dead);
	tcase_add_test(live, test_renew_estale);
	tcase_add_test(live, test_renew_not_after_renewal_fail);
	tcase_add_test(live, test_renew_after_takeover);
	tcase_add_test(live, test_renew_window);
	tcase_add_test(live, test_renew_hands_read_over);
	tcase_add_test(live, test_torn_peer_record);
	return s;
}

int
main(void)
{
	return lt_main("check_delta", delta_suite, 0);
}
