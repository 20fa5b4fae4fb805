/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mountopts.c - the command line and `-o` options of `leasefs mount`
 * (mountopts.h says which options exist and what becomes of each).
 *
 * Sections:
 *   1. the option table and fuse_opt_parse()'s callback
 *   2. checking passed-through options with libfuse
 *   3. defaults and the arguments for fuse_session_new()
 *   4. the command line (leasefs mount, mount.fuse3's call, mount.leasefs)
 *
 * Values are copied into the fixed buffers of the caller's struct; a value
 * that does not fit is refused, never cut.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>

#include "cli.h"
#include "mountopts.h"
#include "names.h"

/* ---- 1. the option table ---- */

enum mopt_key {
	K_HOST_ID, K_NAME, K_STATE_DIR, K_RUN_DIR, K_GROUP, K_KILL_COMMAND,
	K_WATCHDOG, K_WAKE_MS, K_DEBUG,
	K_MOUNT_ONLY,            /* for mount(8) and fstab: dropped */
	K_NO_EFFECT,             /* VFS flags libfuse has no name for */
	K_SET_BY_US,             /* the daemon always sets these */
	K_RO, K_ALLOW_ROOT, K_AUTO_UNMOUNT, /* refused */
};

/* Every option leasefs itself knows; anything else goes to libfuse. */
static const struct fuse_opt mopt_table[] = {
	FUSE_OPT_KEY("host_id=", K_HOST_ID),
	FUSE_OPT_KEY("name=", K_NAME),
	FUSE_OPT_KEY("state_dir=", K_STATE_DIR),
	FUSE_OPT_KEY("run_dir=", K_RUN_DIR),
	FUSE_OPT_KEY("group=", K_GROUP),
	FUSE_OPT_KEY("kill_command=", K_KILL_COMMAND),
	FUSE_OPT_KEY("watchdog=", K_WATCHDOG),
	FUSE_OPT_KEY("wake_ms=", K_WAKE_MS),
	FUSE_OPT_KEY("debug", K_DEBUG),
	FUSE_OPT_KEY("defaults", K_MOUNT_ONLY),
	FUSE_OPT_KEY("auto", K_MOUNT_ONLY),
	FUSE_OPT_KEY("noauto", K_MOUNT_ONLY),
	FUSE_OPT_KEY("user", K_MOUNT_ONLY),
	FUSE_OPT_KEY("nouser", K_MOUNT_ONLY),
	FUSE_OPT_KEY("users", K_MOUNT_ONLY),
	FUSE_OPT_KEY("owner", K_MOUNT_ONLY),
	FUSE_OPT_KEY("group", K_MOUNT_ONLY),
	FUSE_OPT_KEY("nofail", K_MOUNT_ONLY),
	FUSE_OPT_KEY("_netdev", K_MOUNT_ONLY),
	FUSE_OPT_KEY("comment=", K_MOUNT_ONLY),
	FUSE_OPT_KEY("silent", K_MOUNT_ONLY),
	FUSE_OPT_KEY("loud", K_MOUNT_ONLY),
	FUSE_OPT_KEY("diratime", K_NO_EFFECT),
	FUSE_OPT_KEY("nodiratime", K_NO_EFFECT),
	FUSE_OPT_KEY("relatime", K_NO_EFFECT),
	FUSE_OPT_KEY("norelatime", K_NO_EFFECT),
	FUSE_OPT_KEY("strictatime", K_NO_EFFECT),
	FUSE_OPT_KEY("nostrictatime", K_NO_EFFECT),
	FUSE_OPT_KEY("lazytime", K_NO_EFFECT),
	FUSE_OPT_KEY("nolazytime", K_NO_EFFECT),
	FUSE_OPT_KEY("mand", K_NO_EFFECT),
	FUSE_OPT_KEY("nomand", K_NO_EFFECT),
	FUSE_OPT_KEY("fsname=", K_SET_BY_US),
	FUSE_OPT_KEY("subtype=", K_SET_BY_US),
	FUSE_OPT_KEY("allow_other", K_SET_BY_US),
	FUSE_OPT_KEY("default_permissions", K_SET_BY_US),
	FUSE_OPT_KEY("ro", K_RO),
	FUSE_OPT_KEY("allow_root", K_ALLOW_ROOT),
	FUSE_OPT_KEY("auto_unmount", K_AUTO_UNMOUNT),
	FUSE_OPT_END
};

/* What the callback needs besides the options. */
struct mopt_ctx {
	struct lfs_mount_opts *o;
	int sloppy;
	int err;                 /* -errno of the failure, 0 */
	char *msg;               /* reason of the failure */
	size_t msglen;
};

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int
mopt_fail(struct mopt_ctx *x, int err, const char *fmt, ...)
{
	va_list ap;

	x->err = err;
	if (x->msg != NULL && x->msglen > 0) {
		va_start(ap, fmt);
		vsnprintf(x->msg, x->msglen, fmt, ap);
		va_end(ap);
	}
	return -1;               /* stops fuse_opt_parse() */
}

void
lfs_mount_opts_init(struct lfs_mount_opts *o)
{
	memset(o, 0, sizeof(*o));
}

/* Copy val into dst (size bytes) or fail without a partial copy. */
static int
mopt_copy(struct mopt_ctx *x, char *dst, size_t size, const char *key,
    const char *val)
{
	size_t len = strlen(val);

	if (len == 0 || len >= size)
		return mopt_fail(x, -EINVAL, "%s: value %s", key,
		    len == 0 ? "is empty" : "is too long");
	memcpy(dst, val, len + 1);
	return 0;
}

static int
mopt_path(struct mopt_ctx *x, char *dst, size_t size, const char *key,
    const char *val)
{
	if (val[0] != '/')
		return mopt_fail(x, -EINVAL, "%s: '%s' is not an absolute path",
		    key, val);
	return mopt_copy(x, dst, size, key, val);
}

static int
mopt_host_id(struct mopt_ctx *x, const char *val)
{
	uint32_t v = 0;
	const char *p;

	for (p = val; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || v > LFS_MAX_HOSTS)
			break;
		v = v * 10 + (uint32_t)(*p - '0');
	}
	if (p == val || *p != '\0' || v == 0 || v > LFS_MAX_HOSTS)
		return mopt_fail(x, -EINVAL, "host_id: '%s' is not a number from "
		    "1 to %u", val, LFS_MAX_HOSTS);
	x->o->host_id = v;
	return 0;
}

