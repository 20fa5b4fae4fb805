/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lockspace.h - one lockspace as seen by one host: geometry, this host's
 * identity, and its view of every other host's liveness.
 *
 * This module owns struct lfs_lockspace, formatting a device, opening one,
 * and the host view: the record last read for every host id and the local
 * monotonic time at which it was last seen to change.  Liveness is judged
 * only from that (never from another host's clock):
 *
 *   FREE     never joined, or left cleanly (LFS_HOST_FREE)
 *   LIVE     its timestamp changed less than renewal_fail ago
 *   FAILING  unchanged for renewal_fail or more, less than host_dead
 *   DEAD     unchanged for host_dead or more, as observed here
 *
 * A host seen for the first time is presumed to have changed at that moment,
 * so a host that just joined waits a full host_dead before it may call any
 * host DEAD.  A lease owned by (id, gen) is also dead when the record of id
 * shows a generation newer than gen, and LIVE when it shows an older one:
 * our view predates that incarnation, and the silence we saw was another
 * incarnation's.
 *
 * Thread safety: the host view is protected by ls->view_lock; the other
 * fields are set before any thread starts and only read afterwards.
 */
#ifndef LEASEFS_LOCKSPACE_H
#define LEASEFS_LOCKSPACE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <uuid/uuid.h>

#include "clock.h"
#include "diskio.h"
#include "log.h"
#include "ondisk.h"

enum lfs_host_state { LFS_HOST_STATE_FREE, LFS_HOST_STATE_LIVE,
	LFS_HOST_STATE_FAILING, LFS_HOST_STATE_DEAD };

struct lfs_host_view {
	int valid;               /* the sector was written (not all zero) */
	int corrupt;             /* ... but does not decode: taken as LIVE */
	int bad_reads;           /* reads in a row that showed this same bad
	                            record (1, then 2 once seen again) */
	uint32_t raw_crc;        /* CRC of the raw sector, to see changes */
	struct lfs_host rec;     /* last record read (host_id only if corrupt) */
	int presence_known;      /* presence below was read with rec: else a
	                            ballot reads this host's dblocks in every
	                            slot (no presence: an older writer) */
	struct lfs_presence presence;
	uint64_t changed_ms;     /* completion of the read that first showed
	                            the current contents, local monotonic ms */
	uint64_t read_ms;        /* start of the last read that covered this
	                            sector (a renewal's window or a full read):
	                            unchanged from changed_ms up to then */
};

struct lfs_lockspace {
	struct lfs_disk disk;
	struct lfs_header header;
	struct lfs_layout layout;
	struct lfs_timeouts to;      /* == header.timeouts */
	const struct lfs_logger *log;
	/* every duration of the host view, joins, renewals and ballots is
	 * measured on this clock; lfs_lockspace_open() sets lfs_clock_real,
	 * a test may replace it before any other call */
	const struct lfs_clock *clock;

	/* this host; set by lfs_delta_join() */
	uint32_t host_id;
	/* atomic: a caller may judge owners (lfs_host_state) in one thread
	 * while another joins again (the daemon's state files, its rejoin) */
	_Atomic uint64_t generation;
	uuid_t identity;
	char host_name[LFS_HOST_NAME_MAX + 1];
	uint64_t renew_count;        /* last timestamp written */

	/* a cache kept by a module above (the name table's, leases.c), which
	 * registers how to free it; lfs_lockspace_close() calls that */
	void *names_cache;
	void (*names_cache_free)(void *cache);

	/*
	 * The submit gate (finding C12 of the simulator): a lease write is
	 * checked fresh (our generation live, or fresh enough for a write that
	 * must land before others take over) and then submitted, and nothing
	 * in this process can bound the time between the two: a preempted
	 * thread, or the whole daemon SIGSTOPped, submits a write checked
	 * long ago, which lands after other hosts took our leases over.  So
	 * every checked write (lfs_lockspace_write_checked()) takes the gate
	 * before its check and leaves it when io_submit returned, and the
	 * one who fences (the guard, fs/daemon/guard.h) closes the gate at a
	 * deadline: once it is closed, no check made before is still waiting
	 * to submit, or the daemon is killed.  Registered by the daemon
	 * before any lease operation; take NULL (tools, tests): no gate.
	 * take returns 0 with the gate held, or -errno (closed) without.
	 */
	struct lfs_submit_gate {
		int (*take)(void *arg);
		void (*drop)(void *arg);
		void *arg;
	} gate;
	/* The same for our renewal writes (delta.c), closed by the guard at
	 * renewed + renewal_fail, when it fences: a renewal checked in time
	 * and submitted after a stall would land over the record of a host
	 * that took our id once we were dead (the simulator's seed 8207:
	 * two incarnations with one generation, two holders).  Apart from
	 * the lease writes' gate, so that renewals go on to the end. */
	struct lfs_submit_gate renew_gate;

	/* Change notices (notice.h): off unless the caller (the daemon) sets
	 * notice_on before joining.  host_write_lock serializes every write of
	 * our host sector (join, renewal, leave, notice: one whole-sector
	 * write at a time, each carrying the latest record and notice) and
	 * protects notice. */
	int notice_on;
	pthread_mutex_t host_write_lock;
	struct lfs_notice notice;

	/*
	 * Dblock presence (ondisk.h; paxos.h invariant 4a).  With
	 * presence_lazy (set before joining; lfs_lockspace_open() sets it for
	 * lockspaces of more than LFS_PRESENCE_LAZY_ABOVE hosts), a bucket's
	 * bit is set just before our first dblock write in it, which then
	 * waits join_delay; without, the join sets every bit and nothing
	 * ever waits (a small lockspace reads every host's dblock cheaply).
	 * presence is protected by host_write_lock (delta.c), like notice.
	 */
	int presence_lazy;
	struct lfs_presence presence;    /* our bits, as our writes carry them */
	/* atomic, so that a ballot checks it without host_write_lock (a
	 * renewal holds that across its read of the window, 8 MiB at 2,000
	 * hosts of 4 KiB); written under host_write_lock */
	_Atomic uint64_t presence_ready_ms[LFS_PRESENCE_BUCKETS]; /* 0: not
	                                    published; else when our first
	                                    dblock write in the bucket may be
	                                    submitted */
	_Atomic uint32_t host_writes_busy; /* our host-sector writes between
	                                    their encode and their completion */

	/*
	 * A taker of host-area reads: the daemon's watcher, which looks for
	 * change notices (notice.h) in a renewal's read of the window instead
	 * of reading the window again for itself (1 MiB at 2,000 hosts, 8 MiB
	 * with 4 KiB sectors).  lfs_hosts_pass_on() offers it each read that
	 * a renewal or a full read applied to the view.  take returns 1 when
	 * it keeps buf (it frees it, with free()), else 0.  A renewal offers
	 * between its read and its write, so take must not block or do I/O:
	 * a trylock, a pointer swap, at most one free().  Set before any
	 * thread starts; NULL take: none.
	 */
	struct lfs_hosts_taker {
		int (*take)(void *arg, unsigned char *buf, uint32_t n,
		    uint64_t start_ms);
		void *arg;
	} hosts_taker;

	pthread_mutex_t view_lock;
	/* protected by view_lock: */
	struct lfs_stale_seen {      /* paxos.c: stale leases seen, by slot */
		uint32_t slot;           /* 0: unused entry */
		uint64_t lver;           /* the newest instance then */
		uint32_t crc;            /* of the slot's dblocks then */
		uint64_t since_ms;       /* first seen so */
	} stale_seen[8];
	struct lfs_host_view *hosts; /* [0 .. max_hosts], index = host id */
	uint32_t high_water;         /* highest host id ever used, seen */
	uint64_t hosts_read_ms;      /* when the last read of the WHOLE host
	                                area started: high_water is as of then
	                                (paxos.h invariant 4); renewals read
	                                only the window and leave it */
	uint64_t renewed_ms;         /* submit time of our last good renewal */
	uint64_t uncertain_write_ms; /* submit time of our latest write that
	                                failed or timed out: it may still land
	                                until lfs_late_write_ms() after that */
};

struct lfs_format_params {
	const char *name;            /* lockspace name */
	uint32_t sector_size;        /* 0: the device's, or 512 for a file */
	uint32_t max_hosts;
	uint32_t lease_capacity;
	uint32_t io_timeout_ms;
	uint64_t file_size;          /* create or grow a regular file to this */
	int force;                   /* overwrite an existing lockspace */
};

#define LFS_DEFAULT_MAX_HOSTS 64u
/* Above this many host ids, dblock presence is lazy (lfs_lockspace):
 * reading every dblock of 256 hosts is 128 KiB a phase at 512 B. */
#define LFS_PRESENCE_LAZY_ABOVE 256u
#define LFS_DEFAULT_LEASES 1024u


/* Write a new lockspace on path.  -EEXIST when one is there and !force;
 * -ENOSPC when the device is too small; nothing written on any error. */
int lfs_format(const char *path, const struct lfs_format_params *p,
    const struct lfs_logger *log);

/* Open path and read its header.  Fills ls (no host joined yet).  Errors as
 * the decoders' (ondisk.h), -errno from I/O. */
int lfs_lockspace_open(struct lfs_lockspace *ls, const char *path,
    const struct lfs_logger *log);
void lfs_lockspace_close(struct lfs_lockspace *ls);

/*
 * Two kinds of host-area read:
 *
 *   full     every sector, 1 .. max_hosts: finds hosts that joined since
 *            (raises high_water) and sets hosts_read_ms.  A join, a ballot
 *            whose view is older than hosts_fresh, `.hosts`, dump.
 *   window   sectors 1 .. lfs_hosts_window(): the hosts known and a few
 *            ids above them, for a renewal.  Its cost follows the hosts
 *            present, not max_hosts (3 hosts of 2,000: 4 KiB, not
 *            1,000 KiB).  It cannot vouch for the ids above it, which is
 *            why ballots do not take their high water from it (paxos.h
 *            invariant 4); a host it does see raises the high water and
 *            so the next window.
 *
 * Records that fail to decode (other than empty) keep their previous view
 * and are reported as -EBADE etc. only in the log; the read itself failing
 * is returned.
 */
int lfs_hosts_refresh(struct lfs_lockspace *ls, struct lfs_io *io);

/* Hosts a window read covers: 1 .. n, n = max(high_water, our id) + 1
 * rounded up to 4 KiB of sectors, at most max_hosts. */
uint32_t lfs_hosts_window(struct lfs_lockspace *ls);

/* Apply a read of host ids 1 .. n (n sectors at buf) started at start_ms
 * and completed at done_ms (monotonic); n == max_hosts is a full read. */
void lfs_hosts_apply(struct lfs_lockspace *ls, const unsigned char *buf,
    uint32_t n, uint64_t start_ms, uint64_t done_ms);
size_t lfs_hosts_area_bytes(const struct lfs_lockspace *ls);
/* After lfs_hosts_apply() of the same read: buf (malloc()ed) goes to the
 * registered taker (ls->hosts_taker), or is freed.  The caller's no more. */
void lfs_hosts_pass_on(struct lfs_lockspace *ls, unsigned char *buf,
    uint32_t n, uint64_t start_ms);

/* Liveness of (host_id, gen) now, from the view; gen 0 means any. */
/* Every lease write of ours goes through here: lfs_io_write(), and when it
 * fails or times out its submit time is kept (ls->uncertain_write_ms), so
 * that lfs_delta_leave() knows how long it may still land.  Takes
 * view_lock. */
int lfs_lockspace_write(struct lfs_lockspace *ls, struct lfs_io *io,
    uint64_t offset, const void *buf, size_t len);
/* The same for a write that may be submitted only while check(ls) says 0:
 * check runs inside the submit gate (ls->gate), right before io_submit,
 * and its error (or -EIO when the gate is closed) is returned with nothing
 * submitted. */
int lfs_lockspace_write_checked(struct lfs_lockspace *ls, struct lfs_io *io,
    uint64_t offset, const void *buf, size_t len,
    int (*check)(struct lfs_lockspace *ls));
/* The same inside another gate (NULL take: none). */
int lfs_lockspace_write_gated(struct lfs_lockspace *ls, struct lfs_io *io,
    uint64_t offset, const void *buf, size_t len,
    int (*check)(struct lfs_lockspace *ls), const struct lfs_submit_gate *gate);

enum lfs_host_state lfs_host_state(struct lfs_lockspace *ls, uint32_t host_id,
    uint64_t gen);
/* Whether a ballot on a slot of bucket (lfs_presence_bucket()) must read
 * host_id's dblock, by the view: a written sector whose presence shows the
 * bit, or has none, or does not decode.  Never-written sectors: no.  Our
 * own id is the caller's to add.  Called with view_lock held. */
int lfs_host_in_bucket_locked(struct lfs_lockspace *ls, uint32_t host_id,
    uint32_t bucket);
const char *lfs_host_state_name(enum lfs_host_state s);
/* Copy of the view of one host; -ENOENT when never seen. */
int lfs_host_get(struct lfs_lockspace *ls, uint32_t host_id,
    struct lfs_host_view *out);
/* Host id whose display name is name, or -ENOENT. */
int lfs_host_find(struct lfs_lockspace *ls, const char *name);

#endif
