/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lfs_test.h - fixtures shared by the Check unit tests of the lockspace
 * (check_delta.c, check_paxos.c, check_leases.c) and of the I/O layer
 * (check_diskio.c).
 *
 * Header only: each tests/unit/check_*.c is built alone into its own
 * binary, so there is no test library to link.  Every function is
 * `static inline`, which keeps -Werror=unused-function quiet in the
 * programs that use only part of it.
 *
 * Sections:
 *   1. the test file and the runner: a temporary file where O_DIRECT
 *      works, and a main() that runs one suite on it
 *   2. the fake system call table's mechanics: the queue of completions a
 *      fake decided itself, handed out ahead of the kernel's.  What to
 *      hang or fail stays with each test file: its own struct fake and
 *      submit function hold the script
 *   2b. the instant disk: I/O done at submit, hangs and late writes on
 *      the test clock
 *   0. the test clock
 *   3. hosts: a struct lfs_lockspace opened on the shared file with its
 *      own struct lfs_io, clock and instant disk, joined with its own id
 *      and identity
 *   4. worlds: a formatted lockspace with n hosts joined and renewed, and
 *      optionally the lease "vm1"; shorthands for the Paxos calls
 *
 * The lockspace uses io_timeout 100 ms (the minimum): renewal_fail is
 * 400 ms, host_dead 800 ms, a join waits join_delay = 200 ms, all on the
 * test clock: no test of the lockspace sleeps in real time or
 * depends on how fast the disk or the machine is.  Nothing renews unless
 * the test renews.
 *
 * The file goes in LFS_TEST_DIR, else the first of /var/tmp, ., /tmp where
 * an O_DIRECT write works (/tmp may be tmpfs).  LFS_TEST_LOG=1 sends the
 * library's log to stderr.
 */
#ifndef LFS_TEST_H
#define LFS_TEST_H

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
#include "diskio.h"
#include "leases.h"
#include "lockspace.h"
#include "paxos.h"

#define T_IO_MS 100u           /* io_timeout of the test lockspace (minimum) */
#define T_HOSTS 8u
#define T_LEASES 16u
#define T_FILE_SIZE (1u << 20) /* bytes; the lockspace needs ~100 KiB */
#define T_POLL_MS 50u          /* renew/poll step of the tests, test clock */
#define T_MAX_WORLD 4          /* hosts in one world */
#define FAKE_MAX 128           /* I/Os a fake can script, hold or queue */

static char test_path[4096];              /* set once by lt_main() */
static const char *test_name;             /* set once by lt_main() */
static const struct lfs_logger *test_log; /* set once by lt_main() */

/* ---- 0. the test clock ---------------------------------------------------- */

/*
 * The test clock: time moves only when a test (or a sleep inside the code
 * under test) moves it, so "timed out after exactly io_timeout" and "DEAD at
 * host_dead, not before" are exact assertions, whatever the machine's load.
 * Sleeping on it advances it at once; it is atomic, so several threads may
 * share it (each sleep then adds its own time: time passes "at least").  A
 * frozen clock stands still: sleeps only yield, so a test of concurrency in
 * real threads (the name table) is not also a test of liveness.
 */
struct test_clock {
	_Atomic uint64_t ns;
	atomic_bool frozen;      /* sleeps yield in real time, add nothing */
	struct lfs_clock clock;  /* the ops table to hand to the code */
};

/*
 * The one clock of every host in a test (section 3), as real time is one
 * for real hosts: the delta-lease and Paxos timing arguments compare
 * durations measured by different hosts, which holds only when their clocks
 * run at one rate.  A test drives the hosts from one thread, one call at a
 * time; a sleep inside a call (a join's join_delay) is time that passes for
 * every host while the others do nothing, which is one of the interleavings
 * the real world allows.  Two hosts "at once" are interleaved by a hook run
 * inside the other's call (a tpath rule, join_params.should_stop).
 * lt_main() starts it.
 */
static struct test_clock test_clk;

static inline uint64_t
tclock_now_ns(void *arg)
{
	return atomic_load(&((struct test_clock *)arg)->ns);
}

static inline void
tclock_sleep_ms(void *arg, uint32_t ms)
{
	struct test_clock *c = arg;
	struct timespec ts = { 0, 1000000L };

	if (atomic_load(&c->frozen))
		nanosleep(&ts, NULL); /* let the other threads run */
	else
		atomic_fetch_add(&c->ns, (uint64_t)ms * 1000000u);
}

