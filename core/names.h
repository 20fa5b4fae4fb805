/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * names.h - validation of lease and lockspace names.
 *
 * A name is 1..LFS_NAME_MAX bytes of [A-Za-z0-9._-] and does not start with
 * '.': it is a directory name in the FUSE view, so it must never be "." or
 * "..", hide itself, or carry a '/'.  Host display names follow the same rule
 * with LFS_HOST_NAME_MAX bytes (a hostname fits).
 */
#ifndef LEASEFS_NAMES_H
#define LEASEFS_NAMES_H

#include <stddef.h>

/* 0 when s is a valid lease or lockspace name, -EINVAL otherwise. */
int lfs_name_check(const char *s);
/* Same with a caller-given length (the bytes need not be NUL-terminated). */
int lfs_name_check_len(const char *s, size_t len);
/* 0 when s is a valid host display name, -EINVAL otherwise. */
int lfs_host_name_check(const char *s);

#endif
