/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctl.c - parser of `ctl` commands (grammar in ctl.h).
 *
 * Pure: it reads the caller's bytes and fills the caller's struct.  The
 * daemon executes the result (holders.c); keeping the two apart lets the
 * unit test cover every malformed input without a mount.
 */
#include <errno.h>
#include <string.h>

#include "ctl.h"
#include "names.h"

static const struct {
	const char *word;
	enum lfs_ctl_op op;
	int takes_host;
	int takes_pid;           /* may be followed by " pid N" */
	int takes_shared;        /* may be followed by " shared" (first) */
} ctl_words[] = {
	{ "acquire", LFS_CTL_ACQUIRE, 0, 1, 1 },
	{ "release", LFS_CTL_RELEASE, 0, 0, 1 },
	{ "transfer", LFS_CTL_TRANSFER, 1, 0, 0 },
	{ "request", LFS_CTL_REQUEST, 0, 1, 0 },
	{ "cancel", LFS_CTL_CANCEL, 0, 0, 0 },
	{ "handover", LFS_CTL_HANDOVER, 1, 0, 0 },
	{ "keep", LFS_CTL_KEEP, 0, 0, 0 },
	{ "claim", LFS_CTL_CLAIM, 0, 0, 0 },
};

#define CTL_SHARED " shared"

#define CTL_NWORDS (sizeof(ctl_words) / sizeof(ctl_words[0]))

const char *
lfs_ctl_op_name(enum lfs_ctl_op op)
{
	size_t i;

	for (i = 0; i < CTL_NWORDS; i++)
		if (ctl_words[i].op == op)
			return ctl_words[i].word;
	return "?";
}

/* The host id spelled by s[0..len), or 0 when it is not a plain number in
 * 1..LFS_MAX_HOSTS (then it can only be a display name). */
static uint32_t
ctl_host_id(const char *s, size_t len)
{
	uint32_t v = 0;
	size_t i;

	if (len == 0 || len > 5)
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (uint32_t)(s[i] - '0');
	}
	return v <= LFS_MAX_HOSTS ? v : 0;
}

/* Fill the transfer target from arg[0..len). */
static int
ctl_host(const char *arg, size_t len, struct lfs_ctl_cmd *out)
{
	if (len == 0 || len > LFS_HOST_NAME_MAX)
		return -EINVAL;
	memcpy(out->host, arg, len);
	out->host[len] = '\0';
	/* Ids are digits, which the name rule allows, so one check covers
	 * both spellings and rejects spaces, NUL and control bytes. */
	if (lfs_host_name_check(out->host) != 0)
		return -EINVAL;
	out->host_id = ctl_host_id(arg, len);
	return 0;
}

/* Fill out->pid from " pid N" at arg[0..len). */
static int
ctl_pid(const char *arg, size_t len, struct lfs_ctl_cmd *out)
{
	static const char word[] = " pid ";
	const size_t wlen = sizeof(word) - 1;
	uint32_t v = 0;
	size_t i;

	if (len <= wlen || memcmp(arg, word, wlen) != 0)
		return -EINVAL;
	arg += wlen;
	len -= wlen;
	/* 4194304 has 7 digits; no leading zero, no sign */
	if (len > 7 || arg[0] == '0')
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (arg[i] < '0' || arg[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint32_t)(arg[i] - '0');
	}
	if (v == 0 || v > LFS_CTL_PID_MAX)
		return -EINVAL;
	out->pid = (int32_t)v;
	return 0;
}

int
lfs_ctl_parse(const char *buf, size_t len, struct lfs_ctl_cmd *out)
{
	size_t i, wlen;

	if (buf == NULL || out == NULL || len == 0 || len > LFS_CTL_MAX)
		return -EINVAL;
	/* A NUL would end the host name early in the string checks below. */
	if (memchr(buf, '\0', len) != NULL)
		return -EINVAL;
	if (buf[len - 1] == '\n')
		len--;
	memset(out, 0, sizeof(*out));
	for (i = 0; i < CTL_NWORDS; i++) {
		wlen = strlen(ctl_words[i].word);
		if (len < wlen || memcmp(buf, ctl_words[i].word, wlen) != 0)
			continue;
		out->op = ctl_words[i].op;
		/* " shared" comes right after the word, before " pid N" */
		if (ctl_words[i].takes_shared &&
		    len >= wlen + sizeof(CTL_SHARED) - 1 &&
		    memcmp(buf + wlen, CTL_SHARED, sizeof(CTL_SHARED) - 1) == 0) {
			out->shared = 1;
			wlen += sizeof(CTL_SHARED) - 1;
		}
		if (len == wlen && !ctl_words[i].takes_host)
			return 0;
		if (ctl_words[i].takes_pid)
			return ctl_pid(buf + wlen, len - wlen, out);
		if (!ctl_words[i].takes_host)
			return -EINVAL;
		/* exactly one space, then the host */
		if (len <= wlen + 1 || buf[wlen] != ' ')
			return -EINVAL;
		return ctl_host(buf + wlen + 1, len - wlen - 1, out);
	}
	return -EINVAL;
}
