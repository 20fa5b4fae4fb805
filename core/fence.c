/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fence.c - finding and stopping the local processes that hold leases.
 *
 * Owns everything fence.h declares.  Sections:
 *   1. clock and /proc/PID/stat helpers
 *   2. lfs_fence_find: which processes have a lock/incoming file open
 *   3. lfs_fence_alive, lfs_fence_kill: SIGTERM, grace, SIGKILL, settle
 *   4. lfs_fence_run_command: the kill command for ctl-held leases
 *   5. lfs_fence_stop_all, lfs_fence_run_commands: the whole of a fencing
 *      (the daemon's and the guard's, one copy)
 *
 * Nothing here touches the leasefs mount itself: holders are found by
 * readlink(2) of /proc/PID/fd/N, which the kernel answers from its own
 * dentry cache.  A stat(2) of the file, or of the mount point, would go
 * to the FUSE daemon and hang forever when that daemon is wedged, which
 * is exactly when the guard has to fence.  For the same reason the mount
 * point is compared as text: callers pass the absolute, canonical path
 * (the daemon resolves it once at start-up, before anything can hang).
 *
 * A process is identified by (pid, start time) so that a pid recycled
 * between finding and signalling is never hit.  Signals go through a pidfd
 * when the kernel has them (Linux >= 5.3): the pidfd pins the process, and
 * the start time is checked after it was opened, which closes the window
 * between the check and the signal entirely.
 *
 * Holders may be children of the caller (the unit tests fork them), and
 * reaping them is the parent's business, never ours: a zombie counts as
 * gone, since it holds no file and runs no code.
 *
 * lfs_fence_find matches paths, so a holder whose lease file lies on a
 * lazily unmounted (umount -l) mount, or on a bind mount in another mount
 * namespace, is not found by it (the kernel reports the path relative to
 * that mount).  lfs_fence_find_dev matches the file's device and inode
 * instead, and finds those too; the daemon and the guard use it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "fence.h"
#include "names.h"

/* How often lfs_fence_kill and lfs_fence_run_command look again, in ms:
 * short enough that fencing ends within a few ms of the last holder's
 * exit, long enough that polling costs nothing measurable. */
#define FENCE_POLL_MS 10u

/* After a timed-out command was SIGKILLed, how long to wait for it to be
 * reaped, in ms.  A process in uninterruptible sleep (a hung disk) may
 * never die; the caller must not hang with it. */
#define FENCE_REAP_MS 1000u

/* How many times lfs_fence_find re-reads a pid whose start time changed
 * while its descriptors were being read (the pid was recycled). */
#define FENCE_RESCAN_TRIES 3

extern char **environ;

/* ---- 1. clock and /proc/PID/stat ------------------------------------- */

/*
 * Read the state (field 3) and start time (field 22) of pid.  comm (field
 * 2) is in parentheses and may itself contain spaces and ')', so parsing
 * starts after the last ')'.  0, or -ENOENT/-ESRCH when the process is
 * gone, or another -errno.
 */
static int
read_stat(pid_t pid, char *state, uint64_t *start)
{
	char path[64], buf[1024];
	const char *p;
	char *end;
	ssize_t n;
	int fd, field;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	close(fd);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (p == NULL || p[1] != ' ' || p[2] == '\0')
		return -EIO;
	*state = p[2];
	p += 3;
	/* Skip fields 4..21, each preceded by one space. */
	for (field = 4; field <= 22; field++) {
		if (*p != ' ')
			return -EIO;
		p++;
		if (field < 22)
			p += strcspn(p, " ");
	}
	errno = 0;
	*start = strtoull(p, &end, 10);
	if (errno != 0 || end == p)
		return -EIO;
	return 0;
}

/* ---- 2. finding holders ---------------------------------------------- */

/* What lfs_fence_find and lfs_fence_find_dev look for. */
struct fence_match {
	const char *mp;          /* mount point, trailing '/' removed; NULL:
	                            by device and inode instead */
	size_t mp_len;
	const char *lease;       /* NULL: any valid lease name */
	uint64_t dev;            /* mp == NULL: the filesystem's device */
	lfs_fence_ino_fn ino_ok; /* and which of its inodes */
	void *ino_arg;
};

