/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * delaydev.c - a shared disk with a SAN's latency and a SAN's queue depth,
 * for bench/concurrent.sh (issue 15 point 4).
 *
 *   delaydev [-d DELAY_MS] [-q DEPTH] [-P PIDFILE] BACKING MOUNTPOINT
 *
 * Mounts a FUSE filesystem at MOUNTPOINT holding one regular file, "dev",
 * whose bytes are BACKING's.  Every read and every write of it waits
 * DELAY_MS (default 10), then goes to BACKING, and up to DEPTH requests
 * (default 128) are served at once, each on its own worker thread.  Writes
 * reach BACKING with O_DSYNC before they are answered, so a write that
 * returned is on BACKING's stable storage, as a SAN's would be.  PIDFILE is
 * written once the mount is up.  Runs in the foreground until SIGTERM,
 * SIGINT or an unmount (fusermount3 -u MOUNTPOINT).
 *
 * Why not nbdkit's delay filter behind nbdfuse (tests/integration/faults.sh,
 * which bench/concurrent.sh also measures)?  nbdfuse answers FUSE on
 * libfuse's default of 10 worker threads and leaves the kernel's default of
 * 12 background requests (asynchronous direct I/O is sent as those), and it
 * takes no option to raise either.  So about 10 I/Os are in flight on that
 * path whatever its user does: 100 lease operations of 14 round trips of
 * 10 ms cannot end in less than 1.4 s there, a limit of nbdfuse and not of
 * any SAN.  This device raises both limits to DEPTH in its init.
 *
 * The file is opened direct_io: no request is answered from the kernel's
 * page cache, so every read pays the delay, as a read of a SAN does.  And
 * writes to it go in parallel (dd_open).
 */
#define FUSE_USE_VERSION 314
#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <linux/fuse.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define DEV_NAME "dev"
#define DEV_INO 2
#define MAX_DEPTH 1024

struct delaydev {
	int backing;		/* BACKING, O_RDWR | O_DSYNC */
	off_t size;		/* BACKING's size at the start, in bytes */
	unsigned delay_ms;
	unsigned depth;
};

static struct delaydev *
dev_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

static void
wait_delay(const struct delaydev *dd)
{
	struct timespec ts = { dd->delay_ms / 1000,
	    (long)(dd->delay_ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void
fill_attr(const struct delaydev *dd, fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	if (ino == FUSE_ROOT_ID) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
	} else {
		st->st_mode = S_IFREG | 0600;
		st->st_nlink = 1;
		st->st_size = dd->size;
	}
}

/* The kernel sends asynchronous direct I/O as background requests, at most
 * max_background of them at once: raise it to the queue depth. */
static void
dd_init(void *userdata, struct fuse_conn_info *conn)
{
	struct delaydev *dd = userdata;

	conn->max_background = dd->depth;
	conn->congestion_threshold = dd->depth;
}

static void
dd_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e;

	if (parent != FUSE_ROOT_ID || strcmp(name, DEV_NAME) != 0) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	memset(&e, 0, sizeof(e));
	e.ino = DEV_INO;
	e.attr_timeout = 3600.0;
	e.entry_timeout = 3600.0;
	fill_attr(dev_of(req), DEV_INO, &e.attr);
	fuse_reply_entry(req, &e);
}

static void
dd_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;

	(void)fi;
	if (ino != FUSE_ROOT_ID && ino != DEV_INO) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fill_attr(dev_of(req), ino, &st);
	fuse_reply_attr(req, &st, 3600.0);
}

/*
 * Opened direct_io, and with parallel direct writes: without that flag the
 * kernel holds the file's inode lock across each synchronous direct write,
 * so writers to different sectors would go one at a time, as no SAN makes
 * them.  libfuse 3.14's fuse_file_info has no bit for it, so the open is
 * answered with the kernel's own struct (linux/fuse.h).
 */
static void
dd_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fuse_open_out out;
	struct iovec iov = { &out, sizeof(out) };

	(void)fi;
	if (ino != DEV_INO) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	memset(&out, 0, sizeof(out));
	out.open_flags = FOPEN_DIRECT_IO | FOPEN_PARALLEL_DIRECT_WRITES;
	fuse_reply_iov(req, &iov, 1);
}

