/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * render.h - the text of owner, state, .hosts and .status (render.c),
 * made from snapshots (snap.h): no disk I/O of its own beyond snap.c's
 * reads.  Needs the handle's types from daemon.h, which does not include
 * this header.
 */
#ifndef LEASEFS_RENDER_H
#define LEASEFS_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "daemon.h"

/* (Re)compute fh's text.  0, -ENOENT (lease gone), -EIO, -ENOMEM. */
int lfs_render(struct lfs_daemon *d, struct lfs_fh *fh);
/* Text of a lock/incoming file for state st (static string); "shared
 * TOKEN" for a held shared one. */
const char *lfs_render_hold(enum lfs_fh_state st, int shared, uint64_t lver,
    char *buf, size_t len);

#endif
