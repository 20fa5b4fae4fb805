/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lfs-host.c - one test "host" on the core library, with no FUSE: joins a
 * lockspace and does one job, so that scripts can race several hosts on one
 * shared device.
 *
 *   lfs-host DEVICE HOST_ID join
 *       join, print "joined GEN", keep the id for two renewals, leave.
 *   lfs-host DEVICE HOST_ID create LEASE
 *   lfs-host DEVICE HOST_ID race LEASE COUNT CHECKFILE
 *       acquire and release LEASE COUNT times, retrying while busy; while
 *       holding, claim CHECKFILE (see below).  Exit 3 on a violation.
 *   lfs-host DEVICE HOST_ID hold LEASE RENEWLOG
 *       acquire LEASE (waiting while busy), print "acquired LVER", then keep
 *       renewing forever, appending the submit time of each good renewal
 *       (CLOCK_BOOTTIME ms) to RENEWLOG.
 *   lfs-host DEVICE HOST_ID take LEASE
 *       wait until LEASE can be acquired, print "acquired LVER AT_MS".
 *
 * The checker is independent of leasefs: CHECKFILE holds the id of the host
 * that believes it holds the lease, or 0; it is read and written under
 * flock(2), which serializes the check, not the lease.  A holder that finds
 * another id there has found two owners at once.
 *
 * Environment: LFS_IDENTITY (a uuid; default: random), LFS_NAME (host name).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "delta.h"
#include "leases.h"
#include "paxos.h"

struct host {
	struct lfs_lockspace ls;
	struct lfs_io ops;           /* lease operations, main thread */
	struct lfs_io renew_io;      /* renewal thread */
	struct lfs_logger log;
	pthread_t renewer;
	atomic_bool stop;
	FILE *renew_log;             /* may be NULL */
};

/* Sleep ms, in short steps, until h->stop: leaving need not wait for a
 * whole renewal interval.  Returns false when stopped. */
static bool
renew_sleep(struct host *h, uint64_t ms)
{
	while (ms > 0 && !atomic_load(&h->stop)) {
		unsigned n = ms < 50 ? (unsigned)ms : 50;

		lfs_sleep_ms(n);
		ms -= n;
	}
	return !atomic_load(&h->stop);
}

static void *
renew_main(void *arg)
{
	struct host *h = arg;
	int rv;

	while (!atomic_load(&h->stop)) {
		/* due renewal_interval after the last good one was submitted;
		 * the first is due at once, as the join wrote long ago */
		uint64_t since = lfs_delta_since_renewal_ms(&h->ls);

		if (since < h->ls.to.renewal_interval_ms &&
		    !renew_sleep(h, h->ls.to.renewal_interval_ms - since))
			break;
		rv = lfs_delta_renew(&h->ls, &h->renew_io);
		if (rv < 0) {
			fprintf(stderr, "lfs-host %u: renewal failed: %s\n",
			    h->ls.host_id, strerror(-rv));
			renew_sleep(h, h->ls.to.io_timeout_ms / 4);
			continue;
		}
		if (h->renew_log != NULL) {
			fprintf(h->renew_log, "%llu\n",
			    (unsigned long long)h->ls.renewed_ms);
			fflush(h->renew_log);
		}
	}
	return NULL;
}

static int
host_join(struct host *h, const char *dev, uint32_t id)
{
	struct lfs_join_params p = { .host_id = id };
	const char *ident = getenv("LFS_IDENTITY");
	char name[32];
	int rv;

	h->log = (struct lfs_logger){ lfs_log_stderr, "lfs-host",
	    getenv("LFS_DEBUG") ? LOG_DEBUG : LOG_WARNING };
	if ((rv = lfs_lockspace_open(&h->ls, dev, &h->log)) < 0)
		return rv;
	if ((rv = lfs_io_init(&h->ops, &h->ls.disk, h->ls.to.io_timeout_ms,
	    NULL, &h->log)) < 0)
		return rv;
	if ((rv = lfs_io_init(&h->renew_io, &h->ls.disk, h->ls.to.io_timeout_ms,
	    NULL, &h->log)) < 0)
		return rv;
	if (ident == NULL || uuid_parse(ident, p.identity) < 0)
		uuid_generate(p.identity);
	snprintf(name, sizeof(name), "host%u", id);
	p.host_name = getenv("LFS_NAME") ? getenv("LFS_NAME") : name;
	if ((rv = lfs_delta_join(&h->ls, &h->ops, &p)) < 0)
		return rv;
	if (h->renew_log != NULL) {
		/* the join write counts as the first renewal */
		fprintf(h->renew_log, "%llu\n",
		    (unsigned long long)h->ls.renewed_ms);
		fflush(h->renew_log);
	}
	atomic_init(&h->stop, false);
	return -pthread_create(&h->renewer, NULL, renew_main, h);
}

static void
host_leave(struct host *h)
{
	atomic_store(&h->stop, true);
	pthread_join(h->renewer, NULL);
	lfs_delta_leave(&h->ls, &h->ops);
	lfs_io_destroy(&h->renew_io);
	lfs_io_destroy(&h->ops);
	lfs_lockspace_close(&h->ls);
}

/* Replace the id in the check file: expect `from`, write `to`.  Returns
 * the id found there. */
