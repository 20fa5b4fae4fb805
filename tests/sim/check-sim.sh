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
#   4. shared holds (--shared, tests/sim/shared.c): SH_SEEDS seeds at 3-8
#      hosts, SH_WIDE_SEEDS at 3-16, SH_SAN_SEEDS under ASan/UBSan, one
#      seed traced twice;
#   5. lazy dblock presence (--presence, paxos.h invariant 4a): PR_SEEDS
#      seeds at 3-8 hosts, PR_WIDE_SEEDS at 3-16 (and as many with
#      --shared, and the seed of the presence-rewrite finding),
#      PR_SAN_SEEDS under ASan/UBSan;
#   6. the simulator can fail: with the ballot-hw fix reverted
#      (tests/sim/reverts/ballot-hw.patch) it must fail on REVERT_SEED, and
#      with each shared fix (sh-already-ours, sh-finish-gone) and the
#      slot-reuse-stamp fix (paxos.h invariant 9) reverted on its seed,
#      each with the options of its patch's '# sim:' line.
# Environment: CC, CFLAGS, LIBS from the Makefile; SEEDS, WIDE_SEEDS,
# SAN_SEEDS, REVERT_SEED, REUSE_SEED, SH_SEEDS, SH_WIDE_SEEDS, SH_SAN_SEEDS,
# PR_SEEDS, PR_WIDE_SEEDS, PR_SAN_SEEDS.  The
# binaries build/sim/leasefs-sim and build-san/sim/leasefs-sim are the
# Makefile's.
set -e
seeds=${SEEDS:-2000}
wide=${WIDE_SEEDS:-100}
san_seeds=${SAN_SEEDS:-100}
revert_seed=${REVERT_SEED:-1312}
reuse_seed=${REUSE_SEED:-50293}
det_seed=${DET_SEED:-3}
sh_seeds=${SH_SEEDS:-1000}
sh_wide=${SH_WIDE_SEEDS:-50}
sh_san=${SH_SAN_SEEDS:-50}
pr_seeds=${PR_SEEDS:-1000}
pr_wide=${PR_WIDE_SEEDS:-100}
pr_san=${PR_SAN_SEEDS:-50}
# reverted fix and the seed that finds it (revert-table.sh finds new ones);
# these seeds and the undone ones below run with --no-tears, as they were
# found before torn reads were modelled (the batches above tear), unless
# the patch's '# sim:' line says --tears (torn-reread)
reverts="ballot-hw:$revert_seed sh-already-ours:97 sh-finish-gone:193005
slot-reuse-stamp:$reuse_seed i10-5-table-fresh:2970 c14-live-handover:208305
torn-reread:32 presence-wait:8
presence-rewrite:954184"
# fixes of the daemon's decisions undone: name:seed:fault phase (ms):hosts
# (gate: the submit gate of finding C12, core/lockspace.h)
undos="d2-grant:347:2000:3-8 d6-arrive:545:2000:3-8 gate:57983:6000:3-16
renew-gate:8207:6000:3-16"
opts="--fix all --quiet --tail 40"
sim=build/sim/leasefs-sim
san=build-san/sim/leasefs-sim
t0=$(date +%s)

for r in $reverts; do
	name=${r%:*}
	REVERT=$name PROPOSE= sh tests/sim/build-patched.sh \
	    "build/sim-check-revert/$name/leasefs-sim" \
	    "tests/sim/reverts/$name.patch"
done

