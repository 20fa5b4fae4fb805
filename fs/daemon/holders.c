/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * holders.c - the lease operations of this host built on hold.c's state
 * machine and shhold.c's shared holds: lock and incoming files, requests
 * and arrivals, lost leases, process exits, fencing and shutdown.
 *
 * Sections: 3. lock and incoming files: open, close 4. the watcher's work:
 * requests, arrivals, lost leases 5. fencing and shutdown: losing and releasing
 * everything The ctl commands are in ctl_exec.c, on hold.c's building blocks
 * (holders.h); the table of leases is table.c.  Every change of a lease's state
 * happens with the lease's context held around the disk operation and
 * table_lock around the change itself (daemon.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "context.h"
#include "daemon.h"
#include "holders.h"
#include "hostpolicy.h"

/* ---- 3. lock and incoming files ---- */

int
lfs_hold_lock(struct lfs_daemon *d, struct lfs_dlease *l, struct lfs_fh *fh,
    int as_waiter, uint32_t *busy_owner)
{
	struct fuse_pollhandle *ph = NULL;
	struct lfs_leader ld;
	int r, busy;

	if (busy_owner != NULL)
		*busy_owner = 0;
	if ((r = lfs_daemon_refuse(d, "lock")) < 0 ||
	    (r = lfs_ops_lock_serving(d, l->ref.slot, "lock")) < 0)
		return r;
	if (fh->shared) {
		r = lfs_sh_hold_file(d, l, fh, as_waiter);
		lfs_ops_unlock(d, l->ref.slot);
		return r;
	}
	lfs_table_lock(d);
	r = lfs_lease_deleted(l) ? -ENOENT : 0;
	busy = lfs_sh_busy_locked(l, 0) || (!as_waiter && l->wt.waiters != NULL);
	lfs_table_unlock(d);
	if (r == 0 && busy)
		r = -EWOULDBLOCK;
	if (r == 0 && (r = lfs_hold_acquire_disk(d, l, &ld)) == 0) {
		if (d->test_acquired_delay_ms > 0)
			lfs_sleep_ms(d->test_acquired_delay_ms);
		lfs_table_lock(d);
		ph = lfs_hold_attach_locked(d, l, &ld, LFS_HOW_FILE, fh);
		fh->st_read = fh->st;
		if (fh->st != LFS_FH_HELD)
			r = -EIO;
		lfs_table_unlock(d);
		if (r == 0)
			lfs_hold_log(d, LOG_INFO, l, "held", &ld, "lock");
		else
			lfs_hold_log(d, LOG_WARNING, l, "won as fencing began; "
			    "lost at once", &ld, "lock");
	} else if (r == -EBUSY || r == -EAGAIN) {
		/* paxos.h: on -EBUSY ld names the live owner, if one was seen */
		if (r == -EBUSY && busy_owner != NULL &&
		    ld.owner_id != d->ls.host_id)
			*busy_owner = ld.owner_id;
		r = -EWOULDBLOCK;
	} else if (r != -EWOULDBLOCK) {
		r = lfs_errno_map(d, r, l->name, "acquire");
	}
	lfs_ops_unlock(d, l->ref.slot);
	lfs_notify_ph(ph);
	return r;
}

int
lfs_hold_incoming(struct lfs_daemon *d, struct lfs_dlease *l,
    struct lfs_fh *fh)
{
	int r;

	if ((r = lfs_daemon_refuse(d, "incoming")) < 0 ||
	    (r = lfs_ops_lock_serving(d, l->ref.slot, "incoming")) < 0)
		return r;
	lfs_table_lock(d);
	if (lfs_lease_deleted(l))
		r = -ENOENT;
	else if (lfs_sh_busy_locked(l, 0))
		r = -EBUSY;
	lfs_table_unlock(d);
	if (r == -EBUSY)
		lfs_log(&d->log, LOG_INFO, "%s: incoming: already held (or "
		    "shared) or requested on this host", l->name);
	if (r == 0)
		r = lfs_paxos_write_request(&d->ls, lfs_lease_io(d, l), &l->ref,
		    1);
	if (r == 0) {
		lfs_table_lock(d);
		lfs_req_begin_locked(l, LFS_HOW_FILE, fh);
		fh->st = fh->st_read = LFS_FH_WAITING;
		lfs_watch_kick_locked(d);
		lfs_table_unlock(d);
		lfs_log(&d->log, LOG_NOTICE, "%s: requested via incoming",
		    l->name);
	} else if (r != -EBUSY) {
		r = lfs_errno_map(d, r, l->name, "request");
	}
	lfs_ops_unlock(d, l->ref.slot);
	return r;
}

void
lfs_hold_close(struct lfs_daemon *d, struct lfs_fh *fh)
{
	struct lfs_dlease *l = fh->lease;
	struct lfs_leader held;
	int release = 0, cancel = 0, clear, locked;

	/* The file is closed whatever the storage does: with the context stuck
	 * the table still learns it (a released hold becomes lost, which the
	 * watcher releases once I/O works again; a shared mode is left lost
	 * the same way), only the disk writes are left out.  A request left
	 * on disk is as after a failed withdrawal (lfs_hold_cancel_request). */
	locked = lfs_ops_lock(d, l->ref.slot) == 0;
	lfs_table_lock(d);
	lfs_poll_unregister_locked(fh);
	if (fh->fenced) {
		/* the last process that had this file open is gone */
		fh->fenced = 0;
		d->fencing.fenced_fhs--;
		lfs_watch_kick_locked(d);
	}
	if (lfs_hold_holder(l) == fh && lfs_hold_usable(l)) {
		held = *lfs_hold_leader(l);
		lfs_notify_ph(lfs_hold_detach_locked(l)); /* fh's own: nobody polls it */
		release = 1;
	}
	if (lfs_req_how(l) == LFS_HOW_FILE && lfs_req_fh(l) == fh) {
		lfs_req_end_locked(l);
		cancel = 1;
	}
	clear = lfs_sh_close_file_locked(l, fh);
	lfs_table_unlock(d);
	if (!locked) {
		if (release || clear || cancel)
			lfs_log(&d->log, LOG_ERR, "%s: closed while the storage is "
			    "stuck: %s left on disk for now", l->name, cancel ?
			    "our request is" : "the hold is");
		lfs_watch_kick(d);
		return;
	}
	if (release)
		lfs_hold_release_disk(d, l, &held);
	if (clear)
		lfs_sh_clear(d, l);
	if (cancel) {
		lfs_log(&d->log, LOG_NOTICE, "%s: incoming closed before the "
		    "lease arrived; request withdrawn", l->name);
		lfs_hold_cancel_request(d, l);
	}
	lfs_ops_unlock(d, l->ref.slot);
	lfs_watch_kick(d);
}

/* ---- 4. the watcher's work ---- */

/* Forget our pending request here (its incoming file reads "lost");
 * returns the file's poll handle to notify.  table_lock held. */
static struct fuse_pollhandle *
request_drop_locked(struct lfs_dlease *l)
{
	struct fuse_pollhandle *ph = NULL;

	LFS_TABLE_HELD(l->d);
	if (lfs_req_how(l) == LFS_HOW_FILE) {
		lfs_req_fh(l)->st = LFS_FH_LOST;
		ph = lfs_fh_take_ph(lfs_req_fh(l));
	}
	if (lfs_req_how(l) == LFS_HOW_PID)
		lfs_pid_end_locked(l->d, l);
	lfs_req_end_locked(l);
	return ph;
}

/* Our request was answered: the leader names us.  Called with the lease's
 * context held. */
static void
arrive(struct lfs_daemon *d, struct lfs_dlease *l, const struct lfs_leader *ld)
{
	struct fuse_pollhandle *ph;
	enum lfs_how how;
	int r;

	/* Clear our request before anyone learns of the arrival: a host that
	 * reacts by filing its own request must not have it wiped by ours. */
	r = lfs_paxos_write_request(&d->ls, lfs_lease_io(d, l), &l->ref, 0);
	if (r < 0)
		lfs_log(&d->log, LOG_WARNING, "%s: clearing the request: %s",
		    l->name, strerror(-r));
	lfs_table_lock(d);
	how = lfs_req_how(l);
	ph = lfs_hold_attach_locked(d, l, ld, how, lfs_req_fh(l));
	if (lfs_lost(l))
		how = LFS_HOW_NONE; /* fencing began: not ours to use */
	if (how == LFS_HOW_FILE)
		lfs_req_fh(l)->st_read = LFS_FH_WAITING; /* poll reports the change */
	lfs_req_end_locked(l);
	lfs_table_unlock(d);
	lfs_notify_ph(ph);
	lfs_hold_log(d, LOG_NOTICE, l, how == LFS_HOW_NONE ? "received as "
	    "fencing began; lost at once" : "received", ld,
	    how == LFS_HOW_CTL ? "ctl request" : how == LFS_HOW_PID ?
	    "ctl request for a process" : "incoming");
	if (how == LFS_HOW_CTL)
		lfs_guard_ctl_lease(&d->guard, l->name, 1);
}

/* The lease named by our request is gone (rmdir elsewhere). */
static void
request_gone(struct lfs_daemon *d, struct lfs_dlease *l)
{
	struct fuse_pollhandle *ph;

	lfs_table_lock(d);
	ph = request_drop_locked(l);
	lfs_lease_set_deleted_locked(l);
	lfs_table_unlock(d);
	lfs_notify_ph(ph);
	lfs_log(&d->log, LOG_WARNING, "%s: deleted while requested", l->name);
}

/* A free lease, or one whose owner is dead, is taken rather than waited
 * for.  Called with the lease's context held; 1 when acquired (*ld updated). */
static int
request_try_take(struct lfs_daemon *d, struct lfs_dlease *l,
    struct lfs_leader *ld, uint64_t now)
{
	enum lfs_host_state st = LFS_HOST_STATE_FREE;

	if (ld->owner_id != 0)
		st = lfs_host_state(&d->ls, ld->owner_id, ld->owner_gen);
	if (st == LFS_HOST_STATE_LIVE || st == LFS_HOST_STATE_FAILING ||
	    !lfs_req_try_due(l, now, lfs_retry_ms(d)))
		return 0;
	return lfs_hold_acquire_disk(d, l, ld) == 0;
}

/*
 * A leader read that names us is not yet an arrival: it may be an old
 * commit of ours put back by a late write (a write of ours that timed out
 * and landed after a newer instance was decided for another host), or our
 * own release whose leader write failed (finding D6: two holders).  An
 * acquire looks at the dblocks too and says -EALREADY (success here) only
 * when that leader is the current decision; anything else is no arrival
 * yet, and the request keeps waiting.  *ld becomes what it found.  Called
 * with the lease's context held.
 */
static int
arrival_confirmed(struct lfs_daemon *d, struct lfs_dlease *l,
    struct lfs_leader *ld)
{
	return lfs_hold_acquire_disk(d, l, ld) == 0;
}

/* One look at our pending request, with the lease's context held: arrived (the
 * leader names us, confirmed), gone, or (may_take) free to take. */
static void
check_request_ops(struct lfs_daemon *d, struct lfs_dlease *l, uint64_t now,
    int may_take)
{
	struct lfs_leader ld;
	int r;

	lfs_table_lock(d);
	r = lfs_req_how(l) != LFS_HOW_NONE && !lfs_held(l);
	lfs_table_unlock(d);
	if (!r || atomic_load(&d->fenced) || atomic_load(&d->stale) ||
	    atomic_load(&d->stopping))
		return;
	r = lfs_paxos_read_leader(&d->ls, lfs_lease_io(d, l), &l->ref, &ld);
	if (r == -ENOENT) {
		request_gone(d, l);
	} else if (r < 0) {
		if (lfs_req_note_err(l, r))
			lfs_log(&d->log, LOG_WARNING, "%s: watching the request: "
			    "%s", l->name, strerror(-r));
	} else if (lfs_leader_is_ours(d, &ld) ? arrival_confirmed(d, l, &ld) :
	    may_take && request_try_take(d, l, &ld, now)) {
		lfs_req_note_err(l, 0);
		arrive(d, l, &ld);
	} else {
		lfs_req_note_err(l, 0);
	}
}

void
lfs_hold_check_request(struct lfs_daemon *d, struct lfs_dlease *l,
    uint64_t now)
{
	if (lfs_ops_lock(d, l->ref.slot) < 0)
		return; /* stuck: the next pass looks again */
	check_request_ops(d, l, now, 1);
	lfs_ops_unlock(d, l->ref.slot);
}

void
lfs_hold_arrival_ops(struct lfs_daemon *d, struct lfs_dlease *l)
{
	check_request_ops(d, l, lfs_now_ms(), 0);
}

void
lfs_hold_release_lost(struct lfs_daemon *d, struct lfs_dlease *l)
{
	struct lfs_hp_health h = {
		.stopping = atomic_load(&d->stopping),
		.stale = atomic_load(&d->stale),
		.fenced = atomic_load(&d->fenced),
		.since_renewal_ms = lfs_delta_since_renewal_ms(&d->ls),
	};
	struct lfs_leader held;
	int todo;

	/* Only with a fresh renewal: a host that may think us dead could be
	 * taking the lease over right now. */
	if (!lfs_hp_may_release_lost(&d->ls.to, &h))
		return;
	if (lfs_ops_lock(d, l->ref.slot) < 0)
		return; /* stuck: still lost, the watcher tries again */
	lfs_table_lock(d);
	todo = lfs_lost(l) && !lfs_lease_finished(l);
	held = *lfs_hold_leader(l);
	lfs_table_unlock(d);
	if (todo)
		lfs_hold_release_disk(d, l, &held);
	lfs_sh_release_lost(d, l);
	lfs_ops_unlock(d, l->ref.slot);
}

/* ---- 5. fencing and shutdown ---- */

/* Names of the leases held here through ctl (their users are stopped by
 * the kill command); with fence, every lease held here becomes LOST with
 * the finished generation.  table_lock held. */
static int
collect_ctl_locked(struct lfs_daemon *d, char (**names)[LFS_NAME_MAX + 1],
    int fence)
{
	struct lfs_dlease *l;
	int n = 0, cap = 0;
	char (*v)[LFS_NAME_MAX + 1] = NULL, (*grown)[LFS_NAME_MAX + 1];

	LFS_TABLE_HELD(d);
	for (l = d->tab.leases; l != NULL; l = l->tb.next) {
		if (fence && lfs_req_how(l) != LFS_HOW_NONE)
			lfs_notify_ph(request_drop_locked(l));
		if (fence)
			lfs_hold_settled_locked(l); /* dies with the generation */
		if (fence && lfs_lost(l))
			lfs_lease_finish_locked(l); /* a failed release: no retry */
		/* a ctl hold is exclusive or shared, never both (shhold.c) */
		if ((lfs_hold_how(l) == LFS_HOW_CTL) ||
		    (lfs_sh_state(l) == LFS_SH_SET &&
		    lfs_sh_how(l) == LFS_HOW_CTL)) {
			if (n == cap) {
				grown = realloc(v, (size_t)(cap == 0 ? 16 :
				    2 * cap) * sizeof(*v));
				if (grown != NULL) {
					v = grown;
					cap = cap == 0 ? 16 : 2 * cap;
				}
			}
			if (n < cap)
				memcpy(v[n++], l->name, sizeof(*v));
		}
		if (fence)
			lfs_sh_fence_locked(d, l);
		if (!lfs_hold_usable(l))
			continue;
		if (!fence)
			continue;
		if (lfs_hold_holder(l) != NULL && !lfs_hold_holder(l)->fenced) {
			lfs_hold_holder(l)->fenced = 1;
			d->fencing.fenced_fhs++;
		}
		if (lfs_hold_how(l) == LFS_HOW_PID)
			lfs_pid_fence_locked(d, l);
		lfs_notify_ph(lfs_hold_detach_locked(l));
		lfs_lease_finish_locked(l);
		lfs_log(&d->log, LOG_CRIT, "%s: lost (lver %llu): renewal "
		    "failed", l->name, (unsigned long long)lfs_hold_leader(l)->lver);
	}
	*names = v;
	return n;
}

/* No open of lock/incoming succeeds from now on; wait for the replies
 * already under way, so that every file that will ever hold a lease is
 * open (or being installed) before the caller scans for holders. */
static void
close_opens_locked(struct lfs_daemon *d)
{
	LFS_TABLE_HELD(d);
	d->opens.opens_closed = 1;
	while (d->opens.replying > 0)
		lfs_table_wait(d, &d->opens.reply_cond);
}

int
lfs_hold_fence_all(struct lfs_daemon *d, char (**names)[LFS_NAME_MAX + 1])
{
	int n;

	lfs_table_lock(d);
	close_opens_locked(d);
	n = collect_ctl_locked(d, names, 1);
	lfs_sh_fence_files_locked(d);
	lfs_table_unlock(d);
	return n;
}

void
lfs_hold_close_opens(struct lfs_daemon *d)
{
	lfs_table_lock(d);
	close_opens_locked(d);
	lfs_table_unlock(d);
}

int
lfs_hold_reply_begin(struct lfs_daemon *d)
{
	int r = 0;

	lfs_table_lock(d);
	if (d->opens.opens_closed)
		r = -EIO;
	else
		d->opens.replying++;
	lfs_table_unlock(d);
	return r;
}

void
lfs_hold_reply_end(struct lfs_daemon *d)
{
	lfs_table_lock(d);
	if (--d->opens.replying == 0)
		pthread_cond_broadcast(&d->opens.reply_cond);
	lfs_table_unlock(d);
}

int
lfs_hold_survivors(struct lfs_daemon *d)
{
	int n;

	lfs_table_lock(d);
	n = d->fencing.fenced_fhs + d->fencing.fenced_pids + d->fencing.ctl_unproven;
	lfs_table_unlock(d);
	return n;
}

void
lfs_hold_forget_finished(struct lfs_daemon *d)
{
	struct lfs_dlease *l;

	lfs_table_lock(d);
	for (l = d->tab.leases; l != NULL; l = l->tb.next)
		if (lfs_lease_finished(l)) {
			if (lfs_held(l))
				lfs_hold_set_locked(l, LFS_HOLD_FREE);
			lfs_lease_unfinish_locked(l);
			lfs_sh_forget_locked(l);
		}
	d->opens.opens_closed = 0;
	lfs_table_unlock(d);
}

int
lfs_hold_ctl_names(struct lfs_daemon *d, char (**names)[LFS_NAME_MAX + 1])
{
	int n;

	lfs_table_lock(d);
	n = collect_ctl_locked(d, names, 0);
	lfs_table_unlock(d);
	return n;
}

/* Shutdown of one lease: release, withdraw.  -EIO when it stays ours. */
static int
release_one(struct lfs_daemon *d, struct lfs_dlease *l, int keep_ctl)
{
	struct fuse_pollhandle *ph = NULL, *ph2 = NULL;
	struct lfs_leader held;
	int was_ctl, release, cancel, keep = 0, r = 0;

	if (lfs_ops_lock(d, l->ref.slot) < 0) {
		/* stuck: whatever is ours on disk stays so; the guard fences
		 * on (the caller abandons it) and other hosts take it over at
		 * host_dead */
		lfs_table_lock(d);
		r = lfs_held(l) || lfs_sh_shown(l) || lfs_req_how(l) != LFS_HOW_NONE ?
		    -EIO : 0;
		lfs_table_unlock(d);
		if (r < 0)
			lfs_log(&d->log, LOG_CRIT, "%s: storage stuck; left owned "
			    "on disk (other hosts may take it at host_dead)",
			    l->name);
		return r;
	}
	lfs_table_lock(d);
	was_ctl = lfs_hold_state(l) == LFS_HOLD_CTL;
	/* a holder file still open after the kill, an unproven ctl user, a
	 * lease of a finished generation: never written free */
	if (lfs_hold_state(l) == LFS_HOLD_FILE || (was_ctl && keep_ctl) ||
	    (lfs_held(l) && lfs_lease_finished(l)))
		keep = 1;
	/* held for a process that survived the kill */
	if (lfs_hold_state(l) == LFS_HOLD_PID && !lfs_pidfd_exited(lfs_pid_fd(l)))
		keep = 1;
	release = lfs_held(l) && !keep;
	held = *lfs_hold_leader(l);
	if (release)
		ph = lfs_hold_detach_locked(l);
	cancel = lfs_req_how(l) != LFS_HOW_NONE;
	ph2 = request_drop_locked(l);
	lfs_table_unlock(d);
	lfs_notify_ph(ph);
	lfs_notify_ph(ph2);
	if (keep && !lfs_lease_finished(l))
		lfs_log(&d->log, LOG_CRIT, "%s: %s; left owned on disk (other "
		    "hosts may take it at host_dead)", l->name, was_ctl ?
		    "the user of this ctl lease was not proven stopped" :
		    lfs_hold_how(l) == LFS_HOW_PID ? "the process it is held for survived" :
		    "a holder of its lock file survived");
	if (release && lfs_hold_release_disk(d, l, &held) < 0)
		r = -EIO;
	if (cancel)
		lfs_hold_cancel_request(d, l);
	if (was_ctl && !keep)
		lfs_guard_ctl_lease(&d->guard, l->name, 0);
	if (lfs_sh_release_one(d, l, keep_ctl) < 0)
		r = -EIO;
	lfs_table_lock(d);
	if (lfs_held(l))
		r = -EIO;
	lfs_table_unlock(d);
	lfs_ops_unlock(d, l->ref.slot);
	return r;
}

int
lfs_hold_release_all(struct lfs_daemon *d, int keep_ctl)
{
	struct lfs_dlease *l;
	int r = 0;

	lfs_table_lock(d);
	l = d->tab.leases;
	lfs_table_unlock(d);
	/* next pointers never change once published (daemon.h) */
	for (; l != NULL; l = l->tb.next)
		if (release_one(d, l, keep_ctl) < 0)
			r = -EIO;
	return r;
}

void
lfs_hold_wait_files(struct lfs_daemon *d, uint32_t wait_ms)
{
	uint64_t end = lfs_now_ms() + wait_ms;
	struct lfs_dlease *l;
	int open_files;

	do {
		open_files = 0;
		lfs_table_lock(d);
		for (l = d->tab.leases; l != NULL; l = l->tb.next)
			open_files += (lfs_hold_usable(l) &&
			    (lfs_hold_how(l) == LFS_HOW_FILE || lfs_hold_how(l) == LFS_HOW_PID)) +
			    lfs_sh_files(l) + (lfs_sh_how(l) == LFS_HOW_PID);
		open_files += d->fencing.fenced_fhs + d->fencing.fenced_pids;
		lfs_table_unlock(d);
		if (open_files > 0)
			lfs_sleep_ms(10);
	} while (open_files > 0 && lfs_now_ms() < end);
}

uint32_t
lfs_hold_count(struct lfs_daemon *d, int shared)
{
	struct lfs_dlease *l;
	uint32_t n = 0;

	lfs_table_lock(d);
	for (l = d->tab.leases; l != NULL; l = l->tb.next)
		if (shared ? lfs_sh_state(l) == LFS_SH_SET : lfs_hold_usable(l))
			n++;
	lfs_table_unlock(d);
	return n;
}

void
lfs_pid_exited(void *arg, void *key, uint64_t token)
{
	struct lfs_daemon *d = arg;
	struct lfs_dlease *l = key;
	struct fuse_pollhandle *ph = NULL;
	struct lfs_leader held;
	int release = 0, cancel = 0, fenced = 0, clear = 0;
	pid_t pid;

	/* the context stuck: wait for it (the exit is not forgotten), but not
	 * past the start of shutdown, which settles every lease held for a
	 * process itself (lfs_hold_release_all) and joins this thread */
	while (lfs_ops_lock(d, l->ref.slot) < 0) {
		if (atomic_load(&d->stopping))
			return;
		lfs_sleep_ms(LFS_SLEEP_SLICE_MS);
	}
	lfs_table_lock(d);
	if (lfs_pid_of(l) == 0 || lfs_pid_token(l) != token) {
		/* released, transferred or withdrawn meanwhile */
		lfs_table_unlock(d);
		lfs_ops_unlock(d, l->ref.slot);
		return;
	}
	pid = lfs_pid_of(l);
	if (lfs_pid_fenced(l)) {
		fenced = 1;
		lfs_pid_end_locked(d, l);
	} else if (lfs_hold_how(l) == LFS_HOW_PID) {
		held = *lfs_hold_leader(l);
		ph = lfs_hold_detach_locked(l); /* ends the pid hold */
		release = 1;
	} else if (lfs_req_how(l) == LFS_HOW_PID) {
		lfs_pid_end_locked(d, l);
		lfs_req_end_locked(l); /* req_fh is NULL for ctl requests */
		cancel = 1;
	} else if ((clear = lfs_sh_pid_exited_locked(d, l)) >= 0) {
		release = -1; /* held shared for it: clear if it was the last */
	} else {
		lfs_pid_end_locked(d, l);
	}
	lfs_table_unlock(d);
	lfs_notify_ph(ph);
	if (fenced)
		lfs_log(&d->log, LOG_NOTICE, "%s: pid %ld, which held it when "
		    "fencing began, has exited", l->name, (long)pid);
	if (release > 0) {
		lfs_log(&d->log, LOG_NOTICE, "%s: pid %ld exited; releasing",
		    l->name, (long)pid);
		lfs_hold_release_disk(d, l, &held);
	}
	if (release < 0)
		lfs_log(&d->log, LOG_NOTICE, "%s: pid %ld exited; its shared "
		    "hold ends", l->name, (long)pid);
	if (clear > 0)
		lfs_sh_clear(d, l);
	if (cancel) {
		lfs_log(&d->log, LOG_NOTICE, "%s: pid %ld exited before the "
		    "lease arrived; request withdrawn", l->name, (long)pid);
		lfs_hold_cancel_request(d, l);
	}
	lfs_ops_unlock(d, l->ref.slot);
	lfs_watch_kick(d);
}
