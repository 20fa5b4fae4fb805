/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * shhold.c - shared holds of a lease on this host (core/shared.h): `lock`
 * opened O_RDONLY, ctl `acquire shared [pid N]` and `release shared`.
 *
 * The disk knows one thing per host: our mode block shows us shared or
 * not.  Locally any number of holders share that one mode -- lock files
 * (l->sh.sh_files) and at most one ctl hold (l->sh.sh_how) -- and the mode
 * is set by the first of them (lfs_shared_acquire, two ballots and a sector
 * write) and cleared when the last one goes (lfs_shared_release, one
 * sector write).  The states of a lease's shared side (l->sh.state, enum
 * lfs_sh, shhold.h; lfs_sh_set_locked() is the one writer):
 *
 *   NONE --first holder: set on disk--> SET (holders > 0)
 *   SET --another holder: nothing written--> SET
 *   SET --last holder goes (drop_locked)--> LOST --clear on disk
 *        (clear_disk)--> NONE; a failed clear stays LOST: the watcher
 *        clears it
 *   SET --fencing--> LOST and finished: never written by this generation
 *        again (paxos.h invariant 7); the mode names a generation that is
 *        dead at host_dead, when it holds nothing (shared.h rule 4), and
 *        a rejoin forgets it (--> NONE, from any state)
 *   NONE --a set that ended -EINPROGRESS--> UNFINISHED: the watcher runs
 *        lfs_shared_finish() until it has undone it --> NONE
 *
 * A shared and an exclusive hold never exist here at once, nor a shared
 * hold and a pending request: one waits for the other to end.  Upgrade
 * and downgrade without letting go (shared.h) are not offered: a holder
 * closes and opens again (man/leasefs.8).
 *
 * Locking as holders.c: the lease's context around every disk operation and the
 * local change it leads to, table_lock around the change itself.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "context.h"
#include "daemon.h"
#include "holders.h"
#include "hostpolicy.h"

static int
holders_locked(const struct lfs_dlease *l)
{
	LFS_TABLE_HELD(l->d);
	return l->sh.sh_files + (l->sh.sh_how != LFS_HOW_NONE);
}

#ifdef LFS_DEBUG
/* The transitions drawn at the top: sh_allowed[from] has bit to. */
#define SH_BIT(s) (1u << (s))
static const unsigned sh_allowed[] = {
	/* NONE -> NONE: a rejoin forgets what is already gone */
	[LFS_SH_NONE] = SH_BIT(LFS_SH_SET) | SH_BIT(LFS_SH_UNFINISHED) |
	    SH_BIT(LFS_SH_NONE),
	/* SET -> NONE: a clear (or a rejoin) with no holder left */
	[LFS_SH_SET] = SH_BIT(LFS_SH_LOST) | SH_BIT(LFS_SH_NONE),
	[LFS_SH_LOST] = SH_BIT(LFS_SH_NONE),
	[LFS_SH_UNFINISHED] = SH_BIT(LFS_SH_NONE),
};
#endif

void
lfs_sh_set_locked(struct lfs_dlease *l, enum lfs_sh to)
{
	LFS_TABLE_HELD(l->d);
#ifdef LFS_DEBUG
	assert(sh_allowed[l->sh.state] & SH_BIT(to));
#endif
	l->sh.state = to;
	lfs_dlease_check(l);
}

enum lfs_sh
lfs_sh_state(const struct lfs_dlease *l)
{
	return l->sh.state;
}

int
lfs_sh_shown(const struct lfs_dlease *l)
{
	return l->sh.state == LFS_SH_SET || l->sh.state == LFS_SH_LOST;
}

enum lfs_how
lfs_sh_how(const struct lfs_dlease *l)
{
	return l->sh.sh_how;
}

int
lfs_sh_files(const struct lfs_dlease *l)
{
	return l->sh.sh_files;
}

int
lfs_sh_busy_locked(const struct lfs_dlease *l, int shared)
{
	LFS_TABLE_HELD(l->d);
	if (lfs_held(l) || lfs_req_how(l) != LFS_HOW_NONE ||
	    l->sh.state == LFS_SH_LOST || l->sh.state == LFS_SH_UNFINISHED)
		return 1;
	return !shared && l->sh.state == LFS_SH_SET; /* no upgrade: see the top */
}

/*
 * After a shared acquire: if the leader names us, the mode was set under
 * an exclusive hold of ours that nobody here has (lfs_shared_acquire keeps
 * one it finds), won by an acquire of ours that gave up after an aborted
 * ballot and whose value another host's ballot chose (paxos.h 2a; see
 * lfs_hold_settle).  Kept, it would refuse every other host's shared
 * acquire for good: let it go.  If that fails it is held && lost, for the
 * watcher to release.  the lease's context held; costs one leader read.
 */
