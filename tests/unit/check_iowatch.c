/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check_iowatch.c - unit tests of the watch over an I/O context's kernel
 * calls and of the bounded lock (fs/daemon/iowatch.c): the bound, what
 * counts as stuck, and a taker that gives up on a holder stuck in a
 * submit (a fake one that blocks until the test lets it go) but waits for
 * a holder that is only slow or between calls.
 *
 * iowatch.c lives in fs/ and is compiled in here directly.  The waits are
 * real (the watch judges on lfs_now_ms()): io_timeout 100 ms gives a bound
 * of 1100 ms (the slack is at least 1 s), so the suite takes a few seconds.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../fs/daemon/iowatch.c"

#define IO_MS 100u               /* io_timeout of the watches below */
#define BOUND_MS 1100u           /* lfs_iowatch_bound_ms(IO_MS) */

/* The fake calls: submit blocks while `hold` is set; getevents sleeps
 * `sleep_ms` (a call that is slow but ends). */
struct fake {
	pthread_mutex_t m;
	pthread_cond_t c;
	int hold;
	int in_submit;
	uint32_t sleep_ms;
};

static struct fake fk = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
    0, 0, 0 };

static int
fake_setup(int maxevents, io_context_t *ctx)
{
	(void)maxevents;
	*ctx = 0;
	return 0;
}

static int
fake_destroy(io_context_t ctx)
{
	(void)ctx;
	return 0;
}

static int
fake_submit(void *arg, io_context_t ctx, long nr, struct iocb **iocbs)
{
	(void)arg;
	(void)ctx;
	(void)iocbs;
	pthread_mutex_lock(&fk.m);
	fk.in_submit = 1;
	pthread_cond_broadcast(&fk.c);
	while (fk.hold)
		pthread_cond_wait(&fk.c, &fk.m);
	fk.in_submit = 0;
	pthread_mutex_unlock(&fk.m);
	return (int)nr;
}

static int
fake_getevents(void *arg, io_context_t ctx, long min_nr, long nr,
    struct io_event *events, struct timespec *timeout)
{
	(void)arg;
	(void)ctx;
	(void)min_nr;
	(void)nr;
	(void)events;
	(void)timeout;
	lfs_sleep_ms(fk.sleep_ms);
	return 0;
}

static const struct lfs_io_syscalls fake_sys = {
	fake_setup, fake_destroy, fake_submit, fake_getevents, NULL, NULL,
};

static pthread_mutex_t lk = PTHREAD_MUTEX_INITIALIZER;
static struct lfs_iowatch w;

static void
w_init(void)
{
	ck_assert_int_eq(lfs_iowatch_init(&w, &lk, &fake_sys, "test", NULL), 0);
	lfs_iowatch_set_bound(&w, IO_MS);
}

/* What a holder thread does with the lock held. */
enum hold_how { HOLD_SUBMIT, HOLD_SLOW_CALLS, HOLD_BETWEEN_CALLS };

static void *
holder_main(void *arg)
{
	enum hold_how how = (enum hold_how)(intptr_t)arg;
	int i;

	ck_assert_int_eq(lfs_iowatch_lock(&w), 0);
	if (how == HOLD_SUBMIT) {
		w.sys.submit(w.sys.arg, 0, 1, NULL);
	} else if (how == HOLD_SLOW_CALLS) {
		/* three calls of 500 ms each: 1.5 s with the lock, none of
		 * them past the bound */
		fk.sleep_ms = 500;
		for (i = 0; i < 3; i++)
			w.sys.getevents(w.sys.arg, 0, 1, 1, NULL, NULL);
	} else {
		lfs_sleep_ms(2 * BOUND_MS); /* no call at all */
	}
	lfs_iowatch_unlock(&w);
	return NULL;
}

static pthread_t
start_holder(enum hold_how how)
{
	pthread_t t;

	ck_assert_int_eq(pthread_create(&t, NULL, holder_main,
	    (void *)(intptr_t)how), 0);
	/* the holder has the lock once the test cannot take it */
	while (pthread_mutex_trylock(&lk) == 0) {
		pthread_mutex_unlock(&lk);
		lfs_sleep_ms(1);
	}
	return t;
}

