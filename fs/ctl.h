/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctl.h - the command language of a lease's `ctl` file.
 *
 * One command per write(2); a single trailing "\n" is allowed and stripped.
 * Nothing else is tolerated: no surrounding or doubled spaces, no other
 * control bytes, no embedded NUL, no case folding, at most LFS_CTL_MAX bytes.
 * A strict grammar means a typo fails loudly (EINVAL) instead of doing
 * something near what was meant.
 *
 *   acquire             hold the lease through ctl until `release`
 *   acquire pid N       hold it for process N: until `release` or N exits
 *   acquire shared      hold it shared (core/shared.h) until `release shared`
 *   acquire shared pid N  hold it shared for process N
 *   release             drop a lease held through ctl (for a pid or not)
 *   release shared      drop a shared hold through ctl (for a pid or not)
 *   transfer HOST       hand the lease to HOST (a host id or display name)
 *   request             ask the owner for the lease (then held through ctl)
 *   request pid N       ask for it for process N (held for N on arrival)
 *   cancel              withdraw our request
 *   handover HOST       arm a transfer to HOST, whose request is pending:
 *                       the lease stays held here until HOST claims it
 *   keep                disarm a handover; 0 only while still held here
 *   claim               turn our pending request into a claim: "ready,
 *                       complete the handover armed for me"
 *
 * N is a decimal process id in 1..LFS_CTL_PID_MAX without a sign or a
 * leading zero (a pid is never written so by the kernel, and "010" read
 * as 8 or 10 would depend on who reads it).
 *
 * The parser is pure: no I/O, no allocation, no state; unit-tested.
 */
#ifndef LEASEFS_CTL_H
#define LEASEFS_CTL_H

#include <stddef.h>
#include <stdint.h>

#include "ondisk.h"

#define LFS_CTL_MAX 128          /* bytes in one command write, "\n" included */
/* Largest pid accepted: PID_MAX_LIMIT of Linux (2^22, include/linux/threads.h). */
#define LFS_CTL_PID_MAX 4194304

enum lfs_ctl_op {
	LFS_CTL_ACQUIRE = 1,
	LFS_CTL_RELEASE,
	LFS_CTL_TRANSFER,
	LFS_CTL_REQUEST,
	LFS_CTL_CANCEL,
	LFS_CTL_HANDOVER,
	LFS_CTL_KEEP,
	LFS_CTL_CLAIM,
};

struct lfs_ctl_cmd {
	enum lfs_ctl_op op;
	char host[LFS_HOST_NAME_MAX + 1]; /* transfer, handover: the target
	                            as written */
	uint32_t host_id;        /* transfer: the number when host is all digits
	                            and in 1..LFS_MAX_HOSTS, else 0 */
	int32_t pid;             /* acquire/request: "pid N" given, else 0 */
	int shared;              /* acquire/release: "shared" given */
};

/* Parse len bytes at buf into *out.  0, or -EINVAL for anything that is not
 * exactly one command (*out is then unspecified). */
int lfs_ctl_parse(const char *buf, size_t len, struct lfs_ctl_cmd *out);

/* "acquire", "release", ... for log lines; "?" for anything else. */
const char *lfs_ctl_op_name(enum lfs_ctl_op op);

#endif
