/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * shhold.h - a lease's shared holds on this host (l->sh), owned by
 * shhold.c: no other file writes a field of struct lfs_sh (scripts/
 * check-fields checks it).  shhold.c's top has their states; holders.h
 * declares its operations.
 *
 * Every field is protected by table_lock (daemon.h).
 */
#ifndef LEASEFS_SHHOLD_H
#define LEASEFS_SHHOLD_H

#include <stdint.h>

#include "hold.h"
#include "shared.h"

/*
 * l->sh: owner shhold.c; table_lock.  Shared holds here (core/shared.h),
 * never beside an exclusive one (held) or a request: our mode block shows
 * us shared (sh_set, set under sh_token) while any local shared holder
 * remains -- sh_files lock files opened O_RDONLY, and at most one ctl
 * hold (sh_how CTL, or PID with the process in l->pd).  sh_lost: set on
 * disk but nobody here holds it (the last holder went and the clear
 * failed, or fencing took it: then finished too); the watcher clears it.
 * sh_unfinished: a shared acquire ended -EINPROGRESS, sh_left is what
 * lfs_shared_finish() has left to undo (the watcher does).
 */
struct lfs_sh {
	int sh_set;
	int sh_lost;
	uint64_t sh_token;
	int sh_files;
	enum lfs_how sh_how;
	int sh_unfinished;
	struct lfs_shared_hold sh_left;
};

#endif
