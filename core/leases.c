/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * leases.c - the lease name table (leases.h).
 *
 * Creating a lease, holding the table lease (slot 0):
 *   1. read the table; refuse a name in use (-EEXIST) or a full table;
 *   2. initialize slot k + 1: leader (next incarnation, lver 0, free),
 *      empty request, empty dblocks -- one write of the whole slot;
 *   3. write the table sector holding entry k.
 * Until 3 lands no one knows the slot; after it, the slot is ready.
 *
 * Deleting: take the lease itself (so it is free and stays so), then under
 * the table lease mark the leader DELETED, then clear the entry.  A host with
 * a stale name -> slot mapping then reads DELETED or a new incarnation in
 * the leader and gets -ENOENT.  The order is what keeps a failure half-way
 * harmless: a slot is never live without its entry (delete_locked()).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "delta.h"
#include "hostpolicy.h"
#include "leases.h"
#include "names.h"
#include "tablecache.h"

#define TABLE_LOCK_TRIES 200     /* each a ballot or a busy read */
#define TABLE_LOCK_PAUSE_MS 5    /* table changes take a few ms */

static const struct lfs_lease_ref table_ref = { 0, 0 };

/* Decode entry k: 0, -ENODATA when empty, or a decoder error. */
static int
table_entry(struct lfs_lockspace *ls, const unsigned char *table, uint32_t k,
    struct lfs_lease_entry *e)
{
	struct lfs_name_entry ne;
	int rv;

	rv = lfs_name_entry_decode(&ne, table + lfs_name_entry_offset(k));
	if (rv == -ENODATA)
		return rv;
	if (rv < 0) {
		lfs_log(ls->log, LOG_ERR, "name table entry %u: %s", k,
		    lfs_decode_strerror(rv));
		return rv;
	}
	memcpy(e->name, ne.name, sizeof(e->name));
	e->ref.slot = k + 1;
	e->ref.incarnation = ne.incarnation;
	return 0;
}

/* The entries of table, in slot order, into *out (malloc'd) and *n. */
static int
list_entries(struct lfs_lockspace *ls, const unsigned char *table,
    struct lfs_lease_entry **out, uint32_t *n)
{
	struct lfs_lease_entry *v = NULL, *grown;
	uint32_t k, count = 0, cap = 0;
	int rv;

	for (k = 0; k < ls->layout.lease_capacity; k++) {
		struct lfs_lease_entry e;

		rv = table_entry(ls, table, k, &e);
		if (rv == -ENODATA)
			continue;
		if (rv < 0) {
			free(v);
			return rv;
		}
		if (count == cap) {
			cap = cap ? cap * 2 : 64;
			grown = realloc(v, cap * sizeof(*v));
			if (grown == NULL) {
				free(v);
				return -ENOMEM;
			}
			v = grown;
		}
		v[count++] = e;
	}
	*out = v;
	*n = count;
	return 0;
}

int
lfs_leases_list(struct lfs_lockspace *ls, struct lfs_io *io,
    struct lfs_lease_entry **out, uint32_t *n)
{
	struct lfs_tcache *c = lfs_tcache_of(ls);
	unsigned char *table;
	int rv;

	if (c == NULL)
		return -ENOMEM;
	lfs_tcache_lock(c);
	rv = lfs_tcache_read(ls, io, c, &table);
	if (rv == 0)
		rv = list_entries(ls, table, out, n);
	lfs_tcache_unlock(c);
	return rv;
}

int
lfs_leases_lookup(struct lfs_lockspace *ls, struct lfs_io *io,
    const char *name, struct lfs_lease_entry *out)
{
	struct lfs_tcache *c = lfs_tcache_of(ls);
	unsigned char *table;
	uint32_t k;
	int rv;

	if (lfs_name_check(name) < 0)
		return -ENOENT;
	if (c == NULL)
		return -ENOMEM;
	lfs_tcache_lock(c);
	rv = lfs_tcache_read(ls, io, c, &table);
	if (rv == 0)
		rv = lfs_tcache_find(c, name, &k);
	if (rv == 0)
		rv = table_entry(ls, table, k, out);
	lfs_tcache_unlock(c);
	return rv;
}

