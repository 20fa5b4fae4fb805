/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lfs-core.c - acquire + release of one lease straight through the core
 * library, with no FUSE and no daemon, for bench/run: the part of a `lock`
 * open/close that is disk I/O and Disk Paxos, measured on the same device.
 *
 *   lfs-core DEVICE HOST_ID LEASE N [create]
 *
 * Joins as HOST_ID, finds LEASE (it must exist, or with `create` it is
 * made if missing), and prints the time of N acquire + release cycles, one
 * sample a line in microseconds, after a few untimed ones.  At the end it
 * says on stderr what the timed cycles read and wrote on average (the I/O
 * context's counters, renewals included: at most one per
 * renewal_interval), so that the bytes per acquire + release can be had
 * without a daemon (bench/run section 5b, issue 15).  There is no renewal thread: between cycles (untimed) the
 * host renews whenever renewal_interval has passed, so a long run keeps its
 * host id.  Leaves the lockspace at the end.
 *
 * Built with the core library (the rule is at the end of the Makefile).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "delta.h"
#include "leases.h"
#include "paxos.h"

#define WARMUP 5                 /* untimed cycles */

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* One acquire + release.  0 or -errno.  A ballot gives up with -EAGAIN
 * when its host-area read has aged past hosts_fresh; the next try reads
 * it again (the daemon retries the same way). */
static int
cycle(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_entry *e)
{
	struct lfs_leader ld;
	int rv, tries = 0;

	do
		rv = lfs_paxos_acquire(ls, io, &e->ref, e->name, &ld);
	while (rv == -EAGAIN && ++tries < 3);
	if (rv < 0 && rv != -EALREADY)
		return rv;
	return lfs_paxos_release(ls, io, &e->ref, &ld);
}

static int
run(struct lfs_lockspace *ls, struct lfs_io *io, const char *name, long n,
    int create)
{
	struct lfs_lease_entry e;
	double t;
	long i;
	int rv;

	struct lfs_io_stats s0 = { 0 };

	if ((rv = lfs_leases_lookup(ls, io, name, &e)) == -ENOENT && create)
		rv = lfs_leases_create(ls, io, name, &e);
	if (rv < 0)
		return rv;
	for (i = -WARMUP; i < n; i++) {
		if (i == 0)
			s0 = io->stats;
		if (lfs_delta_since_renewal_ms(ls) >= ls->to.renewal_interval_ms &&
		    (rv = lfs_delta_renew(ls, io)) < 0)
			return rv;
		t = now_us();
		if ((rv = cycle(ls, io, &e)) < 0)
			return rv;
		if (i >= 0)
			printf("%.1f\n", now_us() - t);
	}
	if (n > 0)
		fprintf(stderr, "lfs-core: per cycle: %.2f reads, %.1f KiB read, "
		    "%.2f writes, %.1f KiB written\n",
		    (double)(io->stats.reads - s0.reads) / (double)n,
		    (double)(io->stats.bytes_read - s0.bytes_read) / 1024.0 / (double)n,
		    (double)(io->stats.writes - s0.writes) / (double)n,
		    (double)(io->stats.bytes_written - s0.bytes_written) / 1024.0 /
		    (double)n);
	return 0;
}

int
main(int argc, char **argv)
{
	struct lfs_logger log = { lfs_log_stderr, "lfs-core", LOG_WARNING };
	struct lfs_join_params p = { .host_name = "bench-core" };
	struct lfs_lockspace ls;
	struct lfs_io io;
	int rv;

	if (argc != 5 && !(argc == 6 && strcmp(argv[5], "create") == 0)) {
		fputs("usage: lfs-core DEVICE HOST_ID LEASE N [create]\n", stderr);
		return 2;
	}
	memset(&ls, 0, sizeof(ls));
	if ((rv = lfs_lockspace_open(&ls, argv[1], &log)) < 0) {
		fprintf(stderr, "lfs-core: %s: %s\n", argv[1], strerror(-rv));
		return 1;
	}
	if ((rv = lfs_io_init(&io, &ls.disk, ls.to.io_timeout_ms, NULL, &log)) < 0) {
		lfs_lockspace_close(&ls);
		fprintf(stderr, "lfs-core: io: %s\n", strerror(-rv));
		return 1;
	}
	p.host_id = (uint32_t)strtoul(argv[2], NULL, 10);
	uuid_generate(p.identity);
	rv = lfs_delta_join(&ls, &io, &p);
	if (rv == 0) {
		rv = run(&ls, &io, argv[3], strtol(argv[4], NULL, 10),
		    argc == 6);
		if (lfs_delta_leave(&ls, &io) < 0 && rv == 0)
			rv = -EIO;
	}
	if (rv < 0)
		fprintf(stderr, "lfs-core: %s\n", strerror(-rv));
	lfs_io_destroy(&io);
	lfs_lockspace_close(&ls);
	return rv < 0 ? 1 : fflush(stdout) != 0;
}
