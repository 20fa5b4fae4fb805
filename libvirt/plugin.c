// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * plugin.c - leasefs.so, a libvirt lock manager (lock_manager = "leasefs").
 *
 * Each guest lease is a leasefs lease directory MOUNT/KEY; the QEMU process
 * itself holds it, through a lock or incoming file it inherits from the
 * child libvirt forks to exec it, so that fencing kills QEMU and a QEMU that
 * exits releases its leases.  The calls, in the order libvirt makes them
 * (leasefs-libvirt(8) says the same for users):
 *
 *   start, child before exec (Acquire REGISTER_ONLY)     child_take()
 *       lease free (or its owner dead): open lock O_NONBLOCK, i.e. acquire;
 *       busy -> the start fails, nothing written.
 *       lease held by another live host with no request pending: this may
 *       be a migration destination: open incoming (a request), checked to
 *       name this host.  Anything else -> the start fails.
 *   resume, libvirtd before `cont` (Acquire 0)           resume_check()
 *       the lease must be held here by QEMU's own file.  A lease QEMU waits
 *       for on incoming is claimed (ctl `claim`: the source's daemon then
 *       transfers it) and accepted only with a migration state naming the
 *       source, and only at generation+1: exactly the source's one transfer.
 *       A fresh start (no state) takes no lease that arrived by transfer.
 *       On the source, `keep` first disarms the handover (a resume after a
 *       failed migration); a source whose migration failed after the
 *       transfer takes the lease back (take_back) when the destination let
 *       it go free just after it arrived, and nobody took it since.
 *   pause, libvirtd (Release)                            release_one()
 *       during an outgoing migration (libvirt's status XML says
 *       async='migration out': the STOP of the switchover), arm a handover
 *       (ctl `handover`) to the host that requested the lease; otherwise
 *       keep it (a paused guest keeps its lease).  Idempotent; returns the
 *       state.
 *
 * Why a handover, not a transfer at the pause: when a migration fails
 * after the source paused (the destination's QEMU died while the devices'
 * state was sent, say), the source's QEMU resumes its guest by itself,
 * with no lock-manager call.  A lease transferred at the pause would have
 * left that guest running without it (another host could then start the
 * guest: two copies).  So the lease moves only when the destination's
 * libvirt is about to `cont` its QEMU, in its Finish: libvirt calls Finish
 * to go on only after the source's QEMU completed the migration, after
 * which it never resumes by itself (only through libvirt's resume, that is
 * our Acquire, which disarms with `keep` and checks the hold).  Until the
 * claim the lease stays held for the source's QEMU, which fencing kills.
 *   migration Begin, source libvirtd (Inquire)           make_state()
 *       the state that travels in the cookie: per lease its generation
 *       and owner.
 *   destroy, shutdown, libvirtd restart: no call; QEMU's files do it.
 *
 * The state string: "leasefs1" then one " LOCKSPACE/KEY:GENERATION:OWNER"
 * per lease (LOCKSPACE "-" when none).
 *
 * libvirt's lock-driver ABI has no context pointer for drvInit, so the
 * configuration lives in one file-static pointer, set by drvInit and freed
 * by drvDeinit; every other call only reads it.
 */
#include "conf.h"
#include "lock_abi.h"
#include "mountio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LFV_MAX_RES 32

struct lfv_res {
	char lockspace[64]; /* "-" when the lease names none */
	char key[LFV_NAME_MAX + 1];
	char mount[PATH_MAX];
	char dir[PATH_MAX + LFV_NAME_MAX + 2]; /* mount/key */
};

/* one manager: built for one call, freed after it (libvirt's rule) */
struct lfv_dom {
	char name[256];
	int pid;
	size_t nres;
	struct lfv_res res[LFV_MAX_RES];
	size_t unleased_disks; /* writable disks without an auto lease */
};

static struct lfv_conf *lfv_config; /* see the top of the file */

