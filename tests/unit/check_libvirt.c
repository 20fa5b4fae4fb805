/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check_libvirt.c - unit tests of the libvirt lock manager (libvirt/): its
 * configuration, the lock state string, and the decisions of a resume and
 * of a release, against a fake lease directory (plain files named state,
 * .status and lock, as a leasefs mount shows them) with no FUSE and no
 * libvirt.  The plugin's sources are compiled in, statics included.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../libvirt/conf.c"
#include "../../libvirt/mountio.c"
#include "../../libvirt/plugin.c"

static char tmp[256]; /* short: every path made from it fits */

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX * 2];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static void setup(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/check_libvirt.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
}

static void teardown(void)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	ck_assert_int_eq(system(cmd), 0);
	free(lfv_config);
	lfv_config = NULL;
}

START_TEST(conf_defaults_and_missing_file)
{
	struct lfv_conf c;
	char path[PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/none.conf", tmp);
	ck_assert_int_eq(lfv_conf_load(&c, path), 0);
	ck_assert_str_eq(c.default_mount, "/leases");
	ck_assert_int_eq(c.create_leases, 1);
	ck_assert_int_eq(c.auto_disk_leases, 0);
	ck_assert_int_eq(c.arrival_timeout_ms, 10000);
	ck_assert_str_eq(lfv_conf_mount(&c, NULL), "/leases");
	ck_assert_ptr_null(lfv_conf_mount(&c, "vms"));
}
END_TEST

START_TEST(conf_full_file)
{
	struct lfv_conf c;
	char path[PATH_MAX + 16];

	write_file(tmp, "q.conf",
	    "# a comment\n"
	    "lockspaces = [ \"vms:/l/vms\", \"db:/l/db\" ]\n"
	    "  default_mount = \"/l/default\"  \n"
	    "auto_disk_leases = 1\n"
	    "disk_lease_prefix = \"d-\"\n"
	    "create_leases = 0\n"
	    "require_lease_for_disks = 1\n"
	    "arrival_timeout_ms = 250\n"
	    "libvirt_state_dir = \"/r/q\"\n"
	    "log_file = \"/var/log/x\"\n");
	snprintf(path, sizeof(path), "%s/q.conf", tmp);
	ck_assert_int_eq(lfv_conf_load(&c, path), 0);
	ck_assert_str_eq(lfv_conf_mount(&c, "vms"), "/l/vms");
	ck_assert_str_eq(lfv_conf_mount(&c, "db"), "/l/db");
	ck_assert_str_eq(lfv_conf_mount(&c, ""), "/l/default");
	ck_assert_ptr_null(lfv_conf_mount(&c, "other"));
	ck_assert_int_eq(c.auto_disk_leases, 1);
	ck_assert_str_eq(c.disk_lease_prefix, "d-");
	ck_assert_int_eq(c.create_leases, 0);
	ck_assert_int_eq(c.require_lease_for_disks, 1);
	ck_assert_int_eq(c.arrival_timeout_ms, 250);
	ck_assert_str_eq(c.libvirt_state_dir, "/r/q");
	ck_assert_str_eq(c.log_file, "/var/log/x");
}
END_TEST

START_TEST(conf_bad_lines)
{
	static const char *bad[] = {
		"nonsense = 1\n", "auto_disk_leases = yes\n",
		"default_mount = /unquoted\n", "lockspaces = [ \"nocolon\" ]\n",
		"lockspaces = [ \"a:relative\" ]\n", "lockspaces = \"a:/b\"\n",
		"create_leases = -1\n", "log_file = \"x\" trailing\n",
		"just words\n",
	};
	struct lfv_conf c;
	char path[PATH_MAX + 16];
	size_t i;

	snprintf(path, sizeof(path), "%s/b.conf", tmp);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file(tmp, "b.conf", bad[i]);
		ck_assert_msg(lfv_conf_load(&c, path) == -EINVAL, "%s", bad[i]);
	}
}
END_TEST

