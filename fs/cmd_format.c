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

/* Seconds, possibly fractional ("1", "0.5"), to milliseconds. */
static int
parse_seconds_ms(const char *s, uint32_t *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v > 0) || v > 300)
		return -EINVAL;
	*out = (uint32_t)lround(v * 1000.0);
	return 0;
}

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
		{ NULL, 0, NULL, 0 }
	};
	int c, rv = 0;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1 && rv == 0) {
		switch (c) {
		case 'H': rv = parse_u32(optarg, 1, LFS_MAX_HOSTS, &p->max_hosts); break;
		case 'L': rv = parse_u32(optarg, 1, LFS_MAX_LEASES, &p->lease_capacity); break;
		case 'S':
			rv = parse_u32(optarg, 512, 4096, &p->sector_size);
			if (rv == 0 && p->sector_size != 512 && p->sector_size != 4096)
				rv = -EINVAL;
			break;
		case 'T': rv = parse_seconds_ms(optarg, &p->io_timeout_ms); break;
		case 'z': rv = parse_size(optarg, &p->file_size); break;
		case 'F': p->force = 1; break;
		default: return -EINVAL;
		}
		if (rv < 0)
			fprintf(stderr, "leasefs format: bad option value '%s'\n",
			    optarg);
	}
	return rv;
}

int
cmd_format(int argc, char **argv)
{
	struct lfs_logger log = { lfs_log_stderr, "leasefs format", LOG_INFO };
	struct lfs_format_params p = { 0 };
	int rv;

	if (parse_options(argc, argv, &p) < 0 || argc - optind != 2) {
		fputs("usage: leasefs format NAME DEVICE [--hosts N] [--leases M] "
		    "[--sector-size 512|4096]\n              [--io-timeout S] "
		    "[--size BYTES] [--force]\n", stderr);
		return 2;
	}
	p.name = argv[optind];
	if (lfs_name_check(p.name) < 0) {
		fprintf(stderr, "leasefs format: bad lockspace name '%s': 1-%d "
		    "bytes of [A-Za-z0-9._-], not starting with '.'\n", p.name,
		    LFS_NAME_MAX);
		return 2;
	}
	rv = lfs_format(argv[optind + 1], &p, &log);
	if (rv < 0) {
		fprintf(stderr, "leasefs format: %s: %s\n", argv[optind + 1],
		    rv == -EEXIST ? "already holds a lockspace (use --force)" :
		    rv == -ENOSPC ? "device too small (see --size)" :
		    strerror(-rv));
		return 1;
	}
	return 0;
}
