/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lockspace.c - formatting, opening, and the host view (see lockspace.h).
 *
 * Sections:
 *   1. format
 *   2. open / close
 *   3. host view: refresh from disk, liveness judgement
 */
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crc32c.h"
#include "lockspace.h"
#include "names.h"

/* ---- 1. format ---- */

/* Make a regular file at path at least size bytes long (sparse).  Block
 * devices and existing large-enough files are left as they are. */
static int
prepare_file(const char *path, uint64_t size)
{
	struct stat st;
	int fd, rv = 0;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		rv = -errno;
	else if (S_ISREG(st.st_mode) && size > (uint64_t)st.st_size &&
	    ftruncate(fd, (off_t)size) < 0)
		rv = -errno;
	close(fd);
	return rv;
}

/* -EEXIST when sector 0 holds a leasefs header of any version or state. */
static int
check_not_formatted(struct lfs_io *io, uint32_t sector_size)
{
	struct lfs_header h;
	unsigned char *buf;
	int rv;

	buf = malloc(sector_size);
	if (buf == NULL)
		return -ENOMEM;
	rv = lfs_io_read(io, 0, buf, sector_size);
	if (rv == 0) {
		rv = lfs_header_decode(&h, buf, sector_size);
		/* a header we can parse, or ours but damaged or newer */
		rv = (rv == 0 || rv == -EPROTO || rv == -EBADE ||
		    rv == -ERANGE) ? -EEXIST : 0;
	}
	free(buf);
	return rv;
}

/* Write zeroes over [first, first + count) sectors, 1 MiB at a time. */
static int
zero_sectors(struct lfs_io *io, const struct lfs_layout *l, uint64_t first,
    uint64_t count)
{
	const uint64_t chunk = (1u << 20) / l->sector_size;
	void *zero;
	int rv = 0;

	zero = calloc(1, 1u << 20);
	if (zero == NULL)
		return -ENOMEM;
	while (count > 0 && rv == 0) {
		uint64_t n = count < chunk ? count : chunk;

		rv = lfs_io_write(io, first * l->sector_size, zero,
		    n * l->sector_size);
		first += n;
		count -= n;
	}
	free(zero);
	return rv;
}

/* The table lease (slot 0): a free leader and empty dblocks. */
static int
write_table_slot(struct lfs_io *io, const struct lfs_layout *l)
{
	struct lfs_leader ld = { .flags = 0 };
	unsigned char *buf;
	int rv;

	rv = zero_sectors(io, l, lfs_slot_sector(l, 0), l->slot_sectors);
	if (rv < 0)
		return rv;
	buf = calloc(1, l->sector_size);
	if (buf == NULL)
		return -ENOMEM;
	strcpy(ld.name, "_table");
	ld.wall_time = (uint64_t)time(NULL);
	rv = lfs_leader_encode(&ld, buf, l->sector_size);
	if (rv == 0)
		rv = lfs_io_write(io, lfs_slot_sector(l, 0) * l->sector_size,
		    buf, l->sector_size);
	free(buf);
	return rv;
}

static int
format_params_check(const struct lfs_format_params *p, uint32_t dev_sector,
    struct lfs_header *h)
{
	int rv;

	if (lfs_name_check(p->name) < 0)
		return -EINVAL;
	memset(h, 0, sizeof(*h));
	strcpy(h->name, p->name);
	uuid_generate(h->uuid);
	h->sector_size = p->sector_size ? p->sector_size :
	    (dev_sector ? dev_sector : 512);
	if (dev_sector > h->sector_size)
		return -EINVAL; /* cannot do 512-byte I/O on a 4K device */
	h->max_hosts = p->max_hosts ? p->max_hosts : LFS_DEFAULT_MAX_HOSTS;
	h->lease_capacity = p->lease_capacity ? p->lease_capacity :
	    LFS_DEFAULT_LEASES;
	rv = lfs_timeouts_from_io(p->io_timeout_ms ? p->io_timeout_ms :
	    LFS_IO_TIMEOUT_DEFAULT_MS, &h->timeouts);
	h->format_time = (uint64_t)time(NULL);
	return rv;
}