/*
 * The table lease may be left decided for us, or held, by an error: an
 * acquire whose ballot chose us but whose commit failed, or a release that
 * failed.  Every other host's mkdir and rmdir would wait on it while we live
 * (only we may run its next instance), so we settle it at once: commit
 * what was chosen (the next acquire does) and release.  Each try first lets
 * a timed-out write of ours complete (the context refuses writes until
 * then); we give up after renewal_fail, when the storage has been out long
 * enough that this host fences, and others take the lease over at
 * host_dead.
 */
static void
table_settle(struct lfs_lockspace *ls, struct lfs_io *io)
{
	uint64_t end = lfs_clock_ms(ls->clock) + ls->to.renewal_fail_ms;
	struct lfs_leader held;
	int rv;

	do {
		lfs_clock_sleep(ls->clock, ls->to.io_timeout_ms / 4 + 1);
		if (lfs_io_reap(io) > 0)
			continue;
		rv = lfs_paxos_acquire(ls, io, &table_ref, "_table", &held);
		if (rv == -EBUSY || rv == -ENOENT)
			return; /* not ours: another host holds or runs it */
		if (rv == 0 || rv == -EALREADY)
			rv = lfs_paxos_release(ls, io, &table_ref, &held);
		if (rv == 0) {
			lfs_log(ls->log, LOG_NOTICE, "name table lease: settled "
			    "after an error");
			return;
		}
	} while (lfs_clock_ms(ls->clock) < end);
	lfs_log(ls->log, LOG_ERR, "name table lease: could not be settled "
	    "after an error; other hosts take it over at host_dead");
}

/*
 * Linger.  A create or delete costs 2 writes of its own and 6 for taking
 * and releasing the table lease (two ballots).  A host that changes the
 * table may keep the table lease for idle_ms after a change (at most
 * LINGER_MAX_MS in all) so that a run of mkdirs pays the two ballots once:
 * the next change within the window reuses the hold with no I/O.  Why that
 * is safe: while we hold it, no other host runs the table lease's next
 * instance (paxos.h invariant 3) unless it judges us dead, and every write
 * under the hold is checked by fresh_for_unguarded_write() as in a single
 * change; a hold of an older generation of ours (we were fenced and
 * rejoined) is dropped, never used.  What it costs others: their mkdir
 * waits out the window (table_lock() retries for about 1.5 s, more than
 * LINGER_MAX_MS), and their lookups read the whole table while it is held
 * (no token).  The caller gives the hold up with lfs_leases_linger_end()
 * once due (tablecache.h: due_ms).
 */
#define LINGER_MAX_MS 200u

static void
linger_set_due(struct lfs_tcache_linger *g)
{
	uint64_t a, b;

	if (!g->kept) {
		atomic_store(&g->due_ms, UINT64_MAX);
		return;
	}
	a = g->last_ms + g->idle_ms;
	b = g->since_ms + LINGER_MAX_MS;
	atomic_store(&g->due_ms, a < b ? a : b);
}

/* The kept hold, if it may be used now (cache locked): 1 and *held. */
static int
linger_reuse(struct lfs_lockspace *ls, struct lfs_leader *held)
{
	struct lfs_tcache *c = ls->names_cache;
	struct lfs_tcache_linger *g;

	if (c == NULL || !(g = lfs_tcache_linger(c))->kept)
		return 0;
	if (g->held.owner_id != ls->host_id ||
	    g->held.owner_gen != ls->generation) {
		g->kept = 0; /* an older incarnation's: not ours to use */
		lfs_tcache_invalidate(c);
		return 0;
	}
	if (lfs_clock_ms(ls->clock) >= atomic_load(&g->due_ms))
		return 0; /* the caller releases it first */
	*held = g->held;
	return 1;
}

static int table_release(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_leader *held);

