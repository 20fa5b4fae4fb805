/*
 * main.c - the leasefs program: dispatch to a subcommand.
 *
 *   leasefs format NAME DEVICE [options]     write a new lockspace
 *   leasefs dump DEVICE                      show a lockspace, no daemon
 *   leasefs mount [options] DEVICE MOUNTPOINT
 *   leasefs wait LEASEDIR --owner HOST|free [--timeout S]
 *   leasefs repair DEVICE LEASE              rewrite corrupt records, if safe
 *
 * mount.fuse3 (fstab type fuse.leasefs) runs "leasefs DEVICE MOUNTPOINT -o
 * OPTS": a first argument that is no subcommand means mount.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"

static void
usage(FILE *out)
{
	fputs("usage: leasefs format NAME DEVICE [--hosts N] [--leases M]\n"
	    "                      [--sector-size 512|4096] [--io-timeout S]\n"
	    "                      [--size BYTES] [--force]\n"
	    "       leasefs dump DEVICE\n"
	    "       leasefs mount [-f] [-d] -o host_id=N[,name=HOST,...] DEVICE MOUNTPOINT\n"
	    "       leasefs wait LEASEDIR --owner HOST|free [--timeout S]\n"
	    "       leasefs repair DEVICE LEASE\n"
	    "See leasefs(8).\n", out);
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{ "format", cmd_format }, { "dump", cmd_dump },
		{ "mount", cmd_mount }, { "wait", cmd_wait },
		{ "repair", cmd_repair },
	};
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	if (argv[1][0] != '-' && argc >= 3)
		return cmd_mount(argc, argv); /* mount.fuse3 style */
	fprintf(stderr, "leasefs: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
