/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * host.c - the simulated machines: each runs daemon incarnations (one at a
 * time) whose threads are coroutines calling the real core, making the
 * daemon's decisions through core/hostpolicy.h, plus a guard and, when the
 * seed says so, a watchdog.
 *
 * A daemon incarnation (struct inc) is what fs/ runs between a mount and
 * its end:
 *   renew     join (lfs_delta_join on the renewal context), then the
 *             renewal loop (fs renew_once through lfs_hp_after_renew);
 *             at a clean stop, leave (lfs_hp_may_leave)
 *   deadline  fences at renewed + renewal_fail (fs deadline_main)
 *   ops       the lease operations of this host, one at a time on the ops
 *             context, as fs/holders.c does them: lock (acquire, with its
 *             retries, grant unless fenced), close (release), incoming
 *             (request, arrival, try-take), transfer with its checks and
 *             verify_still_ours, the watcher (release lost leases, settle
 *             aborted acquires, poll requests), name-table create/delete,
 *             and at shutdown release everything
 *
 * Holders are the processes using a lease.  One starts when the daemon
 * grants a lease and stops when it gives it back (before the release is
 * written) or before a transfer (a migrating VM pauses; it resumes if the
 * transfer failed and the lease is still held).  A fenced holder dies at
 * the latest kill_grace + kill_settle after the kill (the worst case the
 * design allows); a crashed host's holders die at once; a killed daemon's
 * holders live until its guard kills them.
 *
 * The guard runs beside the daemon: SIGSTOP of the daemon does not stop it,
 * only a frozen host does.  It fences at renewed + renewal_fail and at the
 * daemon's death.  With a watchdog (a per-seed choice) the host is reset at
 * renewed + host_dead unless a newer renewal came, even while frozen; host
 * suspends are simulated only with a watchdog (without one, a frozen host's
 * holders resume after others took their leases, which no lease manager can
 * prevent).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

#define WL_NT (SIM_MAX_TNAMES)

static const struct lfs_timeouts *
to(void)
{
	return &W->to;
}

/* ---- the machine's clock as the core sees it ---- */

static int
cur_ghost(void)
{
	return sim_cur != NULL && sim_cur->inc != NULL && sim_cur->inc->ghost;
}

static uint64_t
clk_now(void *arg)
{
	return m_local_ns(arg);
}

/* Sleep until m's clock reads local_ns; early only for ghosts, or when
 * interruptible and woken. */
static void
sleep_local(struct machine *m, uint64_t local_ns, int interruptible)
{
	while (!cur_ghost() && m_local_ns(m) < local_ns) {
		coro_wake(sim_cur, m_global_at_local(m, local_ns));
		coro_block();
		if (interruptible)
			break;
	}
}

static void
clk_sleep(void *arg, uint32_t ms)
{
	struct machine *m = arg;

	if (sim_cur == NULL) {
		W->now += (uint64_t)ms * MS; /* setup: nothing else runs */
		return;
	}
	if (cur_ghost()) {
		/* a crashed daemon's thread unwinding: its sleeps still take
		 * time, or a core loop bounded by the clock (leases.c
		 * table_settle, whose every I/O fails at once for a ghost)
		 * would never end */
		coro_wake(sim_cur, m_global_at_local(m, m_local_ns(m) +
		    (uint64_t)ms * MS));
		coro_block();
		return;
	}
	sleep_local(m, m_local_ns(m) + (uint64_t)ms * MS, 0);
}

/* ---- holders ---- */

static uint32_t
slot_of(const struct dlease *d)
{
	return d->ref.slot;
}

static uint64_t
kill_window_end(struct machine *m)
{
	/* kill_grace, then kill_settle = host_dead - renewal_fail - kill_grace
	 * (fs/daemon.c kill_holders, fs/guard.c) */
	uint64_t ms = W->to.host_dead_ms - W->to.renewal_fail_ms;

	return m_global_at_local(m, m_local_ns(m) + ms * MS);
}

static void
holder_start(struct inc *i, struct dlease *d, const char *how)
{
	tr(i->m, "holder of %s starts (lver %llu, %s)", d->name,
	    (unsigned long long)d->leader.lver, how);
	check_holder_start(i->m, i, slot_of(d), &d->leader, how);
	d->holder = 1;
}

static void
holder_stop(struct inc *i, struct dlease *d)
{
	if (!d->holder)
		return;
	tr(i->m, "holder of %s stops", d->name);
	check_holder_end(i->m, i, slot_of(d), W->now);
	d->holder = 0;
}

/* SIGTERM now; dead by kill_grace + kill_settle at the latest. */
static void
holder_kill(struct inc *i, struct dlease *d)
{
	uint64_t end = kill_window_end(i->m);

	if (d->sh_holder) {
		/* fs: its read-only lock file closes when it is gone, and
		 * the last shared holder's close clears our mode */
		tr(i->m, "shared holder of %s killed (dead by +%llu ms)",
		    d->name, (unsigned long long)((end - W->now) / MS));
		check_holder_end(i->m, i, slot_of(d), end);
		if (end > i->m->holders_dead_at)
			i->m->holders_dead_at = end;
		d->sh_holder = 0;
		d->sh_closed = 1;
		d->sh_closed_at = end;
	}
	if (!d->holder)
		return;
	tr(i->m, "holder of %s killed (dead by +%llu ms)", d->name,
	    (unsigned long long)((end - W->now) / MS));
	check_holder_end(i->m, i, slot_of(d), end);
	if (end > i->m->holders_dead_at)
		i->m->holders_dead_at = end;
	d->holder = 0;
	/* its files close when it is gone: then the daemon releases, if
	 * still held here (fs lfs_hold_close) */
	d->closed = 1;
	d->closed_at = end;
}

static void
holders_kill_all(struct inc *i)
{
	int k;

	for (k = 0; k < i->ndl; k++)
		holder_kill(i, &i->dl[k]);
}

static void
holders_die_now(struct inc *i)
{
	int k;

	for (k = 0; k < i->ndl; k++)
		if (i->dl[k].holder || i->dl[k].sh_holder) {
			check_holder_end(i->m, i, slot_of(&i->dl[k]), W->now);
			i->dl[k].holder = 0;
			i->dl[k].sh_holder = 0;
		}
}

/* ---- the guard and the watchdog ---- */

/* The guard's events (EV_GUARD, argument tok << 2 | kind). */
enum { G_FENCE, G_WATCHDOG, G_GATE_CLOSE, G_GATE_WAITED, G_RGATE_WAITED };
#define G_KIND_BITS 3

static void
guard_arm(struct machine *m)
{
	m->g_tok++;
	ev_push(m_global_at_local(m, (m->g_renewed + W->to.renewal_fail_ms) *
	    MS), EV_GUARD, m, m->g_tok << G_KIND_BITS | G_FENCE);
	if (W->cfg.kinds & (1u << F_WATCHDOG))
		ev_push(m_global_at_local(m, (m->g_renewed +
		    W->to.host_dead_ms) * MS), EV_GUARD, m,
		    m->g_tok << G_KIND_BITS | G_WATCHDOG);
	if (!(W->undo & UNDO_GATE))
		ev_push(m_global_at_local(m, (m->g_renewed +
		    lfs_gate_close_ms(&W->to)) * MS), EV_GUARD, m,
		    m->g_tok << G_KIND_BITS | G_GATE_CLOSE);
}

/* ---- the submit gates (core lockspace.h; fs guard.c closes them) ---- */

static int
sim_gate_take(void *arg)
{
	struct sim_gate *g = arg;

	if (g->closed)
		return -EIO;
	g->held++;
	return 0;
}

static void
sim_gate_drop(void *arg)
{
	struct sim_gate *g = arg;

	g->held--;
}

static void daemon_crash(struct machine *m);

static struct sim_gate *
guard_gate_of(struct inc *i, int renewal)
{
	return renewal ? &i->rgate : &i->gate;
}

