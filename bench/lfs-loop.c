/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lfs-loop.c - tight loops over a leasefs mount, one timed sample per
 * iteration, for bench/run.
 *
 *   lfs-loop lock LEASEDIR N       open LEASEDIR/lock for writing, close
 *                                  (acquire + release of an uncontended lease)
 *   lfs-loop ctl LEASEDIR N        write "acquire", then "release", to an
 *                                  open LEASEDIR/ctl
 *   lfs-loop owner LEASEDIR N      open LEASEDIR/owner, read it, close
 *   lfs-loop read FILE N           open FILE, read all of it, close (`cat
 *                                  .hosts`)
 *   lfs-loop readdir MOUNT N       opendir, read every entry, closedir
 *   lfs-loop mkdir MOUNT PREFIX FROM TO
 *                                  mkdir MOUNT/PREFIX<i> for i in [FROM, TO)
 *   lfs-loop stat MOUNT PREFIX FROM TO
 *                                  stat MOUNT/PREFIX<i> for i in [FROM, TO):
 *                                  a lookup, when the kernel has no entry
 *   lfs-loop takeover LEASEDIR PID SIGKILL PID (the owner's daemon), then
 *                                  open LEASEDIR/lock, blocking until this
 *                                  host has taken the lease; one sample
 *   lfs-loop time CMD [ARG...]     run CMD, one sample: its run time (for
 *                                  `leasefs mount`, which returns once the
 *                                  mount is usable); exits with its status
 *
 * Each sample is the wall time of one iteration on CLOCK_MONOTONIC, printed
 * in microseconds, one per line, on stdout.  A few untimed iterations come
 * first (WARMUP), so that the kernel's dentry and the daemon's lease entry
 * exist before timing starts.  Any failing system call ends the program
 * with a message naming it and exit status 1: a benchmark that silently
 * measured errors would be worse than none.
 *
 * Build: gcc -std=c11 -D_GNU_SOURCE -O2 -o lfs-loop lfs-loop.c
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WARMUP 5                 /* untimed iterations before the samples */

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void
die(const char *what, const char *path)
{
	fprintf(stderr, "lfs-loop: %s %s: %s\n", what, path, strerror(errno));
	exit(1);
}

static void
join_path(char *out, const char *dir, const char *name)
{
	if (snprintf(out, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX) {
		fprintf(stderr, "lfs-loop: path too long: %s/%s\n", dir, name);
		exit(2);
	}
}

/* One iteration of each timed operation; they exit on failure. */

static void
op_lock(const char *path)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0)
		die("open", path);
	if (close(fd) < 0)
		die("close", path);
}

static void
ctl_write(int fd, const char *cmd, const char *path)
{
	size_t len = strlen(cmd);

	if (write(fd, cmd, len) != (ssize_t)len)
		die(cmd, path);
}

static void
op_owner(const char *path)
{
	char buf[256];
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		die("open", path);
	if (read(fd, buf, sizeof(buf)) <= 0)
		die("read", path);
	close(fd);
}

static void
op_read_all(const char *path)
{
	char buf[65536];
	ssize_t r;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		die("open", path);
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		;
	if (r < 0)
		die("read", path);
	close(fd);
}

/* Read a whole directory; returns the number of entries. */
static long
op_readdir(const char *path)
{
	struct dirent *de;
	long n = 0;
	DIR *dir = opendir(path);

	if (dir == NULL)
		die("opendir", path);
	errno = 0;
	while ((de = readdir(dir)) != NULL)
		n++;
	if (errno != 0)
		die("readdir", path);
	closedir(dir);
	return n;
}

