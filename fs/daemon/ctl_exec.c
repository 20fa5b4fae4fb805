/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctl_exec.c - executing the commands written to a lease's `ctl` file
 * (parsed by ctl.c): acquire, release, transfer, request, cancel, and the
 * handover (handover, keep, claim); the shared forms, `acquire shared
 * [pid N]` and `release shared`, are in shhold.c.
 *
 * Each runs with the lease's context held (lfs_hold_ctl takes it), checks the
 * local state first so that an error changes nothing, then does its disk
 * operation, then records the result (holders.c explains the states). Every
 * refusal is logged with its reason, since the writer only sees an errno.
 *
 * The `pid N` forms (pidhold.c) hold or request the lease for process N:
 *   acquire pid N  as acquire, then held for N until `release` or N's
 *                  exit; again for the same N: 0; for another N, or a
 *                  lease held here otherwise: EBUSY
 *   request pid N  as request; on arrival held for N; N's exit before
 *                  then withdraws the request (a lease that arrived in
 *                  that moment is released)
 * N not running: ESRCH; not a process the writer may signal: EPERM.  A
 * handover is `request pid M` on the destination, then `transfer HOST` on
 * the source (held for N there: N is no longer watched, not killed), and
 * the lease arrives held for M.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "context.h"
#include "daemon.h"
#include "holders.h"

/* Whether l is held or requested here already exactly as cmd asks (1),
 * by something else (-EBUSY), or neither (0).  table_lock held. */
static int
same_hold_locked(const struct lfs_dlease *l, const struct lfs_ctl_cmd *cmd,
    int or_requested)
{
	enum lfs_how want = cmd->pid != 0 ? LFS_HOW_PID : LFS_HOW_CTL;

	LFS_TABLE_HELD(l->d);
	if (lfs_hold_how(l) == want &&
	    (want != LFS_HOW_PID || lfs_pid_of(l) == cmd->pid))
		return 1;
	if (or_requested && lfs_req_how(l) == want &&
	    (want != LFS_HOW_PID || lfs_pid_of(l) == cmd->pid))
		return 1;
	return lfs_sh_busy_locked(l, 0) ? -EBUSY : 0;
}

/* What holds or asks for l here, for a refusal's log line. */
static const char *
hold_what(const struct lfs_dlease *l)
{
	enum lfs_how how = lfs_held(l) ? lfs_hold_how(l) : lfs_req_how(l);

	if (!lfs_held(l) && lfs_sh_state(l) != LFS_SH_NONE)
		return "a shared hold";
	switch (how) {
	case LFS_HOW_FILE: return "a lock or incoming file";
	case LFS_HOW_CTL: return "ctl";
	case LFS_HOW_PID: return "ctl for another process";
	default: return "an operation of its own";
	}
}

