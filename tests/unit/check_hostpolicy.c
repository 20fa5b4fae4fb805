/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check_hostpolicy.c - unit tests of core/hostpolicy.c, the daemon's
 * decisions about its own host (fs/daemon/ and tests/sim/ call them).
 *
 * Claims, at io_timeout 1 s (renewal_fail 4 s, host_dead 8 s):
 *   - a renewal that succeeds renewal_fail or more after the previous one
 *     fences and never unfences: the generation is finished (issue 11
 *     case 1), as does -ETIME; -ESTALE fences and stops; a failure fences
 *     only once renewal_fail has passed, and retries every io/4 before;
 *   - the renewal thread fences before trying when it is overdue already;
 *   - a finished generation rejoins only when fencing is done and no
 *     holder or unproven ctl lease of it remains, one generation up, and
 *     serves only after a renewal that was not itself renewal_fail late;
 *   - nothing is granted, released or refused wrongly around a fence.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "hostpolicy.h"
#include "timeouts.h"

static struct lfs_timeouts to;

static void
setup(void)
{
	ck_assert_int_eq(lfs_timeouts_from_io(1000, &to), 0);
}

START_TEST(test_renew_ok)
{
	struct lfs_hp_renew_outcome o;

	lfs_hp_after_renew(&to, 0, 10000, 8000, 10000, 0, 10010, &o);
	ck_assert(!o.fence && o.pet_guard && !o.stale);
	ck_assert_int_eq(o.renewal, LFS_HP_RENEWAL_OK);
	ck_assert_uint_eq(o.next_ms, 10000 + to.renewal_interval_ms);
}
END_TEST

START_TEST(test_renew_too_late_finishes)
{
	struct lfs_hp_renew_outcome o;

	/* renewed at 1000, the next good one submitted at 5000: 4 s gap */
	lfs_hp_after_renew(&to, 0, 5000, 1000, 5000, 0, 5001, &o);
	ck_assert(o.fence && !o.pet_guard);
	ck_assert_int_eq(o.renewal, LFS_HP_RENEWAL_KEEP);
	/* one ms less is in time */
	lfs_hp_after_renew(&to, 0, 4999, 1000, 4999, 0, 5000, &o);
	ck_assert(!o.fence && o.pet_guard);
}
END_TEST

START_TEST(test_renew_errors)
{
	struct lfs_hp_renew_outcome o;

	lfs_hp_after_renew(&to, -ETIME, 3000, 1000, 1000, 2000, 3000, &o);
	ck_assert(o.fence && !o.pet_guard);
	lfs_hp_after_renew(&to, -ESTALE, 3000, 1000, 1000, 2000, 3000, &o);
	ck_assert(o.fence && o.stale);
	ck_assert_uint_eq(o.next_ms, UINT64_MAX);
	lfs_hp_after_renew(&to, -EIO, 3000, 1000, 1000, 3999, 3000, &o);
	ck_assert(!o.fence);
	ck_assert_int_eq(o.renewal, LFS_HP_RENEWAL_FAILING);
	ck_assert_uint_eq(o.next_ms, 3000 + 250);
	lfs_hp_after_renew(&to, -EIO, 5000, 1000, 1000, 4000, 5000, &o);
	ck_assert(o.fence);
	ck_assert_int_eq(o.renewal, LFS_HP_RENEWAL_LOST);
}
END_TEST

START_TEST(test_overdue_and_deadline)
{
	ck_assert(!lfs_hp_overdue(&to, 1000, 4999));
	ck_assert(lfs_hp_overdue(&to, 1000, 5000));
	ck_assert(!lfs_hp_deadline_fence(&to, 1000, 4999, 0, 0));
	ck_assert(lfs_hp_deadline_fence(&to, 1000, 5000, 0, 0));
	ck_assert(!lfs_hp_deadline_fence(&to, 1000, 5000, 1, 0));
	ck_assert(!lfs_hp_deadline_fence(&to, 1000, 5000, 0, 1));
	ck_assert_uint_eq(lfs_hp_deadline_next(&to, 1000, 2000), 5000);
	ck_assert_uint_eq(lfs_hp_deadline_next(&to, 1000, 6000), 7000);
}
END_TEST

