/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check_ctl.c - unit tests of the pure parser of the FUSE daemon's `ctl`
 * commands (fs/ctl.c); the `-o` options are in check_mountopts.c.
 *
 * The parser lives in fs/ and is not part of the core library, so its
 * source is compiled in here directly.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../fs/ctl.c"

static int
parse(const char *s, struct lfs_ctl_cmd *c)
{
	return lfs_ctl_parse(s, strlen(s), c);
}

START_TEST(ctl_simple_commands)
{
	static const struct { const char *in; enum lfs_ctl_op op; } ok[] = {
		{ "acquire", LFS_CTL_ACQUIRE }, { "acquire\n", LFS_CTL_ACQUIRE },
		{ "release", LFS_CTL_RELEASE }, { "release\n", LFS_CTL_RELEASE },
		{ "request", LFS_CTL_REQUEST }, { "request\n", LFS_CTL_REQUEST },
		{ "cancel", LFS_CTL_CANCEL }, { "cancel\n", LFS_CTL_CANCEL },
		{ "keep", LFS_CTL_KEEP }, { "keep\n", LFS_CTL_KEEP },
		{ "claim", LFS_CTL_CLAIM }, { "claim\n", LFS_CTL_CLAIM },
	};
	struct lfs_ctl_cmd c;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_int_eq(parse(ok[i].in, &c), 0);
		ck_assert_int_eq(c.op, ok[i].op);
	}
	ck_assert_str_eq(lfs_ctl_op_name(LFS_CTL_TRANSFER), "transfer");
	ck_assert_str_eq(lfs_ctl_op_name((enum lfs_ctl_op)99), "?");
}
END_TEST

START_TEST(ctl_transfer)
{
	struct lfs_ctl_cmd c;

	ck_assert_int_eq(parse("transfer 3\n", &c), 0);
	ck_assert_int_eq(c.op, LFS_CTL_TRANSFER);
	ck_assert_str_eq(c.host, "3");
	ck_assert_uint_eq(c.host_id, 3);
	ck_assert_int_eq(parse("transfer vm-host.example_2", &c), 0);
	ck_assert_str_eq(c.host, "vm-host.example_2");
	ck_assert_uint_eq(c.host_id, 0);
	ck_assert_int_eq(parse("transfer 2000", &c), 0);
	ck_assert_uint_eq(c.host_id, 2000);
	/* out of the id range: only usable as a name */
	ck_assert_int_eq(parse("transfer 2001", &c), 0);
	ck_assert_uint_eq(c.host_id, 0);
	ck_assert_int_eq(parse("transfer 0", &c), 0);
	ck_assert_uint_eq(c.host_id, 0);
	/* handover takes a host as transfer does; keep and claim take none */
	ck_assert_int_eq(parse("handover 2\n", &c), 0);
	ck_assert_int_eq(c.op, LFS_CTL_HANDOVER);
	ck_assert_uint_eq(c.host_id, 2);
	ck_assert_int_eq(parse("handover h2", &c), 0);
	ck_assert_str_eq(c.host, "h2");
	ck_assert_int_eq(parse("handover", &c), -EINVAL);
	ck_assert_int_eq(parse("handover  2", &c), -EINVAL);
	ck_assert_int_eq(parse("keep 2", &c), -EINVAL);
	ck_assert_int_eq(parse("claim pid 3", &c), -EINVAL);
	ck_assert_int_eq(parse("claimed", &c), -EINVAL);
	ck_assert_str_eq(lfs_ctl_op_name(LFS_CTL_HANDOVER), "handover");
}
END_TEST

START_TEST(ctl_bad_commands)
{
	static const char *const bad[] = {
		"", "\n", "acquire x", "acquire ", " acquire", "acquire\n\n",
		"acquire\r\n", "acquirex", "ACQUIRE", "Acquire", "transfer",
		"transfer ", "transfer\n", "transfer \n", "TRANSFER 3",
		"transfer  3", "transfer 3 ", "transfer 3 4", "transfer\t3",
		"transfer .hidden", "transfer a/b", "release now", "cancel\tx",
		"request please", "lock", "frobnicate",
	};
	struct lfs_ctl_cmd c;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(parse(bad[i], &c) == -EINVAL, "accepted '%s'", bad[i]);
	ck_assert_int_eq(lfs_ctl_parse(NULL, 3, &c), -EINVAL);
}
END_TEST

