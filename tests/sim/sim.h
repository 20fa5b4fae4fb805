/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sim.h - the deterministic simulator of leasefs (issue 12): many hosts,
 * one simulated disk, every fault, one seed to replay.
 *
 * The real core/ code (delta leases, Disk Paxos, the name table) runs for
 * every simulated host in this one process.  What is simulated is the world
 * around it:
 *
 *   time      one global simulated time W->now (ns); each machine has a
 *             monotonic clock derived from it (offset, rate drift); nothing
 *             sleeps in real time
 *   threads   every daemon thread (renewal, deadline, ops/watcher) is a
 *             coroutine with its own stack; a coroutine runs
 *             until it waits (an I/O, a sleep), then the scheduler picks the
 *             next event
 *   disk      an array of sectors in memory; each host reaches it through
 *             the I/O table of its own contexts (struct lfs_io_syscalls),
 *             whose submit records an I/O and whose getevents waits for
 *             completions the scheduler decides: latency, EIO, hangs,
 *             timeouts at the caller with the write landing later, sector
 *             by sector pieces, any order
 *   faults    process pauses, host suspends (the watchdog resets a host
 *             frozen past its deadline), daemon crashes (holders outlive
 *             the daemon until the guard kills them), host crashes (writes
 *             in flight still land), clean restarts, duplicate host ids
 *
 * One PRNG (xoshiro256**, seeded by splitmix64 from the seed) makes every
 * choice, and the event heap orders equal times by insertion: a run is a
 * pure function of its seed and its options.
 *
 * The checker (check.c) sees the truth: who may act on each lease (holders
 * alive, by machine and incarnation), which value each Paxos instance
 * chose, what the disk held.
 *
 * Files: sched.c (PRNG, events, coroutines, clocks), disk.c (the disk and
 * the I/O tables), host.c (machines, the daemon's threads and decisions,
 * the guard, the workload), check.c, trace.c, main.c (options, batches,
 * setup), interpose.c (time(), nanosleep()).
 */
#ifndef LFS_SIM_H
#define LFS_SIM_H

#include <errno.h>
#include <libaio.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <ucontext.h>

#include "delta.h"
#include "diskio.h"
#include "hostpolicy.h"
#include "leases.h"
#include "lockspace.h"
#include "paxos.h"
#include "shared.h"

#define MS 1000000ull               /* ns */
/* A read this long before a write of the same sector lands may meet its
 * copy (disk.c, F_TEAR): long enough to be met, shorter than a re-read's
 * pause (LFS_IO_REREAD_PAUSE_MS, diskio.h), as a real copy's microseconds
 * are. */
#define SIM_TEAR_WINDOW_NS (500 * 1000ull)
#define SIM_INF UINT64_MAX
#define SIM_MAX_MACHINES 80
#define SIM_MAX_LEASES 8            /* vm1 .. vm8 */
#define SIM_LEASE_CAP 16            /* slots: vm leases + created ones */
#define SIM_MAX_TNAMES 8            /* t1 .. t8, created and deleted */

/* ---- PRNG (sched.c) ---- */
struct rng { uint64_t s[4]; };
void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
uint64_t rng_below(struct rng *r, uint64_t n);          /* [0, n) */
uint64_t rng_range(struct rng *r, uint64_t lo, uint64_t hi); /* [lo, hi] */
int rng_ppm(struct rng *r, uint32_t ppm);               /* P = ppm / 1e6 */
uint64_t rng_logu(struct rng *r, uint64_t lo, uint64_t hi); /* log-uniform */

/* ---- faults, counted by kind ---- */
enum fault_kind {
	F_LATE,          /* I/O past io_timeout: timeout at the caller, lands later */
	F_EIO,           /* I/O fails with EIO */
	F_EIO_LANDED,    /* ... a write that failed but reached the disk */
	F_LOST_WRITE,    /* a late write that never lands */
	F_SPLIT,         /* a multi-sector I/O lands in two pieces at two times */
	F_TEAR,          /* a read meets a write of the same sector: torn */
	F_STALL,         /* a thread stalls before a submit or after a completion */
	F_SUBMIT_ERR,    /* io_submit refuses */
	F_HANG,          /* a path hangs for a while; its writes land at the end, or not */
	F_EIO_SPAN,      /* a path fails every I/O for a while */
	F_SLOW_SPAN,     /* a path is slow (0.5 - 3 io) for a while */
	F_PAUSE,         /* the daemon is SIGSTOPped for a while */
	F_SUSPEND,       /* the whole host freezes (clock keeps running) */
	F_WATCHDOG,      /* a suspended host past its deadline is reset */
	F_DCRASH,        /* the daemon dies (kill -9); holders die by the guard */
	F_HCRASH,        /* the host dies at once; in-flight writes still land */
	F_RESTART,       /* the daemon stops cleanly and starts again */
	F_NK
};
extern const char *const fault_name[F_NK];

