/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check_diskio.c - unit tests of core/diskio.c.
 *
 * Two kinds of test, and which is which
 * -------------------------------------
 * Real disk, real clock: where the disk itself is the point.  The "device"
 * tcase (open flags, sizes, refusing a FIFO) and, in the "io" tcase,
 * test_round_trip_512 and test_round_trip_4096 (O_DIRECT on 512 B and 4 KiB
 * aligned offsets and lengths, an unaligned caller buffer, a 1 MiB transfer),
 * test_batch_mixed (eight reads and writes in one io_submit(2)) and
 * test_buffer_reuse (a spare bounce buffer the kernel already read into
 * returns the disk's bytes, not stale ones).  They run on the real libaio
 * table and the real clock, with an io timeout of 30 s (REAL_TIMEOUT_MS):
 * nothing they assert depends on how long the disk takes, and no loaded
 * machine takes 30 s for these I/Os, so a slow disk cannot turn into
 * -ETIMEDOUT.  The io tcase's own timeout (60 s) is above that, so a stuck
 * I/O shows as a failed assertion, not as a killed test.
 *
 * Test clock, fake I/O: every test where how long an I/O takes matters
 * (timeouts, hangs, late completions, the abandoned limit, destroy's wait)
 * and every injected error: the whole "faults" tcase, and
 * test_invalid_requests in "io".  The context's clock is the test's own
 * struct test_clock (lfs_test.h, section 0), which moves only when the fake
 * or the test moves it, and the fake system call table (struct fake below)
 * decides, per I/O by submission sequence number, when that I/O completes on
 * that clock: at once (ACT_NOW, the default), after a delay (ACT_DELAY),
 * only once the test releases it (ACT_HANG, a hung device), with a made-up
 * result (ACT_RESULT), or not at all because submit refuses it (ACT_REJECT).
 * Its getevents is the kernel's on that clock: it hands out what is due, and
 * when fewer than min_nr are, it moves the clock to the moment enough are due
 * or by the whole timeout it was given, whichever comes first, and hands out
 * what is due then (or -EINTR when told a signal arrives first).  So "timed
 * out after exactly the io timeout" and "completed after 300 ms" are exact
 * assertions, nothing sleeps, and the real disk's speed cannot change an
 * outcome: these tests cannot flake on a loaded machine.
 *
 * The fake sets up no kernel ring and never submits aio.  An I/O is
 * performed with pread/pwrite on the module's bounce buffer when its
 * completion is handed out, on the file the iocb names (through the fake's
 * own O_DIRECT descriptor, without O_DSYNC: a write that takes no test time
 * need not wait for a cache flush either), so data still goes to the file,
 * the kernel still checks O_DIRECT alignment, a write lands only once it
 * completes, and a bounce buffer freed or reused before its completion is
 * reaped shows up: as an ASan use-after-free, or as wrong data.  A held
 * (ACT_HANG) I/O released by the test completes with a full count: a read
 * is written into (memset, then pread), a write's buffer is read but not
 * landed, both on the buffer the module left with the "kernel"; were it
 * freed, ASan would report it.  The fake also records the bounce buffer of
 * every iocb, so tests can see which buffer each I/O ran on (spares are
 * reused).  A wait that would never end on the test clock (destroy waiting
 * for an I/O no one releases) fails the test after FAKE_MAX_CALLS calls
 * instead of spinning until the tcase timeout.
 *
 * The test file and the runner come from lfs_test.h; set LFS_TEST_DIR to
 * choose where the temporary file goes.
 */
#include <sys/stat.h>

#include "lfs_test.h"

#define TEST_FILE_SIZE (4u << 20) /* bytes; room for every test's offsets */
#define REAL_TIMEOUT_MS 30000u    /* ms, real clock: no working disk takes it */
#define FAKE_TIMEOUT_MS 200u      /* ms, on the test clock */
#define FAKE_MAX_CALLS 10000      /* getevents calls; more: an endless wait */
#define NS_PER_MS 1000000ull
#define FAKE_FOREVER UINT64_MAX   /* due time of a held I/O */

/* ---- a logger that counts what it is told ------------------------------- */

struct capture {
	int count[8];            /* per syslog priority */
	char last[8][512];       /* last message per priority */
	int unknown;             /* "aio event for unknown iocb": never expected */
};

static void
capture_fn(void *arg, int priority, const char *msg)
{
	struct capture *c = arg;

	c->count[priority & 7]++;
	snprintf(c->last[priority & 7], sizeof(c->last[0]), "%s", msg);
	if (strstr(msg, "unknown iocb") != NULL)
		c->unknown++;
}

/* ---- the fake system call table ----------------------------------------- */

enum fake_act {
	ACT_NOW = 0,             /* performed and complete at once */
	ACT_DELAY,               /* performed and complete delay_ms later */
	ACT_HANG,                /* held until fake.release */
	ACT_RESULT,              /* complete at once with res, not performed */
	ACT_REJECT,              /* refused at submit with res (< 0) */
};

/* One I/O the fake accepted and has not handed out a completion for. */
struct fake_io {
	struct iocb cb;          /* the iocb as submitted: the kernel's copy */
	struct iocb *obj;        /* the module's iocb, for the event */
	enum fake_act act;
	long res;                /* ACT_RESULT */
	uint64_t due_ns;         /* completes then, on the test clock */
};

struct fake {
	struct test_clock *clk;
	enum fake_act act[FAKE_MAX];   /* by submission sequence number */
	long res[FAKE_MAX];            /* ACT_RESULT, ACT_REJECT */
	uint32_t delay_ms[FAKE_MAX];   /* ACT_DELAY */
	int seq;                       /* iocbs seen by submit, refused too */
	int submit_calls;
	int getevents_calls;
	int release;                   /* held I/Os complete at every getevents */
	int release_at_call;           /* set release at this getevents call */
	int fail_getevents;            /* next getevents returns this (< 0) */
	uint32_t eintr_after_ms;       /* next wait: a signal after this long */
	void *buf[FAKE_MAX];           /* bounce buffer, by sequence number */
	struct fake_io io[FAKE_MAX];   /* in flight, in submission order */
	int nio;
	int disk_fd;                   /* the descriptor iocbs must name */
	int fd;                        /* the same file, O_DIRECT, no O_DSYNC */
};

/* Script the k-th I/O from now: act, with v its result or its delay. */
static void
fake_script(struct fake *f, int k, enum fake_act act, long v)
{
	int seq = f->seq + k;

	ck_assert_int_lt(seq, FAKE_MAX);
	f->act[seq] = act;
	if (act == ACT_DELAY)
		f->delay_ms[seq] = (uint32_t)v;
	else
		f->res[seq] = v;
}

static int
fake_nheld(const struct fake *f)
{
	int i, n = 0;

	for (i = 0; i < f->nio; i++)
		n += f->io[i].due_ns == FAKE_FOREVER;
	return n;
}

/* The bounce buffer of the i-th held I/O, in submission order. */
static void *
fake_held_buf(const struct fake *f, int i)
{
	int j, n = 0;

	for (j = 0; j < f->nio; j++)
		if (f->io[j].due_ns == FAKE_FOREVER && n++ == i)
			return f->io[j].cb.u.c.buf;
	ck_abort_msg("no held I/O #%d", i);
	return NULL;
}

static uint64_t
fake_now_ns(const struct fake *f)
{
	return tclock_now_ns(f->clk);
}

static void
fake_advance_to(struct fake *f, uint64_t when_ns)
{
	uint64_t now = fake_now_ns(f);

	if (when_ns > now)
		atomic_fetch_add(&f->clk->ns, when_ns - now);
}

/* No kernel ring: the fake never submits aio, and io_destroy(2) of a real
 * ring costs some 40 ms (an RCU grace period) per context.  The context is
 * a token that submit and getevents ignore. */

static int
ring_setup(int maxevents, io_context_t *ctx)
{
	ck_assert_int_gt(maxevents, 0);
	ck_assert_ptr_null(*ctx); /* io_setup(2) wants it zeroed */
	*ctx = (io_context_t)(void *)&fake_ring;
	return 0;
}

static int
ring_destroy(io_context_t ctx)
{
	ck_assert_ptr_eq((void *)ctx, &fake_ring);
	return 0;
}

static int
fake_submit(void *arg, io_context_t ctx, long nr, struct iocb **iocbs)
{
	struct fake *f = arg;
	uint64_t now = fake_now_ns(f);
	long i;
	int seq;

	(void)ctx;
	f->submit_calls++;
	for (i = 0; i < nr; i++) {
		struct fake_io *io;

		seq = f->seq++;
		ck_assert_int_lt(seq, FAKE_MAX);
		f->buf[seq] = iocbs[i]->u.c.buf;
		if (f->act[seq] == ACT_REJECT)
			return i > 0 ? (int)i : (int)f->res[seq];
		ck_assert_int_lt(f->nio, FAKE_MAX);
		io = &f->io[f->nio++];
		io->cb = *iocbs[i];
		io->obj = iocbs[i];
		io->act = f->act[seq];
		io->res = f->res[seq];
		switch (io->act) {
		case ACT_HANG:
			io->due_ns = FAKE_FOREVER;
			break;
		case ACT_DELAY:
			io->due_ns = now + f->delay_ms[seq] * NS_PER_MS;
			break;
		default:
			io->due_ns = now;
			break;
		}
	}
	return (int)nr;
}

/* The I/O of cb, done now on its buffer: a count or -errno.  It goes to the
 * file cb names through a descriptor of the fake's own, also O_DIRECT (the
 * kernel still checks alignment) but without O_DSYNC: on the test clock a
 * write takes no time, so it need not wait for a cache flush either. */
static long
fake_perform(const struct fake *f, const struct iocb *cb)
{
	ssize_t n;

	ck_assert_int_eq(cb->aio_fildes, f->disk_fd);
	if (cb->aio_lio_opcode == IO_CMD_PREAD)
		n = pread(f->fd, cb->u.c.buf, cb->u.c.nbytes, cb->u.c.offset);
	else
		n = pwrite(f->fd, cb->u.c.buf, cb->u.c.nbytes, cb->u.c.offset);
	return n < 0 ? -errno : (long)n;
}

/* The late completion of a held I/O, on the buffer the module still owns.
 * The explicit memset/memcpy make ASan check the whole buffer. */
static long
fake_late(const struct fake *f, const struct iocb *cb)
{
	void *buf = cb->u.c.buf;
	size_t len = cb->u.c.nbytes;
	char *copy;

	if (cb->aio_lio_opcode == IO_CMD_PREAD) {
		memset(buf, 0xAB, len);
		return fake_perform(f, cb);
	}
	copy = malloc(len);
	ck_assert_ptr_nonnull(copy);
	memcpy(copy, buf, len);
	free(copy);
	return (long)len; /* a hung write is dropped, not landed */
}

/* Hand out the completion of io[i] (performing its I/O now) as *ev. */
static void
fake_complete(struct fake *f, int i, struct io_event *ev)
{
	struct fake_io *io = &f->io[i];
	long res;

	switch (io->act) {
	case ACT_RESULT:
		res = io->res;
		break;
	case ACT_HANG:
		res = fake_late(f, &io->cb);
		break;
	default:
		res = fake_perform(f, &io->cb);
		break;
	}
	ev->data = io->cb.data;
	ev->obj = io->obj;
	ev->res = (unsigned long)res;
	ev->res2 = 0;
	memmove(io, io + 1, (size_t)(f->nio - i - 1) * sizeof(*io));
	f->nio--;
}

/* Hand out up to nr completions due by until_ns, earliest first (ties in
 * submission order); how many. */
static int
fake_deliver(struct fake *f, uint64_t until_ns, struct io_event *events,
    long nr)
{
	int i, best, k = 0;

	while (k < nr) {
		best = -1;
		for (i = 0; i < f->nio; i++)
			if (f->io[i].due_ns <= until_ns && (best < 0 ||
			    f->io[i].due_ns < f->io[best].due_ns))
				best = i;
		if (best < 0)
			break;
		fake_complete(f, best, &events[k++]);
	}
	return k;
}

/* When the need-th of the I/Os in flight completes; FAKE_FOREVER if fewer
 * than need ever will by themselves. */
static uint64_t
fake_nth_due(const struct fake *f, long need)
{
	uint64_t due[FAKE_MAX], t;
	int i, j, n = 0;

	for (i = 0; i < f->nio; i++) { /* insertion sort of the due times */
		t = f->io[i].due_ns;
		for (j = n++; j > 0 && due[j - 1] > t; j--)
			due[j] = due[j - 1];
		due[j] = t;
	}
	return need <= n ? due[need - 1] : FAKE_FOREVER;
}

static int
fake_getevents(void *arg, io_context_t ctx, long min_nr, long nr,
    struct io_event *events, struct timespec *timeout)
{
	struct fake *f = arg;
	uint64_t now, end, when, sig;
	int i, k, r;

	(void)ctx;
	f->getevents_calls++;
	ck_assert_msg(f->getevents_calls < FAKE_MAX_CALLS,
	    "getevents called %d times: a wait that never ends",
	    f->getevents_calls);
	if (f->fail_getevents < 0) {
		r = f->fail_getevents;
		f->fail_getevents = 0;
		return r;
	}
	if (f->release_at_call != 0 && f->getevents_calls >= f->release_at_call)
		f->release = 1;
	now = fake_now_ns(f);
	for (i = 0; f->release && i < f->nio; i++)
		if (f->io[i].due_ns == FAKE_FOREVER)
			f->io[i].due_ns = now;
	k = fake_deliver(f, now, events, nr);
	if (k >= min_nr)
		return k;
	/* wait, on the test clock, as the kernel does in real time: until
	 * min_nr are due, or the timeout, or a signal */
	ck_assert_ptr_nonnull(timeout);
	end = now + (uint64_t)timeout->tv_sec * 1000000000u +
	    (uint64_t)timeout->tv_nsec;
	when = fake_nth_due(f, min_nr - k);
	if (when > end)
		when = end;
	if (f->eintr_after_ms != 0) {
		sig = now + f->eintr_after_ms * NS_PER_MS;
		f->eintr_after_ms = 0;
		if (sig < when) {
			fake_advance_to(f, sig);
			k += fake_deliver(f, sig, events + k, nr - k);
			return k > 0 ? k : -EINTR;
		}
	}
	fake_advance_to(f, when);
	return k + fake_deliver(f, when, events + k, nr - k);
}

/* ---- helpers -------------------------------------------------------------- */

static void
fill(void *buf, size_t len, unsigned seed)
{
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(seed * 31u + i * 7u + (i >> 9));
}

static int
all_bytes(const void *buf, size_t len, unsigned char v)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != v)
			return 0;
	return 1;
}

