/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * guard.h - the guard: a small process that fences this host's lease
 * holders when the daemon cannot.
 *
 * The daemon forks the guard at start-up, before it starts any thread.  The
 * guard shares nothing with the daemon but a socketpair: it locks its memory,
 * ignores job-control and terminal signals, and does one thing.  The daemon
 * tells it the submit time (CLOCK_BOOTTIME ms, a system-wide clock) of every
 * good renewal, which leases are held through ctl, and the pidfds of the
 * processes leases are held for (ctl `acquire pid N`).  The guard fences (see
 * core/fence.h: SIGTERM, kill_grace, SIGKILL; kill command for ctl leases):
 *   - at renewed_ms + renewal_fail_ms when no newer renewal has arrived;
 *   - at once when the socket reaches EOF without a clean "bye" (the daemon
 *     died: kill -9, crash);
 * so every holder is dead before renewed_ms + host_dead_ms, the earliest any
 * other host may take this host's leases (core/timeouts.h has the timeline).
 * After the daemon died the guard rescans and kills until no holder is
 * left, and only then exits; it holds the daemon's flock of
 * state_dir/fencing (inherited) for its whole life, and `leasefs mount`
 * waits for that lock before it joins: a new generation, which lets other
 * hosts take the old one's leases at once, never appears while a holder
 * of the old one may run (issue 11, case 4).
 * Before fencing, at renewed_ms + gate_close_ms, the guard closes the submit
 * gate (gate.h): once it holds it, no lease write checked by the daemon is
 * still waiting to be submitted, and none passes until a newer renewal;
 * when the daemon keeps a write inside it for gate_wait_ms, the guard
 * SIGKILLs the daemon (a killed process submits nothing), then fences as
 * for a daemon that died.
 * With a watchdog device configured, the guard opens it, pets it while
 * renewals are on time, and stops petting after renewal_fail so that a
 * wedged host is reset before host_dead; it closes the device with the magic
 * 'V' only on a clean bye.
 */
#ifndef LEASEFS_GUARD_H
#define LEASEFS_GUARD_H

#include <stdint.h>
#include <sys/types.h>

/* The inode numbers of lease files (daemon.h: (slot << 3) | kind, slots
 * from 1; daemon.h asserts that the kinds agree), by which holders are
 * found.  slot NULL: any lease's lock or incoming file; else only those
 * of *(const uint32_t *)slot.  Usable as an lfs_fence_ino_fn. */
#define LFS_GUARD_KIND_LOCK 4
#define LFS_GUARD_KIND_INCOMING 5
int lfs_lease_file_ino(uint64_t ino, void *slot);

struct lfs_guard_config {
	const char *mountpoint;      /* holders are found under it */
	uint64_t mount_dev;          /* ... or, when not 0, by their files'
	                                device and inode (fence.h
	                                lfs_fence_find_dev): also in other
	                                mount namespaces, or after a lazy
	                                unmount */
	uint32_t renewal_fail_ms;
	uint32_t kill_grace_ms;
	uint32_t kill_settle_ms;     /* host_dead - renewal_fail - kill_grace */
	const char *kill_command;    /* for ctl-held leases; NULL: none */
	const char *watchdog;        /* e.g. /dev/watchdog; NULL: off */
	int use_syslog;              /* else stderr */
	int debug;
	int fence_lock_fd;           /* state_dir/fencing, flock()ed by the
	                                daemon: the guard keeps the lock until
	                                it exits, which after a daemon died is
	                                only once no holder is left; -1: none */
	/* The submit gate (gate.h, core/lockspace.h): the guard's own open
	 * file description of state_dir/gate, locked exclusive from
	 * renewed_ms + gate_close_ms until a newer renewal; a daemon still
	 * inside it gate_wait_ms later is SIGKILLed (daemon_pid).  -1: none. */
	int gate_fd;
	uint32_t gate_close_ms, gate_wait_ms;
	pid_t daemon_pid;
	/* The renewal gate (state_dir/renew-gate), closed the same way at
	 * renewed_ms + renewal_fail, as fencing starts.  -1: none. */
	int renew_gate_fd;
};

struct lfs_guard {
	pid_t pid;                   /* 0 when not running */
	int fd;                      /* daemon's end of the socketpair */
};

/* Fork the guard.  Call before any thread exists.  0 or -errno. */
int lfs_guard_start(struct lfs_guard *g, const struct lfs_guard_config *cfg,
    uint64_t renewed_ms);
/* Report a good renewal submitted at renewed_ms.  Never blocks. */
int lfs_guard_renewed(struct lfs_guard *g, uint64_t renewed_ms);
/* Report that lease is now held (held != 0) or no longer held via ctl. */
int lfs_guard_ctl_lease(struct lfs_guard *g, const char *lease, int held);
/* Report that lease is now held for the process of pidfd (`acquire pid`;
 * the guard gets a dup of it, and fences that process as it fences a
 * lease file's holders), or with pidfd -1 that it is not any more. */
int lfs_guard_pid_lease(struct lfs_guard *g, const char *lease, int pidfd);
/* Clean stop: send bye, wait for the guard to exit.  0 or -errno. */
int lfs_guard_stop(struct lfs_guard *g);
/* Stop with holders that may still run: close the socket without a bye,
 * so the guard fences as for a daemon that died and leaves the watchdog
 * armed; the guard is not waited for. */
void lfs_guard_abandon(struct lfs_guard *g);

#endif
