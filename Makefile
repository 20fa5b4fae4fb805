# SPDX-License-Identifier: GPL-2.0-or-later
# leasefs - lease manager for hosts that share storage.
#
#   make                 build ./leasefs (optimized) into build/, with the
#                        caller's CFLAGS, CPPFLAGS and LDFLAGS
#   make san             the developers' build: ASan + UBSan, -Werror, in
#                        build-san/ (with the unit tests and test tools)
#   make check           licence headers, unit tests and integration tests,
#                        on build-san/
#   make check-layers    the daemon's call graph follows daemon.h's layers
#   make check-fields    each part of the daemon's state is written only by
#                        its owner (scripts/check-fields)
#   make check-unit      unit tests only
#   make check-stress N=10   make check N times beside CPU and I/O load
#                        (stress-ng), with failure counts per test; not CI
#   make check-tsan      ThreadSanitizer build, the threaded scenarios
#   make check-sim       a bounded batch of the deterministic simulator (part
#                        of make check: see tests/sim/README.md)
#   make sim             the simulator: SEEDS=n FIRST=s HOSTS=lo-hi STEPS=n
#                        TIME=ms, or SEED=s to replay one run with its trace
#                        (IO=1: every I/O too); REVERT=name / PROPOSE=a,b
#                        build it on a scratch copy of core/ with
#                        tests/sim/{reverts,proposals}/*.patch applied; FIX=
#                        turns on proposed fixes of the daemon's decisions
#                        (tests/sim/README)
#   make bench           benchmarks (prints a table, writes bench/out/)
#   make install         PREFIX=/usr/local DESTDIR=; also uninstall
#   make deb             the Debian packages leasefs and libvirt-leasefs (the
#                        libvirt lock manager), into ../ (dpkg-buildpackage)
#   make clean
#
# Libraries come from pkg-config, except libaio, which ships no .pc file.
# The version is written once, in fs/version.h.

PREFIX  ?= /usr/local
DESTDIR ?=
SBINDIR ?= $(PREFIX)/sbin
MANDIR  ?= $(PREFIX)/share/man
DOCDIR  ?= $(PREFIX)/share/doc/leasefs
# mount(8) looks for mount.TYPE helpers in /sbin only: with PREFIX=/usr/local,
# `mount -t leasefs` works once MOUNTHELPERDIR=/sbin (fstab type fuse.leasefs
# needs no helper of ours: mount.fuse3 finds leasefs on the default PATH)
MOUNTHELPERDIR ?= $(SBINDIR)
UNITDIR ?= $(PREFIX)/lib/systemd/system
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
SYSCONFDIR ?= /etc
PKG_CONFIG ?= pkg-config

CC      ?= gcc
CFLAGS  ?= -O2 -g
CPPFLAGS ?=
LDFLAGS ?=
# the developers' and CI's builds (build-san/) stop at any warning; the
# build for users and packagers (build/) does not
DEVFLAGS = -O2 -g -Werror
WARN     = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
STD      = -std=c11 -D_GNU_SOURCE
SAN      = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
TSAN     = -fsanitize=thread -fno-omit-frame-pointer
# the developers' builds (build-san/, build-tsan/) check the daemon's
# invariants and lock ownership (LFS_TABLE_HELD, fs/daemon/daemon.h)
DEBUG    = -DLFS_DEBUG
VERSION := $(shell sed -n 's/^\#define LEASEFS_VERSION "\(.*\)"$$/\1/p' fs/version.h)

FUSE_CFLAGS  := $(shell $(PKG_CONFIG) --cflags fuse3)
FUSE_LIBS    := $(shell $(PKG_CONFIG) --libs fuse3)
UUID_CFLAGS  := $(shell $(PKG_CONFIG) --cflags uuid)
UUID_LIBS    := $(shell $(PKG_CONFIG) --libs uuid)
CHECK_CFLAGS := $(shell $(PKG_CONFIG) --cflags check)
CHECK_LIBS   := $(shell $(PKG_CONFIG) --libs check)
AIO_LIBS     := -laio

