/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hostpolicy.c - the daemon's decisions about its own host (hostpolicy.h).
 *
 * Each function is one decision of fs/daemon/, which calls it; the comment
 * names where.  The deterministic simulator (tests/sim/) calls the same
 * functions, so changing a decision here changes the daemon and what the
 * simulator tests alike.  tests/sim/reverts/ has patches that undo safety
 * fixes here (issue 11), which the simulator must find.
 */
#include <errno.h>
#include <stddef.h>

#include "hostpolicy.h"

#define RETRY_MIN_MS 20u             /* blocked opens, request polling */
#define ACQUIRE_PAUSE_MAX_MS 4u      /* fs/daemon/holders.c */
#define RENEW_RETRY_MIN_MS 10u       /* a failed renewal or rejoin */

/* fs/daemon/daemon.c lfs_daemon_refuse */
const char *
lfs_hp_refuse(const struct lfs_timeouts *to, const struct lfs_hp_health *h)
{
	if (h->stopping)
		return "the daemon is stopping";
	if (h->stale)
		return "this host lost its host id";
	if (h->fenced)
		return "renewal failed; leases are fenced";
	if (h->guard_lost)
		return "the guard died; nothing would fence a holder";
	if (h->since_renewal_ms >= to->renewal_fail_ms)
		return "renewal is overdue";
	return NULL;
}

/* fs/daemon/holders.c lfs_hold_attach_locked: "Fencing started while we
 * acquired: we may not use it." */
int
lfs_hp_grant(const struct lfs_timeouts *to, const struct lfs_hp_health *h)
{
	return lfs_hp_refuse(to, h) == NULL;
}

int
lfs_hp_lost_for_good(const struct lfs_timeouts *to,
    const struct lfs_hp_health *h)
{
	(void)to;
	return h->fenced || h->stale;
}

/* fs/daemon/ctl_exec.c transfer_to */
int
lfs_hp_transfer_unknown(uint32_t abandoned_ios)
{
	return abandoned_ios > 0;
}

/* fs/daemon/daemon.c renew_once, before the attempt */
int
lfs_hp_overdue(const struct lfs_timeouts *to, uint64_t renewed_ms,
    uint64_t now_ms)
{
	return now_ms - renewed_ms >= to->renewal_fail_ms;
}

/* fs/daemon/daemon.c renew_once, after the attempt */
void
lfs_hp_after_renew(const struct lfs_timeouts *to, int rv, uint64_t start_ms,
    uint64_t before_ms, uint64_t after_ms, uint64_t since_ms, uint64_t now_ms,
    struct lfs_hp_renew_outcome *out)
{
	out->fence = 0;
	out->why = NULL;
	out->pet_guard = 0;
	out->stale = 0;
	out->renewal = LFS_HP_RENEWAL_KEEP;
	out->next_ms = now_ms;
	if (rv == -ETIME) {
		/* another host's counter ran far ahead of our clock: we were
		 * frozen or suspended longer than we measured (core/delta.c);
		 * like a renewal that came too late */
		out->fence = 1;
		out->why = "our clock missed time (suspended or paused?)";
		return;
	}
	if (rv == 0 && after_ms - before_ms >= to->renewal_fail_ms) {
		/* stopped or starved past renewal_fail inside the renewal:
		 * the guard fenced meanwhile and other hosts may judge us
		 * dead by their views and take our leases; nothing of this
		 * generation may be trusted any more (issue 11 case 1) */
		out->fence = 1;
		out->why = "a renewal came too late (daemon paused?)";
		return;
	}
	if (rv == 0) {
		out->pet_guard = 1;
		out->renewal = LFS_HP_RENEWAL_OK;
		out->next_ms = start_ms + to->renewal_interval_ms;
		return;
	}
	if (rv == -ESTALE) {
		out->stale = 1;
		out->renewal = LFS_HP_RENEWAL_LOST;
		out->fence = 1;
		out->why = "host id lost";
		out->next_ms = UINT64_MAX;
		return;
	}
	if (since_ms >= to->renewal_fail_ms) {
		out->renewal = LFS_HP_RENEWAL_LOST;
		out->fence = 1;
		out->why = "renewal failed";
		return;
	}
	/* retry soon: a quarter io_timeout leaves several attempts before
	 * renewal_fail without hammering a sick device */
	out->renewal = LFS_HP_RENEWAL_FAILING;
	out->next_ms = now_ms + lfs_hp_renew_retry_ms(to);
}

/* fs/daemon/daemon.c deadline_main */
int
lfs_hp_deadline_fence(const struct lfs_timeouts *to, uint64_t renewed_ms,
    uint64_t now_ms, int fenced, int stale)
{
	return now_ms >= renewed_ms + to->renewal_fail_ms && !fenced && !stale;
}

