/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * guard.c - the guard process: fences this host's lease holders when the
 * daemon cannot (see guard.h for the contract).
 *
 * Sections:
 *   1. wire format and limits
 *   2. watchdog device (opened by the daemon side, petted by the guard)
 *   3. daemon side: lfs_guard_start, _renewed, _ctl_lease, _stop
 *   4. the guard process: set-up, messages, fencing, main loop
 *
 * The daemon forks the guard before it starts any thread, so the child may
 * call anything (malloc, syslog) without inheriting a lock held by a thread
 * that does not exist in it.  The guard's states and what moves it:
 *
 *   ARMED  -- now >= renewed_ms + gate_close: gate_close ------> GATED
 *   GATED  -- now >= renewed_ms + renewal_fail: renewal gate closed,
 *             fence_holders --------------------------------------> FENCED
 *   GATED, FENCED -- "R" with a newer ms: handle_msg, gate open -> ARMED
 *   either -- "B": exit_bye ---------> exit 0, watchdog closed with 'V'
 *   either -- EOF or reset: exit_daemon_died --> fence_holders, rescan
 *             and kill until no holder is left, exit 0 (which drops the
 *             fencing lock, guard.h), watchdog left armed (guard.h: 'V'
 *             only on a clean bye)
 *
 * "R" carries the submit time of a good renewal write (CLOCK_BOOTTIME ms,
 * the same clock in both processes).  Only a newer time re-arms: a stale or
 * reordered "R" changes nothing, and the guard fences at most once per
 * deadline.  A newer renewal whose deadline has already passed re-arms and
 * fences again at once: it came too late to count.  Messages are drained
 * before every deadline check, so a renewal queued in time is never missed
 * because the guard was slow to run.
 *
 * Reaping: the guard is the daemon's child.  The daemon installs no
 * SIGCHLD handler for it and reaps it only in lfs_guard_stop(); a guard
 * that dies early stays a zombie until then, and the daemon learns of its
 * death from the next send failing with EPIPE (or ECONNREFUSED), which
 * lfs_guard_renewed() and lfs_guard_ctl_lease() return.
 *
 * Watchdog timing: the guard stops petting once a deadline passes, and
 * fencing then ends by renewed + renewal_fail + kill_grace + kill_settle
 * = renewed + host_dead.  The device timeout must therefore be at most
 * kill_grace + kill_settle (WDIOC_SETTIMEOUT, whole seconds, rounded
 * down): the last pet is before renewed + renewal_fail, so a host too
 * wedged to kill its holders is reset before any other host may take its
 * leases.  Below one second of kill_grace + kill_settle (test timeouts
 * only) the one-second minimum of the device cannot honour this.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/watchdog.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "fence.h"
#include "guard.h"
#include "log.h"
#include "names.h"
#include "ondisk.h"

/* ---- 1. wire format and limits --------------------------------------- */

/*
 * One SOCK_SEQPACKET datagram per message, ASCII, no terminator:
 *   "R <ms>"       a renewal submitted at <ms> (decimal) succeeded
 *   "C+ <lease>"   lease is now held through ctl
 *   "C- <lease>"   lease is no longer held through ctl
 *   "P+ <lease>"   lease is now held for a process, whose pidfd comes
 *                  with the message (SCM_RIGHTS)
 *   "P- <lease>"   it is not any more
 *   "B"            bye: the daemon stops cleanly, the guard exits
 * An empty datagram is never sent, so a zero-length read is EOF.
 */
#define GUARD_MSG_MAX 128          /* bytes; longest valid is 3 + 48 */

#define GUARD_MAX_CTL 4096         /* ctl-held leases the guard tracks */
#define GUARD_MAX_HOLDERS 4096     /* holders fenced per /proc scan */
#define GUARD_FIND_PASSES 4        /* kills before the last scan (more holders
                                      than fit, or forked meanwhile) */

/* lfs_guard_stop: how long the guard may take to exit after "B", in ms.
 * It exits at once unless it is in the middle of fencing. */
