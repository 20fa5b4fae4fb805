/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hostpolicy.h - the daemon's decisions about its own host, as pure
 * functions: when to fence, when lease operations are refused, when a lost
 * lease may be released, whether to leave cleanly, how acquires retry.
 *
 * No I/O, no clock reads, no locks: every input is an argument.  The daemon
 * (fs/daemon.c, fs/holders.c) makes these decisions around its renewal,
 * deadline and watcher threads; the deterministic simulator (tests/sim/)
 * makes the same ones around simulated threads.  Keeping them here is what
 * lets the simulator test the shipped logic rather than a copy of it.
 *
 * Status: additive.  The functions state exactly what fs/ does today
 * (daemon.c: lfs_daemon_refuse, renew_once, deadline_main, leave;
 * holders.c: lfs_hold_acquire_disk, lfs_hold_settle, lfs_hold_release_disk,
 * lfs_hold_release_lost, lfs_hold_attach_locked); fs/ is to call them
 * instead of its inline copies once its restructuring lands.
 *
 * Timeline of one host's health (units of io = io_timeout, see timeouts.h):
 *
 *   renewed   submit time of the last good renewal write (ls->renewed_ms)
 *   +2 io     next renewal due (renewal_interval); a failed one retries
 *             every max(io/4, 10 ms)
 *   +3 io     lease operations that write a plain leader stop (release of a
 *             lost lease needs since + io < renewal_fail)
 *   +4 io     renewal_fail: lease operations refused; fence: every lease
 *             held becomes lost, holders are killed (deadline thread, and
 *             the guard from outside)
 *   later     a renewal succeeds again: if it came after renewal_fail, fence
 *             (the guard already did) and at once un-fence: the watcher
 *             then releases the lost leases
 *   -ESTALE   our id was taken: fence, no more lease I/O, renewal ends; the
 *             host comes back only by a new join (a new generation)
 */
#ifndef LEASEFS_HOSTPOLICY_H
#define LEASEFS_HOSTPOLICY_H

#include <stdint.h>

#include "timeouts.h"

/* What the daemon knows of its own health when it decides. */
struct lfs_hp_health {
	int stopping;                /* shutdown started */
	int stale;                   /* our host id was taken (-ESTALE) */
	int fenced;                  /* held leases were marked lost */
	uint64_t since_renewal_ms;   /* lfs_delta_since_renewal_ms() */
};

/* Why lease operations (lock, incoming, ctl) must be refused now, or NULL
 * when they may go ahead (fs lfs_daemon_refuse). */
const char *lfs_hp_refuse(const struct lfs_timeouts *to,
    const struct lfs_hp_health *h);

/* A lease just acquired may be handed to its holder only when not fenced;
 * otherwise it is held on disk but lost (fs lfs_hold_attach_locked). */
int lfs_hp_grant(const struct lfs_hp_health *h);

enum lfs_hp_renewal { LFS_HP_RENEWAL_OK, LFS_HP_RENEWAL_FAILING,
	LFS_HP_RENEWAL_LOST };

/* What to do after one renewal attempt (fs renew_once). */
struct lfs_hp_renew_outcome {
	int fence;                   /* fence now (unless fenced already) */
	const char *why;             /* for the log, when fence */
	int unfence;                 /* then clear fenced: renewal recovered,
	                                the watcher releases the lost leases */
	int pet_guard;               /* tell the guard ls->renewed_ms */
	int stale;                   /* our id is gone: no more lease I/O */
	enum lfs_hp_renewal renewal;
	uint64_t next_ms;            /* next attempt; UINT64_MAX: stop */
};

/* rv: lfs_delta_renew()'s result; start_ms: when the attempt started;
 * gap_ms: lfs_delta_since_renewal_ms() before it; since_ms: the same after
 * it; now_ms: now; fenced: whether fenced before it. */
void lfs_hp_after_renew(const struct lfs_timeouts *to, int rv,
    uint64_t start_ms, uint64_t gap_ms, uint64_t since_ms, uint64_t now_ms,
    int fenced, struct lfs_hp_renew_outcome *out);

/* The deadline thread (fs deadline_main): fence now? */
int lfs_hp_deadline_fence(const struct lfs_timeouts *to, uint64_t renewed_ms,
    uint64_t now_ms, int fenced, int stale);
/* ... and when to look next. */
uint64_t lfs_hp_deadline_next(const struct lfs_timeouts *to,
    uint64_t renewed_ms, uint64_t now_ms);

/* Acquire attempts for one lock (fs lfs_hold_acquire_disk): up to
 * LFS_HP_ACQUIRE_TRIES while the result is -EAGAIN, pausing
 * lfs_hp_acquire_pause_ms() before each retry; -EALREADY counts as 0. */
#define LFS_HP_ACQUIRE_TRIES 3
uint32_t lfs_hp_acquire_pause_ms(uint64_t now_ms, uint32_t host_id);
/* After those tries: whether the acquire may still have won a ballot that
 * nobody committed, so that the watcher must settle the lease. */
int lfs_hp_acquire_unsettled(int rv);
/* After a settling acquire (and its release): settle again later? */
int lfs_hp_settle_again(int rv);

/* A release's result: 1 when the entry is free afterwards (released, or
 * the disk no longer names us), 0 when it stays lost for a retry. */
int lfs_hp_release_done(int rv);
/* The watcher may release a lost lease only with a fresh renewal: a host
 * that thinks us dead could be taking it over (fs lfs_hold_release_lost). */
int lfs_hp_may_release_lost(const struct lfs_timeouts *to,
    const struct lfs_hp_health *h);

/* Shutdown: write LFS_HOST_FREE only when nothing is ours on disk and
 * nobody may have taken our id (fs leave). */
int lfs_hp_may_leave(const struct lfs_timeouts *to, int stale,
    int all_released, uint64_t since_renewal_ms);

/* Retry interval of blocked lock opens and request polling, ms. */
uint32_t lfs_hp_retry_ms(const struct lfs_timeouts *to);

#endif
