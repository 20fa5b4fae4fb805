/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check_timeouts.c - unit tests of core/timeouts.c.
 *
 * Claims: the derived values at io_timeout 1 s and 10 s are the ones in the
 * timeouts.h timeline; io_timeout outside [100 ms, 300 s] is -EINVAL;
 * lfs_timeouts_check() accepts exactly a derived struct and rejects any
 * tampered field; and over the whole io range the invariants other modules
 * rely on hold:
 *   hosts_fresh + io <= join_delay              (paxos.h invariant 4)
 *   host_dead >= renewal_fail + kill_grace + 2 io (holders dead first)
 *   renewal_interval + io <= renewal_fail < host_dead
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "timeouts.h"

START_TEST(test_values_io_1s)
{
	struct lfs_timeouts t;

	ck_assert_int_eq(lfs_timeouts_from_io(1000, &t), 0);
	ck_assert_uint_eq(t.io_timeout_ms, 1000);
	ck_assert_uint_eq(t.renewal_interval_ms, 2000);
	ck_assert_uint_eq(t.renewal_fail_ms, 4000);
	ck_assert_uint_eq(t.kill_grace_ms, 2000);
	ck_assert_uint_eq(t.host_dead_ms, 8000);
	ck_assert_uint_eq(t.join_delay_ms, 2000);
	ck_assert_uint_eq(t.hosts_fresh_ms, 1000);
	ck_assert_int_eq(lfs_timeouts_check(&t), 0);
}
END_TEST

START_TEST(test_values_io_10s)
{
	struct lfs_timeouts t;

	ck_assert_int_eq(lfs_timeouts_from_io(LFS_IO_TIMEOUT_DEFAULT_MS, &t), 0);
	ck_assert_uint_eq(t.io_timeout_ms, 10000);
	ck_assert_uint_eq(t.renewal_interval_ms, 20000);
	ck_assert_uint_eq(t.renewal_fail_ms, 40000);
	ck_assert_uint_eq(t.kill_grace_ms, 20000);
	ck_assert_uint_eq(t.host_dead_ms, 80000);
	ck_assert_uint_eq(t.join_delay_ms, 20000);
	ck_assert_uint_eq(t.hosts_fresh_ms, 10000);
	ck_assert_int_eq(lfs_timeouts_check(&t), 0);
}
END_TEST

START_TEST(test_range)
{
	struct lfs_timeouts t;

	ck_assert_int_eq(lfs_timeouts_from_io(0, &t), -EINVAL);
	ck_assert_int_eq(lfs_timeouts_from_io(LFS_IO_TIMEOUT_MIN_MS - 1, &t),
	    -EINVAL);
	ck_assert_int_eq(lfs_timeouts_from_io(LFS_IO_TIMEOUT_MAX_MS + 1, &t),
	    -EINVAL);
	ck_assert_int_eq(lfs_timeouts_from_io(UINT32_MAX, &t), -EINVAL);
	ck_assert_int_eq(lfs_timeouts_from_io(LFS_IO_TIMEOUT_MIN_MS, &t), 0);
	ck_assert_uint_eq(t.host_dead_ms, 8 * LFS_IO_TIMEOUT_MIN_MS);
	ck_assert_int_eq(lfs_timeouts_from_io(LFS_IO_TIMEOUT_MAX_MS, &t), 0);
	/* the largest value, computed without u32 overflow */
	ck_assert_uint_eq(t.host_dead_ms, 8 * LFS_IO_TIMEOUT_MAX_MS);
}
END_TEST

/* Each field of a derived struct, bumped by one, must be refused. */
START_TEST(test_check_tampered)
{
	struct lfs_timeouts t;
	uint32_t *fields[] = {
		&t.renewal_interval_ms, &t.renewal_fail_ms, &t.kill_grace_ms,
		&t.host_dead_ms, &t.join_delay_ms, &t.hosts_fresh_ms,
		&t.io_timeout_ms,
	};

	ck_assert_int_eq(lfs_timeouts_from_io(5000, &t), 0);
	(*fields[_i])++;
	ck_assert_int_eq(lfs_timeouts_check(&t), -EINVAL);
	(*fields[_i]) -= 2;
	ck_assert_int_eq(lfs_timeouts_check(&t), -EINVAL);
	(*fields[_i])++;
	ck_assert_int_eq(lfs_timeouts_check(&t), 0);
}
END_TEST

START_TEST(test_check_io_out_of_range)
{
	struct lfs_timeouts t = { 0 };

	ck_assert_int_eq(lfs_timeouts_check(&t), -EINVAL);
	ck_assert_int_eq(lfs_timeouts_check(NULL), -EINVAL);
	/* consistent multiples of an io below the minimum: still refused */
	t.io_timeout_ms = 50;
	t.renewal_interval_ms = 100;
	t.renewal_fail_ms = 200;
	t.kill_grace_ms = 100;
	t.host_dead_ms = 400;
	t.join_delay_ms = 100;
	t.hosts_fresh_ms = 50;
	ck_assert_int_eq(lfs_timeouts_check(&t), -EINVAL);
}
END_TEST

/* io values for the invariant sweep: the edges and points in between. */
static const uint32_t sweep[] = {
	LFS_IO_TIMEOUT_MIN_MS, 101, 250, 999, 1000, 1001, 3333, 10000, 65535,
	65536, 123457, 299999, LFS_IO_TIMEOUT_MAX_MS,
};

START_TEST(test_invariants)
{
	struct lfs_timeouts t;
	uint32_t io = sweep[_i];
	uint64_t settle = 2ull * io;

	ck_assert_int_eq(lfs_timeouts_from_io(io, &t), 0);
	ck_assert_int_eq(lfs_timeouts_check(&t), 0);
	/* paxos.h invariant 4 */
	ck_assert_uint_le((uint64_t)t.hosts_fresh_ms + io, t.join_delay_ms);
	/* a racing joiner's write: submitted <= io after its read, lands
	 * <= io later */
	ck_assert_uint_ge(t.join_delay_ms, 2ull * io);
	/* holders are dead before another host may take over */
	ck_assert_uint_ge(t.host_dead_ms, (uint64_t)t.renewal_fail_ms +
	    t.kill_grace_ms + settle);
	ck_assert_uint_ge(t.host_dead_ms, (uint64_t)t.renewal_fail_ms +
	    t.kill_grace_ms);
	/* one renewal hanging a whole io does not fence */
	ck_assert_uint_lt(t.renewal_interval_ms, t.renewal_fail_ms);
	ck_assert_uint_le((uint64_t)t.renewal_interval_ms + io,
	    t.renewal_fail_ms);
	ck_assert_uint_lt(t.renewal_fail_ms, t.host_dead_ms);
	ck_assert_uint_gt(t.kill_grace_ms, 0);
	ck_assert_uint_ge(t.renewal_interval_ms, io);
}
END_TEST

static Suite *
timeouts_suite(void)
{
	Suite *s = suite_create("timeouts");
	TCase *tc = tcase_create("timeouts");

	tcase_add_test(tc, test_values_io_1s);
	tcase_add_test(tc, test_values_io_10s);
	tcase_add_test(tc, test_range);
	tcase_add_loop_test(tc, test_check_tampered, 0, 7);
	tcase_add_test(tc, test_check_io_out_of_range);
	tcase_add_loop_test(tc, test_invariants, 0,
	    (int)(sizeof(sweep) / sizeof(sweep[0])));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(timeouts_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