/* Order matters: the header is zeroed first and written last, so a device
 * whose format was interrupted is never taken for a lockspace. */
static int
format_write(struct lfs_io *io, const struct lfs_header *h,
    const struct lfs_layout *l)
{
	unsigned char *buf;
	int rv;

	rv = zero_sectors(io, l, 0, l->lease_area);
	if (rv == 0)
		rv = write_table_slot(io, l);
	if (rv < 0)
		return rv;
	buf = calloc(1, l->sector_size);
	if (buf == NULL)
		return -ENOMEM;
	rv = lfs_header_encode(h, buf, l->sector_size);
	if (rv == 0)
		rv = lfs_io_write(io, 0, buf, l->sector_size);
	free(buf);
	return rv;
}

int
lfs_format(const char *path, const struct lfs_format_params *p,
    const struct lfs_logger *log)
{
	struct lfs_header h;
	struct lfs_layout l;
	struct lfs_disk disk;
	struct lfs_io io;
	int rv;

	/* every failure is logged here, once: the caller adds nothing */
	if ((p->file_size > 0 && (rv = prepare_file(path, p->file_size)) < 0) ||
	    (rv = lfs_disk_open(&disk, path)) < 0) {
		lfs_log(log, LOG_ERR, "%s: %s", path, strerror(-rv));
		return rv;
	}
	rv = format_params_check(p, disk.sector_size, &h);
	if (rv == 0)
		rv = lfs_layout_init(&l, h.sector_size, h.max_hosts,
		    h.lease_capacity);
	if (rv < 0 && p->sector_size != 0 && disk.sector_size > p->sector_size)
		lfs_log(log, LOG_ERR, "%s: sector size %u is below the device's "
		    "(%u): Invalid argument", path, p->sector_size,
		    disk.sector_size);
	else if (rv < 0)
		lfs_log(log, LOG_ERR, "%s: bad parameters: %s", path,
		    strerror(-rv));
	if (rv < 0)
		goto out_disk;
	if (lfs_layout_bytes(&l) > disk.size) {
		lfs_log(log, LOG_ERR, "%s: device too small: the lockspace "
		    "needs %llu bytes, the device has %llu",
		    path, (unsigned long long)lfs_layout_bytes(&l),
		    (unsigned long long)disk.size);
		rv = -ENOSPC;
		goto out_disk;
	}
	/* Formatting is offline and writes megabytes at a time: it gets the
	 * default io_timeout even when the lockspace's own is shorter. */
	if ((rv = lfs_io_init(&io, &disk, h.timeouts.io_timeout_ms >
	    LFS_IO_TIMEOUT_DEFAULT_MS ? h.timeouts.io_timeout_ms :
	    LFS_IO_TIMEOUT_DEFAULT_MS, NULL, log)) < 0)
		goto out_disk;
	if (!p->force && (rv = check_not_formatted(&io, h.sector_size)) < 0) {
		if (rv == -EEXIST)
			lfs_log(log, LOG_ERR, "%s: already holds a lockspace "
			    "(use --force)", path);
		else
			lfs_log(log, LOG_ERR, "%s: reading: %s", path,
			    strerror(-rv));
		goto out_io;
	}
	rv = format_write(&io, &h, &l);
	if (rv < 0)
		lfs_log(log, LOG_ERR, "%s: writing: %s", path, strerror(-rv));
	else
		lfs_log(log, LOG_NOTICE, "formatted %s: lockspace %s, %u hosts, "
		    "%u leases, %u-byte sectors, io_timeout %u ms", path, h.name,
		    h.max_hosts, h.lease_capacity, h.sector_size,
		    h.timeouts.io_timeout_ms);
out_io:
	lfs_io_destroy(&io);
out_disk:
	lfs_disk_close(&disk);
	return rv;
}