uint64_t
lfs_hp_deadline_next(const struct lfs_timeouts *to, uint64_t renewed_ms,
    uint64_t now_ms)
{
	uint64_t due = renewed_ms + to->renewal_fail_ms;

	/* wake at the deadline, or every io_timeout to see renewals */
	return now_ms >= due ? now_ms + to->io_timeout_ms : due;
}

/* fs/daemon/daemon.c recover_once */
enum lfs_hp_recover
lfs_hp_recover(int stale, int fence_done, int holders_alive, int ctl_unproven)
{
	if (stale)
		return LFS_HP_RECOVER_STOP;
	if (!fence_done || holders_alive > 0 || ctl_unproven > 0)
		return LFS_HP_RECOVER_WAIT;
	return LFS_HP_RECOVER_REJOIN;
}

int
lfs_hp_ctl_expired(const struct lfs_timeouts *to, uint64_t renewed_ms,
    uint64_t now_ms)
{
	return now_ms >= renewed_ms + to->host_dead_ms;
}

/* fs/daemon/daemon.c rejoin */
uint64_t
lfs_hp_rejoin_min_generation(uint64_t old)
{
	return old + 1; /* never back, whatever the disk shows */
}

uint32_t
lfs_hp_rejoin_wait_ms(const struct lfs_timeouts *to)
{
	return to->hosts_fresh_ms;
}

int
lfs_hp_rejoin_serve(const struct lfs_timeouts *to, int rv, uint64_t before_ms,
    uint64_t after_ms)
{
	/* the join may itself have been stopped or starved (its write is
	 * then as old as the pause): serving starts with a full
	 * renewal_fail ahead */
	if (rv == 0 && after_ms - before_ms >= to->renewal_fail_ms)
		return -ETIMEDOUT;
	if (rv == -ESTALE)
		return -EAGAIN;
	return rv;
}

int
lfs_hp_rejoin_lost_id(int rv)
{
	return rv == -EBUSY || rv == -EAGAIN;
}

/* fs/daemon/holders.c lfs_hold_acquire_disk */
uint32_t
lfs_hp_acquire_pause_ms(uint64_t now_ms, uint32_t host_id)
{
	return 1 + (uint32_t)((now_ms + host_id) % ACQUIRE_PAUSE_MAX_MS);
}

int
lfs_hp_acquire_unsettled(int rv)
{
	/* -EAGAIN: a ballot aborted after phase 2; -EIO, -ETIMEDOUT: an I/O
	 * failed after phase 2 may have been written, so our value may have
	 * been chosen all the same (finding D5) */
	return rv == -EAGAIN || rv == -EIO || rv == -ETIMEDOUT;
}

/* fs/daemon/table.c lfs_table_delete */
int
lfs_hp_delete_unsettled(int rv)
{
	return lfs_hp_acquire_unsettled(rv) || rv == -EINPROGRESS;
}

/* fs/daemon/holders.c lfs_hold_settle */
int
lfs_hp_settle_again(int rv)
{
	return rv == -EAGAIN || rv == -EIO || rv == -ETIMEDOUT ||
	    rv == -EINPROGRESS;
}

/* fs/daemon/holders.c lfs_hold_release_disk */
int
lfs_hp_release_done(int rv)
{
	return rv == 0 || rv == -EPERM || rv == -ENOENT;
}

/* fs/daemon/holders.c lfs_hold_release_lost */
int
lfs_hp_may_release_lost(const struct lfs_timeouts *to,
    const struct lfs_hp_health *h)
{
	if (h->fenced || h->stale || h->stopping)
		return 0;
	return h->since_renewal_ms + to->io_timeout_ms < to->renewal_fail_ms;
}

/* fs/daemon/daemon.c leave */
int
lfs_hp_may_leave(const struct lfs_timeouts *to, int stale, int all_released,
    uint64_t since_renewal_ms)
{
	return !stale && all_released && since_renewal_ms < to->renewal_fail_ms;
}

/* fs/daemon/daemon.c lfs_retry_ms */
uint32_t
lfs_hp_retry_ms(const struct lfs_timeouts *to)
{
	uint32_t r = to->io_timeout_ms / 20;

	return r > RETRY_MIN_MS ? r : RETRY_MIN_MS;
}

uint32_t
lfs_hp_renew_retry_ms(const struct lfs_timeouts *to)
{
	uint32_t r = to->io_timeout_ms / 4;

	return r > RENEW_RETRY_MIN_MS ? r : RENEW_RETRY_MIN_MS;
}
