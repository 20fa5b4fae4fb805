/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * iowatch.c - the watch over one I/O context's kernel calls and the
 * bounded wait for the lock its user holds (iowatch.h has the contract and
 * the bound's reasoning).
 *
 * Sections:
 *   1. the wrapped system calls: when the call in progress began
 *   2. the bounded lock
 */
#include <errno.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "iowatch.h"

/* ---- 1. the wrapped calls ---- */

static void
call_begin(struct lfs_iowatch *w)
{
	atomic_store(&w->tid, gettid());
	atomic_store(&w->since_ms, lfs_now_ms());
}

/* The call returned; if it was reported stuck, say that it ended (what
 * waited for it is served again from now on). */
static void
call_end(struct lfs_iowatch *w)
{
	uint64_t since = atomic_exchange(&w->since_ms, 0);

	if (since != 0 && atomic_load(&w->reported_ms) == since)
		lfs_log(w->log, LOG_NOTICE, "%s: the stuck I/O call returned "
		    "after %llu ms", w->what,
		    (unsigned long long)(lfs_now_ms() - since));
}

static int
watch_setup(int maxevents, io_context_t *ctx)
{
	return lfs_io_syscalls_default.setup(maxevents, ctx);
}

static int
watch_destroy(io_context_t ctx)
{
	return lfs_io_syscalls_default.destroy(ctx);
}

static int
watch_submit(void *arg, io_context_t ctx, long nr, struct iocb **iocbs)
{
	struct lfs_iowatch *w = arg;
	int r;

	call_begin(w);
	r = w->next->submit(w->next->arg, ctx, nr, iocbs);
	call_end(w);
	return r;
}

static int
watch_getevents(void *arg, io_context_t ctx, long min_nr, long nr,
    struct io_event *events, struct timespec *timeout)
{
	struct lfs_iowatch *w = arg;
	int r;

	call_begin(w);
	r = w->next->getevents(w->next->arg, ctx, min_nr, nr, events, timeout);
	call_end(w);
	return r;
}

uint32_t
lfs_iowatch_bound_ms(uint32_t io_timeout_ms)
{
	return io_timeout_ms + (io_timeout_ms > LFS_IOWATCH_MIN_SLACK_MS ?
	    io_timeout_ms : LFS_IOWATCH_MIN_SLACK_MS);
}

int
lfs_iowatch_init(struct lfs_iowatch *w, pthread_mutex_t *lock,
    const struct lfs_io_syscalls *next, const char *what,
    const struct lfs_logger *log)
{
	pthread_condattr_t ca;
	int r;

	w->next = next != NULL ? next : &lfs_io_syscalls_default;
	w->sys.setup = next != NULL ? next->setup : watch_setup;
	w->sys.destroy = next != NULL ? next->destroy : watch_destroy;
	w->sys.submit = watch_submit;
	w->sys.getevents = watch_getevents;
	w->sys.arg = w;
	w->sys.clock = w->next->clock;
	w->lock = lock;
	w->what = what;
	w->log = log;
	w->bound_ms = 0;
	atomic_store(&w->since_ms, 0);
	atomic_store(&w->tid, 0);
	atomic_store(&w->reported_ms, 0);
	w->waiters = 0;
	if ((r = pthread_condattr_init(&ca)) != 0)
		return -r;
	/* the wait is sliced on CLOCK_MONOTONIC; stuck is judged on
	 * lfs_now_ms() (CLOCK_BOOTTIME), as every deadline of the daemon */
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&w->wait_lock, NULL);
	r = pthread_cond_init(&w->wait_cond, &ca);
	pthread_condattr_destroy(&ca);
	return -r;
}

void
lfs_iowatch_set_bound(struct lfs_iowatch *w, uint32_t io_timeout_ms)
{
	w->bound_ms = lfs_iowatch_bound_ms(io_timeout_ms);
}

static uint64_t
own_stuck_ms(struct lfs_iowatch *w, uint64_t now_ms)
{
	uint64_t since = atomic_load(&w->since_ms);

	if (since == 0 || w->bound_ms == 0 || now_ms < since ||
	    now_ms - since <= w->bound_ms)
		return 0;
	return now_ms - since - w->bound_ms;
}

uint64_t
lfs_iowatch_stuck_ms(struct lfs_iowatch *w, uint64_t now_ms)
{
	return own_stuck_ms(w, now_ms);
}

uint64_t
lfs_iowatch_stuck_tid_ms(struct lfs_iowatch *w, pid_t tid, uint64_t now_ms)
{
	uint64_t ms = own_stuck_ms(w, now_ms);

	return ms > 0 && atomic_load(&w->tid) == tid ? ms : 0;
}

/* ---- 2. the bounded lock ---- */

/* A taker gave up: log the stuck call, once per call. */
static void
report(struct lfs_iowatch *w)
{
	uint64_t now = lfs_now_ms(), since;

	since = atomic_load(&w->since_ms);
	if (since == 0 || atomic_exchange(&w->reported_ms, since) == since)
		return; /* returned meanwhile, or logged already */
	lfs_log(w->log, LOG_CRIT, "%s: an I/O call has been in the kernel for "
	    "%llu ms (bound %u ms): stuck; what waits for it answers EIO until "
	    "it returns", w->what,
	    (unsigned long long)(now > since ? now - since : 0), w->bound_ms);
}

/* One slice of waiting for an unlock (wait_lock held). */
static void
wait_slice(struct lfs_iowatch *w)
{
	struct timespec ts;
	uint64_t ns;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ns = (uint64_t)ts.tv_nsec + LFS_IOWATCH_SLICE_MS * 1000000ull;
	ts.tv_sec += (time_t)(ns / 1000000000ull);
	ts.tv_nsec = (long)(ns % 1000000000ull);
	pthread_cond_timedwait(&w->wait_cond, &w->wait_lock, &ts);
}

int
lfs_iowatch_lock(struct lfs_iowatch *w)
{
	int r = 0;

	if (pthread_mutex_trylock(w->lock) == 0)
		return 0;
	pthread_mutex_lock(&w->wait_lock);
	w->waiters++;
	/* an unlock broadcasts under wait_lock after it dropped the lock:
	 * between a failed trylock here and the wait nothing is missed */
	while (pthread_mutex_trylock(w->lock) != 0) {
		if (lfs_iowatch_stuck_ms(w, lfs_now_ms()) > 0) {
			r = -EIO;
			break;
		}
		wait_slice(w);
	}
	w->waiters--;
	pthread_mutex_unlock(&w->wait_lock);
	if (r < 0)
		report(w);
	return r;
}

void
lfs_iowatch_unlock(struct lfs_iowatch *w)
{
	pthread_mutex_unlock(w->lock);
	pthread_mutex_lock(&w->wait_lock);
	if (w->waiters > 0)
		pthread_cond_broadcast(&w->wait_cond);
	pthread_mutex_unlock(&w->wait_lock);
}
