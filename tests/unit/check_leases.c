/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check_leases.c - unit tests of core/leases.c (the name table), several
 * hosts in one process (lfs_test.h).  The rules for names themselves are
 * check_names.c's.
 *
 * Claims:
 *   - create, list and lookup: valid names get the lowest free slot and an
 *     incarnation; duplicates are -EEXIST, bad names -EINVAL; the list is
 *     in slot order, and a freed slot is reused first;
 *   - delete: refused (-EBUSY) while the lease is held, by its owner and by
 *     others alike; once deleted, the old reference is dead (-ENOENT) even
 *     after the name is created again in the same slot;
 *   - a slot reused gets the old incarnation + 1 even when reads of the old
 *     leader are torn, once (read again) or always (taken from the dblocks'
 *     stamps);
 *   - a full table refuses one more (-ENOSPC);
 *   - two hosts creating names at once, each from a thread of its own, both
 *     succeed, and the table holds every name once.
 *
 * Nothing renews in the background; tests renew by hand before operations
 * that need a fresh renewal.  Time is the hosts' test clocks (lfs_test.h).
 */
#include "lfs_test.h"
#include "hostpolicy.h"

/* ---- the name table --------------------------------------------------------- */

static void
check_list(struct host *h, const char *const *names, const uint32_t *slots,
    uint32_t n)
{
	struct lfs_lease_entry *v;
	uint32_t i, got;

	ck_assert_int_eq(lfs_leases_list(&h->ls, &h->io, &v, &got), 0);
	ck_assert_uint_eq(got, n);
	for (i = 0; i < n; i++) {
		ck_assert_str_eq(v[i].name, names[i]);
		ck_assert_uint_eq(v[i].ref.slot, slots[i]);
	}
	free(v);
}

START_TEST(test_names_create_list)
{
	static const char *const bad[] = {
		"", ".hidden", "..", "a/b", "sp ace",
		"0123456789012345678901234567890123456789012345678", /* 49 */
	};
	static const char *const order1[] = {
		"alpha", "beta", "gamma",
		"012345678901234567890123456789012345678901234567",
	};
	static const char *const order2[] = {
		"alpha", "delta", "gamma",
		"012345678901234567890123456789012345678901234567",
	};
	static const uint32_t slots[] = { 1, 2, 3, 4 };
	struct world w;
	struct host *a = &w.h[0];
	struct lfs_lease_entry e, f;
	size_t i;

	world_init(&w, 1, 0);
	check_list(a, NULL, NULL, 0);
	ck_assert_int_eq(lfs_leases_create(&a->ls, &a->io, "alpha", &e), 0);
	ck_assert_str_eq(e.name, "alpha");
	ck_assert_uint_eq(e.ref.slot, 1);
	ck_assert_uint_ge(e.ref.incarnation, 1);
	ck_assert_int_eq(lfs_leases_create(&a->ls, &a->io, "alpha", &f), -EEXIST);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(lfs_leases_create(&a->ls, &a->io, bad[i], &f) ==
		    -EINVAL, "name \"%s\" accepted", bad[i]);
	for (i = 1; i < 4; i++)
		ck_assert_int_eq(lfs_leases_create(&a->ls, &a->io, order1[i], &f),
		    0);
	check_list(a, order1, slots, 4);

	/* a freed entry is reused first; the list stays in slot order */
	host_renew(a);
	ck_assert_int_eq(lfs_leases_delete(&a->ls, &a->io, "beta"), 0);
	ck_assert_int_eq(lfs_leases_create(&a->ls, &a->io, "delta", &f), 0);
	ck_assert_uint_eq(f.ref.slot, 2);
	check_list(a, order2, slots, 4);

	ck_assert_int_eq(lfs_leases_lookup(&a->ls, &a->io, "gamma", &f), 0);
	ck_assert_uint_eq(f.ref.slot, 3);
	ck_assert_int_eq(lfs_leases_lookup(&a->ls, &a->io, "beta", &f), -ENOENT);
	ck_assert_int_eq(lfs_leases_lookup(&a->ls, &a->io, "a/b", &f), -ENOENT);
	world_fini(&w);
}
END_TEST