/* Close a gate: the lease writes' at renewed + lfs_gate_close_ms, the
 * renewals' at renewed + renewal_fail.  A write already inside (checked,
 * its submit not returned: the thread stalled there, or the daemon is
 * SIGSTOPped) gets lfs_gate_wait_ms (event `waited`). */
static void
guard_gate_close(struct machine *m, int renewal)
{
	struct inc *i = m->inc;
	struct sim_gate *g;

	if (i == NULL || i->ghost ||
	    (W->undo & (renewal ? UNDO_RGATE : UNDO_GATE)))
		return;
	g = guard_gate_of(i, renewal);
	g->closed = 1;
	tr(m, "guard closes the %s gate (%d write(s) inside)",
	    renewal ? "renewal" : "submit", g->held);
	if (g->held > 0)
		ev_push(m_global_at_local(m, (m_local_ms(m) +
		    lfs_gate_wait_ms(&W->to)) * MS), EV_GUARD, m,
		    m->g_tok << G_KIND_BITS |
		    (renewal ? G_RGATE_WAITED : G_GATE_WAITED));
}

static void
guard_gate_waited(struct machine *m, int renewal)
{
	struct inc *i = m->inc;
	struct sim_gate *g;

	if (i == NULL || i->ghost)
		return;
	g = guard_gate_of(i, renewal);
	if (!g->closed || g->held == 0)
		return;
	tr(m, "guard kills the daemon: a %s write checked before its gate "
	    "closed was not submitted in %u ms", renewal ? "renewal" : "lease",
	    lfs_gate_wait_ms(&W->to));
	daemon_crash(m);
}

static void
guard_fence(struct machine *m, const char *why)
{
	if (m->inc == NULL)
		return;
	tr(m, "guard fences: %s", why);
	holders_kill_all(m->inc);
}

static void
guard_start(struct machine *m, uint64_t renewed_ms)
{
	m->g_active = 1;
	m->g_fenced = 0;
	m->g_renewed = renewed_ms;
	guard_arm(m);
}

static void
guard_pet(struct machine *m, uint64_t renewed_ms)
{
	if (!m->g_active || renewed_ms <= m->g_renewed)
		return;
	m->g_renewed = renewed_ms;
	m->g_fenced = 0;
	if (m->inc != NULL) {
		m->inc->gate.closed = 0; /* closed again at once if due */
		m->inc->rgate.closed = 0;
	}
	if (m_local_ms(m) >= renewed_ms + W->to.renewal_fail_ms) {
		guard_gate_close(m, 1);
		guard_fence(m, "a renewal came too late");
		m->g_fenced = 1;
	}
	guard_arm(m);
}

static void host_crash(struct machine *m, int why);

void
host_guard_ev(struct machine *m, uint64_t a)
{
	int kind = (int)(a & ((1u << G_KIND_BITS) - 1));

	if ((a >> G_KIND_BITS) != m->g_tok || !m->g_active || W->tearing_down)
		return;
	if (kind == G_WATCHDOG) {
		/* hardware: runs while the host is frozen */
		W->faults[F_WATCHDOG]++;
		tr(m, "watchdog resets the host");
		host_crash(m, F_WATCHDOG);
		return;
	}
	if (W->now < m->suspended_until) {
		ev_push(m->suspended_until, EV_GUARD, m, a);
		return;
	}
	if (kind == G_GATE_CLOSE || kind == G_GATE_WAITED ||
	    kind == G_RGATE_WAITED) {
		if (kind == G_GATE_CLOSE)
			guard_gate_close(m, 0);
		else
			guard_gate_waited(m, kind == G_RGATE_WAITED);
		return;
	}
	if (!m->g_fenced &&
	    m_local_ms(m) >= m->g_renewed + W->to.renewal_fail_ms) {
		guard_gate_close(m, 1);
		guard_fence(m, "renewal overdue");
		m->g_fenced = 1;
	}
}

/* ---- incarnations ---- */

static struct lfs_hp_health
health(struct inc *i)
{
	struct lfs_hp_health h = {
		.stopping = i->stopping, .stale = i->stale, .fenced = i->fenced,
		.guard_lost = 0,
		.since_renewal_ms = lfs_delta_since_renewal_ms(&i->ls),
	};

	return h;
}

struct lfs_hp_health
host_health(struct inc *i)
{
	return health(i);
}

/* fs hold.c / shhold.c attach: whether a lease just won is granted (with
 * the D2 fix undone: only if not fenced), and, when not, whether it is
 * the finished generation's for good (undone: always). */
int
host_grant(const struct lfs_hp_health *h)
{
	return (W->fix & FIX_GRANT) ? lfs_hp_grant(&W->to, h) : !h->fenced;
}

int
host_lost_for_good(const struct lfs_hp_health *h)
{
	return !(W->fix & FIX_GRANT) || lfs_hp_lost_for_good(&W->to, h);
}

uint64_t
host_kill_window_end(struct machine *m)
{
	return kill_window_end(m);
}

void
host_sleep_ms(struct machine *m, uint32_t ms)
{
	clk_sleep(m, ms);
}

/* fs fence(): every lease held becomes lost, every holder is killed; the
 * calling thread waits until they are gone (kill_holders ->
 * lfs_fence_kill, which also waits for holders the guard is killing).
 * Another thread may meanwhile see fenced and, as in fs, clear it. */
static void
fence(struct inc *i, const char *why)
{
	struct machine *m = i->m;
	int k;

	if (i->fenced)
		return;
	i->fenced = 1;
	tr(m, "daemon fences: %s (%llu ms since the last good renewal)",
	    why, (unsigned long long)lfs_delta_since_renewal_ms(&i->ls));
	for (k = 0; k < i->ndl; k++) {
		struct dlease *d = &i->dl[k];

		d->unsettled = 0; /* dies with the generation */
		if (d->held) {
			/* lost with the generation: never written free */
			d->lost = 1;
			d->finished = !(W->undo & UNDO_GEN);
		}
		sh_fence(i, d);
	}
	holders_kill_all(i);
	if (i->kill_until < kill_window_end(m))
		i->kill_until = kill_window_end(m);
	while (!i->ghost && W->now < m->holders_dead_at &&
	    !(W->undo & UNDO_HOLDERS)) {
		coro_wake(sim_cur, m->holders_dead_at);
		coro_block();
	}
	i->fence_done = 1;
}

static void
schedule_start(struct machine *m, uint64_t delay)
{
	uint64_t at = W->now + delay;

	if (W->phase == PH_END || W->tearing_down)
		return;
	if (W->phase != PH_FAULTS && delay > 50 * MS)
		at = W->now + 50 * MS;
	if (at < m->holders_dead_at)
		at = m->holders_dead_at;
	if (m->start_pending && m->restart_at <= at)
		return;
	m->start_pending = 1;
	m->restart_at = at;
	ev_push(at, EV_START, m, 0);
}

static void
wake_all(struct inc *i)
{
	if (i->renew_c != NULL)
		coro_wake(i->renew_c, W->now);
	if (i->ops_c != NULL)
		coro_wake(i->ops_c, W->now);
	if (i->dl_c != NULL)
		coro_wake(i->dl_c, W->now);
}

/* The daemon dies: its threads unwind as ghosts (no I/O reaches the disk
 * from now on; what was in flight still lands). */
static void
kill_daemon(struct inc *i)
{
	struct machine *m = i->m;

	i->ghost = 1;
	i->paused_until = 0;
	wake_all(i);
	if (m->inc == i)
		m->inc = NULL;
}

static void
host_crash(struct machine *m, int why)
{
	struct inc *i = m->inc;

	if (i == NULL)
		return;
	tr(m, "%s", why == F_WATCHDOG ? "host reset" : "host crashes");
	holders_die_now(i);
	check_machine_dead_at(m, W->now);
	if (m->holders_dead_at > W->now)
		m->holders_dead_at = W->now;
	m->g_active = 0;
	m->suspended_until = 0;
	kill_daemon(i);
	schedule_start(m, rng_logu(&W->rng, 10 * MS, 3000 * MS));
}

