/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * diskio.c - sector I/O on the shared device: O_DIRECT, libaio, timeouts.
 *
 * This file owns the device descriptor (struct lfs_disk), the aio contexts
 * (struct lfs_io) and every bounce buffer handed to the kernel.  It keeps the
 * promises written in diskio.h; the one that shapes everything here is that
 * an I/O which does not complete in time is abandoned, never freed.
 *
 * Sections:
 *   1. the device: lfs_disk_open(), lfs_disk_close()
 *   2. the default system call table (libaio)
 *   3. bounce buffers: allocation and the context's spares
 *   4. one I/O in flight: struct lfs_io_pending, allocation, results
 *   5. events: matching a completion to its owner, reaping abandoned I/O
 *   6. a batch: validate, submit, wait until the deadline, finish
 *   7. the context: lfs_io_init(), lfs_io_reap(), lfs_io_destroy()
 *
 * Why a timed-out buffer cannot be freed
 * --------------------------------------
 * io_submit(2) hands the kernel the address of our bounce buffer.  From then
 * until the I/O's completion event is reaped, the device may DMA into that
 * memory (a read) or out of it (a write), or the kernel may copy into it,
 * whenever the storage finally answers: after our timeout, minutes later, or
 * never.  Nothing in user space can revoke that: io_cancel(2) is not
 * implemented for reads and writes on block devices and regular files (it
 * fails with EINVAL, and the I/O stays in flight), so we do not call it.  Were
 * we to free the buffer at the timeout, malloc would hand the memory to
 * someone else, and the late completion would overwrite their data, e.g. a
 * lease record being encoded, silently and long after the fact.  So a
 * timed-out I/O moves, buffer and all, to the context's abandoned list; it is
 * freed only when its event is reaped (by a later lfs_io_batch() or
 * lfs_io_reap() on the same context) or after lfs_io_destroy() has waited for
 * it.  A write that timed out may still land on the disk later: callers must
 * treat its outcome as unknown, not as failed.
 *
 * The number of abandoned I/Os per context is bounded (LFS_IO_MAX_ABANDONED):
 * past that the storage is hung, new I/O fails with -EIO without being
 * submitted, and the memory held stays bounded too.
 *
 * Why bounce buffers are reused
 * -----------------------------
 * A fresh 1 MiB buffer costs its page faults on first touch: about 3 ms per
 * 1 MiB read on a small VM, against well under 1 ms on a buffer touched
 * before, and renewals read 1 MiB every few seconds.  So a buffer the kernel
 * has given back goes to the context's spares (section 3) instead of free().
 * "Given back" is the same rule as above: an I/O completed and reaped, or one
 * never submitted.  An abandoned I/O's buffer reaches the spares only from
 * reap_late(), once its event has arrived; never from batch_abandon().
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "diskio.h"
#include "ondisk.h"

#define LFS_IO_BUF_ALIGN 4096u     /* bytes; covers 512 B and 4 KiB sectors */
#define LFS_IO_FILE_SECTOR 512u    /* bytes; alignment asked of regular files */
#define LFS_IO_DESTROY_LOG_MS 10000 /* ms; how often destroy says it still waits */

/* Spare bounce buffers.  Four cover what one context uses between two I/Os
 * (a renewal batch is two, a ballot reads one slot at a time). */
#define LFS_IO_SPARES 4
/* bytes; sizes up to this round up to a power of two, larger ones to a
 * multiple of it, so near sizes share a buffer and at most 64 KiB is wasted */
#define LFS_IO_CLASS_STEP (64u << 10)
/* bytes; a larger buffer is freed, not kept.  Covers one read of a whole
 * lease area (2000 hosts of 4 KiB sectors, about 8 MiB) with room, and bounds
 * what spares hold to LFS_IO_SPARES times this per context. */
#define LFS_IO_SPARE_MAX (16u << 20)