/* ---- per-seed configuration (swarm: each seed its own mix) ---- */
struct config {
	int hosts;                   /* distinct host ids 1 .. hosts */
	int spares;                  /* extra machines reusing an id */
	int leases;                  /* vm1 .. vmN */
	uint32_t io_ms;              /* io_timeout of the lockspace */
	int drift_ppm;               /* clock rates within +- this */
	/* per-I/O faults, in ppm */
	uint32_t p_late, p_eio, p_eio_lands, p_lost, p_split, p_stall,
	    p_submit_err;
	uint32_t p_tear;             /* a read sector with a write of it
	                                landing within SIM_TEAR_WINDOW_NS
	                                (disk.c; drawn from W->tear_rng) */
	uint64_t lat_max_ns;         /* normal latency up to this */
	uint64_t stall_max_ns;
	uint64_t late_max_ns;        /* a late I/O completes up to this late
	                                (--late-beyond-promise only) */
	int beyond;                  /* --late-beyond-promise: late and hung
	                                writes land past the storage promise */
	int atomic_submit;           /* --atomic-submit: no stall before a
	                                write's submit (README, C12) */
	/* episodes */
	uint32_t kinds;              /* 1 << F_HANG ... enabled */
	uint64_t fault_mean_ns;      /* mean time between episodes */
	uint64_t span_max_ns;        /* longest hang/pause/suspend */
	/* workload */
	uint64_t think_max_ns;       /* ops loop pause */
	uint64_t hold_max_ns;
	uint32_t p_request;          /* per mille of tries that request instead of lock */
	uint32_t p_transfer;         /* per mille of releases that transfer */
	uint32_t p_names;            /* per mille of loop passes that create/delete */
	uint32_t p_shared;           /* per mille of tries that hold shared
	                                (--shared only; shared.c) */
	uint64_t start_spread_ns;    /* machines start in [0, this) */
	int staggered;               /* ... in id order, evenly spread */
	/* phases */
	uint64_t fault_ns;           /* faults until then (or max_steps) */
	uint64_t drain_ns, probe_ns;
};

/* ---- events ---- */
enum ev_kind { EV_WAKE, EV_LAND, EV_COMPLETE, EV_GUARD, EV_FAULT,
	EV_START, EV_UNHANG, EV_RESUME, EV_PHASE, EV_EXPIRE };
struct ev {
	uint64_t t, seq;
	void *p;
	uint64_t a;
	int kind;
};

/* ---- coroutines ---- */
struct inc;
struct machine;
struct coro {
	ucontext_t uc;               /* without the x86-64 switch (sched.c) */
	void *sp;                    /* with it: the saved stack pointer */
	void *stack;
	size_t stack_size;
	void (*fn)(void *);
	void *arg;
	struct inc *inc;             /* its daemon: pauses, crashes */
	struct machine *m;
	uint64_t tok;                /* the wake that counts */
	int done;
	const char *name;
	void *asan_fake;
	struct coro *next_all;
};
extern struct coro *sim_cur;         /* running coroutine, NULL: scheduler */

struct coro *coro_new(void (*fn)(void *), void *arg, struct inc *inc,
    const char *name);
void coro_block(void);               /* wait for a wake */
void coro_wake(struct coro *c, uint64_t at);
void coro_sleep_ns(uint64_t ns);     /* global ns; returns early only for ghosts */

/* ---- the disk and I/O paths (disk.c) ---- */
enum { P_RENEW = 0, P_OPS = 1, P_NPATH = 2 };

