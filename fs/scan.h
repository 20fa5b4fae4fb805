/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * scan.h - every lease of a lockspace, read straight from the device in one
 * pass, for `leasefs dump` and `leasefs status`.
 *
 * One read of the name table, then one read per lease of its leader and
 * request sectors (adjacent on disk), LFS_IO_MAX_BATCH reads submitted
 * together: 10,000 leases take 1,250 round trips to the disk, not 20,000.
 * Only reads; safe at any time, with or without a daemon.  What it returns
 * is what the disk said at the moment each lease was read: a lease changed
 * meanwhile shows its old or its new record, never half of each.
 */
#ifndef LEASEFS_SCAN_H
#define LEASEFS_SCAN_H

#include <stdint.h>

#include "leases.h"

/* A host's mode block showing it shared (core/shared.h), as on disk:
 * whether it counts depends on that host's liveness, for the caller to
 * judge (a mode of a dead or older generation holds nothing). */
struct lfs_scan_mode {
	uint32_t host_id;
	uint64_t gen;                /* the generation that set it */
	uint64_t lver;               /* its token */
};

#define LFS_SCAN_MODES_MAX 16    /* modes kept per lease (sh_n counts all) */

struct lfs_scan_lease {
	char name[LFS_NAME_MAX + 1];
	uint32_t slot;
	uint32_t incarnation;        /* from the name table */
	int err;                     /* 0, or why leader is not usable: -ENOENT
	                                (deleted meanwhile), a decoder error of
	                                ondisk.h, -errno from I/O */
	struct lfs_leader leader;    /* when err == 0 */
	struct lfs_request request;  /* host_id 0: none (or unreadable) */
	int req_err;                 /* 0, or why the request is unreadable */
	/* lfs_scan_leases_modes only: the shared modes of hosts 1 .. hw */
	uint32_t sh_n;
	struct lfs_scan_mode sh[LFS_SCAN_MODES_MAX];
};

/* Read every lease.  *out (malloc'd, the caller frees; NULL when *n is 0)
 * gets one entry per name-table entry, in slot order.  A lease that cannot
 * be read has its err set; the call fails (-errno, nothing returned) only
 * when the name table itself cannot be read or memory runs out. */
int lfs_scan_leases(struct lfs_lockspace *ls, struct lfs_io *io,
    struct lfs_scan_lease **out, uint32_t *n);

/* The same, and every lease's shared modes of hosts 1 .. hw (the highest
 * host id in use): each lease's read grows from 2 sectors to 2 + hw, in
 * the same batches.  A dblock that does not decode is left out. */
int lfs_scan_leases_modes(struct lfs_lockspace *ls, struct lfs_io *io,
    uint32_t hw, struct lfs_scan_lease **out, uint32_t *n);

#endif
