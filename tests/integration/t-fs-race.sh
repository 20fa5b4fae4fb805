# Three daemons race for one lease through non-blocking lock opens, hundreds of times: no two hold it at once, and when the race ends nobody is left owning it.
# SPDX-License-Identifier: GPL-2.0-or-later
# io_timeout 2 s: nothing here waits for a deadline; a longer one keeps a
# loaded machine from failing lease operations or fencing a host.
source "$(dirname "$0")/lib.sh"
t_setup
DEV=$WORK/dev.img
OPEN=$TOOLS/lfs-open
"$LEASEFS" format race "$DEV" --size 64M --hosts 8 --leases 32 --io-timeout 2 || fail "format"
for id in 1 2 3; do t_mount "$id" "$DEV"; done
mkdir "$MNT_1/vm1" || fail "mkdir"
# each host: 400 tries of open (non-blocking), hold 5 ms, close
for id in 1 2 3; do
	eval "m=\$MNT_$id"
	t_bg "race$id" bash -c "for i in \$(seq 400); do $OPEN -n $m/vm1/lock 0.005; done; exit 0"
	pids+=("$T_LAST_PID")
done
for p in "${pids[@]}"; do wait "$p" || fail "a racer failed"; done
won=0
for id in 1 2 3; do
	grep -v '^opened\|^closing\|^ERR EAGAIN$' "$WORK/race$id.log" | grep -q . &&
	    fail "host $id: unexpected output: $(grep -v '^opened\|^closing\|^ERR EAGAIN$' "$WORK/race$id.log" | head -3)"
	n=$(grep -c '^opened' "$WORK/race$id.log")
	won=$((won + n))
	# hold windows of host $id: "start end" per line
	paste -d' ' <(awk '/^opened/ {print $2}' "$WORK/race$id.log") \
	    <(awk '/^closing/ {print $2}' "$WORK/race$id.log") | sed "s/\$/ $id/" >>"$WORK/windows"
done
t_log "$won acquisitions won over 1200 tries"
[ "$won" -ge 100 ] || fail "only $won acquisitions: the race did not happen"
# independent check: the windows of different hosts never overlap
sort -n "$WORK/windows" | awk '
	NR > 1 && $1 < end && $3 != host { printf "overlap: host %s [%s, %s] and host %s until %s\n", $3, $1, $2, host, end; bad = 1 }
	{ if ($2 > end) { end = $2; host = $3 } }
	END { exit bad }' || fail "two hosts held vm1 at once"
# no lease left owned by anybody (an aborted acquire is settled)
t_wait_for 15 bash -c "[ \"\$(cat $MNT_1/vm1/owner)\" = free ]" ||
    fail "vm1 left owned after the race: $(cat "$MNT_1/vm1/state")"
