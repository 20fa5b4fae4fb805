/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pidwatch.c - the process-exit watcher (pidwatch.h has the contract).
 *
 * One thread sleeps in poll(2) on an eventfd and every watched pidfd; a
 * pidfd becomes readable when its process exits (a zombie counts: it runs
 * no code and holds no file).  The set is copied under the lock before
 * each poll, so add and remove never wait for the thread; they write the
 * eventfd to make it copy again.  A pass costs O(watched processes), which
 * are few (one per lease held for a process).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "pidwatch.h"

int
lfs_pidfd_exited(int pidfd)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	return poll(&p, 1, 0) > 0;
}

static void
kick(struct lfs_pidwatch *w)
{
	uint64_t one = 1;

	/* an eventfd write fails only when the counter would overflow,
	 * and then the thread is woken anyway */
	if (write(w->efd, &one, sizeof(one)) < 0)
		return;
}

/* Remove entry i (lock held); its descriptor is closed. */
static void
drop_locked(struct lfs_pidwatch *w, int i)
{
	close(w->ents[i].fd);
	w->ents[i] = w->ents[--w->n];
}

static void *
pidwatch_main(void *arg)
{
	struct lfs_pidwatch *w = arg;
	struct lfs_pidwatch_ent fired;
	struct pollfd *p = NULL, *grown;
	uint64_t *tok = NULL, *tgrown, drain;
	int n, i, j, cap = 0;

	while (!atomic_load(&w->stop)) {
		pthread_mutex_lock(&w->lock);
		n = w->n;
		if (n + 1 > cap) {
			grown = realloc(p, (size_t)(n + 1) * sizeof(*p));
			if (grown != NULL)
				p = grown;
			tgrown = realloc(tok, (size_t)(n + 1) * sizeof(*tok));
			if (tgrown != NULL)
				tok = tgrown;
			if (grown != NULL && tgrown != NULL)
				cap = n + 1;
		}
		if (n + 1 > cap)
			n = cap > 0 ? cap - 1 : 0; /* out of memory: watch fewer */
		if (p == NULL || tok == NULL) {
			pthread_mutex_unlock(&w->lock);
			usleep(100000); /* no memory at all; try again */
			continue;
		}
		p[0].fd = w->efd;
		p[0].events = POLLIN;
		for (i = 0; i < n; i++) {
			p[i + 1].fd = w->ents[i].fd;
			p[i + 1].events = POLLIN;
			tok[i] = w->ents[i].token;
		}
		pthread_mutex_unlock(&w->lock);
		/* a descriptor closed by remove while we poll is one we no
		 * longer care about; its number may be reused meanwhile, so
		 * what fires is matched by token below, not by descriptor */
		if (poll(p, (nfds_t)n + 1, -1) < 0)
			continue; /* EINTR */
		if (p[0].revents & POLLIN) {
			if (read(w->efd, &drain, sizeof(drain)) < 0)
				drain = 0;
		}
		for (i = 0; i < n; i++) {
			if (p[i + 1].revents == 0)
				continue;
			pthread_mutex_lock(&w->lock);
			for (j = 0; j < w->n && w->ents[j].token != tok[i]; j++)
				;
			if (j == w->n || !lfs_pidfd_exited(w->ents[j].fd)) {
				pthread_mutex_unlock(&w->lock);
				continue; /* removed meanwhile, or POLLNVAL */
			}
			fired = w->ents[j];
			drop_locked(w, j);
			pthread_mutex_unlock(&w->lock);
			w->fn(w->arg, fired.key, fired.token);
		}
	}
	free(p);
	free(tok);
	return NULL;
}

int
lfs_pidwatch_start(struct lfs_pidwatch *w, lfs_pid_exit_fn fn, void *arg)
{
	int r;

	w->fn = fn;
	w->arg = arg;
	w->ents = NULL;
	w->n = w->cap = 0;
	w->next_token = 1;
	w->started = 0;
	atomic_store(&w->stop, false);
	if ((w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
		return -errno;
	pthread_mutex_init(&w->lock, NULL);
	if ((r = pthread_create(&w->thread, NULL, pidwatch_main, w)) != 0) {
		close(w->efd);
		w->efd = -1;
		pthread_mutex_destroy(&w->lock);
		return -r;
	}
	w->started = 1;
	return 0;
}

int64_t
lfs_pidwatch_add(struct lfs_pidwatch *w, int pidfd, void *key)
{
	struct lfs_pidwatch_ent *grown;
	uint64_t token;
	int fd;

	if (!w->started)
		return -ENOTCONN;
	if ((fd = fcntl(pidfd, F_DUPFD_CLOEXEC, 0)) < 0)
		return -errno;
	pthread_mutex_lock(&w->lock);
	if (w->n == w->cap) {
		grown = realloc(w->ents, (size_t)(w->cap ? 2 * w->cap : 16) *
		    sizeof(*grown));
		if (grown == NULL) {
			pthread_mutex_unlock(&w->lock);
			close(fd);
			return -ENOMEM;
		}
		w->ents = grown;
		w->cap = w->cap ? 2 * w->cap : 16;
	}
	token = w->next_token++;
	w->ents[w->n].fd = fd;
	w->ents[w->n].key = key;
	w->ents[w->n].token = token;
	w->n++;
	pthread_mutex_unlock(&w->lock);
	kick(w);
	return (int64_t)token;
}

void
lfs_pidwatch_remove(struct lfs_pidwatch *w, uint64_t token)
{
	int i;

	if (!w->started || token == 0)
		return;
	pthread_mutex_lock(&w->lock);
	for (i = 0; i < w->n; i++)
		if (w->ents[i].token == token) {
			drop_locked(w, i);
			break;
		}
	pthread_mutex_unlock(&w->lock);
	kick(w);
}

void
lfs_pidwatch_stop(struct lfs_pidwatch *w)
{
	if (!w->started)
		return;
	atomic_store(&w->stop, true);
	kick(w);
	pthread_join(w->thread, NULL);
	w->started = 0;
	while (w->n > 0)
		drop_locked(w, 0);
	free(w->ents);
	w->ents = NULL;
	close(w->efd);
	w->efd = -1;
	pthread_mutex_destroy(&w->lock);
}
