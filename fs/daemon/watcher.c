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
 * The watcher looks only at d->tab.active, the leases this host has local
 * work for (lfs_watch_activate_locked: the open of any of a lease's files,
 * where every local use begins; pruned when idle_locked says nothing is
 * left), so a pass costs O(leases in use here), not O(leases known): a
 * host that listed 100,000 leases and holds 3 walks 3.
 *
 * The thread sleeps on watch_cond while nothing is pending.  Work and its
 * period:
 *   wake     every LFS_WAKE_SCAN_MS (or wake_ms=) while a lock open waits or a request
 *            of ours is pending: one read of the host area's window for
 *            change notices (core/notice.h), then the head waiter of each
 *            lease named tries once, and each request named is checked;
 *            plus one fallback turn (lfs_wake_pick), and waiters whose
 *            local holder went away.  A waiting host's reads per second
 *            so stay under 100 whether it waits on 1 lease or 1,000.
 *   retry    every lfs_retry_ms(): lost leases are released once renewal
 *            allows; aborted acquires are settled
 *   handover every LFS_HANDOVER_POLL_MS while a handover of ours is armed
 *            (its claim is awaited) or a claim of ours is pending (the
 *            arrival is awaited): a VM's migration downtime includes both
 *            waits, so they do not wait for the next notice read
 *   poll     every LFS_POLL_CHECK_MS while owner/state files are polled
 *   linger   when the name table's lease, kept after a mkdir or rmdir, is
 *            due to be given up (lfs_leases_linger_due(); a mkdir signals
 *            watch_cond without a kick, so no pass over the leases)
 * A kick (a lease was released here, a request written, an interrupt)
 * runs every kind of work at once, and checks every pending request; a
 * waiter tries at a kick only when woken (its lease named, or new).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "context.h"
#include "daemon.h"
#include "notice.h"
#include "snap.h"

enum {
	DUE_RETRY = 1,
	DUE_WAKE = 2,
	DUE_POLL = 4,
	DUE_INTR = 8,
	DUE_LINGER = 16,
	DUE_KICK = 32,
	DUE_FAST = 64,
};

/* A handover of ours armed (held here), or a claim of ours pending (not
 * yet arrived): polled every LFS_HANDOVER_POLL_MS.  table_lock held. */
static int
handover_fast_locked(const struct lfs_dlease *l)
{
	LFS_TABLE_HELD(l->d);
	if (lfs_held(l))
		return lfs_hold_handover_to(l) != 0 && !lfs_lost(l);
	return lfs_req_claimed(l) && lfs_req_how(l) != LFS_HOW_NONE;
}

/* ---- 1. blocked lock opens ---- */

/* FUSE_INTERRUPT for a queued open.  See the top of the file. */
static void
waiter_interrupted(fuse_req_t req, void *data)
{
	struct lfs_dlease *l = data;
	struct lfs_daemon *d = l->d;
	struct lfs_waiter *w;

	lfs_table_lock(d);
	for (w = l->wt.waiters; w != NULL; w = w->next)
		if (w->req == req) {
			w->interrupted = 1;
			lfs_watch_kick_locked(d);
		}
	lfs_table_unlock(d);
}

