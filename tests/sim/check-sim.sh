#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# check-sim.sh -- the simulator's part of `make check` (tests/sim/README.md),
# on the shipped core/ and the shipped decisions of core/hostpolicy.c, with
# the default fault model (the storage promise of leasefs(8)):
#   1. a bounded batch: SEEDS seeds at 3-8 hosts with a short fault phase,
#      and WIDE_SEEDS (100) at 3-16 hosts with the full one; both must pass.  They
#      run with --fix all: the open findings D2, D4, D5, D6 of the README
#      are in fs/'s decisions and fail without it;
#   2. SAN_SEEDS seeds under ASan/UBSan, which must report nothing (leaks
#      included);
#   3. determinism: one seed run twice prints the same trace, byte for byte;
#   4. the simulator can fail: with the ballot-hw fix reverted
#      (tests/sim/reverts/ballot-hw.patch) it must fail on REVERT_SEED, and
#      with the slot-reuse-stamp fix reverted on REUSE_SEED (one seed each,
#      with the options it was found with).
# Environment: CC, CFLAGS, LIBS from the Makefile; SEEDS, WIDE_SEEDS,
# SAN_SEEDS, REVERT_SEED, REUSE_SEED.  The binaries build/sim/leasefs-sim and
# build-san/sim/leasefs-sim are the Makefile's.
set -e
seeds=${SEEDS:-2000}
wide=${WIDE_SEEDS:-100}
san_seeds=${SAN_SEEDS:-100}
revert_seed=${REVERT_SEED:-1312}
reuse_seed=${REUSE_SEED:-50293}
det_seed=${DET_SEED:-3}
opts="--fix all --quiet --tail 40"
sim=build/sim/leasefs-sim
san=build-san/sim/leasefs-sim
rev=build/sim-check-revert/leasefs-sim
rev_reuse=build/sim-check-revert-reuse/leasefs-sim
t0=$(date +%s)

REVERT=ballot-hw PROPOSE= sh tests/sim/build-patched.sh "$rev" \
    tests/sim/reverts/ballot-hw.patch
REVERT=slot-reuse-stamp PROPOSE= sh tests/sim/build-patched.sh "$rev_reuse" \
    tests/sim/reverts/slot-reuse-stamp.patch

echo "== sim: $seeds seeds, hosts 3-8, fault phase 2 s"
$sim --seeds "$seeds" --hosts 3-8 --time 2000 $opts
echo "== sim: $wide seeds, hosts 3-16, fault phase 6 s"
$sim --seeds "$wide" --first 500001 --hosts 3-16 $opts
echo "== sim under ASan/UBSan: $san_seeds seeds"
out=$(mktemp)
trap 'rm -f "$out" "$out.1" "$out.2"' EXIT
if ! $san --seeds "$san_seeds" --first 100001 --hosts 3-8 --time 2000 \
    $opts >"$out" 2>&1 || grep -q 'Sanitizer\|runtime error' "$out"; then
	cat "$out"
	echo "check-sim: the ASan/UBSan run failed or reported" >&2
	exit 1
fi
cat "$out"
echo "== sim: seed $det_seed twice, the same trace"
$sim --seed "$det_seed" --hosts 3-16 --io >"$out.1" 2>&1 || true
$sim --seed "$det_seed" --hosts 3-16 --io >"$out.2" 2>&1 || true
if ! cmp "$out.1" "$out.2"; then
	diff "$out.1" "$out.2" | head -20
	echo "check-sim: two runs of seed $det_seed differ" >&2
	exit 1
fi
echo "ok: $(wc -l <"$out.1") trace lines, identical"
echo "== sim finds the reverted ballot-hw fix (seed $revert_seed)"
if $rev --seeds 1 --first "$revert_seed" --hosts 3-8 --time 2000 --fix all \
    --tail 0 | grep '^FAIL'; then
	echo "ok: found"
else
	echo "check-sim: the simulator no longer finds the reverted ballot-hw fix" \
	    "on seed $revert_seed (find a new one: sh tests/sim/revert-table.sh)" >&2
	exit 1
fi
echo "== sim finds the reverted slot-reuse-stamp fix (seed $reuse_seed)"
if $rev_reuse --seeds 1 --first "$reuse_seed" --hosts 3-8 --fix all \
    --tail 0 | grep '^FAIL'; then
	echo "ok: found"
else
	echo "check-sim: the simulator no longer finds the reverted" \
	    "slot-reuse-stamp fix on seed $reuse_seed (find a new one:" \
	    "ONLY=slot-reuse-stamp SIMOPTS='--hosts 3-8 --fix all'" \
	    "sh tests/sim/revert-table.sh 60000)" >&2
	exit 1
fi
echo "check-sim: passed in $(($(date +%s) - t0)) s"
