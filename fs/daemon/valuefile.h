/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * valuefile.h - the value file of a lease directory (value.c), over
 * core/value.h (hence not value.h): read by anyone, written by the
 * exclusive holder.
 */
#ifndef LEASEFS_VALUEFILE_H
#define LEASEFS_VALUEFILE_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

struct lfs_daemon;
struct lfs_dlease;
struct lfs_fh;

/* Write the value of fh's lease, as on disk now, to f.  0 or -errno. */
int lfs_value_render(struct lfs_daemon *d, struct lfs_fh *fh, FILE *f);
/* The state file's value lines: its length and the lease generation it
 * was written under (0 for none), or "unreadable". */
void lfs_value_render_state(struct lfs_daemon *d, struct lfs_dlease *l,
    FILE *f);
/* Replace the value through fh (a value, lock or incoming file) with one
 * write's bytes (off is ignored): -EPERM unless fh is this host's
 * exclusive holder, -EFBIG past lfs_value_max(). */
int lfs_value_store(struct lfs_daemon *d, struct lfs_fh *fh, const char *buf,
    size_t size, off_t off);

#endif
