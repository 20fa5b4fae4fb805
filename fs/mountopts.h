/*
 * mountopts.h - the `-o` options of `leasefs mount`.
 *
 * Options are a comma-separated list, possibly given in several -o
 * arguments; a backslash escapes the next byte (so a kill_command may hold a
 * comma).  Ours:
 *   host_id=N (required), name=HOST, state_dir=DIR, run_dir=DIR, group=G,
 *   kill_command=CMD, watchdog=PATH, debug
 * The generic options that mount(8) and mount.fuse3 pass on (rw, dev, nosuid,
 * noauto, _netdev, defaults, x-systemd.*, ...) are accepted and ignored; `ro`
 * is refused: a read-only lease manager cannot acquire anything.
 *
 * The parser is pure: no I/O, no allocation; unit-tested.
 */
#ifndef LEASEFS_MOUNTOPTS_H
#define LEASEFS_MOUNTOPTS_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "ondisk.h"

#define LFS_GROUP_MAX 64          /* bytes of a group name or number */
#define LFS_KILL_COMMAND_MAX 1024 /* bytes of the kill command */

struct lfs_mount_opts {
	uint32_t host_id;                  /* 0: not given */
	char name[LFS_HOST_NAME_MAX + 1];  /* "": gethostname() */
	char state_dir[PATH_MAX];          /* "": /var/lib/leasefs/<id> */
	char run_dir[PATH_MAX];            /* "": /run/leasefs/<id> */
	char group[LFS_GROUP_MAX + 1];     /* "": gid 0 */
	char kill_command[LFS_KILL_COMMAND_MAX + 1]; /* "": none */
	char watchdog[PATH_MAX];           /* "": none */
	int debug;
};

/* Zero *o (no options given). */
void lfs_mount_opts_init(struct lfs_mount_opts *o);

/* Parse one option list into *o (later options override earlier ones).
 * 0, or -EINVAL with a reason in err (errlen bytes, may be 0). */
int lfs_mount_opts_parse(struct lfs_mount_opts *o, const char *list,
    char *err, size_t errlen);

/* Check required options and fill the default directories.  0, or -EINVAL
 * with a reason in err. */
int lfs_mount_opts_finish(struct lfs_mount_opts *o, char *err, size_t errlen);

#endif
