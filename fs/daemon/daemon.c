/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * daemon.c - the daemon's own threads and its life cycle after start-up:
 * logging, the signal thread, the renewal thread with fencing, and the
 * clean shutdown sequence.
 *
 * Sections:
 *   1. logging, small helpers, refusing lease operations
 *   2. the renewal thread and fencing
 *   3. the signal thread, shutdown, ending the FUSE loop
 *   4. starting and joining threads
 *
 * Signals: SIGTERM, SIGINT, SIGQUIT and SIGHUP are blocked in every thread (cmd_mount
 * blocks them before anything else); the signal thread takes them with
 * sigtimedwait(), so no handler runs anywhere and no system call of a
 * worker or of the aio code is ever interrupted by them.  SIGUSR1 has an
 * empty handler and is sent only to the main thread, to wake it from the
 * FUSE loop once fuse_session_exit() was called (cmd_mount.c).
 *
 * Renewal timeline (core/timeouts.h has the full one): renew every
 * renewal_interval; after a failure retry every io_timeout/4; at
 * renewal_fail without a good renewal, fence: mark every lease lost, kill
 * the holders (the guard does the same independently), run the kill
 * command for ctl-held leases; keep renewing; when a renewal works again,
 * the watcher releases the lost leases.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "context.h"
#include "daemon.h"
#include "hostpolicy.h"
#include "notify.h"

/* Holders fenced per /proc scan; a larger count is rescanned. */
/* How often the signal thread checks whether it should end, in ms. */
#define SIGNAL_POLL_MS 200u
/* Interval of SIGUSR1 sent to the main thread until the loop returns, in
 * ms: the first one may land before the loop starts waiting. */
#define END_LOOP_KICK_MS 50u
/*
 * How long past its watch's bound (iowatch.h) a stuck I/O call must be
 * before shutdown stops waiting for a thread, in ms: the threads that only
 * wait for the stuck one's lock give up within a wait slice (100 ms) of
 * the bound and then end at once; one still running after this is the
 * thread in the stuck call itself.
 */
#define STUCK_JOIN_GRACE_MS 1000u
/* How often a bounded join looks whether the thread ended, in ms. */
#define JOIN_POLL_MS 10u

/* ---- 1. logging and helpers ---- */

static void
daemon_log(void *arg, int priority, const char *msg)
{
	struct lfs_daemon *d = arg;

	if (d->use_syslog)
		syslog(priority, "%s", msg);
	if (atomic_load(&d->log_stderr))
		lfs_log_stderr(NULL, priority, msg);
}

void
lfs_daemon_log_setup(struct lfs_daemon *d)
{
	d->log.fn = daemon_log;
	d->log.arg = d;
	d->log.max_priority = d->debug ? LOG_DEBUG : LOG_INFO;
}

int
lfs_daemon_init_sync(struct lfs_daemon *d)
{
	pthread_rwlockattr_t ra;
	pthread_condattr_t ca;
	uint32_t i;
	int r;

	if ((r = pthread_condattr_init(&ca)) != 0)
		return -r;
	/* timed waits run on CLOCK_MONOTONIC (a condition variable takes no
	 * other monotonic clock); their deadlines come from lfs_now_ms()
	 * (CLOCK_BOOTTIME) as relative times, in slices (renew_sleep_until) */
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&d->renew_lock, NULL);
	/* writer-preferring: a rejoin waiting for lease operations to end is
	 * not starved by new ones (which wait for it; each gives up once it
	 * is stuck, context.c) */
	if ((r = pthread_rwlockattr_init(&ra)) != 0)
		return -r;
	pthread_rwlockattr_setkind_np(&ra,
	    PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&d->gen_lock, &ra);
	pthread_rwlockattr_destroy(&ra);
	pthread_mutex_init(&d->table_lock, NULL);
	pthread_mutex_init(&d->shutdown_lock, NULL);
	pthread_mutex_init(&d->sleep_lock, NULL);
	pthread_cond_init(&d->watch_cond, &ca);
	pthread_cond_init(&d->sleep_cond, &ca);
	pthread_cond_init(&d->opens.reply_cond, NULL);
	pthread_condattr_destroy(&ca);
	/* the bounds come with the lockspace's io_timeout (cmd_mount.c);
	 * ops.lock[i] is initialised with its context (lfs_ioset_init), the
	 * watch only keeps its address */
	for (i = 0; i < LFS_IOSET_MAX; i++)
		if ((r = lfs_iowatch_init(&d->ops_watch[i], &d->ops.lock[i],
		    d->test_stall ? &d->stall.sys : NULL,
		    "lease operations", &d->log)) < 0 ||
		    (r = lfs_iowatch_init(&d->reads_watch[i], &d->reads.lock[i],
		    NULL, "lease reads", &d->log)) < 0)
			return r;
	return lfs_iowatch_init(&d->renew_watch, &d->renew_lock, NULL,
	    "renewal", &d->log);
}

/* ---- 2. renewal and fencing ---- */

