/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * io-floor.c - what the device alone gives to many lease operations at
 * once (issue 15 point 4): the floor under bench/concurrent.sh's and
 * bench/run 5d's figures.
 *
 *   io-floor DEVICE N
 *
 * A job is what one acquire + release costs the disk, with nothing of
 * leasefs: 4 rounds of one 512-byte O_DIRECT | O_DSYNC write and one
 * 4 KiB O_DIRECT read, one after the other, in its own 32 KiB of DEVICE
 * (which it overwrites: a scratch file or loop device only).  Prints
 *   one MS        one job alone
 *   all MS N      N jobs on N threads let go together, to the last one's end
 *   read P50 P99 K  meanwhile, one more thread's 4 KiB O_DIRECT reads of the
 *                 block after the jobs' span, one after the other, until the
 *                 last job ended: their median and p99 in ms over K reads
 *                 (the floor under `cat owner` meanwhile)
 * Any failing call ends the program with a message and status 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_JOBS 1000
#define MAX_READS 1000000
#define ROUNDS 4
#define JOB_SPAN (32 * 1024)

static int fd;
static long njobs;
static _Atomic int jobs_done;	/* set once every job has ended */
static double read_ms[MAX_READS];
static long nreads;

static double
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void
die(const char *what)
{
	fprintf(stderr, "io-floor: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void *
job(void *arg)
{
	off_t base = (off_t)(long)arg * JOB_SPAN;
	void *buf;
	int k;

	if (posix_memalign(&buf, 4096, 4096) != 0)
		die("posix_memalign");
	memset(buf, 0, 4096);
	for (k = 0; k < ROUNDS; k++) {
		if (pwrite(fd, buf, 512, base + (off_t)k * 4096) != 512)
			die("pwrite");
		if (pread(fd, buf, 4096, base) != 4096)
			die("pread");
	}
	free(buf);
	return NULL;
}

/* reads the block after the jobs' span until they end */
static void *
reader(void *arg)
{
	off_t off = (off_t)njobs * JOB_SPAN;
	void *buf;
	double t;

	(void)arg;
	if (posix_memalign(&buf, 4096, 4096) != 0)
		die("posix_memalign");
	while (!atomic_load(&jobs_done) && nreads < MAX_READS) {
		t = now_ms();
		if (pread(fd, buf, 4096, off) != 4096)
			die("pread");
		read_ms[nreads++] = now_ms() - t;
	}
	free(buf);
	return NULL;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* the P-th percentile of the sorted reads, nearest rank */
static double
pct(double p)
{
	long i = (long)((double)(nreads - 1) * p / 100.0);

	return nreads > 0 ? read_ms[i] : 0.0;
}

int
main(int argc, char **argv)
{
	pthread_t t[MAX_JOBS], rd;
	double start, one, all;
	long i, n;

	if (argc != 3 || (n = atol(argv[2])) < 1 || n > MAX_JOBS) {
		fprintf(stderr, "usage: io-floor DEVICE N (1..%d)\n", MAX_JOBS);
		return 2;
	}
	if ((fd = open(argv[1], O_RDWR | O_DIRECT | O_DSYNC)) < 0)
		die(argv[1]);
	start = now_ms();
	job((void *)0L);
	one = now_ms() - start;
	njobs = n;
	start = now_ms();
	if ((errno = pthread_create(&rd, NULL, reader, NULL)) != 0)
		die("pthread_create");
	for (i = 0; i < n; i++)
		if ((errno = pthread_create(&t[i], NULL, job, (void *)i)) != 0)
			die("pthread_create");
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	all = now_ms() - start;
	atomic_store(&jobs_done, 1);
	pthread_join(rd, NULL);
	qsort(read_ms, (size_t)nreads, sizeof(read_ms[0]), cmp_double);
	printf("one %.2f\nall %.2f %ld\nread %.2f %.2f %ld\n", one, all, n,
	    pct(50), pct(99), nreads);
	close(fd);
	return 0;
}
