/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_repair.c - "leasefs repair DEVICE LEASE": rewrite a corrupt leader or
 * dblock of one lease, when the protocol's rules make it safe (core/repair.h
 * has the rules).  Runs with no daemon and no host id: it watches the host
 * area as a join would, so it may take host_dead (8 io) when a host whose
 * record it must judge has not left cleanly; it refuses, writing nothing,
 * when such a host is seen alive.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "leases.h"
#include "lockspace.h"
#include "repair.h"

static int
report(const char *dev, const struct lfs_lease_entry *e,
    const struct lfs_repair_result *res, int rv)
{
	if (rv == -EBUSY) {
		fprintf(stderr, "leasefs repair: %s: host %u is alive; stop its "
		    "daemon (it then leaves cleanly) or wait until it is dead, "
		    "and repair again\n", e->name, res->busy_host);
		return 1;
	}
	if (rv < 0) {
		fprintf(stderr, "leasefs repair: %s: %s: %s\n", dev, e->name,
		    rv == -EAGAIN ? "the lease changed while we watched; "
		    "nothing written" : lfs_decode_strerror(rv));
		return 1;
	}
	if (res->dblocks_rewritten == 0 && !res->leader_rewritten)
		printf("%s: nothing corrupt\n", e->name);
	if (res->dblocks_rewritten > 0)
		printf("%s: %u corrupt dblock(s) rewritten empty\n", e->name,
		    res->dblocks_rewritten);
	if (res->leader_rewritten)
		printf("%s: leader rebuilt: generation %llu, owner %u "
		    "(host generation %llu)\n", e->name,
		    (unsigned long long)res->leader.lver, res->leader.owner_id,
		    (unsigned long long)res->leader.owner_gen);
	return 0;
}

int
cmd_repair(int argc, char **argv)
{
	struct lfs_logger log = { lfs_log_stderr, "leasefs repair", LOG_NOTICE };
	struct lfs_repair_result res;
	struct lfs_lease_entry e;
	struct lfs_lockspace ls;
	struct lfs_io io;
	int rv, rc = 1;

	if (argc == 2 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0)) {
		puts("usage: leasefs repair DEVICE LEASE");
		return 0;
	}
	if (argc != 3) {
		fputs("usage: leasefs repair DEVICE LEASE\n", stderr);
		return 2;
	}
	if ((rv = lfs_lockspace_open(&ls, argv[1], &log)) < 0)
		return 1;       /* logged, once */
	if ((rv = lfs_io_init(&io, &ls.disk, ls.to.io_timeout_ms, NULL,
	    &log)) < 0) {
		fprintf(stderr, "leasefs repair: aio: %s\n", strerror(-rv));
		goto out_ls;
	}
	rv = lfs_leases_lookup(&ls, &io, argv[2], &e);
	if (rv < 0) {
		fprintf(stderr, "leasefs repair: %s: %s: %s\n", argv[1], argv[2],
		    rv == -ENOENT ? "no such lease" : lfs_decode_strerror(rv));
	} else {
		rv = lfs_repair_lease(&ls, &io, &e, NULL, NULL, &res);
		rc = report(argv[1], &e, &res, rv);
	}
	lfs_io_destroy(&io);
out_ls:
	lfs_lockspace_close(&ls);
	return rc;
}
