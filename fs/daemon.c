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
 * Signals: SIGTERM, SIGINT and SIGHUP are blocked in every thread (cmd_mount
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

#include "daemon.h"

/* Holders fenced per /proc scan; a larger count is rescanned. */
/* How often the signal thread checks whether it should end, in ms. */
#define SIGNAL_POLL_MS 200u
/* Interval of SIGUSR1 sent to the main thread until the loop returns, in
 * ms: the first one may land before the loop starts waiting. */
#define END_LOOP_KICK_MS 50u

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

uint32_t
lfs_retry_ms(const struct lfs_daemon *d)
{
	uint32_t r = d->ls.to.io_timeout_ms / 20;

	return r > LFS_RETRY_MIN_MS ? r : LFS_RETRY_MIN_MS;
}

void
lfs_ops_lock(struct lfs_daemon *d)
{
	pthread_mutex_lock(&d->ops_lock);
}

void
lfs_ops_unlock(struct lfs_daemon *d)
{
	struct lfs_io_stats s = d->ops_io.stats;

	pthread_mutex_unlock(&d->ops_lock);
	pthread_mutex_lock(&d->table_lock);
	d->ops_stats = s;
	pthread_mutex_unlock(&d->table_lock);
}

int
lfs_daemon_refuse(struct lfs_daemon *d, const char *what)
{
	const char *why = NULL;

	if (atomic_load(&d->stopping))
		why = "the daemon is stopping";
	else if (atomic_load(&d->stale))
		why = "this host lost its host id";
	else if (atomic_load(&d->fenced))
		why = "renewal failed; leases are fenced";
	else if (lfs_delta_since_renewal_ms(&d->ls) >= d->ls.to.renewal_fail_ms)
		why = "renewal is overdue";
	if (why == NULL)
		return 0;
	lfs_log(&d->log, LOG_WARNING, "%s refused: %s", what, why);
	return -EIO;
}

int
lfs_daemon_init_sync(struct lfs_daemon *d)
{
	pthread_condattr_t ca;
	int r;

	if ((r = pthread_condattr_init(&ca)) != 0)
		return -r;
	/* timed waits are computed on CLOCK_MONOTONIC, like lfs_now_ms() */
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&d->renew_lock, NULL);
	pthread_mutex_init(&d->ops_lock, NULL);
	pthread_mutex_init(&d->table_lock, NULL);
	pthread_mutex_init(&d->shutdown_lock, NULL);
	pthread_mutex_init(&d->sleep_lock, NULL);
	pthread_cond_init(&d->watch_cond, &ca);
	pthread_cond_init(&d->sleep_cond, &ca);
	pthread_condattr_destroy(&ca);
	return 0;
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
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ns = (uint64_t)ts.tv_nsec + (when_ms - now) * 1000000ull;
		ts.tv_sec += (time_t)(ns / 1000000000ull);
		ts.tv_nsec = (long)(ns % 1000000000ull);
		pthread_cond_timedwait(&d->sleep_cond, &d->sleep_lock, &ts);
	}
	pthread_mutex_unlock(&d->sleep_lock);
}

/* Kill every local holder under the mount point (fence.h). */
static void
kill_holders(struct lfs_daemon *d)
{
	const struct lfs_timeouts *to = &d->ls.to;
	uint32_t settle = to->host_dead_ms - to->renewal_fail_ms -
	    to->kill_grace_ms;
	struct lfs_holder *h;
	int n, pass;

	h = malloc(FENCE_MAX_HOLDERS * sizeof(*h));
	if (h == NULL)
		return;
	for (pass = 0; pass < 4; pass++) {
		n = lfs_fence_find(d->mountpoint, NULL, h, FENCE_MAX_HOLDERS);
		if (n < 0)
			lfs_log(&d->log, LOG_ERR, "finding lease holders: %s",
			    strerror(-n));
		if (n <= 0)
			break;
		if (lfs_fence_kill(h, n < FENCE_MAX_HOLDERS ? n :
		    FENCE_MAX_HOLDERS, to->kill_grace_ms, settle, &d->log) > 0)
			lfs_log(&d->log, LOG_CRIT, "some lease holders survived "
			    "SIGKILL");
		if (n <= FENCE_MAX_HOLDERS)
			break; /* else: more than one batch, look again */
	}
	free(h);
}

/*
 * The kill command of leases held through ctl (no process holds them) runs
 * beside the killing of the holders, not after it: both must be done
 * within kill_grace + kill_settle of the start of fencing, the time left
 * before other hosts may take the leases (timeouts.h).  Each command gets
 * what is left of kill_grace from the start.
 */
struct kill_job {
	struct lfs_daemon *d;
	char (*names)[LFS_NAME_MAX + 1];
	int n;
	uint64_t deadline_ms;
	pthread_t thread;
	int started;
};