/* bytes; a buffer this big or bigger is a multiple of it, aligned to it and
 * marked MADV_HUGEPAGE: the size of a transparent huge page on x86-64.  An
 * O_DIRECT read pins every page of its buffer (get_user_pages), 2,048 of
 * them for the 8 MiB dblock area of 2,000 hosts at 4 KiB sectors; with huge
 * pages that is 4, and the read took 0.8-1.1 ms instead of 2.4-2.6 ms here
 * (issue 15).  Only a hint: without THP the buffer is as before. */
#define LFS_IO_HUGE (2u << 20)

/* Every I/O a context can have in flight: a full batch plus the abandoned. */
#define LFS_IO_MAX_INFLIGHT (LFS_IO_MAX_BATCH + LFS_IO_MAX_ABANDONED)
/* io_setup(2) size: the in-flight bound plus slack, so a full ring never
 * makes io_submit() fail with EAGAIN while we are within our own bounds. */
#define LFS_IO_RING_EVENTS (LFS_IO_MAX_INFLIGHT + 8)

/* ---- 1. the device ---------------------------------------------------- */

static int
disk_probe_blockdev(struct lfs_disk *d)
{
	int ssz = 0;
	uint64_t bytes = 0;

	if (ioctl(d->fd, BLKSSZGET, &ssz) < 0)
		return -errno;
	if (ioctl(d->fd, BLKGETSIZE64, &bytes) < 0)
		return -errno;
	if (ssz <= 0)
		return -EINVAL;
	d->sector_size = (uint32_t)ssz;
	d->size = bytes;
	d->is_blockdev = 1;
	return 0;
}

int
lfs_disk_open(struct lfs_disk *d, const char *path)
{
	struct stat st;
	size_t plen;
	int rv;

	memset(d, 0, sizeof(*d));
	d->fd = -1;
	plen = strlen(path);
	if (plen >= sizeof(d->path))
		return -ENAMETOOLONG;
	memcpy(d->path, path, plen + 1);

	/* O_DSYNC: a write completes only once it is on stable storage (FUA
	 * or a cache flush), so a lease write that other hosts were told
	 * about cannot vanish from a volatile write cache at a power loss. */
	d->fd = open(path, O_RDWR | O_DIRECT | O_DSYNC | O_CLOEXEC);
	if (d->fd < 0)
		return -errno;
	if (fstat(d->fd, &st) < 0) {
		rv = -errno;
		goto fail;
	}
	if (S_ISBLK(st.st_mode)) {
		rv = disk_probe_blockdev(d);
		if (rv < 0)
			goto fail;
	} else if (S_ISREG(st.st_mode)) {
		d->sector_size = 0;
		d->size = (uint64_t)st.st_size;
		d->is_blockdev = 0;
	} else {
		rv = -EINVAL;
		goto fail;
	}
	return 0;
fail:
	close(d->fd);
	d->fd = -1;
	return rv;
}

void
lfs_disk_close(struct lfs_disk *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}

/* ---- 2. the default system call table ----------------------------------
 * libaio returns -errno from these calls and leaves errno alone. */

static int
sys_setup(int maxevents, io_context_t *ctx)
{
	return io_setup(maxevents, ctx);
}

static int
sys_destroy(io_context_t ctx)
{
	return io_destroy(ctx);
}

static int
sys_submit(void *arg, io_context_t ctx, long nr, struct iocb **iocbs)
{
	(void)arg;
	return io_submit(ctx, nr, iocbs);
}

static int
sys_getevents(void *arg, io_context_t ctx, long min_nr, long nr,
    struct io_event *events, struct timespec *timeout)
{
	(void)arg;
	return io_getevents(ctx, min_nr, nr, events, timeout);
}

const struct lfs_io_syscalls lfs_io_syscalls_default = {
	.setup = sys_setup,
	.destroy = sys_destroy,
	.submit = sys_submit,
	.getevents = sys_getevents,
	.arg = NULL,
	.clock = NULL,
};

/* ---- 3. bounce buffers -------------------------------------------------- */

