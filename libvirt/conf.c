// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * conf.c - parse qemu-leasefs.conf (the format is in conf.h and in
 * leasefs-libvirt(8)).  A small parser of our own: libvirt's virConf is
 * private to libvirt, and the plugin links against no libvirt symbol, so
 * that it is tied to no exact libvirt build.
 */
#include "conf.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void lfv_conf_defaults(struct lfv_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	snprintf(conf->default_mount, sizeof(conf->default_mount), "/leases");
	snprintf(conf->disk_lease_prefix, sizeof(conf->disk_lease_prefix),
	    "disk-");
	conf->create_leases = 1;
	/* a transfer commits on disk before the source's libvirtd lets QEMU
	 * finish the migration, and the destination's daemon notices it
	 * within 1 ms; 10 s is slack for a loaded host, never a wait that
	 * a correct run needs */
	conf->arrival_timeout_ms = 10000;
	snprintf(conf->libvirt_state_dir, sizeof(conf->libvirt_state_dir),
	    "/run/libvirt/qemu");
}

static char *skip_space(char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* parse a "quoted" string at *p into out; advances *p; 0 or -EINVAL */
static int parse_string(char **p, char *out, size_t outlen)
{
	char *s = *p, *e;

	if (*s != '"')
		return -EINVAL;
	e = strchr(s + 1, '"');
	if (!e || (size_t)(e - s - 1) >= outlen)
		return -EINVAL;
	memcpy(out, s + 1, (size_t)(e - s - 1));
	out[e - s - 1] = '\0';
	*p = e + 1;
	return 0;
}

static int parse_int(char *p, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(p, &end, 10);
	if (errno || end == p || v < 0 || v > 1000000000)
		return -EINVAL;
	end = skip_space(end);
	if (*end)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

/* one "NAME:/mount" entry of lockspaces */
static int add_map(struct lfv_conf *conf, const char *entry)
{
	const char *colon = strchr(entry, ':');
	struct lfv_lockspace_map *m;

	if (!colon || colon == entry || colon[1] != '/' ||
	    conf->nmap == LFV_MAX_LOCKSPACES ||
	    (size_t)(colon - entry) >= sizeof(m->name))
		return -EINVAL;
	m = &conf->map[conf->nmap++];
	memcpy(m->name, entry, (size_t)(colon - entry));
	m->name[colon - entry] = '\0';
	snprintf(m->mount, sizeof(m->mount), "%s", colon + 1);
	return 0;
}

static int parse_list(struct lfv_conf *conf, char *p)
{
	char item[PATH_MAX + 64];

	if (*p != '[')
		return -EINVAL;
	p = skip_space(p + 1);
	while (*p != ']') {
		if (parse_string(&p, item, sizeof(item)) < 0 ||
		    add_map(conf, item) < 0)
			return -EINVAL;
		p = skip_space(p);
		if (*p == ',')
			p = skip_space(p + 1);
		else if (*p != ']')
			return -EINVAL;
	}
	return *skip_space(p + 1) ? -EINVAL : 0;
}

static int set_string(char *p, char *out, size_t outlen)
{
	if (parse_string(&p, out, outlen) < 0)
		return -EINVAL;
	return *skip_space(p) ? -EINVAL : 0;
}

static int parse_line(struct lfv_conf *conf, char *line)
{
	char *p = skip_space(line), *key, *eq;

	if (!*p || *p == '#')
		return 0;
	key = p;
	eq = strchr(p, '=');
	if (!eq)
		return -EINVAL;
	for (p = eq; p > key && isspace((unsigned char)p[-1]); p--)
		;
	*p = '\0';
	p = skip_space(eq + 1);
	if (!strcmp(key, "default_mount"))
		return set_string(p, conf->default_mount,
		    sizeof(conf->default_mount));
	if (!strcmp(key, "lockspaces"))
		return parse_list(conf, p);
	if (!strcmp(key, "auto_disk_leases"))
		return parse_int(p, &conf->auto_disk_leases);
	if (!strcmp(key, "disk_lease_prefix"))
		return set_string(p, conf->disk_lease_prefix,
		    sizeof(conf->disk_lease_prefix));
	if (!strcmp(key, "create_leases"))
		return parse_int(p, &conf->create_leases);
	if (!strcmp(key, "require_lease_for_disks"))
		return parse_int(p, &conf->require_lease_for_disks);
	if (!strcmp(key, "arrival_timeout_ms"))
		return parse_int(p, &conf->arrival_timeout_ms);
	if (!strcmp(key, "libvirt_state_dir"))
		return set_string(p, conf->libvirt_state_dir,
		    sizeof(conf->libvirt_state_dir));
	if (!strcmp(key, "log_file"))
		return set_string(p, conf->log_file, sizeof(conf->log_file));
	return -EINVAL;
}

int lfv_conf_load(struct lfv_conf *conf, const char *path)
{
	char line[4096];
	FILE *f;
	int n = 0, rc = 0;

	lfv_conf_defaults(conf);
	if (!path)
		return 0;
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (fgets(line, sizeof(line), f)) {
		n++;
		line[strcspn(line, "\r\n")] = '\0';
		if (parse_line(conf, line) < 0) {
			fprintf(stderr, "leasefs lock plugin: %s:%d: bad "
			    "setting\n", path, n);
			rc = -EINVAL;
			break;
		}
	}
	fclose(f);
	return rc;
}

const char *lfv_conf_mount(const struct lfv_conf *conf, const char *lockspace)
{
	size_t i;

	for (i = 0; i < conf->nmap; i++)
		if (lockspace && !strcmp(conf->map[i].name, lockspace))
			return conf->map[i].mount;
	if (!lockspace || !*lockspace)
		return conf->default_mount;
	return NULL;
}
