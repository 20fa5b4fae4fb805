/*
 * check_diskio.c - unit tests of core/diskio.c on a real O_DIRECT file.
 *
 * Normal I/O runs through the real kernel aio on a temporary file in a
 * directory where O_DIRECT works (tmpfs refuses it).  Faults come from a fake
 * system call table (struct fake) that delegates to libaio but, following a
 * per-iocb script, can hold an iocb forever (a hung device), complete it
 * with an error or a short count, or refuse it at submit.  A held iocb is
 * "completed" later by doing its I/O synchronously on the bounce buffer the
 * module left with the kernel: were that buffer already freed, ASan would
 * report the use after free.  The fake also records the bounce buffer of every
 * iocb, so tests can see which buffer each I/O ran on (spares are reused).
 *
 * The completion queue and table plumbing of the fake, the test file and
 * the runner are shared (lfs_test.h); set LFS_TEST_DIR to choose where the
 * temporary file goes.
 */
#include <sys/stat.h>

#include "lfs_test.h"

#define TEST_FILE_SIZE (4u << 20) /* bytes; room for every test's offsets */
#define TEST_TIMEOUT_MS 200u      /* ms; long enough for an idle local disk */

/* ---- a logger that counts what it is told ------------------------------- */

struct capture {
	int count[8];            /* per syslog priority */
	char last[8][512];       /* last message per priority */
};

static void
capture_fn(void *arg, int priority, const char *msg)
{
	struct capture *c = arg;

	c->count[priority & 7]++;
	snprintf(c->last[priority & 7], sizeof(c->last[0]), "%s", msg);
}

/* ---- the fake system call table ----------------------------------------- */

enum fake_act {
	ACT_REAL = 0,            /* hand it to the kernel */
	ACT_HANG,                /* keep it until fake.release */
	ACT_RESULT,              /* complete it at once with res */
	ACT_REJECT,              /* refuse it at submit with res (< 0) */
};

struct fake {
	enum fake_act act[FAKE_MAX];   /* by submission sequence number */
	long res[FAKE_MAX];
	int seq;                       /* iocbs seen by submit, refused too */
	int submit_calls;
	int getevents_calls;
	int release;                   /* complete held iocbs at next getevents */
	int release_at_call;           /* set release at this getevents call */
	int fail_getevents;            /* next getevents returns this (< 0) */
	void *buf[FAKE_MAX];           /* bounce buffer, by sequence number */
	struct iocb *held[FAKE_MAX];
	int nheld;
	struct fake_queue q;           /* completions for the next getevents */
};

static int
fake_submit(void *arg, io_context_t ctx, long nr, struct iocb **iocbs)
{
	struct fake *f = arg;
	long i;
	int r, seq;

	f->submit_calls++;
	for (i = 0; i < nr; i++) {
		seq = f->seq++;
		ck_assert_int_lt(seq, FAKE_MAX);
		f->buf[seq] = iocbs[i]->u.c.buf;
		switch (f->act[seq]) {
		case ACT_REAL:
			r = io_submit(ctx, 1, &iocbs[i]);
			if (r != 1)
				return i > 0 ? (int)i : r;
			break;
		case ACT_HANG:
			f->held[f->nheld++] = iocbs[i];
			break;
		case ACT_RESULT:
			fake_queue_push(&f->q, iocbs[i], f->res[seq]);
			break;
		case ACT_REJECT:
			return i > 0 ? (int)i : (int)f->res[seq];
		}
	}
	return (int)nr;
}

/* The "late" completion of a held iocb: its I/O done now, on the buffer the
 * module still owns.  The explicit memset/memcpy make ASan check the buffer. */
