#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# revert-table.sh [SEEDS] -- the revert table of issue 12: for each known
# safety fix undone, the first seed on which the simulator fails while the
# same seed passes with the fix in place, and how many seeds it took (at
# most SEEDS, default 3000).  A fix is undone either by a patch
# (tests/sim/reverts/NAME.patch, applied to a scratch copy of core/,
# core/hostpolicy.c included) or by a seam of the simulated daemon
# (--undo NAME, sim.h UNDO_*) for the fixes that live in fs/daemon/ around
# core/hostpolicy.c.  Every run uses the default fault model (the storage
# promise) and SIMOPTS (default: the batch of check-sim.sh: hosts 3-8, a 2 s
# fault phase, --fix all, --no-tears: the seeds check-sim.sh pins).  Each
# revert's search is one process; JOBS of them run at once (default 1);
# ONLY=a,b,undo:c runs only those.
set -e
max=${1:-3000}
simopts=${SIMOPTS:---hosts 3-8 --time 2000 --fix all --no-tears}
opts="$simopts --tail 0"
jobs=${JOBS:-1}
make -s build/sim/leasefs-sim >/dev/null
base=build/sim/leasefs-sim
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# search NAME BIN BOTH REV: prints one row of the table; BOTH are options
# of both runs (the revert's and the check that the fix passes the seed),
# REV of the revert's only
search() {
	name=$1 bin=$2 both=$3 rev=$4 first=1 found= why=
	while [ "$first" -le "$max" ]; do
		# shellcheck disable=SC2086
		out=$($bin --seeds $((max - first + 1)) --first "$first" \
		    --until-fail $opts $both $rev 2>&1 | grep '^FAIL' || true)
		[ -n "$out" ] || break
		seed=$(echo "$out" | sed 's/^FAIL seed \([0-9]*\):.*/\1/')
		# shellcheck disable=SC2086
		if $base --seeds 1 --first "$seed" $opts $both >/dev/null 2>&1; then
			found=$seed
			why=$(echo "$out" | sed 's/^FAIL seed [0-9]*: at [0-9.]* ms: //' |
			    cut -c1-100)
			break
		fi
		first=$((seed + 1))
	done
	if [ -n "$found" ]; then
		printf '%-26s %-7s %s\n' "$name" "$found" "$why"
	else
		printf '%-26s %-7s %s\n' "$name" ">$max" "not found"
	fi
}

n=0
only=",${ONLY:-},"
for p in tests/sim/reverts/*.patch; do
	name=$(basename "$p" .patch)
	[ "$only" = ",," ] || case $only in *",$name,"*) ;; *) continue ;; esac
	bin=build/sim-revert-$name/leasefs-sim
	make -s "$bin" REVERT="$name" >/dev/null
	# a line '# sim: OPTIONS' at the top of the patch adds options (a
	# --fix list given there replaces --fix all: a proposed daemon fix
	# may cover the same hole as the fix undone)
	extra=$(sed -n 's/^# sim: //p' "$p")
	search "$name" "$bin" "$extra" "" >"$tmp/$name" &
	n=$((n + 1))
	[ $((n % jobs)) -ne 0 ] || wait
done
for u in i11-gen i11-holders i11-stop d2-grant d4-transfer d5-settle d6-arrive gate renew-gate; do
	[ "$only" = ",," ] || case $only in *",undo:$u,"*) ;; *) continue ;; esac
	search "undo:$u" "$base" "" "--undo $u" >"$tmp/undo-$u" &
	n=$((n + 1))
	[ $((n % jobs)) -ne 0 ] || wait
done
wait
echo "revert table: $simopts, up to $max seeds (the seed is also the number of seeds it took)"
printf '%-26s %-7s %s\n' "fix undone" "seed" "first failure"
cat "$tmp"/*
