/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * log.h - how core modules report what they did, without deciding where it goes.
 *
 * Core code never prints and never exits.  It returns 0 or -errno, and when a
 * caller handed it a logger it also says what happened, with syslog(3)
 * priorities.  The daemon routes this to syslog or stderr; tests to stderr or
 * nowhere.  A NULL logger or NULL fn is silence.
 */
#ifndef LEASEFS_LOG_H
#define LEASEFS_LOG_H

#include <syslog.h>

struct lfs_logger {
	void (*fn)(void *arg, int priority, const char *msg);
	void *arg;
	int max_priority;        /* messages above this (less urgent) are dropped */
};

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
void lfs_log(const struct lfs_logger *lg, int priority, const char *fmt, ...);

/* A logger that writes "leasefs[pid]: msg" lines to stderr. */
void lfs_log_stderr(void *arg, int priority, const char *msg);

#endif
