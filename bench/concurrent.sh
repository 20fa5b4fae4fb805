#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# concurrent.sh - many leases at once on one host (issue 15 point 4):
#
#   bench/concurrent.sh [N]      (default 100)
#
# One host on a lockspace with N + 1 leases, io_timeout 1 s, twice: on a
# file-backed device, and on an nbdkit path with 10 ms of delay per read
# and per write (tests/integration/faults.sh: what a SAN user would see).
# For each it prints
#   one     the median time of one lock open of a free lease (bench/lfs-loop
#           lock: an open, which acquires, and a close, which releases)
#   all     N lock opens of N free leases let go at once (bench/lfs-conc),
#           from the go to the last open's return; and all/one
#   owner   p50 and p99 of `cat owner` of another lease, read in a loop by
#           one more process meanwhile
#   floor   the device alone, before it is formatted (bench/io-floor): one
#           job of an acquire + release's disk I/O, and N such jobs at
#           once: what no lease manager on this device can beat
# Times are ms, wall-clock, on this machine.
set -u
BENCH=$(cd "$(dirname "$0")" && pwd)
TOP=$(dirname "$BENCH")
export LEASEFS=${LEASEFS:-$TOP/build/leasefs} TOOLS=${TOOLS:-$TOP/build/tools}
BENCHBIN=${BENCHBIN:-$TOP/build/bench}
N=${1:-100}
source "$TOP/tests/integration/lib.sh"
source "$TOP/tests/integration/faults.sh"
t_setup

# pct P FILE: the P-th percentile of the numbers in FILE (one per line)
pct() { sort -n "$2" | awk -v p="$1" '{ v[NR] = $1 } END { i = int((NR - 1) * p / 100) + 1; print v[i] }'; }
ms() { awk -v u="$1" 'BEGIN { printf "%.1f", u / 1000 }'; }

# run TAG DEVICE: one host on DEVICE, the figures of TAG
run() {
	local tag=$1 dev=$2 one all p50 p99 m id floor
	floor=$("$BENCHBIN/io-floor" "$dev" "$N") || fail "io-floor $tag"
	"$LEASEFS" format "c${tag%%-*}" "$dev" --size 64M --hosts 8 --leases $((N + 8)) --io-timeout 1 \
	    >>"$WORK/format.log" 2>&1 || fail "format $tag"
	id=$((NEXT_ID++))
	t_mount "$id" "$dev"
	eval "m=\$MNT_$id"
	
	"$BENCHBIN/lfs-loop" mkdir "$m" l 0 "$N" >/dev/null || fail "mkdir"
	mkdir "$m/one" "$m/watched" || fail "mkdir"
	"$BENCHBIN/lfs-loop" lock "$m/one" 20 >"$WORK/$tag-one.txt" || fail "lock loop"
	one=$(pct 50 "$WORK/$tag-one.txt")
	"$BENCHBIN/lfs-conc" "$m" l "$N" "$m/watched" >"$WORK/$tag-conc.txt" || fail "lfs-conc"
	all=$(awk '$1 == "all" { print $2 }' "$WORK/$tag-conc.txt")
	awk '$1 == "owner" { print $2 }' "$WORK/$tag-conc.txt" >"$WORK/$tag-owner.txt"
	p50=$(pct 50 "$WORK/$tag-owner.txt")
	p99=$(pct 99 "$WORK/$tag-owner.txt")
	printf '%-16s %5d %9s %9s %7s %10s %10s %8d %9s %9s\n' "$tag" "$N" "$(ms "$one")" \
	    "$(ms "$all")" "$(awk -v a="$all" -v o="$one" 'BEGIN { printf "%.1f", a / o }')" \
	    "$(ms "$p50")" "$(ms "$p99")" "$(wc -l <"$WORK/$tag-owner.txt")" \
	    "$(echo "$floor" | awk '$1 == "one" { print $2 }')" \
	    "$(echo "$floor" | awk '$1 == "all" { print $2 }')"
	t_umount "$id"
}

NEXT_ID=1
printf '%-16s %5s %9s %9s %7s %10s %10s %8s %9s %9s\n' device leases one_ms \
    all_ms all/one owner_p50 owner_p99 reads floor_one floor_all
dd if=/dev/zero of="$WORK/file.img" bs=1M count=64 status=none || fail "file.img"
run file "$WORK/file.img"
truncate -s 64M "$WORK/backing.img"
# nbdkit serves 128 requests at once (its default is 16), as a SAN's queue
# depth would; nbdfuse in front of it runs libfuse's default of 10 workers,
# so at most about 10 I/Os are in flight on this path whatever leasefs does:
# 100 opens of ~14 round trips of 10 ms each take at least 1.4 s here
F_NBDKIT_THREADS=128 f_host_dev 9 10 >/dev/null || fail "nbdkit path with 10 ms delay"
run delay-10ms "${F_DEV[9]}"
