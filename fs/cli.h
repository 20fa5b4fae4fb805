/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cli.h - what every subcommand's command line shares: --help, --version,
 * and one-line usage errors.
 *
 * Conventions (leasefs(8), EXIT STATUS): -h/--help prints the usage on
 * stdout and exits 0; -V/--version prints the versions and exits 0; a usage
 * error prints one line on stderr that names the bad argument and exits 2.
 */
#ifndef LEASEFS_CLI_H
#define LEASEFS_CLI_H

#include <getopt.h>

#define LFS_EXIT_OK 0
#define LFS_EXIT_FAIL 1
#define LFS_EXIT_USAGE 2

/* Print "leasefs VERSION" and the libfuse versions (run time, build time)
 * on stdout; returns 0, the exit status. */
int lfs_cli_version(void);

/* Print "PROG: message" (one line) on stderr; returns 2, the exit status. */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
int lfs_cli_usage_error(const char *prog, const char *fmt, ...);

/*
 * After getopt_long() returned '?' or ':' (the optstring must start with
 * ':' and opterr be 0): report the bad option by name and return 2.
 * longopts is the table given to getopt_long (may be NULL).
 */
int lfs_cli_bad_option(const char *prog, int c, char **argv,
    const struct option *longopts);

/* Report a wrong count of operands: the first extra one by name, or the
 * first missing one by the name in `names` (space-separated, e.g.
 * "NAME DEVICE").  have = operands given, want = operands expected.
 * Returns 2. */
int lfs_cli_operands(const char *prog, char **operands, int have, int want,
    const char *names);

#endif
