/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check_paxos.c - unit tests of core/paxos.c (Disk Paxos leases), several
 * hosts in one process.  The name table (core/leases.c) is tested in
 * check_leases.c.
 *
 * A "host" is a struct lfs_lockspace opened on a shared temporary file with
 * its own struct lfs_io, joined with its own id and identity (lfs_test.h).
 * Nothing renews in the background: a host the test stops renewing is, to
 * the others, a host that died.  The lockspace uses io_timeout 100 ms (the
 * minimum): hosts_fresh 100 ms, renewal_fail 400 ms, host_dead 800 ms.
 * Tests renew by hand before operations whose outcome depends on freshness
 * (a release more than renewal_fail - io after our last renewal runs a
 * ballot, which raises lver).
 *
 * Faults come from a fake system call table (struct fake) on an extra
 * struct lfs_io: per write or read, by sequence number, do it now (on the
 * instant disk of lfs_test.h), hang (held until released; a released write is dropped unless the test
 * "lands" it, i.e. writes it to disk late), or fail with -EIO.  A hook runs
 * just before a write is submitted, to put another host's actions into the
 * window between two I/Os.
 *
 * Sections:
 *   1. the fake system call table
 *   2. faulty contexts and sectors of a lease
 *   3. ballot numbers
 *   4. acquire, release, transfer, takeover, restarts
 *   5. corruption and the stale leader
 *   6. I/O faults
 *   7. requests
 *   8. regressions: bugs these tests found, fixed
 *
 * Time is each host's test clock; a hung I/O advances it by exactly the
 * timeout it was waited for, so timing assertions are exact.  Where the
 * file goes and LFS_TEST_LOG: lfs_test.h.
 */
#include "ioset.h"
#include "lfs_test.h"
#include "shared.h"

/* ---- 1. the fake system call table ---------------------------------------- */

enum fake_act {
	ACT_DEFAULT = 0,         /* the fake's per-kind default (else REAL) */
	ACT_REAL,                /* hand it to the kernel */
	ACT_HANG,                /* hold it until fake_release() */
	ACT_EIO,                 /* complete it at once with -EIO */
};

struct fake;
typedef void (*fake_hook)(struct fake *f, int write_seq, struct iocb *cb);

struct fake {
	enum fake_act wact[FAKE_MAX];  /* by write sequence number */
	enum fake_act ract[FAKE_MAX];  /* by read sequence number */
	enum fake_act wall, rall;      /* for entries left ACT_DEFAULT */
	int writes, reads;             /* seen so far */
	fake_hook before_write;        /* may be NULL */
	void *hook_arg;
	struct iocb *held[FAKE_MAX];
	int held_wseq[FAKE_MAX];       /* write sequence number, -1 for reads */
	int nheld;
	struct fake_queue q;           /* completions for the next getevents */
	struct test_clock *clk;        /* test_clk; hangs advance it */
};

static enum fake_act
fake_pick(struct fake *f, int is_write, int *seq)
{
	enum fake_act a;

	*seq = is_write ? f->writes++ : f->reads++;
	a = *seq < FAKE_MAX ? (is_write ? f->wact : f->ract)[*seq] : ACT_DEFAULT;
	if (a == ACT_DEFAULT)
		a = is_write ? f->wall : f->rall;
	return a == ACT_DEFAULT ? ACT_REAL : a;
}

static int
fake_submit(void *arg, io_context_t ctx, long nr, struct iocb **iocbs)
{
	struct fake *f = arg;
	long i;
	int seq, w;

	(void)ctx;
	for (i = 0; i < nr; i++) {
		struct iocb *cb = iocbs[i];
		enum fake_act a;

		w = cb->aio_lio_opcode == IO_CMD_PWRITE;
		a = fake_pick(f, w, &seq);
		if (w && f->before_write != NULL)
			f->before_write(f, seq, cb);
		switch (a) {
		case ACT_HANG:
			ck_assert_int_lt(f->nheld, FAKE_MAX);
			f->held_wseq[f->nheld] = w ? seq : -1;
			f->held[f->nheld++] = cb;
			break;
		case ACT_EIO:
			fake_queue_push(&f->q, cb, -EIO);
			break;
		default: /* done now: an instant disk (lfs_test.h) */
			fake_queue_push(&f->q, cb, fake_do_io(cb));
			break;
		}
	}
	return (int)nr;
}

static int
fake_getevents(void *arg, io_context_t ctx, long min_nr, long nr,
    struct io_event *events, struct timespec *timeout)
{
	struct fake *f = arg;

	(void)ctx;
	return fake_queue_getevents_on(&f->q, f->clk, min_nr, nr, events,
	    timeout);
}

/* The held write number wseq reaches the disk now, late (it stays held). */
static void
fake_land(struct fake *f, int wseq)
{
	int i;

	for (i = 0; i < f->nheld; i++) {
		struct iocb *cb = f->held[i];

		if (f->held_wseq[i] != wseq)
			continue;
		ck_assert_int_eq(pwrite(cb->aio_fildes, cb->u.c.buf,
		    cb->u.c.nbytes, cb->u.c.offset), (ssize_t)cb->u.c.nbytes);
		return;
	}
	ck_abort_msg("write %d is not held", wseq);
}

/* Complete every held I/O (writes not landed are dropped), so that the
 * context can reap them and be destroyed. */
static void
fake_release(struct fake *f)
{
	int i;

	for (i = 0; i < f->nheld; i++)
		fake_queue_push(&f->q, f->held[i], (long)f->held[i]->u.c.nbytes);
	f->nheld = 0;
}

/* ---- 2. faulty contexts and sectors of a lease ------------------------------ */

/* A faulty extra context on a host's disk. */
struct faulty {
	struct fake fake;
	struct lfs_io_syscalls sys;
	struct lfs_io io;
};

static void
faulty_open(struct faulty *fy, struct host *h)
{
	memset(fy, 0, sizeof(*fy));
	fy->fake.clk = &test_clk;
	fy->sys = fake_table_of(fake_submit, fake_getevents, &fy->fake);
	fy->sys.clock = &test_clk.clock;
	ck_assert_int_eq(lfs_io_init(&fy->io, &h->ls.disk, h->ls.to.io_timeout_ms,
	    &fy->sys, test_log), 0);
}

static void
faulty_close(struct faulty *fy)
{
	fake_release(&fy->fake);
	lfs_io_destroy(&fy->io);
}

/* Byte offsets of a slot's leader and of host id's dblock in it. */
static uint64_t
leader_offset(struct host *h, uint32_t slot)
{
	return lfs_slot_sector(&h->ls.layout, slot) * h->ls.layout.sector_size;
}

static uint64_t
dblock_offset(struct host *h, uint32_t slot, uint32_t id)
{
	return (lfs_slot_sector(&h->ls.layout, slot) + 1 + id) *
	    h->ls.layout.sector_size;
}

static void
sector_read(struct host *h, uint64_t off, unsigned char *buf)
{
	ck_assert_int_eq(lfs_io_read(&h->io, off, buf, h->ls.layout.sector_size), 0);
}

static void
sector_write(struct host *h, uint64_t off, const unsigned char *buf)
{
	ck_assert_int_eq(lfs_io_write(&h->io, off, buf, h->ls.layout.sector_size),
	    0);
}

/* The dblock at off is as the slot's initial image left it: no ballot
 * (an empty one stamped with the incarnation: leases.c, or all zero). */
static int
dblock_untouched(struct host *h, uint64_t off)
{
	unsigned char buf[4096];
	struct lfs_dblock d;
	int rv;

	sector_read(h, off, buf);
	rv = lfs_dblock_decode(&d, buf, h->ls.layout.sector_size);
	if (rv == -ENODATA)
		return 1;
	return rv == 0 && d.lver == 0 && d.mbal == 0 && d.bal == 0 &&
	    d.inp_id == 0 && d.mode_flags == 0;
}

static int
is_decode_error(int rv)
{
	return rv == -EBADE || rv == -EBADMSG || rv == -EPROTO || rv == -ERANGE;
}

/* ---- 3. ballot numbers ------------------------------------------------------- */

/* One ballot's properties; 0 or a message.  Plain checks here, since each
 * ck_assert costs a write to Check's pipe and these run ~10^5 times. */
static const char *
ballot_bad(uint64_t above, uint32_t m, uint32_t id)
{
	uint64_t b = lfs_ballot_next(above, m, id);

	if (b <= above)
		return "not above";
	if (b - above > m)
		return "not the smallest";
	if (b % m != id % m)
		return "not of the form k * max + id";
	return NULL;
}

/* Strictly above `above`, the smallest such of the form k * max + id, so
 * ballots of different hosts never coincide. */
START_TEST(test_ballot_next)
{
	static const uint32_t maxes[] = { 1, 2, 3, 8, 64, 2000 };
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(maxes) / sizeof(maxes[0]); i++) {
		uint32_t m = maxes[i], id;

		for (id = 1; id <= m; id += (m > 100 ? 37 : 1)) {
			uint64_t a;

			for (a = 0; a < 4u * m + 5; a++)
				if ((why = ballot_bad(a, m, id)) != NULL)
					ck_abort_msg("max %u id %u above %llu: %s",
					    m, id, (unsigned long long)a, why);
			a = 1000000000000ull + id * 7u;
			if ((why = ballot_bad(a, m, id)) != NULL)
				ck_abort_msg("max %u id %u above %llu: %s", m,
				    id, (unsigned long long)a, why);
		}
		/* max_hosts itself: its ballots are the multiples of m */
		ck_assert_uint_eq(lfs_ballot_next(0, m, m), m);
	}
}
END_TEST

/* No two hosts ever produce the same ballot, and a host's successive
 * ballots rise. */
