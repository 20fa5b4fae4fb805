/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * repair.c - rewriting a corrupt leader or dblock when it is safe (repair.h).
 *
 *   1. read the slot; note which records do not decode, and which hosts
 *      must be free or dead for the rewrite to be safe;
 *   2. watch those hosts' records until each is free or dead (as a join
 *      watches a host id: host_dead without a change), or one is seen
 *      alive (-EBUSY);
 *   3. read the slot again: it must be byte for byte what 1 read (else
 *      -EAGAIN: someone wrote meanwhile);
 *   4. rewrite, logging each record.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "repair.h"

/* What a read of the slot shows. */
struct slot_scan {
	unsigned char *buf;          /* the slot, slot_sectors sectors */
	int leader_bad;              /* the leader does not decode */
	uint64_t newest;             /* largest lver of a good dblock */
	uint32_t value_id;           /* largest-bal value of instance newest */
	uint64_t value_gen;
	unsigned char *bad;          /* [1 .. max_hosts]: dblock corrupt */
	unsigned char *need;         /* [1 .. max_hosts]: must be free/dead */
};

static size_t
slot_bytes(const struct lfs_lockspace *ls)
{
	return (size_t)ls->layout.slot_sectors * ls->layout.sector_size;
}

static void
scan_free(struct slot_scan *s)
{
	free(s->buf);
	free(s->bad);
	free(s->need);
	memset(s, 0, sizeof(*s));
}

static const unsigned char *
dblock_at(const struct lfs_lockspace *ls, const unsigned char *slot,
    uint32_t id)
{
	return slot + (size_t)(1 + id) * ls->layout.sector_size;
}

/* Decode the dblocks of s->buf; fill bad, newest and the value. */
static void
scan_dblocks(struct lfs_lockspace *ls, struct slot_scan *s)
{
	uint32_t id, S = ls->layout.sector_size;
	uint64_t best_bal = 0;
	struct lfs_dblock d;
	int rv;

	for (id = 1; id <= ls->layout.max_hosts; id++) {
		rv = lfs_dblock_decode(&d, dblock_at(ls, s->buf, id), S);
		if (rv == -ENODATA)
			continue;
		if (rv < 0) {
			s->bad[id] = 1;
			s->need[id] = 1;
			continue;
		}
		if (d.lver > s->newest) {
			s->newest = d.lver;
			best_bal = 0;
			s->value_id = 0;
			s->value_gen = 0;
		}
		if (d.lver == s->newest && d.bal > best_bal) {
			best_bal = d.bal;
			s->value_id = d.inp_id;
			s->value_gen = d.inp_gen;
		}
	}
}

static int
scan_slot(struct lfs_lockspace *ls, struct lfs_io *io, uint32_t slot,
    struct slot_scan *s)
{
	uint32_t id, S = ls->layout.sector_size;
	struct lfs_leader ld;
	struct lfs_dblock d;
	int rv;

	memset(s, 0, sizeof(*s));
	s->buf = malloc(slot_bytes(ls));
	s->bad = calloc(ls->layout.max_hosts + 1u, 1);
	s->need = calloc(ls->layout.max_hosts + 1u, 1);
	if (s->buf == NULL || s->bad == NULL || s->need == NULL) {
		scan_free(s);
		return -ENOMEM;
	}
	rv = lfs_io_read(io, lfs_slot_sector(&ls->layout, slot) * S, s->buf,
	    slot_bytes(ls));
	if (rv < 0) {
		scan_free(s);
		return rv;
	}
	rv = lfs_leader_decode(&ld, s->buf, S);
	s->leader_bad = rv < 0 && rv != -ENODATA;
	scan_dblocks(ls, s);
	if (!s->leader_bad)
		return 0;
	/* a leader rebuilt from instance `newest` needs its ballots over */
	for (id = 1; id <= ls->layout.max_hosts; id++)
		if (!s->bad[id] && lfs_dblock_decode(&d, dblock_at(ls, s->buf,
		    id), S) == 0 && d.lver == s->newest)
			s->need[id] = 1;
	return 0;
}

static int
needs_any(const struct lfs_lockspace *ls, const struct slot_scan *s)
{
	uint32_t id;

	for (id = 1; id <= ls->layout.max_hosts; id++)
		if (s->need[id])
			return 1;
	return 0;
}

/* A host whose record shows a clean leave, or nothing, or that is dead. */
static int
host_gone(struct lfs_lockspace *ls, uint32_t id)
{
	struct lfs_host_view v;

	if (lfs_host_get(ls, id, &v) < 0)
		return 1; /* never joined: its dblock is garbage from before */
	if (!v.corrupt && (v.rec.flags & LFS_HOST_FREE))
		return 1;
	return lfs_host_state(ls, id, 0) == LFS_HOST_STATE_DEAD;
}

