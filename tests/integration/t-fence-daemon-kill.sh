# When a host's daemon is killed with SIGKILL, its guard stops the lease holder (even one that ignores SIGTERM) before any other host acquires the lease.
source "$(dirname "$0")/lib.sh"
t_setup
DEV=$WORK/dev.img
OPEN=$TOOLS/lfs-open
"$LEASEFS" format fence "$DEV" --size 64M --hosts 8 --leases 32 --io-timeout 1 || fail "format"
t_mount 1 "$DEV"
t_mount 2 "$DEV"
mkdir "$MNT_1/vm1" "$MNT_1/vm2" || fail "mkdir"
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# holder of vm1 exits on SIGTERM; holder of vm2 ignores it and needs SIGKILL.
# Each runs under a wrapper that writes when the holder is gone: the
# independent record of the end of its hold.
t_bg h1 bash -c "$OPEN $MNT_1/vm1/lock; echo \"gone \$(( \$(date +%s%N) / 1000000 ))\""
t_bg h2 bash -c "$OPEN -i $MNT_1/vm2/lock; echo \"gone \$(( \$(date +%s%N) / 1000000 ))\""
t_wait_for 10 grep -q '^opened' "$WORK/h1.log" || fail "vm1 holder"
t_wait_for 10 grep -q '^opened' "$WORK/h2.log" || fail "vm2 holder"
# host 2 waits for both leases
t_bg w1 bash -c "$OPEN $MNT_2/vm1/lock 1; echo \"opened-at \$(( \$(date +%s%N) / 1000000 ))\""
t_bg w2 bash -c "$OPEN $MNT_2/vm2/lock 1; echo \"opened-at \$(( \$(date +%s%N) / 1000000 ))\""
sleep 1
kill -KILL "$PID_1"
killed=$(now_ms)
t_wait_for 15 grep -q '^gone' "$WORK/h1.log" || fail "vm1 holder not stopped"
t_wait_for 15 grep -q '^gone' "$WORK/h2.log" || fail "vm2 holder (ignores SIGTERM) not stopped"
t_log "holders gone $(( $(awk '/^gone/ {print $2}' "$WORK/h1.log") - killed )) ms and $(( $(awk '/^gone/ {print $2}' "$WORK/h2.log") - killed )) ms after the kill"
for n in 1 2; do
	t_wait_for 60 grep -q '^opened-at' "$WORK/w$n.log" || fail "host 2 never got vm$n"
	gone=$(awk '/^gone/ {print $2}' "$WORK/h$n.log")
	got=$(awk '/^opened-at/ {print $2}' "$WORK/w$n.log")
	[ "$got" -gt "$gone" ] || fail "vm$n: host 2 acquired at $got, before host 1's holder was gone at $gone"
done
fusermount3 -u -z "$MNT_1"
