/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lfs-conc.c - many lease opens at once on one host (issue 15 point 4),
 * for bench/concurrent.sh.
 *
 *   lfs-conc MOUNT PREFIX N [OWNERDIR]
 *
 * Forks N children; child i opens MOUNT/PREFIX<i>/lock for writing (a
 * blocking acquire of a free lease) as soon as the parent lets them all go
 * at once (one pipe closed: every child's read returns together), and
 * reports when its open returned.  With OWNERDIR, one more child reads
 * OWNERDIR/owner in a loop (open, read, close) from the start until every
 * open returned: the latency another user of the mount sees meanwhile.
 * Then every holder closes (releases) and exits.
 *
 * Prints, one per line, times in microseconds on CLOCK_MONOTONIC from the
 * moment the children were let go:
 *   open I US        child I's open returned
 *   all US           the last open returned
 *   owner US         one owner read (OWNERDIR given), many lines
 * Any failing system call ends the program with a message and status 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_N 10000
#define MAX_OWNER_SAMPLES 200000

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void
die(const char *what)
{
	fprintf(stderr, "lfs-conc: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* wait until the parent closes the go pipe */
static void
wait_go(int go)
{
	char c;

	while (read(go, &c, 1) < 0 && errno == EINTR)
		;
}

/* child: open, report "I TIME" (absolute, µs) on out, hold until the
 * parent closes done */
static void
holder(const char *mount, const char *prefix, int i, int go, int out,
    int done)
{
	char path[PATH_MAX], line[64];
	int fd, n;

	snprintf(path, sizeof(path), "%s/%s%d/lock", mount, prefix, i);
	wait_go(go);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		die(path);
	n = snprintf(line, sizeof(line), "%d %.0f\n", i, now_us());
	if (write(out, line, (size_t)n) != n)
		die("write");
	wait_go(done);
	close(fd);
	_exit(0);
}

/* child: read owner until SIGTERM, then print the samples */
static volatile sig_atomic_t reader_stop;

static void
on_term(int sig)
{
	(void)sig;
	reader_stop = 1;
}

static void
owner_reader(const char *dir, int go)
{
	static double samples[MAX_OWNER_SAMPLES];
	char path[PATH_MAX], buf[128];
	double t;
	int fd, n = 0, i;

	signal(SIGTERM, on_term);
	snprintf(path, sizeof(path), "%s/owner", dir);
	wait_go(go);
	while (!reader_stop && n < MAX_OWNER_SAMPLES) {
		t = now_us();
		fd = open(path, O_RDONLY);
		if (fd < 0)
			die(path);
		if (read(fd, buf, sizeof(buf)) < 0)
			die("read owner");
		close(fd);
		samples[n++] = now_us() - t;
	}
	for (i = 0; i < n; i++)
		printf("owner %.0f\n", samples[i]);
	fflush(stdout);
	_exit(0);
}

int
main(int argc, char **argv)
{
	int gop[2], donep[2], outp[2], n, i, got = 0, id;
	pid_t reader = -1, pid;
	double t0, us, last = 0;
	char line[64];
	FILE *in;

	if (argc < 4 || (n = atoi(argv[3])) < 1 || n > MAX_N) {
		fprintf(stderr, "usage: lfs-conc MOUNT PREFIX N [OWNERDIR]\n");
		return 2;
	}
	if (pipe(gop) < 0 || pipe(donep) < 0 || pipe(outp) < 0)
		die("pipe");
	fflush(stdout);
	if (argc > 4) {
		if ((reader = fork()) < 0)
			die("fork");
		if (reader == 0) {
			close(gop[1]);
			close(donep[1]);
			close(outp[0]);
			close(outp[1]);
			owner_reader(argv[4], gop[0]);
		}
	}
	for (i = 0; i < n; i++) {
		if ((pid = fork()) < 0)
			die("fork");
		if (pid == 0) {
			close(gop[1]);
			close(donep[1]);
			close(outp[0]);
			holder(argv[1], argv[2], i, gop[0], outp[1], donep[0]);
		}
	}
	close(outp[1]);
	close(gop[0]);
	close(donep[0]);
	t0 = now_us();
	close(gop[1]); /* go: every child's read returns now */
	if ((in = fdopen(outp[0], "r")) == NULL)
		die("fdopen");
	while (got < n && fgets(line, sizeof(line), in) != NULL) {
		if (sscanf(line, "%d %lf", &id, &us) != 2)
			continue;
		us -= t0; /* the child printed its absolute time */
		printf("open %d %.0f\n", id, us);
		if (us > last)
			last = us;
		got++;
	}
	if (got < n) {
		fprintf(stderr, "lfs-conc: %d of %d opens reported\n", got, n);
		return 1;
	}
	printf("all %.0f\n", last);
	fflush(stdout);
	if (reader > 0) {
		kill(reader, SIGTERM);
		waitpid(reader, NULL, 0);
	}
	close(donep[1]); /* every holder closes, releasing */
	while (wait(NULL) > 0)
		;
	return 0;
}
