/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * json.c - JSON string output (json.h).
 */
#include "json.h"

void
lfs_json_string(FILE *f, const char *s)
{
	const unsigned char *p;

	fputc('"', f);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

void
lfs_json_kv_str(FILE *f, int first, const char *key, const char *s)
{
	if (!first)
		fputs(", ", f);
	lfs_json_string(f, key);
	fputs(": ", f);
	lfs_json_string(f, s);
}
