# With a lease held through ctl and no kill command, SIGTERM is refused (logged, naming the lease, which stays held); SIGQUIT stops the daemon but leaves the lease owned on disk rather than freeing it under a user that may still run.
# SPDX-License-Identifier: GPL-2.0-or-later
source "$(dirname "$0")/lib.sh"
t_setup
DEV=$WORK/dev.img
"$LEASEFS" format stopctl "$DEV" --size 16M --hosts 8 --leases 8 --io-timeout 1 || fail "format"
t_mount 1 "$DEV"
t_mount 2 "$DEV"
mkdir "$MNT_1/vm1" "$MNT_1/vm2" || fail "mkdir"
echo acquire >"$MNT_1/vm1/ctl" || fail "acquire vm1"
kill -TERM "$PID_1"
t_wait_for 10 grep -q 'stop refused (EBUSY): 1 lease(s) held through ctl and no kill_command to stop their users: vm1' "$WORK/host1.log" ||
    fail "SIGTERM not refused: $(tail -n 5 "$WORK/host1.log")"
kill -0 "$PID_1" || fail "the daemon stopped"
[ "$(cat "$MNT_2/vm1/owner")" = "1 h1" ] || fail "vm1 owner after the refused stop: $(cat "$MNT_2/vm1/owner")"
echo acquire >"$MNT_1/vm2/ctl" || fail "lease operations after the refused stop"
echo release >"$MNT_1/vm2/ctl" || fail "release vm2"
kill -QUIT "$PID_1"
t_wait_for 30 bash -c "! kill -0 $PID_1 2>/dev/null" || fail "SIGQUIT did not stop the daemon"
wait "$PID_1" 2>/dev/null
grep -q 'vm1: the user of this ctl lease was not proven stopped; left owned on disk' "$WORK/host1.log" ||
    fail "not logged: $(tail -n 8 "$WORK/host1.log")"
[ "$(cat "$MNT_2/vm1/owner")" = "1 h1" ] || fail "vm1 freed by the forced stop: $(cat "$MNT_2/vm1/owner")"
grep -q 'not leaving the lockspace cleanly' "$WORK/host1.log" || fail "host 1 left with a lease owned"
t_umount 2