static int
ctl_acquire(struct lfs_daemon *d, struct lfs_dlease *l,
    const struct lfs_ctl_cmd *cmd, uid_t uid)
{
	struct fuse_pollhandle *ph;
	struct lfs_leader ld;
	char via[32];
	int r = 0, pidfd = -1;

	if (cmd->pid != 0 &&
	    (r = lfs_pid_open(d, l->name, cmd->pid, uid, &pidfd)) < 0)
		return r;
	snprintf(via, sizeof(via), cmd->pid != 0 ? "ctl for pid %ld" : "ctl",
	    (long)cmd->pid);
	lfs_table_lock(d);
	r = same_hold_locked(l, cmd, 0);
	if (r < 0)
		lfs_log(&d->log, LOG_INFO, "%s: acquire: held or requested "
		    "by %s on this host", l->name, hold_what(l));
	lfs_table_unlock(d);
	if (r == 1)
		lfs_log(&d->log, LOG_INFO, "%s: acquire: already held here "
		    "via %s", l->name, via);
	if (r != 0) {
		if (pidfd >= 0)
			close(pidfd);
		return r < 0 ? r : 0;
	}
	r = lfs_hold_acquire_disk(d, l, &ld);
	if (r == -EBUSY || r == -EAGAIN) {
		lfs_log(&d->log, LOG_INFO, "%s: acquire: busy", l->name);
		r = -EBUSY;
	} else if (r < 0) {
		r = lfs_errno_map(d, r, l->name, "acquire");
	}
	if (r < 0) {
		if (pidfd >= 0)
			close(pidfd);
		return r;
	}
	lfs_table_lock(d);
	/* the process first: attach must know whom fencing would kill */
	if (pidfd >= 0 && (r = lfs_pid_begin_locked(d, l, cmd->pid,
	    pidfd)) < 0) {
		lfs_table_unlock(d);
		lfs_log(&d->log, LOG_ERR, "%s: acquire: watching pid %ld: %s; "
		    "releasing", l->name, (long)cmd->pid, strerror(-r));
		lfs_paxos_release(&d->ls, lfs_lease_io(d, l), &l->ref, &ld);
		return lfs_errno_map(d, r, l->name, "acquire");
	}
	ph = lfs_hold_attach_locked(d, l, &ld, pidfd >= 0 ? LFS_HOW_PID :
	    LFS_HOW_CTL, NULL);
	r = lfs_lost(l) ? -EIO : 0;
	lfs_table_unlock(d);
	lfs_notify_ph(ph);
	if (r < 0) {
		lfs_hold_log(d, LOG_WARNING, l, "won as fencing began; lost at "
		    "once", &ld, via);
		return r;
	}
	if (pidfd < 0)
		lfs_guard_ctl_lease(&d->guard, l->name, 1);
	lfs_hold_log(d, LOG_INFO, l, "held", &ld, via);
	return 0;
}

static int
ctl_release(struct lfs_daemon *d, struct lfs_dlease *l)
{
	struct lfs_leader held;
	enum lfs_how how;
	int r;

	lfs_table_lock(d);
	r = lfs_hold_usable(l) && (lfs_hold_how(l) == LFS_HOW_CTL ||
	    lfs_hold_how(l) == LFS_HOW_PID) ? 0 : -EPERM;
	held = *lfs_hold_leader(l);
	how = lfs_hold_how(l);
	lfs_table_unlock(d);
	if (r < 0) {
		lfs_log(&d->log, LOG_WARNING, "%s: release: not held via ctl "
		    "on this host%s", l->name, lfs_sh_how(l) != LFS_HOW_NONE ?
		    " (held shared: 'release shared')" : "");
		return r;
	}
	r = lfs_paxos_release(&d->ls, lfs_lease_io(d, l), &l->ref, &held);
	if (r < 0 && r != -EPERM && r != -EINPROGRESS)
		return lfs_errno_map(d, r, l->name, "release");
	lfs_table_lock(d);
	lfs_pid_end_locked(d, l); /* for a process: no longer watched */
	lfs_hold_disarm_locked(l);
	/* -EINPROGRESS: freed by the ballot, leader not written: the watcher
	 * writes it (LOST, as for a lost lease) */
	lfs_hold_set_locked(l, r == -EINPROGRESS ? LFS_HOLD_LOST :
	    LFS_HOLD_FREE);
	lfs_table_unlock(d);
	if (r == -EINPROGRESS) {
		lfs_log(&d->log, LOG_WARNING, "%s: released; its leader write "
		    "failed and will be retried", l->name);
		r = 0;
	}
	if (how == LFS_HOW_CTL)
		lfs_guard_ctl_lease(&d->guard, l->name, 0);
	if (r == -EPERM)
		lfs_log(&d->log, LOG_WARNING, "%s: release: the disk names "
		    "another owner; not held here any more", l->name);
	lfs_watch_kick(d);
	return r;
}

/* The host id a transfer names (by id or display name), or -ENOENT. */
static int
resolve_host(struct lfs_daemon *d, const struct lfs_ctl_cmd *cmd)
{
	struct lfs_host_view hv;
	int id;

	if (cmd->host_id != 0 && lfs_host_get(&d->ls, cmd->host_id, &hv) == 0)
		return (int)cmd->host_id;
	id = lfs_host_find(&d->ls, cmd->host);
	return id > 0 ? id : -ENOENT;
}

