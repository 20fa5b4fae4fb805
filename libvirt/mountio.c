// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mountio.c - reading a lease's state, writing ctl, and finding which lease
 * files a QEMU process holds, through a leasefs mount (leasefs(5)).
 */
#include "mountio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* read a small file whole (it is rendered at open, one read suffices for
 * leasefs, but loop anyway); NUL-terminated; 0 or -errno */
static int read_small(const char *path, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (got + 1 < len) {
		n = read(fd, buf + got, len - 1 - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			close(fd);
			return err;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	close(fd);
	return 0;
}

/* the value of "KEY: value" in text, copied into out; 0 or -ENOENT */
static int field(const char *text, const char *key, char *out, size_t len)
{
	size_t klen = strlen(key);
	const char *p = text, *e;

	while (p && *p) {
		if (!strncmp(p, key, klen) && p[klen] == ':' &&
		    p[klen + 1] == ' ') {
			p += klen + 2;
			e = strchr(p, '\n');
			if (!e)
				e = p + strlen(p);
			snprintf(out, len, "%.*s", (int)(e - p), p);
			return 0;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -ENOENT;
}

/* "ID NAME" or "none" -> ID or 0 */
static int host_of(const char *v)
{
	return atoi(v) > 0 ? atoi(v) : 0;
}

int lfv_read_owner(const char *dir, int *id)
{
	char path[PATH_MAX], buf[256];
	int rc;

	snprintf(path, sizeof(path), "%s/owner", dir);
	rc = read_small(path, buf, sizeof(buf));
	if (rc < 0)
		return rc;
	*id = host_of(buf);
	return 0;
}

int lfv_read_state(const char *dir, struct lfv_lstate *st)
{
	char path[PATH_MAX], buf[4096], v[512];
	int rc;

	memset(st, 0, sizeof(*st));
	snprintf(path, sizeof(path), "%s/state", dir);
	rc = read_small(path, buf, sizeof(buf));
	if (rc < 0)
		return rc;
	if (field(buf, "state", st->state, sizeof(st->state)) < 0 ||
	    field(buf, "owner", v, sizeof(v)) < 0)
		return -EPROTO;
	st->owner_id = host_of(v);
	if (field(buf, "generation", v, sizeof(v)) < 0)
		return -EPROTO;
	st->generation = strtoull(v, NULL, 10);
	if (field(buf, "request", v, sizeof(v)) == 0)
		st->request_id = host_of(v);
	if (field(buf, "holders", st->holders, sizeof(st->holders)) < 0)
		snprintf(st->holders, sizeof(st->holders), "none");
	return 0;
}

int lfv_host_id(const char *mount, int *id)
{
	char path[PATH_MAX], buf[4096], v[64];
	int rc;

	snprintf(path, sizeof(path), "%s/.status", mount);
	rc = read_small(path, buf, sizeof(buf));
	if (rc < 0)
		return rc;
	if (field(buf, "host_id", v, sizeof(v)) < 0 || atoi(v) <= 0)
		return -EPROTO;
	*id = atoi(v);
	return 0;
}

int lfv_ctl(const char *dir, const char *cmd)
{
	char path[PATH_MAX];
	size_t len = strlen(cmd);
	ssize_t n;
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/ctl", dir);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, cmd, len);
	if (n < 0)
		err = -errno;
	else if ((size_t)n != len)
		err = -EIO;
	close(fd);
	return err;
}

int lfv_is_holder(const struct lfv_lstate *st, int pid)
{
	const char *p = st->holders;
	char *end;
	long v;

	while (*p) {
		v = strtol(p, &end, 10);
		if (end == p) {
			p++;
			continue;
		}
		if (v == pid)
			return 1;
		p = end;
	}
	return 0;
}

int lfv_pid_file(int pid, const char *dir, enum lfv_file *kind)
{
	char fddir[64], link[PATH_MAX + 64], target[PATH_MAX];
	char lock[PATH_MAX], incoming[PATH_MAX];
	struct dirent *de;
	ssize_t n;
	DIR *d;

	*kind = LFV_FILE_NONE;
	snprintf(lock, sizeof(lock), "%s/lock", dir);
	snprintf(incoming, sizeof(incoming), "%s/incoming", dir);
	snprintf(fddir, sizeof(fddir), "/proc/%d/fd", pid);
	d = opendir(fddir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "%s/%s", fddir, de->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		if (!strcmp(target, lock))
			*kind = LFV_FILE_LOCK;
		else if (!strcmp(target, incoming))
			*kind = LFV_FILE_INCOMING;
		if (*kind != LFV_FILE_NONE)
			break;
	}
	closedir(d);
	return 0;
}
