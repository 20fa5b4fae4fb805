/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fence.h - stopping the local processes that hold leases.
 *
 * A holder is any process with an open file descriptor on a lease's `lock`
 * or `incoming` file under a mount point, found by reading /proc/PID/fd
 * (so children that inherited the descriptor are holders too).  Fencing
 * sends SIGTERM, waits up to kill_grace for the holders to exit, then sends
 * SIGKILL and waits again.  Processes are identified by (pid, start time)
 * so a recycled pid is never signalled.
 */
#ifndef LEASEFS_FENCE_H
#define LEASEFS_FENCE_H

#include <stdint.h>
#include <sys/types.h>

#include "log.h"
#include "ondisk.h"

struct lfs_holder {
	pid_t pid;
	uint64_t start_time;     /* field 22 of /proc/PID/stat, clock ticks */
	/* by_pidfd: the caller's pidfd of the process (ctl `acquire pid`): it
	 * is signalled and watched through it, start_time unused.  A zeroed
	 * holder has none, so 0 is never taken for a descriptor. */
	int by_pidfd;
	int pidfd;
};

/* Find holders of files under mountpoint whose last path component is
 * `lock` or `incoming`; lease (may be NULL) restricts to MOUNT/lease/.
 * Fills up to max entries, returns how many were found (may exceed max),
 * or -errno.  The calling process is never listed. */
int lfs_fence_find(const char *mountpoint, const char *lease,
    struct lfs_holder *out, int max);

/* Which inode numbers of the filesystem lfs_fence_find_dev looks for: 1
 * when ino is one (arg is the caller's). */
typedef int (*lfs_fence_ino_fn)(uint64_t ino, void *arg);

/* Find holders of files of the filesystem with device number dev whose
 * inode numbers `match` accepts, as lfs_fence_find does (same results and
 * limits), but by what the file is, not by its path: a holder in another
 * mount namespace, through a bind mount elsewhere or a lazily detached
 * mount, is found too.  Each descriptor is looked at with statx(2) and
 * AT_STATX_DONT_SYNC through /proc/PID/fd/N, which FUSE answers from its
 * cache: a wedged or dead daemon of that filesystem is never asked. */
int lfs_fence_find_dev(uint64_t dev, lfs_fence_ino_fn match, void *arg,
    struct lfs_holder *out, int max);

/* The device number of the filesystem mounted at path, by statx(2) with
 * AT_STATX_DONT_SYNC (the filesystem's daemon is not asked, so this works
 * before its FUSE loop serves).  0 and *dev, or -errno. */
int lfs_fence_mount_dev(const char *path, uint64_t *dev);

/* 1 when (pid, start_time) is still the same running process (or, by
 * pidfd, when that process has not exited), else 0. */
int lfs_fence_alive(const struct lfs_holder *h);

/* SIGTERM the holders, wait up to grace_ms, SIGKILL the rest, wait up to
 * settle_ms for them to be gone; grace_ms 0 sends SIGKILL at once.  Logs
 * each step.  Returns the number still alive at the end (0 on success).
 * Only the holders given are signalled: a caller that must prove the
 * lease files closed scans again (a holder may fork meanwhile). */
int lfs_fence_kill(const struct lfs_holder *h, int n, uint32_t grace_ms,
    uint32_t settle_ms, const struct lfs_logger *log);

/*
 * Where a caller's holders are: fill out[0..max) with the holders that
 * still run and return how many (more than max: that many exist), or
 * -errno when they cannot be looked for.  Called once per scan.  done, if
 * not NULL, is called after each scan's kill with what the scan filled,
 * to release what find took for it (pidfds).
 */
struct lfs_fence_finder {
	int (*find)(void *arg, struct lfs_holder *out, int max);
	void (*done)(void *arg, struct lfs_holder *h, int n);
	void *arg;
};

/*
 * Stop every holder the finder finds: scan, kill (lfs_fence_kill), and
 * scan again until a scan finds nobody, at most passes + 1 scans.  A
 * holder may fork between a scan and its kill (a SIGTERM handler, a
 * wrapper script), and the child keeps the lease file open: only a scan
 * that finds nobody proves the files closed.  The grace is spent once, on
 * the first pass, and ends at deadline_ms (lfs_now_ms) however long the
 * scan took: a slow scan or a late start shortens it, never moves SIGKILL
 * later; later passes SIGKILL at once.  So the whole takes at most
 * (deadline_ms - now) + (passes + 1) * settle_ms plus the scans.  buf is
 * scratch for max holders.  Returns how many the last scan found still
 * running (0: proven gone), or -errno when a scan failed (nothing proven).
 */
int lfs_fence_stop_all(const struct lfs_fence_finder *f, struct lfs_holder *buf,
    int max, uint64_t deadline_ms, uint32_t settle_ms, int passes,
    const struct lfs_logger *log);

/* Wait up to wait_ms for our child pid to exit: 1 and *status when reaped,
 * 0 when still running, -errno on failure. */
int lfs_fence_reap(pid_t pid, uint32_t wait_ms, int *status);

/* Run a shell command (the kill command for leases held through ctl) with
 * LEASEFS_LEASE set to lease; waits at most timeout_ms.  0 or -errno. */
int lfs_fence_run_command(const char *command, const char *lease,
    uint32_t timeout_ms, const struct lfs_logger *log);

/* The kill command for each of the n leases named (one after another, each
 * with what is left until deadline_ms: a kill command stands in for
 * SIGTERM to a holder that cannot be seen, so all of them end within the
 * grace).  command NULL or empty: none is set, and each lease counts as
 * failed (its user may still run).  Returns how many failed. */
int lfs_fence_run_commands(const char *command,
    const char (*names)[LFS_NAME_MAX + 1], int n, uint64_t deadline_ms,
    const struct lfs_logger *log);

#endif