static void
unlink_waiter_locked(struct lfs_dlease *l, struct lfs_waiter *w)
{
	struct lfs_waiter **pp;

	LFS_TABLE_HELD(l->d);
	for (pp = &l->wt.waiters; *pp != NULL; pp = &(*pp)->next)
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
	lfs_table_lock(d);
	closed = d->opens.waiters_closed;
	if (!closed) {
		for (pp = &l->wt.waiters; *pp != NULL; pp = &(*pp)->next)
			;
		*pp = w;
	}
	lfs_table_unlock(d);
	if (closed) {
		free(w);
		return -EIO;
	}
	/* Outside table_lock: this may call waiter_interrupted at once. */
	fuse_req_interrupt_func(req, waiter_interrupted, l);
	lfs_table_lock(d);
	w->registering = 0;
	closed = d->opens.waiters_closed;
	if (closed) {
		unlink_waiter_locked(l, w);
	} else {
		l->wt.wake = 1; /* its first try from here, then on notices */
		lfs_watch_kick_locked(d);
	}
	lfs_table_unlock(d);
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

	lfs_table_lock(d);
	for (w = l->wt.waiters; w != NULL; w = next) {
		next = w->next;
		if (!w->interrupted || w->busy || w->registering)
			continue;
		unlink_waiter_locked(l, w);
		w->next = done;
		done = w;
	}
	lfs_table_unlock(d);
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
	uint32_t owner;
	int r, intr;

	lfs_table_lock(d);
	w = l->wt.waiters;
	/* held or requested here: wait_local wakes it (wake_turns) */
	if (w == NULL || w->registering || w->interrupted || lfs_held(l) ||
	    lfs_req_how(l) != LFS_HOW_NONE || !l->wt.wake) {
		lfs_table_unlock(d);
		return;
	}
	l->wt.wake = 0; /* a notice during the attempt wakes it again */
	w->busy = 1;
	lfs_table_unlock(d);
	r = lfs_hold_lock(d, l, w->fh, 1, &owner);
	lfs_table_lock(d);
	w->busy = 0;
	intr = w->interrupted;
	l->wt.busy_owner = r == -EWOULDBLOCK ? owner : 0;
	if (r == -EWOULDBLOCK) {
		if (intr)
			lfs_watch_kick_locked(d);
		lfs_table_unlock(d);
		return;
	}
	unlink_waiter_locked(l, w);
	lfs_table_unlock(d);
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

	lfs_table_lock(d);
	d->opens.waiters_closed = 1;
	for (l = d->tab.leases; l != NULL; l = l->tb.next)
		for (w = l->wt.waiters; w != NULL; w = next) {
			next = w->next;
			/* busy: the watcher answers it; registering: the
			 * opener sees waiters_closed and answers itself */
			if (w->busy || w->registering)
				continue;
			unlink_waiter_locked(l, w);
			w->next = done;
			done = w;
		}
	lfs_table_unlock(d);
	for (w = done; w != NULL; w = next) {
		next = w->next;
		fuse_reply_err(w->req, err);
		lfs_fh_free(d, w->fh);
		free(w);
	}
}

/* ---- 2. poll handles (registered by table.c lfs_poll_register) ---- */

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

	lfs_table_lock(d);
	for (fh = l->wt.pollers; fh != NULL; fh = fh->poll_next)
		if (is_text_poller(fh)) {
			any = 1;
			want_req |= fh->kind == LFS_K_STATE;
		}
	lfs_table_unlock(d);
	if (!any)
		return;
	lfs_snap_read(d, l, want_req, &s);
	lfs_table_lock(d);
	for (fh = l->wt.pollers; fh != NULL && n < 64; fh = fh->poll_next)
		if (is_text_poller(fh) && !lfs_snap_equal(&fh->snap, &s, fh->kind))
			wake[n++] = lfs_fh_take_ph(fh);
	lfs_table_unlock(d);
	while (n > 0)
		lfs_notify_ph(wake[--n]); /* the kernel polls again */
}

/* ---- 3. wake-ups: change notices (core/notice.h) ---- */

/* Waited on here: a queued open or a pending request.  table_lock held. */
static int
waited_locked(const struct lfs_dlease *l)
{
	LFS_TABLE_HELD(l->d);
	return l->wt.waiters != NULL || (lfs_req_how(l) != LFS_HOW_NONE && !lfs_held(l));
}

struct scan_hits {
	uint32_t *slot;
	size_t n, cap;
};

static void
scan_hit(void *arg, uint32_t slot)
{
	struct scan_hits *h = arg;
	uint32_t *p;

	if (h->n == h->cap) {
		p = realloc(h->slot, (h->cap * 2 + 16) * sizeof(*p));
		if (p == NULL)
			return; /* a missed hint: the fallback covers it */
		h->slot = p;
		h->cap = h->cap * 2 + 16;
	}
	h->slot[h->n++] = slot;
}

/* One host of the window, read into sec by a read that started at
 * read_ms, against our view of it. */
static int
scan_host(struct lfs_daemon *d, struct lfs_wake *wk, uint32_t id,
    const unsigned char *sec, uint64_t read_ms, struct scan_hits *h)
{
	struct lfs_wake_seen seen = { .read_ms = read_ms };
	struct lfs_host_view v;
	struct lfs_notice nt;
	enum lfs_host_state st;
	int rv;

	if (lfs_host_get(&d->ls, id, &v) == 0 && v.valid) {
		st = lfs_host_state(&d->ls, id, 0);
		seen.valid = 1;
		seen.down = st == LFS_HOST_STATE_DEAD ||
		    st == LFS_HOST_STATE_FREE;
		seen.view_gen = v.rec.generation;
		rv = lfs_notice_decode(&nt, sec, d->ls.layout.sector_size);
		if (rv == 0 && nt.host_id == id)
			seen.notice = &nt;
		seen.torn = lfs_decode_maybe_torn(rv);
	}
	return lfs_wake_host(wk, id, &seen, scan_hit, h);
}

