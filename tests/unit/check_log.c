/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check_log.c - the stderr logger's two formats (core/log.c): a plain
 * "tag[pid]: level: msg" line, and under journald (stderr is the stream
 * $JOURNAL_STREAM names) a "<N>" sd-daemon prefix so the journal keeps
 * each message's priority.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

/* stderr goes to a temporary file while a test logs; read it back. */
struct capture {
	FILE *f;
	int saved;
	char text[1024];
};

static void
capture_start(struct capture *c)
{
	fflush(stderr);
	c->f = tmpfile();
	ck_assert_ptr_nonnull(c->f);
	c->saved = dup(STDERR_FILENO);
	ck_assert_int_ge(c->saved, 0);
	ck_assert_int_eq(dup2(fileno(c->f), STDERR_FILENO), STDERR_FILENO);
}

static const char *
capture_end(struct capture *c)
{
	size_t n;

	fflush(stderr);
	ck_assert_int_eq(dup2(c->saved, STDERR_FILENO), STDERR_FILENO);
	close(c->saved);
	rewind(c->f);
	n = fread(c->text, 1, sizeof(c->text) - 1, c->f);
	c->text[n] = '\0';
	fclose(c->f);
	return c->text;
}

/* Set $JOURNAL_STREAM to the device and inode of fd, as systemd does. */
static void
journal_is(int fd)
{
	struct stat st;
	char v[64];

	ck_assert_int_eq(fstat(fd, &st), 0);
	snprintf(v, sizeof(v), "%ju:%ju", (uintmax_t)st.st_dev,
	    (uintmax_t)st.st_ino);
	ck_assert_int_eq(setenv("JOURNAL_STREAM", v, 1), 0);
}

START_TEST(test_plain_line)
{
	struct capture c;
	char want[128];

	unsetenv("JOURNAL_STREAM");
	capture_start(&c);
	lfs_log_stderr((void *)"tag", LOG_WARNING, "hello");
	lfs_log_stderr(NULL, LOG_DEBUG, "x");
	snprintf(want, sizeof(want), "tag[%ld]: warning: hello\n"
	    "leasefs[%ld]: debug: x\n", (long)getpid(), (long)getpid());
	ck_assert_str_eq(capture_end(&c), want);
}
END_TEST

START_TEST(test_journal_prefix)
{
	struct capture c;
	char want[128];

	capture_start(&c);
	journal_is(STDERR_FILENO);
	ck_assert_int_eq(lfs_log_fd_is_journal(STDERR_FILENO), 1);
	lfs_log_stderr(NULL, LOG_ERR, "join failed");
	lfs_log_stderr(NULL, LOG_INFO, "busy");
	lfs_log_stderr((void *)"leasefs-guard", LOG_CRIT, "fencing");
	snprintf(want, sizeof(want), "<3>join failed\n<6>busy\n"
	    "<2>leasefs-guard[%ld]: fencing\n", (long)getpid());
	ck_assert_str_eq(capture_end(&c), want);
}
END_TEST

/* Through lfs_log: the level filter applies first, then the prefix. */
START_TEST(test_journal_through_logger)
{
	struct lfs_logger lg = { lfs_log_stderr, NULL, LOG_INFO };
	struct capture c;

	capture_start(&c);
	journal_is(STDERR_FILENO);
	lfs_log(&lg, LOG_NOTICE, "%s: acquired lver %d", "vm1", 3);
	lfs_log(&lg, LOG_DEBUG, "dropped");
	ck_assert_str_eq(capture_end(&c), "<5>vm1: acquired lver 3\n");
}
END_TEST

/* $JOURNAL_STREAM inherited, but stderr redirected elsewhere since (a
 * shell's 2>file under a unit): plain lines. */
START_TEST(test_journal_stream_elsewhere)
{
	struct capture c;
	FILE *other = tmpfile();
	const char *out;

	ck_assert_ptr_nonnull(other);
	journal_is(fileno(other));
	capture_start(&c);
	ck_assert_int_eq(lfs_log_fd_is_journal(STDERR_FILENO), 0);
	lfs_log_stderr(NULL, LOG_ERR, "plain");
	out = capture_end(&c);
	fclose(other);
	ck_assert_msg(strncmp(out, "leasefs[", 8) == 0, "got '%s'", out);
	ck_assert_ptr_nonnull(strstr(out, ": error: plain\n"));
}
END_TEST

START_TEST(test_journal_stream_malformed)
{
	static const char *const bad[] = { "", "12", "12:", ":34", "1:2x",
		"a:b" };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(setenv("JOURNAL_STREAM", bad[i], 1), 0);
		ck_assert_msg(lfs_log_fd_is_journal(STDERR_FILENO) == 0,
		    "'%s' taken for a journal stream", bad[i]);
	}
	unsetenv("JOURNAL_STREAM");
	ck_assert_int_eq(lfs_log_fd_is_journal(STDERR_FILENO), 0);
}
END_TEST

static Suite *
log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("stderr");

	tcase_add_test(tc, test_plain_line);
	tcase_add_test(tc, test_journal_prefix);
	tcase_add_test(tc, test_journal_through_logger);
	tcase_add_test(tc, test_journal_stream_elsewhere);
	tcase_add_test(tc, test_journal_stream_malformed);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(log_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
