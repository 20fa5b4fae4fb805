/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * gate.c - the daemon's side of the submit gate (gate.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/file.h>
#include <unistd.h>

#include "gate.h"

int
lfs_dgate_open(struct lfs_dgate *g, const char *state_dir, const char *name,
    int *guard_fd)
{
	char path[PATH_MAX];
	int r;

	g->fd = -1;
	g->users = 0;
	*guard_fd = -1;
	if (snprintf(path, sizeof(path), "%s/%s", state_dir, name) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	if ((r = pthread_mutex_init(&g->lock, NULL)) != 0)
		return -r;
	/* two open() calls: two descriptions, so that the two locks meet */
	if ((g->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0 ||
	    (*guard_fd = open(path, O_RDWR | O_CLOEXEC)) < 0) {
		r = -errno;
		lfs_dgate_close(g);
		return r;
	}
	return 0;
}

void
lfs_dgate_close(struct lfs_dgate *g)
{
	if (g->fd >= 0) {
		close(g->fd);
		pthread_mutex_destroy(&g->lock);
	}
	g->fd = -1;
}

int
lfs_dgate_take(void *arg)
{
	struct lfs_dgate *g = arg;
	int rv = 0;

	pthread_mutex_lock(&g->lock);
	/* never blocks: a closed gate refuses the write at once */
	if (g->users == 0 && flock(g->fd, LOCK_SH | LOCK_NB) < 0)
		rv = errno == EWOULDBLOCK ? -EBUSY : -errno;
	if (rv == 0)
		g->users++;
	pthread_mutex_unlock(&g->lock);
	return rv;
}

void
lfs_dgate_drop(void *arg)
{
	struct lfs_dgate *g = arg;

	pthread_mutex_lock(&g->lock);
	if (--g->users == 0)
		flock(g->fd, LOCK_UN);
	pthread_mutex_unlock(&g->lock);
}