static void
daemon_crash(struct machine *m)
{
	struct inc *i = m->inc;

	tr(m, "daemon killed (kill -9)");
	/* the guard sees EOF: it fences now and exits */
	guard_fence(m, "the daemon died");
	m->g_active = 0;
	kill_daemon(i);
	if (W->cfg.kinds & (1u << F_WATCHDOG)) {
		/* nobody pets the watchdog any more (the guard pets it only
		 * until renewed + renewal_fail): the host is reset one
		 * watchdog timeout (kill_grace + kill_settle) after the last
		 * pet at the latest; every holder is gone then, and the
		 * machine reboots */
		uint64_t wd = W->to.host_dead_ms - W->to.renewal_fail_ms;
		uint64_t last = m_local_ms(m);
		uint64_t reset;

		if (last > m->g_renewed + W->to.renewal_fail_ms)
			last = m->g_renewed + W->to.renewal_fail_ms;
		reset = m_global_at_local(m, (last + wd) * MS);
		if (reset < W->now)
			reset = W->now;
		check_machine_dead_at(m, reset);
		if (m->holders_dead_at > reset)
			m->holders_dead_at = reset;
		W->faults[F_WATCHDOG]++;
		tr(m, "watchdog resets the host at %.3f ms", (double)reset /
		    (double)MS);
	}
	schedule_start(m, rng_logu(&W->rng, 10 * MS, 3000 * MS));
}

void
inc_coro_exit(struct inc *i)
{
	struct machine *m = i->m;

	if (--i->coros > 0)
		return;
	if (m->inc == i) {
		m->inc = NULL;
		m->g_active = 0;
		if (i->stale)
			schedule_start(m, rng_logu(&W->rng, 100 * MS, 2000 * MS));
		else if (!i->joined)
			schedule_start(m, rng_range(&W->rng, W->to.host_dead_ms,
			    2 * W->to.host_dead_ms) * MS);
		else
			schedule_start(m, rng_logu(&W->rng, MS, 500 * MS));
	}
	inc_release(i);
}

/* ---- lease operations (fs/holders.c) ---- */

static int
ours(const struct inc *i, const struct lfs_leader *ld)
{
	return ld->owner_id == i->ls.host_id &&
	    ld->owner_gen == i->ls.generation;
}

static int
ensure_ref(struct inc *i, struct dlease *d)
{
	struct lfs_lease_entry e;
	int r;

	if (d->known)
		return 0;
	r = lfs_leases_lookup(&i->ls, &i->io[P_OPS], d->name, &e);
	if (r < 0)
		return r;
	d->ref = e.ref;
	d->known = 1;
	return 0;
}

/* The host view of i, for the I/O trace. */
static void
tr_view(struct inc *i)
{
	struct lfs_host_view v;
	char buf[600];
	size_t n = 0;
	uint32_t id;

	for (id = 1; id <= i->ls.layout.max_hosts && n < sizeof(buf) - 80; id++) {
		if (lfs_host_get(&i->ls, id, &v) < 0)
			continue;
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, " h%u:g%llu/%llu@%llu"
		    "%s", id, (unsigned long long)v.rec.generation,
		    (unsigned long long)v.rec.timestamp,
		    (unsigned long long)v.changed_ms % 100000,
		    lfs_host_state_name(lfs_host_state(&i->ls, id,
		    v.rec.generation)));
	}
	tr(i->m, "  view (read at %llu):%s", (unsigned long long)
	    i->ls.hosts_read_ms % 100000, n ? buf : " empty");
}

/* fs lfs_hold_acquire_disk */
static int
acquire_disk(struct inc *i, struct dlease *d, struct lfs_leader *out,
    const char *why)
{
	int k, r = -EAGAIN;

	for (k = 0; k < LFS_HP_ACQUIRE_TRIES && r == -EAGAIN; k++) {
		if (k > 0)
			clk_sleep(i->m, lfs_hp_acquire_pause_ms(m_local_ms(i->m),
			    i->ls.host_id));
		if (i->ghost)
			return -EIO;
		r = lfs_paxos_acquire(&i->ls, &i->io[P_OPS], &d->ref, d->name,
		    out);
		if (i->ghost)
			return -EIO;
		check_honest(i->m, r, "acquire");
		tr(i->m, "acquire %s (%s) -> %d%s lver %llu", d->name, why, r,
		    r == 0 ? "" : r == -EALREADY ? " (EALREADY)" : "",
		    r == 0 || r == -EALREADY ? (unsigned long long)out->lver :
		    0ull);
		if (r == 0) {
			W->acquires++;
			if (W->trace >= TR_IO)
				tr_view(i);
			check_chosen(i->m, i, slot_of(d), out, i->ls.host_id,
			    i->ls.generation, "acquire");
		} else if (r == -EALREADY) {
			check_view(i->m, slot_of(d), out, "acquire EALREADY");
			r = 0;
		}
	}
	if (r == -EINPROGRESS) {
		/* fs: won under a shared holder (or found ours under one) and
		 * letting go failed: ours on disk, no one's to use; held &&
		 * lost, the watcher releases it */
		if (!d->held) {
			d->held = 1;
			d->lost = 1;
			d->leader = *out;
		}
		tr(i->m, "%s: ours under a shared holder, not let go: lost",
		    d->name);
		r = -EBUSY;
	}
	if (r == -ENOENT)
		d->known = 0;
	if (lfs_hp_acquire_unsettled(r) && ((W->fix & FIX_SETTLE) ||
	    r == -EAGAIN))
		d->unsettled = 1; /* an I/O error after phase 2 may have chosen
		                     our value as well (undo settle: -EAGAIN only) */
	return r;
}

/* fs lfs_hold_attach_locked */
static void
attach(struct inc *i, struct dlease *d, const struct lfs_leader *ld,
    const char *how)
{
	struct lfs_hp_health h = health(i);
	int grant = host_grant(&h);

	d->held = 1;
	d->leader = *ld;
	d->closed = 0;
	if (grant) {
		d->lost = 0;
		d->hold_until = W->now + rng_logu(&W->rng, MS, W->cfg.hold_max_ns);
		holder_start(i, d, how);
	} else {
		d->lost = 1;
		d->finished = host_lost_for_good(&h);
		tr(i->m, "%s acquired while fenced: lost", d->name);
	}
}

/* fs lfs_hold_release_disk */
static int
release_disk(struct inc *i, struct dlease *d)
{
	int r;

	if (i->stale)
		return -EIO;
	r = lfs_paxos_release(&i->ls, &i->io[P_OPS], &d->ref, &d->leader);
	if (i->ghost)
		return -EIO;
	check_honest(i->m, r, "release");
	tr(i->m, "release %s lver %llu -> %d", d->name,
	    (unsigned long long)d->leader.lver, r);
	if (lfs_hp_release_done(r)) {
		if (r == 0)
			W->releases++;
		d->held = 0;
		d->lost = 0;
		r = 0;
	}
	return r;
}

/* close of the holder's file (fs lfs_hold_close): release if ours */
static void
close_holder(struct inc *i, struct dlease *d)
{
	holder_stop(i, d);
	d->closed = 0;
	if (d->held && !d->lost) {
		d->lost = 1; /* detached: nothing here uses it meanwhile */
		release_disk(i, d);
	}
}

static void
lock(struct inc *i, struct dlease *d)
{
	struct lfs_hp_health h = health(i);
	struct lfs_leader ld;

	if (lfs_hp_refuse(to(), &h) != NULL || ensure_ref(i, d) < 0)
		return;
	if (acquire_disk(i, d, &ld, "lock") == 0 && !i->ghost)
		attach(i, d, &ld, "lock");
}

