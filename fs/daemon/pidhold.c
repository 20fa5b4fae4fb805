/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pidhold.c - leases held or requested for a process: ctl `acquire pid N`
 * and `request pid N` (ctl_exec.c parses and checks them; this file owns
 * the process side).
 *
 * Such a lease is held through ctl, like a plain `acquire`, but for N:
 *   - N exits (its pidfd turns readable; pidwatch.c): the lease is
 *     released, or a pending request withdrawn, as a lock file's last
 *     close would;
 *   - fencing and shutdown stop N itself (pidfd_send_signal: SIGTERM,
 *     kill_grace, SIGKILL), as they stop a lock file's holders, and the
 *     guard holds a dup of the pidfd to do the same from outside;
 *   - a lease lost at fencing while held for N stays counted in
 *     d->fencing.fenced_pids (pid_fenced) until N has exited: no rejoin, no write
 *     of the lease, while N may run (issue 11, case 2).
 * The process is never re-found by pid: the pidfd pins it, so a recycled
 * pid is never signalled nor taken for N.
 *
 * Locks: *_locked with table_lock held; lfs_pid_exited takes the lease's
 * context then table_lock, as every lease operation does (daemon.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <unistd.h>

#include "context.h"
#include "daemon.h"
#include "holders.h"

/* The real and saved user ids of the process of pidfd, from
 * /proc/PID/status ("Uid:\treal\teffective\tsaved\tfs").  0 or -errno. */
static int
pid_uids(pid_t pid, uid_t *real, uid_t *saved)
{
	char path[64], line[256];
	unsigned long r, e, s;
	FILE *f;
	int found = 0;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "re")) == NULL)
		return errno == ENOENT ? -ESRCH : -errno;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "Uid: %lu %lu %lu", &r, &e, &s) == 3)
			found = 1;
	fclose(f);
	if (!found)
		return -EIO;
	*real = (uid_t)r;
	*saved = (uid_t)s;
	return 0;
}

int
lfs_pid_open(struct lfs_daemon *d, const char *lease, pid_t pid, uid_t uid,
    int *pidfd)
{
	uid_t real = 0, saved = 0;
	int fd, r;

	if ((fd = pidfd_open(pid, 0)) < 0) {
		r = -errno;
		lfs_log(&d->log, LOG_WARNING, "%s: pid %ld: %s", lease,
		    (long)pid, r == -ESRCH ? "no such process" : strerror(-r));
		return r;
	}
	/* The pidfd pins the process: once it is open, the status read
	 * below is of N or of nothing (N exited: then the pidfd says so
	 * after it, and the pid cannot have been reused before). */
	r = uid == 0 ? 0 : pid_uids(pid, &real, &saved);
	if (r == 0 && lfs_pidfd_exited(fd))
		r = -ESRCH;
	if (r == 0 && uid != 0 && uid != real && uid != saved)
		r = -EPERM;
	if (r < 0) {
		lfs_log(&d->log, LOG_WARNING, "%s: pid %ld: %s", lease,
		    (long)pid, r == -ESRCH ? "no such process" : r == -EPERM ?
		    "the writer may not signal it (as kill(2))" : strerror(-r));
		close(fd);
		return r;
	}
	*pidfd = fd;
	return 0;
}

int
lfs_pid_begin_locked(struct lfs_daemon *d, struct lfs_dlease *l, pid_t pid,
    int pidfd)
{
	int64_t t;

	LFS_TABLE_HELD(d);
	t = lfs_pidwatch_add(&d->pidwatch, pidfd, l);
	if (t < 0) {
		close(pidfd);
		return (int)t;
	}
	l->pd.pid = pid;
	l->pd.pidfd = pidfd;
	l->pd.pid_token = (uint64_t)t;
	l->pd.pid_fenced = 0;
	lfs_guard_pid_lease(&d->guard, l->name, pidfd);
	return 0;
}

void
lfs_pid_end_locked(struct lfs_daemon *d, struct lfs_dlease *l)
{
	LFS_TABLE_HELD(d);
	if (l->pd.pid == 0)
		return;
	if (l->pd.pid_fenced) {
		l->pd.pid_fenced = 0;
		d->fencing.fenced_pids--;
		lfs_watch_kick_locked(d);
	}
	lfs_pidwatch_remove(&d->pidwatch, l->pd.pid_token);
	close(l->pd.pidfd);
	lfs_guard_pid_lease(&d->guard, l->name, -1);
	l->pd.pid = 0;
	l->pd.pidfd = -1;
	l->pd.pid_token = 0;
}

void
lfs_pid_fence_locked(struct lfs_daemon *d, struct lfs_dlease *l)
{
	LFS_TABLE_HELD(d);
	if (l->pd.pid == 0 || l->pd.pid_fenced)
		return;
	l->pd.pid_fenced = 1;
	d->fencing.fenced_pids++;
}

int
lfs_pid_holders(struct lfs_daemon *d, struct lfs_holder *h, int max)
{
	struct lfs_dlease *l;
	int n = 0, fd;

	lfs_table_lock(d);
	for (l = d->tab.leases; l != NULL && n < max; l = l->tb.next) {
		if (l->pd.pid == 0 || !(l->pd.pid_fenced || l->ex.hold == LFS_HOLD_PID ||
		    l->sh.sh_how == LFS_HOW_PID))
			continue;
		/* a dup: the pid hold may end (and close its own) while the
		 * caller is still signalling through this one */
		if ((fd = fcntl(l->pd.pidfd, F_DUPFD_CLOEXEC, 0)) < 0)
			continue;
		memset(&h[n], 0, sizeof(h[n]));
		h[n].pid = l->pd.pid;
		h[n].by_pidfd = 1;
		h[n].pidfd = fd;
		n++;
	}
	lfs_table_unlock(d);
	return n;
}

void
lfs_pid_holders_free(struct lfs_holder *h, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (h[i].by_pidfd)
			close(h[i].pidfd);
}

pid_t
lfs_pid_of(const struct lfs_dlease *l)
{
	return l->pd.pid;
}

int
lfs_pid_fd(const struct lfs_dlease *l)
{
	return l->pd.pidfd;
}

uint64_t
lfs_pid_token(const struct lfs_dlease *l)
{
	return l->pd.pid_token;
}

int
lfs_pid_fenced(const struct lfs_dlease *l)
{
	return l->pd.pid_fenced;
}
