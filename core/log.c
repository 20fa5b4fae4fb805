/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * log.c - formatting for the core's logger callback (see log.h).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

void
lfs_log(const struct lfs_logger *lg, int priority, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (lg == NULL || lg->fn == NULL || priority > lg->max_priority)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	lg->fn(lg->arg, priority, msg);
}

int
lfs_log_fd_is_journal(int fd)
{
	const char *env = getenv("JOURNAL_STREAM");
	uintmax_t dev, ino;
	struct stat st;
	char end;

	if (env == NULL || sscanf(env, "%ju:%ju%c", &dev, &ino, &end) != 2)
		return 0;
	if (fstat(fd, &st) < 0)
		return 0;
	return (uintmax_t)st.st_dev == dev && (uintmax_t)st.st_ino == ino;
}

void
lfs_log_stderr(void *arg, int priority, const char *msg)
{
	static const char *const level[] = {
		"emerg", "alert", "crit", "error", "warning", "notice", "info", "debug"
	};
	const char *tag = arg != NULL ? arg : "leasefs";

	/* Looked up at every message (a getenv and an fstat): loggers hold no
	 * state, and stderr may be redirected at any time. */
	if (!lfs_log_fd_is_journal(STDERR_FILENO))
		fprintf(stderr, "%s[%ld]: %s: %s\n", tag, (long)getpid(),
		    level[priority & 7], msg);
	else if (arg == NULL)
		fprintf(stderr, "<%d>%s\n", priority & 7, msg);
	else
		fprintf(stderr, "<%d>%s[%ld]: %s\n", priority & 7, tag,
		    (long)getpid(), msg);
}
