/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check.c - the checker: what the simulated world must never show.
 *
 * It sees the truth, not what any host believes:
 *   1. exclusive leases: at no simulated instant may holders of two
 *      machines, or of two incarnations or generations of one machine,
 *      act on one lease, unless both hold it shared (--shared: an
 *      exclusive hold overlaps no other hold, shared holds overlap freely).
 *      A holder acts from its grant until it stops (before a release or a
 *      transfer is written), or until it is dead after a kill (the worst
 *      case: kill_grace + kill_settle after the kill), or at once when its
 *      host crashes.  Checked at every grant against every holder that may
 *      still act.
 *   2. one value per Paxos instance: every acquire or transfer that
 *      returned success names the value chosen for its instance (lease
 *      incarnation, lver); two different values for one instance is a
 *      violation even if no holder overlapped.
 *   3. a host's view of an owner is one the disk has held: a leader a host
 *      acted on (-EALREADY, a request's poll, verify after a failed
 *      transfer) must be one that landed on the disk.
 *   4. after healing, every lease and the name table can be taken by
 *      someone (host.c: the probe), and the name table is consistent
 *      (check_final).
 * A corrupt or unreadable record taken for a free one shows up as 1 or 2.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

/* ---- holders ---- */

struct hrec {
	int m;
	uint32_t inc, host_id;
	uint64_t gen, lver;
	uint64_t start, end;          /* end SIM_INF while active */
	const char *how;
	int shared;                   /* a shared hold (shared.h) */
};

static struct hrec *hr[SIM_LEASE_CAP + 1];
static int nhr[SIM_LEASE_CAP + 1], caphr[SIM_LEASE_CAP + 1];

/* ---- tuples seen: values chosen, leaders landed ---- */

struct tup {
	uint32_t epoch;
	uint32_t slot, inc, id;
	uint64_t lver, gen;
	int m;
	const char *how;
};

struct tab {
	struct tup *v;
	size_t cap, n;
};

static struct tab chosen, landed;
static uint32_t epoch = 1;

static uint64_t
tup_hash(uint32_t slot, uint32_t inc, uint64_t lver, uint32_t id, uint64_t gen)
{
	uint64_t h = 0x9e3779b97f4a7c15ull;

	h = (h ^ slot) * 0xff51afd7ed558ccdull;
	h = (h ^ inc) * 0xc4ceb9fe1a85ec53ull;
	h = (h ^ lver) * 0xff51afd7ed558ccdull;
	h = (h ^ id) * 0xc4ceb9fe1a85ec53ull;
	h = (h ^ gen) * 0xff51afd7ed558ccdull;
	return h ^ (h >> 29);
}

static void tab_put(struct tab *t, const struct tup *x, int with_value);

static void
tab_grow(struct tab *t, int with_value)
{
	struct tup *old = t->v;
	size_t oldcap = t->cap, i;

	t->cap = t->cap ? 2 * t->cap : 1024;
	t->v = calloc(t->cap, sizeof(*t->v));
	if (t->v == NULL)
		abort();
	t->n = 0;
	for (i = 0; i < oldcap; i++)
		if (old[i].epoch == epoch)
			tab_put(t, &old[i], with_value);
	free(old);
}

/* Find x: by (slot, inc, lver) only when !with_value (chosen), else by
 * every field (landed). */
static struct tup *
tab_find(struct tab *t, const struct tup *x, int with_value)
{
	size_t i;

	if (t->cap == 0)
		return NULL;
	i = tup_hash(x->slot, x->inc, x->lver, with_value ? x->id : 0,
	    with_value ? x->gen : 0) & (t->cap - 1);
	for (;; i = (i + 1) & (t->cap - 1)) {
		struct tup *e = &t->v[i];

		if (e->epoch != epoch)
			return e; /* empty: where it would go */
		if (e->slot == x->slot && e->inc == x->inc &&
		    e->lver == x->lver && (!with_value || (e->id == x->id &&
		    e->gen == x->gen)))
			return e;
	}
}

