/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mountopts.h - the command line and the `-o` options of `leasefs mount`,
 * of mount.fuse3's call ("leasefs DEVICE MOUNTPOINT -o OPTS") and of
 * mount(8)'s helper mount.leasefs.
 *
 * `-o` lists are parsed with libfuse's fuse_opt_parse() against one table
 * (mountopts.c), which sorts every option into one of these classes:
 *   ours        host_id=N (required), name=HOST, state_dir=DIR, run_dir=DIR,
 *               group=G, kill_command=CMD, watchdog=PATH, wake_ms=N, debug
 *   mount(8)'s  defaults, auto, noauto, user, nouser, users, owner, group,
 *               nofail, _netdev, comment=, x-*, silent, loud: for mount(8)
 *               and fstab, which have used them; they mean nothing to a
 *               file system and are dropped
 *   no effect   diratime, relatime, strictatime, lazytime, mand and their
 *               no- forms: VFS flags libfuse has no name for, and this file
 *               system keeps no times and has no locks to enforce
 *   set by us   fsname=, subtype=, allow_other, default_permissions: the
 *               daemon always mounts with fsname=DEVICE, subtype=leasefs,
 *               allow_other and default_permissions
 *   refused     ro (a lease manager cannot be read-only), allow_root (the
 *               mount is allow_other), auto_unmount (the dead mount of a
 *               crashed daemon must stay until its holders are stopped)
 *   the rest    passed through to libfuse (rw, nosuid, nodev, noexec,
 *               noatime, max_read=, context=, ...).  Each is checked with
 *               libfuse when parsed, so an option libfuse does not take is a
 *               usage error before anything starts (with mount.leasefs -s:
 *               dropped, with a warning).
 * A backslash makes the next character literal (so a kill_command may hold
 * a comma), and \NNN is an octal byte, as fuse_opt_parse() reads them.
 */
#ifndef LEASEFS_MOUNTOPTS_H
#define LEASEFS_MOUNTOPTS_H

#include <fuse_opt.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "ondisk.h"

#define LFS_GROUP_MAX 64          /* bytes of a group name or number */
#define LFS_KILL_COMMAND_MAX 1024 /* bytes of the kill command */
#define LFS_FUSE_OPTS_MAX 4096    /* bytes of the options passed to libfuse */
#define LFS_WAKE_MS_MAX 1000u     /* most ms of wake_ms= */

struct lfs_mount_opts {
	uint32_t host_id;                  /* 0: not given */
	char name[LFS_HOST_NAME_MAX + 1];  /* "": gethostname() */
	char state_dir[PATH_MAX];          /* "": lfs_mount_opts_dirs() */
	char run_dir[PATH_MAX];            /* "": lfs_mount_opts_dirs() */
	char group[LFS_GROUP_MAX + 1];     /* "": gid 0 */
	char kill_command[LFS_KILL_COMMAND_MAX + 1]; /* "": none */
	char watchdog[PATH_MAX];           /* "": none */
	/* ms between two reads of the change notices while something waits
	 * (core/notice.h); 0: not given, LFS_WAKE_SCAN_MS */
	uint32_t wake_ms;
	int debug;
	/* passed through to libfuse: a comma-separated list, each comma and
	 * backslash inside an option escaped with a backslash; "": none */
	char fuse[LFS_FUSE_OPTS_MAX];
	/* the device as an absolute path: the mount's fsname, so that
	 * /proc/mounts names the device and `umount DEVICE` and `mount -a`
	 * find the mount (set by lfs_mount_cmdline) */
	char fsname[PATH_MAX];
};

/* What the command line asked for, besides the options. */
struct lfs_mount_cmd {
	int helper;              /* run as mount.leasefs (mount(8)'s flags) */
	int foreground;          /* leasefs mount -f: no fork, log to stderr */
	int debug;               /* -d or -o debug */
	int fake;                /* mount.leasefs -f: check, mount nothing */
	int verbose;             /* mount.leasefs -v */
	int sloppy;              /* mount.leasefs -s */
	const char *device;      /* in argv */
	const char *mountpoint;  /* in argv */
};

/* Zero *o (no options given). */
void lfs_mount_opts_init(struct lfs_mount_opts *o);

/*
 * Parse one option list into *o (later options override earlier ones).
 * sloppy: an option libfuse does not take is dropped with a warning on
 * stderr instead of failing.  0, or -EINVAL with a reason naming the bad
 * option in err (errlen bytes, may be 0); -ENOMEM.  *o may have taken
 * some of the options before a failure.
 */
int lfs_mount_opts_parse(struct lfs_mount_opts *o, const char *list,
    int sloppy, char *err, size_t errlen);

/* Check that the required options are there.  0, or -EINVAL with a
 * reason in err. */
int lfs_mount_opts_finish(struct lfs_mount_opts *o, char *err, size_t errlen);

/* Fill the directories not given with their defaults, which name the
 * lockspace so that one host may use the same host id in two lockspaces:
 * /var/lib/leasefs/LOCKSPACE/ID and /run/leasefs/LOCKSPACE/ID. */
void lfs_mount_opts_dirs(struct lfs_mount_opts *o, const char *lockspace);

/*
 * The arguments for fuse_session_new(): the options the daemon always
 * mounts with (fsname=o->fsname, subtype=leasefs, default_permissions,
 * allow_other), those passed through, and -d when debug.  *args starts
 * empty; the caller frees it with fuse_opt_free_args().  0 or -ENOMEM.
 */
int lfs_mount_opts_fuse_args(const struct lfs_mount_opts *o, int debug,
    struct fuse_args *args);

/*
 * Parse the whole command line into *o and *c (argv[0] "mount.leasefs"
 * selects mount(8)'s flags: -s -f -n -v -r -w -o -t).  Prints --help and
 * --version on stdout, and each usage error as one line on stderr.
 * Returns -1 to go on and mount, else the exit status: 0 (help, version,
 * or a fake mount that checked out) or 2 (usage error).
 */
int lfs_mount_cmdline(int argc, char **argv, struct lfs_mount_opts *o,
    struct lfs_mount_cmd *c);

#endif