static void
request(struct inc *i, struct dlease *d)
{
	struct lfs_hp_health h = health(i);
	int r;

	if (lfs_hp_refuse(to(), &h) != NULL || ensure_ref(i, d) < 0)
		return;
	r = lfs_paxos_write_request(&i->ls, &i->io[P_OPS], &d->ref, 1);
	if (i->ghost)
		return;
	tr(i->m, "request %s -> %d", d->name, r);
	if (r == 0) {
		d->req = 1;
		d->next_try_ms = 0;
		d->req_until = W->now + rng_logu(&W->rng, 10 * MS,
		    2 * W->cfg.hold_max_ns + 10 * MS);
	}
}

/* fs arrive() */
static void
arrive(struct inc *i, struct dlease *d, const struct lfs_leader *ld)
{
	lfs_paxos_write_request(&i->ls, &i->io[P_OPS], &d->ref, 0);
	if (i->ghost)
		return;
	d->req = 0;
	attach(i, d, ld, "arrival");
}

/* fs lfs_hold_check_request with request_try_take */
static void
check_request(struct inc *i, struct dlease *d)
{
	enum lfs_host_state st = LFS_HOST_STATE_FREE;
	struct lfs_leader ld;
	int r;

	if (i->fenced || i->stale || i->stopping)
		return;
	r = lfs_paxos_read_leader(&i->ls, &i->io[P_OPS], &d->ref, &ld);
	if (i->ghost)
		return;
	check_honest(i->m, r, "read leader (request)");
	if (r == -ENOENT) {
		tr(i->m, "%s: deleted while requested", d->name);
		d->req = 0;
		d->known = 0;
		return;
	}
	if (r < 0)
		return;
	check_view(i->m, slot_of(d), &ld, "read_leader");
	if (ours(i, &ld) && (W->fix & FIX_ARRIVE)) {
		/* proposed: a leader naming us may be an old commit of ours
		 * put back by a late write, with a newer instance decided for
		 * someone else; the acquire looks at the dblocks (-EALREADY
		 * only when the leader is current) */
		if (acquire_disk(i, d, &ld, "confirm arrival") != 0 || i->ghost)
			return;
	}
	if (ours(i, &ld)) {
		tr(i->m, "%s arrived (lver %llu)", d->name,
		    (unsigned long long)ld.lver);
		arrive(i, d, &ld);
		return;
	}
	if (ld.owner_id != 0)
		st = lfs_host_state(&i->ls, ld.owner_id, ld.owner_gen);
	if (st == LFS_HOST_STATE_LIVE || st == LFS_HOST_STATE_FAILING ||
	    m_local_ms(i->m) < d->next_try_ms)
		return;
	d->next_try_ms = m_local_ms(i->m) + lfs_hp_retry_ms(to());
	if (acquire_disk(i, d, &ld, "take requested") == 0 && !i->ghost)
		arrive(i, d, &ld);
}

/* fs lfs_hold_cancel_request */
static void
cancel_request(struct inc *i, struct dlease *d)
{
	struct lfs_leader ld;
	int r;

	d->req = 0;
	if (i->stale)
		return;
	r = lfs_paxos_write_request(&i->ls, &i->io[P_OPS], &d->ref, 0);
	if (i->ghost)
		return;
	tr(i->m, "withdraw request %s -> %d", d->name, r);
	if (lfs_paxos_read_leader(&i->ls, &i->io[P_OPS], &d->ref, &ld) < 0 ||
	    i->ghost || !ours(i, &ld))
		return;
	tr(i->m, "%s arrived as the request was withdrawn: releasing",
	    d->name);
	d->held = 1;
	d->lost = 1;
	d->leader = ld;
	release_disk(i, d);
}

/* fs lfs_hold_settle */
static void
settle(struct inc *i, struct dlease *d)
{
	struct lfs_leader ld;
	int r;

	if (d->held || d->req) {
		d->unsettled = 0;
		return;
	}
	if (i->fenced || i->stale)
		return;
	r = lfs_paxos_acquire(&i->ls, &i->io[P_OPS], &d->ref, d->name, &ld);
	if (i->ghost)
		return;
	check_honest(i->m, r, "settle: acquire");
	tr(i->m, "settle %s: acquire -> %d lver %llu", d->name, r,
	    r == 0 || r == -EALREADY ? (unsigned long long)ld.lver : 0ull);
	if (r == 0)
		check_chosen(i->m, i, slot_of(d), &ld, i->ls.host_id,
		    i->ls.generation, "settle");
	if (r == 0 || r == -EALREADY) {
		r = lfs_paxos_release(&i->ls, &i->io[P_OPS], &d->ref, &ld);
		if (i->ghost)
			return;
		check_honest(i->m, r, "settle: release");
		tr(i->m, "settle %s: release -> %d", d->name, r);
	}
	d->unsettled = lfs_hp_settle_again(r);
}

/* fs ctl_transfer with transfer_check and verify_still_ours.  0 when the
 * lease went (or the caller should just release instead: 1). */
static int
transfer(struct inc *i, struct dlease *d)
{
	struct lfs_host_view hv;
	struct lfs_request rq;
	struct lfs_leader out, ld;
	uint64_t to_gen;
	uint32_t to_id;
	int r;

	/* the user (a migration) pauses the VM first, then asks for the
	 * transfer; if the transfer fails and the lease is still held here,
	 * the VM resumes here (below) */
	holder_stop(i, d);
	r = lfs_paxos_read_request(&i->ls, &i->io[P_OPS], &d->ref, &rq);
	if (i->ghost)
		return 0;
	check_honest(i->m, r, "read request");
	if (r < 0 || rq.host_id == 0 || rq.host_id == i->ls.host_id)
		goto resume;
	to_id = rq.host_id;
	if (lfs_host_get(&i->ls, to_id, &hv) < 0)
		goto resume;
	to_gen = hv.rec.generation;
	if (lfs_host_state(&i->ls, to_id, to_gen) != LFS_HOST_STATE_LIVE ||
	    rq.host_gen != to_gen)
		goto resume;
	r = lfs_paxos_transfer(&i->ls, &i->io[P_OPS], &d->ref, &d->leader,
	    to_id, to_gen, &out);
	if (i->ghost)
		return 0;
	check_honest(i->m, r, "transfer");
	tr(i->m, "transfer %s to host %u gen %llu -> %d lver %llu", d->name,
	    to_id, (unsigned long long)to_gen, r, r == 0 ?
	    (unsigned long long)out.lver : 0ull);
	if (r == 0) {
		W->transfers++;
		check_chosen(i->m, i, slot_of(d), &out, to_id, to_gen,
		    "transfer");
		d->held = 0;
		d->lost = 0;
		return 0;
	}
	if (r == -EINPROGRESS) {
		/* as fs/daemon/ctl_exec.c: chosen (or maybe chosen) for the
		 * target: the local holders lose it at once; the leader is
		 * written later (transfer_finish) */
		tr(i->m, "%s: transfer chosen, leader pending: not ours", d->name);
		d->held = 0;
		d->lost = 0;
		return 0;
	}
	if ((W->fix & FIX_XFER) &&
	    lfs_hp_transfer_unknown(lfs_io_reap(&i->io[P_OPS]))) {
		/* fs lose_unknown: a write of the transfer may still land (it
		 * timed out): whatever the leader says now, the lease may be
		 * gone */
		tr(i->m, "%s: the transfer's outcome is unknown: lost", d->name);
		d->lost = 1;
		return 0;
	}
	/* verify_still_ours: a read that fails leaves it held */
	r = lfs_paxos_read_leader(&i->ls, &i->io[P_OPS], &d->ref, &ld);
	if (i->ghost)
		return 0;
	check_honest(i->m, r, "read leader (still ours)");
	if (r < 0 || (ours(i, &ld) && ld.lver == d->leader.lver)) {
		struct lfs_hp_health h = health(i);

		if (r == 0)
			check_view(i->m, slot_of(d), &ld, "verify_still_ours");
		/* still held here: the VM resumes on this host */
		if (!d->lost && host_grant(&h))
			holder_start(i, d, "transfer failed, still held");
		return 0;
	}
	tr(i->m, "%s no longer ours after a failed transfer", d->name);
	d->held = 0;
	d->lost = 0;
	return 0;
resume:
	return 1; /* nobody to give it to: the caller releases it */
}