static void
tab_put(struct tab *t, const struct tup *x, int with_value)
{
	struct tup *e;

	if (2 * (t->n + 1) > t->cap)
		tab_grow(t, with_value);
	e = tab_find(t, x, with_value);
	if (e->epoch != epoch) {
		*e = *x;
		e->epoch = epoch;
		t->n++;
	}
}

void
check_reset(void)
{
	int s;

	for (s = 0; s <= SIM_LEASE_CAP; s++)
		nhr[s] = 0;
	epoch++;
	chosen.n = landed.n = 0;
}

void
sim_fail(const char *fmt, ...)
{
	char msg[900];
	va_list ap;

	if (W->failed || W->tearing_down)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	W->failed = 1;
	snprintf(W->why, sizeof(W->why), "at %.3f ms: %s",
	    (double)W->now / (double)MS, msg);
	tr(NULL, "VIOLATION %s", msg);
}

/* ---- 1. holders ---- */

static void
prune(uint32_t slot)
{
	int i, j = 0;

	for (i = 0; i < nhr[slot]; i++)
		if (hr[slot][i].end > W->now)
			hr[slot][j++] = hr[slot][i];
	nhr[slot] = j;
}

void
check_holder_start(struct machine *m, struct inc *i, uint32_t slot,
    const struct lfs_leader *ld, const char *how)
{
	check_holder_start_mode(m, i, slot, ld, how, 0);
}

/* A hold of slot by (m, i) in its current generation starts now: it may
 * overlap only its own holds, and, when both are shared, any other. */
void
check_holder_start_mode(struct machine *m, struct inc *i, uint32_t slot,
    const struct lfs_leader *ld, const char *how, int shared)
{
	struct hrec *e;
	int k, beside = 0;

	if (W->tearing_down || slot > SIM_LEASE_CAP)
		return;
	prune(slot);
	for (k = 0; k < nhr[slot]; k++) {
		e = &hr[slot][k];
		if (e->m == m->idx && e->inc == i->seq &&
		    e->gen == i->ls.generation)
			continue;
		if (shared && e->shared) {
			beside = 1;
			continue;
		}
		sim_fail("two holders of slot %u: m%d (host %u gen %llu, lver %llu, "
		    "%s%s at %.3f ms, %s) and now m%d (host %u gen %llu, lver %llu, "
		    "%s%s)", slot, e->m + 1, e->host_id, (unsigned long long)e->gen,
		    (unsigned long long)e->lver, e->shared ? "shared, " : "",
		    e->how, (double)e->start / (double)MS, e->end == SIM_INF ?
		    "still active" : "dying", m->idx + 1, i->ls.host_id,
		    (unsigned long long)i->ls.generation,
		    (unsigned long long)ld->lver, shared ? "shared, " : "", how);
		return;
	}
	W->sh_overlaps += beside;
	if (nhr[slot] == caphr[slot]) {
		caphr[slot] = caphr[slot] ? 2 * caphr[slot] : 16;
		hr[slot] = realloc(hr[slot], (size_t)caphr[slot] * sizeof(**hr));
		if (hr[slot] == NULL)
			abort();
	}
	e = &hr[slot][nhr[slot]++];
	e->m = m->idx;
	e->inc = i->seq;
	e->host_id = i->ls.host_id;
	e->gen = i->ls.generation;
	e->lver = ld->lver;
	e->start = W->now;
	e->end = SIM_INF;
	e->how = how;
	e->shared = shared;
}

void
check_holder_end(struct machine *m, struct inc *i, uint32_t slot, uint64_t end)
{
	int k;

	if (W->tearing_down || slot > SIM_LEASE_CAP)
		return;
	for (k = 0; k < nhr[slot]; k++) {
		struct hrec *e = &hr[slot][k];

		if (e->m == m->idx && e->inc == i->seq &&
		    e->gen == i->ls.generation && e->end > W->now &&
		    end < e->end)
			e->end = end;
	}
}

/* Machine m is gone at time t (crash, watchdog reset): every holder of it,
 * also one still dying from an earlier kill. */
