/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * render.c - the text of the read-only files: owner, state, .hosts, .status,
 * and the one-line contents of lock and incoming files.
 *
 * Contents are computed when a file is opened and again when it is read
 * from offset 0 (so `lseek(fd, 0) + read` sees fresh data), and kept in
 * the file handle in between so that reads at other offsets are
 * consistent.  The disk is read by snap.c (owner, state, .hosts) and
 * value.c (value); this file only formats.  Each owner/state text
 * remembers the snapshot (struct lfs_snap) it was made from; the watcher
 * and the poll operation compare snapshots to decide whether a poller
 * must be woken.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uuid/uuid.h>

#include "context.h"
#include "daemon.h"
#include "render.h"
#include "snap.h"
#include "valuefile.h"
#include "version.h"

#define HOLDERS_MAX 256          /* pids listed in `holders:` */

/* Display name of host id, "-" when unknown or unreadable. */
static void
host_name(struct lfs_daemon *d, uint32_t id, char *buf, size_t len)
{
	struct lfs_host_view hv;

	if (id == d->ls.host_id)
		snprintf(buf, len, "%s", d->ls.host_name);
	else if (lfs_host_get(&d->ls, id, &hv) == 0 && !hv.corrupt &&
	    hv.rec.name[0] != '\0')
		snprintf(buf, len, "%s", hv.rec.name);
	else
		snprintf(buf, len, "-");
}

/* Whether this host is among the shared holders sh[0 .. n). */
static int
shared_here(struct lfs_daemon *d, const struct lfs_shared_holder *sh,
    uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (sh[i].host_id == d->ls.host_id &&
		    sh[i].gen == d->ls.generation)
			return 1;
	return 0;
}

/*
 * owner: "shared ID ID ..." while hosts hold it shared.  The leader may
 * name an owner then only for the moment of a shared acquire's ballots
 * (or an exclusive acquire letting go of a lease it won under a shared
 * holder): the shared holders are what holds it.
 */
static void
render_owner(struct lfs_daemon *d, const struct lfs_snap *s,
    const struct lfs_shared_holder *sh, FILE *f)
{
	char name[LFS_HOST_NAME_MAX + 1];
	uint32_t i;

	if (s->sh_n > 0) {
		fputs("shared", f);
		for (i = 0; i < s->sh_n; i++)
			fprintf(f, " %u", sh[i].host_id);
		fputc('\n', f);
		return;
	}
	if (s->owner_id == 0) {
		fputs("free\n", f);
		return;
	}
	host_name(d, s->owner_id, name, sizeof(name));
	fprintf(f, "%u %s\n", s->owner_id, name);
}

static const char *
state_word(struct lfs_daemon *d, const struct lfs_snap *s,
    const struct lfs_shared_holder *sh)
{
	if (s->sh_n > 0)
		return shared_here(d, sh, s->sh_n) ? "held shared here" :
		    "shared";
	if (s->owner_id == 0)
		return "free";
	if (s->owner_id == d->ls.host_id && s->owner_gen == d->ls.generation)
		return "held here";
	switch (s->owner_state) {
	case LFS_HOST_STATE_LIVE:
		return s->req_id != 0 ? "requested" : "held";
	case LFS_HOST_STATE_FAILING:
		return "owner failing";
	default:
		return "owner dead"; /* DEAD, left, or a newer generation */
	}
}

/* holders: the processes with its lock/incoming file open, and the one
 * it is held for (`acquire pid`); pid: that process, or the one it is
 * requested for, as held/requested. */
static void
render_holders(struct lfs_daemon *d, struct lfs_dlease *l, FILE *f)
{
	struct lfs_holder h[HOLDERS_MAX];
	int i, n, held_for;
	uint32_t slot;
	pid_t pid;

	lfs_table_lock(d);
	slot = l->ref.slot;
	pid = lfs_pid_of(l);
	held_for = pid != 0 && (lfs_hold_state(l) == LFS_HOLD_PID ||
	    lfs_sh_how(l) == LFS_HOW_PID || lfs_pid_fenced(l));
	lfs_table_unlock(d);
	n = d->mount_dev != 0 ? lfs_daemon_find_holders(d, &slot, h,
	    HOLDERS_MAX) : lfs_fence_find(d->mountpoint, l->name, h,
	    HOLDERS_MAX);
	fputs("holders:", f);
	if (n <= 0 && !held_for)
		fputs(" none", f);
	if (held_for)
		fprintf(f, " %ld", (long)pid);
	for (i = 0; i < n && i < HOLDERS_MAX; i++)
		fprintf(f, " %ld", (long)h[i].pid);
	fputc('\n', f);
	if (pid == 0)
		fputs("pid: none\n", f);
	else
		fprintf(f, "pid: %ld %s\n", (long)pid, held_for ? "held" :
		    "requested");
}