START_TEST(names_and_disk_hash)
{
	ck_assert(valid_name("vm1", LFV_NAME_MAX));
	ck_assert(valid_name("a.b_c-D9", LFV_NAME_MAX));
	ck_assert(!valid_name("", LFV_NAME_MAX));
	ck_assert(!valid_name("..", LFV_NAME_MAX));
	ck_assert(!valid_name("a/b", LFV_NAME_MAX));
	ck_assert(!valid_name("a b", LFV_NAME_MAX));
	ck_assert(!valid_name("0123456789012345678901234567890123456789012345678",
	    LFV_NAME_MAX));
	/* the published FNV-1a 64 values: every host names a disk alike */
	ck_assert_uint_eq(fnv1a(""), 0xcbf29ce484222325ULL);
	ck_assert_uint_eq(fnv1a("a"), 0xaf63dc4c8601ec8cULL);
}
END_TEST

START_TEST(state_string_parse)
{
	struct lfv_res r = { .lockspace = "rig", .key = "vm1" };
	struct lfv_res r2 = { .lockspace = "-", .key = "disk-1" };
	struct lfv_entry e;

	ck_assert_int_eq(state_find("leasefs1 rig/vm1:7:2", &r, &e), 0);
	ck_assert_uint_eq(e.generation, 7);
	ck_assert_int_eq(e.owner, 2);
	ck_assert_int_eq(state_find("leasefs1 rig/vm0:1:1 -/disk-1:12:3", &r2,
	    &e), 0);
	ck_assert_uint_eq(e.generation, 12);
	ck_assert_int_eq(state_find("leasefs1 rig/vm0:1:1", &r, &e), -ENOENT);
	ck_assert_int_eq(state_find("leasefs1", &r, &e), -ENOENT);
	ck_assert_int_eq(state_find("sanlock rig/vm1:7:2", &r, &e), -EPROTO);
	ck_assert_int_eq(state_find("leasefs1 rig/vm1:x:2", &r, &e), -EPROTO);
	ck_assert_int_eq(state_find("leasefs12 rig/vm1:7:2", &r, &e), -EPROTO);
}
END_TEST

/* a fake mount at tmp/m with lease vm1 in the given state; host id ME */
static struct lfv_dom *fake(int me, const char *state, const char *holders,
    int owner, unsigned long long gen, int request)
{
	static struct lfv_dom dom;
	char dir[512], text[1024], mount[300];

	if (!lfv_config) {
		lfv_config = malloc(sizeof(*lfv_config));
		lfv_conf_defaults(lfv_config);
		lfv_config->arrival_timeout_ms = 0; /* no waiting here */
		snprintf(lfv_config->libvirt_state_dir,
		    sizeof(lfv_config->libvirt_state_dir), "%s", tmp);
	}
	snprintf(mount, sizeof(mount), "%s/m", tmp);
	mkdir(mount, 0700);
	snprintf(text, sizeof(text), "host_id: %d\n", me);
	write_file(mount, ".status", text);
	snprintf(dir, sizeof(dir), "%s/vm1", mount);
	mkdir(dir, 0700);
	snprintf(text, sizeof(text), "state: %s\nowner: %s\n"
	    "owner_generation: 1\ngeneration: %llu\nholders: %s\n"
	    "request: %s\nincarnation: 1\n", state,
	    owner ? (owner == 1 ? "1 h1" : "2 h2") : "none", gen, holders,
	    request ? (request == 1 ? "1 h1" : "2 h2") : "none");
	write_file(dir, "state", text);
	write_file(dir, "lock", "");
	write_file(dir, "incoming", "");
	write_file(dir, "ctl", ""); /* a plain file: ctl_said() reads it */
	memset(&dom, 0, sizeof(dom));
	snprintf(dom.name, sizeof(dom.name), "vm1");
	dom.pid = getpid();
	lfv_config->nmap = 0;
	ck_assert_int_eq(add_res(&dom, "rig", "vm1"), -1); /* not mapped */
	lfv_config->nmap = 1;
	snprintf(lfv_config->map[0].name, sizeof(lfv_config->map[0].name),
	    "rig");
	snprintf(lfv_config->map[0].mount, sizeof(lfv_config->map[0].mount),
	    "%s", mount);
	ck_assert_int_eq(add_res(&dom, "rig", "vm1"), 0);
	return &dom;
}

/* the last command written to the fake ctl (each write starts at 0, so
 * one longer than the next would show through: tests reset it) */
static const char *ctl_said(void)
{
	static char got[64];
	char path[512];
	FILE *f;

	got[0] = '\0';
	snprintf(path, sizeof(path), "%s/m/vm1/ctl", tmp);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	if (!fgets(got, sizeof(got), f))
		got[0] = '\0';
	fclose(f);
	return got;
}

