/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check_notice.c - change notices (notice.h): the record in the tail of a
 * host sector, the waiter's tracker and fallback pacing, and the notice
 * written by a release between two hosts on the instant disk and test clock
 * (lfs_test.h).
 */
#include "lfs_test.h"
#include "notice.h"

/* ---- the record ------------------------------------------------------------ */

static struct lfs_host
some_host(void)
{
	struct lfs_host h = {
		.host_id = 3, .flags = LFS_HOST_LIVE, .generation = 7,
		.timestamp = 42, .wall_time = 1, .io_timeout_ms = 1000,
	};

	uuid_generate(h.identity);
	strcpy(h.name, "node3");
	return h;
}

static struct lfs_notice
some_notice(void)
{
	struct lfs_notice n = { .host_id = 3, .generation = 7 };

	lfs_notice_push(&n, 11);
	lfs_notice_push(&n, 1000000);
	return n;
}

START_TEST(test_notice_roundtrip)
{
	static const size_t sizes[] = { 512, 4096 };
	unsigned char buf[4096];
	struct lfs_host h = some_host(), hd;
	struct lfs_notice n = some_notice(), nd;
	size_t i;

	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(lfs_host_encode(&h, buf, sizes[i]), 0);
		/* a record without a notice: nothing there */
		ck_assert_int_eq(lfs_notice_decode(&nd, buf, sizes[i]), -ENODATA);
		ck_assert_int_eq(lfs_notice_encode(&n, buf, sizes[i]), 0);
		ck_assert_int_eq(lfs_notice_decode(&nd, buf, sizes[i]), 0);
		ck_assert_uint_eq(nd.host_id, 3);
		ck_assert_uint_eq(nd.generation, 7);
		ck_assert_uint_eq(nd.seq, 2);
		ck_assert_uint_eq(nd.slots[0], 11);
		ck_assert_uint_eq(nd.slots[1], 1000000);
		ck_assert_uint_eq(nd.slots[2], 0);
		/* the record before it is untouched and decodes as before:
		 * what a version 2 reader without notices sees */
		ck_assert_int_eq(lfs_host_decode(&hd, buf, sizes[i]), 0);
		ck_assert_uint_eq(hd.timestamp, 42);
		ck_assert_str_eq(hd.name, "node3");
	}
	/* explicit little-endian: seq at offset 24 of the notice */
	ck_assert_uint_eq(buf[LFS_NOTICE_OFFSET + 24], 2);
	ck_assert_uint_eq(buf[LFS_NOTICE_OFFSET + 25], 0);
	/* the notice ends inside the smallest sector, at byte 416 */
	for (i = LFS_NOTICE_OFFSET + 288; i < 4096; i++)
		ck_assert_uint_eq(buf[i], 0);
}
END_TEST

START_TEST(test_notice_damage)
{
	unsigned char buf[512];
	struct lfs_host h = some_host(), hd;
	struct lfs_notice n = some_notice(), nd;

	ck_assert_int_eq(lfs_host_encode(&h, buf, 512), 0);
	ck_assert_int_eq(lfs_notice_encode(&n, buf, 512), 0);
	buf[LFS_NOTICE_OFFSET + 40] ^= 1;      /* a slot's byte */
	ck_assert_int_eq(lfs_notice_decode(&nd, buf, 512), -EBADE);
	ck_assert_int_eq(lfs_host_decode(&hd, buf, 512), 0); /* own crc */
	buf[LFS_NOTICE_OFFSET] ^= 1;           /* magic */
	ck_assert_int_eq(lfs_notice_decode(&nd, buf, 512), -EBADMSG);
	/* a slot out of range is refused both ways */
	n.slots[5] = LFS_MAX_LEASES + 1;
	ck_assert_int_eq(lfs_notice_encode(&n, buf, 512), -EINVAL);
	n = some_notice();
	n.host_id = 0;
	ck_assert_int_eq(lfs_notice_encode(&n, buf, 512), -EINVAL);
	ck_assert_int_eq(lfs_notice_encode(&n, buf, 100), -EINVAL);
}
END_TEST

