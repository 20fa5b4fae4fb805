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
 *     our sector holds another identity or generation.
 *
 * Timing assertions are lower bounds from the design plus generous upper
 * bounds (sanitizer build, busy machine).  Where the file goes and
 * LFS_TEST_LOG: lfs_test.h.
 */
#include "lfs_test.h"

/* ---- host helpers ------------------------------------------------------- */

/* Renewed_ms of h, under its lock. */
static uint64_t
renewed_ms(struct host *h)
{
	uint64_t r;

	pthread_mutex_lock(&h->ls.view_lock);
	r = h->ls.renewed_ms;
	pthread_mutex_unlock(&h->ls.view_lock);
	return r;
}

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
	ck_assert_uint_lt(lfs_delta_since_renewal_ms(&a.ls), T_SLACK_MS);

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
	t0 = lfs_now_ms();
	ck_assert_int_eq(host_join(&a), 0);
	ck_assert_uint_lt(lfs_now_ms() - t0, a.ls.to.host_dead_ms);
	ck_assert_uint_eq(a.ls.generation, gen1 + 1);

	/* after a crash: no leave, the record still LIVE */
	host_renew(&a);
	host_close(&a);
	host_renew(&b);
	host_open(&a, 1);
	t0 = lfs_now_ms();
	ck_assert_int_eq(host_join(&a), 0);
	ck_assert_uint_lt(lfs_now_ms() - t0, a.ls.to.host_dead_ms);
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

/* ---- contention for one id ---------------------------------------------- */

