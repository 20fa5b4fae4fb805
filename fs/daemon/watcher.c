/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * watcher.c - the watcher thread, and the deferred replies of blocked opens.
 *
 * Sections:
 *   1. blocked `lock` opens: queueing, interrupts, replies
 *   2. poll handles
 *   3. the thread: what is due when, one pass over the table
 *
 * A blocking open of `lock` never holds a FUSE worker thread: the open is
 * queued as a struct lfs_waiter and answered from here when the lease is
 * won (or EINTR when the kernel interrupts the open, EIO at shutdown).
 *
 * Interrupts and replies race, and libfuse calls the interrupt callback
 * with the request's own lock held (and, when the request was interrupted
 * before the callback was installed, from inside fuse_req_interrupt_func).
 * So the callback only marks the waiter and wakes the watcher, and finds
 * it by request pointer through the lease, which outlives everything; a
 * waiter is answered only by the thread that unlinked it, and never while
 * its callback is being installed (`registering`) or while an acquire for
 * it is under way (`busy`).
 *
 * The thread sleeps on watch_cond while nothing is pending.  Work and its
 * period:
 *   retry    every lfs_retry_ms(): head waiter of each lease tries once;
 *            lost leases are released once renewal allows
 *   request  every LFS_REQUEST_POLL_MS while a request of ours is pending,
 *            or a handover of ours is armed (its claim is awaited: a VM's
 *            migration downtime includes this wait)
 *   poll     every LFS_POLL_CHECK_MS while owner/state files are polled
 *   linger   when the name table's lease, kept after a mkdir or rmdir, is
 *            due to be given up (lfs_leases_linger_due(); a mkdir signals
 *            watch_cond without a kick, so no pass over the leases)
 * A kick (a lease was released here, a request written, an interrupt)
 * runs every kind of work at once.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon.h"

enum {
	DUE_RETRY = 1,
	DUE_REQUEST = 2,
	DUE_POLL = 4,
	DUE_INTR = 8,
	DUE_LINGER = 16,
};

/* ---- 1. blocked lock opens ---- */

/* FUSE_INTERRUPT for a queued open.  See the top of the file. */
static void
waiter_interrupted(fuse_req_t req, void *data)
{
	struct lfs_dlease *l = data;
	struct lfs_daemon *d = l->d;
	struct lfs_waiter *w;

	pthread_mutex_lock(&d->table_lock);
	for (w = l->waiters; w != NULL; w = w->next)
		if (w->req == req) {
			w->interrupted = 1;
			lfs_watch_kick_locked(d);
		}
	pthread_mutex_unlock(&d->table_lock);
}

static void
unlink_waiter_locked(struct lfs_dlease *l, struct lfs_waiter *w)
{
	struct lfs_waiter **pp;

	for (pp = &l->waiters; *pp != NULL; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			return;
		}
}

int
lfs_waiter_defer(struct lfs_daemon *d, struct lfs_dlease *l, fuse_req_t req,
    const struct fuse_file_info *fi, struct lfs_fh *fh)
{
	struct lfs_waiter *w, **pp;
	int closed;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -ENOMEM;
	w->req = req;
	w->fi = *fi;
	w->fh = fh;
	w->registering = 1;
	pthread_mutex_lock(&d->table_lock);
	closed = d->waiters_closed;
	if (!closed) {
		for (pp = &l->waiters; *pp != NULL; pp = &(*pp)->next)
			;
		*pp = w;
	}
	pthread_mutex_unlock(&d->table_lock);
	if (closed) {
		free(w);
		return -EIO;
	}
	/* Outside table_lock: this may call waiter_interrupted at once. */
	fuse_req_interrupt_func(req, waiter_interrupted, l);
	pthread_mutex_lock(&d->table_lock);
	w->registering = 0;
	closed = d->waiters_closed;
	if (closed)
		unlink_waiter_locked(l, w);
	else
		lfs_watch_kick_locked(d);
	pthread_mutex_unlock(&d->table_lock);
	if (closed) {
		free(w);
		return -EIO;
	}
	return 0;
}