START_TEST(test_ballot_unique)
{
	enum { M = 8, RANGE = 4000 };
	static uint8_t owner[RANGE + 2 * M]; /* host id per ballot number */
	uint32_t id;

	memset(owner, 0, sizeof(owner));
	for (id = 1; id <= M; id++) {
		uint64_t b = 0, next;

		while (b < RANGE) {
			next = lfs_ballot_next(b, M, id);
			if (next <= b || (owner[next] != 0 && owner[next] != id))
				ck_abort_msg("ballot %llu after %llu: host %u, "
				    "owner %u", (unsigned long long)next,
				    (unsigned long long)b, id, owner[next]);
			owner[next] = (uint8_t)id;
			b = next;
		}
		/* from any start, including other hosts' ballots */
		for (b = 0; b < RANGE; b++)
			if (owner[lfs_ballot_next(b, M, id)] != id)
				ck_abort_msg("host %u above %llu: a ballot not "
				    "its own", id, (unsigned long long)b);
	}
}
END_TEST

/* ---- 4. acquire, release, transfer, takeover, restarts ----------------------- */

START_TEST(test_acquire_release)
{
	struct world w;
	struct host *a = &w.h[0], *b = &w.h[1];
	const struct lfs_lease_ref *ref = &w.lease.ref;
	struct lfs_leader held, out, ld;

	world_init(&w, 2, 1);
	ld = read_leader(b, ref);
	ck_assert_uint_eq(ld.lver, 0);
	ck_assert_uint_eq(ld.owner_id, 0);

	ck_assert_int_eq(acquire(a, ref, &held), 0);
	ck_assert_uint_eq(held.lver, 1);
	ck_assert_uint_eq(held.owner_id, a->id);
	ck_assert_uint_eq(held.owner_gen, a->ls.generation);
	ck_assert_str_eq(held.name, "vm1");
	ld = read_leader(b, ref);
	ck_assert_uint_eq(ld.lver, 1);
	ck_assert_uint_eq(ld.owner_id, a->id);
	ck_assert_uint_eq(ld.owner_gen, a->ls.generation);

	ck_assert_int_eq(acquire(a, ref, &out), -EALREADY);
	ck_assert_uint_eq(out.lver, 1);
	ck_assert_uint_eq(out.owner_id, a->id);
	ck_assert_int_eq(acquire(b, ref, &out), -EBUSY);
	ck_assert_uint_eq(read_leader(b, ref).lver, 1);

	host_renew(a);
	ck_assert_int_eq(release(a, ref, &held), 0);
	ld = read_leader(b, ref);
	ck_assert_uint_eq(ld.owner_id, 0);
	ck_assert_uint_eq(ld.lver, 2); /* a release is an instance too */

	host_renew(b);
	ck_assert_int_eq(acquire(b, ref, &out), 0);
	ck_assert_uint_eq(out.lver, 3);
	ck_assert_uint_eq(out.owner_id, b->id);
	/* a's old hold is gone */
	host_renew(a);
	ck_assert_int_eq(release(a, ref, &held), -EPERM);
	ck_assert_uint_eq(read_leader(a, ref).owner_id, b->id);
	world_fini(&w);
}
END_TEST

/* A release by a host that does not own the lease, with a forged "held"
 * leader, is refused and writes nothing: by the quick path (fresh renewal)
 * and by the ballot path (stale renewal). */
START_TEST(test_release_not_owner)
{
	struct world w;
	struct host *a = &w.h[0], *b = &w.h[1];
	const struct lfs_lease_ref *ref = &w.lease.ref;
	unsigned char before[512], after[512];
	struct lfs_leader held, fake;

	world_init(&w, 2, 1);
	ck_assert_int_eq(acquire(a, ref, &held), 0);
	sector_read(b, leader_offset(b, ref->slot), before);

	fake = held;                        /* "we hold it" */
	fake.owner_id = b->id;
	fake.owner_gen = b->ls.generation;
	host_renew(b);
	ck_assert_int_eq(release(b, ref, &fake), -EPERM);
	ck_assert_int_eq(release(b, ref, &held), -EPERM); /* a's, not ours */

	tclock_advance(&test_clk, b->ls.to.renewal_fail_ms - b->ls.to.io_timeout_ms);
	host_renew(a);                      /* a stays live; b goes stale */
	ck_assert_int_eq(release(b, ref, &fake), -EPERM);

	sector_read(b, leader_offset(b, ref->slot), after);
	ck_assert_mem_eq(before, after, sizeof(before));
	ck_assert(dblock_untouched(b, dblock_offset(b, ref->slot, b->id)));
	world_fini(&w);
}
END_TEST

START_TEST(test_transfer)
{
	struct world w;
	struct host *a = &w.h[0], *b = &w.h[1];
	const struct lfs_lease_ref *ref = &w.lease.ref;
	struct lfs_leader held_a, held_b, out, ld;

	world_init(&w, 2, 1);
	ck_assert_int_eq(acquire(a, ref, &held_a), 0);
	ck_assert_uint_eq(held_a.lver, 1);
	host_renew(b);
	host_renew(a);
	ck_assert_int_eq(lfs_paxos_transfer(&a->ls, &a->io, ref, &held_a, b->id,
	    b->ls.generation, &out), 0);
	ck_assert_uint_eq(out.lver, held_a.lver + 1);
	ck_assert_uint_eq(out.owner_id, b->id);
	ck_assert_uint_eq(out.owner_gen, b->ls.generation);
	ld = read_leader(b, ref);
	ck_assert_uint_eq(ld.lver, 2);
	ck_assert_uint_eq(ld.owner_id, b->id);
	ck_assert_uint_eq(ld.writer_id, a->id);

	/* b finds itself the owner */
	host_renew(b);
	ck_assert_int_eq(acquire(b, ref, &held_b), -EALREADY);
	ck_assert_uint_eq(held_b.lver, 2);
	/* a's old hold is worthless */
	host_renew(a);
	ck_assert_int_eq(release(a, ref, &held_a), -EPERM);
	ck_assert_int_eq(acquire(a, ref, &out), -EBUSY);
	/* repeating the transfer is idempotent: done already, nothing written */
	ck_assert_int_eq(lfs_paxos_transfer(&a->ls, &a->io, ref, &held_a, b->id,
	    b->ls.generation, &out), 0);
	ck_assert_uint_eq(out.lver, 2);
	ck_assert_uint_eq(read_leader(b, ref).lver, 2);

	host_renew(b);
	ck_assert_int_eq(release(b, ref, &held_b), 0);
	host_renew(a);
	ck_assert_int_eq(acquire(a, ref, &out), 0);
	ck_assert_uint_eq(out.lver, 4); /* transfer 2, release 3 */
	world_fini(&w);
}
END_TEST

START_TEST(test_transfer_errors)
{
	struct world w;
	struct host *a = &w.h[0], *b = &w.h[1], *c = &w.h[2];
	const struct lfs_lease_ref *ref = &w.lease.ref;
	struct lfs_leader held, out;
	unsigned char before[512], after[512];
	uint64_t gen_c;

	world_init(&w, 3, 1);
	ck_assert_int_eq(acquire(a, ref, &held), 0);
	sector_read(a, leader_offset(a, ref->slot), before);

	ck_assert_int_eq(lfs_paxos_transfer(&a->ls, &a->io, ref, &held, a->id,
	    a->ls.generation, &out), -EINVAL);
	ck_assert_int_eq(lfs_paxos_transfer(&a->ls, &a->io, ref, &held,
	    T_HOSTS + 1, 1, &out), -ENOENT);
	ck_assert_int_eq(lfs_paxos_transfer(&a->ls, &a->io, ref, &held, 0, 1,
	    &out), -ENOENT);
	/* never joined: no such host */
	ck_assert_int_eq(lfs_paxos_transfer(&a->ls, &a->io, ref, &held, 5, 1,
	    &out), -ENOENT);
	/* left cleanly */
	gen_c = c->ls.generation;
	ck_assert_int_eq(lfs_delta_leave(&c->ls, &c->io), 0);
	host_renew(a);
	ck_assert_int_eq(lfs_paxos_transfer(&a->ls, &a->io, ref, &held, c->id,
	    gen_c, &out), -EHOSTDOWN);
	/* an older generation of a live host */
	host_restart(b);
	host_renew(a);
	ck_assert_int_eq(lfs_paxos_transfer(&a->ls, &a->io, ref, &held, b->id,
	    b->ls.generation - 1, &out), -EHOSTDOWN);

	sector_read(a, leader_offset(a, ref->slot), after);
	ck_assert_mem_eq(before, after, sizeof(before));
	ck_assert_int_eq(acquire(a, ref, &out), -EALREADY);
	world_fini(&w);
}
END_TEST

/* a holds the lease and stops renewing; b looks every T_POLL_MS and tries:
 * -EBUSY until host_dead has passed since a's last renewal, then 0. */
START_TEST(test_takeover_after_host_dead)
{
	struct world w;
	struct host *a = &w.h[0], *b = &w.h[1];
	const struct lfs_lease_ref *ref = &w.lease.ref;
	struct lfs_leader held, out;
	uint64_t last, done;
	int rv, busy = 0;

	world_init(&w, 2, 1);
	ck_assert_int_eq(acquire(a, ref, &held), 0);
	host_renew(a);                      /* a's last renewal ... */
	last = tclock_ms(&test_clk);          /* ... seen by b's next read */

	for (;;) {
		/* b lives on: it renews every renewal_interval, and its view
		 * is refreshed at every look */
		if (lfs_delta_since_renewal_ms(&b->ls) >=
		    b->ls.to.renewal_interval_ms)
			host_renew(b);
		else
			ck_assert_int_eq(lfs_hosts_refresh(&b->ls, &b->io), 0);
		rv = acquire(b, ref, &out);
		done = tclock_ms(&test_clk);
		if (rv == 0)
			break;
		ck_assert_int_eq(rv, -EBUSY);
		busy++;
		ck_assert_uint_lt(done - last, b->ls.to.host_dead_ms);
		tclock_advance(&test_clk, T_POLL_MS);
	}
	/* at b's first attempt at or past host_dead, on b's clock */
	ck_assert_int_gt(busy, 0);
	ck_assert_uint_ge(done - last, b->ls.to.host_dead_ms);
	ck_assert_uint_lt(done - last, b->ls.to.host_dead_ms + T_POLL_MS);
	ck_assert_uint_eq(out.lver, held.lver + 1);
	ck_assert_uint_eq(out.owner_id, b->id);
	/* a, waking up, cannot release what it lost */
	host_renew(a);
	ck_assert_int_eq(release(a, ref, &held), -EPERM);
	ck_assert_uint_eq(read_leader(a, ref).owner_id, b->id);
	world_fini(&w);
}
END_TEST

