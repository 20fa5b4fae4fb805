#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# concurrent.sh - many leases at once on one host (issue 15 point 4):
#
#   bench/concurrent.sh [N]      (default 100)
#
# One host on a lockspace with N + 18 leases, io_timeout 1 s, three times:
# on a file-backed device; on an nbdkit path with 10 ms of delay per read
# and per write (tests/integration/faults.sh); and on bench/delaydev, a
# device with the same 10 ms delay and a queue depth of 128, as a SAN has
# (the nbdkit path keeps about 10 I/Os in flight: see delaydev.c).
# For each it prints
#   cycle   the median time of one lock open and close of a free lease
#           (bench/lfs-loop lock: an acquire and, before the next open
#           returns, a release)
#   one     the median time of one lock open alone, measured as `all` is
#           (bench/lfs-conc with N = 1, 10 times, each on a fresh free
#           lease): the time `all` is held against
#   all     N lock opens of N free leases let go at once (bench/lfs-conc),
#           from the go to the last open's return; and all/one (target
#           3x, issue 15 point 4)
#   owner   p50 and p99 of `cat owner` of another lease, read in a loop by
#           one more process meanwhile
#   floor   the device alone, before it is formatted (bench/io-floor): one
#           job of an acquire + release's disk I/O, N such jobs at once,
#           and the p99 of one more thread's reads meanwhile: what no lease
#           manager on this device can beat (the last one under owner_p99)
# With sanlock installed (make bench-deps), sanlock's side on the file and on
# delaydev, one daemon through bench/sanlock_bench.py many: one acquire call
# of one resource (median of 50) and 100 resources at once as 13 processes
# each making one call of up to 8, sanlock's most per call (median of 10).
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
	local tag=$1 dev=$2 cycle one all p50 p99 m id floor k
	floor=$("$BENCHBIN/io-floor" "$dev" "$N") || fail "io-floor $tag"
	"$LEASEFS" format "c${tag%%-*}" "$dev" --size 64M --hosts 8 --leases $((N + 18)) --io-timeout 1 \
	    >>"$WORK/format.log" 2>&1 || fail "format $tag"
	id=$((NEXT_ID++))
	t_mount "$id" "$dev"
	eval "m=\$MNT_$id"
	
	"$BENCHBIN/lfs-loop" mkdir "$m" l 0 "$N" >/dev/null || fail "mkdir"
	mkdir "$m/one" "$m/watched" || fail "mkdir"
	"$BENCHBIN/lfs-loop" lock "$m/one" 20 >"$WORK/$tag-cycle.txt" || fail "lock loop"
	cycle=$(pct 50 "$WORK/$tag-cycle.txt")
	: >"$WORK/$tag-one.txt"
	for k in 0 1 2 3 4 5 6 7 8 9; do
		mkdir "$m/solo${k}0" || fail "mkdir solo${k}0"
		"$BENCHBIN/lfs-conc" "$m" "solo$k" 1 |
		    awk '$1 == "all" { print $2 }' >>"$WORK/$tag-one.txt"
		[ "${PIPESTATUS[0]}" -eq 0 ] || fail "lfs-conc solo$k"
	done
	one=$(pct 50 "$WORK/$tag-one.txt")
	"$BENCHBIN/lfs-conc" "$m" l "$N" "$m/watched" >"$WORK/$tag-conc.txt" || fail "lfs-conc"
	all=$(awk '$1 == "all" { print $2 }' "$WORK/$tag-conc.txt")
	awk '$1 == "owner" { print $2 }' "$WORK/$tag-conc.txt" >"$WORK/$tag-owner.txt"
	p50=$(pct 50 "$WORK/$tag-owner.txt")
	p99=$(pct 99 "$WORK/$tag-owner.txt")
	printf '%-16s %5d %8s %7s %8s %7s %10s %10s %8d %9s %9s %10s\n' "$tag" "$N" "$(ms "$cycle")" "$(ms "$one")" \
	    "$(ms "$all")" "$(awk -v a="$all" -v o="$one" 'BEGIN { printf "%.1f", a / o }')" \
	    "$(ms "$p50")" "$(ms "$p99")" "$(wc -l <"$WORK/$tag-owner.txt")" \
	    "$(echo "$floor" | awk '$1 == "one" { print $2 }')" \
	    "$(echo "$floor" | awk '$1 == "all" { print $2 }')" \
	    "$(echo "$floor" | awk '$1 == "read" { print $3 }')"
	t_umount "$id"
}