struct lfs_io_spare {
	void *buf;                    /* LFS_IO_BUF_ALIGN aligned */
	size_t cap;                   /* bytes allocated */
};

/* Buffers no I/O and no kernel holds, owned by one context. */
struct lfs_io_spares {
	uint32_t n;                   /* used entries of slot[] */
	struct lfs_io_spare slot[LFS_IO_SPARES];
};

/* The bytes to allocate for an I/O of len bytes. */
static size_t
buf_class(size_t len)
{
	size_t cap = LFS_IO_BUF_ALIGN;

	if (len > SIZE_MAX - LFS_IO_HUGE)
		return len; /* cannot round; the allocation will fail anyway */
	if (len >= LFS_IO_HUGE)
		return (len + LFS_IO_HUGE - 1) / LFS_IO_HUGE * LFS_IO_HUGE;
	if (len > LFS_IO_CLASS_STEP)
		return (len + LFS_IO_CLASS_STEP - 1) / LFS_IO_CLASS_STEP *
		    LFS_IO_CLASS_STEP;
	while (cap < len)
		cap <<= 1;
	return cap;
}

/* A buffer of at least len bytes: the smallest spare that fits, else a new
 * one.  The caller owns it until buf_put(). */
static int
buf_get(struct lfs_io *io, size_t len, struct lfs_io_spare *out)
{
	struct lfs_io_spares *s = io->spares;
	uint32_t i, best = LFS_IO_SPARES;
	int rv;

	for (i = 0; s != NULL && i < s->n; i++) {
		if (s->slot[i].cap >= len && (best == LFS_IO_SPARES ||
		    s->slot[i].cap < s->slot[best].cap))
			best = i;
	}
	if (best < LFS_IO_SPARES) {
		*out = s->slot[best];
		s->slot[best] = s->slot[--s->n];
		return 0;
	}
	out->cap = buf_class(len);
	out->buf = NULL;
	rv = posix_memalign(&out->buf, out->cap >= LFS_IO_HUGE ? LFS_IO_HUGE :
	    LFS_IO_BUF_ALIGN, out->cap);
	if (rv != 0)
		return -rv; /* posix_memalign returns a positive errno */
	if (out->cap >= LFS_IO_HUGE)
		(void)madvise(out->buf, out->cap, MADV_HUGEPAGE); /* a hint */
	io->stats.buffer_allocs++;
	return 0;
}

/* Give back a buffer the kernel does not hold (never submitted, or reaped).
 * It becomes a spare unless too big; when the spares are full it replaces the
 * smallest one if larger (a big buffer is the costly one to fault in again),
 * and whatever is not kept is freed. */
static void
buf_put(struct lfs_io *io, void *buf, size_t cap)
{
	struct lfs_io_spares *s = io->spares;
	uint32_t i, small = 0;

	if (buf == NULL)
		return;
	if (s == NULL && cap <= LFS_IO_SPARE_MAX)
		s = io->spares = calloc(1, sizeof(*s));
	if (s == NULL || cap > LFS_IO_SPARE_MAX) {
		free(buf);
		return;
	}
	if (s->n < LFS_IO_SPARES) {
		s->slot[s->n].buf = buf;
		s->slot[s->n].cap = cap;
		s->n++;
		return;
	}
	for (i = 1; i < s->n; i++)
		if (s->slot[i].cap < s->slot[small].cap)
			small = i;
	if (s->slot[small].cap >= cap) {
		free(buf);
		return;
	}
	free(s->slot[small].buf);
	s->slot[small].buf = buf;
	s->slot[small].cap = cap;
}

static void
spares_free(struct lfs_io *io)
{
	struct lfs_io_spares *s = io->spares;
	uint32_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++)
		free(s->slot[i].buf);
	free(s);
	io->spares = NULL;
}

/* ---- 4. one I/O in flight ------------------------------------------------ */