struct req {
	struct path *path;           /* until handed out (its daemon may be
	                                gone after that) */
	struct machine *m;
	int kind;                    /* P_RENEW, P_OPS */
	struct iocb *cb;             /* the caller's, valid until handed out */
	uint64_t id;
	int write;
	uint64_t off;
	size_t len;
	unsigned char *data;         /* our copy: written data, or read data */
	long res;
	uint32_t split;              /* sector where piece 1 starts, 0: none */
	uint8_t lands;               /* reaches the disk */
	uint8_t pieces;              /* pieces still to land */
	uint8_t completed, orphan, hung, handed;
	uint8_t late;                /* past io_timeout (F_LATE) */
	uint8_t landed[2];           /* piece 0 / 1 applied to the disk */
	uint64_t t_land[2];          /* when piece 0 / 1 lands, if it does */
	uint8_t expiring;            /* EV_EXPIRE pending: not freed before */
	uint64_t t_submit;
	struct req *rnext;           /* ready FIFO */
	struct req *oprev, *onext;   /* path's outstanding list */
	struct req *hnext;           /* machine's hung list */
	struct req *gprev, *gnext;   /* world's list of every req */
};

struct path {
	struct lfs_io_syscalls sys;
	struct inc *inc;
	struct machine *m;
	int kind;
	struct req *ready, **ready_tail;
	int nready;
	struct req *out;             /* submitted, not handed out */
	struct coro *waiter;
	long want;
};

void disk_path_init(struct path *p, struct inc *inc, int kind);
void disk_land_ev(struct req *r, int piece);
void disk_complete_ev(struct req *r);
void disk_unhang(struct machine *m, int kind);
void disk_expire_ev(struct req *r);
uint64_t disk_promise_ns(void);      /* host_dead - renewal_fail + io */
void disk_free_all(void);
const char *disk_where(uint64_t off, char *buf, size_t len);

/* ---- machines and daemons (host.c) ---- */
struct dlease {                      /* the daemon's entry of a lease */
	char name[LFS_NAME_MAX + 1];
	int vm;                      /* vm lease (index), -1: t name */
	int known;
	struct lfs_lease_ref ref;
	int held, lost;
	int finished;                /* lost with a finished generation: never
	                                written free (fs l->finished) */
	struct lfs_leader leader;
	int unsettled;
	int req;                     /* our request is pending */
	uint64_t req_until;          /* withdraw it then (global ns) */
	uint64_t next_try_ms;
	uint64_t hold_until;         /* global ns */
	int holder;                  /* a local holder uses it */
	int closed;                  /* the holder was killed: release ... */
	uint64_t closed_at;          /* ... once it is gone (global ns) */
	int probed;
	/* the shared side (--shared; fs/daemon/shhold.c, tests/sim/shared.c) */
	int sh_set;                  /* our mode may show on disk, set by this
	                                generation (fs l->sh_set) */
	int sh_holder;               /* a local holder uses it shared */
	int sh_lost;                 /* no holder: the mode is to be cleared */
	int sh_finished;             /* set by a finished generation: never
	                                written again (fs l->finished) */
	int sh_unfinished;           /* an -EINPROGRESS to undo (sh_left) */
	struct lfs_shared_hold sh_left;
	uint64_t sh_token;
	int sh_closed;               /* the shared holder was killed: clear ... */
	uint64_t sh_closed_at;       /* ... once it is gone (global ns) */
};

struct inc {                         /* one daemon incarnation */
	struct machine *m;
	uint32_t seq;                /* incarnation number on this machine */
	struct lfs_lockspace ls;
	struct lfs_logger log;
	struct path path[P_NPATH];
	struct lfs_io io[P_NPATH];
	int io_ok[P_NPATH];
	int ghost;                   /* crashed: unwinds, touches nothing */
	int joined, fenced, stale, stopping, stop_req;
	int fence_done;              /* fence() finished its kills */
	int in_op;                   /* the ops thread is inside a pass (fs:
	                                holds ops_lock; a rejoin waits) */
	int ops_started, ops_done;
	int renewal;                 /* enum lfs_hp_renewal */
	uint64_t paused_until;       /* SIGSTOP */
	int coros;                   /* alive */
	struct coro *renew_c, *ops_c, *dl_c;
	struct dlease dl[SIM_MAX_LEASES + SIM_MAX_TNAMES];
	int ndl;
	int all_released;
	uint64_t kill_until;         /* holders killed by our fencing are gone
	                                by then (global ns) */
	/* the submit gates (core lockspace.h, fs guard.c): lease writes',
	 * closed at lfs_gate_close_ms, and renewals', closed at fencing */
	struct sim_gate {
		int held;            /* writes between check and submit */
		int closed;          /* by the guard */
	} gate, rgate;
};

