/*
 * mountopts.c - parser of the `-o` option lists of `leasefs mount`
 * (mountopts.h says which options exist).
 *
 * Pure: splits the caller's string on unescaped commas, matches each
 * option against a table, and copies values into fixed buffers of the
 * caller's struct, refusing values that do not fit rather than cutting them.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mountopts.h"
#include "names.h"

#define OPT_MAX 4096              /* bytes of one option, after unescaping */

/* Generic mount options: meaningful to mount(8) or the kernel VFS, not to
 * us.  Accepted so that an fstab line with `defaults,_netdev` works. */
static const char *const mopt_generic[] = {
	"rw", "dev", "nodev", "suid", "nosuid", "exec", "noexec", "auto",
	"noauto", "user", "nouser", "users", "owner", "group", "nofail",
	"_netdev", "defaults", "atime", "noatime", "diratime", "nodiratime",
	"relatime", "norelatime", "strictatime", "lazytime", "nolazytime",
	"sync", "async", "dirsync", "mand", "nomand", "silent", "loud",
	"allow_other", "default_permissions", "auto_unmount",
};

static void
mopt_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void
lfs_mount_opts_init(struct lfs_mount_opts *o)
{
	memset(o, 0, sizeof(*o));
}

static int
mopt_ignored(const char *opt)
{
	size_t i;

	/* x-* options are for userspace tools (x-systemd.automount, ...). */
	if (strncmp(opt, "x-", 2) == 0 || strcmp(opt, "comment") == 0)
		return 1;
	/* mount.fuse3 may pass the fstab type back as subtype= */
	if (strcmp(opt, "subtype") == 0 || strcmp(opt, "fsname") == 0)
		return 1;
	for (i = 0; i < sizeof(mopt_generic) / sizeof(mopt_generic[0]); i++)
		if (strcmp(opt, mopt_generic[i]) == 0)
			return 1;
	return 0;
}

/* Copy value into dst (size bytes) or fail without a partial copy. */
static int
mopt_copy(char *dst, size_t size, const char *key, const char *val,
    char *err, size_t errlen)
{
	size_t len = strlen(val);

	if (len == 0 || len >= size) {
		mopt_err(err, errlen, "%s: value %s", key,
		    len == 0 ? "is empty" : "is too long");
		return -EINVAL;
	}
	memcpy(dst, val, len + 1);
	return 0;
}

static int
mopt_host_id(struct lfs_mount_opts *o, const char *val, char *err,
    size_t errlen)
{
	uint32_t v = 0;
	const char *p;

	for (p = val; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || v > LFS_MAX_HOSTS)
			break;
		v = v * 10 + (uint32_t)(*p - '0');
	}
	if (p == val || *p != '\0' || v == 0 || v > LFS_MAX_HOSTS) {
		mopt_err(err, errlen, "host_id: '%s' is not a number in 1..%u",
		    val, LFS_MAX_HOSTS);
		return -EINVAL;
	}
	o->host_id = v;
	return 0;
}

static int
mopt_path(char *dst, size_t size, const char *key, const char *val,
    char *err, size_t errlen)
{
	if (val[0] != '/') {
		mopt_err(err, errlen, "%s: '%s' is not an absolute path", key, val);
		return -EINVAL;
	}
	return mopt_copy(dst, size, key, val, err, errlen);
}

/* Apply one unescaped option "key" or "key=value". */
static int
mopt_apply(struct lfs_mount_opts *o, char *opt, char *err, size_t errlen)
{
	char *val = strchr(opt, '=');

	if (val != NULL)
		*val++ = '\0';
	if (val == NULL) {
		if (strcmp(opt, "debug") == 0) {
			o->debug = 1;
			return 0;
		}
		if (strcmp(opt, "ro") == 0) {
			mopt_err(err, errlen, "ro: a lease manager cannot be read-only");
			return -EINVAL;
		}
		if (mopt_ignored(opt))
			return 0;
	} else if (strcmp(opt, "host_id") == 0) {
		return mopt_host_id(o, val, err, errlen);
	} else if (strcmp(opt, "name") == 0) {
		if (lfs_host_name_check(val) != 0) {
			mopt_err(err, errlen, "name: '%s' is not a valid host name "
			    "(1-%d bytes of A-Z a-z 0-9 . _ -, not starting with '.')",
			    val, LFS_HOST_NAME_MAX);
			return -EINVAL;
		}
		return mopt_copy(o->name, sizeof(o->name), opt, val, err, errlen);
	} else if (strcmp(opt, "state_dir") == 0) {
		return mopt_path(o->state_dir, sizeof(o->state_dir), opt, val,
		    err, errlen);
	} else if (strcmp(opt, "run_dir") == 0) {
		return mopt_path(o->run_dir, sizeof(o->run_dir), opt, val,
		    err, errlen);
	} else if (strcmp(opt, "group") == 0) {
		return mopt_copy(o->group, sizeof(o->group), opt, val, err, errlen);
	} else if (strcmp(opt, "kill_command") == 0) {
		return mopt_copy(o->kill_command, sizeof(o->kill_command), opt,
		    val, err, errlen);
	} else if (strcmp(opt, "watchdog") == 0) {
		return mopt_path(o->watchdog, sizeof(o->watchdog), opt, val,
		    err, errlen);
	} else if (mopt_ignored(opt)) {
		return 0;
	}
	mopt_err(err, errlen, "unknown option '%s'", opt);
	return -EINVAL;
}

int
lfs_mount_opts_parse(struct lfs_mount_opts *o, const char *list, char *err,
    size_t errlen)
{
	char opt[OPT_MAX];
	size_t n = 0;
	const char *p;
	int r;

	if (list == NULL)
		return 0;
	for (p = list;; p++) {
		if (*p == '\\' && p[1] != '\0') {
			p++;
		} else if (*p == ',' || *p == '\0') {
			opt[n] = '\0';
			/* empty items ("a,,b", a trailing comma) mean nothing */
			if (n > 0 && (r = mopt_apply(o, opt, err, errlen)) != 0)
				return r;
			n = 0;
			if (*p == '\0')
				return 0;
			continue;
		}
		if (n + 1 >= sizeof(opt)) {
			mopt_err(err, errlen, "option too long");
			return -EINVAL;
		}
		opt[n++] = *p;
	}
}

int
lfs_mount_opts_finish(struct lfs_mount_opts *o, char *err, size_t errlen)
{
	if (o->host_id == 0) {
		mopt_err(err, errlen, "host_id=N is required");
		return -EINVAL;
	}
	if (o->state_dir[0] == '\0')
		snprintf(o->state_dir, sizeof(o->state_dir),
		    "/var/lib/leasefs/%u", o->host_id);
	if (o->run_dir[0] == '\0')
		snprintf(o->run_dir, sizeof(o->run_dir), "/run/leasefs/%u",
		    o->host_id);
	return 0;
}
