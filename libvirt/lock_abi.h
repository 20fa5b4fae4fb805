/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lock_abi.h - libvirt's lock-driver ABI, version 1000000, declared here.
 *
 * libvirt-dev ships no lock_driver.h: an out-of-tree lock manager declares
 * the ABI itself.  These are facts of libvirt 9.0's src/locking/lock_driver.h
 * (../shared/LIBVIRT.md lists them), written out from its documented layout,
 * not copied: the numbers and the order of the fields are the contract, and
 * libvirt does not check the struct's version field (the plugin refuses a
 * version it does not know by failing drvInit).
 *
 * Every call returns 0 on success and -1 on failure; libvirt reports a
 * generic error for -1, so the plugin logs its own reason (see lfv_log).
 */
#ifndef LEASEFS_LIBVIRT_LOCK_ABI_H
#define LEASEFS_LIBVIRT_LOCK_ABI_H

#define LFV_LOCK_MANAGER_VERSION 1000000

enum {
	LFV_DRIVER_USES_STATE = 1 << 0, /* Release/Inquire return a state */
};
enum {
	LFV_OBJECT_TYPE_DOMAIN = 0,
};
enum {
	LFV_RESOURCE_TYPE_DISK = 0,
	LFV_RESOURCE_TYPE_LEASE = 1,
};
enum {
	LFV_RESOURCE_READONLY = 1 << 0,
	LFV_RESOURCE_SHARED = 1 << 1,
};
enum {
	LFV_ACQUIRE_REGISTER_ONLY = 1 << 0, /* the child before exec of QEMU */
	LFV_ACQUIRE_RESTRICT = 1 << 1,
};
enum {
	LFV_NEW_STARTED = 1 << 0, /* libvirtd reconnects to a running QEMU */
};
enum {
	LFV_PARAM_STRING,
	LFV_PARAM_CSTRING,
	LFV_PARAM_INT,
	LFV_PARAM_LONG,
	LFV_PARAM_UINT,
	LFV_PARAM_ULONG,
	LFV_PARAM_DOUBLE,
	LFV_PARAM_UUID,
};

struct lfv_param {
	int type;
	const char *key;
	union {
		int iv;
		long long l;
		unsigned int ui;
		unsigned long long ul;
		double d;
		char *str;
		const char *cstr;
		unsigned char uuid[16];
	} value;
};

struct lfv_driver;

/* virLockManager: libvirt allocates it, the driver owns privateData */
struct lfv_manager {
	struct lfv_driver *driver;
	void *priv;
};

/* virLockDriver, exported by the plugin as the data symbol virLockDriverImpl */
struct lfv_driver {
	unsigned int version;
	unsigned int flags;
	int (*drv_init)(unsigned int version, const char *config_file,
	    unsigned int flags);
	int (*drv_deinit)(void);
	int (*drv_new)(struct lfv_manager *man, unsigned int type,
	    size_t nparams, struct lfv_param *params, unsigned int flags);
	void (*drv_free)(struct lfv_manager *man);
	int (*drv_add_resource)(struct lfv_manager *man, unsigned int type,
	    const char *name, size_t nparams, struct lfv_param *params,
	    unsigned int flags);
	int (*drv_acquire)(struct lfv_manager *man, const char *state,
	    unsigned int flags, int action, int *fd);
	int (*drv_release)(struct lfv_manager *man, char **state,
	    unsigned int flags);
	int (*drv_inquire)(struct lfv_manager *man, char **state,
	    unsigned int flags);
};

#endif