/* With --strict-probe, a machine the probe expects every lease from:
 * serving since the probe began, in the same incarnation. */
static int
probe_expects(const struct machine *m)
{
	const struct inc *i = m->inc;

	return W->strict_probe && W->probe_seq[m->idx] != 0 && i != NULL &&
	    i->seq == W->probe_seq[m->idx] && !i->ghost && i->joined &&
	    !i->fenced && !i->stale && !i->stopping && !i->stop_req;
}

/* The probe is over once every lease was taken by someone (with
 * --strict-probe: by every machine serving since the probe began; a lease
 * that is busy for all but the host it names, while that host lives, passes
 * "taken by someone" when that host takes it itself) and the name table,
 * when used, by someone: the run ends. */
static void
probe_done(void)
{
	int k, j;

	for (k = 0; k < W->cfg.leases; k++) {
		if (!W->probe_ok[k])
			return;
		for (j = 0; j < W->nm; j++)
			if (probe_expects(&W->m[j]) && !W->probe_by[k][j])
				return;
	}
	if (W->cfg.p_names > 0 && !W->probe_table_ok)
		return;
	ev_push(W->now, EV_PHASE, NULL, PH_END);
}

/* ---- the name table ---- */

static void
name_op(struct inc *i, struct dlease *d)
{
	struct lfs_hp_health h = health(i);
	struct lfs_lease_entry e;
	int r, k;

	if (lfs_hp_refuse(to(), &h) != NULL)
		return;
	if (rng_below(&W->rng, 2) == 0 || W->phase == PH_PROBE) {
		r = lfs_leases_create(&i->ls, &i->io[P_OPS], d->name, &e);
		if (i->ghost)
			return;
		check_honest(i->m, r, "create");
		tr(i->m, "create %s -> %d slot %u", d->name, r,
		    r == 0 ? e.ref.slot : 0);
		if (r == 0)
			for (k = 0; k < W->cfg.leases; k++)
				if (W->vm_ref[k].slot == e.ref.slot)
					sim_fail("create %s was given slot %u, "
					    "which vm%d has", d->name, e.ref.slot,
					    k + 1);
		/* the table lease could be taken: the name table is usable */
		if (W->phase == PH_PROBE && (r == 0 || r == -EEXIST)) {
			W->probe_table_ok = 1;
			probe_done();
		}
	} else {
		r = lfs_leases_delete(&i->ls, &i->io[P_OPS], d->name);
		if (i->ghost)
			return;
		check_honest(i->m, r, "delete");
		tr(i->m, "delete %s -> %d", d->name, r);
	}
}

/* ---- the threads ---- */

static void
watcher_pass(struct inc *i)
{
	struct lfs_hp_health h;
	int k;

	for (k = 0; k < i->ndl; k++) {
		struct dlease *d = &i->dl[k];

		if (i->ghost || i->stale)
			return;
		if (d->closed && W->now >= d->closed_at)
			close_holder(i, d);
		h = health(i);
		if (d->held && d->lost && !d->finished &&
		    lfs_hp_may_release_lost(to(), &h) &&
		    ((W->undo & UNDO_HOLDERS) || W->now >= i->kill_until))
			release_disk(i, d);
		if (d->unsettled && d->known && !i->ghost)
			settle(i, d);
		if (W->shared && !i->ghost)
			sh_watch(i, d);
		if (d->req && !i->ghost) {
			if (W->now >= d->req_until || W->phase != PH_FAULTS)
				cancel_request(i, d);
			else
				check_request(i, d);
		}
	}
}

static void
workload_step(struct inc *i)
{
	const struct config *c = &W->cfg;
	int n = c->leases + (c->p_names > 0 ? WL_NT : 0);
	struct dlease *d = &i->dl[rng_below(&W->rng, (uint64_t)n)];

	if (d->vm < 0) {
		if (rng_below(&W->rng, 1000) < c->p_names)
			name_op(i, d);
		return;
	}
	if (d->sh_holder) {
		if (W->now >= d->hold_until)
			sh_close(i, d);
		return;
	}
	if (d->held) {
		if (d->holder && !d->lost && W->now >= d->hold_until) {
			if (rng_below(&W->rng, 1000) < c->p_transfer &&
			    transfer(i, d) == 0)
				return;
			close_holder(i, d);
		}
		return;
	}
	if (d->req || sh_busy(d))
		return;
	if (W->shared && rng_below(&W->rng, 1000) < c->p_shared)
		sh_lock(i, d);
	else if (rng_below(&W->rng, 1000) < c->p_request)
		request(i, d);
	else
		lock(i, d);
}

/* After the faults: give everything back; then every lease must be
 * obtainable by someone (the liveness probe). */
static void
drain_step(struct inc *i)
{
	struct lfs_hp_health h;
	struct lfs_leader ld;
	int k;

	for (k = 0; k < i->ndl && !i->ghost; k++) {
		if (i->dl[k].holder)
			close_holder(i, &i->dl[k]);
		if (i->dl[k].sh_holder && !i->ghost)
			sh_close(i, &i->dl[k]);
	}
	if (W->phase != PH_PROBE)
		return;
	for (k = 0; k < W->cfg.leases && !i->ghost; k++) {
		struct dlease *d = &i->dl[k];

		h = health(i);
		if (W->probe_by[k][i->m->idx] || d->held || d->req ||
		    sh_busy(d) ||
		    lfs_hp_refuse(to(), &h) != NULL || ensure_ref(i, d) < 0)
			continue;
		if (acquire_disk(i, d, &ld, "probe") == 0 && !i->ghost) {
			W->probe_ok[k] = 1;
			W->probe_by[k][i->m->idx] = 1;
			attach(i, d, &ld, "probe");
			close_holder(i, d);
			probe_done();
		}
	}
	if (W->cfg.p_names > 0 && !W->probe_table_ok && !i->ghost)
		name_op(i, &i->dl[W->cfg.leases + (int)rng_below(&W->rng, WL_NT)]);
}

/* fs lfs_daemon_shutdown: stopping; holders die first (kill_holders
 * waits until they are gone, the guard's victims too); then
 * lfs_hold_release_all releases every lease held and withdraws requests */
static void
shutdown_ops(struct inc *i)
{
	struct machine *m = i->m;
	int k;

	i->stopping = 1;
	holders_kill_all(i);
	while (!i->ghost && W->now < m->holders_dead_at &&
	    !(W->undo & UNDO_STOP)) {
		coro_wake(sim_cur, m->holders_dead_at);
		coro_block();
	}
	for (k = 0; k < i->ndl && !i->ghost; k++) {
		struct dlease *d = &i->dl[k];

		d->closed = 0;
		if (d->held)
			release_disk(i, d);
		if (d->req && !i->ghost)
			cancel_request(i, d);
		if (!i->ghost)
			sh_shutdown(i, d);
	}
	i->all_released = 1;
	for (k = 0; k < i->ndl; k++)
		if (i->dl[k].held || i->dl[k].sh_set || i->dl[k].sh_unfinished)
			i->all_released = 0;
}

static void
ops_main(void *arg)
{
	struct inc *i = arg;

	while (!i->ghost && !i->stop_req && !i->stale) {
		coro_sleep_ns(rng_range(&W->rng, 0, W->cfg.think_max_ns));
		if (i->ghost || i->stop_req || i->stale)
			break;
		i->in_op = 1;
		watcher_pass(i);
		if (!i->ghost && !i->stale) {
			if (W->phase == PH_FAULTS)
				workload_step(i);
			else
				drain_step(i);
		}
		i->in_op = 0;
		if (i->ghost || i->stale)
			break;
	}
	if (!i->ghost) {
		tr(i->m, "daemon stops%s", i->stale ? " (host id lost)" : "");
		shutdown_ops(i);
	}
	i->ops_done = 1;
	if (i->renew_c != NULL)
		coro_wake(i->renew_c, W->now);
	if (i->dl_c != NULL)
		coro_wake(i->dl_c, W->now);
	lfs_io_destroy(&i->io[P_OPS]);
	i->ops_c = NULL;
}

