# When a daemon and its guard both die, a new daemon on the same mount point stops the holders they left before it rejoins, and refuses the dead mount until it is unmounted.
# SPDX-License-Identifier: GPL-2.0-or-later
# io_timeout 2 s: nothing here waits for a deadline; a longer one keeps a
# loaded machine from fencing host 2.
source "$(dirname "$0")/lib.sh"
t_setup
DEV=$WORK/dev.img
"$LEASEFS" format stale "$DEV" --size 64M --hosts 8 --leases 32 --io-timeout 2 || fail "format"
t_mount 1 "$DEV"
t_mount 2 "$DEV"
mkdir "$MNT_1/vm1" || fail "mkdir"
t_holder holder "$TOOLS/lfs-open" -i "$MNT_1/vm1/lock"
holder=$T_LAST_PID
t_wait_for 10 grep -q '^opened' "$WORK/holder.log" || fail "holder"
guard=$(ps -o pid= --ppid "$PID_1" | tr -d ' ')
[ -n "$guard" ] || fail "no guard process under the daemon"
kill -KILL "$guard" "$PID_1"
wait "$PID_1" 2>/dev/null
# once both are gone, nobody is left who could stop the holder
t_wait_for 10 t_gone "$guard" || fail "the guard survived SIGKILL"
! grep -q '^gone' "$WORK/holder.log" && ! t_gone "$holder" ||
    fail "holder died with nobody to kill it?"
# a new daemon for host 1 on the dead mount: stops the holder, refuses
out=$("$LEASEFS" mount -f -o "host_id=1,name=h1,state_dir=$WORK/state1,run_dir=$WORK/run1" \
    "$DEV" "$MNT_1" 2>&1) && fail "mounted over a dead mount"
case "$out" in *"stale mount"*) ;; *) fail "unexpected refusal: $out" ;; esac
t_wait_for 10 grep -q '^gone' "$WORK/holder.log" || fail "the old holder was not stopped"
# nothing was joined: host 1's old generation is still the one on disk
grep -q '^owner_generation: 1$' "$MNT_2/vm1/state" || fail "vm1 changed hands: $(cat "$MNT_2/vm1/state")"
fusermount3 -u -z "$MNT_1"
t_mount 1 "$DEV"
grep -q '^generation: 2$' "$MNT_1/.status" || fail "rejoin generation"
echo acquire >"$MNT_2/vm1/ctl" || fail "host 2 cannot take vm1 from the old generation"