/* A number from lo to hi, in decimal; -1 when it is not one. */
static long
mopt_number(const char *val, uint32_t lo, uint32_t hi)
{
	uint32_t v = 0;
	const char *p;

	for (p = val; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || v > hi)
			return -1;
		v = v * 10 + (uint32_t)(*p - '0');
	}
	return p == val || v < lo || v > hi ? -1 : (long)v;
}

static int
mopt_wake_ms(struct mopt_ctx *x, const char *val)
{
	long v = mopt_number(val, 1, LFS_WAKE_MS_MAX);

	if (v < 0)
		return mopt_fail(x, -EINVAL, "wake_ms: '%s' is not a number from "
		    "1 to %u", val, LFS_WAKE_MS_MAX);
	x->o->wake_ms = (uint32_t)v;
	return 0;
}

static int mopt_pass(struct mopt_ctx *x, const char *arg);

/* fuse_opt_parse()'s callback: arg is one option, unescaped. */
static int
mopt_proc(void *data, const char *arg, int key, struct fuse_args *outargs)
{
	struct mopt_ctx *x = data;
	struct lfs_mount_opts *o = x->o;
	const char *val = strchr(arg, '=');

	(void)outargs;
	val = val != NULL ? val + 1 : "";
	switch (key) {
	case K_HOST_ID: return mopt_host_id(x, val);
	case K_NAME:
		if (lfs_host_name_check(val) != 0)
			return mopt_fail(x, -EINVAL, "name: '%s' is not a valid "
			    "host name (1-%d bytes of A-Z a-z 0-9 . _ -, not "
			    "starting with '.')", val, LFS_HOST_NAME_MAX);
		return mopt_copy(x, o->name, sizeof(o->name), "name", val);
	case K_STATE_DIR:
		return mopt_path(x, o->state_dir, sizeof(o->state_dir),
		    "state_dir", val);
	case K_RUN_DIR:
		return mopt_path(x, o->run_dir, sizeof(o->run_dir), "run_dir",
		    val);
	case K_GROUP:
		return mopt_copy(x, o->group, sizeof(o->group), "group", val);
	case K_KILL_COMMAND:
		return mopt_copy(x, o->kill_command, sizeof(o->kill_command),
		    "kill_command", val);
	case K_WATCHDOG:
		return mopt_path(x, o->watchdog, sizeof(o->watchdog), "watchdog",
		    val);
	case K_WAKE_MS: return mopt_wake_ms(x, val);
	case K_DEBUG:
		o->debug = 1;
		return 0;
	case K_MOUNT_ONLY:
	case K_NO_EFFECT:
	case K_SET_BY_US:
		return 0;
	case K_RO:
		return mopt_fail(x, -EINVAL, "ro: a lease manager cannot be "
		    "read-only");
	case K_ALLOW_ROOT:
		return mopt_fail(x, -EINVAL, "allow_root: the mount is always "
		    "allow_other");
	case K_AUTO_UNMOUNT:
		return mopt_fail(x, -EINVAL, "auto_unmount: refused: the mount of "
		    "a daemon that died must stay until its holders are stopped");
	case FUSE_OPT_KEY_OPT:
		/* empty items ("a,,b", a trailing comma) mean nothing; x-*
		 * options are for userspace tools (x-systemd.automount) */
		if (arg[0] == '\0' || strncmp(arg, "x-", 2) == 0)
			return 0;
		return mopt_pass(x, arg);
	default:
		return mopt_fail(x, -EINVAL, "unexpected argument '%s'", arg);
	}
}