START_TEST(test_names_delete)
{
	struct world w;
	struct host *a = &w.h[0], *b = &w.h[1];
	struct lfs_lease_ref old;
	struct lfs_lease_entry e;
	struct lfs_leader held, out;

	world_init(&w, 2, 1);
	old = w.lease.ref;
	ck_assert_int_eq(acquire(a, &old, &held), 0);
	ck_assert_int_eq(lfs_leases_delete(&a->ls, &a->io, "vm1"), -EBUSY);
	ck_assert_int_eq(lfs_leases_delete(&b->ls, &b->io, "vm1"), -EBUSY);
	ck_assert_int_eq(lfs_leases_lookup(&b->ls, &b->io, "vm1", &e), 0);
	ck_assert_int_eq(acquire(a, &old, &out), -EALREADY);
	ck_assert_uint_eq(out.lver, held.lver);

	host_renew(a);
	ck_assert_int_eq(release(a, &old, &held), 0);
	host_renew(b);
	ck_assert_int_eq(lfs_leases_delete(&b->ls, &b->io, "vm1"), 0);
	ck_assert_int_eq(lfs_leases_lookup(&a->ls, &a->io, "vm1", &e), -ENOENT);
	ck_assert_int_eq(lfs_leases_delete(&a->ls, &a->io, "vm1"), -ENOENT);
	host_renew(a);
	ck_assert_int_eq(acquire(a, &old, &out), -ENOENT);
	ck_assert_int_eq(lfs_paxos_read_leader(&a->ls, &a->io, &old, &out),
	    -ENOENT);

	/* re-created: same slot, a new incarnation; the old ref stays dead */
	ck_assert_int_eq(lfs_leases_create(&a->ls, &a->io, "vm1", &e), 0);
	ck_assert_uint_eq(e.ref.slot, old.slot);
	ck_assert_uint_gt(e.ref.incarnation, old.incarnation);
	host_renew(a);
	ck_assert_int_eq(acquire(a, &old, &out), -ENOENT);
	ck_assert_int_eq(release(a, &old, &held), -ENOENT);
	ck_assert_int_eq(acquire(a, &e.ref, &out), 0);
	ck_assert_uint_eq(out.lver, 1);
	world_fini(&w);
}
END_TEST

/*
 * A slot's reuse takes the next incarnation from the old leader.  A read
 * of it torn by a write landing then (a late commit, as in C11, on storage
 * under a page cache) failed its checksum and gave incarnation 1, no newer
 * than the old lease's, which undid invariant 9's stamp (paxos.h).  Now a
 * torn read is read again, and a leader bad on every read gives way to
 * the incarnation stamped in the dblocks: the new one is old + 1 either
 * way.
 */
static void
check_reuse_torn(int tears)
{
	struct world w;
	struct host *a = &w.h[0];
	struct lfs_lease_ref old;
	struct lfs_lease_entry e;
	struct lfs_leader out;
	struct tear t = { 0 };

	world_init(&w, 2, 1);
	old = w.lease.ref;
	host_renew(a);
	ck_assert_int_eq(lfs_leases_delete(&a->ls, &a->io, "vm1"), 0);
	t.off = lfs_slot_sector(&a->ls.layout, old.slot) *
	    a->ls.layout.sector_size;
	t.left = tears;
	a->path.rule = tear_rule;
	a->path.rule_arg = &t;
	ck_assert_int_eq(lfs_leases_create(&a->ls, &a->io, "vm2", &e), 0);
	a->path.rule = NULL;
	ck_assert_int_eq(t.torn, tears == 1 ? 1 : LFS_IO_REREADS + 1);
	ck_assert_uint_eq(e.ref.slot, old.slot);
	ck_assert_uint_eq(e.ref.incarnation, old.incarnation + 1);
	host_renew(a);
	ck_assert_int_eq(acquire(a, &old, &out), -ENOENT);
	ck_assert_int_eq(acquire(a, &e.ref, &out), 0);
	world_fini(&w);
}

