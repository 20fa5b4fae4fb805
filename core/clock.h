/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * clock.h - the clocks leasefs measures durations with, and sleeping.
 *
 * Every duration is measured on a local monotonic clock that counts time
 * spent suspended (CLOCK_BOOTTIME), never on the wall clock: a host's liveness is judged from seeing its timestamp change on our
 * own clock (no clock sync between hosts), and the guard and the daemon
 * compare deadlines on the same system-wide clock.
 *
 * The core library never reads a clock by name: every module that measures
 * time (the lockspace's host view, delta leases, ballots, the name table, the
 * I/O layer's deadlines) goes through a struct lfs_clock that its owner
 * carries (struct lfs_lockspace's clock, struct lfs_io_syscalls' clock).  The
 * program passes lfs_clock_real; a test or the simulator passes a clock it
 * advances itself, so that "timed out after exactly io_timeout" holds without
 * sleeping and without racing a disk.
 *
 * A clock's contract: now_ms never goes back; sleep_ms(ms) returns once now_ms
 * has advanced by at least ms (a fake clock simply advances itself).
 */
#ifndef LEASEFS_CLOCK_H
#define LEASEFS_CLOCK_H

#include <stdint.h>

struct lfs_clock {
	uint64_t (*now_ns)(void *arg);          /* monotonic nanoseconds */
	void (*sleep_ms)(void *arg, uint32_t ms);
	void *arg;
};

/* The system's boot-time clock (CLOCK_BOOTTIME: monotonic, and counting
 * suspended time) and clock_nanosleep(2) on it. */
extern const struct lfs_clock lfs_clock_real;

static inline uint64_t
lfs_clock_ns(const struct lfs_clock *c)
{
	return c->now_ns(c->arg);
}

static inline uint64_t
lfs_clock_ms(const struct lfs_clock *c)
{
	return c->now_ns(c->arg) / 1000000u;
}

static inline void
lfs_clock_sleep(const struct lfs_clock *c, uint32_t ms)
{
	c->sleep_ms(c->arg, ms);
}

/* The real clock in milliseconds and sleeping on it, for the program (fs/),
 * the guard and fencing, which deal with real processes and real time. */
uint64_t lfs_now_ms(void);
void lfs_sleep_ms(uint32_t ms);

#endif