START_TEST(test_notice_ring_wraps)
{
	struct lfs_notice n = { .host_id = 1, .generation = 1 };
	uint32_t i;

	for (i = 1; i <= LFS_NOTICE_RING + 3; i++)
		lfs_notice_push(&n, i);
	ck_assert_uint_eq(n.seq, LFS_NOTICE_RING + 3);
	/* notice s sits at (s - 1) % ring: the last three overwrote 1..3 */
	ck_assert_uint_eq(n.slots[0], LFS_NOTICE_RING + 1);
	ck_assert_uint_eq(n.slots[2], LFS_NOTICE_RING + 3);
	ck_assert_uint_eq(n.slots[3], 4);
}
END_TEST

/* ---- the tracker ----------------------------------------------------------- */

struct hits {
	uint32_t slot[LFS_NOTICE_RING * 2];
	int n;
};

static void
hit(void *arg, uint32_t slot)
{
	struct hits *h = arg;

	ck_assert_int_lt(h->n, (int)(LFS_NOTICE_RING * 2));
	h->slot[h->n++] = slot;
}

static int
scan(struct lfs_wake *w, uint32_t id, const struct lfs_wake_seen *s,
    struct hits *h)
{
	memset(h, 0, sizeof(*h));
	return lfs_wake_host(w, id, s, hit, h);
}

START_TEST(test_wake_names_changed_slots)
{
	struct lfs_notice n = { .host_id = 2, .generation = 5 };
	struct lfs_wake_seen s = { .valid = 1, .view_gen = 5, .notice = &n };
	struct lfs_wake w;
	struct hits h;

	ck_assert_int_eq(lfs_wake_init(&w, 8), 0);
	/* first sight: what changed before is unknown */
	ck_assert_int_eq(scan(&w, 2, &s, &h), LFS_WAKE_ALL);
	ck_assert_int_eq(scan(&w, 2, &s, &h), 0);
	ck_assert_int_eq(h.n, 0);
	lfs_notice_push(&n, 9);
	lfs_notice_push(&n, 4);
	lfs_notice_push(&n, 9);
	ck_assert_int_eq(scan(&w, 2, &s, &h), 0);
	ck_assert_int_eq(h.n, 3);
	ck_assert_uint_eq(h.slot[0], 9);
	ck_assert_uint_eq(h.slot[1], 4);
	ck_assert_uint_eq(h.slot[2], 9);
	ck_assert_int_eq(scan(&w, 2, &s, &h), 0);
	ck_assert_int_eq(h.n, 0);
	/* exactly a ring's worth since: still named one by one */
	for (int i = 0; i < (int)LFS_NOTICE_RING; i++)
		lfs_notice_push(&n, (uint32_t)i + 1);
	ck_assert_int_eq(scan(&w, 2, &s, &h), 0);
	ck_assert_int_eq(h.n, (int)LFS_NOTICE_RING);
	ck_assert_uint_eq(h.slot[0], 1);
	/* one more than the ring holds: some were overwritten */
	for (int i = 0; i <= (int)LFS_NOTICE_RING; i++)
		lfs_notice_push(&n, 7);
	ck_assert_int_eq(scan(&w, 2, &s, &h), LFS_WAKE_ALL);
	ck_assert_int_eq(scan(&w, 2, &s, &h), 0);
	lfs_wake_free(&w);
}
END_TEST

