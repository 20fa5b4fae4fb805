/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * shared.c - shared holds in the simulated daemon (--shared): what
 * fs/daemon/shhold.c decides, on the real core/shared.h, so that the
 * checker (check.c) can hold the exclusion rule of shared.h against every
 * fault: an exclusive hold never overlaps any other hold of the same
 * lease by another host or generation while their holders may act;
 * shared holds overlap each other freely.
 *
 * One local shared holder per lease (fs lets several lock files share the
 * host's one mode; more of them change nothing on disk).  The states, as
 * in shhold.c:
 *
 *   NONE --sh_lock: lfs_shared_acquire--> SET with a holder (sh_set,
 *        sh_holder), or, fencing began meanwhile, SET lost and finished
 *   SET --the holder closes (sh_close), or dies after a kill
 *        (sh_closed_at)--> lfs_shared_release: NONE, or, the clear failed,
 *        LOST (sh_lost): the watcher clears it (sh_watch)
 *   SET --fencing (sh_fence)--> finished: never written by this
 *        generation again; the rejoin forgets it (sh_forget_finished)
 *   -EINPROGRESS --> UNFINISHED (sh_unfinished): the watcher runs
 *        lfs_shared_finish() until it returns 0
 *
 * A shared and an exclusive hold never exist on one host at once, nor a
 * shared hold and a request (sh_busy, fs lfs_sh_busy_locked): no upgrade,
 * no downgrade, as in fs.
 */
#include <string.h>

#include "sim.h"

int
sh_busy(const struct dlease *d)
{
	return d->sh_set || d->sh_unfinished || d->sh_closed || d->sh_holder;
}

/* fs shhold.c let_go_kept: a shared acquire that found the lease ours
 * (an aborted acquire of ours whose value another host carried to its end)
 * keeps that exclusive hold; let it go, or leave it held && lost for the
 * watcher. */
static void
let_go_kept(struct inc *i, struct dlease *d)
{
	struct lfs_leader ld;
	int r;

	if (lfs_paxos_read_leader(&i->ls, &i->io[P_OPS], &d->ref, &ld) < 0 ||
	    i->ghost || ld.owner_id != i->ls.host_id ||
	    ld.owner_gen != i->ls.generation)
		return;
	check_view(i->m, d->ref.slot, &ld, "shared let_go_kept");
	r = lfs_paxos_release(&i->ls, &i->io[P_OPS], &d->ref, &ld);
	if (i->ghost)
		return;
	tr(i->m, "%s: shared mode set under an exclusive hold nobody here has: "
	    "release lver %llu -> %d", d->name, (unsigned long long)ld.lver, r);
	if (r == 0 || r == -EPERM || r == -ENOENT || d->held)
		return;
	d->held = 1;
	d->lost = 1;
	d->leader = ld;
}

/* fs shhold.c acquire_disk: lfs_shared_acquire with retries of a lost
 * race; 0 with *token, else -errno (-EINPROGRESS kept for the watcher). */
static int
acquire_disk(struct inc *i, struct dlease *d, uint64_t *token)
{
	struct lfs_shared_hold h;
	int k, r = -EAGAIN;

	for (k = 0; k < LFS_HP_ACQUIRE_TRIES && r == -EAGAIN; k++) {
		if (k > 0)
			host_sleep_ms(i->m, lfs_hp_acquire_pause_ms(
			    m_local_ms(i->m), i->ls.host_id));
		if (i->ghost)
			return -EIO;
		r = lfs_shared_acquire(&i->ls, &i->io[P_OPS], &d->ref, d->name,
		    &h);
		if (i->ghost)
			return -EIO;
		tr(i->m, "acquire shared %s -> %d token %llu", d->name, r,
		    r == 0 || r == -EALREADY ? (unsigned long long)h.token : 0ull);
		if (r == 0 && h.ex.owner_id == i->ls.host_id &&
		    h.ex.owner_gen == i->ls.generation)
			check_chosen(i->m, i, d->ref.slot, &h.ex, i->ls.host_id,
			    i->ls.generation, "shared transit");
		if (r == -EALREADY)
			r = 0;
	}
	if (r == 0) {
		*token = h.token;
		let_go_kept(i, d);
	}
	if (r == -ENOENT)
		d->known = 0;
	if (lfs_hp_acquire_unsettled(r) && ((W->fix & FIX_SETTLE) ||
	    r == -EAGAIN))
		d->unsettled = 1;
	if (r == -EINPROGRESS) {
		d->sh_unfinished = 1;
		d->sh_left = h;
		tr(i->m, "%s: shared acquire left unfinished (mode_unknown %d "
		    "ex_held %d)", d->name, h.mode_unknown, h.ex_held);
		r = -EBUSY;
	}
	return r;
}

/* fs shhold.c attach_locked: the hold is used only while lease operations
 * are allowed (lfs_hp_grant; with the grant fix undone: only if fencing
 * has not begun). */
static void
attach(struct inc *i, struct dlease *d, uint64_t token)
{
	struct lfs_hp_health h = host_health(i);
	struct lfs_leader ld = { .lver = token };
	int grant = host_grant(&h);

	d->sh_set = 1;
	d->sh_token = token;
	if (!grant) {
		d->sh_lost = 1;
		d->sh_finished = host_lost_for_good(&h);
		tr(i->m, "%s held shared as fencing began: lost", d->name);
		return;
	}
	d->sh_holder = 1;
	d->hold_until = W->now + rng_logu(&W->rng, MS, W->cfg.hold_max_ns);
	W->sh_acquires++;
	tr(i->m, "shared holder of %s starts (token %llu)", d->name,
	    (unsigned long long)token);
	check_holder_start_mode(i->m, i, d->ref.slot, &ld, "shared lock", 1);
}

void
sh_lock(struct inc *i, struct dlease *d)
{
	struct lfs_hp_health h = host_health(i);
	struct lfs_lease_entry e;
	uint64_t token = 0;

	if (lfs_hp_refuse(&W->to, &h) != NULL || sh_busy(d) || d->held ||
	    d->req)
		return;
	if (!d->known) {
		if (lfs_leases_lookup(&i->ls, &i->io[P_OPS], d->name, &e) < 0 ||
		    i->ghost)
			return;
		d->ref = e.ref;
		d->known = 1;
	}
	if (acquire_disk(i, d, &token) == 0 && !i->ghost)
		attach(i, d, token);
}

/* fs shhold.c clear_disk: our mode cleared on disk, or left lost. */
static void
clear_disk(struct inc *i, struct dlease *d)
{
	int r;

	if (i->stale || d->sh_finished)
		return;
	r = lfs_shared_release(&i->ls, &i->io[P_OPS], &d->ref);
	if (i->ghost)
		return;
	tr(i->m, "release shared %s -> %d", d->name, r);
	if (r == 0 || r == -ENOENT) {
		d->sh_set = 0;
		d->sh_lost = 0;
	}
}

/* The holder closes its lock file (fs lfs_sh_close_file_locked, then
 * clear_disk for the last one): it stops before the clear is written. */
void
sh_close(struct inc *i, struct dlease *d)
{
	if (d->sh_holder) {
		tr(i->m, "shared holder of %s stops", d->name);
		check_holder_end(i->m, i, d->ref.slot, W->now);
		d->sh_holder = 0;
	}
	if (!d->sh_set || d->sh_lost)
		return;
	d->sh_lost = 1;
	clear_disk(i, d);
}

/* The watcher's pass over d (fs lfs_sh_release_lost, and the close of a
 * killed holder's file once it is gone). */
void
sh_watch(struct inc *i, struct dlease *d)
{
	int r;

	if (d->sh_closed && W->now >= d->sh_closed_at) {
		d->sh_closed = 0;
		sh_close(i, d);
	}
	if (i->ghost || i->stale)
		return;
	if (d->sh_unfinished && !d->sh_finished) {
		r = lfs_shared_finish(&i->ls, &i->io[P_OPS], &d->ref,
		    &d->sh_left, 0);
		if (i->ghost)
			return;
		tr(i->m, "finish shared %s -> %d", d->name, r);
		if (r == 0)
			d->sh_unfinished = 0;
	}
	if (d->sh_set && d->sh_lost && !d->sh_finished && !d->sh_holder &&
	    !i->ghost)
		clear_disk(i, d);
}

/* fs lfs_sh_fence_locked: a mode this generation set, or an unfinished
 * acquire, dies with it (never written again); the holder is killed by
 * the caller (holders_kill_all). */
void
sh_fence(struct inc *i, struct dlease *d)
{
	(void)i;
	if (d->sh_unfinished)
		d->sh_finished = 1;
	if (d->sh_set) {
		d->sh_lost = 1;
		d->sh_finished = !(W->undo & UNDO_GEN);
	}
}

/* fs lfs_sh_forget_locked at the rejoin: the old generation's mode counts
 * for nothing (shared.h rule 4). */
void
sh_forget_finished(struct dlease *d)
{
	if (!d->sh_finished)
		return;
	d->sh_set = 0;
	d->sh_lost = 0;
	d->sh_finished = 0;
	d->sh_unfinished = 0;
	d->sh_closed = 0;
}

/* fs lfs_sh_release_one at a stop, the holders gone: clear what is ours. */
void
sh_shutdown(struct inc *i, struct dlease *d)
{
	d->sh_closed = 0;
	if (d->sh_set && !d->sh_lost)
		d->sh_lost = 1;
	sh_watch(i, d);
}
