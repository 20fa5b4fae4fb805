/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * log.h - how core modules report what they did, without deciding where it goes.
 *
 * Core code never prints and never exits.  It returns 0 or -errno, and when a
 * caller handed it a logger it also says what happened, with syslog(3)
 * priorities.  The daemon routes this to syslog or stderr; tests to stderr or
 * nowhere.  A NULL logger or NULL fn is silence.
 *
 * Levels, so that the default (LOG_INFO and above) reads as a history and
 * LOG_WARNING and above as trouble:
 *   LOG_CRIT     safety: fencing, a generation lost, holders that survive
 *   LOG_ERR      an error: storage, a corrupt record, a failed join
 *   LOG_WARNING  a refused request that is misuse (EPERM, EINVAL, a transfer
 *                to a host that did not ask), or trouble that may heal
 *   LOG_NOTICE   a change this host made: a join, an acquire, a release
 *   LOG_INFO     expected contention, which callers retry or report as
 *                EBUSY, EWOULDBLOCK or EEXIST, and the normal course of events
 *   LOG_DEBUG    internal traffic: the name table's own lease, taken at
 *                every mkdir and rmdir
 * An error returned to a caller that reports it is not logged here too.
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

/*
 * A logger that writes one line per message to stderr: "TAG[pid]: level:
 * msg" (arg is TAG, or NULL for "leasefs").  When stderr is the stream
 * journald gave this process (lfs_log_fd_is_journal), the line is
 * "<N>msg" instead, or "<N>TAG[pid]: msg" for a non-NULL arg: the
 * sd-daemon(3) prefix, from which journald takes the priority N, while
 * journald itself records the unit's name and main pid (so a TAG only
 * tells another process, such as the guard, apart).
 */
void lfs_log_stderr(void *arg, int priority, const char *msg);

/*
 * Whether fd is the stream journald connected this process to: systemd
 * sets $JOURNAL_STREAM to "DEVICE:INODE" of it (systemd.exec(5)); an fd
 * redirected elsewhere since (a shell's 2>file) has another device and
 * inode.  1 or 0.
 */
int lfs_log_fd_is_journal(int fd);

#endif