echo "== sim: $seeds seeds, hosts 3-8, fault phase 2 s"
$sim --seeds "$seeds" --hosts 3-8 --time 2000 $opts
echo "== sim: $wide seeds, hosts 3-16, fault phase 6 s"
$sim --seeds "$wide" --first 500001 --hosts 3-16 $opts
# the seeds of findings fixed since they were found (tests/sim/README)
echo "== sim: seed 208305 (finding C14), hosts 3-16, fault phase 6 s"
$sim --seeds 1 --first 208305 --hosts 3-16 --time 6000 $opts
echo "== sim under ASan/UBSan: $san_seeds seeds"
out=$(mktemp)
trap 'rm -f "$out" "$out.1" "$out.2"' EXIT
# san_batch N FIRST [OPTIONS]: N seeds under ASan/UBSan, nothing reported
san_batch() {
	n=$1 first=$2
	shift 2
	# shellcheck disable=SC2086
	if ! $san --seeds "$n" --first "$first" --hosts 3-8 --time 2000 \
	    $opts "$@" >"$out" 2>&1 || grep -q 'Sanitizer\|runtime error' "$out"; then
		cat "$out"
		echo "check-sim: the ASan/UBSan run failed or reported" >&2
		exit 1
	fi
	cat "$out"
}
# same_trace SEED [OPTIONS]: two runs of SEED print the same trace
same_trace() {
	seed=$1
	shift
	$sim --seed "$seed" --hosts 3-16 --io "$@" >"$out.1" 2>&1 || true
	$sim --seed "$seed" --hosts 3-16 --io "$@" >"$out.2" 2>&1 || true
	if ! cmp "$out.1" "$out.2"; then
		diff "$out.1" "$out.2" | head -20
		echo "check-sim: two runs of seed $seed differ" >&2
		exit 1
	fi
	echo "ok: $(wc -l <"$out.1") trace lines, identical"
}
san_batch "$san_seeds" 100001
echo "== sim: seed $det_seed twice, the same trace"
same_trace "$det_seed"
echo "== sim --shared: $sh_seeds seeds, hosts 3-8, fault phase 2 s"
$sim --shared --seeds "$sh_seeds" --first 200001 --hosts 3-8 --time 2000 $opts
echo "== sim --shared: $sh_wide seeds, hosts 3-16, fault phase 6 s"
$sim --shared --seeds "$sh_wide" --first 600001 --hosts 3-16 $opts
echo "== sim --shared under ASan/UBSan: $sh_san seeds"
san_batch "$sh_san" 300001 --shared
echo "== sim --shared: seed $det_seed twice, the same trace"
same_trace "$det_seed" --shared
echo "== sim --presence: $pr_seeds seeds, hosts 3-8, fault phase 2 s"
$sim --presence --seeds "$pr_seeds" --first 400001 --hosts 3-8 --time 2000 $opts
echo "== sim --presence: $pr_wide seeds, hosts 3-16, fault phase 6 s"
$sim --presence --seeds "$pr_wide" --first 700001 --hosts 3-16 $opts
echo "== sim --presence --shared: $pr_wide seeds, hosts 3-16, fault phase 6 s"
$sim --presence --shared --seeds "$pr_wide" --first 750001 --hosts 3-16 $opts
echo "== sim: seed 954184 (presence-rewrite), --presence --shared, hosts 3-16"
$sim --presence --shared --seeds 1 --first 954184 --hosts 3-16 $opts
echo "== sim --presence under ASan/UBSan: $pr_san seeds"
san_batch "$pr_san" 450001 --presence
for r in $reverts; do
	name=${r%:*} seed=${r#*:}
	extra=$(sed -n 's/^# sim: //p' "tests/sim/reverts/$name.patch")
	echo "== sim finds the reverted $name fix (seed $seed)"
	# shellcheck disable=SC2086
	if "build/sim-check-revert/$name/leasefs-sim" --seeds 1 --first "$seed" \
	    --hosts 3-8 --time 2000 --fix all --no-tears $extra --tail 0 |
	    grep '^FAIL'; then
		echo "ok: found"
	else
		echo "check-sim: the simulator no longer finds the reverted $name" \
		    "fix on seed $seed (find a new one: ONLY=$name sh" \
		    "tests/sim/revert-table.sh)" >&2
		exit 1
	fi
done
# the daemon's decisions found wrong by the simulator (tests/sim/README
# D2, D6) and fixed in fs/ through core/hostpolicy.c: each undone (--undo)
# must fail on its seed, with the fault phase it was found with
for u in $undos; do
	name=${u%%:*} rest=${u#*:}
	seed=${rest%%:*} rest=${rest#*:}
	time=${rest%%:*} hosts=${rest#*:}
	echo "== sim finds the undone $name fix (seed $seed)"
	if $sim --seeds 1 --first "$seed" --hosts "$hosts" --time "$time" \
	    --undo "$name" --no-tears --tail 0 | grep '^FAIL' &&
	    $sim --seeds 1 --first "$seed" --hosts "$hosts" --time "$time" \
	    --no-tears --quiet >/dev/null; then
		echo "ok: found, and the seed passes with the fix"
	else
		echo "check-sim: the simulator no longer finds the undone $name" \
		    "fix on seed $seed (or the seed fails with it too)" >&2
		exit 1
	fi
done
echo "check-sim: passed in $(($(date +%s) - t0)) s"
