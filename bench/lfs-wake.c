/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lfs-wake.c - wake-up latency of blocked lock opens, and the reads of the
 * waiting host, for bench/run (issue 15 point 5).
 *
 *   lfs-wake MOUNT_1 MOUNT_2 PREFIX N SAMPLES QUIET_S
 *
 * Host 1 (MOUNT_1) creates the leases PREFIX0 .. PREFIX<N-1> if missing and
 * takes them all through their ctl files; on host 2 (MOUNT_2) one thread
 * per lease blocks in open(2) of its lock file.  Then:
 *
 *   quiet    for QUIET_S seconds nothing changes: host 2's reads per
 *            second (ops_reads + renew_reads of its .status);
 *   samples  SAMPLES times, host 1 releases one lease (lease k mod N; the
 *            others stay waited on); the latency is from that ctl write
 *            returning to the open on host 2 returning, both on
 *            CLOCK_MONOTONIC in this one process.  A woken lease that is
 *            sampled again is re-armed (untimed): host 2 closes it, host 1
 *            takes it back, its thread blocks again.  Between samples a
 *            pause of 30-80 ms, so that releases fall at every phase of
 *            host 2's notice scan.
 *
 * Prints one line per sample, "<latency us> <release write us>", and at the
 * end to stdout "quiet_reads_s X" and "active_reads_s Y" (host 2's reads
 * per second while the samples ran).  Finally host 1 releases every lease,
 * so that every open returns, and host 2 closes them.
 *
 * Build: gcc -std=c11 -D_GNU_SOURCE -O2 -o lfs-wake lfs-wake.c
 * (threads are in glibc itself since 2.34).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define WAIT_LIMIT_MS 10000      /* a wake-up slower than this is a failure */
#define SETTLE_MS 300            /* for a re-armed open to reach the daemon */

struct waiter {
	int i;
	pthread_t thread;
	int fd;                  /* open lock file, or -1 */
	int opened;              /* the open returned (fd, woke_ns set) */
	int close_now;           /* main: close and wait for rearm */
	int rearm;               /* main: open again */
	int failed;
	uint64_t woke_ns;
};

static const char *m1, *m2, *prefix;
static struct waiter *ws;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void
die(const char *what, int i)
{
	fprintf(stderr, "lfs-wake: %s %s%d: %s\n", what, prefix, i,
	    strerror(errno));
	exit(1);
}

/* Write cmd to MOUNT/PREFIXi/ctl; -errno on failure. */
static int
ctl(const char *mnt, int i, const char *cmd)
{
	char path[PATH_MAX];
	int fd, r = 0;

	snprintf(path, sizeof(path), "%s/%s%d/ctl", mnt, prefix, i);
	if ((fd = open(path, O_WRONLY)) < 0)
		return -errno;
	if (write(fd, cmd, strlen(cmd)) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* Host 2's reads so far: its ops and renewal I/O contexts. */
static uint64_t
reads2(void)
{
	char path[PATH_MAX], key[64], line[256];
	unsigned long long v;
	uint64_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/.status", m2);
	if ((f = fopen(path, "r")) == NULL)
		die("open .status of", -1);
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "%63s %llu", key, &v) == 2 &&
		    (strcmp(key, "ops_reads:") == 0 ||
		    strcmp(key, "renew_reads:") == 0))
			n += v;
	fclose(f);
	return n;
}

static void *
waiter_main(void *arg)
{
	struct waiter *w = arg;
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s%d/lock", m2, prefix, w->i);
	for (;;) {
		fd = open(path, O_RDWR);
		pthread_mutex_lock(&mu);
		w->woke_ns = now_ns();
		w->fd = fd;
		w->failed = fd < 0;
		w->opened = 1;
		pthread_cond_broadcast(&cv);
		while (!w->close_now)
			pthread_cond_wait(&cv, &mu);
		w->close_now = 0;
		pthread_mutex_unlock(&mu);
		if (fd >= 0)
			close(fd);
		pthread_mutex_lock(&mu);
		w->fd = -1;
		w->opened = 0;
		pthread_cond_broadcast(&cv);
		while (!w->rearm)
			pthread_cond_wait(&cv, &mu);
		w->rearm = 0;
		pthread_mutex_unlock(&mu);
		if (w->i < 0)
			return NULL;
	}
}

