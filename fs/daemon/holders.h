/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * holders.h - the building blocks of lease operations, defined in hold.c
 * and shared by holders.c (lock and incoming files, the watcher's work,
 * fencing, shutdown), shhold.c (shared holds) and ctl_exec.c (ctl
 * commands).  Not for anyone else: view.c and watcher.c use the lfs_hold_*
 * operations of daemon.h.
 *
 * It also declares l->rq, our pending request, owned by hold.c like l->ex, and
 * the daemon's d->opens and d->fencing, owned by holders.c: no other file
 * writes a field of them (scripts/check-fields).  daemon.h includes this header
 * for that struct; this header includes none of the daemon's but hold.h.
 *
 * Locking: functions named *_disk and lfs_hold_cancel_request do I/O and need
 * the lease's context (context.h); *_locked need table_lock; the others need
 * nothing.
 */
#ifndef LEASEFS_HOLDERS_H
#define LEASEFS_HOLDERS_H

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#include "hold.h"
#include "ondisk.h"

struct fuse_pollhandle;
struct lfs_ctl_cmd;
struct lfs_daemon;
struct lfs_dlease;
struct lfs_fh;

/*
 * Our pending request of a lease (a request record on disk naming us),
 * one value, written only by lfs_req_set_locked() (hold.c), which asserts
 * these transitions in debug builds:
 *
 *          incoming open (FILE), ctl `request [pid N]` (CTL, PID)
 *   NONE -------------------------------------------> FILE | CTL | PID
 *    ^ ^                                                |
 *    | |  arrival, close, cancel, gone, fencing, exit   | ctl `claim`
 *    | +------------------------------------------------+ (its arrival
 *    |                                                  v  is polled fast)
 *    +-------------------------------- FILE_ | CTL_ | PID_CLAIMED
 *
 * A claim keeps its kind; claiming again, or ending what has ended
 * (NONE -> NONE), changes nothing.
 */
enum lfs_req {
	LFS_REQ_NONE, LFS_REQ_FILE, LFS_REQ_CTL, LFS_REQ_PID,
	LFS_REQ_FILE_CLAIMED, LFS_REQ_CTL_CLAIMED, LFS_REQ_PID_CLAIMED,
};

/* l->rq: owner hold.c; table_lock unless said otherwise. */
struct lfs_rq {
	enum lfs_req req;        /* lfs_req_set_locked() only */
	struct lfs_fh *req_fh;   /* req FILE or FILE_CLAIMED: the incoming
	                            file; else NULL */
	/* the lease's context (the watcher's request checks, under it): */
	uint64_t next_try_ms;    /* next acquire attempt of a free lease */
	int last_err;            /* request polling: last error logged */
};

/* d->opens: owner holders.c unless a field says otherwise; table_lock.
 * Whether lock and incoming opens may still succeed, and the successful
 * replies under way that fencing waits for. */
struct lfs_opens {
	int opens_closed;        /* fencing or shutdown began: no open of
	                            lock/incoming may succeed any more */
	int replying;            /* successful lock/incoming open replies
	                            under way (fencing waits for them) */
	pthread_cond_t reply_cond; /* owner: holders.c, daemon.c (its init
	                            and destroy); replying dropped to 0 */
	int waiters_closed;      /* owner: watcher.c; shutdown: no more
	                            deferred opens */
};

/* d->fencing: owner holders.c unless a field says otherwise; table_lock.
 * The holders of a finished generation that may still run: a rejoin
 * waits until none is left (lfs_hold_survivors). */
struct lfs_survivors {
	int fenced_fhs;          /* owner: holders.c, shhold.c; lock/incoming
	                            files that held a lease when fencing
	                            began, not yet released */
	int ctl_unproven;        /* owner: daemon.c; ctl-held leases at
	                            fencing whose kill command did not
	                            succeed (or none) */
	int fenced_pids;         /* owner: pidhold.c; leases held for a
	                            process at fencing whose process has not
	                            exited yet */
};

