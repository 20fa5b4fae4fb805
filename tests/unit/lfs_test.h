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
 *   3. hosts: a struct lfs_lockspace opened on the shared file with its
 *      own struct lfs_io, joined with its own id and identity; renewers
 *   4. worlds: a formatted lockspace with n hosts joined and renewed, and
 *      optionally the lease "vm1"; shorthands for the Paxos calls
 *
 * The lockspace uses io_timeout 100 ms (the minimum): renewal_fail is
 * 400 ms, host_dead 800 ms, a join takes about join_delay = 200 ms.  Nothing
 * renews in the background unless a test starts a renewer.
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
#define T_POLL_MS 50u          /* renew/poll step of the tests */
#define T_SLACK_MS 3000u       /* generous upper-bound slack */
#define T_MAX_WORLD 4          /* hosts in one world */
#define FAKE_MAX 128           /* I/Os a fake can script, hold or queue */

static char test_path[4096];              /* set once by lt_main() */
static const char *test_name;             /* set once by lt_main() */
static const struct lfs_logger *test_log; /* set once by lt_main() */

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

/* A test case with the 20 s timeout the lockspace suites need (joins wait
 * join_delay, takeovers host_dead; sanitizers are slow), added to s. */
static inline TCase *
lt_tcase(Suite *s, const char *name)
{
	TCase *tc = tcase_create(name);

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

/* getevents for a fake: the queued completions first, then the kernel's
 * (which waits out the timeout when nothing real is in flight: a hung
 * device). */
static inline int
fake_queue_getevents(struct fake_queue *q, io_context_t ctx, long min_nr,
    long nr, struct io_event *events, struct timespec *timeout)
{
	struct timespec zero = { 0, 0 };
	long k = 0;
	int r;

	while (k < nr && k < q->n) {
		events[k] = q->ev[k];
		k++;
	}
	memmove(q->ev, q->ev + k, (size_t)(q->n - k) * sizeof(q->ev[0]));
	q->n -= (int)k;
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

static inline int
fake_setup(int maxevents, io_context_t *ctx)
{
	return io_setup(maxevents, ctx);
}

static inline int
fake_destroy(io_context_t ctx)
{
	return io_destroy(ctx);
}

/* A table whose context comes from the kernel and whose I/O goes through
 * the test's submit and getevents, called with arg (the test's fake). */
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

/* ---- 3. hosts ------------------------------------------------------------ */

struct host {
	struct lfs_lockspace ls;
	struct lfs_io io;
	uuid_t identity;
	uint32_t id;
	char name[16];
	int open;
};

static inline void
sleep_ms(uint32_t ms)
{
	struct timespec ts = { ms / 1000u, (long)(ms % 1000u) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static inline void
format_lockspace(void)
{
	struct lfs_format_params p = {
		.name = test_name, .sector_size = 512, .max_hosts = T_HOSTS,
		.lease_capacity = T_LEASES, .io_timeout_ms = T_IO_MS,
		.file_size = T_FILE_SIZE, .force = 1,
	};

	ck_assert_int_eq(lfs_format(test_path, &p, test_log), 0);
}

/* Open a host that will use id; a new identity unless one is set. */
static inline void
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

static inline void
host_close(struct host *h)
{
	if (!h->open)
		return;
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

static inline void *
join_thread(void *arg)
{
	return (void *)(intptr_t)host_join(arg);
}

/* Join hosts in parallel (a join takes join_delay); all must succeed.
 * Then renew each. */
static inline void
hosts_join(struct host **hs, int n)
{
	pthread_t t[T_HOSTS];
	void *rv;
	int i;

	for (i = 0; i < n; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, join_thread, hs[i]), 0);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(pthread_join(t[i], &rv), 0);
		ck_assert_msg((intptr_t)rv == 0, "join of host %u: %d", hs[i]->id,
		    (int)(intptr_t)rv);
	}
	for (i = 0; i < n; i++)
		host_renew(hs[i]);
}

/* A thread renewing one host every T_POLL_MS until told to stop, on an
 * I/O context of its own (one context belongs to one thread: diskio.h), as
 * the daemon does, so the test may use the host's own meanwhile. */
struct renewer {
	struct host *h;
	struct lfs_io io;
	pthread_t thread;
	atomic_bool stop;
	atomic_int errors;       /* renewals that failed */
	atomic_int count;        /* renewals that succeeded */
};

static inline void *
renewer_main(void *arg)
{
	struct renewer *r = arg;

	while (!atomic_load(&r->stop)) {
		if (lfs_delta_renew(&r->h->ls, &r->io) == 0)
			atomic_fetch_add(&r->count, 1);
		else
			atomic_fetch_add(&r->errors, 1);
		sleep_ms(T_POLL_MS);
	}
	return NULL;
}

static inline void
renewer_start(struct renewer *r, struct host *h)
{
	r->h = h;
	atomic_init(&r->stop, false);
	atomic_init(&r->errors, 0);
	atomic_init(&r->count, 0);
	ck_assert_int_eq(lfs_io_init(&r->io, &h->ls.disk, h->ls.to.io_timeout_ms,
	    NULL, test_log), 0);
	ck_assert_int_eq(pthread_create(&r->thread, NULL, renewer_main, r), 0);
}

static inline void
renewer_stop(struct renewer *r)
{
	atomic_store(&r->stop, true);
	ck_assert_int_eq(pthread_join(r->thread, NULL), 0);
	lfs_io_destroy(&r->io);
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