/* After a transfer failed half-way the disk may name the target already:
 * look, and if the lease is no longer ours, the holders lose it. */
static void
verify_still_ours(struct lfs_daemon *d, struct lfs_dlease *l,
    const struct lfs_leader *held)
{
	struct fuse_pollhandle *ph;
	struct lfs_leader ld;

	if (lfs_paxos_read_leader(&d->ls, lfs_lease_io(d, l), &l->ref,
	    &ld) < 0 ||
	    (lfs_leader_is_ours(d, &ld) && ld.lver == held->lver))
		return;
	lfs_table_lock(d);
	ph = lfs_hold_gone_locked(l);
	lfs_table_unlock(d);
	lfs_notify_ph(ph);
	lfs_hold_log(d, LOG_WARNING, l, "no longer ours after a failed "
	    "transfer: now", &ld, NULL);
}

/* After a failed transfer one of whose writes timed out and may still
 * land (hostpolicy.h lfs_hp_transfer_unknown): the target may own the
 * lease a moment from now, whatever the leader reads now, so the local
 * holders lose it (their files read "lost"); it stays ours on disk as
 * LOST, which the watcher releases once renewal allows (-EPERM there if
 * the transfer landed after all: then it was the target's). */
static void
lose_unknown(struct lfs_daemon *d, struct lfs_dlease *l)
{
	struct fuse_pollhandle *ph;

	lfs_table_lock(d);
	ph = lfs_hold_detach_locked(l);
	lfs_watch_kick_locked(d);
	lfs_table_unlock(d);
	lfs_notify_ph(ph);
	lfs_log(&d->log, LOG_ERR, "%s: transfer failed with a write that may "
	    "still land: lost here (released once the outcome is known)",
	    l->name);
}

/* Checks of a transfer before any write; fills *to_gen, and *seq (if not
 * NULL) with the request record's seq. */
static int
transfer_check(struct lfs_daemon *d, struct lfs_dlease *l, uint32_t to,
    uint64_t *to_gen, uint64_t *seq)
{
	struct lfs_host_view hv;
	struct lfs_request rq;
	int r;

	if (lfs_host_get(&d->ls, to, &hv) < 0)
		return -ENOENT;
	*to_gen = hv.rec.generation;
	if (lfs_host_state(&d->ls, to, *to_gen) != LFS_HOST_STATE_LIVE) {
		lfs_log(&d->log, LOG_WARNING, "%s: transfer: host %u is %s",
		    l->name, to, lfs_host_state_name(lfs_host_state(&d->ls, to,
		    *to_gen)));
		return -EHOSTDOWN;
	}
	if ((r = lfs_paxos_read_request(&d->ls, lfs_lease_io(d, l), &l->ref,
	    &rq)) < 0)
		return lfs_errno_map(d, r, l->name, "read request");
	if (rq.host_id != to || rq.host_gen != *to_gen) {
		lfs_log(&d->log, LOG_WARNING, "%s: transfer: host %u (gen %llu) "
		    "has no pending request (request names %u gen %llu)",
		    l->name, to, (unsigned long long)*to_gen, rq.host_id,
		    (unsigned long long)rq.host_gen);
		return -EDESTADDRREQ;
	}
	if (seq != NULL)
		*seq = rq.seq;
	return 0;
}

/* The lease went to host `to`: every local holder loses it. */
static void
lose_to_target(struct lfs_daemon *d, struct lfs_dlease *l, enum lfs_how how,
    int to)
{
	struct fuse_pollhandle *ph;

	lfs_table_lock(d);
	ph = lfs_hold_gone_locked(l);
	lfs_table_unlock(d);
	lfs_notify_ph(ph);
	if (how == LFS_HOW_CTL)
		lfs_guard_ctl_lease(&d->guard, l->name, 0);
	/* held for a process (how PID): detach stopped watching it; the
	 * process is not killed, the handover is what its user asked for */
	lfs_log(&d->log, LOG_INFO, "%s: local holders lost it to host %d",
	    l->name, to);
}