/* Start at an arbitrary, non-zero time (1000 s), like a real clock. */
static inline void
tclock_init(struct test_clock *c)
{
	atomic_init(&c->ns, 1000ull * 1000000000u);
	atomic_init(&c->frozen, false);
	c->clock.now_ns = tclock_now_ns;
	c->clock.sleep_ms = tclock_sleep_ms;
	c->clock.arg = c;
}

static inline void
tclock_advance(struct test_clock *c, uint64_t ms)
{
	atomic_fetch_add(&c->ns, ms * 1000000u);
}

static inline uint64_t
tclock_ms(struct test_clock *c)
{
	return atomic_load(&c->ns) / 1000000u;
}

/* ---- 1. the test file and the runner ----------------------------------- */

/* Create test_path as name.XXXXXX in the first directory where an O_DIRECT
 * write works (opening with O_DIRECT is not proof enough), size bytes long
 * (sparse) when size > 0.  0, or -1 when no directory will do. */
static inline int
lt_make_test_file(const char *name, uint64_t size)
{
	const char *dirs[] = { getenv("LFS_TEST_DIR"), "/var/tmp", ".", "/tmp" };
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		void *buf = NULL;
		int fd, dfd, ok;

		if (dirs[i] == NULL)
			continue;
		snprintf(test_path, sizeof(test_path), "%s/%s.XXXXXX", dirs[i],
		    name);
		fd = mkstemp(test_path);
		if (fd < 0)
			continue;
		ok = size == 0 || ftruncate(fd, (off_t)size) == 0;
		dfd = open(test_path, O_RDWR | O_DIRECT);
		if (ok && dfd >= 0 && posix_memalign(&buf, 4096, 4096) == 0) {
			memset(buf, 0, 4096);
			ok = pwrite(dfd, buf, 4096, 0) == 4096;
		} else {
			ok = 0;
		}
		free(buf);
		if (dfd >= 0)
			close(dfd);
		close(fd);
		if (ok)
			return 0;
		unlink(test_path);
	}
	return -1;
}

/* Before each test: the test clock runs.  A test that froze it (a race in
 * real threads) leaves it frozen, which under CK_FORK=no (make valgrind)
 * the next test would inherit, and every wait on it would spin forever. */
static inline void
lt_setup(void)
{
	atomic_store(&test_clk.frozen, false);
}

/* A test case with the 20 s timeout the lockspace suites need (joins wait
 * join_delay, takeovers host_dead; sanitizers are slow), added to s. */
static inline TCase *
lt_tcase(Suite *s, const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, lt_setup, NULL);
	tcase_set_timeout(tc, 20);
	suite_add_tcase(s, tc);
	return tc;
}

/* The whole of a test program's main(): make the test file (file_size
 * bytes, or empty), run make_suite()'s suite, remove the file.  name tags
 * the file, the lockspace and the log lines.  Returns main's exit code. */
