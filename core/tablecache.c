/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tablecache.c - the name table cached in memory (tablecache.h).
 *
 * State of the cache, changed only here:
 *   have    the image holds a read of the table (else it means nothing);
 *   valid   ... which is the table as of the token (lver, free, not stale);
 *   locked  ... which follows the writes of this host, holder of the table
 *           lease at locked_lver (then valid is 0).
 * The index maps names to entries of the image: bucket[h] and next[k] hold
 * k + 1, 0 ending a chain; indexed[k] says entry k is in it.
 */
#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "tablecache.h"

static const struct lfs_lease_ref table_ref = { 0, 0 };

struct lfs_tcache {
	pthread_mutex_t lock;
	uint32_t capacity;           /* entries */
	size_t bytes;                /* of the image */
	unsigned char *table;        /* the image */
	int have, valid, locked;
	uint64_t lver;               /* token of a valid image */
	uint64_t locked_lver;
	uint32_t nbuckets;           /* a power of two */
	uint32_t *bucket, *next;
	uint32_t *ehash;             /* hash of entry k's name when indexed */
	unsigned char *indexed;
	uint32_t corrupt;            /* entries of the image that do not decode */
	int corrupt_err;             /* the first one's error */
	uint32_t free_hint;          /* no empty entry below this one */
	struct lfs_tcache_linger linger;
};

static void
tcache_free(void *arg)
{
	struct lfs_tcache *c = arg;

	pthread_mutex_destroy(&c->lock);
	free(c->table);
	free(c->bucket);
	free(c->next);
	free(c->ehash);
	free(c->indexed);
	free(c);
}

struct lfs_tcache *
lfs_tcache_of(struct lfs_lockspace *ls)
{
	struct lfs_tcache *c = ls->names_cache;

	if (c != NULL)
		return c;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if (pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c);
		return NULL;
	}
	c->capacity = ls->layout.lease_capacity;
	c->bytes = (size_t)ls->layout.name_sectors * ls->layout.sector_size;
	c->nbuckets = 1;
	while (c->nbuckets < c->capacity * 2u)
		c->nbuckets <<= 1;
	c->table = malloc(c->bytes);
	c->bucket = calloc(c->nbuckets, sizeof(*c->bucket));
	c->next = calloc(c->capacity, sizeof(*c->next));
	c->ehash = calloc(c->capacity, sizeof(*c->ehash));
	c->indexed = calloc(c->capacity, 1);
	if (c->table == NULL || c->bucket == NULL || c->next == NULL ||
	    c->ehash == NULL || c->indexed == NULL) {
		tcache_free(c);
		return NULL;
	}
	atomic_store(&c->linger.due_ms, UINT64_MAX);
	ls->names_cache = c;
	ls->names_cache_free = tcache_free;
	return c;
}

void
lfs_tcache_lock(struct lfs_tcache *c)
{
	pthread_mutex_lock(&c->lock);
}

void
lfs_tcache_unlock(struct lfs_tcache *c)
{
	pthread_mutex_unlock(&c->lock);
}

/* ---- the index ---- */

