# Host 1, holding a lease shared, loses its storage past renewal_fail: it fences its shared holders like exclusive ones (a lock file holder reads lost and is killed, the kill command runs for a ctl `acquire shared` hold), an exclusive waiter on host 2 gets the lease only after the holder was gone, and once healed host 1 rejoins with nothing held and can hold the lease shared again.
# SPDX-License-Identifier: GPL-2.0-or-later
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/faults.sh"
t_setup
OPEN=$TOOLS/lfs-open
"$LEASEFS" format fence "$WORK/backing.img" --size 16M --hosts 8 --leases 8 \
    --io-timeout 1 || fail "format"
host_dead=$(t_timing "$WORK/backing.img" host_dead_ms)
f_host_dev 1 >/dev/null
f_host_dev 2 >/dev/null
f_check_coherent 1 2

t_kill_recorder
t_mount 1 "${F_DEV[1]}" "kill_command=$WORK/killcmd.sh"
t_mount 2 "${F_DEV[2]}"
mkdir "$MNT_1/disk" "$MNT_1/other" || fail "mkdir"
echo "acquire shared" >"$MNT_1/other/ctl" || fail "ctl acquire shared of other"
# the file holder reads its lock every 50 ms (-w): whether it read "lost"
# before it was killed is its own record; it ignores SIGTERM (-i), so it
# lives through kill_grace to read it, however slowly this machine runs
t_holder h1 "$OPEN" -r -i -w 50 "$MNT_1/disk/lock"
h1=$T_LAST_PID
t_wait_for 10 grep -q '^opened' "$WORK/h1.log" || fail "h1: $(cat "$WORK/h1.log")"
grep -q '^saw shared ' "$WORK/h1.log" || t_wait_for 10 grep -q '^saw shared ' "$WORK/h1.log" ||
    fail "the holder does not read shared: $(cat "$WORK/h1.log")"
[ "$(cat "$MNT_2/disk/owner")" = "shared 1" ] || fail "owner on host 2: $(cat "$MNT_2/disk/owner")"
t_bg w2 "$OPEN" "$MNT_2/disk/lock"
w2=$T_LAST_PID
t_wait_for 20 t_in_syscall "$w2" openat || fail "host 2's open is not waiting: $(cat "$WORK/w2.log")"

f_fail_on 1
t_wait_for 15 grep -q 'disk: shared hold lost (token' "$WORK/host1.log" ||
    fail "host 1 did not fence its shared hold"
grep -q 'other: shared hold lost (token' "$WORK/host1.log" ||
    fail "host 1 did not fence its ctl shared hold"
t_wait_for 10 grep -q '^saw lost ' "$WORK/h1.log" ||
    fail "the holder never read lost: $(grep -E '^saw|^gone' "$WORK/h1.log")"
t_wait_for $((host_dead / 1000 + 5)) grep -q '^gone' "$WORK/h1.log" || fail "the shared holder was not stopped"
gone=$(awk '/^gone/ {print $2}' "$WORK/h1.log")
t_wait_for 10 grep -q '^killcmd other ' "$WORK/killcmd.out" ||
    fail "the kill command never ran for the ctl shared hold"

f_fail_off 1
t_wait_for 30 grep -q '^opened' "$WORK/w2.log" || fail "host 2 never got the lease: $(cat "$WORK/w2.log")"
got=$(awk '/^opened/ {print $2}' "$WORK/w2.log")
t_log "host 2 acquired $((got - gone)) ms after host 1's shared holder was gone"
[ "$got" -gt "$gone" ] || fail "host 2 acquired at $got, before host 1's shared holder was gone at $gone"
t_wait_for 15 grep -q 'rejoined as generation' "$WORK/host1.log" || fail "host 1 did not rejoin"
t_wait_for 10 grep -q '^leases_held_shared: 0$' "$MNT_1/.status" ||
    fail "host 1 still holds shared: $(grep leases_held "$MNT_1/.status")"
# the finished generation's modes count for nothing: shared again, anew
kill -TERM "$w2"
wait "$w2"
t_wait_for 10 bash -c "[ \"\$(cat $MNT_2/disk/owner)\" = free ]" || fail "not free: $(cat "$MNT_2/disk/owner")"
[ "$(cat "$MNT_2/other/owner")" = free ] || fail "other on host 2: $(cat "$MNT_2/other/owner")"
echo "acquire shared" >"$MNT_1/disk/ctl" || fail "ctl acquire shared after the rejoin"
[ "$(cat "$MNT_2/disk/owner")" = "shared 1" ] || fail "owner after: $(cat "$MNT_2/disk/owner")"
echo "release shared" >"$MNT_1/disk/ctl" || fail "release shared after the rejoin"
t_umount 2
t_umount 1