/* A test's world: the disk, a context on it, its clock, a fake, a logger. */
struct env {
	struct lfs_disk disk;
	struct lfs_io io;
	struct test_clock clk;
	struct fake fake;
	struct lfs_io_syscalls sys;
	struct capture cap;
	struct lfs_logger log;
};

static void
env_open(struct env *e, uint32_t timeout_ms, int use_fake)
{
	memset(e, 0, sizeof(*e));
	ck_assert_int_eq(lfs_disk_open(&e->disk, test_path), 0);
	tclock_init(&e->clk);
	e->fake.clk = &e->clk;
	e->fake.disk_fd = e->disk.fd;
	e->fake.fd = open(test_path, O_RDWR | O_DIRECT | O_CLOEXEC);
	ck_assert_int_ge(e->fake.fd, 0);
	e->sys = fake_table_of(fake_submit, fake_getevents, &e->fake);
	e->sys.setup = ring_setup;
	e->sys.destroy = ring_destroy;
	e->sys.clock = &e->clk.clock;
	e->log.fn = capture_fn;
	e->log.arg = &e->cap;
	e->log.max_priority = LOG_DEBUG;
	ck_assert_int_eq(lfs_io_init(&e->io, &e->disk, timeout_ms,
	    use_fake ? &e->sys : NULL, &e->log), 0);
}

