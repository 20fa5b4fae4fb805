/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * scan.c - every lease's leader and request in batched reads (scan.h).
 *
 * The time is the disk's: one batch is one round trip.  Large lockspaces
 * are read by SCAN_THREADS threads at once, each with an I/O context of its
 * own on the same device (diskio.h allows that), over its own range of
 * leases.
 *
 * The decoding follows lfs_paxos_read_leader() and lfs_paxos_read_request()
 * (core/paxos.c): an all-zero leader is no lease, a deleted leader or one of
 * another incarnation than the name table's is a lease deleted (and maybe
 * created again) since the table was read; an all-zero request is none.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "scan.h"

#define SCAN_THREADS 4           /* readers at most */
#define SCAN_PER_THREAD 512      /* leases below which one reader does */

static uint64_t
slot_offset(const struct lfs_lockspace *ls, uint32_t slot)
{
	return lfs_slot_sector(&ls->layout, slot) * ls->layout.sector_size;
}

/* Decode the dblocks of hosts 1 .. hw after the slot header at buf. */
static void
decode_modes(const struct lfs_lockspace *ls, const unsigned char *buf,
    uint32_t hw, struct lfs_scan_lease *l)
{
	uint32_t S = ls->layout.sector_size, id;
	struct lfs_dblock d;

	l->sh_n = 0;
	for (id = 1; id <= hw; id++) {
		if (lfs_dblock_decode(&d, buf + (size_t)(LFS_SLOT_HEADER_SECTORS -
		    1 + id) * S, S) < 0 || !(d.mode_flags & LFS_MODE_SHARED))
			continue;
		if (l->sh_n < LFS_SCAN_MODES_MAX) {
			l->sh[l->sh_n].host_id = id;
			l->sh[l->sh_n].gen = d.mode_gen;
			l->sh[l->sh_n].lver = d.mode_lver;
		}
		l->sh_n++;
	}
}

/* Decode the sectors (leader, request, hw dblocks) read for lease l. */
static void
decode_lease(const struct lfs_lockspace *ls, const unsigned char *buf,
    uint32_t hw, struct lfs_scan_lease *l)
{
	uint32_t S = ls->layout.sector_size;
	int rv;

	decode_modes(ls, buf, hw, l);
	rv = lfs_leader_decode(&l->leader, buf, S);
	if (rv == -ENODATA)
		rv = -ENOENT;
	else if (rv == 0 && ((l->leader.flags & LFS_LEADER_DELETED) ||
	    l->leader.incarnation != l->incarnation))
		rv = -ENOENT;
	l->err = rv;
	rv = lfs_request_decode(&l->request, buf + S, S);
	if (rv < 0)
		memset(&l->request, 0, sizeof(l->request));
	l->req_err = rv == -ENODATA ? 0 : rv;
}

/* For lfs_io_read_verified(): one lease read alone, decoded. */
struct lease_read {
	const struct lfs_lockspace *ls;
	uint32_t hw;
	struct lfs_scan_lease *l;
};

static int
verify_lease(void *arg, const void *buf, size_t len)
{
	struct lease_read *r = arg;

	(void)len;
	decode_lease(r->ls, buf, r->hw, r->l);
	if (lfs_decode_maybe_torn(r->l->err))
		return r->l->err;
	return lfs_decode_maybe_torn(r->l->req_err) ? r->l->req_err : 0;
}

/*
 * Decode lease l from buf, its read at offset.  A lease whose leader or
 * request reads as a torn record might (a bad checksum or magic:
 * lfs_decode_maybe_torn(), ondisk.h) is read again, alone (a read that
 * met a write of it: diskio.h), so that a torn read is not shown as a
 * corrupt lease; one bad on every read (1 + LFS_IO_REREADS more, a few ms,
 * only for such a lease) is shown as it is.
 */
static void
decode_read(struct lfs_lockspace *ls, struct lfs_io *io, uint64_t offset,
    unsigned char *buf, size_t len, uint32_t hw, struct lfs_scan_lease *l)
{
	struct lease_read r = { .ls = ls, .hw = hw, .l = l };
	int rv;

	decode_lease(ls, buf, hw, l);
	if (!lfs_decode_maybe_torn(l->err) && !lfs_decode_maybe_torn(l->req_err))
		return;
	rv = lfs_io_read_verified(io, offset, buf, len, verify_lease, &r);
	if (rv < 0 && !lfs_decode_maybe_torn(rv)) {
		l->err = rv;
		l->req_err = rv;
	}
}

/* Read leases [first, first + n) (n <= LFS_IO_MAX_BATCH) into bufs. */
static void
read_batch(struct lfs_lockspace *ls, struct lfs_io *io,
    struct lfs_scan_lease *v, uint32_t n, uint32_t hw, unsigned char *bufs)
{
	struct lfs_io_req req[LFS_IO_MAX_BATCH];
	size_t len = (size_t)(LFS_SLOT_HEADER_SECTORS + hw) *
	    ls->layout.sector_size;
	uint32_t i;
	int rv;

