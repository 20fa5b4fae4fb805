# When a host's daemon is killed with SIGKILL, its guard stops the lease holder (even one that ignores SIGTERM) before any other host acquires the lease.
# SPDX-License-Identifier: GPL-2.0-or-later
source "$(dirname "$0")/lib.sh"
t_setup
DEV=$WORK/dev.img
OPEN=$TOOLS/lfs-open
"$LEASEFS" format fence "$DEV" --size 64M --hosts 8 --leases 32 --io-timeout 1 || fail "format"
t_mount 1 "$DEV"
t_mount 2 "$DEV"
mkdir "$MNT_1/vm1" "$MNT_1/vm2" || fail "mkdir"

# holder of vm1 exits on SIGTERM; holder of vm2 ignores it and needs SIGKILL.
# Each runs under a wrapper that writes when the holder is gone: the
# independent record of the end of its hold (CLOCK_BOOTTIME, lfs-open's
# clock).
t_holder h1 "$OPEN" "$MNT_1/vm1/lock"
t_holder h2 "$OPEN" -i "$MNT_1/vm2/lock"
t_wait_for 10 grep -q '^opened' "$WORK/h1.log" || fail "vm1 holder: $(cat "$WORK/h1.log")"
t_wait_for 10 grep -q '^opened' "$WORK/h2.log" || fail "vm2 holder: $(cat "$WORK/h2.log")"
# host 2 waits for both leases: "opened MS" is when it acquired
t_bg w1 "$OPEN" "$MNT_2/vm1/lock"
w1=$T_LAST_PID
t_bg w2 "$OPEN" "$MNT_2/vm2/lock"
w2=$T_LAST_PID
# both wait inside open(2) before host 1 dies
t_wait_for 20 t_in_syscall "$w1" openat || fail "host 2's open of vm1 is not waiting: $(cat "$WORK/w1.log")"
t_wait_for 20 t_in_syscall "$w2" openat || fail "host 2's open of vm2 is not waiting: $(cat "$WORK/w2.log")"
killed=$(t_now_ms)
kill -KILL "$PID_1"
t_wait_for 15 grep -q '^gone' "$WORK/h1.log" || fail "vm1 holder not stopped"
t_wait_for 15 grep -q '^gone' "$WORK/h2.log" || fail "vm2 holder (ignores SIGTERM) not stopped"
t_log "holders gone $(( $(awk '/^gone/ {print $2}' "$WORK/h1.log") - killed )) ms and $(( $(awk '/^gone/ {print $2}' "$WORK/h2.log") - killed )) ms after the kill"
for n in 1 2; do
	t_wait_for 60 grep -q '^opened' "$WORK/w$n.log" || fail "host 2 never got vm$n: $(cat "$WORK/w$n.log")"
	gone=$(awk '/^gone/ {print $2}' "$WORK/h$n.log")
	got=$(awk '/^opened/ {print $2}' "$WORK/w$n.log")
	t_log "host 2 acquired vm$n $((got - gone)) ms after host 1's holder was gone"
	[ "$got" -gt "$gone" ] || fail "vm$n: host 2 acquired at $got, before host 1's holder was gone at $gone"
done
kill -TERM "$w1" "$w2"
wait "$w1" "$w2"
fusermount3 -u -z "$MNT_1"