/* Whether l waits on another host: a waiter blocked (not being
 * installed, not inside an acquire of its own: work_locked's test), or a
 * request of ours pending, while the lease is not held here.  Held here
 * (a holder, or our own release under way: LOST until it is done), its
 * waiters wait for us, and wake_mark()'s wait_local wakes them; a lock
 * open right after a close meets that often, since FUSE sends the close's
 * release after close(2) returned. */
static int
waits_elsewhere_locked(const struct lfs_dlease *l)
{
	const struct lfs_waiter *w;

	LFS_TABLE_HELD(l->d);
	if (lfs_held(l))
		return 0;
	if (lfs_req_how(l) != LFS_HOW_NONE)
		return 1;
	for (w = l->wt.waiters; w != NULL; w = w->next)
		if (!w->registering && !w->busy)
			return 1;
	return 0;
}

/* The hosts this scan reads (core/notice.h step 1): the owners the waited
 * leases' head waiters last found, or the whole window; none (*count 0)
 * when nothing waits on another host.  That is the case of every local
 * lock open that acquires at once: its waiter is busy in its acquire, and
 * a kick (its release) would otherwise read the whole window for
 * nobody, 1 MiB per cycle at 2,000 hosts (8 MiB with 4 KiB sectors). */
static void
wake_span(struct lfs_daemon *d, uint64_t now, uint32_t *first,
    uint32_t *count)
{
	struct lfs_wake_span s;
	struct lfs_dlease *l;
	int any = 0;

	lfs_table_lock(d);
	lfs_wake_span_begin(&s, now, &d->watcher.wake_full_ms);
	for (l = d->tab.active; l != NULL; l = l->wt.active_next) {
		if (!waited_locked(l) || l->wt.wait_local ||
		    !waits_elsewhere_locked(l))
			continue; /* wait_local: woken here (wake_mark) */
		any = 1;
		if (s.full)
			break;
		/* a request of ours waits for whoever holds it now */
		lfs_wake_span_add(&s, l->wt.waiters != NULL &&
		    lfs_req_how(l) == LFS_HOW_NONE ? l->wt.busy_owner : 0);
	}
	lfs_table_unlock(d);
	if (!any) {
		*first = 1;
		*count = 0;
		return;
	}
	lfs_wake_span_end(&s, lfs_hosts_window(&d->ls), first, count);
}

/*
 * The renewal's reads of the window (lockspace.h hosts_taker).  Every
 * renewal reads the window before it writes, every renewal interval (2 s
 * at io_timeout 1 s), so the whole-window scan of notice.h step 1 need not
 * read it again: at 2,000 hosts that read is 1 MiB (8 MiB with 4 KiB
 * sectors) every LFS_WAKE_FULL_MS, the most of a waiting host's reads.
 * keep_read runs in the renewal thread between its read and its write:
 * a trylock, a pointer swap and at most one free() (the renewal freed its
 * own read there before), nothing that can wait.
 */
static int
keep_read(void *arg, unsigned char *buf, uint32_t n, uint64_t start_ms)
{
	struct lfs_reads_kept *k = &((struct lfs_daemon *)arg)->reads_kept;
	int keep = start_ms < atomic_load(&k->want_until_ms);
	unsigned char *old;

	if (pthread_mutex_trylock(&k->lock) != 0)
		return 0;
	old = k->buf;
	k->buf = keep ? buf : NULL;
	k->n = n;
	k->start_ms = start_ms;
	pthread_mutex_unlock(&k->lock);
	/* never looked at: a newer read replaces it, or nobody waits any
	 * more and it would be kept until the next wait */
	free(old);
	return keep;
}

void
lfs_watcher_take_reads(struct lfs_daemon *d)
{
	pthread_mutex_init(&d->reads_kept.lock, NULL);
	atomic_store(&d->reads_kept.want_until_ms, 0);
	d->reads_kept.buf = NULL;
	d->ls.hosts_taker.take = keep_read;
	d->ls.hosts_taker.arg = d;
}

void
lfs_watcher_drop_reads(struct lfs_daemon *d)
{
	d->ls.hosts_taker.take = NULL;
	free(d->reads_kept.buf);
	d->reads_kept.buf = NULL;
	pthread_mutex_destroy(&d->reads_kept.lock);
}