/* ---- 2. open / close ---- */

static int
read_header(struct lfs_lockspace *ls)
{
	struct lfs_io io;
	uint32_t len = ls->disk.sector_size ? ls->disk.sector_size : 4096;
	unsigned char *buf;
	int rv;

	if (ls->disk.size < len)
		len = 512;
	if (ls->disk.size < len)
		return -EBADMSG; /* too small to hold a header */
	rv = lfs_io_init(&io, &ls->disk, LFS_IO_TIMEOUT_DEFAULT_MS, NULL, ls->log);
	if (rv < 0)
		return rv;
	buf = calloc(1, len);
	rv = buf == NULL ? -ENOMEM : lfs_io_read(&io, 0, buf, len);
	if (rv == 0)
		rv = lfs_header_decode(&ls->header, buf, len);
	free(buf);
	lfs_io_destroy(&io);
	return rv;
}

int
lfs_lockspace_open(struct lfs_lockspace *ls, const char *path,
    const struct lfs_logger *log)
{
	int rv;

	memset(ls, 0, sizeof(*ls));
	ls->log = log;
	ls->clock = &lfs_clock_real;
	/* every failure is logged here, once: callers that give a logger
	 * report nothing more */
	if ((rv = lfs_disk_open(&ls->disk, path)) < 0) {
		lfs_log(log, LOG_ERR, "%s: %s", path, strerror(-rv));
		return rv;
	}
	rv = read_header(ls);
	if (rv == -EBADMSG || rv == -ENODATA)
		lfs_log(log, LOG_ERR, "%s: not a leasefs lockspace (%s)", path,
		    rv == -ENODATA ? "the first sector is empty" :
		    "no lockspace header");
	else if (rv < 0)
		lfs_log(log, LOG_ERR, "%s: unusable lockspace header: %s", path,
		    lfs_decode_strerror(rv));
	if (rv < 0)
		goto fail;
	rv = lfs_layout_init(&ls->layout, ls->header.sector_size,
	    ls->header.max_hosts, ls->header.lease_capacity);
	if (rv == 0 && (ls->disk.sector_size > ls->header.sector_size ||
	    lfs_layout_bytes(&ls->layout) > ls->disk.size))
		rv = -ERANGE;
	if (rv < 0) {
		lfs_log(log, LOG_ERR, "%s: lockspace geometry does not fit the "
		    "device", path);
		goto fail;
	}
	ls->to = ls->header.timeouts;
	ls->hosts = calloc(ls->header.max_hosts + 1u, sizeof(*ls->hosts));
	if (ls->hosts == NULL) {
		rv = -ENOMEM;
		lfs_log(log, LOG_ERR, "%s: out of memory", path);
		goto fail;
	}
	pthread_mutex_init(&ls->view_lock, NULL);
	pthread_mutex_init(&ls->host_write_lock, NULL);
	ls->presence_lazy = ls->header.max_hosts > LFS_PRESENCE_LAZY_ABOVE;
	return 0;
fail:
	lfs_disk_close(&ls->disk);
	return rv;
}

void
lfs_lockspace_close(struct lfs_lockspace *ls)
{
	if (ls->names_cache != NULL && ls->names_cache_free != NULL)
		ls->names_cache_free(ls->names_cache);
	ls->names_cache = NULL;
	if (ls->hosts != NULL) {
		pthread_mutex_destroy(&ls->view_lock);
		pthread_mutex_destroy(&ls->host_write_lock);
		free(ls->hosts);
		ls->hosts = NULL;
	}
	lfs_disk_close(&ls->disk);
}

/* ---- 3. host view ---- */

/*
 * Record one host-area sector read by a read that completed at done_ms.
 * The view notes a change at the completion of the read that first shows
 * it: the write it shows was submitted no later than that, which is what
 * makes "unchanged since changed_ms" a safe lower bound on the owner's
 * silence (lockspace.h).  A sector that fails to decode counts as a record
 * too (by its checksum), so garbage is never taken for a free host id.
 */
