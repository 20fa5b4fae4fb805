/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lfs-fill.c - create many leases at once in a lockspace that no daemon
 * uses, for tests and measurements of large lockspaces.
 *
 *   lfs-fill DEVICE COUNT [PREFIX]
 *       create leases PREFIX00000 .. (default prefix "l") in the first
 *       COUNT free name-table entries, each with a fresh slot, as
 *       lfs_leases_create() leaves them (core/leases.c: the leader with
 *       incarnation 1, lver 0, free; the request and dblocks untouched,
 *       so the slot must never have been used: format zeroed it).
 *
 * lfs_leases_create() reads the whole name table for every lease (a
 * minute for 10,000); this writes each leader once and the table once,
 * with buffered writes and one fsync.  Only for a freshly formatted
 * lockspace with every daemon stopped: it takes no table lease.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lockspace.h"

static int
all_zero(const unsigned char *p, size_t n)
{
	while (n > 0 && *p == 0) {
		p++;
		n--;
	}
	return n == 0;
}

int
main(int argc, char **argv)
{
	struct lfs_lockspace ls;
	const char *prefix = argc > 3 ? argv[3] : "l";
	unsigned char *table, *sec;
	uint32_t S, k, made = 0, want;
	size_t tbytes;
	int fd, rv;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: lfs-fill DEVICE COUNT [PREFIX]\n");
		return 2;
	}
	want = (uint32_t)strtoul(argv[2], NULL, 10);
	if ((rv = lfs_lockspace_open(&ls, argv[1], NULL)) < 0) {
		fprintf(stderr, "lfs-fill: %s: %s\n", argv[1], strerror(-rv));
		return 1;
	}
	S = ls.layout.sector_size;
	tbytes = (size_t)ls.layout.name_sectors * S;
	table = malloc(tbytes);
	sec = malloc(S);
	if ((fd = open(argv[1], O_RDWR | O_CLOEXEC)) < 0 || table == NULL ||
	    sec == NULL || pread(fd, table, tbytes, (off_t)(ls.layout.name_table *
	    S)) != (ssize_t)tbytes) {
		fprintf(stderr, "lfs-fill: %s: cannot read the name table\n",
		    argv[1]);
		return 1;
	}
	for (k = 0; k < ls.layout.lease_capacity && made < want; k++) {
		struct lfs_name_entry ne = { .incarnation = 1 };
		struct lfs_leader ld = { .incarnation = 1, .writer_id = 1 };
		off_t at = (off_t)(lfs_slot_sector(&ls.layout, k + 1) * S);
		unsigned char *e = table + lfs_name_entry_offset(k);

		if (!all_zero(e, LFS_NAME_ENTRY_SIZE) ||
		    pread(fd, sec, S, at) != (ssize_t)S || !all_zero(sec, S))
			continue;       /* in use, or used before */
		snprintf(ne.name, sizeof(ne.name), "%s%05u", prefix, made);
		snprintf(ld.name, sizeof(ld.name), "%s", ne.name);
		ld.wall_time = (uint64_t)time(NULL);
		if (lfs_name_entry_encode(&ne, e) < 0 ||
		    lfs_leader_encode(&ld, sec, S) < 0 ||
		    pwrite(fd, sec, S, at) != (ssize_t)S) {
			fprintf(stderr, "lfs-fill: slot %u: cannot write\n", k + 1);
			return 1;
		}
		made++;
	}
	if (pwrite(fd, table, tbytes, (off_t)(ls.layout.name_table * S)) !=
	    (ssize_t)tbytes || fsync(fd) < 0) {
		fprintf(stderr, "lfs-fill: cannot write the name table\n");
		return 1;
	}
	close(fd);
	free(table);
	free(sec);
	lfs_lockspace_close(&ls);
	printf("created %u leases\n", made);
	return made == want ? 0 : 1;
}
