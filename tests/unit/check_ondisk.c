/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check_ondisk.c - unit tests of core/ondisk.c and core/crc32c.c.
 *
 * Claims: every record survives an encode/decode round trip at 512- and
 * 4096-byte sectors; every field sits at the offset documented above its
 * encoder (so the on-disk format cannot drift silently); each decoder error
 * (-ENODATA, -EBADMSG, -EPROTO, -EBADE, -ERANGE) is returned for exactly its
 * cause, in the documented order, and a failed decode leaves the caller's
 * struct untouched; encoders refuse out-of-range input; the layout arithmetic
 * gives the documented sector numbers; CRC-32C matches published vectors.
 *
 * The offsets below are written out by hand on purpose: they are the format,
 * and a change to ondisk.c that moves a field must also change this file.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crc32c.h"
#include "ondisk.h"
#include "timeouts.h"

/* ---- helpers ---- */

static uint32_t
le32_at(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint64_t
le64_at(const uint8_t *p)
{
	return le32_at(p) | (uint64_t)le32_at(p + 4) << 32;
}

static void
set_le(uint8_t *p, int width, uint64_t v)
{
	int i;

	for (i = 0; i < width; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Recompute a record's crc after the test changed its bytes. */
static void
fix_crc(uint8_t *p, size_t crc_off, size_t used)
{
	set_le(p + crc_off, 4, 0);
	set_le(p + crc_off, 4, lfs_crc32c(p, used));
}

union rec {
	struct lfs_header h;
	struct lfs_host host;
	struct lfs_name_entry ne;
	struct lfs_leader ldr;
	struct lfs_request req;
	struct lfs_dblock db;
	struct lfs_value val;
};

/* ---- samples, one per record kind, with every field distinct ---- */

static void
sample_header(union rec *r, size_t ss)
{
	int i;

	memset(r, 0, sizeof(*r));
	strcpy(r->h.name, "ls-one");
	for (i = 0; i < 16; i++)
		r->h.uuid[i] = (unsigned char)(0xa0 + i);
	r->h.sector_size = (uint32_t)ss;
	r->h.max_hosts = 64;
	r->h.lease_capacity = 1024;
	ck_assert_int_eq(lfs_timeouts_from_io(10000, &r->h.timeouts), 0);
	r->h.format_time = 0x0102030405060708ull;
}

static void
sample_host(union rec *r, size_t ss)
{
	int i;

	(void)ss;
	memset(r, 0, sizeof(*r));
	r->host.host_id = 7;
	r->host.flags = LFS_HOST_LIVE;
	r->host.generation = 0x1122334455667788ull;
	r->host.timestamp = 42;
	r->host.wall_time = 1700000000;
	r->host.io_timeout_ms = 10000;
	for (i = 0; i < 16; i++)
		r->host.identity[i] = (unsigned char)(0x10 + i);
	strcpy(r->host.name, "host-a.example");
}

static void
sample_name(union rec *r, size_t ss)
{
	(void)ss;
	memset(r, 0, sizeof(*r));
	r->ne.incarnation = 3;
	/* full length: no NUL is left on disk */
	memset(r->ne.name, 'n', LFS_NAME_MAX);
	r->ne.name[0] = 'N';
}

static void
sample_leader(union rec *r, size_t ss)
{
	(void)ss;
	memset(r, 0, sizeof(*r));
	r->ldr.flags = 0;
	r->ldr.incarnation = 3;
	r->ldr.lver = 0x0a0b0c0d0e0f1011ull;
	r->ldr.owner_id = 7;
	r->ldr.owner_gen = 5;
	r->ldr.writer_id = 9;
	r->ldr.wall_time = 1700000001;
	strcpy(r->ldr.name, "vm-disk-1");
}

static void
sample_request(union rec *r, size_t ss)
{
	(void)ss;
	memset(r, 0, sizeof(*r));
	r->req.host_id = 2;
	r->req.host_gen = 4;
	r->req.lver = 9;
	r->req.seq = 11;
}

static void
sample_dblock(union rec *r, size_t ss)
{
	(void)ss;
	memset(r, 0, sizeof(*r));
	r->db.lver = 10;
	r->db.mbal = 2007;
	r->db.bal = 1007;
	r->db.inp_id = 7;
	r->db.inp_gen = 5;
	r->db.mode_flags = LFS_MODE_SHARED;
	r->db.incarnation = 3;
	r->db.mode_gen = 6;
	r->db.mode_lver = 8;
}

static void
sample_value(union rec *r, size_t ss)
{
	(void)ss;
	memset(r, 0, sizeof(*r));
	r->val.incarnation = 3;
	r->val.writer_id = 7;
	r->val.writer_gen = 5;
	r->val.lver = 0x0a0b0c0d0e0f1011ull;
	r->val.len = 5;
	memcpy(r->val.data, "clean", 5);
}

/* ---- encode / decode / compare wrappers with one signature ---- */

/* enc_KIND and dec_KIND for a record kept in field F of union rec. */
#define SECTOR_WRAPPERS(kind, f)					\
static int								\
enc_##kind(const union rec *r, void *b, size_t ss)			\
{									\
	return lfs_##kind##_encode(&r->f, b, ss);			\
}									\
static int								\
dec_##kind(union rec *r, const void *b, size_t ss)			\
{									\
	return lfs_##kind##_decode(&r->f, b, ss);			\
}

SECTOR_WRAPPERS(header, h)
SECTOR_WRAPPERS(host, host)
SECTOR_WRAPPERS(leader, ldr)
SECTOR_WRAPPERS(request, req)
SECTOR_WRAPPERS(dblock, db)
SECTOR_WRAPPERS(value, val)

/* Name entries have no sector size: always 64 bytes. */
static int
enc_name(const union rec *r, void *b, size_t ss)
{
	(void)ss;
	return lfs_name_entry_encode(&r->ne, b);
}

static int
dec_name(union rec *r, const void *b, size_t ss)
{
	(void)ss;
	return lfs_name_entry_decode(&r->ne, b);
}

static void
eq_header(const union rec *a, const union rec *b)
{
	const struct lfs_timeouts *x = &a->h.timeouts, *y = &b->h.timeouts;

	ck_assert_str_eq(a->h.name, b->h.name);
	ck_assert_mem_eq(a->h.uuid, b->h.uuid, 16);
	ck_assert_uint_eq(a->h.sector_size, b->h.sector_size);
	ck_assert_uint_eq(a->h.max_hosts, b->h.max_hosts);
	ck_assert_uint_eq(a->h.lease_capacity, b->h.lease_capacity);
	ck_assert_uint_eq(x->io_timeout_ms, y->io_timeout_ms);
	ck_assert_uint_eq(x->renewal_interval_ms, y->renewal_interval_ms);
	ck_assert_uint_eq(x->renewal_fail_ms, y->renewal_fail_ms);
	ck_assert_uint_eq(x->kill_grace_ms, y->kill_grace_ms);
	ck_assert_uint_eq(x->host_dead_ms, y->host_dead_ms);
	ck_assert_uint_eq(x->join_delay_ms, y->join_delay_ms);
	ck_assert_uint_eq(x->hosts_fresh_ms, y->hosts_fresh_ms);
	ck_assert_uint_eq(a->h.format_time, b->h.format_time);
}

static void
eq_host(const union rec *a, const union rec *b)
{
	ck_assert_uint_eq(a->host.host_id, b->host.host_id);
	ck_assert_uint_eq(a->host.flags, b->host.flags);
	ck_assert_uint_eq(a->host.generation, b->host.generation);
	ck_assert_uint_eq(a->host.timestamp, b->host.timestamp);
	ck_assert_uint_eq(a->host.wall_time, b->host.wall_time);
	ck_assert_uint_eq(a->host.io_timeout_ms, b->host.io_timeout_ms);
	ck_assert_mem_eq(a->host.identity, b->host.identity, 16);
	ck_assert_str_eq(a->host.name, b->host.name);
}

static void
eq_name(const union rec *a, const union rec *b)
{
	ck_assert_uint_eq(a->ne.incarnation, b->ne.incarnation);
	ck_assert_str_eq(a->ne.name, b->ne.name);
}

static void
eq_leader(const union rec *a, const union rec *b)
{
	ck_assert_uint_eq(a->ldr.flags, b->ldr.flags);
	ck_assert_uint_eq(a->ldr.incarnation, b->ldr.incarnation);
	ck_assert_uint_eq(a->ldr.lver, b->ldr.lver);
	ck_assert_uint_eq(a->ldr.owner_id, b->ldr.owner_id);
	ck_assert_uint_eq(a->ldr.owner_gen, b->ldr.owner_gen);
	ck_assert_uint_eq(a->ldr.writer_id, b->ldr.writer_id);
	ck_assert_uint_eq(a->ldr.wall_time, b->ldr.wall_time);
	ck_assert_str_eq(a->ldr.name, b->ldr.name);
}

static void
eq_request(const union rec *a, const union rec *b)
{
	ck_assert_uint_eq(a->req.host_id, b->req.host_id);
	ck_assert_uint_eq(a->req.host_gen, b->req.host_gen);
	ck_assert_uint_eq(a->req.lver, b->req.lver);
	ck_assert_uint_eq(a->req.seq, b->req.seq);
}

static void
eq_dblock(const union rec *a, const union rec *b)
{
	ck_assert_uint_eq(a->db.lver, b->db.lver);
	ck_assert_uint_eq(a->db.mbal, b->db.mbal);
	ck_assert_uint_eq(a->db.bal, b->db.bal);
	ck_assert_uint_eq(a->db.inp_id, b->db.inp_id);
	ck_assert_uint_eq(a->db.inp_gen, b->db.inp_gen);
	ck_assert_uint_eq(a->db.mode_flags, b->db.mode_flags);
	ck_assert_uint_eq(a->db.incarnation, b->db.incarnation);
	ck_assert_uint_eq(a->db.mode_gen, b->db.mode_gen);
	ck_assert_uint_eq(a->db.mode_lver, b->db.mode_lver);
}

static void
eq_value(const union rec *a, const union rec *b)
{
	ck_assert_uint_eq(a->val.incarnation, b->val.incarnation);
	ck_assert_uint_eq(a->val.writer_id, b->val.writer_id);
	ck_assert_uint_eq(a->val.writer_gen, b->val.writer_gen);
	ck_assert_uint_eq(a->val.lver, b->val.lver);
	ck_assert_uint_eq(a->val.len, b->val.len);
	ck_assert_mem_eq(a->val.data, b->val.data, a->val.len);
}

/* One record kind: where its framing fields are, and how to drive it. */
struct rec_case {
	const char *what;
	size_t fixed_len;        /* 64 for the name entry; 0: one sector */
	size_t magic_size, ver_off, crc_off, used;
	void (*sample)(union rec *r, size_t ss);
	int (*enc)(const union rec *r, void *buf, size_t ss);
	int (*dec)(union rec *r, const void *buf, size_t ss);
	void (*eq)(const union rec *a, const union rec *b);
};

enum { R_HEADER, R_HOST, R_NAME, R_LEADER, R_REQUEST, R_DBLOCK, R_VALUE,
	R_COUNT };

static const struct rec_case cases[R_COUNT] = {
	[R_HEADER] = { "header", 0, 8, 8, 12, 128,
	    sample_header, enc_header, dec_header, eq_header },
	[R_HOST] = { "host", 0, 4, 4, 8, 128,
	    sample_host, enc_host, dec_host, eq_host },
	[R_NAME] = { "name entry", 64, 4, 4, 8, 64,
	    sample_name, enc_name, dec_name, eq_name },
	[R_LEADER] = { "leader", 0, 4, 4, 8, 104,
	    sample_leader, enc_leader, dec_leader, eq_leader },
	[R_REQUEST] = { "request", 0, 4, 4, 8, 40,
	    sample_request, enc_request, dec_request, eq_request },
	[R_DBLOCK] = { "dblock", 0, 4, 4, 8, 72,
	    sample_dblock, enc_dblock, dec_dblock, eq_dblock },
	/* used: the 40-byte header and the sample's 5 bytes of data */
	[R_VALUE] = { "value", 0, 4, 4, 8, 45,
	    sample_value, enc_value, dec_value, eq_value },
};

/* Loop index -> record kind and sector size (each kind at 512 and 4096). */
#define N_LOOP (R_COUNT * 2)
static const struct rec_case *
loop_case(int i, size_t *ss, size_t *len)
{
	const struct rec_case *c = &cases[i / 2];

	*ss = i % 2 ? 4096 : 512;
	*len = c->fixed_len ? c->fixed_len : *ss;
	return c;
}

/* Encode the sample of c into a fresh buffer of len bytes (caller frees). */
static uint8_t *
encode_sample(const struct rec_case *c, size_t ss, size_t len, union rec *r)
{
	uint8_t *buf = malloc(len);

	ck_assert_ptr_nonnull(buf);
	c->sample(r, ss);
	ck_assert_int_eq(c->enc(r, buf, ss), 0);
	return buf;
}

/* Decode must fail with want and leave the output untouched. */
static void
expect_decode_error(const struct rec_case *c, const uint8_t *buf, size_t ss,
    int want)
{
	union rec out, canary;

	memset(&out, 0x5a, sizeof(out));
	memcpy(&canary, &out, sizeof(out));
	ck_assert_msg(c->dec(&out, buf, ss) == want, "%s: want %d",
	    c->what, want);
	ck_assert_mem_eq(&out, &canary, sizeof(out));
}

/* ---- CRC-32C ---- */

START_TEST(test_crc32c_vectors)
{
	uint8_t b[32];
	int i;

	ck_assert_uint_eq(lfs_crc32c("123456789", 9), 0xe3069283u);
	ck_assert_uint_eq(lfs_crc32c("", 0), 0);
	/* RFC 3720 (iSCSI) appendix B.4 vectors */
	memset(b, 0, sizeof(b));
	ck_assert_uint_eq(lfs_crc32c(b, 32), 0x8a9136aau);
	memset(b, 0xff, sizeof(b));
	ck_assert_uint_eq(lfs_crc32c(b, 32), 0x62a8ab43u);
	for (i = 0; i < 32; i++)
		b[i] = (uint8_t)i;
	ck_assert_uint_eq(lfs_crc32c(b, 32), 0x46dd794eu);
	for (i = 0; i < 32; i++)
		b[i] = (uint8_t)(31 - i);
	ck_assert_uint_eq(lfs_crc32c(b, 32), 0x113fdb5cu);
}
END_TEST

/* ---- round trips and framing ---- */

START_TEST(test_round_trip)
{
	size_t ss, len;
	const struct rec_case *c = loop_case(_i, &ss, &len);
	union rec in, out;
	uint8_t *buf = malloc(len + 16);

	ck_assert_ptr_nonnull(buf);
	memset(buf, 0xaa, len + 16);
	c->sample(&in, ss);
	ck_assert_int_eq(c->enc(&in, buf, ss), 0);
	/* exactly len bytes written, zero past the used length */
	for (size_t i = c->used; i < len; i++)
		ck_assert_msg(buf[i] == 0, "%s: byte %zu not zero", c->what, i);
	for (size_t i = len; i < len + 16; i++)
		ck_assert_uint_eq(buf[i], 0xaa);
	memset(&out, 0x5a, sizeof(out));
	ck_assert_int_eq(c->dec(&out, buf, ss), 0);
	c->eq(&in, &out);
	/* the crc covers only the used bytes: padding does not matter */
	if (len > c->used) {
		buf[len - 1] = 1;
		ck_assert_int_eq(c->dec(&out, buf, ss), 0);
	}
	free(buf);
}
END_TEST

START_TEST(test_framing_offsets)
{
	size_t ss, len;
	const struct rec_case *c = loop_case(_i, &ss, &len);
	union rec r;
	uint8_t *buf = encode_sample(c, ss, len, &r);
	uint32_t crc = le32_at(buf + c->crc_off);

	ck_assert_uint_eq(le32_at(buf + c->ver_off), LFS_FORMAT_VERSION);
	fix_crc(buf, c->crc_off, c->used);
	ck_assert_uint_eq(le32_at(buf + c->crc_off), crc);
	free(buf);
}
END_TEST

START_TEST(test_header_offsets)
{
	union rec r;
	uint8_t *p = encode_sample(&cases[R_HEADER], 512, 512, &r);

	ck_assert_uint_eq(le64_at(p + 0), LFS_MAGIC_HEADER);
	ck_assert_uint_eq(le32_at(p + 16), 512);
	ck_assert_uint_eq(le32_at(p + 20), 64);
	ck_assert_uint_eq(le32_at(p + 24), 1024);
	ck_assert_uint_eq(le32_at(p + 28), 10000);
	ck_assert_uint_eq(le32_at(p + 32), 20000);
	ck_assert_uint_eq(le32_at(p + 36), 40000);
	ck_assert_uint_eq(le32_at(p + 40), 20000);
	ck_assert_uint_eq(le32_at(p + 44), 80000);
	ck_assert_uint_eq(le32_at(p + 48), 20000);
	ck_assert_uint_eq(le32_at(p + 52), 10000);
	ck_assert_uint_eq(le64_at(p + 56), 0x0102030405060708ull);
	ck_assert_mem_eq(p + 64, r.h.uuid, 16);
	ck_assert_mem_eq(p + 80, "ls-one\0", 7);
	free(p);
}
END_TEST

START_TEST(test_host_offsets)
{
	union rec r;
	uint8_t *p = encode_sample(&cases[R_HOST], 512, 512, &r);

	ck_assert_mem_eq(p, "Host", 4);
	ck_assert_uint_eq(le32_at(p + 12), 7);
	ck_assert_uint_eq(le32_at(p + 16), LFS_HOST_LIVE);
	ck_assert_uint_eq(le32_at(p + 20), 10000);
	ck_assert_uint_eq(le64_at(p + 24), 0x1122334455667788ull);
	ck_assert_uint_eq(le64_at(p + 32), 42);
	ck_assert_uint_eq(le64_at(p + 40), 1700000000);
	ck_assert_mem_eq(p + 48, r.host.identity, 16);
	ck_assert_mem_eq(p + 64, "host-a.example\0", 15);
	free(p);
}
END_TEST

/* The presence sits after the notice, in its own bytes: the record and
 * the notice around it encode and decode as before, and each has its own
 * crc (a damaged presence leaves the record readable). */
START_TEST(test_presence_offsets)
{
	static const size_t sizes[] = { 512, 4096 };
	struct lfs_host h = { .host_id = 7, .flags = LFS_HOST_LIVE,
		.generation = 3, .timestamp = 9, .io_timeout_ms = 10000 };
	struct lfs_notice n = { .host_id = 7, .generation = 3, .seq = 1,
		.slots = { 5 } }, nd;
	struct lfs_presence pr = { .host_id = 7 }, pd;
	struct lfs_host hd;
	uint8_t buf[4096];
	size_t i;

	strcpy(h.name, "a");
	lfs_presence_set(&pr, 0);
	lfs_presence_set(&pr, 9);
	lfs_presence_set(&pr, LFS_PRESENCE_BUCKETS - 1);
	ck_assert_uint_eq(lfs_presence_bucket(LFS_PRESENCE_BUCKETS + 9), 9);
	for (i = 0; i < 2; i++) {
		size_t S = sizes[i];

		ck_assert_int_eq(lfs_host_encode(&h, buf, S), 0);
		ck_assert_int_eq(lfs_presence_decode(&pd, buf, S), -ENODATA);
		ck_assert_int_eq(lfs_presence_encode(&pr, buf, S), 0);
		/* a notice written after the presence leaves it alone */
		ck_assert_int_eq(lfs_notice_encode(&n, buf, S), 0);
		ck_assert_mem_eq(buf + 416, "Pres", 4);
		ck_assert_uint_eq(le32_at(buf + 416 + 4), LFS_FORMAT_VERSION);
		ck_assert_uint_eq(le32_at(buf + 416 + 12), 7);
		ck_assert_uint_eq(buf[416 + 16], 0x01);      /* bucket 0 */
		ck_assert_uint_eq(buf[416 + 17], 0x02);      /* bucket 9 */
		ck_assert_uint_eq(buf[416 + 79], 0x80);      /* bucket 511 */
		ck_assert_uint_eq(le32_at(buf + 416 + 8),
		    lfs_crc32c_hole(buf + 416, 80, 8));
		ck_assert_int_eq(lfs_presence_decode(&pd, buf, S), 0);
		ck_assert_mem_eq(pd.bits, pr.bits, sizeof(pr.bits));
		ck_assert(lfs_presence_has(&pd, 9) && !lfs_presence_has(&pd, 8));
		ck_assert_int_eq(lfs_notice_decode(&nd, buf, S), 0);
		ck_assert_uint_eq(nd.slots[0], 5);
		buf[416 + 30] ^= 1;
		ck_assert_int_eq(lfs_presence_decode(&pd, buf, S), -EBADE);
		ck_assert_int_eq(lfs_host_decode(&hd, buf, S), 0);
		ck_assert_int_eq(lfs_notice_decode(&nd, buf, S), 0);
	}
	pr.host_id = 0;
	ck_assert_int_eq(lfs_presence_encode(&pr, buf, 512), -EINVAL);
	pr.host_id = 7;
	ck_assert_int_eq(lfs_presence_encode(&pr, buf, 100), -EINVAL);
}
END_TEST

START_TEST(test_name_entry_offsets)
{
	union rec r;
	uint8_t *p = encode_sample(&cases[R_NAME], 0, 64, &r);

	ck_assert_mem_eq(p, "Name", 4);
	ck_assert_uint_eq(le32_at(p + 12), 3);
	ck_assert_mem_eq(p + 16, r.ne.name, LFS_NAME_MAX);
	free(p);
}
END_TEST

START_TEST(test_slot_record_offsets)
{
	union rec r;
	uint8_t *p = encode_sample(&cases[R_LEADER], 512, 512, &r);

	ck_assert_mem_eq(p, "Lead", 4);
	ck_assert_uint_eq(le32_at(p + 12), 0);
	ck_assert_uint_eq(le32_at(p + 16), 3);
	ck_assert_uint_eq(le32_at(p + 20), 7);
	ck_assert_uint_eq(le32_at(p + 24), 9);
	ck_assert_uint_eq(le32_at(p + 28), 0);
	ck_assert_uint_eq(le64_at(p + 32), 0x0a0b0c0d0e0f1011ull);
	ck_assert_uint_eq(le64_at(p + 40), 5);
	ck_assert_uint_eq(le64_at(p + 48), 1700000001);
	ck_assert_mem_eq(p + 56, "vm-disk-1\0", 10);
	free(p);
	p = encode_sample(&cases[R_REQUEST], 512, 512, &r);
	ck_assert_mem_eq(p, "LReq", 4);
	ck_assert_uint_eq(le32_at(p + 12), 2);
	ck_assert_uint_eq(le64_at(p + 16), 4);
	ck_assert_uint_eq(le64_at(p + 24), 9);
	ck_assert_uint_eq(le64_at(p + 32), 11);
	free(p);
	p = encode_sample(&cases[R_DBLOCK], 512, 512, &r);
	ck_assert_mem_eq(p, "DBlk", 4);
	ck_assert_uint_eq(le32_at(p + 12), 7);
	ck_assert_uint_eq(le64_at(p + 16), 10);
	ck_assert_uint_eq(le64_at(p + 24), 2007);
	ck_assert_uint_eq(le64_at(p + 32), 1007);
	ck_assert_uint_eq(le64_at(p + 40), 5);
	ck_assert_uint_eq(le32_at(p + 48), LFS_MODE_SHARED);
	ck_assert_uint_eq(le32_at(p + 52), 3);
	ck_assert_uint_eq(le64_at(p + 56), 6);
	ck_assert_uint_eq(le64_at(p + 64), 8);
	free(p);
	p = encode_sample(&cases[R_VALUE], 512, 512, &r);
	ck_assert_mem_eq(p, "LVal", 4);
	ck_assert_uint_eq(le32_at(p + 4), LFS_FORMAT_VERSION);
	ck_assert_uint_eq(le32_at(p + 12), 5);
	ck_assert_uint_eq(le32_at(p + 16), 3);
	ck_assert_uint_eq(le32_at(p + 20), 7);
	ck_assert_uint_eq(le64_at(p + 24), 5);
	ck_assert_uint_eq(le64_at(p + 32), 0x0a0b0c0d0e0f1011ull);
	ck_assert_mem_eq(p + 40, "clean", 5);
	ck_assert_uint_eq(p[45], 0);
	free(p);
}
END_TEST

/* A value of every length up to the largest round-trips at both sector
 * sizes; one byte more is refused; a length field past the largest reads
 * as corrupt (-EBADE), never as a shorter value. */
START_TEST(test_value_lengths)
{
	static const size_t sizes[] = { 512, 4096 };
	union rec r, out;
	uint8_t *buf = malloc(4096);
	size_t k;
	uint32_t len, max;

	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(lfs_value_max(512), 472);
	ck_assert_uint_eq(lfs_value_max(4096), 4056);
	for (k = 0; k < 2; k++) {
		max = lfs_value_max((uint32_t)sizes[k]);
		for (len = 0; len <= max; len += len < 8 ? 1 : 61) {
			sample_value(&r, sizes[k]);
			r.val.len = len;
			memset(r.val.data, 'v', len);
			ck_assert_int_eq(lfs_value_encode(&r.val, buf, sizes[k]), 0);
			ck_assert_int_eq(lfs_value_decode(&out.val, buf, sizes[k]), 0);
			eq_value(&r, &out);
		}
		r.val.len = max;
		ck_assert_int_eq(lfs_value_encode(&r.val, buf, sizes[k]), 0);
		ck_assert_int_eq(lfs_value_decode(&out.val, buf, sizes[k]), 0);
		r.val.len = max + 1;
		ck_assert_int_eq(lfs_value_encode(&r.val, buf, sizes[k]), -EINVAL);
		r.val.len = 5;
		ck_assert_int_eq(lfs_value_encode(&r.val, buf, sizes[k]), 0);
		set_le(buf + 12, 4, max + 1);
		expect_decode_error(&cases[R_VALUE], buf, sizes[k], -EBADE);
		/* a torn write: the data's second half from an older record */
		ck_assert_int_eq(lfs_value_encode(&r.val, buf, sizes[k]), 0);
		buf[44] ^= 0x20;
		expect_decode_error(&cases[R_VALUE], buf, sizes[k], -EBADE);
	}
	free(buf);
}
END_TEST

/* ---- decoder errors ---- */

START_TEST(test_zero_is_enodata)
{
	size_t ss, len;
	const struct rec_case *c = loop_case(_i, &ss, &len);
	uint8_t *buf = calloc(1, len);

	ck_assert_ptr_nonnull(buf);
	expect_decode_error(c, buf, ss, -ENODATA);
	/* one non-zero byte anywhere makes it a (bad) record, not empty */
	buf[len - 1] = 1;
	expect_decode_error(c, buf, ss, -EBADMSG);
	free(buf);
}
END_TEST

START_TEST(test_bad_magic)
{
	size_t ss, len;
	const struct rec_case *c = loop_case(_i, &ss, &len);
	union rec r;
	uint8_t *buf = encode_sample(c, ss, len, &r);
	size_t i;

	for (i = 0; i < c->magic_size; i++) {
		buf[i] ^= 0x20;
		expect_decode_error(c, buf, ss, -EBADMSG);
		/* magic is checked before the crc: fixing it changes nothing */
		fix_crc(buf, c->crc_off, c->used);
		expect_decode_error(c, buf, ss, -EBADMSG);
		buf[i] ^= 0x20;
		fix_crc(buf, c->crc_off, c->used);
	}
	ck_assert_int_eq(c->dec(&r, buf, ss), 0);
	free(buf);
}
END_TEST

START_TEST(test_other_kind_is_ebadmsg)
{
	union rec r;
	uint8_t *buf = encode_sample(&cases[R_HOST], 512, 512, &r);

	expect_decode_error(&cases[R_LEADER], buf, 512, -EBADMSG);
	expect_decode_error(&cases[R_DBLOCK], buf, 512, -EBADMSG);
	expect_decode_error(&cases[R_HEADER], buf, 512, -EBADMSG);
	free(buf);
}
END_TEST

START_TEST(test_version)
{
	size_t ss, len;
	const struct rec_case *c = loop_case(_i, &ss, &len);
	union rec r;
	uint8_t *buf = encode_sample(c, ss, len, &r);

	set_le(buf + c->ver_off, 4, LFS_FORMAT_VERSION + 1);
	/* version is checked before the crc */
	expect_decode_error(c, buf, ss, -EPROTO);
	fix_crc(buf, c->crc_off, c->used);
	expect_decode_error(c, buf, ss, -EPROTO);
	set_le(buf + c->ver_off, 4, 0);
	fix_crc(buf, c->crc_off, c->used);
	expect_decode_error(c, buf, ss, -EPROTO);
	free(buf);
}
END_TEST

START_TEST(test_flipped_bit_is_ebade)
{
	size_t ss, len;
	const struct rec_case *c = loop_case(_i, &ss, &len);
	union rec r;
	uint8_t *buf = encode_sample(c, ss, len, &r);
	size_t i;
	int bit;

	/* every bit after the version, crc field included */
	for (i = c->ver_off + 4; i < c->used; i++) {
		for (bit = 0; bit < 8; bit++) {
			buf[i] ^= (uint8_t)(1u << bit);
			expect_decode_error(c, buf, ss, -EBADE);
			buf[i] ^= (uint8_t)(1u << bit);
		}
	}
	ck_assert_int_eq(c->dec(&r, buf, ss), 0);
	free(buf);
}
END_TEST

/* An out-of-range field written with a valid crc. */
struct mutation {
	int kind;
	size_t off;
	int width;               /* bytes; 0: zero `value` bytes at off */
	uint64_t value;
	const char *why;
};

static const struct mutation range_cases[] = {
	{ R_HEADER, 16, 4, 1024, "sector size 1024" },
	{ R_HEADER, 16, 4, 0, "sector size 0" },
	{ R_HEADER, 20, 4, 0, "max_hosts 0" },
	{ R_HEADER, 20, 4, LFS_MAX_HOSTS + 1, "max_hosts too big" },
	{ R_HEADER, 24, 4, 0, "lease_capacity 0" },
	{ R_HEADER, 24, 4, LFS_MAX_LEASES + 1, "lease_capacity too big" },
	{ R_HEADER, 28, 4, 20000, "io_timeout not matching the rest" },
	{ R_HEADER, 44, 4, 80001, "host_dead tampered" },
	{ R_HEADER, 52, 4, 20000, "hosts_fresh tampered" },
	{ R_HEADER, 80, 1, '.', "name with a leading dot" },
	{ R_HEADER, 81, 1, '/', "name with a slash" },
	{ R_HEADER, 90, 1, 'x', "name not NUL-padded" },
	{ R_HEADER, 80, 0, 48, "empty name" },
	{ R_HOST, 12, 4, 0, "host id 0" },
	{ R_HOST, 12, 4, LFS_MAX_HOSTS + 1, "host id too big" },
	{ R_HOST, 16, 4, 0x4, "unknown flag" },
	{ R_HOST, 16, 4, LFS_HOST_LIVE | LFS_HOST_FREE, "live and free" },
	{ R_HOST, 20, 4, 0, "io_timeout 0" },
	{ R_HOST, 64, 1, ' ', "name with a space" },
	{ R_HOST, 100, 1, 'x', "name not NUL-padded" },
	{ R_HOST, 64, 0, 64, "empty name" },
	{ R_NAME, 16, 1, '.', "name with a leading dot" },
	{ R_NAME, 20, 1, 0xc3, "name with UTF-8" },
	{ R_NAME, 16, 0, 48, "empty name" },
	{ R_NAME, 30, 1, 0, "NUL inside the name" },
	{ R_LEADER, 12, 4, 0x2, "unknown flag" },
	{ R_LEADER, 20, 4, LFS_MAX_HOSTS + 1, "owner id too big" },
	{ R_LEADER, 24, 4, LFS_MAX_HOSTS + 1, "writer id too big" },
	{ R_LEADER, 28, 4, 1, "reserved not zero" },
	{ R_LEADER, 56, 1, '/', "name with a slash" },
	{ R_LEADER, 70, 1, 'x', "name not NUL-padded" },
	{ R_REQUEST, 12, 4, LFS_MAX_HOSTS + 1, "host id too big" },
	{ R_DBLOCK, 12, 4, LFS_MAX_HOSTS + 1, "inp id too big" },
	{ R_DBLOCK, 32, 8, 2008, "bal above mbal" },
	{ R_DBLOCK, 48, 4, 0x2, "unknown mode flag" },
	{ R_VALUE, 20, 4, 0, "writer id 0" },
	{ R_VALUE, 20, 4, LFS_MAX_HOSTS + 1, "writer id too big" },
};
#define N_RANGE ((int)(sizeof(range_cases) / sizeof(range_cases[0])))

static void
apply(uint8_t *p, const struct mutation *m)
{
	if (m->width == 0)
		memset(p + m->off, 0, (size_t)m->value);
	else
		set_le(p + m->off, m->width, m->value);
}

START_TEST(test_out_of_range)
{
	const struct mutation *m = &range_cases[_i];
	const struct rec_case *c = &cases[m->kind];
	size_t len = c->fixed_len ? c->fixed_len : 512;
	union rec r;
	uint8_t *buf = encode_sample(c, 512, len, &r);

	apply(buf, m);
	/* the crc is checked before the ranges */
	ck_assert_msg(c->dec(&r, buf, 512) == -EBADE, "%s: %s: crc not checked"
	    " first", c->what, m->why);
	fix_crc(buf, c->crc_off, c->used);
	ck_assert_msg(c->dec(&r, buf, 512) == -ERANGE, "%s: %s", c->what,
	    m->why);
	expect_decode_error(c, buf, 512, -ERANGE);
	free(buf);
}
END_TEST

START_TEST(test_short_buffer)
{
	uint8_t buf[512];
	union rec r;
	int k;

	memset(buf, 0, sizeof(buf));
	for (k = 0; k < R_COUNT; k++) {
		if (cases[k].fixed_len)
			continue;
		ck_assert_int_eq(cases[k].dec(&r, buf, 511), -EINVAL);
		ck_assert_int_eq(cases[k].dec(&r, buf, 0), -EINVAL);
	}
}
END_TEST

/* A header written for 4096-byte sectors decodes from its first 512. */
START_TEST(test_header_first_512)
{
	union rec r, out;
	uint8_t *buf = encode_sample(&cases[R_HEADER], 4096, 4096, &r);

	ck_assert_int_eq(lfs_header_decode(&out.h, buf, 512), 0);
	eq_header(&r, &out);
	ck_assert_uint_eq(out.h.sector_size, 4096);
	free(buf);
}
END_TEST

START_TEST(test_leader_empty_name)
{
	union rec r, out;
	uint8_t buf[512];

	sample_leader(&r, 512);
	r.ldr.name[0] = '\0';
	r.ldr.flags = LFS_LEADER_DELETED;
	r.ldr.owner_id = 0;
	r.ldr.writer_id = 0;
	ck_assert_int_eq(lfs_leader_encode(&r.ldr, buf, 512), 0);
	ck_assert_int_eq(lfs_leader_decode(&out.ldr, buf, 512), 0);
	eq_leader(&r, &out);
}
END_TEST

START_TEST(test_name_entry_short_name)
{
	union rec r, out;
	uint8_t buf[64];

	memset(&r, 0, sizeof(r));
	strcpy(r.ne.name, "a");
	ck_assert_int_eq(lfs_name_entry_encode(&r.ne, buf), 0);
	ck_assert_int_eq(lfs_name_entry_decode(&out.ne, buf), 0);
	eq_name(&r, &out);
	memset(buf, 0, sizeof(buf));
	ck_assert_int_eq(lfs_name_entry_decode(&out.ne, buf), -ENODATA);
}
END_TEST

/* ---- encoder input checks ---- */

START_TEST(test_encode_sector_size)
{
	static const size_t bad[] = { 0, 256, 511, 1024, 2048, 4095, 8192 };
	uint8_t *buf = malloc(8192);
	union rec r;
	size_t i;
	int k;

	ck_assert_ptr_nonnull(buf);
	for (k = 0; k < R_COUNT; k++) {
		if (cases[k].fixed_len)
			continue;
		cases[k].sample(&r, 512);
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			ck_assert_int_eq(cases[k].enc(&r, buf, bad[i]), -EINVAL);
	}
	free(buf);
}
END_TEST

static void
expect_enc_einval(int kind, const union rec *r, const char *why)
{
	uint8_t buf[512];

	ck_assert_msg(cases[kind].enc(r, buf, 512) == -EINVAL, "%s: %s",
	    cases[kind].what, why);
}

START_TEST(test_encode_header_ranges)
{
	union rec r;

	sample_header(&r, 512); r.h.sector_size = 1024;
	expect_enc_einval(R_HEADER, &r, "sector size");
	sample_header(&r, 512); r.h.max_hosts = 0;
	expect_enc_einval(R_HEADER, &r, "max_hosts 0");
	sample_header(&r, 512); r.h.max_hosts = LFS_MAX_HOSTS + 1;
	expect_enc_einval(R_HEADER, &r, "max_hosts");
	sample_header(&r, 512); r.h.lease_capacity = 0;
	expect_enc_einval(R_HEADER, &r, "lease_capacity 0");
	sample_header(&r, 512); r.h.lease_capacity = LFS_MAX_LEASES + 1;
	expect_enc_einval(R_HEADER, &r, "lease_capacity");
	sample_header(&r, 512); r.h.timeouts.kill_grace_ms++;
	expect_enc_einval(R_HEADER, &r, "tampered timeouts");
	sample_header(&r, 512); r.h.name[0] = '\0';
	expect_enc_einval(R_HEADER, &r, "empty name");
	sample_header(&r, 512); strcpy(r.h.name, "a/b");
	expect_enc_einval(R_HEADER, &r, "slash");
	sample_header(&r, 512); memset(r.h.name, 'a', sizeof(r.h.name));
	expect_enc_einval(R_HEADER, &r, "unterminated name");
	sample_header(&r, 512); r.h.name[LFS_NAME_MAX] = '\0';
	memset(r.h.name, 'a', LFS_NAME_MAX);
	ck_assert_int_eq(enc_header(&r, (uint8_t[512]){ 0 }, 512), 0);
}
END_TEST

START_TEST(test_encode_host_ranges)
{
	union rec r;

	sample_host(&r, 512); r.host.host_id = 0;
	expect_enc_einval(R_HOST, &r, "id 0");
	sample_host(&r, 512); r.host.host_id = LFS_MAX_HOSTS + 1;
	expect_enc_einval(R_HOST, &r, "id too big");
	sample_host(&r, 512); r.host.flags = 0x8;
	expect_enc_einval(R_HOST, &r, "unknown flag");
	sample_host(&r, 512); r.host.flags = LFS_HOST_LIVE | LFS_HOST_FREE;
	expect_enc_einval(R_HOST, &r, "live and free");
	sample_host(&r, 512); r.host.io_timeout_ms = LFS_IO_TIMEOUT_MAX_MS + 1;
	expect_enc_einval(R_HOST, &r, "io_timeout");
	sample_host(&r, 512); r.host.name[0] = '\0';
	expect_enc_einval(R_HOST, &r, "empty name");
	sample_host(&r, 512); strcpy(r.host.name, "a b");
	expect_enc_einval(R_HOST, &r, "space");
	sample_host(&r, 512); memset(r.host.name, 'h', sizeof(r.host.name));
	expect_enc_einval(R_HOST, &r, "unterminated name");
	sample_host(&r, 512); r.host.flags = 0; r.host.host_id = LFS_MAX_HOSTS;
	ck_assert_int_eq(enc_host(&r, (uint8_t[512]){ 0 }, 512), 0);
}
END_TEST

START_TEST(test_encode_slot_ranges)
{
	union rec r;

	sample_name(&r, 0); r.ne.name[0] = '\0';
	ck_assert_int_eq(lfs_name_entry_encode(&r.ne, (uint8_t[64]){ 0 }), -EINVAL);
	sample_name(&r, 0); r.ne.name[0] = '.';
	ck_assert_int_eq(lfs_name_entry_encode(&r.ne, (uint8_t[64]){ 0 }), -EINVAL);
	sample_name(&r, 0); r.ne.name[LFS_NAME_MAX] = 'x';
	ck_assert_int_eq(lfs_name_entry_encode(&r.ne, (uint8_t[64]){ 0 }), -EINVAL);
	sample_leader(&r, 512); r.ldr.flags = 0x2;
	expect_enc_einval(R_LEADER, &r, "unknown flag");
	sample_leader(&r, 512); r.ldr.owner_id = LFS_MAX_HOSTS + 1;
	expect_enc_einval(R_LEADER, &r, "owner");
	sample_leader(&r, 512); r.ldr.writer_id = LFS_MAX_HOSTS + 1;
	expect_enc_einval(R_LEADER, &r, "writer");
	sample_leader(&r, 512); strcpy(r.ldr.name, "..");
	expect_enc_einval(R_LEADER, &r, "dot-dot");
	sample_request(&r, 512); r.req.host_id = LFS_MAX_HOSTS + 1;
	expect_enc_einval(R_REQUEST, &r, "host id");
	sample_dblock(&r, 512); r.db.inp_id = LFS_MAX_HOSTS + 1;
	expect_enc_einval(R_DBLOCK, &r, "inp id");
	sample_dblock(&r, 512); r.db.bal = r.db.mbal + 1;
	expect_enc_einval(R_DBLOCK, &r, "bal above mbal");
	sample_dblock(&r, 512); r.db.mode_flags = 0;
	expect_enc_einval(R_DBLOCK, &r, "cleared mode with a generation");
	sample_dblock(&r, 512); r.db.mode_flags = 0x4;
	expect_enc_einval(R_DBLOCK, &r, "unknown mode flag");
	sample_value(&r, 512); r.val.writer_id = 0;
	expect_enc_einval(R_VALUE, &r, "writer id 0");
}
END_TEST

/* ---- layout ---- */

START_TEST(test_layout_default_geometry)
{
	struct lfs_layout l;

	ck_assert_int_eq(lfs_layout_init(&l, 512, 64, 1024), 0);
	ck_assert_uint_eq(l.sector_size, 512);
	ck_assert_uint_eq(l.max_hosts, 64);
	ck_assert_uint_eq(l.lease_capacity, 1024);
	ck_assert_uint_eq(l.host_area, 1);
	ck_assert_uint_eq(l.name_table, 65);
	ck_assert_uint_eq(l.name_sectors, 128);       /* 64 KiB of entries */
	ck_assert_uint_eq(l.lease_area, 193);
	ck_assert_uint_eq(l.slot_sectors, 67);
	ck_assert_uint_eq(l.total_sectors, 193 + 1025 * 67);
	ck_assert_uint_eq(lfs_layout_bytes(&l), (193 + 1025 * 67) * 512ull);
	ck_assert_uint_eq(lfs_host_sector(&l, 1), 1);
	ck_assert_uint_eq(lfs_host_sector(&l, 64), 64);
	ck_assert_uint_eq(lfs_slot_sector(&l, 0), 193);
	ck_assert_uint_eq(lfs_slot_sector(&l, 1), 193 + 67);
	ck_assert_uint_eq(lfs_slot_sector(&l, 1024) + 67, l.total_sectors);
	/* the value is the last sector of its slot, after dblock 64 */
	ck_assert_uint_eq(lfs_value_sector(&l, 1), 193 + 67 + 66);
	ck_assert_uint_eq(lfs_value_sector(&l, 1024) + 1, l.total_sectors);
	ck_assert_uint_eq(lfs_name_entry_offset(0), 0);
	ck_assert_uint_eq(lfs_name_entry_offset(3), 192);
	ck_assert_uint_eq(lfs_name_entry_offset(1023) + 64,
	    l.name_sectors * 512);
}
END_TEST

START_TEST(test_layout_other_geometries)
{
	struct lfs_layout l;

	/* smallest: one host, one lease; the name table rounds up */
	ck_assert_int_eq(lfs_layout_init(&l, 512, 1, 1), 0);
	ck_assert_uint_eq(l.name_table, 2);
	ck_assert_uint_eq(l.name_sectors, 1);
	ck_assert_uint_eq(l.lease_area, 3);
	ck_assert_uint_eq(l.slot_sectors, 4);
	ck_assert_uint_eq(l.total_sectors, 11);
	/* 4K sectors, 65 entries spill into a second sector */
	ck_assert_int_eq(lfs_layout_init(&l, 4096, 3, 65), 0);
	ck_assert_uint_eq(l.name_table, 4);
	ck_assert_uint_eq(l.name_sectors, 2);
	ck_assert_uint_eq(l.lease_area, 6);
	ck_assert_uint_eq(l.slot_sectors, 6);
	ck_assert_uint_eq(l.total_sectors, 6 + 66 * 6);
	ck_assert_uint_eq(lfs_layout_bytes(&l), (6 + 66 * 6) * 4096ull);
	/* the largest: no 32-bit overflow anywhere */
	ck_assert_int_eq(lfs_layout_init(&l, 4096, LFS_MAX_HOSTS,
	    LFS_MAX_LEASES), 0);
	ck_assert_uint_eq(l.name_table, 2001);
	ck_assert_uint_eq(l.name_sectors, 15625);
	ck_assert_uint_eq(l.lease_area, 17626);
	ck_assert_uint_eq(l.slot_sectors, 2003);
	ck_assert_uint_eq(l.total_sectors, 17626 + 1000001ull * 2003);
	ck_assert_uint_eq(lfs_layout_bytes(&l),
	    (17626 + 1000001ull * 2003) * 4096);
	ck_assert_uint_eq(lfs_slot_sector(&l, LFS_MAX_LEASES),
	    17626 + 1000000ull * 2003);
	ck_assert_uint_eq(lfs_value_sector(&l, LFS_MAX_LEASES),
	    17626 + 1000000ull * 2003 + 2002);
}
END_TEST

START_TEST(test_layout_bad_geometry)
{
	struct lfs_layout l;

	ck_assert_int_eq(lfs_layout_init(&l, 1024, 64, 1024), -EINVAL);
	ck_assert_int_eq(lfs_layout_init(&l, 0, 64, 1024), -EINVAL);
	ck_assert_int_eq(lfs_layout_init(&l, 512, 0, 1024), -EINVAL);
	ck_assert_int_eq(lfs_layout_init(&l, 512, LFS_MAX_HOSTS + 1, 1024),
	    -EINVAL);
	ck_assert_int_eq(lfs_layout_init(&l, 512, 64, 0), -EINVAL);
	ck_assert_int_eq(lfs_layout_init(&l, 512, 64, LFS_MAX_LEASES + 1),
	    -EINVAL);
}
END_TEST

START_TEST(test_decode_strerror)
{
	ck_assert_str_eq(lfs_decode_strerror(-ENODATA), "empty");
	ck_assert_str_eq(lfs_decode_strerror(-EBADMSG), "not a leasefs record");
	ck_assert_str_eq(lfs_decode_strerror(-EPROTO),
	    "unsupported format version");
	ck_assert_str_eq(lfs_decode_strerror(-EBADE), "checksum mismatch");
	ck_assert_str_eq(lfs_decode_strerror(-ERANGE), "field out of range");
	ck_assert_str_eq(lfs_decode_strerror(EBADE), "checksum mismatch");
	ck_assert_ptr_nonnull(lfs_decode_strerror(-EIO));
	ck_assert_str_ne(lfs_decode_strerror(-EIO), "");
	ck_assert_ptr_nonnull(lfs_decode_strerror(-99999));
}
END_TEST

static Suite *
ondisk_suite(void)
{
	Suite *s = suite_create("ondisk");
	TCase *tc;

	tc = tcase_create("crc32c");
	tcase_add_test(tc, test_crc32c_vectors);
	suite_add_tcase(s, tc);

	tc = tcase_create("records");
	tcase_add_loop_test(tc, test_round_trip, 0, N_LOOP);
	tcase_add_loop_test(tc, test_framing_offsets, 0, N_LOOP);
	tcase_add_test(tc, test_header_offsets);
	tcase_add_test(tc, test_host_offsets);
	tcase_add_test(tc, test_presence_offsets);
	tcase_add_test(tc, test_name_entry_offsets);
	tcase_add_test(tc, test_slot_record_offsets);
	tcase_add_test(tc, test_value_lengths);
	tcase_add_test(tc, test_header_first_512);
	tcase_add_test(tc, test_leader_empty_name);
	tcase_add_test(tc, test_name_entry_short_name);
	suite_add_tcase(s, tc);

	tc = tcase_create("decode errors");
	tcase_add_loop_test(tc, test_zero_is_enodata, 0, N_LOOP);
	tcase_add_loop_test(tc, test_bad_magic, 0, N_LOOP);
	tcase_add_test(tc, test_other_kind_is_ebadmsg);
	tcase_add_loop_test(tc, test_version, 0, N_LOOP);
	tcase_add_loop_test(tc, test_flipped_bit_is_ebade, 0, N_LOOP);
	tcase_add_loop_test(tc, test_out_of_range, 0, N_RANGE);
	tcase_add_test(tc, test_short_buffer);
	tcase_add_test(tc, test_decode_strerror);
	suite_add_tcase(s, tc);

	tc = tcase_create("encode errors");
	tcase_add_test(tc, test_encode_sector_size);
	tcase_add_test(tc, test_encode_header_ranges);
	tcase_add_test(tc, test_encode_host_ranges);
	tcase_add_test(tc, test_encode_slot_ranges);
	suite_add_tcase(s, tc);

	tc = tcase_create("layout");
	tcase_add_test(tc, test_layout_default_geometry);
	tcase_add_test(tc, test_layout_other_geometries);
	tcase_add_test(tc, test_layout_bad_geometry);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(ondisk_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
