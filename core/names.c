/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * names.c - validation of lease, lockspace and host display names.
 *
 * Owns the one rule every name follows (names.h): 1..max bytes of
 * [A-Za-z0-9._-], not starting with '.'.  The charset is checked byte by
 * byte without <ctype.h>, so the locale can never widen it (isalnum() may
 * accept bytes above 0x7f in some locales), and every UTF-8 byte, NUL, '/'
 * and space is rejected.  Refusing a leading '.' also rules out "." and "..".
 */
#include <errno.h>
#include <string.h>

#include "names.h"
#include "ondisk.h"

/* 1 when c may appear in a name. */
static int
name_char_ok(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

/* The shared rule, for len bytes at s and a limit of max bytes. */
static int
check_bytes(const char *s, size_t len, size_t max)
{
	size_t i;

	if (s == NULL || len == 0 || len > max || s[0] == '.')
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (!name_char_ok((unsigned char)s[i]))
			return -EINVAL;
	return 0;
}

int
lfs_name_check_len(const char *s, size_t len)
{
	return check_bytes(s, len, LFS_NAME_MAX);
}

int
lfs_name_check(const char *s)
{
	if (s == NULL)
		return -EINVAL;
	/* strnlen: a name longer than the limit is refused without reading
	 * further than one byte past it. */
	return check_bytes(s, strnlen(s, LFS_NAME_MAX + 1), LFS_NAME_MAX);
}

int
lfs_host_name_check(const char *s)
{
	if (s == NULL)
		return -EINVAL;
	return check_bytes(s, strnlen(s, LFS_HOST_NAME_MAX + 1),
	    LFS_HOST_NAME_MAX);
}