	for (i = 0; i < n; i++) {
		req[i].op = LFS_IO_READ;
		req[i].offset = slot_offset(ls, v[i].slot);
		req[i].buf = bufs + i * len;
		req[i].len = len;
	}
	if (lfs_io_batch(io, req, (int)n) == 0) {
		for (i = 0; i < n; i++)
			decode_read(ls, io, req[i].offset, req[i].buf, len, hw,
			    &v[i]);
		return;
	}
	/* some read failed: read each alone, to know which */
	for (i = 0; i < n; i++) {
		rv = lfs_io_read(io, req[i].offset, req[i].buf, len);
		if (rv == 0) {
			decode_read(ls, io, req[i].offset, req[i].buf, len, hw,
			    &v[i]);
		} else {
			v[i].err = rv;
			v[i].req_err = rv;
		}
	}
}

/* One reader: leases [first, first + n) through its own context. */
struct scan_part {
	struct lfs_lockspace *ls;
	struct lfs_io *io;           /* the caller's, or own (owned = 1) */
	struct lfs_io own;
	int owned;
	struct lfs_scan_lease *v;
	uint32_t n;
	uint32_t hw;                 /* dblocks read per lease */
	int err;                     /* -ENOMEM */
};

static void *
scan_part(void *arg)
{
	struct scan_part *p = arg;
	unsigned char *bufs;
	uint32_t i, k;

	bufs = malloc((size_t)LFS_IO_MAX_BATCH * (LFS_SLOT_HEADER_SECTORS +
	    p->hw) * p->ls->layout.sector_size);
	if (bufs == NULL) {
		p->err = -ENOMEM;
		return NULL;
	}
	for (i = 0; i < p->n; i += k) {
		k = p->n - i < LFS_IO_MAX_BATCH ? p->n - i : LFS_IO_MAX_BATCH;
		read_batch(p->ls, p->io, p->v + i, k, p->hw, bufs);
	}
	free(bufs);
	if (p->owned)
		lfs_io_destroy(p->io); /* waits out the kernel: do it here */
	return NULL;
}

/* Read v[0 .. count) with up to SCAN_THREADS readers; 0 or -ENOMEM. */
static int
scan_all(struct lfs_lockspace *ls, struct lfs_io *io, struct lfs_scan_lease *v,
    uint32_t count, uint32_t hw)
{
	struct scan_part part[SCAN_THREADS];
	pthread_t tid[SCAN_THREADS];
	int started[SCAN_THREADS] = { 0 };
	uint32_t nparts, per, i, first = 0;
	int r = 0;

	nparts = count / SCAN_PER_THREAD + 1;
	if (nparts > SCAN_THREADS)
		nparts = SCAN_THREADS;
	/* an extra context that cannot be had means one reader fewer */
	for (i = 1; i < nparts; i++)
		if (lfs_io_init(&part[i].own, &ls->disk, io->timeout_ms, NULL,
		    io->log) < 0)
			break;
	nparts = i;
	per = (count + nparts - 1) / nparts;
	for (i = 0; i < nparts; i++) {
		part[i].ls = ls;
		part[i].owned = i > 0;
		part[i].io = i > 0 ? &part[i].own : io;
		part[i].v = v + first;
		part[i].n = count - first < per ? count - first : per;
		part[i].hw = hw;
		part[i].err = 0;
		first += part[i].n;
	}
	for (i = 1; i < nparts; i++)
		started[i] = pthread_create(&tid[i], NULL, scan_part,
		    &part[i]) == 0;
	scan_part(&part[0]);
	for (i = 1; i < nparts; i++) {
		if (started[i])
			pthread_join(tid[i], NULL);
		else
			scan_part(&part[i]); /* no thread: read it here */
	}
	for (i = 0; i < nparts; i++)
		if (part[i].err < 0)
			r = part[i].err;
	return r;
}

int
lfs_scan_leases(struct lfs_lockspace *ls, struct lfs_io *io,
    struct lfs_scan_lease **out, uint32_t *n)
{
	return lfs_scan_leases_modes(ls, io, 0, out, n);
}

int
lfs_scan_leases_modes(struct lfs_lockspace *ls, struct lfs_io *io,
    uint32_t hw, struct lfs_scan_lease **out, uint32_t *n)
{
	struct lfs_lease_entry *e = NULL;
	struct lfs_scan_lease *v = NULL;
	uint32_t count = 0, i;
	int rv;

	*out = NULL;
	*n = 0;
	if ((rv = lfs_leases_list(ls, io, &e, &count)) < 0)
		return rv;
	if (count == 0)
		return 0;
	if ((v = calloc(count, sizeof(*v))) == NULL) {
		free(e);
		return -ENOMEM;
	}
	for (i = 0; i < count; i++) {
		memcpy(v[i].name, e[i].name, sizeof(v[i].name));
		v[i].slot = e[i].ref.slot;
		v[i].incarnation = e[i].ref.incarnation;
	}
	free(e);
	if (hw > ls->layout.max_hosts)
		hw = ls->layout.max_hosts;
	if ((rv = scan_all(ls, io, v, count, hw)) < 0) {
		free(v);
		return rv;
	}
	*out = v;
	*n = count;
	return 0;
}