static void
loop_file(const char *mode, const char *dir, long n)
{
	char path[PATH_MAX];
	double t;
	long i;
	int fd = -1;

	if (strcmp(mode, "read") == 0)
		snprintf(path, sizeof(path), "%s", dir);
	else
		join_path(path, dir, mode);
	if (strcmp(mode, "ctl") == 0 && (fd = open(path, O_WRONLY)) < 0)
		die("open", path);
	for (i = -WARMUP; i < n; i++) {
		t = now_us();
		if (strcmp(mode, "lock") == 0) {
			op_lock(path);
		} else if (strcmp(mode, "owner") == 0) {
			op_owner(path);
		} else if (strcmp(mode, "read") == 0) {
			op_read_all(path);
		} else {
			ctl_write(fd, "acquire", path);
			ctl_write(fd, "release", path);
		}
		t = now_us() - t;
		if (i >= 0)
			printf("%.1f\n", t);
	}
	if (fd >= 0)
		close(fd);
}

static void
loop_readdir(const char *dir, long n)
{
	double t;
	long i, got = 0;

	for (i = -WARMUP; i < n; i++) {
		t = now_us();
		got = op_readdir(dir);
		t = now_us() - t;
		if (i >= 0)
			printf("%.1f\n", t);
	}
	fprintf(stderr, "lfs-loop: %ld entries\n", got);
}

/* mkdir or stat of MOUNT/PREFIX<i> for i in [from, to). */
static void
loop_names(int make, const char *dir, const char *prefix, long from, long to)
{
	char name[NAME_MAX + 1], path[PATH_MAX];
	struct stat st;
	double t;
	long i;

	for (i = from; i < to; i++) {
		snprintf(name, sizeof(name), "%s%ld", prefix, i);
		join_path(path, dir, name);
		t = now_us();
		if (make && mkdir(path, 0755) < 0)
			die("mkdir", path);
		if (!make && stat(path, &st) < 0)
			die("stat", path);
		printf("%.1f\n", now_us() - t);
	}
}

static void
takeover(const char *dir, pid_t owner)
{
	char path[PATH_MAX];
	double t;
	int fd;

	join_path(path, dir, "lock");
	t = now_us();
	if (kill(owner, SIGKILL) < 0)
		die("kill", "owner");
	if ((fd = open(path, O_WRONLY)) < 0)
		die("open", path);
	printf("%.1f\n", now_us() - t);
	close(fd);
}

static int
time_command(char **argv)
{
	double t = now_us();
	pid_t pid = fork();
	int status;

	if (pid < 0)
		die("fork", argv[0]);
	if (pid == 0) {
		execvp(argv[0], argv);
		die("exec", argv[0]);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die("waitpid", argv[0]);
	printf("%.1f\n", now_us() - t);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

static void
usage(void)
{
	fputs("usage: lfs-loop lock|ctl|owner LEASEDIR N\n"
	    "       lfs-loop read FILE N\n"
	    "       lfs-loop readdir MOUNT N\n"
	    "       lfs-loop mkdir MOUNT PREFIX FROM TO\n"
	    "       lfs-loop stat MOUNT PREFIX FROM TO\n"
	    "       lfs-loop takeover LEASEDIR PID\n"
	    "       lfs-loop time CMD [ARG...]\n", stderr);
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	int rc = 0;

	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	if ((strcmp(mode, "lock") == 0 || strcmp(mode, "ctl") == 0 ||
	    strcmp(mode, "owner") == 0 || strcmp(mode, "read") == 0) &&
	    argc == 4)
		loop_file(mode, argv[2], strtol(argv[3], NULL, 10));
	else if (strcmp(mode, "readdir") == 0 && argc == 4)
		loop_readdir(argv[2], strtol(argv[3], NULL, 10));
	else if ((strcmp(mode, "mkdir") == 0 || strcmp(mode, "stat") == 0) &&
	    argc == 6)
		loop_names(mode[0] == 'm', argv[2], argv[3],
		    strtol(argv[4], NULL, 10), strtol(argv[5], NULL, 10));
	else if (strcmp(mode, "takeover") == 0 && argc == 4)
		takeover(argv[2], (pid_t)strtol(argv[3], NULL, 10));
	else if (strcmp(mode, "time") == 0 && argc >= 3)
		rc = time_command(argv + 2);
	else
		usage();
	return fflush(stdout) == 0 ? rc : 1;
}