static void
fake_complete_held(struct fake *f)
{
	int i;

	for (i = 0; i < f->nheld; i++) {
		struct iocb *cb = f->held[i];
		void *buf = cb->u.c.buf;
		size_t len = cb->u.c.nbytes;
		ssize_t n;

		if (cb->aio_lio_opcode == IO_CMD_PREAD) {
			memset(buf, 0xAB, len);
			n = pread(cb->aio_fildes, buf, len, cb->u.c.offset);
		} else {
			char *copy = malloc(len);

			ck_assert_ptr_nonnull(copy);
			memcpy(copy, buf, len);
			free(copy);
			n = (ssize_t)len; /* a hung write is dropped, not landed */
		}
		fake_queue_push(&f->q, cb, n < 0 ? -errno : (long)n);
	}
	f->nheld = 0;
}

static int
fake_getevents(void *arg, io_context_t ctx, long min_nr, long nr,
    struct io_event *events, struct timespec *timeout)
{
	struct fake *f = arg;
	int r;

	f->getevents_calls++;
	if (f->fail_getevents < 0) {
		r = f->fail_getevents;
		f->fail_getevents = 0;
		return r;
	}
	if (f->release_at_call != 0 && f->getevents_calls >= f->release_at_call)
		f->release = 1;
	if (f->release)
		fake_complete_held(f);
	return fake_queue_getevents(&f->q, ctx, min_nr, nr, events, timeout);
}

/* ---- helpers -------------------------------------------------------------- */

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

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

/* A test's world: the disk, a context on it, a fake and a logger. */
struct env {
	struct lfs_disk disk;
	struct lfs_io io;
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
	e->sys = fake_table_of(fake_submit, fake_getevents, &e->fake);
	e->log.fn = capture_fn;
	e->log.arg = &e->cap;
	e->log.max_priority = LOG_DEBUG;
	ck_assert_int_eq(lfs_io_init(&e->io, &e->disk, timeout_ms,
	    use_fake ? &e->sys : NULL, &e->log), 0);
}

