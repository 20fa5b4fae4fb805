/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * scan.c - every lease's leader and request in batched reads (scan.h).
 *
 * The decoding follows lfs_paxos_read_leader() and lfs_paxos_read_request()
 * (core/paxos.c): an all-zero leader is no lease, a deleted leader or one of
 * another incarnation than the name table's is a lease deleted (and maybe
 * created again) since the table was read; an all-zero request is none.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scan.h"

static uint64_t
slot_offset(const struct lfs_lockspace *ls, uint32_t slot)
{
	return lfs_slot_sector(&ls->layout, slot) * ls->layout.sector_size;
}

/* Decode the two sectors (leader, request) read for lease l. */
static void
decode_lease(const struct lfs_lockspace *ls, const unsigned char *buf,
    struct lfs_scan_lease *l)
{
	uint32_t S = ls->layout.sector_size;
	int rv;

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

/* Read leases [first, first + n) (n <= LFS_IO_MAX_BATCH) into bufs. */
static void
read_batch(struct lfs_lockspace *ls, struct lfs_io *io,
    struct lfs_scan_lease *v, uint32_t n, unsigned char *bufs)
{
	struct lfs_io_req req[LFS_IO_MAX_BATCH];
	size_t len = 2u * ls->layout.sector_size;
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
			decode_lease(ls, bufs + i * len, &v[i]);
		return;
	}
	/* some read failed: read each alone, to know which */
	for (i = 0; i < n; i++) {
		rv = lfs_io_read(io, req[i].offset, req[i].buf, len);
		if (rv == 0) {
			decode_lease(ls, req[i].buf, &v[i]);
		} else {
			v[i].err = rv;
			v[i].req_err = rv;
		}
	}
}

int
lfs_scan_leases(struct lfs_lockspace *ls, struct lfs_io *io,
    struct lfs_scan_lease **out, uint32_t *n)
{
	struct lfs_lease_entry *e = NULL;
	struct lfs_scan_lease *v = NULL;
	unsigned char *bufs;
	uint32_t count = 0, i, k;
	int rv;

	*out = NULL;
	*n = 0;
	if ((rv = lfs_leases_list(ls, io, &e, &count)) < 0)
		return rv;
	if (count == 0)
		return 0;
	v = calloc(count, sizeof(*v));
	bufs = malloc((size_t)LFS_IO_MAX_BATCH * 2u * ls->layout.sector_size);
	if (v == NULL || bufs == NULL) {
		free(v);
		free(bufs);
		free(e);
		return -ENOMEM;
	}
	for (i = 0; i < count; i++) {
		memcpy(v[i].name, e[i].name, sizeof(v[i].name));
		v[i].slot = e[i].ref.slot;
		v[i].incarnation = e[i].ref.incarnation;
	}
	free(e);
	for (i = 0; i < count; i += k) {
		k = count - i < LFS_IO_MAX_BATCH ? count - i : LFS_IO_MAX_BATCH;
		read_batch(ls, io, v + i, k, bufs);
	}
	free(bufs);
	*out = v;
	*n = count;
	return 0;
}
