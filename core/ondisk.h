/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ondisk.h - the leasefs on-disk format: layout and every record.
 *
 * This module owns the bytes on disk.  It is the only code that knows field
 * offsets; everything else works on the decoded structs below.  Every record
 * is encoded explicitly, little-endian, field by field, and carries a magic,
 * the format version and a CRC-32C (Castagnoli) of its encoded bytes with the
 * checksum field taken as zero.  Decoders check magic, version, CRC and field
 * ranges, each with its own error, and never return a half-decoded record.
 *
 * Layout of a lockspace, in sectors of sector_size bytes (512 or 4096):
 *
 *   sector 0                     lockspace header
 *   sectors 1 .. H               host area: host id i lives in sector i
 *   next T sectors               name table: M entries of 64 bytes, entry k
 *                                names lease slot k + 1 (T = ceil(64 M / S))
 *   lease area, S-aligned        M + 1 lease slots of (3 + H) sectors each:
 *                                slot 0 is the table lease that serializes
 *                                changes to the name table; slots 1..M are
 *                                leases.
 *
 *   lease slot:  sector 0        leader record (owner, lease generation)
 *                sector 1        request record
 *                sector 1 + i    Disk Paxos block (dblock) of host id i,
 *                                with host i's mode (shared or not) in it
 *                sector 2 + H    value record (the lease's value block)
 *
 * One writer per sector: a host writes only its own host-area sector and its
 * own dblocks (and so its own mode); the leader is written by the ballot
 * winner or the owner; the value only by the exclusive owner; the name
 * table only under the table lease.  Sector writes are atomic, so a reader
 * sees a whole old or a whole new record.
 *
 * Format version 2 (this one) added the mode to the dblock and the value
 * sector to the slot (issue 16).  Version 1 lockspaces are refused
 * (-EPROTO, "unsupported format version"), and version 1 binaries refuse
 * version 2 records the same way, on purpose: a version 1 host would not
 * see shared holders and would take a lease exclusively under them, so the
 * two must never run on one lockspace.  Reformat to upgrade.
 *
 * Within version 2, the dblock's bytes 52..55 (written as zero, and
 * required to be zero by the first version 2 decoders) became its
 * incarnation.  A newer binary reads an older one's dblocks as unstamped
 * (0), which changes nothing; an older binary refuses a stamped dblock as
 * out of range (-ERANGE), so it aborts ballots on slots a newer binary has
 * touched rather than run them without the check (paxos.h invariants 5,
 * 8): mixing the two is refused, never unsafe.  Upgrade every host.
 *
 * Error codes of the decoders:
 *   -ENODATA   the sector is all zeroes (never written: an empty slot)
 *   -EBADMSG   bad magic: not a leasefs record of this kind
 *   -EPROTO    a leasefs record of another format version
 *   -EBADE     CRC mismatch: a torn or corrupted record
 *   -ERANGE    a field out of range (also: name not NUL-padded)
 */
#ifndef LEASEFS_ONDISK_H
#define LEASEFS_ONDISK_H

#include <stddef.h>
#include <stdint.h>
#include <uuid/uuid.h>

#include "timeouts.h"

#define LFS_FORMAT_VERSION 2u
#define LFS_NAME_MAX 48          /* lockspace and lease names, in bytes */
#define LFS_HOST_NAME_MAX 64     /* a host's display name, in bytes */
#define LFS_MAX_HOSTS 2000u      /* host ids are 1 .. max_hosts */
#define LFS_MAX_LEASES 1000000u
#define LFS_NAME_ENTRY_SIZE 64u  /* bytes per name-table entry */
#define LFS_SLOT_HEADER_SECTORS 2u /* leader + request before the dblocks */
#define LFS_SLOT_TRAILER_SECTORS 1u /* the value sector after the dblocks */
#define LFS_VALUE_HEADER_SIZE 40u  /* bytes of a value record before the data */
#define LFS_VALUE_MAX_BYTES (4096u - LFS_VALUE_HEADER_SIZE) /* at 4K sectors */

