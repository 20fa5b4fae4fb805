/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * table.h - the table of leases known here (d->tab) and a lease's
 * membership of it (l->tb), owned by table.c: no other file writes a
 * field of struct lfs_tab or lfs_tb (scripts/check-fields checks it).
 *
 * Protected by table_lock (daemon.h), except as noted.
 */
#ifndef LEASEFS_TABLE_H
#define LEASEFS_TABLE_H

#include <stdint.h>

struct lfs_dlease;
struct lfs_fh;

/* d->tab: owner table.c; table_lock.  The table of leases known here. */
struct lfs_tab {
	struct lfs_dlease **slots;   /* [0 .. lease_capacity] */
	struct lfs_dlease **by_name; /* [LFS_NAME_BUCKETS], by name */
	struct lfs_dlease *leases;   /* every entry, newest first */
	struct lfs_dlease *active;   /* those the watcher looks at (l->wt.active):
	                                its passes cost O(these), not O(all) */
	uint32_t n_active;           /* their number (.status leases_watched) */
	struct lfs_fh *fhs;          /* every file handle (lfs_fh_new) */
};

/* l->tb: owner table.c; table_lock. */
struct lfs_tb {
	int deleted;             /* rmdir'd here, or gone from the table */
	struct lfs_dlease *next; /* d->leases; immutable once published */
	struct lfs_dlease *hash_next; /* d->by_name bucket */
	int hashed;              /* on d->by_name under `name` */
};

/* Whether l was deleted (rmdir'd here, or gone from the table). */
int lfs_lease_deleted(const struct lfs_dlease *l);
/* l is gone (a delete of ours found it so): lookups stop finding it. */
void lfs_lease_set_deleted_locked(struct lfs_dlease *l);

#endif
