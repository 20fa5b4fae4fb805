/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check_crc32c.c - unit tests of core/crc32c.c's two ways to a CRC.
 *
 * Claims: the table and the CPU instruction (SSE4.2, when this CPU has
 * it; else lfs_crc32c_hw() is the table again) give the published CRC-32C
 * values, and the same value as each other for every length from 0 to
 * 4,200 bytes at every alignment 0..7, on patterned and pseudo-random
 * bytes; lfs_crc32c() gives that value too.  A difference in the tail
 * handling (the 4- and 1-byte steps after the 8-byte ones) or a
 * misaligned load would show as a mismatch at some length or offset.
 * lfs_crc32c_hole() (a record's crc with its own crc field read as zero)
 * equals the CRC of a copy with that field zeroed.  check_ondisk.c pins
 * lfs_crc32c() itself to the same vectors.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crc32c.h"

#define MAX_LEN 4200u            /* bytes: past one 4 KiB sector */
#define MAX_SHIFT 8u             /* alignments 0..7 */

typedef uint32_t (*crc_fn)(const void *, size_t);

static const crc_fn ways[] = { lfs_crc32c_table, lfs_crc32c_hw, lfs_crc32c };
static const char *const way_names[] = { "table", "hw", "lfs_crc32c" };

/* The published vectors, through each way (_i picks it). */
START_TEST(test_vectors)
{
	crc_fn f = ways[_i];
	uint8_t b[32];
	int i;

	ck_assert_msg(f("123456789", 9) == 0xe3069283u, "%s", way_names[_i]);
	ck_assert_uint_eq(f("", 0), 0);
	/* RFC 3720 (iSCSI) appendix B.4 */
	memset(b, 0, sizeof(b));
	ck_assert_uint_eq(f(b, 32), 0x8a9136aau);
	memset(b, 0xff, sizeof(b));
	ck_assert_uint_eq(f(b, 32), 0x62a8ab43u);
	for (i = 0; i < 32; i++)
		b[i] = (uint8_t)i;
	ck_assert_uint_eq(f(b, 32), 0x46dd794eu);
	for (i = 0; i < 32; i++)
		b[i] = (uint8_t)(31 - i);
	ck_assert_uint_eq(f(b, 32), 0x113fdb5cu);
}
END_TEST

/* A small linear congruential generator: the same bytes on every run. */
static void
fill(uint8_t *p, size_t len, uint32_t seed)
{
	size_t i;

	for (i = 0; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
}

/* Table and instruction agree at every length and alignment; _i == 0 uses
 * pseudo-random bytes, 1 a byte pattern, 2 all 0xff (the preset's value,
 * where a forgotten inversion would cancel out). */
START_TEST(test_ways_agree)
{
	uint8_t *buf = malloc(MAX_LEN + MAX_SHIFT);
	size_t len, sh;

	ck_assert_ptr_nonnull(buf);
	if (_i == 0)
		fill(buf, MAX_LEN + MAX_SHIFT, 2026u);
	else if (_i == 1)
		for (len = 0; len < MAX_LEN + MAX_SHIFT; len++)
			buf[len] = (uint8_t)(len * 7u);
	else
		memset(buf, 0xff, MAX_LEN + MAX_SHIFT);
	for (sh = 0; sh < MAX_SHIFT; sh++) {
		for (len = 0; len <= MAX_LEN; len++) {
			uint32_t want = lfs_crc32c_table(buf + sh, len);

			ck_assert_msg(lfs_crc32c_hw(buf + sh, len) == want,
			    "hw differs at length %zu shift %zu", len, sh);
			ck_assert_msg(lfs_crc32c(buf + sh, len) == want,
			    "lfs_crc32c differs at length %zu shift %zu", len,
			    sh);
		}
	}
	free(buf);
}
END_TEST

/* One flipped bit changes the value through either way: the instruction
 * path is not, say, skipping the tail. */
START_TEST(test_flip_changes)
{
	uint8_t buf[77];
	uint32_t base;
	size_t i;

	fill(buf, sizeof(buf), 7u);
	base = lfs_crc32c_hw(buf, sizeof(buf));
	for (i = 0; i < sizeof(buf) * 8; i++) {
		buf[i / 8] ^= (uint8_t)(1u << (i % 8));
		ck_assert_msg(lfs_crc32c_hw(buf, sizeof(buf)) != base,
		    "bit %zu", i);
		ck_assert_uint_eq(lfs_crc32c_hw(buf, sizeof(buf)),
		    lfs_crc32c_table(buf, sizeof(buf)));
		buf[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
}
END_TEST

/* lfs_crc32c_hole() is the CRC of a copy with the 4 bytes at the hole
 * zeroed, for every hole of every length up to 600 (records are at most a
 * few hundred bytes), and whatever the bytes in the hole; without room for
 * the hole it is lfs_crc32c() of the bytes as they are. */
START_TEST(test_hole)
{
	uint8_t buf[600], copy[600];
	size_t len, hole;

	fill(buf, sizeof(buf), 99u);
	for (len = 4; len <= sizeof(buf); len += (len < 80 ? 1 : 37)) {
		for (hole = 0; hole + 4 <= len; hole++) {
			memcpy(copy, buf, len);
			memset(copy + hole, 0, 4);
			ck_assert_msg(lfs_crc32c_hole(buf, len, hole) ==
			    lfs_crc32c_table(copy, len), "length %zu hole %zu",
			    len, hole);
		}
	}
	ck_assert_uint_eq(lfs_crc32c_hole(buf, 10, 7), lfs_crc32c(buf, 10));
	ck_assert_uint_eq(lfs_crc32c_hole(buf, 10, 11), lfs_crc32c(buf, 10));
}
END_TEST

static Suite *
crc32c_suite(void)
{
	Suite *s = suite_create("crc32c");
	TCase *tc = tcase_create("ways");

	tcase_add_loop_test(tc, test_vectors, 0,
	    (int)(sizeof(ways) / sizeof(ways[0])));
	tcase_add_loop_test(tc, test_ways_agree, 0, 3);
	tcase_add_test(tc, test_flip_changes);
	tcase_add_test(tc, test_hole);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(crc32c_suite());
	int failed;

	/* which way this run checked, for whoever reads the log */
	printf("check_crc32c: CPU instruction %s\n",
	    lfs_crc32c_hw_available() ? "available: both ways compared" :
	    "not available: hw is the table again");
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