/* ---- 2. checking options with libfuse ---- */

/*
 * libfuse reports a bad option through its log function, which takes no
 * argument of ours: while mopt_fuse_check() runs, messages go to this
 * buffer.  Only the command line's parsing uses it, before any thread.
 */
static char mopt_fuse_msg[256];

static void
mopt_fuse_log(enum fuse_log_level level, const char *fmt, va_list ap)
{
	size_t n = strlen(mopt_fuse_msg);

	(void)level;
	if (n + 1 < sizeof(mopt_fuse_msg))
		vsnprintf(mopt_fuse_msg + n, sizeof(mopt_fuse_msg) - n, fmt, ap);
}

/* 0 when libfuse takes args (it parses them in fuse_session_new(), which
 * mounts nothing), -EINVAL with libfuse's message in msg, -ENOMEM. */
static int
mopt_fuse_check(struct fuse_args *args, char *msg, size_t msglen)
{
	static const struct fuse_lowlevel_ops no_ops;
	struct fuse_session *se;
	size_t n;

	mopt_fuse_msg[0] = '\0';
	fuse_set_log_func(mopt_fuse_log);
	se = fuse_session_new(args, &no_ops, sizeof(no_ops), NULL);
	fuse_set_log_func(NULL);
	if (se != NULL) {
		fuse_session_destroy(se);
		return 0;
	}
	n = strcspn(mopt_fuse_msg, "\n");
	if (msg != NULL && msglen > 0)
		snprintf(msg, msglen, "%.*s", (int)n, n > 0 ? mopt_fuse_msg :
		    "libfuse refused the options");
	return -EINVAL;
}

/* Append s to dst (size bytes), escaping ',' and '\' as fuse_opt reads
 * them.  0, or -ENOSPC (dst then holds a part). */
static int
mopt_escape(char *dst, size_t size, const char *s)
{
	size_t n = strlen(dst);

	for (; *s != '\0'; s++) {
		if (n + 2 >= size)
			return -ENOSPC;
		if (*s == ',' || *s == '\\')
			dst[n++] = '\\';
		dst[n++] = *s;
	}
	dst[n] = '\0';
	return 0;
}

