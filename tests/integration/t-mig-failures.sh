# Migration failures: S killed before the transfer, D killed after it: in both cases the killed host's holder is stopped and the lease is taken over only after host-dead time.
# SPDX-License-Identifier: GPL-2.0-or-later
source "$(dirname "$0")/lib.sh"
t_setup
DEV=$WORK/dev.img
OPEN=$TOOLS/lfs-open
"$LEASEFS" format fail "$DEV" --size 64M --hosts 8 --leases 32 --io-timeout 1 || fail "format"
host_dead=$(t_timing "$DEV" host_dead_ms)
for id in 1 2 3; do t_mount "$id" "$DEV"; done
mkdir "$MNT_1/vm1" "$MNT_1/vm2" || fail "mkdir"
# last_renewal ID: L_LOW..L_HIGH (CLOCK_BOOTTIME ms) bracket host ID's last
# good renewal L, from its .status (no disk I/O behind it), read just
# before that host is killed.  Another host may take its leases from
# L + host_dead on: checked against L itself, not against the kill (which may
# come more than a renewal interval after L when renewals run late).
last_renewal() {
	local m s ago
	eval "m=\$MNT_$1"
	s=$(t_now_ms)
	ago=$(awk '$1 == "last_renewal_ms_ago:" {print $2}' "$m/.status")
	[ -n "$ago" ] || fail "no last_renewal_ms_ago in host $1's .status"
	L_HIGH=$(($(t_now_ms) - ago)) L_LOW=$((s - ago))
}

# 1. S (host 1) dies before the transfer: D's pending request takes the
#    lease over, but only once S is dead (host_dead), as any host would
t_bg s1 "$OPEN" "$MNT_1/vm1/lock"
s1=$T_LAST_PID
t_wait_for 10 grep -q '^opened' "$WORK/s1.log" || fail "S did not acquire vm1"
echo request >"$MNT_2/vm1/ctl" || fail "D request"
last_renewal 1
killed=$(t_now_ms)
kill -KILL "$PID_1"
t_wait_for 10 t_gone "$s1" || fail "S's holder survived its daemon"
t_wait_for 60 bash -c "[ \"\$(cat $MNT_3/vm1/owner)\" = '2 h2' ]" || fail "D never took vm1 over"
# seen at most one poll after the takeover: "not before" is checked leniently
seen=$(t_now_ms)
t_log "vm1 taken over by L + $((seen - L_HIGH))..$((seen - L_LOW)) ms, $((seen - killed)) ms after S was killed (host_dead $host_dead ms)"
[ $((seen - L_LOW)) -ge "$host_dead" ] || fail "taken over too early: L + $((seen - L_LOW)) ms"
echo release >"$MNT_2/vm1/ctl" || fail "D release"

# 2. D (host 2) dies after the transfer from a live S
fusermount3 -u -z "$MNT_1"
t_mount 1 "$DEV" # S again, with a new generation
echo acquire >"$MNT_1/vm2/ctl" || fail "S acquire vm2"
t_bg d2 "$OPEN" "$MNT_2/vm2/incoming"
d2=$T_LAST_PID
t_wait_for 10 grep -qx 'request: 2 h2' "$MNT_1/vm2/state" || fail "D request vm2"
echo "transfer 2" >"$MNT_1/vm2/ctl" || fail "transfer vm2"
t_wait_for 10 bash -c "[ \"\$(cat $MNT_3/vm2/owner)\" = '2 h2' ]" || fail "D did not receive vm2"
# D learns of the arrival at its next read of S's change notice, a few ms
# after host 3 may see it on disk: wait for it
d2_held() { case "$(t_peek d2 "$d2")" in held*) return 0 ;; esac; return 1; }
t_wait_for 10 d2_held || fail "D's incoming does not say held"
t_bg t2 "$OPEN" "$MNT_3/vm2/lock"
t2=$T_LAST_PID
t_wait_for 20 t_in_syscall "$t2" openat || fail "T's open is not waiting: $(cat "$WORK/t2.log")"
last_renewal 2
killed=$(t_now_ms)
kill -KILL "$PID_2"
t_wait_for 10 t_gone "$d2" || fail "D's holder survived its daemon"
t_wait_for 60 grep -q '^opened' "$WORK/t2.log" || fail "T never took vm2 over"
took=$(awk '/^opened/ {print $2}' "$WORK/t2.log")
t_log "vm2 taken over at L + $((took - L_HIGH))..$((took - L_LOW)) ms, $((took - killed)) ms after D was killed"
[ $((took - L_LOW)) -ge "$host_dead" ] || fail "taken over too early: L + $((took - L_LOW)) ms"
fusermount3 -u -z "$MNT_2"
