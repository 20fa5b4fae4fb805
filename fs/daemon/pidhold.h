/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pidhold.h - the process a lease is held or requested for on this host
 * (l->pd), owned by pidhold.c: no other file writes a field of struct
 * lfs_pd (scripts/check-fields checks it).  holders.h declares its
 * operations.
 *
 * Every field is protected by table_lock (daemon.h).
 */
#ifndef LEASEFS_PIDHOLD_H
#define LEASEFS_PIDHOLD_H

#include <stdint.h>
#include <sys/types.h>

/*
 * l->pd: owner pidhold.c; table_lock.  The process of `acquire pid` (hold
 * PID), `acquire shared pid` (sh_how PID) or `request pid` (request PID),
 * or of a lease lost at fencing while held so (pid_fenced: it may still
 * run; d->fenced_pids counts these).  pid 0: none, and pidfd means
 * nothing.
 */
struct lfs_pd {
	pid_t pid;
	int pidfd;
	uint64_t pid_token;      /* its watch (pidwatch.h) */
	int pid_fenced;
};

struct lfs_dlease;

/* Readers (table_lock held): the process (0: none), its pidfd (only
 * while pid != 0), its watch's token, whether it was held so at
 * fencing. */
pid_t lfs_pid_of(const struct lfs_dlease *l);
int lfs_pid_fd(const struct lfs_dlease *l);
uint64_t lfs_pid_token(const struct lfs_dlease *l);
int lfs_pid_fenced(const struct lfs_dlease *l);

#endif
