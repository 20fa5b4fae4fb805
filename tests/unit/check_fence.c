/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check_fence.c - unit tests for core/fence.c and fs/guard.c.
 *
 * Holders are real processes: children of the test that open files under a
 * temporary directory standing in for a leasefs mount point (regular
 * files named like the FUSE view: MOUNT/vm1/lock).  Each reports through a
 * pipe once its files are open, so no test sleeps for a holder to start.
 *
 * Timing.  Fencing deals with real processes on CLOCK_MONOTONIC, so these
 * tests cannot run on a fake clock.  They must pass on a loaded machine all
 * the same: the sanitizer build, make check beside stress-ng --cpu 2 --io 1
 * on two cores, where a loop sleeping 10 ms at a time was measured to see
 * at most 35 ms between two wake-ups.  The rules they follow:
 *
 *  1. What must happen is waited for as an event: a holder's exit through
 *     waitpid, a file's content, the return of the call that does it, the
 *     guard's exit; never by a fixed sleep and then a look.  Each wait is
 *     bounded by the time the event is due plus T_BOUND_MS, so a slow
 *     machine makes a test slower, never failed; only an event that does
 *     not come at all (or comes seconds late) fails it.
 *  2. Lower bounds that come from the design hold on any machine and are
 *     asserted: fenced no earlier than renewal_fail after the last renewal,
 *     SIGKILL no earlier than kill_grace after SIGTERM, a timed-out kill
 *     command not back before its timeout.
 *  3. "X does not happen while Y goes on" is asserted only with a margin no
 *     stall reaches, or is made a matter of order instead of time:
 *     - The guard fences a holder early only if this process goes a whole
 *       renewal_fail without reporting a renewal (the guard's own delays do
 *       not count: it reads every queued message before it looks at its
 *       deadline).  Where holders must survive while renewals go on, or
 *       until a bye is sent, renewal_fail is T_SAFE_FAIL_MS (2 s) and
 *       renewals are reported every T_RENEW_EVERY_MS (20 ms): 100 reports
 *       per renewal_fail, so only a stall of almost 2 s, some 50 times the
 *       worst measured, could fence early.
 *     - Messages that must reach the guard before it fences are ordered
 *       instead: sent before a renewal that arrives too late, whose deadline
 *       has already passed, they are all handled before the guard sees it
 *       and fences (test_guard_ctl_command).
 *     - What correct code never does (run the kill command twice, fence
 *       after a bye) cannot fail on a slow machine either.  How long such
 *       a check watches is stated; what the guard did is looked at only
 *       after its exit (reaped), when all of it is known.
 *     T_RENEWAL_FAIL_MS (300 ms) stays where no renewal has to keep a
 *     holder alive.
 *
 * Upper limits given to the code under test (kill_settle, a kill command's
 * time limit) are T_BOUND_MS: they end as soon as what they wait for
 * happens, so they cost nothing when it does.  kill_grace stays short
 * (T_GRACE_MS) where a holder ignoring SIGTERM must wait it out.
 *
 * guard.c is part of the leasefs program, not of the core library the
 * tests link with, so it is compiled in here.
 */
#include "../../fs/daemon/guard.c"

#include <check.h>
#include <stdarg.h>
#include <sys/pidfd.h>
#include <sys/stat.h>

/* Fencing parameters for the tests, in ms.  Grace is waited out in full
 * by holders that ignore SIGTERM, so it is short; settle only bounds the
 * wait for SIGKILLed holders to be gone, so it is generous. */
#define T_GRACE_MS 200u
#define T_SETTLE_MS 5000u
/* renewal_fail where no renewal has to keep a holder alive (rule 3). */
#define T_RENEWAL_FAIL_MS 300u
/* renewal_fail where holders must survive while renewals are reported
 * every T_RENEW_EVERY_MS, or until a bye is sent (rule 3). */
#define T_SAFE_FAIL_MS 2000u
#define T_RENEW_EVERY_MS 20u
/* How late an event may come before its test fails, in ms (rule 1). */
#define T_BOUND_MS 5000u

/* A fake mount point with vm1/{lock,other,incoming}, vm3/incoming and a
 * lock file at the wrong depths. */
struct tree {
	char mp[256];
	char path[8][PATH_MAX];
	int n;
};

static const char *const tree_files[] = {
	"vm1/lock", "vm1/other", "vm3/incoming", "lock", "a/b/lock",
	"vm1/lock.bak", ".hidden/lock",
};

static const char *
tree_file(struct tree *t, const char *rel)
{
	int i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->path[i] + strlen(t->mp) + 1, rel) == 0)
			return t->path[i];
	ck_abort_msg("no file %s", rel);
	return NULL;
}

static void
mkdir_in(const char *mp, const char *rel)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", mp, rel);
	ck_assert_int_eq(mkdir(p, 0700), 0);
}