/* Sleep until when_ms (monotonic) or until threads_stop. */
static void
renew_sleep_until(struct lfs_daemon *d, uint64_t when_ms)
{
	struct timespec ts;
	uint64_t now, ns;

	pthread_mutex_lock(&d->sleep_lock);
	while (!atomic_load(&d->threads_stop) && (now = lfs_now_ms()) < when_ms) {
		/* the condition variable's clock is CLOCK_MONOTONIC, which
		 * stops in a suspend while lfs_now_ms() (CLOCK_BOOTTIME) does
		 * not: wait in slices, so that a deadline passed during a
		 * suspend is seen within LFS_SLEEP_SLICE_MS of the resume */
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ns = (uint64_t)ts.tv_nsec + (when_ms - now < LFS_SLEEP_SLICE_MS ?
		    when_ms - now : LFS_SLEEP_SLICE_MS) * 1000000ull;
		ts.tv_sec += (time_t)(ns / 1000000000ull);
		ts.tv_nsec = (long)(ns % 1000000000ull);
		pthread_cond_timedwait(&d->sleep_cond, &d->sleep_lock, &ts);
	}
	pthread_mutex_unlock(&d->sleep_lock);
}

/* A send to the guard failed: if the guard is gone, so is the fencing
 * from outside the daemon; refuse new leases (lfs_daemon_refuse). */
static void
guard_check(struct lfs_daemon *d, int r)
{
	if (r != -EPIPE && r != -ECONNREFUSED && r != -ECONNRESET &&
	    r != -ENOTCONN)
		return;
	if (!atomic_exchange(&d->guard_lost, true))
		lfs_log(&d->log, LOG_CRIT, "the guard is gone (%s): no new "
		    "leases; holders would not be fenced if this daemon died",
		    strerror(-r));
}

/* The finder of kill_holders: the processes leases are held for that
 * still run (by pidfd, pidhold.c), then the holders of our lease files. */
struct holder_scan {
	struct lfs_daemon *d;
	int np;                  /* the pid holders at the front, this scan */
};

static int
scan_holders(void *arg, struct lfs_holder *h, int max)
{
	struct holder_scan *s = arg;
	int i, np, n;

	np = lfs_pid_holders(s->d, h, max / 2);
	/* those that exited are no holders: drop them (and their pidfds) */
	for (i = 0, s->np = 0; i < np; i++)
		if (lfs_fence_alive(&h[i]))
			h[s->np++] = h[i];
		else
			lfs_pid_holders_free(&h[i], 1);
	n = lfs_daemon_find_holders(s->d, NULL, h + s->np, max - s->np);
	if (n < 0) {
		lfs_pid_holders_free(h, s->np);
		s->np = 0;
		return n;
	}
	return s->np + n;
}

static void
scan_done(void *arg, struct lfs_holder *h, int n)
{
	struct holder_scan *s = arg;

	(void)n;
	lfs_pid_holders_free(h, s->np);
	s->np = 0;
}

/*
 * Kill every local holder (fence.h lfs_fence_stop_all): the processes with
 * a lease file open under the mount point and those leases are held for
 * (`acquire pid`, pidhold.c): SIGTERM, then SIGKILL at deadline_ms (0: at
 * once), each pass waiting up to kill_settle = host_dead - renewal_fail -
 * kill_grace, the slack timeouts.h leaves for it; rescan until a scan
 * finds nobody (5 scans at most).  Returns how many are still alive (or
 * unknown: 1 when the scan failed).
 */
static int
kill_holders(struct lfs_daemon *d, uint64_t deadline_ms)
{
	const struct lfs_timeouts *to = &d->ls.to;
	struct holder_scan s = { .d = d };
	struct lfs_fence_finder f = { scan_holders, scan_done, &s };
	struct lfs_holder *h;
	int alive;

	h = malloc(FENCE_MAX_HOLDERS * sizeof(*h));
	if (h == NULL)
		return 1;
	alive = lfs_fence_stop_all(&f, h, FENCE_MAX_HOLDERS, deadline_ms,
	    to->host_dead_ms - to->renewal_fail_ms - to->kill_grace_ms, 4,
	    &d->log);
	free(h);
	return alive < 0 ? 1 : alive;
}

/*
 * The kill command of leases held through ctl (no process holds them) runs
 * beside the killing of the holders, not after it: both must be done
 * within kill_grace + kill_settle of the start of fencing, the time left
 * before other hosts may take the leases (timeouts.h).  Each command gets
 * what is left of the grace.  A lease counts as proven stopped only when
 * its command exited 0.
 */
struct kill_job {
	struct lfs_daemon *d;
	char (*names)[LFS_NAME_MAX + 1];
	int n;
	int failed;              /* commands that did not succeed (or none) */
	uint64_t deadline_ms;
	pthread_t thread;
	int started;
};

static void *
kill_job_main(void *arg)
{
	struct kill_job *j = arg;

	j->failed = lfs_fence_run_commands(j->d->opts.kill_command,
	    (const char (*)[LFS_NAME_MAX + 1])j->names, j->n, j->deadline_ms,
	    &j->d->log);
	return NULL;
}