/* The real system calls on the real clock, with a timeout no disk reaches. */
static void
env_open_real(struct env *e)
{
	env_open(e, REAL_TIMEOUT_MS, 0);
}

/* The fake on the test clock, timing out after timeout_ms of it. */
static void
env_open_fake(struct env *e, uint32_t timeout_ms)
{
	env_open(e, timeout_ms, 1);
	ck_assert_ptr_eq(e->io.clock, &e->clk.clock);
}

/* Destroy the context; every I/O the fake accepted must have had its
 * completion handed out (destroy waited for the abandoned ones), and every
 * event must have found its owner. */
static void
env_close(struct env *e)
{
	lfs_io_destroy(&e->io);
	ck_assert_int_eq(e->fake.nio, 0);
	ck_assert_int_eq(e->cap.unknown, 0);
	lfs_disk_close(&e->disk);
	close(e->fake.fd);
}

/* ms the test clock moved since t0 (a tclock_ms() reading). */
static uint64_t
since(struct env *e, uint64_t t0)
{
	return tclock_ms(&e->clk) - t0;
}

/* ---- the device ----------------------------------------------------------- */

START_TEST(test_disk_open_regular)
{
	struct lfs_disk d;

	ck_assert_int_eq(lfs_disk_open(&d, test_path), 0);
	ck_assert_int_ge(d.fd, 0);
	ck_assert_uint_eq(d.sector_size, 0);
	ck_assert_uint_eq(d.size, TEST_FILE_SIZE);
	ck_assert_int_eq(d.is_blockdev, 0);
	ck_assert_str_eq(d.path, test_path);
	ck_assert_int_ne(fcntl(d.fd, F_GETFL) & O_DIRECT, 0);
	ck_assert_int_ne(fcntl(d.fd, F_GETFD) & FD_CLOEXEC, 0);
	lfs_disk_close(&d);
	ck_assert_int_eq(d.fd, -1);
	lfs_disk_close(&d); /* twice is harmless */
}
END_TEST

START_TEST(test_disk_open_errors)
{
	char fifo[4200];
	struct lfs_disk d;

	ck_assert_int_eq(lfs_disk_open(&d, "/nonexistent/leasefs-disk"), -ENOENT);
	ck_assert_int_eq(d.fd, -1);
	snprintf(fifo, sizeof(fifo), "%s.fifo", test_path);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	ck_assert_int_lt(lfs_disk_open(&d, fifo), 0);
	ck_assert_int_eq(d.fd, -1);
	unlink(fifo);
}
END_TEST

START_TEST(test_init_errors)
{
	struct lfs_disk d;
	struct lfs_io io;

	ck_assert_int_eq(lfs_disk_open(&d, test_path), 0);
	ck_assert_int_eq(lfs_io_init(&io, &d, 0, NULL, NULL), -EINVAL);
	lfs_io_destroy(&io); /* nothing to destroy, must be harmless */
	ck_assert_int_eq(lfs_io_init(&io, NULL, 100, NULL, NULL), -EINVAL);
	lfs_disk_close(&d);
}
END_TEST

/* ---- normal I/O ------------------------------------------------------------ */

static void
round_trip(size_t align, size_t len, uint64_t offset)
{
	struct env e;
	char *w = malloc(len + 1), *r = malloc(len + 1);

	ck_assert_ptr_nonnull(w);
	ck_assert_ptr_nonnull(r);
	env_open_real(&e);
	/* +1: the caller's buffers need no alignment */
	fill(w + 1, len, (unsigned)align);
	memset(r, 0, len + 1);
	ck_assert_int_eq(lfs_io_write(&e.io, offset, w + 1, len), 0);
	ck_assert_int_eq(lfs_io_read(&e.io, offset, r + 1, len), 0);
	ck_assert_mem_eq(w + 1, r + 1, len);
	ck_assert_uint_eq(e.io.stats.writes, 1);
	ck_assert_uint_eq(e.io.stats.reads, 1);
	ck_assert_uint_eq(e.io.stats.bytes_written, len);
	ck_assert_uint_eq(e.io.stats.bytes_read, len);
	ck_assert_uint_eq(e.io.stats.errors, 0);
	ck_assert_uint_eq(e.io.stats.timeouts, 0);
	env_close(&e);
	free(w);
	free(r);
}

START_TEST(test_round_trip_512)
{
	round_trip(512, 512, 3 * 512);
	round_trip(512, 5 * 512, 17 * 512);
}
END_TEST

START_TEST(test_round_trip_4096)
{
	round_trip(4096, 4096, 2 * 4096);
	round_trip(4096, 256 * 4096, 1u << 20); /* 1 MiB, like a lockspace */
}
END_TEST

START_TEST(test_batch_mixed)
{
	enum { N = LFS_IO_MAX_BATCH, LEN = 4096 };
	static char w[N][LEN], r[N][LEN];
	struct lfs_io_req reqs[N];
	struct env e;
	int i;

	env_open_real(&e);
	for (i = 0; i < N / 2; i++) { /* data for the reads of the batch */
		fill(w[i], LEN, 100u + (unsigned)i);
		ck_assert_int_eq(lfs_io_write(&e.io, (uint64_t)(64 + i) * LEN,
		    w[i], LEN), 0);
	}
	for (i = 0; i < N; i++) {
		int is_read = i % 2 == 0;
		int k = is_read ? i / 2 : N / 2 + i / 2;

		if (!is_read)
			fill(w[k], LEN, 200u + (unsigned)k);
		reqs[i].op = is_read ? LFS_IO_READ : LFS_IO_WRITE;
		reqs[i].offset = (uint64_t)(64 + k) * LEN;
		reqs[i].buf = is_read ? r[k] : w[k];
		reqs[i].len = LEN;
	}
	ck_assert_int_eq(lfs_io_batch(&e.io, reqs, N), 0);
	for (i = 0; i < N / 2; i++)
		ck_assert_mem_eq(r[i], w[i], LEN);
	for (i = N / 2; i < N; i++) { /* the batch's writes landed */
		ck_assert_int_eq(lfs_io_read(&e.io, (uint64_t)(64 + i) * LEN,
		    r[i], LEN), 0);
		ck_assert_mem_eq(r[i], w[i], LEN);
	}
	ck_assert_uint_eq(e.io.stats.reads, N / 2 + N / 2);
	ck_assert_uint_eq(e.io.stats.writes, N / 2 + N / 2);
	ck_assert_int_eq(lfs_io_batch(&e.io, reqs, 0), 0);
	env_close(&e);
}
END_TEST