static void
tree_make(struct tree *t)
{
	char tmpl[] = "/tmp/check_fence.XXXXXX", real[PATH_MAX];
	size_t i;
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	/* Canonical, as the daemon passes it (/tmp may be a symlink). */
	ck_assert_ptr_nonnull(realpath(tmpl, real));
	ck_assert_uint_lt(strlen(real), sizeof(t->mp));
	strcpy(t->mp, real);
	mkdir_in(t->mp, "vm1");
	mkdir_in(t->mp, "vm3");
	mkdir_in(t->mp, "a");
	mkdir_in(t->mp, "a/b");
	mkdir_in(t->mp, ".hidden");
	t->n = 0;
	for (i = 0; i < sizeof(tree_files) / sizeof(tree_files[0]); i++) {
		snprintf(t->path[t->n], PATH_MAX, "%s/%s", real, tree_files[i]);
		fd = open(t->path[t->n], O_CREAT | O_WRONLY, 0600);
		ck_assert_int_ge(fd, 0);
		close(fd);
		t->n++;
	}
}

static void
tree_remove(struct tree *t)
{
	static const char *const dirs[] = { "a/b", "a", "vm1", "vm3", ".hidden" };
	char p[PATH_MAX];
	size_t i;
	int k;

	for (k = 0; k < t->n; k++)
		unlink(t->path[k]);
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", t->mp, dirs[i]);
		rmdir(p);
	}
	rmdir(t->mp);
}

/* ---- holder processes ------------------------------------------------ */

struct holder {
	pid_t pid;
	pid_t grandchild;        /* 0 unless asked for */
};

#define H_IGNORE_TERM 1          /* ignores SIGTERM: needs SIGKILL */
#define H_GRANDCHILD 2           /* forks a child sharing its files */
#define H_FORK_ON_TERM 4         /* on SIGTERM, forks a child that keeps its
                                    files, and exits */

/* SIGTERM handler of an H_FORK_ON_TERM holder (fork and _exit are
 * async-signal-safe): the child lives on with the lease files. */
static void
fork_on_term(int sig)
{
	(void)sig;
	if (fork() == 0) {
		signal(SIGTERM, fork_on_term);
		for (;;)
			pause();
	}
	_exit(0);
}

/* Fork a child that opens the NULL-terminated list of files and sleeps;
 * returns once they are open. */
static struct holder
holder_spawn(int flags, ...)
{
	struct holder h = { 0, 0 };
	const char *path;
	va_list ap;
	int p[2];
	pid_t gc = 0;

	ck_assert_int_eq(pipe(p), 0);
	h.pid = fork();
	ck_assert_int_ge(h.pid, 0);
	if (h.pid == 0) {
		close(p[0]);
		/* Not Check's handler, which signals the whole group. */
		signal(SIGTERM, (flags & H_IGNORE_TERM) ? SIG_IGN :
		    (flags & H_FORK_ON_TERM) ? fork_on_term : SIG_DFL);
		va_start(ap, flags);
		while ((path = va_arg(ap, const char *)) != NULL)
			if (open(path, O_RDONLY) < 0)
				_exit(2);
		va_end(ap);
		if ((flags & H_GRANDCHILD) && (gc = fork()) == 0) {
			close(p[1]);
			for (;;)
				pause();
		}
		if (write(p[1], &gc, sizeof(gc)) != sizeof(gc))
			_exit(3);
		close(p[1]);
		for (;;)
			pause();
	}
	close(p[1]);
	ck_assert_int_eq(read(p[0], &gc, sizeof(gc)), (int)sizeof(gc));
	close(p[0]);
	h.grandchild = gc;
	return h;
}

/* 1 when pid no longer runs (gone, or a zombie nobody reaped yet). */
static int
proc_gone(pid_t pid)
{
	char path[64], buf[512];
	const char *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 1;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p == NULL || p[2] == 'Z' || p[2] == 'X';
}

/* Wait up to ms for our child pid to exit; 1 and *status when it did. */
static int
child_exited(pid_t pid, uint32_t ms, int *status)
{
	return lfs_fence_reap(pid, ms, status) == 1;
}

/* Wait up to ms for any pid (not necessarily ours) to stop running. */
static int
proc_gone_within(pid_t pid, uint32_t ms)
{
	uint64_t end = lfs_now_ms() + ms;

	while (!proc_gone(pid)) {
		if (lfs_now_ms() >= end)
			return 0;
		lfs_sleep_ms(10);
	}
	return 1;
}

static void
holder_cleanup(struct holder *h)
{
	int status;

	if (h->grandchild > 0)
		kill(h->grandchild, SIGKILL);
	if (h->pid > 0) {
		kill(h->pid, SIGKILL);
		waitpid(h->pid, &status, 0);
	}
	h->pid = h->grandchild = 0;
}

static int
holder_listed(const struct lfs_holder *out, int n, pid_t pid)
{
	int i, count = 0;

	for (i = 0; i < n; i++)
		count += out[i].pid == pid;
	return count;
}

static const struct lfs_logger test_log = {
	lfs_log_stderr, (void *)"check_fence", LOG_DEBUG
};

/* ---- lfs_fence_find ---------------------------------------------------- */