START_TEST(test_recover)
{
	ck_assert_int_eq(lfs_hp_recover(1, 1, 0, 0), LFS_HP_RECOVER_STOP);
	ck_assert_int_eq(lfs_hp_recover(0, 0, 0, 0), LFS_HP_RECOVER_WAIT);
	ck_assert_int_eq(lfs_hp_recover(0, 1, 1, 0), LFS_HP_RECOVER_WAIT);
	ck_assert_int_eq(lfs_hp_recover(0, 1, 0, 1), LFS_HP_RECOVER_WAIT);
	ck_assert_int_eq(lfs_hp_recover(0, 1, 0, 0), LFS_HP_RECOVER_REJOIN);
	ck_assert(!lfs_hp_ctl_expired(&to, 1000, 8999));
	ck_assert(lfs_hp_ctl_expired(&to, 1000, 9000));
	ck_assert_uint_eq(lfs_hp_rejoin_min_generation(7), 8);
	ck_assert_uint_eq(lfs_hp_rejoin_wait_ms(&to), to.hosts_fresh_ms);
	ck_assert_int_eq(lfs_hp_rejoin_serve(&to, 0, 1000, 3000), 0);
	ck_assert_int_eq(lfs_hp_rejoin_serve(&to, 0, 1000, 5000), -ETIMEDOUT);
	ck_assert_int_eq(lfs_hp_rejoin_serve(&to, -ESTALE, 1000, 1000), -EAGAIN);
	ck_assert(lfs_hp_rejoin_lost_id(-EBUSY) && lfs_hp_rejoin_lost_id(-EAGAIN));
	ck_assert(!lfs_hp_rejoin_lost_id(-EIO));
}
END_TEST

START_TEST(test_leases_around_fence)
{
	struct lfs_hp_health h = { .since_renewal_ms = 1000 };

	ck_assert_ptr_null(lfs_hp_refuse(&to, &h));
	ck_assert(lfs_hp_grant(&to, &h));
	ck_assert(lfs_hp_may_release_lost(&to, &h));
	h.since_renewal_ms = 3000; /* + io reaches renewal_fail */
	ck_assert(!lfs_hp_may_release_lost(&to, &h));
	ck_assert_ptr_null(lfs_hp_refuse(&to, &h));
	h.since_renewal_ms = 4000;
	ck_assert_ptr_nonnull(lfs_hp_refuse(&to, &h));
	/* D2: won as renewal_fail passed, before the fencing pass: not
	 * granted; but lost for good only once fenced (a renewal submitted
	 * in time may still come back: seed 28479) */
	ck_assert(!lfs_hp_grant(&to, &h));
	ck_assert(!lfs_hp_lost_for_good(&to, &h));
	h.since_renewal_ms = 0;
	h.fenced = 1;
	ck_assert(!lfs_hp_grant(&to, &h));
	ck_assert(lfs_hp_lost_for_good(&to, &h));
	ck_assert_ptr_nonnull(lfs_hp_refuse(&to, &h));
	ck_assert(!lfs_hp_may_release_lost(&to, &h));
	h.fenced = 0;
	h.guard_lost = 1;
	ck_assert_ptr_nonnull(lfs_hp_refuse(&to, &h));
	/* nothing would fence a holder: not granted, but only lost (the
	 * generation goes on; the watcher releases it) */
	ck_assert(!lfs_hp_grant(&to, &h));
	ck_assert(!lfs_hp_lost_for_good(&to, &h));
	ck_assert(lfs_hp_acquire_unsettled(-EAGAIN));
	ck_assert(!lfs_hp_acquire_unsettled(-EBUSY));
	/* D5: an I/O error after phase 2 may have chosen our value */
	ck_assert(lfs_hp_acquire_unsettled(-EIO));
	ck_assert(lfs_hp_acquire_unsettled(-ETIMEDOUT));
	/* D4: a transfer with a write still in the kernel: outcome unknown */
	ck_assert(lfs_hp_transfer_unknown(1));
	ck_assert(!lfs_hp_transfer_unknown(0));
	ck_assert(lfs_hp_settle_again(-EINPROGRESS));
	ck_assert(lfs_hp_release_done(-EPERM) && !lfs_hp_release_done(-EIO));
	ck_assert(lfs_hp_may_leave(&to, 0, 1, 3999));
	ck_assert(!lfs_hp_may_leave(&to, 0, 1, 4000));
	ck_assert(!lfs_hp_may_leave(&to, 0, 0, 0));
	ck_assert(!lfs_hp_may_leave(&to, 1, 1, 0));
}
END_TEST

static Suite *
hostpolicy_suite(void)
{
	Suite *s = suite_create("hostpolicy");
	TCase *tc = tcase_create("hostpolicy");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_renew_ok);
	tcase_add_test(tc, test_renew_too_late_finishes);
	tcase_add_test(tc, test_renew_errors);
	tcase_add_test(tc, test_overdue_and_deadline);
	tcase_add_test(tc, test_recover);
	tcase_add_test(tc, test_leases_around_fence);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(hostpolicy_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