static void
deadline_main(void *arg)
{
	struct inc *i = arg;
	struct machine *m = i->m;
	uint64_t renewed, now;

	while (!i->ghost && !i->ops_done) {
		renewed = i->ls.renewed_ms;
		now = m_local_ms(m);
		if (lfs_hp_deadline_fence(to(), renewed, now, i->fenced,
		    i->stale)) {
			i->renewal = LFS_HP_RENEWAL_LOST;
			fence(i, "renewal overdue");
		}
		sleep_local(m, lfs_hp_deadline_next(to(), renewed, now) * MS, 1);
	}
	i->dl_c = NULL;
}

/* fs renew_once; the time of the next attempt (UINT64_MAX: stop). */
static uint64_t
renew_once(struct inc *i)
{
	struct lfs_hp_renew_outcome o;
	uint64_t start = m_local_ms(i->m);
	uint64_t before = i->ls.renewed_ms;
	int r;

	if (lfs_hp_overdue(to(), before, start)) {
		tr(i->m, "renewal overdue before it started");
		fence(i, "renewal overdue");
		return m_local_ms(i->m);
	}
	r = lfs_delta_renew(&i->ls, &i->io[P_RENEW]);
	if (i->ghost)
		return UINT64_MAX;
	lfs_hp_after_renew(to(), r, start, before, i->ls.renewed_ms,
	    lfs_delta_since_renewal_ms(&i->ls), m_local_ms(i->m), &o);
	if (r != 0 || o.fence || W->trace >= TR_IO)
		tr(i->m, "renew -> %d%s", r, o.fence ? " (fence)" : "");
	if (o.pet_guard)
		guard_pet(i->m, i->ls.renewed_ms);
	if (o.stale)
		i->stale = 1;
	if (o.renewal != LFS_HP_RENEWAL_KEEP)
		i->renewal = (int)o.renewal;
	if (o.fence)
		fence(i, o.why);
	return o.next_ms;
}

static int join_should_stop(void *arg);

/* fs lfs_hold_forget_finished */
static void
forget_finished(struct inc *i)
{
	int k;

	for (k = 0; k < i->ndl; k++)
		if (i->dl[k].finished) {
			i->dl[k].held = 0;
			i->dl[k].lost = 0;
			i->dl[k].finished = 0;
		}
	for (k = 0; k < i->ndl; k++)
		sh_forget_finished(&i->dl[k]);
}

/* fs rejoin: 0 when serving again under a new generation. */
static int
rejoin(struct inc *i)
{
	struct machine *m = i->m;
	struct lfs_join_params p = {
		.host_id = m->host_id, .host_name = m->name,
		.should_stop = join_should_stop, .arg = i,
	};
	uint64_t old = i->ls.generation, before;
	int r;

	uuid_copy(p.identity, m->identity);
	p.min_generation = lfs_hp_rejoin_min_generation(old);
	/* fs holds ops_lock over the join: no lease operation runs across
	 * the change of generation */
	while (!i->ghost && i->in_op) {
		coro_sleep_ns(MS);
	}
	if (i->ghost)
		return -EIO;
	r = lfs_delta_join(&i->ls, &i->io[P_RENEW], &p);
	if (i->ghost)
		return -EIO;
	tr(m, "rejoin -> %d (generation %llu after %llu)", r,
	    (unsigned long long)i->ls.generation, (unsigned long long)old);
	if (r < 0)
		return r;
	m->gen = i->ls.generation; /* the state file */
	W->joins++;
	forget_finished(i);
	guard_pet(m, i->ls.renewed_ms); /* fs: the gates reopen at the join */
	clk_sleep(m, lfs_hp_rejoin_wait_ms(to()));
	if (i->ghost)
		return -EIO;
	before = i->ls.renewed_ms;
	r = lfs_delta_renew(&i->ls, &i->io[P_RENEW]);
	if (i->ghost)
		return -EIO;
	r = lfs_hp_rejoin_serve(to(), r, before, i->ls.renewed_ms);
	if (r < 0) {
		tr(m, "generation %llu finished before it served: %d",
		    (unsigned long long)i->ls.generation, r);
		return r;
	}
	guard_pet(m, i->ls.renewed_ms);
	i->renewal = LFS_HP_RENEWAL_OK;
	i->fence_done = 0;
	i->fenced = 0;
	tr(m, "serving again as generation %llu",
	    (unsigned long long)i->ls.generation);
	return 0;
}

/* fs recover_once: while this generation is finished. */
static uint64_t
recover_once(struct inc *i)
{
	struct machine *m = i->m;
	uint64_t now = m_local_ms(m), before;
	int alive = W->now < m->holders_dead_at, r;

	if (W->undo & UNDO_HOLDERS)
		alive = 0;
	if ((W->undo & UNDO_GEN) && !i->stale) {
		/* undone fix: back under the same generation at the first
		 * good renewal */
		before = i->ls.renewed_ms;
		r = lfs_delta_renew(&i->ls, &i->io[P_RENEW]);
		if (i->ghost)
			return UINT64_MAX;
		if (r == -ESTALE) {
			i->stale = 1;
			return UINT64_MAX;
		}
		if (r < 0)
			return now + lfs_hp_renew_retry_ms(to());
		guard_pet(m, i->ls.renewed_ms);
		i->fenced = 0;
		i->fence_done = 0;
		i->renewal = LFS_HP_RENEWAL_OK;
		tr(m, "renewal recovered: unfenced (same generation, %llu ms "
		    "after the last)", (unsigned long long)(i->ls.renewed_ms -
		    before));
		return i->ls.renewed_ms + W->to.renewal_interval_ms;
	}
	switch (lfs_hp_recover(i->stale, i->fence_done, alive, 0)) {
	case LFS_HP_RECOVER_STOP:
		return UINT64_MAX;
	case LFS_HP_RECOVER_WAIT:
		return now + (i->fence_done ? W->to.io_timeout_ms : 10);
	case LFS_HP_RECOVER_REJOIN:
		break;
	}
	if ((r = rejoin(i)) == 0)
		return i->ls.renewed_ms + W->to.renewal_interval_ms;
	if (lfs_hp_rejoin_lost_id(r)) {
		tr(m, "host id %u is another host's now", m->host_id);
		i->stale = 1;
		return UINT64_MAX;
	}
	return m_local_ms(m) + lfs_hp_renew_retry_ms(to());
}

static int
join_should_stop(void *arg)
{
	struct inc *i = arg;

	return i->ghost || i->stop_req;
}

static void
renew_main(void *arg)
{
	struct inc *i = arg;
	struct machine *m = i->m;
	struct lfs_join_params p = {
		.host_id = m->host_id, .host_name = m->name,
		.should_stop = join_should_stop, .arg = i,
	};
	uint64_t next;
	int r;

	uuid_copy(p.identity, m->identity);
	/* fs cmd_mount: one past the state file's generation */
	p.min_generation = m->gen > 0 ? m->gen + 1 : 0;
	tr(m, "daemon starts (incarnation %u), joins as host %u", i->seq,
	    m->host_id);
	r = lfs_delta_join(&i->ls, &i->io[P_RENEW], &p);
	if (!i->ghost)
		tr(m, "join -> %d (generation %llu)", r,
		    (unsigned long long)i->ls.generation);
	if (r == 0 && !i->ghost && !i->stop_req) {
		i->joined = 1;
		m->gen = i->ls.generation;
		W->joins++;
		guard_start(m, i->ls.renewed_ms);
		i->ops_started = 1;
		i->ops_c = coro_new(ops_main, i, i, "ops");
		i->dl_c = coro_new(deadline_main, i, i, "deadline");
		next = i->ls.renewed_ms + W->to.renewal_interval_ms;
		for (;;) {
			while (!i->ghost && !i->ops_done &&
			    m_local_ms(m) < next)
				sleep_local(m, next * MS, 1);
			if (i->ghost || i->ops_done)
				break;
			next = i->fenced ? recover_once(i) : renew_once(i);
			if (next == UINT64_MAX)
				break;
		}
		if (!i->ghost && !i->ops_done) {
			/* our id is gone: the daemon stops (an admin would
			 * remount); no more renewals meanwhile */
			i->stop_req = 1;
			if (i->ops_c != NULL)
				coro_wake(i->ops_c, W->now);
			while (!i->ghost && !i->ops_done) {
				sim_cur->tok++;
				coro_block();
			}
		}
		if (!i->ghost) {
			if (lfs_hp_may_leave(to(), i->stale, i->all_released,
			    lfs_delta_since_renewal_ms(&i->ls))) {
				r = lfs_delta_leave(&i->ls, &i->io[P_RENEW]);
				tr(m, "leave -> %d", r);
			} else {
				tr(m, "not leaving cleanly");
			}
			m->g_active = 0; /* bye: the guard exits */
		}
	}
	if (!i->ops_started)
		lfs_io_destroy(&i->io[P_OPS]);
	lfs_io_destroy(&i->io[P_RENEW]);
	i->renew_c = NULL;
}

