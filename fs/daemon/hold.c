/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hold.c - a lease's exclusive hold on this host: its state machine (the
 * one writer of l->ex.hold) and the disk operations that move it: acquire
 * with retries, settle an aborted acquire, release, attach and detach a
 * holder, withdraw a request.  holders.c, shhold.c, ctl_exec.c and the
 * watcher build the lease operations on these (holders.h).
 *
 * The exclusive hold of a lease (l->ex, hold.h) and its pending request (l->rq,
 * holders.h) are written only here (scripts/check-fields), and only with the
 * lease's context held around the disk operation and table_lock held around the
 * change itself:
 *
 *              lfs_hold_lock, ctl acquire, arrival (attach)
 *   FREE -------------------------------------------> FILE | CTL | PID
 *    ^  ^                                              |    |     |
 *    |  |  close, ctl release, shutdown (release_disk) |    |     |
 *    |  +------ ok or EPERM; else stays LOST <---------+    |     |
 *    |                                                      |     |
 *    |   fencing, a failed release (detach)                 |     |
 *    |   LOST <---------------------------------------------+     |
 *    |     | watcher, once renewal is healthy:                    |
 *    +-----+ lfs_hold_release_lost()                              |
 *    |                                                            |
 *    +---- transfer (gone; the holder file reads "lost") ---------+
 *
 * The state is l->ex.hold (enum lfs_hold, daemon.h), written only by
 * lfs_hold_set_locked(), which refuses (asserts, in debug builds) any
 * transition not drawn here and checks the lease's invariants after each
 * (lfs_dlease_check).  LOST means the disk still names us but nobody here
 * may use the lease: the watcher releases it once renewal is healthy (a
 * lease owned on disk by this host is never simply forgotten), unless its
 * generation is finished (l->ex.finished): then it is left to other hosts'
 * takeover, and forgotten at the rejoin.  An acquire that won while a
 * shared holder showed up, and could not let go (-EINPROGRESS), goes
 * FREE -> LOST directly (lfs_hold_keep_lost_locked), and so does a lease
 * that arrives as its request is withdrawn; a ctl release whose leader
 * write failed goes CTL|PID -> LOST; a close goes FILE -> LOST -> FREE
 * (detach, then release_disk).  A transfer, or a disk that names another host
 * after a failed one, goes HELD -> FREE (lfs_hold_gone_locked).  Shared
 * holds have their own states beside these (shhold.c).
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

/* ---- 0. the state machine ---- */

#ifdef LFS_DEBUG
/* The transitions of the diagram above: allowed[from] has bit `to`. */
#define HOLD_BIT(h) (1u << (h))
static const unsigned hold_allowed[] = {
	[LFS_HOLD_FREE] = HOLD_BIT(LFS_HOLD_FILE) | HOLD_BIT(LFS_HOLD_CTL) |
	    HOLD_BIT(LFS_HOLD_PID) | HOLD_BIT(LFS_HOLD_LOST),
	[LFS_HOLD_FILE] = HOLD_BIT(LFS_HOLD_LOST) | HOLD_BIT(LFS_HOLD_FREE),
	[LFS_HOLD_CTL] = HOLD_BIT(LFS_HOLD_LOST) | HOLD_BIT(LFS_HOLD_FREE),
	[LFS_HOLD_PID] = HOLD_BIT(LFS_HOLD_LOST) | HOLD_BIT(LFS_HOLD_FREE),
	/* LOST -> LOST: losing what is already lost (fencing a lost lease) */
	[LFS_HOLD_LOST] = HOLD_BIT(LFS_HOLD_FREE) | HOLD_BIT(LFS_HOLD_LOST),
};
#endif