/* Take the table lease, waiting out short holds by other hosts. */
static int
table_lock(struct lfs_lockspace *ls, struct lfs_io *io, struct lfs_leader *held)
{
	struct lfs_tcache *c = ls->names_cache;
	int i, rv = -EBUSY;

	/* due_ms keeps its value until table_unlock() (or a failure here)
	 * sets it again: a watcher never sees "none kept" in between and
	 * goes to sleep on a hold this call is about to keep */
	if (linger_reuse(ls, held))
		return 0;
	if (c != NULL && lfs_tcache_linger(c)->kept) {
		lfs_tcache_linger(c)->kept = 0; /* due: give others a turn */
		table_release(ls, io, &lfs_tcache_linger(c)->held);
	}
	for (i = 0; i < TABLE_LOCK_TRIES; i++) {
		rv = lfs_paxos_acquire(ls, io, &table_ref, "_table", held);
		if (rv == 0 || rv == -EALREADY)
			return 0;
		if (rv != -EBUSY && rv != -EAGAIN) {
			/* an I/O error may come after our ballot chose us */
			table_settle(ls, io);
			break;
		}
		lfs_clock_sleep(ls->clock,
		    TABLE_LOCK_PAUSE_MS + (uint32_t)(i % 7));
	}
	if (c != NULL)
		linger_set_due(lfs_tcache_linger(c)); /* nothing kept now */
	return rv;
}

/* Release the table lease held as *held; 0 when released as instance
 * held->lver + 1 (the name-table cache may then keep its image). */
static int
table_release(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_leader *held)
{
	struct lfs_tcache *c = ls->names_cache;
	int rv = lfs_paxos_release(ls, io, &table_ref, held);

	if (rv < 0 && rv != -EPERM) {
		lfs_log(ls->log, LOG_ERR, "name table lease: release failed: "
		    "%s; settling it", strerror(-rv));
		table_settle(ls, io);
	}
	if (c != NULL && rv == 0)
		lfs_tcache_released(c, held->lver + 1);
	else if (c != NULL)
		lfs_tcache_invalidate(c);
	return rv;
}

/* The change made under *held ended with result: keep the hold (linger)
 * after a success when the caller asked for it, else release it now. */
static int
table_unlock(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_leader *held, int result)
{
	struct lfs_tcache *c = ls->names_cache;
	struct lfs_tcache_linger *g = c != NULL ? lfs_tcache_linger(c) : NULL;
	uint64_t now = lfs_clock_ms(ls->clock);

	if (g != NULL && g->idle_ms > 0 && result == 0) {
		if (!g->kept) {
			g->kept = 1;
			g->held = *held;
			g->since_ms = now;
		}
		g->last_ms = now;
		linger_set_due(g);
		return 0;
	}
	if (g != NULL && g->kept) {
		g->kept = 0;
		linger_set_due(g);
	}
	return table_release(ls, io, held);
}

int
lfs_leases_set_linger(struct lfs_lockspace *ls, uint32_t idle_ms)
{
	struct lfs_tcache *c = lfs_tcache_of(ls);

	if (c == NULL)
		return -ENOMEM;
	lfs_tcache_lock(c);
	lfs_tcache_linger(c)->idle_ms = idle_ms;
	lfs_tcache_unlock(c);
	return 0;
}

uint64_t
lfs_leases_linger_due(struct lfs_lockspace *ls)
{
	struct lfs_tcache *c = ls->names_cache;

	return c == NULL ? UINT64_MAX : atomic_load(&lfs_tcache_linger(c)->due_ms);
}

int
lfs_leases_linger_end(struct lfs_lockspace *ls, struct lfs_io *io, int force)
{
	struct lfs_tcache *c = ls->names_cache;
	struct lfs_tcache_linger *g;
	struct lfs_leader held;
	int rv = 0;

	if (c == NULL)
		return 0;
	g = lfs_tcache_linger(c);
	lfs_tcache_lock(c);
	if (g->kept && (force || lfs_clock_ms(ls->clock) >=
	    atomic_load(&g->due_ms))) {
		held = g->held;
		g->kept = 0;
		linger_set_due(g);
		if (held.owner_id == ls->host_id &&
		    held.owner_gen == ls->generation)
			rv = table_release(ls, io, &held);
		else
			lfs_tcache_invalidate(c);
	}
	lfs_tcache_unlock(c);
	return rv;
}

/*
 * Writes outside Disk Paxos: the name-table sector, a slot's initial image,
 * a DELETED leader.  A ballot is safe whenever its writes land; these are
 * not: one that lands after another host took the table lease over would
 * undo that host's work (reset a slot it reused, drop an entry it wrote).
 * They are made under the table lease, which others take over only after
 * host_dead of silence from us, so such a write is issued only while our
 * last renewal is fresh enough that it is done or given up (io_timeout)
 * before renewal_fail, when we fence:
 *
 *   r              our last good renewal write submitted
 *   <= r+fail-io   the write is submitted (checked here, just before)
 *   <= r+fail      its I/O timeout ends
 *   >= r+host_dead others may take the table lease over
 *
 * A write the storage still completes after its timeout is harmless only
 * if it lands within host_dead - renewal_fail + io = 5 io of its
 * submission; that bound is a requirement on the storage stack (SCSI and
 * multipath queueing), stated in leasefs(8).
 */
