/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check_mountopts.c - unit tests of the `-o` option table and the command
 * line of `leasefs mount` and mount.leasefs (fs/mountopts.c).
 *
 * The parser lives in fs/ and is not part of the core library, so its
 * sources (and the shared command-line helpers it prints with) are
 * compiled in here directly.  The options passed through are checked
 * against the real libfuse, which parses them without mounting anything.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../fs/cli.c"
#include "../../fs/mountopts.c"

static int
mparse(struct lfs_mount_opts *o, const char *s)
{
	char err[256];

	return lfs_mount_opts_parse(o, s, 0, err, sizeof(err));
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
	ck_assert_uint_eq(o.wake_ms, 0);
	ck_assert_int_eq(mparse(&o, "wake_ms=1"), 0);
	ck_assert_uint_eq(o.wake_ms, 1);
	ck_assert_int_eq(mparse(&o, "wake_ms=1000"), 0);
	ck_assert_uint_eq(o.wake_ms, 1000);
	ck_assert_int_eq(mparse(&o, "wake_ms=0"), -EINVAL);
	ck_assert_int_eq(mparse(&o, "wake_ms=1001"), -EINVAL);
	ck_assert_int_eq(mparse(&o, "wake_ms=2x"), -EINVAL);
	ck_assert_int_eq(mparse(&o, "wake_ms="), -EINVAL);
	ck_assert_uint_eq(o.wake_ms, 1000);
	ck_assert_int_eq(o.debug, 0);
	ck_assert_str_eq(o.fuse, "");
	ck_assert_int_eq(lfs_mount_opts_finish(&o, err, sizeof(err)), 0);
	lfs_mount_opts_dirs(&o, "ls1");
	ck_assert_str_eq(o.state_dir, "/s");
	ck_assert_str_eq(o.run_dir, "/r");
}
END_TEST

/* A kill_command may hold commas and backslashes, and spaces as \040 (as
 * in fstab), all as fuse_opt reads them. */
START_TEST(mopts_escapes)
{
	struct lfs_mount_opts o;

	lfs_mount_opts_init(&o);
	ck_assert_int_eq(mparse(&o, "kill_command=virsh\\040destroy\\,now\\\\x"),
	    0);
	ck_assert_str_eq(o.kill_command, "virsh destroy,now\\x");
}
END_TEST

START_TEST(mopts_defaults_by_lockspace)
{
	struct lfs_mount_opts o;
	char err[256];

	lfs_mount_opts_init(&o);
	ck_assert_int_eq(lfs_mount_opts_finish(&o, err, sizeof(err)), -EINVAL);
	ck_assert(strstr(err, "host_id") != NULL);
	ck_assert_int_eq(mparse(&o, "host_id=12"), 0);
	ck_assert_int_eq(lfs_mount_opts_finish(&o, err, sizeof(err)), 0);
	ck_assert_str_eq(o.state_dir, "");
	lfs_mount_opts_dirs(&o, "ls1");
	ck_assert_str_eq(o.state_dir, "/var/lib/leasefs/ls1/12");
	ck_assert_str_eq(o.run_dir, "/run/leasefs/ls1/12");
	ck_assert_str_eq(o.name, "");
	/* several -o lists accumulate, later ones override */
	ck_assert_int_eq(mparse(&o, "host_id=3"), 0);
	ck_assert_uint_eq(o.host_id, 3);
}
END_TEST

/* Each class of the table: mount(8)'s options and the no-effect VFS flags
 * are dropped, ours-already options change nothing, the rest reaches
 * libfuse in order. */
START_TEST(mopts_classes)
{
	struct lfs_mount_opts o;

	lfs_mount_opts_init(&o);
	ck_assert_int_eq(mparse(&o, "rw,nosuid,nodev,noauto,_netdev,defaults,"
	    "x-systemd.automount,x-systemd.requires=iscsid.service,nofail,"
	    "user,users,owner,group,comment=hi,silent,loud,exec,atime,,debug"),
	    0);
	ck_assert_int_eq(o.debug, 1);
	ck_assert_str_eq(o.fuse, "rw,nosuid,nodev,exec,atime");
	ck_assert_int_eq(mparse(&o, "relatime,nodiratime,lazytime,mand,"
	    "fsname=other,subtype=x,allow_other,default_permissions"), 0);
	ck_assert_str_eq(o.fuse, "rw,nosuid,nodev,exec,atime");
	ck_assert_int_eq(mparse(&o, "noatime,max_read=65536,context=a\\,b"), 0);
	ck_assert_str_eq(o.fuse, "rw,nosuid,nodev,exec,atime,noatime,"
	    "max_read=65536,context=a\\,b");
	ck_assert_str_eq(o.group, "");   /* bare `group` is mount(8)'s */
	ck_assert_int_eq(mparse(&o, "group=kvm"), 0);
	ck_assert_str_eq(o.group, "kvm");
}
END_TEST