START_TEST(test_reuse_torn_once)
{
	check_reuse_torn(1);
}
END_TEST

START_TEST(test_reuse_torn_always)
{
	check_reuse_torn(1000);
}
END_TEST

/*
 * Finding C11 of the simulator (seed 8485): a commit of the old lease,
 * written by a host whose ballot carried its owner's value, still in
 * flight while the owner deleted the lease and another host created a new
 * one in the same slot, lands over the new lease's leader.  Its
 * incarnation is the old one: every operation on the new lease answered
 * -ENOENT for good.  Now it reads as the reuse left it (free), and the
 * stamped dblocks tell the rest.
 */
START_TEST(test_late_commit_after_reuse)
{
	struct world w;
	struct host *a = &w.h[0], *b = &w.h[1];
	struct lfs_lease_ref old;
	struct lfs_lease_entry e;
	struct lfs_leader held, out;
	unsigned char late[4096];
	uint64_t off;

	world_init(&w, 2, 1);
	old = w.lease.ref;
	off = lfs_slot_sector(&a->ls.layout, old.slot) * a->ls.layout.sector_size;
	ck_assert_int_eq(acquire(a, &old, &held), 0);
	/* what b's carried commit of a's value writes, landing later */
	ck_assert_int_eq(lfs_io_read(&b->io, off, late,
	    b->ls.layout.sector_size), 0);
	host_renew(a);
	ck_assert_int_eq(release(a, &old, &held), 0);
	ck_assert_int_eq(lfs_leases_delete(&a->ls, &a->io, "vm1"), 0);
	ck_assert_int_eq(lfs_leases_create(&a->ls, &a->io, "vm2", &e), 0);
	ck_assert_uint_eq(e.ref.slot, old.slot);
	ck_assert_uint_gt(e.ref.incarnation, old.incarnation);
	ck_assert_int_eq(lfs_io_write(&b->io, off, late,
	    b->ls.layout.sector_size), 0); /* the late commit lands */

	host_renew(a);
	host_renew(b);
	ck_assert_int_eq(lfs_paxos_read_leader(&b->ls, &b->io, &e.ref, &out), 0);
	ck_assert_uint_eq(out.owner_id, 0);
	ck_assert_int_eq(acquire(b, &e.ref, &held), 0);
	ck_assert_uint_eq(held.owner_id, b->id);
	ck_assert_int_eq(acquire(a, &e.ref, &out), -EBUSY);
	/* the old ref stays dead */
	ck_assert_int_eq(acquire(a, &old, &out), -ENOENT);
	host_renew(b);
	ck_assert_int_eq(release(b, &e.ref, &held), 0);
	world_fini(&w);
}
END_TEST

START_TEST(test_names_full)
{
	struct world w;
	struct host *a = &w.h[0];
	struct lfs_lease_entry e, *v;
	char name[16];
	uint32_t i, n;

	world_init(&w, 1, 0);
	for (i = 0; i < T_LEASES; i++) {
		snprintf(name, sizeof(name), "l%u", i);
		host_renew(a);
		ck_assert_int_eq(lfs_leases_create(&a->ls, &a->io, name, &e), 0);
		ck_assert_uint_eq(e.ref.slot, i + 1);
	}
	ck_assert_int_eq(lfs_leases_create(&a->ls, &a->io, "one-more", &e),
	    -ENOSPC);
	ck_assert_int_eq(lfs_leases_list(&a->ls, &a->io, &v, &n), 0);
	ck_assert_uint_eq(n, T_LEASES);
	free(v);
	world_fini(&w);
}
END_TEST

/* Two hosts create different names at the same time, each from its own
 * thread (its own lockspace and io), on frozen clocks: the race for the
 * table lease is real, liveness is not in question (both stay live).  All
 * creations succeed and the table ends with every name exactly once. */