static int
fresh_for_unguarded_write(struct lfs_lockspace *ls)
{
	if (lfs_delta_write_fresh(ls) == 0)
		return 0;
	lfs_log(ls->log, LOG_ERR, "name table: refusing a write %llu ms after "
	    "our last renewal (renewal_fail %u ms): it could land after "
	    "other hosts take over",
	    (unsigned long long)lfs_delta_since_renewal_ms(ls),
	    ls->to.renewal_fail_ms);
	return -EIO;
}

static int
unguarded_write(struct lfs_lockspace *ls, struct lfs_io *io, uint64_t offset,
    const void *buf, size_t len)
{
	/* checked inside the submit gate (lockspace.h), right before the
	 * submit: no stall between the two can slip an old check through */
	return lfs_lockspace_write_checked(ls, io, offset, buf, len,
	    fresh_for_unguarded_write);
}

/* Write the table sector that holds entry k, from the table image. */
static int
write_table_sector(struct lfs_lockspace *ls, struct lfs_io *io,
    const unsigned char *table, uint32_t k)
{
	uint32_t S = ls->layout.sector_size;
	uint64_t sec = lfs_name_entry_offset(k) / S;

	return unguarded_write(ls, io, (ls->layout.name_table + sec) * S,
	    table + sec * S, S);
}

/* For lfs_io_read_verified(): the old leader, decoded quietly. */
struct leader_read {
	struct lfs_leader ld;
	int decoded;             /* the read succeeded, verify ran */
};

static int
decode_old_leader(void *arg, const void *buf, size_t len)
{
	struct leader_read *r = arg;

	r->decoded = 1;
	return lfs_leader_decode(&r->ld, buf, len);
}

/*
 * The largest incarnation stamped in slot's dblocks, 0 when none decodes.
 * Every incarnation's image stamps all of them (slot_image) and every
 * ballot of it writes its own with it, so this is at least the slot's last
 * incarnation whenever one dblock of it is readable.
 */
static int
dblocks_incarnation(struct lfs_lockspace *ls, struct lfs_io *io,
    uint32_t slot, uint32_t *inc)
{
	uint32_t id, S = ls->layout.sector_size, n = ls->layout.max_hosts;
	struct lfs_dblock db;
	unsigned char *buf;
	int rv;

	buf = malloc((size_t)n * S);
	if (buf == NULL)
		return -ENOMEM;
	rv = lfs_io_read(io, (lfs_slot_sector(&ls->layout, slot) +
	    LFS_SLOT_HEADER_SECTORS) * S, buf, (size_t)n * S);
	*inc = 0;
	for (id = 1; rv == 0 && id <= n; id++)
		if (lfs_dblock_decode(&db, buf + (size_t)(id - 1) * S, S) == 0 &&
		    db.incarnation > *inc)
			*inc = db.incarnation;
	free(buf);
	return rv;
}

/*
 * Incarnation for a slot about to be reused: one past the old leader's.
 * It must rise (paxos.h invariant 9: a ballot of the old incarnation,
 * stalled, must find the reset dblocks newer than its own), so a leader
 * that fails its checksum is read again (a read that met a late write of
 * it: diskio.h), and one still bad after that gives way to the dblocks'
 * stamps.  Only a slot never written (or garbage from before format, with
 * no stamped dblock either) starts at 1.
 */
static int
next_incarnation(struct lfs_lockspace *ls, struct lfs_io *io, uint32_t slot,
    uint32_t *inc)
{
	uint32_t S = ls->layout.sector_size, stamped;
	struct leader_read r = { .decoded = 0 };
	unsigned char *buf;
	int rv;

	buf = malloc(S);
	if (buf == NULL)
		return -ENOMEM;
	rv = lfs_io_read_verified(io, lfs_slot_sector(&ls->layout, slot) * S,
	    buf, S, decode_old_leader, &r);
	free(buf);
	if (!r.decoded)
		return rv; /* the read failed */
	*inc = rv == 0 ? r.ld.incarnation : 0;
	if (rv < 0 && rv != -ENODATA) {
		lfs_log(ls->log, LOG_WARNING, "slot %u: old leader: %s; taking "
		    "the incarnation from its dblocks", slot,
		    lfs_decode_strerror(rv));
		if ((rv = dblocks_incarnation(ls, io, slot, &stamped)) < 0)
			return rv;
		*inc = stamped;
	}
	if (++*inc == 0)
		*inc = 1;
	return 0;
}

