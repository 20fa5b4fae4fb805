#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# virt-compare.sh - live migration under stock libvirtd with the leasefs lock
# manager, libvirt-sanlock, and none ("nop", the baseline), side by side on
# the rig of tests/integration/virt.sh (two libvirtd instances in mount
# namespaces of their own, a 64 MiB guest with no OS, KVM when present).
#
#   bench/virt-compare.sh [MIGRATIONS]      (default 10, alternating 1->2, 2->1)
#
# For each migration it reports:
#   ownerless window  the time nobody owns the guest's lease.  leasefs: a
#                     watcher (tests/tools/lfs-watch) reads the owner file on
#                     a third host every 1 ms and counts reads of "free"; the
#                     window is bounded by the span between the last read of
#                     the old owner and the first of the new one.  sanlock:
#                     from libvirt's logs, the source's release (its Release
#                     call returned: "Preserving lock state" in the STOP
#                     handler) to the destination's acquire (the sanlock
#                     driver's "Acquire completed", before `cont`).
#   downtime          the guest's CPUs stopped on the source (libvirt's STOP
#                     event) to running on the destination (its RESUME
#                     event), from libvirt's logs on the same clock.
#   release, acquire  the lock manager's share of the downtime: the source's
#                     Release call in the STOP handler, and the destination's
#                     Acquire call up to the RESUME event (with `cont`).
# Times are wall-clock, ms, on this machine; prints a table and writes
# bench/out/virt-compare.csv.  Needs what t-virt-migrate.sh needs, plus the
# packages libvirt-sanlock and sanlock for the sanlock column.
set -u
BENCH=$(cd "$(dirname "$0")" && pwd)
TOP=$(dirname "$BENCH")
export LEASEFS=${LEASEFS:-$TOP/build/leasefs} TOOLS=${TOOLS:-$TOP/build/tools}
PLUGIN=${PLUGIN:-$TOP/build/libvirt/leasefs.so}
N=${1:-10}
OUT=${BENCH_OUT:-$BENCH/out}
source "$TOP/tests/integration/lib.sh"
source "$TOP/tests/integration/virt.sh"
virt_require
t_setup
mkdir -p "$OUT"

# ms since the epoch of a libvirt log line ("2026-12-02 16:25:21.059+0000: ...")
log_ms() {
	sed -n "$2" "$1" | while read -r d t _; do
		t=${t%%+*}
		echo "$(date -u -d "$d ${t%.*}" +%s)${t#*.}"
	done
}

# migrate N times; leaves per-migration "downtime_ms" lines in $WORK/$1.dt
run_migrations() {
	local mode=$1 i from to stop resume
	: >"$WORK/$mode.dt"
	: >"$WORK/$mode.rel"
	: >"$WORK/$mode.acq"
	for i in $(seq "$N"); do
		if [ $((i % 2)) = 1 ]; then from=1 to=2; else from=2 to=1; fi
		virt_migrate "$from" "$to" vm1 || fail "$mode: migration $i failed"
		stop=$(log_ms "$WORK/v$from/libvirtd.log" '/qemuProcessHandleStop:.*vm1 to paused state, reason migration/p' | tail -n 1)
		resume=$(log_ms "$WORK/v$to/libvirtd.log" '/qemuProcessHandleResume:.*vm1 into running state, reason .migrated/p' | tail -n 1)
		[ -n "$stop" ] && [ -n "$resume" ] || fail "$mode: no STOP/RESUME in libvirt's logs"
		echo "$((resume - stop))" >>"$WORK/$mode.dt"
		# the lock manager's share of it: the source's Release in the
		# STOP handler, and the destination's Acquire up to the RESUME
		# event (which includes QEMU's `cont`)
		local r0 r1 a0
		r0=$(log_ms "$WORK/v$from/libvirtd.log" '/qemuProcessHandleStop:.*vm1 to paused state, reason migration/,/Preserving lock state/{/virLockManagerRelease/p}' | tail -n 1)
		r1=$(log_ms "$WORK/v$from/libvirtd.log" '/qemuProcessHandleStop:.*Preserving lock state/p' | tail -n 1)
		a0=$(log_ms "$WORK/v$to/libvirtd.log" '/qemuProcessStartCPUs:.*Using lock state/p' | tail -n 1)
		echo "$((r1 - r0))" >>"$WORK/$mode.rel"
		echo "$((resume - a0))" >>"$WORK/$mode.acq"
		# the sanlock window: release returned on the source, acquire
		# returned on the destination
		if [ "$mode" = sanlock ]; then
			local rel acq
			rel=$(log_ms "$WORK/v$from/libvirtd.log" "/qemuProcessHandleStop:.*Preserving lock state/p" | tail -n 1)
			acq=$(log_ms "$WORK/v$to/libvirtd.log" "/Acquire completed/p" | tail -n 1)
			[ -n "$rel" ] && [ -n "$acq" ] || fail "sanlock: no release/acquire in libvirt's logs"
			echo "$((acq - rel))" >>"$WORK/sanlock.win"
		fi
	done
}

stats() { # FILE: min median max (integers)
	sort -n "$1" | awk '{a[NR]=$1} END {printf "%d %d %d", a[1], a[int((NR+1)/2)], a[NR]}'
}

stop_all() {
	local n
	vsh 1 destroy vm1 >/dev/null 2>&1
	vsh 2 destroy vm1 >/dev/null 2>&1
	for n in 1 2; do virt_stop "$n"; done
	V_INSTANCES=()
}

