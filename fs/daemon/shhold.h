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
 * The shared side of a lease here, one value (shhold.c draws the
 * transitions; lfs_sh_set_locked() is the only writer and asserts them in
 * debug builds):
 *   NONE        our mode block does not show us, as far as we know
 *   SET         it shows us (set under sh_token) for the local shared
 *               holders: sh_files lock files opened O_RDONLY, and at most
 *               one ctl hold (sh_how CTL, or PID with the process in l->pd)
 *   LOST        it shows us but nobody here holds it: the last holder went
 *               and the clear failed, or fencing took it (then finished
 *               too); the watcher clears it
 *   UNFINISHED  a shared acquire ended -EINPROGRESS: sh_left is what
 *               lfs_shared_finish() has left to undo (the watcher does)
 * Never beside an exclusive hold that is ours to use, nor a request.
 */
enum lfs_sh { LFS_SH_NONE, LFS_SH_SET, LFS_SH_LOST, LFS_SH_UNFINISHED };

/* l->sh: owner shhold.c; table_lock.  (Not struct lfs_sh: that tag is
 * the enum's.) */
struct lfs_sh_part {
	enum lfs_sh state;       /* lfs_sh_set_locked() only */
	uint64_t sh_token;       /* the token the mode was set under */
	int sh_files;            /* lock files holding it shared (SET only) */
	enum lfs_how sh_how;     /* its ctl hold: NONE, CTL or PID (SET only) */
	struct lfs_shared_hold sh_left; /* UNFINISHED: what is left to undo */
};

struct lfs_dlease;

/* Readers (table_lock held): the state; whether our mode block shows us
 * (SET or LOST); the ctl hold; the number of lock files holding it. */
enum lfs_sh lfs_sh_state(const struct lfs_dlease *l);
int lfs_sh_shown(const struct lfs_dlease *l);
enum lfs_how lfs_sh_how(const struct lfs_dlease *l);
int lfs_sh_files(const struct lfs_dlease *l);
/* The one writer of sh.state (table_lock held): checks the transition in
 * debug builds, then the lease's invariants (lfs_dlease_check). */
void lfs_sh_set_locked(struct lfs_dlease *l, enum lfs_sh to);

#endif