/* Fencing or shutdown: run the kill commands of names[0..n) beside the
 * killing of every holder, the grace ending at deadline_ms.  Frees names.
 * Returns the holders that survived; *ctl_failed gets the ctl leases
 * whose users were not proven stopped. */
static int
stop_everything(struct lfs_daemon *d, char (*names)[LFS_NAME_MAX + 1], int n,
    uint64_t deadline_ms, int *ctl_failed)
{
	struct kill_job j;
	int i, alive;

	memset(&j, 0, sizeof(j));
	j.d = d;
	j.names = names;
	j.n = n;
	j.deadline_ms = deadline_ms;
	if (n > 0)
		j.started = pthread_create(&j.thread, NULL, kill_job_main,
		    &j) == 0;
	if (n > 0 && !j.started)
		kill_job_main(&j); /* no thread: run them here */
	alive = kill_holders(d, deadline_ms);
	if (j.started)
		pthread_join(j.thread, NULL);
	for (i = 0; i < n; i++)
		guard_check(d, lfs_guard_ctl_lease(&d->guard, names[i], 0));
	free(names);
	*ctl_failed = j.failed;
	return alive;
}

/*
 * This generation is finished: every lease held here is lost with it and
 * its holders die.  renewed_ms: the submit time of the last good renewal
 * before the gap, so that the grace ends when the guard's does, at
 * renewed + renewal_fail + kill_grace (however late we start).  The
 * generation is never used again: the renewal thread rejoins under a new
 * one once every holder is proven gone (recover_once).
 */
static void
fence(struct lfs_daemon *d, const char *why, uint64_t renewed_ms)
{
	const struct lfs_timeouts *to = &d->ls.to;
	char (*names)[LFS_NAME_MAX + 1] = NULL;
	int n, alive, ctl_failed;

	/* Here, not in the callers: the renewal thread fences too when it
	 * finds itself overdue before it tried (renew_once), and .status
	 * read "renewal: failing" all through the fencing when it won the
	 * race against the deadline thread (seen in CI). */
	if (atomic_exchange(&d->renewal, LFS_RENEWAL_LOST) != LFS_RENEWAL_LOST)
		lfs_notifyf("STATUS=renewal lost: %s; fenced", why);
	if (atomic_exchange(&d->fenced, true))
		return; /* the other thread that watches the deadline did */
	lfs_log(&d->log, LOG_CRIT, "fencing: %s (%llu ms without a good "
	    "renewal): generation %llu is finished", why,
	    (unsigned long long)(lfs_now_ms() - renewed_ms),
	    (unsigned long long)atomic_load(&d->generation));
	atomic_store(&d->fenced_ms, lfs_now_ms());
	n = lfs_hold_fence_all(d, &names);
	alive = stop_everything(d, names, n, renewed_ms + to->renewal_fail_ms +
	    to->kill_grace_ms, &ctl_failed);
	lfs_table_lock(d);
	d->fencing.ctl_unproven = ctl_failed;
	lfs_table_unlock(d);
	if (alive > 0)
		lfs_log(&d->log, LOG_CRIT, "fencing: %d holder(s) still alive",
		    alive);
	atomic_store(&d->fence_done, true);
	pthread_mutex_lock(&d->sleep_lock);
	pthread_cond_broadcast(&d->sleep_cond); /* the renewal thread */
	pthread_mutex_unlock(&d->sleep_lock);
}

static uint64_t
renewed_ms(struct lfs_daemon *d)
{
	uint64_t r;

	pthread_mutex_lock(&d->ls.view_lock);
	r = d->ls.renewed_ms;
	pthread_mutex_unlock(&d->ls.view_lock);
	return r;
}

/* One renewal; returns the time of the next attempt.  The decisions are
 * core/hostpolicy.c's (lfs_hp_overdue, lfs_hp_after_renew); this does the
 * I/O, the logging and the status around them. */