static void *
kill_job_main(void *arg)
{
	struct kill_job *j = arg;
	uint64_t now;
	int i;

	for (i = 0; i < j->n; i++) {
		now = lfs_now_ms();
		if (now >= j->deadline_ms) {
			lfs_log(&j->d->log, LOG_ERR, "%s: no time left for the "
			    "kill command", j->names[i]);
			continue;
		}
		lfs_fence_run_command(j->d->opts.kill_command, j->names[i],
		    (uint32_t)(j->deadline_ms - now), &j->d->log);
	}
	return NULL;
}

static void
kill_job_start(struct lfs_daemon *d, struct kill_job *j,
    char (*names)[LFS_NAME_MAX + 1], int n)
{
	memset(j, 0, sizeof(*j));
	j->d = d;
	j->names = names;
	j->n = n;
	j->deadline_ms = lfs_now_ms() + d->ls.to.kill_grace_ms;
	if (n > 0 && d->opts.kill_command[0] != '\0')
		j->started = pthread_create(&j->thread, NULL, kill_job_main,
		    j) == 0;
	if (n > 0 && d->opts.kill_command[0] != '\0' && !j->started)
		kill_job_main(j); /* no thread: run them here */
}

static void
kill_job_finish(struct kill_job *j)
{
	int i;

	if (j->started)
		pthread_join(j->thread, NULL);
	for (i = 0; i < j->n; i++)
		lfs_guard_ctl_lease(&j->d->guard, j->names[i], 0);
	free(j->names);
}

/* Fence: every lease held here is lost, its holders die.  gap_ms: time
 * without a good renewal that led here. */
static void
fence(struct lfs_daemon *d, const char *why, uint64_t gap_ms)
{
	char (*names)[LFS_NAME_MAX + 1] = NULL;
	struct kill_job job;
	int n;

	if (atomic_exchange(&d->fenced, true))
		return; /* the other thread that watches the deadline did */
	lfs_log(&d->log, LOG_CRIT, "fencing: %s (%llu ms without a good "
	    "renewal)", why, (unsigned long long)gap_ms);
	atomic_store(&d->fenced_ms, lfs_now_ms());
	n = lfs_hold_mark_lost(d, &names);
	kill_job_start(d, &job, names, n);
	kill_holders(d);
	kill_job_finish(&job);
}

/* One renewal; returns the time of the next attempt. */
static uint64_t
renew_once(struct lfs_daemon *d)
{
	const struct lfs_timeouts *to = &d->ls.to;
	uint64_t start = lfs_now_ms(), since, retry;
	uint64_t gap = lfs_delta_since_renewal_ms(&d->ls);
	int r;

	pthread_mutex_lock(&d->renew_lock);
	r = lfs_delta_renew(&d->ls, &d->renew_io);
	pthread_mutex_unlock(&d->renew_lock);
	pthread_mutex_lock(&d->table_lock);
	d->renew_stats = d->renew_io.stats;
	pthread_mutex_unlock(&d->table_lock);
	if (r == 0 && gap >= to->renewal_fail_ms && !atomic_load(&d->fenced)) {
		/* The whole daemon was stopped or starved past renewal_fail
		 * (SIGSTOP, swap): the guard has fenced meanwhile and other
		 * hosts may have taken our leases.  Nothing held may be
		 * trusted; the watcher releases what is still ours. */
		fence(d, "a renewal came too late (daemon paused?)", gap);
	}
	if (r == 0) {
		pthread_mutex_lock(&d->ls.view_lock);
		since = d->ls.renewed_ms;
		pthread_mutex_unlock(&d->ls.view_lock);
		lfs_guard_renewed(&d->guard, since);
		if (atomic_exchange(&d->renewal, LFS_RENEWAL_OK) ==
		    LFS_RENEWAL_FAILING)
			lfs_log(&d->log, LOG_NOTICE, "renewal recovered after %llu "
			    "ms without a good renewal; nothing was fenced",
			    (unsigned long long)gap);
		if (atomic_exchange(&d->fenced, false)) {
			lfs_log(&d->log, LOG_NOTICE, "renewal recovered after "
			    "%llu ms", (unsigned long long)(lfs_now_ms() -
			    atomic_load(&d->fenced_ms)));
			lfs_watch_kick(d); /* releases the lost leases */
		}
		return start + to->renewal_interval_ms;
	}
	since = lfs_delta_since_renewal_ms(&d->ls);
	if (r == -ESTALE) {
		lfs_log(&d->log, LOG_CRIT, "our host id %u was taken by another "
		    "host: no more lease operations", d->ls.host_id);
		atomic_store(&d->stale, true);
		atomic_store(&d->renewal, LFS_RENEWAL_LOST);
		fence(d, "host id lost", since);
		return UINT64_MAX;
	}
	lfs_log(&d->log, LOG_WARNING, "renewal failed: %s (%s), %llu ms since "
	    "the last good renewal", strerrorname_np(-r) != NULL ?
	    strerrorname_np(-r) : "?", strerror(-r), (unsigned long long)since);
	if (since >= to->renewal_fail_ms) {
		atomic_store(&d->renewal, LFS_RENEWAL_LOST);
		if (!atomic_load(&d->fenced))
			fence(d, "renewal failed", since);
	} else {
		atomic_store(&d->renewal, LFS_RENEWAL_FAILING);
	}
	/* retry soon: a quarter io_timeout leaves several attempts before
	 * renewal_fail without hammering a sick device */
	retry = to->io_timeout_ms / 4;
	return lfs_now_ms() + (retry > 10 ? retry : 10);
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
	uint64_t renewed, due;

	while (!atomic_load(&d->threads_stop)) {
		pthread_mutex_lock(&d->ls.view_lock);
		renewed = d->ls.renewed_ms;
		pthread_mutex_unlock(&d->ls.view_lock);
		due = renewed + d->ls.to.renewal_fail_ms;
		if (lfs_now_ms() >= due && !atomic_load(&d->fenced) &&
		    !atomic_load(&d->stale)) {
			atomic_store(&d->renewal, LFS_RENEWAL_LOST);
			fence(d, "renewal overdue", lfs_now_ms() - renewed);
		}
		/* wake at the deadline, or every io_timeout to see renewals */
		renew_sleep_until(d, lfs_now_ms() >= due ? lfs_now_ms() +
		    d->ls.to.io_timeout_ms : due);
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
		next = renew_once(d);
	}
	return NULL;
}