struct machine {
	int idx;                     /* 0 .. */
	uint32_t host_id;
	uuid_t identity;
	char name[16];
	struct lfs_clock clock;
	int64_t clk_off;             /* local = off + now + now * drift / 1e6 */
	int drift_ppm;
	uint64_t suspended_until;
	struct inc *inc;             /* current daemon, NULL when down */
	uint32_t incs;               /* incarnations started */
	uint64_t restart_at;         /* EV_START pending for this time */
	int start_pending;
	uint64_t holders_dead_at;    /* global ns, all holders gone by then */
	/* the guard */
	int g_active, g_fenced;
	uint64_t g_renewed;          /* local ms */
	uint64_t g_tok;
	/* storage faults, per path kind */
	uint64_t hang_until[P_NPATH], eio_until[P_NPATH], slow_until[P_NPATH];
	struct req *hung;
	uint64_t gen;                /* generation of the current join */
};

uint64_t m_local_ns(const struct machine *m);
uint64_t m_local_ms(const struct machine *m);
uint64_t m_global_at_local(const struct machine *m, uint64_t local_ns);

void machine_init(struct machine *m, int idx, uint32_t host_id);
struct inc *inc_new(struct machine *m);
void inc_release(struct inc *i);
void host_setup_machines(void);
void host_start_ev(struct machine *m);
void host_guard_ev(struct machine *m, uint64_t tok);
void host_resume_ev(struct machine *m);
void host_fault_ev(void);
void host_phase_ev(int phase);
void host_teardown(void);
void inc_coro_exit(struct inc *i);
void sim_sleep_ns(uint64_t ns);       /* the running thread, its clock */
struct lfs_hp_health host_health(struct inc *i);
int host_grant(const struct lfs_hp_health *h);
int host_lost_for_good(const struct lfs_hp_health *h);
uint64_t host_kill_window_end(struct machine *m);
void host_sleep_ms(struct machine *m, uint32_t ms);

/* ---- shared holds (shared.c, --shared): fs/daemon/shhold.c's decisions
 * on the real core/shared.h ---- */
int sh_busy(const struct dlease *d);  /* no new hold of either mode here */
void sh_lock(struct inc *i, struct dlease *d);
void sh_close(struct inc *i, struct dlease *d);
void sh_watch(struct inc *i, struct dlease *d);
void sh_fence(struct inc *i, struct dlease *d);
void sh_forget_finished(struct dlease *d);
void sh_shutdown(struct inc *i, struct dlease *d);

/* ---- the checker (check.c) ---- */
void check_reset(void);
void check_holder_start(struct machine *m, struct inc *i, uint32_t slot,
    const struct lfs_leader *ld, const char *how);
void check_holder_start_mode(struct machine *m, struct inc *i, uint32_t slot,
    const struct lfs_leader *ld, const char *how, int shared);
void check_holder_end(struct machine *m, struct inc *i, uint32_t slot,
    uint64_t end);
void check_machine_dead_at(struct machine *m, uint64_t t);
void check_chosen(struct machine *m, struct inc *i, uint32_t slot,
    const struct lfs_leader *ld, uint32_t id, uint64_t gen, const char *how);
void check_leader_landed(uint32_t slot, const struct lfs_leader *ld);
void check_honest(struct machine *m, int r, const char *what);
void check_view(struct machine *m, uint32_t slot, const struct lfs_leader *ld,
    const char *how);