static long
check_swap(const char *path, long from, long to)
{
	char buf[32] = "";
	long found;
	int fd;

	fd = open(path, O_RDWR | O_CREAT, 0644);
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		perror(path);
		exit(1);
	}
	if (read(fd, buf, sizeof(buf) - 1) < 0)
		buf[0] = '\0';
	found = strtol(buf, NULL, 10);
	if (found == from) {
		int n = snprintf(buf, sizeof(buf), "%ld\n", to);

		if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) != n) {
			perror(path);
			exit(1);
		}
	}
	close(fd);
	return found;
}

/* Acquire, retrying while busy; 0 and *ld, or an error other than busy. */
static int
acquire_wait(struct host *h, const struct lfs_lease_entry *e,
    struct lfs_leader *ld, unsigned pause_ms)
{
	int rv;

	for (;;) {
		rv = lfs_paxos_acquire(&h->ls, &h->ops, &e->ref, e->name, ld);
		if (rv == -EALREADY)
			return 0; /* an earlier ballot of ours was chosen */
		if (rv != -EBUSY && rv != -EAGAIN)
			return rv;
		lfs_sleep_ms(pause_ms + (unsigned)(rand() % (int)(pause_ms + 1)));
	}
}

static int
do_race(struct host *h, const struct lfs_lease_entry *e, long count,
    const char *checkfile)
{
	struct lfs_leader ld;
	long i, found;
	int rv;

	for (i = 0; i < count; i++) {
		if ((rv = acquire_wait(h, e, &ld, 1)) < 0)
			return rv;
		found = check_swap(checkfile, 0, h->ls.host_id);
		if (found != 0) {
			printf("VIOLATION: host %u acquired lver %llu while host "
			    "%ld held it\n", h->ls.host_id,
			    (unsigned long long)ld.lver, found);
			return -EDEADLK;
		}
		found = check_swap(checkfile, h->ls.host_id, 0);
		if (found != h->ls.host_id) {
			printf("VIOLATION: host %u found %ld in the check file "
			    "while holding\n", h->ls.host_id, found);
			return -EDEADLK;
		}
		if ((rv = lfs_paxos_release(&h->ls, &h->ops, &e->ref, &ld)) < 0) {
			fprintf(stderr, "host %u: release of lver %llu: %s\n",
			    h->ls.host_id, (unsigned long long)ld.lver,
			    strerror(-rv));
			return rv;
		}
	}
	printf("host %u: %ld acquisitions\n", h->ls.host_id, count);
	return 0;
}

static int
lookup(struct host *h, const char *name, struct lfs_lease_entry *e)
{
	int rv = lfs_leases_lookup(&h->ls, &h->ops, name, e);

	if (rv == -ENOENT)
		rv = lfs_leases_create(&h->ls, &h->ops, name, e);
	if (rv == -EEXIST)
		rv = lfs_leases_lookup(&h->ls, &h->ops, name, e);
	return rv;
}

static int
run(struct host *h, int argc, char **argv)
{
	struct lfs_lease_entry e;
	struct lfs_leader ld;
	const char *cmd = argv[3];
	int rv;

	if (strcmp(cmd, "join") == 0) {
		printf("joined %llu\n", (unsigned long long)h->ls.generation);
		/* keep the id for two renewals: a racer that lost must see it
		 * renewed, and say busy, rather than join after we left */
		lfs_sleep_ms(2 * h->ls.to.renewal_interval_ms + 1000);
		return 0;
	}
	if (argc < 5)
		return -EINVAL;
	if ((rv = lookup(h, argv[4], &e)) < 0)
		return rv;
	if (strcmp(cmd, "create") == 0)
		return 0;
	if (strcmp(cmd, "race") == 0 && argc == 7)
		return do_race(h, &e, strtol(argv[5], NULL, 10), argv[6]);
	if ((strcmp(cmd, "hold") == 0 && argc == 6) || strcmp(cmd, "take") == 0) {
		if ((rv = acquire_wait(h, &e, &ld, 50)) < 0)
			return rv;
		printf("acquired %llu %llu\n", (unsigned long long)ld.lver,
		    (unsigned long long)lfs_now_ms());
		fflush(stdout);
		if (strcmp(cmd, "take") == 0)
			return lfs_paxos_release(&h->ls, &h->ops, &e.ref, &ld);
		for (;;)
			pause(); /* renewals go on until we are killed */
	}
	return -EINVAL;
}

int
main(int argc, char **argv)
{
	struct host h;
	int rv;

	if (argc < 4) {
		fprintf(stderr, "usage: lfs-host DEVICE HOST_ID join|create|race|"
		    "hold|take ...\n");
		return 2;
	}
	memset(&h, 0, sizeof(h));
	srand((unsigned)getpid());
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(argv[3], "hold") == 0 && argc == 6)
		h.renew_log = fopen(argv[5], "a");
	rv = host_join(&h, argv[1], (uint32_t)strtoul(argv[2], NULL, 10));
	if (rv < 0) {
		fprintf(stderr, "lfs-host %s: join failed: %s\n", argv[2],
		    strerror(-rv));
		lfs_io_destroy(&h.renew_io);
		lfs_io_destroy(&h.ops);
		lfs_lockspace_close(&h.ls);
		return rv == -EAGAIN || rv == -EBUSY ? 4 : 1;
	}
	rv = run(&h, argc, argv);
	host_leave(&h);
	if (rv < 0)
		fprintf(stderr, "lfs-host %s %s: %s\n", argv[2], argv[3],
		    strerror(-rv));
	return rv == -EDEADLK ? 3 : rv < 0 ? 1 : 0;
}
