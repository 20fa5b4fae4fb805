/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check_notify.c - unit tests of the sd_notify(3) messages the daemon sends
 * to systemd (fs/notify.c): to a socket path, to an abstract name, and
 * nothing at all without $NOTIFY_SOCKET.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../../fs/notify.c"

/* A datagram socket bound to name (a path, or "@..." abstract). */
static int
listener(const char *name)
{
	struct sockaddr_un sa;
	socklen_t len;
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

	ck_assert_int_ge(fd, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, name);
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    strlen(name) + (name[0] == '/'));
	if (name[0] == '@')
		sa.sun_path[0] = '\0';
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, len), 0);
	return fd;
}

static void
expect(int fd, const char *want)
{
	char buf[512];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_str_eq(buf, want);
}

START_TEST(notify_path)
{
	char dir[] = "/tmp/check_notify.XXXXXX", path[64];
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/notify", dir);
	fd = listener(path);
	setenv("NOTIFY_SOCKET", path, 1);
	ck_assert_int_eq(lfs_notify("READY=1\nSTATUS=serving"), 0);
	expect(fd, "READY=1\nSTATUS=serving");
	ck_assert_int_eq(lfs_notifyf("STATUS=renewal %s", "failing"), 0);
	expect(fd, "STATUS=renewal failing");
	close(fd);
	unlink(path);
	rmdir(dir);
}
END_TEST

START_TEST(notify_abstract)
{
	char name[64];
	int fd;

	snprintf(name, sizeof(name), "@leasefs-check-notify-%ld", (long)getpid());
	fd = listener(name);
	setenv("NOTIFY_SOCKET", name, 1);
	ck_assert_int_eq(lfs_notify("STOPPING=1"), 0);
	expect(fd, "STOPPING=1");
	close(fd);
}
END_TEST

START_TEST(notify_absent)
{
	unsetenv("NOTIFY_SOCKET");
	ck_assert_int_eq(lfs_notify("READY=1"), 0);
	setenv("NOTIFY_SOCKET", "relative", 1);
	ck_assert_int_eq(lfs_notify("READY=1"), -EINVAL);
	setenv("NOTIFY_SOCKET", "/nonexistent/leasefs/notify", 1);
	ck_assert_int_lt(lfs_notify("READY=1"), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("notify");
	TCase *tc = tcase_create("notify");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, notify_path);
	tcase_add_test(tc, notify_abstract);
	tcase_add_test(tc, notify_absent);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