static void ctl_reset(void)
{
	write_file(tmp, "m/vm1/ctl", "");
}

/* this process plays QEMU: hold DIR/vm1/NAME open */
static int hold(const char *name)
{
	char path[PATH_MAX + 32], real[PATH_MAX];

	snprintf(path, sizeof(path), "%s/m/vm1/%s", tmp, name);
	ck_assert_ptr_nonnull(realpath(path, real));
	return open(real, O_RDONLY);
}

START_TEST(resume_own_lock)
{
	char me[32];
	struct lfv_dom *dom;
	int fd;

	snprintf(me, sizeof(me), "%d", (int)getpid());
	dom = fake(1, "held here", me, 1, 5, 0);
	ck_assert_int_eq(resume_check(dom, &dom->res[0], NULL), -1);
	fd = hold("lock");
	/* a fresh start, and a resume after a pause at the same generation;
	 * each first disarms a handover its pause may have armed */
	ctl_reset();
	ck_assert_int_eq(resume_check(dom, &dom->res[0], NULL), 0);
	ck_assert_str_eq(ctl_said(), "keep");
	ck_assert_int_eq(resume_check(dom, &dom->res[0],
	    "leasefs1 rig/vm1:5:1"), 0);
	/* the generation moved while paused: someone else held it */
	ck_assert_int_eq(resume_check(dom, &dom->res[0],
	    "leasefs1 rig/vm1:4:1"), -1);
	/* transferred away (a migration that failed after the transfer) */
	dom = fake(1, "held", "none", 2, 6, 0);
	ck_assert_int_eq(resume_check(dom, &dom->res[0],
	    "leasefs1 rig/vm1:6:2"), -1);
	/* transferred at the switchover, the destination's QEMU died and
	 * freed it, nobody else had it: taken back for our QEMU by pid */
	dom = fake(1, "free", "none", 0, 7, 0);
	write_file(tmp, "m/vm1/ctl", "");
	ck_assert_int_eq(resume_check(dom, &dom->res[0],
	    "leasefs1 rig/vm1:6:2"), 0);
	{
		char path[512], got[64] = "", want[64];
		FILE *f;

		snprintf(path, sizeof(path), "%s/m/vm1/ctl", tmp);
		f = fopen(path, "r");
		ck_assert_ptr_nonnull(f);
		ck_assert_ptr_nonnull(fgets(got, sizeof(got), f));
		fclose(f);
		snprintf(want, sizeof(want), "acquire pid %d", (int)getpid());
		ck_assert_str_eq(got, want);
	}
	/* free, but someone else held it since (T+3): not taken back */
	dom = fake(1, "free", "none", 0, 9, 0);
	ck_assert_int_eq(resume_check(dom, &dom->res[0],
	    "leasefs1 rig/vm1:6:2"), -1);
	/* the state of our own pause (a handover armed at generation 5):
	 * transferred at the claim (6), freed by the destination (7): taken
	 * back; still the destination's (6), or free after others (8), or
	 * free at 6 (no transfer to a destination): not */
	dom = fake(1, "free", "none", 0, 7, 0);
	ck_assert_int_eq(resume_check(dom, &dom->res[0],
	    "leasefs1 rig/vm1:5:1"), 0);
	dom = fake(1, "held", "none", 2, 6, 0);
	ck_assert_int_eq(resume_check(dom, &dom->res[0],
	    "leasefs1 rig/vm1:5:1"), -1);
	dom = fake(1, "free", "none", 0, 8, 0);
	ck_assert_int_eq(resume_check(dom, &dom->res[0],
	    "leasefs1 rig/vm1:5:1"), -1);
	dom = fake(1, "free", "none", 0, 6, 0);
	ck_assert_int_eq(resume_check(dom, &dom->res[0],
	    "leasefs1 rig/vm1:5:1"), -1);
	/* held here, but not by our QEMU (its lock file was lost) */
	dom = fake(1, "held here", "4194304", 1, 7, 0);
	ck_assert_int_eq(resume_check(dom, &dom->res[0], NULL), -1);
	close(fd);
}
END_TEST

