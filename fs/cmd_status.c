/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_status.c - `leasefs status MOUNTPOINT [--json]`: every lease of a
 * mounted lockspace with its state, owner, generations, request and local
 * holders, and every host with its liveness, in one pass.
 *
 * Where each fact comes from:
 *   .status     this host: lockspace, uuid, host id, generation, renewal
 *   .hosts      every host's liveness as this host's daemon judges it
 *               (liveness is seen over time; one read of the disk cannot
 *               tell it, so it must come from the daemon)
 *   the device  every lease's leader and request, read in one pass with
 *               batched reads (scan.h): what `owner` and `state` would read
 *               one lease at a time.  The mount's source in mountinfo is
 *               the device (fsname, mountopts.h); its uuid must match
 *               .status's.
 *   /proc       the local holders of every lease, in one walk of
 *               /proc/PID/fd (the daemon walks it once per `state` read)
 * The state word follows the daemon's rule (render.c, state_word()).
 *
 * When the device cannot be read (not root, or a mount whose source does
 * not name it), or with --through-mount, each lease's `state` file is read
 * through the mount instead: the same facts, one file per lease, which
 * costs the daemon two disk reads and a /proc walk each: seconds for
 * thousands of leases.
 *
 * Sections:
 *   1. small helpers and the data
 *   2. the mount: mountinfo, .status, .hosts
 *   3. leases from the device
 *   4. leases through the mount
 *   5. local holders, from /proc
 *   6. output: text and JSON
 *   7. the command
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "json.h"
#include "lockspace.h"
#include "names.h"
#include "scan.h"
#include "version.h"

#define STATUS "leasefs status"
#define FILE_MAX (1u << 20)      /* bytes of .status, .hosts or a state file */

/* ---- 1. helpers and the data ---- */

struct st_kv {                   /* one "key: value" line of .status */
	char *key, *val;
};

struct st_host {                 /* one line of .hosts */
	uint32_t id;
	char name[LFS_HOST_NAME_MAX + 1];
	uint64_t gen;
	char state[16];              /* free, live, failing, dead */
};

struct st_lease {
	char name[LFS_NAME_MAX + 1];
	char state[32];              /* the word of `state`, or "error" */
	char error[64];              /* when state is "error" */
	uint32_t owner_id;           /* 0: none */
	char owner_name[LFS_HOST_NAME_MAX + 1];
	uint64_t owner_gen, lver;
	uint32_t req_id;             /* 0: none */
	char req_name[LFS_HOST_NAME_MAX + 1];
	size_t hold_first, hold_n;   /* range of st.pids */
	char shared[80];             /* hosts holding it shared: "1,2", or "";
	                                ",..." ends a list too long for it */
};

struct st {
	char mountpoint[PATH_MAX];   /* canonical */
	char source[PATH_MAX];       /* mountinfo's source field */
	const char *via;             /* "device" or "mount" */
	struct st_kv *kv;
	size_t nkv;
	const char *lockspace, *uuid;
	uint32_t host_id;
	uint64_t generation;
	struct st_host *hosts;
	size_t nhosts;
	struct st_lease *leases;
	size_t nleases;
	long *pids;                  /* holders, grouped by lease */
	size_t npids, pids_cap;
};

/* Read a whole file into a NUL-terminated malloc'd buffer.  0 or -errno. */
static int
slurp(const char *path, char **out)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap), *grown;
	ssize_t n;
	int fd;

	if (buf == NULL)
		return -ENOMEM;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		n = -errno;
		free(buf);
		return (int)n;
	}
	for (;;) {
		if (len + 1 >= cap) {
			if (cap >= FILE_MAX || (grown = realloc(buf, cap * 2)) ==
			    NULL) {
				close(fd);
				free(buf);
				return -EFBIG;
			}
			buf = grown;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	if (n < 0) {
		n = -errno;
		close(fd);
		free(buf);
		return (int)n;
	}
	close(fd);
	buf[len] = '\0';
	*out = buf;
	return 0;
}

static const char *
kv_get(const struct st *s, const char *key)
{
	size_t i;

	for (i = 0; i < s->nkv; i++)
		if (strcmp(s->kv[i].key, key) == 0)
			return s->kv[i].val;
	return NULL;
}

static const struct st_host *
host_by_id(const struct st *s, uint32_t id)
{
	size_t i;

	for (i = 0; i < s->nhosts; i++)
		if (s->hosts[i].id == id)
			return &s->hosts[i];
	return NULL;
}

static void
host_name_of(const struct st *s, uint32_t id, char *buf, size_t len)
{
	const struct st_host *h = host_by_id(s, id);

	snprintf(buf, len, "%s", h != NULL ? h->name : "-");
}

/* Decimal u64 from s (the whole string).  0 or -EINVAL. */
static int
parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno != 0 || *end != '\0' ? -EINVAL : 0;
}