/* 1 when descriptor name (a number in dfd, /proc/PID/fd) is a file of
 * m->dev that m->ino_ok accepts.  No FUSE request: see lfs_fence_find_dev. */
static int
fd_matches_dev(const struct fence_match *m, int dfd, const char *name)
{
	struct statx stx;

	if (statx(dfd, name, AT_STATX_DONT_SYNC, STATX_INO, &stx) < 0)
		return 0; /* closed meanwhile */
	return makedev(stx.stx_dev_major, stx.stx_dev_minor) == m->dev &&
	    m->ino_ok(stx.stx_ino, m->ino_arg);
}

/* 1 when the readlink result t (tlen bytes) is MOUNT/lease/lock or
 * MOUNT/lease/incoming, optionally followed by " (deleted)". */
static int
target_matches(const struct fence_match *m, const char *t, size_t tlen)
{
	static const char deleted[] = " (deleted)";
	const size_t dlen = sizeof(deleted) - 1;
	const char *name, *slash, *last;
	size_t name_len, last_len;

	if (tlen > dlen && memcmp(t + tlen - dlen, deleted, dlen) == 0)
		tlen -= dlen;
	if (tlen <= m->mp_len + 1 || memcmp(t, m->mp, m->mp_len) != 0 ||
	    t[m->mp_len] != '/')
		return 0;
	name = t + m->mp_len + 1;
	slash = memchr(name, '/', tlen - m->mp_len - 1);
	if (slash == NULL)
		return 0;
	name_len = (size_t)(slash - name);
	last = slash + 1;
	last_len = (size_t)(t + tlen - last);
	if (!(last_len == 4 && memcmp(last, "lock", 4) == 0) &&
	    !(last_len == 8 && memcmp(last, "incoming", 8) == 0))
		return 0;
	if (m->lease != NULL)
		return strlen(m->lease) == name_len &&
		    memcmp(name, m->lease, name_len) == 0;
	return lfs_name_check_len(name, name_len) == 0;
}

/* 1 when pid has a matching descriptor open, 0 when not, -errno when its
 * descriptors cannot be read (-ENOENT: the process is gone). */
static int
pid_holds(const struct fence_match *m, pid_t pid)
{
	char dir[64], target[PATH_MAX + 16];
	struct dirent *de;
	ssize_t n;
	DIR *d;
	int found = 0;

	snprintf(dir, sizeof(dir), "/proc/%ld/fd", (long)pid);
	d = opendir(dir);
	if (d == NULL)
		return -errno;
	while (!found && (de = readdir(d)) != NULL) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		if (m->mp == NULL) {
			found = fd_matches_dev(m, dirfd(d), de->d_name);
			continue;
		}
		n = readlinkat(dirfd(d), de->d_name, target, sizeof(target));
		/* Errors: the descriptor was closed meanwhile.  A full buffer
		 * may be truncated, and is longer than any match anyway. */
		if (n <= 0 || (size_t)n >= sizeof(target))
			continue;
		found = target_matches(m, target, (size_t)n);
	}
	closedir(d);
	return found;
}

/* Decide about one pid: 1 and *h filled when it is a holder, else 0.  The
 * start time is read before and after the descriptors, so the descriptors
 * seen are known to belong to the process that start time names. */
static int
check_pid(const struct fence_match *m, pid_t pid, struct lfs_holder *h)
{
	uint64_t before, after;
	char state;
	int tries, r;

	for (tries = 0; tries < FENCE_RESCAN_TRIES; tries++) {
		if (read_stat(pid, &state, &before) < 0)
			return 0;        /* gone, or not ours to read */
		r = pid_holds(m, pid);
		if (r <= 0)
			return 0;
		if (read_stat(pid, &state, &after) < 0)
			return 0;        /* exited: holds nothing now */
		if (before == after) {
			memset(h, 0, sizeof(*h));
			h->pid = pid;
			h->start_time = before;
			return 1;
		}
	}
	return 0;
}

