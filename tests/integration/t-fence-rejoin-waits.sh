# A remount after a daemon crash joins (a new generation, which frees the old one's leases for other hosts) only after the old guard has finished fencing: with that guard stopped, the new mount waits and says why, and host 2's blocked opener gets the lease only after the old holder is gone.
# SPDX-License-Identifier: GPL-2.0-or-later
source "$(dirname "$0")/lib.sh"
t_setup
OPEN=$TOOLS/lfs-open
DEV=$WORK/dev.img
"$LEASEFS" format rejoin "$DEV" --size 16M --hosts 8 --leases 8 --io-timeout 1 || fail "format"
t_mount 1 "$DEV"
t_mount 2 "$DEV"
mkdir "$MNT_1/vm1" || fail "mkdir"
# H holds vm1 on host 1 and ignores SIGTERM (only SIGKILL, after the grace)
t_holder h "$OPEN" -i "$MNT_1/vm1/lock"
t_wait_for 10 grep -q '^opened' "$WORK/h.log" || fail "holder: $(cat "$WORK/h.log")"
t_bg w2 "$OPEN" "$MNT_2/vm1/lock"
t_wait_for 10 t_in_syscall "$T_LAST_PID" openat || fail "host 2's open is not waiting"
G=$(ps -o pid=,comm= --ppid "$PID_1" | awk '$2 == "leasefs-guard" {print $1}')
[ -n "$G" ] || fail "no guard under $PID_1"
T_PIDS+=("$G")
T_CLEANUP_FIRST+=("kill -CONT $G 2>/dev/null")
# the guard is held up (as by a slow kill command or a loaded host), and
# the daemon dies; its mount is detached lazily, as an admin might
kill -STOP "$G"
kill -KILL "$PID_1"
wait "$PID_1" 2>/dev/null
fusermount3 -u -z "$MNT_1" || fail "lazy unmount"
# the new daemon of host 1, same state directory
t_bg host1b "$LEASEFS" mount -f \
    -o "host_id=1,name=h1,state_dir=$WORK/state1,run_dir=$WORK/run1" "$DEV" "$MNT_1"
PID_1B=$T_LAST_PID
t_wait_for 30 bash -c "grep -q 'still fencing its lease holders; waiting' $WORK/host1b.log ||
    grep -q '^opened' $WORK/w2.log" || fail "neither waited nor served: $(tail -n 5 "$WORK/host1b.log")"
grep -q '^opened' "$WORK/w2.log" && fail "host 2 got vm1 while the old holder runs (the new mount did not wait)"
kill -CONT "$G"
t_wait_for 30 grep -q '^gone' "$WORK/h.log" || fail "the old guard did not stop H"
gone=$(awk '/^gone/ {print $2}' "$WORK/h.log")
t_wait_for 30 grep -q '^opened' "$WORK/w2.log" || fail "host 2 never got vm1: $(cat "$WORK/w2.log")"
took=$(awk '/^opened/ {print $2}' "$WORK/w2.log")
t_log "H gone at $gone; host 2 acquired vm1 $((took - gone)) ms later"
[ "$took" -gt "$gone" ] || fail "host 2 acquired vm1 at $took while H ran until $gone"
t_wait_for 30 t_mounted "$MNT_1" || fail "the new daemon did not mount"
grep -q 'the previous guard finished fencing after' "$WORK/host1b.log" || fail "the end of the wait is not logged"
kill -TERM "$PID_1B"
t_wait_for 30 t_gone "$PID_1B" || fail "the new daemon did not stop"
