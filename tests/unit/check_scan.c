/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check_scan.c - unit tests of fs/scan.c (`leasefs status` and `dump`: every
 * lease read straight from the device), on the test disk of lfs_test.h.
 *
 * Claims:
 *   - a scan shows each lease's leader: free after create, the owner once
 *     acquired;
 *   - a read of a lease torn by a write landing then (a page cache under
 *     the device: diskio.h) is read again: one tear shows the lease as it
 *     is, not corrupt; a leader bad on every read is shown corrupt
 *     (-EBADE), after 1 + LFS_IO_REREADS more reads, and the others are
 *     not.
 */
#include "lfs_test.h"

#include "../../fs/scan.c"

static struct lfs_scan_lease *
scan(struct host *h, uint32_t want)
{
	struct lfs_scan_lease *v;
	uint32_t n;

	ck_assert_int_eq(lfs_scan_leases(&h->ls, &h->io, &v, &n), 0);
	ck_assert_uint_eq(n, want);
	return v;
}

START_TEST(test_scan_owner)
{
	struct world w;
	struct lfs_scan_lease *v;
	struct lfs_leader out;

	world_init(&w, 2, 1);
	v = scan(&w.h[1], 1);
	ck_assert_str_eq(v[0].name, "vm1");
	ck_assert_int_eq(v[0].err, 0);
	ck_assert_uint_eq(v[0].leader.owner_id, 0);
	free(v);
	ck_assert_int_eq(acquire(&w.h[0], &w.lease.ref, &out), 0);
	v = scan(&w.h[1], 1);
	ck_assert_int_eq(v[0].err, 0);
	ck_assert_uint_eq(v[0].leader.owner_id, 1);
	ck_assert_uint_eq(v[0].leader.owner_gen, out.owner_gen);
	free(v);
	world_fini(&w);
}
END_TEST

/* vm1 and vm2, vm1 owned by host 1; host 2 scans while `tears` reads of
 * vm1's leader are torn. */
static void
check_scan_torn(int tears)
{
	struct world w;
	struct host *b = &w.h[1];
	struct lfs_lease_entry e2;
	struct lfs_scan_lease *v;
	struct lfs_leader out;
	struct tear t = { 0 };

	world_init(&w, 2, 1);
	ck_assert_int_eq(lfs_leases_create(&w.h[0].ls, &w.h[0].io, "vm2",
	    &e2), 0);
	ck_assert_int_eq(acquire(&w.h[0], &w.lease.ref, &out), 0);
	t.off = lfs_slot_sector(&b->ls.layout, w.lease.ref.slot) *
	    b->ls.layout.sector_size;
	t.left = tears;
	b->path.rule = tear_rule;
	b->path.rule_arg = &t;
	v = scan(b, 2);
	b->path.rule = NULL;
	ck_assert_str_eq(v[0].name, "vm1");
	ck_assert_str_eq(v[1].name, "vm2");
	ck_assert_int_eq(v[1].err, 0);
	ck_assert_uint_eq(v[1].leader.owner_id, 0);
	if (tears == 1) {
		ck_assert_int_eq(t.torn, 1);
		ck_assert_int_eq(v[0].err, 0);
		ck_assert_uint_eq(v[0].leader.owner_id, 1);
		ck_assert_uint_eq(v[0].leader.lver, out.lver);
	} else {
		/* the batch's read, then the verified read's own */
		ck_assert_int_eq(t.torn, 2 + LFS_IO_REREADS);
		ck_assert_int_eq(v[0].err, -EBADE);
	}
	ck_assert_uint_eq(b->io.stats.rereads, tears == 1 ? 0 : LFS_IO_REREADS);
	free(v);
	world_fini(&w);
}

START_TEST(test_scan_torn_once)
{
	check_scan_torn(1);
}
END_TEST

START_TEST(test_scan_torn_always)
{
	check_scan_torn(1000);
}
END_TEST

static Suite *
scan_suite(void)
{
	Suite *s = suite_create("scan");
	TCase *tc = lt_tcase(s, "status");

	tcase_add_test(tc, test_scan_owner);
	tcase_add_test(tc, test_scan_torn_once);
	tcase_add_test(tc, test_scan_torn_always);
	return s;
}

int
main(void)
{
	return lt_main("check_scan", scan_suite, 0);
}
