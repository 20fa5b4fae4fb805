/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * notify.h - telling systemd how the daemon is doing (sd_notify(3)), for
 * leasefs@.service, which is Type=notify.
 *
 * The protocol is one datagram of "KEY=value" lines to the AF_UNIX socket
 * named by $NOTIFY_SOCKET (a leading '@' is the abstract namespace); the
 * variable is set only under systemd, and without it every call here does
 * nothing and returns 0.  No libsystemd: the protocol is this small and
 * systemd documents it as stable.
 *
 * Where the daemon calls it (see also leasefs(8), SYSTEMD):
 *   READY=1      once joined, mounted and serving (where `leasefs mount`
 *                without -f lets its parent exit 0), with a first STATUS=
 *   STATUS=...   whenever renewal health changes (ok, failing, lost), and
 *                while a join waits on another identity's record
 *   STOPPING=1   when a clean stop begins (SIGTERM, SIGINT, unmount)
 *   EXTEND_TIMEOUT_USEC=  while a join waits host_dead for a silent record
 */
#ifndef LEASEFS_NOTIFY_H
#define LEASEFS_NOTIFY_H

/* Send text (newline-separated KEY=value lines) as one datagram.  0 (also
 * when not under systemd), or -errno. */
int lfs_notify(const char *text);

/* lfs_notify() of a printf(3)-formatted text. */
#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
int lfs_notifyf(const char *fmt, ...);

#endif
