# Lazy dblock presence (core/paxos.h invariant 4a) in a 300-host lockspace: a host's first ballot in a lease's bucket publishes its bit and waits join_delay first, its later ones do not, three daemons racing for one lease through non-blocking lock opens (one joined above the others' window) never hold it at once, and a shared hold shows in the other hosts' owner files (which read only the dblocks of hosts with the bucket's bit).
# SPDX-License-Identifier: GPL-2.0-or-later
source "$(dirname "$0")/lib.sh"
t_setup
DEV=$WORK/dev.img
OPEN=$TOOLS/lfs-open
# more than LFS_PRESENCE_LAZY_ABOVE (256) host ids: presence is lazy
"$LEASEFS" format pres "$DEV" --size 64M --hosts 300 --leases 8 --io-timeout 1 || fail "format"
for id in 1 2 250; do t_mount "$id" "$DEV"; done
mkdir "$MNT_1/vm1" || fail "mkdir"

# host 2's first ballot in vm1's bucket waits join_delay (2 io = 2 s)
# after publishing its bit; its second does not wait again
t0=$(date +%s%N)
echo acquire >"$MNT_2/vm1/ctl" || fail "host 2: acquire vm1"
t1=$(date +%s%N)
echo release >"$MNT_2/vm1/ctl" || fail "host 2: release vm1"
first_ms=$(( (t1 - t0) / 1000000 ))
[ "$first_ms" -ge 2000 ] || fail "host 2's first acquire took $first_ms ms: no join_delay wait after publishing"
grep -q "first dblock write of host 2 in bucket" "$WORK/host2.log" ||
    fail "host 2 logged no publish: $(tail -5 "$WORK/host2.log")"
n=$(grep -c "first dblock write of host 2 in bucket" "$WORK/host2.log")
echo acquire >"$MNT_2/vm1/ctl" || fail "host 2: acquire vm1 again"
echo release >"$MNT_2/vm1/ctl" || fail "host 2: release vm1 again"
[ "$(grep -c "first dblock write of host 2 in bucket" "$WORK/host2.log")" = "$n" ] ||
    fail "host 2 published its bucket twice"
t_log "host 2's first acquire of vm1: $first_ms ms (join_delay 2000), then no wait"

# each host: 150 tries of open (non-blocking), hold 5 ms, close
for id in 1 2 250; do
	eval "m=\$MNT_$id"
	t_bg "race$id" bash -c "for i in \$(seq 150); do $OPEN -n $m/vm1/lock 0.005; done; exit 0"
	pids+=("$T_LAST_PID")
done
for p in "${pids[@]}"; do wait "$p" || fail "a racer failed"; done
won=0 hosts_won=0
for id in 1 2 250; do
	bad=$(grep -v '^opened\|^closing\|^ERR EAGAIN$' "$WORK/race$id.log" | head -3)
	[ -z "$bad" ] || fail "host $id: unexpected output: $bad"
	n=$(grep -c '^opened' "$WORK/race$id.log")
	won=$((won + n))
	[ "$n" -gt 0 ] && hosts_won=$((hosts_won + 1))
	paste -d' ' <(awk '/^opened/ {print $2}' "$WORK/race$id.log") \
	    <(awk '/^closing/ {print $2}' "$WORK/race$id.log") | sed "s/\$/ $id/" >>"$WORK/windows"
done
t_log "$won acquisitions won over 450 tries, by $hosts_won hosts"
[ "$won" -ge 30 ] || fail "only $won acquisitions: the race did not happen"
[ "$hosts_won" -ge 2 ] || fail "only one host ever won: the race did not happen"
sort -n "$WORK/windows" | awk '
	NR > 1 && $1 < end && $3 != host { printf "overlap: host %s [%s, %s] and host %s until %s\n", $3, $1, $2, host, end; bad = 1 }
	{ if ($2 > end) { end = $2; host = $3 } }
	END { exit bad }' || fail "two hosts held vm1 at once"
for id in 1 250; do
	grep -q "first dblock write of host $id in bucket" "$WORK/host$id.log" ||
	    fail "host $id never published a bucket"
done
t_wait_for 15 bash -c "[ \"\$(cat $MNT_1/vm1/owner)\" = free ]" ||
    fail "vm1 left owned after the race: $(cat "$MNT_1/vm1/state")"

# a shared hold of host 250 (lock opened read-only), as hosts 1 and 2 list
# it; then free again once it closes
t_bg shared250 "$OPEN" -r "$MNT_250/vm1/lock"
t_wait_for 20 grep -q '^opened' "$WORK/shared250.log" ||
    fail "host 250: no shared hold: $(cat "$WORK/shared250.log")"
for id in 1 2; do
	eval "m=\$MNT_$id"
	o=$(cat "$m/vm1/owner") || fail "host $id: cat owner"
	[ "$o" = "shared 250" ] || fail "host $id lists vm1's owner as '$o', not 'shared 250'"
done
kill -TERM "$T_LAST_PID" && wait "$T_LAST_PID" 2>/dev/null
t_wait_for 15 bash -c "[ \"\$(cat $MNT_1/vm1/owner)\" = free ]" ||
    fail "vm1 not free after the shared hold closed: $(cat "$MNT_1/vm1/state")"
for id in 250 2 1; do t_umount "$id"; done
