/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * main.c - the simulator's command line: set up one formatted lockspace
 * image, then run seeds (a batch, or one replayed with its trace).
 *
 *   leasefs-sim [options]
 *     --seeds N        run N seeds (default 1000) from --first (default 1)
 *     --seed S         run seed S alone and print its trace
 *     --hosts LO-HI    host ids per seed, drawn in [LO, HI] (default 3-8)
 *     --steps N        events of the fault phase at most (default 400000)
 *     --time MS        simulated ms of the fault phase (default 6000)
 *     --io             the trace also shows every I/O
 *     --tail N         trace lines kept for a failure of a batch (150)
 *     --until-fail     stop at the first failing seed
 *     --quiet          only the summary
 *     --fix LIST       which of the fixes of findings D2, D4-D6 (shipped in
 *                      fs/) the simulated daemon has: all (the default),
 *                      none, grant, transfer, settle, arrive
 *     --no-names       no name-table create/delete in the workload
 *     --undo LIST      fixes of fs/'s decisions undone (i11-gen,
 *                      i11-holders, i11-stop, d2-grant, d4-transfer,
 *                      d5-settle, d6-arrive; sim.h UNDO_*): the revert
 *                      table's seams
 *     --strict-probe   after healing, every host serving all along must
 *                      acquire every lease (default: someone must)
 *     --shared         hosts also hold leases shared (core/shared.h, as
 *                      fs/daemon/shhold.c does; tests/sim/shared.c)
 *     --late-beyond-promise
 *                      late and hung writes land up to 3 host_dead after
 *                      their submit, breaking the storage promise of
 *                      leasefs(8) (by default they land within host_dead -
 *                      renewal_fail + io of it): outside the design
 *     --atomic-submit  no thread stall (and so no SIGSTOP) between a
 *                      write's freshness check and its io_submit (reads
 *                      still stall before theirs): looks
 *                      past finding C12 (README), which only a watchdog
 *                      closes today
 *     --no-tears       no torn reads (disk.c, F_TEAR): the runs as they
 *                      were before tears were modelled, which the seeds
 *                      pinned in check-sim.sh were found with
 *     --tears          torn reads after all (the last of the two wins: a
 *                      revert patch's '# sim: --tears' line)
 *     --presence       every daemon sets a bucket's presence bit only
 *                      before its first dblock write there, and waits
 *                      join_delay (lockspace.h presence_lazy, as in
 *                      lockspaces of more than 256 hosts; paxos.h
 *                      invariant 4a); by default the join sets them all
 *
 * Every seed draws its own world from the PRNG (swarm testing): number of
 * hosts and spares (machines reusing an id), leases, which fault kinds are
 * on and how often, the workload's mix and pace, a watchdog or not.  The
 * seed and the options above determine a run completely: `--seed S` with
 * the same --hosts/--steps/--time replays it exactly.
 *
 * Setup (once per process): lfs_format() on a real temporary file,
 * lfs_lockspace_open() on it for the template every simulated daemon copies
 * (see inc_new), then, on the simulated disk in instant mode, one host
 * joins, creates vm1 .. vm8 and leaves; that image starts every seed.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sim.h"

#ifndef SIM_REVERT
#define SIM_REVERT "" /* the reverted fix this binary was built with */
#endif
#ifndef SIM_PROPOSE
#define SIM_PROPOSE "" /* the proposed core fixes it was built with */
#endif

const char *const fault_name[F_NK] = {
	[F_LATE] = "late-io", [F_EIO] = "eio", [F_EIO_LANDED] = "eio-landed",
	[F_LOST_WRITE] = "lost-write", [F_SPLIT] = "split-io",
	[F_TEAR] = "torn-read",
	[F_STALL] = "stall", [F_SUBMIT_ERR] = "submit-err", [F_HANG] = "hang",
	[F_EIO_SPAN] = "eio-span", [F_SLOW_SPAN] = "slow-span",
	[F_PAUSE] = "pause", [F_SUSPEND] = "suspend", [F_WATCHDOG] = "watchdog",
	[F_DCRASH] = "daemon-crash", [F_HCRASH] = "host-crash",
	[F_RESTART] = "restart",
};

struct opts {
	uint64_t first, nseeds, seed;
	int replay, hosts_lo, hosts_hi, io, tail, until_fail, quiet;
	uint64_t steps, time_ms;
	uint32_t fix, undo;
	int profile, no_names, beyond, strict_probe, shared, atomic_submit;
	int no_tears, presence;
};

static struct world world;
static struct lfs_lockspace tmpl;
static unsigned char *base_image;
static struct lfs_lease_ref base_vm_ref[SIM_MAX_LEASES];
static char file_path[4096];

static double
real_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- setup ---- */

static int
make_file(void)
{
	const char *dirs[] = { getenv("LFS_TEST_DIR"), "/var/tmp", ".", "/tmp" };
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		void *buf = NULL;
		int fd, dfd, ok;

		if (dirs[i] == NULL)
			continue;
		snprintf(file_path, sizeof(file_path), "%s/leasefs-sim.XXXXXX",
		    dirs[i]);
		fd = mkstemp(file_path);
		if (fd < 0)
			continue;
		dfd = open(file_path, O_RDWR | O_DIRECT);
		ok = dfd >= 0 && posix_memalign(&buf, 4096, 4096) == 0;
		if (ok) {
			memset(buf, 0, 4096);
			ok = pwrite(dfd, buf, 4096, 0) == 4096;
		}
		free(buf);
		if (dfd >= 0)
			close(dfd);
		close(fd);
		if (ok)
			return 0;
		unlink(file_path);
	}
	return -1;
}