START_TEST(resume_incoming)
{
	char me[32];
	struct lfv_dom *dom;
	int fd;

	snprintf(me, sizeof(me), "%d", (int)getpid());
	dom = fake(2, "held here", me, 2, 6, 0);
	fd = hold("incoming");
	/* exactly the source's one transfer, claimed first */
	ck_assert_int_eq(resume_check(dom, &dom->res[0],
	    "leasefs1 rig/vm1:5:1"), 0);
	ck_assert_str_eq(ctl_said(), "claim");
	/* a fresh start must not accept a lease that came by transfer */
	ck_assert_int_eq(resume_check(dom, &dom->res[0], NULL), -1);
	/* two changes since the source's Begin: someone else had it */
	ck_assert_int_eq(resume_check(dom, &dom->res[0],
	    "leasefs1 rig/vm1:4:1"), -1);
	/* a state naming this host as the source is no migration */
	ck_assert_int_eq(resume_check(dom, &dom->res[0],
	    "leasefs1 rig/vm1:5:2"), -1);
	/* not arrived (arrival_timeout_ms 0: no wait) */
	dom = fake(2, "requested", me, 1, 5, 2);
	ck_assert_int_eq(resume_check(dom, &dom->res[0],
	    "leasefs1 rig/vm1:5:1"), -1);
	ck_assert_int_eq(resume_check(dom, &dom->res[0],
	    "leasefs1 rig/unknown:5:1"), -1);
	ck_assert_int_eq(resume_check(dom, &dom->res[0], "garbage"), -1);
	close(fd);
}
END_TEST

START_TEST(release_pause_versus_migration)
{
	char me[32], xml[PATH_MAX + 16];
	struct lfv_dom *dom;
	int fd;

	snprintf(me, sizeof(me), "%d", (int)getpid());
	dom = fake(1, "held here", me, 1, 5, 2);
	fd = hold("lock");
	/* no status XML, or one without a migration job: a pause keeps the
	 * lease, even with a request pending */
	ck_assert_int_eq(migrating_out(dom), 0);
	ck_assert_int_eq(release_one(dom, &dom->res[0], 0), 0);
	write_file(tmp, "vm1.xml", "<domstatus state='paused'>\n"
	    "<job type='none' async='none'/>\n<domain type='kvm'>\n");
	ck_assert_int_eq(migrating_out(dom), 0);
	write_file(tmp, "vm1.xml", "<domstatus state='running'>\n"
	    "  <job type='none' async='migration out' phase='perform3'>\n"
	    "<domain type='kvm'>\n");
	ck_assert_int_eq(migrating_out(dom), 1);
	/* migrating, host 2 requested: a handover to it is armed; the
	 * lease itself stays (the daemon moves it at host 2's claim) */
	ctl_reset();
	ck_assert_int_eq(release_one(dom, &dom->res[0], 1), 0);
	ck_assert_str_eq(ctl_said(), "handover 2");
	/* migrating with no request pending: keeps the lease, says so */
	dom = fake(1, "held here", me, 1, 5, 0);
	ck_assert_int_eq(release_one(dom, &dom->res[0], 1), -1);
	/* not ours any more (already transferred): nothing, idempotent */
	dom = fake(1, "held", "none", 2, 6, 0);
	ck_assert_int_eq(release_one(dom, &dom->res[0], 1), 0);
	snprintf(xml, sizeof(xml), "%s/vm1.xml", tmp);
	unlink(xml);
	close(fd);
}
END_TEST

START_TEST(state_of_leases)
{
	struct lfv_dom *dom;
	char *s;

	dom = fake(1, "held here", "1", 1, 9, 0);
	ck_assert_int_eq(make_state(dom, &s), 0);
	ck_assert_str_eq(s, "leasefs1 rig/vm1:9:1");
	free(s);
	dom->nres = 0;
	ck_assert_int_eq(make_state(dom, &s), 0);
	ck_assert_ptr_null(s);
}
END_TEST

static Suite *libvirt_suite(void)
{
	Suite *s = suite_create("libvirt");
	TCase *tc = tcase_create("plugin");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, conf_defaults_and_missing_file);
	tcase_add_test(tc, conf_full_file);
	tcase_add_test(tc, conf_bad_lines);
	tcase_add_test(tc, names_and_disk_hash);
	tcase_add_test(tc, state_string_parse);
	tcase_add_test(tc, resume_own_lock);
	tcase_add_test(tc, resume_incoming);
	tcase_add_test(tc, release_pause_versus_migration);
	tcase_add_test(tc, state_of_leases);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(libvirt_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