void
lfs_dlease_check(const struct lfs_dlease *l)
{
#ifdef LFS_DEBUG
	LFS_TABLE_HELD(l->d);
	/* a lock or incoming file holds it exactly when hold is FILE */
	assert((l->ex.hold == LFS_HOLD_FILE) == (l->ex.holder != NULL));
	/* held for a process: that process is known (pidhold.c sets it
	 * before the attach, so fencing knows whom to kill) */
	assert(l->ex.hold != LFS_HOLD_PID || lfs_pid_of(l) != 0);
	/* a handover is armed only while it is ours to hand over */
	assert(l->ex.handover_to == 0 || (lfs_hold_usable(l)));
	/* exclusive and shared holds here never coexist (shhold.c): not
	 * even a shared mode left to clear or undo beside a usable hold,
	 * since each side is begun only while the other is NONE
	 * (lfs_sh_busy_locked) */
	assert(lfs_hold_how(l) == LFS_HOW_NONE ||
	    (l->sh.sh_files == 0 && l->sh.sh_how == LFS_HOW_NONE));
	assert(!lfs_hold_usable(l) || l->sh.state == LFS_SH_NONE);
	/* shared holders here only under a mode set for them (shhold.h) */
	assert((l->sh.sh_files == 0 && l->sh.sh_how == LFS_HOW_NONE) ||
	    l->sh.state == LFS_SH_SET);
	/* a request is never pending beside a shared side: each waits for
	 * the other to end (lfs_sh_busy_locked).  Not asserted, because it
	 * is not so: that a request excludes an exclusive hold -- one may be
	 * pending while the hold is LOST (a failed release left to the
	 * watcher), and an arrival is attached before its request ends */
	assert(l->rq.req == LFS_REQ_NONE || l->sh.state == LFS_SH_NONE);
	/* an incoming file exactly for a FILE request */
	assert((lfs_req_how(l) == LFS_HOW_FILE) == (l->rq.req_fh != NULL));
#else
	(void)l;
#endif
}

void
lfs_hold_set_locked(struct lfs_dlease *l, enum lfs_hold to)
{
	LFS_TABLE_HELD(l->d);
#ifdef LFS_DEBUG
	assert(hold_allowed[l->ex.hold] & HOLD_BIT(to));
#endif
	l->ex.hold = to;
	lfs_dlease_check(l);
}

/* ---- 0a. readers of l->ex and l->rq (the fields are hold.c's: hold.h,
 * holders.h; scripts/check-fields) ---- */

enum lfs_hold
lfs_hold_state(const struct lfs_dlease *l)
{
	return l->ex.hold;
}

int
lfs_held(const struct lfs_dlease *l)
{
	return l->ex.hold != LFS_HOLD_FREE;
}

int
lfs_lost(const struct lfs_dlease *l)
{
	return l->ex.hold == LFS_HOLD_LOST;
}

int
lfs_hold_usable(const struct lfs_dlease *l)
{
	return l->ex.hold != LFS_HOLD_FREE && l->ex.hold != LFS_HOLD_LOST;
}

enum lfs_how
lfs_hold_how(const struct lfs_dlease *l)
{
	switch (l->ex.hold) {
	case LFS_HOLD_FILE: return LFS_HOW_FILE;
	case LFS_HOLD_CTL: return LFS_HOW_CTL;
	case LFS_HOLD_PID: return LFS_HOW_PID;
	default: return LFS_HOW_NONE;
	}
}

struct lfs_fh *
lfs_hold_holder(const struct lfs_dlease *l)
{
	return l->ex.holder;
}

const struct lfs_leader *
lfs_hold_leader(const struct lfs_dlease *l)
{
	return &l->ex.leader;
}

int
lfs_lease_finished(const struct lfs_dlease *l)
{
	return l->ex.finished;
}

int
lfs_hold_unsettled(const struct lfs_dlease *l)
{
	return l->ex.unsettled;
}

uint32_t
lfs_hold_handover_to(const struct lfs_dlease *l)
{
	return l->ex.handover_to;
}

uint64_t
lfs_hold_handover_gen(const struct lfs_dlease *l)
{
	return l->ex.handover_gen;
}

uint64_t
lfs_hold_handover_seq(const struct lfs_dlease *l)
{
	return l->ex.handover_seq;
}

enum lfs_req
lfs_req_state(const struct lfs_dlease *l)
{
	return l->rq.req;
}