static void
setup(int max_hosts)
{
	struct lfs_format_params p = {
		.name = "sim", .sector_size = 512, .max_hosts = (uint32_t)max_hosts,
		.lease_capacity = SIM_LEASE_CAP, .io_timeout_ms = 100,
		.file_size = 0, .force = 1,
	};
	struct lfs_join_params jp = { .host_id = 1, .host_name = "setup" };
	struct lfs_layout l;
	struct lfs_lease_entry e;
	struct machine *m;
	struct inc *i;
	char name[16];
	int fd, k, r;

	if (make_file() < 0) {
		fprintf(stderr, "sim: no directory supports O_DIRECT "
		    "(set LFS_TEST_DIR)\n");
		exit(2);
	}
	if (lfs_layout_init(&l, 512, p.max_hosts, p.lease_capacity) < 0)
		exit(2);
	p.file_size = lfs_layout_bytes(&l) + 4096;
	if ((r = lfs_format(file_path, &p, NULL)) < 0 ||
	    (r = lfs_lockspace_open(&tmpl, file_path, NULL)) < 0) {
		fprintf(stderr, "sim: format/open %s: %s\n", file_path,
		    strerror(-r));
		unlink(file_path);
		exit(2);
	}
	world.tmpl = &tmpl;
	world.to = tmpl.to;
	world.disk_bytes = lfs_layout_bytes(&tmpl.layout);
	world.disk = malloc(world.disk_bytes);
	base_image = malloc(world.disk_bytes);
	fd = open(file_path, O_RDONLY);
	if (world.disk == NULL || base_image == NULL || fd < 0 ||
	    pread(fd, world.disk, world.disk_bytes, 0) !=
	    (ssize_t)world.disk_bytes) {
		fprintf(stderr, "sim: reading %s back failed\n", file_path);
		exit(2);
	}
	close(fd);
	unlink(file_path); /* the descriptor in tmpl stays valid */

	/* one host creates the leases, on the instant disk */
	W = &world;
	world.setup = 1;
	world.cfg.leases = SIM_MAX_LEASES;
	world.cfg.lat_max_ns = 20000;
	m = &world.m[0];
	machine_init(m, 0, 1);
	i = inc_new(m);
	memset(jp.identity, 0x5a, sizeof(jp.identity));
	if ((r = lfs_delta_join(&i->ls, &i->io[P_RENEW], &jp)) < 0) {
		fprintf(stderr, "sim: setup join: %d\n", r);
		exit(2);
	}
	for (k = 0; k < SIM_MAX_LEASES; k++) {
		snprintf(name, sizeof(name), "vm%d", k + 1);
		if ((r = lfs_leases_create(&i->ls, &i->io[P_OPS], name, &e)) < 0) {
			fprintf(stderr, "sim: setup create %s: %d\n", name, r);
			exit(2);
		}
		base_vm_ref[k] = e.ref;
	}
	if ((r = lfs_delta_leave(&i->ls, &i->io[P_RENEW])) < 0)
		exit(2);
	lfs_io_destroy(&i->io[P_RENEW]);
	lfs_io_destroy(&i->io[P_OPS]);
	inc_release(i);
	disk_free_all();
	memcpy(base_image, world.disk, world.disk_bytes);
	world.setup = 0;
}