static void
env_close(struct env *e)
{
	lfs_io_destroy(&e->io);
	lfs_disk_close(&e->disk);
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
	env_open(&e, TEST_TIMEOUT_MS, 0);
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

	env_open(&e, TEST_TIMEOUT_MS, 0);
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
	int i;

	env_open(&e, TEST_TIMEOUT_MS, 1);
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
	env_open(&e, TEST_TIMEOUT_MS, 0);
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

/* ---- hangs and abandoned I/O ---------------------------------------------- */

START_TEST(test_hang_then_late_completion)
{
	char buf[4096], w[4096];
	struct env e;
	uint64_t t0, took;

	env_open(&e, TEST_TIMEOUT_MS, 1);
	fill(w, sizeof(w), 7);
	ck_assert_int_eq(lfs_io_write(&e.io, 40960, w, sizeof(w)), 0);
	e.fake.act[e.fake.seq] = ACT_HANG;
	memset(buf, 0x5A, sizeof(buf));
	t0 = now_ms();
	ck_assert_int_eq(lfs_io_read(&e.io, 40960, buf, sizeof(buf)), -ETIMEDOUT);
	took = now_ms() - t0;
	ck_assert_uint_lt(took, 5 * TEST_TIMEOUT_MS);
	ck_assert(all_bytes(buf, sizeof(buf), 0x5A)); /* caller's buffer untouched */
	ck_assert_uint_eq(e.io.stats.abandoned, 1);
	ck_assert_uint_eq(e.io.stats.timeouts, 1);
	ck_assert_uint_eq(e.io.stats.errors, 0);
	ck_assert_uint_eq(e.io.stats.reads, 0);
	ck_assert_int_eq(e.cap.count[LOG_WARNING], 1);
	ck_assert_ptr_nonnull(strstr(e.cap.last[LOG_WARNING], "1 abandoned"));
	ck_assert_uint_eq(lfs_io_reap(&e.io), 1); /* still hung */

	/* The device answers; the kernel writes into the abandoned buffer, which
	 * must still be alive, and the next I/O reaps it. */
	e.fake.release = 1;
	ck_assert_int_eq(lfs_io_read(&e.io, 40960, buf, sizeof(buf)), 0);
	ck_assert_mem_eq(buf, w, sizeof(buf));
	ck_assert_uint_eq(e.io.stats.abandoned, 0);
	ck_assert_ptr_null(e.io.abandoned);
	ck_assert_int_eq(e.cap.count[LOG_NOTICE], 1);
	ck_assert_ptr_nonnull(strstr(e.cap.last[LOG_NOTICE], "completed after"));
	ck_assert_uint_eq(e.io.stats.reads, 1);
	env_close(&e);
}
END_TEST

START_TEST(test_hang_reaped_by_reap)
{
	char buf[512];
	struct env e;

	env_open(&e, 50, 1);
	e.fake.act[0] = ACT_HANG;
	e.fake.act[1] = ACT_HANG;
	ck_assert_int_eq(lfs_io_write(&e.io, 0, buf, sizeof(buf)), -ETIMEDOUT);
	ck_assert_int_eq(lfs_io_read(&e.io, 0, buf, sizeof(buf)), -ETIMEDOUT);
	ck_assert_uint_eq(e.io.stats.abandoned, 2);
	ck_assert_uint_eq(e.io.stats.timeouts, 2);
	e.fake.release = 1;
	ck_assert_uint_eq(lfs_io_reap(&e.io), 0);
	ck_assert_ptr_null(e.io.abandoned);
	ck_assert_int_eq(e.cap.count[LOG_NOTICE], 2);
	env_close(&e);
}
END_TEST

START_TEST(test_hang_in_batch)
{
	enum { LEN = 512 };
	char w[LEN], r0[LEN], r2[LEN];
	struct lfs_io_req reqs[3] = {
		{ LFS_IO_READ, 100 * LEN, r0, LEN },
		{ LFS_IO_WRITE, 101 * LEN, w, LEN },
		{ LFS_IO_READ, 102 * LEN, r2, LEN },
	};
	struct env e;

	env_open(&e, TEST_TIMEOUT_MS, 0);
	fill(w, LEN, 9);
	ck_assert_int_eq(lfs_io_write(&e.io, 100 * LEN, w, LEN), 0);
	env_close(&e);

	env_open(&e, TEST_TIMEOUT_MS, 1);
	e.fake.act[2] = ACT_HANG; /* the second read */
	memset(r0, 0, LEN);
	memset(r2, 0x5A, LEN);
	ck_assert_int_eq(lfs_io_batch(&e.io, reqs, 3), -ETIMEDOUT);
	ck_assert_mem_eq(r0, w, LEN);          /* its own read succeeded */
	ck_assert(all_bytes(r2, LEN, 0x5A));   /* the hung one left alone */
	ck_assert_uint_eq(e.io.stats.reads, 1);
	ck_assert_uint_eq(e.io.stats.writes, 1);
	ck_assert_uint_eq(e.io.stats.timeouts, 1);
	ck_assert_uint_eq(e.io.stats.abandoned, 1);
	e.fake.release_at_call = e.fake.getevents_calls + 1;
	env_close(&e); /* destroy waits for it, then frees it */
	ck_assert_int_eq(e.fake.nheld, 0);
	ck_assert_int_eq(e.cap.count[LOG_NOTICE], 1);
}
END_TEST

START_TEST(test_destroy_waits_for_abandoned)
{
	char buf[512];
	struct env e;

	env_open(&e, 50, 1);
	e.fake.act[0] = ACT_HANG;
	ck_assert_int_eq(lfs_io_read(&e.io, 0, buf, sizeof(buf)), -ETIMEDOUT);
	/* released at destroy's first wait: a later one would take the 10 s
	 * that destroy waits between its log lines */
	e.fake.release_at_call = e.fake.getevents_calls + 1;
	ck_assert_int_eq(e.fake.nheld, 1);
	lfs_io_destroy(&e.io);
	ck_assert_int_eq(e.fake.nheld, 0);
	ck_assert_uint_eq(e.io.stats.abandoned, 0);
	ck_assert_ptr_null(e.io.abandoned);
	ck_assert_int_eq(e.cap.count[LOG_NOTICE], 1);
	lfs_io_destroy(&e.io); /* twice is harmless */
	lfs_disk_close(&e.disk);
}
END_TEST

START_TEST(test_abandoned_limit)
{
	enum { LEN = 512 };
	static char bufs[LFS_IO_MAX_BATCH][LEN];
	struct lfs_io_req reqs[LFS_IO_MAX_BATCH];
	struct env e;
	int i, round, calls;

	env_open(&e, 30, 1);
	for (i = 0; i < FAKE_MAX; i++)
		e.fake.act[i] = ACT_HANG;
	for (i = 0; i < LFS_IO_MAX_BATCH; i++) {
		reqs[i].op = i % 2 ? LFS_IO_WRITE : LFS_IO_READ;
		reqs[i].offset = (uint64_t)i * LEN;
		reqs[i].buf = bufs[i];
		reqs[i].len = LEN;
	}
	for (round = 0; round < LFS_IO_MAX_ABANDONED / LFS_IO_MAX_BATCH; round++)
		ck_assert_int_eq(lfs_io_batch(&e.io, reqs, LFS_IO_MAX_BATCH),
		    -ETIMEDOUT);
	ck_assert_uint_eq(e.io.stats.abandoned, LFS_IO_MAX_ABANDONED);
	ck_assert_uint_eq(e.io.stats.timeouts, LFS_IO_MAX_ABANDONED);

	calls = e.fake.submit_calls;
	ck_assert_int_eq(lfs_io_read(&e.io, 0, bufs[0], LEN), -EIO);
	ck_assert_int_eq(e.fake.submit_calls, calls); /* nothing submitted */
	ck_assert_int_eq(e.cap.count[LOG_ERR], 1);
	ck_assert_ptr_nonnull(strstr(e.cap.last[LOG_ERR], "storage hung: 32"));

	/* once the storage answers, the next I/O reaps and proceeds */
	e.fake.release = 1;
	e.fake.act[e.fake.seq] = ACT_REAL;
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

	env_open(&e, TEST_TIMEOUT_MS, 1);
	e.fake.act[0] = ACT_HANG;
	e.fake.fail_getevents = -EFAULT;
	ck_assert_int_eq(lfs_io_read(&e.io, 0, buf, sizeof(buf)), -EFAULT);
	ck_assert_uint_eq(e.io.stats.abandoned, 1);
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

	env_open(&e, 50, 1);
	fill(w, LEN, 3);
	ck_assert_int_eq(lfs_io_write(&e.io, 0, w, LEN), 0);
	e.fake.act[1] = ACT_HANG;
	ck_assert_int_eq(lfs_io_read(&e.io, 0, r[0], LEN), -ETIMEDOUT);
	ck_assert_int_eq(e.fake.nheld, 1);
	hung = e.fake.held[0]->u.c.buf;
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

/* ---- errors ---------------------------------------------------------------- */

START_TEST(test_injected_eio)
{
	char buf[512];
	struct env e;

	env_open(&e, TEST_TIMEOUT_MS, 1);
	e.fake.act[0] = ACT_RESULT;
	e.fake.res[0] = -EIO;
	memset(buf, 0x5A, sizeof(buf));
	ck_assert_int_eq(lfs_io_read(&e.io, 0, buf, sizeof(buf)), -EIO);
	ck_assert(all_bytes(buf, sizeof(buf), 0x5A));
	e.fake.act[1] = ACT_RESULT;
	e.fake.res[1] = -ENOSPC;
	ck_assert_int_eq(lfs_io_write(&e.io, 0, buf, sizeof(buf)), -ENOSPC);
	ck_assert_uint_eq(e.io.stats.errors, 2);
	ck_assert_uint_eq(e.io.stats.reads, 0);
	ck_assert_uint_eq(e.io.stats.writes, 0);
	ck_assert_uint_eq(e.io.stats.abandoned, 0);
	env_close(&e);
}
END_TEST

START_TEST(test_short_io)
{
	char buf[4096];
	struct env e;

	env_open(&e, TEST_TIMEOUT_MS, 1);
	e.fake.act[0] = ACT_RESULT;
	e.fake.res[0] = 2048;
	memset(buf, 0x5A, sizeof(buf));
	ck_assert_int_eq(lfs_io_read(&e.io, 0, buf, sizeof(buf)), -EIO);
	ck_assert(all_bytes(buf, sizeof(buf), 0x5A));
	e.fake.act[1] = ACT_RESULT;
	e.fake.res[1] = 0;
	ck_assert_int_eq(lfs_io_write(&e.io, 0, buf, sizeof(buf)), -EIO);
	ck_assert_uint_eq(e.io.stats.errors, 2);
	env_close(&e);
}
END_TEST

START_TEST(test_partial_submit)
{
	enum { LEN = 512 };
	char w[3][LEN], r[LEN];
	struct lfs_io_req reqs[3];
	struct env e;
	int i;

	env_open(&e, TEST_TIMEOUT_MS, 1);
	for (i = 0; i < 3; i++) {
		fill(w[i], LEN, 50u + (unsigned)i);
		reqs[i].op = LFS_IO_WRITE;
		reqs[i].offset = (uint64_t)(200 + i) * LEN;
		reqs[i].buf = w[i];
		reqs[i].len = LEN;
	}
	/* the kernel takes the first, refuses the second: the rest is
	 * submitted again and refused with the error */
	e.fake.act[1] = ACT_REJECT;
	e.fake.res[1] = -EAGAIN;
	e.fake.act[2] = ACT_REJECT;
	e.fake.res[2] = -EBADF;
	ck_assert_int_eq(lfs_io_batch(&e.io, reqs, 3), -EBADF);
	ck_assert_int_eq(e.fake.submit_calls, 2);
	ck_assert_uint_eq(e.io.stats.writes, 1);
	ck_assert_uint_eq(e.io.stats.errors, 2);
	ck_assert_uint_eq(e.io.stats.abandoned, 0);
	ck_assert_int_eq(lfs_io_read(&e.io, 200 * LEN, r, LEN), 0);
	ck_assert_mem_eq(r, w[0], LEN); /* the submitted one was waited for */

	/* refused at once: nothing in flight, nothing waited for */
	e.fake.act[e.fake.seq] = ACT_REJECT;
	e.fake.res[e.fake.seq] = -EINVAL;
	ck_assert_int_eq(lfs_io_write(&e.io, 0, w[0], LEN), -EINVAL);
	ck_assert_uint_eq(e.io.stats.errors, 3);
	env_close(&e);
}
END_TEST

START_TEST(test_stats)
{
	char buf[8192];
	struct env e;

	env_open(&e, TEST_TIMEOUT_MS, 1);
	memset(buf, 1, sizeof(buf));
	ck_assert_int_eq(lfs_io_write(&e.io, 0, buf, 512), 0);
	ck_assert_int_eq(lfs_io_write(&e.io, 4096, buf, 8192), 0);
	ck_assert_int_eq(lfs_io_read(&e.io, 0, buf, 4096), 0);
	e.fake.act[e.fake.seq] = ACT_RESULT;
	e.fake.res[e.fake.seq] = -EIO;
	ck_assert_int_eq(lfs_io_read(&e.io, 0, buf, 4096), -EIO);
	e.fake.act[e.fake.seq] = ACT_HANG;
	ck_assert_int_eq(lfs_io_write(&e.io, 0, buf, 512), -ETIMEDOUT);
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
	tcase_add_test(io, test_round_trip_512);
	tcase_add_test(io, test_round_trip_4096);
	tcase_add_test(io, test_batch_mixed);
	tcase_add_test(io, test_invalid_requests);
	tcase_add_test(io, test_buffer_reuse);
	tcase_add_test(faults, test_hang_then_late_completion);
	tcase_add_test(faults, test_hang_reaped_by_reap);
	tcase_add_test(faults, test_hang_in_batch);
	tcase_add_test(faults, test_destroy_waits_for_abandoned);
	tcase_add_test(faults, test_abandoned_limit);
	tcase_add_test(faults, test_getevents_failure_abandons);
	tcase_add_test(faults, test_hung_buffer_not_reused);
	tcase_add_test(faults, test_injected_eio);
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
