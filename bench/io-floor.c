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
 * Any failing call ends the program with a message and status 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_JOBS 1000
#define ROUNDS 4
#define JOB_SPAN (32 * 1024)

static int fd;

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

int
main(int argc, char **argv)
{
	pthread_t t[MAX_JOBS];
	double start, one;
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
	start = now_ms();
	for (i = 0; i < n; i++)
		if ((errno = pthread_create(&t[i], NULL, job, (void *)i)) != 0)
			die("pthread_create");
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	printf("one %.2f\nall %.2f %ld\n", one, now_ms() - start, n);
	close(fd);
	return 0;
}