START_TEST(test_wake_all_when_unsure)
{
	struct lfs_notice n = { .host_id = 2, .generation = 5 }, older;
	struct lfs_wake_seen s = { .valid = 1, .view_gen = 5, .notice = &n };
	struct lfs_wake w;
	struct hits h;

	ck_assert_int_eq(lfs_wake_init(&w, 8), 0);
	scan(&w, 2, &s, &h);
	lfs_notice_push(&n, 3);
	older = n;
	lfs_notice_push(&n, 4);
	ck_assert_int_eq(scan(&w, 2, &s, &h), 0);
	/* a late write of an older notice landed: seq went back */
	s.notice = &older;
	ck_assert_int_eq(scan(&w, 2, &s, &h), LFS_WAKE_ALL);
	/* the host became dead in our view: its leases may be taken over */
	s.down = 1;
	ck_assert_int_eq(scan(&w, 2, &s, &h), LFS_WAKE_ALL);
	ck_assert_int_eq(scan(&w, 2, &s, &h), 0); /* still down: nothing new */
	s.down = 0;
	ck_assert_int_eq(scan(&w, 2, &s, &h), 0); /* came back: ours to wait */
	/* a new incarnation: its notices count from 0 again */
	memset(&n, 0, sizeof(n));
	n.host_id = 2;
	n.generation = 6;
	s.notice = &n;
	s.view_gen = 6;
	ck_assert_int_eq(scan(&w, 2, &s, &h), LFS_WAKE_ALL);
	/* its notice torn (a read that met its write): nothing changes, and
	 * the next whole read names what was posted meanwhile */
	ck_assert_int_eq(scan(&w, 2, &s, &h), 0);
	lfs_notice_push(&n, 12);
	s.notice = NULL;
	s.torn = 1;
	ck_assert_int_eq(scan(&w, 2, &s, &h), 0);
	ck_assert_int_eq(h.n, 0);
	lfs_notice_push(&n, 13);
	s.notice = &n;
	s.torn = 0;
	ck_assert_int_eq(scan(&w, 2, &s, &h), 0);
	ck_assert_int_eq(h.n, 2);
	ck_assert_uint_eq(h.slot[0], 12);
	ck_assert_uint_eq(h.slot[1], 13);
	/* torn at first sight: still unknown, so the whole read wakes all */
	s.torn = 1;
	ck_assert_int_eq(scan(&w, 3, &s, &h), 0);
	s.torn = 0;
	ck_assert_int_eq(scan(&w, 3, &s, &h), LFS_WAKE_ALL);
	/* its notice unreadable otherwise (an older binary wrote it) */
	s.notice = NULL;
	ck_assert_int_eq(scan(&w, 2, &s, &h), LFS_WAKE_ALL);
	ck_assert_int_eq(scan(&w, 2, &s, &h), 0);
	/* a host without notices: only its generation and state tell */
	s.view_gen = 7;
	ck_assert_int_eq(scan(&w, 2, &s, &h), LFS_WAKE_ALL);
	/* gone from the view: forgotten, then new again */
	s.valid = 0;
	ck_assert_int_eq(scan(&w, 2, &s, &h), 0);
	s.valid = 1;
	ck_assert_int_eq(scan(&w, 2, &s, &h), LFS_WAKE_ALL);
	/* ids out of range are ignored */
	ck_assert_int_eq(scan(&w, 0, &s, &h), 0);
	ck_assert_int_eq(scan(&w, 9, &s, &h), 0);
	lfs_wake_free(&w);
}
END_TEST

/* A sighting by a read that started before the one the tracker has (a
 * renewal's window, looked at after a later scan of the owner's sector)
 * changes nothing: it would show seq gone back and wake every waiter.  A
 * later read that shows seq gone back (a late write landed) still does. */
START_TEST(test_wake_older_read_ignored)
{
	struct lfs_notice n = { .host_id = 2, .generation = 5 }, before;
	struct lfs_wake_seen s = { .valid = 1, .view_gen = 5, .notice = &n,
	    .read_ms = 100 };
	struct lfs_wake w;
	struct hits h;

	ck_assert_int_eq(lfs_wake_init(&w, 8), 0);
	ck_assert_int_eq(scan(&w, 2, &s, &h), LFS_WAKE_ALL); /* first sight */
	before = n;
	lfs_notice_push(&n, 3);
	s.read_ms = 200;
	ck_assert_int_eq(scan(&w, 2, &s, &h), 0);
	ck_assert_int_eq(h.n, 1);
	ck_assert_uint_eq(h.slot[0], 3);
	/* the renewal's read of 150, looked at now */
	s.notice = &before;
	s.read_ms = 150;
	ck_assert_int_eq(scan(&w, 2, &s, &h), 0);
	ck_assert_int_eq(h.n, 0);
	/* ... left the tracker as the read of 200 had: nothing new */
	s.notice = &n;
	s.read_ms = 300;
	ck_assert_int_eq(scan(&w, 2, &s, &h), 0);
	ck_assert_int_eq(h.n, 0);
	/* a read of the same start counts (one read, two looks) */
	lfs_notice_push(&n, 4);
	ck_assert_int_eq(scan(&w, 2, &s, &h), 0);
	ck_assert_int_eq(h.n, 1);
	/* an older notice by a later read: a late write landed */
	s.notice = &before;
	s.read_ms = 400;
	ck_assert_int_eq(scan(&w, 2, &s, &h), LFS_WAKE_ALL);
	lfs_wake_free(&w);
}
END_TEST