static uint64_t
renew_once(struct lfs_daemon *d)
{
	const struct lfs_timeouts *to = &d->ls.to;
	struct lfs_hp_renew_outcome o;
	uint64_t start = lfs_now_ms(), since;
	uint64_t before = renewed_ms(d), after;
	int r, prev;

	if (lfs_hp_overdue(to, before, start)) {
		/* overdue before we even tried (the thread was stopped or
		 * starved): a renewal now would come too late to count */
		fence(d, "renewal overdue", before);
		return lfs_now_ms();
	}
	pthread_mutex_lock(&d->renew_lock);
	r = lfs_delta_renew(&d->ls, &d->renew_io);
	pthread_mutex_unlock(&d->renew_lock);
	lfs_table_lock(d);
	d->renew_stats = d->renew_io.stats;
	lfs_table_unlock(d);
	after = renewed_ms(d);
	since = lfs_delta_since_renewal_ms(&d->ls);
	lfs_hp_after_renew(to, r, start, before, after, since, lfs_now_ms(), &o);
	if (o.pet_guard) {
		guard_check(d, lfs_guard_renewed(&d->guard, after));
		prev = atomic_exchange(&d->renewal, LFS_RENEWAL_OK);
		if (prev != LFS_RENEWAL_OK)
			lfs_notify("STATUS=renewal ok");
		if (prev == LFS_RENEWAL_FAILING)
			lfs_log(&d->log, LOG_NOTICE, "renewal recovered after %llu "
			    "ms without a good renewal; nothing was fenced",
			    (unsigned long long)(after - before));
		return o.next_ms;
	}
	if (o.stale) {
		lfs_log(&d->log, LOG_CRIT, "our host id %u was taken by another "
		    "host: no more lease operations", d->ls.host_id);
		atomic_store(&d->stale, true);
		atomic_store(&d->renewal, LFS_RENEWAL_LOST);
		lfs_notify("STATUS=host id taken by another host: no lease "
		    "operations until restarted");
		fence(d, o.why, before);
		return o.next_ms;
	}
	if (r < 0 && r != -ETIME)
		lfs_log(&d->log, LOG_WARNING, "renewal failed: %s (%s), %llu ms "
		    "since the last good renewal", strerrorname_np(-r) != NULL ?
		    strerrorname_np(-r) : "?", strerror(-r),
		    (unsigned long long)since);
	if (o.renewal == LFS_HP_RENEWAL_LOST &&
	    atomic_exchange(&d->renewal, LFS_RENEWAL_LOST) != LFS_RENEWAL_LOST)
		lfs_notifyf("STATUS=renewal lost: none good for %llu ms; "
		    "fenced", (unsigned long long)since);
	if (o.renewal == LFS_HP_RENEWAL_FAILING &&
	    atomic_exchange(&d->renewal, LFS_RENEWAL_FAILING) !=
	    LFS_RENEWAL_FAILING)
		lfs_notifyf("STATUS=renewal failing: %s, %llu ms since the last "
		    "good one", strerror(-r), (unsigned long long)since);
	if (o.fence)
		fence(d, o.why, before);
	return o.next_ms;
}

/*
 * Join again under a new generation (the old one is finished and every
 * holder of it is proven gone).  Our own identity takes the id at once;
 * the join writes the record, waits join_delay and reads it back.
 *
 * Timeline (io = io_timeout), c the completion of our join write:
 *   < c          another host's view may still show the old generation,
 *                silent: it judges every owner (id, any generation) dead;
 *   c + 2 io     the join returns (join_delay);
 *   c + 3 io     we renew once more and serve: a ballot of another host judges an owner from
 *                a host-area read at most hosts_fresh (1 io) older than
 *                its leader read (paxos.h, invariant 4), and a leader
 *                naming our new generation exists only after we serve, so
 *                that read started after c and shows the new record, just
 *                changed: LIVE.  The extra hosts_fresh is slack on top of
 *                join_delay's own.
 * 0, or -errno (the caller retries, or gives up on -EBUSY/-EAGAIN: the
 * id is someone else's now).
 */
static int
rejoin(struct lfs_daemon *d)
{
	struct lfs_join_params p;
	char name[LFS_HOST_NAME_MAX + 1];
	uint64_t old = atomic_load(&d->generation), ready, before, after;
	int r;

	memset(&p, 0, sizeof(p));
	p.host_id = d->opts.host_id;
	uuid_copy(p.identity, d->ls.identity);
	snprintf(name, sizeof(name), "%s", d->ls.host_name);
	p.host_name = name;
	p.min_generation = lfs_hp_rejoin_min_generation(old);
	/* a lease operation stuck: this attempt fails, recover_once tries
	 * again */
	if ((r = lfs_ops_lock_all(d)) < 0)
		return r;
	pthread_mutex_lock(&d->renew_lock);
	/* the join's I/O is renew_io's: stuck, gen_lock's takers give up
	 * (context.c) */
	r = lfs_delta_join(&d->ls, &d->renew_io, &p);
	pthread_mutex_unlock(&d->renew_lock);
	if (r == 0) {
		atomic_store(&d->generation, d->ls.generation);
		lfs_hold_forget_finished(d);
	}
	lfs_ops_unlock_all(d);
	if (r < 0)
		return r;
	/* the new generation's timeline starts at its join: the guard
	 * reopens the gates it closed for the old one (gate.h), or the
	 * renewal below could not pass; the old generation has no write
	 * inside them (the guard closed them with none, or killed us) */
	guard_check(d, lfs_guard_renewed(&d->guard, renewed_ms(d)));
	if (d->save_generation != NULL &&
	    (r = d->save_generation(d->opts.state_dir, d->ls.generation)) < 0) {
		lfs_log(&d->log, LOG_ERR, "%s/generation: %s; not serving "
		    "generation %llu", d->opts.state_dir, strerror(-r),
		    (unsigned long long)d->ls.generation);
		return -EIO;
	}
	ready = lfs_now_ms() + lfs_hp_rejoin_wait_ms(&d->ls.to);
	while (lfs_now_ms() < ready && !atomic_load(&d->threads_stop))
		lfs_sleep_ms(10);
	/* A renewal before serving: the join may itself have been stopped
	 * or starved (its write is then as old as the pause), and serving
	 * starts with a full renewal_fail ahead. */
	before = renewed_ms(d);
	pthread_mutex_lock(&d->renew_lock);
	r = lfs_delta_renew(&d->ls, &d->renew_io);
	pthread_mutex_unlock(&d->renew_lock);
	after = renewed_ms(d);
	if ((r = lfs_hp_rejoin_serve(&d->ls.to, r, before, after)) < 0) {
		lfs_log(&d->log, LOG_WARNING, "generation %llu finished before "
		    "it served: %s", (unsigned long long)d->ls.generation,
		    strerror(r == -EAGAIN ? ESTALE : -r));
		return r;
	}
	guard_check(d, lfs_guard_renewed(&d->guard, after));
	lfs_table_lock(d);
	d->fencing.ctl_unproven = 0;
	lfs_table_unlock(d);
	atomic_store(&d->renewal, LFS_RENEWAL_OK);
	atomic_store(&d->fence_done, false);
	atomic_store(&d->fenced, false);
	lfs_log(&d->log, LOG_NOTICE, "rejoined as generation %llu after "
	    "generation %llu was finished %llu ms ago; serving again",
	    (unsigned long long)d->ls.generation, (unsigned long long)old,
	    (unsigned long long)(lfs_now_ms() - atomic_load(&d->fenced_ms)));
	lfs_watch_kick(d);
	return 0;
}