static void lfv_log(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* one line to stderr (libvirtd's log, or the guest's QEMU log in the
 * child) and to log_file; wall-clock with microseconds, so that the lines
 * can be lined up with libvirt's own log */
static void lfv_log(const char *fmt, ...)
{
	char line[1024];
	struct timespec ts;
	struct tm tm;
	va_list ap;
	int n, fd;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(line, sizeof(line),
	    "%04d-%02d-%02d %02d:%02d:%02d.%06ld leasefs[%d]: ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000, (int)getpid());
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	n = (int)strlen(line);
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0) {
		/* nowhere else to say it */
	}
	if (lfv_config && lfv_config->log_file[0]) {
		fd = open(lfv_config->log_file,
		    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		if (fd >= 0) {
			if (write(fd, line, (size_t)n) < 0) {
				/* stderr has it */
			}
			close(fd);
		}
	}
}

static int valid_name(const char *s, size_t max)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > max)
		return 0;
	for (i = 0; i < n; i++)
		if (!(s[i] >= 'a' && s[i] <= 'z') &&
		    !(s[i] >= 'A' && s[i] <= 'Z') &&
		    !(s[i] >= '0' && s[i] <= '9') && s[i] != '.' &&
		    s[i] != '_' && s[i] != '-')
			return 0;
	return strcmp(s, ".") && strcmp(s, "..");
}

/* ---- init, new, free, add resource ---- */

static int lfv_init(unsigned int version, const char *config_file,
    unsigned int flags)
{
	struct lfv_conf *conf;
	int rc;

	(void)flags;
	if (version != LFV_LOCK_MANAGER_VERSION) {
		fprintf(stderr, "leasefs lock plugin: libvirt lock-driver ABI "
		    "%u, this plugin knows %u only\n", version,
		    LFV_LOCK_MANAGER_VERSION);
		return -1;
	}
	conf = malloc(sizeof(*conf));
	if (!conf)
		return -1;
	rc = lfv_conf_load(conf, config_file);
	if (rc < 0) {
		fprintf(stderr, "leasefs lock plugin: %s: %s\n",
		    config_file, strerror(-rc));
		free(conf);
		return -1;
	}
	free(lfv_config);
	lfv_config = conf;
	lfv_log("loaded, config %s", config_file ? config_file : "(none)");
	return 0;
}

static int lfv_deinit(void)
{
	free(lfv_config);
	lfv_config = NULL;
	return 0;
}

static int lfv_new(struct lfv_manager *man, unsigned int type, size_t nparams,
    struct lfv_param *params, unsigned int flags)
{
	struct lfv_dom *dom;
	size_t i;

	(void)flags;
	if (type != LFV_OBJECT_TYPE_DOMAIN || !lfv_config) {
		lfv_log("unsupported object type %u", type);
		return -1;
	}
	dom = calloc(1, sizeof(*dom));
	if (!dom)
		return -1;
	for (i = 0; i < nparams; i++) {
		if (!strcmp(params[i].key, "name") && params[i].value.str)
			snprintf(dom->name, sizeof(dom->name), "%s",
			    params[i].value.str);
		else if (!strcmp(params[i].key, "pid"))
			dom->pid = params[i].value.iv;
	}
	man->priv = dom;
	return 0;
}

static void lfv_free(struct lfv_manager *man)
{
	free(man->priv);
	man->priv = NULL;
}

/* FNV-1a, 64 bits: a stable lease name for a disk path, the same on every
 * host that names the disk by the same path */