START_TEST(test_find_lock_only)
{
	struct lfs_holder out[16];
	struct holder a, b;
	struct tree t;
	char slash[sizeof(t.mp) + 1], sibling[sizeof(t.mp)];
	int n;

	tree_make(&t);
	a = holder_spawn(0, tree_file(&t, "vm1/lock"), NULL);
	b = holder_spawn(0, tree_file(&t, "vm1/other"), tree_file(&t, "lock"),
	    tree_file(&t, "a/b/lock"), tree_file(&t, "vm1/lock.bak"),
	    tree_file(&t, ".hidden/lock"), NULL);

	n = lfs_fence_find(t.mp, NULL, out, 16);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(out[0].pid, a.pid);
	ck_assert(lfs_fence_alive(&out[0]));

	ck_assert_int_eq(lfs_fence_find(t.mp, "vm1", out, 16), 1);
	ck_assert_int_eq(out[0].pid, a.pid);
	ck_assert_int_eq(lfs_fence_find(t.mp, "vm2", out, 16), 0);
	ck_assert_int_eq(lfs_fence_find(t.mp, "vm", out, 16), 0);
	/* A trailing slash on the mount point changes nothing; max 0 only
	 * counts. */
	snprintf(slash, sizeof(slash), "%s/", t.mp);
	ck_assert_int_eq(lfs_fence_find(slash, "vm1", out, 16), 1);
	ck_assert_int_eq(lfs_fence_find(t.mp, NULL, NULL, 0), 1);
	/* A sibling directory sharing the prefix is not under the mount. */
	strcpy(sibling, t.mp);
	sibling[strlen(sibling) - 1] = '\0';
	ck_assert_int_eq(lfs_fence_find(sibling, NULL, out, 16), 0);

	holder_cleanup(&a);
	holder_cleanup(&b);
	tree_remove(&t);
}
END_TEST

START_TEST(test_find_incoming_and_max)
{
	struct lfs_holder out[1];
	struct holder a, b;
	struct tree t;

	tree_make(&t);
	a = holder_spawn(0, tree_file(&t, "vm1/lock"), NULL);
	b = holder_spawn(0, tree_file(&t, "vm3/incoming"),
	    tree_file(&t, "vm1/lock"), NULL);
	/* Two holders, b listed once although it holds two files; only one
	 * fits in out. */
	ck_assert_int_eq(lfs_fence_find(t.mp, NULL, out, 1), 2);
	ck_assert(out[0].pid == a.pid || out[0].pid == b.pid);
	ck_assert_int_eq(lfs_fence_find(t.mp, "vm3", out, 1), 1);
	ck_assert_int_eq(out[0].pid, b.pid);
	holder_cleanup(&a);
	holder_cleanup(&b);
	tree_remove(&t);
}
END_TEST

START_TEST(test_find_deleted)
{
	struct lfs_holder out[4];
	struct holder a;
	struct tree t;

	tree_make(&t);
	a = holder_spawn(0, tree_file(&t, "vm1/lock"), NULL);
	/* The kernel now reports ".../vm1/lock (deleted)", as it may for a
	 * file of a FUSE mount whose daemon died. */
	ck_assert_int_eq(unlink(tree_file(&t, "vm1/lock")), 0);
	ck_assert_int_eq(lfs_fence_find(t.mp, "vm1", out, 4), 1);
	ck_assert_int_eq(out[0].pid, a.pid);
	holder_cleanup(&a);
	tree_remove(&t);
}
END_TEST

START_TEST(test_find_invalid)
{
	struct lfs_holder out[1];

	ck_assert_int_eq(lfs_fence_find("relative/mp", NULL, out, 1), -EINVAL);
	ck_assert_int_eq(lfs_fence_find(NULL, NULL, out, 1), -EINVAL);
	ck_assert_int_eq(lfs_fence_find("/tmp", "..", out, 1), -EINVAL);
	ck_assert_int_eq(lfs_fence_find("/tmp", "a/b", out, 1), -EINVAL);
	ck_assert_int_eq(lfs_fence_find("/tmp", NULL, NULL, 1), -EINVAL);
}
END_TEST

START_TEST(test_find_grandchild)
{
	struct lfs_holder out[8];
	struct holder a;
	struct tree t;
	uint64_t t0;
	int n;

	tree_make(&t);
	a = holder_spawn(H_GRANDCHILD, tree_file(&t, "vm1/lock"), NULL);
	ck_assert_int_gt(a.grandchild, 0);
	n = lfs_fence_find(t.mp, "vm1", out, 8);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(holder_listed(out, n, a.pid), 1);
	ck_assert_int_eq(holder_listed(out, n, a.grandchild), 1);
	t0 = lfs_now_ms();
	ck_assert_int_eq(lfs_fence_kill(out, n, T_GRACE_MS, T_SETTLE_MS,
	    &test_log), 0);
	ck_assert_uint_lt(lfs_now_ms() - t0, T_BOUND_MS);
	ck_assert(!lfs_fence_alive(&out[0]));
	ck_assert(!lfs_fence_alive(&out[1]));
	ck_assert(proc_gone_within(a.grandchild, T_BOUND_MS));
	holder_cleanup(&a);
	tree_remove(&t);
}
END_TEST

/* ---- lfs_fence_alive, lfs_fence_kill ---------------------------------- */

