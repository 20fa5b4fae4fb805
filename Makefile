# leasefs - lease manager for hosts that share storage.
#
#   make                 build ./leasefs (optimized) into build/
#   make check           unit tests and integration tests, on a sanitizer
#                        build (ASan + UBSan) in build-san/
#   make check-unit      unit tests only
#   make check-sim       a bounded batch of the deterministic simulator
#   make sim             the simulator: SEEDS=n FIRST=s HOSTS=lo-hi STEPS=n
#                        TIME=ms, or SEED=s to replay one run with its trace
#                        (IO=1: every I/O too); REVERT=name / PROPOSE=a,b
#                        build it on a scratch copy of core/ with
#                        tests/sim/{reverts,proposals}/*.patch applied; FIX=
#                        turns on proposed fixes of the daemon's decisions
#                        (tests/sim/README)
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

FUSE_CFLAGS  := $(shell $(PKG_CONFIG) --cflags fuse3)
FUSE_LIBS    := $(shell $(PKG_CONFIG) --libs fuse3)
UUID_CFLAGS  := $(shell $(PKG_CONFIG) --cflags uuid)
UUID_LIBS    := $(shell $(PKG_CONFIG) --libs uuid)
CHECK_CFLAGS := $(shell $(PKG_CONFIG) --cflags check)
CHECK_LIBS   := $(shell $(PKG_CONFIG) --libs check)
AIO_LIBS     := -laio

CORE_SRC  := $(wildcard core/*.c)
FS_SRC    := $(wildcard fs/*.c)
UNIT_SRC  := $(wildcard tests/unit/check_*.c)
TOOL_SRC  := $(wildcard tests/tools/*.c)
BENCH_SRC := $(wildcard bench/*.c)

# $(call build_rules,DIR,EXTRA_CFLAGS)
define build_rules
$(1)/core/%.o: core/%.c $(wildcard core/*.h) | $(1)/core
	$$(CC) $$(STD) $$(WARN) $$(OPT) $(2) $$(UUID_CFLAGS) -Icore -c -o $$@ $$<
$(1)/fs/%.o: fs/%.c $(wildcard core/*.h fs/*.h) | $(1)/fs
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
$(1)/core $(1)/fs $(1)/tests $(1)/tools $(1)/bench:
	mkdir -p $$@
endef

$(eval $(call build_rules,build,))
$(eval $(call build_rules,build-san,$(SAN)))

UNITS      = $(patsubst tests/unit/%.c,%,$(UNIT_SRC))
TOOLS      = $(patsubst tests/tools/%.c,%,$(TOOL_SRC))
BENCHES    = $(patsubst bench/%.c,%,$(BENCH_SRC))

all: build/leasefs $(addprefix build/tools/,$(TOOLS))
	ln -sf build/leasefs leasefs

san: build-san/leasefs $(addprefix build-san/tests/,$(UNITS)) $(addprefix build-san/tools/,$(TOOLS)) \
    build-san/sim/leasefs-sim build/sim/leasefs-sim

check-unit: $(addprefix build-san/tests/,$(UNITS))
	@set -e; for t in $^; do echo "== $$t"; $$t; done

check-integration: san
	LEASEFS=$(CURDIR)/build-san/leasefs TOOLS=$(CURDIR)/build-san/tools \
	    bash tests/integration/run-all

check: check-unit check-sim check-integration

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
	rm -rf build build-san leasefs bench/out

.PHONY: all san check check-unit check-integration check-sim sim FORCE bench bench-deps valgrind install clean
.DEFAULT_GOAL := all

# ---- bench/ programs that link the core library (owned by bench/) ----
# The generic build/bench/% rule above compiles a bench/*.c file alone;
# these need core/*.h and build/libleasefs.a as well.
BENCH_LIB_PROGS := lfs-joiner lfs-core
$(addprefix build/bench/,$(BENCH_LIB_PROGS)): build/bench/%: bench/%.c build/libleasefs.a $(wildcard core/*.h) | build/bench
	$(CC) $(STD) $(WARN) $(OPT) $(UUID_CFLAGS) -Icore -o $@ $< build/libleasefs.a $(UUID_LIBS) $(AIO_LIBS) -lpthread

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
	$(CC) $(STD) $(WARN) $(OPT) $(UUID_CFLAGS) -Icore -Itests/sim -o $@ $(SIM_SRC) build/libleasefs.a $(SIM_LIBS)
build-san/sim/leasefs-sim: $(SIM_SRC) $(SIM_HDR) build-san/libleasefs.a $(wildcard core/*.h)
	@mkdir -p $(@D)
	$(CC) $(STD) $(WARN) $(OPT) $(SAN) $(UUID_CFLAGS) -Icore -Itests/sim -o $@ $(SIM_SRC) build-san/libleasefs.a $(SIM_LIBS)

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
	CC="$(CC)" CFLAGS="$(STD) $(WARN) $(OPT) $(UUID_CFLAGS)" LIBS="$(SIM_LIBS)" \
	    REVERT="$(REVERT)" PROPOSE="$(PROPOSE)" \
	    sh tests/sim/build-patched.sh $@ $(SIM_PATCHES)
FORCE:

SIM_ARGS = $(if $(SEED),--seed $(SEED),--seeds $(or $(SEEDS),1000) $(if $(FIRST),--first $(FIRST))) \
	$(if $(HOSTS),--hosts $(HOSTS)) $(if $(STEPS),--steps $(STEPS)) \
	$(if $(TIME),--time $(TIME)) $(if $(IO),--io) $(if $(FIX),--fix $(FIX)) $(SIMFLAGS)

sim: $(SIM_BIN)
	$(SIM_BIN) $(SIM_ARGS)

# The bounded batch of `make check` (tests/sim/check-sim.sh says what).
check-sim:
	@mkdir -p build/sim-check build-san/sim-check
	CC="$(CC)" CFLAGS="$(STD) $(WARN) $(OPT) $(UUID_CFLAGS)" SANFLAGS="$(SAN)" \
	    LIBS="$(SIM_LIBS)" SEEDS=$(CHECK_SIM_SEEDS) SAN_SEEDS=$(CHECK_SIM_SAN_SEEDS) \
	    sh tests/sim/check-sim.sh