struct lfs_io_pending {
	struct iocb iocb;             /* iocb.data points back at this struct */
	void *buffer;                 /* bounce buffer; the kernel's while
	                                 submitted && !done */
	size_t cap;                   /* bytes allocated for buffer */
	size_t len;                   /* bytes asked for */
	uint64_t tag;                 /* io->next_tag at creation, for logs */
	uint64_t submitted_ns;        /* monotonic, for the late-I/O log line */
	struct lfs_io_pending *next;  /* in io->abandoned */
	enum lfs_io_op op;
	int submitted;                /* the kernel accepted the iocb */
	int abandoned;                /* moved to io->abandoned */
	int done;                     /* result is final */
	int result;                   /* 0 or -errno once done */
};

/* Only for an I/O the kernel does not hold: never submitted, or reaped.
 * Its buffer goes back to the spares. */
static void
pending_free(struct lfs_io *io, struct lfs_io_pending *p)
{
	if (p == NULL)
		return;
	buf_put(io, p->buffer, p->cap);
	free(p);
}

/* Set up the pending record and bounce buffer for req; a write's data is
 * copied in now, so the caller's buffer is free once we return. */
static int
pending_new(struct lfs_io *io, const struct lfs_io_req *req,
    struct lfs_io_pending **out)
{
	struct lfs_io_pending *p;
	struct lfs_io_spare sb;
	void *buf;
	int rv;

	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	rv = buf_get(io, req->len, &sb);
	if (rv < 0) {
		free(p);
		return rv;
	}
	buf = sb.buf;
	p->buffer = buf;
	p->cap = sb.cap;
	p->len = req->len;
	p->op = req->op;
	p->tag = io->next_tag++;
	if (req->op == LFS_IO_WRITE) {
		memcpy(buf, req->buf, req->len);
		io_prep_pwrite(&p->iocb, io->disk->fd, buf, req->len,
		    (long long)req->offset);
	} else {
		/* never hand back stale bytes, from the heap or a spare */
		memset(buf, 0, req->len);
		io_prep_pread(&p->iocb, io->disk->fd, buf, req->len,
		    (long long)req->offset);
	}
	p->iocb.data = p;
	*out = p;
	return 0;
}

/* The outcome of a completion event: a short transfer is an I/O error. */
static int
event_result(const struct lfs_io_pending *p, const struct io_event *ev)
{
	long res = (long)ev->res;

	if (res < 0)
		return (int)res;
	if ((size_t)res != p->len)
		return -EIO;
	return 0;
}

/* ---- 5. events ----------------------------------------------------------- */

static void
abandoned_unlink(struct lfs_io *io, struct lfs_io_pending *p)
{
	struct lfs_io_pending **pp;

	for (pp = &io->abandoned; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			p->next = NULL;
			io->stats.abandoned--;
			if (io->group_abandoned != NULL)
				atomic_fetch_sub(io->group_abandoned, 1);
			return;
		}
	}
}

/* An abandoned I/O finally completed: the kernel is done with its buffer.
 * Its result is only logged; whoever issued it was told -ETIMEDOUT. */
static void
reap_late(struct lfs_io *io, struct lfs_io_pending *p, const struct io_event *ev)
{
	uint64_t late_ms = (lfs_clock_ns(io->clock) - p->submitted_ns) /
	    1000000u;
	int result = event_result(p, ev);

	abandoned_unlink(io, p);
	lfs_log(io->log, LOG_NOTICE,
	    "%s: late %s #%" PRIu64 " completed after %" PRIu64 " ms "
	    "(result %d), %" PRIu32 " I/Os still abandoned",
	    io->disk->path, p->op == LFS_IO_READ ? "read" : "write", p->tag,
	    late_ms, result, io->stats.abandoned);
	pending_free(io, p); /* the kernel is done: the buffer may be reused */
}

/* Route one event to its owner, matching ev->data against the pointers we
 * know without dereferencing anything else: first the current batch (cur,
 * may be NULL), then the abandoned list.  An event matching nothing cannot
 * come from this module; it is logged and dropped. */
