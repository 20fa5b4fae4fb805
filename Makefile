# leasefs - lease manager for hosts that share storage.
#
#   make                 build ./leasefs (optimized) into build/
#   make check           unit tests and integration tests, on a sanitizer
#                        build (ASan + UBSan) in build-san/
#   make check-unit      unit tests only
#   make check-stress N=10   make check N times beside CPU and I/O load
#                        (stress-ng), with failure counts per test; not CI
#   make check-tsan      ThreadSanitizer build, the threaded scenarios
#   make bench           benchmarks (prints a table, writes bench/out/)
#   make install         PREFIX=/usr/local DESTDIR=
#   make clean
#
# Libraries come from pkg-config, except libaio, which ships no .pc file.

PREFIX  ?= /usr/local
DESTDIR ?=
SBINDIR ?= $(PREFIX)/sbin
MANDIR  ?= $(PREFIX)/share/man
PKG_CONFIG ?= pkg-config

CC      ?= gcc
OPT     ?= -O2 -g
WARN     = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
STD      = -std=c11 -D_GNU_SOURCE
SAN      = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
TSAN     = -fsanitize=thread -fno-omit-frame-pointer

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

# $(call build_rules,DIR,EXTRA_CFLAGS)
define build_rules
$(1)/core/%.o: core/%.c $(wildcard core/*.h) | $(1)/core
	$$(CC) $$(STD) $$(WARN) $$(OPT) $(2) $$(UUID_CFLAGS) -Icore -c -o $$@ $$<
$(1)/fs/%.o: fs/%.c $(wildcard core/*.h) $(FS_HDR) | $(1)/fs $(1)/fs/daemon
	$$(CC) $$(STD) $$(WARN) $$(OPT) $(2) $$(FUSE_CFLAGS) $$(UUID_CFLAGS) -Icore -Ifs -c -o $$@ $$<
$(1)/libleasefs.a: $(patsubst core/%.c,$(1)/core/%.o,$(CORE_SRC))
	$$(AR) rcs $$@ $$^
$(1)/leasefs: $(patsubst fs/%.c,$(1)/fs/%.o,$(FS_SRC)) $(1)/libleasefs.a
	$$(CC) $(2) -o $$@ $$^ $$(FUSE_LIBS) $$(UUID_LIBS) $$(AIO_LIBS) -lpthread -lm
$(1)/tests/%: tests/unit/%.c $(1)/libleasefs.a $(wildcard core/*.h tests/unit/*.h) | $(1)/tests
	$$(CC) $$(STD) $$(WARN) $$(OPT) $(2) $$(CHECK_CFLAGS) $$(UUID_CFLAGS) -Icore -o $$@ $$< $(1)/libleasefs.a $$(CHECK_LIBS) $$(UUID_LIBS) $$(AIO_LIBS) -lpthread
$(1)/tools/%: tests/tools/%.c $(1)/libleasefs.a $(wildcard core/*.h) | $(1)/tools
	$$(CC) $$(STD) $$(WARN) $$(OPT) $(2) $$(UUID_CFLAGS) -Icore -o $$@ $$< $(1)/libleasefs.a $$(UUID_LIBS) $$(AIO_LIBS) -lpthread
$(1)/bench/%: bench/%.c | $(1)/bench
	$$(CC) $$(STD) $$(WARN) $$(OPT) $(2) -o $$@ $$<
$(1)/core $(1)/fs $(1)/fs/daemon $(1)/tests $(1)/tools $(1)/bench:
	mkdir -p $$@
endef

$(eval $(call build_rules,build,))
$(eval $(call build_rules,build-san,$(SAN)))
$(eval $(call build_rules,build-tsan,$(TSAN)))

UNITS      = $(patsubst tests/unit/%.c,%,$(UNIT_SRC))
TOOLS      = $(patsubst tests/tools/%.c,%,$(TOOL_SRC))
BENCHES    = $(patsubst bench/%.c,%,$(BENCH_SRC))

all: build/leasefs $(addprefix build/tools/,$(TOOLS))
	ln -sf build/leasefs leasefs

san: build-san/leasefs $(addprefix build-san/tests/,$(UNITS)) $(addprefix build-san/tools/,$(TOOLS))

# every binary runs, also after one failed; the target fails if any did
check-unit: $(addprefix build-san/tests/,$(UNITS))
	@rc=0; for t in $^; do echo "== $$t"; $$t || rc=1; done; exit $$rc

check-integration: san
	LEASEFS=$(CURDIR)/build-san/leasefs TOOLS=$(CURDIR)/build-san/tools \
	    bash tests/integration/run-all

check: check-unit check-integration

N ?= 10
check-stress:
	bash tests/stress-run $(N)
# ThreadSanitizer build of the daemon, and the scenarios whose daemons run
# many threads at once (blocked opens, races, handovers, fencing, pauses);
# the first report ends the daemon, which fails its scenario.
TSAN_SCENARIOS ?= fs-lock fs-race mig-handover fence-open-during fence-heal-in-grace fence-sigstop
tsan: build-tsan/leasefs $(addprefix build-tsan/tools/,$(TOOLS))

check-tsan: tsan
	@set -e; for s in $(TSAN_SCENARIOS); do \
	    TSAN_OPTIONS="halt_on_error=1 exitcode=66 $${TSAN_OPTIONS:-}" \
	    LEASEFS=$(CURDIR)/build-tsan/leasefs TOOLS=$(CURDIR)/build-tsan/tools \
	    bash tests/integration/run-all $$s; done

bench: all $(addprefix build/bench/,$(BENCHES))
	LEASEFS=$(CURDIR)/build/leasefs TOOLS=$(CURDIR)/build/tools \
	    BENCHBIN=$(CURDIR)/build/bench bash bench/run

bench-deps:
	apt-get install -y sanlock python3-sanlock gnuplot-nox

valgrind: build/leasefs $(addprefix build/tests/,$(UNITS))
	@set -e; for t in $(addprefix build/tests/,$(UNITS)); do \
	    CK_FORK=no valgrind -q --error-exitcode=1 --leak-check=full $$t; done

install: build/leasefs
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5
	install -m 755 build/leasefs $(DESTDIR)$(SBINDIR)/leasefs
	ln -sf leasefs $(DESTDIR)$(SBINDIR)/mount.leasefs
	install -m 644 man/*.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 644 man/*.5 $(DESTDIR)$(MANDIR)/man5/

clean:
	rm -rf build build-san build-tsan leasefs bench/out

.PHONY: all san tsan check check-unit check-integration check-stress check-tsan bench bench-deps valgrind install clean
.DEFAULT_GOAL := all

# ---- bench/ programs that link the core library (owned by bench/) ----
# The generic build/bench/% rule above compiles a bench/*.c file alone;
# these need core/*.h and build/libleasefs.a as well.
BENCH_LIB_PROGS := lfs-joiner lfs-core
$(addprefix build/bench/,$(BENCH_LIB_PROGS)): build/bench/%: bench/%.c build/libleasefs.a $(wildcard core/*.h) | build/bench
	$(CC) $(STD) $(WARN) $(OPT) $(UUID_CFLAGS) -Icore -o $@ $< build/libleasefs.a $(UUID_LIBS) $(AIO_LIBS) -lpthread
