/*
 * clock.c - the real clock and sleeping (clock.h).
 */
#include <errno.h>
#include <time.h>

#include "clock.h"

static uint64_t
real_now_ns(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
real_sleep_ms(void *arg, uint32_t ms)
{
	struct timespec ts = { ms / 1000u, (long)(ms % 1000u) * 1000000L };

	(void)arg;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

const struct lfs_clock lfs_clock_real = {
	.now_ns = real_now_ns,
	.sleep_ms = real_sleep_ms,
	.arg = NULL,
};

uint64_t
lfs_now_ms(void)
{
	return real_now_ns(NULL) / 1000000u;
}

void
lfs_sleep_ms(uint32_t ms)
{
	real_sleep_ms(NULL, ms);
}