/* The owner restarts (same identity, generation + 1): its old lease is
 * free at once, for another host and for the new incarnation alike. */
START_TEST(test_newer_generation_other)
{
	struct world w;
	struct host *a = &w.h[0], *b = &w.h[1];
	const struct lfs_lease_ref *ref = &w.lease.ref;
	struct lfs_leader held, out;

	world_init(&w, 2, 1);
	ck_assert_int_eq(acquire(a, ref, &held), 0);
	host_restart(a);
	host_renew(b);
	ck_assert_int_eq(acquire(b, ref, &out), 0);
	ck_assert_uint_eq(out.lver, 2);
	ck_assert_uint_eq(out.owner_id, b->id);
	world_fini(&w);
}
END_TEST

START_TEST(test_newer_generation_self)
{
	struct world w;
	struct host *a = &w.h[0], *b = &w.h[1];
	const struct lfs_lease_ref *ref = &w.lease.ref;
	struct lfs_leader held, out;

	world_init(&w, 2, 1);
	ck_assert_int_eq(acquire(a, ref, &held), 0);
	host_restart(a);
	ck_assert_int_eq(acquire(a, ref, &out), 0); /* not -EALREADY */
	ck_assert_uint_eq(out.lver, 2);
	ck_assert_uint_eq(out.owner_id, a->id);
	ck_assert_uint_eq(out.owner_gen, held.owner_gen + 1);
	host_renew(b);
	ck_assert_int_eq(acquire(b, ref, &out), -EBUSY);
	world_fini(&w);
}
END_TEST

/* ---- 5. corruption and the stale leader -------------------------------------- */

static void
fill_garbage(unsigned char *buf, size_t len, unsigned seed)
{
	size_t i;

	for (i = 0; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = (unsigned char)(seed >> 16);
	}
}

/* After corrupting the sector at off (garbage, then one flipped byte of a
 * good record): b's acquire fails with a decoder error and writes nothing,
 * whether the lease looked free or held. */
static void
check_corruption_refused(struct world *w, uint64_t off, int is_leader)
{
	struct host *a = &w->h[0], *b = &w->h[1];
	const struct lfs_lease_ref *ref = &w->lease.ref;
	unsigned char good[512], bad[512];
	struct lfs_leader out;
	int rv, round;

	sector_read(a, off, good);
	for (round = 0; round < 2; round++) {
		if (round == 0) {
			fill_garbage(bad, sizeof(bad), 7);
		} else {
			memcpy(bad, good, sizeof(bad));
			bad[33] ^= 0x01; /* inside the used bytes of both records */
		}
		sector_write(a, off, bad);
		/* a fresh view for b's ballot; no renewal: no time passes
		 * here, and a host renewing faster than renewal_interval
		 * looks, to the others, like a clock that missed time */
		ck_assert_int_eq(lfs_hosts_refresh(&b->ls, &b->io), 0);
		rv = acquire(b, ref, &out);
		ck_assert_msg(is_decode_error(rv), "acquire on a corrupt %s "
		    "returned %d", is_leader ? "leader" : "dblock", rv);
		if (is_leader) {
			rv = lfs_paxos_read_leader(&b->ls, &b->io, ref, &out);
			ck_assert_msg(is_decode_error(rv), "read_leader: %d", rv);
		}
		ck_assert(dblock_untouched(b, dblock_offset(b, ref->slot, b->id)));
	}
	sector_write(a, off, good);
}

START_TEST(test_corrupt_leader)
{
	struct world w;
	struct host *a = &w.h[0], *b = &w.h[1];
	const struct lfs_lease_ref *ref = &w.lease.ref;
	struct lfs_leader held, out;

	world_init(&w, 2, 1);
	ck_assert_int_eq(acquire(a, ref, &held), 0);
	/* held by a live host */
	check_corruption_refused(&w, leader_offset(a, ref->slot), 1);
	/* free (released by a) */
	host_renew(a);
	ck_assert_int_eq(release(a, ref, &held), 0);
	check_corruption_refused(&w, leader_offset(a, ref->slot), 1);
	/* repaired: usable again (the release was instance 2) */
	host_renew(b);
	ck_assert_int_eq(acquire(b, ref, &out), 0);
	ck_assert_uint_eq(out.lver, 3);
	world_fini(&w);
}
END_TEST

START_TEST(test_corrupt_dblock)
{
	struct world w;
	struct host *a = &w.h[0], *b = &w.h[1];
	const struct lfs_lease_ref *ref = &w.lease.ref;
	struct lfs_leader held, out;

	world_init(&w, 2, 1);
	ck_assert_int_eq(acquire(a, ref, &held), 0);
	host_renew(a);
	ck_assert_int_eq(release(a, ref, &held), 0);
	check_corruption_refused(&w, dblock_offset(a, ref->slot, a->id), 0);
	host_renew(b);
	ck_assert_int_eq(acquire(b, ref, &out), 0);
	ck_assert_uint_eq(out.lver, 3); /* the release was instance 2 */
	world_fini(&w);
}
END_TEST

/* b acquires the lease a released, while reads of the sector at off are
 * torn: a torn read is read again (diskio.h), so one tear
 * costs nothing and acquires (lver 3: the release was instance 2); a
 * sector torn on every read is corrupt, refused after a bounded number of
 * reads, with nothing written. */
static void
check_torn_read(uint64_t (*where)(struct host *, uint32_t, uint32_t))
{
	struct world w;
	struct host *a = &w.h[0], *b = &w.h[1];
	const struct lfs_lease_ref *ref = &w.lease.ref;
	struct lfs_leader held, out;
	struct tear t = { 0 };
	int rv;

	world_init(&w, 2, 1);
	ck_assert_int_eq(acquire(a, ref, &held), 0);
	host_renew(a);
	ck_assert_int_eq(release(a, ref, &held), 0);
	t.off = where(a, ref->slot, a->id);
	b->path.rule = tear_rule;
	b->path.rule_arg = &t;

	t.left = LFS_IO_REREADS + 1; /* every read, and every re-read */
	host_renew(b);
	rv = acquire(b, ref, &out);
	ck_assert_msg(is_decode_error(rv), "acquire on a sector torn on "
	    "every read returned %d", rv);
	ck_assert_int_eq(t.torn, LFS_IO_REREADS + 1);
	ck_assert_int_eq(b->io.stats.rereads, LFS_IO_REREADS);
	ck_assert(dblock_untouched(b, dblock_offset(b, ref->slot, b->id)));

	t.left = 1; /* one read met a write */
	t.torn = 0;
	host_renew(b);
	ck_assert_int_eq(acquire(b, ref, &out), 0);
	ck_assert_int_eq(t.torn, 1);
	ck_assert_int_eq(b->io.stats.rereads, LFS_IO_REREADS + 1);
	ck_assert_uint_eq(out.lver, 3);
	ck_assert_uint_eq(out.owner_id, b->id);
	b->path.rule = NULL;
	world_fini(&w);
}

static uint64_t
leader_at(struct host *h, uint32_t slot, uint32_t id)
{
	(void)id;
	return leader_offset(h, slot);
}

START_TEST(test_torn_read_dblock)
{
	check_torn_read(dblock_offset);
}
END_TEST

START_TEST(test_torn_read_leader)
{
	check_torn_read(leader_at);
}
END_TEST

/* A late write puts back an old leader (a's commit of lver n) over b's
 * commit of lver n + 2.  The dblocks still say n + 2 was decided for b:
 * a must not get the lease while b is live (its ballot of n + 2 chooses b
 * again, and commits it: the leader is mended), b can still release, and
 * afterwards the lease moves on above n + 2. */
START_TEST(test_stale_leader)
{
	struct world w;
	struct host *a = &w.h[0], *b = &w.h[1], *c = &w.h[2];
	const struct lfs_lease_ref *ref = &w.lease.ref;
	struct lfs_leader held_a, held_b, out;
	unsigned char old[512];
	uint64_t n;
	int rv;

	world_init(&w, 3, 1);
	ck_assert_int_eq(acquire(a, ref, &held_a), 0);
	n = held_a.lver;
	sector_read(a, leader_offset(a, ref->slot), old);
	host_renew(a);
	ck_assert_int_eq(release(a, ref, &held_a), 0);
	host_renew(b);
	ck_assert_int_eq(acquire(b, ref, &held_b), 0);
	ck_assert_uint_eq(held_b.lver, n + 2); /* the release was n + 1 */

	sector_write(a, leader_offset(a, ref->slot), old); /* the late write */
	host_renew(a);
	host_renew(b);
	host_renew(c);
	rv = acquire(a, ref, &out);
	ck_assert_msg(rv != 0 && rv != -EALREADY, "a got the lease: %d", rv);
	/* (exactly -EBUSY: test_stale_leader_own_name) */
	ck_assert_int_eq(acquire(c, ref, &out), -EBUSY);
	/* a's old hold matches the stale leader, so a second release of it
	 * may write (lver n, free): harmless, the dblocks still say b */
	rv = release(a, ref, &held_a);
	ck_assert_msg(rv == 0 || rv == -EPERM, "release: %d", rv);
	ck_assert_int_eq(acquire(c, ref, &out), -EBUSY);
	rv = acquire(a, ref, &out);
	ck_assert_msg(rv != 0 && rv != -EALREADY, "a got the lease: %d", rv);

	host_renew(b);
	ck_assert_int_eq(release(b, ref, &held_b), 0);
	host_renew(a);
	ck_assert_int_eq(acquire(a, ref, &out), 0);
	ck_assert_uint_gt(out.lver, n + 2);
	world_fini(&w);
}
END_TEST