#define GUARD_STOP_MS 5000u
/* After SIGKILL, how long to wait for the guard to be reaped, in ms. */
#define GUARD_REAP_MS 1000u
/* Reaping poll interval, in ms. */
#define GUARD_POLL_MS 10u
/* lfs_guard_stop: how long "B" may wait for socket buffer space, in ms. */
#define GUARD_BYE_MS 1000u
/* Longest single poll() sleep, in ms; the loop just recomputes after.
 * poll() sleeps on CLOCK_MONOTONIC, which a suspend stops, while deadlines
 * are CLOCK_BOOTTIME (core/clock.c): short sleeps see a deadline that passed
 * during a suspend within this of the resume, at ten wake-ups a second. */
#define GUARD_SLEEP_MAX_MS 100u
/* Longest time between two watchdog pets, in ms (also at most a quarter
 * of the device timeout, see watchdog_open). */
#define GUARD_PET_MAX_MS 1000u

/* ---- 2. watchdog device --------------------------------------------- */

/* Disarm with the magic close: the only way the device stops counting. */
static void
watchdog_disarm(int wd)
{
	if (wd < 0)
		return;
	while (write(wd, "V", 1) < 0 && errno == EINTR)
		;
	close(wd);
}

/*
 * Open the watchdog and set its timeout to (kill_grace + kill_settle) /
 * 1000 s, at least 1 (see the top of this file).  Done by the daemon
 * before the fork, so that a missing device or an unsettable timeout is
 * an error of lfs_guard_start() rather than a silent guard.  Returns the
 * descriptor and the pet interval, or -errno.
 */
static int
watchdog_open(const struct lfs_guard_config *cfg, uint32_t *pet_ms)
{
	int wd, secs, want, r;

	want = (int)(((uint64_t)cfg->kill_grace_ms + cfg->kill_settle_ms) /
	    1000u);
	if (want < 1)
		want = 1;
	wd = open(cfg->watchdog, O_WRONLY | O_CLOEXEC);
	if (wd < 0)
		return -errno;
	secs = want;
	if (ioctl(wd, WDIOC_SETTIMEOUT, &secs) < 0) {
		r = -errno;
		watchdog_disarm(wd);
		return r;
	}
	if (secs > want || secs < 1) {
		/* The driver rounded up: it would reset after host_dead. */
		watchdog_disarm(wd);
		return -ERANGE;
	}
	*pet_ms = (uint32_t)secs * 1000u / 4u;
	if (*pet_ms > GUARD_PET_MAX_MS)
		*pet_ms = GUARD_PET_MAX_MS;
	return wd;
}

/* ---- 3. daemon side -------------------------------------------------- */

static void __attribute__((noreturn))
guard_child(const struct lfs_guard_config *cfg, int fd, int wd,
    uint32_t pet_ms, uint64_t renewed_ms);

int
lfs_guard_start(struct lfs_guard *g, const struct lfs_guard_config *cfg,
    uint64_t renewed_ms)
{
	uint32_t pet_ms = GUARD_PET_MAX_MS;
	int sv[2], wd = -1, r;
	pid_t pid;

	g->pid = 0;
	g->fd = -1;
	if (cfg == NULL || cfg->mountpoint == NULL ||
	    cfg->mountpoint[0] != '/' || cfg->renewal_fail_ms == 0)
		return -EINVAL;
	if (cfg->watchdog != NULL && (wd = watchdog_open(cfg, &pet_ms)) < 0)
		return wd;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		r = -errno;
		watchdog_disarm(wd);
		return r;
	}
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		guard_child(cfg, sv[1], wd, pet_ms, renewed_ms);
	}
	r = -errno;
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		watchdog_disarm(wd);
		return r;
	}
	if (wd >= 0)
		close(wd);       /* the guard's copy keeps the device open */
	g->pid = pid;
	g->fd = sv[0];
	return 0;
}

/* Send one message without blocking; 0 or -errno (-EAGAIN: buffer full,
 * -EPIPE or -ECONNREFUSED: the guard is gone). */