/*
 * Step 2.  A host is watched from our first look: the view presumes a
 * change then (lockspace.h), so DEAD means host_dead without one.  A
 * change seen later means it is alive: -EBUSY.
 */
static int
wait_gone(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct slot_scan *s, int (*should_stop)(void *), void *arg,
    uint32_t *busy)
{
	uint32_t id, n = ls->layout.max_hosts;
	struct lfs_host_view v;
	uint64_t *first;
	int rv, waiting;

	first = calloc(n + 1u, sizeof(*first));
	if (first == NULL)
		return -ENOMEM;
	for (;;) {
		if ((rv = lfs_hosts_refresh(ls, io)) < 0)
			break;
		waiting = 0;
		for (id = 1; id <= n && rv == 0; id++) {
			if (!s->need[id] || host_gone(ls, id))
				continue;
			if (lfs_host_get(ls, id, &v) == 0) {
				if (first[id] == 0)
					first[id] = v.changed_ms;
				else if (first[id] != v.changed_ms) {
					*busy = id;
					rv = -EBUSY;
				}
			}
			waiting = 1;
		}
		if (rv < 0 || !waiting)
			break;
		if (should_stop != NULL && should_stop(arg)) {
			rv = -EINTR;
			break;
		}
		lfs_clock_sleep(ls->clock, ls->to.renewal_interval_ms);
	}
	free(first);
	return rv;
}

static int
write_zero_sector(struct lfs_lockspace *ls, struct lfs_io *io, uint64_t sec)
{
	uint32_t S = ls->layout.sector_size;
	unsigned char *z = calloc(1, S);
	int rv;

	if (z == NULL)
		return -ENOMEM;
	rv = lfs_io_write(io, sec * S, z, S);
	free(z);
	return rv;
}

/* Step 4. */
static int
rewrite(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_entry *e, const struct slot_scan *s,
    struct lfs_repair_result *out)
{
	uint32_t id, S = ls->layout.sector_size;
	uint64_t base = lfs_slot_sector(&ls->layout, e->ref.slot);
	unsigned char *buf;
	int rv;

	for (id = 1; id <= ls->layout.max_hosts; id++) {
		if (!s->bad[id])
			continue;
		if ((rv = write_zero_sector(ls, io, base + 1 + id)) < 0)
			return rv;
		out->dblocks_rewritten++;
		lfs_log(ls->log, LOG_NOTICE, "%s: repair: rewrote the corrupt "
		    "dblock of host %u empty", e->name, id);
	}
	if (!s->leader_bad)
		return 0;
	memset(&out->leader, 0, sizeof(out->leader));
	out->leader.incarnation = e->ref.incarnation;
	out->leader.lver = s->newest;
	out->leader.owner_id = s->value_id;
	out->leader.owner_gen = s->value_gen;
	out->leader.writer_id = ls->host_id;
	out->leader.wall_time = (uint64_t)time(NULL);
	snprintf(out->leader.name, sizeof(out->leader.name), "%s", e->name);
	if ((buf = calloc(1, S)) == NULL)
		return -ENOMEM;
	rv = lfs_leader_encode(&out->leader, buf, S);
	if (rv == 0)
		rv = lfs_io_write(io, base * S, buf, S);
	free(buf);
	if (rv < 0)
		return rv;
	out->leader_rewritten = 1;
	lfs_log(ls->log, LOG_NOTICE, "%s: repair: rebuilt the corrupt leader: "
	    "lver %llu owner %u generation %llu", e->name,
	    (unsigned long long)s->newest, s->value_id,
	    (unsigned long long)s->value_gen);
	return 0;
}

int
lfs_repair_lease(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_entry *e, int (*should_stop)(void *), void *arg,
    struct lfs_repair_result *out)
{
	struct slot_scan before, after;
	int rv;

	memset(out, 0, sizeof(*out));
	if ((rv = scan_slot(ls, io, e->ref.slot, &before)) < 0)
		return rv;
	if (!needs_any(ls, &before) && !before.leader_bad) {
		scan_free(&before);
		return 0; /* nothing corrupt */
	}
	rv = wait_gone(ls, io, &before, should_stop, arg, &out->busy_host);
	if (rv == -EBUSY)       /* returned, and reported by the caller */
		lfs_log(ls->log, LOG_DEBUG, "%s: repair refused: host %u is alive "
		    "(stop it cleanly, or wait until it is dead)", e->name,
		    out->busy_host);
	if (rv == 0 && (rv = scan_slot(ls, io, e->ref.slot, &after)) == 0) {
		if (memcmp(before.buf, after.buf, slot_bytes(ls)) != 0) {
			lfs_log(ls->log, LOG_DEBUG, "%s: repair: the slot changed "
			    "while we watched; nothing written", e->name);
			rv = -EAGAIN;
		} else {
			rv = rewrite(ls, io, e, &after, out);
		}
		scan_free(&after);
	}
	scan_free(&before);
	return rv;
}
