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
 * fs/daemon/ calls these (daemon.c: lfs_daemon_refuse, renew_once,
 * recover_once, rejoin, deadline_main, leave, lfs_retry_ms; holders.c:
 * lfs_hold_acquire_disk, lfs_hold_settle, lfs_hold_release_lost,
 * lfs_hold_attach_locked), and so does tests/sim/host.c.
 *
 * Timeline of one host's health (units of io = io_timeout, see timeouts.h):
 *
 *   renewed   submit time of the last good renewal write (ls->renewed_ms)
 *   +2 io     next renewal due (renewal_interval); a failed one retries
 *             every max(io/4, 10 ms)
 *   +3 io     lease operations that write a plain leader stop (release of a
 *             lost lease needs since + io < renewal_fail)
 *   +4 io     renewal_fail: lease operations refused; fence (deadline
 *             thread, renewal thread, and the guard from outside): every
 *             lease held becomes lost and the generation is finished,
 *             whatever a later renewal says (issue 11 case 1): its leases
 *             are never written free, their holders are killed
 *   later     once no holder of the finished generation can run (fenced
 *             holders proven gone; ctl leases whose users were not proven
 *             stopped: host_dead after the last renewal), rejoin with a
 *             newer generation (min_generation = old + 1), wait
 *             hosts_fresh, renew once more and serve only if that renewal
 *             was itself not renewal_fail late
 *   -ESTALE   our id was taken: fence, no more lease I/O, renewal ends
 *   -ETIME    our clock missed time (suspended): like a renewal too late
 */
#ifndef LEASEFS_HOSTPOLICY_H
#define LEASEFS_HOSTPOLICY_H

#include <stdint.h>

#include "timeouts.h"

/* What the daemon knows of its own health when it decides. */
struct lfs_hp_health {
	int stopping;                /* shutdown started */
	int stale;                   /* our host id was taken (-ESTALE) */
	int fenced;                  /* this generation is finished */
	int guard_lost;              /* the guard died: nothing fences from
	                                outside any more */
	uint64_t since_renewal_ms;   /* lfs_delta_since_renewal_ms() */
};

/* Why lease operations (lock, incoming, ctl) must be refused now, or NULL
 * when they may go ahead (fs lfs_daemon_refuse). */
const char *lfs_hp_refuse(const struct lfs_timeouts *to,
    const struct lfs_hp_health *h);

/* A lease just acquired may be handed to its holder only while lease
 * operations are allowed (lfs_hp_refuse says none), not merely while not
 * fenced: an acquire that ends after renewal_fail, before the fencing
 * pass has run, would start a holder that pass may already have scanned
 * for, alive past host_dead (the simulator's finding D2, seed 97 at
 * HOSTS=3-8 with the fix undone: two holders).  Otherwise it is ours on
 * disk and lost (fs lfs_hold_attach_locked). */
int lfs_hp_grant(const struct lfs_timeouts *to, const struct lfs_hp_health *h);
/* A lease won but not granted (lfs_hp_grant) belongs to a finished
 * generation, never to be written again by it, when the host is fenced or
 * lost its id; else (renewal overdue, stopping, guard gone) it is only
 * lost, and released as any lost lease once that is allowed
 * (lfs_hp_may_release_lost).  Renewal overdue is not enough: a renewal
 * submitted in time may still be on its way back (its thread stopped with
 * the daemon), and then the generation goes on -- and a lease marked
 * finished under a generation that goes on stays ours on disk, held by
 * nobody, for as long as we live (the simulator's seed 28479 at
 * HOSTS=3-16).  If fencing does come, it makes every lost lease finished
 * (fs holders.c collect_ctl_locked). */
int lfs_hp_lost_for_good(const struct lfs_timeouts *to,
    const struct lfs_hp_health *h);

/* After a transfer that failed: 1 when its outcome is unknown because one
 * of its writes timed out and may still land (abandoned_ios: the ops
 * context's I/Os the kernel still owns, lfs_io_reap).  The lease is then
 * lost here, whatever a leader read says now: the write may name the
 * target a moment later (finding D4).  0: a read of the leader tells. */
int lfs_hp_transfer_unknown(uint32_t abandoned_ios);

enum lfs_hp_renewal { LFS_HP_RENEWAL_OK, LFS_HP_RENEWAL_FAILING,
	LFS_HP_RENEWAL_LOST, LFS_HP_RENEWAL_KEEP /* unchanged */ };