static void
handle_event(struct lfs_io *io, const struct io_event *ev,
    struct lfs_io_pending **cur, int n)
{
	struct lfs_io_pending *p;
	int i;

	for (i = 0; i < n; i++) {
		p = cur[i];
		if (ev->data == p && p->submitted && !p->done && !p->abandoned) {
			p->result = event_result(p, ev);
			p->done = 1;
			return;
		}
	}
	for (p = io->abandoned; p != NULL; p = p->next) {
		if (ev->data == p) {
			reap_late(io, p, ev);
			return;
		}
	}
	lfs_log(io->log, LOG_ERR, "%s: aio event for unknown iocb %p ignored",
	    io->disk->path, ev->data);
}

/* One non-blocking pass over completed events, abandoned ones only. */
uint32_t
lfs_io_reap(struct lfs_io *io)
{
	struct io_event ev[LFS_IO_RING_EVENTS];
	struct timespec zero = { 0, 0 };
	int got, i;

	while (io->stats.abandoned > 0) {
		got = io->sys->getevents(io->sys->arg, io->ctx, 0,
		    LFS_IO_RING_EVENTS, ev, &zero);
		if (got == -EINTR)
			continue;
		if (got <= 0)
			break;
		for (i = 0; i < got; i++)
			handle_event(io, &ev[i], NULL, 0);
		if (got < LFS_IO_RING_EVENTS)
			break;
	}
	return io->stats.abandoned;
}

void
lfs_io_set_group(struct lfs_io *io, _Atomic uint32_t *group)
{
	io->group_abandoned = group;
}

uint32_t
lfs_io_reap_group(struct lfs_io *io)
{
	uint32_t own = lfs_io_reap(io);

	return io->group_abandoned != NULL ? atomic_load(io->group_abandoned) :
	    own;
}

/* ---- 6. a batch ---------------------------------------------------------- */

static int
batch_validate(const struct lfs_io *io, const struct lfs_io_req *reqs, int n)
{
	uint64_t ss = io->disk->sector_size ? io->disk->sector_size
	                                    : LFS_IO_FILE_SECTOR;
	int i;

	if (n < 0 || n > LFS_IO_MAX_BATCH || (n > 0 && reqs == NULL))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		const struct lfs_io_req *r = &reqs[i];

		if (r->op != LFS_IO_READ && r->op != LFS_IO_WRITE)
			return -EINVAL;
		if (r->buf == NULL || r->len == 0 || r->len % ss != 0 ||
		    r->offset % ss != 0 || r->offset > (uint64_t)INT64_MAX - r->len)
			return -EINVAL;
	}
	return 0;
}

/* Refuse new I/O while the abandoned list is full: reap first, and if the
 * storage still holds that many I/Os, it is hung. */
static int
batch_admit(struct lfs_io *io, int n)
{
	if (io->stats.abandoned + (uint32_t)n <= LFS_IO_MAX_ABANDONED)
		return 0;
	lfs_io_reap(io);
	if (io->stats.abandoned + (uint32_t)n <= LFS_IO_MAX_ABANDONED)
		return 0;
	lfs_log(io->log, LOG_ERR, "%s: storage hung: %" PRIu32
	    " I/Os abandoned, refusing new I/O", io->disk->path,
	    io->stats.abandoned);
	return -EIO;
}

/* Submit cur[0..n).  On a partial submission the rest is submitted again,
 * which also fetches the kernel's error for the first one refused; I/Os that
 * cannot be submitted are done with that error (and free to release). */