/* shared: every host holding it shared, "ID NAME" each, or none. */
static void
render_shared(struct lfs_daemon *d, const struct lfs_snap *s,
    const struct lfs_shared_holder *sh, FILE *f)
{
	char name[LFS_HOST_NAME_MAX + 1];
	uint32_t i;

	fputs("shared:", f);
	if (s->sh_n == 0)
		fputs(" none", f);
	for (i = 0; i < s->sh_n; i++) {
		host_name(d, sh[i].host_id, name, sizeof(name));
		fprintf(f, " %u %s", sh[i].host_id, name);
	}
	fputc('\n', f);
	fprintf(f, "shared_count: %u\n", s->sh_n);
}

static void
render_state(struct lfs_daemon *d, struct lfs_dlease *l,
    const struct lfs_snap *s, const struct lfs_shared_holder *sh, FILE *f)
{
	char name[LFS_HOST_NAME_MAX + 1];
	uint32_t handover;

	fprintf(f, "state: %s\n", state_word(d, s, sh));
	if (s->owner_id != 0) {
		host_name(d, s->owner_id, name, sizeof(name));
		fprintf(f, "owner: %u %s\n", s->owner_id, name);
	} else {
		fputs("owner: none\n", f);
	}
	fprintf(f, "owner_generation: %" PRIu64 "\n", s->owner_gen);
	fprintf(f, "generation: %" PRIu64 "\n", s->lver);
	render_holders(d, l, f);
	if (s->req_id != 0) {
		host_name(d, s->req_id, name, sizeof(name));
		fprintf(f, "request: %u %s\n", s->req_id, name);
	} else {
		fputs("request: none\n", f);
	}
	render_shared(d, s, sh, f);
	lfs_table_lock(d);
	handover = lfs_hold_usable(l) ? lfs_hold_handover_to(l) : 0;
	lfs_table_unlock(d);
	if (handover != 0) {
		host_name(d, handover, name, sizeof(name));
		fprintf(f, "handover: %u %s\n", handover, name);
	} else {
		fputs("handover: none\n", f);
	}
	fprintf(f, "incarnation: %u\n", l->ref.incarnation);
}

static void
render_hosts(struct lfs_daemon *d, FILE *f)
{
	struct lfs_host_view hv;
	uint32_t id, hw;

	lfs_snap_hosts(d);
	pthread_mutex_lock(&d->ls.view_lock);
	hw = d->ls.high_water;
	pthread_mutex_unlock(&d->ls.view_lock);
	for (id = 1; id <= hw; id++) {
		if (lfs_host_get(&d->ls, id, &hv) < 0)
			continue;
		fprintf(f, "%u %s %" PRIu64 " %s\n", id,
		    hv.corrupt || hv.rec.name[0] == '\0' ? "-" : hv.rec.name,
		    hv.rec.generation,
		    lfs_host_state_name(lfs_host_state(&d->ls, id, 0)));
	}
}

static void
render_io(FILE *f, const char *prefix, const struct lfs_io_stats *s)
{
	fprintf(f, "%s_reads: %" PRIu64 "\n", prefix, s->reads);
	fprintf(f, "%s_writes: %" PRIu64 "\n", prefix, s->writes);
	fprintf(f, "%s_bytes_read: %" PRIu64 "\n", prefix, s->bytes_read);
	fprintf(f, "%s_bytes_written: %" PRIu64 "\n", prefix, s->bytes_written);
	fprintf(f, "%s_timeouts: %" PRIu64 "\n", prefix, s->timeouts);
	fprintf(f, "%s_errors: %" PRIu64 "\n", prefix, s->errors);
	fprintf(f, "%s_abandoned: %u\n", prefix, s->abandoned);
}

