/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * context.c - what every module of the daemon uses, and nothing above it:
 * the locks (the lease contexts' through iowatch.h, table_lock with its owner
 * record), the refusal of lease operations, the watcher's wake-up signal,
 * finding this mount's holders, and the helpers that map and log a lease
 * operation's result.  It calls no other daemon file but iowatch.c and
 * guard.c's inode test: the call graph of fs/daemon/ points down to here
 * (daemon.h has the layers).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "context.h"
#include "daemon.h"
#include "hostpolicy.h"

/* The owner record: pthread_t is an unsigned long on Linux (glibc and
 * musl), which an atomic holds; written only by the holder, read by any
 * thread asking whether it is the holder itself. */
_Static_assert(sizeof(pthread_t) <= sizeof(unsigned long),
    "pthread_t fits the owner record");

static void
table_owned(struct lfs_daemon *d, int mine)
{
#ifdef LFS_DEBUG
	assert(mine ? atomic_load(&d->table_owner) == 0 : lfs_table_held(d));
	atomic_store(&d->table_owner, mine ? (unsigned long)pthread_self() : 0);
#else
	(void)d;
	(void)mine;
#endif
}

uint32_t
lfs_retry_ms(const struct lfs_daemon *d)
{
	return lfs_hp_retry_ms(&d->ls.to);
}

/* Debug builds: the record of which thread holds context i's lock, and
 * the lock order (daemon.h): a lease operation takes its first context
 * holding none (gen_lock is not recursive), a second one only above it. */
static void
ops_owned(struct lfs_daemon *d, uint32_t i, int mine, int first)
{
#ifdef LFS_DEBUG
	uint32_t j;

	if (mine)
		for (j = first ? 0 : i; j < d->ops.n; j++)
			assert(atomic_load(&d->ops_owner[j]) !=
			    (unsigned long)pthread_self());
	else
		assert(atomic_load(&d->ops_owner[i]) ==
		    (unsigned long)pthread_self());
	atomic_store(&d->ops_owner[i], mine ? (unsigned long)pthread_self() : 0);
#else
	(void)d;
	(void)i;
	(void)mine;
	(void)first;
#endif
}

/* Another context's timed-out I/O refuses our lease writes until reaped
 * (core/ioset.h): reap those nobody holds.  Trylocks, which never wait,
 * so any order is deadlock free; dropped through the watch, which wakes
 * that context's waiters. */
static void
reap_idle(struct lfs_daemon *d)
{
	uint32_t j;

	for (j = 0; j < d->ops.n && atomic_load(&d->ops.abandoned) > 0; j++) {
		if (pthread_mutex_trylock(d->ops_watch[j].lock) != 0)
			continue;
		(void)lfs_io_reap(&d->ops.io[j]);
		lfs_iowatch_unlock(&d->ops_watch[j]);
	}
}

/* Whether what a gen_lock taker waits for is stuck in an I/O call: for the
 * exclusive one (a rejoin) a lease operation's, for a shared one the
 * rejoin's own (on renew_io).  It then gives up, as iowatch.h's takers. */
static int
gen_blocker_stuck(struct lfs_daemon *d, int excl)
{
	uint64_t now = lfs_now_ms();
	uint32_t i;

	if (!excl)
		return lfs_iowatch_stuck_ms(&d->renew_watch, now) > 0;
	for (i = 0; i < d->ops.n; i++)
		if (lfs_iowatch_stuck_ms(&d->ops_watch[i], now) > 0)
			return 1;
	return 0;
}

/* Take gen_lock, shared or exclusive: 0, or -EIO without it once what it
 * waits for is stuck.  It looks every LFS_IOWATCH_SLICE_MS (the deadlines
 * are CLOCK_REALTIME, as the timed rwlock calls take: a clock step only
 * lengthens or shortens one slice). */
static int
gen_take(struct lfs_daemon *d, int excl)
{
	struct timespec ts;
	int r;

	for (;;) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += (long)LFS_IOWATCH_SLICE_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		r = excl ? pthread_rwlock_timedwrlock(&d->gen_lock, &ts) :
		    pthread_rwlock_timedrdlock(&d->gen_lock, &ts);
		if (r == 0)
			return 0;
		if (r != ETIMEDOUT)
			return -r;
		if (gen_blocker_stuck(d, excl))
			return -EIO;
	}
}

static int
ops_take(struct lfs_daemon *d, uint32_t i, int first)
{
	int r;

	if ((r = lfs_iowatch_lock(&d->ops_watch[i])) < 0)
		return r;
	ops_owned(d, i, 1, first);
	if (atomic_load(&d->ops.abandoned) > 0)
		reap_idle(d);
	return 0;
}