/* ---- 2. the mount ---- */

/* Undo mountinfo's octal escapes (\040 for a space, ...) in place. */
static void
unescape_octal(char *s)
{
	char *d = s;

	for (; *s != '\0'; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' &&
		    s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)(((s[1] - '0') << 6) | ((s[2] - '0') << 3) |
			    (s[3] - '0'));
			s += 3;
		} else {
			*d++ = *s;
		}
	}
	*d = '\0';
}

/*
 * The source of the leasefs mount at s->mountpoint, from the last (top)
 * such line of mountinfo: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS
 * [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS".  0, or -ENOENT when no
 * fuse.leasefs is mounted there.
 */
static int
find_source(struct st *s)
{
	char *text, *line, *save = NULL;
	int r, found = -ENOENT;

	if ((r = slurp("/proc/self/mountinfo", &text)) < 0)
		return r;
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char *f[5], *sep, *type, *src, *p = line;
		int i;

		for (i = 0; i < 5 && p != NULL; i++) {
			f[i] = p;
			if ((p = strchr(p, ' ')) != NULL)
				*p++ = '\0';
		}
		if (i < 5 || p == NULL || (sep = strstr(p, " - ")) == NULL)
			continue;
		unescape_octal(f[4]);
		type = sep + 3;
		if ((src = strchr(type, ' ')) == NULL)
			continue;
		*src++ = '\0';
		if ((p = strchr(src, ' ')) != NULL)
			*p = '\0';
		if (strcmp(f[4], s->mountpoint) != 0)
			continue;
		found = strcmp(type, "fuse.leasefs") == 0 ? 0 : -ENOENT;
		unescape_octal(src);
		snprintf(s->source, sizeof(s->source), "%s", src);
	}
	free(text);
	return found;
}

