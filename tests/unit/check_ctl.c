/*
 * check_ctl.c - unit tests of the pure parsers of the FUSE daemon: `ctl`
 * commands (fs/ctl.c) and `-o` mount options (fs/mountopts.c).
 *
 * Both parsers live in fs/ and are not part of the core library, so their
 * sources are compiled in here directly.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../fs/ctl.c"
#include "../../fs/mountopts.c"

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

static int
mparse(struct lfs_mount_opts *o, const char *s)
{
	char err[256];

	return lfs_mount_opts_parse(o, s, err, sizeof(err));
}

START_TEST(mopts_all_options)
{
	struct lfs_mount_opts o;
	char err[256];

	lfs_mount_opts_init(&o);
	ck_assert_int_eq(mparse(&o, "host_id=7,name=vm-host1,state_dir=/s,"
	    "run_dir=/r,group=kvm,kill_command=/bin/kill\\,it,"
	    "watchdog=/dev/watchdog"), 0);
	ck_assert_uint_eq(o.host_id, 7);
	ck_assert_str_eq(o.name, "vm-host1");
	ck_assert_str_eq(o.state_dir, "/s");
	ck_assert_str_eq(o.run_dir, "/r");
	ck_assert_str_eq(o.group, "kvm");
	ck_assert_str_eq(o.kill_command, "/bin/kill,it");
	ck_assert_str_eq(o.watchdog, "/dev/watchdog");
	ck_assert_int_eq(o.debug, 0);
	ck_assert_int_eq(lfs_mount_opts_finish(&o, err, sizeof(err)), 0);
	ck_assert_str_eq(o.state_dir, "/s");
}
END_TEST

START_TEST(mopts_defaults_and_generic)
{
	struct lfs_mount_opts o;
	char err[256];

	lfs_mount_opts_init(&o);
	ck_assert_int_eq(lfs_mount_opts_finish(&o, err, sizeof(err)), -EINVAL);
	ck_assert(strstr(err, "host_id") != NULL);
	ck_assert_int_eq(mparse(&o, "rw,nosuid,nodev,noauto,_netdev,defaults,"
	    "x-systemd.automount,nofail,user,exec,atime,,debug"), 0);
	ck_assert_int_eq(mparse(&o, "host_id=12"), 0);
	ck_assert_int_eq(o.debug, 1);
	ck_assert_int_eq(lfs_mount_opts_finish(&o, err, sizeof(err)), 0);
	ck_assert_str_eq(o.state_dir, "/var/lib/leasefs/12");
	ck_assert_str_eq(o.run_dir, "/run/leasefs/12");
	ck_assert_str_eq(o.name, "");
	/* several -o lists accumulate, later ones override */
	ck_assert_int_eq(mparse(&o, "host_id=3"), 0);
	ck_assert_uint_eq(o.host_id, 3);
}
END_TEST

START_TEST(mopts_bad)
{
	static const char *const bad[] = {
		"ro", "host_id=0", "host_id=2001", "host_id=", "host_id=x",
		"host_id=3x", "host_id=-1", "host_id=99999999999", "name=",
		"name=.x", "name=a b", "state_dir=relative", "run_dir=",
		"watchdog=dev/watchdog", "bogus", "bogus=1", "kill_command=",
	};
	struct lfs_mount_opts o;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		lfs_mount_opts_init(&o);
		err[0] = '\0';
		ck_assert_msg(lfs_mount_opts_parse(&o, bad[i], err, sizeof(err))
		    == -EINVAL, "accepted '%s'", bad[i]);
		ck_assert_msg(err[0] != '\0', "no reason for '%s'", bad[i]);
	}
}
END_TEST

START_TEST(mopts_too_long)
{
	struct lfs_mount_opts o;
	char *s = malloc(PATH_MAX + 32);

	ck_assert_ptr_nonnull(s);
	strcpy(s, "state_dir=/");
	memset(s + 11, 'd', PATH_MAX);
	s[11 + PATH_MAX] = '\0';
	lfs_mount_opts_init(&o);
	ck_assert_int_eq(mparse(&o, s), -EINVAL);
	ck_assert_str_eq(o.state_dir, "");
	free(s);
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
	tcase_add_test(tc, ctl_embedded_nul_and_length);
	suite_add_tcase(s, tc);
	tc = tcase_create("mountopts");
	tcase_add_test(tc, mopts_all_options);
	tcase_add_test(tc, mopts_defaults_and_generic);
	tcase_add_test(tc, mopts_bad);
	tcase_add_test(tc, mopts_too_long);
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