static void
view_update(struct lfs_lockspace *ls, uint32_t id, const unsigned char *sec,
    uint64_t start_ms, uint64_t done_ms)
{
	struct lfs_host_view *v = &ls->hosts[id];
	uint32_t S = ls->layout.sector_size;
	struct lfs_host rec;
	uint32_t crc;
	int rv;

	rv = lfs_host_decode(&rec, sec, S);
	if (rv == -ENODATA)
		return; /* never written: before the whole-sector crc below */
	crc = lfs_crc32c(sec, S);
	v->read_ms = start_ms;
	if (rv < 0) {
		/* a read that met the owner's write of it reads torn once
		 * (diskio.h); damage reads the same bytes again */
		if (!v->corrupt || v->raw_crc != crc) {
			v->bad_reads = 1;
			lfs_log(ls->log, LOG_NOTICE, "host id %u: bad record "
			    "(%s); a read that met its write, unless the next "
			    "read shows it again", id, lfs_decode_strerror(rv));
		} else if (v->bad_reads == 1) {
			v->bad_reads = 2;
			lfs_log(ls->log, LOG_WARNING, "host id %u: bad record "
			    "(%s), the same on a second read", id,
			    lfs_decode_strerror(rv));
		}
		memset(&rec, 0, sizeof(rec));
		rec.host_id = id;
		rec.flags = LFS_HOST_LIVE;
	}
	if (!v->valid || v->raw_crc != crc)
		v->changed_ms = done_ms;
	v->valid = 1;
	v->corrupt = rv < 0;
	v->raw_crc = crc;
	v->rec = rec;
	/* a presence that does not decode (none: an older writer; torn;
	 * damaged) counts as every bit set: lfs_host_in_bucket_locked() */
	v->presence_known = rv == 0 &&
	    lfs_presence_decode(&v->presence, sec, S) == 0 &&
	    v->presence.host_id == id;
	if (id > ls->high_water)
		ls->high_water = id;
}

/* Apply a read of host ids 1 .. n (n sectors at buf) started at start_ms
 * and completed at done_ms.  Only a full read (n == max_hosts) moves
 * hosts_read_ms: a window read cannot vouch for the ids above it. */
void
lfs_hosts_apply(struct lfs_lockspace *ls, const unsigned char *buf,
    uint32_t n, uint64_t start_ms, uint64_t done_ms)
{
	uint32_t id, S = ls->layout.sector_size;

	if (n > ls->layout.max_hosts)
		n = ls->layout.max_hosts;
	pthread_mutex_lock(&ls->view_lock);
	for (id = 1; id <= n; id++)
		view_update(ls, id, buf + (size_t)(id - 1) * S, start_ms,
		    done_ms);
	if (n == ls->layout.max_hosts)
		ls->hosts_read_ms = start_ms;
	pthread_mutex_unlock(&ls->view_lock);
}

/* The known hosts and at least one id above them, rounded up to 4 KiB
 * (8 sectors of 512 B; one of 4 KiB): hosts that take ids in order, as
 * they mostly do, are seen at the next renewal of every host, at a cost
 * that follows the hosts present (3 of 2,000: 4 KiB, not 1,000 KiB). */
uint32_t
lfs_hosts_window(struct lfs_lockspace *ls)
{
	uint32_t n, per = ls->layout.sector_size < 4096 ?
	    4096 / ls->layout.sector_size : 1;

	pthread_mutex_lock(&ls->view_lock);
	n = ls->high_water;
	pthread_mutex_unlock(&ls->view_lock);
	if (n < ls->host_id)
		n = ls->host_id;
	n = (n + 1 + per - 1) / per * per;
	return n < ls->layout.max_hosts ? n : ls->layout.max_hosts;
}

