/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_dump.c - "leasefs dump DEVICE [--json]": a lockspace as it is on
 * disk, read straight from the device with no daemon: the header, every
 * host id in use, every lease with its owner, generation and request, and
 * the shared modes its hosts' blocks show (as written: the host table
 * says whether their generations are still alive).
 *
 * The leases are read in one pass (scan.h).  Text is for people; --json
 * gives the same facts, with the same names, for scripts.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "commands.h"
#include "json.h"
#include "lockspace.h"
#include "scan.h"

#define DUMP "leasefs dump"

static const char dump_usage[] =
    "usage: leasefs dump DEVICE [--json]\n"
    "Print the lockspace on DEVICE as it is on disk, with no daemon: the\n"
    "header, the host ids in use and every lease.  Only reads.\n"
    "  -j, --json      the same as one JSON object\n"
    "  -h, --help      this text\n"
    "  -V, --version   versions of leasefs and libfuse\n"
    "See leasefs(8).\n";

/* ---- text ---- */

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
written_at(uint64_t wall, char *buf, size_t len)
{
	time_t t = (time_t)wall;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		snprintf(buf, len, "-");
}

static void
print_hosts(struct lfs_lockspace *ls)
{
	struct lfs_host_view v;
	char uuid[37], when[32];
	uint32_t id;

	printf("\nhosts:\n");
	printf("%6s %-20s %10s %8s %12s %-20s %s\n", "id", "name", "generation",
	    "flags", "timestamp", "written", "identity");
	for (id = 1; id <= ls->layout.max_hosts; id++) {
		if (lfs_host_get(ls, id, &v) < 0)
			continue;
		if (v.corrupt) {
			printf("%6u %-20s (record does not decode)\n", id, "?");
			continue;
		}
		written_at(v.rec.wall_time, when, sizeof(when));
		uuid_unparse(v.rec.identity, uuid);
		printf("%6u %-20s %10" PRIu64 " %8s %12" PRIu64 " %-20s %s\n", id,
		    v.rec.name, v.rec.generation,
		    (v.rec.flags & LFS_HOST_FREE) ? "free" : "live",
		    v.rec.timestamp, when, uuid);
	}
}

/* "ID/GEN,ID/GEN..." of l's shared modes, or "none". */
static void
modes_text(const struct lfs_scan_lease *l, char *buf, size_t len)
{
	size_t at = 0;
	uint32_t i;

	snprintf(buf, len, "none");
	for (i = 0; i < l->sh_n && i < LFS_SCAN_MODES_MAX && at < len; i++)
		at += (size_t)snprintf(buf + at, len - at, "%s%u/%" PRIu64,
		    i > 0 ? "," : "", l->sh[i].host_id, l->sh[i].gen);
	if (l->sh_n > LFS_SCAN_MODES_MAX && at < len)
		snprintf(buf + at, len - at, ",...");
}

static void
print_leases(const struct lfs_scan_lease *v, uint32_t n)
{
	char owner[32], req[32], sh[512];
	uint32_t i;

	printf("\nleases: %u\n%-24s %6s %12s %10s %8s  %s\n", n, "name", "slot",
	    "owner/gen", "generation", "request", "shared/gen");
	for (i = 0; i < n; i++) {
		const struct lfs_scan_lease *l = &v[i];

		if (l->err < 0) {
			printf("%-24s %6u  unreadable leader: %s\n", l->name,
			    l->slot, l->err == -ENOENT ? "deleted" :
			    lfs_decode_strerror(l->err));
			continue;
		}
		snprintf(owner, sizeof(owner), "free");
		snprintf(req, sizeof(req), "none");
		if (l->leader.owner_id != 0)
			snprintf(owner, sizeof(owner), "%u/%" PRIu64,
			    l->leader.owner_id, l->leader.owner_gen);
		if (l->request.host_id != 0)
			snprintf(req, sizeof(req), "%u/%" PRIu64,
			    l->request.host_id, l->request.host_gen);
		modes_text(l, sh, sizeof(sh));
		printf("%-24s %6u %12s %10" PRIu64 " %8s  %s\n", l->name, l->slot,
		    owner, l->leader.lver, req, sh);
	}
}

/* ---- JSON ---- */

/* "shared": the modes as written, [{host_id, generation, token}, ...]. */
static void
json_modes(const struct lfs_scan_lease *l)
{
	uint32_t i;

	fputs(", \"shared\": [", stdout);
	for (i = 0; i < l->sh_n && i < LFS_SCAN_MODES_MAX; i++)
		printf("%s{\"host_id\": %u, \"generation\": %" PRIu64
		    ", \"token\": %" PRIu64 "}", i > 0 ? ", " : "",
		    l->sh[i].host_id, l->sh[i].gen, l->sh[i].lver);
	fputs("]", stdout);
}

