/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * diskio.h - sector I/O on the shared device: O_DIRECT, libaio, timeouts.
 *
 * This module owns the device file descriptor and every I/O on it.  Its
 * promises:
 *   - every read and write is O_DIRECT (writes also O_DSYNC: complete only
 *     once stable), sector aligned in offset and length,
 *     submitted with io_submit(2) and waited for at most io_timeout;
 *   - the caller's buffer needs no alignment and is never touched after the
 *     call returns: each I/O runs on a bounce buffer owned by this module;
 *   - an I/O that does not complete in time returns -ETIMEDOUT at once, and
 *     its bounce buffer stays allocated, owned by the kernel, until the I/O is
 *     reaped by a later call on the same context (or lfs_io_destroy(), which
 *     waits for it); at most LFS_IO_MAX_ABANDONED such I/Os may be pending per
 *     context, past that new I/O fails with -EIO without being submitted;
 *   - a short read or write is -EIO; an error from the kernel is returned
 *     as its -errno;
 *   - a bounce buffer the kernel has given back (completed, or abandoned and
 *     since reaped) may be kept as a spare and reused by a later I/O on the
 *     same context; a context keeps a few such spares, of bounded size, and
 *     lfs_io_destroy() frees them.  A buffer still held by the kernel is
 *     never reused.
 *
 * One struct lfs_io (one io_context) belongs to one thread at a time; several
 * contexts may share one struct lfs_disk.  The system calls go through a
 * replaceable table (struct lfs_io_syscalls) so that tests inject errors,
 * hangs, short and torn I/O without a kernel module.
 */
#ifndef LEASEFS_DISKIO_H
#define LEASEFS_DISKIO_H

#include <libaio.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "clock.h"
#include "log.h"

#define LFS_IO_MAX_ABANDONED 32 /* timed-out I/Os a context may leave pending */
#define LFS_IO_MAX_BATCH 8      /* I/Os submitted together by lfs_io_batch() */

struct lfs_disk {
	int fd;                  /* O_RDWR | O_DIRECT | O_DSYNC | O_CLOEXEC */
	uint32_t sector_size;    /* from BLKSSZGET; 0 for a regular file */
	uint64_t size;           /* bytes */
	int is_blockdev;
	char path[4096];
};

/* Open path for O_DIRECT I/O.  Fills d; -errno on failure (nothing open). */
int lfs_disk_open(struct lfs_disk *d, const char *path);
void lfs_disk_close(struct lfs_disk *d);

/* The system calls behind a context, and the clock its deadlines are
 * measured on; tests replace them.  A fake getevents that decides an I/O
 * hangs advances its fake clock to the timeout it was given and returns 0,
 * which is exactly what the kernel's does in real time. */
struct lfs_io_syscalls {
	int (*setup)(int maxevents, io_context_t *ctx);
	int (*destroy)(io_context_t ctx);
	int (*submit)(void *arg, io_context_t ctx, long nr, struct iocb **iocbs);
	int (*getevents)(void *arg, io_context_t ctx, long min_nr, long nr,
	    struct io_event *events, struct timespec *timeout);
	void *arg;               /* handed to submit and getevents */
	const struct lfs_clock *clock; /* deadlines; NULL: lfs_clock_real */
};
extern const struct lfs_io_syscalls lfs_io_syscalls_default;

/* Counters of one context; read them with the context idle. */
struct lfs_io_stats {
	uint64_t reads, writes;
	uint64_t bytes_read, bytes_written;
	uint64_t timeouts;       /* I/Os that did not complete in time */
	uint64_t errors;         /* I/Os that completed with an error */
	uint32_t abandoned;      /* timed-out I/Os still owned by the kernel */
	uint64_t buffer_allocs;  /* bounce buffers allocated, not reused */
	uint64_t rereads;        /* reads done again by lfs_io_read_verified */
};

struct lfs_io_pending;       /* a timed-out I/O waiting to be reaped */
struct lfs_io_spares;        /* bounce buffers kept for reuse */

struct lfs_io {
	struct lfs_disk *disk;
	io_context_t ctx;
	uint32_t timeout_ms;
	const struct lfs_io_syscalls *sys;
	const struct lfs_clock *clock; /* sys->clock, or lfs_clock_real */
	const struct lfs_logger *log;
	struct lfs_io_pending *abandoned; /* list, owned by this context */
	struct lfs_io_stats stats;
	uint64_t next_tag;       /* tags iocbs so stray events are recognised */
	struct lfs_io_spares *spares; /* private to diskio.c; NULL until used */
	/* NULL, or the count of abandoned I/Os of every context of a group
	 * (ioset.h), kept by this module beside stats.abandoned */
	_Atomic uint32_t *group_abandoned;
};