/* MOUNT/name into buf. */
static int
mount_path(const struct st *s, const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", s->mountpoint, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* .status into s->kv (pointing into *text, which the caller frees). */
static int
read_status(struct st *s, char **text)
{
	char path[PATH_MAX], *line, *save = NULL, *colon;
	const char *v;
	uint64_t id;
	size_t cap = 0;
	int r;

	if ((r = mount_path(s, ".status", path, sizeof(path))) < 0 ||
	    (r = slurp(path, text)) < 0)
		return r;
	for (line = strtok_r(*text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if ((colon = strstr(line, ": ")) == NULL)
			continue;
		if (s->nkv == cap) {
			struct st_kv *g;

			cap = cap ? cap * 2 : 64;
			if ((g = realloc(s->kv, cap * sizeof(*g))) == NULL)
				return -ENOMEM;
			s->kv = g;
		}
		*colon = '\0';
		s->kv[s->nkv].key = line;
		s->kv[s->nkv++].val = colon + 2;
	}
	s->lockspace = kv_get(s, "lockspace");
	s->uuid = kv_get(s, "uuid");
	if (s->lockspace == NULL || s->uuid == NULL ||
	    (v = kv_get(s, "host_id")) == NULL || parse_u64(v, &id) < 0 ||
	    id == 0 || id > LFS_MAX_HOSTS)
		return -EBADMSG;
	s->host_id = (uint32_t)id;
	if ((v = kv_get(s, "generation")) == NULL ||
	    parse_u64(v, &s->generation) < 0)
		return -EBADMSG;
	return 0;
}

/* .hosts: "ID NAME GENERATION STATE" lines. */
static int
read_hosts(struct st *s)
{
	char path[PATH_MAX], *text, *line, *save = NULL;
	size_t cap = 0;
	int r;

	if ((r = mount_path(s, ".hosts", path, sizeof(path))) < 0 ||
	    (r = slurp(path, &text)) < 0)
		return r;
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		struct st_host h;
		unsigned long long gen;
		unsigned int id;

		memset(&h, 0, sizeof(h));
		if (sscanf(line, "%u %64s %llu %15s", &id, h.name, &gen,
		    h.state) != 4)
			continue;
		h.id = id;
		h.gen = gen;
		if (s->nhosts == cap) {
			struct st_host *g;

			cap = cap ? cap * 2 : 64;
			if ((g = realloc(s->hosts, cap * sizeof(*g))) == NULL) {
				free(text);
				return -ENOMEM;
			}
			s->hosts = g;
		}
		s->hosts[s->nhosts++] = h;
	}
	free(text);
	return 0;
}

/* ---- 3. leases from the device ---- */

/*
 * The word of a lease's `state` file, from its leader and request and the
 * hosts' liveness in .hosts: render.c's state_word() over the daemon's
 * host view, of which .hosts is the text (an id not listed has never been
 * seen: free, so its leases are the dead owner's).
 */
static const char *
state_word(const struct st *s, uint32_t owner, uint64_t owner_gen,
    uint32_t req)
{
	const struct st_host *h;

	if (owner == 0)
		return "free";
	if (owner == s->host_id && owner_gen == s->generation)
		return "held here";
	h = host_by_id(s, owner);
	if (h == NULL || h->gen > owner_gen || strcmp(h->state, "free") == 0 ||
	    strcmp(h->state, "dead") == 0)
		return "owner dead";
	if (strcmp(h->state, "failing") == 0)
		return "owner failing";
	return req != 0 ? "requested" : "held";
}

/* Append id to the "1,2" list of out->shared. */
static void
shared_add(struct st_lease *out, uint32_t id)
{
	size_t at = strlen(out->shared);

	if (at + 12 < sizeof(out->shared))
		snprintf(out->shared + at, sizeof(out->shared) - at, "%s%u",
		    at > 0 ? "," : "", id);
	else if (strstr(out->shared, "...") == NULL)
		snprintf(out->shared + at, sizeof(out->shared) - at, ",...");
}

/*
 * The shared holders among l's modes, as render.c's owner and state show
 * them: a mode counts while its host is live or failing with the
 * generation that set it (.hosts: this daemon's view).  1 when this host
 * is among them.
 */
static int
shared_from_scan(const struct st *s, const struct lfs_scan_lease *l,
    struct st_lease *out)
{
	const struct st_host *h;
	int here = 0;
	uint32_t i;

	for (i = 0; i < l->sh_n && i < LFS_SCAN_MODES_MAX; i++) {
		h = host_by_id(s, l->sh[i].host_id);
		if (h == NULL || h->gen != l->sh[i].gen ||
		    (strcmp(h->state, "live") != 0 &&
		    strcmp(h->state, "failing") != 0))
			continue;
		shared_add(out, l->sh[i].host_id);
		here |= l->sh[i].host_id == s->host_id &&
		    l->sh[i].gen == s->generation;
	}
	return here;
}

static void
lease_from_scan(const struct st *s, const struct lfs_scan_lease *l,
    struct st_lease *out)
{
	int here;

	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", l->name);
	if (l->err < 0) {
		snprintf(out->state, sizeof(out->state), "error");
		snprintf(out->error, sizeof(out->error), "leader: %s",
		    lfs_decode_strerror(l->err));
		return;
	}
	out->owner_id = l->leader.owner_id;
	out->owner_gen = l->leader.owner_gen;
	out->lver = l->leader.lver;
	out->req_id = l->request.host_id;
	if (out->owner_id != 0)
		host_name_of(s, out->owner_id, out->owner_name,
		    sizeof(out->owner_name));
	if (out->req_id != 0)
		host_name_of(s, out->req_id, out->req_name,
		    sizeof(out->req_name));
	snprintf(out->state, sizeof(out->state), "%s", state_word(s,
	    out->owner_id, out->owner_gen, out->req_id));
	here = shared_from_scan(s, l, out);
	if (out->shared[0] != '\0')
		snprintf(out->state, sizeof(out->state), "%s", here ?
		    "held shared here" : "shared");
}

/* 0; -EACCES and the like when the device cannot be read; -ESTALE when
 * it holds another lockspace than the mount's. */
static int
leases_from_device(struct st *s)
{
	struct lfs_logger log = { lfs_log_stderr, STATUS, LOG_ERR };
	struct lfs_scan_lease *v = NULL;
	struct lfs_lockspace ls;
	struct lfs_io io;
	uint32_t n = 0, i;
	char uuid[37];
	int r;

	if (s->source[0] != '/')
		return -ENODEV;         /* "leasefs:NAME": a daemon before 0.1 */
	if ((r = lfs_lockspace_open(&ls, s->source, NULL)) < 0)
		return r;
	uuid_unparse_lower(ls.header.uuid, uuid);
	if (strcmp(uuid, s->uuid) != 0) {
		lfs_lockspace_close(&ls);
		return -ESTALE;
	}
	if ((r = lfs_io_init(&io, &ls.disk, ls.to.io_timeout_ms, NULL,
	    &log)) == 0) {
		r = lfs_hosts_refresh(&ls, &io);
		if (r == 0)
			r = lfs_scan_leases_modes(&ls, &io, ls.high_water, &v,
			    &n);
		lfs_io_destroy(&io);
	}
	lfs_lockspace_close(&ls);
	if (r < 0)
		return r;
	if (n > 0 && (s->leases = calloc(n, sizeof(*s->leases))) == NULL) {
		free(v);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		if (v[i].err != -ENOENT) /* deleted since the table was read */
			lease_from_scan(s, &v[i], &s->leases[s->nleases++]);
	free(v);
	return 0;
}

/* ---- 4. leases through the mount ---- */

/* "ID NAME" or "none" into *id and name. */
static void
parse_host_ref(const char *v, uint32_t *id, char *name, size_t len)
{
	unsigned int i;
	char nm[LFS_HOST_NAME_MAX + 1] = "-";

	*id = 0;
	name[0] = '\0';
	if (sscanf(v, "%u %64s", &i, nm) >= 1) {
		*id = i;
		snprintf(name, len, "%s", nm);
	}
}

/* Parse a `state` file (render.c, render_state()); holders go to s->pids. */
static int
parse_state(struct st *s, char *text, struct st_lease *l)
{
	char *line, *save = NULL, *v, *tok, *tsave = NULL;

	l->hold_first = s->npids;
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if ((v = strstr(line, ": ")) == NULL)
			continue;
		*v = '\0';
		v += 2;
		if (strcmp(line, "state") == 0)
			snprintf(l->state, sizeof(l->state), "%s", v);
		else if (strcmp(line, "owner") == 0)
			parse_host_ref(v, &l->owner_id, l->owner_name,
			    sizeof(l->owner_name));
		else if (strcmp(line, "request") == 0)
			parse_host_ref(v, &l->req_id, l->req_name,
			    sizeof(l->req_name));
		else if (strcmp(line, "owner_generation") == 0)
			parse_u64(v, &l->owner_gen);
		else if (strcmp(line, "generation") == 0)
			parse_u64(v, &l->lver);
		else if (strcmp(line, "shared") == 0 && strcmp(v, "none") != 0)
			/* "ID NAME ID NAME ...": the ids */
			for (tok = strtok_r(v, " ", &tsave); tok != NULL;
			    tok = strtok_r(NULL, " ", &tsave)) {
				uint64_t id;

				if (parse_u64(tok, &id) == 0)
					shared_add(l, (uint32_t)id);
				tok = strtok_r(NULL, " ", &tsave);
				if (tok == NULL)
					break;
			}
		else if (strcmp(line, "holders") == 0)
			for (tok = strtok_r(v, " ", &tsave); tok != NULL;
			    tok = strtok_r(NULL, " ", &tsave)) {
				uint64_t pid;

				if (parse_u64(tok, &pid) < 0)
					continue;
				if (s->npids == s->pids_cap) {
					long *g;
					size_t cap = s->pids_cap ?
					    s->pids_cap * 2 : 64;

					if ((g = realloc(s->pids, cap *
					    sizeof(*g))) == NULL)
						return -ENOMEM;
					s->pids = g;
					s->pids_cap = cap;
				}
				s->pids[s->npids++] = (long)pid;
			}
	}
	l->hold_n = s->npids - l->hold_first;
	return 0;
}

static int
leases_through_mount(struct st *s)
{
	char path[PATH_MAX], *text;
	struct dirent *de;
	size_t cap = 0;
	DIR *dir;
	int r = 0;

	if ((dir = opendir(s->mountpoint)) == NULL)
		return -errno;
	while (r == 0 && (de = readdir(dir)) != NULL) {
		struct st_lease *l;

		if (lfs_name_check(de->d_name) < 0 ||
		    snprintf(path, sizeof(path), "%s/%s/state", s->mountpoint,
		    de->d_name) >= (int)sizeof(path))
			continue;
		if (slurp(path, &text) < 0)
			continue;       /* deleted meanwhile */
		if (s->nleases == cap) {
			struct st_lease *g;

			cap = cap ? cap * 2 : 64;
			if ((g = realloc(s->leases, cap * sizeof(*g))) == NULL) {
				free(text);
				r = -ENOMEM;
				break;
			}
			s->leases = g;
		}
		l = &s->leases[s->nleases++];
		memset(l, 0, sizeof(*l));
		memcpy(l->name, de->d_name, strlen(de->d_name) + 1); /* checked */
		r = parse_state(s, text, l);
		free(text);
	}
	closedir(dir);
	return r;
}

/* ---- 5. local holders ---- */

struct holder {
	char lease[LFS_NAME_MAX + 1];
	long pid;
};

struct holders {
	struct holder *v;
	size_t n, cap;
};

/*
 * The lease whose lock or incoming file link (a readlink() of
 * /proc/PID/fd/N, tlen bytes) names under mp, into lease; 0 or -1.  The
 * kernel answers readlink from its own dentries: nothing here touches the
 * mount (fence.c does the same, for one lease).
 */
static int
link_lease(const char *mp, size_t mplen, const char *t, size_t tlen,
    char *lease)
{
	static const char deleted[] = " (deleted)";
	const size_t dlen = sizeof(deleted) - 1;
	const char *name, *slash, *last;
	size_t nlen;

	if (tlen > dlen && memcmp(t + tlen - dlen, deleted, dlen) == 0)
		tlen -= dlen;
	if (tlen <= mplen + 1 || memcmp(t, mp, mplen) != 0 || t[mplen] != '/')
		return -1;
	name = t + mplen + 1;
	if ((slash = memchr(name, '/', tlen - mplen - 1)) == NULL)
		return -1;
	nlen = (size_t)(slash - name);
	last = slash + 1;
	if (!((t + tlen - last == 4 && memcmp(last, "lock", 4) == 0) ||
	    (t + tlen - last == 8 && memcmp(last, "incoming", 8) == 0)) ||
	    lfs_name_check_len(name, nlen) < 0)
		return -1;
	memcpy(lease, name, nlen);
	lease[nlen] = '\0';
	return 0;
}

static int
add_holder(struct holders *h, const char *lease, long pid)
{
	if (h->n == h->cap) {
		struct holder *g;

		h->cap = h->cap ? h->cap * 2 : 64;
		if ((g = realloc(h->v, h->cap * sizeof(*g))) == NULL)
			return -ENOMEM;
		h->v = g;
	}
	snprintf(h->v[h->n].lease, sizeof(h->v[h->n].lease), "%s", lease);
	h->v[h->n++].pid = pid;
	return 0;
}

/* The holders of every lease under s->mountpoint, in one walk of /proc. */
static int
find_holders(const struct st *s, struct holders *h)
{
	size_t mplen = strlen(s->mountpoint);
	char lease[LFS_NAME_MAX + 1], link[PATH_MAX + 32];
	struct dirent *pe, *fe;
	long self = (long)getpid();
	DIR *proc, *fds;
	ssize_t n;
	int dfd, r = 0;

	if ((proc = opendir("/proc")) == NULL)
		return -errno;
	while (r == 0 && (pe = readdir(proc)) != NULL) {
		char path[64];
		long pid = strtol(pe->d_name, NULL, 10);

		if (pid <= 0 || pid == self)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/fd", pid);
		if ((fds = opendir(path)) == NULL)
			continue;       /* gone, or not ours to read */
		dfd = dirfd(fds);
		while (r == 0 && (fe = readdir(fds)) != NULL) {
			if (fe->d_name[0] == '.')
				continue;
			n = readlinkat(dfd, fe->d_name, link, sizeof(link) - 1);
			if (n <= 0 || link_lease(s->mountpoint, mplen, link,
			    (size_t)n, lease) < 0)
				continue;
			r = add_holder(h, lease, pid);
		}
		closedir(fds);
	}
	closedir(proc);
	return r;
}

static int
holder_cmp(const void *a, const void *b)
{
	const struct holder *x = a, *y = b;
	int c = strcmp(x->lease, y->lease);

	return c != 0 ? c : (x->pid > y->pid) - (x->pid < y->pid);
}

static int
lease_cmp(const void *a, const void *b)
{
	return strcmp(((const struct st_lease *)a)->name,
	    ((const struct st_lease *)b)->name);
}

/* Give each lease (sorted by name) its holders from h. */
static int
attach_holders(struct st *s, struct holders *h)
{
	size_t i, j = 0, k;

	if (h->n > 0)
		qsort(h->v, h->n, sizeof(*h->v), holder_cmp);
	if (h->n > 0 && (s->pids = calloc(h->n, sizeof(*s->pids))) == NULL)
		return -ENOMEM;
	for (i = 0; i < s->nleases; i++) {
		struct st_lease *l = &s->leases[i];

		while (j < h->n && strcmp(h->v[j].lease, l->name) < 0)
			j++;
		l->hold_first = s->npids;
		for (k = j; k < h->n && strcmp(h->v[k].lease, l->name) == 0;
		    k++)
			if (s->npids == l->hold_first ||
			    s->pids[s->npids - 1] != h->v[k].pid)
				s->pids[s->npids++] = h->v[k].pid;
		l->hold_n = s->npids - l->hold_first;
		j = k;
	}
	return 0;
}

/* ---- 6. output ---- */

static void
holders_text(const struct st *s, const struct st_lease *l, char *buf,
    size_t len)
{
	size_t i, used = 0;

	snprintf(buf, len, "-");
	for (i = 0; i < l->hold_n && used + 24 < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%ld",
		    i ? "," : "", s->pids[l->hold_first + i]);
	if (i < l->hold_n)
		snprintf(buf + used, len - used, ",...");
}

static void
host_ref_text(uint32_t id, const char *name, char *buf, size_t len)
{
	if (id == 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%u %s", id, name[0] != '\0' ? name : "-");
}

#define COLS 7

static void
print_row(const int *w, const char *const *c)
{
	int i;

	for (i = 0; i < COLS - 1; i++)
		printf("%-*s  ", w[i], c[i]);
	printf("%s\n", c[COLS - 1]);
}

/* The columns of one lease row, into bufs. */
static void
lease_cols(const struct st *s, const struct st_lease *l, char bufs[][96],
    const char **c)
{
	c[0] = l->name;
	c[1] = l->state;
	host_ref_text(l->owner_id, l->owner_name, bufs[0], sizeof(bufs[0]));
	if (l->shared[0] != '\0')
		snprintf(bufs[0], sizeof(bufs[0]), "shared:%s", l->shared);
	c[2] = bufs[0];
	if (l->owner_id != 0)
		snprintf(bufs[1], sizeof(bufs[1]), "%" PRIu64, l->owner_gen);
	else
		snprintf(bufs[1], sizeof(bufs[1]), "-");
	c[3] = bufs[1];
	snprintf(bufs[2], sizeof(bufs[2]), "%" PRIu64, l->lver);
	c[4] = strcmp(l->state, "error") == 0 ? l->error : bufs[2];
	host_ref_text(l->req_id, l->req_name, bufs[3], sizeof(bufs[3]));
	c[5] = bufs[3];
	holders_text(s, l, bufs[4], sizeof(bufs[4]));
	c[6] = bufs[4];
}

static void
print_text(const struct st *s)
{
	static const char *const head[COLS] = { "LEASE", "STATE", "OWNER",
		"OWNER_GEN", "GENERATION", "REQUEST", "HOLDERS" };
	const char *renewal = kv_get(s, "renewal"), *ago;
	char bufs[5][96];
	const char *c[COLS];
	int w[COLS], i;
	size_t k;

	ago = kv_get(s, "last_renewal_ms_ago");
	printf("lockspace %s (%s) at %s\n", s->lockspace, s->uuid,
	    s->mountpoint);
	printf("this host: %u %s, generation %" PRIu64 ", renewal %s (%s ms "
	    "ago)\n\n", s->host_id, kv_get(s, "host_name") ?
	    kv_get(s, "host_name") : "-", s->generation,
	    renewal ? renewal : "?", ago ? ago : "?");
	printf("%-6s  %-20s  %-10s  %s\n", "HOST", "NAME", "GENERATION",
	    "STATE");
	for (k = 0; k < s->nhosts; k++) {
		const struct st_host *h = &s->hosts[k];

		printf("%-6u  %-20s  %-10" PRIu64 "  %s%s\n", h->id, h->name,
		    h->gen, h->state, h->id == s->host_id ? " (this host)" : "");
	}
	for (i = 0; i < COLS; i++)
		w[i] = (int)strlen(head[i]);
	for (k = 0; k < s->nleases; k++) {
		lease_cols(s, &s->leases[k], bufs, c);
		for (i = 0; i < COLS; i++)
			if ((int)strlen(c[i]) > w[i])
				w[i] = (int)strlen(c[i]);
	}
	printf("\nleases: %zu\n", s->nleases);
	print_row(w, head);
	for (k = 0; k < s->nleases; k++) {
		lease_cols(s, &s->leases[k], bufs, c);
		print_row(w, c);
	}
}

/* A .status value as a JSON number when it is one, else a string. */
static void
json_value(const char *v)
{
	uint64_t n;

	if (parse_u64(v, &n) == 0 && strlen(v) < 20)
		fputs(v, stdout);
	else
		lfs_json_string(stdout, v);
}

static void
json_host_ref(const char *key, uint32_t id, const char *name)
{
	printf(", \"%s\": ", key);
	if (id == 0) {
		fputs("null", stdout);
		return;
	}
	printf("{\"id\": %u", id);
	lfs_json_kv_str(stdout, 0, "name", name[0] != '\0' ? name : "-");
	fputs("}", stdout);
}

static void
print_json(const struct st *s)
{
	size_t k, i, n;

	fputs("{", stdout);
	lfs_json_kv_str(stdout, 1, "leasefs_version", LEASEFS_VERSION);
	lfs_json_kv_str(stdout, 0, "mountpoint", s->mountpoint);
	lfs_json_kv_str(stdout, 0, "device", s->source);
	lfs_json_kv_str(stdout, 0, "read_via", s->via);
	fputs(",\n \"daemon\": {", stdout);
	for (k = 0; k < s->nkv; k++) {
		if (k > 0)
			fputs(", ", stdout);
		lfs_json_string(stdout, s->kv[k].key);
		fputs(": ", stdout);
		json_value(s->kv[k].val);
	}
	fputs("},\n \"hosts\": [", stdout);
	for (k = 0; k < s->nhosts; k++) {
		const struct st_host *h = &s->hosts[k];

		printf("%s{\"id\": %u", k ? ",\n  " : "\n  ", h->id);
		lfs_json_kv_str(stdout, 0, "name", h->name);
		printf(", \"generation\": %" PRIu64, h->gen);
		lfs_json_kv_str(stdout, 0, "state", h->state);
		printf(", \"this_host\": %s}", h->id == s->host_id ? "true" :
		    "false");
	}
	fputs("],\n \"leases\": [", stdout);
	for (k = 0; k < s->nleases; k++) {
		const struct st_lease *l = &s->leases[k];

		fputs(k ? ",\n  {" : "\n  {", stdout);
		lfs_json_kv_str(stdout, 1, "name", l->name);
		lfs_json_kv_str(stdout, 0, "state", l->state);
		if (strcmp(l->state, "error") == 0) {
			lfs_json_kv_str(stdout, 0, "error", l->error);
			fputs("}", stdout);
			continue;
		}
		json_host_ref("owner", l->owner_id, l->owner_name);
		printf(", \"owner_generation\": %" PRIu64 ", \"generation\": %"
		    PRIu64, l->owner_gen, l->lver);
		json_host_ref("request", l->req_id, l->req_name);
		fputs(", \"holders\": [", stdout);
		for (i = 0; i < l->hold_n; i++)
			printf("%s%ld", i ? ", " : "", s->pids[l->hold_first + i]);
		/* the ids, "1,2" as in the text, without a ",..." */
		n = strcspn(l->shared, ".");
		if (n > 0 && l->shared[n - 1] == ',')
			n--;
		printf("], \"shared\": [%.*s]}", (int)n, l->shared);
	}
	fputs("]}\n", stdout);
}

/* ---- 7. the command ---- */

static const char status_usage[] =
    "usage: leasefs status MOUNTPOINT [--json] [--through-mount]\n"
    "Every lease of the lockspace mounted at MOUNTPOINT, with its state,\n"
    "owner, generations, request and this host's holders, and every host\n"
    "with its liveness as this host's daemon sees it.\n"
    "  -j, --json            the same as one JSON object\n"
    "  -m, --through-mount   read each lease's state file through the\n"
    "                        mount, not the device (slower; for non-root)\n"
    "  -h, --help            this text\n"
    "  -V, --version         versions of leasefs and libfuse\n"
    "See leasefs(8).\n";

/* -1 to go on, else the exit status. */
static int
parse_args(int argc, char **argv, int *json, int *through)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "through-mount", no_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":jmhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': *json = 1; break;
		case 'm': *through = 1; break;
		case 'h': fputs(status_usage, stdout); return LFS_EXIT_OK;
		case 'V': return lfs_cli_version();
		default: return lfs_cli_bad_option(STATUS, c, argv, longopts);
		}
	}
	if (argc - optind != 1)
		return lfs_cli_operands(STATUS, argv + optind, argc - optind, 1,
		    "MOUNTPOINT");
	return -1;
}