static void
let_go_kept(struct lfs_daemon *d, struct lfs_dlease *l)
{
	struct lfs_leader ld;
	int r;

	if (lfs_paxos_read_leader(&d->ls, lfs_lease_io(d, l), &l->ref,
	    &ld) < 0 ||
	    !lfs_leader_is_ours(d, &ld))
		return;
	lfs_hold_log(d, LOG_NOTICE, l, "shared mode set under an exclusive "
	    "hold nobody here has; releasing", &ld, NULL);
	r = lfs_paxos_release(&d->ls, lfs_lease_io(d, l), &l->ref, &ld);
	if (r == 0 || r == -EPERM || r == -ENOENT)
		return;
	lfs_table_lock(d);
	lfs_hold_keep_lost_locked(d, l, &ld);
	lfs_table_unlock(d);
}

/* lfs_shared_acquire with a few retries of a lost race, as
 * lfs_hold_acquire_disk.  0 with *token (also when our mode of this
 * generation shows already); -EBUSY, -EAGAIN, -errno.  An -EINPROGRESS is
 * kept in l for the watcher to undo, and is -EBUSY to the caller (the
 * lease is busy here until then).  the lease's context held. */
static int
acquire_disk(struct lfs_daemon *d, struct lfs_dlease *l, uint64_t *token)
{
	struct lfs_shared_hold h;
	int i, r = -EAGAIN;

	for (i = 0; i < LFS_HP_ACQUIRE_TRIES && r == -EAGAIN; i++) {
		if (i > 0)
			lfs_sleep_ms(lfs_hp_acquire_pause_ms(lfs_now_ms(),
			    d->ls.host_id));
		r = lfs_shared_acquire(&d->ls, lfs_lease_io(d, l), &l->ref,
		    l->name, &h);
		if (r == -EALREADY)
			r = 0;
	}
	if (r == 0) {
		*token = h.token;
		let_go_kept(d, l);
	}
	if (lfs_hp_acquire_unsettled(r)) {
		/* as an exclusive acquire's (lfs_hold_acquire_disk) */
		lfs_table_lock(d);
		lfs_hold_unsettle_locked(d, l);
		lfs_table_unlock(d);
	}
	if (r == -EINPROGRESS) {
		lfs_table_lock(d);
		l->sh.sh_left = h;
		lfs_sh_set_locked(l, LFS_SH_UNFINISHED);
		lfs_watch_kick_locked(d);
		lfs_table_unlock(d);
		lfs_log(&d->log, LOG_WARNING, "%s: shared acquire left unfinished "
		    "(mode write or release failed); undoing it", l->name);
		r = -EBUSY;
	}
	return r;
}

/* Record a new shared holder of l (fh, or ctl as how) under token.  -EIO
 * when fencing began meanwhile: nobody may use the hold (nor learn of it);
 * the mode stays set and finished.  Returns fh's poll handle in *ph.
 * table_lock held. */
static int
attach_locked(struct lfs_daemon *d, struct lfs_dlease *l, uint64_t token,
    enum lfs_how how, struct lfs_fh *fh, struct fuse_pollhandle **ph)
{
	struct lfs_hp_health h;

	LFS_TABLE_HELD(d);
	*ph = NULL;
	if (!lfs_sh_shown(l)) {
		l->sh.sh_token = token;
		lfs_sh_set_locked(l, LFS_SH_SET);
	}
	lfs_daemon_health(d, &h);
	if (!lfs_hp_grant(&d->ls.to, &h)) {
		if (fh != NULL)
			fh->st = LFS_FH_LOST;
		if (how == LFS_HOW_PID)
			lfs_pid_fence_locked(d, l);
		if (holders_locked(l) == 0) {
			lfs_sh_set_locked(l, LFS_SH_LOST);
			if (lfs_hp_lost_for_good(&d->ls.to, &h))
				lfs_lease_finish_locked(l);
		}
		return -EIO;
	}
	if (fh != NULL) {
		l->sh.sh_files++;
		fh->st = LFS_FH_HELD;
		fh->lver = l->sh.sh_token;
		*ph = lfs_fh_take_ph(fh);
	} else {
		l->sh.sh_how = how;
	}
	return 0;
}

/* Clear our mode on disk: l is LOST, with no holder here.
 * the lease's context held.  0, or -errno (stays lost; the watcher retries). */