/* Append opt, escaped, to the comma-separated list in dst. */
static int
mopt_append(char *dst, size_t size, const char *opt)
{
	size_t n = strlen(dst);

	if (n > 0) {
		if (n + 1 >= size)
			return -ENOSPC;
		dst[n++] = ',';
		dst[n] = '\0';
	}
	return mopt_escape(dst, size, opt);
}

/* An option that is not ours: keep it for libfuse if libfuse takes it. */
static int
mopt_pass(struct mopt_ctx *x, const char *arg)
{
	char one[LFS_FUSE_OPTS_MAX] = "", why[256];
	char prog[] = "leasefs", dash_o[] = "-o";
	char *av[] = { prog, dash_o, one, NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, av);
	int r;

	if (mopt_append(one, sizeof(one), arg) < 0)
		return mopt_fail(x, -EINVAL, "option '%.40s...' is too long", arg);
	r = mopt_fuse_check(&args, why, sizeof(why));
	fuse_opt_free_args(&args);
	if (r == -EINVAL && x->sloppy) {
		fprintf(stderr, "leasefs: -o %s: libfuse does not take it (%s); "
		    "ignored (-s)\n", arg, why);
		return 0;
	}
	if (r == -EINVAL)
		return mopt_fail(x, -EINVAL, "unknown option '%s'", arg);
	if (r < 0)
		return mopt_fail(x, r, "out of memory");
	if (mopt_append(x->o->fuse, sizeof(x->o->fuse), arg) < 0)
		return mopt_fail(x, -EINVAL, "too many options for libfuse");
	return 0;
}

int
lfs_mount_opts_parse(struct lfs_mount_opts *o, const char *list, int sloppy,
    char *err, size_t errlen)
{
	struct mopt_ctx x = { o, sloppy, 0, err, errlen };
	char prog[] = "leasefs", dash_o[] = "-o";
	char *copy, *av[4];
	struct fuse_args args;
	int r;

	if (list == NULL)
		return 0;
	if ((copy = strdup(list)) == NULL)
		return -ENOMEM;
	av[0] = prog;
	av[1] = dash_o;
	av[2] = copy;
	av[3] = NULL;
	args = (struct fuse_args)FUSE_ARGS_INIT(3, av);
	r = fuse_opt_parse(&args, &x, mopt_table, mopt_proc);
	fuse_opt_free_args(&args);
	free(copy);
	if (r == 0)
		return 0;
	if (x.err == 0)
		mopt_fail(&x, -ENOMEM, "cannot parse the options");
	return x.err;
}

int
lfs_mount_opts_finish(struct lfs_mount_opts *o, char *err, size_t errlen)
{
	if (o->host_id == 0) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "host_id=N is required");
		return -EINVAL;
	}
	return 0;
}

/* ---- 3. defaults, and the arguments of fuse_session_new() ---- */

void
lfs_mount_opts_dirs(struct lfs_mount_opts *o, const char *lockspace)
{
	if (o->state_dir[0] == '\0')
		snprintf(o->state_dir, sizeof(o->state_dir),
		    "/var/lib/leasefs/%s/%u", lockspace, o->host_id);
	if (o->run_dir[0] == '\0')
		snprintf(o->run_dir, sizeof(o->run_dir), "/run/leasefs/%s/%u",
		    lockspace, o->host_id);
}

int
lfs_mount_opts_fuse_args(const struct lfs_mount_opts *o, int debug,
    struct fuse_args *args)
{
	static const char tail[] = ",subtype=leasefs,default_permissions,"
	    "allow_other";
	char fixed[2 * PATH_MAX + sizeof(tail) + 8] = "fsname=";
	int r;