enum lfs_how
lfs_req_how(const struct lfs_dlease *l)
{
	switch (l->rq.req) {
	case LFS_REQ_FILE: case LFS_REQ_FILE_CLAIMED: return LFS_HOW_FILE;
	case LFS_REQ_CTL: case LFS_REQ_CTL_CLAIMED: return LFS_HOW_CTL;
	case LFS_REQ_PID: case LFS_REQ_PID_CLAIMED: return LFS_HOW_PID;
	default: return LFS_HOW_NONE;
	}
}

struct lfs_fh *
lfs_req_fh(const struct lfs_dlease *l)
{
	return l->rq.req_fh;
}

int
lfs_req_claimed(const struct lfs_dlease *l)
{
	return l->rq.req >= LFS_REQ_FILE_CLAIMED;
}

/* ---- 0b. writers of what is not the hold itself ---- */

void
lfs_lease_finish_locked(struct lfs_dlease *l)
{
	LFS_TABLE_HELD(l->d);
	l->ex.finished = 1;
}

void
lfs_lease_unfinish_locked(struct lfs_dlease *l)
{
	LFS_TABLE_HELD(l->d);
	l->ex.finished = 0;
}

void
lfs_hold_settled_locked(struct lfs_dlease *l)
{
	LFS_TABLE_HELD(l->d);
	l->ex.unsettled = 0;
}

void
lfs_hold_arm_locked(struct lfs_dlease *l, uint32_t to, uint64_t gen,
    uint64_t seq)
{
	LFS_TABLE_HELD(l->d);
	l->ex.handover_to = to;
	l->ex.handover_gen = gen;
	l->ex.handover_seq = seq;
	lfs_dlease_check(l);
}

#ifdef LFS_DEBUG
/* The transitions of holders.h's diagram: req_allowed[from] has bit to. */
#define REQ_BIT(r) (1u << (r))
#define REQ_ENDS REQ_BIT(LFS_REQ_NONE)
static const unsigned req_allowed[] = {
	[LFS_REQ_NONE] = REQ_BIT(LFS_REQ_FILE) | REQ_BIT(LFS_REQ_CTL) |
	    REQ_BIT(LFS_REQ_PID) | REQ_ENDS,
	[LFS_REQ_FILE] = REQ_BIT(LFS_REQ_FILE_CLAIMED) | REQ_ENDS,
	[LFS_REQ_CTL] = REQ_BIT(LFS_REQ_CTL_CLAIMED) | REQ_ENDS,
	[LFS_REQ_PID] = REQ_BIT(LFS_REQ_PID_CLAIMED) | REQ_ENDS,
	[LFS_REQ_FILE_CLAIMED] = REQ_BIT(LFS_REQ_FILE_CLAIMED) | REQ_ENDS,
	[LFS_REQ_CTL_CLAIMED] = REQ_BIT(LFS_REQ_CTL_CLAIMED) | REQ_ENDS,
	[LFS_REQ_PID_CLAIMED] = REQ_BIT(LFS_REQ_PID_CLAIMED) | REQ_ENDS,
};
#endif

void
lfs_req_set_locked(struct lfs_dlease *l, enum lfs_req to, struct lfs_fh *fh)
{
	LFS_TABLE_HELD(l->d);
#ifdef LFS_DEBUG
	assert(req_allowed[l->rq.req] & REQ_BIT(to));
	/* an incoming file exactly for a FILE request */
	assert((to == LFS_REQ_FILE || to == LFS_REQ_FILE_CLAIMED) ==
	    (fh != NULL));
	/* a claim claims the request it was made for */
	assert(to < LFS_REQ_FILE_CLAIMED || to == l->rq.req ||
	    fh == l->rq.req_fh);
#endif
	l->rq.req = to;
	l->rq.req_fh = fh;
	lfs_dlease_check(l);
}

void
lfs_req_begin_locked(struct lfs_dlease *l, enum lfs_how how,
    struct lfs_fh *fh)
{
	LFS_TABLE_HELD(l->d);
	l->rq.next_try_ms = 0;
	l->rq.last_err = 0;
	lfs_req_set_locked(l, how == LFS_HOW_FILE ? LFS_REQ_FILE :
	    how == LFS_HOW_PID ? LFS_REQ_PID : LFS_REQ_CTL,
	    how == LFS_HOW_FILE ? fh : NULL);
}