void
lfs_reply_open(struct lfs_daemon *d, fuse_req_t req,
    const struct fuse_file_info *fi, struct lfs_fh *fh)
{
	int hold = fh->kind == LFS_K_LOCK || fh->kind == LFS_K_INCOMING;
	int r;

	/* Once fencing or shutdown began no lease file may reach a process:
	 * the scan for holders could miss it. */
	if (hold && lfs_hold_reply_begin(d) < 0) {
		lfs_log(&d->log, LOG_WARNING, "%s: open refused: fencing or "
		    "shutdown began", fh->lease->name);
		lfs_hold_close(d, fh);
		lfs_fh_free(d, fh);
		fuse_reply_err(req, EIO);
		return;
	}
	r = fuse_reply_open(req, fi);
	if (hold)
		lfs_hold_reply_end(d);
	/* -ENOENT: the opener is gone (interrupted, killed) and the kernel
	 * will never send a release for this handle: undo the open here. */
	if (r != -ENOENT)
		return;
	lfs_log(&d->log, LOG_INFO, "%s: opener gone before the reply; closing",
	    fh->lease != NULL ? fh->lease->name : "-");
	if (fh->kind == LFS_K_LOCK || fh->kind == LFS_K_INCOMING)
		lfs_hold_close(d, fh);
	lfs_fh_free(d, fh);
}

/* Answer interrupted waiters of l with EINTR. */
static void
watch_interrupts(struct lfs_daemon *d, struct lfs_dlease *l)
{
	struct lfs_waiter *w, *next, *done = NULL;

	pthread_mutex_lock(&d->table_lock);
	for (w = l->waiters; w != NULL; w = next) {
		next = w->next;
		if (!w->interrupted || w->busy || w->registering)
			continue;
		unlink_waiter_locked(l, w);
		w->next = done;
		done = w;
	}
	pthread_mutex_unlock(&d->table_lock);
	for (w = done; w != NULL; w = next) {
		next = w->next;
		lfs_log(&d->log, LOG_INFO, "%s: blocked lock open interrupted",
		    l->name);
		fuse_reply_err(w->req, EINTR);
		lfs_fh_free(d, w->fh);
		free(w);
	}
}

/* One acquire attempt for the first waiter of l. */
static void
watch_waiter(struct lfs_daemon *d, struct lfs_dlease *l)
{
	struct lfs_waiter *w;
	int r, intr;

	pthread_mutex_lock(&d->table_lock);
	w = l->waiters;
	if (w == NULL || w->registering || w->interrupted || l->held ||
	    l->req_how != LFS_HOW_NONE) {
		pthread_mutex_unlock(&d->table_lock);
		return;
	}
	w->busy = 1;
	pthread_mutex_unlock(&d->table_lock);
	r = lfs_hold_lock(d, l, w->fh, 1);
	pthread_mutex_lock(&d->table_lock);
	w->busy = 0;
	intr = w->interrupted;
	if (r == -EWOULDBLOCK) {
		if (intr)
			lfs_watch_kick_locked(d);
		pthread_mutex_unlock(&d->table_lock);
		return;
	}
	unlink_waiter_locked(l, w);
	pthread_mutex_unlock(&d->table_lock);
	if (r == 0 && intr) {
		/* won and interrupted at once: the opener gets EINTR and
		 * must not be left holding anything */
		lfs_log(&d->log, LOG_INFO, "%s: acquired for an interrupted "
		    "open; releasing", l->name);
		lfs_hold_close(d, w->fh);
		r = -EINTR;
	}
	if (r == 0) {
		lfs_reply_open(d, w->req, &w->fi, w->fh);
	} else {
		fuse_reply_err(w->req, -r);
		lfs_fh_free(d, w->fh);
	}
	free(w);
}

void
lfs_waiters_fail_all(struct lfs_daemon *d, int err)
{
	struct lfs_waiter *w, *next, *done = NULL;
	struct lfs_dlease *l;

	pthread_mutex_lock(&d->table_lock);
	d->waiters_closed = 1;
	for (l = d->leases; l != NULL; l = l->next)
		for (w = l->waiters; w != NULL; w = next) {
			next = w->next;
			/* busy: the watcher answers it; registering: the
			 * opener sees waiters_closed and answers itself */
			if (w->busy || w->registering)
				continue;
			unlink_waiter_locked(l, w);
			w->next = done;
			done = w;
		}
	pthread_mutex_unlock(&d->table_lock);
	for (w = done; w != NULL; w = next) {
		next = w->next;
		fuse_reply_err(w->req, err);
		lfs_fh_free(d, w->fh);
		free(w);
	}
}

/* ---- 2. poll handles ---- */

void
lfs_poll_register(struct lfs_daemon *d, struct lfs_fh *fh,
    struct fuse_pollhandle *ph)
{
	struct fuse_pollhandle *old;
	struct lfs_dlease *l = fh->lease;

	pthread_mutex_lock(&d->table_lock);
	old = fh->ph;
	fh->ph = ph;
	if (!fh->polling) {
		fh->poll_next = l->pollers;
		l->pollers = fh;
		fh->polling = 1;
	}
	pthread_cond_signal(&d->watch_cond);
	pthread_mutex_unlock(&d->table_lock);
	if (old != NULL)
		fuse_pollhandle_destroy(old);
}

