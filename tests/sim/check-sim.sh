#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# check-sim.sh -- the simulator's part of `make check` (tests/sim/README.md):
#   1. a bounded batch on core/ with every tests/sim/proposals/*.patch that
#      still applies, and the proposed daemon fixes (--fix all), no
#      name-table writes (finding C4 is open): must pass;
#   2. a few seeds of the same under ASan (the simulator itself);
#   3. the simulator can fail: with the ballot-hw fix reverted it must find
#      the bug on a known seed.
# Environment: CC, CFLAGS, SANFLAGS, LIBS from the Makefile; SEEDS, SAN_SEEDS.
set -e
seeds=${SEEDS:-2000}
san_seeds=${SAN_SEEDS:-100}
revert_seed=${REVERT_SEED:-1139}
patches=$(ls tests/sim/proposals/*.patch 2>/dev/null || true)
opts="--fix all --no-names --quiet"

SKIP_STALE=1 REVERT= PROPOSE=all sh tests/sim/build-patched.sh \
    build/sim-check/leasefs-sim $patches
CFLAGS="$CFLAGS $SANFLAGS" SKIP_STALE=1 REVERT= PROPOSE=all \
    sh tests/sim/build-patched.sh build-san/sim-check/leasefs-sim $patches
SKIP_STALE=1 REVERT=ballot-hw PROPOSE=all sh tests/sim/build-patched.sh \
    build/sim-check-revert/leasefs-sim tests/sim/reverts/ballot-hw.patch \
    $patches

echo "== sim: $seeds seeds (proposals, --fix all, --no-names)"
build/sim-check/leasefs-sim --seeds "$seeds" $opts
echo "== sim under ASan: $san_seeds seeds"
build-san/sim-check/leasefs-sim --seeds "$san_seeds" --first 100001 $opts \
    2>&1 | grep -v "ASan doesn't fully support makecontext"
echo "== sim finds the reverted ballot-hw fix (seed $revert_seed)"
if build/sim-check-revert/leasefs-sim --seeds 1 --first "$revert_seed" \
    --fix all --no-names --tail 0 | grep '^FAIL'; then
	echo "ok: found"
else
	echo "check-sim: the simulator no longer finds the reverted ballot-hw fix" \
	    "on seed $revert_seed (find a new seed: sh tests/sim/revert-table.sh)" >&2
	exit 1
fi
