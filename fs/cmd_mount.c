/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_mount.c - `leasefs mount`: start the daemon, serve, stop cleanly.
 *
 *   leasefs mount [-f] [-d] -o host_id=N[,name=HOST,...] DEVICE MOUNTPOINT
 *   leasefs DEVICE MOUNTPOINT -o OPTS          (as run by mount.fuse3)
 *
 * Sections:
 *   1. command line
 *   2. state and run directories: identity, lock, pid file
 *   3. daemonizing: the parent waits for one status byte
 *   4. FUSE session
 *   5. the start-up and tear-down sequence (cmd_mount)
 *
 * Start-up order matters (FUSE_SPEC "Command line"): join before mounting,
 * so a mount that exists is always backed by a joined host; fork before
 * creating aio contexts (they do not survive fork) and before any thread;
 * the guard is forked before the daemon's threads exist.  Until the parent
 * gets its status byte, errors also go to stderr; afterwards only to syslog
 * (or stderr with -f).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "daemon/daemon.h"
#include "daemon/view.h"
#include "names.h"
#include "notify.h"

/* Error message of the mount command, err(3)-style, also logged. */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void
mount_err(struct lfs_daemon *d, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* under systemd (-f, stderr to the journal) as an error, not as the
	 * stream's default level (lfs_log_stderr) */
	if (lfs_log_fd_is_journal(STDERR_FILENO))
		fprintf(stderr, "<%d>%s\n", LOG_ERR, msg);
	else
		fprintf(stderr, "leasefs: %s\n", msg);
	if (d->use_syslog)
		syslog(LOG_ERR, "%s", msg);
}

/* ---- 1. command line ---- */

/*
 * Canonical path of the mount point.  The mount point of a daemon that died
 * cannot be resolved (ENOTCONN), yet we need its name to find and stop the
 * holders it left: resolve the parent and append the last component.
 */
static int
mountpoint_path(const char *arg, char out[PATH_MAX])
{
	char dir[PATH_MAX], base[PATH_MAX], *slash;

	if (realpath(arg, out) != NULL)
		return 0;
	if (errno != ENOTCONN || snprintf(dir, sizeof(dir), "%s", arg) >=
	    (int)sizeof(dir))
		return -1;
	while ((slash = strrchr(dir, '/')) != NULL && slash[1] == '\0' &&
	    slash != dir)
		*slash = '\0';
	slash = strrchr(dir, '/');
	snprintf(base, sizeof(base), "%s", slash != NULL ? slash + 1 : dir);
	if (slash == NULL)
		strcpy(dir, ".");
	else if (slash == dir)
		strcpy(dir, "/");
	else
		*slash = '\0';
	if (realpath(dir, out) == NULL ||
	    strlen(out) + 1 + strlen(base) >= PATH_MAX) {
		errno = ENOTCONN;
		return -1;
	}
	strcat(strcmp(out, "/") == 0 ? out : strcat(out, "/"), base);
	return 0;
}

/* -1 to go on, else the exit status (mountopts.h: lfs_mount_cmdline). */
static int
parse_args(struct lfs_daemon *d, int argc, char **argv)
{
	struct lfs_mount_cmd c;
	int rc;

	if ((rc = lfs_mount_cmdline(argc, argv, &d->opts, &c)) >= 0)
		return rc;
	d->foreground = c.foreground;
	d->debug = c.debug;
	if (snprintf(d->device, sizeof(d->device), "%s", c.device) >=
	    (int)sizeof(d->device) ||
	    mountpoint_path(c.mountpoint, d->mountpoint) < 0) {
		fprintf(stderr, "leasefs: mount point %s: %s\n", c.mountpoint,
		    strerror(errno));
		return 1;
	}
	return -1;
}

static int
resolve_group(struct lfs_daemon *d)
{
	const char *g = d->opts.group;
	struct group *gr;
	char *end;
	long v;

	d->gid = 0;
	if (g[0] == '\0')
		return 0;
	v = strtol(g, &end, 10);
	if (*end == '\0' && v >= 0) {
		d->gid = (gid_t)v;
		return 0;
	}
	if ((gr = getgrnam(g)) == NULL) {
		mount_err(d, "group=%s: no such group", g);
		return -ENOENT;
	}
	d->gid = gr->gr_gid;
	return 0;
}