static void
batch_submit(struct lfs_io *io, struct lfs_io_pending **cur, int n)
{
	struct iocb *iocbs[LFS_IO_MAX_BATCH];
	uint64_t now = lfs_clock_ns(io->clock);
	int i, at = 0, r;

	for (i = 0; i < n; i++) {
		iocbs[i] = &cur[i]->iocb;
		cur[i]->submitted_ns = now;
	}
	while (at < n) {
		r = io->sys->submit(io->sys->arg, io->ctx, n - at, &iocbs[at]);
		if (r == -EINTR)
			continue;
		if (r > n - at)
			r = n - at; /* a broken table must not make us overrun */
		if (r <= 0) {
			for (i = at; i < n; i++) {
				cur[i]->done = 1;
				cur[i]->result = r < 0 ? r : -EIO;
			}
			lfs_log(io->log, LOG_ERR, "%s: io_submit failed: %d, "
			    "%d of %d I/Os not submitted", io->disk->path,
			    r, n - at, n);
			return;
		}
		for (i = at; i < at + r; i++)
			cur[i]->submitted = 1;
		at += r;
	}
}

static int
batch_outstanding(struct lfs_io_pending **cur, int n)
{
	int i, left = 0;

	for (i = 0; i < n; i++)
		left += cur[i]->submitted && !cur[i]->done;
	return left;
}

/* Wait for the submitted I/Os until deadline_ns, reaping late events of
 * abandoned I/Os on the way.  Returns 0, or getevents' error, after which
 * the caller abandons whatever is still out (it may still complete). */
static int
batch_wait(struct lfs_io *io, struct lfs_io_pending **cur, int n,
    uint64_t deadline_ns)
{
	struct io_event ev[LFS_IO_RING_EVENTS];
	struct timespec ts;
	uint64_t now, left_ns;
	int left, got, i;

	while ((left = batch_outstanding(cur, n)) > 0) {
		now = lfs_clock_ns(io->clock);
		if (now >= deadline_ns)
			return 0;
		left_ns = deadline_ns - now;
		ts.tv_sec = (time_t)(left_ns / 1000000000u);
		ts.tv_nsec = (long)(left_ns % 1000000000u);
		got = io->sys->getevents(io->sys->arg, io->ctx, left,
		    LFS_IO_RING_EVENTS, ev, &ts);
		if (got == -EINTR)
			continue;
		if (got < 0) {
			lfs_log(io->log, LOG_ERR, "%s: io_getevents failed: %d",
			    io->disk->path, got);
			return got;
		}
		for (i = 0; i < got; i++)
			handle_event(io, &ev[i], cur, n);
	}
	return 0;
}

/* Past the deadline: every I/O still in flight goes, buffer and all, to the
 * abandoned list (see the top of this file for why it is not freed). */
static void
batch_abandon(struct lfs_io *io, struct lfs_io_pending **cur, int n)
{
	uint32_t count = 0;
	int i;

	for (i = 0; i < n; i++) {
		struct lfs_io_pending *p = cur[i];

		if (!p->submitted || p->done)
			continue;
		p->abandoned = 1;
		p->done = 1;
		p->result = -ETIMEDOUT;
		p->next = io->abandoned;
		io->abandoned = p;
		io->stats.abandoned++;
		if (io->group_abandoned != NULL)
			atomic_fetch_add(io->group_abandoned, 1);
		io->stats.timeouts++;
		count++;
	}
	if (count > 0)
		lfs_log(io->log, LOG_WARNING, "%s: %" PRIu32 " I/Os timed out "
		    "after %" PRIu32 " ms, %" PRIu32 " abandoned now",
		    io->disk->path, count, io->timeout_ms, io->stats.abandoned);
}

/* Copy reads out, count, release what the kernel no longer holds, and pick
 * the first error in request order. */
static int
batch_finish(struct lfs_io *io, struct lfs_io_req *reqs,
    struct lfs_io_pending **cur, int n)
{
	int i, first = 0;

	for (i = 0; i < n; i++) {
		struct lfs_io_pending *p = cur[i];

		if (p->result == 0 && p->op == LFS_IO_READ) {
			memcpy(reqs[i].buf, p->buffer, p->len);
			io->stats.reads++;
			io->stats.bytes_read += p->len;
		} else if (p->result == 0) {
			io->stats.writes++;
			io->stats.bytes_written += p->len;
		} else if (p->result != -ETIMEDOUT) {
			io->stats.errors++; /* refused at submit or failed */
		}
		if (p->result != 0 && first == 0)
			first = p->result;
		if (!p->abandoned)
			pending_free(io, p);
	}
	return first;
}

