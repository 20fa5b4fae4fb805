/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * stallio.h - tests only: an I/O table (core/diskio.h struct
 * lfs_io_syscalls) that stalls the N-th write of the contexts sharing it for MS
 * milliseconds right before io_submit(2), as a preempted thread or a
 * SIGSTOP there would (LEASEFS_TEST_STALL_WRITE=N:MS, cmd_mount.c).  That is
 * inside the submit gate, after the write's freshness check: the gap the
 * gate exists for (gate.h; the simulator's finding C12).
 */
#ifndef LEASEFS_STALLIO_H
#define LEASEFS_STALLIO_H

#include <stdatomic.h>

#include "diskio.h"
#include "log.h"

struct lfs_stallio {
	struct lfs_io_syscalls sys;  /* pass this to the contexts */
	unsigned nth, ms;            /* 0: never */
	atomic_uint writes;          /* submitted so far, by every context
	                                that shares this table */
	const struct lfs_logger *log; /* says when the stall begins */
};

/* Parse "N:MS" (N >= 1) into s: 0, or -EINVAL.  log may be NULL. */
int lfs_stallio_init(struct lfs_stallio *s, const char *spec,
    const struct lfs_logger *log);

#endif