/* The fallback's rate does not grow with the leases waited on, and every
 * lease gets its turn: 1,000 leases, a check every ms for 60 s. */
START_TEST(test_wake_pick_bounded_fair)
{
	enum { N = 1000, SECONDS = 60 };
	static uint64_t next[N], *np[N];
	static int turns[N];
	uint64_t t0 = 1000000, now, gap = 0;
	int per_s[SECONDS] = { 0 }, i, total = 0;

	for (i = 0; i < N; i++) {
		next[i] = 0;
		np[i] = &next[i];
		turns[i] = 0;
	}
	/* at t0 all begin waiting: none is due yet */
	ck_assert_int_eq(lfs_wake_pick(t0, np, N, &gap), -1);
	for (now = t0; now < t0 + SECONDS * 1000ull; now++) {
		i = lfs_wake_pick(now, np, N, &gap);
		if (i < 0)
			continue;
		per_s[(now - t0) / 1000]++;
		turns[i]++;
		total++;
	}
	for (i = 0; i < SECONDS; i++)
		ck_assert_int_le(per_s[i], 1000 / LFS_WAKE_FALLBACK_GAP_MS);
	/* 55 s of picks at one per gap, shared by all: each had its turn */
	ck_assert_int_ge(total, (SECONDS - 5) * 1000 /
	    (int)LFS_WAKE_FALLBACK_GAP_MS - 1);
	for (i = 0; i < N; i++)
		ck_assert_int_ge(turns[i], 1);

	/* one lease: every LFS_WAKE_FALLBACK_MS, no more */
	next[0] = 0;
	gap = 0;
	total = 0;
	for (now = t0; now <= t0 + 20000; now++)
		total += lfs_wake_pick(now, np, 1, &gap) == 0;
	ck_assert_int_eq(total, 20000 / (int)LFS_WAKE_FALLBACK_MS);
	ck_assert_int_eq(lfs_wake_pick(now, np, 0, &gap), -1);
}
END_TEST

/* One scan's span at now over a 64-host window, of the owners in the
 * list (ended by UINT32_MAX; 0 is an owner not known). */
static void
span_at(uint64_t now, uint64_t *full_next, const uint32_t *owners,
    uint32_t *first, uint32_t *count)
{
	struct lfs_wake_span s;

	lfs_wake_span_begin(&s, now, full_next);
	for (; *owners != UINT32_MAX; owners++)
		lfs_wake_span_add(&s, *owners);
	lfs_wake_span_end(&s, 64, first, count);
}

/* A scan reads the owners waited for, or the whole window: when any owner
 * is unknown, none was named, one lies beyond the window, and at least
 * every LFS_WAKE_FULL_MS. */
