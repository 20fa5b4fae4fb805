/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * interpose.c - the two places where the core reads the world outside its
 * seams, taken over for the simulator at link time (the simulator links the
 * core statically, so its own definitions win):
 *
 *   time(2)       wall_time fields of records (for humans only); here the
 *                 simulated time, so the disk's bytes, and so every CRC the
 *                 host view compares, are the same in every run of a seed
 *   nanosleep(2)  core/paxos.c ballot_handover_retry() pauses 2 ms between
 *                 handover ballots with nanosleep(2) instead of
 *                 lfs_clock_sleep(ls->clock): here it sleeps on the calling
 *                 host's simulated clock.  (A seam gap worth closing in
 *                 core: the unit tests' clock cannot see that pause either.)
 *
 * Outside a simulated thread both behave as the real ones.
 */
#include <errno.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "sim.h"

time_t
time(time_t *t)
{
	time_t v = (time_t)(1700000000ull + (W != NULL ? W->now / 1000000000ull :
	    0));

	if (t != NULL)
		*t = v;
	return v;
}

int
nanosleep(const struct timespec *req, struct timespec *rem)
{
	if (W != NULL && sim_cur != NULL) {
		sim_sleep_ns((uint64_t)req->tv_sec * 1000000000ull +
		    (uint64_t)req->tv_nsec);
		if (rem != NULL)
			rem->tv_sec = rem->tv_nsec = 0;
		return 0;
	}
	return (int)syscall(SYS_nanosleep, req, rem);
}
