/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lfs-handover.c - handover latency between two leasefs mounts of one
 * lockspace (two hosts on one machine), for bench/run.
 *
 *   lfs-handover owner|incoming MOUNT_A ID_A MOUNT_B ID_B LEASE N
 *
 * Host A takes LEASE through its ctl file; then the lease goes back and
 * forth N times (plus WARMUP untimed rounds).  In each round the owner S
 * hands it to the other host D:
 *
 *   owner     D writes "request" to its ctl; a waiter thread opens D's
 *             `owner` file, reads it (S), and blocks in poll(2) on it;
 *   incoming  D opens its `incoming` file (which writes the request); the
 *             waiter blocks in poll(2) on that open file;
 *
 * then S writes "transfer <D>" to its ctl.  The latency is from that write
 * returning to the waiter waking and reading D as owner (owner: the file
 * reads "<D> ..."; incoming: it reads "held ...").  Both ends are taken on
 * CLOCK_MONOTONIC in this one process, so no clocks are compared.  The
 * waiter is given SETTLE_MS after its first read before the transfer, so
 * that its poll is registered with the daemon when the lease moves.
 *
 * Between rounds (untimed) the next sender waits until the request record
 * is clear again (see wait_request_clear()).
 *
 * Prints one line per round: "<latency us> <transfer write us>".
 *
 * Build: gcc -std=c11 -D_GNU_SOURCE -O2 -o lfs-handover lfs-handover.c
 * (threads are in glibc itself since 2.34).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WARMUP 2                 /* untimed rounds */
#define SETTLE_MS 5              /* ms for the waiter's poll to register */
#define WAIT_LIMIT_MS 10000      /* a handover slower than this is a failure */

struct side {
	const char *mount;
	const char *id;              /* host id, as text */
	int ctl;                     /* open ctl file of the lease */
	int incoming;                /* open incoming file, or -1 */
};

struct waiter {
	int incoming_mode;
	const char *path;            /* owner file (owner mode) */
	int fd;                      /* incoming fd (incoming mode) */
	const char *want;            /* owner mode: the line must start so */
	atomic_int ready;            /* first read done; now polling */
	double woke_us;              /* when the new owner was seen */
	int err;                     /* errno of a failure, or -1: timed out */
};

static const char *lease;

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void
die(const char *what, const char *detail)
{
	fprintf(stderr, "lfs-handover: %s %s: %s\n", what, detail,
	    strerror(errno));
	exit(1);
}

static void
lease_path(char *out, const struct side *s, const char *file)
{
	snprintf(out, PATH_MAX, "%s/%s/%s", s->mount, lease, file);
}

static void
ctl(const struct side *s, const char *cmd)
{
	size_t len = strlen(cmd);

	if (write(s->ctl, cmd, len) != (ssize_t)len)
		die(cmd, s->mount);
}

/* Whether what the waiter's file says now is the new owner. */
static int
arrived(struct waiter *w, int fd)
{
	char buf[256];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n < 0) {
		w->err = errno;
		return -1;
	}
	buf[n] = '\0';
	if (w->incoming_mode)
		return strncmp(buf, "held ", 5) == 0;
	return strncmp(buf, w->want, strlen(w->want)) == 0;
}

static void *
waiter_main(void *arg)
{
	struct waiter *w = arg;
	double limit = now_us() + WAIT_LIMIT_MS * 1e3;
	int fd = w->incoming_mode ? w->fd : open(w->path, O_RDONLY);
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLPRI };
	int r;

	if (fd < 0) {
		w->err = errno;
		atomic_store(&w->ready, 1);
		return NULL;
	}
	r = arrived(w, fd); /* the first read: what the poll compares with */
	atomic_store(&w->ready, 1);
	while (r == 0 && now_us() < limit) {
		if (poll(&p, 1, WAIT_LIMIT_MS) < 0 && errno != EINTR) {
			w->err = errno;
			break;
		}
		r = arrived(w, fd);
	}
	w->woke_us = now_us();
	if (r == 0)
		w->err = -1;
	if (!w->incoming_mode)
		close(fd);
	return NULL;
}