START_TEST(test_invalid_requests)
{
	char buf[8192];
	struct lfs_io_req reqs[LFS_IO_MAX_BATCH + 1];
	struct env e;
	uint64_t t0;
	int i;

	env_open_fake(&e, FAKE_TIMEOUT_MS);
	t0 = tclock_ms(&e.clk);
	ck_assert_int_eq(lfs_io_read(&e.io, 100, buf, 512), -EINVAL);
	ck_assert_int_eq(lfs_io_read(&e.io, 512, buf, 100), -EINVAL);
	ck_assert_int_eq(lfs_io_write(&e.io, 512, buf, 1000), -EINVAL);
	ck_assert_int_eq(lfs_io_read(&e.io, 512, buf, 0), -EINVAL);
	ck_assert_int_eq(lfs_io_read(&e.io, 512, NULL, 512), -EINVAL);
	for (i = 0; i <= LFS_IO_MAX_BATCH; i++) {
		reqs[i].op = LFS_IO_READ;
		reqs[i].offset = (uint64_t)i * 512;
		reqs[i].buf = buf;
		reqs[i].len = 512;
	}
	ck_assert_int_eq(lfs_io_batch(&e.io, reqs, LFS_IO_MAX_BATCH + 1), -EINVAL);
	ck_assert_int_eq(lfs_io_batch(&e.io, reqs, -1), -EINVAL);
	reqs[3].offset = 513; /* one bad request spoils the whole batch */
	ck_assert_int_eq(lfs_io_batch(&e.io, reqs, 4), -EINVAL);
	ck_assert_int_eq(e.fake.submit_calls, 0);

	/* a 4096-byte sector size is enforced as such */
	e.disk.sector_size = 4096;
	ck_assert_int_eq(lfs_io_read(&e.io, 512, buf, 4096), -EINVAL);
	ck_assert_int_eq(lfs_io_read(&e.io, 4096, buf, 512), -EINVAL);
	ck_assert_int_eq(e.fake.submit_calls, 0);
	ck_assert_int_eq(lfs_io_read(&e.io, 4096, buf, 8192), 0);
	ck_assert_int_eq(e.fake.submit_calls, 1);
	ck_assert_uint_eq(since(&e, t0), 0); /* refused or done: no waiting */
	e.disk.sector_size = 0;
	env_close(&e);
}
END_TEST

/* Bounce buffers come back as spares: repeated I/Os of one size allocate one
 * buffer, a batch allocates only what the spares lack, and a read on a reused
 * buffer returns the disk's bytes, not what the buffer held before. */
START_TEST(test_buffer_reuse)
{
	enum { LEN = 1u << 20, N = 2 };
	char *w0 = malloc(LEN), *w1 = malloc(LEN), *r[N];
	struct lfs_io_req reqs[N];
	struct env e;
	int i;

	ck_assert_ptr_nonnull(w0);
	ck_assert_ptr_nonnull(w1);
	env_open_real(&e);
	ck_assert_uint_eq(e.io.stats.buffer_allocs, 0);
	fill(w0, LEN, 1);
	fill(w1, LEN, 2);
	ck_assert_int_eq(lfs_io_write(&e.io, 0, w0, LEN), 0);
	ck_assert_int_eq(lfs_io_write(&e.io, LEN, w1, LEN), 0);
	for (i = 0; i < N; i++) {
		r[i] = malloc(LEN);
		ck_assert_ptr_nonnull(r[i]);
		reqs[i].op = LFS_IO_READ;
		reqs[i].offset = (uint64_t)i * LEN;
		reqs[i].buf = r[i];
		reqs[i].len = LEN;
	}
	for (i = 0; i < 4; i++) { /* the buffer last held w1, then w0 */
		ck_assert_int_eq(lfs_io_read(&e.io, 0, r[0], LEN), 0);
		ck_assert_mem_eq(r[0], w0, LEN);
		ck_assert_int_eq(lfs_io_read(&e.io, LEN, r[1], LEN), 0);
		ck_assert_mem_eq(r[1], w1, LEN);
	}
	ck_assert_uint_eq(e.io.stats.buffer_allocs, 1);
	ck_assert_int_eq(lfs_io_read(&e.io, 0, r[0], 512), 0); /* fits too */
	ck_assert_uint_eq(e.io.stats.buffer_allocs, 1);

	for (i = 0; i < 3; i++) /* a batch of two needs one more, once */
		ck_assert_int_eq(lfs_io_batch(&e.io, reqs, N), 0);
	ck_assert_mem_eq(r[0], w0, LEN);
	ck_assert_mem_eq(r[1], w1, LEN);
	ck_assert_uint_eq(e.io.stats.buffer_allocs, 2);
	ck_assert_uint_eq(e.io.stats.reads, 8 + 1 + 3 * N);
	env_close(&e);
	ck_assert_ptr_null(e.io.spares); /* destroy freed them */
	for (i = 0; i < N; i++)
		free(r[i]);
	free(w0);
	free(w1);
}
END_TEST

/* Buffers of 2 MiB and more are whole huge pages (LFS_IO_HUGE): reads of
 * 2 MiB + 512 B and of 4 MiB share one 4 MiB buffer, where the 64 KiB
 * classes below 2 MiB would have made two; the bytes are the disk's. */
START_TEST(test_buffer_huge_class)
{
	enum { BIG = 4u << 20, ODD = (2u << 20) + 512 };
	char *w = malloc(BIG), *r = malloc(BIG);
	struct env e;

	ck_assert_ptr_nonnull(w);
	ck_assert_ptr_nonnull(r);
	env_open_real(&e);
	fill(w, BIG, 3);
	ck_assert_int_eq(lfs_io_write(&e.io, 0, w, BIG), 0);
	ck_assert_uint_eq(e.io.stats.buffer_allocs, 1);
	ck_assert_int_eq(lfs_io_read(&e.io, 0, r, ODD), 0);
	ck_assert_mem_eq(r, w, ODD);
	ck_assert_int_eq(lfs_io_read(&e.io, 0, r, BIG), 0);
	ck_assert_mem_eq(r, w, BIG);
	ck_assert_int_eq(lfs_io_read(&e.io, 0, r, ODD), 0);
	ck_assert_uint_eq(e.io.stats.buffer_allocs, 1);
	env_close(&e);
	free(w);
	free(r);
}
END_TEST

/* ---- time: deadlines on the test clock ----------------------------------- */

/* An I/O gets exactly io_timeout on the context's clock: one that needs less
 * succeeds when it completes (the wait does not run to the timeout), one that
 * needs more fails at exactly the timeout and is reaped once it completes;
 * a batch waits for its slowest I/O, and at the deadline keeps what is done. */
START_TEST(test_timeout_boundary)
{
	enum { LEN = 512 };
	char w0[LEN], w1[LEN], r0[LEN], r1[LEN];
	struct lfs_io_req reqs[2] = {
		{ LFS_IO_READ, 0, r0, LEN },
		{ LFS_IO_READ, LEN, r1, LEN },
	};
	struct env e;
	uint64_t t0;

	env_open_fake(&e, FAKE_TIMEOUT_MS);
	fill(w0, LEN, 21);
	fill(w1, LEN, 22);

	fake_script(&e.fake, 0, ACT_DELAY, FAKE_TIMEOUT_MS - 1);
	t0 = tclock_ms(&e.clk);
	ck_assert_int_eq(lfs_io_write(&e.io, 0, w0, LEN), 0);
	ck_assert_uint_eq(since(&e, t0), FAKE_TIMEOUT_MS - 1);
	ck_assert_int_eq(lfs_io_write(&e.io, LEN, w1, LEN), 0); /* at once */
	ck_assert_uint_eq(since(&e, t0), FAKE_TIMEOUT_MS - 1);
	ck_assert_uint_eq(e.io.stats.writes, 2);

	fake_script(&e.fake, 0, ACT_DELAY, FAKE_TIMEOUT_MS + 1);
	memset(r0, 0x5A, LEN);
	t0 = tclock_ms(&e.clk);
	ck_assert_int_eq(lfs_io_read(&e.io, 0, r0, LEN), -ETIMEDOUT);
	ck_assert_uint_eq(since(&e, t0), FAKE_TIMEOUT_MS);
	ck_assert(all_bytes(r0, LEN, 0x5A));
	ck_assert_uint_eq(e.io.stats.timeouts, 1);
	ck_assert_uint_eq(lfs_io_reap(&e.io), 1); /* 1 ms early */
	tclock_advance(&e.clk, 1);
	ck_assert_uint_eq(lfs_io_reap(&e.io), 0);
	ck_assert_int_eq(e.cap.count[LOG_NOTICE], 1);
	ck_assert_ptr_nonnull(strstr(e.cap.last[LOG_NOTICE], "late read #3 "
	    "completed after 201 ms (result 0), 0 I/Os still abandoned"));
	ck_assert_uint_eq(e.io.stats.reads, 0); /* late: neither read nor error */
	ck_assert_uint_eq(e.io.stats.errors, 0);

	fake_script(&e.fake, 0, ACT_DELAY, 50);
	fake_script(&e.fake, 1, ACT_DELAY, 150);
	t0 = tclock_ms(&e.clk);
	ck_assert_int_eq(lfs_io_batch(&e.io, reqs, 2), 0);
	ck_assert_uint_eq(since(&e, t0), 150);
	ck_assert_mem_eq(r0, w0, LEN);
	ck_assert_mem_eq(r1, w1, LEN);

	fake_script(&e.fake, 0, ACT_DELAY, 50);
	fake_script(&e.fake, 1, ACT_DELAY, FAKE_TIMEOUT_MS + 50);
	memset(r0, 0, LEN);
	memset(r1, 0x5A, LEN);
	t0 = tclock_ms(&e.clk);
	ck_assert_int_eq(lfs_io_batch(&e.io, reqs, 2), -ETIMEDOUT);
	ck_assert_uint_eq(since(&e, t0), FAKE_TIMEOUT_MS);
	ck_assert_mem_eq(r0, w0, LEN);         /* in time: done */
	ck_assert(all_bytes(r1, LEN, 0x5A));   /* late: left alone */
	ck_assert_uint_eq(e.io.stats.reads, 3);
	ck_assert_uint_eq(e.io.stats.timeouts, 2);
	ck_assert_uint_eq(e.io.stats.abandoned, 1);
	ck_assert_ptr_nonnull(strstr(e.cap.last[LOG_WARNING],
	    "1 I/Os timed out after 200 ms, 1 abandoned now"));
	env_close(&e); /* destroy waits for it: 50 ms more */
	ck_assert_int_eq(e.cap.count[LOG_NOTICE], 2);
	ck_assert_ptr_nonnull(strstr(e.cap.last[LOG_NOTICE],
	    "completed after 250 ms"));
}
END_TEST