/*
 * A transfer whose ballot chose the target but whose leader write failed
 * (-EINPROGRESS): write it now.  Only we may (paxos.h invariant 2), and the
 * target waits for it.  Each try waits for the context to settle (a
 * timed-out write still pending refuses new writes); we give up at
 * renewal_fail, when the storage has been unusable long enough that this
 * host fences anyway.  Called with the lease's context held, like the transfer.
 */
static int
transfer_finish(struct lfs_daemon *d, struct lfs_dlease *l,
    const struct lfs_leader *held, uint32_t to, uint64_t to_gen)
{
	uint64_t end = lfs_now_ms() + d->ls.to.renewal_fail_ms;
	struct lfs_leader out;
	int r;

	do {
		lfs_sleep_ms(d->ls.to.io_timeout_ms / 4 + 1);
		r = lfs_paxos_transfer(&d->ls, lfs_lease_io(d, l), &l->ref,
		    held, to, to_gen, &out);
	} while ((r == -EINPROGRESS || r == -EIO || r == -ETIMEDOUT ||
	    r == -EAGAIN) && lfs_now_ms() < end);
	if (r == 0) {
		lfs_log(&d->log, LOG_NOTICE, "%s: transfer to host %u "
		    "committed after a failed leader write", l->name, to);
		return 0;
	}
	lfs_log(&d->log, LOG_ERR, "%s: transferred to host %u, but its leader "
	    "could not be written: %s", l->name, to, strerror(-r));
	return -EIO;
}

/* The target of a transfer or handover command: a known host, not us. */
static int
target_host(struct lfs_daemon *d, struct lfs_dlease *l,
    const struct lfs_ctl_cmd *cmd)
{
	const char *what = lfs_ctl_op_name(cmd->op);
	int to;

	if ((to = resolve_host(d, cmd)) < 0) {
		lfs_log(&d->log, LOG_WARNING, "%s: %s: unknown host '%s'",
		    l->name, what, cmd->host);
		return -ENOENT;
	}
	if ((uint32_t)to == d->ls.host_id) {
		lfs_log(&d->log, LOG_WARNING, "%s: %s: to ourselves", l->name,
		    what);
		return -EINVAL;
	}
	return to;
}

/* Transfer l, held here, to host `to`, whose request must be pending.
 * With the lease's context held. */
static int
transfer_to(struct lfs_daemon *d, struct lfs_dlease *l, int to)
{
	struct lfs_leader held, out;
	enum lfs_how how;
	uint64_t to_gen;
	int r;

	lfs_table_lock(d);
	r = lfs_hold_usable(l) ? 0 : -EPERM;
	held = *lfs_hold_leader(l);
	how = lfs_hold_how(l);
	lfs_table_unlock(d);
	if (r < 0) {
		lfs_log(&d->log, LOG_WARNING, "%s: transfer: not held here",
		    l->name);
		return r;
	}
	if ((r = transfer_check(d, l, (uint32_t)to, &to_gen, NULL)) < 0)
		return r;
	r = lfs_paxos_transfer(&d->ls, lfs_lease_io(d, l), &l->ref, &held,
	    (uint32_t)to, to_gen, &out);
	if (r == -EINPROGRESS) {
		/* chosen for the target: our holders lose it now, then we
		 * write the leader the target waits for */
		lose_to_target(d, l, how, to);
		return transfer_finish(d, l, &held, (uint32_t)to, to_gen);
	}
	if (r < 0) {
		if (lfs_hp_transfer_unknown(lfs_io_reap(lfs_lease_io(d, l))))
			lose_unknown(d, l);
		else
			verify_still_ours(d, l, &held);
		return lfs_errno_map(d, r == -EAGAIN ? -EBUSY : r, l->name,
		    "transfer");
	}
	lose_to_target(d, l, how, to);
	return 0;
}