/*
 * The slot's initial image: the leader (incarnation inc, lver 0, free), no
 * request, and every host's dblock empty but stamped with inc (paxos.h
 * invariant 9), the value sector empty.  The stamp is what tells a ballot
 * of the previous incarnation, stalled since its leader read, that the
 * dblocks it competed with were reset under it: the winning ballot of the
 * delete that freed the slot was one of them.  Zeroed dblocks would read
 * as "no ballot anywhere" and let it choose itself and commit a leader of
 * the old incarnation over this one (the simulator's seed 50293).
 */
static int
slot_image(struct lfs_lockspace *ls, uint32_t inc, const char *name,
    unsigned char *buf)
{
	uint32_t id, S = ls->layout.sector_size;
	struct lfs_leader ld = { .incarnation = inc };
	struct lfs_dblock db = { .incarnation = inc };
	int rv;

	ld.writer_id = ls->host_id;
	ld.wall_time = (uint64_t)time(NULL);
	snprintf(ld.name, sizeof(ld.name), "%s", name);
	rv = lfs_leader_encode(&ld, buf, S);
	for (id = 1; rv == 0 && id <= ls->layout.max_hosts; id++)
		rv = lfs_dblock_encode(&db, buf + (size_t)(LFS_SLOT_HEADER_SECTORS -
		    1 + id) * S, S);
	return rv;
}

static int
init_slot(struct lfs_lockspace *ls, struct lfs_io *io, uint32_t slot,
    uint32_t inc, const char *name)
{
	size_t len = ls->layout.slot_sectors * ls->layout.sector_size;
	unsigned char *buf;
	int rv;

	buf = calloc(1, len);
	if (buf == NULL)
		return -ENOMEM;
	rv = slot_image(ls, inc, name, buf);
	if (rv == 0)
		rv = unguarded_write(ls, io, lfs_slot_sector(&ls->layout, slot) *
		    ls->layout.sector_size, buf, len);
	free(buf);
	return rv;
}

/* Find name's entry (*found_k; -ENOENT when absent) and the first free
 * entry (*free_k, or -1), through the cache's index: O(1) sectors and
 * about O(1) work however large the table. */
static int
table_scan(struct lfs_tcache *c, const char *name, uint32_t *found_k,
    int64_t *free_k)
{
	uint32_t k;
	int rv;

	*free_k = lfs_tcache_first_free(c, &k) == 0 ? (int64_t)k : -1;
	rv = lfs_tcache_find(c, name, found_k);
	return rv;
}

static int
create_locked(struct lfs_lockspace *ls, struct lfs_io *io, const char *name,
    const struct lfs_leader *held, struct lfs_lease_entry *out)
{
	struct lfs_tcache *c = ls->names_cache;
	struct lfs_name_entry ne = { 0 };
	unsigned char *table;
	uint32_t k = 0;
	int64_t free_k;
	int rv;

	if ((rv = lfs_tcache_read_locked(ls, io, c, held->lver, &table)) < 0)
		return rv;
	rv = table_scan(c, name, &k, &free_k);
	if (rv == 0)
		rv = -EEXIST;
	else if (rv == -ENOENT)
		rv = free_k < 0 ? -ENOSPC : 0;
	if (rv < 0)
		goto out;
	k = (uint32_t)free_k;
	if ((rv = next_incarnation(ls, io, k + 1, &ne.incarnation)) < 0 ||
	    (rv = init_slot(ls, io, k + 1, ne.incarnation, name)) < 0)
		goto out;
	snprintf(ne.name, sizeof(ne.name), "%s", name);
	rv = lfs_name_entry_encode(&ne, table + lfs_name_entry_offset(k));
	if (rv == 0)
		rv = write_table_sector(ls, io, table, k);
	if (rv < 0) {
		lfs_tcache_invalidate(c); /* the image has our entry, the disk
		                             may not */
		return rv;
	}
	lfs_tcache_entry_changed(c, k);
	if (out != NULL) {
		snprintf(out->name, sizeof(out->name), "%s", name);
		out->ref.slot = k + 1;
		out->ref.incarnation = ne.incarnation;
	}
out:
	return rv;
}