/* ---- one seed ---- */

static uint32_t
pick(struct rng *r, const uint32_t *v, int n)
{
	return v[rng_below(r, (uint64_t)n)];
}

#define PICK(r, ...) pick((r), (const uint32_t[]){ __VA_ARGS__ }, \
	(int)(sizeof((const uint32_t[]){ __VA_ARGS__ }) / sizeof(uint32_t)))

static void
draw_config(const struct opts *o)
{
	struct config *c = &W->cfg;
	struct rng *r = &W->rng;
	uint64_t io = (uint64_t)W->to.io_timeout_ms * MS;
	int e;
	static const int episodic[] = { F_HANG, F_EIO_SPAN, F_SLOW_SPAN,
		F_PAUSE, F_DCRASH, F_HCRASH, F_RESTART };

	memset(c, 0, sizeof(*c));
	c->hosts = (int)rng_range(r, (uint64_t)o->hosts_lo,
	    (uint64_t)o->hosts_hi);
	c->spares = rng_below(r, 4) == 0 ? (int)rng_range(r, 1, 2) : 0;
	c->leases = (int)rng_range(r, 1, 4);
	c->io_ms = W->to.io_timeout_ms;
	c->drift_ppm = (int)PICK(r, 0, 0, 100, 500);
	c->p_late = PICK(r, 0, 1000, 10000, 30000);
	c->p_eio = PICK(r, 0, 1000, 10000);
	c->p_eio_lands = PICK(r, 0, 0, 100000);
	c->p_lost = PICK(r, 0, 300000);
	c->p_split = PICK(r, 0, 200000);
	c->p_stall = PICK(r, 0, 3000, 30000);
	c->p_submit_err = PICK(r, 0, 0, 1000);
	c->p_tear = PICK(&W->tear_rng, 0, 500000, 1000000);
	if (o->no_tears)
		c->p_tear = 0;
	c->lat_max_ns = PICK(r, 1, 5, 20, 60) * MS;
	c->stall_max_ns = io * PICK(r, 1, 3, 6);
	c->late_max_ns = (uint64_t)W->to.host_dead_ms * MS * PICK(r, 1, 3);
	c->beyond = o->beyond;
	c->atomic_submit = o->atomic_submit;
	for (e = 0; e < (int)(sizeof(episodic) / sizeof(episodic[0])); e++)
		if (rng_below(r, 2))
			c->kinds |= 1u << episodic[e];
	if (rng_below(r, 2)) {
		c->kinds |= 1u << F_WATCHDOG;
		if (rng_below(r, 2))
			c->kinds |= 1u << F_SUSPEND;
	}
	c->fault_mean_ns = rng_logu(r, 20 * MS, 2000 * MS);
	c->span_max_ns = io * PICK(r, 2, 6, 15);
	c->think_max_ns = rng_logu(r, MS, 60 * MS);
	c->hold_max_ns = rng_logu(r, 5 * MS, 1500 * MS);
	c->p_request = PICK(r, 0, 200, 500);
	c->p_transfer = PICK(r, 0, 500, 1000);
	c->p_names = PICK(r, 0, 0, 30);
	c->start_spread_ns = rng_logu(r, MS, 4000 * MS);
	c->staggered = (int)rng_below(r, 2);
	c->fault_ns = o->time_ms * MS;
	if (rng_below(r, 4) == 0) {
		/* stall mode: hosts come up one by one while threads stall
		 * for up to 6 io and little else goes wrong (the ballot's
		 * view of the hosts, paxos.h invariant 4, needs exactly this) */
		c->staggered = 1;
		c->leases = (int)rng_range(r, 1, 2);
		c->p_stall = PICK(r, 20000, 50000);
		c->stall_max_ns = 6 * io;
		c->p_late = c->p_eio = c->p_eio_lands = c->p_lost = 0;
		c->kinds &= (1u << F_PAUSE) | (1u << F_RESTART);
		c->think_max_ns = rng_logu(r, MS, 5 * MS);
		c->start_spread_ns = rng_logu(r, 1000 * MS, 4000 * MS);
	} else if (rng_below(r, 3) == 0) {
		/* takeover mode: spare machines reuse host ids while the
		 * hosts holding them stop for longer than host_dead and come
		 * back (delta leases: renewal reads before it writes) */
		c->spares = (int)rng_range(r, 1, 2);
		if (c->hosts > 5 && o->hosts_lo <= 5)
			c->hosts = (int)rng_range(r, (uint64_t)o->hosts_lo, 5);
		c->kinds |= (1u << F_PAUSE) | (1u << F_HANG);
		c->span_max_ns = 15 * io;
		c->fault_mean_ns = rng_logu(r, 50 * MS, 400 * MS);
	}
	if (o->no_names)
		c->p_names = 0;
	/* drawn last, and only with --shared: the other worlds stay the
	 * seeds they were */
	if (o->shared)
		c->p_shared = PICK(r, 300, 500, 800);
	if (o->profile == 1) {
		/* experiment: joins in id order and long thread stalls, no
		 * other fault */
		c->staggered = 1;
		c->leases = 1;
		c->p_late = c->p_eio = c->p_eio_lands = c->p_lost = 0;
		c->p_submit_err = 0;
		c->p_stall = 50000;
		c->stall_max_ns = 6 * io;
		c->kinds = 0;
		c->think_max_ns = 2 * MS;
		c->start_spread_ns = 4000 * MS;
		c->spares = 0;
	}
	c->drain_ns = 4ull * W->to.host_dead_ms * MS;
	c->probe_ns = 6ull * W->to.host_dead_ms * MS;
}

