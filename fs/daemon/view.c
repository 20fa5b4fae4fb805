/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * view.c - the FUSE low-level operations: one mount is one lockspace.
 *
 *   /                 0775 dir: one directory per lease (mkdir, rmdir)
 *   /.hosts, .status  0444 (hidden from readdir)
 *   /NAME/            0755 dir: owner 0444, state 0444, ctl 0220,
 *                     lock 0660, incoming 0660
 *
 * Sections:
 *   1. inodes and attributes
 *   2. lookup, getattr, setattr
 *   3. directories: readdir, mkdir, rmdir
 *   4. open, read, write, release, poll
 *   5. refusals and the operations table
 *
 * Every request is answered exactly once, on every path; errors are
 * computed first and replied last.  Blocking opens of `lock` are answered
 * later by the watcher (watcher.c).  All files use direct_io: their contents
 * change behind the kernel's back, and their size is reported as 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "context.h"
#include "daemon.h"
#include "names.h"
#include "render.h"
#include "snap.h"
#include "valuefile.h"
#include "view.h"

static const char *const kind_names[] = {
	[LFS_K_OWNER] = "owner", [LFS_K_STATE] = "state", [LFS_K_CTL] = "ctl",
	[LFS_K_LOCK] = "lock", [LFS_K_INCOMING] = "incoming",
	[LFS_K_VALUE] = "value",
};

/* ---- 1. inodes and attributes ---- */

static struct lfs_daemon *
daemon_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

/* Kind and lease of ino; -ENOENT when unknown or deleted. */
static int
resolve(struct lfs_daemon *d, fuse_ino_t ino, int *kind, struct lfs_dlease **l)
{
	*l = NULL;
	switch (ino) {
	case LFS_INO_ROOT: *kind = LFS_K_ROOT; return 0;
	case LFS_INO_HOSTS: *kind = LFS_K_HOSTS; return 0;
	case LFS_INO_STATUS: *kind = LFS_K_STATUS; return 0;
	}
	*kind = LFS_INO_KIND(ino);
	if (*kind > LFS_K_VALUE)
		return -ENOENT;
	*l = lfs_table_slot(d, LFS_INO_SLOT(ino));
	return *l == NULL || lfs_lease_deleted(*l) ? -ENOENT : 0;
}

static void
fill_attr(const struct lfs_daemon *d, fuse_ino_t ino, int kind, struct stat *st)
{
	static const mode_t modes[] = {
		[LFS_K_DIR] = S_IFDIR | 0755, [LFS_K_OWNER] = S_IFREG | 0444,
		[LFS_K_STATE] = S_IFREG | 0444, [LFS_K_CTL] = S_IFREG | 0220,
		[LFS_K_LOCK] = S_IFREG | 0660, [LFS_K_INCOMING] = S_IFREG | 0660,
		[LFS_K_VALUE] = S_IFREG | 0664,
	};

	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_uid = 0;
	st->st_gid = d->gid;
	st->st_blksize = 4096;
	st->st_atime = st->st_mtime = st->st_ctime = (time_t)d->start_time;
	if (kind == LFS_K_ROOT)
		st->st_mode = S_IFDIR | 0775;
	else if (kind == LFS_K_HOSTS || kind == LFS_K_STATUS)
		st->st_mode = S_IFREG | 0444;
	else
		st->st_mode = modes[kind];
	st->st_nlink = S_ISDIR(st->st_mode) ? 2 : 1;
}

static void
reply_entry(fuse_req_t req, struct lfs_daemon *d, fuse_ino_t ino, int kind,
    uint32_t generation)
{
	struct fuse_entry_param e;

	memset(&e, 0, sizeof(e));
	e.ino = ino;
	e.generation = generation;
	fill_attr(d, ino, kind, &e.attr);
	e.attr_timeout = LFS_ATTR_TIMEOUT_S;
	e.entry_timeout = LFS_ATTR_TIMEOUT_S;
	fuse_reply_entry(req, &e);
}

/* ---- 2. lookup, getattr, setattr ---- */