/*
 * While this generation is finished: wait until no holder of it may run,
 * killing again what a rescan finds, then rejoin.  A file still open (its
 * holder survived SIGKILL, or is stuck in D state) blocks the rejoin for
 * good: the leases stay owned by the old generation on disk, and other
 * hosts take them over at host_dead (we renew no more).  A ctl lease
 * whose user was not proven stopped blocks it until host_dead after our
 * last renewal: from then on other hosts may take the lease anyway, and
 * a new generation exposes nothing more.  Returns the next attempt time.
 */
static uint64_t
recover_once(struct lfs_daemon *d)
{
	const struct lfs_timeouts *to = &d->ls.to;
	uint64_t now = lfs_now_ms();
	int files, ctl, r;

	if (atomic_load(&d->stale))
		return UINT64_MAX;
	if (!atomic_load(&d->fence_done))
		return now + 10;
	lfs_table_lock(d);
	if (d->fencing.ctl_unproven > 0 &&
	    lfs_hp_ctl_expired(to, renewed_ms(d), now)) {
		lfs_log(&d->log, LOG_WARNING, "%d ctl lease(s) of the finished "
		    "generation: host_dead has passed, other hosts may take "
		    "them now", d->fencing.ctl_unproven);
		d->fencing.ctl_unproven = 0;
	}
	files = d->fencing.fenced_fhs + d->fencing.fenced_pids;
	ctl = d->fencing.ctl_unproven;
	lfs_table_unlock(d);
	if (lfs_hp_recover(0, 1, files, ctl) != LFS_HP_RECOVER_REJOIN) {
		if (files > 0) {
			kill_holders(d, 0);  /* the grace is spent: SIGKILL */
			if (now - atomic_load(&d->fenced_ms) >= to->host_dead_ms)
				lfs_log(&d->log, LOG_CRIT, "%d lease file(s) or "
				    "process(es) of the finished generation are "
				    "still open or running: they may use their "
				    "leases; not rejoining", files);
		}
		return now + to->io_timeout_ms;
	}
	if ((r = rejoin(d)) == 0)
		return renewed_ms(d) + to->renewal_interval_ms;
	lfs_log(&d->log, LOG_ERR, "rejoining: %s", r == -EAGAIN ? "another "
	    "host joined with this id at the same time" : strerror(-r));
	if (lfs_hp_rejoin_lost_id(r)) {
		lfs_log(&d->log, LOG_CRIT, "host id %u is another host's now: "
		    "no more lease operations", d->opts.host_id);
		atomic_store(&d->stale, true);
		return UINT64_MAX;
	}
	return lfs_now_ms() + lfs_hp_renew_retry_ms(to);
}

/*
 * The deadline thread fences at renewed_ms + renewal_fail even while the
 * renewal thread is stuck in an I/O that has not timed out yet (a hung
 * device: a renewal attempt returns only after io_timeout).  Without it
 * the daemon would fence up to io_timeout late, and its holders could
 * outlive host_dead; the guard keeps the same deadline from outside.
 */
static void *
deadline_main(void *arg)
{
	struct lfs_daemon *d = arg;
	uint64_t renewed;

	while (!atomic_load(&d->threads_stop)) {
		pthread_mutex_lock(&d->ls.view_lock);
		renewed = d->ls.renewed_ms;
		pthread_mutex_unlock(&d->ls.view_lock);
		if (lfs_hp_deadline_fence(&d->ls.to, renewed, lfs_now_ms(),
		    atomic_load(&d->fenced), atomic_load(&d->stale)))
			fence(d, "renewal overdue", renewed);
		renew_sleep_until(d, lfs_hp_deadline_next(&d->ls.to, renewed,
		    lfs_now_ms()));
	}
	return NULL;
}