static struct config cfg0; /* the seed's config as drawn (healing zeroes
                               the fault rates of W->cfg) */

static void
print_config(FILE *f)
{
	const struct config *c = &cfg0;
	int k, any = 0;

	fprintf(f, "world: %d hosts + %d spares, %d leases, drift %d ppm, "
	    "watchdog %s, start over %llu ms%s\n", c->hosts, c->spares,
	    c->leases, c->drift_ppm, (c->kinds & (1u << F_WATCHDOG)) ? "on" :
	    "off", (unsigned long long)(c->start_spread_ns / MS),
	    c->staggered ? " in id order" : "");
	if (c->beyond)
		fprintf(f, "  late writes beyond the storage promise: up to "
		    "%llu ms late, hangs unbounded\n",
		    (unsigned long long)(c->late_max_ns / MS));
	else
		fprintf(f, "  storage promise: every I/O done within %llu ms of "
		    "its submit\n", (unsigned long long)(disk_promise_ns() / MS));
	fprintf(f, "  per I/O (ppm): late %u eio %u (landed %u) lost %u split %u "
	    "stall %u submit-err %u tear %u; latency <= %llu ms, stall <= "
	    "%llu ms\n",
	    c->p_late, c->p_eio, c->p_eio_lands, c->p_lost, c->p_split,
	    c->p_stall, c->p_submit_err, c->p_tear,
	    (unsigned long long)(c->lat_max_ns / MS),
	    (unsigned long long)(c->stall_max_ns / MS));
	fprintf(f, "  episodes every ~%llu ms, up to %llu ms:",
	    (unsigned long long)(c->fault_mean_ns / MS),
	    (unsigned long long)(c->span_max_ns / MS));
	for (k = F_HANG; k < F_NK; k++)
		if (k != F_WATCHDOG && (c->kinds & (1u << k))) {
			fprintf(f, " %s", fault_name[k]);
			any = 1;
		}
	fprintf(f, "%s\n", any ? "" : " none");
	fprintf(f, "  workload: think <= %llu ms, hold <= %llu ms, request %u/1000, "
	    "transfer %u/1000, names %u/1000\n",
	    (unsigned long long)(c->think_max_ns / MS),
	    (unsigned long long)(c->hold_max_ns / MS), c->p_request,
	    c->p_transfer, c->p_names);
	if (c->p_shared)
		fprintf(f, "  shared: %u/1000 of the tries hold shared\n",
		    c->p_shared);
}