void
lfs_poll_unregister_locked(struct lfs_fh *fh)
{
	struct lfs_fh **pp;

	if (fh->polling) {
		for (pp = &fh->lease->pollers; *pp != NULL; pp = &(*pp)->poll_next)
			if (*pp == fh) {
				*pp = fh->poll_next;
				break;
			}
		fh->polling = 0;
	}
	if (fh->ph != NULL) {
		fuse_pollhandle_destroy(fh->ph);
		fh->ph = NULL;
	}
}

static int
is_text_poller(const struct lfs_fh *fh)
{
	return fh->ph != NULL &&
	    (fh->kind == LFS_K_OWNER || fh->kind == LFS_K_STATE);
}

/* Re-read l for its polled owner/state files; wake those that changed. */
static void
watch_pollers(struct lfs_daemon *d, struct lfs_dlease *l)
{
	struct fuse_pollhandle *wake[64];
	int n = 0, any = 0, want_req = 0;
	struct lfs_snap s;
	struct lfs_fh *fh;

	pthread_mutex_lock(&d->table_lock);
	for (fh = l->pollers; fh != NULL; fh = fh->poll_next)
		if (is_text_poller(fh)) {
			any = 1;
			want_req |= fh->kind == LFS_K_STATE;
		}
	pthread_mutex_unlock(&d->table_lock);
	if (!any)
		return;
	lfs_snap_read(d, l, want_req, &s);
	pthread_mutex_lock(&d->table_lock);
	for (fh = l->pollers; fh != NULL && n < 64; fh = fh->poll_next)
		if (is_text_poller(fh) && !lfs_snap_equal(&fh->snap, &s, fh->kind))
			wake[n++] = lfs_fh_take_ph(fh);
	pthread_mutex_unlock(&d->table_lock);
	while (n > 0)
		lfs_notify_ph(wake[--n]); /* the kernel polls again */
}

/* ---- 3. the thread ---- */

void
lfs_watch_kick_locked(struct lfs_daemon *d)
{
	d->watch_kick = 1;
	pthread_cond_signal(&d->watch_cond);
}

void
lfs_watch_kick(struct lfs_daemon *d)
{
	pthread_mutex_lock(&d->table_lock);
	lfs_watch_kick_locked(d);
	pthread_mutex_unlock(&d->table_lock);
}

void
lfs_watch_linger(struct lfs_daemon *d, int kept_before)
{
	if (kept_before || lfs_leases_linger_due(&d->ls) == UINT64_MAX)
		return; /* the watcher already wakes for it, or nothing kept */
	pthread_mutex_lock(&d->table_lock);
	pthread_cond_signal(&d->watch_cond);
	pthread_mutex_unlock(&d->table_lock);
}

/* Which kinds of work exist now.  table_lock held. */
static unsigned
work_locked(struct lfs_daemon *d)
{
	unsigned kinds = 0;
	struct lfs_dlease *l;
	struct lfs_waiter *w;
	struct lfs_fh *fh;

	for (l = d->leases; l != NULL; l = l->next) {
		for (w = l->waiters; w != NULL; w = w->next) {
			if (w->registering || w->busy)
				continue;
			kinds |= DUE_RETRY;
			if (w->interrupted)
				kinds |= DUE_INTR;
		}
		if (lfs_hold_release_due_locked(l) || l->unsettled)
			kinds |= DUE_RETRY;
		if ((l->req_how != LFS_HOW_NONE && !l->held) ||
		    (l->handover_to != 0 && l->held && !l->lost))
			kinds |= DUE_REQUEST;
		for (fh = l->pollers; fh != NULL; fh = fh->poll_next)
			if (is_text_poller(fh))
				kinds |= DUE_POLL;
	}
	return kinds;
}

