/*
 * check_paxos.c - unit tests of core/paxos.c (Disk Paxos leases) and
 * core/leases.c (the name table), several hosts in one process.
 *
 * A "host" is a struct lfs_lockspace opened on a shared temporary file with
 * its own struct lfs_io, joined with its own id and identity.  Nothing renews
 * in the background unless a test says so: a host the test stops renewing
 * is, to the others, a host that died.  The lockspace uses io_timeout 100 ms
 * (the minimum): hosts_fresh 100 ms, renewal_fail 400 ms, host_dead 800 ms.
 * Tests renew by hand before operations whose outcome depends on freshness
 * (a release more than renewal_fail - io after our last renewal runs a
 * ballot, which raises lver).
 *
 * Faults come from a fake system call table (struct fake) on an extra
 * struct lfs_io: per write or read, by sequence number, pass to the kernel,
 * hang (held until released; a released write is dropped unless the test
 * "lands" it, i.e. writes it to disk late), or fail with -EIO.  A hook runs
 * just before a write is submitted, to put another host's actions into the
 * window between two I/Os.
 *
 * Sections:
 *   1. the fake system call table
 *   2. hosts and worlds (a formatted file, hosts joined, a lease created)
 *   3. ballot numbers
 *   4. acquire, release, transfer, takeover, restarts
 *   5. corruption and the stale leader
 *   6. I/O faults
 *   7. requests
 *   8. the name table
 *   9. regressions: bugs these tests found, fixed
 *
 * Timing assertions are lower bounds from the design plus generous upper
 * bounds.  The file goes in LFS_TEST_DIR, else /var/tmp (O_DIRECT needs a
 * real file system; /tmp may be tmpfs).  LFS_TEST_LOG=1 sends the library's
 * log to stderr.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "delta.h"
#include "leases.h"
#include "paxos.h"

#define T_IO_MS 100u           /* io_timeout of the test lockspace (minimum) */
#define T_HOSTS 8u
#define T_LEASES 16u
#define T_FILE_SIZE (1u << 20) /* bytes; the lockspace needs ~100 KiB */
#define T_POLL_MS 50u          /* renew/poll step of the tests */
#define T_SLACK_MS 3000u       /* generous upper-bound slack */
#define T_MAX_WORLD 4          /* hosts in one test */
#define FAKE_MAX 128           /* I/Os a fake can script or hold */

static char test_path[4096];                 /* set once by main() */
static const struct lfs_logger *test_log;    /* set once by main() */
static const struct lfs_logger stderr_log = {
	lfs_log_stderr, "check_paxos", LOG_DEBUG
};

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
	struct io_event ready[FAKE_MAX];
	int nready;
};

static void
fake_ready(struct fake *f, struct iocb *cb, long res)
{
	ck_assert_int_lt(f->nready, FAKE_MAX);
	f->ready[f->nready].data = cb->data;
	f->ready[f->nready].obj = cb;
	f->ready[f->nready].res = (unsigned long)res;
	f->ready[f->nready].res2 = 0;
	f->nready++;
}

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
fake_setup(int maxevents, io_context_t *ctx)
{
	return io_setup(maxevents, ctx);
}

static int
fake_destroy(io_context_t ctx)
{
	return io_destroy(ctx);
}

static int
fake_submit(void *arg, io_context_t ctx, long nr, struct iocb **iocbs)
{
	struct fake *f = arg;
	long i;
	int r, seq, w;

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
			fake_ready(f, cb, -EIO);
			break;
		default:
			r = io_submit(ctx, 1, &iocbs[i]);
			if (r != 1)
				return i > 0 ? (int)i : r;
			break;
		}
	}
	return (int)nr;
}

/* Scripted completions first, then the kernel's (which waits out the
 * timeout when nothing real is in flight: a hung device). */
static int
fake_getevents(void *arg, io_context_t ctx, long min_nr, long nr,
    struct io_event *events, struct timespec *timeout)
{
	struct fake *f = arg;
	struct timespec zero = { 0, 0 };
	long k = 0;
	int r;

	while (k < nr && k < f->nready) {
		events[k] = f->ready[k];
		k++;
	}
	memmove(f->ready, f->ready + k, (size_t)(f->nready - k) *
	    sizeof(f->ready[0]));
	f->nready -= (int)k;
	if (k == nr)
		return (int)k;
	if (k >= min_nr)
		r = io_getevents(ctx, 0, nr - k, events + k, &zero);
	else
		r = io_getevents(ctx, min_nr - k, nr - k, events + k, timeout);
	if (r < 0)
		return k > 0 ? (int)k : r;
	return (int)k + r;
}