static uint64_t fnv1a(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

static int add_res(struct lfv_dom *dom, const char *lockspace, const char *key)
{
	const char *mount = lfv_conf_mount(lfv_config, lockspace);
	struct lfv_res *r;
	char real[PATH_MAX];

	if (!valid_name(key, LFV_NAME_MAX)) {
		lfv_log("%s: lease key '%s' is not a leasefs lease name "
		    "(1-%d of A-Z a-z 0-9 . _ -)", dom->name, key,
		    LFV_NAME_MAX);
		return -1;
	}
	if (lockspace && !valid_name(lockspace, sizeof(r->lockspace) - 1)) {
		lfv_log("%s: lockspace '%s' is not a valid name", dom->name,
		    lockspace);
		return -1;
	}
	if (!mount) {
		lfv_log("%s: no mount serves lockspace '%s' (lockspaces in "
		    "qemu-leasefs.conf)", dom->name, lockspace);
		return -1;
	}
	if (dom->nres == LFV_MAX_RES) {
		lfv_log("%s: more than %d leases", dom->name, LFV_MAX_RES);
		return -1;
	}
	/* /proc/PID/fd shows canonical paths: compare against the same */
	if (!realpath(mount, real)) {
		lfv_log("%s: mount %s: %s", dom->name, mount,
		    strerror(errno));
		return -1;
	}
	r = &dom->res[dom->nres++];
	snprintf(r->lockspace, sizeof(r->lockspace), "%s",
	    lockspace ? lockspace : "-");
	snprintf(r->key, sizeof(r->key), "%s", key);
	snprintf(r->mount, sizeof(r->mount), "%s", real);
	snprintf(r->dir, sizeof(r->dir), "%s/%s", real, key);
	return 0;
}

static int lfv_add_resource(struct lfv_manager *man, unsigned int type,
    const char *name, size_t nparams, struct lfv_param *params,
    unsigned int flags)
{
	struct lfv_dom *dom = man->priv;
	const char *lockspace = NULL;
	char key[LFV_NAME_MAX + 1];
	size_t i;

	if (type == LFV_RESOURCE_TYPE_LEASE) {
		for (i = 0; i < nparams; i++)
			if (!strcmp(params[i].key, "lockspace"))
				lockspace = params[i].value.str;
		return add_res(dom, lockspace, name);
	}
	if (type != LFV_RESOURCE_TYPE_DISK)
		return -1;
	/* a read-only or shared disk needs no exclusive lease */
	if (flags & (LFV_RESOURCE_READONLY | LFV_RESOURCE_SHARED))
		return 0;
	if (!lfv_config->auto_disk_leases) {
		dom->unleased_disks++;
		return 0;
	}
	snprintf(key, sizeof(key), "%s%016llx", lfv_config->disk_lease_prefix,
	    (unsigned long long)fnv1a(name));
	return add_res(dom, NULL, key);
}

/* ---- the state string ---- */

struct lfv_entry {
	char id[64 + LFV_NAME_MAX + 2]; /* LOCKSPACE/KEY */
	unsigned long long generation;
	int owner;
};

static void res_id(const struct lfv_res *r, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", r->lockspace, r->key);
}

/* find RES's entry in STATE; 0, -ENOENT (not there) or -EPROTO */
static int state_find(const char *state, const struct lfv_res *r,
    struct lfv_entry *e)
{
	char want[sizeof(e->id)], tok[256];
	const char *p;
	int n;

	if (strncmp(state, "leasefs1", 8) ||
	    (state[8] != ' ' && state[8] != '\0'))
		return -EPROTO;
	res_id(r, want, sizeof(want));
	for (p = state + 8; *p == ' '; ) {
		p++;
		n = (int)strcspn(p, " ");
		if (n >= (int)sizeof(tok))
			return -EPROTO;
		memcpy(tok, p, (size_t)n);
		tok[n] = '\0';
		p += n;
		if (sscanf(tok, "%127[^:]:%llu:%d", e->id, &e->generation,
		    &e->owner) != 3)
			return -EPROTO;
		if (!strcmp(e->id, want))
			return 0;
	}
	return -ENOENT;
}

/* the state of every lease, as the disk shows it now; NULL if none */
static int make_state(struct lfv_dom *dom, char **state)
{
	size_t len = 16 + dom->nres * 192, i;
	struct lfv_lstate st;
	char *s, id[sizeof(((struct lfv_entry *)0)->id)];
	int rc;

	*state = NULL;
	if (dom->nres == 0)
		return 0;
	s = malloc(len);
	if (!s)
		return -1;
	snprintf(s, len, "leasefs1");
	for (i = 0; i < dom->nres; i++) {
		rc = lfv_read_state(dom->res[i].dir, &st);
		if (rc < 0) {
			lfv_log("%s: %s: %s", dom->name, dom->res[i].dir,
			    strerror(-rc));
			free(s);
			return -1;
		}
		res_id(&dom->res[i], id, sizeof(id));
		snprintf(s + strlen(s), len - strlen(s), " %s:%llu:%d", id,
		    st.generation, st.owner_id);
	}
	*state = s;
	return 0;
}

/* ---- acquire ---- */

/* in the child: take lease R for the process about to exec QEMU, as an
 * open file it inherits; *fd gets it */
static int child_take(struct lfv_dom *dom, const struct lfv_res *r, int *fd)
{
	char path[sizeof(r->dir) + 16];
	struct lfv_lstate st;
	int rc, me;

	*fd = -1;
	if (lfv_config->create_leases && mkdir(r->dir, 0770) < 0 &&
	    errno != EEXIST) {
		lfv_log("%s: mkdir %s: %s", dom->name, r->dir,
		    strerror(errno));
		return -1;
	}
	rc = lfv_host_id(r->mount, &me);
	if (rc == 0)
		rc = lfv_read_state(r->dir, &st);
	if (rc < 0) {
		lfv_log("%s: %s: %s", dom->name, r->dir, strerror(-rc));
		return -1;
	}
	if (!strcmp(st.state, "free") || !strcmp(st.state, "owner dead")) {
		snprintf(path, sizeof(path), "%s/lock", r->dir);
		/* not O_CLOEXEC: QEMU inherits it and is the holder */
		*fd = open(path, O_WRONLY | O_NONBLOCK);
		if (*fd < 0) {
			lfv_log("%s: lease %s busy: %s", dom->name, r->key,
			    strerror(errno));
			return -1;
		}
		lfv_log("%s: acquired lease %s for pid %d", dom->name, r->key,
		    (int)getpid());
		return 0;
	}
	if (strcmp(st.state, "held") || st.request_id != 0) {
		lfv_log("%s: lease %s is %s (owner %d, request %d): refusing "
		    "to start", dom->name, r->key, st.state, st.owner_id,
		    st.request_id);
		return -1;
	}
	/* held by a live host and nobody asked: maybe we are the
	 * destination of its migration.  The request replaces nobody's;
	 * check it is ours (another host may have asked meanwhile). */
	snprintf(path, sizeof(path), "%s/incoming", r->dir);
	*fd = open(path, O_WRONLY);
	if (*fd < 0) {
		lfv_log("%s: lease %s: incoming: %s", dom->name, r->key,
		    strerror(errno));
		return -1;
	}
	rc = lfv_read_state(r->dir, &st);
	if (rc < 0 || st.request_id != me) {
		lfv_log("%s: lease %s: the request is not ours (%d)",
		    dom->name, r->key, rc < 0 ? rc : st.request_id);
		close(*fd);
		*fd = -1;
		return -1;
	}
	lfv_log("%s: lease %s held by host %d: requested it for pid %d "
	    "(waits for a migration's transfer)", dom->name, r->key,
	    st.owner_id, (int)getpid());
	return 0;
}

static int child_acquire(struct lfv_dom *dom)
{
	int fds[LFV_MAX_RES];
	size_t i, j;

	if (dom->nres == 0 && dom->unleased_disks &&
	    lfv_config->require_lease_for_disks) {
		lfv_log("%s: no lease for its disks (require_lease_for_disks)",
		    dom->name);
		return -1;
	}
	for (i = 0; i < dom->nres; i++) {
		if (child_take(dom, &dom->res[i], &fds[i]) < 0) {
			/* closing gives back what the others took */
			for (j = 0; j < i; j++)
				close(fds[j]);
			return -1;
		}
	}
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* the source of a migration that failed after the switchover's transfer
 * resumes: the state saved at its pause names the destination at
 * generation G, and the lease is now free at G+1: the destination's QEMU
 * held it and exited (libvirt killed it when its Finish failed), and nobody
 * took it since.  Take it again for our QEMU, held for its pid (ctl
 * `acquire pid`): the guest then runs here only, as before the migration. */
static int take_back(struct lfv_dom *dom, const struct lfv_res *r,
    const struct lfv_entry *e)
{
	char cmd[40];
	int rc;

	snprintf(cmd, sizeof(cmd), "acquire pid %d", dom->pid);
	rc = lfv_ctl(r->dir, cmd);
	if (rc < 0) {
		lfv_log("%s: lease %s came back free from host %d, but taking "
		    "it again for QEMU (pid %d) failed: %s: refusing to resume",
		    dom->name, r->key, e->owner, dom->pid, strerror(-rc));
		return -1;
	}
	lfv_log("%s: lease %s came back free from host %d after a failed "
	    "migration: acquired again for QEMU (pid %d)", dom->name, r->key,
	    e->owner, dom->pid);
	return 0;
}

/* before `cont`: is lease R held by QEMU (dom->pid) as STATE allows? */
static int resume_check(struct lfv_dom *dom, const struct lfv_res *r,
    const char *state)
{
	struct timespec ms1 = { 0, 1000000 };
	struct lfv_entry e;
	struct lfv_lstate st;
	enum lfv_file kind;
	unsigned long long want;
	long long deadline;
	int rc, me, owner, have = 0;

	rc = lfv_host_id(r->mount, &me);
	if (rc == 0)
		rc = lfv_pid_file(dom->pid, r->dir, &kind);
	/* our own file: no handover of ours may move the lease from now on
	 * (EPERM: it is not held here any more, which the state shows) */
	if (rc == 0 && kind == LFV_FILE_LOCK &&
	    (rc = lfv_ctl(r->dir, "keep")) == -EPERM)
		rc = 0;
	if (rc == 0)
		rc = lfv_read_state(r->dir, &st);
	if (rc < 0) {
		lfv_log("%s: lease %s: %s", dom->name, r->key, strerror(-rc));
		return -1;
	}
	if (state) {
		rc = state_find(state, r, &e);
		if (rc == -EPROTO) {
			lfv_log("%s: unreadable lock state '%s'", dom->name,
			    state);
			return -1;
		}
		have = rc == 0;
	}
	if (kind == LFV_FILE_NONE) {
		lfv_log("%s: QEMU (pid %d) holds no file of lease %s "
		    "(leases cannot be hot-plugged)", dom->name, dom->pid,
		    r->key);
		return -1;
	}
	if (kind == LFV_FILE_INCOMING) {
		if (!have || e.owner == me || e.owner == 0) {
			lfv_log("%s: lease %s would arrive by transfer, but "
			    "no migration names its source: refusing",
			    dom->name, r->key);
			return -1;
		}
		/* claim it: the source's daemon, which armed a handover to
		 * us at its pause, sees the claim within 1 ms, transfers (a
		 * ballot: a few I/Os), and ours sees the arrival within 1 ms
		 * (arrival_timeout_ms is slack, for slow storage).  Already
		 * here (a source that transferred at its pause): 0. */
		rc = lfv_ctl(r->dir, "claim");
		if (rc < 0) {
			lfv_log("%s: claiming lease %s from host %d: %s: "
			    "refusing", dom->name, r->key, e.owner,
			    strerror(-rc));
			return -1;
		}
		/* wait on the owner file (state would scan /proc at
		 * every read), then check the whole state once */
		deadline = now_ms() + lfv_config->arrival_timeout_ms;
		while (lfv_read_owner(r->dir, &owner) == 0 &&
		    owner == e.owner && now_ms() < deadline)
			nanosleep(&ms1, NULL);
		if (lfv_read_state(r->dir, &st) < 0)
			return -1;
		if (strcmp(st.state, "held here") ||
		    st.generation != e.generation + 1) {
			lfv_log("%s: lease %s not transferred here from host "
			    "%d at generation %llu (state %s, owner %d, "
			    "generation %llu): refusing", dom->name, r->key,
			    e.owner, e.generation + 1, st.state, st.owner_id,
			    st.generation);
			return -1;
		}
		lfv_log("%s: lease %s arrived from host %d, generation %llu",
		    dom->name, r->key, e.owner, st.generation);
		return 0;
	}
	if (have && e.owner != 0) {
		/* the saved state names us (our pause armed a handover) or,
		 * from an older plugin, the destination it transferred to */
		want = e.generation + (e.owner == me ? 2 : 1);
		deadline = now_ms() + lfv_config->arrival_timeout_ms;
		while (st.generation == want - 1 && st.owner_id != me &&
		    st.owner_id != 0 && now_ms() < deadline) {
			/* transferred, and the destination's QEMU is going
			 * away: its daemon releases within a few I/Os */
			nanosleep(&ms1, NULL);
			if (lfv_read_state(r->dir, &st) < 0)
				break;
		}
		if (!strcmp(st.state, "free") && st.generation == want)
			return take_back(dom, r, &e);
	}
	/* our own lock file (or a take_back): still held for QEMU? */
	if (strcmp(st.state, "held here") || !lfv_is_holder(&st, dom->pid) ||
	    (have && e.owner == me && e.generation != st.generation)) {
		lfv_log("%s: lease %s no longer held by QEMU (pid %d): state "
		    "%s, owner %d, generation %llu: refusing to resume",
		    dom->name, r->key, dom->pid, st.state, st.owner_id,
		    st.generation);
		return -1;
	}
	return 0;
}

static int lfv_acquire(struct lfv_manager *man, const char *state,
    unsigned int flags, int action, int *fd)
{
	struct lfv_dom *dom = man->priv;
	size_t i;

	(void)action;
	if (fd)
		*fd = -1; /* QEMU inherits our files; none to hand back */
	if (flags & LFV_ACQUIRE_REGISTER_ONLY)
		return child_acquire(dom);
	if (dom->pid <= 0) {
		lfv_log("%s: acquire without a QEMU pid", dom->name);
		return -1;
	}
	for (i = 0; i < dom->nres; i++)
		if (resume_check(dom, &dom->res[i], state) < 0)
			return -1;
	if (dom->nres)
		lfv_log("%s: resume allowed (state %s)", dom->name,
		    state ? state : "none");
	return 0;
}

/* ---- release, inquire ---- */

/* libvirt's status XML of the guest says an outgoing migration is the
 * async job: the STOP being handled is the migration's switchover, not a
 * user's suspend (libvirt saves the job there before it migrates) */
static int migrating_out(const struct lfv_dom *dom)
{
	char path[PATH_MAX + 300], buf[8192];
	size_t n;
	FILE *f;
	int found = 0;

	snprintf(path, sizeof(path), "%s/%s.xml",
	    lfv_config->libvirt_state_dir, dom->name);
	f = fopen(path, "re");
	if (!f)
		return 0;
	/* the <job> element is near the top, before the domain XML */
	while (!found && (n = fread(buf, 1, sizeof(buf) - 1, f)) > 0) {
		buf[n] = '\0';
		found = strstr(buf, "async='migration out'") != NULL;
		if (strstr(buf, "<domain "))
			break;
	}
	fclose(f);
	return found;
}

static int release_one(struct lfv_dom *dom, const struct lfv_res *r,
    int migrating)
{
	struct lfv_lstate st;
	char cmd[32];
	int rc, me;

	rc = lfv_host_id(r->mount, &me);
	if (rc == 0)
		rc = lfv_read_state(r->dir, &st);
	if (rc < 0) {
		lfv_log("%s: lease %s: %s", dom->name, r->key, strerror(-rc));
		return -1;
	}
	if (!migrating || strcmp(st.state, "held here") ||
	    !lfv_is_holder(&st, dom->pid))
		return 0; /* paused here, or already gone: nothing to do */
	if (st.request_id == 0 || st.request_id == me) {
		lfv_log("%s: migrating, but no host requested lease %s: "
		    "keeping it (the destination will refuse to resume)",
		    dom->name, r->key);
		return -1;
	}
	snprintf(cmd, sizeof(cmd), "handover %d", st.request_id);
	rc = lfv_ctl(r->dir, cmd);
	if (rc < 0) {
		lfv_log("%s: arming the handover of lease %s to host %d failed: "
		    "%s: keeping it", dom->name, r->key, st.request_id,
		    strerror(-rc));
		return -1;
	}
	lfv_log("%s: handover of lease %s to host %d armed (generation %llu): "
	    "it moves when host %d's QEMU is about to run", dom->name, r->key,
	    st.request_id, st.generation, st.request_id);
	return 0;
}

static int lfv_release(struct lfv_manager *man, char **state,
    unsigned int flags)
{
	struct lfv_dom *dom = man->priv;
	int migrating, rc = 0;
	size_t i;

	(void)flags;
	if (state)
		*state = NULL;
	if (dom->nres == 0)
		return 0;
	migrating = dom->pid > 0 && migrating_out(dom);
	for (i = 0; i < dom->nres; i++)
		if (release_one(dom, &dom->res[i], migrating) < 0)
			rc = -1;
	if (state && make_state(dom, state) < 0)
		return -1;
	return rc;
}

static int lfv_inquire(struct lfv_manager *man, char **state,
    unsigned int flags)
{
	struct lfv_dom *dom = man->priv;

	(void)flags;
	if (make_state(dom, state) < 0)
		return -1;
	if (*state)
		lfv_log("%s: state %s", dom->name, *state);
	return 0;
}

/* the symbol libvirt looks up after dlopen */
struct lfv_driver virLockDriverImpl __attribute__((visibility("default"))) = {
	.version = LFV_LOCK_MANAGER_VERSION,
	.flags = LFV_DRIVER_USES_STATE,
	.drv_init = lfv_init,
	.drv_deinit = lfv_deinit,
	.drv_new = lfv_new,
	.drv_free = lfv_free,
	.drv_add_resource = lfv_add_resource,
	.drv_acquire = lfv_acquire,
	.drv_release = lfv_release,
	.drv_inquire = lfv_inquire,
};