START_TEST(test_alive)
{
	struct lfs_holder out[2], h;
	struct holder a;
	struct tree t;

	tree_make(&t);
	a = holder_spawn(0, tree_file(&t, "vm1/lock"), NULL);
	ck_assert_int_eq(lfs_fence_find(t.mp, NULL, out, 2), 1);
	ck_assert(lfs_fence_alive(&out[0]));
	h = out[0];
	h.start_time++;          /* a recycled pid: another process */
	ck_assert(!lfs_fence_alive(&h));
	/* Killed but not reaped: a zombie is gone. */
	kill(a.pid, SIGKILL);
	ck_assert(proc_gone_within(a.pid, T_BOUND_MS));
	ck_assert(!lfs_fence_alive(&out[0]));
	holder_cleanup(&a);
	ck_assert(!lfs_fence_alive(&out[0]));
	h.pid = 0;
	ck_assert(!lfs_fence_alive(&h));
	ck_assert_int_eq(lfs_fence_kill(NULL, 0, 1, 1, NULL), 0);
	tree_remove(&t);
}
END_TEST

/* A holder given by its pidfd (ctl `acquire pid N`): signalled and watched
 * through the pidfd alone; no /proc lookup, so a wrong start time is no
 * matter; a zombie counts as gone. */
START_TEST(test_kill_by_pidfd)
{
	struct lfs_holder h;
	struct holder a;
	int status = 0;
	pid_t pid;

	a = holder_spawn(0, NULL);   /* holds no file: only its pidfd says */
	pid = a.pid;
	memset(&h, 0, sizeof(h));
	h.pid = pid;
	h.start_time = 12345;    /* not its start time: not looked at */
	h.by_pidfd = 1;
	h.pidfd = pidfd_open(pid, 0);
	if (h.pidfd < 0 && errno == ENOSYS) {
		/* valgrind has no pidfd_open (make valgrind); the daemon then
		 * refuses `acquire pid` (pidhold.c lfs_pid_open): nothing to run */
		fprintf(stderr, "check_fence: pidfd_open: ENOSYS here; "
		    "test_kill_by_pidfd not run\n");
		holder_cleanup(&a);
		return;
	}
	ck_assert_int_ge(h.pidfd, 0);
	ck_assert(lfs_fence_alive(&h));
	ck_assert_int_eq(lfs_fence_kill(&h, 1, T_GRACE_MS, T_BOUND_MS,
	    &test_log), 0);
	ck_assert(!lfs_fence_alive(&h));     /* a zombie, not reaped yet */
	ck_assert(child_exited(pid, T_BOUND_MS, &status));
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	ck_assert(!lfs_fence_alive(&h));
	close(h.pidfd);
	a.pid = 0;
}
END_TEST

/* Fence one holder; returns how it died and the time taken in ms. */
static uint64_t
fence_one(int flags, int *status)
{
	struct lfs_holder out[2];
	struct holder a;
	struct tree t;
	uint64_t t0, took;

	tree_make(&t);
	a = holder_spawn(flags, tree_file(&t, "vm1/lock"), NULL);
	ck_assert_int_eq(lfs_fence_find(t.mp, NULL, out, 2), 1);
	t0 = lfs_now_ms();
	ck_assert_int_eq(lfs_fence_kill(out, 1, T_GRACE_MS, T_SETTLE_MS,
	    &test_log), 0);
	took = lfs_now_ms() - t0;
	ck_assert(!lfs_fence_alive(&out[0]));
	ck_assert(child_exited(a.pid, T_BOUND_MS, status));
	a.pid = 0;
	tree_remove(&t);
	return took;
}

START_TEST(test_kill_sigterm)
{
	uint64_t took;
	int status = 0;

	took = fence_one(0, &status);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	ck_assert_uint_lt(took, T_BOUND_MS);
	fprintf(stderr, "check_fence: SIGTERM fencing took %" PRIu64 " ms\n",
	    took);
}
END_TEST

START_TEST(test_kill_sigkill)
{
	uint64_t took;
	int status = 0;

	took = fence_one(H_IGNORE_TERM, &status);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ck_assert_uint_ge(took, T_GRACE_MS);            /* rule 2 */
	ck_assert_uint_lt(took, T_GRACE_MS + T_BOUND_MS);
	fprintf(stderr, "check_fence: SIGKILL fencing took %" PRIu64 " ms "
	    "(grace %u)\n", took, T_GRACE_MS);
}
END_TEST

/* ---- lfs_fence_run_command -------------------------------------------- */

static void
read_file(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	n = read(fd, buf, size - 1);
	ck_assert_int_ge(n, 0);
	buf[n] = '\0';
	close(fd);
}