static void
json_header(const struct lfs_lockspace *ls)
{
	const struct lfs_header *h = &ls->header;
	const struct lfs_timeouts *t = &h->timeouts;
	char uuid[37];

	uuid_unparse(h->uuid, uuid);
	fputs("{", stdout);
	lfs_json_kv_str(stdout, 1, "lockspace", h->name);
	lfs_json_kv_str(stdout, 0, "uuid", uuid);
	printf(", \"format_version\": %u, \"sector_size\": %u, "
	    "\"max_hosts\": %u, \"lease_capacity\": %u,\n", LFS_FORMAT_VERSION,
	    h->sector_size, h->max_hosts, h->lease_capacity);
	printf(" \"io_timeout_ms\": %u, \"renewal_interval_ms\": %u, "
	    "\"renewal_fail_ms\": %u, \"kill_grace_ms\": %u, "
	    "\"host_dead_ms\": %u, \"join_delay_ms\": %u", t->io_timeout_ms,
	    t->renewal_interval_ms, t->renewal_fail_ms, t->kill_grace_ms,
	    t->host_dead_ms, t->join_delay_ms);
}

static void
json_hosts(struct lfs_lockspace *ls)
{
	struct lfs_host_view v;
	char uuid[37], when[32];
	const char *sep = "\n  ";
	uint32_t id;

	fputs(",\n \"hosts\": [", stdout);
	for (id = 1; id <= ls->layout.max_hosts; id++) {
		if (lfs_host_get(ls, id, &v) < 0)
			continue;
		printf("%s{\"id\": %u", sep, id);
		sep = ",\n  ";
		if (v.corrupt) {
			fputs(", \"corrupt\": true}", stdout);
			continue;
		}
		written_at(v.rec.wall_time, when, sizeof(when));
		uuid_unparse(v.rec.identity, uuid);
		lfs_json_kv_str(stdout, 0, "name", v.rec.name);
		printf(", \"generation\": %" PRIu64, v.rec.generation);
		lfs_json_kv_str(stdout, 0, "flags",
		    (v.rec.flags & LFS_HOST_FREE) ? "free" : "live");
		printf(", \"timestamp\": %" PRIu64, v.rec.timestamp);
		lfs_json_kv_str(stdout, 0, "written", when);
		lfs_json_kv_str(stdout, 0, "identity", uuid);
		fputs("}", stdout);
	}
	fputs("]", stdout);
}

static void
json_leases(const struct lfs_scan_lease *v, uint32_t n)
{
	uint32_t i;

	fputs(",\n \"leases\": [", stdout);
	for (i = 0; i < n; i++) {
		const struct lfs_scan_lease *l = &v[i];

		fputs(i == 0 ? "\n  {" : ",\n  {", stdout);
		lfs_json_kv_str(stdout, 1, "name", l->name);
		printf(", \"slot\": %u, \"incarnation\": %u", l->slot,
		    l->incarnation);
		if (l->err < 0) {
			lfs_json_kv_str(stdout, 0, "error", l->err == -ENOENT ?
			    "deleted" : lfs_decode_strerror(l->err));
			fputs("}", stdout);
			continue;
		}
		printf(", \"owner_id\": %u, \"owner_generation\": %" PRIu64
		    ", \"generation\": %" PRIu64 ", \"request_id\": %u, "
		    "\"request_generation\": %" PRIu64, l->leader.owner_id,
		    l->leader.owner_gen, l->leader.lver, l->request.host_id,
		    l->request.host_gen);
		json_modes(l);
		fputs("}", stdout);
	}
	fputs("]}\n", stdout);
}

/* ---- the command ---- */

/* -1 to go on, else the exit status. */
static int
parse_args(int argc, char **argv, int *json)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":jhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': *json = 1; break;
		case 'h': fputs(dump_usage, stdout); return LFS_EXIT_OK;
		case 'V': return lfs_cli_version();
		default: return lfs_cli_bad_option(DUMP, c, argv, longopts);
		}
	}
	if (argc - optind != 1)
		return lfs_cli_operands(DUMP, argv + optind, argc - optind, 1,
		    "DEVICE");
	return -1;
}

int
cmd_dump(int argc, char **argv)
{
	struct lfs_logger log = { lfs_log_stderr, DUMP, LOG_WARNING };
	struct lfs_scan_lease *v = NULL;
	struct lfs_lockspace ls;
	const char *dev;
	struct lfs_io io;
	uint32_t n = 0;
	int rv, json = 0;

	if ((rv = parse_args(argc, argv, &json)) >= 0)
		return rv;
	dev = argv[optind];
	if ((rv = lfs_lockspace_open(&ls, dev, &log)) < 0)
		return LFS_EXIT_FAIL;   /* logged, once */
	if ((rv = lfs_io_init(&io, &ls.disk, ls.to.io_timeout_ms, NULL, &log)) < 0)
		goto out_ls;
	/* read everything first: a failure prints nothing half-way */
	if ((rv = lfs_hosts_refresh(&ls, &io)) == 0)
		rv = lfs_scan_leases_modes(&ls, &io, ls.high_water, &v, &n);
	if (rv == 0 && json) {
		json_header(&ls);
		json_hosts(&ls);
		json_leases(v, n);
	} else if (rv == 0) {
		print_header(&ls);
		print_hosts(&ls);
		print_leases(v, n);
	}
	free(v);
	lfs_io_destroy(&io);
out_ls:
	lfs_lockspace_close(&ls);
	if (rv < 0) {
		fprintf(stderr, DUMP ": %s: %s\n", dev, lfs_decode_strerror(rv));
		return LFS_EXIT_FAIL;
	}
	return fflush(stdout) == 0 ? LFS_EXIT_OK : LFS_EXIT_FAIL;
}