/*
 * The read the renewal left (keep_read), if any came since the last look:
 * each host in it against the tracker, as a scan's (a host a scan has read
 * since counts the scan's: notice.h lfs_wake_seen.read_ms).  When it
 * covers the window, the whole-window scan is not due until
 * LFS_WAKE_FULL_MS after that read started: a notice it missed is caught
 * as soon as before, or sooner (a renewal interval, under
 * LFS_WAKE_FULL_MS up to io_timeout 2.5 s).  Without renewals (slow
 * storage, a longer io_timeout) the watcher's own scan comes as before.
 */
static int
wake_kept(struct lfs_daemon *d, struct lfs_wake *wk, struct scan_hits *h)
{
	struct lfs_reads_kept *k = &d->reads_kept;
	uint32_t S = d->ls.layout.sector_size, n, i;
	unsigned char *buf;
	uint64_t start;
	int all = 0;

	pthread_mutex_lock(&k->lock);
	buf = k->buf;
	n = k->n;
	start = k->start_ms;
	k->buf = NULL;
	pthread_mutex_unlock(&k->lock);
	if (buf == NULL || wk->h == NULL) {
		free(buf);
		return 0;
	}
	for (i = 0; i < n; i++)
		all |= scan_host(d, wk, i + 1, buf + (size_t)i * S, start, h);
	free(buf);
	atomic_fetch_add(&d->notice_renewal_reads, 1);
	if (n >= lfs_hosts_window(&d->ls)) {
		lfs_table_lock(d);
		if (d->watcher.wake_full_ms < start + LFS_WAKE_FULL_MS)
			d->watcher.wake_full_ms = start + LFS_WAKE_FULL_MS;
		lfs_table_unlock(d);
	}
	return all;
}

/*
 * Read host sectors (one read: wake_span's, a few KiB at most unless the
 * window is large and what waits is not known) and compare each host's
 * notice with the last scan's.  Returns LFS_WAKE_ALL when every waited
 * lease must be tried, else 0 with the named slots in *h.  A failed read
 * wakes nobody: the fallback, and the next scan, still come.
 */
static int
wake_scan(struct lfs_daemon *d, struct lfs_wake *wk, struct scan_hits *h,
    uint64_t now)
{
	uint32_t S = d->ls.layout.sector_size, first, n, i;
	struct lfs_io *io;
	unsigned char *buf;
	uint64_t start;
	int r, all;

	all = wake_kept(d, wk, h);
	wake_span(d, now, &first, &n);
	atomic_store(&d->reads_kept.want_until_ms, n > 0 ?
	    now + LFS_WAKE_FULL_MS : 0);
	if (n == 0)
		return all; /* nobody to wake: wake_mark() does the local work */
	/* stuck: a failed read (below) */
	if ((r = lfs_read_lock(d, 0, &io)) < 0)
		return all;
	buf = malloc((size_t)n * S);
	start = lfs_clock_ms(d->ls.clock);
	r = buf == NULL ? -ENOMEM : lfs_io_read(io,
	    (d->ls.layout.host_area + first - 1) * S, buf, (size_t)n * S);
	lfs_read_unlock(d, 0);
	if (r == 0 && first == 1 && n >= lfs_hosts_window(&d->ls))
		atomic_fetch_add(&d->notice_window_reads, 1);
	if (r == 0 && wk->h == NULL)
		all = LFS_WAKE_ALL; /* no tracker (lfs_watcher_main) */
	else if (r == 0)
		for (i = 0; i < n; i++)
			all |= scan_host(d, wk, first + i, buf + (size_t)i * S,
			    start, h);
	else
		lfs_log(&d->log, LOG_DEBUG, "reading change notices: %s",
		    strerror(-r));
	free(buf);
	return all;
}

/*
 * Mark the leases to try in this pass (l->wt.wake): those the scan named (all
 * waited ones on LFS_WAKE_ALL), every pending request at a kick, a lease
 * whose local holder or request went away, and one fallback turn.
 */