# sanlock_run TAG DEVICE: sanlock's one and 100 at once on DEVICE (at least
# 101 MiB; it overwrites it), one line
sanlock_run() {
	local tag=$1 dev=$2 pid one all
	if ! command -v sanlock >/dev/null ||
	    ! /usr/bin/python3 -c 'import sanlock' 2>/dev/null; then
		echo "sanlock $tag: skipped, sanlock or python3-sanlock is not installed (make bench-deps)"
		return
	fi
	mkdir -p "$WORK/slrun-$tag"
	t_bg "sanlock-$tag" env SANLOCK_RUN_DIR="$WORK/slrun-$tag" SANLOCK_PRIVILEGED=0 \
	    sanlock daemon -D -w 0 -l 0 -h 0 -e "slconc-$tag"
	pid=$T_LAST_PID
	t_wait_for 10 test -S "$WORK/slrun-$tag/sanlock.sock" || fail "sanlock daemon $tag"
	mkdir -p "$WORK/sl-$tag"
	/usr/bin/python3 "$BENCH/sanlock_bench.py" many "$WORK/sl-$tag" "$dev" \
	    "$WORK/slrun-$tag" "$pid" >>"$WORK/sanlock-$tag.log" 2>&1 ||
	    fail "sanlock_bench.py many $tag: $(tail -3 "$WORK/sanlock-$tag.log")"
	kill "$pid" && wait "$pid" 2>/dev/null
	one=$(pct 50 "$WORK/sl-$tag/sanlock-many-one.txt")
	all=$(pct 50 "$WORK/sl-$tag/sanlock-many-all.txt")
	printf 'sanlock %s: one call of 1 %s ms; 100 at once (13 calls of <= 8) %s ms; all/one %s\n' \
	    "$tag" "$(ms "$one")" "$(ms "$all")" \
	    "$(awk -v a="$all" -v o="$one" 'BEGIN { printf "%.1f", a / o }')"
}

NEXT_ID=1
printf '%-16s %5s %8s %7s %8s %7s %10s %10s %8s %9s %9s %10s\n' device leases cycle_ms one_ms \
    all_ms all/one owner_p50 owner_p99 reads floor_one floor_all floor_read
# 104 MiB: leasefs formats 64 of it, sanlock's side needs 101
dd if=/dev/zero of="$WORK/file.img" bs=1M count=104 status=none || fail "file.img"
run file "$WORK/file.img"
truncate -s 104M "$WORK/backing.img"
# nbdkit serves 128 requests at once (its default is 16), as a SAN's queue
# depth would; nbdfuse in front of it runs libfuse's default of 10 workers,
# so at most about 10 I/Os are in flight on this path whatever leasefs does:
# 100 opens of ~14 round trips of 10 ms each take at least 1.4 s here
F_NBDKIT_THREADS=128 f_host_dev 9 10 >/dev/null || fail "nbdkit path with 10 ms delay"
run delay-10ms "${F_DEV[9]}"
# bench/delaydev: the same 10 ms, with a queue depth of 128
mkdir -p "$WORK/delaydev"
T_MOUNTS+=("$WORK/delaydev")
t_bg delaydev "$BENCHBIN/delaydev" -d 10 -q 128 -P "$WORK/delaydev.pid" \
    "$WORK/backing.img" "$WORK/delaydev"
t_wait_for 10 test -s "$WORK/delaydev.pid" ||
    fail "delaydev did not start: $(cat "$WORK/delaydev.log")"
t_mounted "$WORK/delaydev" || fail "delaydev: not mounted"
run delaydev-10ms "$WORK/delaydev/dev"
sanlock_run file "$WORK/file.img"
sanlock_run delaydev-10ms "$WORK/delaydev/dev"
