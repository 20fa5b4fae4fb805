/*
 * cmd_dump.c - "leasefs dump DEVICE": a lockspace as it is on disk, read
 * straight from the device with no daemon: the header, every host id in
 * use, every lease with its owner, generation and request.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "leases.h"
#include "lockspace.h"

static void
print_header(const struct lfs_lockspace *ls)
{
	const struct lfs_header *h = &ls->header;
	char uuid[37];

	uuid_unparse(h->uuid, uuid);
	printf("lockspace: %s\nuuid: %s\nformat_version: %u\n"
	    "sector_size: %u\nmax_hosts: %u\nlease_capacity: %u\n",
	    h->name, uuid, LFS_FORMAT_VERSION, h->sector_size, h->max_hosts,
	    h->lease_capacity);
	printf("io_timeout_ms: %u\nrenewal_interval_ms: %u\nrenewal_fail_ms: %u\n"
	    "kill_grace_ms: %u\nhost_dead_ms: %u\njoin_delay_ms: %u\n",
	    h->timeouts.io_timeout_ms, h->timeouts.renewal_interval_ms,
	    h->timeouts.renewal_fail_ms, h->timeouts.kill_grace_ms,
	    h->timeouts.host_dead_ms, h->timeouts.join_delay_ms);
}

static void
print_hosts(struct lfs_lockspace *ls)
{
	struct lfs_host_view v;
	char uuid[37];
	uint32_t id;

	printf("\nhosts:\n");
	printf("%6s %-20s %10s %8s %12s %-20s %s\n", "id", "name", "generation",
	    "flags", "timestamp", "written", "identity");
	for (id = 1; id <= ls->layout.max_hosts; id++) {
		char when[32] = "-";
		time_t t;

		if (lfs_host_get(ls, id, &v) < 0)
			continue;
		if (v.corrupt) {
			printf("%6u %-20s (record does not decode)\n", id, "?");
			continue;
		}
		t = (time_t)v.rec.wall_time;
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", gmtime(&t));
		uuid_unparse(v.rec.identity, uuid);
		printf("%6u %-20s %10llu %8s %12llu %-20s %s\n", id, v.rec.name,
		    (unsigned long long)v.rec.generation,
		    (v.rec.flags & LFS_HOST_FREE) ? "free" : "live",
		    (unsigned long long)v.rec.timestamp, when, uuid);
	}
}

static void
print_lease(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_entry *e)
{
	struct lfs_leader ld;
	struct lfs_request rq;
	char owner[32] = "free", req[32] = "none";
	int rv;

	rv = lfs_paxos_read_leader(ls, io, &e->ref, &ld);
	if (rv < 0) {
		printf("%-24s %6u  unreadable leader: %s\n", e->name, e->ref.slot,
		    lfs_decode_strerror(rv));
		return;
	}
	if (ld.owner_id != 0)
		snprintf(owner, sizeof(owner), "%u/%llu", ld.owner_id,
		    (unsigned long long)ld.owner_gen);
	if (lfs_paxos_read_request(ls, io, &e->ref, &rq) == 0 && rq.host_id != 0)
		snprintf(req, sizeof(req), "%u/%llu", rq.host_id,
		    (unsigned long long)rq.host_gen);
	printf("%-24s %6u %12s %10llu %8s\n", e->name, e->ref.slot, owner,
	    (unsigned long long)ld.lver, req);
}

int
cmd_dump(int argc, char **argv)
{
	struct lfs_logger log = { lfs_log_stderr, "leasefs dump", LOG_WARNING };
	struct lfs_lockspace ls;
	struct lfs_lease_entry *v = NULL;
	struct lfs_io io;
	uint32_t i, n = 0;
	int rv;

	if (argc != 2) {
		fputs("usage: leasefs dump DEVICE\n", stderr);
		return 2;
	}
	if ((rv = lfs_lockspace_open(&ls, argv[1], &log)) < 0) {
		fprintf(stderr, "leasefs dump: %s: %s\n", argv[1],
		    rv == -EBADMSG || rv == -ENODATA ? "not a leasefs lockspace" :
		    lfs_decode_strerror(rv));
		return 1;
	}
	if ((rv = lfs_io_init(&io, &ls.disk, ls.to.io_timeout_ms, NULL, &log)) < 0)
		goto out_ls;
	print_header(&ls);
	if ((rv = lfs_hosts_refresh(&ls, &io)) == 0)
		print_hosts(&ls);
	if (rv == 0 && (rv = lfs_leases_list(&ls, &io, &v, &n)) == 0) {
		printf("\nleases: %u\n%-24s %6s %12s %10s %8s\n", n, "name", "slot",
		    "owner/gen", "generation", "request");
		for (i = 0; i < n; i++)
			print_lease(&ls, &io, &v[i]);
	}
	free(v);
	lfs_io_destroy(&io);
out_ls:
	lfs_lockspace_close(&ls);
	if (rv < 0) {
		fprintf(stderr, "leasefs dump: %s: %s\n", argv[1],
		    lfs_decode_strerror(rv));
		return 1;
	}
	return 0;
}