/* ---- 6. I/O faults ------------------------------------------------------------- */

/* Writes fail with -EIO: the acquire fails with -EIO and leaves nothing;
 * a healthy context then acquires normally. */
START_TEST(test_fault_eio)
{
	struct world w;
	struct host *a = &w.h[0], *b = &w.h[1];
	const struct lfs_lease_ref *ref = &w.lease.ref;
	struct lfs_leader out;
	struct faulty fy;

	world_init(&w, 2, 1);
	faulty_open(&fy, a);
	fy.fake.wall = ACT_EIO;
	host_renew(a);
	ck_assert_int_eq(lfs_paxos_acquire(&a->ls, &fy.io, ref, "vm1", &out),
	    -EIO);
	faulty_close(&fy);
	ck_assert_uint_eq(read_leader(b, ref).lver, 0);
	ck_assert(dblock_untouched(a, dblock_offset(a, ref->slot, a->id)));

	host_renew(a);
	ck_assert_int_eq(acquire(a, ref, &out), 0);
	ck_assert_uint_eq(out.lver, 1);
	world_fini(&w);
}
END_TEST

/* Every write (then every read) hangs: -ETIMEDOUT after about io_timeout,
 * nothing decided (the hung writes are dropped): b can take the lease. */
START_TEST(test_fault_hang)
{
	struct world w;
	struct host *a = &w.h[0], *b = &w.h[1];
	const struct lfs_lease_ref *ref = &w.lease.ref;
	struct lfs_leader out;
	struct faulty fy;
	uint64_t t0;
	int round;

	world_init(&w, 2, 1);
	for (round = 0; round < 2; round++) {
		faulty_open(&fy, a);
		if (round == 0)
			fy.fake.wall = ACT_HANG;
		else
			fy.fake.rall = ACT_HANG;
		host_renew(a);
		t0 = tclock_ms(&test_clk);
		ck_assert_int_eq(lfs_paxos_acquire(&a->ls, &fy.io, ref, "vm1",
		    &out), -ETIMEDOUT);
		/* exactly one io_timeout: the first hung I/O ends the ballot */
		ck_assert_uint_eq(tclock_ms(&test_clk) - t0, a->ls.to.io_timeout_ms);
		faulty_close(&fy);
		ck_assert_uint_eq(read_leader(b, ref).lver, 0);
		ck_assert(dblock_untouched(a, dblock_offset(a, ref->slot, a->id)));
	}
	host_renew(b);
	ck_assert_int_eq(acquire(b, ref, &out), 0);
	ck_assert_uint_eq(out.lver, 1);
	ck_assert_uint_eq(out.owner_id, b->id);
	world_fini(&w);
}
END_TEST

/*
 * The commit write hangs (it is dropped): a's acquire fails, but instance 1
 * was decided for a in the dblocks.  The leader still reads free, yet b
 * cannot take the lease while a lives: b's ballot of instance 1 can only
 * choose a again, and b commits that (paxos.h invariant 2a).  a then holds
 * it without knowing: why a caller must settle (acquire and release) after
 * an acquire that failed with an I/O error.
 */
START_TEST(test_fault_commit_lost)
{
	struct world w;
	struct host *a = &w.h[0], *b = &w.h[1];
	const struct lfs_lease_ref *ref = &w.lease.ref;
	struct lfs_leader out, ld;
	struct faulty fy;

	world_init(&w, 2, 1);
	faulty_open(&fy, a);
	fy.fake.wact[2] = ACT_HANG; /* phase 1, phase 2, commit */
	host_renew(a);
	ck_assert_int_eq(lfs_paxos_acquire(&a->ls, &fy.io, ref, "vm1", &out),
	    -ETIMEDOUT);
	ck_assert_int_eq(fy.fake.writes, 3);
	faulty_close(&fy);

	ld = read_leader(b, ref);
	ck_assert_uint_eq(ld.lver, 0);
	ck_assert_uint_eq(ld.owner_id, 0);
	/* b runs instance 1 to its end: it chooses a (a live host), and b
	 * commits it, so the leader tells the truth */
	host_renew(b);
	ck_assert_int_eq(acquire(b, ref, &out), -EBUSY);
	ld = read_leader(b, ref);
	ck_assert_uint_eq(ld.lver, 1);
	ck_assert_uint_eq(ld.owner_id, a->id);

	host_renew(a);
	ck_assert_int_eq(acquire(a, ref, &out), -EALREADY);
	ck_assert_uint_eq(out.lver, 1);
	ck_assert_uint_eq(out.owner_id, a->id);
	world_fini(&w);
}
END_TEST

/* ---- 7. requests --------------------------------------------------------------- */

START_TEST(test_requests)
{
	struct world w;
	struct host *a = &w.h[0], *b = &w.h[1];
	const struct lfs_lease_ref *ref = &w.lease.ref;
	struct lfs_leader held;
	struct lfs_request rq;
	uint64_t seq;

	world_init(&w, 2, 1);
	ck_assert_int_eq(lfs_paxos_read_request(&a->ls, &a->io, ref, &rq), 0);
	ck_assert_uint_eq(rq.host_id, 0);
	ck_assert_int_eq(acquire(a, ref, &held), 0);

	ck_assert_int_eq(lfs_paxos_write_request(&b->ls, &b->io, ref, 1), 0);
	ck_assert_int_eq(lfs_paxos_read_request(&a->ls, &a->io, ref, &rq), 0);
	ck_assert_uint_eq(rq.host_id, b->id);
	ck_assert_uint_eq(rq.host_gen, b->ls.generation);
	ck_assert_uint_eq(rq.lver, held.lver);
	seq = rq.seq;

	/* a clearing does not clear b's request */
	ck_assert_int_eq(lfs_paxos_write_request(&a->ls, &a->io, ref, 0), 0);
	ck_assert_int_eq(lfs_paxos_read_request(&b->ls, &b->io, ref, &rq), 0);
	ck_assert_uint_eq(rq.host_id, b->id);

	ck_assert_int_eq(lfs_paxos_write_request(&b->ls, &b->io, ref, 0), 0);
	ck_assert_int_eq(lfs_paxos_read_request(&a->ls, &a->io, ref, &rq), 0);
	ck_assert_uint_eq(rq.host_id, 0);
	ck_assert_uint_eq(rq.host_gen, 0);
	ck_assert_uint_gt(rq.seq, seq);
	/* the lease itself is untouched */
	ck_assert_int_eq(acquire(a, ref, &held), -EALREADY);
	world_fini(&w);
}
END_TEST

/* A claim is one past the leader it was written at; an ask is at it.  An
 * ask written under an earlier owner, or at any time before the claim,
 * never reads as a claim on the lease held now (paxos.h, requests). */
START_TEST(test_request_claim)
{
	struct world w;
	struct host *a = &w.h[0], *b = &w.h[1];
	const struct lfs_lease_ref *ref = &w.lease.ref;
	struct lfs_leader held, again;
	struct lfs_request rq;

	world_init(&w, 2, 1);
	ck_assert_int_eq(lfs_paxos_write_request(&b->ls, &b->io, ref,
	    LFS_REQUEST_ASK), 0);
	ck_assert_int_eq(acquire(a, ref, &held), 0);
	ck_assert_int_eq(lfs_paxos_read_request(&a->ls, &a->io, ref, &rq), 0);
	ck_assert_int_eq(lfs_request_is_claim(&rq, &held), 0); /* older ask */
	ck_assert_int_eq(lfs_paxos_write_request(&b->ls, &b->io, ref,
	    LFS_REQUEST_ASK), 0);
	ck_assert_int_eq(lfs_paxos_read_request(&a->ls, &a->io, ref, &rq), 0);
	ck_assert_int_eq(lfs_request_is_claim(&rq, &held), 0); /* ask now */
	ck_assert_int_eq(lfs_paxos_write_request(&b->ls, &b->io, ref,
	    LFS_REQUEST_CLAIM), 0);
	ck_assert_int_eq(lfs_paxos_read_request(&a->ls, &a->io, ref, &rq), 0);
	ck_assert_uint_eq(rq.host_id, b->id);
	ck_assert_uint_eq(rq.lver, held.lver + 1);
	ck_assert_int_eq(lfs_request_is_claim(&rq, &held), 1);
	/* a claim survives no new tenure: once a holds again at a later lver,
	 * the same record is an old one */
	ck_assert_int_eq(lfs_paxos_release(&a->ls, &a->io, ref, &held), 0);
	ck_assert_int_eq(acquire(a, ref, &again), 0);
	ck_assert_uint_gt(again.lver, held.lver);
	ck_assert_int_eq(lfs_request_is_claim(&rq, &again), 0);
	/* an unknown kind of write is refused, and writes nothing */
	ck_assert_int_eq(lfs_paxos_write_request(&b->ls, &b->io, ref, 3),
	    -EINVAL);
	/* cleared: no claim */
	ck_assert_int_eq(lfs_paxos_write_request(&b->ls, &b->io, ref,
	    LFS_REQUEST_CLEAR), 0);
	ck_assert_int_eq(lfs_paxos_read_request(&a->ls, &a->io, ref, &rq), 0);
	ck_assert_int_eq(lfs_request_is_claim(&rq, &again), 0);
	world_fini(&w);
}
END_TEST

