/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cli.c - the parts of the command line every subcommand shares (cli.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>

#include "cli.h"
#include "version.h"

int
lfs_cli_version(void)
{
	printf("leasefs %s\nlibfuse %s (built with %d.%d)\n", LEASEFS_VERSION,
	    fuse_pkgversion(), FUSE_MAJOR_VERSION, FUSE_MINOR_VERSION);
	return LFS_EXIT_OK;
}

int
lfs_cli_usage_error(const char *prog, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s\n", prog, msg);
	return LFS_EXIT_USAGE;
}

/* The long option whose val is c and that takes an argument, or NULL. */
static const char *
long_name(const struct option *longopts, int c)
{
	for (; longopts != NULL && longopts->name != NULL; longopts++)
		if (longopts->val == c && longopts->has_arg == required_argument)
			return longopts->name;
	return NULL;
}

int
lfs_cli_bad_option(const char *prog, int c, char **argv,
    const struct option *longopts)
{
	/* getopt_long has just stepped over the bad element */
	const char *arg = argv[optind - 1];
	const char *name;

	if (c == ':') {
		if (strncmp(arg, "--", 2) == 0 &&
		    (name = long_name(longopts, optopt)) != NULL)
			return lfs_cli_usage_error(prog, "option '--%s' needs a "
			    "value", name);
		return lfs_cli_usage_error(prog, "option '-%c' needs a value",
		    optopt);
	}
	if (optopt != 0 && strncmp(arg, "--", 2) != 0)
		return lfs_cli_usage_error(prog, "unknown option '-%c'", optopt);
	return lfs_cli_usage_error(prog, "unknown option '%s'", arg);
}

int
lfs_cli_operands(const char *prog, char **operands, int have, int want,
    const char *names)
{
	const char *p = names;
	int i;

	if (have > want)
		return lfs_cli_usage_error(prog, "unexpected argument '%s'",
		    operands[want]);
	for (i = 0; i < have && p != NULL; i++)
		if ((p = strchr(p, ' ')) != NULL)
			p++;
	if (p == NULL)
		p = "an argument";
	return lfs_cli_usage_error(prog, "missing %.*s", (int)strcspn(p, " "),
	    p);
}
