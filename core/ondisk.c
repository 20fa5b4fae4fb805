/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ondisk.c - encoders and decoders of every leasefs on-disk record, and the
 * lockspace layout arithmetic (see ondisk.h for the format overview).
 *
 * Owns the bytes on disk: no other file knows a field offset.  Promises:
 *   - every integer is little-endian, written byte by byte (put_le*, get_le*),
 *     so the format does not depend on the host's byte order or alignment;
 *   - every record is [magic][version][crc][fields...], followed by zero
 *     padding to the end of its sector (or of its 64-byte name entry);
 *   - the CRC-32C covers the record's used bytes only (not the padding),
 *     computed with the crc field itself taken as zero;
 *   - encoders validate every field before touching the buffer, then write
 *     exactly one sector (or one entry);
 *   - decoders check, in this order: all zero (-ENODATA), magic (-EBADMSG),
 *     version (-EPROTO), crc (-EBADE), field ranges (-ERANGE), and fill the
 *     caller's struct only on success.
 *
 * Sections:
 *   1. byte order and record framing helpers
 *   2. layout
 *   3. lockspace header
 *   4. host record, and the change notice after it
 *   5. name-table entry
 *   6. leader, request, dblock
 *   7. value
 *   8. error words
 */
#include <errno.h>
#include <string.h>

#include "crc32c.h"
#include "names.h"
#include "ondisk.h"

/* Smallest sector and smallest buffer a sector decoder accepts, in bytes. */
#define MIN_SECTOR 512u

/* Pins a field table: the field at off, size bytes long, ends where the
 * next one (or the used length) begins; no gap, no overlap. */
#define FIELD_NEXT(off, size, next) \
	_Static_assert((off) + (size) == (next), #off " does not end at " #next)

_Static_assert(sizeof(uuid_t) == 16, "uuid_t is 16 bytes on disk");

/* ====================================================================
 * 1. Byte order and record framing
 * ==================================================================== */

static inline void
put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void
put_le32(uint8_t *p, uint32_t v)
{
	put_le16(p, (uint16_t)v);
	put_le16(p + 2, (uint16_t)(v >> 16));
}

static inline void
put_le64(uint8_t *p, uint64_t v)
{
	put_le32(p, (uint32_t)v);
	put_le32(p + 4, (uint32_t)(v >> 32));
}

static inline uint16_t
get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (uint16_t)p[1] << 8);
}

static inline uint32_t
get_le32(const uint8_t *p)
{
	return get_le16(p) | (uint32_t)get_le16(p + 2) << 16;
}