/* Set up a context on disk.  sys may be NULL for the real system calls,
 * log may be NULL.  -errno on failure (nothing to destroy then). */
int lfs_io_init(struct lfs_io *io, struct lfs_disk *disk, uint32_t timeout_ms,
    const struct lfs_io_syscalls *sys, const struct lfs_logger *log);
/* Wait (without limit) for abandoned I/Os, then free everything. */
void lfs_io_destroy(struct lfs_io *io);

enum lfs_io_op { LFS_IO_READ, LFS_IO_WRITE };

struct lfs_io_req {
	enum lfs_io_op op;
	uint64_t offset;         /* bytes; multiple of the sector size */
	void *buf;               /* len bytes; any alignment */
	size_t len;              /* bytes; multiple of the sector size */
};

/* Submit n (<= LFS_IO_MAX_BATCH) I/Os at once and wait for all of them, at
 * most timeout_ms in all.  Returns 0 when all succeeded, else the first
 * error.  Read buffers are filled only on success of that read.  Writes in
 * one batch have no order between them. */
int lfs_io_batch(struct lfs_io *io, struct lfs_io_req *reqs, int n);
int lfs_io_read(struct lfs_io *io, uint64_t offset, void *buf, size_t len);
int lfs_io_write(struct lfs_io *io, uint64_t offset, const void *buf, size_t len);

/*
 * A read whose records are checked: after each read that succeeded,
 * verify(arg, buf, len) says 0, or -errno; while it says what a decoder
 * says of a torn record (lfs_decode_maybe_torn(), ondisk.h: -EBADMSG,
 * -EPROTO, -EBADE), the range is read again, LFS_IO_REREAD_PAUSE_MS
 * apart, at most LFS_IO_REREADS more times, and its last answer is
 * returned.  verify should not log: the caller logs what is left.
 *
 * Why: a read that meets another host's write of the same sector may
 * return a mix of old and new bytes where the storage does not make a
 * sector write atomic against reads (a file under a page cache: NFS,
 * nbdkit's file plugin, which the fault tests use).  The mix fails its
 * checksum (or its magic: new zeros over an old record), and once the
 * write has finished the sector reads whole.  A sector that is really
 * damaged fails every time, and is an error as before.  A read again is
 * a read done later, which every reader of records here allows (each
 * checks its freshness after its read, never before), so the pause is
 * about liveness only: a write's copy into a page cache lasts
 * microseconds, and 3 re-reads 1 ms apart outlast it about a thousand
 * times over; a sector written back to back may still read torn every
 * time, which is an error, never a free record.
 */
#define LFS_IO_REREADS 3
#define LFS_IO_REREAD_PAUSE_MS 1
typedef int (*lfs_io_verify_fn)(void *arg, const void *buf, size_t len);
int lfs_io_read_verified(struct lfs_io *io, uint64_t offset, void *buf,
    size_t len, lfs_io_verify_fn verify, void *arg);

/*
 * A gate around one write's io_submit (lockspace.h, the submit gate):
 * enter() runs right before io_submit(2), after everything else that could
 * fail; it returns 0 to let the write go, or -errno to refuse it, and then
 * nothing is submitted and lfs_io_write_gated() returns that.  leave() runs
 * right after io_submit(2) returned, whatever it returned, and only after
 * an enter() that said 0.  So whatever enter() checks holds at the
 * submission, for as long as the gate is what bounds it.
 */
struct lfs_io_gate {
	int (*enter)(void *arg);
	void (*leave)(void *arg);
	void *arg;
};
int lfs_io_write_gated(struct lfs_io *io, uint64_t offset, const void *buf,
    size_t len, const struct lfs_io_gate *gate);

/* Reap finished abandoned I/Os without waiting; returns how many remain. */
uint32_t lfs_io_reap(struct lfs_io *io);
/* Count io's abandoned I/Os in *group too, with those of every other
 * context given the same counter (before io's first I/O; NULL: none). */
void lfs_io_set_group(struct lfs_io *io, _Atomic uint32_t *group);
/* The abandoned I/Os of io's group (of io alone without one), reaping
 * io's own first: what invariant 6 of paxos.h waits for. */
uint32_t lfs_io_reap_group(struct lfs_io *io);

#endif