void
lfs_req_end_locked(struct lfs_dlease *l)
{
	lfs_req_set_locked(l, LFS_REQ_NONE, NULL);
}

void
lfs_req_claim_locked(struct lfs_dlease *l)
{
	static const enum lfs_req claimed[] = {
		[LFS_REQ_NONE] = LFS_REQ_NONE,
		[LFS_REQ_FILE] = LFS_REQ_FILE_CLAIMED,
		[LFS_REQ_CTL] = LFS_REQ_CTL_CLAIMED,
		[LFS_REQ_PID] = LFS_REQ_PID_CLAIMED,
		[LFS_REQ_FILE_CLAIMED] = LFS_REQ_FILE_CLAIMED,
		[LFS_REQ_CTL_CLAIMED] = LFS_REQ_CTL_CLAIMED,
		[LFS_REQ_PID_CLAIMED] = LFS_REQ_PID_CLAIMED,
	};

	lfs_req_set_locked(l, claimed[l->rq.req], l->rq.req_fh);
}

int
lfs_req_try_due(struct lfs_dlease *l, uint64_t now, uint32_t retry_ms)
{
	if (now < l->rq.next_try_ms)
		return 0;
	l->rq.next_try_ms = now + retry_ms;
	return 1;
}

int
lfs_req_note_err(struct lfs_dlease *l, int r)
{
	int fresh = r < 0 && r != l->rq.last_err;

	l->rq.last_err = r;
	return fresh;
}

/* ---- 1. acquire, release, attach, detach ---- */

/* lfs_paxos_acquire with a few retries of a lost race.  -EALREADY (the
 * disk already names us, e.g. after a release that failed) counts as
 * success: *out is then the leader as it stands.  Called with the lease's
 * context held. */
int
lfs_hold_acquire_disk(struct lfs_daemon *d, struct lfs_dlease *l,
    struct lfs_leader *out)
{
	int i, r = -EAGAIN;

	for (i = 0; i < LFS_HP_ACQUIRE_TRIES && r == -EAGAIN; i++) {
		if (i > 0)
			lfs_sleep_ms(lfs_hp_acquire_pause_ms(lfs_now_ms(),
			    d->ls.host_id));
		r = lfs_paxos_acquire(&d->ls, lfs_lease_io(d, l), &l->ref,
		    l->name, out);
		if (r == -EALREADY)
			r = 0;
	}
	if (r == -EINPROGRESS) {
		/*
		 * We won, a shared holder showed up in the ballot, and letting
		 * the lease go failed: it is ours on disk and no one's to use
		 * (paxos.h).  Held && lost: the watcher releases it.  It must
		 * never count as held: a later acquire would say -EALREADY,
		 * which is success here, while the shared holder still holds.
		 */
		lfs_table_lock(d);
		if (!lfs_held(l))
			lfs_hold_keep_lost_locked(d, l, out);
		lfs_table_unlock(d);
		lfs_log(&d->log, LOG_WARNING, "%s: won lver %llu under a shared "
		    "holder and could not let it go; releasing it later",
		    l->name, (unsigned long long)out->lver);
		r = -EBUSY;
	}
	if (lfs_hp_acquire_unsettled(r)) {
		lfs_table_lock(d);
		lfs_hold_unsettle_locked(d, l);
		lfs_table_unlock(d);
	}
	return r;
}

void
lfs_hold_unsettle_locked(struct lfs_daemon *d, struct lfs_dlease *l)
{
	LFS_TABLE_HELD(d);
	l->ex.unsettled = 1;
	lfs_watch_kick_locked(d);
}

/*
 * An acquire that gave up after an aborted ballot may still have had its
 * value chosen: a later ballot of another host carries our accepted value
 * to the end but, not being its proposer, commits nothing (paxos.h,
 * invariant 2).  The lease would then be ours on disk, busy for every
 * other host, with nobody here holding it.  Once nobody here wants it, we
 * run acquire once more, which completes such an instance, and release
 * what it gives us.  Called by the watcher, without locks.
 */