START_TEST(iowatch_bound)
{
	ck_assert_uint_eq(lfs_iowatch_bound_ms(100), 1100);
	ck_assert_uint_eq(lfs_iowatch_bound_ms(1000), 2000);
	ck_assert_uint_eq(lfs_iowatch_bound_ms(1500), 3000);
	ck_assert_uint_eq(lfs_iowatch_bound_ms(10000), 20000);
}
END_TEST

START_TEST(iowatch_stuck_ms)
{
	uint64_t now = lfs_now_ms();

	w_init();
	ck_assert_uint_eq(lfs_iowatch_stuck_ms(&w, now), 0); /* no call */
	atomic_store(&w.since_ms, now - BOUND_MS);
	ck_assert_uint_eq(lfs_iowatch_stuck_ms(&w, now), 0); /* at the bound */
	atomic_store(&w.since_ms, now - BOUND_MS - 250);
	ck_assert_uint_eq(lfs_iowatch_stuck_ms(&w, now), 250);
	atomic_store(&w.tid, 4242);
	ck_assert_uint_eq(lfs_iowatch_stuck_tid_ms(&w, 4242, now), 250);
	ck_assert_uint_eq(lfs_iowatch_stuck_tid_ms(&w, 4243, now), 0);
	atomic_store(&w.since_ms, 0);
	ck_assert_uint_eq(lfs_iowatch_stuck_ms(&w, now), 0); /* returned */
}
END_TEST

/* A holder stuck in submit: a taker gets -EIO just past the bound, the
 * next one at once; once the call returns, the lock is had again. */
START_TEST(iowatch_gives_up_on_stuck_submit)
{
	uint64_t t0, t1, t2;
	pthread_t t;

	w_init();
	pthread_mutex_lock(&fk.m);
	fk.hold = 1;
	pthread_mutex_unlock(&fk.m);
	t0 = lfs_now_ms();
	t = start_holder(HOLD_SUBMIT);
	pthread_mutex_lock(&fk.m);
	while (!fk.in_submit)
		pthread_cond_wait(&fk.c, &fk.m);
	pthread_mutex_unlock(&fk.m);
	ck_assert_int_eq(lfs_iowatch_lock(&w), -EIO);
	t1 = lfs_now_ms();
	ck_assert_uint_ge(t1 - t0, BOUND_MS);
	/* one wait slice late at most, and scheduling on a loaded host */
	ck_assert_uint_lt(t1 - t0, BOUND_MS + LFS_IOWATCH_SLICE_MS + 500);
	ck_assert_int_eq(lfs_iowatch_lock(&w), -EIO);
	t2 = lfs_now_ms();
	ck_assert_uint_lt(t2 - t1, 100);
	ck_assert_uint_eq(atomic_load(&w.reported_ms), atomic_load(&w.since_ms));
	pthread_mutex_lock(&fk.m);
	fk.hold = 0;
	pthread_cond_broadcast(&fk.c);
	pthread_mutex_unlock(&fk.m);
	/* until the call has returned it is still stuck */
	while (atomic_load(&w.since_ms) != 0)
		lfs_sleep_ms(1);
	ck_assert_int_eq(lfs_iowatch_lock(&w), 0);
	lfs_iowatch_unlock(&w);
	pthread_join(t, NULL);
}
END_TEST

/* A holder whose calls are slow but each within the bound, or that makes
 * no call at all, is waited for, however long it keeps the lock. */
START_TEST(iowatch_waits_for_slow_holder)
{
	enum hold_how how = _i == 0 ? HOLD_SLOW_CALLS : HOLD_BETWEEN_CALLS;
	uint64_t t0;
	pthread_t t;

	w_init();
	t0 = lfs_now_ms();
	t = start_holder(how);
	ck_assert_int_eq(lfs_iowatch_lock(&w), 0);
	ck_assert_uint_ge(lfs_now_ms() - t0, 1400);
	lfs_iowatch_unlock(&w);
	pthread_join(t, NULL);
}
END_TEST

static Suite *
iowatch_suite(void)
{
	Suite *s = suite_create("iowatch");
	TCase *tc = tcase_create("iowatch");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, iowatch_bound);
	tcase_add_test(tc, iowatch_stuck_ms);
	tcase_add_test(tc, iowatch_gives_up_on_stuck_submit);
	tcase_add_loop_test(tc, iowatch_waits_for_slow_holder, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(iowatch_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