START_TEST(test_wake_span)
{
	static const uint32_t o7[] = { 7, UINT32_MAX };
	static const uint32_t o30_7_12[] = { 30, 7, 12, UINT32_MAX };
	static const uint32_t o7_0[] = { 7, 0, UINT32_MAX };
	static const uint32_t none[] = { UINT32_MAX };
	static const uint32_t o65[] = { 65, UINT32_MAX };
	uint64_t full_next = 0, t0 = 1000000;
	uint32_t first, count;

	/* the first scan reads the whole window, and sets the next one */
	span_at(t0, &full_next, o7, &first, &count);
	ck_assert_uint_eq(first, 1);
	ck_assert_uint_eq(count, 64);
	ck_assert_uint_eq(full_next, t0 + LFS_WAKE_FULL_MS);
	/* then only the owners: one, or the range covering several */
	span_at(t0 + 20, &full_next, o7, &first, &count);
	ck_assert_uint_eq(first, 7);
	ck_assert_uint_eq(count, 1);
	span_at(t0 + 40, &full_next, o30_7_12, &first, &count);
	ck_assert_uint_eq(first, 7);
	ck_assert_uint_eq(count, 24);
	/* an owner not known, nothing named, an owner past the window */
	span_at(t0 + 60, &full_next, o7_0, &first, &count);
	ck_assert_uint_eq(first, 1);
	ck_assert_uint_eq(count, 64);
	span_at(t0 + 80, &full_next, none, &first, &count);
	ck_assert_uint_eq(count, 64);
	span_at(t0 + 100, &full_next, o65, &first, &count);
	ck_assert_uint_eq(count, 64);
	ck_assert_uint_eq(full_next, t0 + LFS_WAKE_FULL_MS); /* unmoved */
	/* the whole window again once LFS_WAKE_FULL_MS passed */
	span_at(t0 + LFS_WAKE_FULL_MS, &full_next, o7, &first, &count);
	ck_assert_uint_eq(first, 1);
	ck_assert_uint_eq(count, 64);
	ck_assert_uint_eq(full_next, t0 + 2 * LFS_WAKE_FULL_MS);
}
END_TEST

/* ---- with the lockspace: a release posts a notice ------------------------- */

static struct lfs_notice
notice_of(struct host *reader, uint32_t id, struct lfs_host *rec)
{
	uint32_t S = reader->ls.layout.sector_size;
	unsigned char *buf = malloc(S);
	struct lfs_notice n;

	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(lfs_io_read(&reader->io,
	    lfs_host_sector(&reader->ls.layout, id) * S, buf, S), 0);
	ck_assert_int_eq(lfs_host_decode(rec, buf, S), 0);
	memset(&n, 0, sizeof(n));
	ck_assert_int_eq(lfs_notice_decode(&n, buf, S), 0);
	free(buf);
	return n;
}

static void
world_notices(struct world *w, int n)
{
	int i;

	memset(w, 0, sizeof(*w));
	w->n = n;
	format_lockspace();
	for (i = 0; i < n; i++) {
		host_open(&w->h[i], (uint32_t)i + 1);
		w->h[i].ls.notice_on = 1;
	}
	for (i = 0; i < n; i++)
		ck_assert_int_eq(host_join(&w->h[i]), 0);
	for (i = 0; i < n; i++)
		host_renew(&w->h[i]);
	ck_assert_int_eq(lfs_leases_create(&w->h[0].ls, &w->h[0].io, "vm1",
	    &w->lease), 0);
	for (i = 0; i < n; i++)
		host_renew(&w->h[i]);
}