START_TEST(test_run_command)
{
	char cmd[PATH_MAX + 64], out[64];
	struct tree t;
	uint32_t limit;
	uint64_t t0, took;
	pid_t bg;
	int r;

	tree_make(&t);
	/* The time limit only bounds the wait for a command that ends by
	 * itself: generous. */
	ck_assert_int_eq(lfs_fence_run_command("exit 0", "vm1", T_BOUND_MS,
	    &test_log), 0);
	r = lfs_fence_run_command("exit 3", "vm1", T_BOUND_MS, &test_log);
	ck_assert_int_lt(r, 0);
	ck_assert_int_ne(r, -ETIMEDOUT);

	/* LEASEFS_LEASE replaces any inherited value. */
	setenv("LEASEFS_LEASE", "stale", 1);
	snprintf(cmd, sizeof(cmd), "printf %%s \"$LEASEFS_LEASE\" > %s",
	    tree_file(&t, "vm1/other"));
	ck_assert_int_eq(lfs_fence_run_command(cmd, "vm7", T_BOUND_MS,
	    &test_log), 0);
	read_file(tree_file(&t, "vm1/other"), out, sizeof(out));
	ck_assert_str_eq(out, "vm7");
	unsetenv("LEASEFS_LEASE");

	/* A hanging command is killed with what it started.  It writes the
	 * pid of what it started before it hangs; a shell too slow to get
	 * that far within the time limit (a loaded machine) proves nothing
	 * about the background child, so the limit doubles until one does.
	 * Each try must time out, no sooner than its limit (rule 2). */
	snprintf(cmd, sizeof(cmd), "sleep 30 & echo $! > %s; wait",
	    tree_file(&t, "vm1/other"));
	for (limit = 300;; limit *= 2) {
		ck_assert_int_eq(truncate(tree_file(&t, "vm1/other"), 0), 0);
		t0 = lfs_now_ms();
		ck_assert_int_eq(lfs_fence_run_command(cmd, "vm1", limit,
		    &test_log), -ETIMEDOUT);
		took = lfs_now_ms() - t0;
		ck_assert_uint_ge(took, limit);
		ck_assert_uint_lt(took, limit + T_BOUND_MS);
		read_file(tree_file(&t, "vm1/other"), out, sizeof(out));
		if (out[0] != '\0')
			break;
		ck_assert_msg(2 * limit <= T_BOUND_MS, "the command never got to "
		    "start its child (last limit %u ms)", limit);
	}
	bg = (pid_t)atol(out);
	ck_assert_int_gt(bg, 0);
	ck_assert(proc_gone_within(bg, T_BOUND_MS));

	ck_assert_int_eq(lfs_fence_run_command(NULL, "vm1", 10, NULL), -EINVAL);
	tree_remove(&t);
}
END_TEST

/* ---- the guard --------------------------------------------------------- */

static struct lfs_guard_config
guard_cfg(const struct tree *t, const char *kill_command)
{
	struct lfs_guard_config c;

	memset(&c, 0, sizeof(c));
	c.mountpoint = t->mp;
	c.renewal_fail_ms = T_RENEWAL_FAIL_MS;
	c.kill_grace_ms = T_GRACE_MS;
	c.kill_settle_ms = T_SETTLE_MS;
	c.kill_command = kill_command;
	c.debug = 1;
	c.fence_lock_fd = -1;
	c.gate_fd = -1;
	c.renew_gate_fd = -1;
	return c;
}

/* Report a renewal every T_RENEW_EVERY_MS for ms; each must be accepted
 * (the socket holds some 270 reports: the guard would have to stall for
 * over 5 s to fill it).  Returns the time of the last one. */
static uint64_t
renew_for(struct lfs_guard *g, uint32_t ms)
{
	uint64_t end = lfs_now_ms() + ms, last = 0;

	while (lfs_now_ms() < end) {
		last = lfs_now_ms();
		ck_assert_int_eq(lfs_guard_renewed(g, last), 0);
		lfs_sleep_ms(T_RENEW_EVERY_MS);
	}
	return last;
}

/* Wait up to ms for path to have content; 1 when it has. */
static int
file_filled_within(const char *path, char *buf, size_t size, uint32_t ms)
{
	uint64_t end = lfs_now_ms() + ms;

	for (;;) {
		read_file(path, buf, size);
		if (buf[0] != '\0')
			return 1;
		if (lfs_now_ms() >= end)
			return 0;
		lfs_sleep_ms(10);
	}
}

/* Whether process pid sleeps in poll(2) (x86-64 poll or ppoll), as the
 * guard does between fencings; waits up to ms for it. */
static int
guard_idle(pid_t pid, uint32_t ms)
{
	uint64_t end = lfs_now_ms() + ms;
	char path[64], buf[64];
	FILE *f;
	long nr;

	snprintf(path, sizeof(path), "/proc/%ld/syscall", (long)pid);
	do {
		nr = -1;
		if ((f = fopen(path, "r")) != NULL) {
			if (fgets(buf, sizeof(buf), f) != NULL)
				nr = strtol(buf, NULL, 10);
			fclose(f);
		}
		if (nr == 7 || nr == 271)
			return 1;
		lfs_sleep_ms(5);
	} while (lfs_now_ms() < end);
	return 0;
}

/* A holder whose SIGTERM handler forks a child that keeps the lease file
 * open, then exits: the scan that found the holder did not find the child.
 * The guard's fencing (kill_holders) must scan again until nobody holds a
 * lease file, or it would report success while the child still holds one
 * past host_dead.  Failed before the rescan (the child survived). */