struct totals {
	uint64_t seeds, failed, steps, ios, sim_ns, faults[F_NK];
	uint64_t acquires, transfers, releases, joins, sh_acquires, sh_overlaps;
};

static int
run_seed(const struct opts *o, uint64_t seed, int trace, int tail,
    struct totals *t)
{
	struct ev *heap = world.heap;
	size_t cap = world.capheap;
	unsigned char *disk = world.disk;
	int k;

	memset(&world, 0, sizeof(world));
	world.heap = heap;
	world.capheap = cap;
	world.disk = disk;
	world.tmpl = &tmpl;
	world.to = tmpl.to;
	world.disk_bytes = lfs_layout_bytes(&tmpl.layout);
	memcpy(world.disk, base_image, world.disk_bytes);
	memcpy(world.vm_ref, base_vm_ref, sizeof(base_vm_ref));
	world.seed = seed;
	world.max_steps = o->steps;
	world.fix = o->fix;
	world.undo = o->undo;
	world.strict_probe = o->strict_probe;
	world.shared = o->shared;
	world.presence = o->presence;
	W = &world;
	rng_seed(&world.rng, seed);
	rng_seed(&world.tear_rng, seed ^ 0x7465617273ull); /* "tears" */
	draw_config(o);
	cfg0 = world.cfg;
	check_reset();
	for (k = 0; k <= SIM_LEASE_CAP; k++) {
		struct lfs_leader ld;
		uint32_t S = tmpl.layout.sector_size;

		if (lfs_leader_decode(&ld, world.disk + lfs_slot_sector(
		    &tmpl.layout, (uint32_t)k) * S, S) == 0)
			check_leader_landed((uint32_t)k, &ld);
	}
	if (trace) {
		trace_begin(trace, tail);
		if (tail == 0) {
			printf("seed %llu\n", (unsigned long long)seed);
			print_config(stdout);
		}
	}
	host_setup_machines();
	ev_push(rng_below(&world.rng, world.cfg.fault_mean_ns), EV_FAULT, NULL, 0);
	ev_push(world.cfg.fault_ns, EV_PHASE, NULL, PH_DRAIN);
	sched_run();
	if (!world.failed && world.phase != PH_END)
		sim_fail("the world stopped in phase %d", world.phase);
	host_teardown();
	if (t != NULL) {
		t->seeds++;
		t->failed += world.failed != 0;
		t->steps += world.steps;
		t->ios += world.ios;
		t->sim_ns += world.now;
		for (k = 0; k < F_NK; k++)
			t->faults[k] += world.faults[k];
		t->acquires += world.acquires;
		t->transfers += world.transfers;
		t->releases += world.releases;
		t->joins += world.joins;
		t->sh_acquires += world.sh_acquires;
		t->sh_overlaps += world.sh_overlaps;
	}
	return world.failed;
}

