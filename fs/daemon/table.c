/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * table.c - this host's table of the leases it knows, and the name-table
 * operations behind the tree: lookup, readdir, mkdir, rmdir.
 *
 * An entry (struct lfs_dlease, daemon.h) is made on the first lookup of a name
 * and lives as long as the daemon (the watcher and the FUSE view keep pointers
 * to it); a deleted lease's entry stays, marked deleted, until a later create
 * reuses its slot.  The view (view.c) calls these and does no disk I/O of its
 * own: every lease operation, these included, takes its context's lock around
 * its I/O (daemon.h) and table_lock around the change.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "context.h"
#include "daemon.h"
#include "holders.h"

int
lfs_table_init(struct lfs_daemon *d)
{
	d->tab.slots = calloc((size_t)d->ls.layout.lease_capacity + 1,
	    sizeof(*d->tab.slots));
	d->tab.by_name = calloc(LFS_NAME_BUCKETS, sizeof(*d->tab.by_name));
	if (d->tab.slots == NULL || d->tab.by_name == NULL) {
		lfs_table_free(d);
		return -ENOMEM;
	}
	return 0;
}

void
lfs_table_free(struct lfs_daemon *d)
{
	struct lfs_dlease *l, *next;
	struct lfs_waiter *w, *wn;

	for (l = d->tab.leases; l != NULL; l = next) {
		next = l->tb.next;
		/* their file handles are freed by lfs_fh_free_all() */
		for (w = l->wt.waiters; w != NULL; w = wn) {
			wn = w->next;
			free(w);
		}
		if (lfs_pid_of(l) != 0)
			close(lfs_pid_fd(l)); /* its watch ended with pidwatch */
		free(l);
	}
	d->tab.leases = NULL;
	free(d->tab.slots);
	d->tab.slots = NULL;
	free(d->tab.by_name);
	d->tab.by_name = NULL;
}