START_TEST(test_fence_holder_forks_on_term)
{
	struct lfs_guard_config c;
	struct guard_state gs;
	struct lfs_holder left[4];
	struct holder a;
	struct tree t;
	int status, failed, n, i;

	tree_make(&t);
	c = guard_cfg(&t, NULL);
	memset(&gs, 0, sizeof(gs));
	gs.cfg = &c;
	gs.holders = calloc(GUARD_MAX_HOLDERS, sizeof(*gs.holders));
	ck_assert_ptr_nonnull(gs.holders);
	a = holder_spawn(H_FORK_ON_TERM, tree_file(&t, "vm1/lock"), NULL);
	failed = kill_holders(&gs, lfs_now_ms() + c.kill_grace_ms);
	ck_assert(child_exited(a.pid, T_BOUND_MS, &status));
	a.pid = 0;
	n = lfs_fence_find(t.mp, NULL, left, 4);
	for (i = 0; i < n && i < 4; i++)
		kill(left[i].pid, SIGKILL); /* not ours to reap */
	ck_assert_msg(n == 0, "%d holder(s) left after fencing", n);
	ck_assert_int_eq(failed, 0);
	free(gs.holders);
	tree_remove(&t);
}
END_TEST

/* The kill grace runs from the fencing deadline, not from when the guard
 * gets round to fencing (issue 11, case 7): a guard that starts (or wakes)
 * when the renewal is already LATE_MS past renewal_fail gives a holder
 * that ignores SIGTERM only kill_grace - LATE_MS before SIGKILL.  With a
 * grace of 3 s and 2.5 s of it gone, SIGKILL comes about 0.5 s after the
 * start; the bound is 2.5 s, still well under the full 3 s a grace from
 * the start gave (failed so before the fix: gone after 3 s). */
#define LATE_GRACE_MS 3000u
#define LATE_MS 2500u
START_TEST(test_guard_grace_from_deadline)
{
	struct lfs_guard_config c;
	struct lfs_guard g;
	struct holder a;
	struct tree t;
	uint64_t t0, took;
	int status;

	tree_make(&t);
	c = guard_cfg(&t, NULL);
	c.kill_grace_ms = LATE_GRACE_MS;
	a = holder_spawn(H_IGNORE_TERM, tree_file(&t, "vm1/lock"), NULL);
	t0 = lfs_now_ms();
	ck_assert_int_eq(lfs_guard_start(&g, &c, t0 - T_RENEWAL_FAIL_MS -
	    LATE_MS), 0);
	ck_assert(child_exited(a.pid, T_BOUND_MS, &status));
	took = lfs_now_ms() - t0;
	a.pid = 0;
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	fprintf(stderr, "check_fence: a late guard's SIGKILL came %" PRIu64
	    " ms after its start (grace left %u ms)\n", took,
	    LATE_GRACE_MS - LATE_MS);
	ck_assert_uint_lt(took, LATE_MS);
	lfs_guard_stop(&g);
	tree_remove(&t);
}
END_TEST

START_TEST(test_guard_overdue)
{
	struct lfs_guard_config c;
	struct lfs_guard g;
	struct holder a, b;
	struct tree t;
	uint64_t last;
	int status;

	tree_make(&t);
	/* Holders must survive while renewals go on: T_SAFE_FAIL_MS against a
	 * report every T_RENEW_EVERY_MS (rule 3). */
	c = guard_cfg(&t, NULL);
	c.renewal_fail_ms = T_SAFE_FAIL_MS;
	a = holder_spawn(0, tree_file(&t, "vm1/lock"), NULL);
	ck_assert_int_eq(lfs_guard_start(&g, &c, lfs_now_ms()), 0);
	ck_assert_int_gt(g.pid, 0);

	/* Renewals re-arm: the holder outlives the first deadline. */
	last = renew_for(&g, T_SAFE_FAIL_MS + T_RENEWAL_FAIL_MS);
	ck_assert_int_eq(waitpid(a.pid, &status, WNOHANG), 0);

	/* Renewals stop: fenced at renewal_fail after the last one, not
	 * before (rule 2). */
	ck_assert(child_exited(a.pid, T_SAFE_FAIL_MS + T_BOUND_MS, &status));
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	ck_assert_uint_ge(lfs_now_ms() - last, T_SAFE_FAIL_MS);
	fprintf(stderr, "check_fence: holder gone %" PRIu64 " ms after the "
	    "last renewal (renewal_fail %u)\n", lfs_now_ms() - last,
	    T_SAFE_FAIL_MS);
	a.pid = 0;

	/* A newer renewal re-arms; no second fencing while they continue,
	 * past the deadline of the first of them.  b opens its file only once
	 * the guard's fencing is over (it scans again until nobody holds a
	 * lease file, and would rightly take b for a holder of the fenced
	 * generation): the guard is back in its poll(). */
	ck_assert(guard_idle(g.pid, T_BOUND_MS));
	b = holder_spawn(0, tree_file(&t, "vm1/lock"), NULL);
	renew_for(&g, T_SAFE_FAIL_MS + T_RENEWAL_FAIL_MS);
	ck_assert_int_eq(waitpid(b.pid, &status, WNOHANG), 0);
	ck_assert_int_eq(lfs_guard_stop(&g), 0);
	ck_assert_int_eq(g.pid, 0);
	ck_assert_int_eq(waitpid(b.pid, &status, WNOHANG), 0);
	holder_cleanup(&b);
	tree_remove(&t);
}
END_TEST