static void
watch_pass(struct lfs_daemon *d, unsigned due, uint64_t now)
{
	struct lfs_dlease *l;
	int lost, requested, unsettled, armed;

	pthread_mutex_lock(&d->table_lock);
	l = d->leases;
	pthread_mutex_unlock(&d->table_lock);
	/* next pointers never change once published (daemon.h) */
	for (; l != NULL && !atomic_load(&d->watcher_stop); l = l->next) {
		watch_interrupts(d, l);
		if (due & DUE_RETRY) {
			watch_waiter(d, l);
			pthread_mutex_lock(&d->table_lock);
			lost = lfs_hold_release_due_locked(l);
			unsettled = l->unsettled && l->waiters == NULL;
			pthread_mutex_unlock(&d->table_lock);
			if (lost)
				lfs_hold_release_lost(d, l);
			if (unsettled)
				lfs_hold_settle(d, l);
		}
		requested = armed = 0;
		if (due & DUE_REQUEST) {
			pthread_mutex_lock(&d->table_lock);
			requested = l->req_how != LFS_HOW_NONE && !l->held;
			armed = l->handover_to != 0 && l->held && !l->lost;
			pthread_mutex_unlock(&d->table_lock);
		}
		if (armed)
			lfs_hold_check_handover(d, l);
		if (requested) {
			/* a lease we asked for: its pollers (a script waiting
			 * for the handover) learn of the arrival at once */
			lfs_hold_check_request(d, l, now);
			watch_pollers(d, l);
		} else if (due & DUE_POLL)
			watch_pollers(d, l);
	}
}

static void
wait_until_locked(struct lfs_daemon *d, uint64_t when_ms)
{
	struct timespec ts;
	uint64_t ns, now, rel;

	if (when_ms == UINT64_MAX) {
		pthread_cond_wait(&d->watch_cond, &d->table_lock);
		return;
	}
	/* watch_cond runs on CLOCK_MONOTONIC, lfs_now_ms() on CLOCK_BOOTTIME:
	 * a relative wait, at most a slice (the caller loops) */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = lfs_now_ms();
	rel = when_ms > now ? when_ms - now : 0;
	if (rel > LFS_SLEEP_SLICE_MS)
		rel = LFS_SLEEP_SLICE_MS;
	ns = (uint64_t)ts.tv_nsec + rel * 1000000ull;
	ts.tv_sec += (time_t)(ns / 1000000000ull);
	ts.tv_nsec = (long)(ns % 1000000000ull);
	pthread_cond_timedwait(&d->watch_cond, &d->table_lock, &ts);
}

/* Next time of each kind of work, in monotonic ms. */
struct watch_times {
	uint64_t retry, request, poll;
};

/* What is due now, or 0 with *wake_ms the time to wake up. */
static unsigned
due_locked(struct lfs_daemon *d, const struct watch_times *t, uint64_t now,
    uint64_t *wake_ms)
{
	unsigned kinds = work_locked(d), due = 0;

	if (d->watch_kick) {
		d->watch_kick = 0;
		return kinds | DUE_INTR;
	}
	*wake_ms = UINT64_MAX;
	if (kinds & DUE_INTR)
		due |= DUE_INTR;
	if ((kinds & DUE_RETRY) && now >= t->retry)
		due |= DUE_RETRY;
	if ((kinds & DUE_REQUEST) && now >= t->request)
		due |= DUE_REQUEST;
	if ((kinds & DUE_POLL) && now >= t->poll)
		due |= DUE_POLL;
	if (kinds & DUE_RETRY && t->retry < *wake_ms)
		*wake_ms = t->retry;
	if (kinds & DUE_REQUEST && t->request < *wake_ms)
		*wake_ms = t->request;
	if (kinds & DUE_POLL && t->poll < *wake_ms)
		*wake_ms = t->poll;
	if (lfs_leases_linger_due(&d->ls) <= now)
		due |= DUE_LINGER;
	else if (lfs_leases_linger_due(&d->ls) < *wake_ms)
		*wake_ms = lfs_leases_linger_due(&d->ls);
	return due;
}

void *
lfs_watcher_main(void *arg)
{
	struct lfs_daemon *d = arg;
	struct watch_times t = { 0, 0, 0 };
	uint64_t now, wake;
	unsigned due;

	pthread_mutex_lock(&d->table_lock);
	while (!atomic_load(&d->watcher_stop)) {
		now = lfs_now_ms();
		due = due_locked(d, &t, now, &wake);
		if (due == 0) {
			wait_until_locked(d, wake);
			continue;
		}
		pthread_mutex_unlock(&d->table_lock);
		if (due & DUE_LINGER) {
			lfs_ops_lock(d);
			lfs_leases_linger_end(&d->ls, &d->ops_io, 0);
			lfs_ops_unlock(d);
		}
		if (due & ~DUE_LINGER)
			watch_pass(d, due, now);
		now = lfs_now_ms();
		if (due & DUE_RETRY)
			t.retry = now + lfs_retry_ms(d);
		if (due & DUE_REQUEST)
			t.request = now + LFS_REQUEST_POLL_MS;
		if (due & DUE_POLL)
			t.poll = now + LFS_POLL_CHECK_MS;
		pthread_mutex_lock(&d->table_lock);
	}
	pthread_mutex_unlock(&d->table_lock);
	return NULL;
}