void
sim_sleep_ns(uint64_t ns)
{
	if (sim_cur == NULL || sim_cur->m == NULL) {
		W->now += ns;
		return;
	}
	sleep_local(sim_cur->m, m_local_ns(sim_cur->m) + ns, 0);
}

/* ---- events ---- */

/* A daemon incarnation, its lockspace and I/O contexts set up, no thread
 * started.  lfs_lockspace_open() without its header read: main.c opened
 * the template once with the real one, and this copies the same fields
 * (header, layout, timeouts, the device descriptor, which the I/O tables
 * only carry along) with a fresh, empty host view. */
struct inc *
inc_new(struct machine *m)
{
	struct inc *i;
	int k;

	i = calloc(1, sizeof(*i));
	if (i == NULL)
		abort();
	i->m = m;
	i->seq = ++m->incs;
	memcpy(&i->ls, W->tmpl, sizeof(i->ls));
	snprintf(i->ls.disk.path, sizeof(i->ls.disk.path), "disk"); /* logs */
	i->ls.hosts = calloc(i->ls.header.max_hosts + 1u, sizeof(*i->ls.hosts));
	if (i->ls.hosts == NULL)
		abort();
	pthread_mutex_init(&i->ls.view_lock, NULL);
	pthread_mutex_init(&i->ls.host_write_lock, NULL);
	i->ls.clock = &m->clock;
	i->ls.presence_lazy = W->presence;
	/* undone: no gate (the lease writes' checks stay; the renewal's in-time
	 * check goes with its gate: core/delta.c) */
	if (!(W->undo & UNDO_GATE)) {
		i->ls.gate.take = sim_gate_take;
		i->ls.gate.drop = sim_gate_drop;
		i->ls.gate.arg = &i->gate;
	}
	if (!(W->undo & UNDO_RGATE)) {
		i->ls.renew_gate.take = sim_gate_take;
		i->ls.renew_gate.drop = sim_gate_drop;
		i->ls.renew_gate.arg = &i->rgate;
	}
	i->log.fn = trace_log_fn;
	i->log.arg = i;
	i->log.max_priority = W->trace ? LOG_DEBUG : -1;
	i->ls.log = &i->log;
	for (k = 0; k < P_NPATH; k++) {
		disk_path_init(&i->path[k], i, k);
		if (lfs_io_init(&i->io[k], &i->ls.disk, W->to.io_timeout_ms,
		    &i->path[k].sys, &i->log) < 0)
			abort();
	}
	for (k = 0; k < W->cfg.leases; k++) {
		snprintf(i->dl[k].name, sizeof(i->dl[k].name), "vm%d", k + 1);
		i->dl[k].vm = k;
	}
	for (k = 0; k < WL_NT; k++) {
		snprintf(i->dl[W->cfg.leases + k].name, sizeof(i->dl[0].name),
		    "t%d", k + 1);
		i->dl[W->cfg.leases + k].vm = -1;
	}
	i->ndl = W->cfg.leases + WL_NT;
	return i;
}

/* After its I/O contexts were destroyed. */
void
inc_release(struct inc *i)
{
	/* what lfs_lockspace_close frees, but not the template's descriptor */
	if (i->ls.names_cache != NULL && i->ls.names_cache_free != NULL)
		i->ls.names_cache_free(i->ls.names_cache);
	i->ls.names_cache = NULL;
	free(i->ls.hosts);
	pthread_mutex_destroy(&i->ls.view_lock);
	pthread_mutex_destroy(&i->ls.host_write_lock);
	free(i);
}

void
host_start_ev(struct machine *m)
{
	struct inc *i;

	if (!m->start_pending || W->now < m->restart_at || W->tearing_down ||
	    W->phase == PH_END || m->inc != NULL)
		return;
	if (W->now < m->holders_dead_at) {
		m->restart_at = m->holders_dead_at;
		ev_push(m->restart_at, EV_START, m, 0);
		return;
	}
	m->start_pending = 0;
	i = inc_new(m);
	m->inc = i;
	i->renew_c = coro_new(renew_main, i, i, "renew");
}

void
host_resume_ev(struct machine *m)
{
	if (W->now < m->suspended_until || W->tearing_down)
		return;
	tr(m, "host resumes");
}

static const int episodic[] = { F_HANG, F_EIO_SPAN, F_SLOW_SPAN, F_PAUSE,
	F_SUSPEND, F_DCRASH, F_HCRASH, F_RESTART };

void
host_fault_ev(void)
{
	const struct config *c = &W->cfg;
	int kinds[16], n = 0, kind, which, k;
	struct machine *m;
	uint64_t dur;
	size_t e;

	if (W->phase != PH_FAULTS || W->tearing_down)
		return;
	for (e = 0; e < sizeof(episodic) / sizeof(episodic[0]); e++)
		if (c->kinds & (1u << episodic[e]))
			kinds[n++] = episodic[e];
	ev_push(W->now + rng_range(&W->rng, 1, 2 * c->fault_mean_ns), EV_FAULT,
	    NULL, 0);
	if (n == 0)
		return;
	kind = kinds[rng_below(&W->rng, (uint64_t)n)];
	m = &W->m[rng_below(&W->rng, (uint64_t)W->nm)];
	dur = rng_logu(&W->rng, MS, c->span_max_ns);
	which = (int)rng_below(&W->rng, 3);
	switch (kind) {
	case F_HANG:
	case F_EIO_SPAN:
	case F_SLOW_SPAN:
		for (k = 0; k < P_NPATH; k++) {
			uint64_t *u = kind == F_HANG ? m->hang_until :
			    kind == F_EIO_SPAN ? m->eio_until : m->slow_until;

			if (which != 2 && which != k)
				continue;
			if (u[k] < W->now + dur)
				u[k] = W->now + dur;
			if (kind == F_HANG)
				ev_push(u[k], EV_UNHANG, m, (uint64_t)k);
		}
		tr(m, "fault: %s of %s for %llu ms", fault_name[kind],
		    which == 2 ? "all paths" : which == 0 ? "the renewal path" :
		    "the ops path", (unsigned long long)(dur / MS));
		break;
	case F_PAUSE:
		if (m->inc == NULL || m->inc->ghost ||
		    W->now < m->suspended_until)
			return;
		if (m->inc->paused_until < W->now + dur)
			m->inc->paused_until = W->now + dur;
		tr(m, "fault: daemon stopped (SIGSTOP) for %llu ms",
		    (unsigned long long)(dur / MS));
		break;
	case F_SUSPEND:
		if (m->inc == NULL)
			return;
		if (m->suspended_until < W->now + dur)
			m->suspended_until = W->now + dur;
		ev_push(m->suspended_until, EV_RESUME, m, 0);
		tr(m, "fault: host frozen for %llu ms",
		    (unsigned long long)(dur / MS));
		break;
	case F_DCRASH:
		if (m->inc == NULL || W->now < m->suspended_until)
			return; /* a frozen host's processes do not die */
		daemon_crash(m);
		break;
	case F_HCRASH:
		if (m->inc == NULL)
			return;
		host_crash(m, F_HCRASH);
		break;
	case F_RESTART:
		if (m->inc == NULL || !m->inc->joined || m->inc->stop_req ||
		    W->now < m->suspended_until)
			return;
		tr(m, "fault: clean restart of the daemon");
		m->inc->stop_req = 1;
		if (m->inc->ops_c != NULL)
			coro_wake(m->inc->ops_c, W->now);
		break;
	}
	W->faults[kind]++;
}