static inline uint64_t
get_le64(const uint8_t *p)
{
	return get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

/* Where a record keeps its magic, version and crc, and how long it is. */
struct rec_fmt {
	uint64_t magic;
	size_t magic_size;       /* 4, or 8 for the header */
	size_t ver_off;          /* u32 format version */
	size_t crc_off;          /* u32 CRC-32C */
	size_t used;             /* bytes covered by the crc */
};

static int
sector_size_ok(size_t sector_size)
{
	return sector_size == 512 || sector_size == 4096;
}

/* Whether len bytes at p are all zero: the first byte, then each byte
 * against the one before it, by memcmp (which compares a vector at a time):
 * a never-written 4 KiB sector is told in about 100 ns instead of a few
 * microseconds a byte at a time, and a written one at its first byte.  A
 * full host-area read at 2,000 ids of 4 KiB meets up to 2,000 of them. */
static int
all_zero(const uint8_t *p, size_t len)
{
	return len == 0 || (p[0] == 0 && memcmp(p, p + 1, len - 1) == 0);
}

/* CRC of the used bytes with the crc field read as zero. */
static uint32_t
rec_crc(const struct rec_fmt *f, const uint8_t *p)
{
	return lfs_crc32c_hole(p, f->used, f->crc_off);
}

/* Start a record: zero len bytes, write magic and version. */
static void
rec_begin(const struct rec_fmt *f, uint8_t *p, size_t len)
{
	memset(p, 0, len);
	if (f->magic_size == 8)
		put_le64(p, f->magic);
	else
		put_le32(p, (uint32_t)f->magic);
	put_le32(p + f->ver_off, LFS_FORMAT_VERSION);
}

/* Finish a record: its crc field is still zero from rec_begin(). */
static void
rec_seal(const struct rec_fmt *f, uint8_t *p)
{
	put_le32(p + f->crc_off, lfs_crc32c(p, f->used));
}

/* Checks every decoder shares, in the order ondisk.h gives. */
static int
rec_open(const struct rec_fmt *f, const uint8_t *p, size_t len)
{
	uint64_t magic;

	if (all_zero(p, len))
		return -ENODATA;
	magic = f->magic_size == 8 ? get_le64(p) : get_le32(p);
	if (magic != f->magic)
		return -EBADMSG;
	if (get_le32(p + f->ver_off) != LFS_FORMAT_VERSION)
		return -EPROTO;
	if (get_le32(p + f->crc_off) != rec_crc(f, p))
		return -EBADE;
	return 0;
}

/* Length of the NUL-terminated string in a struct field of cap bytes
 * (including room for the NUL), or -EINVAL when it is not terminated. */
static int
str_len(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	return n == cap ? -EINVAL : (int)n;
}

/* Read a NUL-padded string field of size bytes into dst (size + 1 bytes).
 * Returns its length, or -ERANGE when bytes follow the first NUL. */
static int
get_str(char *dst, const uint8_t *p, size_t size)
{
	size_t n = strnlen((const char *)p, size);

	if (!all_zero(p + n, size - n))
		return -ERANGE;
	memcpy(dst, p, n);
	dst[n] = '\0';
	return (int)n;
}

/* ====================================================================
 * 2. Layout
 * ==================================================================== */

int
lfs_layout_init(struct lfs_layout *l, uint32_t sector_size,
    uint32_t max_hosts, uint32_t lease_capacity)
{
	struct lfs_layout n;

	if (!sector_size_ok(sector_size) || max_hosts == 0 ||
	    max_hosts > LFS_MAX_HOSTS || lease_capacity == 0 ||
	    lease_capacity > LFS_MAX_LEASES)
		return -EINVAL;
	n.sector_size = sector_size;
	n.max_hosts = max_hosts;
	n.lease_capacity = lease_capacity;
	n.host_area = 1;                       /* after the header */
	n.name_table = n.host_area + max_hosts;
	n.name_sectors = ((uint64_t)LFS_NAME_ENTRY_SIZE * lease_capacity +
	    sector_size - 1) / sector_size;
	n.lease_area = n.name_table + n.name_sectors;
	n.slot_sectors = LFS_SLOT_HEADER_SECTORS + max_hosts +
	    LFS_SLOT_TRAILER_SECTORS;
	/* slot 0 is the table lease, slots 1 .. lease_capacity the leases */
	n.total_sectors = n.lease_area +
	    ((uint64_t)lease_capacity + 1) * n.slot_sectors;
	*l = n;
	return 0;
}

uint64_t
lfs_layout_bytes(const struct lfs_layout *l)
{
	return l->total_sectors * l->sector_size;
}

/* host_id must be 1 .. l->max_hosts; the caller checks. */
uint64_t
lfs_host_sector(const struct lfs_layout *l, uint32_t host_id)
{
	return l->host_area + host_id - 1;
}

/* slot must be 0 .. l->lease_capacity; the caller checks. */
uint64_t
lfs_slot_sector(const struct lfs_layout *l, uint32_t slot)
{
	return l->lease_area + (uint64_t)slot * l->slot_sectors;
}

/* slot must be 0 .. l->lease_capacity; the caller checks. */
uint64_t
lfs_value_sector(const struct lfs_layout *l, uint32_t slot)
{
	return lfs_slot_sector(l, slot) + LFS_SLOT_HEADER_SECTORS + l->max_hosts;
}

uint32_t
lfs_value_max(uint32_t sector_size)
{
	return sector_size - LFS_VALUE_HEADER_SIZE;
}

uint64_t
lfs_name_entry_offset(uint32_t entry)
{
	return (uint64_t)entry * LFS_NAME_ENTRY_SIZE;
}

/* ====================================================================
 * 3. Lockspace header (sector 0)
 * ==================================================================== */

enum {
	HDR_MAGIC = 0, HDR_VERSION = 8, HDR_CRC = 12, HDR_SECTOR_SIZE = 16,
	HDR_MAX_HOSTS = 20, HDR_LEASE_CAP = 24, HDR_IO = 28, HDR_RENEW = 32,
	HDR_RENEW_FAIL = 36, HDR_KILL_GRACE = 40, HDR_HOST_DEAD = 44,
	HDR_JOIN_DELAY = 48, HDR_HOSTS_FRESH = 52, HDR_FORMAT_TIME = 56,
	HDR_UUID = 64, HDR_NAME = 80, HDR_USED = 128
};
FIELD_NEXT(HDR_MAGIC, 8, HDR_VERSION);
FIELD_NEXT(HDR_CRC, 4, HDR_SECTOR_SIZE);
FIELD_NEXT(HDR_IO, 7 * 4, HDR_FORMAT_TIME); /* the 7 timeouts, in order */
FIELD_NEXT(HDR_FORMAT_TIME, 8, HDR_UUID);
FIELD_NEXT(HDR_UUID, 16, HDR_NAME);
FIELD_NEXT(HDR_NAME, LFS_NAME_MAX, HDR_USED);
_Static_assert(HDR_USED <= MIN_SECTOR, "header fits the smallest sector");

static const struct rec_fmt fmt_header = {
	LFS_MAGIC_HEADER, 8, HDR_VERSION, HDR_CRC, HDR_USED
};

/* 1 when geometry, timeouts and name (name_len bytes) are in range; shared
 * by encoder and decoder. */
static int
header_fields_ok(const struct lfs_header *h, size_t name_len)
{
	return sector_size_ok(h->sector_size) && h->max_hosts != 0 &&
	    h->max_hosts <= LFS_MAX_HOSTS && h->lease_capacity != 0 &&
	    h->lease_capacity <= LFS_MAX_LEASES &&
	    lfs_timeouts_check(&h->timeouts) == 0 &&
	    lfs_name_check_len(h->name, name_len) == 0;
}

/*
 * Header, sector 0 (128 bytes used, zero to the end of the sector):
 *
 *   offset size field
 *        0    8 magic            LFS_MAGIC_HEADER
 *        8    4 format version   LFS_FORMAT_VERSION
 *       12    4 crc32c           of bytes 0..127, this field as zero
 *       16    4 sector_size      512 or 4096
 *       20    4 max_hosts        1 .. LFS_MAX_HOSTS
 *       24    4 lease_capacity   1 .. LFS_MAX_LEASES
 *       28    4 io_timeout_ms    timeouts, exactly as lfs_timeouts_from_io()
 *       32    4 renewal_interval_ms
 *       36    4 renewal_fail_ms
 *       40    4 kill_grace_ms
 *       44    4 host_dead_ms
 *       48    4 join_delay_ms
 *       52    4 hosts_fresh_ms
 *       56    8 format_time      CLOCK_REALTIME seconds
 *       64   16 uuid             raw uuid_t bytes
 *       80   48 name             lockspace name, NUL-padded (no NUL at 48)
 */
int
lfs_header_encode(const struct lfs_header *h, void *buf, size_t sector_size)
{
	const struct lfs_timeouts *t = &h->timeouts;
	uint8_t *p = buf;
	int n = str_len(h->name, sizeof(h->name));

	if (!sector_size_ok(sector_size) || n < 0 ||
	    !header_fields_ok(h, (size_t)n))
		return -EINVAL;
	rec_begin(&fmt_header, p, sector_size);
	put_le32(p + HDR_SECTOR_SIZE, h->sector_size);
	put_le32(p + HDR_MAX_HOSTS, h->max_hosts);
	put_le32(p + HDR_LEASE_CAP, h->lease_capacity);
	put_le32(p + HDR_IO, t->io_timeout_ms);
	put_le32(p + HDR_RENEW, t->renewal_interval_ms);
	put_le32(p + HDR_RENEW_FAIL, t->renewal_fail_ms);
	put_le32(p + HDR_KILL_GRACE, t->kill_grace_ms);
	put_le32(p + HDR_HOST_DEAD, t->host_dead_ms);
	put_le32(p + HDR_JOIN_DELAY, t->join_delay_ms);
	put_le32(p + HDR_HOSTS_FRESH, t->hosts_fresh_ms);
	put_le64(p + HDR_FORMAT_TIME, h->format_time);
	memcpy(p + HDR_UUID, h->uuid, 16);
	memcpy(p + HDR_NAME, h->name, (size_t)n);
	rec_seal(&fmt_header, p);
	return 0;
}

/* len may exceed 512: a reader that does not know the sector size yet
 * reads 512 bytes, which always hold the whole header. */
int
lfs_header_decode(struct lfs_header *h, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	struct lfs_header d;
	struct lfs_timeouts *t = &d.timeouts;
	int rc, n;

	if (len < MIN_SECTOR)
		return -EINVAL;
	rc = rec_open(&fmt_header, p, len);
	if (rc != 0)
		return rc;
	memset(&d, 0, sizeof(d));
	d.sector_size = get_le32(p + HDR_SECTOR_SIZE);
	d.max_hosts = get_le32(p + HDR_MAX_HOSTS);
	d.lease_capacity = get_le32(p + HDR_LEASE_CAP);
	t->io_timeout_ms = get_le32(p + HDR_IO);
	t->renewal_interval_ms = get_le32(p + HDR_RENEW);
	t->renewal_fail_ms = get_le32(p + HDR_RENEW_FAIL);
	t->kill_grace_ms = get_le32(p + HDR_KILL_GRACE);
	t->host_dead_ms = get_le32(p + HDR_HOST_DEAD);
	t->join_delay_ms = get_le32(p + HDR_JOIN_DELAY);
	t->hosts_fresh_ms = get_le32(p + HDR_HOSTS_FRESH);
	d.format_time = get_le64(p + HDR_FORMAT_TIME);
	memcpy(d.uuid, p + HDR_UUID, 16);
	n = get_str(d.name, p + HDR_NAME, LFS_NAME_MAX);
	if (n < 0 || !header_fields_ok(&d, (size_t)n))
		return -ERANGE;
	*h = d;
	return 0;
}

/* ====================================================================
 * 4. Host record (one sector per host id)
 * ==================================================================== */

enum {
	HOST_MAGIC = 0, HOST_VERSION = 4, HOST_CRC = 8, HOST_ID = 12,
	HOST_FLAGS = 16, HOST_IO = 20, HOST_GEN = 24, HOST_TIMESTAMP = 32,
	HOST_WALL = 40, HOST_IDENTITY = 48, HOST_NAME = 64, HOST_USED = 128
};
FIELD_NEXT(HOST_CRC, 4, HOST_ID);
FIELD_NEXT(HOST_IO, 4, HOST_GEN);
FIELD_NEXT(HOST_WALL, 8, HOST_IDENTITY);
FIELD_NEXT(HOST_IDENTITY, 16, HOST_NAME);
FIELD_NEXT(HOST_NAME, LFS_HOST_NAME_MAX, HOST_USED);
_Static_assert(HOST_USED <= MIN_SECTOR, "host record fits the smallest sector");

static const struct rec_fmt fmt_host = {
	LFS_MAGIC_HOST, 4, HOST_VERSION, HOST_CRC, HOST_USED
};

#define HOST_FLAGS_KNOWN (LFS_HOST_LIVE | LFS_HOST_FREE)

/* A record is LIVE or FREE (or neither, between states), never both. */
static int
host_fields_ok(const struct lfs_host *r)
{
	return r->host_id != 0 && r->host_id <= LFS_MAX_HOSTS &&
	    (r->flags & ~HOST_FLAGS_KNOWN) == 0 &&
	    (r->flags & HOST_FLAGS_KNOWN) != HOST_FLAGS_KNOWN &&
	    r->io_timeout_ms >= LFS_IO_TIMEOUT_MIN_MS &&
	    r->io_timeout_ms <= LFS_IO_TIMEOUT_MAX_MS &&
	    lfs_host_name_check(r->name) == 0;
}

/*
 * Host record, sector host_area + id - 1 (128 bytes used):
 *
 *   offset size field
 *        0    4 magic            LFS_MAGIC_HOST
 *        4    4 format version
 *        8    4 crc32c           of bytes 0..127, this field as zero
 *       12    4 host_id          1 .. LFS_MAX_HOSTS
 *       16    4 flags            LFS_HOST_LIVE, LFS_HOST_FREE (not both)
 *       20    4 io_timeout_ms    the writer's, in the timeouts.h range
 *       24    8 generation
 *       32    8 timestamp        renewal counter
 *       40    8 wall_time        CLOCK_REALTIME seconds
 *       48   16 identity         raw uuid_t bytes
 *       64   64 name             host display name, NUL-padded
 */
int
lfs_host_encode(const struct lfs_host *r, void *buf, size_t sector_size)
{
	uint8_t *p = buf;
	int n = str_len(r->name, sizeof(r->name));

	if (!sector_size_ok(sector_size) || n < 0 || !host_fields_ok(r))
		return -EINVAL;
	rec_begin(&fmt_host, p, sector_size);
	put_le32(p + HOST_ID, r->host_id);
	put_le32(p + HOST_FLAGS, r->flags);
	put_le32(p + HOST_IO, r->io_timeout_ms);
	put_le64(p + HOST_GEN, r->generation);
	put_le64(p + HOST_TIMESTAMP, r->timestamp);
	put_le64(p + HOST_WALL, r->wall_time);
	memcpy(p + HOST_IDENTITY, r->identity, 16);
	memcpy(p + HOST_NAME, r->name, (size_t)n);
	rec_seal(&fmt_host, p);
	return 0;
}

int
lfs_host_decode(struct lfs_host *r, const void *buf, size_t sector_size)
{
	const uint8_t *p = buf;
	struct lfs_host d;
	int rc;

	if (sector_size < MIN_SECTOR)
		return -EINVAL;
	rc = rec_open(&fmt_host, p, sector_size);
	if (rc != 0)
		return rc;
	memset(&d, 0, sizeof(d));
	d.host_id = get_le32(p + HOST_ID);
	d.flags = get_le32(p + HOST_FLAGS);
	d.io_timeout_ms = get_le32(p + HOST_IO);
	d.generation = get_le64(p + HOST_GEN);
	d.timestamp = get_le64(p + HOST_TIMESTAMP);
	d.wall_time = get_le64(p + HOST_WALL);
	memcpy(d.identity, p + HOST_IDENTITY, 16);
	if (get_str(d.name, p + HOST_NAME, LFS_HOST_NAME_MAX) < 0 ||
	    !host_fields_ok(&d))
		return -ERANGE;
	*r = d;
	return 0;
}

/*
 * Change notice, in the same sector after the host record (ondisk.h),
 * offsets from LFS_NOTICE_OFFSET (288 bytes used: ends at byte 416 of the
 * sector, inside the smallest one):
 *
 *   offset size field
 *        0    4 magic            LFS_MAGIC_NOTICE
 *        4    4 format version
 *        8    4 crc32c           of bytes 0..287, this field as zero
 *       12    4 host_id          1 .. LFS_MAX_HOSTS
 *       16    8 generation
 *       24    8 seq              notices posted by this generation
 *       32  256 slots            LFS_NOTICE_RING u32 lease slots
 *
 * Its own crc: a reader that ignores it (version 2 before notices) checks
 * the record's crc alone, and a torn or damaged notice is only a missed
 * hint.
 */
enum {
	NTC_MAGIC = 0, NTC_VERSION = 4, NTC_CRC = 8, NTC_HOST_ID = 12,
	NTC_GEN = 16, NTC_SEQ = 24, NTC_SLOTS = 32,
	NTC_USED = NTC_SLOTS + 4 * LFS_NOTICE_RING
};
FIELD_NEXT(NTC_CRC, 4, NTC_HOST_ID);
FIELD_NEXT(NTC_HOST_ID, 4, NTC_GEN);
FIELD_NEXT(NTC_GEN, 8, NTC_SEQ);
FIELD_NEXT(NTC_SEQ, 8, NTC_SLOTS);
_Static_assert(LFS_NOTICE_OFFSET == HOST_USED, "the notice follows the record");
_Static_assert(LFS_NOTICE_OFFSET + NTC_USED <= MIN_SECTOR,
    "host record and notice fit the smallest sector");

static const struct rec_fmt fmt_notice = {
	LFS_MAGIC_NOTICE, 4, NTC_VERSION, NTC_CRC, NTC_USED
};

static int
notice_fields_ok(const struct lfs_notice *n)
{
	uint32_t i;

	if (n->host_id == 0 || n->host_id > LFS_MAX_HOSTS)
		return 0;
	for (i = 0; i < LFS_NOTICE_RING; i++)
		if (n->slots[i] > LFS_MAX_LEASES)
			return 0;
	return 1;
}

int
lfs_notice_encode(const struct lfs_notice *n, void *sector, size_t sector_size)
{
	uint8_t *p = (uint8_t *)sector + LFS_NOTICE_OFFSET;
	uint32_t i;

	if (!sector_size_ok(sector_size) || !notice_fields_ok(n))
		return -EINVAL;
	rec_begin(&fmt_notice, p, NTC_USED); /* the presence after it stays */
	put_le32(p + NTC_HOST_ID, n->host_id);
	put_le64(p + NTC_GEN, n->generation);
	put_le64(p + NTC_SEQ, n->seq);
	for (i = 0; i < LFS_NOTICE_RING; i++)
		put_le32(p + NTC_SLOTS + 4 * i, n->slots[i]);
	rec_seal(&fmt_notice, p);
	return 0;
}

int
lfs_notice_decode(struct lfs_notice *n, const void *sector, size_t sector_size)
{
	const uint8_t *p = (const uint8_t *)sector + LFS_NOTICE_OFFSET;
	struct lfs_notice d;
	uint32_t i;
	int rc;

	if (sector_size < MIN_SECTOR)
		return -EINVAL;
	rc = rec_open(&fmt_notice, p, NTC_USED);
	if (rc != 0)
		return rc;
	memset(&d, 0, sizeof(d));
	d.host_id = get_le32(p + NTC_HOST_ID);
	d.generation = get_le64(p + NTC_GEN);
	d.seq = get_le64(p + NTC_SEQ);
	for (i = 0; i < LFS_NOTICE_RING; i++)
		d.slots[i] = get_le32(p + NTC_SLOTS + 4 * i);
	if (!notice_fields_ok(&d))
		return -ERANGE;
	*n = d;
	return 0;
}

/*
 * Dblock presence, in the same sector after the notice (ondisk.h), offsets
 * from LFS_PRESENCE_OFFSET (80 bytes used: ends at byte 496 of the sector,
 * inside the smallest one):
 *
 *   offset size field
 *        0    4 magic            LFS_MAGIC_PRESENCE
 *        4    4 format version
 *        8    4 crc32c           of bytes 0..79, this field as zero
 *       12    4 host_id          1 .. LFS_MAX_HOSTS
 *       16   64 bits             bucket b is bit b % 8 of byte b / 8
 *
 * Its own crc, like the notice's: a torn or damaged presence reads as
 * every bit set (lockspace.c), which costs reads, never safety.
 */
enum {
	PRS_MAGIC = 0, PRS_VERSION = 4, PRS_CRC = 8, PRS_HOST_ID = 12,
	PRS_BITS = 16, PRS_USED = PRS_BITS + LFS_PRESENCE_BUCKETS / 8
};
FIELD_NEXT(PRS_CRC, 4, PRS_HOST_ID);
FIELD_NEXT(PRS_HOST_ID, 4, PRS_BITS);
_Static_assert(LFS_PRESENCE_OFFSET == LFS_NOTICE_OFFSET + NTC_USED,
    "the presence follows the notice");
_Static_assert(LFS_PRESENCE_OFFSET + PRS_USED <= MIN_SECTOR,
    "host record, notice and presence fit the smallest sector");

static const struct rec_fmt fmt_presence = {
	LFS_MAGIC_PRESENCE, 4, PRS_VERSION, PRS_CRC, PRS_USED
};

int
lfs_presence_encode(const struct lfs_presence *pr, void *sector,
    size_t sector_size)
{
	uint8_t *p = (uint8_t *)sector + LFS_PRESENCE_OFFSET;

	if (!sector_size_ok(sector_size) || pr->host_id == 0 ||
	    pr->host_id > LFS_MAX_HOSTS)
		return -EINVAL;
	rec_begin(&fmt_presence, p, sector_size - LFS_PRESENCE_OFFSET);
	put_le32(p + PRS_HOST_ID, pr->host_id);
	memcpy(p + PRS_BITS, pr->bits, sizeof(pr->bits));
	rec_seal(&fmt_presence, p);
	return 0;
}

int
lfs_presence_decode(struct lfs_presence *pr, const void *sector,
    size_t sector_size)
{
	const uint8_t *p = (const uint8_t *)sector + LFS_PRESENCE_OFFSET;
	struct lfs_presence d;
	int rc;

	if (sector_size < MIN_SECTOR)
		return -EINVAL;
	rc = rec_open(&fmt_presence, p, sector_size - LFS_PRESENCE_OFFSET);
	if (rc != 0)
		return rc;
	d.host_id = get_le32(p + PRS_HOST_ID);
	memcpy(d.bits, p + PRS_BITS, sizeof(d.bits));
	if (d.host_id == 0 || d.host_id > LFS_MAX_HOSTS)
		return -ERANGE;
	*pr = d;
	return 0;
}

/* ====================================================================
 * 5. Name-table entry (64 bytes; entry k at lfs_name_entry_offset(k))
 * ==================================================================== */

enum {
	NAME_MAGIC = 0, NAME_VERSION = 4, NAME_CRC = 8, NAME_INCARNATION = 12,
	NAME_NAME = 16, NAME_USED = 64
};
FIELD_NEXT(NAME_CRC, 4, NAME_INCARNATION);
FIELD_NEXT(NAME_INCARNATION, 4, NAME_NAME);
FIELD_NEXT(NAME_NAME, LFS_NAME_MAX, NAME_USED);
_Static_assert(NAME_USED == LFS_NAME_ENTRY_SIZE, "name entry is 64 bytes");

static const struct rec_fmt fmt_name = {
	LFS_MAGIC_NAME, 4, NAME_VERSION, NAME_CRC, NAME_USED
};

/*
 * Name-table entry (all 64 bytes used; an all-zero entry is an empty slot):
 *
 *   offset size field
 *        0    4 magic            LFS_MAGIC_NAME
 *        4    4 format version
 *        8    4 crc32c           of bytes 0..63, this field as zero
 *       12    4 incarnation      of the slot this entry names
 *       16   48 name             lease name, NUL-padded (no NUL at 48)
 *
 * No separate length byte: the NUL padding already gives the length, and a
 * second copy could only disagree with it.
 */
int
lfs_name_entry_encode(const struct lfs_name_entry *e, void *buf64)
{
	uint8_t *p = buf64;
	int n = str_len(e->name, sizeof(e->name));

	if (n < 0 || lfs_name_check_len(e->name, (size_t)n) != 0)
		return -EINVAL;
	rec_begin(&fmt_name, p, LFS_NAME_ENTRY_SIZE);
	put_le32(p + NAME_INCARNATION, e->incarnation);
	memcpy(p + NAME_NAME, e->name, (size_t)n);
	rec_seal(&fmt_name, p);
	return 0;
}

int
lfs_name_entry_decode(struct lfs_name_entry *e, const void *buf64)
{
	const uint8_t *p = buf64;
	struct lfs_name_entry d;
	int rc, n;

	rc = rec_open(&fmt_name, p, LFS_NAME_ENTRY_SIZE);
	if (rc != 0)
		return rc;
	memset(&d, 0, sizeof(d));
	d.incarnation = get_le32(p + NAME_INCARNATION);
	n = get_str(d.name, p + NAME_NAME, LFS_NAME_MAX);
	if (n < 0 || lfs_name_check_len(d.name, (size_t)n) != 0)
		return -ERANGE;
	*e = d;
	return 0;
}

/* ====================================================================
 * 6. Lease slot records: leader, request, dblock
 * ==================================================================== */

enum {
	LDR_MAGIC = 0, LDR_VERSION = 4, LDR_CRC = 8, LDR_FLAGS = 12,
	LDR_INCARNATION = 16, LDR_OWNER_ID = 20, LDR_WRITER_ID = 24,
	LDR_RESERVED = 28, LDR_LVER = 32, LDR_OWNER_GEN = 40, LDR_WALL = 48,
	LDR_NAME = 56, LDR_USED = 104
};
FIELD_NEXT(LDR_CRC, 4, LDR_FLAGS);
FIELD_NEXT(LDR_WRITER_ID, 4, LDR_RESERVED);
FIELD_NEXT(LDR_RESERVED, 4, LDR_LVER);
FIELD_NEXT(LDR_WALL, 8, LDR_NAME);
FIELD_NEXT(LDR_NAME, LFS_NAME_MAX, LDR_USED);
_Static_assert(LDR_USED <= MIN_SECTOR, "leader fits the smallest sector");

static const struct rec_fmt fmt_leader = {
	LFS_MAGIC_LEADER, 4, LDR_VERSION, LDR_CRC, LDR_USED
};

/* The name may be empty: the table lease (slot 0) names no lease. */
static int
leader_fields_ok(const struct lfs_leader *r, size_t name_len)
{
	return (r->flags & ~LFS_LEADER_DELETED) == 0 &&
	    r->owner_id <= LFS_MAX_HOSTS && r->writer_id <= LFS_MAX_HOSTS &&
	    (name_len == 0 || lfs_name_check_len(r->name, name_len) == 0);
}

/*
 * Leader record, sector 0 of a slot (104 bytes used):
 *
 *   offset size field
 *        0    4 magic            LFS_MAGIC_LEADER
 *        4    4 format version
 *        8    4 crc32c           of bytes 0..103, this field as zero
 *       12    4 flags            LFS_LEADER_DELETED
 *       16    4 incarnation
 *       20    4 owner_id         0 (free) .. LFS_MAX_HOSTS
 *       24    4 writer_id        0 .. LFS_MAX_HOSTS
 *       28    4 reserved         zero (keeps the u64s 8-aligned for dumps)
 *       32    8 lver             lease generation, the fencing token
 *       40    8 owner_gen
 *       48    8 wall_time        CLOCK_REALTIME seconds
 *       56   48 name             lease name or empty, NUL-padded
 */
int
lfs_leader_encode(const struct lfs_leader *r, void *buf, size_t sector_size)
{
	uint8_t *p = buf;
	int n = str_len(r->name, sizeof(r->name));

	if (!sector_size_ok(sector_size) || n < 0 ||
	    !leader_fields_ok(r, (size_t)n))
		return -EINVAL;
	rec_begin(&fmt_leader, p, sector_size);
	put_le32(p + LDR_FLAGS, r->flags);
	put_le32(p + LDR_INCARNATION, r->incarnation);
	put_le32(p + LDR_OWNER_ID, r->owner_id);
	put_le32(p + LDR_WRITER_ID, r->writer_id);
	put_le64(p + LDR_LVER, r->lver);
	put_le64(p + LDR_OWNER_GEN, r->owner_gen);
	put_le64(p + LDR_WALL, r->wall_time);
	memcpy(p + LDR_NAME, r->name, (size_t)n);
	rec_seal(&fmt_leader, p);
	return 0;
}

int
lfs_leader_decode(struct lfs_leader *r, const void *buf, size_t sector_size)
{
	const uint8_t *p = buf;
	struct lfs_leader d;
	int rc, n;

	if (sector_size < MIN_SECTOR)
		return -EINVAL;
	rc = rec_open(&fmt_leader, p, sector_size);
	if (rc != 0)
		return rc;
	memset(&d, 0, sizeof(d));
	d.flags = get_le32(p + LDR_FLAGS);
	d.incarnation = get_le32(p + LDR_INCARNATION);
	d.owner_id = get_le32(p + LDR_OWNER_ID);
	d.writer_id = get_le32(p + LDR_WRITER_ID);
	d.lver = get_le64(p + LDR_LVER);
	d.owner_gen = get_le64(p + LDR_OWNER_GEN);
	d.wall_time = get_le64(p + LDR_WALL);
	n = get_str(d.name, p + LDR_NAME, LFS_NAME_MAX);
	if (n < 0 || get_le32(p + LDR_RESERVED) != 0 ||
	    !leader_fields_ok(&d, (size_t)n))
		return -ERANGE;
	*r = d;
	return 0;
}

enum {
	REQ_MAGIC = 0, REQ_VERSION = 4, REQ_CRC = 8, REQ_HOST_ID = 12,
	REQ_HOST_GEN = 16, REQ_LVER = 24, REQ_SEQ = 32, REQ_USED = 40
};
FIELD_NEXT(REQ_CRC, 4, REQ_HOST_ID);
FIELD_NEXT(REQ_HOST_ID, 4, REQ_HOST_GEN);
FIELD_NEXT(REQ_SEQ, 8, REQ_USED);
_Static_assert(REQ_USED <= MIN_SECTOR, "request fits the smallest sector");

static const struct rec_fmt fmt_request = {
	LFS_MAGIC_REQUEST, 4, REQ_VERSION, REQ_CRC, REQ_USED
};

/*
 * Request record, sector 1 of a slot (40 bytes used):
 *
 *   offset size field
 *        0    4 magic            LFS_MAGIC_REQUEST
 *        4    4 format version
 *        8    4 crc32c           of bytes 0..39, this field as zero
 *       12    4 host_id          0 (no request) .. LFS_MAX_HOSTS
 *       16    8 host_gen
 *       24    8 lver
 *       32    8 seq
 */
int
lfs_request_encode(const struct lfs_request *r, void *buf, size_t sector_size)
{
	uint8_t *p = buf;

	if (!sector_size_ok(sector_size) || r->host_id > LFS_MAX_HOSTS)
		return -EINVAL;
	rec_begin(&fmt_request, p, sector_size);
	put_le32(p + REQ_HOST_ID, r->host_id);
	put_le64(p + REQ_HOST_GEN, r->host_gen);
	put_le64(p + REQ_LVER, r->lver);
	put_le64(p + REQ_SEQ, r->seq);
	rec_seal(&fmt_request, p);
	return 0;
}

int
lfs_request_decode(struct lfs_request *r, const void *buf, size_t sector_size)
{
	const uint8_t *p = buf;
	struct lfs_request d;
	int rc;

	if (sector_size < MIN_SECTOR)
		return -EINVAL;
	rc = rec_open(&fmt_request, p, sector_size);
	if (rc != 0)
		return rc;
	memset(&d, 0, sizeof(d));
	d.host_id = get_le32(p + REQ_HOST_ID);
	d.host_gen = get_le64(p + REQ_HOST_GEN);
	d.lver = get_le64(p + REQ_LVER);
	d.seq = get_le64(p + REQ_SEQ);
	if (d.host_id > LFS_MAX_HOSTS)
		return -ERANGE;
	*r = d;
	return 0;
}

enum {
	DB_MAGIC = 0, DB_VERSION = 4, DB_CRC = 8, DB_INP_ID = 12, DB_LVER = 16,
	DB_MBAL = 24, DB_BAL = 32, DB_INP_GEN = 40, DB_MODE_FLAGS = 48,
	DB_INCARNATION = 52, DB_MODE_GEN = 56, DB_MODE_LVER = 64, DB_USED = 72
};
FIELD_NEXT(DB_CRC, 4, DB_INP_ID);
FIELD_NEXT(DB_INP_ID, 4, DB_LVER);
FIELD_NEXT(DB_INP_GEN, 8, DB_MODE_FLAGS);
FIELD_NEXT(DB_MODE_FLAGS, 4, DB_INCARNATION);
FIELD_NEXT(DB_INCARNATION, 4, DB_MODE_GEN);
FIELD_NEXT(DB_MODE_LVER, 8, DB_USED);
_Static_assert(DB_USED <= MIN_SECTOR, "dblock fits the smallest sector");

static const struct rec_fmt fmt_dblock = {
	LFS_MAGIC_DBLOCK, 4, DB_VERSION, DB_CRC, DB_USED
};

/* Disk Paxos writes bal only as a copy of its own mbal (phase 2), and mbal
 * only rises, so bal > mbal can come only from corruption or a bug.  A mode
 * is shared or nothing; a cleared mode keeps no generation or lver, so that
 * a dump never shows a hold that is not there. */
static int
dblock_fields_ok(const struct lfs_dblock *r)
{
	return r->inp_id <= LFS_MAX_HOSTS && r->bal <= r->mbal &&
	    (r->mode_flags & ~LFS_MODE_SHARED) == 0 &&
	    (r->mode_flags != 0 || (r->mode_gen == 0 && r->mode_lver == 0));
}

/*
 * Disk Paxos block, sector 1 + host id of a slot (72 bytes used):
 *
 *   offset size field
 *        0    4 magic            LFS_MAGIC_DBLOCK
 *        4    4 format version
 *        8    4 crc32c           of bytes 0..71, this field as zero
 *       12    4 inp_id           0 .. LFS_MAX_HOSTS
 *       16    8 lver             Paxos instance
 *       24    8 mbal
 *       32    8 bal              <= mbal
 *       40    8 inp_gen
 *       48    4 mode_flags       LFS_MODE_SHARED or 0
 *       52    4 incarnation      of the lease the ballot is about; 0 =
 *                                unstamped (written before it existed)
 *       56    8 mode_gen         0 when mode_flags is 0
 *       64    8 mode_lver        0 when mode_flags is 0
 *
 * The mode shares the dblock's sector and crc: the host that owns the
 * dblock is the only writer of either, so one sector keeps one writer, and
 * a torn write cannot leave a ballot and a mode that disagree.
 *
 * With bal 0 (no value accepted), inp_id and inp_gen carry no value: a
 * handover's phase 1 writes its own host id and generation there, which
 * marks the block as the lease's owner giving it on (paxos.c run_ballot,
 * stale_handover_by_none_live); an acquire's phase 1 leaves them 0.  No
 * ballot reads a value with bal 0, and older code wrote 0 there.
 *
 * The incarnation took bytes 52..55, which format version 2 wrote as zero
 * ("reserved") and whose decoder required zero; no version change (see
 * ondisk.h, "Format version 2"): a dblock with 0 there reads as unstamped,
 * which paxos.c treats as it always did.
 */
int
lfs_dblock_encode(const struct lfs_dblock *r, void *buf, size_t sector_size)
{
	uint8_t *p = buf;

	if (!sector_size_ok(sector_size) || !dblock_fields_ok(r))
		return -EINVAL;
	rec_begin(&fmt_dblock, p, sector_size);
	put_le32(p + DB_INP_ID, r->inp_id);
	put_le64(p + DB_LVER, r->lver);
	put_le64(p + DB_MBAL, r->mbal);
	put_le64(p + DB_BAL, r->bal);
	put_le64(p + DB_INP_GEN, r->inp_gen);
	put_le32(p + DB_MODE_FLAGS, r->mode_flags);
	put_le32(p + DB_INCARNATION, r->incarnation);
	put_le64(p + DB_MODE_GEN, r->mode_gen);
	put_le64(p + DB_MODE_LVER, r->mode_lver);
	rec_seal(&fmt_dblock, p);
	return 0;
}

int
lfs_dblock_decode(struct lfs_dblock *r, const void *buf, size_t sector_size)
{
	const uint8_t *p = buf;
	struct lfs_dblock d;
	int rc;

	if (sector_size < MIN_SECTOR)
		return -EINVAL;
	rc = rec_open(&fmt_dblock, p, sector_size);
	if (rc != 0)
		return rc;
	memset(&d, 0, sizeof(d));
	d.inp_id = get_le32(p + DB_INP_ID);
	d.lver = get_le64(p + DB_LVER);
	d.mbal = get_le64(p + DB_MBAL);
	d.bal = get_le64(p + DB_BAL);
	d.inp_gen = get_le64(p + DB_INP_GEN);
	d.mode_flags = get_le32(p + DB_MODE_FLAGS);
	d.incarnation = get_le32(p + DB_INCARNATION);
	d.mode_gen = get_le64(p + DB_MODE_GEN);
	d.mode_lver = get_le64(p + DB_MODE_LVER);
	if (!dblock_fields_ok(&d))
		return -ERANGE;
	*r = d;
	return 0;
}

/* ====================================================================
 * 7. Value record (the last sector of a slot)
 * ==================================================================== */

enum {
	VAL_MAGIC = 0, VAL_VERSION = 4, VAL_CRC = 8, VAL_LEN = 12,
	VAL_INCARNATION = 16, VAL_WRITER_ID = 20, VAL_WRITER_GEN = 24,
	VAL_LVER = 32, VAL_DATA = 40
};
FIELD_NEXT(VAL_CRC, 4, VAL_LEN);
FIELD_NEXT(VAL_WRITER_ID, 4, VAL_WRITER_GEN);
FIELD_NEXT(VAL_LVER, 8, VAL_DATA);
_Static_assert(VAL_DATA == LFS_VALUE_HEADER_SIZE, "value header size");
_Static_assert(LFS_VALUE_MAX_BYTES + VAL_DATA == 4096, "value fills 4K");

/* The value's used length varies with len, so its crc is computed here
 * rather than by rec_crc() (whose copy is one smallest sector long): the
 * bytes before the crc field, four zero bytes, the bytes after it. */
static uint32_t
value_crc(const uint8_t *p, size_t used)
{
	uint8_t tmp[4096];

	memcpy(tmp, p, used);
	memset(tmp + VAL_CRC, 0, 4);
	return lfs_crc32c(tmp, used);
}

/*
 * Value record, the last sector of a slot (40 + len bytes used; the rest
 * of the sector is zero when written, and not covered):
 *
 *   offset size field
 *        0    4 magic            LFS_MAGIC_VALUE
 *        4    4 format version
 *        8    4 crc32c           of bytes 0 .. 40 + len - 1, this field as 0
 *       12    4 len              0 .. sector_size - 40
 *       16    4 incarnation      of the lease it belongs to
 *       20    4 writer_id        1 .. LFS_MAX_HOSTS
 *       24    8 writer_gen
 *       32    8 lver             lease generation when written
 *       40  len data
 *
 * len comes before the data and is covered by the crc, but the crc cannot
 * be checked when len is out of range: such a record decodes as -EBADE
 * (corrupt), never as a shorter value.
 */
int
lfs_value_encode(const struct lfs_value *r, void *buf, size_t sector_size)
{
	uint8_t *p = buf;

	if (!sector_size_ok(sector_size) ||
	    r->len > lfs_value_max((uint32_t)sector_size) ||
	    r->writer_id == 0 || r->writer_id > LFS_MAX_HOSTS)
		return -EINVAL;
	memset(p, 0, sector_size);
	put_le32(p + VAL_MAGIC, LFS_MAGIC_VALUE);
	put_le32(p + VAL_VERSION, LFS_FORMAT_VERSION);
	put_le32(p + VAL_LEN, r->len);
	put_le32(p + VAL_INCARNATION, r->incarnation);
	put_le32(p + VAL_WRITER_ID, r->writer_id);
	put_le64(p + VAL_WRITER_GEN, r->writer_gen);
	put_le64(p + VAL_LVER, r->lver);
	memcpy(p + VAL_DATA, r->data, r->len);
	put_le32(p + VAL_CRC, lfs_crc32c(p, VAL_DATA + (size_t)r->len));
	return 0;
}

int
lfs_value_decode(struct lfs_value *r, const void *buf, size_t sector_size)
{
	const uint8_t *p = buf;
	uint32_t len;

	if (!sector_size_ok(sector_size))
		return -EINVAL;
	if (all_zero(p, sector_size))
		return -ENODATA;
	if (get_le32(p + VAL_MAGIC) != LFS_MAGIC_VALUE)
		return -EBADMSG;
	if (get_le32(p + VAL_VERSION) != LFS_FORMAT_VERSION)
		return -EPROTO;
	len = get_le32(p + VAL_LEN);
	if (len > lfs_value_max((uint32_t)sector_size) ||
	    get_le32(p + VAL_CRC) != value_crc(p, VAL_DATA + (size_t)len))
		return -EBADE;
	if (get_le32(p + VAL_WRITER_ID) == 0 ||
	    get_le32(p + VAL_WRITER_ID) > LFS_MAX_HOSTS)
		return -ERANGE;
	memset(r, 0, sizeof(*r));
	r->len = len;
	r->incarnation = get_le32(p + VAL_INCARNATION);
	r->writer_id = get_le32(p + VAL_WRITER_ID);
	r->writer_gen = get_le64(p + VAL_WRITER_GEN);
	r->lver = get_le64(p + VAL_LVER);
	memcpy(r->data, p + VAL_DATA, len);
	return 0;
}

/* ====================================================================
 * 8. Error words
 * ==================================================================== */

int
lfs_decode_maybe_torn(int err)
{
	return err == -EBADMSG || err == -EPROTO || err == -EBADE;
}

/* err may be given negative (as returned) or positive.  The fallback is
 * glibc's constant description, safe from any thread (unlike strerror()). */
const char *
lfs_decode_strerror(int err)
{
	const char *s;
	int e = err < 0 ? -err : err;

	switch (e) {
	case 0: return "ok";
	case ENODATA: return "empty";
	case EBADMSG: return "not a leasefs record";
	case EPROTO: return "unsupported format version";
	case EBADE: return "checksum mismatch";
	case ERANGE: return "field out of range";
	}
	s = strerrordesc_np(e);
	return s != NULL ? s : "unknown error";
}