/* The holder renews (from a thread) while a stranger tries its id. */
START_TEST(test_join_busy_while_renewing)
{
	struct host a = { 0 }, c = { 0 };
	struct renewer r;
	struct lfs_host_view v;
	uint64_t t0, took;
	int rv;

	format_lockspace();
	host_open(&a, 3);
	ck_assert_int_eq(host_join(&a), 0);
	renewer_start(&r, &a);

	host_open(&c, 3); /* another identity */
	t0 = lfs_now_ms();
	rv = host_join(&c);
	took = lfs_now_ms() - t0;
	renewer_stop(&r);

	ck_assert_int_eq(rv, -EBUSY);
	ck_assert_uint_eq(c.ls.host_id, 0);
	ck_assert_uint_lt(took, c.ls.to.host_dead_ms); /* saw it renew */
	ck_assert_int_eq(atomic_load(&r.errors), 0);
	ck_assert_int_gt(atomic_load(&r.count), 0);
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
	uint64_t t0, took, last, gen_a;

	format_lockspace();
	host_open(&a, 4);
	ck_assert_int_eq(host_join(&a), 0);
	host_renew(&a);
	last = renewed_ms(&a);
	gen_a = a.ls.generation;

	host_open(&c, 4);
	t0 = lfs_now_ms();
	ck_assert_int_eq(host_join(&c), 0);
	took = lfs_now_ms() - t0;

	/* waited a full host_dead of silence, measured from a's last renewal
	 * and from c's own first look alike */
	ck_assert_uint_ge(lfs_now_ms() - last, c.ls.to.host_dead_ms);
	ck_assert_uint_ge(took, c.ls.to.host_dead_ms);
	ck_assert_uint_lt(took, c.ls.to.host_dead_ms + c.ls.to.join_delay_ms +
	    T_SLACK_MS);
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

/* Two strangers race for a free id.  Either exactly one joins (the other
 * lost the race: -EAGAIN, or saw the winner's record: -EBUSY), or, when one
 * started only after the other's join was complete, the late one took the
 * id over after host_dead (the winner does not renew here): then its
 * generation is one higher and its record is the one on disk. */
struct racer {
	struct host h;
	pthread_barrier_t *start;
	int rv;
};

static void *
racer_main(void *arg)
{
	struct racer *r = arg;

	pthread_barrier_wait(r->start);
	r->rv = host_join(&r->h);
	return NULL;
}

START_TEST(test_join_race)
{
	struct racer r[2];
	struct host obs = { 0 };
	struct lfs_host_view v;
	pthread_barrier_t start;
	pthread_t t[2];
	int i, joined = 0, last = 0;

	format_lockspace();
	memset(r, 0, sizeof(r));
	pthread_barrier_init(&start, NULL, 2);
	for (i = 0; i < 2; i++) {
		host_open(&r[i].h, 6);
		r[i].start = &start;
		ck_assert_int_eq(pthread_create(&t[i], NULL, racer_main, &r[i]), 0);
	}
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	pthread_barrier_destroy(&start);

	for (i = 0; i < 2; i++) {
		if (r[i].rv == 0) {
			joined++;
			if (r[i].h.ls.generation > r[last].h.ls.generation ||
			    r[last].rv != 0)
				last = i;
		} else {
			ck_assert_msg(r[i].rv == -EAGAIN || r[i].rv == -EBUSY,
			    "racer %d: %d", i, r[i].rv);
		}
	}
	ck_assert_int_ge(joined, 1);
	host_open(&obs, 7);
	ck_assert_int_eq(lfs_hosts_refresh(&obs.ls, &obs.io), 0);
	ck_assert_int_eq(lfs_host_get(&obs.ls, 6, &v), 0);
	ck_assert(uuid_compare(v.rec.identity, r[last].h.identity) == 0);
	ck_assert_uint_eq(v.rec.generation, r[last].h.ls.generation);
	if (joined == 2) /* the takeover case */
		ck_assert_uint_eq(r[0].h.ls.generation + r[1].h.ls.generation,
		    2 * r[last].h.ls.generation - 1);
	for (i = 0; i < 2; i++)
		host_close(&r[i].h);
	host_close(&obs);
}
END_TEST

/* ---- liveness as seen by another host ----------------------------------- */

/* b renews every T_POLL_MS and watches a, which renewed a few times and then
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
		sleep_ms(T_POLL_MS);
	}
	last = renewed_ms(&a);
	host_renew(&b);
	ck_assert_int_eq(lfs_host_state(&b.ls, 1, a.ls.generation),
	    LFS_HOST_STATE_LIVE);

	while (dead_at == 0) {
		host_renew(&b);
		now = lfs_now_ms();
		ck_assert_uint_lt(now - last, b.ls.to.host_dead_ms + T_SLACK_MS);
		s = lfs_host_state(&b.ls, 1, a.ls.generation);
		ck_assert_int_ge(s, prev); /* LIVE < FAILING < DEAD */
		ck_assert_int_le(s - prev, 1); /* no state skipped */
		if (s == LFS_HOST_STATE_FAILING && failing_at == 0)
			failing_at = now;
		if (s == LFS_HOST_STATE_DEAD)
			dead_at = now;
		prev = s;
		sleep_ms(T_POLL_MS);
	}
	ck_assert_uint_ne(failing_at, 0);
	ck_assert_uint_ge(failing_at - last, b.ls.to.renewal_fail_ms);
	ck_assert_uint_lt(failing_at - last, b.ls.to.host_dead_ms);
	ck_assert_uint_ge(dead_at - last, b.ls.to.host_dead_ms);

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
	sleep_ms(a.ls.to.host_dead_ms + T_POLL_MS); /* a silent for host_dead */

	host_open(&b, 2);
	ck_assert_int_eq(lfs_hosts_refresh(&b.ls, &b.io), 0);
	ck_assert_int_eq(lfs_host_state(&b.ls, 1, 0), LFS_HOST_STATE_LIVE);

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
	tcase_add_test(contend, test_join_busy_while_renewing);
	tcase_add_test(contend, test_join_takes_over_dead);
	tcase_add_test(contend, test_join_race);
	tcase_add_test(live, test_state_transitions);
	tcase_add_test(live, test_first_sight_not_dead);
	tcase_add_test(live, test_renew_estale);
	tcase_add_test(live, test_renew_after_takeover);
	return s;
}

int
main(void)
{
	return lt_main("check_delta", delta_suite, 0);
}
