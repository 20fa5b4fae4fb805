#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# revert-table.sh [SEEDS] -- for each tests/sim/reverts/*.patch: the first
# seed on which the simulator fails with that fix undone while it passes on
# the same seed without the revert, and how many seeds that took.  Both
# builds carry every tests/sim/proposals/*.patch and run with --fix $FIX (all)
# --no-names, so that the failures of open findings do not hide the
# reverted bug.  Extra simulator options: SIMFLAGS.
set -e
max=${1:-20000}
props=$(ls tests/sim/proposals/*.patch 2>/dev/null | sed 's#.*/##; s#\.patch$##' | paste -sd, -)
opts="--fix ${FIX:-all} --no-names --tail 0 ${SIMFLAGS:-}"
make -s build/sim/leasefs-sim >/dev/null
base=build/sim-$(echo "$props" | tr , +)/leasefs-sim
make -s "$base" PROPOSE="$props" >/dev/null
printf '%-18s %-8s %-12s %s\n' revert seed seeds/fail "first failure"
for p in tests/sim/reverts/*.patch; do
	name=$(basename "$p" .patch)
	bin=build/sim-revert-$name+$(echo "$props" | tr , +)/leasefs-sim
	make -s "$bin" REVERT="$name" PROPOSE="$props" >/dev/null
	first=1
	found=
	while [ "$first" -le "$max" ]; do
		out=$($bin --seeds $((max - first + 1)) --first "$first" \
		    --until-fail $opts 2>&1 | grep '^FAIL' || true)
		[ -n "$out" ] || break
		seed=$(echo "$out" | sed 's/^FAIL seed \([0-9]*\):.*/\1/')
		if $base --seeds 1 --first "$seed" $opts >/dev/null 2>&1; then
			found=$seed
			why=$(echo "$out" | sed 's/^FAIL seed [0-9]*: at [0-9.]* ms: //' | cut -c1-110)
			break
		fi
		first=$((seed + 1))
	done
	if [ -n "$found" ]; then
		printf '%-18s %-8s %-12s %s\n' "$name" "$found" "$found" "$why"
	else
		printf '%-18s %-8s %-12s %s\n' "$name" - ">$max" "not found"
	fi
done