/* ---- 2. state and run directories ---- */

/* out = dir/file, or -ENAMETOOLONG. */
static int
dir_file(char *out, size_t len, const char *dir, const char *file)
{
	int n = snprintf(out, len, "%s/%s", dir, file);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* mkdir -p path; the last component gets mode, parents 0755. */
static int
make_dirs(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	char *p;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* Write text to dir/name atomically: a temporary file, fsync, rename. */
static int
write_state_file(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX], tmp[PATH_MAX], tname[64];
	ssize_t n;
	int fd;

	snprintf(tname, sizeof(tname), "%s.tmp", name);
	if (dir_file(path, sizeof(path), dir, name) < 0 ||
	    dir_file(tmp, sizeof(tmp), dir, tname) < 0)
		return -ENAMETOOLONG;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	if (n != (ssize_t)strlen(text) || fsync(fd) < 0) {
		close(fd);
		unlink(tmp);
		return n < 0 ? -errno : -EIO;
	}
	close(fd);
	return rename(tmp, path) < 0 ? -errno : 0;
}

/* Read up to len - 1 bytes of dir/name into text; -ENOENT when absent. */
static int
read_state_file(const char *dir, const char *name, char *text, size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	if (dir_file(path, sizeof(path), dir, name) < 0)
		return -ENAMETOOLONG;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	n = read(fd, text, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	text[n] = '\0';
	return 0;
}

/* Read state_dir/identity, or make one (kept forever: it tells a restart
 * of this host from another host using the same id). */
static int
load_identity(const char *dir, uuid_t id)
{
	char text[64];
	int r;

	r = read_state_file(dir, "identity", text, sizeof(text));
	if (r == 0) {
		if (strlen(text) < 36)
			return -EINVAL;
		text[36] = '\0';
		return uuid_parse(text, id) == 0 ? 0 : -EINVAL;
	}
	if (r != -ENOENT)
		return r;
	uuid_generate(id);
	uuid_unparse_lower(id, text);
	strcat(text, "\n");
	return write_state_file(dir, "identity", text);
}

/*
 * state_dir/generation: the generation of our last join.  A join takes at
 * least one more (delta.h: min_generation), so that a generation never
 * repeats or goes back even when our record on disk is corrupt or was
 * overwritten by a late write.  It is written after the join and before
 * any lease is served.  0 when there is none; -EINVAL when unreadable
 * (never guessed: remove it only if the disk record is known good).
 */
static int
load_generation(const char *dir, uint64_t *gen)
{
	char text[32], *end;
	int r;

	*gen = 0;
	r = read_state_file(dir, "generation", text, sizeof(text));
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	errno = 0;
	*gen = strtoull(text, &end, 10);
	if (errno != 0 || end == text || (*end != '\n' && *end != '\0'))
		return -EINVAL;
	return 0;
}

static int
save_generation(const char *dir, uint64_t gen)
{
	char text[32];

	snprintf(text, sizeof(text), "%llu\n", (unsigned long long)gen);
	return write_state_file(dir, "generation", text);
}

/*
 * state_dir/fencing: locked (flock) by this daemon and, through the
 * inherited descriptor, by its guard, which after a daemon crash keeps it
 * until its fencing has proven every holder gone (guard.h).  We wait for
 * it before joining: our join takes a new generation, after which other
 * hosts may take every lease of the old one at once, so it must not
 * happen while a holder of the old generation may still run (issue 11,
 * case 4).  Waits as long as that takes, saying so.  The fd, or -1.
 */
static int
fencing_lock(struct lfs_daemon *d)
{
	char path[PATH_MAX];
	uint64_t t0;
	int fd;

	if (dir_file(path, sizeof(path), d->opts.state_dir, "fencing") < 0) {
		mount_err(d, "%s/fencing: %s", d->opts.state_dir,
		    strerror(ENAMETOOLONG));
		return -1;
	}
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		mount_err(d, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return fd;
	if (errno != EWOULDBLOCK) {
		mount_err(d, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	t0 = lfs_now_ms();
	lfs_log(&d->log, LOG_WARNING, "%s is locked: the guard of a daemon "
	    "that ended is still fencing its lease holders; waiting for it "
	    "before joining, since a new generation would let other hosts "
	    "take the old one's leases at once", path);
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			mount_err(d, "%s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
	}
	lfs_log(&d->log, LOG_NOTICE, "%s: the previous guard finished fencing "
	    "after %llu ms; joining", path,
	    (unsigned long long)(lfs_now_ms() - t0));
	return fd;
}

/* Create the directories, load the identity, lock the state directory.
 * Returns the lock fd (kept open for the daemon's life) or -1. */
static int
prepare_dirs(struct lfs_daemon *d, uuid_t identity)
{
	char path[PATH_MAX];
	int r, fd = -1;

	if ((r = make_dirs(d->opts.state_dir, 0700)) < 0 ||
	    (r = make_dirs(d->opts.run_dir, 0700)) < 0) {
		mount_err(d, "creating %s or %s: %s", d->opts.state_dir,
		    d->opts.run_dir, strerror(-r));
		return -1;
	}
	if (dir_file(path, sizeof(path), d->opts.state_dir, "lock") < 0)
		errno = ENAMETOOLONG;
	else
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		mount_err(d, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		mount_err(d, "%s: %s", d->opts.state_dir, errno == EWOULDBLOCK ?
		    "another leasefs uses this state directory" : strerror(errno));
		close(fd);
		return -1;
	}
	if ((r = load_identity(d->opts.state_dir, identity)) < 0) {
		mount_err(d, "%s/identity: %s", d->opts.state_dir, r == -EINVAL ?
		    "not a uuid (remove it to make a new identity)" : strerror(-r));
		close(fd);
		return -1;
	}
	if ((d->fence_lock_fd = fencing_lock(d)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
pid_file(struct lfs_daemon *d, int create)
{
	char path[PATH_MAX];
	FILE *f;

	if (dir_file(path, sizeof(path), d->opts.run_dir, "pid") < 0)
		return;
	if (!create) {
		unlink(path);
		return;
	}
	if ((f = fopen(path, "we")) == NULL) {
		lfs_log(&d->log, LOG_WARNING, "%s: %s", path, strerror(errno));
		return;
	}
	fprintf(f, "%ld\n", (long)getpid());
	fclose(f);
}

/* ---- 3. daemonizing ---- */

/* Fork.  In the parent: wait for the child's status byte and return the
 * exit status (>= 0).  In the child: return -1 with *status_fd set. */
static int
daemonize(int *status_fd)
{
	int p[2];
	pid_t pid;
	ssize_t n;
	char c = 1;

	if (pipe2(p, O_CLOEXEC) < 0) {
		fprintf(stderr, "leasefs: pipe: %s\n", strerror(errno));
		return 1;
	}
	if ((pid = fork()) < 0) {
		fprintf(stderr, "leasefs: fork: %s\n", strerror(errno));
		return 1;
	}
	if (pid > 0) {
		close(p[1]);
		/* EOF without a byte: the child failed (and said why) */
		do
			n = read(p[0], &c, 1);
		while (n < 0 && errno == EINTR);
		close(p[0]);
		return n == 1 && c == 0 ? 0 : 1;
	}
	close(p[0]);
	setsid();
	*status_fd = p[1];
	return -1;
}

/* Tell the parent we are ready; detach from the terminal. */
static void
report_ready(struct lfs_daemon *d, int *status_fd)
{
	char ok = 0;
	int fd;

	if (*status_fd < 0)
		return;
	if (write(*status_fd, &ok, 1) != 1)
		lfs_log(&d->log, LOG_WARNING, "status pipe: %s", strerror(errno));
	close(*status_fd);
	*status_fd = -1;
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	if (chdir("/") < 0)
		lfs_log(&d->log, LOG_WARNING, "chdir /: %s", strerror(errno));
	atomic_store(&d->log_stderr, false);
}

/* ---- 4. FUSE ---- */

#define FUSE_MAX_THREADS 128     /* FUSE worker threads at most */
/* How often the exit looks whether abandoned I/O came back, in ms. */
#define IO_SETTLE_POLL_MS 50u

static int
fuse_start(struct lfs_daemon *d)
{
	struct fuse_args args;
	int r;

	if (lfs_mount_opts_fuse_args(&d->opts, d->debug, &args) < 0) {
		mount_err(d, "out of memory");
		return -ENOMEM;
	}
	d->se = fuse_session_new(&args, lfs_view_ops(),
	    sizeof(struct fuse_lowlevel_ops), d);
	fuse_opt_free_args(&args);
	if (d->se == NULL) {
		mount_err(d, "cannot create the FUSE session");
		return -EIO;
	}
	if (fuse_session_mount(d->se, d->mountpoint) != 0) {
		mount_err(d, "cannot mount on %s", d->mountpoint);
		fuse_session_destroy(d->se);
		d->se = NULL;
		return -EIO;
	}
	/* holders are found by this device (daemon.h mount_dev); without
	 * it, by path under the mount point, as before */
	if ((r = lfs_fence_mount_dev(d->mountpoint, &d->mount_dev)) < 0)
		lfs_log(&d->log, LOG_WARNING, "%s: device number: %s; finding "
		    "lease holders by path", d->mountpoint, strerror(-r));
	return 0;
}

/* Empty: SIGUSR1 only interrupts the main thread's wait in the FUSE loop
 * (lfs_daemon_end_loop). */
static void
wake_handler(int sig)
{
	(void)sig;
}

static int
fuse_serve(struct lfs_daemon *d)
{
	struct fuse_loop_config *cfg;
	struct sigaction sa;
	sigset_t set;
	int r;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = wake_handler; /* no SA_RESTART: waits return EINTR */
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	if ((cfg = fuse_loop_cfg_create()) == NULL)
		return -ENOMEM;
	fuse_loop_cfg_set_clone_fd(cfg, 0);
	fuse_loop_cfg_set_idle_threads(cfg, 10);
	/* Lease operations of different contexts run at once (daemon.h), one
	 * worker each, and when storage hangs each waits up to io_timeout.
	 * Room for twice LFS_OPS_CONTEXTS workers keeps .status and .hosts
	 * (which never wait for storage) answering meanwhile. */
	fuse_loop_cfg_set_max_threads(cfg, FUSE_MAX_THREADS);
	r = fuse_session_loop_mt(d->se, cfg);
	fuse_loop_cfg_destroy(cfg);
	return r;
}

/* ---- 5. the sequence ---- */

static int
should_stop(void *arg)
{
	sigset_t pending;

	(void)arg;
	return sigpending(&pending) == 0 && (sigismember(&pending, SIGTERM) ||
	    sigismember(&pending, SIGINT));
}

/* 1 when path is a mount point (/proc/self/mountinfo field 5, with the
 * kernel's octal escapes for blanks and backslashes), else 0. */
static int
is_mounted(const char *path)
{
	char line[8192], mnt[PATH_MAX];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int found = 0;

	if (f == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		const char *p = line;
		size_t n = 0;
		int field;

		for (field = 0; field < 4 && p != NULL; field++)
			if ((p = strchr(p, ' ')) != NULL)
				p++;
		for (; p != NULL && *p != ' ' && *p != '\0' && n + 1 < sizeof(mnt);
		    n++) {
			if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3') {
				mnt[n] = (char)(((p[1] - '0') << 6) |
				    ((p[2] - '0') << 3) | (p[3] - '0'));
				p += 4;
			} else
				mnt[n] = *p++;
		}
		mnt[n] = '\0';
		found = strcmp(mnt, path) == 0;
	}
	fclose(f);
	return found;
}

/*
 * Before joining.  A join with our own identity takes a new generation at
 * once, which lets every other host take the leases of the old one at once
 * (delta.h): the old generation's holders on this machine must be dead
 * first.  They are found by their open files under the mount point of the
 * daemon that died, which stays mounted (ENOTCONN) until unmounted; we stop
 * them, then refuse to go on until that dead mount is gone.  A live mount
 * there (another daemon) is refused without touching anything.
 */
/* A finder (fence.h) of the holders under the dead mount: by path, as the
 * mount's device cannot be asked for without its daemon. */
static int
find_under_mountpoint(void *arg, struct lfs_holder *out, int max)
{
	const struct lfs_daemon *d = arg;

	return lfs_fence_find(d->mountpoint, NULL, out, max);
}

static int
check_mountpoint(struct lfs_daemon *d)
{
	const struct lfs_timeouts *to = &d->ls.to;
	struct lfs_fence_finder f = { find_under_mountpoint, NULL, d };
	struct lfs_holder h[FENCE_MAX_HOLDERS];
	struct statfs sfs;
	struct stat st;
	int n;

	if (!is_mounted(d->mountpoint)) {
		if (stat(d->mountpoint, &st) < 0 || !S_ISDIR(st.st_mode)) {
			mount_err(d, "%s: not a directory", d->mountpoint);
			return -ENOTDIR;
		}
		return 0;
	}
	/* statfs always asks the filesystem (no cache): a dead FUSE daemon
	 * answers ENOTCONN */
	if (statfs(d->mountpoint, &sfs) == 0 || errno != ENOTCONN) {
		mount_err(d, "%s: something is mounted there already",
		    d->mountpoint);
		return -EBUSY;
	}
	n = lfs_fence_find(d->mountpoint, NULL, h, FENCE_MAX_HOLDERS);
	if (n > 0) {
		lfs_log(&d->log, LOG_WARNING, "%s: stopping %d holder(s) left by "
		    "a daemon that died", d->mountpoint, n);
		lfs_fence_stop_all(&f, h, FENCE_MAX_HOLDERS, lfs_now_ms() +
		    to->kill_grace_ms, to->host_dead_ms - to->renewal_fail_ms -
		    to->kill_grace_ms, 4, &d->log);
	}
	mount_err(d, "%s: stale mount of a daemon that died%s; unmount it "
	    "(fusermount3 -u -z %s) and mount again", d->mountpoint,
	    n > 0 ? " (its lease holders were stopped)" : "", d->mountpoint);
	return -ENOTCONN;
}

static int
join(struct lfs_daemon *d, const uuid_t identity)
{
	struct lfs_join_params p;
	char host[256];
	int r;

	memset(&p, 0, sizeof(p));
	p.host_id = d->opts.host_id;
	uuid_copy(p.identity, identity);
	if (d->opts.name[0] != '\0') {
		p.host_name = d->opts.name;
	} else {
		if (gethostname(host, sizeof(host)) < 0)
			host[0] = '\0';
		host[sizeof(host) - 1] = '\0';
		if (lfs_host_name_check(host) < 0) {
			mount_err(d, "host name '%s' is not usable; give name=",
			    host);
			return -EINVAL;
		}
		p.host_name = host;
	}
	p.should_stop = should_stop;
	if ((r = load_generation(d->opts.state_dir, &p.min_generation)) < 0) {
		mount_err(d, "%s/generation: %s", d->opts.state_dir, r == -EINVAL ?
		    "not a number" : strerror(-r));
		return r;
	}
	if (p.min_generation > 0)
		p.min_generation++;
	if ((r = lfs_delta_join(&d->ls, &d->renew_io, &p)) < 0) {
		mount_err(d, "join as host %u: %s", p.host_id, r == -EBUSY ?
		    "the host id is in use by another live host" :
		    r == -EAGAIN ? "another host joined with this id at the "
		    "same time" :
		    r == -EINTR ? "interrupted" : strerror(-r));
		return r;
	}
	d->save_generation = save_generation;
	/* a run of mkdirs takes the name table's lease once (daemon.h) */
	if ((r = lfs_leases_set_linger(&d->ls, LFS_TABLE_LINGER_MS)) < 0 ||
	    (r = save_generation(d->opts.state_dir, d->ls.generation)) < 0) {
		mount_err(d, "%s/generation: %s", d->opts.state_dir, strerror(-r));
		lfs_delta_leave(&d->ls, &d->renew_io);
	}
	return r;
}

/* Both contexts run through their watches (iowatch.h), whose bound comes
 * from io_timeout. */
static int
start_io(struct lfs_daemon *d)
{
	int r;

	const struct lfs_io_syscalls *sys[LFS_IOSET_MAX];
	const struct lfs_io_syscalls *rsys[LFS_IOSET_MAX];
	uint32_t i;

	lfs_iowatch_set_bound(&d->renew_watch, d->ls.to.io_timeout_ms);
	for (i = 0; i < LFS_OPS_CONTEXTS; i++) {
		lfs_iowatch_set_bound(&d->ops_watch[i], d->ls.to.io_timeout_ms);
		sys[i] = &d->ops_watch[i].sys;
	}
	for (i = 0; i < LFS_READ_CONTEXTS; i++) {
		lfs_iowatch_set_bound(&d->reads_watch[i],
		    d->ls.to.io_timeout_ms);
		rsys[i] = &d->reads_watch[i].sys;
	}
	if ((r = lfs_io_init(&d->renew_io, &d->ls.disk, d->ls.to.io_timeout_ms,
	    &d->renew_watch.sys, &d->log)) < 0) {
		mount_err(d, "aio context: %s", strerror(-r));
		return r;
	}
	if ((r = lfs_ioset_init(&d->ops, &d->ls.disk, LFS_OPS_CONTEXTS,
	    d->ls.to.io_timeout_ms, sys, &d->log)) < 0) {
		mount_err(d, "aio contexts: %s", strerror(-r));
		lfs_io_destroy(&d->renew_io);
	} else if ((r = lfs_ioset_init(&d->reads, &d->ls.disk,
	    LFS_READ_CONTEXTS, d->ls.to.io_timeout_ms, rsys, &d->log)) < 0) {
		mount_err(d, "aio contexts: %s", strerror(-r));
		lfs_ioset_destroy(&d->ops);
		lfs_io_destroy(&d->renew_io);
	}
	return r;
}

static int
start_guard(struct lfs_daemon *d)
{
	const struct lfs_timeouts *to = &d->ls.to;
	struct lfs_guard_config cfg;
	int r;

	memset(&cfg, 0, sizeof(cfg));
	if ((r = lfs_dgate_open(&d->gate, d->opts.state_dir, "gate",
	    &cfg.gate_fd)) < 0) {
		mount_err(d, "%s/gate: %s", d->opts.state_dir, strerror(-r));
		return r;
	}
	if ((r = lfs_dgate_open(&d->rgate, d->opts.state_dir, "renew-gate",
	    &cfg.renew_gate_fd)) < 0) {
		mount_err(d, "%s/renew-gate: %s", d->opts.state_dir,
		    strerror(-r));
		close(cfg.gate_fd);
		lfs_dgate_close(&d->gate);
		return r;
	}
	cfg.gate_close_ms = lfs_gate_close_ms(to);
	cfg.gate_wait_ms = lfs_gate_wait_ms(to);
	cfg.daemon_pid = getpid();
	cfg.mountpoint = d->mountpoint;
	cfg.renewal_fail_ms = to->renewal_fail_ms;
	cfg.kill_grace_ms = to->kill_grace_ms;
	cfg.kill_settle_ms = to->host_dead_ms - to->renewal_fail_ms -
	    to->kill_grace_ms;
	cfg.kill_command = d->opts.kill_command[0] != '\0' ?
	    d->opts.kill_command : NULL;
	cfg.watchdog = d->opts.watchdog[0] != '\0' ? d->opts.watchdog : NULL;
	cfg.use_syslog = d->use_syslog;
	cfg.debug = d->debug;
	cfg.fence_lock_fd = d->fence_lock_fd;
	cfg.mount_dev = d->mount_dev;
	/* EBUSY and ERANGE come from opening the watchdog only */
	if ((r = lfs_guard_start(&d->guard, &cfg, d->ls.renewed_ms)) < 0 &&
	    cfg.watchdog != NULL && r == -EBUSY)
		mount_err(d, "watchdog=%s: in use (a watchdog device has one "
		    "user: another lockspace's daemon, or a watchdog daemon)",
		    cfg.watchdog);
	else if (r == -ERANGE && cfg.watchdog != NULL)
		mount_err(d, "watchdog=%s: the driver cannot take a timeout of "
		    "%u s", cfg.watchdog, (cfg.kill_grace_ms +
		    cfg.kill_settle_ms) / 1000u);
	else if (r < 0)
		mount_err(d, "starting the guard: %s", strerror(-r));
	close(cfg.gate_fd);      /* the guard's own descriptions: its copies */
	close(cfg.renew_gate_fd);
	if (r < 0) {
		lfs_dgate_close(&d->gate);
		lfs_dgate_close(&d->rgate);
		return r;
	}
	/* before any lease operation: every checked write passes the gate,
	 * every renewal the renewal gate (core/lockspace.h) */
	d->ls.gate.take = lfs_dgate_take;
	d->ls.gate.drop = lfs_dgate_drop;
	d->ls.gate.arg = &d->gate;
	d->ls.renew_gate.take = lfs_dgate_take;
	d->ls.renew_gate.drop = lfs_dgate_drop;
	d->ls.renew_gate.arg = &d->rgate;
	return 0;
}

/*
 * Shutdown found an I/O call stuck in the kernel (daemon.h io_stuck), or
 * timed-out I/O that never came back (io_settled): the thread in such a
 * call, the FUSE loop (which joins its workers) and lfs_io_destroy() would
 * all wait for it without limit.  End here instead: unmount (lazily, as
 * fuse_session_unmount does; it closes the session's descriptor, so the
 * kernel fails the requests still open once the workers are gone), remove
 * the pid file and _exit(1), freeing nothing the stuck threads still use.
 * Leases left owned on disk are fenced by the guard (shutdown abandoned
 * it) and taken over by other hosts at host_dead.
 *
 * The process ends only when the kernel is done with its in-flight I/O:
 * exit waits for aio, and until then a late write of ours may still land.
 * Its descriptors, the state directory's lock and state_dir/fencing among
 * them, are closed only then, on purpose: no new daemon joins on this state
 * directory before every write of this one has landed or failed.
 * Called from the signal thread or the main thread; never returns.
 */
static void
exit_stuck(struct lfs_daemon *d)
{
	lfs_log(&d->log, LOG_CRIT, "stopped with I/O stuck in the kernel: "
	    "exiting without waiting for it; the process ends, and %s is "
	    "unlocked, once the storage completes or fails that I/O",
	    d->opts.state_dir);
	pid_file(d, 0);
	/* a shutdown that stuck itself got no further than its I/O: the
	 * guard fences at once (a no-op when it was stopped or abandoned) */
	lfs_guard_abandon(&d->guard);
	if (d->se != NULL)
		fuse_session_unmount(d->se);
	lfs_notify("STATUS=stopped with I/O stuck in the kernel");
	_exit(1);
}

/* After the threads are joined: 1 when neither context has abandoned I/O
 * left (timed out, still the kernel's) after one more iowatch bound, so
 * that lfs_io_destroy() will not wait for it; else 0. */
static int
io_settled(struct lfs_daemon *d)
{
	uint64_t end = lfs_now_ms() + d->renew_watch.bound_ms;

	while (lfs_ioset_reap_idle(&d->ops) + lfs_ioset_reap_idle(&d->reads) +
	    lfs_io_reap(&d->renew_io) > 0) {
		if (lfs_now_ms() >= end)
			return 0;
		lfs_sleep_ms(IO_SETTLE_POLL_MS);
	}
	return 1;
}

/* Everything after the join: mount, guard, threads, serve, stop.
 * Returns the exit status. */
static int
serve(struct lfs_daemon *d, int *status_fd)
{
	int r;

	d->exit_stuck = exit_stuck;
	if (fuse_start(d) < 0)
		return 1;
	if (start_guard(d) < 0 || (r = lfs_daemon_start_threads(d)) < 0) {
		if (d->guard.pid > 0)
			lfs_guard_stop(&d->guard);
		fuse_session_unmount(d->se);
		fuse_session_destroy(d->se);
		return 1;
	}
	lfs_log(&d->log, LOG_NOTICE, "serving lockspace %s on %s as host %u "
	    "(%s) generation %llu", d->ls.header.name, d->mountpoint,
	    d->ls.host_id, d->ls.host_name, (unsigned long long)d->ls.generation);
	pid_file(d, 1);         /* before `mount` returns */
	report_ready(d, status_fd);
	lfs_notifyf("READY=1\nSTATUS=serving lockspace %s as host %u (%s) "
	    "generation %llu; renewal ok", d->ls.header.name, d->ls.host_id,
	    d->ls.host_name, (unsigned long long)d->ls.generation);
	r = fuse_serve(d);
	atomic_store(&d->loop_done, true);
	if (r < 0)
		lfs_log(&d->log, LOG_ERR, "FUSE loop: %s", strerror(-r));
	lfs_daemon_stop(d);             /* unmounted from outside: not done yet */
	lfs_daemon_join_threads(d);
	if (!io_settled(d))
		exit_stuck(d);
	fuse_session_unmount(d->se);
	fuse_session_destroy(d->se);
	d->se = NULL;
	lfs_fh_free_all(d); /* files still open when the session ended */
	pid_file(d, 0);
	lfs_log(&d->log, LOG_NOTICE, "stopped");
	return 0;
}

/* Block the signals the signal thread takes, in every thread to come. */
static void
block_signals(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, old);
	signal(SIGPIPE, SIG_IGN);
}

/* After parse_args: open, fork, join, serve.  Returns the exit status. */
static int
run(struct lfs_daemon *d)
{
	int status_fd = -1, lock_fd, r, rc = 1;
	sigset_t old;
	uuid_t identity;

	if ((r = lfs_lockspace_open(&d->ls, d->device, &d->log)) < 0)
		return 1;       /* logged, once */
	/* releases and transfers name their lease in our host sector, for
	 * waiters on other hosts (core/notice.h) */
	d->ls.notice_on = 1;
	/* ... which the renewal's reads of the window carry to our watcher */
	lfs_watcher_take_reads(d);
	if (d->opts.host_id > d->ls.layout.max_hosts) {
		mount_err(d, "host_id=%u: the lockspace has host ids 1..%u",
		    d->opts.host_id, d->ls.layout.max_hosts);
		goto out_ls;
	}
	lfs_mount_opts_dirs(&d->opts, d->ls.header.name);
	if (resolve_group(d) < 0 || (r = lfs_table_init(d)) < 0 ||
	    (lock_fd = prepare_dirs(d, identity)) < 0)
		goto out_ls;
	if (check_mountpoint(d) < 0) {
		close(lock_fd);
		close(d->fence_lock_fd);
		goto out_ls;
	}
	block_signals(&old);
	if (!d->foreground && (rc = daemonize(&status_fd)) >= 0) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		close(lock_fd);
		close(d->fence_lock_fd);
		goto out_ls; /* the parent: rc from the child's status byte */
	}
	rc = 1;
	if (start_io(d) < 0)
		goto out_lock;
	if (join(d, identity) == 0) {
		atomic_store(&d->generation, d->ls.generation);
		rc = serve(d, &status_fd);
		if (!d->shutdown_done)
			lfs_delta_leave(&d->ls, &d->renew_io); /* never served */
	}
	lfs_ioset_destroy(&d->reads);
	lfs_ioset_destroy(&d->ops);
	lfs_io_destroy(&d->renew_io);
out_lock:
	d->ls.gate.take = NULL;
	d->ls.renew_gate.take = NULL;
	lfs_dgate_close(&d->gate);
	lfs_dgate_close(&d->rgate);
	close(lock_fd);
	close(d->fence_lock_fd);
	if (status_fd >= 0)
		close(status_fd); /* EOF: the parent exits 1 */
out_ls:
	lfs_table_free(d);
	lfs_watcher_drop_reads(d);
	lfs_lockspace_close(&d->ls);
	return rc;
}

int
cmd_mount(int argc, char **argv)
{
	struct lfs_daemon *d;
	int rc;

	if ((d = calloc(1, sizeof(*d))) == NULL) {
		fprintf(stderr, "leasefs: out of memory\n");
		return 1;
	}
	d->gate.fd = -1;        /* opened by start_guard */
	d->rgate.fd = -1;
	if ((rc = parse_args(d, argc, argv)) < 0) {
		d->use_syslog = !d->foreground;
		atomic_store(&d->log_stderr, true);
		d->start_time = (uint64_t)time(NULL);
		d->main_thread = pthread_self();
		if (getenv("LEASEFS_TEST_ACQUIRED_DELAY_MS") != NULL)
			d->test_acquired_delay_ms = (uint32_t)strtoul(
			    getenv("LEASEFS_TEST_ACQUIRED_DELAY_MS"), NULL, 10);
		if (d->use_syslog)
			openlog("leasefs", LOG_PID, LOG_DAEMON);
		lfs_daemon_log_setup(d);
		if (getenv("LEASEFS_TEST_STALL_WRITE") != NULL)
			d->test_stall = lfs_stallio_init(&d->stall,
			    getenv("LEASEFS_TEST_STALL_WRITE"), &d->log) == 0;
		if (lfs_daemon_init_sync(d) < 0)
			rc = 1;
		else
			rc = run(d);
	}
	free(d);
	return rc;
}