static void
view_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct lfs_daemon *d = daemon_of(req);
	struct lfs_dlease *l;
	int kind, k, r;

	if (parent == LFS_INO_ROOT) {
		if (strcmp(name, ".hosts") == 0)
			return reply_entry(req, d, LFS_INO_HOSTS, LFS_K_HOSTS, 0);
		if (strcmp(name, ".status") == 0)
			return reply_entry(req, d, LFS_INO_STATUS, LFS_K_STATUS, 0);
		if (lfs_name_check(name) < 0)
			return (void)fuse_reply_err(req, ENOENT);
		if ((r = lfs_table_lookup(d, name, &l)) < 0)
			return (void)fuse_reply_err(req, -r);
		return reply_entry(req, d, LFS_INO(l->ref.slot, LFS_K_DIR),
		    LFS_K_DIR, l->ref.incarnation);
	}
	if ((r = resolve(d, parent, &kind, &l)) < 0)
		return (void)fuse_reply_err(req, -r);
	if (kind != LFS_K_DIR)
		return (void)fuse_reply_err(req, ENOTDIR);
	for (k = LFS_K_OWNER; k <= LFS_K_VALUE; k++)
		if (strcmp(name, kind_names[k]) == 0)
			return reply_entry(req, d, LFS_INO(l->ref.slot, k), k,
			    l->ref.incarnation);
	fuse_reply_err(req, ENOENT);
}

static void
view_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct lfs_daemon *d = daemon_of(req);
	struct lfs_dlease *l;
	struct stat st;
	int kind, r;

	(void)fi;
	if ((r = resolve(d, ino, &kind, &l)) < 0)
		return (void)fuse_reply_err(req, -r);
	fill_attr(d, ino, kind, &st);
	fuse_reply_attr(req, &st, LFS_ATTR_TIMEOUT_S);
}

/* Only truncation to 0 of a writable file is accepted (and ignored): the
 * shell's `echo acquire > ctl` opens with O_TRUNC, which arrives here.
 * Time updates (touch) are accepted and ignored too. */
static void
view_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
    struct fuse_file_info *fi)
{
	const int times = FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME |
	    FUSE_SET_ATTR_ATIME_NOW | FUSE_SET_ATTR_MTIME_NOW |
	    FUSE_SET_ATTR_CTIME;
	struct lfs_daemon *d = daemon_of(req);
	struct lfs_dlease *l;
	struct stat st;
	int kind, r;

	(void)fi;
	if ((r = resolve(d, ino, &kind, &l)) < 0)
		return (void)fuse_reply_err(req, -r);
	if (to_set & ~(times | FUSE_SET_ATTR_SIZE))
		return (void)fuse_reply_err(req, EPERM);
	if ((to_set & FUSE_SET_ATTR_SIZE) && (attr->st_size != 0 ||
	    (kind != LFS_K_CTL && kind != LFS_K_LOCK && kind != LFS_K_INCOMING &&
	    kind != LFS_K_VALUE)))
		return (void)fuse_reply_err(req, EPERM);
	fill_attr(d, ino, kind, &st);
	fuse_reply_attr(req, &st, LFS_ATTR_TIMEOUT_S);
}

/* ---- 3. directories ---- */

static void
view_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct lfs_daemon *d = daemon_of(req);
	struct lfs_dlease *l;
	struct lfs_fh *fh;
	int kind, r;

	if ((r = resolve(d, ino, &kind, &l)) < 0)
		return (void)fuse_reply_err(req, -r);
	if (kind != LFS_K_ROOT && kind != LFS_K_DIR)
		return (void)fuse_reply_err(req, ENOTDIR);
	if ((fh = lfs_fh_new(d, kind, l)) == NULL)
		return (void)fuse_reply_err(req, ENOMEM);
	fi->fh = (uintptr_t)fh;
	if (fuse_reply_open(req, fi) < 0)
		lfs_fh_free(d, fh);
}

/* Re-read the name table into the root directory handle. */
static int
relist(struct lfs_daemon *d, struct lfs_fh *fh)
{
	struct lfs_lease_entry *e;
	uint32_t n;
	int r;

	if ((r = lfs_table_list(d, &e, &n)) < 0)
		return r;
	free(fh->ents);
	fh->ents = e;
	fh->n_ents = n;
	return 0;
}

/* Name and inode of directory entry i of fh (0 ".", 1 "..", then the rest);
 * NULL past the end. */
static const char *
dir_entry(const struct lfs_fh *fh, fuse_ino_t self, size_t i, fuse_ino_t *ino)
{
	if (i < 2) {
		*ino = i == 0 ? self : LFS_INO_ROOT;
		return i == 0 ? "." : "..";
	}
	i -= 2;
	if (fh->kind == LFS_K_ROOT) {
		if (i >= fh->n_ents)
			return NULL;
		*ino = LFS_INO(fh->ents[i].ref.slot, LFS_K_DIR);
		return fh->ents[i].name;
	}
	if (i >= LFS_K_VALUE)
		return NULL;
	*ino = self + 1 + i;
	return kind_names[LFS_K_OWNER + i];
}