void check_final(void);
void sim_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- trace (trace.c) ---- */
enum { TR_OFF = 0, TR_EVENTS = 1, TR_IO = 2 };
void tr(const struct machine *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void trace_begin(int level, int tail);
void trace_end(FILE *out);
void trace_log_fn(void *arg, int priority, const char *msg);

/* ---- fixes of the daemon's decisions the simulator found (findings D2,
 * D4, D5, D6 of tests/sim/README), shipped in fs/ through
 * core/hostpolicy.c since 2026-12-03 and so on by default; --fix LIST
 * keeps only those named, --undo d2-grant etc. turns one off ---- */
enum {
	/* 1 (dead-gap) and 4 (killed) shipped in fs (issue 11 cases 1, 2)
	 * through core/hostpolicy.c */
	FIX_GRANT = 2,               /* grant a just-acquired lease only while
	                                lease operations are allowed */
	FIX_XFER = 8,                /* after a failed transfer whose write may
	                                still land, the lease is lost */
	FIX_SETTLE = 16,             /* an acquire that failed with EIO or
	                                ETIMEDOUT is settled like -EAGAIN */
	FIX_ARRIVE = 32,             /* a requested lease arrives only when an
	                                acquire confirms the leader is current */
	FIX_ALL = FIX_GRANT | FIX_XFER | FIX_SETTLE | FIX_ARRIVE,
};

/* ---- fixes of fs/'s decisions undone, off by default (--undo): the
 * revert table's seams for the issue 11 fixes that live in fs/daemon/
 * around core/hostpolicy.c (a fix inside hostpolicy.c is undone by a patch
 * in tests/sim/reverts/ instead) ---- */
enum {
	UNDO_GEN = 1,                /* case 1: after fencing, a good renewal
	                                unfences under the same generation and
	                                the watcher releases the lost leases */
	UNDO_HOLDERS = 2,            /* case 2: neither fencing, nor the rejoin,
	                                nor (with UNDO_GEN) the release of lost
	                                leases waits for the killed holders */
	UNDO_STOP = 4,               /* case 5: a stop releases the leases
	                                without waiting for the killed holders */
	/* the fixes of findings D2, D4, D5, D6 (FIX_* above) undone */
	UNDO_GRANT = 8, UNDO_XFER = 16, UNDO_SETTLE = 32, UNDO_ARRIVE = 64,
	UNDO_GATE = 128,             /* finding C12: no submit gate (no guard
	                                closing it, no kill of a daemon with a
	                                checked write not yet submitted) */
	UNDO_RGATE = 256,            /* seed 8207: no renewal gate (nor the
	                                renewal's in-time check inside it) */
};

/* ---- the world ---- */
enum { PH_FAULTS, PH_DRAIN, PH_PROBE, PH_END };

struct world {
	uint64_t seed;
	struct rng rng;
	/* torn reads' own stream: their draws leave rng's, and with it every
	 * seed's world and run without tears, as they were before tears */
	struct rng tear_rng;
	uint64_t now;
	uint64_t seq;
	struct ev *heap;
	size_t nheap, capheap;
	uint64_t steps, max_steps;
	int phase;
	struct config cfg;
	struct lfs_timeouts to;
	/* disk */
	unsigned char *disk;
	size_t disk_bytes;
	const struct lfs_lockspace *tmpl;
	struct req *reqs;            /* every live req */
	uint64_t next_req;
	/* machines */
	struct machine m[SIM_MAX_MACHINES];
	int nm;
	/* vm leases: slot of vmK as created at setup */
	struct lfs_lease_ref vm_ref[SIM_MAX_LEASES];
	/* liveness after healing */
	int probe_ok[SIM_MAX_LEASES];            /* by anyone */
	uint8_t probe_by[SIM_MAX_LEASES][SIM_MAX_MACHINES]; /* by machine */
	uint32_t probe_seq[SIM_MAX_MACHINES];    /* serving incarnation at
	                                            the probe's start, 0: none */
	int probe_table_ok;
	/* counters */
	uint64_t ios, faults[F_NK], acquires, transfers, releases, joins;
	uint64_t ghost_steps;
	uint64_t io_horizon;         /* every scheduled I/O is done by then */
	/* outcome */
	int failed;
	char why[1024];
	int trace;
	int tearing_down;
	int setup;                   /* instant disk, no coroutines */
	uint32_t fix;                /* FIX_* */
	uint32_t undo;               /* UNDO_* */
	int strict_probe;            /* --strict-probe: every serving host must
	                                take every lease after healing */
	int shared;                  /* --shared: hosts hold leases shared too */
	int presence;                /* --presence: every daemon's dblock
	                                presence is lazy (lockspace.h) */
	uint64_t sh_acquires, sh_overlaps; /* shared holds granted; grants
	                                beside another host's shared hold */
	struct coro *coros;          /* every coroutine still running */
	struct coro *dead_coros;     /* finished, freed at the seed's end */
};
extern struct world *W;

void ev_push(uint64_t t, int kind, void *p, uint64_t a);
void sched_run(void);                /* until the heap is empty, or end */
void sched_drain_coros(void);        /* teardown: run ghosts to their end */

#endif