/* ---- 8. regressions ---------------------------------------------------------------
 *
 * Each of these showed a bug in core; they stay as regression tests.
 */

/*
 * A timed-out dblock write that lands late must not make two hosts win the
 * same instance.
 *
 * a's first acquire times out on its phase-1 dblock write W1 (mbal 1,
 * bal 0); diskio.h says such a write may still land later.  Had a retried
 * at once, its new ballot would accept its own value and go to commit; W1
 * landing just before the commit would rewind a's dblock to bal 0, b could
 * choose itself for the same instance, and both would commit lver 1.  Now
 * (paxos.h invariant 6) a's lease operations fail with -EIO while W1 may
 * still land, so no ballot of a's runs beside it; once W1 has landed, a
 * acquires normally.
 */
START_TEST(test_late_dblock_write)
{
	struct world w;
	struct host *a = &w.h[0], *b = &w.h[1];
	const struct lfs_lease_ref *ref = &w.lease.ref;
	struct lfs_leader out_a, out_b;
	struct faulty fy;

	world_init(&w, 2, 1);
	faulty_open(&fy, a);
	fy.fake.wact[0] = ACT_HANG;
	host_renew(a);
	ck_assert_int_eq(lfs_paxos_acquire(&a->ls, &fy.io, ref, "vm1", &out_a),
	    -ETIMEDOUT);
	/* W1 still pending: refused before any I/O, twice */
	host_renew(a);
	ck_assert_int_eq(lfs_paxos_acquire(&a->ls, &fy.io, ref, "vm1", &out_a),
	    -EIO);
	ck_assert_int_eq(lfs_paxos_acquire(&a->ls, &fy.io, ref, "vm1", &out_a),
	    -EIO);
	ck_assert_int_eq(fy.fake.writes, 1);
	/* meanwhile b takes the lease; then W1 lands late and completes */
	host_renew(b);
	ck_assert_int_eq(acquire(b, ref, &out_b), 0);
	fake_land(&fy.fake, 0);
	fake_release(&fy.fake);
	/* a's ballots run again, and see b's lease */
	host_renew(a);
	host_renew(b);
	ck_assert_int_eq(lfs_paxos_acquire(&a->ls, &fy.io, ref, "vm1", &out_a),
	    -EBUSY);
	ck_assert_int_eq(release(b, ref, &out_b), 0);
	host_renew(a);
	ck_assert_int_eq(lfs_paxos_acquire(&a->ls, &fy.io, ref, "vm1", &out_a), 0);
	ck_assert_uint_gt(out_a.lver, out_b.lver);
	faulty_close(&fy);
	world_fini(&w);
}
END_TEST

/*
 * With a stale leader naming us (test_stale_leader), acquire says -EBUSY:
 * instance n + 1 was decided for b, which is live.  (It used to say
 * -EAGAIN, as if our own handover were under way, and a caller retrying on
 * -EAGAIN spun until b released.)
 */
START_TEST(test_stale_leader_own_name)
{
	struct world w;
	struct host *a = &w.h[0], *b = &w.h[1];
	const struct lfs_lease_ref *ref = &w.lease.ref;
	struct lfs_leader held_a, held_b, out;
	unsigned char old[512];

	world_init(&w, 2, 1);
	ck_assert_int_eq(acquire(a, ref, &held_a), 0);
	sector_read(a, leader_offset(a, ref->slot), old);
	host_renew(a);
	ck_assert_int_eq(release(a, ref, &held_a), 0);
	host_renew(b);
	ck_assert_int_eq(acquire(b, ref, &held_b), 0);
	sector_write(a, leader_offset(a, ref->slot), old);
	host_renew(a);
	host_renew(b);
	ck_assert_int_eq(acquire(a, ref, &out), -EBUSY);
	world_fini(&w);
}
END_TEST

/*
 * Finding C9 of the simulator: a leader left behind.  a releases (instance
 * n + 1 chooses nobody), c begins instance n + 2 and gives up after its
 * phase 1, then a late commit of (n, a) lands over the leader.  a is live
 * and holds nothing; the newest instance has no accepted value, so no host
 * could run it while the leader named a live owner, but a (as if it were
 * its own handover: test_stale_leader_ours_not_our_handover says why that
 * was wrong): the lease was busy for every other host as long as a lived.
 * Now any host may run it (paxos.c stale_handover_by_none_live()): c's
 * dblock there is an acquire's, not the handover of an owner that may
 * still hold.
 */
START_TEST(test_leader_left_behind)
{
	struct world w;
	struct host *a = &w.h[0], *b = &w.h[1], *c = &w.h[2];
	const struct lfs_lease_ref *ref = &w.lease.ref;
	struct lfs_leader held_a, held_b, out;
	unsigned char old[4096], buf[4096];
	struct lfs_dblock d;
	struct faulty fy;
	uint64_t n;

	world_init(&w, 3, 1);
	ck_assert_int_eq(acquire(a, ref, &held_a), 0);
	n = held_a.lver;
	sector_read(a, leader_offset(a, ref->slot), old);
	host_renew(a);
	ck_assert_int_eq(release(a, ref, &held_a), 0);
	faulty_open(&fy, c);
	fy.fake.wact[1] = ACT_EIO; /* c's phase 2 write */
	host_renew(c);
	ck_assert_int_eq(lfs_paxos_acquire(&c->ls, &fy.io, ref, "vm1", &out),
	    -EIO);
	faulty_close(&fy);
	sector_read(c, dblock_offset(c, ref->slot, c->id), buf);
	ck_assert_int_eq(lfs_dblock_decode(&d, buf, c->ls.layout.sector_size), 0);
	ck_assert_uint_eq(d.lver, n + 2);
	ck_assert_uint_eq(d.bal, 0);

	sector_write(a, leader_offset(a, ref->slot), old); /* the late commit */
	host_renew(a);
	host_renew(b);
	host_renew(c);
	ck_assert_int_eq(acquire(b, ref, &held_b), 0);
	ck_assert_uint_eq(held_b.lver, n + 2);
	ck_assert_uint_eq(read_leader(c, ref).owner_id, b->id);
	host_renew(a);
	host_renew(c);
	ck_assert_int_eq(acquire(a, ref, &out), -EBUSY);
	ck_assert_int_eq(acquire(c, ref, &out), -EBUSY);
	host_renew(b);
	ck_assert_int_eq(release(b, ref, &held_b), 0);
	host_renew(c);
	ck_assert_int_eq(acquire(c, ref, &out), 0);
	world_fini(&w);
}
END_TEST

/* Every read fails once the first write has been submitted. */
static void
fail_reads_after_first_write(struct fake *f, int write_seq, struct iocb *cb)
{
	(void)cb;
	if (write_seq == 0)
		f->rall = ACT_EIO;
}

/*
 * A stale leader naming us is not always our own handover that stopped.
 * a acquires (n) and transfers to b (n + 1); b's transfer onward stops
 * after its phase 1 of n + 2 (a read fails): b still holds.  A late
 * commit of (n, a) lands over the leader.  a, live and named by it, ran
 * instance n + 2 "at once" as its own unfinished handover, chose itself,
 * and held the lease beside b.  Only instance leader.lver + 1 can be a
 * handover of ours; above it, a is like any other host.
 */
START_TEST(test_stale_leader_ours_not_our_handover)
{
	struct world w;
	struct host *a = &w.h[0], *b = &w.h[1], *c = &w.h[2];
	const struct lfs_lease_ref *ref = &w.lease.ref;
	struct lfs_leader held_a, held_b, out;
	unsigned char old[4096];
	struct faulty fy;
	uint64_t n;
	int rv;

	world_init(&w, 3, 1);
	ck_assert_int_eq(acquire(a, ref, &held_a), 0);
	n = held_a.lver;
	sector_read(a, leader_offset(a, ref->slot), old);
	host_renew(a);
	host_renew(b);
	ck_assert_int_eq(lfs_paxos_transfer(&a->ls, &a->io, ref, &held_a, b->id,
	    b->ls.generation, &held_b), 0);
	ck_assert_uint_eq(held_b.lver, n + 1);
	faulty_open(&fy, b);
	fy.fake.before_write = fail_reads_after_first_write;
	host_renew(b);
	host_renew(c);
	ck_assert_int_eq(lfs_paxos_transfer(&b->ls, &fy.io, ref, &held_b, c->id,
	    c->ls.generation, &out), -EIO);
	faulty_close(&fy);

	sector_write(a, leader_offset(a, ref->slot), old); /* the late commit */
	host_renew(a);
	host_renew(b);
	host_renew(c);
	rv = acquire(a, ref, &out);
	ck_assert_msg(rv != 0 && rv != -EALREADY,
	    "a got the lease while b holds it: %d", rv);
	ck_assert_int_eq(acquire(c, ref, &out), -EBUSY);
	/* b, still the owner, finishes its transfer */
	host_renew(b);
	ck_assert_int_eq(lfs_paxos_transfer(&b->ls, &b->io, ref, &held_b, c->id,
	    c->ls.generation, &out), 0);
	ck_assert_uint_eq(out.lver, n + 2);
	host_renew(c);
	ck_assert_int_eq(acquire(c, ref, &out), -EALREADY);
	world_fini(&w);
}
END_TEST

/* A submit gate for the tests below: counts, and can be closed. */
struct test_gate {
	int held, takes, closed;
	int writes_inside;       /* writes submitted with the gate held */
	int writes_outside;      /* ... without it */
};

static int
test_gate_take(void *arg)
{
	struct test_gate *g = arg;

	if (g->closed)
		return -EBUSY;
	g->held++;
	g->takes++;
	return 0;
}

