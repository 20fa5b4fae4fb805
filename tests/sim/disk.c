/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * disk.c - the simulated disk and the I/O tables of the simulated hosts.
 *
 * The disk is W->disk, an array of sectors.  Each I/O context of a host
 * (struct lfs_io) gets a struct path whose lfs_io_syscalls table replaces
 * libaio: submit records each iocb as a struct req and decides its fate
 * with the world's PRNG; the scheduler applies it to the disk at its land
 * time(s) and completes it at its completion time; getevents waits (the
 * calling coroutine blocks) until enough completions are there or the
 * caller's timeout has passed on its host's clock.
 *
 * What the kernel could do, and so what this does:
 *   - a sector write is atomic against other writes; a multi-sector I/O
 *     may land in two pieces at two different times (reads sample each
 *     piece when it lands);
 *   - a sector write is not atomic against reads where a page cache is
 *     under the device (NFS, a file-backed export: leasefs(8), "What the
 *     storage must promise"): a read that samples a sector while a write
 *     of it is being copied in, that is within SIM_TEAR_WINDOW_NS before
 *     that write lands, may see its first bytes new and the rest old
 *     (cfg.p_tear, F_TEAR; never a mix that equals the old or the new
 *     sector, which would be no tear or the write seen before it landed);
 *   - a write lands at some time between its submit and its completion;
 *     a late I/O completes after the caller gave up (-ETIMEDOUT) and its
 *     write may land then, also after its host crashed and restarted;
 *   - the storage promise (leasefs(8), "What the storage must promise"):
 *     no I/O is held longer than host_dead - renewal_fail + io (5 io)
 *     after its submit: a late write lands anywhere up to that bound, the
 *     bound itself included, and a hung path gives an I/O up (EIO, landed
 *     or not) at the bound.  This is the default.  --late-beyond-promise
 *     (cfg.beyond) breaks the promise on purpose: late writes land up to 3
 *     host_dead late and hangs hold I/O for as long as they last, which
 *     is outside the design (findings there say what the promise buys);
 *   - an I/O may fail with EIO (a failed write may still have landed), a
 *     late write may never land, io_submit may refuse;
 *   - a hung path keeps every I/O until the hang ends; then each lands (or
 *     is lost) and completes;
 *   - completions come in any order; a thread may stall before a submit
 *     or after a completion (descheduled).
 * The data of a write is copied at submit and that of a read handed to the
 * caller's buffer at getevents, so a buffer freed by a crashed host's
 * unwinding is never touched.
 *
 * Without a running coroutine (the setup in main.c) the disk is instant:
 * every I/O is done at submit.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

static char ring_token;

static int
sim_setup(int maxevents, io_context_t *ctx)
{
	(void)maxevents;
	*ctx = (io_context_t)(void *)&ring_token;
	return 0;
}

static int
sim_destroy(io_context_t ctx)
{
	(void)ctx;
	return 0;
}

static uint32_t
sector_size(void)
{
	return W->tmpl->layout.sector_size;
}

/* ---- names of sectors, for the trace ---- */

const char *
disk_where(uint64_t off, char *buf, size_t len)
{
	const struct lfs_layout *l = &W->tmpl->layout;
	uint64_t s = off / l->sector_size, k, in;

	if (s == 0)
		snprintf(buf, len, "header");
	else if (s < l->name_table)
		snprintf(buf, len, "host%llu", (unsigned long long)(s -
		    l->host_area + 1));
	else if (s < l->lease_area)
		snprintf(buf, len, "names+%llu", (unsigned long long)(s -
		    l->name_table));
	else {
		k = (s - l->lease_area) / l->slot_sectors;
		in = (s - l->lease_area) % l->slot_sectors;
		if (in == 0)
			snprintf(buf, len, "slot%llu.leader", (unsigned long long)k);
		else if (in == 1)
			snprintf(buf, len, "slot%llu.request",
			    (unsigned long long)k);
		else if (in == l->slot_sectors - 1)
			snprintf(buf, len, "slot%llu.value",
			    (unsigned long long)k);
		else
			snprintf(buf, len, "slot%llu.dblock%llu",
			    (unsigned long long)k, (unsigned long long)(in - 1));
	}
	return buf;
}

static void
tr_io(const struct req *r, const char *what)
{
	char where[48];

	if (W->trace < TR_IO)
		return;
	tr(r->m, "  io#%llu %s %s %s x%zu (%s)%s", (unsigned long long)r->id,
	    what, r->write ? "W" : "R", disk_where(r->off, where, sizeof(where)),
	    r->len / sector_size(), r->kind == P_RENEW ? "renew" : "ops",
	    r->orphan ? " orphan" : "");
}

/* ---- req life ---- */

static void
out_unlink(struct path *p, struct req *r)
{
	if (r->oprev != NULL)
		r->oprev->onext = r->onext;
	else
		p->out = r->onext;
	if (r->onext != NULL)
		r->onext->oprev = r->oprev;
	r->oprev = r->onext = NULL;
}

static void
req_maybe_free(struct req *r)
{
	if (!(r->handed || r->orphan) || !r->completed || r->pieces > 0 ||
	    r->expiring)
		return;
	if (r->gprev != NULL)
		r->gprev->gnext = r->gnext;
	else
		W->reqs = r->gnext;
	if (r->gnext != NULL)
		r->gnext->gprev = r->gprev;
	free(r->data);
	free(r);
}

void
disk_free_all(void)
{
	struct req *r, *n;

	for (r = W->reqs; r != NULL; r = n) {
		n = r->gnext;
		free(r->data);
		free(r);
	}
	W->reqs = NULL;
}

/* The data for sector s of a write that has not put it on the disk yet
 * and will within SIM_TEAR_WINDOW_NS of now, or NULL. */
static const unsigned char *
landing_soon(uint64_t s)
{
	uint32_t S = sector_size();
	struct req *w;
	uint64_t first;
	int piece;

	for (w = W->reqs; w != NULL; w = w->gnext) {
		first = w->off / S;
		if (!w->write || !w->lands || s < first || s >= first + w->len / S)
			continue;
		piece = w->split > 0 && s - first >= w->split;
		if (w->landed[piece] || w->t_land[piece] < W->now ||
		    w->t_land[piece] > W->now + SIM_TEAR_WINDOW_NS)
			continue;
		return w->data + (s - first) * S;
	}
	return NULL;
}

/* Sectors [a, b) of read r, just copied from the disk: tear those that a
 * write is being copied into (the model, above).  The copy runs from the
 * first byte up in 8-byte steps, so the first cut bytes are new. */
static void
tear_read(struct req *r, uint64_t a, uint64_t b)
{
	uint32_t S = sector_size(), cut;
	uint64_t s, first = r->off / S;
	const unsigned char *fresh;
	unsigned char *out;

	if (W->cfg.p_tear == 0 || W->tearing_down)
		return;
	for (s = first + a; s < first + b; s++) {
		if ((fresh = landing_soon(s)) == NULL ||
		    !rng_ppm(&W->tear_rng, W->cfg.p_tear))
			continue;
		out = r->data + (s - first) * S;
		cut = 8 * (uint32_t)rng_range(&W->tear_rng, 1, S / 8 - 1);
		if (memcmp(out, fresh, cut) == 0 ||
		    memcmp(out + cut, fresh + cut, S - cut) == 0)
			continue; /* all old, or all new before it landed */
		memcpy(out, fresh, cut);
		W->faults[F_TEAR]++;
		tr_io(r, "reads torn");
	}
}

/* Apply piece (0 or 1) of r to the disk. */
static void
apply(struct req *r, int piece)
{
	const struct lfs_layout *l = &W->tmpl->layout;
	uint32_t S = sector_size();
	uint64_t nsec = r->len / S, a = 0, b = nsec, s;
	unsigned char *d;

	if (r->split > 0) {
		if (piece == 0)
			b = r->split;
		else
			a = r->split;
	}
	d = W->disk + r->off + a * S;
	if (r->write) {
		memcpy(d, r->data + a * S, (b - a) * S);
		/* the checker's record of every leader the disk has held */
		for (s = r->off / S + a; s < r->off / S + b; s++) {
			struct lfs_leader ld;

			if (s < l->lease_area ||
			    (s - l->lease_area) % l->slot_sectors != 0)
				continue;
			if (lfs_leader_decode(&ld, W->disk + s * S, S) == 0)
				check_leader_landed((uint32_t)((s - l->lease_area) /
				    l->slot_sectors), &ld);
		}
	} else if (!r->orphan) {
		memcpy(r->data + a * S, d, (b - a) * S);
		tear_read(r, a, b);
	}
}

void
disk_land_ev(struct req *r, int piece)
{
	if (!W->tearing_down && (r->write || !r->orphan)) {
		if (r->write && !W->cfg.beyond &&
		    W->now > r->t_submit + disk_promise_ns())
			sim_fail("model: io#%llu lands %llu ns past the storage "
			    "promise", (unsigned long long)r->id,
			    (unsigned long long)(W->now - r->t_submit -
			    disk_promise_ns()));
		apply(r, piece);
		tr_io(r, r->split ? (piece ? "lands(2/2)" : "lands(1/2)") : "lands");
	}
	r->landed[piece] = 1;
	r->pieces--;
	req_maybe_free(r);
}

static void
ready_push(struct path *p, struct req *r)
{
	r->rnext = NULL;
	*p->ready_tail = r;
	p->ready_tail = &r->rnext;
	p->nready++;
}

void
disk_complete_ev(struct req *r)
{
	struct path *p;

	r->completed = 1;
	if (r->orphan) {
		req_maybe_free(r);
		return;
	}
	p = r->path;
	ready_push(p, r);
	if (W->trace >= TR_IO) {
		char what[40];

		snprintf(what, sizeof(what), "completes %ld", r->res);
		tr_io(r, what);
	}
	if (p->waiter != NULL && p->nready >= p->want)
		coro_wake(p->waiter, W->now);
}

uint64_t
disk_promise_ns(void)
{
	const struct lfs_timeouts *t = &W->to;

	return ((uint64_t)t->host_dead_ms - t->renewal_fail_ms +
	    t->io_timeout_ms) * MS;
}

/* When (after now, within lat) a piece of r lands.  A late write lands
 * exactly at its completion a quarter of the time (with the promise, that
 * is up to the bound itself: the edge the core's waits must cover) and at
 * once an eighth of the time. */
static uint64_t
land_delay(const struct req *r, uint64_t lat)
{
	if (r->late) {
		uint64_t k = rng_below(&W->rng, 8);

		if (k < 2)
			return lat;
		if (k == 2)
			return 0;
	}
	return rng_below(&W->rng, lat + 1);
}

/* Schedule r's landing (if it lands) somewhere in [now, now + lat] and its
 * completion at now + lat. */
static void
schedule(struct req *r, uint64_t lat)
{
	const struct config *c = &W->cfg;
	uint32_t S = sector_size();
	uint64_t nsec = r->len / S;

	r->pieces = 0;
	if (r->lands) {
		if (nsec > 1 && rng_ppm(&W->rng, c->p_split)) {
			r->split = (uint32_t)rng_range(&W->rng, 1, nsec - 1);
			W->faults[F_SPLIT]++;
			r->pieces = 2;
			r->t_land[0] = W->now + land_delay(r, lat);
			r->t_land[1] = W->now + land_delay(r, lat);
			ev_push(r->t_land[0], EV_LAND, r, 0);
			ev_push(r->t_land[1], EV_LAND, r, 1);
		} else {
			r->pieces = 1;
			r->t_land[0] = W->now + land_delay(r, lat);
			ev_push(r->t_land[0], EV_LAND, r, 0);
		}
	}
	ev_push(W->now + lat, EV_COMPLETE, r, 0);
	if (W->now + lat > W->io_horizon)
		W->io_horizon = W->now + lat; /* nothing lands after this */
}

static void
fate(struct req *r)
{
	const struct config *c = &W->cfg;
	struct machine *m = r->m;
	int k = r->kind, eio, late;
	uint64_t io = (uint64_t)W->to.io_timeout_ms * MS, lat;

	if (W->now < m->hang_until[k]) {
		r->hung = 1;
		r->hnext = m->hung;
		m->hung = r;
		if (!c->beyond) {
			/* the promise: the stack gives it up at the bound */
			r->expiring = 1;
			ev_push(r->t_submit + disk_promise_ns(), EV_EXPIRE, r, 0);
		}
		return;
	}
	lat = rng_logu(&W->rng, 20000, c->lat_max_ns);
	if (W->now < m->slow_until[k])
		lat = rng_range(&W->rng, io / 2, 3 * io); /* within the promise */
	late = rng_ppm(&W->rng, c->p_late);
	if (late) {
		r->late = 1;
		W->faults[F_LATE]++;
		if (c->beyond) {
			lat = io + rng_logu(&W->rng, MS, c->late_max_ns);
		} else {
			/* completes in [io, bound], the bound included: edges
			 * an eighth of the time each, else half uniform (the
			 * whole range) and half log-uniform (just past io) */
			uint64_t span = disk_promise_ns() - io;

			switch (rng_below(&W->rng, 8)) {
			case 0: lat = io + span; break;
			case 1: lat = io; break;
			case 2: case 3: case 4:
				lat = io + rng_logu(&W->rng, 1000, span); break;
			default: lat = io + rng_range(&W->rng, 0, span); break;
			}
		}
	}
	eio = W->now < m->eio_until[k];
	if (!eio && rng_ppm(&W->rng, c->p_eio)) {
		eio = 1;
		W->faults[F_EIO]++;
	}
	if (eio) {
		r->res = -EIO;
		r->lands = r->write && rng_ppm(&W->rng, c->p_eio_lands);
		if (r->lands)
			W->faults[F_EIO_LANDED]++;
	} else if (late && r->write && rng_ppm(&W->rng, c->p_lost)) {
		r->res = -EIO;
		r->lands = 0;
		W->faults[F_LOST_WRITE]++;
	} else {
		r->res = (long)r->len;
		r->lands = 1;
	}
	schedule(r, lat);
}

/* The promise's bound passed for a hung I/O (set in fate): if the hang
 * still holds it, the stack gives it up now: EIO, and a write may have
 * reached the disk (half of them, landing at the bound itself). */
void
disk_expire_ev(struct req *r)
{
	struct req **pp;

	r->expiring = 0;
	if (r->hung && !W->tearing_down) {
		for (pp = &r->m->hung; *pp != NULL && *pp != r; pp = &(*pp)->hnext)
			;
		if (*pp == r)
			*pp = r->hnext;
		r->hung = 0;
		r->res = -EIO;
		r->lands = r->write && rng_below(&W->rng, 2) == 0;
		schedule(r, 0);
		return;
	}
	req_maybe_free(r);
}

/* A hang of m's paths of kind ended: what it held lands (or is lost) and
 * completes, over the next few ms. */
void
disk_unhang(struct machine *m, int kind)
{
	struct req **pp = &m->hung, *r;
	uint64_t lat;

	if (W->now < m->hang_until[kind])
		return; /* extended meanwhile */
	while ((r = *pp) != NULL) {
		if (r->kind != kind) {
			pp = &r->hnext;
			continue;
		}
		*pp = r->hnext;
		r->hung = 0;
		if (!W->tearing_down && rng_below(&W->rng, 4) == 0) {
			r->res = -EIO;
			r->lands = 0;
		} else {
			r->res = (long)r->len;
			r->lands = 1;
		}
		lat = rng_logu(&W->rng, 20000, 5 * MS);
		/* the promise: by the bound (EV_EXPIRE has not fired, or it
		 * would no longer be hung, so the bound is not past) */
		if (!W->cfg.beyond && W->now + lat > r->t_submit +
		    disk_promise_ns())
			lat = r->t_submit + disk_promise_ns() - W->now;
		schedule(r, lat);
	}
}

/* ---- the table ---- */

static int
has_write(long nr, struct iocb **iocbs)
{
	long i;

	for (i = 0; i < nr; i++)
		if (iocbs[i]->aio_lio_opcode == IO_CMD_PWRITE)
			return 1;
	return 0;
}

static int
sim_submit(void *arg, io_context_t ctx, long nr, struct iocb **iocbs)
{
	struct path *p = arg;
	struct inc *inc = p->inc;
	const struct config *c = &W->cfg;
	int instant = sim_cur == NULL;
	long i;

	(void)ctx;
	/* the stall lands between the caller's last check (a write's
	 * freshness: paxos.c live_generation, leases.c
	 * fresh_for_unguarded_write) and the kernel's queueing, as a
	 * preemption or a SIGSTOP there would; --atomic-submit leaves it out
	 * before writes (README, C12), not before reads, whose timing is
	 * checked after they complete */
	if (!instant && !inc->ghost && !(c->atomic_submit &&
	    has_write(nr, iocbs)) && rng_ppm(&W->rng, c->p_stall)) {
		uint64_t ns = rng_logu(&W->rng, 10000, c->stall_max_ns);

		W->faults[F_STALL]++;
		if (ns >= MS)
			tr(p->m, "thread stalls %.1f ms before a submit (%s)",
			    (double)ns / (double)MS, p->kind == P_RENEW ?
			    "renewal" : "ops");
		coro_sleep_ns(ns);
	}
	if (!instant && !inc->ghost && rng_ppm(&W->rng, c->p_submit_err)) {
		W->faults[F_SUBMIT_ERR]++;
		return -EIO;
	}
	for (i = 0; i < nr; i++) {
		struct iocb *cb = iocbs[i];
		struct req *r = calloc(1, sizeof(*r));

		if (r == NULL)
			abort();
		r->path = p;
		r->m = p->m;
		r->kind = p->kind;
		r->cb = cb;
		r->id = W->next_req++;
		r->write = cb->aio_lio_opcode == IO_CMD_PWRITE;
		r->off = (uint64_t)cb->u.c.offset;
		r->len = cb->u.c.nbytes;
		r->t_submit = W->now;
		if (r->off + r->len > W->disk_bytes)
			abort(); /* the core stays inside the lockspace */
		r->data = malloc(r->len);
		if (r->data == NULL)
			abort();
		if (r->write)
			memcpy(r->data, cb->u.c.buf, r->len);
		r->gnext = W->reqs;
		if (W->reqs != NULL)
			W->reqs->gprev = r;
		W->reqs = r;
		r->onext = p->out;
		if (p->out != NULL)
			p->out->oprev = r;
		p->out = r;
		W->ios++;
		tr_io(r, "submit");
		if (inc->ghost) {
			/* a dead host's I/O reaches nothing */
			r->res = -EIO;
			r->completed = 1;
			ready_push(p, r);
		} else if (instant) {
			r->lands = 1;
			r->pieces = 1;
			apply(r, 0);
			r->pieces = 0;
			r->res = (long)r->len;
			r->completed = 1;
			ready_push(p, r);
		} else {
			fate(r);
		}
	}
	return (int)nr;
}

static void
hand_out(struct path *p, struct req *r, struct io_event *ev)
{
	ev->data = r->cb->data;
	ev->obj = r->cb;
	ev->res = (unsigned long)r->res;
	ev->res2 = 0;
	if (!r->write && r->completed && r->res == (long)r->len)
		memcpy(r->cb->u.c.buf, r->data, r->len);
	r->handed = 1;
	out_unlink(p, r);
}

/* A ghost (its host crashed) gets everything at once: what completed, and
 * the rest as failed; the rest may still land (writes) but is no longer
 * anyone's. */
static int
ghost_events(struct path *p, long nr, struct io_event *events)
{
	struct req *r, *n, **pp;
	int k = 0;

	for (r = p->out; r != NULL && k < nr; r = n) {
		n = r->onext;
		if (!r->completed) {
			r->orphan = 1;
			r->res = -EIO;
		}
		hand_out(p, r, &events[k++]);
	}
	/* the ready FIFO keeps only what was not handed out */
	pp = &p->ready;
	p->nready = 0;
	while ((r = *pp) != NULL) {
		if (r->handed) {
			*pp = r->rnext;
			req_maybe_free(r);
		} else {
			pp = &r->rnext;
			p->nready++;
		}
	}
	p->ready_tail = pp;
	return k;
}

static int
sim_getevents(void *arg, io_context_t ctx, long min_nr, long nr,
    struct io_event *events, struct timespec *timeout)
{
	struct path *p = arg;
	struct inc *inc = p->inc;
	struct machine *m = p->m;
	uint64_t deadline = SIM_INF, tns;
	struct req *r;
	int k = 0;

	(void)ctx;
	if (timeout != NULL) {
		tns = (uint64_t)timeout->tv_sec * 1000000000ull +
		    (uint64_t)timeout->tv_nsec;
		deadline = tns == 0 ? W->now :
		    m_global_at_local(m, m_local_ns(m) + tns);
	}
	if (sim_cur != NULL) {
		while (!inc->ghost && p->nready < min_nr && W->now < deadline) {
			p->waiter = sim_cur;
			p->want = min_nr;
			if (deadline != SIM_INF)
				coro_wake(sim_cur, deadline);
			else
				sim_cur->tok++; /* no deadline: only a completion */
			coro_block();
			p->waiter = NULL;
		}
		if (inc->ghost)
			return ghost_events(p, nr, events);
		if (deadline != W->now && rng_ppm(&W->rng, W->cfg.p_stall)) {
			uint64_t ns = rng_logu(&W->rng, 10000,
			    W->cfg.stall_max_ns);

			W->faults[F_STALL]++;
			if (ns >= MS)
				tr(m, "thread stalls %.1f ms after an I/O returned "
				    "(%s)", (double)ns / (double)MS,
				    p->kind == P_RENEW ? "renewal" : "ops");
			coro_sleep_ns(ns);
			if (inc->ghost)
				return ghost_events(p, nr, events);
		}
	}
	while (k < nr && (r = p->ready) != NULL) {
		p->ready = r->rnext;
		if (p->ready == NULL)
			p->ready_tail = &p->ready;
		p->nready--;
		hand_out(p, r, &events[k++]);
		req_maybe_free(r);
	}
	return k;
}

void
disk_path_init(struct path *p, struct inc *inc, int kind)
{
	memset(p, 0, sizeof(*p));
	p->inc = inc;
	p->m = inc->m;
	p->kind = kind;
	p->ready_tail = &p->ready;
	p->sys.setup = sim_setup;
	p->sys.destroy = sim_destroy;
	p->sys.submit = sim_submit;
	p->sys.getevents = sim_getevents;
	p->sys.arg = p;
	p->sys.clock = &inc->m->clock;
}
