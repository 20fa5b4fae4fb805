# When a daemon and its guard both die, a new daemon on the same mount point stops the holders they left before it rejoins, and refuses the dead mount until it is unmounted.
source "$(dirname "$0")/lib.sh"
t_setup
DEV=$WORK/dev.img
"$LEASEFS" format stale "$DEV" --size 64M --hosts 8 --leases 32 --io-timeout 1 || fail "format"
t_mount 1 "$DEV"
t_mount 2 "$DEV"
mkdir "$MNT_1/vm1" || fail "mkdir"
t_bg holder bash -c "$TOOLS/lfs-open -i $MNT_1/vm1/lock; echo \"gone \$(( \$(date +%s%N) / 1000000 ))\""
t_wait_for 10 grep -q '^opened' "$WORK/holder.log" || fail "holder"
guard=$(ps -o pid= --ppid "$PID_1" | tr -d ' ')
[ -n "$guard" ] || fail "no guard process under the daemon"
kill -KILL "$guard" "$PID_1"
wait "$PID_1" 2>/dev/null
sleep 0.5
grep -q '^gone' "$WORK/holder.log" && fail "holder died with nobody to kill it?"
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
gone=$(awk '/^gone/ {print $2}' "$WORK/holder.log")
now=$(( $(date +%s%N) / 1000000 ))
[ "$now" -gt "$gone" ] || fail "clock"