	*args = (struct fuse_args)FUSE_ARGS_INIT(0, NULL);
	if (mopt_escape(fixed, sizeof(fixed) - sizeof(tail), o->fsname) < 0)
		return -ENOMEM;
	strcat(fixed, tail);
	r = fuse_opt_add_arg(args, "leasefs");
	if (r == 0)
		r = fuse_opt_add_arg(args, "-o");
	if (r == 0)
		r = fuse_opt_add_arg(args, fixed);
	if (r == 0 && o->fuse[0] != '\0') {
		r = fuse_opt_add_arg(args, "-o");
		if (r == 0)
			r = fuse_opt_add_arg(args, o->fuse);
	}
	if (r == 0 && debug)
		r = fuse_opt_add_arg(args, "-d");
	if (r < 0) {
		fuse_opt_free_args(args);
		return -ENOMEM;
	}
	return 0;
}

/* ---- 4. the command line ---- */

static const char mount_usage[] =
    "usage: leasefs mount [-f] [-d] -o host_id=N[,OPTION...] DEVICE MOUNTPOINT\n"
    "       mount -t leasefs -o host_id=N[,OPTION...] DEVICE MOUNTPOINT\n"
    "Join the lockspace on DEVICE as host N and serve it at MOUNTPOINT.\n"
    "  -f              stay in the foreground, log to stderr\n"
    "  -d              debug messages and FUSE's trace too (implies -f)\n"
    "  -o OPTIONS      comma-separated, may be repeated:\n"
    "                  host_id=N (required), name=HOST, state_dir=DIR,\n"
    "                  run_dir=DIR, group=G, kill_command=CMD,\n"
    "                  watchdog=PATH, wake_ms=N, debug, and mount/FUSE\n"
    "                  options\n"
    "  -h, --help      this text\n"
    "  -V, --version   versions of leasefs and libfuse\n"
    "See leasefs(8), MOUNT OPTIONS.\n";

static const char helper_usage[] =
    "usage: mount.leasefs DEVICE MOUNTPOINT [-sfnvw] [-o OPTIONS] [-t TYPE]\n"
    "The helper mount(8) runs for file systems of type leasefs.\n"
    "  -s              sloppy: drop options libfuse does not take\n"
    "  -f              fake: check everything, mount nothing\n"
    "  -n              no mtab (there is none to write)\n"
    "  -v              say what is done\n"
    "  -o OPTIONS      as for leasefs mount: host_id=N is required\n"
    "  -h, --help      this text\n"
    "  -V, --version   versions of leasefs and libfuse\n"
    "See leasefs(8).\n";

/* o->fsname = device as an absolute path: as given when absolute (a
 * /dev/mapper name stays that name, as fstab has it), else resolved
 * (mount -a compares canonical paths), or joined to the working directory
 * when it does not resolve (the open fails later, with its own message). */
static int
absolute_device(struct lfs_mount_opts *o, const char *device)
{
	char cwd[PATH_MAX], *real;
	int n;

	if (device[0] == '/') {
		n = snprintf(o->fsname, sizeof(o->fsname), "%s", device);
	} else if ((real = realpath(device, NULL)) != NULL) {
		n = snprintf(o->fsname, sizeof(o->fsname), "%s", real);
		free(real);
	} else if (getcwd(cwd, sizeof(cwd)) == NULL) {
		return -errno;
	} else {
		n = snprintf(o->fsname, sizeof(o->fsname), "%s/%s",
		    strcmp(cwd, "/") == 0 ? "" : cwd, device);
	}
	return n < 0 || (size_t)n >= sizeof(o->fsname) ? -ENAMETOOLONG : 0;
}

/* The options' lists, after all flags were seen (-s may follow -o). */
static int
parse_lists(const char *prog, char **lists, int n, struct lfs_mount_opts *o,
    struct lfs_mount_cmd *c)
{
	char err[512];
	int i, r;

	for (i = 0; i < n; i++) {
		r = lfs_mount_opts_parse(o, lists[i], c->sloppy, err, sizeof(err));
		if (r == -ENOMEM) {
			fprintf(stderr, "%s: out of memory\n", prog);
			return LFS_EXIT_FAIL;
		}
		if (r < 0)
			return lfs_cli_usage_error(prog, "-o: %s", err);
	}
	if (lfs_mount_opts_finish(o, err, sizeof(err)) < 0)
		return lfs_cli_usage_error(prog, "-o: %s", err);
	return -1;
}