static int
ctl_transfer(struct lfs_daemon *d, struct lfs_dlease *l,
    const struct lfs_ctl_cmd *cmd)
{
	int to;

	if ((to = target_host(d, l, cmd)) < 0)
		return to;
	return transfer_to(d, l, to);
}

/*
 * A handover is a transfer armed now and done when the target claims the
 * lease (ctl.h).  It is how a lease follows a VM whose source may run
 * again by itself until the last moment: QEMU resumes the source's CPUs
 * on its own when a migration fails after it paused them, with no call to
 * anyone, so the source may give the lease away only once the migration
 * can no longer fail that way, which only the destination learns (its
 * libvirt's Finish).  The destination's claim is that news; until it comes
 * the lease stays held here for the source's holder, and stays usable.
 */
static int
ctl_handover(struct lfs_daemon *d, struct lfs_dlease *l,
    const struct lfs_ctl_cmd *cmd)
{
	uint64_t to_gen, seq;
	int r, to;

	if ((to = target_host(d, l, cmd)) < 0)
		return to;
	lfs_table_lock(d);
	r = lfs_hold_usable(l) ? 0 : -EPERM;
	lfs_table_unlock(d);
	if (r < 0) {
		lfs_log(&d->log, LOG_WARNING, "%s: handover: not held here",
		    l->name);
		return r;
	}
	if ((r = transfer_check(d, l, (uint32_t)to, &to_gen, &seq)) < 0)
		return r;
	lfs_table_lock(d);
	if (!lfs_hold_usable(l))
		r = -EPERM;
	else if (lfs_hold_handover_to(l) != 0 &&
	    (lfs_hold_handover_to(l) != (uint32_t)to ||
	    lfs_hold_handover_gen(l) != to_gen))
		r = -EBUSY;
	else if (lfs_hold_handover_to(l) == 0) {
		lfs_hold_arm_locked(l, (uint32_t)to, to_gen, seq);
		lfs_watch_kick_locked(d);
		r = 1;
	}
	lfs_table_unlock(d);
	if (r == -EBUSY)
		lfs_log(&d->log, LOG_WARNING, "%s: handover: armed for another "
		    "host already (`keep` first)", l->name);
	else if (r == 1)
		lfs_log(&d->log, LOG_NOTICE, "%s: handover to host %d (gen %llu) "
		    "armed: held here until it claims the lease", l->name, to,
		    (unsigned long long)to_gen);
	return r < 0 ? r : 0;
}

/* `keep`: disarm.  0 only while the lease is still held here (and then no
 * handover of ours can move it any more: its context orders this against the
 * watcher's transfer), so the caller may rely on its hold. */
static int
ctl_keep(struct lfs_daemon *d, struct lfs_dlease *l)
{
	uint32_t was;
	int r;

	lfs_table_lock(d);
	r = lfs_hold_usable(l) ? 0 : -EPERM;
	was = lfs_hold_handover_to(l);
	lfs_hold_disarm_locked(l);
	lfs_table_unlock(d);
	if (r < 0)
		lfs_log(&d->log, LOG_WARNING, "%s: keep: not held here", l->name);
	else if (was != 0)
		lfs_log(&d->log, LOG_NOTICE, "%s: handover to host %u disarmed: "
		    "kept here", l->name, was);
	return r;
}

/* `claim`: our pending request becomes a claim (paxos.h, requests). */
static int
ctl_claim(struct lfs_daemon *d, struct lfs_dlease *l)
{
	int r;

	lfs_table_lock(d);
	if (lfs_hold_usable(l))
		r = 1; /* here already */
	else
		r = lfs_req_how(l) != LFS_HOW_NONE ? 0 : -EPERM;
	lfs_table_unlock(d);
	if (r == 1)
		return 0;
	if (r < 0) {
		lfs_log(&d->log, LOG_WARNING, "%s: claim: no request pending "
		    "here", l->name);
		return r;
	}
	if ((r = lfs_paxos_write_request(&d->ls, lfs_lease_io(d, l), &l->ref,
	    LFS_REQUEST_CLAIM)) < 0)
		return lfs_errno_map(d, r, l->name, "claim");
	lfs_table_lock(d);
	lfs_req_claim_locked(l); /* the arrival is polled fast (watcher.c) */
	lfs_watch_kick_locked(d);
	lfs_table_unlock(d);
	lfs_log(&d->log, LOG_NOTICE, "%s: claimed", l->name);
	return 0;
}