static void
test_gate_drop(void *arg)
{
	struct test_gate *g = arg;

	ck_assert_int_gt(g->held, 0);
	g->held--;
}

static void
count_gated_writes(struct fake *f, int write_seq, struct iocb *cb)
{
	struct test_gate *g = f->hook_arg;

	(void)write_seq;
	(void)cb;
	if (g->held > 0)
		g->writes_inside++;
	else
		g->writes_outside++;
}

/*
 * Finding C12: every lease write is submitted inside the submit gate
 * (lockspace.h), taken before its freshness check and left when
 * io_submit returned; with the gate closed (the guard fencing), a lease
 * operation writes nothing and fails with -EIO.
 */
START_TEST(test_submit_gate)
{
	struct world w;
	struct host *a = &w.h[0];
	const struct lfs_lease_ref *ref = &w.lease.ref;
	struct test_gate g = { 0 };
	struct lfs_leader held;
	struct faulty fy;

	world_init(&w, 1, 1);
	a->ls.gate.take = test_gate_take;
	a->ls.gate.drop = test_gate_drop;
	a->ls.gate.arg = &g;
	faulty_open(&fy, a);
	fy.fake.before_write = count_gated_writes;
	fy.fake.hook_arg = &g;
	host_renew(a);
	ck_assert_int_eq(lfs_paxos_acquire(&a->ls, &fy.io, ref, "vm1", &held),
	    0);
	ck_assert_int_ge(g.writes_inside, 3); /* phase 1, phase 2, commit */
	ck_assert_int_eq(g.writes_outside, 0);
	ck_assert_int_eq(g.held, 0);
	ck_assert_int_eq(g.takes, g.writes_inside);

	g.closed = 1;
	host_renew(a);
	ck_assert_int_eq(lfs_paxos_release(&a->ls, &fy.io, ref, &held), -EIO);
	ck_assert_int_eq(g.takes, g.writes_inside); /* nothing written */
	ck_assert_uint_eq(read_leader(a, ref).owner_id, a->id);
	g.closed = 0;
	host_renew(a);
	ck_assert_int_eq(lfs_paxos_release(&a->ls, &fy.io, ref, &held), 0);
	ck_assert_int_eq(g.writes_outside, 0);
	faulty_close(&fy);
	a->ls.gate.take = NULL;
	world_fini(&w);
}
END_TEST

/*
 * lfs_paxos_transfer() refuses a target generation that is not the live
 * one: 0 ("any" to lfs_host_state()) or one newer than the target's record.
 * Given such a generation the lease would be owned by (id, gen) that no
 * incarnation matches: the target could not use or release it, and every
 * other host would see a live owner for as long as that id renews.
 */
/* Transfer lease `name` (acquired here by a) to b's generation gen;
 * returns the transfer's result and, in *b_rv, b's acquire afterwards. */
static int
transfer_to_gen(struct world *w, const char *name, uint64_t gen, int *b_rv)
{
	struct host *a = &w->h[0], *b = &w->h[1];
	struct lfs_lease_entry e;
	struct lfs_leader held, out;
	int rv;

	ck_assert_int_eq(lfs_leases_create(&a->ls, &a->io, name, &e), 0);
	host_renew(a);
	ck_assert_int_eq(lfs_paxos_acquire(&a->ls, &a->io, &e.ref, name, &held),
	    0);
	host_renew(b);
	host_renew(a);
	rv = lfs_paxos_transfer(&a->ls, &a->io, &e.ref, &held, b->id, gen, &out);
	host_renew(b);
	*b_rv = lfs_paxos_acquire(&b->ls, &b->io, &e.ref, name, &out);
	return rv;
}

START_TEST(test_transfer_bad_generation)
{
	struct world w;
	int rv_future, rv_zero, b_future, b_zero;

	world_init(&w, 2, 0);
	rv_future = transfer_to_gen(&w, "future", w.h[1].ls.generation + 1,
	    &b_future);
	rv_zero = transfer_to_gen(&w, "zero", 0, &b_zero);
	ck_assert_msg((rv_future == -EHOSTDOWN || rv_future == -EINVAL) &&
	    (rv_zero == -EHOSTDOWN || rv_zero == -EINVAL), "transfer to a "
	    "future generation: %d (then b's acquire: %d); to generation 0: "
	    "%d (then b's acquire: %d)", rv_future, b_future, rv_zero, b_zero);
	world_fini(&w);
}
END_TEST

/* A host that joined above the window of a host that only renews is still
 * seen by that host's next ballot (paxos.h invariant 4: a renewal's window
 * read never makes the view fresh; the ballot makes a full read).  Were it
 * not so, host 1 would judge the lease's owner, host 4, a host it never
 * saw (FREE) and take the lease from it. */
START_TEST(test_joiner_above_window)
{
	struct host h[3], *a = &h[0], *d = &h[2], *hs[2] = { &h[0], &h[1] };
	struct lfs_lease_entry lease;
	struct lfs_leader held, ld;
	uint64_t full;

	memset(h, 0, sizeof(h));
	format_lockspace_hosts(64);
	host_open(&h[0], 1);
	host_open(&h[1], 2);
	hosts_join(hs, 2);
	ck_assert_int_eq(lfs_leases_create(&a->ls, &a->io, "vm1", &lease), 0);
	host_open(d, 20);  /* above host 1's window (ids 1 .. 8) */
	ck_assert_int_eq(host_join(d), 0);
	host_renew(d);
	ck_assert_int_eq(acquire(d, &lease.ref, &held), 0);
	ck_assert_uint_eq(held.owner_id, 20);

	/* host 1 renews just before it tries: its window is fresh, its
	 * last full read (before host 20 joined) is not */
	full = a->ls.hosts_read_ms;
	host_renew(a);
	ck_assert_int_eq(acquire(a, &lease.ref, &ld), -EBUSY);
	ck_assert_uint_gt(a->ls.hosts_read_ms, full);  /* the ballot's read */
	ld = read_leader(a, &lease.ref);
	ck_assert_uint_eq(ld.owner_id, 20);
	ck_assert_int_eq(lfs_host_state(&a->ls, 20, held.owner_gen),
	    LFS_HOST_STATE_LIVE);
	host_close(&h[0]);
	host_close(&h[1]);
	host_close(&h[2]);
}
END_TEST

/* ---- dblock presence (paxos.h invariant 4a) -------------------------------- */

/* Host id's presence as its sector on disk shows it. */
static int
disk_presence(struct host *h, uint32_t id, struct lfs_presence *pr)
{
	unsigned char buf[4096];

	sector_read(h, lfs_host_sector(&h->ls.layout, id) *
	    h->ls.layout.sector_size, buf);
	return lfs_presence_decode(pr, buf, h->ls.layout.sector_size);
}

static int
presence_empty(const struct lfs_presence *pr)
{
	size_t i;

	for (i = 0; i < sizeof(pr->bits); i++)
		if (pr->bits[i] != 0)
			return 0;
	return 1;
}

/* A sector that decodes as nothing leasefs knows. */
static void
garbage_write(struct host *h, uint64_t off)
{
	unsigned char buf[4096];

	memset(buf, 0xab, sizeof(buf));
	sector_write(h, off, buf);
}

/* Hosts 1 (a, lazy) and 2 (b, lazy when b_lazy) joined on a fresh
 * lockspace of 64 hosts, and "vm1" created by a. */
static void
presence_pair(struct host *h, int b_lazy, struct lfs_lease_entry *lease)
{
	struct host *hs[2] = { &h[0], &h[1] };

	memset(h, 0, 2 * sizeof(*h));
	format_lockspace();
	host_open(&h[0], 1);
	host_open(&h[1], 2);
	h[0].ls.presence_lazy = 1;
	h[1].ls.presence_lazy = b_lazy;
	hosts_join(hs, 2);
	ck_assert_int_eq(lfs_leases_create(&h[0].ls, &h[0].io, "vm1", lease),
	    0);
}

/* Acquire as h (renewed first); how long it took on the test clock. */
static uint64_t
timed_acquire(struct host *h, const struct lfs_lease_ref *ref,
    struct lfs_leader *held)
{
	uint64_t t0;

	host_renew(h);
	t0 = tclock_ms(&test_clk);
	ck_assert_int_eq(acquire(h, ref, held), 0);
	return tclock_ms(&test_clk) - t0;
}

/* With lazy presence, a host's first dblock write in a bucket comes
 * join_delay after its bit is on disk; later ones wait for nothing, in
 * this process or the next (the join carries the bit from the disk). */
START_TEST(test_presence_first_write_waits)
{
	struct host h[2], *a = &h[0], *b = &h[1];
	struct lfs_lease_entry lease;
	struct lfs_leader held;
	struct lfs_presence pr;
	uint32_t bucket;

	presence_pair(h, 1, &lease);
	ck_assert_int_eq(disk_presence(a, 2, &pr), 0);
	ck_assert(presence_empty(&pr));
	bucket = lfs_presence_bucket(lease.ref.slot);
	ck_assert_uint_ne(bucket, 0); /* the table lease's, which a set */

	ck_assert_uint_ge(timed_acquire(b, &lease.ref, &held),
	    b->ls.to.join_delay_ms);
	ck_assert_int_eq(disk_presence(a, 2, &pr), 0);
	ck_assert(lfs_presence_has(&pr, bucket));
	ck_assert(!lfs_presence_has(&pr, 0));
	ck_assert_int_eq(release(b, &lease.ref, &held), 0);

	ck_assert_uint_lt(timed_acquire(b, &lease.ref, &held),
	    b->ls.to.join_delay_ms);
	ck_assert_int_eq(release(b, &lease.ref, &held), 0);

	/* a new process (lazy again: host_open() takes the lockspace's
	 * default, which is not lazy at 64 hosts) */
	host_close(b);
	host_open(b, 2);
	b->ls.presence_lazy = 1;
	ck_assert_int_eq(host_join(b), 0);
	host_renew(b);
	ck_assert_int_eq(disk_presence(a, 2, &pr), 0);
	ck_assert(lfs_presence_has(&pr, bucket));
	ck_assert_uint_lt(timed_acquire(b, &lease.ref, &held),
	    b->ls.to.join_delay_ms);
	host_close(a);
	host_close(b);
}
END_TEST