/* The deadline is absolute: when the wait wakes up early (an abandoned I/O
 * completes meanwhile, or a signal), the I/O still gets exactly io_timeout
 * in all, not a new timeout per wake-up. */
START_TEST(test_wait_wakes_early)
{
	char buf[512];
	struct env e;
	uint64_t t0;
	int calls;

	env_open_fake(&e, FAKE_TIMEOUT_MS);
	fake_script(&e.fake, 0, ACT_DELAY, FAKE_TIMEOUT_MS + 100);
	ck_assert_int_eq(lfs_io_read(&e.io, 0, buf, sizeof(buf)), -ETIMEDOUT);
	fake_script(&e.fake, 0, ACT_HANG, 0);
	calls = e.fake.getevents_calls;
	t0 = tclock_ms(&e.clk);
	ck_assert_int_eq(lfs_io_read(&e.io, 0, buf, sizeof(buf)), -ETIMEDOUT);
	ck_assert_uint_eq(since(&e, t0), FAKE_TIMEOUT_MS);
	ck_assert_int_eq(e.fake.getevents_calls - calls, 2); /* woken once */
	ck_assert_int_eq(e.cap.count[LOG_NOTICE], 1);
	ck_assert_ptr_nonnull(strstr(e.cap.last[LOG_NOTICE],
	    "late read #1 completed after 300 ms"));
	ck_assert_uint_eq(e.io.stats.abandoned, 1);

	fake_script(&e.fake, 0, ACT_HANG, 0);
	e.fake.eintr_after_ms = 120;
	calls = e.fake.getevents_calls;
	t0 = tclock_ms(&e.clk);
	ck_assert_int_eq(lfs_io_read(&e.io, 0, buf, sizeof(buf)), -ETIMEDOUT);
	ck_assert_uint_eq(since(&e, t0), FAKE_TIMEOUT_MS);
	ck_assert_int_eq(e.fake.getevents_calls - calls, 2); /* -EINTR, again */

	fake_script(&e.fake, 0, ACT_DELAY, 150);
	e.fake.eintr_after_ms = 100;
	t0 = tclock_ms(&e.clk);
	ck_assert_int_eq(lfs_io_read(&e.io, 0, buf, sizeof(buf)), 0);
	ck_assert_uint_eq(since(&e, t0), 150);
	ck_assert_uint_eq(e.io.stats.timeouts, 3);
	ck_assert_uint_eq(e.io.stats.errors, 0);
	e.fake.release = 1;
	ck_assert_uint_eq(lfs_io_reap(&e.io), 0);
	env_close(&e);
}
END_TEST

/* ---- hangs and abandoned I/O ---------------------------------------------- */

START_TEST(test_hang_then_late_completion)
{
	char buf[4096], w[4096];
	struct env e;
	uint64_t t0;

	env_open_fake(&e, FAKE_TIMEOUT_MS);
	fill(w, sizeof(w), 7);
	ck_assert_int_eq(lfs_io_write(&e.io, 40960, w, sizeof(w)), 0);
	fake_script(&e.fake, 0, ACT_HANG, 0);
	memset(buf, 0x5A, sizeof(buf));
	t0 = tclock_ms(&e.clk);
	ck_assert_int_eq(lfs_io_read(&e.io, 40960, buf, sizeof(buf)), -ETIMEDOUT);
	ck_assert_uint_eq(since(&e, t0), FAKE_TIMEOUT_MS); /* exactly */
	ck_assert(all_bytes(buf, sizeof(buf), 0x5A)); /* caller's buffer untouched */
	ck_assert_uint_eq(e.io.stats.abandoned, 1);
	ck_assert_uint_eq(e.io.stats.timeouts, 1);
	ck_assert_uint_eq(e.io.stats.errors, 0);
	ck_assert_uint_eq(e.io.stats.reads, 0);
	ck_assert_int_eq(e.cap.count[LOG_WARNING], 1);
	ck_assert_ptr_nonnull(strstr(e.cap.last[LOG_WARNING],
	    "1 I/Os timed out after 200 ms, 1 abandoned now"));
	t0 = tclock_ms(&e.clk);
	ck_assert_uint_eq(lfs_io_reap(&e.io), 1); /* still hung */
	ck_assert_uint_eq(since(&e, t0), 0);      /* and reap did not wait */

	/* Five seconds on, the device answers; the kernel writes into the
	 * abandoned buffer, which must still be alive, and the next I/O reaps
	 * it. */
	tclock_advance(&e.clk, 5000);
	e.fake.release = 1;
	ck_assert_int_eq(lfs_io_read(&e.io, 40960, buf, sizeof(buf)), 0);
	ck_assert_mem_eq(buf, w, sizeof(buf));
	ck_assert_uint_eq(e.io.stats.abandoned, 0);
	ck_assert_ptr_null(e.io.abandoned);
	ck_assert_int_eq(e.cap.count[LOG_NOTICE], 1);
	ck_assert_ptr_nonnull(strstr(e.cap.last[LOG_NOTICE], "late read #2 "
	    "completed after 5200 ms (result 0), 0 I/Os still abandoned"));
	ck_assert_uint_eq(e.io.stats.reads, 1);
	env_close(&e);
}
END_TEST

START_TEST(test_hang_reaped_by_reap)
{
	char buf[512];
	struct env e;
	uint64_t t0;

	env_open_fake(&e, 50);
	fake_script(&e.fake, 0, ACT_HANG, 0);
	fake_script(&e.fake, 1, ACT_HANG, 0);
	t0 = tclock_ms(&e.clk);
	ck_assert_int_eq(lfs_io_write(&e.io, 0, buf, sizeof(buf)), -ETIMEDOUT);
	ck_assert_int_eq(lfs_io_read(&e.io, 0, buf, sizeof(buf)), -ETIMEDOUT);
	ck_assert_uint_eq(since(&e, t0), 2 * 50);
	ck_assert_uint_eq(e.io.stats.abandoned, 2);
	ck_assert_uint_eq(e.io.stats.timeouts, 2);
	e.fake.release = 1;
	ck_assert_uint_eq(lfs_io_reap(&e.io), 0);
	ck_assert_ptr_null(e.io.abandoned);
	ck_assert_int_eq(e.cap.count[LOG_NOTICE], 2);
	ck_assert_int_eq(e.fake.nio, 0);
	env_close(&e);
}
END_TEST

