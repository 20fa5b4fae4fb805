/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check_names.c - unit tests of core/names.c.
 *
 * Claims: lease and lockspace names of 1..48 bytes of [A-Za-z0-9._-] not
 * starting with '.' are accepted and everything else is -EINVAL (empty, too
 * long, ".", "..", hidden, '/', space, control bytes, UTF-8, NULL); the
 * length-given form reads only len bytes; host names follow the same rule
 * with 64 bytes.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "ondisk.h"

static const char *const valid[] = {
	"a", "Z", "0", "_", "-", "vm-disk-1", "A.b_c-D", "x..y", "a.",
	"-leading-dash", "_leading_underscore", "123", "a-b.c_d.E-F",
};

static const char *const invalid[] = {
	"", ".", "..", ".hidden", "...", "a/b", "/", "a b", " a", "a\t",
	"a\n", "caf\xc3\xa9", "\xff", "a:b", "a*b", "a\\b", "a%b", "a+b",
	"a@b", "\x7f",
};

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

START_TEST(test_valid_names)
{
	ck_assert_msg(lfs_name_check(valid[_i]) == 0, "\"%s\"", valid[_i]);
	ck_assert_int_eq(lfs_name_check_len(valid[_i], strlen(valid[_i])), 0);
	ck_assert_int_eq(lfs_host_name_check(valid[_i]), 0);
}
END_TEST

START_TEST(test_invalid_names)
{
	ck_assert_msg(lfs_name_check(invalid[_i]) == -EINVAL, "\"%s\"",
	    invalid[_i]);
	ck_assert_int_eq(lfs_name_check_len(invalid[_i], strlen(invalid[_i])),
	    -EINVAL);
	ck_assert_int_eq(lfs_host_name_check(invalid[_i]), -EINVAL);
}
END_TEST

START_TEST(test_name_length)
{
	char s[LFS_HOST_NAME_MAX + 8];

	memset(s, 'a', sizeof(s));
	s[LFS_NAME_MAX] = '\0';                       /* 48 bytes */
	ck_assert_int_eq(lfs_name_check(s), 0);
	s[LFS_NAME_MAX] = 'a';
	s[LFS_NAME_MAX + 1] = '\0';                   /* 49 bytes */
	ck_assert_int_eq(lfs_name_check(s), -EINVAL);
	ck_assert_int_eq(lfs_host_name_check(s), 0);
	s[LFS_NAME_MAX + 1] = 'a';
	s[LFS_HOST_NAME_MAX] = '\0';                  /* 64 bytes */
	ck_assert_int_eq(lfs_host_name_check(s), 0);
	ck_assert_int_eq(lfs_name_check(s), -EINVAL);
	s[LFS_HOST_NAME_MAX] = 'a';
	s[LFS_HOST_NAME_MAX + 1] = '\0';              /* 65 bytes */
	ck_assert_int_eq(lfs_host_name_check(s), -EINVAL);
	/* much longer strings are refused too */
	{
		char *big = malloc(100000);

		ck_assert_ptr_nonnull(big);
		memset(big, 'b', 99999);
		big[99999] = '\0';
		ck_assert_int_eq(lfs_name_check(big), -EINVAL);
		ck_assert_int_eq(lfs_host_name_check(big), -EINVAL);
		free(big);
	}
}
END_TEST

START_TEST(test_name_check_len)
{
	/* not NUL-terminated: only len bytes are looked at */
	static const char raw[4] = { 'a', 'b', '/', 'c' };
	char s[LFS_NAME_MAX + 1];

	ck_assert_int_eq(lfs_name_check_len(raw, 2), 0);
	ck_assert_int_eq(lfs_name_check_len(raw, 3), -EINVAL);
	ck_assert_int_eq(lfs_name_check_len(raw, 0), -EINVAL);
	ck_assert_int_eq(lfs_name_check_len("ab\0cd", 5), -EINVAL);
	memset(s, 'a', sizeof(s));
	ck_assert_int_eq(lfs_name_check_len(s, LFS_NAME_MAX), 0);
	ck_assert_int_eq(lfs_name_check_len(s, LFS_NAME_MAX + 1), -EINVAL);
	ck_assert_int_eq(lfs_name_check_len(".a", 2), -EINVAL);
}
END_TEST

START_TEST(test_null)
{
	ck_assert_int_eq(lfs_name_check(NULL), -EINVAL);
	ck_assert_int_eq(lfs_name_check_len(NULL, 3), -EINVAL);
	ck_assert_int_eq(lfs_host_name_check(NULL), -EINVAL);
}
END_TEST

/* Every byte value outside the charset is refused anywhere in a name. */
START_TEST(test_every_byte)
{
	char s[4] = { 'a', 0, 'b', 0 };
	int c, ok;

	for (c = 1; c < 256; c++) {
		s[1] = (char)c;
		ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
		ck_assert_msg(lfs_name_check(s) == (ok ? 0 : -EINVAL),
		    "byte 0x%02x", c);
		ck_assert_int_eq(lfs_host_name_check(s), ok ? 0 : -EINVAL);
	}
}
END_TEST

static Suite *
names_suite(void)
{
	Suite *s = suite_create("names");
	TCase *tc = tcase_create("names");

	tcase_add_loop_test(tc, test_valid_names, 0, N(valid));
	tcase_add_loop_test(tc, test_invalid_names, 0, N(invalid));
	tcase_add_test(tc, test_name_length);
	tcase_add_test(tc, test_name_check_len);
	tcase_add_test(tc, test_null);
	tcase_add_test(tc, test_every_byte);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(names_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
