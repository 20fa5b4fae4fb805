/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * gate.h - the daemon's side of the submit gate (core/lockspace.h): a
 * shared flock(2) of state_dir/gate, held by the daemon from each lease
 * write's freshness check until its io_submit returned.  The guard holds
 * its own open file description of the same file and takes the lock
 * exclusive at renewed + lfs_gate_close_ms() (core/timeouts.h): from then
 * on no write passes the gate until a newer renewal reopens it, and a
 * write already inside must reach io_submit within lfs_gate_wait_ms(), or
 * the guard kills the daemon (guard.h).  flock locks belong to an open
 * file description, so the daemon keeps one and counts its users: the
 * first taker locks, the last one to leave unlocks.  The renewal gate
 * (core/lockspace.h renew_gate, state_dir/renew-gate) works the same way
 * for renewal writes, closed by the guard at renewed + renewal_fail.
 */
#ifndef LEASEFS_GATE_H
#define LEASEFS_GATE_H

#include <pthread.h>

struct lfs_dgate {
	pthread_mutex_t lock;
	int fd;                  /* the daemon's description; -1: no gate */
	int users;               /* writes inside (lock) */
};

/* Open state_dir/name ("gate" for lease writes, "renew-gate" for
 * renewals) twice: the daemon's description into g, the guard's into
 * *guard_fd (for the guard's config; the daemon closes it once the guard
 * is forked).  0 or -errno. */
int lfs_dgate_open(struct lfs_dgate *g, const char *state_dir,
    const char *name, int *guard_fd);
void lfs_dgate_close(struct lfs_dgate *g);
/* core/lockspace.h struct lfs_submit_gate's take and drop (arg: g):
 * -EBUSY when the guard holds the gate closed. */
int lfs_dgate_take(void *arg);
void lfs_dgate_drop(void *arg);

#endif