size_t
lfs_hosts_area_bytes(const struct lfs_lockspace *ls)
{
	return (size_t)ls->layout.max_hosts * ls->layout.sector_size;
}

void
lfs_hosts_pass_on(struct lfs_lockspace *ls, unsigned char *buf, uint32_t n,
    uint64_t start_ms)
{
	if (ls->hosts_taker.take == NULL ||
	    !ls->hosts_taker.take(ls->hosts_taker.arg, buf, n, start_ms))
		free(buf);
}

int
lfs_hosts_refresh(struct lfs_lockspace *ls, struct lfs_io *io)
{
	size_t len = lfs_hosts_area_bytes(ls);
	unsigned char *buf;
	uint64_t start;
	int rv;

	buf = malloc(len);
	if (buf == NULL)
		return -ENOMEM;
	start = lfs_clock_ms(ls->clock);
	rv = lfs_io_read(io, ls->layout.host_area * ls->layout.sector_size,
	    buf, len);
	if (rv == 0) {
		lfs_hosts_apply(ls, buf, ls->layout.max_hosts, start,
		    lfs_clock_ms(ls->clock));
		lfs_hosts_pass_on(ls, buf, ls->layout.max_hosts, start);
	} else
		free(buf);
	return rv;
}

/* A write that failed or timed out may still land: remember when. */
static int
write_done(struct lfs_lockspace *ls, uint64_t submit_ms, int rv)
{
	if (rv == 0)
		return 0;
	pthread_mutex_lock(&ls->view_lock);
	if (submit_ms > ls->uncertain_write_ms)
		ls->uncertain_write_ms = submit_ms;
	pthread_mutex_unlock(&ls->view_lock);
	return rv;
}

int
lfs_lockspace_write(struct lfs_lockspace *ls, struct lfs_io *io,
    uint64_t offset, const void *buf, size_t len)
{
	uint64_t submit_ms = lfs_clock_ms(ls->clock);

	return write_done(ls, submit_ms, lfs_io_write(io, offset, buf, len));
}

struct checked_write {
	struct lfs_lockspace *ls;
	const struct lfs_submit_gate *gate;
	int (*check)(struct lfs_lockspace *ls);
	int refused;             /* the gate or the check said no */
};

/* diskio.h lfs_io_gate: the submit gate, then the check, both right
 * before io_submit. */
static int
checked_enter(void *arg)
{
	struct checked_write *cw = arg;
	const struct lfs_submit_gate *g = cw->gate;
	int rv;

	if (g->take != NULL && (rv = g->take(g->arg)) < 0) {
		lfs_log(cw->ls->log, LOG_ERR, "refusing a %s write: the submit "
		    "gate is closed (this host is being fenced): %s",
		    g == &cw->ls->renew_gate ? "renewal" : "lease",
		    strerror(-rv));
		cw->refused = 1;
		return -EIO;
	}
	if ((rv = cw->check(cw->ls)) < 0) {
		if (g->take != NULL)
			g->drop(g->arg);
		cw->refused = 1;
	}
	return rv;
}

static void
checked_leave(void *arg)
{
	struct checked_write *cw = arg;

	if (cw->gate->take != NULL)
		cw->gate->drop(cw->gate->arg);
}

int
lfs_lockspace_write_gated(struct lfs_lockspace *ls, struct lfs_io *io,
    uint64_t offset, const void *buf, size_t len,
    int (*check)(struct lfs_lockspace *ls), const struct lfs_submit_gate *gate)
{
	struct checked_write cw = { .ls = ls, .gate = gate, .check = check };
	struct lfs_io_gate g = { checked_enter, checked_leave, &cw };
	uint64_t submit_ms = lfs_clock_ms(ls->clock);
	int rv = lfs_io_write_gated(io, offset, buf, len, &g);

	/* refused: nothing was submitted, nothing can land */
	return cw.refused ? rv : write_done(ls, submit_ms, rv);
}

