/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_format.c - "leasefs format NAME DEVICE [options]": write a new
 * lockspace on a device or a regular file.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "lockspace.h"
#include "names.h"

/* "64M", "1G", "4096": bytes, with an optional K/M/G/T binary suffix. */
static int
parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	int shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *s == '-')
		return -EINVAL;
	switch (*end) {
	case 'K': case 'k': shift = 10; end++; break;
	case 'M': case 'm': shift = 20; end++; break;
	case 'G': case 'g': shift = 30; end++; break;
	case 'T': case 't': shift = 40; end++; break;
	}
	if (*end != '\0' || v > (UINT64_MAX >> shift))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

static int
parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || *s == '-' || v < min ||
	    v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

/* Seconds, possibly fractional ("1", "0.5"), to milliseconds, within the
 * io_timeout range of timeouts.h. */
static int
parse_seconds_ms(const char *s, uint32_t *out)
{
	char *end;
	double v;
	long ms;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v > 0) || v > 1e6)
		return -EINVAL;
	ms = lround(v * 1000.0);
	if (ms < (long)LFS_IO_TIMEOUT_MIN_MS || ms > (long)LFS_IO_TIMEOUT_MAX_MS)
		return -EINVAL;
	*out = (uint32_t)ms;
	return 0;
}

static const char format_usage[] =
    "usage: leasefs format NAME DEVICE [--hosts N] [--leases M]\n"
    "                      [--sector-size 512|4096] [--io-timeout S]\n"
    "                      [--size BYTES] [--force]\n"
    "Write a new, empty lockspace NAME on DEVICE (a block device or a file).\n"
    "  --hosts N           highest host id, 1 to 2000 (default 64)\n"
    "  --leases M          lease slots, 1 to 1000000 (default 1024)\n"
    "  --sector-size S     512 or 4096 (default: the device's, 512 for a file)\n"
    "  --io-timeout S      seconds, 0.1 to 300 (default 10); every timeout\n"
    "                      derives from it\n"
    "  --size BYTES        create or grow a file to this size (K, M, G, T)\n"
    "  --force             overwrite an existing lockspace\n"
    "  -h, --help          this text\n"
    "  -V, --version       versions of leasefs and libfuse\n"
    "See leasefs(8).\n";

#define FMT "leasefs format"

/* -1 to go on, else the exit status (0 after --help/--version, 2). */
static int
parse_options(int argc, char **argv, struct lfs_format_params *p)
{
	static const struct option longopts[] = {
		{ "hosts", required_argument, NULL, 'H' },
		{ "leases", required_argument, NULL, 'L' },
		{ "sector-size", required_argument, NULL, 'S' },
		{ "io-timeout", required_argument, NULL, 'T' },
		{ "size", required_argument, NULL, 'z' },
		{ "force", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'H':
			if (parse_u32(optarg, 1, LFS_MAX_HOSTS, &p->max_hosts) < 0)
				return lfs_cli_usage_error(FMT, "--hosts: '%s' is "
				    "not a number from 1 to %u", optarg,
				    LFS_MAX_HOSTS);
			break;
		case 'L':
			if (parse_u32(optarg, 1, LFS_MAX_LEASES,
			    &p->lease_capacity) < 0)
				return lfs_cli_usage_error(FMT, "--leases: '%s' is "
				    "not a number from 1 to %u", optarg,
				    LFS_MAX_LEASES);
			break;
		case 'S':
			if (parse_u32(optarg, 512, 4096, &p->sector_size) < 0 ||
			    (p->sector_size != 512 && p->sector_size != 4096))
				return lfs_cli_usage_error(FMT, "--sector-size: "
				    "'%s' is neither 512 nor 4096", optarg);
			break;
		case 'T':
			if (parse_seconds_ms(optarg, &p->io_timeout_ms) < 0)
				return lfs_cli_usage_error(FMT, "--io-timeout: "
				    "'%s' is not a number of seconds from %g to "
				    "%u", optarg, LFS_IO_TIMEOUT_MIN_MS / 1000.0,
				    LFS_IO_TIMEOUT_MAX_MS / 1000u);
			break;
		case 'z':
			if (parse_size(optarg, &p->file_size) < 0)
				return lfs_cli_usage_error(FMT, "--size: '%s' is "
				    "not a size in bytes (suffixes K, M, G, T)",
				    optarg);
			break;
		case 'F': p->force = 1; break;
		case 'h': fputs(format_usage, stdout); return LFS_EXIT_OK;
		case 'V': return lfs_cli_version();
		default: return lfs_cli_bad_option(FMT, c, argv, longopts);
		}
	}
	if (argc - optind != 2)
		return lfs_cli_operands(FMT, argv + optind, argc - optind, 2,
		    "NAME DEVICE");
	return -1;
}

int
cmd_format(int argc, char **argv)
{
	struct lfs_logger log = { lfs_log_stderr, FMT, LOG_INFO };
	struct lfs_format_params p = { 0 };
	int rv;

	if ((rv = parse_options(argc, argv, &p)) >= 0)
		return rv;
	p.name = argv[optind];
	if (lfs_name_check(p.name) < 0)
		return lfs_cli_usage_error(FMT, "bad lockspace name '%s': 1-%d "
		    "bytes of [A-Za-z0-9._-], not starting with '.'", p.name,
		    LFS_NAME_MAX);
	/* lfs_format logs why it failed, once (the size needed, ...) */
	rv = lfs_format(argv[optind + 1], &p, &log);
	return rv < 0 ? LFS_EXIT_FAIL : LFS_EXIT_OK;
}