int
lfs_leases_create(struct lfs_lockspace *ls, struct lfs_io *io,
    const char *name, struct lfs_lease_entry *out)
{
	struct lfs_tcache *c;
	struct lfs_leader held;
	int rv;

	if (lfs_name_check(name) < 0)
		return -EINVAL;
	if ((c = lfs_tcache_of(ls)) == NULL)
		return -ENOMEM;
	lfs_tcache_lock(c);
	if ((rv = table_lock(ls, io, &held)) < 0) {
		lfs_tcache_unlock(c);
		return rv;
	}
	rv = create_locked(ls, io, name, &held, out);
	table_unlock(ls, io, &held, rv);
	lfs_tcache_unlock(c);
	if (rv == 0)
		lfs_log(ls->log, LOG_NOTICE, "%s: created (slot %u)", name,
		    out != NULL ? out->ref.slot : 0);
	return rv;
}

/* Mark the leader of a slot DELETED (and free): stale name -> slot
 * mappings elsewhere then read -ENOENT from it. */
static int
write_deleted_leader(struct lfs_lockspace *ls, struct lfs_io *io,
    uint32_t slot, const struct lfs_leader *lease)
{
	uint32_t S = ls->layout.sector_size;
	struct lfs_leader ld = *lease;
	unsigned char *buf;
	int rv;

	buf = malloc(S);
	if (buf == NULL)
		return -ENOMEM;
	ld.flags |= LFS_LEADER_DELETED;
	ld.owner_id = 0;
	ld.owner_gen = 0;
	ld.writer_id = ls->host_id;
	ld.wall_time = (uint64_t)time(NULL);
	rv = lfs_leader_encode(&ld, buf, S);
	if (rv == 0)
		rv = unguarded_write(ls, io, lfs_slot_sector(&ls->layout, slot) *
		    S, buf, S);
	free(buf);
	return rv;
}

/* Whether entry k of table still names e: 0, -ENOENT (cleared, or deleted
 * and re-created meanwhile), or a decoder error. */
static int
entry_is(struct lfs_lockspace *ls, const unsigned char *table,
    const struct lfs_lease_entry *e)
{
	struct lfs_lease_entry cur;
	int rv = table_entry(ls, table, e->ref.slot - 1, &cur);

	if (rv == -ENODATA || (rv == 0 && (strcmp(cur.name, e->name) != 0 ||
	    cur.ref.incarnation != e->ref.incarnation)))
		return -ENOENT;
	return rv;
}

/* Clear the entry of e, holding the table lease as *held (and the cache). */
static int
clear_entry_locked(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_entry *e, const struct lfs_leader *held)
{
	struct lfs_tcache *c = ls->names_cache;
	uint32_t k = e->ref.slot - 1;
	unsigned char *table;
	int rv;

	if ((rv = lfs_tcache_read_locked(ls, io, c, held->lver, &table)) < 0 ||
	    (rv = entry_is(ls, table, e)) < 0)
		return rv;
	memset(table + lfs_name_entry_offset(k), 0, LFS_NAME_ENTRY_SIZE);
	rv = write_table_sector(ls, io, table, k);
	if (rv < 0)
		lfs_tcache_invalidate(c);
	else
		lfs_tcache_entry_changed(c, k);
	return rv;
}

/* Under the table lease, with the lease itself held as *lease: mark its
 * leader DELETED, then clear its entry.  In that order, so that no failure
 * leaves a live slot that the table no longer lists: if the leader write
 * fails nothing changed (the caller releases the lease); once it is
 * written the slot answers -ENOENT to every holder of the old reference,
 * and a failed entry write leaves only a listed name whose slot is deleted,
 * which the next delete of that name clears (delete_finish()). */
static int
delete_locked(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_entry *e, const struct lfs_leader *lease,
    const struct lfs_leader *held, int *leader_deleted)
{
	unsigned char *table;
	int rv;

	*leader_deleted = 0;
	if ((rv = lfs_tcache_read_locked(ls, io, ls->names_cache, held->lver,
	    &table)) < 0 || (rv = entry_is(ls, table, e)) < 0)
		return rv;
	if ((rv = write_deleted_leader(ls, io, e->ref.slot, lease)) < 0)
		return rv;
	*leader_deleted = 1;
	return clear_entry_locked(ls, io, e, held);
}