START_TEST(test_guard_ctl_command)
{
	char cmd[PATH_MAX + 64], out[64];
	struct lfs_guard_config c;
	struct lfs_guard g;
	struct holder h;
	struct tree t;
	uint64_t t0;
	int status;

	tree_make(&t);
	snprintf(cmd, sizeof(cmd), "echo \"$LEASEFS_LEASE\" >> %s",
	    tree_file(&t, "vm1/other"));
	c = guard_cfg(&t, cmd);
	/* kill_grace is the kill command's time limit.  Generous: it ends as
	 * soon as the command does, and no holder here ignores SIGTERM. */
	c.kill_grace_ms = T_BOUND_MS;
	h = holder_spawn(0, tree_file(&t, "vm1/lock"), NULL);
	t0 = lfs_now_ms();
	ck_assert_int_eq(lfs_guard_start(&g, &c, t0), 0);

	/* No renewals: fenced at renewal_fail, not before (rule 2).  No ctl
	 * lease has been reported yet, so no kill command runs. */
	ck_assert(child_exited(h.pid, T_RENEWAL_FAIL_MS + T_BOUND_MS, &status));
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	ck_assert_uint_ge(lfs_now_ms() - t0, T_RENEWAL_FAIL_MS);
	h.pid = 0;
	read_file(tree_file(&t, "vm1/other"), out, sizeof(out));
	ck_assert_str_eq(out, "");

	ck_assert_int_eq(lfs_guard_ctl_lease(&g, "vmA", 1), 0);
	ck_assert_int_eq(lfs_guard_ctl_lease(&g, "vmB", 1), 0);
	ck_assert_int_eq(lfs_guard_ctl_lease(&g, "vmA", 1), 0);
	ck_assert_int_eq(lfs_guard_ctl_lease(&g, "vmB", 0), 0);
	ck_assert_int_eq(lfs_guard_ctl_lease(&g, "../x", 1), -EINVAL);
	/* A renewal submitted at t0 + 1 and reported only now, its deadline
	 * long passed: it re-arms the guard, which fences again at once.  The
	 * guard handles every queued message before it looks at the deadline
	 * (rule 3), so it knows the ctl leases above when it does: the
	 * command runs for vmA, held twice, and not for vmB, released. */
	ck_assert_int_eq(lfs_guard_renewed(&g, t0 + 1), 0);
	ck_assert(file_filled_within(tree_file(&t, "vm1/other"), out,
	    sizeof(out), T_BOUND_MS));

	/* Once: without a newer renewal there is no other deadline.  A guard
	 * that fenced again anyway would do it at once, or renewal_fail after
	 * this fencing if it re-armed itself: watch twice that long.  The
	 * guard takes the bye only between fencings, so once it has exited
	 * every command it ran is in the file. */
	lfs_sleep_ms(2 * T_RENEWAL_FAIL_MS);
	/* The guard survives what is aimed at the daemon: it is still there
	 * to take the bye and exits 0 (lfs_guard_stop fails if a signal
	 * killed it, before the bye or after). */
	kill(g.pid, SIGTERM);
	kill(g.pid, SIGINT);
	kill(g.pid, SIGHUP);
	ck_assert_int_eq(lfs_guard_stop(&g), 0);
	read_file(tree_file(&t, "vm1/other"), out, sizeof(out));
	ck_assert_str_eq(out, "vmA\n");
	tree_remove(&t);
}
END_TEST

START_TEST(test_guard_daemon_died)
{
	struct lfs_guard_config c;
	struct lfs_guard g;
	struct holder a;
	struct tree t;
	uint64_t t0, took;
	int status;

	tree_make(&t);
	c = guard_cfg(&t, NULL);
	c.renewal_fail_ms = 60000;   /* only the EOF may fence */
	a = holder_spawn(H_IGNORE_TERM, tree_file(&t, "vm1/lock"), NULL);
	ck_assert_int_eq(lfs_guard_start(&g, &c, lfs_now_ms()), 0);
	ck_assert_int_eq(lfs_guard_renewed(&g, lfs_now_ms()), 0);
	lfs_sleep_ms(50);
	ck_assert_int_eq(waitpid(a.pid, &status, WNOHANG), 0);

	/* The daemon dies: its end of the socket closes without a bye.  The
	 * holder ignores SIGTERM: SIGKILLed after the grace, not before. */
	t0 = lfs_now_ms();
	close(g.fd);
	ck_assert(child_exited(a.pid, T_GRACE_MS + T_BOUND_MS, &status));
	took = lfs_now_ms() - t0;
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ck_assert_uint_ge(took, T_GRACE_MS);              /* rule 2 */
	fprintf(stderr, "check_fence: holder gone %" PRIu64 " ms after the "
	    "daemon died (grace %u)\n", took, T_GRACE_MS);
	a.pid = 0;
	ck_assert(child_exited(g.pid, T_BOUND_MS, &status));
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	tree_remove(&t);
}
END_TEST