static const struct { const char *name; uint32_t bit; } fixes[] = {
	{ "grant", FIX_GRANT }, { "transfer", FIX_XFER },
	{ "settle", FIX_SETTLE }, { "arrive", FIX_ARRIVE },
};

static uint32_t
parse_fix(const char *arg)
{
	char buf[256], *tok, *save = NULL;
	uint32_t bits = 0;
	size_t k;

	snprintf(buf, sizeof(buf), "%s", arg);
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		for (k = 0; k < sizeof(fixes) / sizeof(fixes[0]); k++)
			if (strcmp(tok, "all") == 0 ||
			    strcmp(tok, fixes[k].name) == 0)
				bits |= fixes[k].bit;
		if (strcmp(tok, "none") != 0 && bits == 0) {
			fprintf(stderr, "sim: unknown fix %s\n", tok);
			exit(2);
		}
	}
	return bits;
}

static const struct { const char *name; uint32_t bit; } undos[] = {
	{ "i11-gen", UNDO_GEN }, { "i11-holders", UNDO_HOLDERS },
	{ "i11-stop", UNDO_STOP }, { "d2-grant", UNDO_GRANT },
	{ "d4-transfer", UNDO_XFER }, { "d5-settle", UNDO_SETTLE },
	{ "d6-arrive", UNDO_ARRIVE }, { "gate", UNDO_GATE },
	{ "renew-gate", UNDO_RGATE },
};

/* The FIX_* bits the --undo names of the D findings turn off. */
static uint32_t
undone_fixes(uint32_t undo)
{
	return ((undo & UNDO_GRANT) ? FIX_GRANT : 0) |
	    ((undo & UNDO_XFER) ? FIX_XFER : 0) |
	    ((undo & UNDO_SETTLE) ? FIX_SETTLE : 0) |
	    ((undo & UNDO_ARRIVE) ? FIX_ARRIVE : 0);
}

static uint32_t
parse_undo(const char *arg)
{
	char buf[256], *tok, *save = NULL;
	uint32_t bits = 0;
	size_t k;
	int hit;

	snprintf(buf, sizeof(buf), "%s", arg);
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		for (k = 0, hit = 0; k < sizeof(undos) / sizeof(undos[0]); k++)
			if (strcmp(tok, undos[k].name) == 0) {
				bits |= undos[k].bit;
				hit = 1;
			}
		if (!hit) {
			fprintf(stderr, "sim: unknown undo %s\n", tok);
			exit(2);
		}
	}
	return bits;
}

static const char *
fix_names(uint32_t bits, char *buf, size_t len)
{
	size_t k, n = 0;

	buf[0] = '\0';
	for (k = 0; k < sizeof(fixes) / sizeof(fixes[0]); k++)
		if (bits & fixes[k].bit)
			n += (size_t)snprintf(buf + n, len - n, "%s%s",
			    n ? "," : "", fixes[k].name);
	return buf;
}

static void
replay_hint(const struct opts *o, uint64_t seed)
{
	char fx[128];

	char flags[128] = "";

	if (o->no_names || o->profile || o->beyond || o->strict_probe ||
	    o->shared || o->atomic_submit || o->no_tears || o->presence)
		snprintf(flags, sizeof(flags), " SIMFLAGS='%s%s%s%s%s%s%s%s%.0d'",
		    o->shared ? "--shared " : "",
		    o->presence ? "--presence " : "",
		    o->no_tears ? "--no-tears " : "",
		    o->no_names ? "--no-names " : "",
		    o->beyond ? "--late-beyond-promise " : "",
		    o->atomic_submit ? "--atomic-submit " : "",
		    o->strict_probe ? "--strict-probe " : "",
		    o->profile ? "--profile " : "", o->profile);
	char un[128] = "";
	size_t k, n = 0;

	for (k = 0; k < sizeof(undos) / sizeof(undos[0]); k++)
		if (o->undo & undos[k].bit)
			n += (size_t)snprintf(un + n, sizeof(un) - n, "%s%s",
			    n ? "," : " UNDO=", undos[k].name);
	printf("  replay: make sim SEED=%llu HOSTS=%d-%d STEPS=%llu TIME=%llu%s%s%s%s%s%s\n",
	    (unsigned long long)seed, o->hosts_lo, o->hosts_hi,
	    (unsigned long long)o->steps, (unsigned long long)o->time_ms,
	    SIM_REVERT[0] ? " REVERT=" SIM_REVERT : "",
	    SIM_PROPOSE[0] ? " PROPOSE=" SIM_PROPOSE : "",
	    o->fix != FIX_ALL ? " FIX=" : "", o->fix == FIX_ALL ? "" :
	    o->fix == 0 ? "none" : fix_names(o->fix, fx, sizeof(fx)), un, flags);
}

