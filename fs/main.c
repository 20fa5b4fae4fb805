/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * main.c - the leasefs program: dispatch to a subcommand.
 *
 *   leasefs format NAME DEVICE [options]     write a new lockspace
 *   leasefs dump DEVICE [--json]             show a lockspace, no daemon
 *   leasefs mount [options] DEVICE MOUNTPOINT
 *   leasefs status MOUNTPOINT [--json]       every lease, owner and host
 *   leasefs wait LEASEDIR --owner HOST|free [--timeout S]
 *   leasefs repair DEVICE LEASE              rewrite corrupt records, if safe
 *
 * mount.fuse3 (fstab type fuse.leasefs) runs "leasefs DEVICE MOUNTPOINT -o
 * OPTS": a first argument that is no subcommand means mount.  mount(8)
 * (fstab type leasefs) runs /sbin/mount.leasefs, a link to this program,
 * with its own flags (-s -f -n -v -o): cmd_mount tells by argv[0].
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

static const char usage_text[] =
    "usage: leasefs format NAME DEVICE [--hosts N] [--leases M]\n"
    "                      [--sector-size 512|4096] [--io-timeout S]\n"
    "                      [--size BYTES] [--force]\n"
    "       leasefs dump DEVICE [--json]\n"
    "       leasefs mount [-f] [-d] -o host_id=N[,name=HOST,...] DEVICE MOUNTPOINT\n"
    "       leasefs status MOUNTPOINT [--json]\n"
    "       leasefs wait LEASEDIR --owner HOST|free [--timeout S]\n"
    "       leasefs repair DEVICE LEASE\n"
    "       leasefs -V|--version\n"
    "'leasefs COMMAND --help' describes a command; see leasefs(8).\n";

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{ "format", cmd_format }, { "dump", cmd_dump },
		{ "mount", cmd_mount }, { "status", cmd_status },
		{ "wait", cmd_wait }, { "repair", cmd_repair },
	};
	const char *base = strrchr(argv[0], '/');
	size_t i;

	base = base != NULL ? base + 1 : argv[0];
	if (strcmp(base, "mount.leasefs") == 0)
		return cmd_mount(argc, argv); /* mount(8)'s helper */
	if (argc < 2)
		return lfs_cli_usage_error("leasefs", "missing command (see "
		    "'leasefs --help')");
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		fputs(usage_text, stdout);
		return LFS_EXIT_OK;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0)
		return lfs_cli_version();
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	if (argv[1][0] != '-' && argc >= 3)
		return cmd_mount(argc, argv); /* mount.fuse3 style */
	if (argv[1][0] == '-')
		return lfs_cli_usage_error("leasefs", "unknown option '%s' (the "
		    "command comes first; see 'leasefs --help')", argv[1]);
	return lfs_cli_usage_error("leasefs", "unknown command '%s' (see "
	    "'leasefs --help')", argv[1]);
}
