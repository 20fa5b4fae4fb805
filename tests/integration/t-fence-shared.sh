# A shared holder's daemon is killed with SIGKILL: its guard stops the host's shared holders (a lock file opened O_RDONLY by a process that ignores SIGTERM, and a process holding through ctl `acquire shared pid N`) before an exclusive opener elsewhere gets the lease, which waits for the other host's shared holder too.
# SPDX-License-Identifier: GPL-2.0-or-later
source "$(dirname "$0")/lib.sh"
t_setup
DEV=$WORK/dev.img
OPEN=$TOOLS/lfs-open
"$LEASEFS" format fence "$DEV" --size 64M --hosts 8 --leases 32 --io-timeout 1 || fail "format"
t_mount 1 "$DEV"
t_mount 2 "$DEV"
t_mount 3 "$DEV"
mkdir "$MNT_1/disk" || fail "mkdir"

# host 1: a file holder that only SIGKILL stops, and a process held for
# through ctl; each under a wrapper that records when it is gone
t_holder h1 "$OPEN" -r -i "$MNT_1/disk/lock"
t_wait_for 10 grep -q '^opened' "$WORK/h1.log" || fail "host 1 shared holder: $(cat "$WORK/h1.log")"
t_holder p1 sleep 1000
p1=$T_LAST_PID
echo "acquire shared pid $p1" >"$MNT_1/disk/ctl" || fail "ctl acquire shared pid $p1"
grep -q "^pid: $p1 held$" "$MNT_1/disk/state" || fail "state on host 1: $(cat "$MNT_1/disk/state")"
# host 2 holds it shared as well
t_bg s2 "$OPEN" -r "$MNT_2/disk/lock"
s2=$T_LAST_PID
t_wait_for 10 grep -q '^opened' "$WORK/s2.log" || fail "host 2 shared holder: $(cat "$WORK/s2.log")"
[ "$(cat "$MNT_3/disk/owner")" = "shared 1 2" ] || fail "owner on host 3: $(cat "$MNT_3/disk/owner")"

# host 3 waits for the lease exclusively
t_bg w3 "$OPEN" "$MNT_3/disk/lock"
w3=$T_LAST_PID
t_wait_for 20 t_in_syscall "$w3" openat || fail "host 3's open is not waiting: $(cat "$WORK/w3.log")"
killed=$(t_now_ms)
kill -KILL "$PID_1"
t_wait_for 15 grep -q '^gone' "$WORK/h1.log" || fail "host 1's file holder (ignores SIGTERM) not stopped"
t_wait_for 15 grep -q '^gone' "$WORK/p1.log" || fail "host 1's ctl-held process not stopped"
t_log "host 1's holders gone $(( $(awk '/^gone/ {print $2}' "$WORK/h1.log") - killed )) ms and $(( $(awk '/^gone/ {print $2}' "$WORK/p1.log") - killed )) ms after the kill"
# host 1 counts for nothing at host_dead; host 2 still holds it shared
t_wait_for 30 bash -c "[ \"\$(cat $MNT_3/disk/owner)\" = 'shared 2' ]" ||
    fail "host 1's shared hold not gone at host_dead: $(cat "$MNT_3/disk/owner")"
grep -q opened "$WORK/w3.log" && fail "host 3 got the lease while host 2 held it shared"
line=$(t_peek s2 "$s2") || fail "host 2's holder could not read its lock"
case "$line" in "shared "[0-9]*) ;; *) fail "host 2's holder lost its hold: '$line'" ;; esac
kill -TERM "$s2"
wait "$s2"
t_wait_for 30 grep -q '^opened' "$WORK/w3.log" || fail "host 3 never got the lease: $(cat "$WORK/w3.log")"
got=$(awk '/^opened/ {print $2}' "$WORK/w3.log")
for n in h1 p1; do
	gone=$(awk '/^gone/ {print $2}' "$WORK/$n.log")
	[ "$got" -gt "$gone" ] || fail "host 3 acquired at $got, before host 1's holder $n was gone at $gone"
done
closed=$(awk '/^closing/ {print $2}' "$WORK/s2.log")
[ "$got" -ge "$closed" ] || fail "host 3 acquired at $got, before host 2's shared holder closed at $closed"
kill -TERM "$w3"
wait "$w3"
fusermount3 -u -z "$MNT_1"
