/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * snap.c - the disk reads behind the owner, state and .hosts files: a
 * lease's leader, its shared holders and its request record, as a
 * snapshot (struct lfs_snap, daemon.h) that render.c formats and the
 * watcher and poll compare.  On a read context (context.h): never
 * behind a lease operation.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "daemon.h"
#include "snap.h"

/* A hash of the shared holders (id, generation) for poll's comparison:
 * FNV-1a over their bytes; a change it misses (a collision) only delays
 * a wake-up until the next change. */
static uint64_t
shared_hash(const struct lfs_shared_holder *h, uint32_t n)
{
	uint64_t x = 14695981039346656037ull, v[2];
	uint32_t i;
	size_t k;

	for (i = 0; i < n; i++) {
		v[0] = h[i].host_id;
		v[1] = h[i].gen;
		for (k = 0; k < sizeof(v); k++)
			x = (x ^ ((const unsigned char *)v)[k]) *
			    1099511628211ull;
	}
	return x;
}

/* The leader and every host's mode come from one read of the slot
 * (shared.h lfs_shared_holders): the slot's header and one sector per host
 * up to the high water, so an owner or state read costs more with more
 * hosts. */
void
lfs_snap_read_list(struct lfs_daemon *d, struct lfs_dlease *l, int with_request,
    struct lfs_snap *s, struct lfs_shared_holder **list)
{
	uint32_t max = d->ls.layout.max_hosts;
	struct lfs_shared_holder *sh;
	struct lfs_lease_ref ref;
	struct lfs_io *io;
	struct lfs_request rq;
	struct lfs_leader ld;
	int r;

	memset(s, 0, sizeof(*s));
	if (list != NULL)
		*list = NULL;
	if ((sh = calloc(max, sizeof(*sh))) == NULL) {
		s->err = -ENOMEM;
		return;
	}
	lfs_table_lock(d);
	ref = l->ref;
	lfs_table_unlock(d);
	if ((r = lfs_read_lock(d, ref.slot, &io)) < 0) {
		free(sh);
		s->err = r;
		return;
	}
	r = lfs_shared_holders(&d->ls, io, &ref, &ld, sh, max, &s->sh_n);
	if (r == 0)
		s->sh_hash = shared_hash(sh, s->sh_n < max ? s->sh_n : max) ^
		    s->sh_n;
	if (r == 0 && with_request) {
		r = lfs_paxos_read_request(&d->ls, io, &ref, &rq);
		if (r == 0 && rq.host_id != 0) {
			s->req_id = rq.host_id;
			s->req_gen = rq.host_gen;
		}
	}
	lfs_read_unlock(d, ref.slot);
	if (r == 0 && list != NULL)
		*list = sh;
	else
		free(sh);
	if (r < 0) {
		s->err = r;
		return;
	}
	s->owner_id = ld.owner_id;
	s->owner_gen = ld.owner_gen;
	s->lver = ld.lver;
	s->owner_state = ld.owner_id == 0 ? LFS_HOST_STATE_FREE :
	    (int)lfs_host_state(&d->ls, ld.owner_id, ld.owner_gen);
}

void
lfs_snap_read(struct lfs_daemon *d, struct lfs_dlease *l, int with_request,
    struct lfs_snap *s)
{
	lfs_snap_read_list(d, l, with_request, s, NULL);
}

int
lfs_snap_equal(const struct lfs_snap *a, const struct lfs_snap *b, int kind)
{
	if (a->err != b->err || a->owner_id != b->owner_id ||
	    a->owner_gen != b->owner_gen || a->sh_n != b->sh_n ||
	    a->sh_hash != b->sh_hash)
		return 0;
	if (kind == LFS_K_OWNER)
		return 1;
	return a->lver == b->lver && a->owner_state == b->owner_state &&
	    a->req_id == b->req_id && a->req_gen == b->req_gen;
}

void
lfs_snap_hosts(struct lfs_daemon *d)
{
	/* renewals read only the window of known hosts (core/lockspace.h):
	 * a full read finds the ones that joined above it.  On failure the
	 * view stands as it is. */
	struct lfs_io *io;

	if (lfs_read_lock(d, 0, &io) == 0) {
		(void)lfs_hosts_refresh(&d->ls, io);
		lfs_read_unlock(d, 0);
	}
}
