/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * clock.c - the real clock and sleeping (clock.h).
 *
 * CLOCK_BOOTTIME, not CLOCK_MONOTONIC: monotonic time stops while the
 * machine is suspended, so a suspended host (and its guard) would see no
 * time pass and never fence, while the other hosts, whose clocks ran on,
 * take its leases after host_dead.  Boot time counts the suspend, so on
 * resume every deadline that passed meanwhile is seen as passed.  Sleeping
 * is on the same clock (clock_nanosleep(2) takes CLOCK_BOOTTIME).  What no
 * clock inside a guest can see is a VM paused by its hypervisor: delta.c
 * detects that from the other hosts' renewal counters.
 */
#include <errno.h>
#include <time.h>

#include "clock.h"

static uint64_t
real_now_ns(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
real_sleep_ms(void *arg, uint32_t ms)
{
	struct timespec ts = { ms / 1000u, (long)(ms % 1000u) * 1000000L };

	(void)arg;
	while (clock_nanosleep(CLOCK_BOOTTIME, 0, &ts, &ts) == EINTR)
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