/* ---- 3. signals and shutdown ---- */

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
	while (!atomic_load(&d->loop_done)) {
		sig = sigtimedwait(&set, NULL, &ts);
		if (sig == SIGHUP) {
			lfs_log(&d->log, LOG_INFO, "SIGHUP ignored");
		} else if (sig > 0) {
			lfs_log(&d->log, LOG_NOTICE, "%s: shutting down",
			    strsignal(sig));
			lfs_daemon_shutdown(d);
			lfs_daemon_end_loop(d);
			break;
		}
	}
	return NULL;
}

static void
stop_watcher(struct lfs_daemon *d)
{
	if (!d->watch_started)
		return;
	atomic_store(&d->watcher_stop, true);
	pthread_mutex_lock(&d->table_lock);
	pthread_cond_broadcast(&d->watch_cond);
	pthread_mutex_unlock(&d->table_lock);
	pthread_join(d->watch_thread, NULL);
	d->watch_started = 0;
}

static void
stop_renewal(struct lfs_daemon *d)
{
	if (!d->renew_started)
		return;
	atomic_store(&d->threads_stop, true);
	pthread_mutex_lock(&d->sleep_lock);
	pthread_cond_broadcast(&d->sleep_cond);
	pthread_mutex_unlock(&d->sleep_lock);
	pthread_join(d->renew_thread, NULL);
	if (d->deadline_started)
		pthread_join(d->deadline_thread, NULL);
	d->renew_started = 0;
	d->deadline_started = 0;
}

/* Leave the lockspace, unless that could hurt: with a lease still ours on
 * disk (LFS_HOST_FREE promises there is none), or when renewal is so old
 * that another host may have taken our id over (our write would clobber
 * its record).  Not leaving is always safe: others wait host_dead. */
static void
leave(struct lfs_daemon *d, int all_released)
{
	int r;

	if (atomic_load(&d->stale) || !all_released ||
	    lfs_delta_since_renewal_ms(&d->ls) >= d->ls.to.renewal_fail_ms) {
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
	char (*names)[LFS_NAME_MAX + 1] = NULL;
	struct kill_job job;
	int n, r;

	pthread_mutex_lock(&d->shutdown_lock);
	if (d->shutdown_done) {
		pthread_mutex_unlock(&d->shutdown_lock);
		return;
	}
	atomic_store(&d->stopping, true);
	lfs_waiters_fail_all(d, EIO);
	stop_watcher(d);
	/* Holders die first (the users of ctl-held leases through the kill
	 * command); their files close and are released through the still
	 * running FUSE loop. */
	n = lfs_hold_ctl_names(d, &names);
	kill_job_start(d, &job, names, n);
	kill_holders(d);
	kill_job_finish(&job);
	r = lfs_hold_release_all(d);
	stop_renewal(d);
	leave(d, r == 0);
	if (d->guard.pid > 0 && (r = lfs_guard_stop(&d->guard)) < 0)
		lfs_log(&d->log, LOG_ERR, "stopping the guard: %s", strerror(-r));
	d->shutdown_done = 1;
	pthread_mutex_unlock(&d->shutdown_lock);
}

void
lfs_daemon_end_loop(struct lfs_daemon *d)
{
	fuse_session_exit(d->se);
	while (!atomic_load(&d->loop_done)) {
		pthread_kill(d->main_thread, SIGUSR1);
		lfs_sleep_ms(END_LOOP_KICK_MS);
	}
}

/* ---- 4. threads ---- */

int
lfs_daemon_start_threads(struct lfs_daemon *d)
{
	int r;

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
	return 0;
fail:
	stop_watcher(d);
	stop_renewal(d);
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
}