/* Every process but ours that holds what m names, into out[0..max). */
static int
find_all(const struct fence_match *m, struct lfs_holder *out, int max)
{
	struct lfs_holder h;
	struct dirent *de;
	pid_t self = getpid();
	char *end;
	long pid;
	DIR *d;
	int n = 0;

	d = opendir("/proc");
	if (d == NULL)
		return -errno;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		pid = strtol(de->d_name, &end, 10);
		if (*end != '\0' || pid <= 0 || pid > INT_MAX || pid == self)
			continue;
		if (!check_pid(m, (pid_t)pid, &h))
			continue;
		if (n < max)
			out[n] = h;
		n++;
	}
	closedir(d);
	return n;
}

int
lfs_fence_find(const char *mountpoint, const char *lease,
    struct lfs_holder *out, int max)
{
	struct fence_match m;

	if (mountpoint == NULL || mountpoint[0] != '/' || max < 0 ||
	    (max > 0 && out == NULL) ||
	    (lease != NULL && lfs_name_check(lease) < 0))
		return -EINVAL;
	memset(&m, 0, sizeof(m));
	m.mp = mountpoint;
	m.mp_len = strlen(mountpoint);
	while (m.mp_len > 0 && mountpoint[m.mp_len - 1] == '/')
		m.mp_len--;      /* "/mnt/x/" is "/mnt/x"; "/" becomes "" */
	m.lease = lease;
	return find_all(&m, out, max);
}

int
lfs_fence_find_dev(uint64_t dev, lfs_fence_ino_fn match, void *arg,
    struct lfs_holder *out, int max)
{
	struct fence_match m;

	if (dev == 0 || match == NULL || max < 0 || (max > 0 && out == NULL))
		return -EINVAL;
	memset(&m, 0, sizeof(m));
	m.dev = dev;
	m.ino_ok = match;
	m.ino_arg = arg;
	return find_all(&m, out, max);
}

int
lfs_fence_mount_dev(const char *path, uint64_t *dev)
{
	struct statx stx;

	if (statx(AT_FDCWD, path, AT_STATX_DONT_SYNC, STATX_INO, &stx) < 0)
		return -errno;
	*dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
	return 0;
}

/* ---- 3. alive and kill ----------------------------------------------- */

int
lfs_fence_alive(const struct lfs_holder *h)
{
	struct pollfd p;
	uint64_t start;
	char state;

	if (h != NULL && h->by_pidfd) {
		/* a pidfd is readable once its process exited (zombie or
		 * reaped): no /proc, no pid that could be recycled */
		p.fd = h->pidfd;
		p.events = POLLIN;
		p.revents = 0;
		return poll(&p, 1, 0) == 0;
	}
	if (h == NULL || h->pid <= 0 || read_stat(h->pid, &state, &start) < 0)
		return 0;
	/* 'Z' zombie and 'X' dead: exited, awaiting or done with reaping. */
	return state != 'Z' && state != 'X' && start == h->start_time;
}

/*
 * Send sig to h if it is still the same process.  1 when sent, 0 when the
 * process is gone, -errno on failure.  With a pidfd the process cannot be
 * recycled between the alive check and the signal.
 */
static int
signal_holder(const struct lfs_holder *h, int sig)
{
	int pfd, r = 1;

	if (h->by_pidfd) {
		if (!lfs_fence_alive(h))
			return 0;
		return pidfd_send_signal(h->pidfd, sig, NULL, 0) < 0 ?
		    (errno == ESRCH ? 0 : -errno) : 1;
	}
	pfd = pidfd_open(h->pid, 0);
	if (pfd < 0) {
		if (errno == ESRCH)
			return 0;
		if (errno != ENOSYS)
			return -errno;
		/* Kernel without pidfds: a small recycling window remains. */
		if (!lfs_fence_alive(h))
			return 0;
		return kill(h->pid, sig) < 0 ? (errno == ESRCH ? 0 : -errno) : 1;
	}
	if (!lfs_fence_alive(h))
		r = 0;
	else if (pidfd_send_signal(pfd, sig, NULL, 0) < 0)
		r = errno == ESRCH ? 0 : -errno;
	close(pfd);
	return r;
}

