/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_wait.c - `leasefs wait LEASEDIR --owner HOST|free [--timeout S]`:
 * wait until a lease has the given owner.
 *
 * Reads LEASEDIR/owner and compares; HOST matches either field of the
 * owner line ("<id> <name>"), `free` matches "free".  While it does not
 * match, poll(2)s the open file: the daemon reports it readable when the
 * owner changed since the last read (its watcher re-reads polled leases
 * every 20 ms and notifies).  Each re-read is a read from offset 0, which
 * makes the daemon compute the content afresh.  As a safety net against a
 * lost notification the file is re-read at least every second anyway.
 *
 * Exit status: 0 matched, 1 timed out or failed, 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"

#define WAIT_RECHECK_MS 1000     /* longest wait between two reads, in ms */
#define WAIT_ERROR_MS 100        /* re-read interval when poll fails, in ms */
#define OWNER_TEXT_MAX 256       /* bytes of an owner file (id, name, \n) */

static uint64_t
wait_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

#define WAIT "leasefs wait"

static const char wait_usage[] =
    "usage: leasefs wait LEASEDIR --owner HOST|free [--timeout S]\n"
    "Wait until the lease LEASEDIR (a directory in a leasefs mount) has the\n"
    "given owner: a host id, a host name, or free.\n"
    "  -o, --owner HOST|free   the owner to wait for (required)\n"
    "  -t, --timeout S         give up after S seconds (fractions allowed;\n"
    "                          0 checks once); exit 1 then\n"
    "  -h, --help              this text\n"
    "  -V, --version           versions of leasefs and libfuse\n"
    "See leasefs(8).\n";

/* Read the whole owner file from offset 0 into buf (NUL-terminated,
 * trailing newline removed).  0 or -errno. */
static int
read_owner(int fd, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got + 1 < len) {
		n = pread(fd, buf + got, len - 1 - got, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	if (got > 0 && buf[got - 1] == '\n')
		buf[got - 1] = '\0';
	return 0;
}

/* Whether the owner line matches want ("free", a host id or a name). */
static int
owner_matches(const char *line, const char *want)
{
	const char *sp;
	size_t idlen;

	if (strcmp(want, "free") == 0)
		return strcmp(line, "free") == 0;
	if ((sp = strchr(line, ' ')) == NULL)
		return 0;
	idlen = (size_t)(sp - line);
	if (strlen(want) == idlen && strncmp(line, want, idlen) == 0)
		return 1;
	if (strspn(want, "0123456789") == strlen(want) &&
	    strtoul(want, NULL, 10) == strtoul(line, NULL, 10))
		return 1;
	return strcmp(sp + 1, want) == 0;
}

/* Parse a timeout in seconds (decimal, fractions allowed) into ms. */
static int
parse_timeout(const char *s, uint64_t *ms)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || v < 0 || v > 1e9)
		return -EINVAL;
	*ms = (uint64_t)(v * 1000.0 + 0.5);
	return 0;
}

static int
wait_loop(int fd, const char *path, const char *want, uint64_t timeout_ms,
    int have_timeout)
{
	uint64_t deadline = wait_now_ms() + timeout_ms, now;
	struct pollfd pfd = { .fd = fd, .events = POLLIN | POLLPRI };
	char text[OWNER_TEXT_MAX];
	int r, wait_ms;

	for (;;) {
		r = read_owner(fd, text, sizeof(text));
		/* the lease or the mount is gone: waiting cannot succeed */
		if (r == -ENOENT || r == -ESTALE || r == -ENOTCONN ||
		    r == -ENODEV) {
			fprintf(stderr, "leasefs: %s: %s\n", path, strerror(-r));
			return 1;
		}
		if (r == 0 && owner_matches(text, want))
			return 0;
		now = wait_now_ms();
		if (have_timeout && now >= deadline) {
			fprintf(stderr, "leasefs: %s: timed out (owner: %s)\n",
			    path, r == 0 ? text : strerror(-r));
			return 1;
		}
		wait_ms = WAIT_RECHECK_MS;
		if (have_timeout && deadline - now < (uint64_t)wait_ms)
			wait_ms = (int)(deadline - now);
		pfd.revents = 0;
		if (poll(&pfd, 1, wait_ms) < 0 && errno != EINTR) {
			fprintf(stderr, "leasefs: poll %s: %s\n", path,
			    strerror(errno));
			return 1;
		}
		/* A file that cannot be polled reports an error at once:
		 * fall back to re-reading every WAIT_ERROR_MS, never spin. */
		if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL))
			poll(NULL, 0, wait_ms < WAIT_ERROR_MS ? wait_ms :
			    WAIT_ERROR_MS);
	}
}

int
cmd_wait(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "owner", required_argument, NULL, 'o' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *want = NULL;
	char path[PATH_MAX];
	uint64_t timeout_ms = 0;
	int c, fd, rc, have_timeout = 0;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:t:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': want = optarg; break;
		case 't':
			if (parse_timeout(optarg, &timeout_ms) < 0)
				return lfs_cli_usage_error(WAIT, "--timeout: '%s' "
				    "is not a number of seconds", optarg);
			have_timeout = 1;
			break;
		case 'h': fputs(wait_usage, stdout); return LFS_EXIT_OK;
		case 'V': return lfs_cli_version();
		default: return lfs_cli_bad_option(WAIT, c, argv, longopts);
		}
	}
	if (argc - optind != 1)
		return lfs_cli_operands(WAIT, argv + optind, argc - optind, 1,
		    "LEASEDIR");
	if (want == NULL || want[0] == '\0')
		return lfs_cli_usage_error(WAIT, want == NULL ? "missing --owner "
		    "HOST|free" : "--owner: the value is empty");
	if (snprintf(path, sizeof(path), "%s/owner", argv[optind]) >=
	    (int)sizeof(path)) {
		fprintf(stderr, "leasefs: %s: path too long\n", argv[optind]);
		return 1;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "leasefs: %s: %s\n", path, strerror(errno));
		return 1;
	}
	rc = wait_loop(fd, path, want, timeout_ms, have_timeout);
	close(fd);
	return rc;
}