static void
view_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	struct lfs_daemon *d = daemon_of(req);
	struct lfs_fh *fh = (struct lfs_fh *)(uintptr_t)fi->fh;
	size_t pos = 0, ent;
	const char *name;
	struct stat st;
	fuse_ino_t eino;
	char *buf;
	int r;

	if (fh->kind == LFS_K_ROOT && off == 0 && (r = relist(d, fh)) < 0)
		return (void)fuse_reply_err(req, -r);
	if ((buf = malloc(size)) == NULL)
		return (void)fuse_reply_err(req, ENOMEM);
	memset(&st, 0, sizeof(st));
	for (ent = (size_t)off; (name = dir_entry(fh, ino, ent, &eino)) != NULL;
	    ent++) {
		size_t need;

		st.st_ino = eino;
		st.st_mode = ent < 2 || fh->kind == LFS_K_ROOT ? S_IFDIR : S_IFREG;
		need = fuse_add_direntry(req, buf + pos, size - pos, name, &st,
		    (off_t)ent + 1);
		if (need > size - pos)
			break;
		pos += need;
	}
	fuse_reply_buf(req, buf, pos);
	free(buf);
}

static void
view_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct lfs_daemon *d = daemon_of(req);

	(void)ino;
	lfs_fh_free(d, (struct lfs_fh *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

static void
view_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	struct lfs_daemon *d = daemon_of(req);
	struct lfs_lease_entry e;
	int r;

	(void)mode;
	if (parent != LFS_INO_ROOT)
		return (void)fuse_reply_err(req, EPERM);
	if (lfs_name_check(name) < 0) {
		lfs_log(&d->log, LOG_WARNING, "mkdir: '%s' is not a valid lease "
		    "name", name);
		return (void)fuse_reply_err(req, EINVAL);
	}
	if ((r = lfs_table_create(d, name, &e)) < 0)
		return (void)fuse_reply_err(req, -r);
	reply_entry(req, d, LFS_INO(e.ref.slot, LFS_K_DIR), LFS_K_DIR,
	    e.ref.incarnation);
}

static void
view_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct lfs_daemon *d = daemon_of(req);

	if (parent != LFS_INO_ROOT)
		return (void)fuse_reply_err(req, EPERM);
	fuse_reply_err(req, -lfs_table_delete(d, name));
}

/* ---- 4. files ---- */

/* Open of owner, state, .hosts, .status: compute the text now. */
static void
open_text(fuse_req_t req, struct lfs_daemon *d, struct fuse_file_info *fi,
    int kind, struct lfs_dlease *l)
{
	struct lfs_fh *fh;
	int r;

	if ((fi->flags & O_ACCMODE) != O_RDONLY)
		return (void)fuse_reply_err(req, EACCES);
	if ((fh = lfs_fh_new(d, kind, l)) == NULL)
		return (void)fuse_reply_err(req, ENOMEM);
	if ((r = lfs_render(d, fh)) < 0) {
		lfs_fh_free(d, fh);
		return (void)fuse_reply_err(req, -r);
	}
	fh->fresh = 1;
	fi->fh = (uintptr_t)fh;
	lfs_reply_open(d, req, fi, fh);
}

/* Open of value: any access mode (writes are checked one by one); its
 * contents are read now when it is opened for reading. */
static void
open_value(fuse_req_t req, struct lfs_daemon *d, struct fuse_file_info *fi,
    struct lfs_dlease *l)
{
	struct lfs_fh *fh;
	int r;

	if ((fh = lfs_fh_new(d, LFS_K_VALUE, l)) == NULL)
		return (void)fuse_reply_err(req, ENOMEM);
	if ((fi->flags & O_ACCMODE) != O_WRONLY) {
		if ((r = lfs_render(d, fh)) < 0) {
			lfs_fh_free(d, fh);
			return (void)fuse_reply_err(req, -r);
		}
		fh->fresh = 1;
	}
	fi->fh = (uintptr_t)fh;
	lfs_reply_open(d, req, fi, fh);
}