void
lfs_hold_check_handover(struct lfs_daemon *d, struct lfs_dlease *l)
{
	struct lfs_leader held;
	struct lfs_request rq;
	uint64_t gen, seq;
	uint32_t to;
	int r;

	if (lfs_ops_lock(d, l->ref.slot) < 0)
		return; /* stuck: the next pass looks again */
	lfs_table_lock(d);
	to = lfs_hold_usable(l) ? lfs_hold_handover_to(l) : 0;
	gen = lfs_hold_handover_gen(l);
	seq = lfs_hold_handover_seq(l);
	held = *lfs_hold_leader(l);
	lfs_table_unlock(d);
	if (to == 0 || atomic_load(&d->fenced) || atomic_load(&d->stale) ||
	    atomic_load(&d->stopping))
		goto out;
	if ((r = lfs_paxos_read_request(&d->ls, lfs_lease_io(d, l), &l->ref,
	    &rq)) < 0) {
		if (lfs_req_note_err(l, r))
			lfs_log(&d->log, LOG_WARNING, "%s: watching the handover: "
			    "%s", l->name, strerror(-r));
		goto out;
	}
	lfs_req_note_err(l, 0);
	if (rq.host_id != to || rq.host_gen != gen) {
		/* its request was withdrawn (its QEMU went away, say) or
		 * overwritten: a later claim of it is not for this one */
		lfs_table_lock(d);
		lfs_hold_disarm_locked(l);
		lfs_table_unlock(d);
		lfs_log(&d->log, LOG_NOTICE, "%s: handover to host %u dropped: "
		    "the request names host %u now; kept here", l->name, to,
		    rq.host_id);
		goto out;
	}
	/* only a claim written after the arming counts: one already there
	 * was made for no handover of this tenure's (seq rises with every
	 * write of the record) */
	if (!lfs_request_is_claim(&rq, &held) || rq.seq <= seq)
		goto out;
	/* what refuses a ctl command refuses this transfer too (renewal
	 * overdue, the guard gone...): disarmed, so logged once; the claimer
	 * then refuses to resume, and the lease stays with its holder here */
	if (lfs_daemon_refuse(d, "handover") < 0) {
		lfs_table_lock(d);
		lfs_hold_disarm_locked(l);
		lfs_table_unlock(d);
		goto out;
	}
	lfs_log(&d->log, LOG_NOTICE, "%s: host %u claimed it: transferring",
	    l->name, to);
	/* a failure leaves it armed while still held: the next pass tries
	 * again (the claimer waits for a bounded time, then refuses) */
	if ((r = transfer_to(d, l, (int)to)) < 0)
		lfs_log(&d->log, LOG_WARNING, "%s: handover to host %u: %s",
		    l->name, to, strerror(-r));
out:
	lfs_ops_unlock(d, l->ref.slot);
}