/* Signal every live holder with sig, logging each. */
static void
signal_all(const struct lfs_holder *h, int n, int sig,
    const struct lfs_logger *log)
{
	const char *name = sig == SIGKILL ? "SIGKILL" : "SIGTERM";
	int i, r;

	for (i = 0; i < n; i++) {
		r = signal_holder(&h[i], sig);
		if (r > 0)
			lfs_log(log, LOG_WARNING, "fencing: %s pid %ld", name,
			    (long)h[i].pid);
		else if (r < 0)
			lfs_log(log, LOG_ERR, "fencing: %s pid %ld: %s", name,
			    (long)h[i].pid, strerror(-r));
	}
}

static int
count_alive(const struct lfs_holder *h, int n)
{
	int i, alive = 0;

	for (i = 0; i < n; i++)
		alive += lfs_fence_alive(&h[i]);
	return alive;
}

/* Poll until no holder is alive or wait_ms passed; the count left. */
static int
wait_gone(const struct lfs_holder *h, int n, uint32_t wait_ms)
{
	uint64_t end = lfs_now_ms() + wait_ms;
	int alive;

	while ((alive = count_alive(h, n)) > 0 && lfs_now_ms() < end)
		lfs_sleep_ms(FENCE_POLL_MS);
	return alive;
}

int
lfs_fence_kill(const struct lfs_holder *h, int n, uint32_t grace_ms,
    uint32_t settle_ms, const struct lfs_logger *log)
{
	int alive;

	if (n <= 0 || h == NULL)
		return 0;
	/* no grace: SIGKILL at once (a rescan after the grace was spent; a
	 * SIGTERM first would only give a forking handler another go) */
	if (grace_ms > 0) {
		signal_all(h, n, SIGTERM, log);
		if (wait_gone(h, n, grace_ms) == 0)
			return 0;
	}
	signal_all(h, n, SIGKILL, log);
	alive = wait_gone(h, n, settle_ms);
	if (alive > 0)
		lfs_log(log, LOG_ERR, "fencing: %d holder(s) still alive %u ms "
		    "after SIGKILL", alive, settle_ms);
	return alive;
}

/* ---- 4. kill command ------------------------------------------------- */

/*
 * The command's environment: ours without any LEASEFS_LEASE, plus
 * LEASEFS_LEASE=lease.  Built before fork, so that the child only calls
 * async-signal-safe functions (the daemon that may call us is threaded).
 * *var receives the string to free with the array.
 */
static char **
command_env(const char *lease, char **var)
{
	static const char key[] = "LEASEFS_LEASE=";
	size_t n = 0, i, j = 0;
	char **env;

	while (environ != NULL && environ[n] != NULL)
		n++;
	env = calloc(n + 2, sizeof(*env));
	*var = malloc(sizeof(key) + strlen(lease));
	if (env == NULL || *var == NULL) {
		free(env);
		free(*var);
		return NULL;
	}
	strcpy(*var, key);
	strcat(*var, lease);
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], key, sizeof(key) - 1) != 0)
			env[j++] = environ[i];
	env[j++] = *var;
	env[j] = NULL;
	return env;
}

/* In the forked child: a clean slate for the shell, then exec. */
static void __attribute__((noreturn))
command_child(const char *command, char **env)
{
	static const int sigs[] = { SIGINT, SIGHUP, SIGTERM, SIGQUIT, SIGPIPE,
	    SIGCHLD, SIGTSTP, SIGTTIN, SIGTTOU };
	struct sigaction sa;
	sigset_t none;
	size_t i;

	/* Its own process group, so that a timeout kills what it started. */
	setpgid(0, 0);
	/* The guard ignores terminal signals; ignoring survives exec. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* Our descriptors (lease device, FUSE channel) are not its business. */
	close_range(3, ~0u, 0);
	execle("/bin/sh", "sh", "-c", command, (char *)NULL, env);
	_exit(127);
}

int
lfs_fence_reap(pid_t pid, uint32_t wait_ms, int *status)
{
	uint64_t end = lfs_now_ms() + wait_ms;
	pid_t r;

	for (;;) {
		r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 1;
		if (r < 0 && errno != EINTR)
			return -errno;
		if (lfs_now_ms() >= end)
			return 0;
		lfs_sleep_ms(FENCE_POLL_MS);
	}
}