static int
clear_disk(struct lfs_daemon *d, struct lfs_dlease *l)
{
	int r;

	if (atomic_load(&d->stale))
		return -EIO; /* our host id is gone: we may write nothing */
	r = lfs_shared_release(&d->ls, lfs_lease_io(d, l), &l->ref);
	if (r == -ENOENT)
		r = 0; /* deleted: nothing of ours left */
	if (r == 0)
		lfs_log(&d->log, LOG_INFO, "%s: no longer held shared here",
		    l->name);
	else
		lfs_log(&d->log, LOG_ERR, "%s: clearing the shared mode failed: "
		    "%s; will retry", l->name, strerror(-r));
	lfs_table_lock(d);
	if (r == 0 && holders_locked(l) == 0 && !lfs_lease_finished(l) &&
	    lfs_sh_shown(l))
		lfs_sh_set_locked(l, LFS_SH_NONE);
	lfs_table_unlock(d);
	if (r == 0)
		lfs_watch_kick(d);
	return r;
}

/* One holder of l went (table_lock held): 1 when it was the last, l is
 * now lost and the caller clears it on disk (clear_disk). */
static int
drop_locked(struct lfs_dlease *l)
{
	LFS_TABLE_HELD(l->d);
	if (holders_locked(l) > 0 || l->sh.state != LFS_SH_SET)
		return 0;
	lfs_sh_set_locked(l, LFS_SH_LOST);
	return 1;
}

int
lfs_sh_hold_file(struct lfs_daemon *d, struct lfs_dlease *l, struct lfs_fh *fh,
    int as_waiter)
{
	struct fuse_pollhandle *ph = NULL;
	uint64_t token = 0;
	int r, join, busy;

	lfs_table_lock(d);
	r = lfs_lease_deleted(l) ? -ENOENT : 0;
	busy = lfs_sh_busy_locked(l, 1) || (!as_waiter && l->wt.waiters != NULL);
	join = lfs_sh_shown(l);
	if (r == 0 && !busy && join) {
		/* held shared here already: one more holder, nothing written */
		r = attach_locked(d, l, 0, LFS_HOW_FILE, fh, &ph);
		fh->st_read = fh->st;
	}
	lfs_table_unlock(d);
	if (r < 0 || busy || join) {
		lfs_notify_ph(ph);
		return r < 0 ? r : busy ? -EWOULDBLOCK : 0;
	}
	r = acquire_disk(d, l, &token);
	if (r == -EBUSY || r == -EAGAIN)
		return -EWOULDBLOCK;
	if (r < 0)
		return lfs_errno_map(d, r, l->name, "acquire shared");
	if (d->test_acquired_delay_ms > 0)
		lfs_sleep_ms(d->test_acquired_delay_ms);
	lfs_table_lock(d);
	r = attach_locked(d, l, token, LFS_HOW_FILE, fh, &ph);
	fh->st_read = fh->st;
	lfs_table_unlock(d);
	lfs_notify_ph(ph);
	if (r == 0)
		lfs_log(&d->log, LOG_INFO, "%s: held shared (token %llu) via "
		    "lock", l->name, (unsigned long long)token);
	else
		lfs_log(&d->log, LOG_WARNING, "%s: held shared as fencing "
		    "began; lost at once", l->name);
	return r;
}

int
lfs_sh_close_file_locked(struct lfs_dlease *l, struct lfs_fh *fh)
{
	LFS_TABLE_HELD(l->d);
	if (!fh->shared || fh->st != LFS_FH_HELD)
		return 0;
	fh->st = LFS_FH_LOST;
	l->sh.sh_files--;
	return drop_locked(l);
}

void
lfs_sh_clear(struct lfs_daemon *d, struct lfs_dlease *l)
{
	clear_disk(d, l);
}