static int
io_batch_gated(struct lfs_io *io, struct lfs_io_req *reqs, int n,
    const struct lfs_io_gate *gate)
{
	struct lfs_io_pending *cur[LFS_IO_MAX_BATCH];
	uint64_t deadline_ns;
	int i, rv, wait_rv;

	rv = batch_validate(io, reqs, n);
	if (rv < 0 || n == 0)
		return rv;
	rv = batch_admit(io, n);
	if (rv < 0)
		return rv;
	for (i = 0; i < n; i++) {
		rv = pending_new(io, &reqs[i], &cur[i]);
		if (rv < 0) {
			while (i-- > 0)
				pending_free(io, cur[i]);
			return rv;
		}
	}
	if (gate != NULL && (rv = gate->enter(gate->arg)) < 0) {
		for (i = 0; i < n; i++)
			pending_free(io, cur[i]);
		return rv;      /* refused: nothing was submitted */
	}
	deadline_ns = lfs_clock_ns(io->clock) +
	    (uint64_t)io->timeout_ms * 1000000u;
	batch_submit(io, cur, n);
	if (gate != NULL)
		gate->leave(gate->arg);
	wait_rv = batch_wait(io, cur, n, deadline_ns);
	batch_abandon(io, cur, n);
	rv = batch_finish(io, reqs, cur, n);
	return wait_rv < 0 ? wait_rv : rv;
}

int
lfs_io_batch(struct lfs_io *io, struct lfs_io_req *reqs, int n)
{
	return io_batch_gated(io, reqs, n, NULL);
}

int
lfs_io_read(struct lfs_io *io, uint64_t offset, void *buf, size_t len)
{
	struct lfs_io_req req = {
		.op = LFS_IO_READ, .offset = offset, .buf = buf, .len = len,
	};

	return lfs_io_batch(io, &req, 1);
}

int
lfs_io_read_verified(struct lfs_io *io, uint64_t offset, void *buf,
    size_t len, lfs_io_verify_fn verify, void *arg)
{
	int rv, again, first = 0;

	for (again = 0;; again++) {
		if ((rv = lfs_io_read(io, offset, buf, len)) < 0)
			return rv;
		rv = verify(arg, buf, len);
		if (!lfs_decode_maybe_torn(rv) || again == LFS_IO_REREADS)
			break;
		if (first == 0)
			first = rv;
		io->stats.rereads++;
		lfs_clock_sleep(io->clock, LFS_IO_REREAD_PAUSE_MS);
	}
	if (again > 0)
		lfs_log(io->log, rv == 0 ? LOG_NOTICE : LOG_WARNING,
		    "%s: %zu bytes at %" PRIu64 ": %s, %s after %d more "
		    "reads", io->disk->path, len, offset,
		    lfs_decode_strerror(first),
		    rv == 0 ? "gone (a read that met a write)" : "still",
		    again);
	return rv;
}

int
lfs_io_write(struct lfs_io *io, uint64_t offset, const void *buf, size_t len)
{
	/* The buffer is only read (copied into the bounce buffer). */
	struct lfs_io_req req = {
		.op = LFS_IO_WRITE, .offset = offset, .buf = (void *)buf,
		.len = len,
	};

	return lfs_io_batch(io, &req, 1);
}

int
lfs_io_write_gated(struct lfs_io *io, uint64_t offset, const void *buf,
    size_t len, const struct lfs_io_gate *gate)
{
	struct lfs_io_req req = {
		.op = LFS_IO_WRITE, .offset = offset, .buf = (void *)buf,
		.len = len,
	};

	return io_batch_gated(io, &req, 1, gate);
}

/* ---- 7. the context ------------------------------------------------------ */