/* A request of ours publishes our bit for the lease's bucket at once (a
 * migration's destination asks before the lease comes to it): a ballot
 * join_delay later waits for nothing. */
START_TEST(test_presence_early_by_request)
{
	struct host h[2], *a = &h[0], *b = &h[1];
	struct lfs_lease_entry lease;
	struct lfs_leader held;
	struct lfs_presence pr;

	presence_pair(h, 1, &lease);
	host_renew(b);
	ck_assert_int_eq(lfs_paxos_write_request(&b->ls, &b->io, &lease.ref,
	    LFS_REQUEST_ASK), 0);
	ck_assert_int_eq(disk_presence(a, 2, &pr), 0);
	ck_assert(lfs_presence_has(&pr, lfs_presence_bucket(lease.ref.slot)));
	tclock_advance(&test_clk, b->ls.to.join_delay_ms);
	ck_assert_uint_lt(timed_acquire(b, &lease.ref, &held),
	    b->ls.to.join_delay_ms);
	host_close(a);
	host_close(b);
}
END_TEST

/* A ballot reads the dblock of a host only once the host's bit for the
 * slot's bucket shows: before, b's dblock is not read (garbage there
 * changes nothing); after b published it, the same garbage is read and
 * refused, as every undecodable dblock is (invariant 5). */
START_TEST(test_presence_read_set)
{
	struct host h[2], *a = &h[0], *b = &h[1];
	struct lfs_lease_entry lease;
	struct lfs_leader held;
	int rv;

	presence_pair(h, 1, &lease);
	garbage_write(a, dblock_offset(a, lease.ref.slot, 2));
	host_renew(a);
	ck_assert_int_eq(acquire(a, &lease.ref, &held), 0);
	ck_assert_int_eq(release(a, &lease.ref, &held), 0);

	host_renew(b);
	ck_assert_int_eq(lfs_delta_presence_ready(&b->ls, &b->io,
	    lease.ref.slot), 0);
	host_renew(a); /* a's last full read is now older than hosts_fresh */
	rv = acquire(a, &lease.ref, &held);
	ck_assert_msg(is_decode_error(rv), "acquire: %d", rv);
	host_close(a);
	host_close(b);
}
END_TEST

/* The listing of a lease's shared holders (lfs_shared_holders, behind
 * `owner` and `state`) reads a host's dblock when the host's bit for the
 * slot's bucket shows, or once our last sample of the host's sector is
 * join_delay old (a bit published since may have a dblock behind it by
 * now): garbage in b's dblock is skipped right after a's renewal, read and
 * refused join_delay later, and read at once after b published its bit;
 * b's shared hold is listed. */