/* Wait until w's open returned; 0, or -1 after WAIT_LIMIT_MS. */
static int
wait_opened(struct waiter *w)
{
	struct timespec ts;
	int r = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += WAIT_LIMIT_MS / 1000;
	pthread_mutex_lock(&mu);
	while (!w->opened && r == 0)
		r = pthread_cond_timedwait(&cv, &mu, &ts);
	r = w->opened && !w->failed ? 0 : -1;
	pthread_mutex_unlock(&mu);
	return r;
}

/* Take a woken lease back for host 1 and block on it again (untimed). */
static void
rearm(struct waiter *w)
{
	pthread_mutex_lock(&mu);
	w->close_now = 1;
	pthread_cond_broadcast(&cv);
	while (w->opened)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	/* host 2's close releases it; host 1's acquire fails until then */
	while (ctl(m1, w->i, "acquire") < 0)
		sleep_ms(5);
	pthread_mutex_lock(&mu);
	w->rearm = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	sleep_ms(SETTLE_MS);
}

int
main(int argc, char **argv)
{
	int n, samples, quiet, i, k;
	uint64_t r0, r1, t0, t1, t_start;
	char path[PATH_MAX];

	if (argc != 7) {
		fprintf(stderr, "usage: lfs-wake MOUNT_1 MOUNT_2 PREFIX N "
		    "SAMPLES QUIET_S\n");
		return 2;
	}
	m1 = argv[1];
	m2 = argv[2];
	prefix = argv[3];
	n = atoi(argv[4]);
	samples = atoi(argv[5]);
	quiet = atoi(argv[6]);
	if (n < 1 || samples < 1 || quiet < 1)
		return 2;
	ws = calloc((size_t)n, sizeof(*ws));
	if (ws == NULL)
		return 1;
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s%d", m1, prefix, i);
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			die("mkdir", i);
		if ((errno = -ctl(m1, i, "acquire")) != 0)
			die("acquire on host 1", i);
	}
	for (i = 0; i < n; i++) {
		pthread_attr_t a;

		ws[i].i = i;
		ws[i].fd = -1;
		pthread_attr_init(&a);
		pthread_attr_setstacksize(&a, 64 * 1024);
		if ((errno = pthread_create(&ws[i].thread, &a, waiter_main,
		    &ws[i])) != 0)
			die("thread for", i);
		pthread_attr_destroy(&a);
	}
	/* every open has reached the daemon and waits (untimed) */
	sleep_ms(1000 + 2 * (unsigned)n);
	for (i = 0; i < n; i++)
		if (ws[i].opened) {
			fprintf(stderr, "lfs-wake: %s%d opened while held\n",
			    prefix, i);
			return 1;
		}
	r0 = reads2();
	t0 = now_ns();
	sleep_ms((unsigned)quiet * 1000);
	r1 = reads2();
	t1 = now_ns();
	printf("quiet_reads_s %.1f\n", (double)(r1 - r0) * 1e9 /
	    (double)(t1 - t0));
	srand(1);
	r0 = reads2();
	t_start = now_ns();
	for (k = 0; k < samples; k++) {
		struct waiter *w = &ws[k % n];
		uint64_t a, b;

		if (k >= n)
			rearm(w);
		sleep_ms(30 + (unsigned)(rand() % 51));
		a = now_ns();
		if ((errno = -ctl(m1, w->i, "release")) != 0)
			die("release on host 1", w->i);
		b = now_ns();
		if (wait_opened(w) < 0) {
			fprintf(stderr, "lfs-wake: %s%d: no wake-up within "
			    "%d ms\n", prefix, w->i, WAIT_LIMIT_MS);
			return 1;
		}
		printf("sample %.1f %.1f\n", ((double)w->woke_ns - (double)b) /
		    1e3, (double)(b - a) / 1e3);
	}
	r1 = reads2();
	printf("active_reads_s %.1f\n", (double)(r1 - r0) * 1e9 /
	    (double)(now_ns() - t_start));
	fflush(stdout);
	/* the end: every lease to host 2, then closed there */
	for (i = 0; i < n; i++) {
		pthread_mutex_lock(&mu);
		k = ws[i].opened;
		pthread_mutex_unlock(&mu);
		if (!k && ctl(m1, i, "release") < 0)
			die("final release on host 1", i);
	}
	for (i = 0; i < n; i++) {
		if (wait_opened(&ws[i]) < 0)
			die("final wake-up of", i);
		pthread_mutex_lock(&mu);
		ws[i].i = -1;
		ws[i].close_now = 1;
		ws[i].rearm = 1;
		pthread_cond_broadcast(&cv);
		pthread_mutex_unlock(&mu);
		pthread_join(ws[i].thread, NULL);
	}
	return 0;
}
