/*
 * clock.h - the one clock leasefs measures durations with, and sleeping.
 *
 * Every duration is measured on CLOCK_MONOTONIC, never on the wall clock:
 * a host's liveness is judged from seeing its timestamp change on our own
 * monotonic clock (no clock sync between hosts), and the guard and the
 * daemon compare deadlines on the same system-wide monotonic clock.
 */
#ifndef LEASEFS_CLOCK_H
#define LEASEFS_CLOCK_H

#include <stdint.h>

/* Monotonic milliseconds (CLOCK_MONOTONIC). */
uint64_t lfs_now_ms(void);
/* Sleep ms milliseconds, resuming after signals. */
void lfs_sleep_ms(uint32_t ms);

#endif