struct creator {
	struct host *h;
	char prefix;
	int count;
	int rv[T_LEASES];
	pthread_barrier_t *start;
};

static void *
creator_main(void *arg)
{
	struct creator *c = arg;
	struct lfs_lease_entry e;
	char name[16];
	int i;

	pthread_barrier_wait(c->start);
	for (i = 0; i < c->count; i++) {
		snprintf(name, sizeof(name), "%c%d", c->prefix, i);
		c->rv[i] = lfs_leases_create(&c->h->ls, &c->h->io, name, &e);
	}
	return NULL;
}

START_TEST(test_names_concurrent)
{
	struct world w;
	struct creator cr[2];
	pthread_barrier_t start;
	pthread_t t[2];
	struct lfs_lease_entry e;
	char name[16];
	int i, k;

	world_init(&w, 2, 0);
	pthread_barrier_init(&start, NULL, 2);
	for (i = 0; i < 2; i++) {
		memset(&cr[i], 0, sizeof(cr[i]));
		cr[i].h = &w.h[i];
		cr[i].prefix = (char)('a' + i);
		cr[i].count = T_LEASES / 2;
		cr[i].start = &start;
	}
	/* time stands still: both hosts stay live while they race for the
	 * table lease in real threads */
	atomic_store(&test_clk.frozen, true);
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, creator_main,
		    &cr[i]), 0);
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	atomic_store(&test_clk.frozen, false);
	pthread_barrier_destroy(&start);

	for (i = 0; i < 2; i++)
		for (k = 0; k < cr[i].count; k++) {
			snprintf(name, sizeof(name), "%c%d", cr[i].prefix, k);
			ck_assert_msg(cr[i].rv[k] == 0, "create %s: %d", name,
			    cr[i].rv[k]);
			ck_assert_int_eq(lfs_leases_lookup(&w.h[0].ls,
			    &w.h[0].io, name, &e), 0);
		}
	{
		struct lfs_lease_entry *v;
		uint32_t n;

		ck_assert_int_eq(lfs_leases_list(&w.h[1].ls, &w.h[1].io, &v,
		    &n), 0);
		ck_assert_uint_eq(n, T_LEASES);
		free(v);
	}
	world_fini(&w);
}
END_TEST

/* ---- the cache of the name table ---------------------------------------------
 *
 * A lookup costs no read of the table when nothing changed (one read of the
 * table lease's slot validates the cache), a change by another host is
 * seen at once, and a create holding a warm cache reads no table sector.
 */
struct table_reads {
	uint64_t lo, hi;          /* the name table, bytes */
	int n;
};

static enum tp_act
count_table_reads(void *arg, int seq, const struct iocb *cb, long *res)
{
	struct table_reads *t = arg;
	uint64_t off = (uint64_t)cb->u.c.offset;

	(void)seq;
	(void)res;
	if (cb->aio_lio_opcode == IO_CMD_PREAD && off < t->hi &&
	    off + cb->u.c.nbytes > t->lo)
		t->n++;
	return TP_NOW;
}