static void *
renew_main(void *arg)
{
	struct lfs_daemon *d = arg;
	uint64_t next;

	pthread_mutex_lock(&d->ls.view_lock);
	next = d->ls.renewed_ms + d->ls.to.renewal_interval_ms;
	pthread_mutex_unlock(&d->ls.view_lock);
	while (!atomic_load(&d->threads_stop) && next != UINT64_MAX) {
		renew_sleep_until(d, next);
		if (atomic_load(&d->threads_stop))
			break;
		next = atomic_load(&d->fenced) ? recover_once(d) :
		    renew_once(d);
	}
	return NULL;
}

/* ---- 3. signals and shutdown ---- */

/*
 * A stop would have to leave a lease held through ctl owned on disk: with
 * no kill command, nothing proves its user stopped, so the lease may not
 * be written free.  SIGTERM and SIGINT are refused then (the log names the
 * leases); SIGQUIT stops anyway and leaves them owned (other hosts take
 * them at host_dead).  1 when refused.
 */
static int
stop_refused(struct lfs_daemon *d)
{
	char (*names)[LFS_NAME_MAX + 1] = NULL, list[512];
	size_t len = 0;
	int i, n;

	if (d->opts.kill_command[0] != '\0')
		return 0;
	n = lfs_hold_ctl_names(d, &names);
	list[0] = '\0';
	for (i = 0; i < n && len + 2 < sizeof(list); i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
		    i > 0 ? " " : "", names[i]);
	free(names);
	if (n == 0)
		return 0;
	lfs_log(&d->log, LOG_WARNING, "stop refused (EBUSY): %d lease(s) held "
	    "through ctl and no kill_command to stop their users: %s; release "
	    "them, or stop with SIGQUIT to leave them owned on disk", n, list);
	return 1;
}

/*
 * The shutdown runs on a thread of its own ("lfs-stop") while the caller
 * watches it: should the shutdown itself stick in an I/O call (its own
 * release write on a device that just hung), nothing else would ever end
 * the process.  It is judged stuck as join_bounded judges a thread, by the
 * watches, but only for a call made by the shutdown thread itself; then
 * the process ends through exit_stuck, which abandons the guard (it
 * fences at once, as for a daemon that died).
 */
struct stopper {
	struct lfs_daemon *d;
	atomic_bool done;
	_Atomic pid_t tid;
};

static void *
stopper_main(void *arg)
{
	struct stopper *s = arg;

	atomic_store(&s->tid, gettid());
	lfs_daemon_shutdown(s->d);
	atomic_store(&s->done, true);
	return NULL;
}

/* 1 when thread tid is in a call of a lease context or renew_io stuck past the
 * bound by STUCK_JOIN_GRACE_MS. */
static int
tid_stuck_long(struct lfs_daemon *d, pid_t tid)
{
	uint64_t now = lfs_now_ms();

	uint32_t i;

	if (tid == 0)
		return 0;
	for (i = 0; i < d->ops.n; i++)
		if (lfs_iowatch_stuck_tid_ms(&d->ops_watch[i], tid, now) >
		    STUCK_JOIN_GRACE_MS)
			return 1;
	for (i = 0; i < d->reads.n; i++)
		if (lfs_iowatch_stuck_tid_ms(&d->reads_watch[i], tid, now) >
		    STUCK_JOIN_GRACE_MS)
			return 1;
	return lfs_iowatch_stuck_tid_ms(&d->renew_watch, tid, now) >
	    STUCK_JOIN_GRACE_MS;
}

void
lfs_daemon_stop(struct lfs_daemon *d)
{
	struct stopper s = { .d = d };
	pthread_t t;

	if (d->exit_stuck == NULL || pthread_create(&t, NULL, stopper_main,
	    &s) != 0) {
		lfs_daemon_shutdown(d); /* no watching it, then */
	} else {
		pthread_setname_np(t, "lfs-stop");
		while (!atomic_load(&s.done)) {
			if (tid_stuck_long(d, atomic_load(&s.tid))) {
				lfs_log(&d->log, LOG_CRIT, "the shutdown is stuck "
				    "in an I/O call");
				d->exit_stuck(d); /* does not return */
			}
			lfs_sleep_ms(JOIN_POLL_MS);
		}
		pthread_join(t, NULL);
	}
	/* a FUSE worker stuck in I/O would keep the loop from ever
	 * returning (it joins its workers) */
	if (lfs_daemon_io_stuck(d))
		d->exit_stuck(d);
}

static void *
signal_main(void *arg)
{
	struct lfs_daemon *d = arg;
	struct timespec ts = { 0, (long)SIGNAL_POLL_MS * 1000000L };
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	while (!atomic_load(&d->loop_done)) {
		sig = sigtimedwait(&set, NULL, &ts);
		if (sig == SIGHUP) {
			lfs_log(&d->log, LOG_INFO, "SIGHUP ignored");
		} else if ((sig == SIGTERM || sig == SIGINT) &&
		    stop_refused(d)) {
			continue;
		} else if (sig > 0) {
			lfs_log(&d->log, LOG_NOTICE, "%s: shutting down",
			    strsignal(sig));
			lfs_daemon_stop(d);
			lfs_daemon_end_loop(d);
			break;
		}
	}
	return NULL;
}