static int
guard_send(struct lfs_guard *g, const char *msg)
{
	size_t len = strlen(msg);
	ssize_t n;

	if (g == NULL || g->pid <= 0 || g->fd < 0)
		return -ENOTCONN;
	n = send(g->fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int
lfs_guard_renewed(struct lfs_guard *g, uint64_t renewed_ms)
{
	char msg[GUARD_MSG_MAX];

	snprintf(msg, sizeof(msg), "R %" PRIu64, renewed_ms);
	return guard_send(g, msg);
}

int
lfs_guard_pid_lease(struct lfs_guard *g, const char *lease, int pidfd)
{
	char msg[GUARD_MSG_MAX], cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov;
	struct msghdr mh;
	struct cmsghdr *c;
	ssize_t n;

	if (lfs_name_check(lease) < 0)
		return -EINVAL;
	if (g == NULL || g->pid <= 0 || g->fd < 0)
		return -ENOTCONN;
	snprintf(msg, sizeof(msg), "P%c %s", pidfd >= 0 ? '+' : '-', lease);
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = msg;
	iov.iov_len = strlen(msg);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (pidfd >= 0) {
		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &pidfd, sizeof(int));
	}
	n = sendmsg(g->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0)
		return -errno;
	return (size_t)n == iov.iov_len ? 0 : -EIO;
}

int
lfs_guard_ctl_lease(struct lfs_guard *g, const char *lease, int held)
{
	char msg[GUARD_MSG_MAX];

	if (lfs_name_check(lease) < 0)
		return -EINVAL;
	snprintf(msg, sizeof(msg), "C%c %s", held ? '+' : '-', lease);
	return guard_send(g, msg);
}

/* Send "B", waiting up to GUARD_BYE_MS for buffer space: a lost bye
 * would look like a daemon crash and fence everything. */
static int
send_bye(struct lfs_guard *g)
{
	struct pollfd p = { .fd = g->fd, .events = POLLOUT };
	uint64_t end = lfs_now_ms() + GUARD_BYE_MS;
	int r;

	while ((r = guard_send(g, "B")) == -EAGAIN && lfs_now_ms() < end)
		poll(&p, 1, (int)GUARD_POLL_MS);
	return r;
}

int
lfs_guard_stop(struct lfs_guard *g)
{
	int r, w, status = 0;

	if (g == NULL || g->pid <= 0)
		return 0;
	r = send_bye(g);
	close(g->fd);
	g->fd = -1;
	w = lfs_fence_reap(g->pid, GUARD_STOP_MS, &status);
	if (w == 0) {
		kill(g->pid, SIGKILL);
		w = lfs_fence_reap(g->pid, GUARD_REAP_MS, &status);
		if (r == 0)
			r = w == 0 ? -ETIMEDOUT : -EINTR;
	}
	if (w < 0 && r == 0)
		r = w;
	else if (w > 0 && r == 0 &&
	    (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
		r = -ECHILD;
	g->pid = 0;
	return r;
}

void
lfs_guard_abandon(struct lfs_guard *g)
{
	int status;

	if (g == NULL || g->pid <= 0)
		return;
	close(g->fd);
	g->fd = -1;
	lfs_fence_reap(g->pid, 0, &status);
	g->pid = 0;
}

int
lfs_lease_file_ino(uint64_t ino, void *slot)
{
	uint64_t kind = ino & 7;

	if (ino < 8 || (kind != LFS_GUARD_KIND_LOCK &&
	    kind != LFS_GUARD_KIND_INCOMING))
		return 0;
	return slot == NULL || (ino >> 3) == *(const uint32_t *)slot;
}

/* ---- 4. the guard process -------------------------------------------- */

/* The pid of a pidfd (the "Pid:" line of its fdinfo), for log lines only;
 * 0 when unknown. */
static pid_t
pidfd_pid(int fd)
{
	char path[64], line[128];
	long pid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	if ((f = fopen(path, "re")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "Pid: %ld", &pid) == 1)
			break;
	fclose(f);
	return (pid_t)pid;
}


struct guard_state {
	const struct lfs_guard_config *cfg;  /* the daemon's, copied by fork */
	struct lfs_logger log;
	int fd;                  /* the guard's end of the socketpair */
	int wd;                  /* watchdog device, -1 when off */
	uint32_t pet_ms;         /* longest sleep between two pets */
	uint64_t renewed_ms;     /* newest renewal submit time reported */
	int gated;               /* we hold the submit gate closed (gate.h)
	                            for the deadline of renewed_ms */
	int renew_gated;         /* ... and the renewal gate */
	int fenced;              /* fenced for the deadline of renewed_ms */
	int survivors;           /* holders (or ctl users) the last fencing
	                            could not prove stopped: fencing goes on,
	                            and the watchdog is not petted */
	int ctl_failed;          /* ctl leases whose kill command failed (or
	                            none): cleared by a newer renewal only,
	                            which the daemon sends once it proved
	                            their users gone */
	uint64_t rescan_ms;      /* next look for survivors */
	char (*ctl)[LFS_NAME_MAX + 1];       /* ctl-held leases */
	int nctl;
	struct guard_pid {                   /* leases held for a process */
		char lease[LFS_NAME_MAX + 1];
		struct lfs_holder h;         /* by pidfd: our own copy */
	} *pids;
	int npids;
	struct lfs_holder *holders;          /* GUARD_MAX_HOLDERS, scratch */
};

static void
guard_syslog(void *arg, int priority, const char *msg)
{
	(void)arg;
	syslog(priority, "%s", msg);
}

/* Run the kill command for every ctl-held lease, all within kill_grace of
 * the start (fence.h).  Returns how many failed. */
static int
run_kill_commands(struct guard_state *gs, uint64_t deadline_ms)
{
	return lfs_fence_run_commands(gs->cfg->kill_command,
	    (const char (*)[LFS_NAME_MAX + 1])gs->ctl, gs->nctl, deadline_ms,
	    &gs->log);
}

/* The processes leases are held for that still run, then the holders of
 * lease files under the mount point, into out[0..max) (a finder of
 * fence.h; arg is the guard_state).  How many, or -errno when /proc
 * cannot be scanned. */
static int
find_holders(void *arg, struct lfs_holder *out, int max)
{
	struct guard_state *gs = arg;
	int i, np = 0, n;

	for (i = 0; i < gs->npids && np < max / 2; i++)
		if (lfs_fence_alive(&gs->pids[i].h))
			out[np++] = gs->pids[i].h;
	if (gs->cfg->mount_dev != 0)
		n = lfs_fence_find_dev(gs->cfg->mount_dev, lfs_lease_file_ino,
		    NULL, out + np, max - np);
	else
		n = lfs_fence_find(gs->cfg->mountpoint, NULL, out + np,
		    max - np);
	return n < 0 ? n : n + np;
}

/* Kill every holder under the mount point (fence.h lfs_fence_stop_all:
 * scan, kill, scan again; the grace ends at deadline_ms).  Returns how
 * many survived (1 when /proc could not be scanned). */
static int
kill_holders(struct guard_state *gs, uint64_t deadline_ms)
{
	struct lfs_fence_finder f = { find_holders, NULL, gs };
	int n;

	n = lfs_fence_stop_all(&f, gs->holders, GUARD_MAX_HOLDERS, deadline_ms,
	    gs->cfg->kill_settle_ms, GUARD_FIND_PASSES, &gs->log);
	return n < 0 ? 1 : n;
}

/*
 * Fence every holder under the mount point and run the kill command for
 * every ctl-held lease, the grace ending at deadline (see kill_holders).  The commands run in a child process beside the
 * killing of the holders, not after it: both must be done within
 * kill_grace + kill_settle of now, the time left before other hosts may
 * take the leases.  Returns how many holders survived; gs->ctl_failed
 * gets how many kill commands failed.
 */
static int
fence_holders(struct guard_state *gs, uint64_t deadline)
{
	int failed, status = 0;
	pid_t child = -1;

	gs->ctl_failed = 0;
	if (gs->nctl > 0 && (child = fork()) == 0)
		_exit(run_kill_commands(gs, deadline) > 0 ? 1 : 0);
	failed = kill_holders(gs, deadline);
	if (gs->nctl > 0 && child < 0) {
		gs->ctl_failed = run_kill_commands(gs, deadline); /* no fork */
		return failed;
	}
	if (child > 0) {
		while (waitpid(child, &status, 0) < 0)
			if (errno != EINTR)
				return failed; /* reaped elsewhere: no status */
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			gs->ctl_failed = 1;
	}
	return failed;
}

/* Look again for holders after a fencing left survivors: kill what is
 * found at once (the grace is over).  Returns how many are alive. */
static int
rescan(struct guard_state *gs)
{
	int n, alive;

	n = find_holders(gs, gs->holders, GUARD_MAX_HOLDERS);
	if (n < 0)
		return gs->survivors;
	alive = n == 0 ? 0 : lfs_fence_kill(gs->holders, n < GUARD_MAX_HOLDERS ?
	    n : GUARD_MAX_HOLDERS, 0, gs->cfg->kill_settle_ms, &gs->log);
	if (alive > 0)
		lfs_log(&gs->log, LOG_CRIT, "fencing: %d holder(s) still alive; "
		    "the watchdog is not petted", alive);
	else if (gs->fenced)
		lfs_log(&gs->log, LOG_NOTICE, "fencing: no holder left");
	return alive;
}

static void
ctl_update(struct guard_state *gs, const char *lease, int held)
{
	int i;

	for (i = 0; i < gs->nctl; i++)
		if (strcmp(gs->ctl[i], lease) == 0)
			break;
	if (!held) {
		if (i < gs->nctl)
			memcpy(gs->ctl[i], gs->ctl[--gs->nctl],
			    sizeof(gs->ctl[i]));
		return;
	}
	if (i < gs->nctl)
		return;
	if (gs->nctl == GUARD_MAX_CTL) {
		lfs_log(&gs->log, LOG_CRIT, "more than %d ctl-held leases: "
		    "%s will not be fenced", GUARD_MAX_CTL, lease);
		return;
	}
	strcpy(gs->ctl[gs->nctl++], lease);
}

static int handle_msg_text(struct guard_state *gs, const char *msg);

/* "P+" (fd >= 0, ours now) or "P-" for lease. */
static void
pid_update(struct guard_state *gs, const char *lease, int fd)
{
	int i;

	for (i = 0; i < gs->npids; i++)
		if (strcmp(gs->pids[i].lease, lease) == 0)
			break;
	if (i < gs->npids) {
		close(gs->pids[i].h.pidfd);
		gs->pids[i] = gs->pids[--gs->npids];
	}
	if (fd < 0)
		return;
	if (gs->npids == GUARD_MAX_CTL) {
		lfs_log(&gs->log, LOG_CRIT, "more than %d leases held for a "
		    "process: the process of %s will not be fenced",
		    GUARD_MAX_CTL, lease);
		close(fd);
		return;
	}
	memset(&gs->pids[gs->npids], 0, sizeof(gs->pids[0]));
	strcpy(gs->pids[gs->npids].lease, lease);
	gs->pids[gs->npids].h.by_pidfd = 1;
	gs->pids[gs->npids].h.pidfd = fd;
	gs->pids[gs->npids].h.pid = pidfd_pid(fd);
	gs->npids++;
}

/* Act on one message (msg is NUL-terminated) and the descriptor that came
 * with it (-1: none; ours to keep or close).  1 on bye, else 0. */
static int
handle_msg(struct guard_state *gs, const char *msg, int fd)
{
	if (msg[0] == 'P' && (msg[1] == '+' || msg[1] == '-') &&
	    msg[2] == ' ' && lfs_name_check(msg + 3) == 0 &&
	    (msg[1] == '-' || fd >= 0)) {
		pid_update(gs, msg + 3, msg[1] == '+' ? fd : -1);
		if (msg[1] == '-' && fd >= 0)
			close(fd);
		return 0;
	}
	if (fd >= 0)
		close(fd);       /* nothing else carries one */
	return handle_msg_text(gs, msg);
}

/*
 * The submit gates (gate.h): the lease writes' at renewed + gate_close,
 * the renewals' at renewed + renewal_fail, as fencing starts.  Taking a
 * lock exclusive waits for every write the daemon checked and has not yet
 * submitted (it holds the lock shared from its check until io_submit
 * returned); a write still inside after gate_wait is one the daemon
 * cannot bound (a stalled thread, a SIGSTOP): the daemon is killed, since
 * its submit would come later than the rules of its writes allow
 * (core/timeouts.h lfs_gate_close_ms, core/delta.c renewal_in_time).
 * 1 when the gate is closed, 0 when the daemon was killed instead.
 */
static int
gate_close(struct guard_state *gs, int fd, const char *what, uint64_t now)
{
	uint64_t until = now + gs->cfg->gate_wait_ms;

	if (fd < 0 || gs->cfg->gate_close_ms == 0)
		return 1; /* no gate (a test's guard) */
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			lfs_log(&gs->log, LOG_CRIT, "%s gate: %s: killing the "
			    "daemon", what, strerror(errno));
			break;
		}
		if (lfs_now_ms() >= until) {
			lfs_log(&gs->log, LOG_CRIT, "renewal overdue: a %s write "
			    "checked before its gate closed is not submitted "
			    "%u ms later: killing the daemon (pid %d)", what,
			    gs->cfg->gate_wait_ms, (int)gs->cfg->daemon_pid);
			break;
		}
		lfs_sleep_ms(1);
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
		lfs_log(&gs->log, LOG_WARNING, "renewal overdue by %" PRIu64
		    " ms: %s gate closed, no %s write passes until a newer "
		    "renewal", now - gs->renewed_ms, what, what);
		return 1;
	}
	if (gs->cfg->daemon_pid > 0)
		kill(gs->cfg->daemon_pid, SIGKILL); /* EOF follows: fencing */
	return 0;
}

static void
gates_open(struct guard_state *gs)
{
	if (gs->gated && gs->cfg->gate_fd >= 0)
		flock(gs->cfg->gate_fd, LOCK_UN);
	if (gs->renew_gated && gs->cfg->renew_gate_fd >= 0)
		flock(gs->cfg->renew_gate_fd, LOCK_UN);
	gs->gated = 0;
	gs->renew_gated = 0;
}

/* The messages without a descriptor. */
static int
handle_msg_text(struct guard_state *gs, const char *msg)
{
	uint64_t ms;
	char *end;

	if (strcmp(msg, "B") == 0)
		return 1;
	if (msg[0] == 'R' && msg[1] == ' ' && msg[2] >= '0' && msg[2] <= '9') {
		errno = 0;
		ms = strtoull(msg + 2, &end, 10);
		if (errno == 0 && *end == '\0') {
			if (ms > gs->renewed_ms) {
				/* a new deadline; survivors of the last
				 * fencing stay survivors until a rescan
				 * finds none */
				gs->renewed_ms = ms;
				gs->fenced = 0;
				gs->ctl_failed = 0;
				gates_open(gs);
			}
			return 0;
		}
	} else if (msg[0] == 'C' && (msg[1] == '+' || msg[1] == '-') &&
	    msg[2] == ' ' && lfs_name_check(msg + 3) == 0) {
		ctl_update(gs, msg + 3, msg[1] == '+');
		lfs_log(&gs->log, LOG_DEBUG, "ctl lease %s %s", msg + 3,
		    msg[1] == '+' ? "held" : "released");
		return 0;
	}
	lfs_log(&gs->log, LOG_ERR, "ignoring a malformed message");
	return 0;
}

/* One datagram into buf (n bytes) and *fd (the descriptor that came
 * with it, else -1).  recv(2)'s result. */
static ssize_t
recv_one(struct guard_state *gs, char *buf, int *fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = buf, .iov_len = GUARD_MSG_MAX };
	struct msghdr mh;
	struct cmsghdr *c;
	ssize_t n;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	*fd = -1;
	n = recvmsg(gs->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	for (c = n >= 0 ? CMSG_FIRSTHDR(&mh) : NULL; c != NULL;
	    c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(fd, CMSG_DATA(c), sizeof(int));
	return n;
}

/* Read every queued message.  0 when the queue is empty, 1 on bye, -1
 * when the daemon is gone (EOF or a reset connection). */
static int
drain(struct guard_state *gs)
{
	char buf[GUARD_MSG_MAX + 1];
	ssize_t n;
	int fd;

	for (;;) {
		n = recv_one(gs, buf, &fd);
		if (n > 0 && n < GUARD_MSG_MAX) {
			buf[n] = '\0';
			if (handle_msg(gs, buf, fd))
				return 1;
		} else if (n > 0) {
			if (fd >= 0)
				close(fd);
			lfs_log(&gs->log, LOG_ERR, "ignoring a %zd-byte "
			    "message", n);
		} else if (n == 0) {
			return -1;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			return 0;
		} else if (errno != EINTR) {
			lfs_log(&gs->log, LOG_ERR, "recv: %s", strerror(errno));
			return -1;
		}
	}
}

static void __attribute__((noreturn))
exit_bye(struct guard_state *gs)
{
	lfs_log(&gs->log, LOG_INFO, "daemon said bye: exiting");
	watchdog_disarm(gs->wd);
	_exit(0);
}

static void __attribute__((noreturn))
exit_daemon_died(struct guard_state *gs)
{
	uint64_t deadline = lfs_now_ms() + gs->cfg->kill_grace_ms;
	uint64_t overdue = gs->renewed_ms + gs->cfg->renewal_fail_ms +
	    gs->cfg->kill_grace_ms;

	lfs_log(&gs->log, LOG_CRIT, "daemon died: fencing");
	/* a grace of kill_grace from now, but never past the one of the
	 * renewal deadline: other hosts count from that */
	gs->survivors = fence_holders(gs, deadline < overdue ? deadline :
	    overdue);
	if (gs->survivors > 0)
		lfs_log(&gs->log, LOG_CRIT, "fencing: %d holder(s) survived; "
		    "killing again until none is left (a new mount waits for "
		    "this)", gs->survivors);
	/* holders that survived SIGKILL (D state, a hung data LUN) may run
	 * again: kill what each rescan finds until one finds nobody; the
	 * watchdog is not petted meanwhile */
	while (gs->survivors > 0) {
		lfs_sleep_ms(gs->pet_ms);
		gs->survivors = rescan(gs);
	}
	/* Exiting closes the device without 'V': it keeps counting. */
	if (gs->wd >= 0)
		lfs_log(&gs->log, LOG_CRIT, "watchdog left armed: this host "
		    "will be reset");
	_exit(0);
}

/* Sleep in poll() until a message, the deadline or the next pet. */
static void
wait_event(struct guard_state *gs, uint64_t now, uint64_t deadline)
{
	struct pollfd p = { .fd = gs->fd, .events = POLLIN };
	uint64_t sleep = GUARD_SLEEP_MAX_MS;

	if (!gs->fenced && deadline - now < sleep)
		sleep = deadline - now;
	if (!gs->gated && gs->renewed_ms + gs->cfg->gate_close_ms > now &&
	    gs->renewed_ms + gs->cfg->gate_close_ms - now < sleep)
		sleep = gs->renewed_ms + gs->cfg->gate_close_ms - now;
	if ((gs->wd >= 0 || gs->survivors > 0) && gs->pet_ms < sleep)
		sleep = gs->pet_ms;
	if (poll(&p, 1, (int)sleep) < 0 && errno != EINTR) {
		lfs_log(&gs->log, LOG_ERR, "poll: %s", strerror(errno));
		lfs_sleep_ms(GUARD_POLL_MS);
	}
}

static void __attribute__((noreturn))
guard_loop(struct guard_state *gs)
{
	uint64_t now, deadline;
	int r;

	for (;;) {
		r = drain(gs);
		if (r > 0)
			exit_bye(gs);
		if (r < 0)
			exit_daemon_died(gs);
		now = lfs_now_ms();
		deadline = gs->renewed_ms + gs->cfg->renewal_fail_ms;
		if (!gs->gated && now >= gs->renewed_ms +
		    gs->cfg->gate_close_ms) {
			gs->gated = 1;
			gate_close(gs, gs->cfg->gate_fd, "lease", now);
			continue;
		}
		if (!gs->renew_gated && now >= deadline) {
			gs->renew_gated = 1;
			gate_close(gs, gs->cfg->renew_gate_fd, "renewal", now);
		}
		if (!gs->fenced && now >= deadline) {
			lfs_log(&gs->log, LOG_CRIT, "renewal overdue by %" PRIu64
			    " ms: fencing", now - deadline);
			/* the grace runs from the deadline, not from
			 * now: a guard that runs late (starved, stopped)
			 * gives less of it, so that SIGKILL still comes by
			 * renewed + renewal_fail + kill_grace */
			gs->survivors = fence_holders(gs, deadline +
			    gs->cfg->kill_grace_ms);
			gs->fenced = 1;
			gs->rescan_ms = lfs_now_ms() + gs->pet_ms;
			continue;
		}
		if (gs->survivors > 0 && now >= gs->rescan_ms) {
			gs->survivors = rescan(gs);
			gs->rescan_ms = lfs_now_ms() + gs->pet_ms;
		}
		/* Any byte but 'V' pets; the write cannot block.  Past the
		 * deadline only once fencing proved every holder gone: a
		 * survivor means the host must be reset before host_dead. */
		if (gs->wd >= 0 && gs->survivors == 0 && gs->ctl_failed == 0 &&
		    (now < deadline ||
		    gs->fenced) && write(gs->wd, "p", 1) < 0)
			lfs_log(&gs->log, LOG_ERR, "watchdog: %s",
			    strerror(errno));
		wait_event(gs, now, deadline);
	}
}

/* Ignore what a terminal or a kill aimed at the daemon would send: the
 * guard must outlive the daemon.  SIGCHLD stays default, so that the kill
 * command can be waited for. */
static void
guard_signals(void)
{
	static const int ign[] = { SIGINT, SIGHUP, SIGTERM, SIGQUIT, SIGPIPE,
	    SIGTSTP, SIGTTIN, SIGTTOU, SIGUSR1, SIGUSR2 };
	struct sigaction sa;
	sigset_t none;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	for (i = 0; i < sizeof(ign) / sizeof(ign[0]); i++)
		sigaction(ign[i], &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Close every inherited descriptor but stdio, fd, wd, the fencing lock and
 * the gate: a lease file inherited from the daemon would make the guard a
 * holder itself. */
static void
close_other_fds(int fd, int wd, int lk, int gate, int rgate)
{
	int keep[5] = { fd, wd, lk, gate, rgate }, t, i, j;
	unsigned int from = 3;

	for (i = 0; i < 5; i++)          /* sort the five */
		for (j = i + 1; j < 5; j++)
			if (keep[j] < keep[i]) {
				t = keep[i];
				keep[i] = keep[j];
				keep[j] = t;
			}
	for (i = 0; i < 5; i++) {
		if (keep[i] < (int)from)
			continue;        /* -1, stdio, or already kept */
		if ((unsigned int)keep[i] > from)
			close_range(from, (unsigned int)keep[i] - 1, 0);
		from = (unsigned int)keep[i] + 1;
	}
	close_range(from, ~0u, 0);
}

static void __attribute__((noreturn))
guard_child(const struct lfs_guard_config *cfg, int fd, int wd,
    uint32_t pet_ms, uint64_t renewed_ms)
{
	struct guard_state gs;

	memset(&gs, 0, sizeof(gs));
	gs.cfg = cfg;
	gs.fd = fd;
	gs.wd = wd;
	gs.pet_ms = pet_ms;
	gs.renewed_ms = renewed_ms;
	gs.log.fn = cfg->use_syslog ? guard_syslog : lfs_log_stderr;
	gs.log.arg = cfg->use_syslog ? NULL : (void *)"leasefs-guard";
	gs.log.max_priority = cfg->debug ? LOG_DEBUG : LOG_INFO;
	guard_signals();
	prctl(PR_SET_NAME, "leasefs-guard", 0, 0, 0);
	if (cfg->use_syslog)
		closelog();      /* the daemon's connection, if any */
	close_other_fds(fd, wd, cfg->fence_lock_fd, cfg->gate_fd,
	    cfg->renew_gate_fd);
	if (cfg->use_syslog)
		openlog("leasefs-guard", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	/* The cwd must never pin a filesystem, least of all the mount. */
	if (chdir("/") < 0)
		lfs_log(&gs.log, LOG_WARNING, "chdir /: %s", strerror(errno));
	gs.ctl = calloc(GUARD_MAX_CTL, sizeof(*gs.ctl));
	gs.holders = calloc(GUARD_MAX_HOLDERS, sizeof(*gs.holders));
	gs.pids = calloc(GUARD_MAX_CTL, sizeof(*gs.pids));
	if (gs.ctl == NULL || gs.holders == NULL || gs.pids == NULL) {
		lfs_log(&gs.log, LOG_CRIT, "out of memory: guard not running");
		_exit(1);
	}
	/* Locked after allocating, so the tables are resident too: the guard
	 * must run when the host is short of memory or its swap hangs. */
	if (mlockall(MCL_CURRENT | MCL_FUTURE) < 0)
		lfs_log(&gs.log, LOG_WARNING, "mlockall: %s (running unlocked)",
		    strerror(errno));
	lfs_log(&gs.log, LOG_INFO, "started: fencing under %s after %u ms "
	    "without renewal", cfg->mountpoint, cfg->renewal_fail_ms);
	guard_loop(&gs);
}