START_TEST(test_names_cached)
{
	struct world w;
	struct host *a = &w.h[0], *b = &w.h[1];
	struct table_reads t = { 0 };
	struct lfs_lease_entry e, e2;
	struct lfs_leader held;
	int i;

	world_init(&w, 2, 0);
	t.lo = a->ls.layout.name_table * a->ls.layout.sector_size;
	t.hi = t.lo + a->ls.layout.name_sectors * a->ls.layout.sector_size;
	a->path.rule = count_table_reads;
	a->path.rule_arg = &t;
	ck_assert_int_eq(lfs_leases_create(&a->ls, &a->io, "x1", &e), 0);
	ck_assert_int_eq(t.n, 1);   /* the first use reads the table once */
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(lfs_leases_lookup(&a->ls, &a->io, "x1", &e2), 0);
	ck_assert_int_eq(lfs_leases_create(&a->ls, &a->io, "x2", &e2), 0);
	ck_assert_int_eq(lfs_leases_lookup(&a->ls, &a->io, "nosuch", &e2),
	    -ENOENT);
	ck_assert_int_eq(t.n, 1);   /* and nothing else did */

	/* b changes the table: a sees it at its next lookup */
	ck_assert_int_eq(lfs_leases_create(&b->ls, &b->io, "y1", &e2), 0);
	ck_assert_int_eq(lfs_leases_lookup(&a->ls, &a->io, "y1", &e), 0);
	ck_assert_uint_eq(e.ref.slot, e2.ref.slot);
	ck_assert_int_eq(t.n, 2);
	ck_assert_int_eq(lfs_leases_delete(&b->ls, &b->io, "x1"), 0);
	ck_assert_int_eq(lfs_leases_lookup(&a->ls, &a->io, "x1", &e), -ENOENT);
	/* a cache that missed a change would have reused x1's slot wrongly:
	 * the new lease gets the freed slot with a new incarnation */
	ck_assert_int_eq(lfs_leases_create(&a->ls, &a->io, "x3", &e), 0);
	ck_assert_uint_eq(e.ref.slot, 1);
	ck_assert_int_eq(acquire(a, &e.ref, &held), 0);
	ck_assert_int_eq(lfs_leases_lookup(&b->ls, &b->io, "x3", &e2), 0);
	ck_assert_uint_eq(e2.ref.incarnation, e.ref.incarnation);
	world_fini(&w);
}
END_TEST

/* ---- keeping the table lease between changes (linger) --------------------
 *
 * With linger set, a second create within the window takes no ballot on the
 * table lease (no write to slot 0, no read of it), the entries it writes
 * are visible to another host at once, the hold is given up only once due
 * (or forced), and after that the other host changes the table as usual.
 */
struct slot0_io {
	uint64_t lo, hi;          /* slot 0, bytes */
	int reads, writes;
	struct lfs_lockspace *ls; /* whose linger is watched, or NULL */
	int none_kept;            /* due read UINT64_MAX during slot-0 I/O */
};

static enum tp_act
count_slot0_io(void *arg, int seq, const struct iocb *cb, long *res)
{
	struct slot0_io *t = arg;
	uint64_t off = (uint64_t)cb->u.c.offset;

	(void)seq;
	(void)res;
	if (off < t->hi && off + cb->u.c.nbytes > t->lo) {
		if (t->ls != NULL && lfs_leases_linger_due(t->ls) == UINT64_MAX)
			t->none_kept++;
		if (cb->aio_lio_opcode == IO_CMD_PREAD)
			t->reads++;
		else
			t->writes++;
	}
	return TP_NOW;
}