START_TEST(test_presence_holders_read_set)
{
	struct host h[2], *a = &h[0], *b = &h[1];
	struct lfs_lease_entry lease;
	struct lfs_shared_holder hs[4];
	struct lfs_shared_hold hold;
	struct lfs_leader ld;
	unsigned char zero[4096] = { 0 };
	uint64_t off;
	uint32_t n;
	int rv;

	presence_pair(h, 1, &lease);
	off = dblock_offset(a, lease.ref.slot, 2);
	garbage_write(a, off);
	host_renew(a); /* samples b's sector: no bit */
	ck_assert_int_eq(lfs_shared_holders(&a->ls, &a->io, &lease.ref, &ld,
	    hs, 4, &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_uint_eq(ld.owner_id, 0);

	tclock_advance(&test_clk, a->ls.to.join_delay_ms);
	rv = lfs_shared_holders(&a->ls, &a->io, &lease.ref, &ld, hs, 4, &n);
	ck_assert_msg(is_decode_error(rv), "a join_delay later: %d", rv);
	host_renew(a);
	ck_assert_int_eq(lfs_shared_holders(&a->ls, &a->io, &lease.ref, &ld,
	    hs, 4, &n), 0);

	host_renew(b);
	ck_assert_int_eq(lfs_delta_presence_ready(&b->ls, &b->io,
	    lease.ref.slot), 0);
	host_renew(a); /* shows b's bit */
	rv = lfs_shared_holders(&a->ls, &a->io, &lease.ref, &ld, hs, 4, &n);
	ck_assert_msg(is_decode_error(rv), "after b's publish: %d", rv);

	sector_write(a, off, zero);
	host_renew(b);
	ck_assert_int_eq(lfs_shared_acquire(&b->ls, &b->io, &lease.ref, "vm1",
	    &hold), 0);
	ck_assert_int_eq(lfs_shared_holders(&a->ls, &a->io, &lease.ref, &ld,
	    hs, 4, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(hs[0].host_id, 2);
	ck_assert_uint_eq(hs[0].gen, b->ls.generation);
	host_close(a);
	host_close(b);
}
END_TEST

/* Without lazy presence the join sets every bit, and a record without a
 * presence (an older writer) counts as every bit set: both read every
 * dblock, as before presence existed. */
START_TEST(test_presence_all)
{
	struct host h[2], *a = &h[0], *b = &h[1];
	struct lfs_lease_entry lease;
	struct lfs_leader held;
	struct lfs_presence pr;
	unsigned char buf[4096];
	uint64_t off;
	uint32_t S;
	int rv;

	presence_pair(h, 0, &lease);
	ck_assert_int_eq(disk_presence(a, 2, &pr), 0);
	ck_assert_uint_eq(pr.bits[0], 0xff);
	ck_assert_uint_eq(pr.bits[sizeof(pr.bits) - 1], 0xff);
	garbage_write(a, dblock_offset(a, lease.ref.slot, 2));
	host_renew(a);
	rv = acquire(a, &lease.ref, &held);
	ck_assert_msg(is_decode_error(rv), "acquire: %d", rv);

	/* b's sector as an older binary writes it: the record alone */
	S = a->ls.layout.sector_size;
	off = lfs_host_sector(&a->ls.layout, 2) * S;
	sector_read(a, off, buf);
	memset(buf + LFS_PRESENCE_OFFSET, 0, S - LFS_PRESENCE_OFFSET);
	sector_write(a, off, buf);
	ck_assert_int_eq(disk_presence(a, 2, &pr), -ENODATA);
	tclock_advance(&test_clk, a->ls.to.hosts_fresh_ms + 1);
	host_renew(a);
	rv = acquire(a, &lease.ref, &held);
	ck_assert_msg(is_decode_error(rv), "acquire: %d", rv);
	host_close(a);
	host_close(b);
}
END_TEST

/* ---- several I/O contexts (ioset.h) -----------------------------------------
 *
 * Independent leases' ballots run at once, one context per partition of
 * the slots, on one lockspace shared by the threads; and invariant 6 holds
 * across the set: a timed-out write through one context refuses lease
 * writes through every other until it is reaped.
 */
#define PAR_THREADS 4
#define PAR_ROUNDS 20

struct par_arg {
	struct host *h;
	struct lfs_ioset *set;
	struct lfs_lease_entry *lease;  /* PAR_THREADS * 2 of them */
	int t;                          /* this thread: leases 2t, 2t + 1 */
	pthread_barrier_t *start;
	int failures;
};

/*
 * A ballot of an earlier incarnation of a reused slot must not count
 * (paxos.h invariant 9; the simulator's seed 50293).  b starts to acquire
 * vm1 (slot 1, incarnation 1) with a stale name -> slot mapping and stalls
 * between its phase 1 and its phase 2.  Meanwhile a takes vm1 (its ballot
 * sees b's phase 1 and outbids it), deletes it, and creates vm2, which
 * reuses slot 1 as incarnation 2: the slot's initial image resets every
 * dblock, a's winning one included.  b's phase 2 read then found no trace
 * of a's ballot, "chose" b, and b's commit wrote a leader of incarnation 1
 * over vm2's: vm2 answered -ENOENT to everyone for good, while b believed
 * it held vm1.  Now the image stamps every dblock with incarnation 2, and
 * b's phase 2 read sees a dblock of a newer incarnation: -ENOENT, nothing
 * committed; and b's dblock of incarnation 1, left behind, reads as empty
 * to vm2's ballots.
 */
struct reuse_hook {
	struct world *w;
	struct lfs_lease_entry vm2;
	int fired;
};

/* Before b's second write (its phase 2 dblock): a deletes vm1, creates
 * vm2 in the same slot. */
static void
reuse_slot_before_phase2(struct fake *f, int wseq, struct iocb *cb)
{
	struct reuse_hook *r = f->hook_arg;
	struct host *a = &r->w->h[0];

	(void)cb;
	if (wseq != 1 || r->fired)
		return;
	r->fired = 1;
	ck_assert_int_eq(lfs_leases_delete(&a->ls, &a->io, "vm1"), 0);
	ck_assert_int_eq(lfs_leases_create(&a->ls, &a->io, "vm2", &r->vm2), 0);
	ck_assert_uint_eq(r->vm2.ref.slot, r->w->lease.ref.slot);
	ck_assert_uint_gt(r->vm2.ref.incarnation, r->w->lease.ref.incarnation);
}

START_TEST(test_ballot_of_reused_slot)
{
	struct world w;
	struct host *a = &w.h[0], *b = &w.h[1];
	struct reuse_hook r = { .w = &w };
	struct lfs_leader out, ld;
	struct faulty fy;

	world_init(&w, 2, 1);
	faulty_open(&fy, b);
	fy.fake.before_write = reuse_slot_before_phase2;
	fy.fake.hook_arg = &r;
	ck_assert_int_eq(lfs_paxos_acquire(&b->ls, &fy.io, &w.lease.ref, "vm1",
	    &out), -ENOENT);
	ck_assert(r.fired);
	/* vm2 is intact and free.  b's phase 2 dblock (incarnation 1, b's
	 * value accepted for instance 1) is still on disk: a's ballot reads
	 * it as empty, so it chooses a, not b's old value */
	ck_assert_int_eq(lfs_paxos_read_leader(&a->ls, &a->io, &r.vm2.ref, &ld),
	    0);
	ck_assert_uint_eq(ld.owner_id, 0);
	ck_assert_int_eq(lfs_paxos_acquire(&a->ls, &a->io, &r.vm2.ref, "vm2",
	    &ld), 0);
	ck_assert_uint_eq(ld.owner_id, a->id);
	ck_assert_uint_eq(ld.lver, 1);
	ck_assert_int_eq(lfs_paxos_acquire(&b->ls, &b->io, &r.vm2.ref, "vm2",
	    &out), -EBUSY);
	faulty_close(&fy);
	world_fini(&w);
}
END_TEST

static void *
par_main(void *arg)
{
	struct par_arg *a = arg;
	struct lfs_leader held;
	int r, k, rv;

	pthread_barrier_wait(a->start);
	for (r = 0; r < PAR_ROUNDS; r++)
		for (k = 2 * a->t; k < 2 * a->t + 2; k++) {
			const struct lfs_lease_ref *ref = &a->lease[k].ref;
			struct lfs_io *io = lfs_ioset_lock(a->set, ref->slot);

			rv = lfs_paxos_acquire(&a->h->ls, io, ref, "p", &held);
			if (rv == 0)
				rv = lfs_paxos_release(&a->h->ls, io, ref, &held);
			lfs_ioset_unlock(a->set, ref->slot);
			a->failures += rv != 0;
		}
	return NULL;
}

START_TEST(test_ioset_parallel)
{
	struct world w;
	struct host *a = &w.h[0];
	struct lfs_lease_entry lease[PAR_THREADS * 2];
	struct par_arg pa[PAR_THREADS];
	pthread_barrier_t start;
	pthread_t th[PAR_THREADS];
	struct lfs_ioset set;
	char name[8];
	int i;

	world_init(&w, 2, 0);
	for (i = 0; i < PAR_THREADS * 2; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		ck_assert_int_eq(lfs_leases_create(&a->ls, &a->io, name,
		    &lease[i]), 0);
	}
	/* real I/O on the test file, four contexts; the test clock stands
	 * still, so the hosts stay live and the view fresh throughout */
	ck_assert_int_eq(lfs_ioset_init(&set, &a->ls.disk, PAR_THREADS,
	    a->ls.to.io_timeout_ms * 50, NULL, test_log), 0);
	atomic_store(&test_clk.frozen, true);
	pthread_barrier_init(&start, NULL, PAR_THREADS);
	for (i = 0; i < PAR_THREADS; i++) {
		pa[i] = (struct par_arg){ .h = a, .set = &set, .lease = lease,
		    .t = i, .start = &start };
		ck_assert_int_eq(pthread_create(&th[i], NULL, par_main,
		    &pa[i]), 0);
	}
	for (i = 0; i < PAR_THREADS; i++) {
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
		ck_assert_int_eq(pa[i].failures, 0);
	}
	atomic_store(&test_clk.frozen, false);
	pthread_barrier_destroy(&start);
	/* every cycle was one acquire and one release: lver 2 * rounds,
	 * free; and another host sees the same */
	for (i = 0; i < PAR_THREADS * 2; i++) {
		struct lfs_leader ld = read_leader(&w.h[1], &lease[i].ref);

		ck_assert_uint_eq(ld.lver, 2 * PAR_ROUNDS);
		ck_assert_uint_eq(ld.owner_id, 0);
	}
	lfs_ioset_destroy(&set);
	world_fini(&w);
}
END_TEST

static enum tp_act
hang_writes(void *arg, int seq, const struct iocb *cb, long *res)
{
	(void)arg;
	(void)seq;
	(void)res;
	return cb->aio_lio_opcode == IO_CMD_PWRITE ? TP_HANG : TP_NOW;
}

START_TEST(test_ioset_hang_refuses_set)
{
	struct world w;
	struct host *a = &w.h[0];
	struct lfs_lease_entry l1, l2;
	struct tpath path[2];
	const struct lfs_io_syscalls *sys[2] = { &path[0].sys, &path[1].sys };
	struct lfs_ioset set;
	struct lfs_leader held;
	struct lfs_io *io;
	uint32_t s1, s2;

	world_init(&w, 2, 0);
	ck_assert_int_eq(lfs_leases_create(&a->ls, &a->io, "q1", &l1), 0);
	ck_assert_int_eq(lfs_leases_create(&a->ls, &a->io, "q2", &l2), 0);
	s1 = l1.ref.slot;
	s2 = l2.ref.slot;
	ck_assert_uint_ne(lfs_ioset_index(&(struct lfs_ioset){ .n = 2 }, s1),
	    lfs_ioset_index(&(struct lfs_ioset){ .n = 2 }, s2));
	tpath_init(&path[0], &test_clk);
	tpath_init(&path[1], &test_clk);
	ck_assert_int_eq(lfs_ioset_init(&set, &a->ls.disk, 2,
	    a->ls.to.io_timeout_ms, sys, test_log), 0);
	path[s1 % 2].rule = hang_writes;

	io = lfs_ioset_lock(&set, s1);
	ck_assert_int_eq(lfs_paxos_acquire(&a->ls, io, &l1.ref, "q1", &held),
	    -ETIMEDOUT);
	lfs_ioset_unlock(&set, s1);
	ck_assert_uint_eq(atomic_load(&set.abandoned), 1);
	/* a slot may be written through two contexts (a delete's ballot on
	 * context 0): the other context's lease writes wait too */
	host_renew(a);
	io = lfs_ioset_lock(&set, s2);
	ck_assert_int_eq(lfs_paxos_acquire(&a->ls, io, &l2.ref, "q2", &held),
	    -EIO);
	lfs_ioset_unlock(&set, s2);
	/* the late write completes; nobody uses its context: reaped idle */
	path[s1 % 2].rule = NULL;
	tpath_release(&path[s1 % 2]);
	ck_assert_uint_eq(lfs_ioset_reap_idle(&set), 0);
	io = lfs_ioset_lock(&set, s2);
	ck_assert_int_eq(lfs_paxos_acquire(&a->ls, io, &l2.ref, "q2", &held), 0);
	ck_assert_int_eq(lfs_paxos_release(&a->ls, io, &l2.ref, &held), 0);
	lfs_ioset_unlock(&set, s2);
	io = lfs_ioset_lock(&set, s1);
	ck_assert_int_eq(lfs_paxos_acquire(&a->ls, io, &l1.ref, "q1", &held), 0);
	lfs_ioset_unlock(&set, s1);
	lfs_ioset_destroy(&set);
	world_fini(&w);
}
END_TEST

/* ---- runner ------------------------------------------------------------------- */

static Suite *
paxos_suite(void)
{
	Suite *s = suite_create("paxos");
	TCase *tc;

	tc = lt_tcase(s, "ballot");
	tcase_add_test(tc, test_ballot_next);
	tcase_add_test(tc, test_ballot_unique);
	tc = lt_tcase(s, "lease");
	tcase_add_test(tc, test_acquire_release);
	tcase_add_test(tc, test_release_not_owner);
	tcase_add_test(tc, test_transfer);
	tcase_add_test(tc, test_transfer_errors);
	tcase_add_test(tc, test_takeover_after_host_dead);
	tcase_add_test(tc, test_newer_generation_other);
	tcase_add_test(tc, test_newer_generation_self);
	tc = lt_tcase(s, "damage");
	tcase_add_test(tc, test_corrupt_leader);
	tcase_add_test(tc, test_corrupt_dblock);
	tcase_add_test(tc, test_torn_read_dblock);
	tcase_add_test(tc, test_torn_read_leader);
	tcase_add_test(tc, test_stale_leader);
	tc = lt_tcase(s, "faults");
	tcase_add_test(tc, test_fault_eio);
	tcase_add_test(tc, test_fault_hang);
	tcase_add_test(tc, test_fault_commit_lost);
	tc = lt_tcase(s, "requests");
	tcase_add_test(tc, test_requests);
	tcase_add_test(tc, test_request_claim);
	tc = lt_tcase(s, "regressions");
	tcase_add_test(tc, test_late_dblock_write);
	tcase_add_test(tc, test_stale_leader_own_name);
	tcase_add_test(tc, test_leader_left_behind);
	tcase_add_test(tc, test_stale_leader_ours_not_our_handover);
	tcase_add_test(tc, test_submit_gate);
	tcase_add_test(tc, test_transfer_bad_generation);
	tcase_add_test(tc, test_joiner_above_window);
	tcase_add_test(tc, test_ballot_of_reused_slot);
	tc = lt_tcase(s, "presence");
	tcase_add_test(tc, test_presence_first_write_waits);
	tcase_add_test(tc, test_presence_early_by_request);
	tcase_add_test(tc, test_presence_read_set);
	tcase_add_test(tc, test_presence_holders_read_set);
	tcase_add_test(tc, test_presence_all);
	tc = lt_tcase(s, "parallel");
	tcase_add_test(tc, test_ioset_parallel);
	tcase_add_test(tc, test_ioset_hang_refuses_set);
	return s;
}

int
main(void)
{
	return lt_main("check_paxos", paxos_suite, 0);
}