/* FNV-1a: short names, no adversary (names come from our own disk). */
static uint32_t
name_bucket(const char *name)
{
	uint32_t h = 2166136261u;

	for (; *name != '\0'; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	return h % LFS_NAME_BUCKETS;
}

static void
hash_unlink_locked(struct lfs_daemon *d, struct lfs_dlease *l)
{
	struct lfs_dlease **pp;

	LFS_TABLE_HELD(d);
	for (pp = &d->tab.by_name[name_bucket(l->name)]; *pp != NULL;
	    pp = &(*pp)->tb.hash_next)
		if (*pp == l) {
			*pp = l->tb.hash_next;
			break;
		}
	l->tb.hashed = 0;
}

/* The entry named name (deleted or not), or NULL.  table_lock held. */
static struct lfs_dlease *
hash_find_locked(struct lfs_daemon *d, const char *name)
{
	struct lfs_dlease *l;

	LFS_TABLE_HELD(d);
	for (l = d->tab.by_name[name_bucket(name)]; l != NULL; l = l->tb.hash_next)
		if (strcmp(l->name, name) == 0)
			return l;
	return NULL;
}

struct lfs_dlease *
lfs_table_slot(struct lfs_daemon *d, uint32_t slot)
{
	struct lfs_dlease *l = NULL;

	lfs_table_lock(d);
	if (slot >= 1 && slot <= d->ls.layout.lease_capacity)
		l = d->tab.slots[slot];
	lfs_table_unlock(d);
	return l;
}

/* Enter or refresh the entry of e.  Called with table_lock held. */
static struct lfs_dlease *
table_put_locked(struct lfs_daemon *d, const struct lfs_lease_entry *e)
{
	uint32_t slot = e->ref.slot;
	struct lfs_dlease *l;

	LFS_TABLE_HELD(d);
	if (slot == 0 || slot > d->ls.layout.lease_capacity)
		return NULL;
	l = d->tab.slots[slot];
	if (l == NULL) {
		l = calloc(1, sizeof(*l));
		if (l == NULL)
			return NULL;
		l->d = d;
		l->tb.next = d->tab.leases;
		d->tab.leases = l;
		d->tab.slots[slot] = l;
	}
	if (!l->tb.hashed || strcmp(l->name, e->name) != 0) {
		if (l->tb.hashed)
			hash_unlink_locked(d, l);
		memcpy(l->name, e->name, sizeof(l->name));
		l->tb.hash_next = d->tab.by_name[name_bucket(l->name)];
		d->tab.by_name[name_bucket(l->name)] = l;
		l->tb.hashed = 1;
	}
	/* the slot is set once, before the entry is published, and never
	 * changes: lease operations read it without table_lock to pick
	 * their context (context.h) */
	if (l->ref.slot == 0)
		l->ref = e->ref;
	l->ref.incarnation = e->ref.incarnation;
	l->tb.deleted = 0;
	return l;
}

struct lfs_dlease *
lfs_table_add(struct lfs_daemon *d, const struct lfs_lease_entry *e)
{
	struct lfs_dlease *l;

	lfs_table_lock(d);
	l = table_put_locked(d, e);
	lfs_table_unlock(d);
	return l;
}

/*
 * A name we know is confirmed by its leader alone (one sector: the leader
 * carries the lease name and incarnation) instead of a read of the whole
 * name table, which is 64 bytes per lease of capacity.  0 with *out when
 * confirmed, 1 when the name table must be read, or an I/O error.
 */
static int
lookup_known(struct lfs_daemon *d, const char *name, struct lfs_dlease **out)
{
	struct lfs_lease_ref ref;
	struct lfs_leader ld;
	struct lfs_dlease *l;
	int r;

	lfs_table_lock(d);
	l = hash_find_locked(d, name);
	if (l != NULL)
		ref = l->ref;
	lfs_table_unlock(d);
	if (l == NULL)
		return 1;
	if ((r = lfs_ops_lock(d, ref.slot)) < 0)
		return r;
	r = lfs_paxos_read_leader(&d->ls, lfs_ops_io(d, ref.slot), &ref, &ld);
	lfs_ops_unlock(d, ref.slot);
	if (r == -ENOENT || (r == 0 && strcmp(ld.name, name) != 0)) {
		/* deleted, or the slot was reused: forget this name here */
		lfs_table_lock(d);
		if (l->tb.hashed && strcmp(l->name, name) == 0)
			hash_unlink_locked(d, l);
		l->tb.deleted = 1;
		lfs_table_unlock(d);
		return 1;
	}
	if (r < 0)
		return lfs_errno_map(d, r, name, "lookup");
	lfs_table_lock(d);
	l->tb.deleted = 0;
	lfs_table_unlock(d);
	*out = l;
	return 0;
}

int
lfs_table_lookup(struct lfs_daemon *d, const char *name,
    struct lfs_dlease **out)
{
	struct lfs_lease_entry e;
	struct lfs_dlease *l;
	int r;

	if ((r = lookup_known(d, name, out)) <= 0)
		return r;
	if ((r = lfs_ops_lock(d, 0)) < 0)
		return r;
	r = lfs_leases_lookup(&d->ls, lfs_ops_io(d, 0), name, &e);
	lfs_ops_unlock(d, 0);
	if (r < 0)
		return lfs_errno_map(d, r, name, "lookup");
	lfs_table_lock(d);
	l = table_put_locked(d, &e);
	lfs_table_unlock(d);
	if (l == NULL)
		return -ENOMEM;
	*out = l;
	return 0;
}

void
lfs_table_update(struct lfs_daemon *d, const struct lfs_lease_entry *e,
    uint32_t n)
{
	unsigned char *seen;
	struct lfs_dlease *l;
	uint32_t i;

	seen = calloc((size_t)d->ls.layout.lease_capacity + 1, 1);
	lfs_table_lock(d);
	for (i = 0; i < n; i++) {
		if (table_put_locked(d, &e[i]) != NULL && seen != NULL)
			seen[e[i].ref.slot] = 1;
	}
	/* Entries no longer in the table were deleted by some host. */
	for (l = d->tab.leases; l != NULL && seen != NULL; l = l->tb.next)
		if (!seen[l->ref.slot])
			l->tb.deleted = 1;
	lfs_table_unlock(d);
	free(seen);
}

/* ---- the name table: readdir, mkdir, rmdir ---- */

int
lfs_table_list(struct lfs_daemon *d, struct lfs_lease_entry **e, uint32_t *n)
{
	int r;

	if ((r = lfs_ops_lock(d, 0)) < 0)
		return r;
	r = lfs_leases_list(&d->ls, lfs_ops_io(d, 0), e, n);
	lfs_ops_unlock(d, 0);
	if (r < 0)
		return lfs_errno_map(d, r, "/", "read the name table");
	lfs_table_update(d, *e, *n);
	return 0;
}

int
lfs_table_create(struct lfs_daemon *d, const char *name,
    struct lfs_lease_entry *e)
{
	int r, kept;

	if ((r = lfs_daemon_refuse(d, "mkdir")) < 0 ||
	    (r = lfs_ops_lock_serving(d, 0, "mkdir")) < 0)
		return r;
	kept = lfs_leases_linger_due(&d->ls) != UINT64_MAX;
	r = lfs_leases_create(&d->ls, lfs_ops_io(d, 0), name, e);
	lfs_ops_unlock(d, 0);
	lfs_watch_linger(d, kept);
	if (r == -EAGAIN)
		r = -EBUSY;
	if (r < 0) {
		r = lfs_errno_map(d, r, name, "create");
		if (r != -EIO)  /* EIO: lfs_errno_map logged it */
			lfs_log(&d->log, r == -EEXIST ? LOG_INFO : LOG_WARNING,
			    "%s: mkdir: %s", name, strerror(-r));
		return r;
	}
	if (lfs_table_add(d, e) == NULL)
		return -ENOMEM;
	return 0;
}

int
lfs_table_delete(struct lfs_daemon *d, const char *name)
{
	struct lfs_dlease *l;
	int r, busy, kept;

	if ((r = lfs_daemon_refuse(d, "rmdir")) < 0 ||
	    (r = lfs_table_lookup(d, name, &l)) < 0)
		return r;
	lfs_table_lock(d);
	busy = lfs_held(l) || l->wt.waiters != NULL || lfs_req_how(l) != LFS_HOW_NONE ||
	    l->sh.state != LFS_SH_NONE;
	lfs_table_unlock(d);
	if (busy) {
		lfs_log(&d->log, LOG_INFO, "%s: rmdir: in use on this host",
		    name);
		return -EBUSY;
	}
	/* the delete runs a ballot on l's slot (leases.c): with l's context
	 * held too, no other operation of ours on l interleaves with it */
	if ((r = lfs_ops_lock_pair(d, l->ref.slot, "rmdir")) < 0)
		return r;
	kept = lfs_leases_linger_due(&d->ls) != UINT64_MAX;
	r = lfs_leases_delete(&d->ls, lfs_ops_io(d, 0), name);
	lfs_ops_unlock_pair(d, l->ref.slot);
	lfs_watch_linger(d, kept);
	if (r < 0 && lfs_hp_delete_unsettled(r)) {
		/* the lease may be ours on disk now, with nobody here holding
		 * it: the watcher settles it (leases.h; finding C13) */
		lfs_table_lock(d);
		lfs_hold_unsettle_locked(d, l);
		lfs_watch_activate_locked(d, l);
		lfs_table_unlock(d);
	}
	if (r < 0) {
		r = lfs_errno_map(d, r == -EAGAIN ? -EBUSY : r, name, "delete");
		if (r != -EIO)  /* EIO: lfs_errno_map logged it */
			lfs_log(&d->log, r == -EBUSY ? LOG_INFO : LOG_WARNING,
			    "%s: rmdir: %s", name, strerror(-r));
		return r;
	}
	lfs_table_lock(d);
	l->tb.deleted = 1;
	lfs_table_unlock(d);
	return 0;
}

struct lfs_fh *
lfs_fh_new(struct lfs_daemon *d, int kind, struct lfs_dlease *l)
{
	struct lfs_fh *fh = calloc(1, sizeof(*fh));

	if (fh == NULL)
		return NULL;
	fh->kind = kind;
	fh->lease = l;
	lfs_table_lock(d);
	if (l != NULL) {
		l->wt.nfh++;
		lfs_watch_activate_locked(d, l);
	}
	fh->all_next = d->tab.fhs;
	if (d->tab.fhs != NULL)
		d->tab.fhs->all_prev = fh;
	d->tab.fhs = fh;
	lfs_table_unlock(d);
	return fh;
}

void
lfs_fh_free(struct lfs_daemon *d, struct lfs_fh *fh)
{
	if (fh == NULL)
		return;
	lfs_table_lock(d);
	if (fh->lease != NULL && --fh->lease->wt.nfh == 0)
		lfs_watch_prune_locked(d);
	if (fh->all_prev != NULL)
		fh->all_prev->all_next = fh->all_next;
	else
		d->tab.fhs = fh->all_next;
	if (fh->all_next != NULL)
		fh->all_next->all_prev = fh->all_prev;
	lfs_table_unlock(d);
	free(fh->text);
	free(fh->ents);
	free(fh);
}

void
lfs_fh_free_all(struct lfs_daemon *d)
{
	struct lfs_fh *fh;

	while ((fh = d->tab.fhs) != NULL) {
		if (fh->ph != NULL)
			fuse_pollhandle_destroy(fh->ph);
		lfs_fh_free(d, fh);
	}
}

void
lfs_watch_activate_locked(struct lfs_daemon *d, struct lfs_dlease *l)
{
	LFS_TABLE_HELD(d);
	if (l->wt.active)
		return;
	l->wt.active = 1;
	l->wt.active_next = d->tab.active;
	d->tab.active = l;
	d->tab.n_active++;
}

/* Nothing here for the watcher to do about l, and nothing can start
 * without a new open of one of its files (which activates it again): no
 * file open, not held or set shared or requested here, no process, no
 * waiter or poller, nothing left to settle.  table_lock held. */
static int
idle_locked(const struct lfs_dlease *l)
{
	LFS_TABLE_HELD(l->d);
	return l->wt.nfh == 0 && !lfs_held(l) && lfs_req_how(l) == LFS_HOW_NONE &&
	    l->wt.waiters == NULL && l->wt.pollers == NULL &&
	    l->sh.state == LFS_SH_NONE && !lfs_hold_unsettled(l) &&
	    lfs_pid_of(l) == 0 && !lfs_pid_fenced(l) && lfs_hold_handover_to(l) == 0 &&
	    !lfs_hold_release_due_locked(l);
}

void
lfs_watch_prune_locked(struct lfs_daemon *d)
{
	struct lfs_dlease **pp, *l;

	LFS_TABLE_HELD(d);
	for (pp = &d->tab.active; (l = *pp) != NULL;) {
		if (!idle_locked(l)) {
			pp = &l->wt.active_next;
			continue;
		}
		*pp = l->wt.active_next;
		d->tab.n_active--;
		l->wt.active = 0;
		l->wt.active_next = NULL;
		l->wt.wake = 0;
		l->wt.wait_local = 0;
		l->wt.fallback_ms = 0;
		l->wt.busy_owner = 0;
	}
}

void
lfs_poll_register(struct lfs_daemon *d, struct lfs_fh *fh,
    struct fuse_pollhandle *ph)
{
	struct fuse_pollhandle *old;
	struct lfs_dlease *l = fh->lease;

	lfs_table_lock(d);
	old = fh->ph;
	fh->ph = ph;
	if (!fh->polling) {
		fh->poll_next = l->wt.pollers;
		l->wt.pollers = fh;
		fh->polling = 1;
	}
	pthread_cond_signal(&d->watch_cond);
	lfs_table_unlock(d);
	if (old != NULL)
		fuse_pollhandle_destroy(old);
}

void
lfs_poll_unregister_locked(struct lfs_fh *fh)
{
	struct lfs_fh **pp;

	if (fh->polling) {
		for (pp = &fh->lease->wt.pollers; *pp != NULL; pp = &(*pp)->poll_next)
			if (*pp == fh) {
				*pp = fh->poll_next;
				break;
			}
		fh->polling = 0;
	}
	if (fh->ph != NULL) {
		fuse_pollhandle_destroy(fh->ph);
		fh->ph = NULL;
	}
}

int
lfs_lease_deleted(const struct lfs_dlease *l)
{
	return l->tb.deleted;
}

void
lfs_lease_set_deleted_locked(struct lfs_dlease *l)
{
	LFS_TABLE_HELD(l->d);
	l->tb.deleted = 1;
}