void
check_machine_dead_at(struct machine *m, uint64_t t)
{
	uint32_t slot;
	int k;

	for (slot = 0; slot <= SIM_LEASE_CAP; slot++)
		for (k = 0; k < nhr[slot]; k++)
			if (hr[slot][k].m == m->idx && hr[slot][k].end > t)
				hr[slot][k].end = t;
}

/* ---- 2. one value per instance ---- */

/* Whether every dblock of slot carries an incarnation stamp, as the image
 * of a created lease leaves them (core/leases.c slot_image; paxos.h
 * invariant 9): what makes a late leader write of an older incarnation
 * harmless (core/paxos.c check_ref). */
static int
slot_stamped(uint32_t slot)
{
	const struct lfs_layout *l = &W->tmpl->layout;
	uint32_t S = l->sector_size, id;
	struct lfs_dblock d;

	for (id = 1; id <= l->max_hosts; id++)
		if (lfs_dblock_decode(&d, W->disk + (lfs_slot_sector(l, slot) +
		    LFS_SLOT_HEADER_SECTORS - 1 + id) * S, S) < 0 ||
		    d.incarnation == 0)
			return 0;
	return 1;
}

/* Whether the name table on disk gives slot to a newer incarnation than
 * inc: a lease of inc was deleted and its slot reused (invariant 9). */
static int
slot_reused(uint32_t slot, uint32_t inc)
{
	const struct lfs_layout *l = &W->tmpl->layout;
	struct lfs_name_entry e;

	if (slot > l->lease_capacity)
		return 0;
	return lfs_name_entry_decode(&e, W->disk + l->name_table *
	    l->sector_size + lfs_name_entry_offset(slot - 1)) == 0 &&
	    e.incarnation > inc;
}

void
check_chosen(struct machine *m, struct inc *i, uint32_t slot,
    const struct lfs_leader *ld, uint32_t id, uint64_t gen, const char *how)
{
	struct tup x = { .slot = slot, .inc = ld->incarnation, .lver = ld->lver,
		.id = id, .gen = gen, .m = m->idx, .how = how };
	struct tup *e;

	(void)i;
	if (W->tearing_down)
		return;
	if (slot != 0 && ld->incarnation != 0 && id == m->host_id &&
	    slot_reused(slot, ld->incarnation))
		sim_fail("m%d acquired slot %u of incarnation %u (%s), which "
		    "the name table had reused already", m->idx + 1, slot,
		    ld->incarnation, how);
	e = tab_find(&chosen, &x, 0);
	if (e != NULL && e->epoch == epoch) {
		if (e->id != id || e->gen != gen)
			sim_fail("two values chosen for instance %llu of slot %u "
			    "(incarnation %u): host %u gen %llu (m%d, %s) and "
			    "host %u gen %llu (m%d, %s)",
			    (unsigned long long)ld->lver, slot, ld->incarnation,
			    e->id, (unsigned long long)e->gen, e->m + 1, e->how,
			    id, (unsigned long long)gen, m->idx + 1, how);
		return;
	}
	tab_put(&chosen, &x, 0);
}

/* ---- 3. views ---- */

void
check_leader_landed(uint32_t slot, const struct lfs_leader *ld)
{
	struct tup x = { .slot = slot, .inc = ld->incarnation, .lver = ld->lver,
		.id = ld->owner_id, .gen = ld->owner_gen };

	/* a leader of a lease whose slot was reused since is read as the
	 * reuse's reset (core/paxos.c check_ref): right only while every
	 * dblock has the reuse's stamp (invariant 9) */
	if (slot != 0 && !W->tearing_down && ld->incarnation != 0 &&
	    slot_reused(slot, ld->incarnation) && !slot_stamped(slot))
		sim_fail("a leader of slot %u incarnation %u landed after the "
		    "slot was reused, over dblocks without the reuse's stamp",
		    slot, ld->incarnation);
	tab_put(&landed, &x, 1);
}

