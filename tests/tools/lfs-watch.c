/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lfs-watch.c - watch a lease's owner file at a fixed interval and print
 * every change, for the migration tests and the libvirt comparison.
 *
 *   lfs-watch [-i MS] PATH
 *
 * Reads PATH (e.g. MOUNT/vm1/owner) every MS milliseconds (default 1) and
 * prints "<CLOCK_REALTIME us> <first line>" for the first read and for each
 * read whose line differs from the one before, flushing each line, until
 * SIGTERM or SIGINT.  Wall-clock microseconds: its lines are lined up with
 * libvirt's and the plugin's logs, which use the same clock.  A read that
 * fails prints "ERR <errno text>" as its line.  Exits 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static unsigned long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000;
}

static void read_line(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(buf, len, "ERR %s", strerror(errno));
		return;
	}
	n = read(fd, buf, len - 1);
	if (n < 0)
		snprintf(buf, len, "ERR %s", strerror(errno));
	else
		buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	close(fd);
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	struct timespec pause = { 0, 1000000 };
	char last[256] = "", cur[256];
	long ms = 1;
	int first = 1;

	if (argc == 4 && !strcmp(argv[1], "-i")) {
		ms = strtol(argv[2], NULL, 10);
		argv += 2;
		argc -= 2;
	}
	if (argc != 2 || ms <= 0) {
		fprintf(stderr, "usage: lfs-watch [-i MS] PATH\n");
		return 2;
	}
	pause.tv_sec = ms / 1000;
	pause.tv_nsec = (ms % 1000) * 1000000L;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	while (!stop) {
		read_line(argv[1], cur, sizeof(cur));
		if (first || strcmp(cur, last)) {
			printf("%llu %s\n", now_us(), cur);
			fflush(stdout);
			snprintf(last, sizeof(last), "%s", cur);
			first = 0;
		}
		nanosleep(&pause, NULL);
	}
	return 0;
}
