/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * json.h - the little JSON that `leasefs dump --json` and `leasefs status
 * --json` write: strings need escaping, the rest is printf.
 */
#ifndef LEASEFS_JSON_H
#define LEASEFS_JSON_H

#include <stdio.h>

/* Write s as a JSON string (quoted; ", \ and control bytes escaped;
 * other bytes as they are, so UTF-8 passes through). */
void lfs_json_string(FILE *f, const char *s);

/* Write "key": followed by the JSON string of s; prefixed by ", " unless
 * first. */
void lfs_json_kv_str(FILE *f, int first, const char *key, const char *s);

#endif