static void
open_lock(fuse_req_t req, struct lfs_daemon *d, struct fuse_file_info *fi,
    int kind, struct lfs_dlease *l)
{
	struct lfs_fh *fh;
	int r;

	/* lock read-only: a shared hold, as dlmfs (there is no shared
	 * request: incoming needs write access) */
	if ((fi->flags & O_ACCMODE) == O_RDONLY && kind == LFS_K_INCOMING)
		return (void)fuse_reply_err(req, EINVAL);
	if ((fh = lfs_fh_new(d, kind, l)) == NULL)
		return (void)fuse_reply_err(req, ENOMEM);
	fh->shared = (fi->flags & O_ACCMODE) == O_RDONLY;
	fi->fh = (uintptr_t)fh;
	if (kind == LFS_K_INCOMING)
		r = lfs_hold_incoming(d, l, fh);
	else
		r = lfs_hold_lock(d, l, fh, 0, NULL);
	if (r == -EWOULDBLOCK && !(fi->flags & O_NONBLOCK))
		r = lfs_waiter_defer(d, l, req, fi, fh);
	else if (r == 0)
		return lfs_reply_open(d, req, fi, fh);
	else if (r == -EWOULDBLOCK)
		lfs_log(&d->log, LOG_INFO, "%s: non-blocking %slock open: "
		    "busy", l->name, fh->shared ? "shared " : "");
	if (r < 0) {
		lfs_fh_free(d, fh);
		fuse_reply_err(req, -r);
	}
	/* r == 0 here: deferred, the watcher replies */
}

static void
view_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct lfs_daemon *d = daemon_of(req);
	struct lfs_dlease *l;
	struct lfs_fh *fh;
	int kind, r;

	if ((r = resolve(d, ino, &kind, &l)) < 0)
		return (void)fuse_reply_err(req, -r);
	fi->direct_io = 1;
	fi->keep_cache = 0;
	switch (kind) {
	case LFS_K_OWNER: case LFS_K_STATE: case LFS_K_HOSTS: case LFS_K_STATUS:
		return open_text(req, d, fi, kind, l);
	case LFS_K_VALUE:
		return open_value(req, d, fi, l);
	case LFS_K_LOCK: case LFS_K_INCOMING:
		return open_lock(req, d, fi, kind, l);
	case LFS_K_CTL:
		if ((fi->flags & O_ACCMODE) != O_WRONLY)
			return (void)fuse_reply_err(req, EACCES);
		if ((fh = lfs_fh_new(d, kind, l)) == NULL)
			return (void)fuse_reply_err(req, ENOMEM);
		fi->fh = (uintptr_t)fh;
		return lfs_reply_open(d, req, fi, fh);
	default:
		return (void)fuse_reply_err(req, EISDIR);
	}
}

static void
view_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	struct lfs_daemon *d = daemon_of(req);
	struct lfs_fh *fh = (struct lfs_fh *)(uintptr_t)fi->fh;
	char small[64], *copy = NULL;
	const char *text;
	size_t len, n = 0;
	int r, fresh;

	(void)ino;
	if (fh->kind == LFS_K_CTL)
		return (void)fuse_reply_err(req, EBADF);
	/* A read from the start shows the disk as it is now (after poll(2)
	 * said it changed, say), except right after open, which just read it:
	 * `cat owner` costs one leader read, not two. */
	lfs_table_lock(d);
	fresh = fh->fresh;
	fh->fresh = 0;
	lfs_table_unlock(d);
	if (fh->kind != LFS_K_LOCK && fh->kind != LFS_K_INCOMING && off == 0 &&
	    !fresh && (r = lfs_render(d, fh)) < 0)
		return (void)fuse_reply_err(req, -r);
	lfs_table_lock(d);
	if (fh->kind == LFS_K_LOCK || fh->kind == LFS_K_INCOMING) {
		text = lfs_render_hold(fh->st, fh->shared, fh->lver, small,
		    sizeof(small));
		fh->st_read = fh->st;
	} else {
		text = fh->text;
	}
	len = text != NULL ? strlen(text) : 0;
	if (fh->text == text)
		len = fh->len;
	if (off >= 0 && (size_t)off < len) {
		n = len - (size_t)off < size ? len - (size_t)off : size;
		if ((copy = malloc(n)) != NULL)
			memcpy(copy, text + off, n);
	}
	lfs_table_unlock(d);
	if (n > 0 && copy == NULL)
		return (void)fuse_reply_err(req, ENOMEM);
	fuse_reply_buf(req, copy, n);
	free(copy);
}

static void
view_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size,
    off_t off, struct fuse_file_info *fi)
{
	struct lfs_daemon *d = daemon_of(req);
	struct lfs_fh *fh = (struct lfs_fh *)(uintptr_t)fi->fh;
	struct lfs_ctl_cmd cmd;
	int r;

	(void)ino;
	if (fh->kind == LFS_K_VALUE || fh->kind == LFS_K_LOCK ||
	    fh->kind == LFS_K_INCOMING) {
		if ((r = lfs_value_store(d, fh, buf, size, off)) < 0)
			return (void)fuse_reply_err(req, -r);
		return (void)fuse_reply_write(req, size);
	}
	if (fh->kind != LFS_K_CTL)
		return (void)fuse_reply_err(req, EPERM);
	if (lfs_ctl_parse(buf, size, &cmd) < 0) {
		lfs_log(&d->log, LOG_WARNING, "%s: ctl: malformed command "
		    "(%zu bytes)", fh->lease->name, size);
		return (void)fuse_reply_err(req, EINVAL);
	}
	if ((r = lfs_hold_ctl(d, fh->lease, &cmd, fuse_req_ctx(req)->uid)) < 0)
		return (void)fuse_reply_err(req, -r);
	fuse_reply_write(req, size);
}

