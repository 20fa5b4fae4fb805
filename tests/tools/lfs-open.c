/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lfs-open.c - open a file the way a lease holder does, and report what
 * happened, for integration scripts (a shell cannot open with O_NONBLOCK
 * or tell EAGAIN from EACCES).
 *
 *   lfs-open [-n] [-r] [-i] [-w MS] [-a PID] PATH [SECONDS]
 *
 * Opens PATH for reading and writing (-r: for reading; -n: with O_NONBLOCK;
 * -i: ignore SIGTERM, like a holder that only SIGKILL stops).  On
 * failure prints "ERR <ERRNO_NAME>" and exits 1.  On success prints
 * "opened <CLOCK_BOOTTIME ms>", keeps the file open for SECONDS (default:
 * until SIGTERM or SIGINT), prints "closing <ms>", closes and exits 0.
 * While open, each SIGUSR1 makes it read the file through its own
 * descriptor (from offset 0) and print "read <first line>", as a holder
 * checks whether it still holds the lease.  With -w MS it also reads the
 * file every MS milliseconds and prints "saw <first line> <ms>" whenever
 * the line differs from the previous read: a holder that watches its lease
 * itself, so that what it saw does not depend on when a script asks.
 * With -a PID, right after the open succeeds it prints "peer alive PID"
 * if process PID still runs (exists and is neither a zombie nor dead),
 * else "peer gone PID": whether another holder of the lease ran when this
 * open got it.  A script that timestamps the other holder's end from
 * outside only gets an upper bound (its reaper runs when scheduled, after
 * the daemon already saw the zombie), so "acquired after it was gone" is
 * asked here, at the one moment that can tell.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop, peek;

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		peek = 1;
	else
		stop = 1;
}

static unsigned long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (unsigned long long)ts.tv_sec * 1000 + (unsigned long long)ts.tv_nsec / 1000000;
}

/* The first line of the file through fd into line (empty on EOF). */
static void
read_line(int fd, char *line, size_t len)
{
	ssize_t n = pread(fd, line, len - 1, 0);

	if (n < 0) {
		snprintf(line, len, "ERR %s", strerrorname_np(errno));
		return;
	}
	line[n] = '\0';
	line[strcspn(line, "\n")] = '\0';
}

/* "alive" or "gone": the state letter of /proc/PID/stat ('Z' zombie and
 * 'X' dead count as gone, as core/fence.c counts them). */
static const char *
peer_state(long pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (f == NULL)
		return "gone";
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (p == NULL || p[1] != ' ')
		return "alive"; /* unreadable: never claim it is gone */
	return p[2] == 'Z' || p[2] == 'X' ? "gone" : "alive";
}

static void
print_content(int fd)
{
	char buf[256];

	read_line(fd, buf, sizeof(buf));
	printf("read %s\n", buf);
}

/* -w: read fd and print the line if it changed since the last call. */
static void
watch_content(int fd)
{
	static char last[256];
	static int seen;
	char buf[256];

	read_line(fd, buf, sizeof(buf));
	if (seen && strcmp(buf, last) == 0)
		return;
	seen = 1;
	snprintf(last, sizeof(last), "%s", buf);
	printf("saw %s %llu\n", buf, now_ms());
}

int
main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	int flags = O_RDWR, c, fd, ignore_term = 0;
	double seconds = -1;
	long watch_ms = 0, peer = 0;
	const char *peer_st;
	unsigned long long end_ms = 0;

	while ((c = getopt(argc, argv, "nriw:a:")) != -1) {
		if (c == 'i')
			ignore_term = 1;
		else if (c == 'n')
			flags |= O_NONBLOCK;
		else if (c == 'r')
			flags = (flags & ~O_RDWR) | O_RDONLY;
		else if (c == 'w' && (watch_ms = strtol(optarg, NULL, 10)) > 0)
			;
		else if (c == 'a' && (peer = strtol(optarg, NULL, 10)) > 0)
			;
		else
			return 2;
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: lfs-open [-n] [-r] [-i] [-w MS] [-a PID] PATH [SECONDS]\n");
		return 2;
	}
	if (optind + 1 < argc)
		seconds = strtod(argv[optind + 1], NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* no SA_RESTART: a signal must interrupt a blocked open */
	sigaction(SIGINT, &sa, NULL);
	if (ignore_term)
		signal(SIGTERM, SIG_IGN);
	else
		sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	fd = open(argv[optind], flags);
	if (fd < 0) {
		printf("ERR %s\n", strerrorname_np(errno));
		return 1;
	}
	/* first thing after the open: the peer's state at this moment */
	peer_st = peer > 0 ? peer_state(peer) : NULL;
	printf("opened %llu\n", now_ms());
	if (peer_st != NULL)
		printf("peer %s %ld\n", peer_st, peer);
	if (watch_ms > 0) {
		/* one loop for both: wake every watch_ms, until SECONDS */
		if (seconds >= 0)
			end_ms = now_ms() + (unsigned long long)(seconds * 1000);
		watch_content(fd);
		while (!stop && (seconds < 0 || now_ms() < end_ms)) {
			struct timespec ts = { watch_ms / 1000,
			    (watch_ms % 1000) * 1000000 };

			nanosleep(&ts, NULL);
			if (peek) {
				peek = 0;
				print_content(fd);
			}
			if (!stop)
				watch_content(fd);
		}
	} else if (seconds >= 0) {
		struct timespec ts = { (time_t)seconds,
		    (long)((seconds - (double)(time_t)seconds) * 1e9) };

		while (!stop && nanosleep(&ts, &ts) < 0 && errno == EINTR)
			if (peek) {
				peek = 0;
				print_content(fd);
			}
	} else {
		while (!stop) {
			pause();
			if (peek) {
				peek = 0;
				print_content(fd);
			}
		}
	}
	printf("closing %llu\n", now_ms());
	close(fd);
	return 0;
}