START_TEST(test_hang_in_batch)
{
	enum { LEN = 512 };
	char w[LEN], w1[LEN], r0[LEN], r2[LEN];
	struct lfs_io_req reqs[3] = {
		{ LFS_IO_READ, 100 * LEN, r0, LEN },
		{ LFS_IO_WRITE, 101 * LEN, w1, LEN },
		{ LFS_IO_READ, 102 * LEN, r2, LEN },
	};
	struct env e;
	uint64_t t0;

	env_open_fake(&e, FAKE_TIMEOUT_MS);
	fill(w, LEN, 9);
	fill(w1, LEN, 10);
	ck_assert_int_eq(lfs_io_write(&e.io, 100 * LEN, w, LEN), 0);
	fake_script(&e.fake, 2, ACT_HANG, 0); /* the batch's second read */
	memset(r0, 0, LEN);
	memset(r2, 0x5A, LEN);
	t0 = tclock_ms(&e.clk);
	ck_assert_int_eq(lfs_io_batch(&e.io, reqs, 3), -ETIMEDOUT);
	ck_assert_uint_eq(since(&e, t0), FAKE_TIMEOUT_MS);
	ck_assert_mem_eq(r0, w, LEN);          /* its own read succeeded */
	ck_assert(all_bytes(r2, LEN, 0x5A));   /* the hung one left alone */
	ck_assert_uint_eq(e.io.stats.reads, 1);
	ck_assert_uint_eq(e.io.stats.writes, 2); /* the setup's and the batch's */
	ck_assert_uint_eq(e.io.stats.timeouts, 1);
	ck_assert_uint_eq(e.io.stats.abandoned, 1);
	ck_assert_int_eq(lfs_io_read(&e.io, 101 * LEN, r0, LEN), 0);
	ck_assert_mem_eq(r0, w1, LEN);         /* the batch's write landed */
	e.fake.release_at_call = e.fake.getevents_calls + 1;
	env_close(&e); /* destroy waits for it, then frees it */
	ck_assert_int_eq(e.cap.count[LOG_NOTICE], 1);
}
END_TEST

START_TEST(test_destroy_waits_for_abandoned)
{
	char buf[512];
	struct env e;
	uint64_t t0;

	env_open_fake(&e, 50);
	fake_script(&e.fake, 0, ACT_HANG, 0);
	ck_assert_int_eq(lfs_io_read(&e.io, 0, buf, sizeof(buf)), -ETIMEDOUT);
	ck_assert_int_eq(e.cap.count[LOG_WARNING], 1);
	/* destroy waits 10 s at a time and says so each time; released at
	 * its third wait, it has said so twice, 20 s on */
	e.fake.release_at_call = e.fake.getevents_calls + 3;
	ck_assert_int_eq(fake_nheld(&e.fake), 1);
	t0 = tclock_ms(&e.clk);
	lfs_io_destroy(&e.io);
	ck_assert_uint_eq(since(&e, t0), 20000);
	ck_assert_int_eq(e.fake.nio, 0);
	ck_assert_uint_eq(e.io.stats.abandoned, 0);
	ck_assert_ptr_null(e.io.abandoned);
	ck_assert_int_eq(e.cap.count[LOG_WARNING], 1 + 2);
	ck_assert_ptr_nonnull(strstr(e.cap.last[LOG_WARNING],
	    "still waiting for 1 abandoned I/Os after 20 s"));
	ck_assert_int_eq(e.cap.count[LOG_NOTICE], 1);
	ck_assert_ptr_nonnull(strstr(e.cap.last[LOG_NOTICE],
	    "completed after 20050 ms"));
	lfs_io_destroy(&e.io); /* twice is harmless */
	lfs_disk_close(&e.disk);
	close(e.fake.fd);
}
END_TEST

START_TEST(test_abandoned_limit)
{
	enum { LEN = 512 };
	static char bufs[LFS_IO_MAX_BATCH][LEN];
	struct lfs_io_req reqs[LFS_IO_MAX_BATCH];
	struct env e;
	uint64_t t0;
	int i, round, calls;

	env_open_fake(&e, 30);
	for (i = 0; i < FAKE_MAX; i++)
		e.fake.act[i] = ACT_HANG;
	for (i = 0; i < LFS_IO_MAX_BATCH; i++) {
		reqs[i].op = i % 2 ? LFS_IO_WRITE : LFS_IO_READ;
		reqs[i].offset = (uint64_t)i * LEN;
		reqs[i].buf = bufs[i];
		reqs[i].len = LEN;
	}
	t0 = tclock_ms(&e.clk);
	for (round = 0; round < LFS_IO_MAX_ABANDONED / LFS_IO_MAX_BATCH; round++)
		ck_assert_int_eq(lfs_io_batch(&e.io, reqs, LFS_IO_MAX_BATCH),
		    -ETIMEDOUT);
	ck_assert_uint_eq(since(&e, t0),
	    LFS_IO_MAX_ABANDONED / LFS_IO_MAX_BATCH * 30);
	ck_assert_uint_eq(e.io.stats.abandoned, LFS_IO_MAX_ABANDONED);
	ck_assert_uint_eq(e.io.stats.timeouts, LFS_IO_MAX_ABANDONED);
	ck_assert_int_eq(fake_nheld(&e.fake), LFS_IO_MAX_ABANDONED);

	calls = e.fake.submit_calls;
	t0 = tclock_ms(&e.clk);
	ck_assert_int_eq(lfs_io_read(&e.io, 0, bufs[0], LEN), -EIO);
	ck_assert_int_eq(e.fake.submit_calls, calls); /* nothing submitted */
	ck_assert_uint_eq(since(&e, t0), 0);          /* nor waited for */
	ck_assert_uint_eq(e.io.stats.timeouts, LFS_IO_MAX_ABANDONED);
	ck_assert_int_eq(e.cap.count[LOG_ERR], 1);
	ck_assert_ptr_nonnull(strstr(e.cap.last[LOG_ERR], "storage hung: 32"));

	/* once the storage answers, the next I/O reaps and proceeds */
	e.fake.release = 1;
	fake_script(&e.fake, 0, ACT_NOW, 0);
	ck_assert_int_eq(lfs_io_read(&e.io, 0, bufs[0], LEN), 0);
	ck_assert_uint_eq(e.io.stats.abandoned, 0);
	ck_assert_int_eq(e.cap.count[LOG_NOTICE], LFS_IO_MAX_ABANDONED);
	env_close(&e);
}
END_TEST

START_TEST(test_getevents_failure_abandons)
{
	char buf[512];
	struct env e;
	uint64_t t0;

	env_open_fake(&e, FAKE_TIMEOUT_MS);
	fake_script(&e.fake, 0, ACT_HANG, 0);
	e.fake.fail_getevents = -EFAULT;
	t0 = tclock_ms(&e.clk);
	ck_assert_int_eq(lfs_io_read(&e.io, 0, buf, sizeof(buf)), -EFAULT);
	ck_assert_uint_eq(since(&e, t0), 0); /* gave up at once */
	ck_assert_uint_eq(e.io.stats.abandoned, 1);
	ck_assert_int_eq(e.cap.count[LOG_ERR], 1);
	ck_assert_ptr_nonnull(strstr(e.cap.last[LOG_ERR],
	    "io_getevents failed: -14"));
	e.fake.release = 1;
	ck_assert_uint_eq(lfs_io_reap(&e.io), 0);
	env_close(&e);
}
END_TEST

