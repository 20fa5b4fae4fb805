/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * log.c - formatting for the core's logger callback (see log.h).
 */
#include <stdarg.h>
#include <stdio.h>
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

void
lfs_log_stderr(void *arg, int priority, const char *msg)
{
	static const char *const level[] = {
		"emerg", "alert", "crit", "error", "warning", "notice", "info", "debug"
	};
	const char *tag = arg != NULL ? arg : "leasefs";

	fprintf(stderr, "%s[%ld]: %s: %s\n", tag, (long)getpid(),
	    level[priority & 7], msg);
}