START_TEST(mopts_bad)
{
	static const struct { const char *in, *named; } bad[] = {
		{ "ro", "ro" }, { "host_id=0", "'0'" }, { "host_id=2001", "2001" },
		{ "host_id=", "host_id" }, { "host_id=x", "'x'" },
		{ "host_id=3x", "3x" }, { "host_id=-1", "-1" },
		{ "host_id=99999999999", "9999" }, { "name=", "name" },
		{ "name=.x", ".x" }, { "name=a b", "a b" },
		{ "state_dir=relative", "relative" }, { "run_dir=", "run_dir" },
		{ "watchdog=dev/watchdog", "dev/watchdog" }, { "bogus", "bogus" },
		{ "bogus=1", "bogus=1" }, { "kill_command=", "kill_command" },
		{ "auto_unmount", "auto_unmount" }, { "allow_root", "allow_root" },
		{ "nosuid,max_read=x", "max_read=x" },
	};
	struct lfs_mount_opts o;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		lfs_mount_opts_init(&o);
		err[0] = '\0';
		ck_assert_msg(lfs_mount_opts_parse(&o, bad[i].in, 0, err,
		    sizeof(err)) == -EINVAL, "accepted '%s'", bad[i].in);
		ck_assert_msg(strstr(err, bad[i].named) != NULL,
		    "reason for '%s' does not name it: %s", bad[i].in, err);
	}
}
END_TEST