static void
describe_slot(uint32_t slot, char *buf, size_t len)
{
	const struct lfs_layout *l = &W->tmpl->layout;
	uint32_t S = l->sector_size, id;
	const unsigned char *s = W->disk + lfs_slot_sector(l, slot) * S;
	struct lfs_leader ld;
	struct lfs_dblock db;
	size_t n;
	int r;

	r = lfs_leader_decode(&ld, s, S);
	if (r < 0)
		n = (size_t)snprintf(buf, len, "leader: %s", lfs_decode_strerror(r));
	else
		n = (size_t)snprintf(buf, len, "leader lver %llu owner %u gen %llu "
		    "writer %u", (unsigned long long)ld.lver, ld.owner_id,
		    (unsigned long long)ld.owner_gen, ld.writer_id);
	for (id = 1; id <= l->max_hosts && n < len; id++) {
		if (lfs_dblock_decode(&db, s + (size_t)(1 + id) * S, S) < 0)
			continue;
		n += (size_t)snprintf(buf + n, len - n, "; dblock%u lver %llu mbal "
		    "%llu bal %llu inp %u/%llu", id, (unsigned long long)db.lver,
		    (unsigned long long)db.mbal, (unsigned long long)db.bal,
		    db.inp_id, (unsigned long long)db.inp_gen);
	}
}

void
host_phase_ev(int phase)
{
	char desc[600];
	int k, j;

	if (W->tearing_down)
		return;
	if (phase == PH_DRAIN && W->phase == PH_FAULTS) {
		W->phase = PH_DRAIN;
		tr(NULL, "faults stop; healing");
		W->cfg.p_late = W->cfg.p_eio = W->cfg.p_eio_lands = 0;
		W->cfg.p_lost = W->cfg.p_split = W->cfg.p_stall = 0;
		W->cfg.p_submit_err = 0;
		W->cfg.p_tear = 0;
		for (j = 0; j < W->nm; j++) {
			struct machine *m = &W->m[j];

			for (k = 0; k < P_NPATH; k++) {
				if (m->hang_until[k] > W->now) {
					m->hang_until[k] = W->now;
					disk_unhang(m, k);
				}
				if (m->eio_until[k] > W->now)
					m->eio_until[k] = W->now;
				if (m->slow_until[k] > W->now)
					m->slow_until[k] = W->now;
			}
			if (m->suspended_until > W->now)
				m->suspended_until = W->now;
			if (m->inc != NULL) {
				m->inc->paused_until = 0;
				wake_all(m->inc);
			}
			if (m->g_active)
				guard_arm(m);
		}
		/* the probe starts once every I/O from the faulty time has
		 * landed (a late write could still break a lease) and a
		 * host_dead has passed; drain_ns at the latest */
		{
			uint64_t at = W->now + (uint64_t)W->to.host_dead_ms * MS;

			if (W->io_horizon > at)
				at = W->io_horizon;
			if (at > W->now + W->cfg.drain_ns)
				at = W->now + W->cfg.drain_ns;
			ev_push(at, EV_PHASE, NULL, PH_PROBE);
		}
	} else if (phase == PH_PROBE && W->phase == PH_DRAIN) {
		W->phase = PH_PROBE;
		tr(NULL, "liveness probe: every lease must be acquired by %s",
		    W->strict_probe ? "every serving host" : "someone");
		for (j = 0; j < W->nm; j++) {
			struct inc *i = W->m[j].inc;

			W->probe_seq[j] = i != NULL && !i->ghost && i->joined &&
			    !i->fenced && !i->stale && !i->stopping &&
			    !i->stop_req ? i->seq : 0;
		}
		ev_push(W->now + W->cfg.probe_ns, EV_PHASE, NULL, PH_END);
	} else if (phase == PH_END && W->phase == PH_PROBE) {
		for (k = 0; k < W->cfg.leases && !W->failed; k++) {
			if (W->probe_ok[k])
				continue;
			describe_slot(W->vm_ref[k].slot, desc, sizeof(desc));
			sim_fail("liveness: nobody could acquire vm%d in the %llu "
			    "ms after healing (+%llu ms drain); disk: %s", k + 1,
			    (unsigned long long)(W->cfg.probe_ns / MS),
			    (unsigned long long)(W->cfg.drain_ns / MS), desc);
		}
		for (k = 0; k < W->cfg.leases && !W->failed; k++)
			for (j = 0; j < W->nm && !W->failed; j++) {
				if (!probe_expects(&W->m[j]) || W->probe_by[k][j])
					continue;
				describe_slot(W->vm_ref[k].slot, desc, sizeof(desc));
				sim_fail("liveness: %s, serving all along, could not "
				    "acquire vm%d in the %llu ms after healing; "
				    "disk: %s", W->m[j].name, k + 1,
				    (unsigned long long)(W->cfg.probe_ns / MS),
				    desc);
			}
		if (!W->failed && W->cfg.p_names > 0 && !W->probe_table_ok) {
			describe_slot(0, desc, sizeof(desc));
			sim_fail("liveness: the name table lease could not be "
			    "taken after healing; disk: %s", desc);
		}
		if (!W->failed)
			check_final();
		W->phase = PH_END;
	}
}

void
machine_init(struct machine *m, int idx, uint32_t host_id)
{
	memset(m, 0, sizeof(*m));
	m->idx = idx;
	m->host_id = host_id;
	snprintf(m->name, sizeof(m->name), "m%d", idx + 1);
	m->clock.now_ns = clk_now;
	m->clock.sleep_ms = clk_sleep;
	m->clock.arg = m;
	m->clk_off = 1000ll * 1000000000ll;
}

void
host_setup_machines(void)
{
	const struct config *c = &W->cfg;
	int idx, b;

	W->nm = c->hosts + c->spares;
	for (idx = 0; idx < W->nm; idx++) {
		struct machine *m = &W->m[idx];

		machine_init(m, idx, idx < c->hosts ? (uint32_t)idx + 1 :
		    (uint32_t)rng_range(&W->rng, 1, (uint64_t)c->hosts));
		for (b = 0; b < 16; b++)
			m->identity[b] = (unsigned char)rng_next(&W->rng);
		m->clk_off = (int64_t)(1000 + rng_below(&W->rng, 1000)) *
		    1000000000ll;
		m->drift_ppm = c->drift_ppm > 0 ? (int)rng_range(&W->rng, 0,
		    2 * (uint64_t)c->drift_ppm) - c->drift_ppm : 0;
		m->start_pending = 1;
		/* staggered: machines come up one after the other in id
		 * order, each a new highest id for the hosts already up (the
		 * host view's high water, paxos.h invariant 4) */
		m->restart_at = c->staggered ? (uint64_t)idx *
		    c->start_spread_ns / (uint64_t)W->nm +
		    rng_below(&W->rng, c->start_spread_ns / (uint64_t)W->nm / 4 + 1) :
		    rng_below(&W->rng, c->start_spread_ns);
		ev_push(m->restart_at, EV_START, m, 0);
	}
}

void
host_teardown(void)
{
	int j;

	W->tearing_down = 1;
	for (j = 0; j < W->nm; j++) {
		struct machine *m = &W->m[j];

		m->g_active = 0;
		if (m->inc != NULL)
			kill_daemon(m->inc);
	}
	sched_drain_coros();
	disk_free_all();
}