#define LFS_MAGIC_HEADER 0x5346534c45534145ull /* "EASELFS" tag, 8 bytes */
#define LFS_MAGIC_HOST 0x74736f48u   /* "Host" */
#define LFS_MAGIC_NAME 0x656d614eu   /* "Name" */
#define LFS_MAGIC_LEADER 0x6461654cu /* "Lead" */
#define LFS_MAGIC_REQUEST 0x7165524cu /* "LReq" */
#define LFS_MAGIC_DBLOCK 0x6b6c4244u /* "DBlk" */
#define LFS_MAGIC_VALUE 0x6c61564cu  /* "LVal" */
#define LFS_MAGIC_NOTICE 0x6563744eu /* "Ntce" */
#define LFS_MAGIC_PRESENCE 0x73657250u /* "Pres" */

/* ---- lockspace header (sector 0) ---- */
struct lfs_header {
	char name[LFS_NAME_MAX + 1];  /* NUL-terminated lockspace name */
	uuid_t uuid;                  /* made at format time */
	uint32_t sector_size;         /* 512 or 4096 */
	uint32_t max_hosts;           /* host ids 1 .. max_hosts */
	uint32_t lease_capacity;      /* leases 1 .. lease_capacity */
	struct lfs_timeouts timeouts; /* all from timeouts.io_timeout_ms */
	uint64_t format_time;         /* CLOCK_REALTIME seconds, for humans */
};

/* Derived layout, in sectors from the start of the device. */
struct lfs_layout {
	uint32_t sector_size;
	uint32_t max_hosts;
	uint32_t lease_capacity;
	uint64_t host_area;      /* first sector of the host area (host id 1) */
	uint64_t name_table;     /* first sector of the name table */
	uint64_t name_sectors;   /* sectors in the name table */
	uint64_t lease_area;     /* first sector of slot 0 */
	uint64_t slot_sectors;   /* sectors per lease slot */
	uint64_t total_sectors;  /* sectors the lockspace needs */
};

/* Fill *l from a header's geometry.  -EINVAL on a bad geometry. */
int lfs_layout_init(struct lfs_layout *l, uint32_t sector_size,
    uint32_t max_hosts, uint32_t lease_capacity);
uint64_t lfs_layout_bytes(const struct lfs_layout *l); /* device size needed */
uint64_t lfs_host_sector(const struct lfs_layout *l, uint32_t host_id);
uint64_t lfs_slot_sector(const struct lfs_layout *l, uint32_t slot);
/* The value sector of a slot (its last sector). */
uint64_t lfs_value_sector(const struct lfs_layout *l, uint32_t slot);
/* Largest value a record holds at this sector size, in bytes. */
uint32_t lfs_value_max(uint32_t sector_size);
/* Byte offset of entry k (0-based) inside the name table. */
uint64_t lfs_name_entry_offset(uint32_t entry);

/* ---- host record (one sector per host id) ---- */
#define LFS_HOST_LIVE 0x1u  /* joined and renewing */
#define LFS_HOST_FREE 0x2u  /* left cleanly; all its leases were released */

struct lfs_host {
	uint32_t host_id;
	uint32_t flags;          /* LFS_HOST_LIVE or LFS_HOST_FREE */
	uint64_t generation;     /* rises by one at every join */
	uint64_t timestamp;      /* renewal counter: changes at every renewal */
	uint64_t wall_time;      /* CLOCK_REALTIME seconds at the write, for humans */
	uint32_t io_timeout_ms;  /* the writer's idea of io_timeout */
	uuid_t identity;         /* the writer's stable identity (state file) */
	char name[LFS_HOST_NAME_MAX + 1]; /* display name, NUL-terminated */
};

/* ---- change notice (the tail of a host's own sector) ----
 *
 * A host that released or transferred a lease names its slot here, in the
 * bytes of its own host-area sector after the host record: waiters on other
 * hosts read the host area (one contiguous read) and re-read only the
 * leases named (notice.h).  A hint only: nothing decides ownership from it.
 *
 * Entry for notice number s (1 .. seq) is slots[(s - 1) % LFS_NOTICE_RING];
 * a reader that last saw seq0 of the same generation can name every slot
 * changed since when seq - seq0 <= LFS_NOTICE_RING, and otherwise knows
 * that it missed some.
 *
 * No format version change: a version 2 reader of the host record checks
 * its crc over the record's own 128 bytes and never looks past them (its
 * view takes any change of the sector as a sign of life, which these bytes
 * only add to: lockspace.c view_update); a record written by such a host
 * has zeroes there, which decode as -ENODATA: no notices, and its waiters
 * fall back to polling (notice.h).
 */