static void
ops_give(struct lfs_daemon *d, uint32_t i)
{
	struct lfs_io_stats s = d->ops.io[i].stats;

	ops_owned(d, i, 0, 0);
	lfs_iowatch_unlock(&d->ops_watch[i]);
	lfs_table_lock(d);
	d->ops_stats[i] = s;
	lfs_table_unlock(d);
}

int
lfs_ops_lock(struct lfs_daemon *d, uint32_t slot)
{
	int r;

	if ((r = gen_take(d, 0)) < 0)
		return r;
	if ((r = ops_take(d, lfs_ioset_index(&d->ops, slot), 1)) < 0)
		pthread_rwlock_unlock(&d->gen_lock);
	return r;
}

void
lfs_ops_unlock(struct lfs_daemon *d, uint32_t slot)
{
	ops_give(d, lfs_ioset_index(&d->ops, slot));
	pthread_rwlock_unlock(&d->gen_lock);
}

int
lfs_ops_lock_serving(struct lfs_daemon *d, uint32_t slot, const char *what)
{
	int r;

	if ((r = lfs_ops_lock(d, slot)) < 0)
		return r;
	/* again under the context: a rejoin or fencing may have begun since
	 * the caller's first check, and no lease operation may run on
	 * either side of one */
	if ((r = lfs_daemon_refuse(d, what)) < 0)
		lfs_ops_unlock(d, slot);
	return r;
}

struct lfs_io *
lfs_ops_io(struct lfs_daemon *d, uint32_t slot)
{
	uint32_t i = lfs_ioset_index(&d->ops, slot);

#ifdef LFS_DEBUG
	assert(atomic_load(&d->ops_owner[i]) == (unsigned long)pthread_self());
#endif
	return &d->ops.io[i];
}

struct lfs_io *
lfs_lease_io(struct lfs_daemon *d, const struct lfs_dlease *l)
{
	return lfs_ops_io(d, l->ref.slot);
}

int
lfs_ops_lock_pair(struct lfs_daemon *d, uint32_t slot, const char *what)
{
	uint32_t i = lfs_ioset_index(&d->ops, slot);
	int r;

	if ((r = lfs_ops_lock_serving(d, 0, what)) < 0 || i == 0)
		return r;
	if ((r = ops_take(d, i, 0)) < 0)
		lfs_ops_unlock(d, 0);
	return r;
}

void
lfs_ops_unlock_pair(struct lfs_daemon *d, uint32_t slot)
{
	uint32_t i = lfs_ioset_index(&d->ops, slot);

	if (i != 0)
		ops_give(d, i);
	lfs_ops_unlock(d, 0);
}

int
lfs_ops_lock_all(struct lfs_daemon *d)
{
	return gen_take(d, 1);
}

void
lfs_ops_unlock_all(struct lfs_daemon *d)
{
	pthread_rwlock_unlock(&d->gen_lock);
}

int
lfs_read_lock(struct lfs_daemon *d, uint32_t slot, struct lfs_io **io)
{
	uint32_t i = lfs_ioset_index(&d->reads, slot);
	int r;

	if ((r = lfs_iowatch_lock(&d->reads_watch[i])) == 0)
		*io = &d->reads.io[i];
	return r;
}

void
lfs_read_unlock(struct lfs_daemon *d, uint32_t slot)
{
	uint32_t i = lfs_ioset_index(&d->reads, slot);
	struct lfs_io_stats s = d->reads.io[i].stats;

	lfs_iowatch_unlock(&d->reads_watch[i]);
	lfs_table_lock(d);
	d->reads_stats[i] = s;
	lfs_table_unlock(d);
}

static void
stats_add(struct lfs_io_stats *s, const struct lfs_io_stats *a)
{
	s->reads += a->reads;
	s->writes += a->writes;
	s->bytes_read += a->bytes_read;
	s->bytes_written += a->bytes_written;
	s->timeouts += a->timeouts;
	s->errors += a->errors;
	s->abandoned += a->abandoned;
	s->buffer_allocs += a->buffer_allocs;
}

void
lfs_ops_stats_locked(const struct lfs_daemon *d, struct lfs_io_stats *s)
{
	uint32_t i;

	LFS_TABLE_HELD(d);
	memset(s, 0, sizeof(*s));
	for (i = 0; i < d->ops.n; i++)
		stats_add(s, &d->ops_stats[i]);
	for (i = 0; i < d->reads.n; i++)
		stats_add(s, &d->reads_stats[i]);
}

void
lfs_table_lock(struct lfs_daemon *d)
{
	pthread_mutex_lock(&d->table_lock);
	table_owned(d, 1);
}

void
lfs_table_unlock(struct lfs_daemon *d)
{
	table_owned(d, 0);
	pthread_mutex_unlock(&d->table_lock);
}