static int
ctl_request(struct lfs_daemon *d, struct lfs_dlease *l,
    const struct lfs_ctl_cmd *cmd, uid_t uid)
{
	int r = 0, pidfd = -1;

	if (cmd->pid != 0 &&
	    (r = lfs_pid_open(d, l->name, cmd->pid, uid, &pidfd)) < 0)
		return r;
	lfs_table_lock(d);
	r = same_hold_locked(l, cmd, 1);
	if (r != 0)
		lfs_log(&d->log, LOG_INFO, "%s: request: "
		    "%s%s on this host", l->name, r > 0 ? "already held or "
		    "requested so" : "held or requested by ", r > 0 ? "" :
		    hold_what(l));
	lfs_table_unlock(d);
	if (r == 0 && (r = lfs_paxos_write_request(&d->ls, lfs_lease_io(d, l),
	    &l->ref, 1)) < 0)
		r = lfs_errno_map(d, r, l->name, "request");
	if (r != 0) {
		if (pidfd >= 0)
			close(pidfd);
		return r < 0 ? r : 0;
	}
	lfs_table_lock(d);
	if (pidfd >= 0 && (r = lfs_pid_begin_locked(d, l, cmd->pid,
	    pidfd)) < 0) {
		lfs_table_unlock(d);
		lfs_log(&d->log, LOG_ERR, "%s: request: watching pid %ld: %s",
		    l->name, (long)cmd->pid, strerror(-r));
		lfs_hold_cancel_request(d, l);
		return lfs_errno_map(d, r, l->name, "request");
	}
	lfs_req_begin_locked(l, pidfd >= 0 ? LFS_HOW_PID : LFS_HOW_CTL, NULL);
	lfs_watch_kick_locked(d);
	lfs_table_unlock(d);
	if (pidfd >= 0)
		lfs_log(&d->log, LOG_NOTICE, "%s: requested via ctl for pid %ld",
		    l->name, (long)cmd->pid);
	else
		lfs_log(&d->log, LOG_NOTICE, "%s: requested via ctl", l->name);
	return 0;
}

static int
ctl_cancel(struct lfs_daemon *d, struct lfs_dlease *l)
{
	int r;

	lfs_table_lock(d);
	r = lfs_req_how(l) == LFS_HOW_CTL || lfs_req_how(l) == LFS_HOW_PID ? 0 : -EPERM;
	if (r == 0) {
		lfs_pid_end_locked(d, l);
		lfs_req_end_locked(l); /* req_fh is NULL for ctl requests */
	}
	lfs_table_unlock(d);
	if (r < 0) {
		lfs_log(&d->log, LOG_WARNING, "%s: cancel: no request via ctl "
		    "pending", l->name);
		return r;
	}
	lfs_hold_cancel_request(d, l);
	lfs_log(&d->log, LOG_NOTICE, "%s: request withdrawn", l->name);
	return 0;
}

int
lfs_hold_ctl(struct lfs_daemon *d, struct lfs_dlease *l,
    const struct lfs_ctl_cmd *cmd, uid_t uid)
{
	int r;

	if ((r = lfs_daemon_refuse(d, lfs_ctl_op_name(cmd->op))) < 0 ||
	    (r = lfs_ops_lock_serving(d, l->ref.slot,
	    lfs_ctl_op_name(cmd->op))) < 0)
		return r;
	lfs_table_lock(d);
	r = lfs_lease_deleted(l) ? -ENOENT : 0;
	lfs_table_unlock(d);
	/* a request of ours answered a moment ago is held, for this command
	 * as for `owner`: the watcher would see the arrival only at its next
	 * notice read (up to LFS_WAKE_SCAN_MS), and `release` right after a
	 * transfer found "not held" */
	if (r == 0 && cmd->op != LFS_CTL_REQUEST && cmd->op != LFS_CTL_CANCEL)
		lfs_hold_arrival_ops(d, l);
	if (r == 0) {
		switch (cmd->op) {
		case LFS_CTL_ACQUIRE: r = cmd->shared ?
		    lfs_sh_ctl_acquire(d, l, cmd, uid) :
		    ctl_acquire(d, l, cmd, uid); break;
		case LFS_CTL_RELEASE: r = cmd->shared ?
		    lfs_sh_ctl_release(d, l) : ctl_release(d, l); break;
		case LFS_CTL_TRANSFER: r = ctl_transfer(d, l, cmd); break;
		case LFS_CTL_REQUEST: r = ctl_request(d, l, cmd, uid); break;
		case LFS_CTL_CANCEL: r = ctl_cancel(d, l); break;
		case LFS_CTL_HANDOVER: r = ctl_handover(d, l, cmd); break;
		case LFS_CTL_KEEP: r = ctl_keep(d, l); break;
		case LFS_CTL_CLAIM: r = ctl_claim(d, l); break;
		default: r = -EINVAL; break;
		}
	}
	lfs_ops_unlock(d, l->ref.slot);
	return r;
}