static void
view_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct lfs_daemon *d = daemon_of(req);
	struct lfs_fh *fh = (struct lfs_fh *)(uintptr_t)fi->fh;

	(void)ino;
	if (fh->kind == LFS_K_LOCK || fh->kind == LFS_K_INCOMING) {
		lfs_hold_close(d, fh);
	} else if (fh->lease != NULL) {
		lfs_table_lock(d);
		lfs_poll_unregister_locked(fh);
		lfs_table_unlock(d);
	}
	lfs_fh_free(d, fh);
	fuse_reply_err(req, 0);
}

/*
 * poll: readable means "changed since you last read".  owner/state compare
 * the disk now with what their text was made from; lock/incoming compare
 * their state with the one last read.  Unchanged: keep the handle, and the
 * watcher (owner/state) or the transition itself (lock/incoming) notifies.
 */
static void
view_poll(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
    struct fuse_pollhandle *ph)
{
	const unsigned ready = POLLIN | POLLRDNORM | POLLPRI;
	struct lfs_daemon *d = daemon_of(req);
	struct lfs_fh *fh = (struct lfs_fh *)(uintptr_t)fi->fh;
	unsigned revents = 0;
	struct lfs_snap now, was;

	(void)ino;
	if (fh->lease == NULL || fh->kind == LFS_K_CTL) {
		if (ph != NULL)
			fuse_pollhandle_destroy(ph);
		return (void)fuse_reply_poll(req, fh->kind == LFS_K_CTL ?
		    POLLOUT : ready);
	}
	if (fh->kind == LFS_K_OWNER || fh->kind == LFS_K_STATE) {
		lfs_snap_read(d, fh->lease, fh->kind == LFS_K_STATE, &now);
		lfs_table_lock(d);
		was = fh->snap;
		lfs_table_unlock(d);
		if (!lfs_snap_equal(&was, &now, fh->kind))
			revents = ready;
	} else {
		lfs_table_lock(d);
		if (fh->st != fh->st_read)
			revents = ready;
		lfs_table_unlock(d);
	}
	if (ph != NULL && revents == 0)
		lfs_poll_register(d, fh, ph);
	else if (ph != NULL)
		fuse_pollhandle_destroy(ph);
	fuse_reply_poll(req, revents);
}

/* ---- 5. refusals and the operations table ---- */

static void
view_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
    dev_t rdev)
{
	(void)parent; (void)name; (void)mode; (void)rdev;
	fuse_reply_err(req, EPERM);
}

static void
view_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
    struct fuse_file_info *fi)
{
	(void)parent; (void)name; (void)mode; (void)fi;
	fuse_reply_err(req, EPERM);
}

static void
view_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	(void)parent; (void)name;
	fuse_reply_err(req, EPERM);
}

static void
view_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
    fuse_ino_t newparent, const char *newname, unsigned int flags)
{
	(void)parent; (void)name; (void)newparent; (void)newname; (void)flags;
	fuse_reply_err(req, EPERM);
}

static void
view_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
    const char *name)
{
	(void)link; (void)parent; (void)name;
	fuse_reply_err(req, EPERM);
}

static void
view_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
    const char *newname)
{
	(void)ino; (void)newparent; (void)newname;
	fuse_reply_err(req, EPERM);
}

static const struct fuse_lowlevel_ops view_ops = {
	.lookup = view_lookup,
	.getattr = view_getattr,
	.setattr = view_setattr,
	.mknod = view_mknod,
	.mkdir = view_mkdir,
	.unlink = view_unlink,
	.rmdir = view_rmdir,
	.symlink = view_symlink,
	.rename = view_rename,
	.link = view_link,
	.open = view_open,
	.read = view_read,
	.write = view_write,
	.release = view_release,
	.opendir = view_opendir,
	.readdir = view_readdir,
	.releasedir = view_releasedir,
	.create = view_create,
	.poll = view_poll,
};

const struct fuse_lowlevel_ops *
lfs_view_ops(void)
{
	return &view_ops;
}