int
lfs_sh_ctl_acquire(struct lfs_daemon *d, struct lfs_dlease *l,
    const struct lfs_ctl_cmd *cmd, uid_t uid)
{
	enum lfs_how want = cmd->pid != 0 ? LFS_HOW_PID : LFS_HOW_CTL;
	struct fuse_pollhandle *ph;
	uint64_t token = 0;
	int r = 0, pidfd = -1, join;

	if (cmd->pid != 0 &&
	    (r = lfs_pid_open(d, l->name, cmd->pid, uid, &pidfd)) < 0)
		return r;
	lfs_table_lock(d);
	if (l->sh.sh_how == want && (want != LFS_HOW_PID || lfs_pid_of(l) == cmd->pid))
		r = 1; /* the same hold again */
	else if (l->sh.sh_how != LFS_HOW_NONE || lfs_sh_busy_locked(l, 1) ||
	    (want == LFS_HOW_PID && lfs_pid_of(l) != 0))
		r = -EBUSY;
	join = lfs_sh_shown(l);
	lfs_table_unlock(d);
	if (r != 0) {
		lfs_log(&d->log, LOG_INFO, "%s: acquire shared: %s on this host",
		    l->name, r > 0 ? "already held so" : "held or requested "
		    "otherwise (exclusively, for another process, or a "
		    "request)");
		if (pidfd >= 0)
			close(pidfd);
		return r < 0 ? r : 0;
	}
	if (!join && (r = acquire_disk(d, l, &token)) < 0) {
		if (pidfd >= 0)
			close(pidfd);
		if (r == -EBUSY || r == -EAGAIN) {
			lfs_log(&d->log, LOG_INFO, "%s: acquire shared: busy",
			    l->name);
			return -EBUSY;
		}
		return lfs_errno_map(d, r, l->name, "acquire shared");
	}
	lfs_table_lock(d);
	/* the process first: attach must know whom fencing would kill */
	if (pidfd >= 0 && (r = lfs_pid_begin_locked(d, l, cmd->pid,
	    pidfd)) < 0) {
		lfs_log(&d->log, LOG_ERR, "%s: acquire shared: watching pid "
		    "%ld: %s", l->name, (long)cmd->pid, strerror(-r));
		if (!join) {
			l->sh.sh_token = token;
			lfs_sh_set_locked(l, LFS_SH_SET);
		}
		join = drop_locked(l); /* nobody else here: clear it again */
		lfs_table_unlock(d);
		if (join)
			clear_disk(d, l);
		return lfs_errno_map(d, r, l->name, "acquire shared");
	}
	r = attach_locked(d, l, token, want, NULL, &ph);
	token = l->sh.sh_token;
	lfs_table_unlock(d);
	if (r < 0) {
		lfs_log(&d->log, LOG_WARNING, "%s: held shared as fencing "
		    "began; lost at once", l->name);
		return r;
	}
	if (pidfd < 0)
		lfs_guard_ctl_lease(&d->guard, l->name, 1);
	lfs_log(&d->log, LOG_INFO, "%s: held shared (token %llu) via ctl%s",
	    l->name, (unsigned long long)token, pidfd >= 0 ? " for a process" :
	    "");
	return 0;
}

int
lfs_sh_ctl_release(struct lfs_daemon *d, struct lfs_dlease *l)
{
	enum lfs_how how;
	int last;

	lfs_table_lock(d);
	how = l->sh.sh_how;
	if (how != LFS_HOW_NONE) {
		lfs_pid_end_locked(d, l); /* for a process: no longer watched */
		l->sh.sh_how = LFS_HOW_NONE;
	}
	last = drop_locked(l);
	lfs_table_unlock(d);
	if (how == LFS_HOW_NONE) {
		lfs_log(&d->log, LOG_WARNING, "%s: release shared: not held "
		    "shared via ctl on this host", l->name);
		return -EPERM;
	}
	if (how == LFS_HOW_CTL)
		lfs_guard_ctl_lease(&d->guard, l->name, 0);
	/* a failed clear stays lost for the watcher: the hold is gone for
	 * the caller either way */
	if (last)
		clear_disk(d, l);
	lfs_watch_kick(d);
	return 0;
}

int
lfs_sh_pid_exited_locked(struct lfs_daemon *d, struct lfs_dlease *l)
{
	LFS_TABLE_HELD(d);
	if (l->sh.sh_how != LFS_HOW_PID)
		return -1;
	lfs_pid_end_locked(d, l);
	l->sh.sh_how = LFS_HOW_NONE;
	return drop_locked(l);
}

void
lfs_sh_release_lost(struct lfs_daemon *d, struct lfs_dlease *l)
{
	struct lfs_shared_hold h;
	int lost, unfinished, r;

	lfs_table_lock(d);
	lost = l->sh.state == LFS_SH_LOST && !lfs_lease_finished(l) &&
	    holders_locked(l) == 0;
	unfinished = l->sh.state == LFS_SH_UNFINISHED &&
	    !lfs_lease_finished(l);
	h = l->sh.sh_left;
	lfs_table_unlock(d);
	if (unfinished && !atomic_load(&d->stale)) {
		/* clears our mode (it may show us) and lets the exclusive
		 * lease taken on the way go; -EIO until the context settled */
		r = lfs_shared_finish(&d->ls, lfs_lease_io(d, l), &l->ref, &h,
		    0);
		lfs_table_lock(d);
		l->sh.sh_left = h;
		if (r == 0 && l->sh.state == LFS_SH_UNFINISHED)
			lfs_sh_set_locked(l, LFS_SH_NONE);
		lfs_table_unlock(d);
		if (r == 0) {
			lfs_log(&d->log, LOG_NOTICE, "%s: unfinished shared "
			    "acquire undone", l->name);
			lfs_watch_kick(d);
		}
	}
	if (lost)
		clear_disk(d, l);
}