/* ---- the request (l->rq) ---- */
/* Readers (table_lock held): the state, its kind (NONE, FILE, CTL, PID,
 * claimed or not), the incoming file, whether it was claimed. */
enum lfs_req lfs_req_state(const struct lfs_dlease *l);
enum lfs_how lfs_req_how(const struct lfs_dlease *l);
struct lfs_fh *lfs_req_fh(const struct lfs_dlease *l);
int lfs_req_claimed(const struct lfs_dlease *l);
/* The one writer of rq.req (and req_fh, NULL unless FILE): checks the
 * transition in debug builds (the diagram above), then the lease's
 * invariants (lfs_dlease_check).  table_lock held.  The three below are
 * its named uses. */
void lfs_req_set_locked(struct lfs_dlease *l, enum lfs_req to,
    struct lfs_fh *fh);
/* A request written on disk is pending here now, for fh (how FILE) or
 * ctl (CTL, PID): not claimed, tried at once (table_lock held). */
void lfs_req_begin_locked(struct lfs_dlease *l, enum lfs_how how,
    struct lfs_fh *fh);
/* No request is pending here any more (table_lock held). */
void lfs_req_end_locked(struct lfs_dlease *l);
/* Our pending request was made a claim (table_lock held); nothing when
 * none is pending (it ended while the claim was written). */
void lfs_req_claim_locked(struct lfs_dlease *l);
/* the lease's context held: whether a free lease may be tried now (now >=
 * next_try_ms); if so, the next try is not before now + retry_ms. */
int lfs_req_try_due(struct lfs_dlease *l, uint64_t now, uint32_t retry_ms);
/* the lease's context held: record the result r (0 or -errno) of a look at the
 * request or handover; 1 when r is an error other than the last one
 * recorded (worth a log line). */
int lfs_req_note_err(struct lfs_dlease *l, int r);

/* lfs_paxos_acquire with a few retries of a lost race; -EALREADY (the disk
 * already names us) counts as success.  0, -EBUSY, -EAGAIN, -errno. */
int lfs_hold_acquire_disk(struct lfs_daemon *d, struct lfs_dlease *l,
    struct lfs_leader *out);

/* Release *held on disk; the entry must be LOST (lfs_hold_detach_locked).  0
 * (the entry is free: released, or the disk names another owner), or -errno
 * (it stays lost; the watcher retries). */
int lfs_hold_release_disk(struct lfs_daemon *d, struct lfs_dlease *l,
    const struct lfs_leader *held);

/* FREE -> FILE, CTL or PID: this host holds l as ld, through fh (how
 * FILE) or ctl (how NONE: nobody here wants it, so LOST).  Fencing begun
 * meanwhile makes it LOST at once (finished).  Returns a poll handle to
 * notify (lfs_notify_ph) after unlocking. */
struct fuse_pollhandle *lfs_hold_attach_locked(struct lfs_daemon *d,
    struct lfs_dlease *l, const struct lfs_leader *ld, enum lfs_how how,
    struct lfs_fh *fh);

/* -> LOST: take l from its local holder (which then reads "lost"),
 * pending release.  Returns the holder's poll handle to notify. */
struct fuse_pollhandle *lfs_hold_detach_locked(struct lfs_dlease *l);

/* -> FREE: the disk names another host (a transfer went through, or a
 * failed one did after all); the local holder reads "lost". */
struct fuse_pollhandle *lfs_hold_gone_locked(struct lfs_dlease *l);

/* FREE -> LOST: the disk names us as ld, nobody here may use it (a won
 * ballot we could not let go, an arrival nobody waits for); the watcher
 * is kicked to release it. */
void lfs_hold_keep_lost_locked(struct lfs_daemon *d, struct lfs_dlease *l,
    const struct lfs_leader *ld);

/* An acquire of ours (or a delete's) gave up where it may have won: the
 * lease may be ours on disk with nobody here holding it; the watcher
 * settles it (lfs_hold_settle).  Not a state of l->hold: nothing here
 * holds it. */
void lfs_hold_unsettle_locked(struct lfs_daemon *d, struct lfs_dlease *l);