int
lfs_io_init(struct lfs_io *io, struct lfs_disk *disk, uint32_t timeout_ms,
    const struct lfs_io_syscalls *sys, const struct lfs_logger *log)
{
	int rv;

	memset(io, 0, sizeof(*io));
	if (disk == NULL || disk->fd < 0 || timeout_ms == 0)
		return -EINVAL;
	io->disk = disk;
	io->timeout_ms = timeout_ms;
	io->sys = sys != NULL ? sys : &lfs_io_syscalls_default;
	io->clock = io->sys->clock != NULL ? io->sys->clock : &lfs_clock_real;
	io->log = log;
	io->next_tag = 1;
	io->ctx = 0; /* io_setup(2) requires a zeroed context */
	rv = io->sys->setup(LFS_IO_RING_EVENTS, &io->ctx);
	if (rv < 0) {
		lfs_log(log, LOG_ERR, "%s: io_setup(%d) failed: %d", disk->path,
		    LFS_IO_RING_EVENTS, rv);
		io->ctx = 0;
		return rv;
	}
	return 0;
}

/* Block until every abandoned I/O has completed, saying so every
 * LFS_IO_DESTROY_LOG_MS.  Returns 0, or getevents' error if waiting failed
 * (the abandoned I/Os are then left in place). */
static int
destroy_wait(struct lfs_io *io)
{
	struct io_event ev[LFS_IO_RING_EVENTS];
	uint64_t start = lfs_clock_ns(io->clock);
	struct timespec ts;
	int got, i;

	while (io->stats.abandoned > 0) {
		ts.tv_sec = LFS_IO_DESTROY_LOG_MS / 1000;
		ts.tv_nsec = (long)(LFS_IO_DESTROY_LOG_MS % 1000) * 1000000;
		got = io->sys->getevents(io->sys->arg, io->ctx, 1,
		    LFS_IO_RING_EVENTS, ev, &ts);
		if (got == -EINTR)
			continue;
		if (got < 0)
			return got;
		for (i = 0; i < got; i++)
			handle_event(io, &ev[i], NULL, 0);
		if (got == 0)
			lfs_log(io->log, LOG_WARNING, "%s: still waiting for %"
			    PRIu32 " abandoned I/Os after %" PRIu64 " s",
			    io->disk->path, io->stats.abandoned,
			    (lfs_clock_ns(io->clock) - start) / 1000000000u);
	}
	return 0;
}

/*
 * Wait for the abandoned I/Os, then destroy the context and free them.
 *
 * This may block for as long as the storage takes to answer, forever if it
 * never does.  A caller that must not block (a daemon exiting because its
 * storage is hung) may skip lfs_io_destroy() and just exit: the kernel
 * itself waits for in-flight aio when the process exits, and only then
 * releases its memory, so nothing is overwritten after it is reused.
 *
 * If waiting fails, io_destroy(2) is still called: the kernel's io_destroy
 * returns only once the context's I/Os are done, so the buffers are free to
 * release after it succeeds.  If it fails too, they are leaked on purpose.
 * The spares are freed last, since reaping during the wait adds to them.
 */
void
lfs_io_destroy(struct lfs_io *io)
{
	struct lfs_io_pending *p;
	int rv;

	if (io->sys == NULL)
		return; /* never initialised, or destroyed already */
	rv = destroy_wait(io);
	if (rv < 0)
		lfs_log(io->log, LOG_ERR, "%s: waiting for %" PRIu32
		    " abandoned I/Os failed: %d", io->disk->path,
		    io->stats.abandoned, rv);
	rv = io->sys->destroy(io->ctx);
	if (rv < 0) {
		lfs_log(io->log, LOG_ERR, "%s: io_destroy failed: %d, leaking "
		    "%" PRIu32 " abandoned buffers", io->disk->path, rv,
		    io->stats.abandoned);
	} else {
		while ((p = io->abandoned) != NULL) {
			io->abandoned = p->next;
			pending_free(io, p);
		}
		io->stats.abandoned = 0;
	}
	spares_free(io);
	io->abandoned = NULL;
	io->ctx = 0;
	io->sys = NULL;
}