static struct lfs_io_syscalls
fake_table(struct fake *f)
{
	struct lfs_io_syscalls s = {
		.setup = fake_setup, .destroy = fake_destroy,
		.submit = fake_submit, .getevents = fake_getevents, .arg = f,
	};

	return s;
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
		fake_ready(f, f->held[i], (long)f->held[i]->u.c.nbytes);
	f->nheld = 0;
}

/* ---- 2. hosts and worlds ----------------------------------------------------- */

struct host {
	struct lfs_lockspace ls;
	struct lfs_io io;
	uuid_t identity;
	uint32_t id;
	char name[16];
	int open;
};

/* A faulty extra context on a host's disk. */
struct faulty {
	struct fake fake;
	struct lfs_io_syscalls sys;
	struct lfs_io io;
};

struct world {
	struct host h[T_MAX_WORLD];
	int n;
	struct lfs_lease_entry lease;    /* "vm1", when created */
};

static void
sleep_ms(uint32_t ms)
{
	struct timespec ts = { ms / 1000u, (long)(ms % 1000u) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void
format_lockspace(void)
{
	struct lfs_format_params p = {
		.name = "check_paxos", .sector_size = 512, .max_hosts = T_HOSTS,
		.lease_capacity = T_LEASES, .io_timeout_ms = T_IO_MS,
		.file_size = T_FILE_SIZE, .force = 1,
	};

	ck_assert_int_eq(lfs_format(test_path, &p, test_log), 0);
}

/* Open a host that will use id; a new identity unless one is set. */
static void
host_open(struct host *h, uint32_t id)
{
	ck_assert_int_eq(lfs_lockspace_open(&h->ls, test_path, test_log), 0);
	ck_assert_int_eq(lfs_io_init(&h->io, &h->ls.disk, h->ls.to.io_timeout_ms,
	    NULL, test_log), 0);
	if (uuid_is_null(h->identity))
		uuid_generate(h->identity);
	h->id = id;
	snprintf(h->name, sizeof(h->name), "host%u", id);
	h->open = 1;
}

static void
host_close(struct host *h)
{
	if (!h->open)
		return;
	lfs_io_destroy(&h->io);
	lfs_lockspace_close(&h->ls);
	h->open = 0;
}

static int
host_join(struct host *h)
{
	struct lfs_join_params p = { .host_id = h->id, .host_name = h->name };

	uuid_copy(p.identity, h->identity);
	return lfs_delta_join(&h->ls, &h->io, &p);
}

static void
host_renew(struct host *h)
{
	ck_assert_int_eq(lfs_delta_renew(&h->ls, &h->io), 0);
}

/* Close h and start it again with the same identity: generation + 1. */
static void
host_restart(struct host *h)
{
	uint64_t gen = h->ls.generation;

	host_close(h);
	host_open(h, h->id);
	ck_assert_int_eq(host_join(h), 0);
	ck_assert_uint_eq(h->ls.generation, gen + 1);
	host_renew(h);
}

static void *
join_thread(void *arg)
{
	return (void *)(intptr_t)host_join(arg);
}

/* Format, open n hosts (ids 1..n), join them in parallel, renew them all;
 * with_lease: host 1 creates the lease "vm1". */
static void
world_init(struct world *w, int n, int with_lease)
{
	pthread_t t[T_MAX_WORLD];
	void *rv;
	int i;

	memset(w, 0, sizeof(*w));
	w->n = n;
	format_lockspace();
	for (i = 0; i < n; i++)
		host_open(&w->h[i], (uint32_t)i + 1);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, join_thread,
		    &w->h[i]), 0);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(pthread_join(t[i], &rv), 0);
		ck_assert_msg((intptr_t)rv == 0, "join of host %d: %d", i + 1,
		    (int)(intptr_t)rv);
	}
	for (i = 0; i < n; i++)
		host_renew(&w->h[i]);
	if (with_lease)
		ck_assert_int_eq(lfs_leases_create(&w->h[0].ls, &w->h[0].io,
		    "vm1", &w->lease), 0);
	for (i = 0; i < n; i++)
		host_renew(&w->h[i]);
}

static void
world_fini(struct world *w)
{
	int i;

	for (i = 0; i < w->n; i++)
		host_close(&w->h[i]);
}

static void
faulty_open(struct faulty *fy, struct host *h)
{
	memset(fy, 0, sizeof(*fy));
	fy->sys = fake_table(&fy->fake);
	ck_assert_int_eq(lfs_io_init(&fy->io, &h->ls.disk, h->ls.to.io_timeout_ms,
	    &fy->sys, test_log), 0);
}

static void
faulty_close(struct faulty *fy)
{
	fake_release(&fy->fake);
	lfs_io_destroy(&fy->io);
}

