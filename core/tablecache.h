/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tablecache.h - the name table, cached in memory and validated cheaply
 * (used by leases.c only).
 *
 * The name table changes only under the table lease (slot 0), and every
 * change of the table lease is a Disk Paxos instance (a release too:
 * paxos.h invariant 1).  So the table is unchanged since we read it as long
 * as the table lease reads as it did then: free, at the same lver, with no
 * dblock of a newer instance.  That token costs one read of 2 + hw sectors
 * (lfs_paxos_read_instance()) instead of the whole table (64 bytes a
 * lease: 6.4 MB at 100,000 leases).
 *
 *   unlocked (list, lookup): token as cached -> the image; else read the
 *     token, the table, the token again: equal and free -> cache it.
 *   locked (create, delete, holding the table lease at lver n): the image
 *     is valid if the cached token was lver n - 1 (our acquire was the next
 *     instance: nobody changed the table in between); else read it.  While
 *     we hold the lease the image follows our own writes; the release at
 *     n + 1 makes it the cached token again.  Any failed write drops it.
 *
 * A token equal by a late write of an older leader (case 7 of the safety
 * notes) could make a lookup miss a newer entry or return a deleted one:
 * never unsafe, since every lease operation checks the slot's leader
 * (incarnation, DELETED), and mkdir reads under the table lease.
 *
 * Lookups go through a hash index of the image: O(1) whatever the size.
 * One mutex serializes every user of the cache; it is held across the I/O
 * of the call that holds it (lease operations of one host are serialized
 * anyway).
 */
#ifndef LEASEFS_TABLECACHE_H
#define LEASEFS_TABLECACHE_H

#include "lockspace.h"
#include "paxos.h"

struct lfs_tcache;

/* The lockspace's cache, made (and registered with ls) on first use; NULL
 * when out of memory.  Lock it around every use. */
struct lfs_tcache *lfs_tcache_of(struct lfs_lockspace *ls);
void lfs_tcache_lock(struct lfs_tcache *c);
void lfs_tcache_unlock(struct lfs_tcache *c);

/* The table image for a reader: one token read when the cache is valid;
 * none at all while this host keeps the table lease (the image follows
 * its writes then, and no other host may change the table). */
int lfs_tcache_read(struct lfs_lockspace *ls, struct lfs_io *io,
    struct lfs_tcache *c, unsigned char **table);
/* The table image for the holder of the table lease at held_lver. */
int lfs_tcache_read_locked(struct lfs_lockspace *ls, struct lfs_io *io,
    struct lfs_tcache *c, uint64_t held_lver, unsigned char **table);

/* Entry k of the image was changed and written: reindex it. */
void lfs_tcache_entry_changed(struct lfs_tcache *c, uint32_t k);
/* A write failed, or the table lease was not released cleanly. */
void lfs_tcache_invalidate(struct lfs_tcache *c);
/* The table lease was released as instance free_lver: the image (if it
 * followed the holder's writes) is the cached table again. */
void lfs_tcache_released(struct lfs_tcache *c, uint64_t free_lver);

/* The entry named name in the image: 0 and its index *k; -ENOENT; or,
 * when some entry does not decode (it might be that name), its error. */
int lfs_tcache_find(struct lfs_tcache *c, const char *name, uint32_t *k);
/* The first empty entry of the image (0 and *k), or -ENOSPC. */
int lfs_tcache_first_free(struct lfs_tcache *c, uint32_t *k);

/* The table lease kept held after a change (leases.c, "linger"); the
 * fields are protected by the cache's lock, except due_ms, which anyone
 * may read: when the hold is to be given up (UINT64_MAX: none kept). */
struct lfs_tcache_linger {
	uint32_t idle_ms;            /* 0: never keep the table lease */
	int kept;
	struct lfs_leader held;      /* as acquired */
	uint64_t since_ms, last_ms;  /* taken; last change under it */
	_Atomic uint64_t due_ms;
};
struct lfs_tcache_linger *lfs_tcache_linger(struct lfs_tcache *c);

#endif