/*
 * Wait (untimed) until the lease's request record is clear again.  The
 * receiving daemon clears its request after it has woken its waiters, with
 * a read-check-write of the shared request sector; a request written by
 * the next round in between would be wiped, and that round's transfer
 * refused (EDESTADDRREQ).  A real migration never requests again within a
 * millisecond of an arrival; the ping-pong here does.
 */
static void
wait_request_clear(const struct side *d)
{
	char path[PATH_MAX], buf[1024];
	int fd, tries;
	ssize_t n;

	lease_path(path, d, "state");
	for (tries = 0; tries < WAIT_LIMIT_MS; tries++) {
		if ((fd = open(path, O_RDONLY)) < 0)
			die("open", path);
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n < 0)
			die("read", path);
		buf[n] = '\0';
		if (strstr(buf, "\nrequest: none\n") != NULL)
			return;
		sleep_ms(1);
	}
	errno = ETIMEDOUT;
	die("request still pending in", path);
}

/* One handover from s to d; prints the sample when timed. */
static void
round_once(int incoming_mode, struct side *s, struct side *d, int timed)
{
	char path[PATH_MAX], want[32], cmd[64];
	struct waiter w = { .incoming_mode = incoming_mode, .fd = -1 };
	pthread_t th;
	double t0, t1;

	snprintf(want, sizeof(want), "%s ", d->id);
	snprintf(cmd, sizeof(cmd), "transfer %s", d->id);
	lease_path(path, d, incoming_mode ? "incoming" : "owner");
	if (incoming_mode) {
		if ((d->incoming = open(path, O_RDWR)) < 0)
			die("open", path);
		w.fd = d->incoming;
	} else {
		ctl(d, "request");
	}
	w.path = path;
	w.want = want;
	atomic_init(&w.ready, 0);
	if ((errno = pthread_create(&th, NULL, waiter_main, &w)) != 0)
		die("pthread_create", "");
	while (!atomic_load(&w.ready))
		sleep_ms(1);
	sleep_ms(SETTLE_MS);
	t0 = now_us();
	ctl(s, cmd);
	t1 = now_us();
	pthread_join(th, NULL);
	if (w.err != 0) {
		errno = w.err > 0 ? w.err : ETIMEDOUT;
		die("waiting on", path);
	}
	wait_request_clear(d);
	if (s->incoming >= 0) { /* lost by the transfer; closing frees nothing */
		close(s->incoming);
		s->incoming = -1;
	}
	if (timed)
		printf("%.1f %.1f\n", w.woke_us - t1, t1 - t0);
}

int
main(int argc, char **argv)
{
	struct side sides[2];
	char path[PATH_MAX];
	int incoming_mode, i;
	long n, r;

	if (argc != 8 || (strcmp(argv[1], "owner") != 0 &&
	    strcmp(argv[1], "incoming") != 0)) {
		fputs("usage: lfs-handover owner|incoming MOUNT_A ID_A MOUNT_B "
		    "ID_B LEASE N\n", stderr);
		return 2;
	}
	incoming_mode = strcmp(argv[1], "incoming") == 0;
	lease = argv[6];
	n = strtol(argv[7], NULL, 10);
	for (i = 0; i < 2; i++) {
		sides[i] = (struct side){ argv[2 + 2 * i], argv[3 + 2 * i], -1, -1 };
		lease_path(path, &sides[i], "ctl");
		if ((sides[i].ctl = open(path, O_WRONLY)) < 0)
			die("open", path);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	ctl(&sides[0], "acquire");
	for (r = -WARMUP; r < n; r++)
		round_once(incoming_mode, &sides[(r + WARMUP) % 2],
		    &sides[(r + WARMUP + 1) % 2], r >= 0);
	/* the last receiver holds it: through ctl, or through its file */
	i = (int)((n + WARMUP) % 2);
	if (sides[i].incoming >= 0)
		close(sides[i].incoming);
	else
		ctl(&sides[i], "release");
	close(sides[0].ctl);
	close(sides[1].ctl);
	return 0;
}