/* Everything but the output; the exit status on failure, else -1. */
static int
gather(struct st *s, const char *arg, int through, char **status_text)
{
	struct holders h = { NULL, 0, 0 };
	int r;

	if (realpath(arg, s->mountpoint) == NULL) {
		fprintf(stderr, STATUS ": %s: %s\n", arg, strerror(errno));
		return LFS_EXIT_FAIL;
	}
	if (find_source(s) < 0 || (r = read_status(s, status_text)) < 0) {
		fprintf(stderr, STATUS ": %s: not a leasefs mount\n", arg);
		return LFS_EXIT_FAIL;
	}
	if ((r = read_hosts(s)) < 0) {
		fprintf(stderr, STATUS ": %s/.hosts: %s\n", arg, strerror(-r));
		return LFS_EXIT_FAIL;
	}
	s->via = "device";
	r = through ? -EPERM : leases_from_device(s);
	if (r < 0 && r != -ENOMEM && !through)
		fprintf(stderr, STATUS ": %s: %s; reading each lease through the "
		    "mount instead\n", s->source, r == -ESTALE ?
		    "holds another lockspace than the mount" : r == -ENODEV ?
		    "the mount does not name its device" : strerror(-r));
	if (r < 0 && r != -ENOMEM) {
		s->via = "mount";
		r = leases_through_mount(s);
	}
	if (r < 0) {
		fprintf(stderr, STATUS ": %s: %s\n", arg, strerror(-r));
		return LFS_EXIT_FAIL;
	}
	if (s->nleases > 0)
		qsort(s->leases, s->nleases, sizeof(*s->leases), lease_cmp);
	if (strcmp(s->via, "device") == 0) {
		if ((r = find_holders(s, &h)) == 0)
			r = attach_holders(s, &h);
		free(h.v);
		if (r < 0) {
			fprintf(stderr, STATUS ": /proc: %s\n", strerror(-r));
			return LFS_EXIT_FAIL;
		}
	}
	return -1;
}

int
cmd_status(int argc, char **argv)
{
	struct st s;
	char *status_text = NULL;
	int rc, json = 0, through = 0;

	if ((rc = parse_args(argc, argv, &json, &through)) >= 0)
		return rc;
	memset(&s, 0, sizeof(s));
	if ((rc = gather(&s, argv[optind], through, &status_text)) < 0) {
		if (json)
			print_json(&s);
		else
			print_text(&s);
		rc = fflush(stdout) == 0 ? LFS_EXIT_OK : LFS_EXIT_FAIL;
	}
	free(status_text);
	free(s.kv);
	free(s.hosts);
	free(s.leases);
	free(s.pids);
	return rc;
}