void
lfs_hold_settle(struct lfs_daemon *d, struct lfs_dlease *l)
{
	struct lfs_leader ld;
	int r = 0, idle;

	if (lfs_ops_lock(d, l->ref.slot) < 0)
		return; /* stuck: still unsettled, the watcher tries again */
	lfs_table_lock(d);
	idle = l->ex.unsettled && !lfs_held(l) && !l->tb.deleted &&
	    l->wt.waiters == NULL && l->rq.req == LFS_REQ_NONE;
	if (!idle)
		l->ex.unsettled = 0; /* someone here takes care of it */
	lfs_table_unlock(d);
	if (idle && !atomic_load(&d->fenced) && !atomic_load(&d->stale)) {
		r = lfs_paxos_acquire(&d->ls, lfs_lease_io(d, l), &l->ref,
		    l->name, &ld);
		if (r == 0 || r == -EALREADY) {
			lfs_log(&d->log, LOG_NOTICE, "%s: settling an aborted "
			    "acquire: releasing lver %llu", l->name,
			    (unsigned long long)ld.lver);
			r = lfs_paxos_release(&d->ls, lfs_lease_io(d, l),
			    &l->ref, &ld);
		}
		lfs_table_lock(d);
		l->ex.unsettled = lfs_hp_settle_again(r);
		lfs_table_unlock(d);
	}
	lfs_ops_unlock(d, l->ref.slot);
}

/*
 * Release *held on disk.  Called with the lease's context held, the entry
 * already marked held && lost (so nothing else uses it meanwhile).  On success,
 * or when the disk shows another owner (-EPERM: nothing of ours to release),
 * the entry becomes free; on an I/O error it stays lost for the watcher to
 * retry.
 */
int
lfs_hold_release_disk(struct lfs_daemon *d, struct lfs_dlease *l,
    const struct lfs_leader *held)
{
	int r;

	if (atomic_load(&d->stale))
		return -EIO; /* our host id is gone: we may write nothing */
	r = lfs_paxos_release(&d->ls, lfs_lease_io(d, l), &l->ref, held);
	if (r == 0)
		lfs_log(&d->log, LOG_INFO, "%s: no longer held here", l->name);
	else if (r == -EPERM || r == -ENOENT)
		lfs_log(&d->log, LOG_WARNING, "%s: release: the disk no longer "
		    "names us (lver %llu); nothing to release", l->name,
		    (unsigned long long)held->lver);
	else
		lfs_log(&d->log, LOG_ERR, "%s: release failed: %s; will retry",
		    l->name, strerror(-r));
	lfs_table_lock(d);
	if (lfs_hp_release_done(r)) {
		lfs_hold_set_locked(l, LFS_HOLD_FREE);
		r = 0;
	}
	lfs_table_unlock(d);
	if (r == 0)
		lfs_watch_kick(d);
	return r;
}

/* Take the lease away from its local holder and mark it lost (pending
 * release).  Returns the holder's poll handle to notify.  table_lock held. */
struct fuse_pollhandle *
lfs_hold_detach_locked(struct lfs_dlease *l)
{
	struct fuse_pollhandle *ph = NULL;

	LFS_TABLE_HELD(l->d);
	if (l->ex.holder != NULL) {
		l->ex.holder->st = LFS_FH_LOST;
		ph = lfs_fh_take_ph(l->ex.holder);
	}
	/* N no longer holds it; unless fencing keeps watching N until it
	 * is gone (lfs_pid_fence_locked, called before this) */
	if (l->ex.hold == LFS_HOLD_PID && !lfs_pid_fenced(l))
		lfs_pid_end_locked(l->d, l);
	l->ex.holder = NULL;
	lfs_hold_disarm_locked(l);
	lfs_hold_set_locked(l, LFS_HOLD_LOST);
	return ph;
}

struct fuse_pollhandle *
lfs_hold_gone_locked(struct lfs_dlease *l)
{
	struct fuse_pollhandle *ph;

	LFS_TABLE_HELD(l->d);
	ph = lfs_hold_detach_locked(l);
	lfs_hold_set_locked(l, LFS_HOLD_FREE);
	return ph;
}

