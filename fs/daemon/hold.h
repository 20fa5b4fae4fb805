/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hold.h - a lease's exclusive hold on this host (l->ex), owned by hold.c:
 * no other file writes a field of struct lfs_ex (scripts/check-fields
 * checks it); they read it through the functions below.  hold.c has the
 * state diagram.
 *
 * Every field is protected by table_lock (daemon.h); the disk operations that
 * move the hold also hold the lease's context (context.h) around their I/O.
 */
#ifndef LEASEFS_HOLD_H
#define LEASEFS_HOLD_H

#include <stdint.h>

#include "ondisk.h"

struct lfs_dlease;
struct lfs_fh;

/* How this host holds a lease: a lock/incoming file, ctl, or ctl for a
 * process (`acquire pid N`: released when N exits, N is fenced). */
enum lfs_how { LFS_HOW_NONE, LFS_HOW_FILE, LFS_HOW_CTL, LFS_HOW_PID };

/*
 * The exclusive hold of a lease by this host, one value (hold.c draws the
 * transitions and lfs_hold_set_locked() is the only writer):
 *   FREE      the disk does not name us, as far as this host knows
 *   FILE      held for the lock or incoming file ex.holder
 *   CTL       held through ctl
 *   PID       held through ctl for process pd.pid (`acquire pid N`)
 *   LOST      the disk still names us, but nobody here may use it: fenced,
 *             a failed release, a won ballot it could not let go; the
 *             watcher releases it once renewal allows (never if finished)
 * Shared holds (l->sh, shhold.h) are beside this, never with FILE, CTL or
 * PID.
 */
enum lfs_hold {
	LFS_HOLD_FREE, LFS_HOLD_FILE, LFS_HOLD_CTL, LFS_HOLD_PID, LFS_HOLD_LOST,
};

/* l->ex: owner hold.c; table_lock. */
struct lfs_ex {
	enum lfs_hold hold;      /* lfs_hold_set_locked() only */
	struct lfs_leader leader; /* what the disk names while hold != FREE */
	struct lfs_fh *holder;   /* hold == FILE */
	int finished;            /* lost with a finished generation (an
	                            exclusive or a shared hold): never written
	                            by this host again; forgotten when a new
	                            generation joins (lfs_lease_finish_locked) */
	int unsettled;           /* an acquire of ours gave up after an
	                            aborted ballot (lfs_hold_settle) */
	/* ctl `handover`: a transfer to this host (id, generation) armed
	 * while held here, done when that host claims the lease
	 * (lfs_hold_check_handover); 0: none.  Cleared whenever the hold
	 * ends (attach and detach), so it never outlives the tenure. */
	uint32_t handover_to;
	uint64_t handover_gen;
	uint64_t handover_seq;   /* the request's seq when armed: a claim
	                            counts only when written after it */
};

/* ---- readers (table_lock held) ---- */
/* The state itself, and whether it is held here at all (not FREE), and
 * LOST. */
enum lfs_hold lfs_hold_state(const struct lfs_dlease *l);
int lfs_held(const struct lfs_dlease *l);
int lfs_lost(const struct lfs_dlease *l);
/* Held here and ours to use (FILE, CTL or PID). */
int lfs_hold_usable(const struct lfs_dlease *l);
/* By what it is held and usable here; NONE when FREE or LOST. */
enum lfs_how lfs_hold_how(const struct lfs_dlease *l);
/* The lock or incoming file holding l (hold FILE), else NULL. */
struct lfs_fh *lfs_hold_holder(const struct lfs_dlease *l);
/* What the disk names while held (hold != FREE). */
const struct lfs_leader *lfs_hold_leader(const struct lfs_dlease *l);
/* Lost (exclusive or shared) with a finished generation. */
int lfs_lease_finished(const struct lfs_dlease *l);
/* An aborted acquire of ours is left to settle (lfs_hold_settle). */
int lfs_hold_unsettled(const struct lfs_dlease *l);
/* The armed handover's host (0: none), generation and request seq. */
uint32_t lfs_hold_handover_to(const struct lfs_dlease *l);
uint64_t lfs_hold_handover_gen(const struct lfs_dlease *l);
uint64_t lfs_hold_handover_seq(const struct lfs_dlease *l);

/* ---- writers (table_lock held) ---- */
/* The one writer of ex.hold: checks the transition (and, in debug
 * builds, the lease's invariants after it: lfs_dlease_check).  Use the
 * named transitions of holders.h where one fits. */
void lfs_hold_set_locked(struct lfs_dlease *l, enum lfs_hold to);
/* Debug builds: assert every invariant of l that holds between
 * transitions (see lfs_hold_set_locked); else nothing. */
void lfs_dlease_check(const struct lfs_dlease *l);
/* l (its exclusive or its shared hold) is lost with a finished
 * generation; a new generation forgets that (lfs_lease_unfinish_locked). */
void lfs_lease_finish_locked(struct lfs_dlease *l);
void lfs_lease_unfinish_locked(struct lfs_dlease *l);
/* The settling of an aborted acquire is no longer ours to do (the
 * generation it was made under is finished). */
void lfs_hold_settled_locked(struct lfs_dlease *l);
/* Arm a handover (ctl `handover`) to host `to` of generation gen, whose
 * request had sequence seq; the hold must be usable. */
void lfs_hold_arm_locked(struct lfs_dlease *l, uint32_t to, uint64_t gen,
    uint64_t seq);

#endif
