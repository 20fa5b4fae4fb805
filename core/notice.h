/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * notice.h - change notices: prompt wake-ups of waiters at a bounded I/O
 * cost.
 *
 * A host waiting for leases held elsewhere (blocked `lock` opens, pending
 * requests) used to re-read each of them every few milliseconds: a host
 * waiting on 1,000 leases issued tens of thousands of reads per second.
 * Instead, the host that releases or transfers a lease names its slot in a
 * change notice kept in its own host-area sector (ondisk.h struct
 * lfs_notice; lfs_delta_notice() writes it), and a waiter
 *
 *   1. reads host sectors every LFS_WAKE_SCAN_MS, one contiguous read:
 *      only those of the hosts whose release it waits for, when it knows
 *      them all (the owner each blocked open's last attempt found,
 *      lfs_wake_span_add), else the whole window (hosts 1 ..
 *      lfs_hosts_window()); and the whole window at least every
 *      LFS_WAKE_FULL_MS whatever it knows (lfs_wake_span_begin), which
 *      the renewals' own reads of the window provide while they come
 *      more often than that (lockspace.h hosts_taker; the daemon's
 *      watcher.c wake_kept).  At 2,000 hosts the window is 1 MiB (8 MiB
 *      with 4 KiB sectors): read every 20 ms it would be 50 MiB a second,
 *      for a wait on one lease;
 *   2. compares each host's notice with the one it saw last
 *      (lfs_wake_host()): the slots named since are woken, and when it
 *      cannot tell what changed (a new generation, a ring that wrapped, a
 *      host seen for the first time, a host that became dead or free in
 *      our view) every waited lease is;
 *   3. re-reads only the woken leases (an acquire attempt, a request
 *      check), plus a slow fallback: each waited lease at least every
 *      LFS_WAKE_FALLBACK_MS, and fallback attempts at least
 *      LFS_WAKE_FALLBACK_GAP_MS apart whatever the number of leases
 *      (lfs_wake_pick()).
 *
 * Reads per second of a waiting host, whatever it waits on:
 *   1000 / LFS_WAKE_SCAN_MS (50) + 1000 / LFS_WAKE_FALLBACK_GAP_MS (20),
 * plus one attempt per lease actually released or transferred, plus its
 * renewals: under 100 while nothing changes.
 * Wake-up latency after a release: the releaser's notice write (one io,
 * right after the release ballot), then at most LFS_WAKE_SCAN_MS to the
 * waiter's next scan, then its attempt.  The owner a waiter reads for
 * follows the lease: each change of owner is that owner's own release or
 * transfer, which its notice announces (the waiter's attempt then names
 * the next owner), or a takeover once it is dead, which our view shows
 * (LFS_WAKE_ALL).  What that misses (a notice lost, the ring wrapped) the
 * next whole-window scan catches, at most LFS_WAKE_FULL_MS later, as the
 * fallback does (at io_timeout 1 s the renewal reads that window every
 * 2 s, and that read serves as the scan: it adds nothing).  The price: a host
 * outside the owners read for that posts more than LFS_NOTICE_RING notices
 * between two whole-window scans (64 releases in 5 s: a host emptying
 * itself) makes the next one try every waited lease, where a scan every
 * LFS_WAKE_SCAN_MS would have named the slots.
 *
 * Safety: notices never decide anything.  A woken waiter runs the same
 * acquire (Disk Paxos ballot) or leader read it ran when it polled, and
 * only the disk's leader and dblocks say who owns a lease; a wrong or
 * forged notice costs one needless attempt, a missed one (a write that
 * failed, a host that crashed after its release and before the notice, a
 * host of an older binary, a ring that wrapped between two scans) delays
 * the wake-up until the fallback attempt.  One writer per sector holds:
 * a host writes the notice into its own host sector only, as the same
 * whole-sector write that carries its host record (delta.c serializes it
 * with renewals).  Such a write keeps the record's timestamp, so no host
 * counts it as a renewal (lfs_delta_renew's clock check uses the counter);
 * other hosts' views do see the sector change, which can only postpone
 * their judging us DEAD (lockspace.h), never hasten it.  It goes out only
 * while lfs_delta_write_fresh() allows, like a name-table write, so that it
 * lands before any next incarnation of our id may write that sector (the
 * timeline of delta.c: every write of a generation is submitted before
 * L + renewal_fail).
 *
 * The in-memory parts (the ring, the tracker, the pacing) are here, without
 * I/O or clock: the caller passes times, so unit tests need neither.
 */
#ifndef LEASEFS_NOTICE_H
#define LEASEFS_NOTICE_H

#include <stdint.h>

#include "ondisk.h"

#define LFS_WAKE_SCAN_MS 20u           /* host-area read while waiting */
#define LFS_WAKE_FALLBACK_MS 5000u     /* each waited lease, at least */
#define LFS_WAKE_FALLBACK_GAP_MS 50u   /* between two fallback attempts */
#define LFS_WAKE_FULL_MS 5000u         /* whole-window scan, at least */

/* Append slot to n (seq + 1).  n->host_id and generation are the caller's. */
void lfs_notice_push(struct lfs_notice *n, uint32_t slot);

/* What a waiter last saw of one host. */
struct lfs_wake_host {
	int known;               /* seen at least once */
	uint64_t read_ms;        /* start of the read it was seen by */
	int down;                /* DEAD or FREE in our view then */
	uint64_t view_gen;       /* the host record's generation then */
	int has_notice;
	uint64_t gen, seq;       /* of its notice then */
};

struct lfs_wake {
	uint32_t max_hosts;
	struct lfs_wake_host *h; /* [0 .. max_hosts], index = host id */
};

int lfs_wake_init(struct lfs_wake *w, uint32_t max_hosts);
void lfs_wake_free(struct lfs_wake *w);

/* One host as a scan found it. */
struct lfs_wake_seen {
	int valid;               /* its record is in our view */
	int down;                /* DEAD or FREE in our view */
	uint64_t view_gen;       /* its record's generation in our view */
	const struct lfs_notice *notice; /* decoded, or NULL */
	int torn;                /* its notice reads as a torn record might
	                            (lfs_decode_maybe_torn(), ondisk.h): a
	                            read that met the host's write of it
	                            (diskio.h); the next scan tells */
	uint64_t read_ms;        /* start of the read that saw it, monotonic:
	                            one that started before the read we saw
	                            the host by is older news and changes
	                            nothing (a renewal's window, handed over
	                            and looked at after a scan of some of its
	                            hosts: lfs_hosts_pass_on(), lockspace.h) */
};

#define LFS_WAKE_ALL 1           /* lfs_wake_host(): wake every waiter */

/* Compare host id as now seen with what w saw last, and remember it.
 * Calls slot_fn(arg, slot) for every slot named since (0 or more), and
 * returns LFS_WAKE_ALL when what changed cannot be told, else 0.  A
 * sighting by a read that started before the last one's changes nothing
 * (0): it may show the ring as it was, and a seq gone back wakes all.  A
 * host with nothing in view is forgotten (0).  A torn notice changes nothing
 * (0): taken as none, it would wake all twice, at the tear and at the next
 * whole read; what it hid is still in the ring then, or the ring's
 * overflow wakes all. */
int lfs_wake_host(struct lfs_wake *w, uint32_t id, const struct lfs_wake_seen *s,
    void (*slot_fn)(void *arg, uint32_t slot), void *arg);

/* The fallback (notice.h, step 3): of n waited leases, whose fallback
 * attempts are due at *next[i] (0: the lease just began waiting, and its
 * first attempt was its own: it is set due LFS_WAKE_FALLBACK_MS from now),
 * the one to attempt now: the earliest due, when that is due and
 * LFS_WAKE_FALLBACK_GAP_MS passed since the last pick (*gap_next).  Its
 * *next moves LFS_WAKE_FALLBACK_MS on.  Returns its index, or -1.
 * Earliest first: every lease gets its turn, however many there are. */
int lfs_wake_pick(uint64_t now, uint64_t *const *next, uint32_t n,
    uint64_t *gap_next);

/* The host sectors one scan reads (step 1): hosts first .. first + count
 * - 1.  Begin with the time and the caller's next whole-window time, add
 * the owner each waited lease waits for (0: not known), end with the
 * window. */
struct lfs_wake_span {
	int full;                /* the whole window */
	uint32_t lo, hi;         /* the owners added; lo 0: none yet */
};

void lfs_wake_span_begin(struct lfs_wake_span *s, uint64_t now,
    uint64_t *full_next);
void lfs_wake_span_add(struct lfs_wake_span *s, uint32_t owner);
void lfs_wake_span_end(const struct lfs_wake_span *s, uint32_t window,
    uint32_t *first, uint32_t *count);

#endif