/* 1 when a lease context's (ops) or renew_io's (renew) call has been stuck past
 * its bound by STUCK_JOIN_GRACE_MS. */
static int
io_stuck_long(struct lfs_daemon *d, int ops, int renew)
{
	uint64_t now = lfs_now_ms();

	uint32_t i;

	for (i = 0; ops && i < d->ops.n; i++)
		if (lfs_iowatch_stuck_ms(&d->ops_watch[i], now) >
		    STUCK_JOIN_GRACE_MS)
			return 1;
	for (i = 0; ops && i < d->reads.n; i++)
		if (lfs_iowatch_stuck_ms(&d->reads_watch[i], now) >
		    STUCK_JOIN_GRACE_MS)
			return 1;
	return renew && lfs_iowatch_stuck_ms(&d->renew_watch, now) >
	    STUCK_JOIN_GRACE_MS;
}

/* Join t, unless it is stuck in an I/O call of the watches named (see
 * io_stuck_long): then it is left running, d->io_stuck says so (the
 * process ends through exit_stuck), and 0 is returned.  1 when joined. */
static int
join_bounded(struct lfs_daemon *d, pthread_t t, const char *name, int ops,
    int renew)
{
	while (pthread_tryjoin_np(t, NULL) == EBUSY) {
		if (io_stuck_long(d, ops, renew)) {
			atomic_store(&d->io_stuck, true);
			lfs_log(&d->log, LOG_CRIT, "the %s thread is stuck in an "
			    "I/O call: not waiting for it", name);
			return 0;
		}
		lfs_sleep_ms(JOIN_POLL_MS);
	}
	return 1;
}

static void
stop_watcher(struct lfs_daemon *d)
{
	if (!d->watch_started)
		return;
	atomic_store(&d->watcher_stop, true);
	lfs_table_lock(d);
	pthread_cond_broadcast(&d->watch_cond);
	lfs_table_unlock(d);
	join_bounded(d, d->watch_thread, "watcher", 1, 0);
	d->watch_started = 0;
}

/* Stop the renewal and deadline threads.  0 when the renewal thread is
 * stuck in an I/O call and was left running (renew_io is still its). */
static int
stop_renewal(struct lfs_daemon *d)
{
	int joined = 1;

	if (!d->renew_started)
		return !atomic_load(&d->io_stuck);
	atomic_store(&d->threads_stop, true);
	pthread_mutex_lock(&d->sleep_lock);
	pthread_cond_broadcast(&d->sleep_cond);
	pthread_mutex_unlock(&d->sleep_lock);
	/* a rejoin waits for lease operations (gen_lock) before its I/O */
	joined = join_bounded(d, d->renew_thread, "renewal", 1, 1);
	if (d->deadline_started)
		pthread_join(d->deadline_thread, NULL); /* no I/O of its own */
	d->renew_started = 0;
	d->deadline_started = 0;
	return joined;
}

/* Leave the lockspace, unless that could hurt: with a lease still ours on
 * disk (LFS_HOST_FREE promises there is none), or when renewal is so old
 * that another host may have taken our id over (our write would clobber
 * its record).  Not leaving is always safe: others wait host_dead. */
static void
leave(struct lfs_daemon *d, int all_released)
{
	int r;

	if (!lfs_hp_may_leave(&d->ls.to, atomic_load(&d->stale), all_released,
	    lfs_delta_since_renewal_ms(&d->ls))) {
		lfs_log(&d->log, LOG_WARNING, "not leaving the lockspace cleanly "
		    "(%s); other hosts will see host %u dead after %u ms",
		    atomic_load(&d->stale) ? "our host id was taken" :
		    !all_released ? "a lease could not be released" :
		    "renewal is not current", d->ls.host_id,
		    d->ls.to.host_dead_ms);
		return;
	}
	pthread_mutex_lock(&d->renew_lock);
	r = lfs_delta_leave(&d->ls, &d->renew_io);
	pthread_mutex_unlock(&d->renew_lock);
	if (r < 0)
		lfs_log(&d->log, LOG_ERR, "leaving the lockspace: %s",
		    strerror(-r));
}