static int
acquire(struct host *h, const struct lfs_lease_ref *ref, struct lfs_leader *out)
{
	return lfs_paxos_acquire(&h->ls, &h->io, ref, "vm1", out);
}

static int
release(struct host *h, const struct lfs_lease_ref *ref,
    const struct lfs_leader *held)
{
	return lfs_paxos_release(&h->ls, &h->io, ref, held);
}

static struct lfs_leader
read_leader(struct host *h, const struct lfs_lease_ref *ref)
{
	struct lfs_leader ld;

	ck_assert_int_eq(lfs_paxos_read_leader(&h->ls, &h->io, ref, &ld), 0);
	return ld;
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

static int
sector_is_zero(struct host *h, uint64_t off)
{
	unsigned char buf[4096];
	uint32_t i;

	sector_read(h, off, buf);
	for (i = 0; i < h->ls.layout.sector_size; i++)
		if (buf[i] != 0)
			return 0;
	return 1;
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
	ck_assert_uint_eq(ld.lver, 1);

	host_renew(b);
	ck_assert_int_eq(acquire(b, ref, &out), 0);
	ck_assert_uint_eq(out.lver, 2);
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

	sleep_ms(b->ls.to.renewal_fail_ms - b->ls.to.io_timeout_ms);
	host_renew(a);                      /* a stays live; b goes stale */
	ck_assert_int_eq(release(b, ref, &fake), -EPERM);

	sector_read(b, leader_offset(b, ref->slot), after);
	ck_assert_mem_eq(before, after, sizeof(before));
	ck_assert(sector_is_zero(b, dblock_offset(b, ref->slot, b->id)));
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
	ck_assert_uint_eq(out.lver, 3);
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

/* a holds the lease and stops renewing; b renews every T_POLL_MS and tries:
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
	host_renew(a);
	last = a->ls.renewed_ms;            /* a's last renewal */

	for (;;) {
		host_renew(b);
		rv = acquire(b, ref, &out);
		done = lfs_now_ms();
		if (rv == 0)
			break;
		ck_assert_int_eq(rv, -EBUSY);
		busy++;
		ck_assert_uint_lt(done - last, b->ls.to.host_dead_ms + T_SLACK_MS);
		sleep_ms(T_POLL_MS);
	}
	ck_assert_int_gt(busy, 0);
	ck_assert_uint_ge(done - last, b->ls.to.host_dead_ms);
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
		host_renew(b);
		rv = acquire(b, ref, &out);
		ck_assert_msg(is_decode_error(rv), "acquire on a corrupt %s "
		    "returned %d", is_leader ? "leader" : "dblock", rv);
		if (is_leader) {
			rv = lfs_paxos_read_leader(&b->ls, &b->io, ref, &out);
			ck_assert_msg(is_decode_error(rv), "read_leader: %d", rv);
		}
		ck_assert(sector_is_zero(b, dblock_offset(b, ref->slot, b->id)));
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
	/* repaired: usable again */
	host_renew(b);
	ck_assert_int_eq(acquire(b, ref, &out), 0);
	ck_assert_uint_eq(out.lver, 2);
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
	ck_assert_uint_eq(out.lver, 2);
	world_fini(&w);
}
END_TEST

/* A late write puts back an old leader (a's commit of lver n) over b's
 * commit of lver n + 1.  The dblocks still say n + 1 was decided for b:
 * a must not get the lease while b is live, b can still release, and
 * afterwards the lease moves on above n + 1. */
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
	ck_assert_uint_eq(held_b.lver, n + 1);

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
	ck_assert_uint_gt(out.lver, n + 1);
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
	ck_assert(sector_is_zero(a, dblock_offset(a, ref->slot, a->id)));

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
		t0 = lfs_now_ms();
		ck_assert_int_eq(lfs_paxos_acquire(&a->ls, &fy.io, ref, "vm1",
		    &out), -ETIMEDOUT);
		ck_assert_uint_lt(lfs_now_ms() - t0, T_SLACK_MS);
		faulty_close(&fy);
		ck_assert_uint_eq(read_leader(b, ref).lver, 0);
		ck_assert(sector_is_zero(a, dblock_offset(a, ref->slot, a->id)));
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
 * cannot take the lease while a lives (only a, the proposer, may commit a's
 * value: paxos.h invariant 2); a's next acquire commits it.  This is the
 * designed behaviour, and why a caller must retry (or acquire and release)
 * after an acquire that failed with an I/O error.
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
	host_renew(b);
	ck_assert_int_eq(acquire(b, ref, &out), -EBUSY);

	host_renew(a);
	ck_assert_int_eq(acquire(a, ref, &out), 0);
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

/* ---- 8. the name table ------------------------------------------------------- */

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
 * thread (its own lockspace and io); a third thread per host renews it on
 * a context of its own, as the daemon does.  All creations succeed and
 * the table ends with every name exactly once. */
struct creator {
	struct host *h;
	char prefix;
	int count;
	int rv[T_LEASES];
	pthread_barrier_t *start;
};

struct renewer {
	struct host *h;
	struct lfs_io io;
	pthread_t thread;
	atomic_bool stop;
	atomic_int errors;
};

static void *
renewer_main(void *arg)
{
	struct renewer *r = arg;

	while (!atomic_load(&r->stop)) {
		if (lfs_delta_renew(&r->h->ls, &r->io) != 0)
			atomic_fetch_add(&r->errors, 1);
		sleep_ms(T_POLL_MS);
	}
	return NULL;
}

static void
renewer_start(struct renewer *r, struct host *h)
{
	r->h = h;
	atomic_init(&r->stop, false);
	atomic_init(&r->errors, 0);
	ck_assert_int_eq(lfs_io_init(&r->io, &h->ls.disk, h->ls.to.io_timeout_ms,
	    NULL, test_log), 0);
	ck_assert_int_eq(pthread_create(&r->thread, NULL, renewer_main, r), 0);
}

static void
renewer_stop(struct renewer *r)
{
	atomic_store(&r->stop, true);
	ck_assert_int_eq(pthread_join(r->thread, NULL), 0);
	lfs_io_destroy(&r->io);
}

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
	struct renewer rn[2];
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
		renewer_start(&rn[i], &w.h[i]);
	}
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, creator_main,
		    &cr[i]), 0);
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	for (i = 0; i < 2; i++) {
		renewer_stop(&rn[i]);
		ck_assert_int_eq(atomic_load(&rn[i].errors), 0);
	}
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