/* Fencing of l's ctl and process holds (its files: lfs_sh_fence_files_locked).
 * table_lock held. */
void
lfs_sh_fence_locked(struct lfs_daemon *d, struct lfs_dlease *l)
{
	LFS_TABLE_HELD(d);
	if (l->sh.state == LFS_SH_UNFINISHED)
		lfs_lease_finish_locked(l); /* dies with the generation */
	if (l->sh.state != LFS_SH_SET) {
		if (l->sh.state == LFS_SH_LOST)
			lfs_lease_finish_locked(l); /* a failed clear: no retry */
		return;
	}
	/* the process stays watched, counted in d->fencing.fenced_pids,
	 * until it has exited (pidhold.c) */
	if (l->sh.sh_how == LFS_HOW_PID)
		lfs_pid_fence_locked(d, l);
	l->sh.sh_how = LFS_HOW_NONE;
	l->sh.sh_files = 0;
	lfs_sh_set_locked(l, LFS_SH_LOST);
	lfs_lease_finish_locked(l);
	lfs_log(&d->log, LOG_CRIT, "%s: shared hold lost (token %llu): renewal "
	    "failed", l->name, (unsigned long long)l->sh.sh_token);
}

void
lfs_sh_fence_files_locked(struct lfs_daemon *d)
{
	struct lfs_fh *fh;

	LFS_TABLE_HELD(d);
	for (fh = d->tab.fhs; fh != NULL; fh = fh->all_next) {
		if (fh->kind != LFS_K_LOCK || !fh->shared ||
		    fh->st != LFS_FH_HELD)
			continue;
		fh->st = LFS_FH_LOST;
		if (!fh->fenced) {
			fh->fenced = 1;
			d->fencing.fenced_fhs++;
		}
		lfs_notify_ph(lfs_fh_take_ph(fh));
	}
}

void
lfs_sh_forget_locked(struct lfs_dlease *l)
{
	LFS_TABLE_HELD(l->d);
	l->sh.sh_files = 0;
	l->sh.sh_how = LFS_HOW_NONE;
	lfs_sh_set_locked(l, LFS_SH_NONE);
}

int
lfs_sh_release_one(struct lfs_daemon *d, struct lfs_dlease *l, int keep_ctl)
{
	enum lfs_how how;
	int keep, last = 0, lost, r = 0;

	lfs_table_lock(d);
	how = l->sh.sh_how;
	/* a holder file still open after the kill, an unproven ctl user, a
	 * process that survived: never cleared; a finished generation's
	 * mode: never written */
	keep = l->sh.sh_files > 0 || (how == LFS_HOW_CTL && keep_ctl) ||
	    (how == LFS_HOW_PID && !lfs_pidfd_exited(lfs_pid_fd(l))) ||
	    lfs_lease_finished(l);
	if (!keep && how != LFS_HOW_NONE) {
		lfs_pid_end_locked(d, l);
		l->sh.sh_how = LFS_HOW_NONE;
	}
	if (!keep)
		last = drop_locked(l);
	lost = !keep && l->sh.state == LFS_SH_LOST;
	lfs_table_unlock(d);
	if (keep && lfs_sh_shown(l) && !lfs_lease_finished(l))
		lfs_log(&d->log, LOG_CRIT, "%s: a shared holder %s; its shared "
		    "mode is left on disk (it counts for nothing at host_dead)",
		    l->name, how == LFS_HOW_CTL ? "through ctl was not proven "
		    "stopped" : how == LFS_HOW_PID ? "process survived" :
		    "file is still open");
	if (!keep && how == LFS_HOW_CTL)
		lfs_guard_ctl_lease(&d->guard, l->name, 0);
	if (last || lost)
		clear_disk(d, l);
	lfs_sh_release_lost(d, l); /* an unfinished acquire, if any */
	lfs_table_lock(d);
	/* a mode left set, also a finished one, is not "released" */
	if (l->sh.state != LFS_SH_NONE)
		r = -EIO;
	lfs_table_unlock(d);
	return r;
}