static void
report_failure(const struct opts *o, uint64_t seed)
{
	char why[sizeof(world.why)];

	memcpy(why, world.why, sizeof(why));
	printf("FAIL seed %llu: %s\n", (unsigned long long)seed, why);
	print_config(stdout);
	replay_hint(o, seed);
	if (o->tail <= 0)
		return;
	/* run it again with the trace on: the same run, by construction */
	printf("  last %d trace lines:\n", o->tail);
	run_seed(o, seed, o->io ? TR_IO : TR_EVENTS, o->tail, NULL);
	trace_end(stdout);
	if (strcmp(why, world.why) != 0)
		printf("  WARNING: the traced run ended differently: %s\n",
		    world.why);
	fflush(stdout);
}

static void
summary(const struct totals *t, double secs)
{
	int k;

	printf("%llu seeds, %llu failed, %.1f s: %.1f seeds/s, %.0f seeds/min\n",
	    (unsigned long long)t->seeds, (unsigned long long)t->failed, secs,
	    (double)t->seeds / secs, 60.0 * (double)t->seeds / secs);
	printf("  %llu steps (%.0f steps/s), %llu disk I/Os (%.2f M/min), "
	    "%.1f simulated s\n", (unsigned long long)t->steps,
	    (double)t->steps / secs, (unsigned long long)t->ios,
	    60.0 * (double)t->ios / secs / 1e6, (double)t->sim_ns / 1e9);
	printf("  joins %llu, acquires %llu, releases %llu, transfers %llu\n",
	    (unsigned long long)t->joins, (unsigned long long)t->acquires,
	    (unsigned long long)t->releases, (unsigned long long)t->transfers);
	if (t->sh_acquires > 0)
		printf("  shared holds %llu (%llu beside another host's)\n",
		    (unsigned long long)t->sh_acquires,
		    (unsigned long long)t->sh_overlaps);
	printf("  faults:");
	for (k = 0; k < F_NK; k++)
		printf(" %s %llu", fault_name[k], (unsigned long long)t->faults[k]);
	printf("\n");
}

