# Host 1's storage hangs while it holds a lease through lock (holder ignores SIGTERM) and one through ctl: the holder is dead and the kill command has run before host 2 acquires, and host 2 acquires no sooner than host_dead after host 1's last good renewal.
# SPDX-License-Identifier: GPL-2.0-or-later
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/faults.sh"
t_setup
OPEN=$TOOLS/lfs-open
"$LEASEFS" format hang "$WORK/backing.img" --size 16M --hosts 8 --leases 8 \
    --io-timeout 1 || fail "format"
interval=$(t_timing "$WORK/backing.img" renewal_interval_ms)
renewal_fail=$(t_timing "$WORK/backing.img" renewal_fail_ms)
kill_grace=$(t_timing "$WORK/backing.img" kill_grace_ms)
host_dead=$(t_timing "$WORK/backing.img" host_dead_ms)
f_host_dev 1 >/dev/null
f_host_dev 2 >/dev/null
f_check_coherent 1 2

t_kill_recorder
t_mount 1 "${F_DEV[1]}" "kill_command=$WORK/killcmd.sh"
t_mount 2 "${F_DEV[2]}"
mkdir "$MNT_1/vm1" "$MNT_1/vm2" || fail "mkdir"
echo acquire >"$MNT_1/vm2/ctl" || fail "ctl acquire of vm2"

# The holder of vm1 ignores SIGTERM.  It runs under a wrapper that writes
# when it is gone (reaped: every file of it closed), the independent record
# of the end of its hold; its own PID is registered for cleanup too.
export -f f_now_ms
t_holder h1 "$OPEN" -i "$MNT_1/vm1/lock"
h1=$T_LAST_PID
t_wait_for 10 grep -q '^opened' "$WORK/h1.log" 2>/dev/null || fail "vm1 holder: $(cat "$WORK/h1.log")"
[ "$(t_peek h1 "$h1")" = "held 1" ] || fail "vm1 holder does not read held"
# host 2 waits for both leases with blocking opens; "opened" is when it
# acquired, on the same clock
t_bg w1 "$OPEN" "$MNT_2/vm1/lock"
w1=$T_LAST_PID
t_bg w2 "$OPEN" "$MNT_2/vm2/lock"
w2=$T_LAST_PID
for w in "$w1" "$w2"; do
	t_wait_for 20 t_in_syscall "$w" openat ||
	    fail "a waiter on host 2 is not waiting: $(cat "$WORK/w1.log" "$WORK/w2.log")"
done
! grep -q '^opened' "$WORK/w1.log" "$WORK/w2.log" || fail "host 2 acquired a held lease"

# Hang host 1's path.  The last good renewal L of host 1 is the one .status
# shows after the pause; the read before the pause bounds it from below.
ago() { awk '$1 == "last_renewal_ms_ago:" {print $2}' "$1"; }
before=$(f_now_ms)
cat "$MNT_1/.status" >"$WORK/status-before" || fail ".status before the pause"
l_low=$((before - $(ago "$WORK/status-before")))
renewal_failed() { grep -c 'renewal failed\|fencing:' "$WORK/host1.log"; }
f_pause 1
pause_ms=$(f_now_ms)
n_failed=$(renewal_failed)
t_log "host 1's storage paused at $pause_ms ms"
[ $((pause_ms - l_low)) -le $((interval + 1000)) ] ||
    fail "last renewal $((pause_ms - l_low)) ms before the pause: host 1 was not renewing"

# .status must still answer while the storage hangs (no disk I/O behind it);
# read in the background all the same, a hung read must not hang the script.
# Read once a renewal has failed on the hung path: L is final then (the
# completion of a renewal that got through before the pause may still have
# been on its way into the daemon just after it).
t_wait_for $((renewal_fail / 1000 + 3)) eval '[ "$(renewal_failed)" -gt "$n_failed" ]' ||
    fail "no renewal of host 1 failed while its storage hung"
# the reader records its own start and end, so the bracket is the read's
t_bg status-hung bash -c 'echo "start $(f_now_ms)"; cat "$1" && echo "end $(f_now_ms)"' _ \
    "$MNT_1/.status"
st=$T_LAST_PID
if t_wait_for 5 t_gone "$st"; then
	wait "$st" || fail ".status read failed while hung: $(cat "$WORK/status-hung.log")"
	s_start=$(awk '/^start/ {print $2}' "$WORK/status-hung.log")
	s_end=$(awk '/^end/ {print $2}' "$WORK/status-hung.log")
	ago_hung=$(ago "$WORK/status-hung.log")
	l_low=$((s_start - ago_hung))
	l_high=$((s_end - ago_hung))
	t_log ".status answered in $((s_end - s_start)) ms while hung: $(grep '^renewal:' "$WORK/status-hung.log"); last good renewal L in [$l_low, $l_high], $((pause_ms - l_high)) ms before the pause"
else
	fail ".status did not answer within 5 s while the storage hung"
fi

# the holder dies (SIGTERM ignored, then SIGKILL after kill_grace)
t_wait_for $((host_dead / 1000 + 5)) grep -q '^gone' "$WORK/h1.log" ||
    fail "vm1 holder not stopped"