static void
render_status(struct lfs_daemon *d, FILE *f)
{
	static const char *const renewal[] = { "ok", "failing", "lost" };
	const struct lfs_timeouts *to = &d->ls.to;
	struct lfs_io_stats ops, ren;
	uint32_t watched;
	char uuid[37];

	lfs_table_lock(d);
	lfs_ops_stats_locked(d, &ops);
	ren = d->renew_stats;
	watched = d->tab.n_active;
	lfs_table_unlock(d);
	uuid_unparse_lower(d->ls.header.uuid, uuid);
	fprintf(f, "version: %s\n", LEASEFS_VERSION);
	fprintf(f, "lockspace: %s\nuuid: %s\n", d->ls.header.name, uuid);
	fprintf(f, "host_id: %u\nhost_name: %s\n", d->ls.host_id,
	    d->ls.host_name);
	fprintf(f, "generation: %" PRIu64 "\n", atomic_load(&d->generation));
	/* fenced or stale is lost whatever d->renewal says: a renewal that
	 * was in flight as the deadline thread fenced may still end and set
	 * "ok" or "failing" over it */
	fprintf(f, "renewal: %s\n", atomic_load(&d->fenced) ||
	    atomic_load(&d->stale) ? renewal[LFS_RENEWAL_LOST] :
	    renewal[atomic_load(&d->renewal) % 3]);
	fprintf(f, "last_renewal_ms_ago: %" PRIu64 "\n",
	    lfs_delta_since_renewal_ms(&d->ls));
	fprintf(f, "io_timeout_ms: %u\nrenewal_interval_ms: %u\n",
	    to->io_timeout_ms, to->renewal_interval_ms);
	fprintf(f, "renewal_fail_ms: %u\nhost_dead_ms: %u\n",
	    to->renewal_fail_ms, to->host_dead_ms);
	fprintf(f, "leases_held: %u\n", lfs_hold_count(d, 0));
	fprintf(f, "leases_held_shared: %u\n", lfs_hold_count(d, 1));
	fprintf(f, "leases_watched: %u\n", watched);
	render_io(f, "ops", &ops);
	render_io(f, "renew", &ren);
	fprintf(f, "io_timeouts: %" PRIu64 "\n", ops.timeouts + ren.timeouts);
	fprintf(f, "io_abandoned: %u\n", ops.abandoned + ren.abandoned);
	fprintf(f, "notice_window_reads: %" PRIu64 "\n",
	    atomic_load(&d->notice_window_reads));
	fprintf(f, "notice_renewal_reads: %" PRIu64 "\n",
	    atomic_load(&d->notice_renewal_reads));
}

const char *
lfs_render_hold(enum lfs_fh_state st, int shared, uint64_t lver, char *buf,
    size_t len)
{
	switch (st) {
	case LFS_FH_WAITING:
		return "waiting\n";
	case LFS_FH_HELD:
		snprintf(buf, len, "%s %" PRIu64 "\n", shared ? "shared" :
		    "held", lver);
		return buf;
	default:
		return "lost\n";
	}
}

/* Compute the text of fh into f; *s gets the snapshot (owner/state). */
static int
render_into(struct lfs_daemon *d, struct lfs_fh *fh, FILE *f,
    struct lfs_snap *s)
{
	struct lfs_shared_holder *sh = NULL;
	int r = 0;

	memset(s, 0, sizeof(*s));
	switch (fh->kind) {
	case LFS_K_HOSTS:
		render_hosts(d, f);
		return 0;
	case LFS_K_STATUS:
		render_status(d, f);
		return 0;
	case LFS_K_VALUE:
		return lfs_value_render(d, fh, f);
	case LFS_K_OWNER:
	case LFS_K_STATE:
		lfs_snap_read_list(d, fh->lease, fh->kind == LFS_K_STATE, s, &sh);
		if (s->err < 0)
			r = lfs_errno_map(d, s->err, fh->lease->name,
			    "read leader");
		else if (fh->kind == LFS_K_OWNER)
			render_owner(d, s, sh, f);
		else {
			render_state(d, fh->lease, s, sh, f);
			lfs_value_render_state(d, fh->lease, f);
		}
		free(sh);
		return r;
	default:
		return -EINVAL;
	}
}

int
lfs_render(struct lfs_daemon *d, struct lfs_fh *fh)
{
	struct lfs_snap s;
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int r;

	if ((f = open_memstream(&text, &len)) == NULL)
		return -ENOMEM;
	r = render_into(d, fh, f, &s);
	if (fclose(f) != 0 && r == 0)
		r = -ENOMEM;
	if (r < 0) {
		free(text);
		return r;
	}
	lfs_table_lock(d);
	free(fh->text);
	fh->text = text;
	fh->len = len;
	fh->snap = s;
	lfs_table_unlock(d);
	return 0;
}