/* Log how the command ended; 0 for exit status 0, else -ECHILD. */
static int
command_result(const char *lease, int status, const struct lfs_logger *log)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		lfs_log(log, LOG_NOTICE, "fencing: kill command for %s done",
		    lease);
		return 0;
	}
	if (WIFEXITED(status))
		lfs_log(log, LOG_ERR, "fencing: kill command for %s exited %d",
		    lease, WEXITSTATUS(status));
	else
		lfs_log(log, LOG_ERR, "fencing: kill command for %s killed by "
		    "signal %d", lease, WTERMSIG(status));
	return -ECHILD;
}

int
lfs_fence_run_command(const char *command, const char *lease,
    uint32_t timeout_ms, const struct lfs_logger *log)
{
	char **env, *var;
	int status = 0, r;
	pid_t pid;

	if (command == NULL || lease == NULL)
		return -EINVAL;
	env = command_env(lease, &var);
	if (env == NULL)
		return -ENOMEM;
	lfs_log(log, LOG_WARNING, "fencing: running kill command for %s", lease);
	pid = fork();
	if (pid == 0)
		command_child(command, env);
	r = -errno;
	free(env);
	free(var);
	if (pid > 0)
		setpgid(pid, pid);   /* also here: a timeout may come first */
	if (pid < 0) {
		lfs_log(log, LOG_ERR, "fencing: fork: %s", strerror(-r));
		return r;
	}
	r = lfs_fence_reap(pid, timeout_ms, &status);
	if (r == 0) {
		lfs_log(log, LOG_ERR, "fencing: kill command for %s timed out "
		    "after %u ms: SIGKILL", lease, timeout_ms);
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		r = lfs_fence_reap(pid, FENCE_REAP_MS, &status);
		return r < 0 ? r : -ETIMEDOUT;
	}
	if (r < 0) {
		lfs_log(log, LOG_ERR, "fencing: waitpid: %s", strerror(-r));
		return r;
	}
	return command_result(lease, status, log);
}

/* ---- 5. the whole of a fencing ---- */

int
lfs_fence_stop_all(const struct lfs_fence_finder *f, struct lfs_holder *buf,
    int max, uint64_t deadline_ms, uint32_t settle_ms, int passes,
    const struct lfs_logger *log)
{
	uint64_t now;
	int pass, n = 0;

	for (pass = 0; pass <= passes; pass++) {
		n = f->find(f->arg, buf, max);
		if (n < 0) {
			lfs_log(log, LOG_ERR, "fencing: cannot look for lease "
			    "holders: %s", strerror(-n));
			return n;
		}
		if (n == 0 || pass == passes) {
			if (f->done != NULL)
				f->done(f->arg, buf, n < max ? n : max);
			break; /* all gone, or out of passes: n survive */
		}
		lfs_log(log, LOG_WARNING, "fencing: %d holder(s)%s", n,
		    pass > 0 ? " (found again)" : "");
		now = lfs_now_ms();
		if (lfs_fence_kill(buf, n < max ? n : max, pass == 0 &&
		    deadline_ms > now ? (uint32_t)(deadline_ms - now) : 0,
		    settle_ms, log) > 0)
			lfs_log(log, LOG_CRIT, "fencing: lease holder(s) "
			    "survived SIGKILL");
		if (f->done != NULL)
			f->done(f->arg, buf, n < max ? n : max);
	}
	return n;
}

int
lfs_fence_run_commands(const char *command,
    const char (*names)[LFS_NAME_MAX + 1], int n, uint64_t deadline_ms,
    const struct lfs_logger *log)
{
	int i, failed = 0;
	uint64_t now;

	for (i = 0; i < n; i++) {
		now = lfs_now_ms();
		if (command == NULL || command[0] == '\0') {
			lfs_log(log, LOG_CRIT, "fencing: %s: held through ctl "
			    "and no kill command: its user may still run",
			    names[i]);
			failed++;
		} else if (now >= deadline_ms) {
			lfs_log(log, LOG_ERR, "fencing: %s: no time left for "
			    "the kill command", names[i]);
			failed++;
		} else if (lfs_fence_run_command(command, names[i],
		    (uint32_t)(deadline_ms - now), log) < 0) {
			failed++;
		}
	}
	return failed;
}