# ---- leasefs ----
DEV=$WORK/dev.img
"$LEASEFS" format rig "$DEV" --size 64M --hosts 8 --leases 32 --io-timeout 2 >/dev/null 2>&1 || fail "format"
for id in 1 2 3; do t_mount "$id" "$DEV"; done
virt_guest vm1 "$WORK/vm1.img" vm1
for n in 1 2; do virt_config "$n" leasefs; virt_start "$n"; done
vsh 1 create "$WORK/vm1.xml" >/dev/null || fail "start (leasefs)"
t_bg watch "$TOOLS/lfs-watch" "$MNT_3/vm1/owner"
watcher=$T_LAST_PID
t_wait_for 10 grep -q ' 1 h1$' "$WORK/watch.log" || fail "watcher"
run_migrations leasefs
kill -TERM "$watcher"
wait "$watcher" 2>/dev/null
frees=$(grep -c ' free$' "$WORK/watch.log")
changes=$(($(wc -l <"$WORK/watch.log") - 1))
[ "$changes" = "$N" ] || fail "leasefs: $changes owner changes for $N migrations: $(cut -d' ' -f2- "$WORK/watch.log" | tr '\n' '|')"
stop_all

# ---- nop (no lock manager) ----
for n in 1 2; do virt_config "$n" nop; virt_start "$n"; done
vsh 1 create "$WORK/vm1.xml" >/dev/null || fail "start (nop)"
run_migrations nop
stop_all

# ---- sanlock ----
have_sanlock=0
if command -v sanlock >/dev/null && [ -f /usr/lib/x86_64-linux-gnu/libvirt/lock-driver/sanlock.so ]; then
	have_sanlock=1
	SL=$WORK/sl
	mkdir -p "$SL"
	truncate -s 8M "$SL/ls" "$SL/vm1"
	sanlock direct init -s "rig:0:$SL/ls:0" >/dev/null || fail "sanlock init lockspace"
	sanlock direct init -r "rig:vm1:$SL/vm1:0" >/dev/null || fail "sanlock init lease"
	for n in 1 2; do
		mkdir -p "$WORK/v$n/sanlock-run"
		t_bg "sanlock$n" env SANLOCK_RUN_DIR="$WORK/v$n/sanlock-run" SANLOCK_PRIVILEGED=0 \
		    /usr/sbin/sanlock daemon -D -w 0 -l 0 -h 0 -U 0 -G 0 -e "rig-host$n" -L -1 -S -1
		t_wait_for 20 test -S "$WORK/v$n/sanlock-run/sanlock.sock" || fail "sanlock $n"
	done
	# io_timeout 2 s as leasefs's; both hosts join at once (each waits
	# about 2 io + the delta lease's wait)
	joins=()
	for n in 1 2; do
		SANLOCK_RUN_DIR="$WORK/v$n/sanlock-run" sanlock client add_lockspace \
		    -s "rig:$n:$SL/ls:0" -o 2 >"$WORK/join$n.log" 2>&1 &
		joins+=($!)
	done
	wait "${joins[@]}" || fail "sanlock add_lockspace: $(cat "$WORK"/join*.log)"
	sed -i "s|<lease>.*</lease>|<lease><lockspace>rig</lockspace><key>vm1</key><target path='$SL/vm1' offset='0'/></lease>|" "$WORK/vm1.xml"
	for n in 1 2; do
		virt_config "$n" sanlock
		cat >"$WORK/v$n/etc/qemu-sanlock.conf" <<EOF
auto_disk_leases = 0
require_lease_for_disks = 0
host_id = $n
io_timeout = 2
EOF
		V_ENV="SANLOCK_RUN_DIR=$WORK/v$n/sanlock-run" virt_start "$n"
	done
	vsh 1 create "$WORK/vm1.xml" >/dev/null || fail "start (sanlock): $(tail -n 3 "$WORK/v1/libvirtd.log")"
	: >"$WORK/sanlock.win"
	run_migrations sanlock
	stop_all
fi

# ---- the table ----
{
	echo "manager,migrations,ownerless_min_ms,ownerless_median_ms,ownerless_max_ms,downtime_min_ms,downtime_median_ms,downtime_max_ms,release_median_ms,acquire_to_running_median_ms"
	med() { stats "$1" | cut -d' ' -f2; }
	read -r a b c <<<"$(stats "$WORK/nop.dt")"
	echo "nop,$N,,,,$a,$b,$c,$(med "$WORK/nop.rel"),$(med "$WORK/nop.acq")"
	read -r a b c <<<"$(stats "$WORK/leasefs.dt")"
	echo "leasefs,$N,0,0,0,$a,$b,$c,$(med "$WORK/leasefs.rel"),$(med "$WORK/leasefs.acq")"
	if [ "$have_sanlock" = 1 ]; then
		read -r w1 w2 w3 <<<"$(stats "$WORK/sanlock.win")"
		read -r a b c <<<"$(stats "$WORK/sanlock.dt")"
		echo "sanlock,$N,$w1,$w2,$w3,$a,$b,$c,$(med "$WORK/sanlock.rel"),$(med "$WORK/sanlock.acq")"
	fi
} >"$OUT/virt-compare.csv"
echo "leasefs: $frees reads of 'free' by a 1 ms watcher over $N migrations ($changes owner changes)"
column -s, -t <"$OUT/virt-compare.csv"