void
lfs_hold_keep_lost_locked(struct lfs_daemon *d, struct lfs_dlease *l,
    const struct lfs_leader *ld)
{
	LFS_TABLE_HELD(d);
	l->ex.leader = *ld;
	lfs_hold_set_locked(l, LFS_HOLD_LOST);
	lfs_watch_kick_locked(d);
}

/* No handover armed any more (ctl_exec.c).  table_lock held. */
void
lfs_hold_disarm_locked(struct lfs_dlease *l)
{
	LFS_TABLE_HELD(l->d);
	l->ex.handover_to = 0;
	l->ex.handover_gen = 0;
	l->ex.handover_seq = 0;
}

/* Record that we now hold l as ld, for fh (FILE) or ctl.  table_lock held. */
struct fuse_pollhandle *
lfs_hold_attach_locked(struct lfs_daemon *d, struct lfs_dlease *l,
    const struct lfs_leader *ld, enum lfs_how how, struct lfs_fh *fh)
{
	struct fuse_pollhandle *ph = NULL;
	struct lfs_hp_health h;

	static const enum lfs_hold by_how[] = {
		/* nobody here wants it: ours on disk, to be released */
		[LFS_HOW_NONE] = LFS_HOLD_LOST,
		[LFS_HOW_FILE] = LFS_HOLD_FILE,
		[LFS_HOW_CTL] = LFS_HOLD_CTL,
		[LFS_HOW_PID] = LFS_HOLD_PID,
	};

	LFS_TABLE_HELD(d);
	l->ex.leader = *ld;
	lfs_hold_disarm_locked(l);
	l->ex.holder = how == LFS_HOW_FILE ? fh : NULL;
	lfs_hold_set_locked(l, by_how[how]);
	if (how == LFS_HOW_NONE)
		lfs_watch_kick_locked(d);
	if (fh != NULL && how == LFS_HOW_FILE) {
		fh->st = LFS_FH_HELD;
		fh->lver = ld->lver;
		ph = lfs_fh_take_ph(fh);
	}
	/* Lease operations stopped being allowed while we acquired
	 * (fencing began, renewal is overdue, a stop, the guard died): we
	 * may not use it, and nobody may learn that we won it (the caller
	 * answers EIO).  hostpolicy.h lfs_hp_grant says why renewal_fail,
	 * not the fencing pass, is the line. */
	lfs_daemon_health(d, &h);
	if (!lfs_hp_grant(&d->ls.to, &h)) {
		lfs_notify_ph(ph);
		/* and N, if held for a process, is fenced: it might have
		 * learned of the hold by another way than our answer */
		if (how == LFS_HOW_PID)
			lfs_pid_fence_locked(d, l);
		ph = lfs_hold_detach_locked(l);
		if (lfs_hp_lost_for_good(&d->ls.to, &h))
			l->ex.finished = 1;
	}
	return ph;
}

/* Withdraw our request record; if the lease arrived meanwhile, nobody
 * wants it any more: release it.  Called with the lease's context held. */
void
lfs_hold_cancel_request(struct lfs_daemon *d, struct lfs_dlease *l)
{
	struct lfs_leader ld;
	int r;

	if (atomic_load(&d->stale))
		return;
	r = lfs_paxos_write_request(&d->ls, lfs_lease_io(d, l), &l->ref, 0);
	if (r < 0)
		lfs_log(&d->log, LOG_WARNING, "%s: clearing the request: %s",
		    l->name, strerror(-r));
	if (lfs_paxos_read_leader(&d->ls, lfs_lease_io(d, l), &l->ref,
	    &ld) < 0 ||
	    !lfs_leader_is_ours(d, &ld))
		return;
	lfs_hold_log(d, LOG_NOTICE, l, "arrived as the request was withdrawn; "
	    "releasing", &ld, NULL);
	lfs_table_lock(d);
	lfs_hold_keep_lost_locked(d, l, &ld);
	lfs_table_unlock(d);
	lfs_hold_release_disk(d, l, &ld);
}

int
lfs_hold_release_due_locked(const struct lfs_dlease *l)
{
	LFS_TABLE_HELD(l->d);
	return (lfs_lost(l)) || (!l->ex.finished &&
	    (l->sh.state == LFS_SH_LOST || l->sh.state == LFS_SH_UNFINISHED));
}