/* An abandoned I/O's buffer belongs to the kernel: no I/O may run on it until
 * its late completion is reaped, after which it is a spare like any other.
 * Were it reused early, the late completion (done here by the fake, after
 * all the I/Os below) would land in another I/O's buffer; were it freed,
 * ASan would report the fake's write into it. */
START_TEST(test_hung_buffer_not_reused)
{
	enum { LEN = 64u << 10, B = LFS_IO_MAX_BATCH };
	static char w[LEN], r[B][LEN];
	struct lfs_io_req reqs[B];
	struct env e;
	void *hung;
	int i, seq0, seen;

	env_open_fake(&e, 50);
	fill(w, LEN, 3);
	ck_assert_int_eq(lfs_io_write(&e.io, 0, w, LEN), 0);
	fake_script(&e.fake, 0, ACT_HANG, 0);
	ck_assert_int_eq(lfs_io_read(&e.io, 0, r[0], LEN), -ETIMEDOUT);
	ck_assert_int_eq(fake_nheld(&e.fake), 1);
	hung = fake_held_buf(&e.fake, 0);
	ck_assert_ptr_eq(hung, e.fake.buf[0]); /* the write's buffer, reused */
	ck_assert_uint_eq(e.io.stats.buffer_allocs, 1);

	/* while it hangs: single I/Os, then a full batch, none on its buffer */
	seq0 = e.fake.seq;
	for (i = 0; i < 4; i++) {
		fill(r[1], LEN, 10u + (unsigned)i);
		ck_assert_int_eq(lfs_io_write(&e.io, (uint64_t)(2 + i) * LEN,
		    r[1], LEN), 0);
		ck_assert_int_eq(lfs_io_read(&e.io, (uint64_t)(2 + i) * LEN,
		    r[2], LEN), 0);
		ck_assert_mem_eq(r[1], r[2], LEN);
	}
	ck_assert_uint_eq(e.io.stats.buffer_allocs, 2);
	for (i = 0; i < B; i++) {
		reqs[i].op = LFS_IO_READ;
		reqs[i].offset = 0;
		reqs[i].buf = r[i];
		reqs[i].len = LEN;
	}
	ck_assert_int_eq(lfs_io_batch(&e.io, reqs, B), 0);
	for (i = 0; i < B; i++)
		ck_assert_mem_eq(r[i], w, LEN);
	for (i = seq0; i < e.fake.seq; i++)
		ck_assert_ptr_ne(e.fake.buf[i], hung);
	ck_assert_uint_eq(e.io.stats.abandoned, 1);

	/* the device answers: this read reaps it, and it is a spare again */
	e.fake.release = 1;
	ck_assert_int_eq(lfs_io_read(&e.io, 0, r[0], LEN), 0);
	ck_assert_mem_eq(r[0], w, LEN);
	ck_assert_uint_eq(e.io.stats.abandoned, 0);
	ck_assert_int_eq(e.cap.count[LOG_NOTICE], 1);
	seq0 = e.fake.seq;
	ck_assert_int_eq(lfs_io_batch(&e.io, reqs, 4), 0);
	for (i = seq0, seen = 0; i < e.fake.seq; i++)
		seen += e.fake.buf[i] == hung;
	ck_assert_int_eq(seen, 1);
	env_close(&e);
}
END_TEST

/* A write that timed out has an unknown outcome, not a failed one: it may
 * still land, with the data the caller gave.  Until it does, its bounce
 * buffer must keep that data: had the read in between run on it, the late
 * write would land what that read put there (the old sector). */
START_TEST(test_late_write_lands)
{
	enum { LEN = 4096 };
	char w_old[LEN], w_new[LEN], want[LEN], r[LEN];
	struct env e;

	env_open_fake(&e, FAKE_TIMEOUT_MS);
	fill(w_old, LEN, 31);
	fill(w_new, LEN, 32);
	memcpy(want, w_new, LEN);
	ck_assert_int_eq(lfs_io_write(&e.io, 8 * LEN, w_old, LEN), 0);
	fake_script(&e.fake, 0, ACT_DELAY, FAKE_TIMEOUT_MS + 100);
	ck_assert_int_eq(lfs_io_write(&e.io, 8 * LEN, w_new, LEN), -ETIMEDOUT);
	memset(w_new, 0xEE, LEN); /* the caller's buffer is free once we return */
	ck_assert_int_eq(lfs_io_read(&e.io, 8 * LEN, r, LEN), 0);
	ck_assert_mem_eq(r, w_old, LEN);       /* not landed yet */
	ck_assert_uint_eq(e.io.stats.abandoned, 1);
	tclock_advance(&e.clk, 100);
	ck_assert_int_eq(lfs_io_read(&e.io, 8 * LEN, r, LEN), 0);
	ck_assert_mem_eq(r, want, LEN);        /* landed, then reaped */
	ck_assert_uint_eq(e.io.stats.abandoned, 0);
	ck_assert_ptr_nonnull(strstr(e.cap.last[LOG_NOTICE], "late write #2 "
	    "completed after 300 ms (result 0)"));
	ck_assert_uint_eq(e.io.stats.writes, 1);
	ck_assert_uint_eq(e.io.stats.timeouts, 1);
	env_close(&e);
}
END_TEST

/* ---- errors ---------------------------------------------------------------- */

START_TEST(test_injected_eio)
{
	char buf[512];
	struct env e;
	uint64_t t0;

	env_open_fake(&e, FAKE_TIMEOUT_MS);
	fake_script(&e.fake, 0, ACT_RESULT, -EIO);
	memset(buf, 0x5A, sizeof(buf));
	t0 = tclock_ms(&e.clk);
	ck_assert_int_eq(lfs_io_read(&e.io, 0, buf, sizeof(buf)), -EIO);
	ck_assert(all_bytes(buf, sizeof(buf), 0x5A));
	fake_script(&e.fake, 0, ACT_RESULT, -ENOSPC);
	ck_assert_int_eq(lfs_io_write(&e.io, 0, buf, sizeof(buf)), -ENOSPC);
	ck_assert_uint_eq(since(&e, t0), 0); /* an error is no timeout */
	ck_assert_uint_eq(e.io.stats.errors, 2);
	ck_assert_uint_eq(e.io.stats.reads, 0);
	ck_assert_uint_eq(e.io.stats.writes, 0);
	ck_assert_uint_eq(e.io.stats.timeouts, 0);
	ck_assert_uint_eq(e.io.stats.abandoned, 0);
	env_close(&e);
}
END_TEST

START_TEST(test_short_io)
{
	char buf[4096];
	struct env e;

	env_open_fake(&e, FAKE_TIMEOUT_MS);
	fake_script(&e.fake, 0, ACT_RESULT, 2048);
	memset(buf, 0x5A, sizeof(buf));
	ck_assert_int_eq(lfs_io_read(&e.io, 0, buf, sizeof(buf)), -EIO);
	ck_assert(all_bytes(buf, sizeof(buf), 0x5A));
	fake_script(&e.fake, 0, ACT_RESULT, 0);
	ck_assert_int_eq(lfs_io_write(&e.io, 0, buf, sizeof(buf)), -EIO);
	ck_assert_uint_eq(e.io.stats.errors, 2);
	ck_assert_uint_eq(e.io.stats.timeouts, 0);
	env_close(&e);
}
END_TEST