/* Before a renewal attempt (fs renew_once): 1 when the last good renewal
 * is renewal_fail old already (the thread was stopped or starved): fence,
 * a renewal now would come too late to count. */
int lfs_hp_overdue(const struct lfs_timeouts *to, uint64_t renewed_ms,
    uint64_t now_ms);

/* What to do after one renewal attempt (fs renew_once). */
struct lfs_hp_renew_outcome {
	int fence;                   /* fence now: the generation is finished */
	const char *why;             /* for the log, when fence */
	int pet_guard;               /* tell the guard ls->renewed_ms */
	int stale;                   /* our id is gone: no more lease I/O */
	enum lfs_hp_renewal renewal;
	uint64_t next_ms;            /* next attempt; UINT64_MAX: stop */
};

/* rv: lfs_delta_renew()'s result; start_ms: when the attempt started;
 * before_ms, after_ms: ls->renewed_ms before and after it; since_ms:
 * lfs_delta_since_renewal_ms() after it; now_ms: now. */
void lfs_hp_after_renew(const struct lfs_timeouts *to, int rv,
    uint64_t start_ms, uint64_t before_ms, uint64_t after_ms,
    uint64_t since_ms, uint64_t now_ms, struct lfs_hp_renew_outcome *out);

/* The deadline thread (fs deadline_main): fence now? */
int lfs_hp_deadline_fence(const struct lfs_timeouts *to, uint64_t renewed_ms,
    uint64_t now_ms, int fenced, int stale);
/* ... and when to look next. */
uint64_t lfs_hp_deadline_next(const struct lfs_timeouts *to,
    uint64_t renewed_ms, uint64_t now_ms);

/* While fenced (fs recover_once): what the renewal thread does next. */
enum lfs_hp_recover {
	LFS_HP_RECOVER_STOP,         /* our id is gone: nothing more */
	LFS_HP_RECOVER_WAIT,         /* a holder of the finished generation
	                                may still run: wait (and kill again) */
	LFS_HP_RECOVER_REJOIN,       /* join under a new generation */
};
/* fence_done: the fencing finished its kills; holders_alive: lease files
 * of the finished generation still open; ctl_unproven: ctl leases whose
 * users were not proven stopped. */
enum lfs_hp_recover lfs_hp_recover(int stale, int fence_done,
    int holders_alive, int ctl_unproven);
/* A ctl lease whose user was not proven stopped counts as gone once
 * host_dead passed after our last renewal: other hosts may take it from
 * then on anyway, and a new generation exposes nothing more. */
int lfs_hp_ctl_expired(const struct lfs_timeouts *to, uint64_t renewed_ms,
    uint64_t now_ms);
/* The lowest generation of a rejoin after generation old was finished. */
uint64_t lfs_hp_rejoin_min_generation(uint64_t old);
/* After the rejoin: wait this long (hosts_fresh, slack on top of
 * join_delay: fs rejoin's timeline), then renew once more; serve only when
 * that renewal (rv, renewed_ms before and after) succeeded and was not
 * itself renewal_fail late.  0: serve; -errno: the rejoin failed. */
uint32_t lfs_hp_rejoin_wait_ms(const struct lfs_timeouts *to);
int lfs_hp_rejoin_serve(const struct lfs_timeouts *to, int rv,
    uint64_t before_ms, uint64_t after_ms);
/* A rejoin that failed so (the id is someone else's now): stop. */
int lfs_hp_rejoin_lost_id(int rv);

/* Acquire attempts for one lock (fs lfs_hold_acquire_disk): up to
 * LFS_HP_ACQUIRE_TRIES while the result is -EAGAIN, pausing
 * lfs_hp_acquire_pause_ms() before each retry; -EALREADY counts as 0. */
#define LFS_HP_ACQUIRE_TRIES 3
uint32_t lfs_hp_acquire_pause_ms(uint64_t now_ms, uint32_t host_id);
/* After those tries: whether the acquire may still have won a ballot that
 * nobody committed, so that the watcher must settle the lease. */
int lfs_hp_acquire_unsettled(int rv);
/* After lfs_leases_delete failed with rv: whether the lease may be left
 * ours on disk, held by nobody, so that the watcher must settle it (an
 * aborted ballot of the delete's own acquire, or its release failing;
 * finding C13). */
int lfs_hp_delete_unsettled(int rv);
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
/* Retry interval of a failed renewal or rejoin, ms: max(io/4, 10). */
uint32_t lfs_hp_renew_retry_ms(const struct lfs_timeouts *to);

#endif