START_TEST(test_names_linger)
{
	struct world w;
	struct host *a = &w.h[0], *b = &w.h[1];
	struct slot0_io t = { 0 };
	struct lfs_lease_entry e, e2;
	struct lfs_leader ld;
	uint64_t due;
	uint32_t S;

	world_init(&w, 2, 0);
	S = a->ls.layout.sector_size;
	t.lo = lfs_slot_sector(&a->ls.layout, 0) * S;
	t.hi = t.lo + a->ls.layout.slot_sectors * S;
	ck_assert_int_eq(lfs_leases_set_linger(&a->ls, 20), 0);
	ck_assert_uint_eq(lfs_leases_linger_due(&a->ls), UINT64_MAX);
	ck_assert_int_eq(lfs_leases_create(&a->ls, &a->io, "x1", &e), 0);
	due = lfs_leases_linger_due(&a->ls);
	ck_assert_uint_eq(due, tclock_ms(&test_clk) + 20);
	/* the table lease stays ours */
	ck_assert_int_eq(lfs_paxos_read_leader(&b->ls, &b->io,
	    &(struct lfs_lease_ref){ 0, 0 }, &ld), 0);
	ck_assert_uint_eq(ld.owner_id, a->ls.host_id);

	a->path.rule = count_slot0_io;
	a->path.rule_arg = &t;
	tclock_advance(&test_clk, 10);
	ck_assert_int_eq(lfs_leases_create(&a->ls, &a->io, "x2", &e), 0);
	ck_assert_int_eq(lfs_leases_lookup(&a->ls, &a->io, "x1", &e2), 0);
	ck_assert_int_eq(t.reads + t.writes, 0); /* no ballot, no token */
	ck_assert_uint_eq(lfs_leases_linger_due(&a->ls),
	    tclock_ms(&test_clk) + 20);  /* the window moved */

	/* another host sees both at once (it reads the table: no token) */
	ck_assert_int_eq(lfs_leases_lookup(&b->ls, &b->io, "x2", &e2), 0);
	ck_assert_uint_eq(e2.ref.slot, e.ref.slot);

	/* not due: kept; due: released, as one ballot */
	ck_assert_int_eq(lfs_leases_linger_end(&a->ls, &a->io, 0), 0);
	ck_assert_int_eq(t.writes, 0);
	tclock_advance(&test_clk, 20);
	ck_assert_int_eq(lfs_leases_linger_end(&a->ls, &a->io, 0), 0);
	ck_assert_int_gt(t.writes, 0);
	ck_assert_uint_eq(lfs_leases_linger_due(&a->ls), UINT64_MAX);
	ck_assert_int_eq(lfs_paxos_read_leader(&b->ls, &b->io,
	    &(struct lfs_lease_ref){ 0, 0 }, &ld), 0);
	ck_assert_uint_eq(ld.owner_id, 0);

	/* b changes the table; a, lingering again, sees it and keeps going */
	ck_assert_int_eq(lfs_leases_create(&b->ls, &b->io, "y1", &e2), 0);
	ck_assert_int_eq(lfs_leases_create(&a->ls, &a->io, "x3", &e), 0);
	ck_assert_uint_ne(e.ref.slot, e2.ref.slot);
	ck_assert_int_eq(lfs_leases_lookup(&a->ls, &a->io, "y1", &e), 0);
	ck_assert_int_eq(lfs_leases_delete(&a->ls, &a->io, "x1"), 0);
	ck_assert_int_eq(lfs_leases_lookup(&b->ls, &b->io, "x1", &e), -ENOENT);

	/* the cap: a hold kept busy (a change every 15 ms) is given up at the
	 * first change LINGER_MAX_MS (200) after it was taken, which takes the
	 * table lease anew; no change before that touches slot 0 */
	{
		uint64_t since = tclock_ms(&test_clk);
		int i, retaken = 0;

		ck_assert_int_eq(lfs_leases_linger_end(&a->ls, &a->io, 1), 0);
		ck_assert_int_eq(lfs_leases_create(&a->ls, &a->io, "z", &e), 0);
		t.ls = &a->ls;
		for (i = 1; i <= 14; i++) {
			tclock_advance(&test_clk, 15);
			t.writes = 0;
			ck_assert_int_eq(i % 2 ? lfs_leases_delete(&a->ls,
			    &a->io, "z") : lfs_leases_create(&a->ls, &a->io,
			    "z", &e), 0);
			if (tclock_ms(&test_clk) - since < 200)
				ck_assert_msg(t.writes == 0, "change %d "
				    "wrote slot 0 %d times", i, t.writes);
			else if (!retaken) {
				ck_assert_int_ge(t.writes, 6);
				retaken = 1;
			}
		}
		ck_assert(retaken);
		/* a watcher reading due in the middle of the handing back
		 * and retaking never saw "none kept" (it would sleep on it) */
		ck_assert_int_eq(t.none_kept, 0);
		t.ls = NULL;
	}

	/* forced at the end: free again */
	ck_assert_int_eq(lfs_leases_linger_end(&a->ls, &a->io, 1), 0);
	ck_assert_int_eq(lfs_paxos_read_leader(&b->ls, &b->io,
	    &(struct lfs_lease_ref){ 0, 0 }, &ld), 0);
	ck_assert_uint_eq(ld.owner_id, 0);
	ck_assert_int_eq(lfs_leases_lookup(&b->ls, &b->io, "z", &e2), 0);
	world_fini(&w);
}
END_TEST