static void
usage(void)
{
	fprintf(stderr, "usage: leasefs-sim [--seeds N] [--first S] [--seed S] "
	    "[--hosts LO-HI] [--steps N] [--time MS] [--io] [--tail N] "
	    "[--until-fail] [--quiet] [--fix LIST] [--no-names] [--shared] "
	    "[--late-beyond-promise] [--atomic-submit] [--no-tears] [--tears] "
	    "[--presence]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "seeds", required_argument, NULL, 'n' },
		{ "first", required_argument, NULL, 'f' },
		{ "seed", required_argument, NULL, 's' },
		{ "hosts", required_argument, NULL, 'h' },
		{ "steps", required_argument, NULL, 'S' },
		{ "time", required_argument, NULL, 't' },
		{ "io", no_argument, NULL, 'v' },
		{ "tail", required_argument, NULL, 'T' },
		{ "until-fail", no_argument, NULL, 'u' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "fix", required_argument, NULL, 'x' },
		{ "profile", required_argument, NULL, 'P' },
		{ "no-names", no_argument, NULL, 'N' },
		{ "late-beyond-promise", no_argument, NULL, 'B' },
		{ "undo", required_argument, NULL, 'U' },
		{ "strict-probe", no_argument, NULL, 'R' },
		{ "shared", no_argument, NULL, 'H' },
		{ "atomic-submit", no_argument, NULL, 'A' },
		{ "no-tears", no_argument, NULL, 'E' },
		{ "tears", no_argument, NULL, 'e' },
		{ "presence", no_argument, NULL, 'L' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .first = 1, .nseeds = 1000, .hosts_lo = 3,
		.hosts_hi = 8, .tail = 150, .steps = 400000, .time_ms = 6000,
		.fix = FIX_ALL };
	struct totals t;
	double t0;
	uint64_t s;
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'n': o.nseeds = strtoull(optarg, NULL, 0); break;
		case 'f': o.first = strtoull(optarg, NULL, 0); break;
		case 's': o.seed = strtoull(optarg, NULL, 0); o.replay = 1; break;
		case 'h':
			if (sscanf(optarg, "%d-%d", &o.hosts_lo, &o.hosts_hi) != 2)
				o.hosts_hi = o.hosts_lo = atoi(optarg);
			break;
		case 'S': o.steps = strtoull(optarg, NULL, 0); break;
		case 't': o.time_ms = strtoull(optarg, NULL, 0); break;
		case 'v': o.io = 1; break;
		case 'T': o.tail = atoi(optarg); break;
		case 'u': o.until_fail = 1; break;
		case 'q': o.quiet = 1; break;
		case 'x': o.fix = parse_fix(optarg); break;
		case 'P': o.profile = atoi(optarg); break;
		case 'N': o.no_names = 1; break;
		case 'B': o.beyond = 1; break;
		case 'U': o.undo = parse_undo(optarg); break;
		case 'R': o.strict_probe = 1; break;
		case 'H': o.shared = 1; break;
		case 'A': o.atomic_submit = 1; break;
		case 'E': o.no_tears = 1; break;
		case 'L': o.presence = 1; break;
		case 'e': o.no_tears = 0; break;
		default: usage();
		}
	}
	/* the D fixes undone are off whatever --fix said (undo names them;
	 * replay_hint prints FIX= for what is left) */
	o.fix &= ~undone_fixes(o.undo);
	o.undo &= ~(uint32_t)(UNDO_GRANT | UNDO_XFER | UNDO_SETTLE | UNDO_ARRIVE);
	if (o.hosts_lo < 1 || o.hosts_hi < o.hosts_lo ||
	    o.hosts_hi + 2 > SIM_MAX_MACHINES || o.hosts_hi > 2000)
		usage();
	setup(o.hosts_hi);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (o.replay) {
		run_seed(&o, o.seed, o.io ? TR_IO : TR_EVENTS, 0, NULL);
		trace_end(stdout);
		printf("seed %llu: %s%s\n", (unsigned long long)o.seed,
		    world.failed ? "FAIL " : "ok", world.failed ? world.why : "");
		return world.failed ? 1 : 0;
	}
	memset(&t, 0, sizeof(t));
	if (!o.quiet)
		printf("leasefs-sim%s%s%s%s: seeds %llu..%llu, hosts %d-%d, steps <= "
		    "%llu, fault phase %llu ms\n", SIM_REVERT[0] ? " REVERT=" : "",
		    SIM_REVERT, SIM_PROPOSE[0] ? " PROPOSE=" : "", SIM_PROPOSE,
		    (unsigned long long)o.first,
		    (unsigned long long)(o.first + o.nseeds - 1), o.hosts_lo,
		    o.hosts_hi, (unsigned long long)o.steps,
		    (unsigned long long)o.time_ms);
	t0 = real_s();
	for (s = o.first; s < o.first + o.nseeds; s++) {
		if (run_seed(&o, s, TR_OFF, 0, &t)) {
			report_failure(&o, s);
			if (o.until_fail) {
				printf("first failure after %llu seeds\n",
				    (unsigned long long)(s - o.first + 1));
				break;
			}
		}
	}
	summary(&t, real_s() - t0);
	return t.failed ? 1 : 0;
}