#define LFS_NOTICE_RING 64u
#define LFS_NOTICE_OFFSET 128u  /* in the host sector: after the record */

struct lfs_notice {
	uint32_t host_id;        /* the writer (== the sector's host id) */
	uint64_t generation;     /* its generation: seq counts from 0 in each */
	uint64_t seq;            /* notices posted by this generation */
	uint32_t slots[LFS_NOTICE_RING]; /* lease slots, 0 = none yet */
};

/* ---- dblock presence (the last bytes of a host's own sector) ----
 *
 * Which lease slots this host id may have written a dblock in, by bucket
 * (slot % LFS_PRESENCE_BUCKETS, one bit each): a ballot reads the dblocks
 * only of the hosts whose bit for its slot's bucket is set, instead of
 * every host's (paxos.h invariant 4a has the timeline that makes skipping
 * the others safe).  Bits are only ever set, never cleared, and carried
 * from one generation (and one identity) of the id to the next: a dblock
 * stays on disk whoever holds the id later.  A host record without a
 * presence after it (an older binary, or a damaged one) reads as every
 * bit set: its dblocks are read as before.
 *
 * No format version change, as for notices: older version 2 readers never
 * look past the record's and the notice's bytes, and read every dblock.
 */
#define LFS_PRESENCE_BUCKETS 512u
#define LFS_PRESENCE_OFFSET 416u  /* in the host sector: after the notice */

struct lfs_presence {
	uint32_t host_id;        /* the writer (== the sector's host id) */
	uint8_t bits[LFS_PRESENCE_BUCKETS / 8]; /* bucket b: bit b % 8 of
	                            byte b / 8 */
};

static inline uint32_t
lfs_presence_bucket(uint32_t slot)
{
	return slot % LFS_PRESENCE_BUCKETS;
}

static inline int
lfs_presence_has(const struct lfs_presence *p, uint32_t bucket)
{
	return (p->bits[bucket / 8] >> (bucket % 8)) & 1;
}

static inline void
lfs_presence_set(struct lfs_presence *p, uint32_t bucket)
{
	p->bits[bucket / 8] |= (uint8_t)(1u << (bucket % 8));
}

/* ---- name-table entry (64 bytes) ---- */
struct lfs_name_entry {
	uint32_t incarnation;    /* rises each time the slot is reused */
	char name[LFS_NAME_MAX + 1];
};

/* ---- leader record (sector 0 of a slot) ---- */
#define LFS_LEADER_DELETED 0x1u  /* slot freed by rmdir; not a lease */

struct lfs_leader {
	uint32_t flags;
	uint32_t incarnation;    /* must match the name-table entry */
	uint64_t lver;           /* lease generation: rises with every ballot;
	                            the fencing token */
	uint32_t owner_id;       /* 0 = free */
	uint64_t owner_gen;      /* owner's host generation when it won */
	uint32_t writer_id;      /* host that wrote this record */
	uint64_t wall_time;      /* CLOCK_REALTIME seconds, for humans */
	char name[LFS_NAME_MAX + 1]; /* lease name, for dump and sanity */
};

/* ---- request record (sector 1 of a slot) ---- */
struct lfs_request {
	uint32_t host_id;        /* 0 = no request */
	uint64_t host_gen;
	uint64_t lver;           /* the lease generation the request was made at */
	uint64_t seq;            /* rises with every write by a requester */
};

/* ---- Disk Paxos block (sector 1 + host id of a slot) ---- */
#define LFS_MODE_SHARED 0x1u /* this host holds the lease shared */

