/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * value.c - the `value` file of a lease directory (core/value.h).
 *
 * Reading gives the value as on disk when the file is opened or read from
 * offset 0 again, to anyone.  Writing replaces it: each write(2) holds the
 * whole new value, whatever the file offset (a holder writes through one
 * descriptor again and again), and is allowed only to this host's
 * exclusive holder: through `value` when the lease is held through ctl,
 * or through the holder's own `lock` (or `incoming`) descriptor when a
 * file holds it.  Anyone else gets EPERM and nothing is written; a value
 * longer than the sector allows gets EFBIG.
 *
 * The hold is checked under the lease's context, which every release and
 * transfer takes too, so it cannot change between the check and the write.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "daemon.h"
#include "value.h"
#include "valuefile.h"

int
lfs_value_render(struct lfs_daemon *d, struct lfs_fh *fh, FILE *f)
{
	struct lfs_lease_ref ref;
	struct lfs_value *v;
	struct lfs_io *io;
	int r;

	if ((v = malloc(sizeof(*v))) == NULL)
		return -ENOMEM;
	lfs_table_lock(d);
	ref = fh->lease->ref;
	lfs_table_unlock(d);
	if ((r = lfs_read_lock(d, ref.slot, &io)) == 0) {
		r = lfs_value_read(&d->ls, io, &ref, v);
		lfs_read_unlock(d, ref.slot);
	}
	if (r == 0 && v->len > 0 && fwrite(v->data, 1, v->len, f) != v->len)
		r = -ENOMEM;
	free(v);
	return r < 0 ? lfs_errno_map(d, r, fh->lease->name, "read value") : 0;
}

void
lfs_value_render_state(struct lfs_daemon *d, struct lfs_dlease *l, FILE *f)
{
	struct lfs_lease_ref ref;
	struct lfs_value *v;
	struct lfs_io *io;
	int r = -ENOMEM;

	lfs_table_lock(d);
	ref = l->ref;
	lfs_table_unlock(d);
	if ((v = malloc(sizeof(*v))) != NULL &&
	    (r = lfs_read_lock(d, ref.slot, &io)) == 0) {
		r = lfs_value_read(&d->ls, io, &ref, v);
		lfs_read_unlock(d, ref.slot);
	}
	/* the rest of state is still worth showing when the value is not */
	if (r == 0)
		fprintf(f, "value_bytes: %u\nvalue_generation: %llu\n", v->len,
		    (unsigned long long)v->lver);
	else
		fprintf(f, "value_bytes: unreadable (%s)\nvalue_generation: "
		    "unreadable\n", strerror(-r));
	free(v);
}

/* The leader fh may write the value under (the lease's context held): -EPERM
 * unless fh is this host's exclusive holder, as value.c's top says. */
static int
writer_leader(struct lfs_daemon *d, struct lfs_fh *fh, struct lfs_leader *ld)
{
	struct lfs_dlease *l = fh->lease;
	int ok;

	lfs_table_lock(d);
	ok = lfs_hold_usable(l) && !lfs_lease_deleted(l) &&
	    ((fh->kind == LFS_K_VALUE && lfs_hold_how(l) == LFS_HOW_CTL) ||
	    ((fh->kind == LFS_K_LOCK || fh->kind == LFS_K_INCOMING) &&
	    lfs_hold_how(l) == LFS_HOW_FILE && lfs_hold_holder(l) == fh &&
	    fh->st == LFS_FH_HELD));
	if (ok)
		*ld = *lfs_hold_leader(l);
	lfs_table_unlock(d);
	return ok ? 0 : -EPERM;
}

int
lfs_value_store(struct lfs_daemon *d, struct lfs_fh *fh, const char *buf,
    size_t size, off_t off)
{
	struct lfs_leader ld;
	struct lfs_lease_ref ref;
	int r;

	(void)off; /* each write replaces the whole value */
	if (size > lfs_value_max(d->ls.layout.sector_size))
		return -EFBIG;
	if ((r = lfs_daemon_refuse(d, "value")) < 0 ||
	    (r = lfs_ops_lock_serving(d, fh->lease->ref.slot, "value")) < 0)
		return r;
	/* a request of ours answered a moment ago is held, as for ctl
	 * (lfs_hold_arrival_ops): the holder may write at once */
	lfs_hold_arrival_ops(d, fh->lease);
	if ((r = writer_leader(d, fh, &ld)) == 0) {
		lfs_table_lock(d);
		ref = fh->lease->ref;
		lfs_table_unlock(d);
		r = lfs_value_write(&d->ls, lfs_lease_io(d, fh->lease), &ref,
		    &ld, buf, (uint32_t)size, NULL);
	}
	lfs_ops_unlock(d, fh->lease->ref.slot);
	if (r == -EPERM)
		lfs_log(&d->log, LOG_WARNING, "%s: value: not written: not the "
		    "exclusive holder", fh->lease->name);
	else if (r == 0)
		lfs_log(&d->log, LOG_INFO, "%s: value: %zu bytes written at lver "
		    "%llu", fh->lease->name, size, (unsigned long long)ld.lver);
	return r == -EPERM || r == -EFBIG ? r :
	    lfs_errno_map(d, r, fh->lease->name, "write value");
}