static void
wake_mark(struct lfs_daemon *d, const struct scan_hits *h, int all, int kick,
    uint64_t now)
{
	uint64_t **next = NULL;
	struct lfs_dlease *l, **which = NULL;
	uint32_t cnt = 0, cap = 0;
	size_t i;
	int k;

	lfs_table_lock(d);
	for (i = 0; i < h->n; i++)
		if (h->slot[i] <= d->ls.layout.lease_capacity &&
		    d->tab.slots[h->slot[i]] != NULL)
			d->tab.slots[h->slot[i]]->wt.wake = 1;
	for (l = d->tab.active; l != NULL; l = l->wt.active_next) {
		if (!waited_locked(l)) {
			l->wt.fallback_ms = 0;
			l->wt.wait_local = 0;
			continue;
		}
		if (all || (kick && lfs_req_how(l) != LFS_HOW_NONE))
			l->wt.wake = 1;
		if (l->wt.waiters != NULL &&
		    (lfs_held(l) || lfs_req_how(l) != LFS_HOW_NONE))
			l->wt.wait_local = 1;
		else if (l->wt.wait_local) {
			l->wt.wait_local = 0;
			l->wt.wake = 1;
		}
		if (cnt == cap) {
			uint64_t **nn = realloc(next, (cap * 2 + 16) * sizeof(*nn));
			struct lfs_dlease **nw = realloc(which,
			    (cap * 2 + 16) * sizeof(*nw));

			if (nn != NULL)
				next = nn;
			if (nw != NULL)
				which = nw;
			if (nn == NULL || nw == NULL)
				continue; /* no fallback turn for it this time */
			cap = cap * 2 + 16;
		}
		next[cnt] = &l->wt.fallback_ms;
		which[cnt++] = l;
	}
	k = lfs_wake_pick(now, next, cnt, &d->watcher.wake_gap_ms);
	if (k >= 0)
		which[k]->wt.wake = 1;
	lfs_table_unlock(d);
	free(next);
	free(which);
}

static void
watch_wake(struct lfs_daemon *d, struct lfs_wake *wk, int kick, uint64_t now)
{
	struct scan_hits h = { NULL, 0, 0 };
	int all;

	all = wake_scan(d, wk, &h, now);
	wake_mark(d, &h, all, kick, now);
	free(h.slot);
}

/* ---- 4. the thread ---- */

/* The active leases, in an array the watcher's pass walks without
 * table_lock (entries are never freed while the daemon runs: daemon.h).
 * NULL with *n 0 when there are none or memory is short (the next pass
 * tries again). */
static struct lfs_dlease **
active_snapshot(struct lfs_daemon *d, size_t *n)
{
	struct lfs_dlease *l, **v;
	size_t cnt = 0, i = 0;

	lfs_table_lock(d);
	for (l = d->tab.active; l != NULL; l = l->wt.active_next)
		cnt++;
	v = cnt > 0 ? malloc(cnt * sizeof(*v)) : NULL;
	for (l = d->tab.active; v != NULL && l != NULL; l = l->wt.active_next)
		v[i++] = l;
	lfs_table_unlock(d);
	*n = v != NULL ? cnt : 0;
	return v;
}

/* Which kinds of work exist now.  table_lock held. */
static unsigned
work_locked(struct lfs_daemon *d)
{
	unsigned kinds = 0;
	struct lfs_dlease *l;
	struct lfs_waiter *w;
	struct lfs_fh *fh;

	LFS_TABLE_HELD(d);
	lfs_watch_prune_locked(d);
	for (l = d->tab.active; l != NULL; l = l->wt.active_next) {
		for (w = l->wt.waiters; w != NULL; w = w->next) {
			if (w->registering || w->busy)
				continue;
			kinds |= DUE_WAKE;
			if (w->interrupted)
				kinds |= DUE_INTR;
		}
		if (lfs_hold_release_due_locked(l) || lfs_hold_unsettled(l))
			kinds |= DUE_RETRY;
		if (lfs_req_how(l) != LFS_HOW_NONE && !lfs_held(l))
			kinds |= DUE_WAKE;
		if (handover_fast_locked(l))
			kinds |= DUE_FAST;
		for (fh = l->wt.pollers; fh != NULL; fh = fh->poll_next)
			if (is_text_poller(fh))
				kinds |= DUE_POLL;
	}
	return kinds;
}