/* End an armed handover (ctl `handover`): the hold ended, or `keep`. */
void lfs_hold_disarm_locked(struct lfs_dlease *l);

/* Withdraw our request record; a lease that arrived meanwhile is
 * released, since nobody here wants it any more. */
void lfs_hold_cancel_request(struct lfs_daemon *d, struct lfs_dlease *l);

/* ---- shhold.c: shared holds (its top has their states) ---- */
/* Whether l is busy here for a new holder of that mode: held exclusively
 * or requested, a shared mode left to clear or undo, and for an exclusive
 * one also any shared hold (no upgrade).  table_lock held. */
int lfs_sh_busy_locked(const struct lfs_dlease *l, int shared);
/* lfs_hold_lock for a lock file opened O_RDONLY (the lease's context held):
 * as it. */
int lfs_sh_hold_file(struct lfs_daemon *d, struct lfs_dlease *l,
    struct lfs_fh *fh, int as_waiter);
/* Close of fh (table_lock held): 1 when it was the last shared holder
 * here; the caller then calls lfs_sh_clear() (the lease's context held). */
int lfs_sh_close_file_locked(struct lfs_dlease *l, struct lfs_fh *fh);
void lfs_sh_clear(struct lfs_daemon *d, struct lfs_dlease *l);
/* ctl `acquire shared [pid N]`, `release shared` (the lease's context held). */
int lfs_sh_ctl_acquire(struct lfs_daemon *d, struct lfs_dlease *l,
    const struct lfs_ctl_cmd *cmd, uid_t uid);
int lfs_sh_ctl_release(struct lfs_daemon *d, struct lfs_dlease *l);
/* The process of `acquire shared pid N` exited (table_lock held): -1 when
 * l is not held so; else as lfs_sh_close_file_locked. */
int lfs_sh_pid_exited_locked(struct lfs_daemon *d, struct lfs_dlease *l);
/* Watcher (the lease's context held): clear a mode nobody here holds, undo an
 * unfinished acquire. */
void lfs_sh_release_lost(struct lfs_daemon *d, struct lfs_dlease *l);
/* Fencing (table_lock held): l's ctl and process shared holds, and every
 * lock file holding a lease shared, are lost with the generation. */
void lfs_sh_fence_locked(struct lfs_daemon *d, struct lfs_dlease *l);
void lfs_sh_fence_files_locked(struct lfs_daemon *d);
/* A new generation joined: forget a finished shared hold (table_lock). */
void lfs_sh_forget_locked(struct lfs_dlease *l);
/* Shutdown, after the holders were killed (the lease's context held): clear
 * l's mode unless a holder may still use it.  0 when nothing is left set. */
int lfs_sh_release_one(struct lfs_daemon *d, struct lfs_dlease *l,
    int keep_ctl);

/* ---- pidhold.c ---- */
/* Open a pidfd of pid for a `pid N` command of lease by a writer of user
 * uid: -ESRCH when pid is not running, -EPERM when uid may not signal it
 * (kill(2): root, or uid is its real or saved user id).  0 and *pidfd. */
int lfs_pid_open(struct lfs_daemon *d, const char *lease, pid_t pid,
    uid_t uid, int *pidfd);
/* Begin holding or requesting l for pid (table_lock held): l takes over
 * pidfd and watches it; the guard gets a copy.  0 or -errno (pidfd is
 * closed then). */
int lfs_pid_begin_locked(struct lfs_daemon *d, struct lfs_dlease *l, pid_t pid,
    int pidfd);
/* The lease is held or requested for its process no more: stop watching,
 * close, tell the guard (table_lock held).  No-op without a process. */
void lfs_pid_end_locked(struct lfs_daemon *d, struct lfs_dlease *l);
/* Fencing: l was held for its process, which may still run (table_lock
 * held): it stays watched and counted in d->fenced_pids until it exits. */
void lfs_pid_fence_locked(struct lfs_daemon *d, struct lfs_dlease *l);

#endif
