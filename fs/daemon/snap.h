/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * snap.h - the disk reads behind the owner and state files (snap.c): what
 * a file's text was made from (struct lfs_snap, kept in each handle so
 * that poll can tell a change) and the reads that fill it.  daemon.h
 * includes this header for the struct; it includes none of the daemon's.
 */
#ifndef LEASEFS_SNAP_H
#define LEASEFS_SNAP_H

#include <stdint.h>

struct lfs_daemon;
struct lfs_dlease;
struct lfs_shared_holder;

/* What owner/state text was made from (for poll). */
struct lfs_snap {
	int err;                 /* 0, or the -errno reading failed with */
	uint32_t owner_id;
	uint64_t owner_gen;
	uint64_t lver;
	int owner_state;         /* enum lfs_host_state of the owner */
	uint32_t req_id;         /* request record (state files only) */
	uint64_t req_gen;
	/* the hosts holding it shared (core/shared.h): how many, and a hash
	 * of their ids and generations, enough to see a change for poll */
	uint32_t sh_n;
	uint64_t sh_hash;
};

/* Read the leader (and for state the request) of l into *s; takes
 * the lease's context.  s->err: 0 or the -errno the read failed with. */
void lfs_snap_read(struct lfs_daemon *d, struct lfs_dlease *l, int with_request,
    struct lfs_snap *s);
/* lfs_snap_read, and with list the shared holders, all of them (s->sh_n;
 * malloc'd, the caller frees; NULL on an error). */
void lfs_snap_read_list(struct lfs_daemon *d, struct lfs_dlease *l,
    int with_request, struct lfs_snap *s, struct lfs_shared_holder **list);
/* Whether a file of kind (OWNER or STATE) made from a would read the same
 * as one made from b. */
int lfs_snap_equal(const struct lfs_snap *a, const struct lfs_snap *b,
    int kind);
/* Bring the view of the host area up to date for .hosts (a full read:
 * renewals read only the window of known hosts); failures leave it. */
void lfs_snap_hosts(struct lfs_daemon *d);

#endif