START_TEST(mopts_sloppy)
{
	struct lfs_mount_opts o;
	char err[256];

	lfs_mount_opts_init(&o);
	ck_assert_int_eq(lfs_mount_opts_parse(&o, "bogus,nosuid,host_id=2", 1,
	    err, sizeof(err)), 0);
	ck_assert_str_eq(o.fuse, "nosuid");
	ck_assert_uint_eq(o.host_id, 2);
	/* sloppy is about options libfuse does not know, not bad values */
	ck_assert_int_eq(lfs_mount_opts_parse(&o, "host_id=x", 1, err,
	    sizeof(err)), -EINVAL);
	ck_assert_int_eq(lfs_mount_opts_parse(&o, "ro", 1, err, sizeof(err)),
	    -EINVAL);
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

/* What fuse_session_new() gets: the device as fsname (escaped), our fixed
 * options, the passed-through ones; and libfuse takes all of it. */
START_TEST(mopts_fuse_args)
{
	static const struct fuse_lowlevel_ops ops;
	struct lfs_mount_opts o;
	struct fuse_session *se;
	struct fuse_args args;

	lfs_mount_opts_init(&o);
	ck_assert_int_eq(mparse(&o, "host_id=1,nosuid,noatime"), 0);
	strcpy(o.fsname, "/var/tmp/a,b\\c.img");
	ck_assert_int_eq(lfs_mount_opts_fuse_args(&o, 1, &args), 0);
	ck_assert_int_eq(args.argc, 6);
	ck_assert_str_eq(args.argv[0], "leasefs");
	ck_assert_str_eq(args.argv[1], "-o");
	ck_assert_str_eq(args.argv[2], "fsname=/var/tmp/a\\,b\\\\c.img,"
	    "subtype=leasefs,default_permissions,allow_other");
	ck_assert_str_eq(args.argv[3], "-o");
	ck_assert_str_eq(args.argv[4], "nosuid,noatime");
	ck_assert_str_eq(args.argv[5], "-d");
	fuse_opt_free_args(&args);
	ck_assert_int_eq(lfs_mount_opts_fuse_args(&o, 0, &args), 0);
	ck_assert_int_eq(args.argc, 5);
	se = fuse_session_new(&args, &ops, sizeof(ops), NULL);
	ck_assert_ptr_nonnull(se);
	fuse_session_destroy(se);
	fuse_opt_free_args(&args);
}
END_TEST

static int
cmdline(struct lfs_mount_opts *o, struct lfs_mount_cmd *c, ...)
{
	char *argv[32];
	va_list ap;
	int argc = 0;

	va_start(ap, c);
	while (argc < 31 && (argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	return lfs_mount_cmdline(argc, argv, o, c);
}

START_TEST(cmdline_mount)
{
	struct lfs_mount_opts o;
	struct lfs_mount_cmd c;
	char cwd[PATH_MAX], want[PATH_MAX + 16];

	ck_assert_int_eq(cmdline(&o, &c, "mount", "-f", "-o", "host_id=3",
	    "-o", "nosuid", "/dev/sdx", "/mnt/ls", NULL), -1);
	ck_assert_int_eq(c.foreground, 1);
	ck_assert_int_eq(c.fake, 0);
	ck_assert_str_eq(c.device, "/dev/sdx");
	ck_assert_str_eq(c.mountpoint, "/mnt/ls");
	ck_assert_str_eq(o.fsname, "/dev/sdx");
	ck_assert_str_eq(o.fuse, "nosuid");
	ck_assert_uint_eq(o.host_id, 3);
	/* mount.fuse3's order: operands first; a relative device is made
	 * absolute for fsname */
	ck_assert_int_eq(cmdline(&o, &c, "/usr/sbin/leasefs", "dev.img", "m",
	    "-o", "host_id=4,debug", NULL), -1);
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	snprintf(want, sizeof(want), "%s/dev.img", cwd);
	ck_assert_str_eq(o.fsname, want);
	ck_assert_int_eq(c.debug, 1);
	ck_assert_int_eq(c.foreground, 1);
	ck_assert_int_eq(cmdline(&o, &c, "mount", "--help", NULL), 0);
	ck_assert_int_eq(cmdline(&o, &c, "mount", "-V", NULL), 0);
}
END_TEST

START_TEST(cmdline_helper)
{
	struct lfs_mount_opts o;
	struct lfs_mount_cmd c;

	/* mount(8) runs: mount.leasefs SPEC DIR [-sfnv] [-o OPTS] [-t TYPE] */
	ck_assert_int_eq(cmdline(&o, &c, "/sbin/mount.leasefs", "/dev/sdx",
	    "/mnt/ls", "-n", "-o", "rw,host_id=5,_netdev", "-t", "leasefs",
	    NULL), -1);
	ck_assert_int_eq(c.helper, 1);
	ck_assert_int_eq(c.foreground, 0);
	ck_assert_str_eq(o.fuse, "rw");
	/* -f is fake there, not foreground; -s drops what libfuse refuses,
	 * even when -s comes after -o */
	ck_assert_int_eq(cmdline(&o, &c, "mount.leasefs", "/dev/sdx", "/mnt",
	    "-v", "-o", "host_id=1,bogus", "-f", "-s", NULL), 0);
	ck_assert_int_eq(c.fake, 1);
	ck_assert_int_eq(c.foreground, 0);
	ck_assert_int_eq(cmdline(&o, &c, "mount.leasefs", "/dev/sdx", "/mnt",
	    "-f", "-o", "host_id=1,bogus", NULL), 2);
	ck_assert_int_eq(cmdline(&o, &c, "mount.leasefs", "/dev/sdx", "/mnt",
	    "-r", "-o", "host_id=1", NULL), 2);
}
END_TEST

START_TEST(cmdline_usage_errors)
{
	struct lfs_mount_opts o;
	struct lfs_mount_cmd c;

	ck_assert_int_eq(cmdline(&o, &c, "mount", "-o", "host_id=1", "/dev/x",
	    NULL), 2);
	ck_assert_int_eq(cmdline(&o, &c, "mount", "-o", "host_id=1", "a", "b",
	    "c", NULL), 2);
	ck_assert_int_eq(cmdline(&o, &c, "mount", "-x", "-o", "host_id=1", "a",
	    "b", NULL), 2);
	ck_assert_int_eq(cmdline(&o, &c, "mount", "--bogus", "a", "b", NULL), 2);
	ck_assert_int_eq(cmdline(&o, &c, "mount", "a", "b", NULL), 2);
	ck_assert_int_eq(cmdline(&o, &c, "mount", "a", "b", "-o", NULL), 2);
	/* -s is mount(8)'s flag only */
	ck_assert_int_eq(cmdline(&o, &c, "mount", "-s", "-o", "host_id=1", "a",
	    "b", NULL), 2);
}
END_TEST

static Suite *
mountopts_suite(void)
{
	Suite *s = suite_create("mountopts");
	TCase *tc = tcase_create("options");

	tcase_add_test(tc, mopts_all_options);
	tcase_add_test(tc, mopts_escapes);
	tcase_add_test(tc, mopts_defaults_by_lockspace);
	tcase_add_test(tc, mopts_classes);
	tcase_add_test(tc, mopts_bad);
	tcase_add_test(tc, mopts_sloppy);
	tcase_add_test(tc, mopts_too_long);
	tcase_add_test(tc, mopts_fuse_args);
	suite_add_tcase(s, tc);
	tc = tcase_create("cmdline");
	tcase_add_test(tc, cmdline_mount);
	tcase_add_test(tc, cmdline_helper);
	tcase_add_test(tc, cmdline_usage_errors);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(mountopts_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
