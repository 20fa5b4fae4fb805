/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mountio.h - what the plugin reads and writes in a leasefs mount.
 *
 * Only the files of leasefs(5): LEASE/state, LEASE/ctl, LEASE/lock,
 * LEASE/incoming and .status.  Each function returns 0 or -errno and
 * changes nothing on failure, except where it says so.
 */
#ifndef LEASEFS_LIBVIRT_MOUNTIO_H
#define LEASEFS_LIBVIRT_MOUNTIO_H

#include <stddef.h>

/* a lease's state file, parsed */
struct lfv_lstate {
	char state[32];                 /* free, held, held here, ... */
	int owner_id;                   /* 0: none */
	unsigned long long generation;  /* the lease generation */
	int request_id;                 /* 0: no request pending */
	char holders[512];              /* "none" or pids, as in the file */
};

int lfv_read_state(const char *dir, struct lfv_lstate *st);
/* the owner's host id from DIR/owner ("ID NAME"; 0 for free or anything
 * else): cheap, unlike state, whose holders line scans /proc */
int lfv_read_owner(const char *dir, int *id);
/* this host's id in the lockspace mounted at MOUNT (.status host_id) */
int lfv_host_id(const char *mount, int *id);
/* write one ctl command (no newline) to DIR/ctl */
int lfv_ctl(const char *dir, const char *cmd);
/* true if PID appears in st->holders */
int lfv_is_holder(const struct lfv_lstate *st, int pid);

enum lfv_file { LFV_FILE_NONE, LFV_FILE_LOCK, LFV_FILE_INCOMING };
/* which of DIR/lock or DIR/incoming process PID has open (/proc/PID/fd) */
int lfv_pid_file(int pid, const char *dir, enum lfv_file *kind);

#endif