/* ---- 9. regressions ---------------------------------------------------------------
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

/* ---- runner ------------------------------------------------------------------- */

static int
make_test_file(void)
{
	const char *dirs[] = { getenv("LFS_TEST_DIR"), "/var/tmp", "." };
	size_t i;
	int fd;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (dirs[i] == NULL)
			continue;
		snprintf(test_path, sizeof(test_path), "%s/check_paxos.XXXXXX",
		    dirs[i]);
		fd = mkstemp(test_path);
		if (fd < 0)
			continue;
		close(fd);
		fd = open(test_path, O_RDWR | O_DIRECT);
		if (fd >= 0) {
			close(fd);
			return 0;
		}
		unlink(test_path);
	}
	return -1;
}

static TCase *
tcase(Suite *s, const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_set_timeout(tc, 20);
	suite_add_tcase(s, tc);
	return tc;
}

static Suite *
paxos_suite(void)
{
	Suite *s = suite_create("paxos");
	TCase *tc;

	tc = tcase(s, "ballot");
	tcase_add_test(tc, test_ballot_next);
	tcase_add_test(tc, test_ballot_unique);
	tc = tcase(s, "lease");
	tcase_add_test(tc, test_acquire_release);
	tcase_add_test(tc, test_release_not_owner);
	tcase_add_test(tc, test_transfer);
	tcase_add_test(tc, test_transfer_errors);
	tcase_add_test(tc, test_takeover_after_host_dead);
	tcase_add_test(tc, test_newer_generation_other);
	tcase_add_test(tc, test_newer_generation_self);
	tc = tcase(s, "damage");
	tcase_add_test(tc, test_corrupt_leader);
	tcase_add_test(tc, test_corrupt_dblock);
	tcase_add_test(tc, test_stale_leader);
	tc = tcase(s, "faults");
	tcase_add_test(tc, test_fault_eio);
	tcase_add_test(tc, test_fault_hang);
	tcase_add_test(tc, test_fault_commit_lost);
	tc = tcase(s, "requests");
	tcase_add_test(tc, test_requests);
	tc = tcase(s, "names");
	tcase_add_test(tc, test_names_create_list);
	tcase_add_test(tc, test_names_delete);
	tcase_add_test(tc, test_names_full);
	tcase_add_test(tc, test_names_concurrent);
	tc = tcase(s, "regressions");
	tcase_add_test(tc, test_late_dblock_write);
	tcase_add_test(tc, test_stale_leader_own_name);
	tcase_add_test(tc, test_transfer_bad_generation);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	if (make_test_file() < 0) {
		fprintf(stderr, "check_paxos: no directory supports O_DIRECT "
		    "(set LFS_TEST_DIR)\n");
		return 1;
	}
	test_log = getenv("LFS_TEST_LOG") != NULL ? &stderr_log : NULL;
	sr = srunner_create(paxos_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	unlink(test_path);
	return failed == 0 ? 0 : 1;
}
