/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * delta.c - delta leases: joining, renewing and leaving a host id (delta.h).
 *
 * Join, after Chockler and Malkhi:
 *
 *   1. read the host area; our sector is
 *        empty or FREE           -> take it now;
 *        our own identity        -> our previous incarnation: watch it as
 *                                   below, but a change (a write of that
 *                                   incarnation landing late) starts the
 *                                   watch again instead of -EBUSY;
 *        another identity        -> watch it; any change means the id is in
 *                                   use (-EBUSY); no change for host_dead
 *                                   means its holder is dead: take it.
 *   2. write our record (next generation), submitted within io_timeout of
 *      the read in 1 that found the sector takeable, else start over;
 *   3. wait join_delay after the write completed;
 *   4. read the sector again: our identity and generation -> joined;
 *      our identity, an older generation -> a late write of our previous
 *      incarnation: start over at 1;
 *      anything else -> a racing joiner wrote last: -EAGAIN.
 *
 * Why 3 is enough: a racer R that found the sector takeable read it before
 * our write landed, so before our write completed (time c).  R submits its
 * write within io_timeout of that read and the write lands within another
 * io_timeout, so by c + 2 io_timeout = c + join_delay it has landed and our
 * read in 4 sees it.  Of two racers only the last writer reads itself back.
 *
 * Why a previous incarnation is watched for host_dead, like a stranger (the
 * simulator's findings C6 and C8).  Every incarnation of a host id writes
 * the same sectors: the record, and its dblock in every lease.  A write of
 * an earlier incarnation that lands over a later one's puts an old block
 * back: a ballot of another host then misses the value the later one
 * accepted, and two values are chosen.  So a new incarnation may write only
 * once no write of an earlier one can still land.  Let L be the submit time
 * of the earlier incarnation's last good renewal; the last change we see of
 * its record is at or after L, or we are that incarnation (an in-process
 * rejoin) and take L from ls->renewed_ms.
 *
 *   <  L + renewal_fail      its last lease write is submitted (paxos.c and
 *                            leases.c refuse later ones; a crash only
 *                            stops them sooner)
 *   <= L + host_dead + io    that write, or a renewal write given up, has
 *                            landed (the storage promise: 5 io after
 *                            submission, timeouts.h lfs_late_write_ms)
 *   >= L + host_dead         our write in 2 (unchanged for host_dead)
 *   >= L + host_dead + 2 io  our read in 4: a late write of the old record
 *                            has landed by then and sends us back to 1
 *   >= L + host_dead + 2 io  our first dblock write (after join_delay)
 *
 * Slack: io between the last old landing and our first dblock write.  The
 * same wait covers the holders of the earlier incarnation: its fencing
 * (the guard's, if the daemon crashed) has them dead by L + host_dead
 * (timeouts.c), before any host may see our new generation and treat the
 * old one's leases as dead.  A FREE record needs no wait: the leave that
 * wrote it waited out every write of its incarnation first (lfs_delta_leave).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "delta.h"
#include "notice.h"

static uint64_t
sector_offset(const struct lfs_lockspace *ls, uint32_t host_id)
{
	return lfs_host_sector(&ls->layout, host_id) * ls->layout.sector_size;
}

/* The second writer of our host sector is lfs_delta_notice(), from another
 * thread than renewals; only with notices on is there one (a simulated
 * host runs its threads as coroutines on one thread, and never posts). */
static void
host_write_lock(struct lfs_lockspace *ls)
{
	if (ls->notice_on)
		pthread_mutex_lock(&ls->host_write_lock);
}

static void
host_write_unlock(struct lfs_lockspace *ls)
{
	if (ls->notice_on)
		pthread_mutex_unlock(&ls->host_write_lock);
}

/*
 * A renewal is written only while our generation lives (since our last
 * good renewal < renewal_fail), checked inside the renewal gate right
 * before its submit (lockspace.h renew_gate).  Why: from renewed +
 * host_dead a host may take our id and join; its join reads its record
 * back after join_delay (2 io) and gives up if a write of ours landed over
 * it.  A renewal submitted before renewed + renewal_fail + io/10 (the
 * guard closes the gate at renewal_fail and kills a daemon still inside
 * after io/10) lands by renewed + host_dead + io + io/10 (the storage
 * promise, 5 io), before that read-back at host_dead + 2 io.  Slack: 0.9
 * io.  A renewal later than that (the renewal thread stalled or the daemon
 * stopped between the window read and the write) landed over the joiner's
 * record after its check: two incarnations with one generation, and both
 * held a lease (the simulator's seed 8207).
 */
static int
renewal_in_time(struct lfs_lockspace *ls)
{
	uint64_t since = lfs_delta_since_renewal_ms(ls);

	if (lfs_delta_generation_live(ls) == 0)
		return 0;
	lfs_log(ls->log, LOG_ERR, "not writing a renewal %llu ms after the last "
	    "good one: generation %llu is finished (renewal_fail %u ms)",
	    (unsigned long long)since, (unsigned long long)ls->generation,
	    ls->to.renewal_fail_ms);
	return -ETIMEDOUT;
}

/* Until when a write of ours that failed or timed out may still land (the
 * storage promise: lfs_late_write_ms(), at most 5 io, after its submit);
 * 0 when none failed. */
static uint64_t
late_writes_until_ms(struct lfs_lockspace *ls)
{
	uint64_t at;

	pthread_mutex_lock(&ls->view_lock);
	at = ls->uncertain_write_ms;
	pthread_mutex_unlock(&ls->view_lock);
	return at == 0 ? 0 : at + lfs_late_write_ms(&ls->to);
}

static int
late_write_possible(struct lfs_lockspace *ls)
{
	return lfs_clock_ms(ls->clock) < late_writes_until_ms(ls);
}

/*
 * The bits of a write of our sector that completed at done_ms are now on
 * disk for good: from done_ms + join_delay our dblock writes in their
 * buckets may begin (paxos.h invariant 4a).  Called only for a write that
 * no older write without those bits can land over: one encoded while no
 * other write of our sector was between encode and completion, and while
 * no failed write of ours could still land (write_record_checked()), or
 * the join's (whose read-back, 2 io later, sees any late write land).
 * Called with host_write_lock.
 */
static void
presence_published(struct lfs_lockspace *ls, const struct lfs_presence *sent,
    uint64_t done_ms)
{
	uint32_t b;

	for (b = 0; b < LFS_PRESENCE_BUCKETS; b++)
		if (lfs_presence_has(sent, b) &&
		    atomic_load(&ls->presence_ready_ms[b]) == 0)
			atomic_store(&ls->presence_ready_ms[b],
			    done_ms + ls->to.join_delay_ms);
}

/* Our record, with notices on our notice after it, and our presence last,
 * as one sector; with check, written only while check says 0, checked
 * inside gate (lockspace.h).  Called with host_write_lock
 * (host_write_lock()). */
static int
write_record_checked(struct lfs_lockspace *ls, struct lfs_io *io,
    uint32_t flags, int (*check)(struct lfs_lockspace *ls),
    const struct lfs_submit_gate *gate)
{
	struct lfs_host rec = { .host_id = ls->host_id };
	uint32_t S = ls->layout.sector_size;
	struct lfs_presence sent;
	unsigned char *buf;
	int rv, alone;

	buf = malloc(S);
	if (buf == NULL)
		return -ENOMEM;
	rec.flags = flags;
	rec.generation = ls->generation;
	rec.timestamp = ls->renew_count;
	rec.wall_time = (uint64_t)time(NULL);
	rec.io_timeout_ms = ls->to.io_timeout_ms;
	uuid_copy(rec.identity, ls->identity);
	strcpy(rec.name, ls->host_name);
	rv = lfs_host_encode(&rec, buf, S);
	if (rv == 0 && ls->notice_on)
		rv = lfs_notice_encode(&ls->notice, buf, S);
	ls->presence.host_id = ls->host_id;
	sent = ls->presence;
	if (rv == 0)
		rv = lfs_presence_encode(&sent, buf, S);
	/* from the encode on, this write counts as busy: one encoded beside
	 * it (the simulator's coroutines have no host_write_lock) publishes
	 * nothing, since this one, without its bits, may land after it */
	alone = atomic_fetch_add(&ls->host_writes_busy, 1) == 0 &&
	    !late_write_possible(ls);
	if (rv == 0 && check != NULL)
		rv = lfs_lockspace_write_gated(ls, io,
		    sector_offset(ls, ls->host_id), buf, S, check, gate);
	else if (rv == 0)
		rv = lfs_lockspace_write(ls, io, sector_offset(ls, ls->host_id),
		    buf, S);
	if (rv == 0 && alone)
		presence_published(ls, &sent, lfs_clock_ms(ls->clock));
	atomic_fetch_sub(&ls->host_writes_busy, 1);
	free(buf);
	return rv;
}

/* Joins, renewals and the leave: unchecked (delta.c's own timeline). */
static int
write_record(struct lfs_lockspace *ls, struct lfs_io *io, uint32_t flags)
{
	return write_record_checked(ls, io, flags, NULL, NULL);
}

/* Read our sector alone.  0 and *rec, -ENODATA when empty, or an error. */
static int
read_own(struct lfs_lockspace *ls, struct lfs_io *io, uint32_t host_id,
    struct lfs_host *rec)
{
	uint32_t S = ls->layout.sector_size;
	unsigned char *buf;
	int rv;

	buf = malloc(S);
	if (buf == NULL)
		return -ENOMEM;
	rv = lfs_io_read(io, sector_offset(ls, host_id), buf, S);
	if (rv == 0)
		rv = lfs_host_decode(rec, buf, S);
	free(buf);
	return rv;
}

/* Sleep ms in short steps, asking should_stop between them. */
static int
wait_ms(struct lfs_lockspace *ls, const struct lfs_join_params *p, uint32_t ms)
{
	const uint32_t step = 100;

	while (ms > 0) {
		uint32_t n = ms < step ? ms : step;

		if (p->should_stop != NULL && p->should_stop(p->arg))
			return -EINTR;
		lfs_clock_sleep(ls->clock, n);
		ms -= n;
	}
	return 0;
}

static void
watch_log(struct lfs_lockspace *ls, uint32_t host_id,
    const struct lfs_host_view *v, int own)
{
	if (own)
		lfs_log(ls->log, LOG_NOTICE, "host id %u was ours until "
		    "generation %llu: waiting host_dead (%u ms) for that "
		    "incarnation's writes and holders to end", host_id,
		    (unsigned long long)v->rec.generation, ls->to.host_dead_ms);
	else
		lfs_log(ls->log, LOG_INFO, "host id %u belongs to %s; waiting "
		    "to see whether it is alive", host_id,
		    v->corrupt ? "an unreadable record" : v->rec.name);
}

/*
 * Step 1: wait until our sector may be taken.  On success *prev is the
 * record (or zeroed when empty) and *read_ms the submit time of the read
 * that found it takeable.
 */
static int
wait_takeable(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_join_params *p, struct lfs_host_view *prev,
    uint64_t *read_ms)
{
	uint64_t first_change = 0, own_renewed = 0, left;
	int rv, own;

	/* rejoining in-process: our own last renewal may be later than the
	 * last change our view saw of our record (the view reads before we
	 * write) */
	if (ls->host_id == p->host_id && uuid_compare(ls->identity,
	    p->identity) == 0)
		own_renewed = ls->renewed_ms;
	for (;;) {
		*read_ms = lfs_clock_ms(ls->clock);
		if ((rv = lfs_hosts_refresh(ls, io)) < 0)
			return rv;
		if (lfs_host_get(ls, p->host_id, prev) < 0) {
			memset(prev, 0, sizeof(*prev));
			return 0; /* never used */
		}
		own = !prev->corrupt &&
		    uuid_compare(prev->rec.identity, p->identity) == 0;
		if (!prev->corrupt && (prev->rec.flags & LFS_HOST_FREE))
			return 0;
		if (own && own_renewed != 0) {
			/* we are that incarnation: we know L, and a change is
			 * only a write of ours landing (our view lags our own
			 * writes), all of which land by L + host_dead + io */
			if (*read_ms >= own_renewed + ls->to.host_dead_ms)
				return 0;
			if (first_change == 0)
				watch_log(ls, p->host_id, prev, own);
			first_change = 1;
			left = own_renewed + ls->to.host_dead_ms - *read_ms;
			if ((rv = wait_ms(ls, p, left < ls->to.renewal_interval_ms ?
			    (uint32_t)left : ls->to.renewal_interval_ms)) < 0)
				return rv;
			continue;
		}
		/* a corrupt record: unknown owner, wait as for a stranger */
		if (lfs_host_state(ls, p->host_id, 0) == LFS_HOST_STATE_DEAD)
			return 0;
		if (first_change == 0) {
			first_change = prev->changed_ms;
			watch_log(ls, p->host_id, prev, own);
		} else if (prev->changed_ms != first_change) {
			if (!own)
				return -EBUSY; /* it renews: someone holds this id */
			lfs_log(ls->log, LOG_WARNING, "host id %u: a write of our "
			    "previous incarnation landed late; waiting host_dead "
			    "again", p->host_id);
			first_change = prev->changed_ms;
		}
		if ((rv = wait_ms(ls, p, ls->to.renewal_interval_ms)) < 0)
			return rv;
	}
}

/*
 * The presence our join writes (paxos.h invariant 4a): every bit the
 * sector showed, whoever wrote it (the dblocks are the id's, not the
 * identity's), and every bit of ours from an earlier generation in this
 * process; every bit when the sector holds a record whose presence does
 * not decode (an older writer, or damage: we cannot know where its
 * dblocks are), or when presence is not lazy.  Nothing is published
 * until this join's read-back: ready times start again.  With
 * host_write_lock.
 */
static void
carry_presence(struct lfs_lockspace *ls, const struct lfs_host_view *prev)
{
	uint32_t i;

	if (ls->presence.host_id != ls->host_id)
		memset(&ls->presence, 0, sizeof(ls->presence));
	if (!ls->presence_lazy || (prev->valid && (prev->corrupt ||
	    !prev->presence_known)))
		memset(ls->presence.bits, 0xff, sizeof(ls->presence.bits));
	else if (prev->valid)
		for (i = 0; i < sizeof(ls->presence.bits); i++)
			ls->presence.bits[i] |= prev->presence.bits[i];
	ls->presence.host_id = ls->host_id;
	for (i = 0; i < LFS_PRESENCE_BUCKETS; i++)
		atomic_store(&ls->presence_ready_ms[i], 0);
}

int
lfs_delta_join(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_join_params *p)
{
	struct lfs_host_view prev;
	struct lfs_host check;
	struct lfs_presence sent;
	uint64_t read_ms, submit_ms, done_ms, min_gen = p->min_generation;
	int rv;

	if (p->host_id == 0 || p->host_id > ls->layout.max_hosts)
		return -EINVAL;
again:
	do {
		rv = wait_takeable(ls, io, p, &prev, &read_ms);
		if (rv < 0)
			return rv;
		/* the write must follow the read within io_timeout (step 2) */
	} while (lfs_clock_ms(ls->clock) - read_ms >= ls->to.io_timeout_ms);

	ls->host_id = p->host_id;
	/* one past what the disk shows, and never below what we remember */
	ls->generation = prev.valid && !prev.corrupt ? prev.rec.generation + 1 : 1;
	if (ls->generation < min_gen)
		ls->generation = min_gen;
	ls->renew_count = 1;
	uuid_copy(ls->identity, p->identity);
	snprintf(ls->host_name, sizeof(ls->host_name), "%s", p->host_name);
	/* a new generation's notices count from 0 (notice.h) */
	memset(&ls->notice, 0, sizeof(ls->notice));
	ls->notice.host_id = ls->host_id;
	ls->notice.generation = ls->generation;
	submit_ms = lfs_clock_ms(ls->clock);
	host_write_lock(ls);
	carry_presence(ls, &prev);
	sent = ls->presence;
	rv = write_record(ls, io, LFS_HOST_LIVE);
	done_ms = lfs_clock_ms(ls->clock);
	host_write_unlock(ls);
	if (rv < 0)
		goto fail;
	if ((rv = wait_ms(ls, p, ls->to.join_delay_ms)) < 0)
		goto fail;
	rv = read_own(ls, io, p->host_id, &check);
	if (rv == 0 && uuid_compare(check.identity, p->identity) == 0 &&
	    check.generation < ls->generation) {
		lfs_log(ls->log, LOG_WARNING, "host id %u: a write of our "
		    "generation %llu landed over our join; joining again",
		    p->host_id, (unsigned long long)check.generation);
		/*
		 * With the next generation, never this one again.  The late
		 * write put back the old generation's record, so this try's
		 * generation would come out once more, with timestamp 1: the
		 * same bytes as this try.  A host that read this try before
		 * the late write and the next one after it would see no
		 * change (an ABA), and count our liveness from its read of
		 * this try, at least join_delay (2 io) before the next try's
		 * submit, from which renewed_ms counts renewal_fail: 2 io of
		 * host_dead's slack for SIGKILL gone.  A new generation is a
		 * change to every reader.  This try holds nothing: a join
		 * that returned no success leaves no lease under it.
		 */
		min_gen = ls->generation + 1;
		goto again;
	}
	if (rv == 0 && (uuid_compare(check.identity, p->identity) != 0 ||
	    check.generation != ls->generation))
		rv = -EAGAIN;
	if (rv < 0)
		goto fail;
	pthread_mutex_lock(&ls->view_lock);
	ls->renewed_ms = submit_ms;
	pthread_mutex_unlock(&ls->view_lock);
	/* the read-back above, join_delay after our write, saw no older
	 * write of this id land over it; none can land later (the timeline
	 * at the top): the bits we carried are on disk for good */
	host_write_lock(ls);
	presence_published(ls, &sent, done_ms);
	host_write_unlock(ls);
	lfs_log(ls->log, LOG_NOTICE, "joined lockspace %s as host %u "
	    "generation %llu", ls->header.name, ls->host_id,
	    (unsigned long long)ls->generation);
	return 0;
fail:    /* returned: the callers report it (log.h), so debug here */
	lfs_log(ls->log, LOG_DEBUG, "join as host %u failed: %s", p->host_id,
	    rv == -EAGAIN ? "another host joined with this id at the same time" :
	    strerror(-rv));
	ls->host_id = 0;
	ls->generation = 0;
	return rv;
}

/* Our own sector in a fresh host-area read must still be ours. */
static int
check_own(struct lfs_lockspace *ls, const unsigned char *area)
{
	uint32_t S = ls->layout.sector_size;
	struct lfs_host rec;
	int rv;

	rv = lfs_host_decode(&rec, area + (size_t)(ls->host_id - 1) * S, S);
	if (rv < 0)
		return rv == -ENODATA ? -ESTALE : rv;
	if (uuid_compare(rec.identity, ls->identity) != 0 ||
	    rec.generation != ls->generation)
		return -ESTALE;
	return 0;
}

/*
 * Our clock may have missed time: a suspend that CLOCK_BOOTTIME does not see
 * (a paused VM guest), a frozen process whose renewal thread runs first on
 * waking.  Another host's renewal counter tells.  Between our previous
 * read of X's sector (started at p: a window or a full read, whichever
 * covered it last; lfs_host_view.read_ms) and this one (started at r,
 * E = r - p on our clock), host X's timestamp rose by dc.  X starts a renewal no sooner than
 * renewal_interval after the start of its previous one, and submits its
 * write within io of that start, so its writes of old + 1 and new are at
 * least (dc - 1) * interval - io apart in real time.  The first landed after
 * our previous read sampled X (after p), the last before this read
 * completed (before r + io).  So in real time r - p >= (dc - 1) * interval
 * - 2 io.  We call the generation lost (-ESTALE: fence) when
 *     (dc - 1) * interval > E + io + interval,
 * which an unfrozen clock never meets (it would need 0 > interval - io =
 * io: that is the slack), and which a freeze of about 3 intervals (6 io) or
 * more meets: other hosts may judge us dead from 8 io on.  The answer is
 * -ETIME (nothing written), which the daemon takes as a renewal that came
 * too late: the generation is finished, fence, rejoin.  A peer's retries
 * after failed renewals come io/4 apart and can trip it: a needless fence,
 * never a missed one.  It cannot help holders frozen with us (a paused VM):
 * they run again the moment we do, which only a watchdog outside the guest
 * can prevent.
 */
static int
check_peers_clock(struct lfs_lockspace *ls, const unsigned char *area,
    uint32_t n, uint64_t read_ms)
{
	uint32_t id, S = ls->layout.sector_size;
	const struct lfs_host_view *v;
	uint64_t elapsed = 0, dc;
	uint32_t worst_id = 0, worst = 0;
	struct lfs_host rec;
	int rv = 0;

	/* E is per host: since the previous read that covered its sector
	 * (the window and full reads cover different sets) */
	pthread_mutex_lock(&ls->view_lock);
	for (id = 1; id <= n; id++) {
		v = &ls->hosts[id];
		if (id == ls->host_id || !v->valid || v->corrupt ||
		    v->read_ms == 0 || v->read_ms > read_ms ||
		    lfs_host_decode(&rec, area + (size_t)(id - 1) * S, S) < 0 ||
		    uuid_compare(rec.identity, v->rec.identity) != 0 ||
		    rec.generation != v->rec.generation ||
		    rec.timestamp <= v->rec.timestamp)
			continue;
		dc = rec.timestamp - v->rec.timestamp;
		if (dc >= 2 && (dc - 1) * ls->to.renewal_interval_ms >
		    (read_ms - v->read_ms) + ls->to.io_timeout_ms +
		    ls->to.renewal_interval_ms) {
			rv = -ETIME;
			if (dc > worst) {
				worst = (uint32_t)dc;
				worst_id = id;
				elapsed = read_ms - v->read_ms;
			}
		}
	}
	pthread_mutex_unlock(&ls->view_lock);
	if (rv < 0)
		lfs_log(ls->log, LOG_CRIT, "host %u renewed %llu times while our "
		    "clock measured %llu ms: this host was frozen or suspended "
		    "longer than it knows; generation %llu is lost", worst_id,
		    (unsigned long long)worst, (unsigned long long)elapsed,
		    (unsigned long long)ls->generation);
	return rv;
}

/*
 * Renewal reads (the window of known hosts) before it writes.  A write
 * that went out blind could land over a host that took our id while we
 * were silent (we would not know, and it would never see its own record
 * again); reading first, we see the
 * takeover and stop (-ESTALE).  A joiner whose write lands between our
 * read and our write reads our record back after its join_delay and gives
 * up, which is why the write must follow the read within io_timeout, as
 * in a join.
 */
static int renew_locked(struct lfs_lockspace *ls, struct lfs_io *io);

/* The whole renewal holds host_write_lock, from before its read: a notice
 * write waiting for it then delays the notice, never the renewal's write
 * past io_timeout after its read.  The release that posts the notice
 * waits too, by at most one renewal (a read and a write, each given up at
 * io_timeout): long only when the storage is slow, when that release's own
 * ballot is as slow. */
int
lfs_delta_renew(struct lfs_lockspace *ls, struct lfs_io *io)
{
	int rv;

	host_write_lock(ls);
	rv = renew_locked(ls, io);
	host_write_unlock(ls);
	return rv;
}

static int
renew_locked(struct lfs_lockspace *ls, struct lfs_io *io)
{
	uint32_t S = ls->layout.sector_size, n = lfs_hosts_window(ls);
	unsigned char *area;
	uint64_t read_ms, write_ms;
	int rv;

	/* the window only (lockspace.h): our own sector is in it, and so is
	 * every host we know; hosts that joined above it are found by the
	 * full reads of ballots (paxos.h invariant 4) */
	area = malloc((size_t)n * S);
	if (area == NULL)
		return -ENOMEM;
	read_ms = lfs_clock_ms(ls->clock);
	rv = lfs_io_read(io, ls->layout.host_area * S, area, (size_t)n * S);
	if (rv == 0)
		rv = check_own(ls, area);
	if (rv == 0)
		rv = check_peers_clock(ls, area, n, read_ms);
	if (rv == 0) {
		lfs_hosts_apply(ls, area, n, read_ms, lfs_clock_ms(ls->clock));
		/* the watcher's notices (lockspace.h hosts_taker): a
		 * trylock, a pointer swap and at most the free() this did
		 * itself before, ahead of the clock check below */
		lfs_hosts_pass_on(ls, area, n, read_ms);
		if (lfs_clock_ms(ls->clock) - read_ms >= ls->to.io_timeout_ms)
			rv = -ETIMEDOUT; /* too slow to write safely now */
	} else
		free(area);
	if (rv < 0)
		return rv;
	write_ms = lfs_clock_ms(ls->clock);
	ls->renew_count++;
	/* only with a fencing side (a registered renewal gate: the daemon,
	 * the simulator): without one (tools, unit tests) nothing ends a
	 * generation at renewal_fail, and a late renewal is just late */
	if ((rv = write_record_checked(ls, io, LFS_HOST_LIVE,
	    ls->renew_gate.take != NULL ? renewal_in_time : NULL,
	    &ls->renew_gate)) < 0)
		return rv;
	pthread_mutex_lock(&ls->view_lock);
	ls->renewed_ms = write_ms;
	pthread_mutex_unlock(&ls->view_lock);
	return 0;
}

/* Before a FREE record: until no write of ours that failed can still land
 * (late_writes_until_ms()). */
static int
wait_uncertain_writes(struct lfs_lockspace *ls)
{
	uint64_t until = late_writes_until_ms(ls), now;

	now = lfs_clock_ms(ls->clock);
	if (now >= until)
		return 0;
	lfs_log(ls->log, LOG_NOTICE, "leaving: waiting %llu ms until a write "
	    "that failed can no longer land", (unsigned long long)(until - now));
	while ((now = lfs_clock_ms(ls->clock)) < until)
		lfs_clock_sleep(ls->clock, (uint32_t)(until - now < 100 ?
		    until - now : 100));
	return 0;
}

int
lfs_delta_leave(struct lfs_lockspace *ls, struct lfs_io *io)
{
	int rv;

	if (ls->host_id == 0)
		return 0;
	if ((rv = wait_uncertain_writes(ls)) < 0)
		return rv;
	host_write_lock(ls);
	ls->renew_count++;
	rv = write_record(ls, io, LFS_HOST_FREE);
	host_write_unlock(ls);
	if (rv == 0)
		lfs_log(ls->log, LOG_NOTICE, "left lockspace %s (host %u "
		    "generation %llu)", ls->header.name, ls->host_id,
		    (unsigned long long)ls->generation);
	return rv;
}

uint64_t
lfs_delta_since_renewal_ms(struct lfs_lockspace *ls)
{
	uint64_t r;

	pthread_mutex_lock(&ls->view_lock);
	r = ls->renewed_ms;
	pthread_mutex_unlock(&ls->view_lock);
	return lfs_clock_ms(ls->clock) - r;
}

int
lfs_delta_generation_live(struct lfs_lockspace *ls)
{
	return lfs_delta_since_renewal_ms(ls) < ls->to.renewal_fail_ms ?
	    0 : -EIO;
}

int
lfs_delta_write_fresh(struct lfs_lockspace *ls)
{
	uint64_t since = lfs_delta_since_renewal_ms(ls);

	return since + ls->to.io_timeout_ms < ls->to.renewal_fail_ms ? 0 : -EIO;
}

/*
 * A change notice (notice.h): our record as the last renewal wrote it (the
 * same timestamp: not a renewal), with slot appended to our notice.  Only
 * while a write submitted now is given up before renewal_fail (the rule of
 * name-table and value writes, lfs_delta_write_fresh): so it falls inside
 * our generation's write timeline (delta.c, top), and lands before a next
 * incarnation of our id may write this sector.  The slot stays in the ring
 * when the write fails: the next notice or renewal carries it.
 */
int
lfs_delta_notice(struct lfs_lockspace *ls, struct lfs_io *io, uint32_t slot)
{
	int rv;

	if (!ls->notice_on || ls->host_id == 0)
		return 0;
	if ((rv = lfs_delta_write_fresh(ls)) < 0)
		return rv;      /* checked again in the submit gate */
	host_write_lock(ls);
	lfs_notice_push(&ls->notice, slot);
	rv = write_record_checked(ls, io, LFS_HOST_LIVE, lfs_delta_write_fresh,
	    &ls->gate);
	host_write_unlock(ls);
	return rv;
}

/*
 * Before our first dblock write in a bucket (paxos.h invariant 4a): set
 * its bit and write our sector, then wait join_delay after that write
 * completed.  A write that another write of our sector overlapped, or
 * that a failed write of ours may still land over, publishes nothing
 * (write_record_checked()): -EAGAIN, and a later try (or renewal) does.
 * Written under the rule of notices (lfs_delta_write_fresh): it falls
 * inside our generation's write timeline.
 */
/*
 * Publish slot's bucket unless it is; *ready its ready time (0: could not
 * be published now), *wrote whether this call wrote our sector.
 *
 * A bucket whose bit is set already but not yet published is not written
 * again here: a renewal carries it and publishes it (write_record_checked).
 * Writing it again would write the very bytes of the last such write (the
 * same record, timestamp and bits), and two writes of one content break
 * liveness: the first times out, a renewal lands, then the first lands
 * late over it, and a host that read the sector before the renewal and
 * after the late write sees no change at all; it judged us dead that much
 * too early, and took a lease our holder still held (the simulator's seed
 * 954184 with --presence --shared at HOSTS=3-16).  Every write of our
 * sector so differs from every earlier one of this generation: a renewal
 * in its timestamp, a notice in its sequence number, a publish in a new
 * bit.
 */
static int
presence_publish(struct lfs_lockspace *ls, struct lfs_io *io, uint32_t slot,
    uint64_t *ready, int *wrote)
{
	uint32_t b = lfs_presence_bucket(slot);
	int rv = 0;

	*wrote = 0;
	/* the common case, published long ago: no lock */
	if ((*ready = atomic_load(&ls->presence_ready_ms[b])) != 0)
		return 0;
	host_write_lock(ls);
	*ready = atomic_load(&ls->presence_ready_ms[b]);
	if (*ready == 0 && !lfs_presence_has(&ls->presence, b) &&
	    (rv = lfs_delta_write_fresh(ls)) == 0) {
		lfs_presence_set(&ls->presence, b);
		rv = write_record_checked(ls, io, LFS_HOST_LIVE,
		    lfs_delta_write_fresh, &ls->gate);
		*ready = atomic_load(&ls->presence_ready_ms[b]);
		*wrote = 1;
	}
	host_write_unlock(ls);
	return rv;
}

int
lfs_delta_presence_early(struct lfs_lockspace *ls, struct lfs_io *io,
    uint32_t slot)
{
	uint64_t ready;
	int wrote;

	if (!ls->presence_lazy || ls->host_id == 0)
		return 0;
	return presence_publish(ls, io, slot, &ready, &wrote);
}

int
lfs_delta_presence_ready(struct lfs_lockspace *ls, struct lfs_io *io,
    uint32_t slot)
{
	uint32_t b = lfs_presence_bucket(slot);
	uint64_t ready, now;
	int rv, wrote;

	if ((rv = presence_publish(ls, io, slot, &ready, &wrote)) < 0)
		return rv;
	if (ready == 0) {
		lfs_log(ls->log, LOG_INFO, "slot %u: bucket %u not published "
		    "yet (a write of our host sector may still land without "
		    "it): our next renewal publishes it; try again", slot, b);
		return -EAGAIN;
	}
	now = lfs_clock_ms(ls->clock);
	if (wrote || ready > now)
		lfs_log(ls->log, LOG_NOTICE, "slot %u: first dblock write of host "
		    "%u in bucket %u: waiting %llu ms (join_delay) after "
		    "publishing it", slot, ls->host_id, b,
		    (unsigned long long)(ready > now ? ready - now : 0));
	while ((now = lfs_clock_ms(ls->clock)) < ready)
		lfs_clock_sleep(ls->clock, (uint32_t)(ready - now < 100 ?
		    ready - now : 100));
	return 0;
}

int
lfs_delta_presence_check(struct lfs_lockspace *ls, uint32_t slot)
{
	uint32_t b = lfs_presence_bucket(slot);
	uint64_t ready = atomic_load(&ls->presence_ready_ms[b]);

	if (ready != 0 && lfs_clock_ms(ls->clock) >= ready)
		return 0;
	lfs_log(ls->log, LOG_ERR, "refusing a dblock write in slot %u: bucket "
	    "%u of host %u is not published join_delay ago", slot, b,
	    ls->host_id);
	return -EAGAIN;
}