/* Fails writes to one sector, after the first skip, with -EIO. */
struct fail_from {
	uint64_t off;
	int skip;
	int failed;
};

static enum tp_act
fail_writes_from(void *arg, int seq, const struct iocb *cb, long *res)
{
	struct fail_from *f = arg;

	(void)seq;
	if (cb->aio_lio_opcode != IO_CMD_PWRITE ||
	    (uint64_t)cb->u.c.offset != f->off || f->skip-- > 0)
		return TP_NOW;
	f->failed++;
	*res = -EIO;
	return TP_RESULT;
}

/*
 * Finding C13: a delete whose own acquire of the lease gave up after its
 * ballot may have chosen us (here: phase 2 done, the commit write fails)
 * leaves the lease ours on disk with nobody holding it: every other host
 * gets -EBUSY while we live.  The delete must say so
 * (lfs_hp_delete_unsettled: the caller settles it, as the daemon's watcher
 * settles an acquire that gave up); settling frees it.  Before the fix
 * -EAGAIN, and a failed release after a busy table lease, said -EBUSY, so
 * the daemon settled nothing.
 */
START_TEST(test_delete_left_ours)
{
	struct world w;
	struct host *a = &w.h[0], *b = &w.h[1];
	const struct lfs_lease_ref *ref = &w.lease.ref;
	struct fail_from f = { 0 };
	struct lfs_leader ld;
	int rv;

	world_init(&w, 2, 1);
	f.off = lfs_slot_sector(&b->ls.layout, ref->slot) *
	    b->ls.layout.sector_size;
	b->path.rule = fail_writes_from;
	b->path.rule_arg = &f;
	host_renew(b);
	rv = lfs_leases_delete(&b->ls, &b->io, "vm1");
	ck_assert_msg(f.failed == 1, "delete said %d, failed %d writes", rv,
	    f.failed);
	ck_assert_msg(lfs_hp_delete_unsettled(rv), "delete said %d", rv);
	b->path.rule = NULL;
	/* a's ballot carries b's accepted value to the end: b's on disk */
	host_renew(a);
	ck_assert_int_eq(acquire(a, ref, &ld), -EBUSY);
	ck_assert_int_eq(lfs_paxos_read_leader(&a->ls, &a->io, ref, &ld), 0);
	ck_assert_uint_eq(ld.owner_id, b->ls.host_id);
	/* settling, as the daemon's watcher does */
	host_renew(b);
	ck_assert_int_eq(acquire(b, ref, &ld), -EALREADY);
	ck_assert_int_eq(release(b, ref, &ld), 0);
	host_renew(a);
	ck_assert_int_eq(acquire(a, ref, &ld), 0);
	world_fini(&w);
}
END_TEST

/* ---- runner ------------------------------------------------------------------- */

static Suite *
leases_suite(void)
{
	Suite *s = suite_create("leases");
	TCase *tc;

	tc = lt_tcase(s, "names");
	tcase_add_test(tc, test_names_create_list);
	tcase_add_test(tc, test_names_delete);
	tcase_add_test(tc, test_names_full);
	tcase_add_test(tc, test_names_concurrent);
	tcase_add_test(tc, test_names_cached);
	tcase_add_test(tc, test_names_linger);
	tcase_add_test(tc, test_delete_left_ours);
	tcase_add_test(tc, test_late_commit_after_reuse);
	tcase_add_test(tc, test_reuse_torn_once);
	tcase_add_test(tc, test_reuse_torn_always);
	return s;
}

int
main(void)
{
	return lt_main("check_leases", leases_suite, 0);
}