struct lfs_dblock {
	uint64_t lver;           /* the Paxos instance: leader.lver + 1 */
	uint64_t mbal;           /* largest ballot number this host started */
	uint64_t bal;            /* ballot of the value below, 0 = none */
	uint32_t inp_id;         /* proposed owner host id */
	uint64_t inp_gen;        /* proposed owner generation */
	uint32_t incarnation;    /* of the lease this ballot is about (the
	                            name-table entry's), 0 = unstamped; a slot's
	                            initial image stamps every dblock with its
	                            new incarnation (paxos.h invariant 9) */
	/* The host's mode (shared.h), kept in the same sector so that the
	 * sector keeps one writer; ballots carry it along unchanged. */
	uint32_t mode_flags;     /* LFS_MODE_SHARED or 0 */
	uint64_t mode_gen;       /* the host's generation when it set it */
	uint64_t mode_lver;      /* lease generation it was set under (the
	                            shared hold's fencing token) */
};

/* ---- value record (sector 2 + H of a slot) ---- */
struct lfs_value {
	uint32_t incarnation;    /* of the lease it was written for: another
	                            incarnation's value reads as empty */
	uint32_t writer_id;      /* the exclusive owner that wrote it */
	uint64_t writer_gen;
	uint64_t lver;           /* lease generation it was written under */
	uint32_t len;            /* bytes of data, <= lfs_value_max() */
	unsigned char data[LFS_VALUE_MAX_BYTES];
};

/* Encoders write exactly one sector (sector_size bytes, zero padded) into
 * buf; decoders read one.  Encoders return 0 or -EINVAL on a field out of
 * range (nothing meaningful is left in buf then).  Name-table entries are
 * encoded into and decoded from LFS_NAME_ENTRY_SIZE bytes. */
int lfs_header_encode(const struct lfs_header *h, void *buf, size_t sector_size);
int lfs_header_decode(struct lfs_header *h, const void *buf, size_t len);
int lfs_host_encode(const struct lfs_host *r, void *buf, size_t sector_size);
int lfs_host_decode(struct lfs_host *r, const void *buf, size_t sector_size);
/* The notice goes into the tail of a sector that already holds the host
 * record (lfs_host_encode() first: it zeroes the whole sector); bytes
 * outside the notice's own (LFS_NOTICE_OFFSET up to LFS_PRESENCE_OFFSET)
 * are left alone.  Decode reads the same bytes: -ENODATA when they are all
 * zero (a writer without notices). */
int lfs_notice_encode(const struct lfs_notice *n, void *sector,
    size_t sector_size);
int lfs_notice_decode(struct lfs_notice *n, const void *sector,
    size_t sector_size);
/* The presence goes last, into a sector that already holds the host
 * record; bytes before LFS_PRESENCE_OFFSET are left alone.  Decode:
 * -ENODATA when the tail is all zero (a writer without presence). */
int lfs_presence_encode(const struct lfs_presence *p, void *sector,
    size_t sector_size);
int lfs_presence_decode(struct lfs_presence *p, const void *sector,
    size_t sector_size);
int lfs_name_entry_encode(const struct lfs_name_entry *e, void *buf64);
int lfs_name_entry_decode(struct lfs_name_entry *e, const void *buf64);
int lfs_leader_encode(const struct lfs_leader *r, void *buf, size_t sector_size);
int lfs_leader_decode(struct lfs_leader *r, const void *buf, size_t sector_size);
int lfs_request_encode(const struct lfs_request *r, void *buf, size_t sector_size);
int lfs_request_decode(struct lfs_request *r, const void *buf, size_t sector_size);
int lfs_dblock_encode(const struct lfs_dblock *r, void *buf, size_t sector_size);
int lfs_dblock_decode(struct lfs_dblock *r, const void *buf, size_t sector_size);
/* Values: a length past lfs_value_max(sector_size) encodes as -EINVAL and
 * decodes as -EBADE (the crc cannot be checked: a corrupt record). */
int lfs_value_encode(const struct lfs_value *r, void *buf, size_t sector_size);
int lfs_value_decode(struct lfs_value *r, const void *buf, size_t sector_size);

/* A short human word for a decoder error ("empty", "not leasefs", ...). */
const char *lfs_decode_strerror(int err);
/* Whether err is what a decoder can say of a record read torn, a mix of
 * the old and the new bytes of a sector being written (diskio.h
 * lfs_io_read_verified): bad magic (new zeros over an old record, as a
 * name entry's delete writes), version, or checksum.  Never -ERANGE: the
 * ranges are checked only once the checksum passed. */
int lfs_decode_maybe_torn(int err);

#endif