static void
dd_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	struct delaydev *dd = dev_of(req);
	ssize_t n;
	char *buf;

	(void)ino;
	(void)fi;
	if ((buf = malloc(size ? size : 1)) == NULL) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	wait_delay(dd);
	if ((n = pread(dd->backing, buf, size, off)) < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_buf(req, buf, (size_t)n);
	free(buf);
}

static void
dd_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size,
    off_t off, struct fuse_file_info *fi)
{
	struct delaydev *dd = dev_of(req);
	ssize_t n;

	(void)ino;
	(void)fi;
	if (off < 0 || off >= dd->size || size > (size_t)(dd->size - off)) {
		fuse_reply_err(req, ENOSPC);
		return;
	}
	wait_delay(dd);
	if ((n = pwrite(dd->backing, buf, size, off)) < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_write(req, (size_t)n);
}

/* Writes are on stable storage when answered (O_DSYNC): nothing to do. */
static void
dd_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
    struct fuse_file_info *fi)
{
	(void)ino;
	(void)datasync;
	(void)fi;
	fuse_reply_err(req, 0);
}

static void
dd_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	fuse_reply_err(req, 0);
}

static const struct fuse_lowlevel_ops dd_ops = {
	.init = dd_init,
	.lookup = dd_lookup,
	.getattr = dd_getattr,
	.open = dd_open,
	.read = dd_read,
	.write = dd_write,
	.fsync = dd_fsync,
	.flush = dd_flush,
};

static int
usage(void)
{
	fprintf(stderr, "usage: delaydev [-d DELAY_MS] [-q DEPTH (1..%d)] "
	    "[-P PIDFILE] BACKING MOUNTPOINT\n", MAX_DEPTH);
	return 2;
}

static int
write_pidfile(const char *path)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -1;
	fprintf(f, "%ld\n", (long)getpid());
	return fclose(f) == 0 ? 0 : -1;
}

/* Serves until unmounted or signalled; the session's teardown unmounts. */
static int
serve(struct delaydev *dd, const char *mountpoint, const char *pidfile)
{
	char *argv[] = { "delaydev", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(1, argv);
	struct fuse_loop_config *cfg;
	struct fuse_session *se;
	int r = 1;

	if ((se = fuse_session_new(&args, &dd_ops, sizeof(dd_ops), dd)) == NULL)
		return 1;
	if (fuse_set_signal_handlers(se) != 0)
		goto out_destroy;
	if (fuse_session_mount(se, mountpoint) != 0)
		goto out_signals;
	if (pidfile != NULL && write_pidfile(pidfile) < 0) {
		fprintf(stderr, "delaydev: %s: %s\n", pidfile, strerror(errno));
		goto out_unmount;
	}
	if ((cfg = fuse_loop_cfg_create()) == NULL)
		goto out_unmount;
	fuse_loop_cfg_set_clone_fd(cfg, 0);
	fuse_loop_cfg_set_max_threads(cfg, dd->depth);
	fuse_loop_cfg_set_idle_threads(cfg, dd->depth);
	r = fuse_session_loop_mt(se, cfg) == 0 ? 0 : 1;
	fuse_loop_cfg_destroy(cfg);
out_unmount:
	fuse_session_unmount(se);
out_signals:
	fuse_remove_signal_handlers(se);
out_destroy:
	fuse_session_destroy(se);
	return r;
}

int
main(int argc, char **argv)
{
	struct delaydev dd = { .delay_ms = 10, .depth = 128 };
	const char *pidfile = NULL;
	struct stat st;
	long v;
	int c;

	while ((c = getopt(argc, argv, "d:q:P:")) != -1) {
		switch (c) {
		case 'd':
			if ((v = atol(optarg)) < 0 || v > 60000)
				return usage();
			dd.delay_ms = (unsigned)v;
			break;
		case 'q':
			if ((v = atol(optarg)) < 1 || v > MAX_DEPTH)
				return usage();
			dd.depth = (unsigned)v;
			break;
		case 'P':
			pidfile = optarg;
			break;
		default:
			return usage();
		}
	}
	if (argc - optind != 2)
		return usage();
	if ((dd.backing = open(argv[optind], O_RDWR | O_DSYNC)) < 0 ||
	    fstat(dd.backing, &st) < 0) {
		fprintf(stderr, "delaydev: %s: %s\n", argv[optind],
		    strerror(errno));
		return 1;
	}
	dd.size = st.st_size;
	c = serve(&dd, argv[optind + 1], pidfile);
	close(dd.backing);
	return c;
}