START_TEST(test_release_posts_notice)
{
	struct lfs_wake_seen seen = { .valid = 1 };
	struct lfs_leader held, ld;
	struct lfs_notice n;
	struct lfs_host rec;
	struct lfs_wake wk;
	struct world w;
	struct hits hs;
	uint64_t stamp;
	long writes;

	world_notices(&w, 2);
	ck_assert_int_eq(lfs_wake_init(&wk, T_HOSTS), 0);
	/* the join wrote an empty notice of the new generation */
	n = notice_of(&w.h[1], 1, &rec);
	ck_assert_uint_eq(n.generation, w.h[0].ls.generation);
	ck_assert_uint_eq(n.seq, 0);
	seen.view_gen = rec.generation;
	seen.notice = &n;
	ck_assert_int_eq(scan(&wk, 1, &seen, &hs), LFS_WAKE_ALL);

	ck_assert_int_eq(acquire(&w.h[0], &w.lease.ref, &held), 0);
	ck_assert_int_eq(acquire(&w.h[1], &w.lease.ref, &ld), -EBUSY);
	/* the busy acquire names the owner whose notices a waiter reads */
	ck_assert_uint_eq(ld.owner_id, 1);
	n = notice_of(&w.h[1], 1, &rec);
	ck_assert_int_eq(scan(&wk, 1, &seen, &hs), 0);
	ck_assert_int_eq(hs.n, 0);       /* an acquire posts nothing */
	stamp = rec.timestamp;

	writes = w.h[0].path.writes;
	ck_assert_int_eq(release(&w.h[0], &w.lease.ref, &held), 0);
	n = notice_of(&w.h[1], 1, &rec);
	ck_assert_uint_eq(n.seq, 1);
	ck_assert_int_eq(scan(&wk, 1, &seen, &hs), 0);
	ck_assert_int_eq(hs.n, 1);
	ck_assert_uint_eq(hs.slot[0], w.lease.ref.slot);
	/* not a renewal: the counter stands; one write more than before */
	ck_assert_uint_eq(rec.timestamp, stamp);
	ck_assert_uint_eq(rec.generation, w.h[0].ls.generation);
	ck_assert_int_gt(w.h[0].path.writes, writes);
	/* the woken waiter's attempt wins */
	ck_assert_int_eq(acquire(&w.h[1], &w.lease.ref, &ld), 0);

	/* a renewal keeps the notice (the ring is the host's, not the
	 * write's), and other hosts' renewals see no clock trouble */
	host_renew(&w.h[0]);
	host_renew(&w.h[1]);
	n = notice_of(&w.h[1], 1, &rec);
	ck_assert_uint_eq(n.seq, 1);
	ck_assert_uint_eq(rec.timestamp, stamp + 1);
	ck_assert_int_eq(scan(&wk, 1, &seen, &hs), 0);
	ck_assert_int_eq(hs.n, 0);

	/* a transfer posts too */
	ck_assert_int_eq(lfs_paxos_transfer(&w.h[1].ls, &w.h[1].io,
	    &w.lease.ref, &ld, 1, w.h[0].ls.generation, &held), 0);
	n = notice_of(&w.h[0], 2, &rec);
	ck_assert_uint_eq(n.seq, 1);
	ck_assert_uint_eq(n.slots[0], w.lease.ref.slot);
	lfs_wake_free(&wk);
	world_fini(&w);
}
END_TEST

/* No notice once our renewal is too old for a write to be safe: it could
 * land after a next incarnation of our id took the sector (delta.c). */
START_TEST(test_notice_needs_fresh_renewal)
{
	struct lfs_leader held;
	struct lfs_notice n;
	struct lfs_host rec;
	struct world w;
	long writes;

	world_notices(&w, 2);
	ck_assert_int_eq(acquire(&w.h[0], &w.lease.ref, &held), 0);
	tclock_sleep_ms(&test_clk, w.h[0].ls.to.renewal_fail_ms -
	    w.h[0].ls.to.io_timeout_ms);
	writes = w.h[0].path.writes;
	ck_assert_int_eq(lfs_delta_notice(&w.h[0].ls, &w.h[0].io, 3), -EIO);
	ck_assert_int_eq(w.h[0].path.writes, writes);
	n = notice_of(&w.h[1], 1, &rec);
	ck_assert_uint_eq(n.seq, 0);
	/* with notices off (tools, the simulator): nothing, not an error */
	w.h[0].ls.notice_on = 0;
	host_renew(&w.h[0]);
	ck_assert_int_eq(lfs_delta_notice(&w.h[0].ls, &w.h[0].io, 3), 0);
	ck_assert_int_eq(w.h[0].path.writes, writes + 1); /* the renewal */
	world_fini(&w);
}
END_TEST

static Suite *
notice_suite(void)
{
	Suite *s = suite_create("notice");
	TCase *rec = lt_tcase(s, "record");
	TCase *wake = lt_tcase(s, "wake");
	TCase *disk = lt_tcase(s, "lockspace");

	tcase_add_test(rec, test_notice_roundtrip);
	tcase_add_test(rec, test_notice_damage);
	tcase_add_test(rec, test_notice_ring_wraps);
	tcase_add_test(wake, test_wake_names_changed_slots);
	tcase_add_test(wake, test_wake_all_when_unsure);
	tcase_add_test(wake, test_wake_older_read_ignored);
	tcase_add_test(wake, test_wake_pick_bounded_fair);
	tcase_add_test(wake, test_wake_span);
	tcase_add_test(disk, test_release_posts_notice);
	tcase_add_test(disk, test_notice_needs_fresh_renewal);
	return s;
}

int
main(void)
{
	return lt_main("check_notice", notice_suite, T_FILE_SIZE);
}
