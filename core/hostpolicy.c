/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hostpolicy.c - the daemon's decisions about its own host (hostpolicy.h).
 *
 * Each function states one decision of fs/ exactly as fs/ makes it today;
 * the comment names where.  Changing a decision here is a behaviour change
 * of the daemon (once fs/ calls these), not a test-only edit.
 */
#include <errno.h>
#include <stddef.h>

#include "hostpolicy.h"

#define RETRY_MIN_MS 20u             /* fs/daemon.h LFS_RETRY_MIN_MS */
#define ACQUIRE_PAUSE_MAX_MS 4u      /* fs/holders.c */
#define RENEW_RETRY_MIN_MS 10u       /* fs/daemon.c renew_once */

/* fs/daemon.c lfs_daemon_refuse */
const char *
lfs_hp_refuse(const struct lfs_timeouts *to, const struct lfs_hp_health *h)
{
	if (h->stopping)
		return "the daemon is stopping";
	if (h->stale)
		return "this host lost its host id";
	if (h->fenced)
		return "renewal failed; leases are fenced";
	if (h->since_renewal_ms >= to->renewal_fail_ms)
		return "renewal is overdue";
	return NULL;
}

/* fs/holders.c lfs_hold_attach_locked: "Fencing started while we
 * acquired: we may not use it." */
int
lfs_hp_grant(const struct lfs_hp_health *h)
{
	return !h->fenced;
}

/* fs/daemon.c renew_once */
void
lfs_hp_after_renew(const struct lfs_timeouts *to, int rv, uint64_t start_ms,
    uint64_t gap_ms, uint64_t since_ms, uint64_t now_ms, int fenced,
    struct lfs_hp_renew_outcome *out)
{
	uint64_t retry = to->io_timeout_ms / 4;

	out->fence = 0;
	out->why = NULL;
	out->unfence = 0;
	out->pet_guard = 0;
	out->stale = 0;
	if (rv == 0) {
		/* stopped or starved past renewal_fail: the guard fenced
		 * meanwhile and other hosts may have taken our leases */
		if (gap_ms >= to->renewal_fail_ms && !fenced) {
			out->fence = 1;
			out->why = "a renewal came too late (daemon paused?)";
		}
		out->pet_guard = 1;
		out->renewal = LFS_HP_RENEWAL_OK;
		out->unfence = fenced || out->fence;
		out->next_ms = start_ms + to->renewal_interval_ms;
		return;
	}
	if (rv == -ESTALE) {
		out->stale = 1;
		out->renewal = LFS_HP_RENEWAL_LOST;
		out->fence = !fenced;
		out->why = "host id lost";
		out->next_ms = UINT64_MAX;
		return;
	}
	if (since_ms >= to->renewal_fail_ms) {
		out->renewal = LFS_HP_RENEWAL_LOST;
		out->fence = !fenced;
		out->why = "renewal failed";
	} else {
		out->renewal = LFS_HP_RENEWAL_FAILING;
	}
	out->next_ms = now_ms + (retry > RENEW_RETRY_MIN_MS ? retry :
	    RENEW_RETRY_MIN_MS);
}

/* fs/daemon.c deadline_main */
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

	return now_ms >= due ? now_ms + to->io_timeout_ms : due;
}

/* fs/holders.c lfs_hold_acquire_disk */
uint32_t
lfs_hp_acquire_pause_ms(uint64_t now_ms, uint32_t host_id)
{
	return 1 + (uint32_t)((now_ms + host_id) % ACQUIRE_PAUSE_MAX_MS);
}

int
lfs_hp_acquire_unsettled(int rv)
{
	return rv == -EAGAIN;
}

/* fs/holders.c lfs_hold_settle */
int
lfs_hp_settle_again(int rv)
{
	return rv == -EAGAIN || rv == -EIO || rv == -ETIMEDOUT;
}

/* fs/holders.c lfs_hold_release_disk */
int
lfs_hp_release_done(int rv)
{
	return rv == 0 || rv == -EPERM || rv == -ENOENT;
}

/* fs/holders.c lfs_hold_release_lost */
int
lfs_hp_may_release_lost(const struct lfs_timeouts *to,
    const struct lfs_hp_health *h)
{
	if (h->fenced || h->stale || h->stopping)
		return 0;
	return h->since_renewal_ms + to->io_timeout_ms < to->renewal_fail_ms;
}

/* fs/daemon.c leave */
int
lfs_hp_may_leave(const struct lfs_timeouts *to, int stale, int all_released,
    uint64_t since_renewal_ms)
{
	return !stale && all_released && since_renewal_ms < to->renewal_fail_ms;
}

/* fs/daemon.c lfs_retry_ms */
uint32_t
lfs_hp_retry_ms(const struct lfs_timeouts *to)
{
	uint32_t r = to->io_timeout_ms / 20;

	return r > RETRY_MIN_MS ? r : RETRY_MIN_MS;
}