/* The lease of entry e answers -ENOENT: if its leader is this incarnation's
 * DELETED one, an earlier delete stopped after marking it; clear the entry
 * it left.  Else -ENOENT stands. */
static int
delete_finish(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_entry *e)
{
	struct lfs_leader ld, table_held;
	struct lfs_tcache *c;
	int rv;

	memset(&ld, 0, sizeof(ld));
	rv = lfs_paxos_read_leader(ls, io, &e->ref, &ld); /* fills ld on -ENOENT */
	if (rv != -ENOENT)
		return rv < 0 ? rv : -EBUSY; /* it is a live lease again */
	if (!(ld.flags & LFS_LEADER_DELETED) ||
	    ld.incarnation != e->ref.incarnation)
		return -ENOENT;
	if ((c = lfs_tcache_of(ls)) == NULL)
		return -ENOMEM;
	lfs_tcache_lock(c);
	if ((rv = table_lock(ls, io, &table_held)) == 0) {
		rv = clear_entry_locked(ls, io, e, &table_held);
		table_unlock(ls, io, &table_held, rv);
	}
	lfs_tcache_unlock(c);
	if (rv < 0)
		return rv;
	if (rv == 0)
		lfs_log(ls->log, LOG_NOTICE, "%s: deleted (finished an earlier "
		    "delete)", e->name);
	return rv;
}

/*
 * A delete that took the lease and then failed (rv) lets it go again.  When
 * that release fails too, the lease is still ours on disk with nobody
 * holding it: say -EIO (unless rv already says the caller must settle), so
 * that the caller settles it (leases.h).
 */
static int
delete_let_go(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_ref *ref, const struct lfs_leader *lease, int rv)
{
	if (lfs_paxos_release(ls, io, ref, lease) < 0 &&
	    !lfs_hp_delete_unsettled(rv))
		return -EIO;
	return rv;
}

int
lfs_leases_delete(struct lfs_lockspace *ls, struct lfs_io *io,
    const char *name)
{
	struct lfs_lease_entry e;
	struct lfs_leader lease, table_held;
	struct lfs_tcache *c;
	int rv, leader_deleted;

	if ((rv = lfs_leases_lookup(ls, io, name, &e)) < 0)
		return rv;
	rv = lfs_paxos_acquire(ls, io, &e.ref, name, &lease);
	if (rv == -ENOENT)
		return delete_finish(ls, io, &e);
	/*
	 * -EAGAIN (an aborted ballot), -EIO or -ETIMEDOUT after phase 2, and
	 * -EINPROGRESS (won under a shared holder, not let go) may leave the
	 * lease ours on disk with nobody holding it: returned as they are, so
	 * that the caller settles it as after any acquire (hostpolicy.h
	 * lfs_hp_delete_unsettled; finding C13: mapped to -EBUSY, nothing
	 * settled it and it stayed busy for every other host).
	 */
	if (rv == -EALREADY)
		rv = -EBUSY; /* held here */
	if (rv < 0)
		return rv;
	if ((c = lfs_tcache_of(ls)) == NULL)
		return delete_let_go(ls, io, &e.ref, &lease, -ENOMEM);
	lfs_tcache_lock(c);
	if ((rv = table_lock(ls, io, &table_held)) < 0) {
		lfs_tcache_unlock(c);
		return delete_let_go(ls, io, &e.ref, &lease, rv);
	}
	rv = delete_locked(ls, io, &e, &lease, &table_held, &leader_deleted);
	table_unlock(ls, io, &table_held, rv);
	lfs_tcache_unlock(c);
	if (rv < 0 && !leader_deleted)
		rv = delete_let_go(ls, io, &e.ref, &lease, rv);
	if (rv == 0)
		lfs_log(ls->log, LOG_NOTICE, "%s: deleted", name);
	else if (leader_deleted)
		lfs_log(ls->log, LOG_ERR, "%s: deleted, but its name-table "
		    "entry could not be cleared (%s); deleting it again "
		    "finishes", name, strerror(-rv));
	return rv;
}
