/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lfs-joiner.c - many idle hosts in one process, for the scaling figures
 * of bench/run: each joins the lockspace, renews its host id, holds no
 * lease, and leaves cleanly at the end.
 *
 *   lfs-joiner DEVICE FIRST_ID COUNT [batch]
 *
 * Joins host ids FIRST_ID .. FIRST_ID + COUNT - 1, one thread each (joins
 * run in parallel: each waits join_delay), prints "joined COUNT" once all
 * have joined (or "failed K" and exits 1 if any failed), then renews every
 * renewal_interval until SIGTERM or SIGINT, and leaves.
 *
 * batch (for thousands of ids, on a fresh bench device): the ids are
 * claimed with one write of their contiguous sectors (generation 1, as a
 * first join leaves them; no join protocol: nobody else is using them),
 * and main renews them all in one write each renewal_interval (the ids are
 * one process's, so each sector still has one writer).  These renewals do
 * not read first, so they would not notice a takeover of an id: a bench
 * device has no other user.  2,000 idle hosts then cost one 1 MiB write
 * every 2 io instead of 2,000 joins' full reads and ~1,000 reads and
 * writes a second, which on one machine would measure its disk, not the
 * host under test.
 *
 * Unlike tests/tools/lfs-host, a host here uses one I/O context for its
 * join, renewals and leave, all from its own thread.  The signals are
 * blocked in every thread and taken by main with sigtimedwait(2), so there
 * is no signal handler at all.
 *
 * Built with the core library (the rule is at the end of the Makefile).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "delta.h"

#define STOP_CHECK_MS 100u       /* how often a sleeping host looks at stop */

struct joiner {
	uint32_t id;
	struct lfs_lockspace ls;
	struct lfs_io io;
	int opened, io_ready;
	atomic_int *joined, *failed;
	atomic_bool *stop;
	struct lfs_logger log;
};

static void
sleep_ms(uint32_t ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int
should_stop(void *arg)
{
	return atomic_load((atomic_bool *)arg);
}

/* Sleep ms in slices, returning early once stop is set. */
static void
nap(struct joiner *j, uint64_t ms)
{
	while (ms > 0 && !atomic_load(j->stop)) {
		uint32_t slice = ms < STOP_CHECK_MS ? (uint32_t)ms : STOP_CHECK_MS;

		sleep_ms(slice);
		ms -= slice;
	}
}

static int
join_one(struct joiner *j, const char *dev)
{
	struct lfs_join_params p = { .host_id = j->id,
	    .should_stop = should_stop, .arg = j->stop };
	char name[32];
	int rv;

	if ((rv = lfs_lockspace_open(&j->ls, dev, &j->log)) < 0)
		return rv;
	j->opened = 1;
	if ((rv = lfs_io_init(&j->io, &j->ls.disk, j->ls.to.io_timeout_ms,
	    NULL, &j->log)) < 0)
		return rv;
	j->io_ready = 1;
	uuid_generate(p.identity);
	snprintf(name, sizeof(name), "idle%u", j->id);
	p.host_name = name;
	return lfs_delta_join(&j->ls, &j->io, &p);
}

static const char *device;
static int batch;

static void *
host_main(void *arg)
{
	struct joiner *j = arg;
	int rv;

	rv = join_one(j, device);
	if (rv < 0) {
		fprintf(stderr, "lfs-joiner: host %u: join: %s\n", j->id,
		    strerror(-rv));
		atomic_fetch_add(j->failed, 1);
		return NULL;
	}
	atomic_fetch_add(j->joined, 1);
	while (!atomic_load(j->stop)) {
		uint64_t since = lfs_delta_since_renewal_ms(&j->ls);

		if (since < j->ls.to.renewal_interval_ms) {
			nap(j, j->ls.to.renewal_interval_ms - since);
			continue;
		}
		if ((rv = lfs_delta_renew(&j->ls, &j->io)) < 0) {
			fprintf(stderr, "lfs-joiner: host %u: renewal: %s\n",
			    j->id, strerror(-rv));
			nap(j, j->ls.to.io_timeout_ms / 4);
		}
	}
	if ((rv = lfs_delta_leave(&j->ls, &j->io)) < 0)
		fprintf(stderr, "lfs-joiner: host %u: leave: %s\n", j->id,
		    strerror(-rv));
	return NULL;
}

/* Batch mode: write the records of js[0 .. count) (contiguous ids) in
 * one write through io, each with the next timestamp and flags. */
static int
batch_write(struct joiner *js, int count, struct lfs_io *io, uint32_t flags)
{
	uint32_t S = js[0].ls.layout.sector_size;
	unsigned char *buf;
	int i, rv = 0;

	if ((buf = calloc((size_t)count, S)) == NULL)
		return -ENOMEM;
	for (i = 0; i < count && rv == 0; i++) {
		struct lfs_lockspace *ls = &js[i].ls;
		struct lfs_host rec = { .host_id = ls->host_id, .flags = flags,
		    .generation = ls->generation, .timestamp = ++ls->renew_count,
		    .wall_time = (uint64_t)time(NULL),
		    .io_timeout_ms = ls->to.io_timeout_ms };

		uuid_copy(rec.identity, ls->identity);
		snprintf(rec.name, sizeof(rec.name), "%s", ls->host_name);
		/* no presence bit (core/paxos.h invariant 4a): these ids never
		 * write a dblock, as a joined host that runs nothing; without a
		 * presence record, ballots would read their dblocks as those
		 * of an older binary */
		struct lfs_presence none = { .host_id = ls->host_id };

		rv = lfs_host_encode(&rec, buf + (size_t)i * S, S);
		if (rv == 0)
			rv = lfs_presence_encode(&none, buf + (size_t)i * S, S);
	}
	if (rv == 0)
		rv = lfs_io_write(io, lfs_host_sector(&js[0].ls.layout,
		    js[0].id) * S, buf, (size_t)count * S);
	free(buf);
	return rv;
}

/* Batch mode: the ids' lockspace fields, from one open of the device
 * (js[0].ls stays open for its geometry and timeouts). */
static int
batch_claim(struct joiner *js, int count)
{
	int i, rv;

	if ((rv = lfs_lockspace_open(&js[0].ls, device, &js[0].log)) < 0) {
		fprintf(stderr, "lfs-joiner: %s: %s\n", device, strerror(-rv));
		return rv;
	}
	js[0].opened = 1;
	if (js[0].id < 1 || js[0].id + (uint32_t)count - 1 >
	    js[0].ls.layout.max_hosts) {
		fprintf(stderr, "lfs-joiner: ids out of range\n");
		return -EINVAL;
	}
	for (i = 0; i < count; i++) {
		struct lfs_lockspace *ls = &js[i].ls;

		if (i > 0) {
			ls->layout = js[0].ls.layout;
			ls->to = js[0].ls.to;
		}
		ls->host_id = js[i].id;
		ls->generation = 1;
		ls->renew_count = 0;
		uuid_generate(ls->identity);
		snprintf(ls->host_name, sizeof(ls->host_name), "idle%u", js[i].id);
	}
	return 0;
}

/* Batch mode: renew every id each renewal_interval until a signal, then
 * leave them all (FREE). */
static void
batch_renew(struct joiner *js, int count, const sigset_t *sigs)
{
	struct timespec slice;
	uint32_t interval = js[0].ls.to.renewal_interval_ms;
	struct lfs_disk disk;
	struct lfs_io io;
	int rv;

	slice.tv_sec = interval / 1000;
	slice.tv_nsec = (long)(interval % 1000) * 1000000L;
	if ((rv = lfs_disk_open(&disk, device)) < 0 ||
	    (rv = lfs_io_init(&io, &disk, js[0].ls.to.io_timeout_ms, NULL,
	    &js[0].log)) < 0) {
		fprintf(stderr, "lfs-joiner: io: %s\n", strerror(-rv));
		return;
	}
	for (int first = 1;; first = 0) {
		if ((rv = batch_write(js, count, &io, LFS_HOST_LIVE)) < 0)
			fprintf(stderr, "lfs-joiner: renewal: %s\n", strerror(-rv));
		if (first) {
			printf(rv == 0 ? "joined %d\n" : "failed %d\n", count);
			fflush(stdout);
		}
		if (sigtimedwait(sigs, NULL, &slice) > 0)
			break;
	}
	if ((rv = batch_write(js, count, &io, LFS_HOST_FREE)) < 0)
		fprintf(stderr, "lfs-joiner: leave: %s\n", strerror(-rv));
	lfs_io_destroy(&io);
	lfs_disk_close(&disk);
}

/* Wait for every join to end, taking a stop signal meanwhile. */
static void
wait_joins(const sigset_t *sigs, atomic_int *joined, atomic_int *failed,
    int count, atomic_bool *stop)
{
	struct timespec slice = { 0, (long)STOP_CHECK_MS * 1000000L };

	while (atomic_load(joined) + atomic_load(failed) < count) {
		if (sigtimedwait(sigs, NULL, &slice) > 0)
			atomic_store(stop, true);
	}
}

int
main(int argc, char **argv)
{
	atomic_int joined = 0, failed = 0;
	atomic_bool stop = false;
	struct joiner *js;
	pthread_t *th;
	sigset_t sigs;
	int count, i, sig, started = 0, running;

	if ((argc != 4 && !(argc == 5 && strcmp(argv[4], "batch") == 0)) ||
	    (count = atoi(argv[3])) <= 0) {
		fputs("usage: lfs-joiner DEVICE FIRST_ID COUNT [batch]\n", stderr);
		return 2;
	}
	device = argv[1];
	batch = argc == 5;
	js = calloc((size_t)count, sizeof(*js));
	th = calloc((size_t)count, sizeof(*th));
	if (js == NULL || th == NULL)
		return 1;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL); /* inherited by the threads */
	for (i = 0; i < count; i++) {
		js[i] = (struct joiner){ .id = (uint32_t)(atoi(argv[2]) + i),
		    .joined = &joined, .failed = &failed, .stop = &stop,
		    .log = { lfs_log_stderr, "lfs-joiner", LOG_WARNING } };
		if (batch)
			continue;
		if (pthread_create(&th[i], NULL, host_main, &js[i]) != 0)
			break;
		started++;
	}
	if (batch) {
		started = batch_claim(js, count) == 0 ? count : 0;
		atomic_store(&joined, started);
		atomic_store(&failed, count - started);
	}
	wait_joins(&sigs, &joined, &failed, started, &stop);
	if (batch && started == count)
		; /* batch_renew() says so once its first write has landed */
	else if (started == count && atomic_load(&failed) == 0)
		printf("joined %d\n", count);
	else
		printf("failed %d\n", count - atomic_load(&joined));
	fflush(stdout);
	running = started;
	if (batch && started == count) {
		running = 0; /* no threads */
		if (!atomic_load(&stop))
			batch_renew(js, count, &sigs);
	} else if (started == count && atomic_load(&failed) == 0 &&
	    !atomic_load(&stop))
		while (sigwait(&sigs, &sig) != 0)
			;
	atomic_store(&stop, true);
	for (i = 0; i < count; i++) {
		if (i < running)
			pthread_join(th[i], NULL);
		if (js[i].io_ready)
			lfs_io_destroy(&js[i].io);
		if (js[i].opened)
			lfs_lockspace_close(&js[i].ls);
	}
	free(th);
	free(js);
	return atomic_load(&failed) == 0 && started == count ? 0 : 1;
}