static uint32_t
name_hash(const char *s)
{
	uint32_t h = 2166136261u;    /* FNV-1a */

	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

/* The name of entry k of the image, or NULL when empty or undecodable
 * (*err then -ENODATA or the decoder's error). */
static const char *
entry_name(const struct lfs_tcache *c, uint32_t k, struct lfs_name_entry *ne,
    int *err)
{
	*err = lfs_name_entry_decode(ne, c->table + lfs_name_entry_offset(k));
	return *err < 0 ? NULL : ne->name;
}

static void
index_remove(struct lfs_tcache *c, uint32_t k)
{
	uint32_t *p = &c->bucket[c->ehash[k] & (c->nbuckets - 1)];

	if (!c->indexed[k])
		return;
	while (*p != 0 && *p != k + 1)
		p = &c->next[*p - 1];
	if (*p == k + 1)
		*p = c->next[k];
	c->next[k] = 0;
	c->indexed[k] = 0;
}

/* Index entry k; 0, -ENODATA when empty, or its decoder error. */
static int
index_add(struct lfs_tcache *c, uint32_t k)
{
	struct lfs_name_entry ne;
	uint32_t h;
	int err;

	if (entry_name(c, k, &ne, &err) == NULL)
		return err;
	c->ehash[k] = name_hash(ne.name);
	h = c->ehash[k] & (c->nbuckets - 1);
	c->next[k] = c->bucket[h];
	c->bucket[h] = k + 1;
	c->indexed[k] = 1;
	return 0;
}

static void
index_rebuild(struct lfs_tcache *c)
{
	uint32_t k;
	int err;

	memset(c->bucket, 0, c->nbuckets * sizeof(*c->bucket));
	memset(c->next, 0, c->capacity * sizeof(*c->next));
	memset(c->indexed, 0, c->capacity);
	c->corrupt = 0;
	c->corrupt_err = 0;
	c->free_hint = 0;
	for (k = c->capacity; k-- > 0;) { /* chains in entry order */
		err = index_add(c, k);
		if (err < 0 && err != -ENODATA) {
			c->corrupt++;
			c->corrupt_err = err;
		}
	}
}

/* A name not in the index is absent only if every entry decoded: a
 * corrupt one might be it (never taken for free), so its error stands. */
int
lfs_tcache_find(struct lfs_tcache *c, const char *name, uint32_t *k)
{
	struct lfs_name_entry ne;
	const char *n;
	uint32_t i;
	int err;

	if (!c->have)
		return -ENOENT;
	for (i = c->bucket[name_hash(name) & (c->nbuckets - 1)]; i != 0;
	    i = c->next[i - 1]) {
		n = entry_name(c, i - 1, &ne, &err);
		if (n != NULL && strcmp(n, name) == 0) {
			*k = i - 1;
			return 0;
		}
	}
	return c->corrupt > 0 ? c->corrupt_err : -ENOENT;
}

void
lfs_tcache_entry_changed(struct lfs_tcache *c, uint32_t k)
{
	assert(c->have && c->locked);
	index_remove(c, k);
	if (index_add(c, k) == -ENODATA && k < c->free_hint)
		c->free_hint = k; /* cleared */
}

int
lfs_tcache_first_free(struct lfs_tcache *c, uint32_t *k)
{
	struct lfs_name_entry ne;
	uint32_t i;
	int err;

	for (i = c->free_hint; i < c->capacity; i++) {
		if (c->indexed[i])
			continue;
		if (entry_name(c, i, &ne, &err) == NULL && err == -ENODATA) {
			c->free_hint = i;
			*k = i;
			return 0;
		}
	}
	c->free_hint = c->capacity;
	return -ENOSPC;
}

/* ---- reads ---- */

static int
read_token(struct lfs_lockspace *ls, struct lfs_io *io, uint64_t *lver)
{
	struct lfs_leader ld;
	uint64_t newest;
	int rv;

	rv = lfs_paxos_read_instance(ls, io, &table_ref, &ld, &newest);
	if (rv < 0)
		return rv;
	if (ld.owner_id != 0 || newest != ld.lver)
		return -EBUSY; /* held, or an instance under way: no token */
	*lver = ld.lver;
	return 0;
}

/* The index of the image just read; the decoder's error (read again,
 * diskio.h) when an entry reads as a torn one might, as one does that met
 * another host's write of its sector. */
static int
index_image(void *arg, const void *buf, size_t len)
{
	struct lfs_tcache *c = arg;

	(void)buf; /* c->table */
	(void)len;
	index_rebuild(c);
	return c->corrupt > 0 && lfs_decode_maybe_torn(c->corrupt_err) ?
	    c->corrupt_err : 0;
}

static int
read_image(struct lfs_lockspace *ls, struct lfs_io *io, struct lfs_tcache *c)
{
	int rv;

	c->have = c->valid = 0;
	rv = lfs_io_read_verified(io, ls->layout.name_table *
	    ls->layout.sector_size, c->table, c->bytes, index_image, c);
	if (rv < 0 && !lfs_decode_maybe_torn(rv))
		return rv;
	/* entries still bad after the re-reads are the index's to report,
	 * per name (corrupt_err), as before */
	c->have = 1;
	return 0;
}

int
lfs_tcache_read(struct lfs_lockspace *ls, struct lfs_io *io,
    struct lfs_tcache *c, unsigned char **table)
{
	uint64_t t1 = 0, t2 = 0;
	int rv, tok;

	if (c->locked && c->have) {
		/* we hold the table lease (a kept hold, leases.c): nobody
		 * else changes the table, and the image has our changes */
		*table = c->table;
		return 0;
	}
	tok = read_token(ls, io, &t1);
	if (tok == 0 && c->valid && t1 == c->lver) {
		*table = c->table;
		return 0;
	}
	if ((rv = read_image(ls, io, c)) < 0)
		return rv;
	/* cache it only if nothing moved while we read */
	if (tok == 0 && read_token(ls, io, &t2) == 0 && t1 == t2) {
		c->valid = 1;
		c->lver = t1;
	}
	*table = c->table;
	return 0;
}

int
lfs_tcache_read_locked(struct lfs_lockspace *ls, struct lfs_io *io,
    struct lfs_tcache *c, uint64_t held_lver, unsigned char **table)
{
	int rv;

	if (c->locked && c->have && c->locked_lver == held_lver)
		; /* read already in this hold, and it follows our writes */
	else if (!(c->valid && c->lver + 1 == held_lver) &&
	    (rv = read_image(ls, io, c)) < 0)
		return rv;
	c->valid = 0;
	c->locked = 1;
	c->locked_lver = held_lver;
	*table = c->table;
	return 0;
}

struct lfs_tcache_linger *
lfs_tcache_linger(struct lfs_tcache *c)
{
	return &c->linger;
}

void
lfs_tcache_invalidate(struct lfs_tcache *c)
{
	c->valid = 0;
	c->locked = 0;
}

void
lfs_tcache_released(struct lfs_tcache *c, uint64_t free_lver)
{
	if (c->locked && c->have && c->locked_lver + 1 == free_lver) {
		c->valid = 1;
		c->lver = free_lver;
	}
	c->locked = 0;
}