void
lfs_daemon_shutdown(struct lfs_daemon *d)
{
	const struct lfs_timeouts *to = &d->ls.to;
	char (*names)[LFS_NAME_MAX + 1] = NULL;
	int n, r, alive = 0, ctl_failed = 0, keep_ctl;

	pthread_mutex_lock(&d->shutdown_lock);
	if (d->shutdown_done) {
		pthread_mutex_unlock(&d->shutdown_lock);
		return;
	}
	if (!atomic_exchange(&d->stopping, true))
		lfs_notify("STOPPING=1\nSTATUS=stopping: releasing leases");
	lfs_hold_close_opens(d);
	lfs_waiters_fail_all(d, EIO);
	stop_watcher(d);
	/* Holders die first (the users of ctl-held leases through the kill
	 * command); their files close and are released through the still
	 * running FUSE loop, which releases their leases: only a lease whose
	 * holders are gone is ever written free. */
	n = lfs_hold_ctl_names(d, &names);
	/* with no kill command, kill_job_main counts every ctl lease as
	 * failed: unproven, so kept (SIGQUIT, an unmount; SIGTERM refused) */
	alive = stop_everything(d, names, n, lfs_now_ms() + to->kill_grace_ms,
	    &ctl_failed);
	keep_ctl = ctl_failed > 0;
	lfs_hold_wait_files(d, to->host_dead_ms - to->renewal_fail_ms -
	    to->kill_grace_ms);
	r = lfs_hold_release_all(d, keep_ctl);
	/* the name table's lease, if a mkdir left it held (the watcher that
	 * would have given it up is stopped) */
	if (lfs_ops_lock(d, 0) < 0) {
		r = -EIO; /* stuck: it stays ours until host_dead */
	} else {
		if (lfs_leases_linger_end(&d->ls, lfs_ops_io(d, 0), 1) < 0 &&
		    r == 0)
			r = -EIO;
		lfs_ops_unlock(d, 0);
	}
	/* a renewal thread stuck in its I/O keeps renew_io, and with I/O
	 * stuck our last write would only stick too: no leave then (others
	 * see us dead at host_dead) */
	if (stop_renewal(d) && !lfs_daemon_io_stuck(d))
		leave(d, r == 0);
	if (d->guard.pid > 0 && (alive > 0 || r < 0)) {
		/* a holder may still run: the guard keeps fencing (it sees
		 * the daemon die) and the watchdog stays armed */
		lfs_log(&d->log, LOG_CRIT, "stopping with lease holders that "
		    "may still run: the guard fences on");
		lfs_guard_abandon(&d->guard);
	} else if (d->guard.pid > 0 && (r = lfs_guard_stop(&d->guard)) < 0)
		lfs_log(&d->log, LOG_ERR, "stopping the guard: %s", strerror(-r));
	d->shutdown_done = 1;
	pthread_mutex_unlock(&d->shutdown_lock);
}

int
lfs_daemon_io_stuck(struct lfs_daemon *d)
{
	if (io_stuck_long(d, 1, 1))
		atomic_store(&d->io_stuck, true);
	return atomic_load(&d->io_stuck) && d->exit_stuck != NULL;
}

void
lfs_daemon_end_loop(struct lfs_daemon *d)
{
	fuse_session_exit(d->se);
	while (!atomic_load(&d->loop_done)) {
		/* lfs_daemon_stop looked once; an I/O call that was stuck for
		 * less than its bound then (a FUSE worker's read begun a moment
		 * before the stop) keeps the loop from returning just as well:
		 * the same way out once it is past the bound */
		if (lfs_daemon_io_stuck(d))
			d->exit_stuck(d);
		pthread_kill(d->main_thread, SIGUSR1);
		lfs_sleep_ms(END_LOOP_KICK_MS);
	}
}

/* ---- 4. threads ---- */

int
lfs_daemon_start_threads(struct lfs_daemon *d)
{
	int r;

	/* first: a lease operation may begin to watch a process as soon as
	 * FUSE serves (cmd_mount.c starts the threads before the loop) */
	if ((r = -lfs_pidwatch_start(&d->pidwatch, lfs_pid_exited, d)) != 0)
		return -r;
	if ((r = pthread_create(&d->renew_thread, NULL, renew_main, d)) != 0)
		goto fail;
	d->renew_started = 1;
	if ((r = pthread_create(&d->deadline_thread, NULL, deadline_main,
	    d)) != 0)
		goto fail;
	d->deadline_started = 1;
	if ((r = pthread_create(&d->watch_thread, NULL, lfs_watcher_main, d)) != 0)
		goto fail;
	d->watch_started = 1;
	if ((r = pthread_create(&d->signal_thread, NULL, signal_main, d)) != 0)
		goto fail;
	d->signal_started = 1;
	/* names for ps -L and /proc/PID/task/TID/comm (at most 15 chars);
	 * the FUSE workers keep the program's */
	pthread_setname_np(d->renew_thread, "lfs-renew");
	pthread_setname_np(d->deadline_thread, "lfs-deadline");
	pthread_setname_np(d->watch_thread, "lfs-watch");
	pthread_setname_np(d->signal_thread, "lfs-signal");
	return 0;
fail:
	stop_watcher(d);
	stop_renewal(d);
	lfs_pidwatch_stop(&d->pidwatch);
	return -r;
}

void
lfs_daemon_join_threads(struct lfs_daemon *d)
{
	atomic_store(&d->loop_done, true);
	if (d->signal_started) {
		pthread_join(d->signal_thread, NULL);
		d->signal_started = 0;
	}
	stop_watcher(d);
	stop_renewal(d);
	lfs_pidwatch_stop(&d->pidwatch);
}