gone=$(awk '/^gone/ {print $2}' "$WORK/h1.log")
t_log "vm1 holder gone at L + $((gone - l_high))..$((gone - l_low)) ms (renewal_fail $renewal_fail, host_dead $host_dead)"
# L lies in [l_low, l_high]: "by L + X" is checked from l_low, which is
# strict; "not before L + X" from l_low too, loose by the bracket's width
# (tens of ms): killing late is what would be unsafe
[ $((gone - l_low)) -lt "$host_dead" ] || fail "holder gone only $((gone - l_low)) ms after L"
[ $((gone - l_low)) -ge $((renewal_fail + kill_grace)) ] ||
    fail "holder killed $((gone - l_low)) ms after L, before renewal_fail + kill_grace"

# the status says lost once fenced, and now surely answers
t_bg status-fenced cat "$MNT_1/.status"
st=$T_LAST_PID
t_wait_for 5 t_gone "$st" || fail ".status hangs after fencing"
grep -q '^renewal: lost$' "$WORK/status-fenced.log" ||
    fail "status after fencing: $(grep renewal "$WORK/status-fenced.log")"

# host 2 acquires both, after host_dead from L and after the fence ran
for n in 1 2; do
	t_wait_for $((host_dead / 1000 + 3 * interval / 1000 + 10)) \
	    grep -q '^opened' "$WORK/w$n.log" ||
	    fail "host 2 never acquired vm$n: $(cat "$WORK/w$n.log")"
done
took1=$(awk '/^opened/ {print $2}' "$WORK/w1.log")
took2=$(awk '/^opened/ {print $2}' "$WORK/w2.log")
grep -q '^killcmd vm2 ' "$WORK/killcmd.out" 2>/dev/null ||
    fail "the kill command never ran for vm2"
killcmd=$(awk '$2 == "vm2" {print $3; exit}' "$WORK/killcmd.out")
# it may run twice (daemon and guard); the first run, bounded by
# kill_grace, must start in time to be over by host_dead
t_log "kill command for vm2 started at L + $(awk -v l="$l_high" -v h="$l_low" '$2 == "vm2" {printf "%s%d..%d", s, $3 - l, $3 - h; s = ", "}' "$WORK/killcmd.out") ms"
t_log "host 2 acquired vm1 at L + $((took1 - l_high))..$((took1 - l_low)) ms, $((took1 - gone)) ms after its holder was gone; vm2 at L + $((took2 - l_high))..$((took2 - l_low)) ms, $((took2 - killcmd)) ms after the kill command ran"
[ "$took1" -gt "$gone" ] || fail "vm1: host 2 acquired at $took1, its holder on host 1 was gone only at $gone"
[ $((killcmd - l_low)) -le $((host_dead - kill_grace)) ] ||
    fail "the kill command started at L + $((killcmd - l_low)) ms, too late to end by host_dead"
[ "$took2" -gt "$killcmd" ] || fail "vm2: host 2 acquired at $took2, host 1's kill command ran at $killcmd"
for took in "$took1" "$took2"; do
	# L >= l_low: a take before l_low + host_dead is surely too early
	[ $((took - l_low)) -ge "$host_dead" ] ||
	    fail "acquired $((took - l_low)) ms after L, host_dead is $host_dead"
	[ $((took - l_high)) -le $((host_dead + 3 * interval)) ] ||
	    fail "acquired $((took - l_high)) ms after L: far past host_dead"
done
# "held LVER": a generation past host 1's (1), as taken over
got=$(t_peek w1 "$w1")
[ "${got%% *}" = held ] && [ "${got#held }" -gt 1 ] || fail "host 2's vm1 file reads '$got', not held above 1"

# Resume: host 1's queued I/O lands late, it rejoins under a new generation,
# and its lost leases, now host 2's, are left alone (never written again).
f_resume 1
resume_ms=$(f_now_ms)
t_wait_for 15 grep -q 'rejoined as generation' "$WORK/host1.log" ||
    fail "host 1 did not rejoin after the resume"
t_log "host 1 rejoined $(($(f_now_ms) - resume_ms)) ms after the resume: $(grep -o 'rejoined as generation.*' "$WORK/host1.log")"
! grep -q 'vm[12]: release' "$WORK/host1.log" || fail "host 1 wrote a lost lease: $(grep 'vm[12]: release' "$WORK/host1.log")"
for n in 1 2; do
	[ "$(cat "$MNT_2/vm$n/owner")" = "2 h2" ] || fail "vm$n owner after recovery: $(cat "$MNT_2/vm$n/owner")"
	[ "$(cat "$MNT_1/vm$n/owner")" = "2 h2" ] || fail "vm$n owner seen by host 1: $(cat "$MNT_1/vm$n/owner")"
done
[ "$(t_peek w1 "$w1")" = "$got" ] || fail "host 2 lost vm1 after host 1 recovered"
t_wait_for 10 grep -q '^renewal: ok$' "$MNT_1/.status" || fail "host 1's status after recovery"
kill -TERM "$w1" "$w2"
wait "$w1" "$w2"
t_umount 2
t_umount 1