START_TEST(ctl_pid_commands)
{
	static const char *const bad[] = {
		"acquire pid", "acquire pid ", "acquire pid 0", "acquire pid 01",
		"acquire pid -1", "acquire pid +5", "acquire pid 4194305",
		"acquire pid 99999999", "acquire pid 12x", "acquire pid  12",
		"acquire pid 12 ", "acquire  pid 12", "acquire PID 12",
		"acquire pid\t12", "acquire pid 12\n\n", "acquire 12",
		"acquirepid 12", "release pid 12", "cancel pid 12",
		"transfer 2 pid 12", "request pid", "request pid 1 2",
		"request pid 0x10",
	};
	struct lfs_ctl_cmd c;
	size_t i;

	ck_assert_int_eq(parse("acquire pid 1234\n", &c), 0);
	ck_assert_int_eq(c.op, LFS_CTL_ACQUIRE);
	ck_assert_int_eq(c.pid, 1234);
	ck_assert_int_eq(parse("request pid 1", &c), 0);
	ck_assert_int_eq(c.op, LFS_CTL_REQUEST);
	ck_assert_int_eq(c.pid, 1);
	ck_assert_int_eq(parse("acquire pid 4194304", &c), 0);
	ck_assert_int_eq(c.pid, LFS_CTL_PID_MAX);
	/* the plain forms carry no pid */
	ck_assert_int_eq(parse("acquire", &c), 0);
	ck_assert_int_eq(c.pid, 0);
	ck_assert_int_eq(parse("request\n", &c), 0);
	ck_assert_int_eq(c.pid, 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(parse(bad[i], &c) == -EINVAL, "accepted '%s'", bad[i]);
}
END_TEST

START_TEST(ctl_shared_commands)
{
	static const char *const bad[] = {
		"acquire shared ", "acquire  shared", "acquire sharedpid 1",
		"acquire shared pid", "acquire shared pid 0", "acquire pid 1 shared",
		"acquire SHARED", "acquire share", "acquire sharedx",
		"acquire shared shared", "release shared pid 1", "release shared ",
		"request shared", "cancel shared",
		"release sharedx",
	};
	struct lfs_ctl_cmd c;
	size_t i;

	ck_assert_int_eq(parse("acquire shared\n", &c), 0);
	ck_assert_int_eq(c.op, LFS_CTL_ACQUIRE);
	ck_assert_int_eq(c.shared, 1);
	ck_assert_int_eq(c.pid, 0);
	ck_assert_int_eq(parse("acquire shared pid 77", &c), 0);
	ck_assert_int_eq(c.op, LFS_CTL_ACQUIRE);
	ck_assert_int_eq(c.shared, 1);
	ck_assert_int_eq(c.pid, 77);
	ck_assert_int_eq(parse("release shared", &c), 0);
	ck_assert_int_eq(c.op, LFS_CTL_RELEASE);
	ck_assert_int_eq(c.shared, 1);
	/* the plain forms are exclusive */
	ck_assert_int_eq(parse("acquire pid 5", &c), 0);
	ck_assert_int_eq(c.shared, 0);
	ck_assert_int_eq(parse("release", &c), 0);
	ck_assert_int_eq(c.shared, 0);
	/* "transfer shared" names a host called shared */
	ck_assert_int_eq(parse("transfer shared", &c), 0);
	ck_assert_int_eq(c.shared, 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(parse(bad[i], &c) == -EINVAL, "accepted '%s'", bad[i]);
}
END_TEST

START_TEST(ctl_embedded_nul_and_length)
{
	char buf[LFS_CTL_MAX + 8];
	struct lfs_ctl_cmd c;

	ck_assert_int_eq(lfs_ctl_parse("acquire\0", 8, &c), -EINVAL);
	ck_assert_int_eq(lfs_ctl_parse("acq\0uire", 8, &c), -EINVAL);
	ck_assert_int_eq(lfs_ctl_parse("transfer 3\0x", 12, &c), -EINVAL);
	ck_assert_int_eq(lfs_ctl_parse("transfer \0", 10, &c), -EINVAL);
	/* a name of exactly LFS_HOST_NAME_MAX bytes fits, one more does not */
	memcpy(buf, "transfer ", 9);
	memset(buf + 9, 'h', LFS_HOST_NAME_MAX);
	ck_assert_int_eq(lfs_ctl_parse(buf, 9 + LFS_HOST_NAME_MAX, &c), 0);
	ck_assert_uint_eq(strlen(c.host), LFS_HOST_NAME_MAX);
	memset(buf + 9, 'h', LFS_HOST_NAME_MAX + 1);
	ck_assert_int_eq(lfs_ctl_parse(buf, 10 + LFS_HOST_NAME_MAX, &c), -EINVAL);
	/* too long as a whole, even if it were a command */
	memset(buf, 'a', sizeof(buf));
	ck_assert_int_eq(lfs_ctl_parse(buf, LFS_CTL_MAX + 1, &c), -EINVAL);
	memcpy(buf, "acquire", 7);
	ck_assert_int_eq(lfs_ctl_parse(buf, LFS_CTL_MAX + 1, &c), -EINVAL);
}
END_TEST

static Suite *
ctl_suite(void)
{
	Suite *s = suite_create("ctl");
	TCase *tc = tcase_create("ctl");

	tcase_add_test(tc, ctl_simple_commands);
	tcase_add_test(tc, ctl_transfer);
	tcase_add_test(tc, ctl_bad_commands);
	tcase_add_test(tc, ctl_pid_commands);
	tcase_add_test(tc, ctl_shared_commands);
	tcase_add_test(tc, ctl_embedded_nul_and_length);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(ctl_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