CORE_SRC  := $(wildcard core/*.c)
# fs/: the program.  fs/*.c are the subcommands and what they share (the
# ctl parser, mount options); fs/daemon/ is the daemon that cmd_mount runs.
FS_SRC    := $(wildcard fs/*.c fs/daemon/*.c)
FS_HDR    := $(wildcard fs/*.h fs/daemon/*.h)
UNIT_SRC  := $(wildcard tests/unit/check_*.c)
TOOL_SRC  := $(wildcard tests/tools/*.c)
BENCH_SRC := $(wildcard bench/*.c)
# libvirt/: leasefs.so, the libvirt lock manager, built when libvirt's
# development files are present (pkg-config libvirt); installed into
# libvirt's lock-driver directory.  It links no libvirt symbol: the .pc file
# only tells that libvirt is there and where its libdir is.
LIBVIRT_SRC := $(wildcard libvirt/*.c)
LIBVIRT_HDR := $(wildcard libvirt/*.h)
HAVE_LIBVIRT := $(shell $(PKG_CONFIG) --exists libvirt && echo yes)
LOCKDRIVERDIR ?= $(shell $(PKG_CONFIG) --variable=libdir libvirt 2>/dev/null)/libvirt/lock-driver

# $(call build_rules,DIR,CFLAGS)
define build_rules
$(1)/core/%.o: core/%.c $(wildcard core/*.h) | $(1)/core
	$$(CC) $$(STD) $$(WARN) $(2) $$(CPPFLAGS) $$(UUID_CFLAGS) -Icore -c -o $$@ $$<
$(1)/fs/%.o: fs/%.c $(wildcard core/*.h) $(FS_HDR) | $(1)/fs $(1)/fs/daemon
	$$(CC) $$(STD) $$(WARN) $(2) $$(CPPFLAGS) $$(FUSE_CFLAGS) $$(UUID_CFLAGS) -Icore -Ifs -c -o $$@ $$<
$(1)/libleasefs.a: $(patsubst core/%.c,$(1)/core/%.o,$(CORE_SRC))
	$$(AR) rcs $$@ $$^
$(1)/leasefs: $(patsubst fs/%.c,$(1)/fs/%.o,$(FS_SRC)) $(1)/libleasefs.a
	$$(CC) $(2) $$(LDFLAGS) -o $$@ $$^ $$(FUSE_LIBS) $$(UUID_LIBS) $$(AIO_LIBS) -lpthread -lm
$(1)/tests/%: tests/unit/%.c $(1)/libleasefs.a $(wildcard core/*.h tests/unit/*.h) | $(1)/tests
	$$(CC) $$(STD) $$(WARN) $(2) $$(CPPFLAGS) $$(CHECK_CFLAGS) $$(FUSE_CFLAGS) $$(UUID_CFLAGS) -Icore -Ifs -MMD -MP $$(LDFLAGS) -o $$@ $$< $(1)/libleasefs.a $$(CHECK_LIBS) $$(FUSE_LIBS) $$(UUID_LIBS) $$(AIO_LIBS) -lpthread
$(1)/tools/%: tests/tools/%.c $(1)/libleasefs.a $(wildcard core/*.h) | $(1)/tools
	$$(CC) $$(STD) $$(WARN) $(2) $$(CPPFLAGS) $$(UUID_CFLAGS) -Icore $$(LDFLAGS) -o $$@ $$< $(1)/libleasefs.a $$(UUID_LIBS) $$(AIO_LIBS) -lpthread
$(1)/bench/%: bench/%.c | $(1)/bench
	$$(CC) $$(STD) $$(WARN) $(2) -o $$@ $$<
$(1)/libvirt/leasefs.so: $(LIBVIRT_SRC) $(LIBVIRT_HDR) | $(1)/libvirt
	$$(CC) $$(STD) $$(WARN) $(3) $$(CPPFLAGS) -fPIC -shared -fvisibility=hidden $$(LDFLAGS) -o $$@ $(LIBVIRT_SRC)
$(1)/core $(1)/fs $(1)/fs/daemon $(1)/tests $(1)/tools $(1)/bench $(1)/libvirt:
	mkdir -p $$@
endef

# the third argument builds libvirt/leasefs.so: it is loaded into libvirtd,
# which has no sanitizer runtime, so build-san/ builds it -Werror only
$(eval $(call build_rules,build,$(CFLAGS),$(CFLAGS)))
$(eval $(call build_rules,build-san,$(DEVFLAGS) $(SAN) $(DEBUG),$(DEVFLAGS)))
$(eval $(call build_rules,build-tsan,$(DEVFLAGS) $(TSAN) $(DEBUG),$(DEVFLAGS)))
# a unit test that compiles fs/ sources in (check_mountopts.c) is remade when
# they change: the compiler lists what each test included
-include $(wildcard build/tests/*.d build-san/tests/*.d)

UNITS      = $(patsubst tests/unit/%.c,%,$(UNIT_SRC))
TOOLS      = $(patsubst tests/tools/%.c,%,$(TOOL_SRC))
BENCHES    = $(patsubst bench/%.c,%,$(BENCH_SRC))

ifeq ($(HAVE_LIBVIRT),yes)
PLUGIN = libvirt-plugin
else
PLUGIN = no-libvirt-plugin
endif
all: build/leasefs $(addprefix build/tools/,$(TOOLS)) $(PLUGIN)
	ln -sf build/leasefs leasefs

libvirt-plugin: build/libvirt/leasefs.so
no-libvirt-plugin:
	@echo "libvirt/leasefs.so not built: no libvirt development files (pkg-config libvirt; scripts/install-deps installs libvirt-dev)"

san: build-san/leasefs $(addprefix build-san/tests/,$(UNITS)) $(addprefix build-san/tools/,$(TOOLS)) \
    $(if $(HAVE_LIBVIRT),build-san/libvirt/leasefs.so,no-libvirt-plugin) \
    build-san/sim/leasefs-sim build/sim/leasefs-sim

# every binary runs, also after one failed; the target fails if any did
check-unit: $(addprefix build-san/tests/,$(UNITS))
	@rc=0; for t in $^; do echo "== $$t"; $$t || rc=1; done; exit $$rc

check-integration: san
	LEASEFS=$(CURDIR)/build-san/leasefs TOOLS=$(CURDIR)/build-san/tools \
	    bash tests/integration/run-all

check: check-version check-spdx check-layers check-fields check-unit check-sim check-integration

# every source file states its licence (scripts/check-spdx lists those
# that do not, and fails)
check-spdx:
	@bash scripts/check-spdx

# the daemon's files call each other one way only (fs/daemon/daemon.h)
check-layers:
	@python3 scripts/check-layers fs/daemon

# each part of struct lfs_dlease (and lfs_daemon) is written only by the
# module its header names as owner; the self-test plants foreign writes in
# a copy and fails unless each is caught
check-fields:
	@python3 scripts/check-fields --self-test
	@python3 scripts/check-fields fs/daemon fs

# the unit tests on the optimized build with the caller's flags (packaging)
check-unit-release: $(addprefix build/tests/,$(UNITS))
	@set -e; for t in $^; do echo "== $$t"; $$t; done

N ?= 10
check-stress:
	bash tests/stress-run $(N)
# ThreadSanitizer build of the daemon, and the scenarios whose daemons run
# many threads at once (blocked opens, races, handovers, fencing, pauses);
# the first report ends the daemon, which fails its scenario.
TSAN_SCENARIOS ?= fs-lock fs-conc fs-wake fs-race fs-shared fs-presence mig-handover mig-claim fence-open-during fence-heal-in-grace fence-sigstop fs-ctl-pid fence-pid fs-watched fs-stop-ctl
tsan: build-tsan/leasefs $(addprefix build-tsan/tools/,$(TOOLS))

check-tsan: tsan
	@set -e; for s in $(TSAN_SCENARIOS); do \
	    TSAN_OPTIONS="halt_on_error=1 exitcode=66 $${TSAN_OPTIONS:-}" \
	    LEASEFS=$(CURDIR)/build-tsan/leasefs TOOLS=$(CURDIR)/build-tsan/tools \
	    bash tests/integration/run-all $$s; done

bench: all $(addprefix build/bench/,$(BENCHES))
	LEASEFS=$(CURDIR)/build/leasefs TOOLS=$(CURDIR)/build/tools \
	    BENCHBIN=$(CURDIR)/build/bench bash bench/run
	LEASEFS=$(CURDIR)/build/leasefs TOOLS=$(CURDIR)/build/tools \
	    BENCHBIN=$(CURDIR)/build/bench bash bench/concurrent.sh 100

bench-deps:
	apt-get install -y sanlock python3-sanlock libsanlock-client1 gnuplot-nox libvirt-sanlock

valgrind: build/leasefs $(addprefix build/tests/,$(UNITS))
	@set -e; for t in $(addprefix build/tests/,$(UNITS)); do \
	    CK_FORK=no valgrind -q --error-exitcode=1 --leak-check=full $$t; done

# ---- installing ----
# Files made from a .in template: @VERSION@, @SBINDIR@, @SYSCONFDIR@.
SUBST = sed -e 's|@VERSION@|$(VERSION)|g' -e 's|@SBINDIR@|$(SBINDIR)|g' \
	    -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g'
MANPAGES = build/man/leasefs.8 build/man/leasefs.5
GENERATED = $(MANPAGES) build/systemd/leasefs@.service
# the libvirt lock manager and its page, when libvirt-dev is there
# (HAVE_LIBVIRT=no leaves them out; debian/rules sets yes: the package
# libvirt-leasefs has them)
ifeq ($(HAVE_LIBVIRT),yes)
GENERATED += build/man/leasefs-libvirt.8 build/libvirt/leasefs.so
endif

# remade when a substituted value changes (make, then make install PREFIX=)
build/subst.stamp: FORCE
	@mkdir -p build
	@echo '$(VERSION) $(SBINDIR) $(SYSCONFDIR)' | cmp -s - $@ || \
	    echo '$(VERSION) $(SBINDIR) $(SYSCONFDIR)' >$@
build/man/%: man/% build/subst.stamp
	@mkdir -p $(@D)
	$(SUBST) $< >$@
build/systemd/%: systemd/%.in build/subst.stamp
	@mkdir -p $(@D)
	$(SUBST) $< >$@

# make all, and the files install needs
dist-files: build/leasefs $(GENERATED)

# The helper's link: relative within one directory, else absolute (Debian
# policy 10.5: /sbin/mount.leasefs -> /usr/sbin/leasefs).
HELPER_TARGET = $(if $(filter $(SBINDIR),$(MOUNTHELPERDIR)),leasefs,$(SBINDIR)/leasefs)

install: dist-files
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MOUNTHELPERDIR) \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(UNITDIR) $(DESTDIR)$(TMPFILESDIR) \
	    $(DESTDIR)$(DOCDIR)/examples
	install -m 755 build/leasefs $(DESTDIR)$(SBINDIR)/leasefs
	ln -sf $(HELPER_TARGET) $(DESTDIR)$(MOUNTHELPERDIR)/mount.leasefs
	install -m 644 build/man/leasefs.8 $(DESTDIR)$(MANDIR)/man8/leasefs.8
	ln -sf leasefs.8 $(DESTDIR)$(MANDIR)/man8/mount.leasefs.8
	install -m 644 build/man/leasefs.5 $(DESTDIR)$(MANDIR)/man5/leasefs.5
	install -m 644 build/systemd/leasefs@.service $(DESTDIR)$(UNITDIR)/
	install -m 644 systemd/leasefs.tmpfiles $(DESTDIR)$(TMPFILESDIR)/leasefs.conf
	install -m 644 examples/leasefs.conf examples/demo.sh \
	    examples/migrate-demo.sh examples/qemu-leasefs.conf \
	    $(DESTDIR)$(DOCDIR)/examples/
ifeq ($(HAVE_LIBVIRT),yes)
	install -d $(DESTDIR)$(LOCKDRIVERDIR)
	install -m 644 build/libvirt/leasefs.so $(DESTDIR)$(LOCKDRIVERDIR)/leasefs.so
	install -m 644 build/man/leasefs-libvirt.8 $(DESTDIR)$(MANDIR)/man8/leasefs-libvirt.8
endif

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/leasefs $(DESTDIR)$(MOUNTHELPERDIR)/mount.leasefs \
	    $(DESTDIR)$(MANDIR)/man8/leasefs.8 $(DESTDIR)$(MANDIR)/man8/mount.leasefs.8 \
	    $(DESTDIR)$(MANDIR)/man5/leasefs.5 \
	    $(DESTDIR)$(UNITDIR)/leasefs@.service \
	    $(DESTDIR)$(TMPFILESDIR)/leasefs.conf \
	    $(DESTDIR)$(LOCKDRIVERDIR)/leasefs.so $(DESTDIR)$(MANDIR)/man8/leasefs-libvirt.8 \
	    $(addprefix $(DESTDIR)$(DOCDIR)/examples/,leasefs.conf demo.sh \
	        migrate-demo.sh qemu-leasefs.conf)
	-rmdir $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR) 2>/dev/null

# debian/changelog must name the version fs/version.h holds
check-version:
	@v=$$(dpkg-parsechangelog -S Version 2>/dev/null || \
	    sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' debian/changelog); \
	if [ "$${v%-*}" != "$(VERSION)" ]; then \
	    echo "debian/changelog has $$v, fs/version.h $(VERSION)" >&2; exit 1; fi

deb:
	dpkg-buildpackage -us -uc -b

FORCE:

clean:
	rm -rf build build-san build-tsan leasefs bench/out

.PHONY: all san tsan check check-unit check-integration check-stress check-tsan \
	bench bench-deps valgrind dist-files install uninstall check-version check-spdx check-layers check-fields \
	check-unit-release deb clean FORCE check-sim sim
.DEFAULT_GOAL := all

# ---- bench/ programs that link the core library (owned by bench/) ----
# The generic build/bench/% rule above compiles a bench/*.c file alone;
# these need core/*.h and build/libleasefs.a as well.
BENCH_LIB_PROGS := lfs-joiner lfs-core
$(addprefix build/bench/,$(BENCH_LIB_PROGS)): build/bench/%: bench/%.c build/libleasefs.a $(wildcard core/*.h) | build/bench
	$(CC) $(STD) $(WARN) $(CFLAGS) $(UUID_CFLAGS) -Icore -o $@ $< build/libleasefs.a $(UUID_LIBS) $(AIO_LIBS) -lpthread
# bench/delaydev.c is a FUSE file system: bench/concurrent.sh's device with a
# SAN's latency and queue depth
build/bench/delaydev: bench/delaydev.c | build/bench
	$(CC) $(STD) $(WARN) $(CFLAGS) $(FUSE_CFLAGS) -o $@ $< $(FUSE_LIBS) -lpthread

# ---- the deterministic simulator (tests/sim/, issue 12) ----
# One process runs every simulated host on the real core, linked statically
# (tests/sim/interpose.c replaces time() and nanosleep() in it).  build/ is
# the fast one (batches); build-san/ checks the simulator itself under ASan.
SIM_SRC := $(wildcard tests/sim/*.c)
SIM_HDR := $(wildcard tests/sim/*.h)
SIM_LIBS = $(UUID_LIBS) $(AIO_LIBS) -lpthread
CHECK_SIM_SEEDS ?= 2000
CHECK_SIM_SAN_SEEDS ?= 100

build/sim/leasefs-sim: $(SIM_SRC) $(SIM_HDR) build/libleasefs.a $(wildcard core/*.h)
	@mkdir -p $(@D)
	$(CC) $(STD) $(WARN) $(CFLAGS) $(UUID_CFLAGS) -Icore -Itests/sim -o $@ $(SIM_SRC) build/libleasefs.a $(SIM_LIBS)
build-san/sim/leasefs-sim: $(SIM_SRC) $(SIM_HDR) build-san/libleasefs.a $(wildcard core/*.h)
	@mkdir -p $(@D)
	$(CC) $(STD) $(WARN) $(DEVFLAGS) $(SAN) $(UUID_CFLAGS) -Icore -Itests/sim -o $@ $(SIM_SRC) build-san/libleasefs.a $(SIM_LIBS)

# REVERT=name (tests/sim/reverts/name.patch: a known safety fix undone)
# and PROPOSE=a,b (tests/sim/proposals/*.patch: core fixes proposed from
# the simulator's findings) build it on a patched scratch copy of core/.
comma := ,
SIM_PATCHES = $(if $(REVERT),tests/sim/reverts/$(REVERT).patch) \
	$(foreach p,$(subst $(comma), ,$(PROPOSE)),tests/sim/proposals/$(p).patch)
empty :=
space := $(empty) $(empty)
SIM_TAG = $(subst $(space),+,$(strip $(if $(REVERT),revert-$(REVERT)) $(subst $(comma), ,$(PROPOSE))))
SIM_BIN = $(if $(strip $(SIM_PATCHES)),build/sim-$(SIM_TAG)/leasefs-sim,build/sim/leasefs-sim)

build/sim-%/leasefs-sim: FORCE
	@mkdir -p $(@D)
	CC="$(CC)" CFLAGS="$(STD) $(WARN) $(CFLAGS) $(UUID_CFLAGS)" LIBS="$(SIM_LIBS)" \
	    REVERT="$(REVERT)" PROPOSE="$(PROPOSE)" \
	    sh tests/sim/build-patched.sh $@ $(SIM_PATCHES)
FORCE:

SIM_ARGS = $(if $(SEED),--seed $(SEED),--seeds $(or $(SEEDS),1000) $(if $(FIRST),--first $(FIRST))) \
	$(if $(HOSTS),--hosts $(HOSTS)) $(if $(STEPS),--steps $(STEPS)) \
	$(if $(TIME),--time $(TIME)) $(if $(IO),--io) $(if $(FIX),--fix $(FIX)) \
	$(if $(UNDO),--undo $(UNDO)) $(SIMFLAGS)

sim: $(SIM_BIN)
	$(SIM_BIN) $(SIM_ARGS)

# The bounded batch of `make check` (tests/sim/check-sim.sh says what).
check-sim: build/sim/leasefs-sim build-san/sim/leasefs-sim
	@mkdir -p build/sim-check-revert
	CC="$(CC)" CFLAGS="$(STD) $(WARN) $(CFLAGS) $(UUID_CFLAGS)" \
	    LIBS="$(SIM_LIBS)" SEEDS=$(CHECK_SIM_SEEDS) SAN_SEEDS=$(CHECK_SIM_SAN_SEEDS) \
	    sh tests/sim/check-sim.sh
