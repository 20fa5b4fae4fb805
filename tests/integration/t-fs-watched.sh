# The watcher looks only at the leases this host has local work for (.status leases_watched): 40 leases whose owner files were read once drop off its list when closed; a lock holder, a ctl hold, a ctl request and a blocked opener each keep theirs on it until they end, and each still works (the waiter gets its lease when the holder closes).
# SPDX-License-Identifier: GPL-2.0-or-later
source "$(dirname "$0")/lib.sh"
t_setup
OPEN=$TOOLS/lfs-open
DEV=$WORK/dev.img
"$LEASEFS" format watched "$DEV" --size 16M --hosts 8 --leases 64 --io-timeout 1 || fail "format"
t_mount 1 "$DEV"
t_mount 2 "$DEV"
watched() { grep -qx "leases_watched: $2" "$1/.status"; }
for i in $(seq 1 40); do
	mkdir "$MNT_1/l$i" || fail "mkdir l$i"
	cat "$MNT_1/l$i/owner" >/dev/null || fail "owner l$i"
done
t_wait_for 10 watched "$MNT_1" 0 || fail "40 closed leases still watched: $(grep watched "$MNT_1/.status")"

# a lock holder, a ctl hold and, on host 2, a request and a blocked opener
t_bg h "$OPEN" "$MNT_1/l1/lock"
H=$T_LAST_PID
t_wait_for 10 grep -q '^opened' "$WORK/h.log" || fail "l1: $(cat "$WORK/h.log")"
echo acquire >"$MNT_1/l2/ctl" || fail "acquire l2"
t_wait_for 10 watched "$MNT_1" 2 || fail "host 1: $(grep watched "$MNT_1/.status")"
echo request >"$MNT_2/l2/ctl" || fail "request l2"
t_bg w "$OPEN" "$MNT_2/l1/lock"
W=$T_LAST_PID
t_wait_for 10 t_in_syscall "$W" openat || fail "host 2's open is not waiting"
t_wait_for 10 watched "$MNT_2" 2 || fail "host 2: $(grep watched "$MNT_2/.status")"

# each still works while the others sit idle: the waiter gets l1 when H
# closes, the request is answered by a transfer
kill -TERM "$H"
t_wait_for 10 grep -q '^opened' "$WORK/w.log" || fail "host 2 never got l1: $(cat "$WORK/w.log")"
echo "transfer 2" >"$MNT_1/l2/ctl" || fail "transfer l2"
# arrived: held here (the disk names host 2 a moment before host 2's
# watcher sees its request answered)
t_wait_for 10 grep -qx 'leases_held: 2' "$MNT_2/.status" || fail "l2 did not arrive at host 2: $(cat "$MNT_2/l2/state")"
t_wait_for 10 watched "$MNT_1" 0 || fail "host 1 after the handover: $(grep watched "$MNT_1/.status")"
# host 2: l1 (held by W) and l2 (held through ctl, arrived by request)
t_wait_for 10 watched "$MNT_2" 2 || fail "host 2 holding two: $(grep watched "$MNT_2/.status")"
kill -TERM "$W"
echo release >"$MNT_2/l2/ctl" || fail "release l2"
t_wait_for 10 watched "$MNT_2" 0 || fail "host 2 after releasing: $(grep watched "$MNT_2/.status")"
t_log "40 leases looked at once, then none watched; 2 per host while in use"