static inline int
lt_main(const char *name, Suite *(*make_suite)(void), uint64_t file_size)
{
	struct lfs_logger log = { lfs_log_stderr, (void *)name, LOG_DEBUG };
	SRunner *sr;
	int failed;

	if (lt_make_test_file(name, file_size) < 0) {
		fprintf(stderr, "%s: no directory supports O_DIRECT "
		    "(set LFS_TEST_DIR)\n", name);
		return 1;
	}
	test_name = name;
	tclock_init(&test_clk);
	test_log = getenv("LFS_TEST_LOG") != NULL ? &log : NULL;
	sr = srunner_create(make_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	unlink(test_path);
	test_log = NULL; /* log dies with this frame */
	return failed == 0 ? 0 : 1;
}

/* ---- 2. the fake system call table's mechanics ------------------------- */

/* Completions a fake made up (an injected error, a released hang), waiting
 * for the next getevents. */
struct fake_queue {
	struct io_event ev[FAKE_MAX];
	int n;
};

static inline void
fake_queue_push(struct fake_queue *q, struct iocb *cb, long res)
{
	ck_assert_int_lt(q->n, FAKE_MAX);
	q->ev[q->n].data = cb->data;
	q->ev[q->n].obj = cb;
	q->ev[q->n].res = (unsigned long)res;
	q->ev[q->n].res2 = 0;
	q->n++;
}

/* A token ring: the fakes never hand the kernel an I/O, so no aio context
 * is set up (io_destroy(2) costs tens of ms a context). */
static char fake_ring;

static inline int
fake_setup(int maxevents, io_context_t *ctx)
{
	ck_assert_int_gt(maxevents, 0);
	*ctx = (io_context_t)(void *)&fake_ring;
	return 0;
}

static inline int
fake_destroy(io_context_t ctx)
{
	ck_assert_ptr_eq((void *)ctx, &fake_ring);
	return 0;
}

/* A table on a token ring whose I/O goes through the test's submit and
 * getevents, called with arg (the test's fake). */
static inline struct lfs_io_syscalls
fake_table_of(int (*submit)(void *, io_context_t, long, struct iocb **),
    int (*getevents)(void *, io_context_t, long, long, struct io_event *,
    struct timespec *), void *arg)
{
	struct lfs_io_syscalls s = {
		.setup = fake_setup, .destroy = fake_destroy,
		.submit = submit, .getevents = getevents, .arg = arg,
	};

	return s;
}

/* getevents on a test clock: the queued completions, and when fewer than
 * min_nr are queued, the I/Os waited for are hung: the clock advances by
 * the timeout given and what there is comes back, as the kernel's does in
 * real time.  The kernel's ring is never asked. */
static inline int
fake_queue_getevents_on(struct fake_queue *q, struct test_clock *clk,
    long min_nr, long nr, struct io_event *events, struct timespec *timeout)
{
	long k = 0;

	while (k < nr && k < q->n) {
		events[k] = q->ev[k];
		k++;
	}
	memmove(q->ev, q->ev + k, (size_t)(q->n - k) * sizeof(q->ev[0]));
	q->n -= (int)k;
	if (k < min_nr && timeout != NULL)
		tclock_advance(clk, ((uint64_t)timeout->tv_sec * 1000000000u +
		    (uint64_t)timeout->tv_nsec + 999999u) / 1000000u);
	return (int)k;
}

/* Perform cb's I/O on its descriptor and bounce buffer now; the byte count
 * or -errno. */
static inline long
fake_do_io(struct iocb *cb)
{
	ssize_t n;

	if (cb->aio_lio_opcode == IO_CMD_PREAD)
		n = pread(cb->aio_fildes, cb->u.c.buf, cb->u.c.nbytes,
		    cb->u.c.offset);
	else
		n = pwrite(cb->aio_fildes, cb->u.c.buf, cb->u.c.nbytes,
		    cb->u.c.offset);
	return n < 0 ? -errno : (long)n;
}

/* ---- 2b. an instant disk ------------------------------------------------- */

/*
 * The instant disk: a system call table for one struct lfs_io whose I/O is
 * done synchronously at submit (pread/pwrite on the iocb's descriptor and
 * bounce buffer, so O_DIRECT alignment is still exercised), with its
 * completion queued for the next getevents.  The kernel's ring is set up
 * and destroyed, but no aio is ever submitted, so no I/O can be slower than
 * the test clock says: time does not pass during an I/O unless a rule says
 * so.
 *
 * A rule (tpath.rule, optional) decides each I/O at submit, by the
 * iocb and a per-path sequence number:
 *   TP_NOW     do it now, complete it at the next getevents
 *   TP_HANG    keep it, undone; tpath_land() performs it later (a write
 *              that lands after its timeout), tpath_release() completes
 *              it so that the context can reap it
 *   TP_RESULT  complete it at once with *res (-errno, or a short count),
 *              not performed
 *   TP_REJECT  refuse it at submit with *res (< 0)
 * When getevents is asked for more completions than are queued, the I/Os
 * it waits for are hung: it advances the clock by the timeout it was given
 * and returns what it has, which is what the kernel does in real time.
 *
 * A path belongs to one context (one thread at a time, like the context).
 */
enum tp_act { TP_NOW = 0, TP_HANG, TP_RESULT, TP_REJECT };

struct tpath {
	struct test_clock *clk;
	enum tp_act (*rule)(void *arg, int seq, const struct iocb *cb, long *res);
	void *rule_arg;
	/* called (if set) after getevents handed out completions: the caller's
	 * I/O completed in time, and what the hook does (other hosts' actions,
	 * time passing) happens in the gap before its next step, as when a
	 * thread stalls after an I/O returned */
	void (*after)(void *arg);
	void *after_arg;
	int seq;                       /* I/Os seen by submit, refused too */
	int writes, reads;             /* performed (at submit or landed) */
	struct iocb *held[FAKE_MAX];
	int nheld;
	struct fake_queue q;
	struct lfs_io_syscalls sys;    /* the table to give lfs_io_init() */
};

/* Perform cb's I/O now, counted. */
static inline long
tpath_do(struct tpath *tp, struct iocb *cb)
{
	if (cb->aio_lio_opcode == IO_CMD_PREAD)
		tp->reads++;
	else
		tp->writes++;
	return fake_do_io(cb);
}

static inline int
tpath_submit(void *arg, io_context_t ctx, long nr, struct iocb **iocbs)
{
	struct tpath *tp = arg;
	long i, res;
	int seq;

	(void)ctx;
	for (i = 0; i < nr; i++) {
		enum tp_act act = TP_NOW;

		seq = tp->seq++;
		res = 0;
		if (tp->rule != NULL)
			act = tp->rule(tp->rule_arg, seq, iocbs[i], &res);
		switch (act) {
		case TP_NOW:
			fake_queue_push(&tp->q, iocbs[i], tpath_do(tp, iocbs[i]));
			break;
		case TP_HANG:
			ck_assert_int_lt(tp->nheld, FAKE_MAX);
			tp->held[tp->nheld++] = iocbs[i];
			break;
		case TP_RESULT:
			fake_queue_push(&tp->q, iocbs[i], res);
			break;
		case TP_REJECT:
			return i > 0 ? (int)i : (int)res;
		}
	}
	return (int)nr;
}

static inline int
tpath_getevents(void *arg, io_context_t ctx, long min_nr, long nr,
    struct io_event *events, struct timespec *timeout)
{
	struct tpath *tp = arg;
	int got;

	(void)ctx;
	got = fake_queue_getevents_on(&tp->q, tp->clk, min_nr, nr, events,
	    timeout);
	if (got > 0 && tp->after != NULL)
		tp->after(tp->after_arg);
	return got;
}

/* Set tp up on clk; hand &tp->sys to lfs_io_init(). */
static inline void
tpath_init(struct tpath *tp, struct test_clock *clk)
{
	memset(tp, 0, sizeof(*tp));
	tp->clk = clk;
	tp->sys = fake_table_of(tpath_submit, tpath_getevents, tp);
	tp->sys.clock = &clk->clock;
}

/* Perform the i-th held I/O (in order of submission) now: a write lands
 * late, after its caller was told -ETIMEDOUT.  It stays held (the kernel
 * still owns its buffer) until tpath_release(). */
static inline void
tpath_land(struct tpath *tp, int i)
{
	ck_assert_int_lt(i, tp->nheld);
	ck_assert_int_ge(tpath_do(tp, tp->held[i]), 0);
}

/* Land every held write. */
static inline void
tpath_land_writes(struct tpath *tp)
{
	int i;

	for (i = 0; i < tp->nheld; i++)
		if (tp->held[i]->aio_lio_opcode == IO_CMD_PWRITE)
			tpath_land(tp, i);
}

/* Complete every held I/O, undone (a hung write that never lands), so
 * that the context reaps them at its next call or at destroy. */
static inline void
tpath_release(struct tpath *tp)
{
	int i;

	for (i = 0; i < tp->nheld; i++)
		fake_queue_push(&tp->q, tp->held[i],
		    (long)tp->held[i]->u.c.nbytes);
	tp->nheld = 0;
}

/* A read that met another host's write of the same sector (storage under
 * a page cache: NFS, nbdkit's file plugin) returns the sector torn: the
 * rule reads it and flips a byte of the record at `off`, for the first
 * `left` reads that cover it. */
struct tear {
	uint64_t off;
	int left, torn;
};

static inline enum tp_act
tear_rule(void *arg, int seq, const struct iocb *cb, long *res)
{
	struct tear *t = arg;
	struct iocb *io = (struct iocb *)cb;
	uint64_t start = (uint64_t)cb->u.c.offset;

	(void)seq;
	if (cb->aio_lio_opcode != IO_CMD_PREAD || t->left == 0 ||
	    t->off < start || t->off >= start + cb->u.c.nbytes)
		return TP_NOW;
	*res = fake_do_io(io);
	ck_assert_int_eq(*res, (long)cb->u.c.nbytes);
	((unsigned char *)cb->u.c.buf)[t->off - start + 33] ^= 0x01;
	t->left--;
	t->torn++;
	return TP_RESULT;
}

/* ---- 3. hosts ------------------------------------------------------------ */

struct host {
	struct lfs_lockspace ls;
	struct lfs_io io;
	struct tpath path;       /* io's instant disk, on test_clk */
	uuid_t identity;
	uint32_t id;
	char name[16];
	int open;
};

/* max_hosts up to 64 fits T_FILE_SIZE (64 hosts: about 600 KiB). */
static inline void
format_lockspace_hosts(uint32_t max_hosts)
{
	struct lfs_format_params p = {
		.name = test_name, .sector_size = 512, .max_hosts = max_hosts,
		.lease_capacity = T_LEASES, .io_timeout_ms = T_IO_MS,
		.file_size = T_FILE_SIZE, .force = 1,
	};

	ck_assert_int_eq(lfs_format(test_path, &p, test_log), 0);
}

static inline void
format_lockspace(void)
{
	format_lockspace_hosts(T_HOSTS);
}

/* Open a host that will use id; a new identity unless one is set.  Its
 * lockspace measures time on test_clk, and its I/O runs on an instant disk
 * (h->path) on the same clock. */
static inline void
host_open(struct host *h, uint32_t id)
{
	ck_assert_int_eq(lfs_lockspace_open(&h->ls, test_path, test_log), 0);
	h->ls.clock = &test_clk.clock;
	tpath_init(&h->path, &test_clk);
	ck_assert_int_eq(lfs_io_init(&h->io, &h->ls.disk, h->ls.to.io_timeout_ms,
	    &h->path.sys, test_log), 0);
	if (uuid_is_null(h->identity))
		uuid_generate(h->identity);
	h->id = id;
	snprintf(h->name, sizeof(h->name), "host%u", id);
	h->open = 1;
}

static inline void
host_close(struct host *h)
{
	if (!h->open)
		return;
	tpath_release(&h->path);
	lfs_io_destroy(&h->io);
	lfs_lockspace_close(&h->ls);
	h->open = 0;
}

static inline int
host_join(struct host *h)
{
	struct lfs_join_params p = { .host_id = h->id, .host_name = h->name };

	uuid_copy(p.identity, h->identity);
	return lfs_delta_join(&h->ls, &h->io, &p);
}

static inline void
host_renew(struct host *h)
{
	ck_assert_int_eq(lfs_delta_renew(&h->ls, &h->io), 0);
}

/* Close h and start it again with the same identity: generation + 1. */
static inline void
host_restart(struct host *h)
{
	uint64_t gen = h->ls.generation;

	host_close(h);
	host_open(h, h->id);
	ck_assert_int_eq(host_join(h), 0);
	ck_assert_uint_eq(h->ls.generation, gen + 1);
	host_renew(h);
}

/* Join hosts one after the other (each waits join_delay on the test
 * clock, which costs no real time); all must succeed.  Then renew each. */
static inline void
hosts_join(struct host **hs, int n)
{
	int i, rv;

	for (i = 0; i < n; i++) {
		rv = host_join(hs[i]);
		ck_assert_msg(rv == 0, "join of host %u: %d", hs[i]->id, rv);
	}
	for (i = 0; i < n; i++)
		host_renew(hs[i]);
}

/* ---- 4. worlds ----------------------------------------------------------- */

struct world {
	struct host h[T_MAX_WORLD];
	int n;
	struct lfs_lease_entry lease;    /* "vm1", when created */
};

/* Format, open n hosts (ids 1..n), join them in parallel, renew them all;
 * with_lease: host 1 creates the lease "vm1". */
static inline void
world_init(struct world *w, int n, int with_lease)
{
	struct host *hs[T_MAX_WORLD];
	int i;

	memset(w, 0, sizeof(*w));
	w->n = n;
	format_lockspace();
	for (i = 0; i < n; i++) {
		hs[i] = &w->h[i];
		host_open(hs[i], (uint32_t)i + 1);
	}
	hosts_join(hs, n);
	if (with_lease)
		ck_assert_int_eq(lfs_leases_create(&w->h[0].ls, &w->h[0].io,
		    "vm1", &w->lease), 0);
	for (i = 0; i < n; i++)
		host_renew(&w->h[i]);
}

static inline void
world_fini(struct world *w)
{
	int i;

	for (i = 0; i < w->n; i++)
		host_close(&w->h[i]);
}

static inline int
acquire(struct host *h, const struct lfs_lease_ref *ref, struct lfs_leader *out)
{
	return lfs_paxos_acquire(&h->ls, &h->io, ref, "vm1", out);
}

static inline int
release(struct host *h, const struct lfs_lease_ref *ref,
    const struct lfs_leader *held)
{
	return lfs_paxos_release(&h->ls, &h->io, ref, held);
}

static inline struct lfs_leader
read_leader(struct host *h, const struct lfs_lease_ref *ref)
{
	struct lfs_leader ld;

	ck_assert_int_eq(lfs_paxos_read_leader(&h->ls, &h->io, ref, &ld), 0);
	return ld;
}

#endif
