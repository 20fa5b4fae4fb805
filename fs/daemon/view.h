/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * view.h - the FUSE low-level operations of the tree (view.c), the top of
 * daemon.h's list: cmd_mount.c hands them to libfuse.
 */
#ifndef LEASEFS_VIEW_H
#define LEASEFS_VIEW_H

struct fuse_lowlevel_ops;

const struct fuse_lowlevel_ops *lfs_view_ops(void);

#endif