/* The options as a whole, as the daemon will hand them to libfuse. */
static int
check_all(const char *prog, struct lfs_mount_opts *o)
{
	struct fuse_args args;
	char why[256];
	int r;

	if (lfs_mount_opts_fuse_args(o, 0, &args) < 0) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return LFS_EXIT_FAIL;
	}
	r = mopt_fuse_check(&args, why, sizeof(why));
	fuse_opt_free_args(&args);
	if (r == -EINVAL)
		return lfs_cli_usage_error(prog, "-o: %s", why);
	if (r < 0) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return LFS_EXIT_FAIL;
	}
	return -1;
}

/* One flag of getopt_long(); -1 to go on, else the exit status. */
static int
one_flag(const char *prog, int ch, char **argv, const struct option *longopts,
    struct lfs_mount_cmd *c)
{
	switch (ch) {
	case 'h':
		fputs(c->helper ? helper_usage : mount_usage, stdout);
		return LFS_EXIT_OK;
	case 'V': return lfs_cli_version();
	case 'd': c->debug = 1; return -1;
	case 's': c->sloppy = 1; return -1;
	case 'n': case 'w': case 't': return -1; /* no mtab; rw; our type */
	case 'v': c->verbose = 1; return -1;
	case 'f':
		if (c->helper)
			c->fake = 1;
		else
			c->foreground = 1;
		return -1;
	case 'r':
		return lfs_cli_usage_error(prog, "-r: a lease manager cannot be "
		    "read-only");
	case 'N':
		return lfs_cli_usage_error(prog, "-N: mounting in another mount "
		    "namespace is not supported");
	default:
		return lfs_cli_bad_option(prog, ch, argv, longopts);
	}
}

int
lfs_mount_cmdline(int argc, char **argv, struct lfs_mount_opts *o,
    struct lfs_mount_cmd *c)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *base = strrchr(argv[0], '/'), *prog;
	char **lists;
	int ch, r, n = 0;

	memset(c, 0, sizeof(*c));
	lfs_mount_opts_init(o);
	base = base != NULL ? base + 1 : argv[0];
	c->helper = strcmp(base, "mount.leasefs") == 0;
	prog = c->helper ? "mount.leasefs" : "leasefs mount";
	if ((lists = calloc((size_t)argc + 1, sizeof(*lists))) == NULL) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return LFS_EXIT_FAIL;
	}
	optind = 1;
	opterr = 0;
	r = -1;
	while (r < 0 && (ch = getopt_long(argc, argv, c->helper ?
	    ":sfnvrwo:t:N:hV" : ":fdo:hV", longopts, NULL)) != -1) {
		if (ch == 'o')
			lists[n++] = optarg;
		else
			r = one_flag(prog, ch, argv, longopts, c);
	}
	if (r < 0 && argc - optind != 2)
		r = lfs_cli_operands(prog, argv + optind, argc - optind, 2,
		    "DEVICE MOUNTPOINT");
	if (r < 0)
		r = parse_lists(prog, lists, n, o, c);
	free(lists);
	if (r >= 0)
		return r;
	c->device = argv[optind];
	c->mountpoint = argv[optind + 1];
	c->debug |= o->debug;
	if (c->debug)
		c->foreground = 1; /* FUSE's debug output needs a terminal */
	if ((r = absolute_device(o, c->device)) < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, c->device, strerror(-r));
		return LFS_EXIT_FAIL;
	}
	if ((r = check_all(prog, o)) >= 0)
		return r;
	if (c->verbose)
		fprintf(stderr, "%s: %s %s on %s as host %u%s%s\n", prog,
		    c->fake ? "would mount" : "mounting", o->fsname,
		    c->mountpoint, o->host_id, o->fuse[0] != '\0' ?
		    ", libfuse options " : "", o->fuse);
	return c->fake ? LFS_EXIT_OK : -1;
}