static void
watch_pass(struct lfs_daemon *d, unsigned due, uint64_t now)
{
	struct lfs_dlease *l, **v;
	int lost, requested, unsettled, armed, fast;
	size_t n, i;

	v = active_snapshot(d, &n);
	for (i = 0; i < n && !atomic_load(&d->watcher_stop); i++) {
		l = v[i];
		watch_interrupts(d, l);
		if (due & DUE_WAKE)
			watch_waiter(d, l);
		if (due & DUE_RETRY) {
			lfs_table_lock(d);
			lost = lfs_hold_release_due_locked(l);
			unsettled = lfs_hold_unsettled(l) && l->wt.waiters == NULL;
			lfs_table_unlock(d);
			if (lost)
				lfs_hold_release_lost(d, l);
			if (unsettled)
				lfs_hold_settle(d, l);
		}
		requested = armed = 0;
		if (due & (DUE_WAKE | DUE_FAST)) {
			lfs_table_lock(d);
			fast = (due & DUE_FAST) && handover_fast_locked(l);
			armed = fast && lfs_held(l);
			requested = lfs_req_how(l) != LFS_HOW_NONE && !lfs_held(l) &&
			    (((due & DUE_WAKE) && l->wt.wake) || fast);
			if (requested)
				l->wt.wake = 0;
			lfs_table_unlock(d);
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
	free(v);
}

static void
wait_until_locked(struct lfs_daemon *d, uint64_t when_ms)
{
	struct timespec ts;
	uint64_t ns, now, rel;

	LFS_TABLE_HELD(d);
	if (when_ms == UINT64_MAX) {
		lfs_table_wait(d, &d->watch_cond);
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
	lfs_table_timedwait(d, &d->watch_cond, &ts);
}

/* Next time of each kind of work, in monotonic ms. */
struct watch_times {
	uint64_t retry, wake, poll, fast;
};

/* What is due now, or 0 with *wake_ms the time to wake up. */
static unsigned
due_locked(struct lfs_daemon *d, const struct watch_times *t, uint64_t now,
    uint64_t *wake_ms)
{
	unsigned kinds = work_locked(d), due = 0;

	LFS_TABLE_HELD(d);
	if (d->watcher.watch_kick) {
		d->watcher.watch_kick = 0;
		return kinds | DUE_INTR | DUE_KICK;
	}
	*wake_ms = UINT64_MAX;
	if (kinds & DUE_INTR)
		due |= DUE_INTR;
	if ((kinds & DUE_RETRY) && now >= t->retry)
		due |= DUE_RETRY;
	if ((kinds & DUE_WAKE) && now >= t->wake)
		due |= DUE_WAKE;
	if ((kinds & DUE_POLL) && now >= t->poll)
		due |= DUE_POLL;
	if ((kinds & DUE_FAST) && now >= t->fast)
		due |= DUE_FAST;
	if (kinds & DUE_FAST && t->fast < *wake_ms)
		*wake_ms = t->fast;
	if (kinds & DUE_RETRY && t->retry < *wake_ms)
		*wake_ms = t->retry;
	if (kinds & DUE_WAKE && t->wake < *wake_ms)
		*wake_ms = t->wake;
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
	struct watch_times t = { 0, 0, 0, 0 };
	struct lfs_wake wk;
	uint64_t now, wake;
	unsigned due;

	if (lfs_wake_init(&wk, d->ls.layout.max_hosts) < 0) {
		/* without a tracker every scan wakes every waiter: the old
		 * polling, at the scan's period */
		lfs_log(&d->log, LOG_ERR, "change notices: out of memory");
		wk.max_hosts = 0;
		wk.h = NULL;
	}
	lfs_table_lock(d);
	while (!atomic_load(&d->watcher_stop)) {
		now = lfs_now_ms();
		due = due_locked(d, &t, now, &wake);
		if (due == 0) {
			wait_until_locked(d, wake);
			continue;
		}
		lfs_table_unlock(d);
		if (due & DUE_LINGER) {
			/* stuck: given up on the next pass */
			if (lfs_ops_lock(d, 0) == 0) {
				lfs_leases_linger_end(&d->ls,
				    lfs_ops_io(d, 0), 0);
				lfs_ops_unlock(d, 0);
			}
		}
		if (due & DUE_WAKE)
			watch_wake(d, &wk, (due & DUE_KICK) != 0, now);
		if (due & ~DUE_LINGER)
			watch_pass(d, due, now);
		now = lfs_now_ms();
		if (due & DUE_RETRY)
			t.retry = now + lfs_retry_ms(d);
		if (due & DUE_WAKE)
			t.wake = now + (d->opts.wake_ms != 0 ? d->opts.wake_ms :
			    LFS_WAKE_SCAN_MS);
		if (due & DUE_POLL)
			t.poll = now + LFS_POLL_CHECK_MS;
		if (due & DUE_FAST)
			t.fast = now + LFS_HANDOVER_POLL_MS;
		lfs_table_lock(d);
	}
	lfs_table_unlock(d);
	lfs_wake_free(&wk);
	return NULL;
}