START_TEST(test_guard_bye)
{
	struct lfs_guard_config c;
	struct lfs_guard g;
	struct holder a;
	struct tree t;
	uint64_t t0;
	int status;

	tree_make(&t);
	a = holder_spawn(0, tree_file(&t, "vm1/lock"), NULL);

	/* The bye wakes the guard: its deadline is a minute away, so a stop
	 * within T_BOUND_MS did not wait for it.  The guard is given time to
	 * start and go to sleep first, so that the bye has to wake it (on a
	 * machine too slow for that, it finds the bye already queued when it
	 * first looks: this proves less, and still passes). */
	c = guard_cfg(&t, NULL);
	c.renewal_fail_ms = 60000;
	ck_assert_int_eq(lfs_guard_start(&g, &c, lfs_now_ms()), 0);
	ck_assert_int_eq(lfs_guard_renewed(&g, lfs_now_ms()), 0);
	lfs_sleep_ms(300);
	t0 = lfs_now_ms();
	ck_assert_int_eq(lfs_guard_stop(&g), 0);
	ck_assert_uint_lt(lfs_now_ms() - t0, T_BOUND_MS);
	ck_assert_int_eq(g.pid, 0);
	ck_assert_int_eq(lfs_guard_stop(&g), 0);     /* idempotent */
	ck_assert_int_eq(lfs_guard_renewed(&g, lfs_now_ms()), -ENOTCONN);
	ck_assert_int_eq(waitpid(a.pid, &status, WNOHANG), 0);

	/* A guard that took the bye fences nothing when its deadline passes.
	 * The bye must reach it before that deadline, so renewal_fail is
	 * T_SAFE_FAIL_MS (rule 3); then well past it, the holder lives. */
	c.renewal_fail_ms = T_SAFE_FAIL_MS;
	t0 = lfs_now_ms();
	ck_assert_int_eq(lfs_guard_start(&g, &c, t0), 0);
	ck_assert_int_eq(lfs_guard_renewed(&g, t0), 0);
	ck_assert_int_eq(lfs_guard_stop(&g), 0);
	while (lfs_now_ms() < t0 + T_SAFE_FAIL_MS + T_RENEWAL_FAIL_MS)
		lfs_sleep_ms(50);
	ck_assert_int_eq(waitpid(a.pid, &status, WNOHANG), 0);
	holder_cleanup(&a);
	tree_remove(&t);
}
END_TEST

START_TEST(test_guard_died)
{
	struct lfs_guard_config c;
	struct lfs_guard g;
	struct tree t;
	int r;

	tree_make(&t);
	c = guard_cfg(&t, NULL);
	ck_assert_int_eq(lfs_guard_start(&g, &c, lfs_now_ms()), 0);
	kill(g.pid, SIGKILL);
	ck_assert(proc_gone_within(g.pid, T_BOUND_MS));
	/* The daemon notices at its next report. */
	r = lfs_guard_renewed(&g, lfs_now_ms());
	ck_assert(r == -EPIPE || r == -ECONNREFUSED || r == -ECONNRESET);
	ck_assert_int_lt(lfs_guard_stop(&g), 0);
	ck_assert_int_eq(g.pid, 0);
	tree_remove(&t);
}
END_TEST

START_TEST(test_guard_invalid)
{
	struct lfs_guard_config c;
	struct lfs_guard g;
	struct tree t;

	tree_make(&t);
	c = guard_cfg(&t, NULL);
	c.mountpoint = "relative";
	ck_assert_int_eq(lfs_guard_start(&g, &c, lfs_now_ms()), -EINVAL);
	ck_assert_int_eq(g.pid, 0);
	c = guard_cfg(&t, NULL);
	c.watchdog = tree_file(&t, "vm1/other");   /* not a watchdog */
	ck_assert_int_eq(lfs_guard_start(&g, &c, lfs_now_ms()), -ENOTTY);
	ck_assert_int_eq(g.pid, 0);
	tree_remove(&t);
}
END_TEST

static Suite *
fence_suite(void)
{
	Suite *s = suite_create("fence");
	TCase *tf = tcase_create("find");
	TCase *tk = tcase_create("kill");
	TCase *tg = tcase_create("guard");

	tcase_add_test(tf, test_find_lock_only);
	tcase_add_test(tf, test_find_incoming_and_max);
	tcase_add_test(tf, test_find_deleted);
	tcase_add_test(tf, test_find_invalid);
	tcase_add_test(tf, test_find_grandchild);
	tcase_add_test(tk, test_alive);
	tcase_add_test(tk, test_kill_sigterm);
	tcase_add_test(tk, test_kill_sigkill);
	tcase_add_test(tk, test_kill_by_pidfd);
	tcase_add_test(tk, test_run_command);
	tcase_add_test(tg, test_fence_holder_forks_on_term);
	tcase_add_test(tg, test_guard_overdue);
	tcase_add_test(tg, test_guard_grace_from_deadline);
	tcase_add_test(tg, test_guard_ctl_command);
	tcase_add_test(tg, test_guard_daemon_died);
	tcase_add_test(tg, test_guard_bye);
	tcase_add_test(tg, test_guard_died);
	tcase_add_test(tg, test_guard_invalid);
	/* Seconds; these tests wait on real processes. */
	tcase_set_timeout(tf, 30);
	tcase_set_timeout(tk, 30);
	tcase_set_timeout(tg, 60);
	suite_add_tcase(s, tf);
	suite_add_tcase(s, tk);
	suite_add_tcase(s, tg);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(fence_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
