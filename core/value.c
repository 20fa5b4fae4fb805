/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * value.c - the value block of a lease: read and write (value.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "delta.h"
#include "value.h"

static uint64_t
value_offset(const struct lfs_lockspace *ls, uint32_t slot)
{
	return lfs_value_sector(&ls->layout, slot) * ls->layout.sector_size;
}

/* For lfs_io_read_verified(); `decoded` tells a decoder's answer from a
 * failed read. */
struct value_decode {
	struct lfs_value *out;
	int decoded;
};

static int
decode_value(void *arg, const void *buf, size_t len)
{
	struct value_decode *vd = arg;

	vd->decoded = 1;
	return lfs_value_decode(vd->out, buf, len);
}

int
lfs_value_read(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_ref *ref, struct lfs_value *out)
{
	struct value_decode vd = { .out = out };
	uint32_t S = ls->layout.sector_size;
	unsigned char *buf;
	int rv;

	if ((buf = malloc(S)) == NULL)
		return -ENOMEM;
	rv = lfs_io_read_verified(io, value_offset(ls, ref->slot), buf, S,
	    decode_value, &vd);
	free(buf);
	if (!vd.decoded)
		return rv; /* the read itself failed */
	if (rv == 0 && out->incarnation == ref->incarnation)
		return 0;
	if (rv == 0 || rv == -ENODATA) {
		/* never written, or a deleted lease's value: none (rule 4) */
		memset(out, 0, sizeof(*out));
		return 0;
	}
	lfs_log(ls->log, LOG_ERR, "slot %u value: %s", ref->slot,
	    lfs_decode_strerror(rv));
	return -EIO; /* never an empty value for a bad record (rule 4) */
}

/* Rule 1: the disk shows held->lver ours and no newer instance; a leader
 * put back by a late write of an older instance still leaves it ours. */
static int
still_exclusive(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_ref *ref, const struct lfs_leader *held)
{
	struct lfs_leader ld;
	uint64_t newest;
	int rv;

	if (held->owner_id != ls->host_id || held->owner_gen != ls->generation)
		return -EPERM;
	if ((rv = lfs_paxos_read_instance(ls, io, ref, &ld, &newest)) < 0)
		return rv;
	if (newest != held->lver)
		return -EPERM;
	if (ld.lver == held->lver && (ld.owner_id != held->owner_id ||
	    ld.owner_gen != held->owner_gen))
		return -EPERM;
	return 0;
}

/* value.h rule 3: a value write lands before another host may take over. */
static int
value_write_fresh(struct lfs_lockspace *ls)
{
	if (lfs_delta_write_fresh(ls) == 0)
		return 0;
	lfs_log(ls->log, LOG_ERR, "value: refusing a write %llu ms after our "
	    "last renewal: it could land after another host took over",
	    (unsigned long long)lfs_delta_since_renewal_ms(ls));
	return -EIO;
}

int
lfs_value_write(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_ref *ref, const struct lfs_leader *held,
    const void *data, uint32_t len, struct lfs_value *out)
{
	uint32_t S = ls->layout.sector_size;
	struct lfs_value *v;
	unsigned char *buf;
	int rv;

	if (len > lfs_value_max(S))
		return -EFBIG;
	if (ls->host_id == 0)
		return -ENOTCONN;
	if ((rv = lfs_paxos_settled(ls, io)) < 0)
		return rv;
	if ((rv = still_exclusive(ls, io, ref, held)) < 0) {
		if (rv == -EPERM)
			lfs_log(ls->log, LOG_ERR, "slot %u value: not the "
			    "exclusive owner of lver %llu", ref->slot,
			    (unsigned long long)held->lver);
		return rv;
	}
	v = calloc(1, sizeof(*v));
	buf = malloc(S);
	if (v == NULL || buf == NULL) {
		rv = -ENOMEM;
		goto out;
	}
	v->incarnation = ref->incarnation;
	v->writer_id = ls->host_id;
	v->writer_gen = ls->generation;
	v->lver = held->lver;
	v->len = len;
	memcpy(v->data, data, len);
	if ((rv = lfs_value_encode(v, buf, S)) < 0)
		goto out;
	/* rule 3: checked last, inside the submit gate (lockspace.h), right
	 * before the write is submitted */
	rv = lfs_lockspace_write_checked(ls, io, value_offset(ls, ref->slot),
	    buf, S, value_write_fresh);
	if (rv == 0 && out != NULL)
		*out = *v;
out:
	free(buf);
	free(v);
	return rv;
}
