/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * notice.c - change notices: the ring a host posts into, the tracker a
 * waiter compares notices with, and the fallback's pacing (notice.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "notice.h"

void
lfs_notice_push(struct lfs_notice *n, uint32_t slot)
{
	n->seq++;
	n->slots[(n->seq - 1) % LFS_NOTICE_RING] = slot;
}

int
lfs_wake_init(struct lfs_wake *w, uint32_t max_hosts)
{
	w->max_hosts = max_hosts;
	w->h = calloc(max_hosts + 1u, sizeof(*w->h));
	return w->h == NULL ? -ENOMEM : 0;
}

void
lfs_wake_free(struct lfs_wake *w)
{
	free(w->h);
	w->h = NULL;
}

/* Whether what we saw last of h lets us name what changed since: the same
 * incarnation, still up, and a notice of that incarnation before and now. */
static int
comparable(const struct lfs_wake_host *h, const struct lfs_wake_seen *s)
{
	if (!h->known || h->view_gen != s->view_gen || (s->down && !h->down))
		return 0;
	if (s->notice == NULL)
		return !h->has_notice; /* none then, none now: nothing posted */
	return h->has_notice && s->notice->generation == h->gen &&
	    s->notice->seq >= h->seq &&
	    s->notice->seq - h->seq <= LFS_NOTICE_RING;
}

int
lfs_wake_host(struct lfs_wake *w, uint32_t id, const struct lfs_wake_seen *s,
    void (*slot_fn)(void *arg, uint32_t slot), void *arg)
{
	struct lfs_wake_host *h;
	uint64_t q;
	int rv = 0;

	if (id == 0 || id > w->max_hosts)
		return 0;
	h = &w->h[id];
	if (h->known && s->read_ms < h->read_ms)
		return 0; /* older news than we have */
	if (!s->valid) {
		memset(h, 0, sizeof(*h));
		return 0;
	}
	if (s->torn)
		return 0;
	if (!comparable(h, s))
		rv = LFS_WAKE_ALL;
	else if (s->notice != NULL)
		for (q = h->seq + 1; q <= s->notice->seq; q++)
			if (s->notice->slots[(q - 1) % LFS_NOTICE_RING] != 0)
				slot_fn(arg, s->notice->slots[(q - 1) %
				    LFS_NOTICE_RING]);
	h->known = 1;
	h->read_ms = s->read_ms;
	h->down = s->down;
	h->view_gen = s->view_gen;
	h->has_notice = s->notice != NULL;
	h->gen = s->notice != NULL ? s->notice->generation : 0;
	h->seq = s->notice != NULL ? s->notice->seq : 0;
	return rv;
}

int
lfs_wake_pick(uint64_t now, uint64_t *const *next, uint32_t n,
    uint64_t *gap_next)
{
	uint32_t i;
	int best = -1;

	for (i = 0; i < n; i++) {
		if (*next[i] == 0)
			*next[i] = now + LFS_WAKE_FALLBACK_MS;
		if (best < 0 || *next[i] < *next[best])
			best = (int)i;
	}
	if (best < 0 || now < *next[best] || now < *gap_next)
		return -1;
	*next[best] = now + LFS_WAKE_FALLBACK_MS;
	*gap_next = now + LFS_WAKE_FALLBACK_GAP_MS;
	return best;
}

void
lfs_wake_span_begin(struct lfs_wake_span *s, uint64_t now, uint64_t *full_next)
{
	s->full = now >= *full_next;
	if (s->full)
		*full_next = now + LFS_WAKE_FULL_MS;
	s->lo = 0;
	s->hi = 0;
}

void
lfs_wake_span_add(struct lfs_wake_span *s, uint32_t owner)
{
	if (owner == 0) {
		s->full = 1; /* somebody waits for we know not whom */
		return;
	}
	if (s->lo == 0 || owner < s->lo)
		s->lo = owner;
	if (owner > s->hi)
		s->hi = owner;
}

void
lfs_wake_span_end(const struct lfs_wake_span *s, uint32_t window,
    uint32_t *first, uint32_t *count)
{
	/* nothing named (nothing waits on another host, as far as the
	 * caller saw) or an owner beyond our window: read it all */
	if (s->full || s->lo == 0 || s->hi > window) {
		*first = 1;
		*count = window;
		return;
	}
	*first = s->lo;
	*count = s->hi - s->lo + 1;
}
