/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * conf.h - /etc/libvirt/qemu-leasefs.conf, the plugin's configuration.
 *
 * One setting per line, `key = value`, `#` starts a comment; a value is a
 * "string", an integer, or a list of strings [ "a", "b" ] on that line.
 * A missing file gives the defaults.  lfv_conf_load returns 0 or -errno
 * (EINVAL for a malformed line, logged with its number) and leaves *conf
 * filled with the defaults plus whatever it read.
 */
#ifndef LEASEFS_LIBVIRT_CONF_H
#define LEASEFS_LIBVIRT_CONF_H

#include <limits.h>
#include <stddef.h>

#define LFV_MAX_LOCKSPACES 16
#define LFV_NAME_MAX 48 /* a lease name: 1-48 of [A-Za-z0-9._-] */

struct lfv_lockspace_map {
	char name[64];       /* a <lease>'s <lockspace> */
	char mount[PATH_MAX]; /* the leasefs mount that serves it */
};

struct lfv_conf {
	/* the mount for leases with no <lockspace>, and for disk leases */
	char default_mount[PATH_MAX];
	struct lfv_lockspace_map map[LFV_MAX_LOCKSPACES];
	size_t nmap;
	int auto_disk_leases;      /* 1: a lease for every writable disk */
	char disk_lease_prefix[16]; /* auto disk lease name = prefix + hash */
	int create_leases;         /* 1: mkdir a lease that does not exist */
	int require_lease_for_disks; /* 1: refuse a guest with disks, no lease */
	/* how long the destination's resume waits for a transfer to show */
	int arrival_timeout_ms;
	char libvirt_state_dir[PATH_MAX]; /* libvirt's qemu status XML */
	char log_file[PATH_MAX];   /* empty: stderr only */
};

void lfv_conf_defaults(struct lfv_conf *conf);
int lfv_conf_load(struct lfv_conf *conf, const char *path);
/* the mount serving LOCKSPACE (NULL or "": the default); NULL if none */
const char *lfv_conf_mount(const struct lfv_conf *conf, const char *lockspace);

#endif
