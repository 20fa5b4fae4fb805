/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * commands.h - the subcommands of the leasefs program.
 *
 * Each takes the arguments after its own name (argv[0] is the subcommand)
 * and returns the process exit status: 0 on success, 1 on failure (after
 * printing why on stderr), 2 on a usage error (one line naming the bad
 * argument; cli.h).  cmd_mount also runs as mount(8)'s helper
 * mount.leasefs and as mount.fuse3's program, and tells them apart by
 * argv[0].
 */
#ifndef LEASEFS_COMMANDS_H
#define LEASEFS_COMMANDS_H

int cmd_format(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_mount(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_wait(int argc, char **argv);
int cmd_repair(int argc, char **argv);

#endif