void
lfs_table_wait(struct lfs_daemon *d, pthread_cond_t *c)
{
	table_owned(d, 0);
	pthread_cond_wait(c, &d->table_lock);
	table_owned(d, 1);
}

int
lfs_table_timedwait(struct lfs_daemon *d, pthread_cond_t *c,
    const struct timespec *abstime)
{
	int r;

	table_owned(d, 0);
	r = pthread_cond_timedwait(c, &d->table_lock, abstime);
	table_owned(d, 1);
	return r;
}

int
lfs_table_held(const struct lfs_daemon *d)
{
#ifdef LFS_DEBUG
	return atomic_load(&d->table_owner) ==
	    (unsigned long)pthread_self();
#else
	(void)d;
	return 1;
#endif
}

void
lfs_daemon_health(struct lfs_daemon *d, struct lfs_hp_health *h)
{
	memset(h, 0, sizeof(*h));
	h->stopping = atomic_load(&d->stopping);
	h->stale = atomic_load(&d->stale);
	h->fenced = atomic_load(&d->fenced);
	h->guard_lost = atomic_load(&d->guard_lost);
	h->since_renewal_ms = lfs_delta_since_renewal_ms(&d->ls);
}

int
lfs_daemon_refuse(struct lfs_daemon *d, const char *what)
{
	struct lfs_hp_health h;
	const char *why;

	lfs_daemon_health(d, &h);
	why = lfs_hp_refuse(&d->ls.to, &h);

	if (why == NULL)
		return 0;
	lfs_log(&d->log, LOG_WARNING, "%s refused: %s", what, why);
	return -EIO;
}

int
lfs_daemon_find_holders(struct lfs_daemon *d, const uint32_t *slot,
    struct lfs_holder *h, int max)
{
	if (d->mount_dev != 0)
		return lfs_fence_find_dev(d->mount_dev, lfs_lease_file_ino,
		    (void *)slot, h, max);
	return lfs_fence_find(d->mountpoint, NULL, h, max);
}

void
lfs_watch_kick_locked(struct lfs_daemon *d)
{
	LFS_TABLE_HELD(d);
	d->watcher.watch_kick = 1;
	pthread_cond_signal(&d->watch_cond);
}

void
lfs_watch_kick(struct lfs_daemon *d)
{
	lfs_table_lock(d);
	lfs_watch_kick_locked(d);
	lfs_table_unlock(d);
}

void
lfs_watch_linger(struct lfs_daemon *d, int kept_before)
{
	if (kept_before || lfs_leases_linger_due(&d->ls) == UINT64_MAX)
		return; /* the watcher already wakes for it, or nothing kept */
	lfs_table_lock(d);
	pthread_cond_signal(&d->watch_cond);
	lfs_table_unlock(d);
}

int
lfs_errno_map(struct lfs_daemon *d, int r, const char *lease, const char *what)
{
	switch (-r) {
	case 0: case EBUSY: case EAGAIN: case EPERM: case ENOENT:
	case EHOSTDOWN: case EDESTADDRREQ: case EINVAL: case EEXIST:
	case ENOSPC: case ENOMEM: case EINTR: case EALREADY:
		return r;
	default:
		/* ETIMEDOUT, EBADE, EBADMSG, EPROTO, ERANGE, ENODATA, EIO...:
		 * the caller sees a storage error, the log says which. */
		lfs_log(&d->log, LOG_ERR, "%s: %s failed: %s (reported as EIO)",
		    lease, what, lfs_decode_strerror(r));
		return -EIO;
	}
}

/* The core logs acquisitions, releases and transfers (LOG_NOTICE); the
 * daemon adds how the lease is held here, and the changes the core does
 * not see as such (arrival of a requested lease, loss). */
void
lfs_hold_log(struct lfs_daemon *d, int pri, const struct lfs_dlease *l,
    const char *what, const struct lfs_leader *ld, const char *via)
{
	lfs_log(&d->log, pri, "%s: %s lver %llu (host %u gen %llu)%s%s",
	    l->name, what, (unsigned long long)ld->lver, ld->owner_id,
	    (unsigned long long)ld->owner_gen, via != NULL ? " via " : "",
	    via != NULL ? via : "");
}

int
lfs_leader_is_ours(const struct lfs_daemon *d, const struct lfs_leader *ld)
{
	return ld->owner_id == d->ls.host_id &&
	    ld->owner_gen == d->ls.generation;
}

struct fuse_pollhandle *
lfs_fh_take_ph(struct lfs_fh *fh)
{
	struct fuse_pollhandle *ph = fh->ph;

	fh->ph = NULL;
	return ph;
}

void
lfs_notify_ph(struct fuse_pollhandle *ph)
{
	if (ph == NULL)
		return;
	fuse_lowlevel_notify_poll(ph);
	fuse_pollhandle_destroy(ph);
}