void
check_view(struct machine *m, uint32_t slot, const struct lfs_leader *ld,
    const char *how)
{
	struct tup x = { .slot = slot, .inc = ld->incarnation, .lver = ld->lver,
		.id = ld->owner_id, .gen = ld->owner_gen };
	struct tup *e;

	if (W->tearing_down || W->setup)
		return;
	e = tab_find(&landed, &x, 1);
	if (e == NULL || e->epoch != epoch)
		sim_fail("m%d (%s) acted on leader lver %llu owner %u gen %llu of "
		    "slot %u, which the disk never held", m->idx + 1, how,
		    (unsigned long long)ld->lver, ld->owner_id,
		    (unsigned long long)ld->owner_gen, slot);
}

/*
 * Honest errors: the simulated disk never damages a sector (it tears
 * reads, F_TEAR, but what it holds is always a whole record or nothing),
 * so an operation that answers with a decoder's error (ondisk.h: bad
 * magic, version, checksum, range) reports corruption that is not there.
 * A torn read must be read again (diskio.h), not passed on as a corrupt
 * lease.
 */
void
check_honest(struct machine *m, int r, const char *what)
{
	if (W->tearing_down || W->setup)
		return;
	if (lfs_decode_maybe_torn(r) || r == -ERANGE)
		sim_fail("m%d: %s answered %d (%s), but no sector of the disk is "
		    "damaged", m->idx + 1, what, r, strerror(-r));
}

/* ---- 4. the name table at the end ---- */

void
check_final(void)
{
	const struct lfs_layout *l = &W->tmpl->layout;
	uint32_t S = l->sector_size, k, j;
	const unsigned char *table = W->disk + l->name_table * S;
	struct lfs_name_entry e[SIM_LEASE_CAP], f;
	int have[SIM_LEASE_CAP];
	struct lfs_leader ld;
	int r;

	for (k = 0; k < l->lease_capacity && k < SIM_LEASE_CAP; k++) {
		r = lfs_name_entry_decode(&e[k], table + lfs_name_entry_offset(k));
		have[k] = r == 0;
		if (r < 0 && r != -ENODATA) {
			sim_fail("name table entry %u: %s", k,
			    lfs_decode_strerror(r));
			return;
		}
		if (!have[k])
			continue;
		for (j = 0; j < k; j++)
			if (have[j] && strcmp(e[j].name, e[k].name) == 0) {
				sim_fail("name table: %s in entries %u and %u",
				    e[k].name, j, k);
				return;
			}
		r = lfs_leader_decode(&ld, W->disk + lfs_slot_sector(l, k + 1) * S,
		    S);
		/* a listed name whose slot is this incarnation's DELETED one
		 * is a delete stopped half-way (its entry write failed):
		 * lookups answer -ENOENT and the next delete of the name
		 * clears the entry (core/leases.c delete_finish) */
		if (r == 0 && ld.incarnation == e[k].incarnation &&
		    (ld.flags & LFS_LEADER_DELETED) && strncmp(e[k].name, "vm",
		    2) != 0)
			continue;
		/* a leader of an older incarnation is a late write of the
		 * slot's previous lease: the core reads it as the reuse's
		 * reset (core/paxos.c check_ref, finding C11), which is right
		 * only while the reuse's stamps are on every dblock */
		if (r == 0 && ld.incarnation < e[k].incarnation &&
		    slot_stamped(k + 1))
			continue;
		if (r < 0 || ld.incarnation != e[k].incarnation ||
		    (ld.flags & LFS_LEADER_DELETED)) {
			sim_fail("name table: %s names slot %u, whose leader is "
			    "%s (incarnation %u, want %u)", e[k].name, k + 1,
			    r < 0 ? lfs_decode_strerror(r) : (ld.flags &
			    LFS_LEADER_DELETED) ? "deleted" : "another",
			    r < 0 ? 0 : ld.incarnation, e[k].incarnation);
			return;
		}
	}
	for (k = 0; k < (uint32_t)W->cfg.leases; k++) {
		j = W->vm_ref[k].slot - 1;
		f = e[j];
		if (!have[j] || strncmp(f.name, "vm", 2) != 0 ||
		    atoi(f.name + 2) != (int)k + 1) {
			sim_fail("name table: vm%u lost its entry", k + 1);
			return;
		}
	}
}