int
lfs_lockspace_write_checked(struct lfs_lockspace *ls, struct lfs_io *io,
    uint64_t offset, const void *buf, size_t len,
    int (*check)(struct lfs_lockspace *ls))
{
	return lfs_lockspace_write_gated(ls, io, offset, buf, len, check,
	    &ls->gate);
}

/* Called with view_lock held. */
static enum lfs_host_state
state_locked(struct lfs_lockspace *ls, uint32_t id, uint64_t gen)
{
	const struct lfs_host_view *v = &ls->hosts[id];
	uint64_t silent;

	if (!v->valid)
		return LFS_HOST_STATE_FREE;
	if (gen != 0 && !v->corrupt && v->rec.generation > gen)
		return LFS_HOST_STATE_DEAD; /* rejoined: that incarnation is gone */
	if (gen != 0 && !v->corrupt && v->rec.generation < gen)
		return LFS_HOST_STATE_LIVE; /* newer than our view: the silence
		                               we saw was another incarnation's */
	if (v->rec.flags & LFS_HOST_FREE)
		return LFS_HOST_STATE_FREE;
	/* Unchanged from changed_ms up to at least the start of the last
	 * read that covered it; nothing is known about the time after. */
	silent = v->read_ms > v->changed_ms ? v->read_ms - v->changed_ms : 0;
	if (silent >= ls->to.host_dead_ms)
		return LFS_HOST_STATE_DEAD;
	if (silent >= ls->to.renewal_fail_ms)
		return LFS_HOST_STATE_FAILING;
	return LFS_HOST_STATE_LIVE;
}

int
lfs_host_in_bucket_locked(struct lfs_lockspace *ls, uint32_t host_id,
    uint32_t bucket)
{
	const struct lfs_host_view *v = &ls->hosts[host_id];

	if (!v->valid)
		return 0;
	if (v->corrupt || !v->presence_known)
		return 1;
	return lfs_presence_has(&v->presence, bucket);
}

enum lfs_host_state
lfs_host_state(struct lfs_lockspace *ls, uint32_t host_id, uint64_t gen)
{
	enum lfs_host_state s;

	if (host_id == 0 || host_id > ls->layout.max_hosts)
		return LFS_HOST_STATE_FREE;
	if (host_id == ls->host_id && ls->generation != 0 &&
	    (gen == 0 || gen == ls->generation))
		return LFS_HOST_STATE_LIVE; /* ourselves, while joined */
	pthread_mutex_lock(&ls->view_lock);
	s = state_locked(ls, host_id, gen);
	pthread_mutex_unlock(&ls->view_lock);
	return s;
}

const char *
lfs_host_state_name(enum lfs_host_state s)
{
	switch (s) {
	case LFS_HOST_STATE_FREE: return "free";
	case LFS_HOST_STATE_LIVE: return "live";
	case LFS_HOST_STATE_FAILING: return "failing";
	case LFS_HOST_STATE_DEAD: return "dead";
	}
	return "unknown";
}

int
lfs_host_get(struct lfs_lockspace *ls, uint32_t host_id,
    struct lfs_host_view *out)
{
	int rv = -ENOENT;

	if (host_id == 0 || host_id > ls->layout.max_hosts)
		return -ENOENT;
	pthread_mutex_lock(&ls->view_lock);
	if (ls->hosts[host_id].valid) {
		*out = ls->hosts[host_id];
		rv = 0;
	}
	pthread_mutex_unlock(&ls->view_lock);
	return rv;
}

int
lfs_host_find(struct lfs_lockspace *ls, const char *name)
{
	uint32_t id;
	int rv = -ENOENT;

	pthread_mutex_lock(&ls->view_lock);
	for (id = 1; id <= ls->high_water && rv < 0; id++)
		if (ls->hosts[id].valid && !ls->hosts[id].corrupt &&
		    strcmp(ls->hosts[id].rec.name, name) == 0)
			rv = (int)id;
	pthread_mutex_unlock(&ls->view_lock);
	return rv;
}
