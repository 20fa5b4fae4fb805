# Three hosts contend for one lease through blocking lock opens while host 1's daemon is SIGSTOPped past host_dead and continued, three times: no two holds ever overlap, and host 1 serves again only under a new generation.
# SPDX-License-Identifier: GPL-2.0-or-later
source "$(dirname "$0")/lib.sh"
t_setup
DEV=$WORK/dev.img
OPEN=$TOOLS/lfs-open
"$LEASEFS" format stop "$DEV" --size 64M --hosts 8 --leases 32 --io-timeout 1 || fail "format"
host_dead=$(t_timing "$DEV" host_dead_ms)
for id in 1 2 3; do t_mount "$id" "$DEV"; done
mkdir "$MNT_1/vm1" || fail "mkdir"
gen0=$(awk '$1 == "generation:" {print $2}' "$MNT_1/.status")
# each host: blocking open, hold 30 ms, close, again, until $WORK/stop
for id in 1 2 3; do
	eval "m=\$MNT_$id"
	t_bg "race$id" bash -c "while [ ! -e $WORK/stop ]; do $OPEN $m/vm1/lock 0.03; done; exit 0"
	pids+=("$T_LAST_PID")
done
now_ms() { perl -MTime::HiRes=clock_gettime,CLOCK_BOOTTIME -e 'printf "%d\n", clock_gettime(CLOCK_BOOTTIME) * 1000'; }
stop_s=$((host_dead / 1000 + 4))
# the second stop comes while host 1 is still rejoining after the first
for gap in 2 2 6; do
	sleep "$gap"
	t_log "SIGSTOP host 1 for $stop_s s"
	kill -STOP "$PID_1"
	sleep "$stop_s"
	kill -CONT "$PID_1"
	cont=$(now_ms)
done
# let host 1 come back and contend again
sleep 8
touch "$WORK/stop"
for p in "${pids[@]}"; do
	t_wait_for 60 bash -c "! kill -0 $p 2>/dev/null" || fail "a racer did not stop"
done
for id in 1 2 3; do
	# hold windows of host $id: "start end id", from opened/closing pairs in order
	awk -v id="$id" '/^opened/ {s = $2} /^closing/ && s != "" {print s, $2, id; s = ""}' \
	    "$WORK/race$id.log" >>"$WORK/windows"
	t_log "host $id: $(grep -c '^opened' "$WORK/race$id.log") holds, $(grep -c '^ERR' "$WORK/race$id.log") refused opens"
done
sort -n "$WORK/windows" | awk '
	NR > 1 && $1 < end && $3 != host { printf "overlap: host %s [%s, %s] and host %s until %s (%d ms)\n", $3, $1, $2, host, end, end - $1; bad++ }
	{ if ($2 > end) { end = $2; host = $3 } }
	END { if (bad) printf "%d overlapping holds\n", bad; exit bad > 0 }' >"$WORK/overlaps" ||
    fail "two hosts held vm1 at once: $(cat "$WORK/overlaps" | tail -n 5)"
for id in 2 3; do
	[ "$(grep -c '^opened' "$WORK/race$id.log")" -gt 0 ] || fail "host $id never held vm1"
done
t_log "host 1: $(grep -E 'fencing:|rejoined' "$WORK/host1.log" | sed 's/^leasefs[^:]*: //' | tr '\n' ';')"
first=$(awk -v c="$cont" '/^opened/ && $2 > c {print $2; exit}' "$WORK/race1.log")
[ -n "$first" ] || fail "host 1 never held vm1 again after the last stop"
t_log "host 1 held vm1 again $((first - cont)) ms after the last SIGCONT"
gen1=$(awk '$1 == "generation:" {print $2}' "$MNT_1/.status")
t_log "host 1 generation $gen0 -> $gen1"
[ "$gen1" -gt "$gen0" ] || fail "host 1 still serves generation $gen0 after its renewals stopped past renewal_fail"
