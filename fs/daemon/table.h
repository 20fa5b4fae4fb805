/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * table.h - a lease's membership of the table of leases known here
 * (l->tb), owned by table.c: no other file writes a field of struct
 * lfs_tb (scripts/check-fields checks it).
 *
 * Protected by table_lock (daemon.h), except as noted.
 */
#ifndef LEASEFS_TABLE_H
#define LEASEFS_TABLE_H

struct lfs_dlease;

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
