/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ioset.c - a host's lease I/O contexts, one per partition of the slots
 * (ioset.h).
 */
#include <errno.h>

#include "ioset.h"

int
lfs_ioset_init(struct lfs_ioset *set, struct lfs_disk *disk, uint32_t n,
    uint32_t timeout_ms, const struct lfs_io_syscalls *const *sys,
    const struct lfs_logger *log)
{
	uint32_t i;
	int rv;

	if (n == 0 || n > LFS_IOSET_MAX)
		return -EINVAL;
	atomic_init(&set->abandoned, 0);
	for (i = 0; i < n; i++) {
		rv = lfs_io_init(&set->io[i], disk, timeout_ms,
		    sys != NULL ? sys[i] : NULL, log);
		if (rv < 0) {
			while (i-- > 0) {
				lfs_io_destroy(&set->io[i]);
				pthread_mutex_destroy(&set->lock[i]);
			}
			return rv;
		}
		lfs_io_set_group(&set->io[i], &set->abandoned);
		pthread_mutex_init(&set->lock[i], NULL);
	}
	set->n = n;
	return 0;
}

void
lfs_ioset_destroy(struct lfs_ioset *set)
{
	uint32_t i;

	for (i = 0; i < set->n; i++) {
		lfs_io_destroy(&set->io[i]);
		pthread_mutex_destroy(&set->lock[i]);
	}
	set->n = 0;
}

struct lfs_io *
lfs_ioset_lock(struct lfs_ioset *set, uint32_t slot)
{
	uint32_t i = slot % set->n;

	pthread_mutex_lock(&set->lock[i]);
	return &set->io[i];
}

void
lfs_ioset_unlock(struct lfs_ioset *set, uint32_t slot)
{
	pthread_mutex_unlock(&set->lock[slot % set->n]);
}

uint32_t
lfs_ioset_index(const struct lfs_ioset *set, uint32_t slot)
{
	return slot % set->n;
}

uint32_t
lfs_ioset_reap_idle(struct lfs_ioset *set)
{
	uint32_t i;

	for (i = 0; i < set->n && atomic_load(&set->abandoned) > 0; i++) {
		if (pthread_mutex_trylock(&set->lock[i]) != 0)
			continue;
		(void)lfs_io_reap(&set->io[i]);
		pthread_mutex_unlock(&set->lock[i]);
	}
	return atomic_load(&set->abandoned);
}