START_TEST(test_partial_submit)
{
	enum { LEN = 512 };
	char w[3][LEN], r[LEN];
	struct lfs_io_req reqs[3];
	struct env e;
	uint64_t t0;
	int i;

	env_open_fake(&e, FAKE_TIMEOUT_MS);
	for (i = 0; i < 3; i++) {
		fill(w[i], LEN, 50u + (unsigned)i);
		reqs[i].op = LFS_IO_WRITE;
		reqs[i].offset = (uint64_t)(200 + i) * LEN;
		reqs[i].buf = w[i];
		reqs[i].len = LEN;
	}
	/* the kernel takes the first, refuses the second: the rest is
	 * submitted again and refused with the error */
	fake_script(&e.fake, 1, ACT_REJECT, -EAGAIN);
	fake_script(&e.fake, 2, ACT_REJECT, -EBADF);
	ck_assert_int_eq(lfs_io_batch(&e.io, reqs, 3), -EBADF);
	ck_assert_int_eq(e.fake.submit_calls, 2);
	ck_assert_uint_eq(e.io.stats.writes, 1);
	ck_assert_uint_eq(e.io.stats.errors, 2);
	ck_assert_uint_eq(e.io.stats.abandoned, 0);
	ck_assert_int_eq(e.fake.nio, 0);
	/* the fake lands a write when its completion is reaped: so the
	 * submitted one was waited for */
	ck_assert_int_eq(lfs_io_read(&e.io, 200 * LEN, r, LEN), 0);
	ck_assert_mem_eq(r, w[0], LEN);

	/* refused at once: nothing in flight, nothing waited for */
	fake_script(&e.fake, 0, ACT_REJECT, -EINVAL);
	t0 = tclock_ms(&e.clk);
	ck_assert_int_eq(lfs_io_write(&e.io, 0, w[0], LEN), -EINVAL);
	ck_assert_uint_eq(since(&e, t0), 0);
	ck_assert_uint_eq(e.io.stats.errors, 3);
	env_close(&e);
}
END_TEST

START_TEST(test_stats)
{
	char buf[8192];
	struct env e;
	uint64_t t0;

	env_open_fake(&e, FAKE_TIMEOUT_MS);
	memset(buf, 1, sizeof(buf));
	ck_assert_int_eq(lfs_io_write(&e.io, 0, buf, 512), 0);
	ck_assert_int_eq(lfs_io_write(&e.io, 4096, buf, 8192), 0);
	ck_assert_int_eq(lfs_io_read(&e.io, 0, buf, 4096), 0);
	fake_script(&e.fake, 0, ACT_RESULT, -EIO);
	ck_assert_int_eq(lfs_io_read(&e.io, 0, buf, 4096), -EIO);
	fake_script(&e.fake, 0, ACT_HANG, 0);
	t0 = tclock_ms(&e.clk);
	ck_assert_int_eq(lfs_io_write(&e.io, 0, buf, 512), -ETIMEDOUT);
	ck_assert_uint_eq(since(&e, t0), FAKE_TIMEOUT_MS);
	ck_assert_uint_eq(e.io.stats.writes, 2);
	ck_assert_uint_eq(e.io.stats.bytes_written, 512 + 8192);
	ck_assert_uint_eq(e.io.stats.reads, 1);
	ck_assert_uint_eq(e.io.stats.bytes_read, 4096);
	ck_assert_uint_eq(e.io.stats.errors, 1);
	ck_assert_uint_eq(e.io.stats.timeouts, 1);
	ck_assert_uint_eq(e.io.stats.abandoned, 1);
	e.fake.release = 1;
	ck_assert_uint_eq(lfs_io_reap(&e.io), 0);
	/* a late completion counts as neither success nor error */
	ck_assert_uint_eq(e.io.stats.writes, 2);
	ck_assert_uint_eq(e.io.stats.errors, 1);
	ck_assert_uint_eq(e.io.stats.timeouts, 1);
	env_close(&e);
}
END_TEST

/* A verify that answers from a script, one answer a call, then 0. */
struct answers {
	const int *rv;
	int n, calls;
};

static int
scripted_verify(void *arg, const void *buf, size_t len)
{
	struct answers *a = arg;

	(void)buf;
	(void)len;
	return a->calls < a->n ? a->rv[a->calls++] : (a->calls++, 0);
}

/*
 * lfs_io_read_verified() reads again while the verify says what a
 * decoder says of a record torn by a write of its sector (ondisk.h): bad
 * magic, version or checksum, as a torn name entry of a delete (new zeros
 * over the old entry's tail) says bad magic; a field out of range is said
 * only after the checksum passed, so it is the record's own, returned at
 * once.  After LFS_IO_REREADS more reads the last answer stands.
 */
START_TEST(test_read_verified_torn)
{
	static const int torn[] = { -EBADMSG, -EPROTO, -EBADE };
	static const int range[] = { -ERANGE };
	static const int always[] = { -EBADMSG, -EBADMSG, -EBADMSG, -EBADMSG,
		-EBADMSG };
	struct answers a = { torn, 3, 0 };
	char buf[512];
	struct env e;

	env_open_fake(&e, FAKE_TIMEOUT_MS);
	ck_assert_int_eq(lfs_io_read_verified(&e.io, 0, buf, 512,
	    scripted_verify, &a), 0);
	ck_assert_int_eq(a.calls, 4);
	ck_assert_uint_eq(e.io.stats.rereads, 3);
	ck_assert_uint_eq(e.io.stats.reads, 4);
	a = (struct answers){ range, 1, 0 };
	ck_assert_int_eq(lfs_io_read_verified(&e.io, 0, buf, 512,
	    scripted_verify, &a), -ERANGE);
	ck_assert_int_eq(a.calls, 1);
	a = (struct answers){ always, 5, 0 };
	ck_assert_int_eq(lfs_io_read_verified(&e.io, 0, buf, 512,
	    scripted_verify, &a), -EBADMSG);
	ck_assert_int_eq(a.calls, 1 + LFS_IO_REREADS);
	ck_assert_uint_eq(e.io.stats.rereads, 3 + LFS_IO_REREADS);
	env_close(&e);
}
END_TEST

/* ---- main ------------------------------------------------------------------ */

static Suite *
diskio_suite(void)
{
	Suite *s = suite_create("diskio");
	TCase *dev = tcase_create("device");
	TCase *io = tcase_create("io");
	TCase *faults = tcase_create("faults");

	tcase_add_test(dev, test_disk_open_regular);
	tcase_add_test(dev, test_disk_open_errors);
	tcase_add_test(dev, test_init_errors);
	/* real disk: above REAL_TIMEOUT_MS, so that an I/O timing out is
	 * reported as such rather than as a killed test */
	tcase_add_test(io, test_round_trip_512);
	tcase_add_test(io, test_round_trip_4096);
	tcase_add_test(io, test_batch_mixed);
	tcase_add_test(io, test_invalid_requests);
	tcase_add_test(io, test_buffer_reuse);
	tcase_add_test(io, test_buffer_huge_class);
	tcase_set_timeout(io, 2 * REAL_TIMEOUT_MS / 1000);
	/* test clock: nothing here waits in real time */
	tcase_add_test(faults, test_timeout_boundary);
	tcase_add_test(faults, test_wait_wakes_early);
	tcase_add_test(faults, test_hang_then_late_completion);
	tcase_add_test(faults, test_hang_reaped_by_reap);
	tcase_add_test(faults, test_hang_in_batch);
	tcase_add_test(faults, test_destroy_waits_for_abandoned);
	tcase_add_test(faults, test_abandoned_limit);
	tcase_add_test(faults, test_getevents_failure_abandons);
	tcase_add_test(faults, test_hung_buffer_not_reused);
	tcase_add_test(faults, test_late_write_lands);
	tcase_add_test(faults, test_injected_eio);
	tcase_add_test(faults, test_read_verified_torn);
	tcase_add_test(faults, test_short_io);
	tcase_add_test(faults, test_partial_submit);
	tcase_add_test(faults, test_stats);
	tcase_set_timeout(faults, 30);
	suite_add_tcase(s, dev);
	suite_add_tcase(s, io);
	suite_add_tcase(s, faults);
	return s;
}

int
main(void)
{
	return lt_main("check_diskio", diskio_suite, TEST_FILE_SIZE);
}
