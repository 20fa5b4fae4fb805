# A holder that opened `lock` through a bind mount in another mount namespace is found by its file's device and inode: `state` lists it, and a stop kills it (SIGTERM ignored, SIGKILL after the grace) before the lease is released, which host 2 then gets.
# SPDX-License-Identifier: GPL-2.0-or-later
source "$(dirname "$0")/lib.sh"
t_setup
OPEN=$TOOLS/lfs-open
DEV=$WORK/dev.img
"$LEASEFS" format otherns "$DEV" --size 16M --hosts 8 --leases 8 --io-timeout 1 || fail "format"
t_mount 1 "$DEV"
t_mount 2 "$DEV"
mkdir "$MNT_1/vm1" "$WORK/alt" || fail "mkdir"
# H: in a mount namespace of its own, where $WORK/alt is a bind mount of
# host 1's mount; here $WORK/alt stays an empty directory
t_holder h unshare -m --propagation private bash -c \
    'mount --bind "$1" "$2" && exec "$3" -i "$2/vm1/lock"' _ "$MNT_1" "$WORK/alt" "$OPEN"
t_wait_for 10 grep -q '^opened' "$WORK/h.log" || fail "holder: $(cat "$WORK/h.log")"
H=$T_LAST_PID
mountpoint -q "$WORK/alt" && fail "the bind mount is visible here; the test proves nothing"
t_wait_for 10 bash -c "grep -qx 'holders: $H' $MNT_1/vm1/state" || fail "not listed: $(cat "$MNT_1/vm1/state")"
t_bg w2 "$OPEN" -a "$H" "$MNT_2/vm1/lock"
t_wait_for 10 t_in_syscall "$T_LAST_PID" openat || fail "host 2's open is not waiting"
kill -TERM "$PID_1"
t_wait_for 30 grep -q '^gone' "$WORK/h.log" || fail "H not stopped"
gone=$(awk '/^gone/ {print $2}' "$WORK/h.log")
grep -q "fencing: SIGKILL pid $H" "$WORK/host1.log" || fail "H not killed by the daemon: $(tail -n 5 "$WORK/host1.log")"
t_wait_for 30 grep -q '^opened' "$WORK/w2.log" || fail "host 2 never got vm1: $(cat "$WORK/w2.log")"
took=$(awk '/^opened/ {print $2}' "$WORK/w2.log")
# whether H still ran is asked by w2 itself the moment its open returned:
# H's wrapper timestamps H's end only when it gets to reap it, which under
# load can come after the daemon (rightly) saw H's zombie and released
grep -qx "peer gone $H" "$WORK/w2.log" || fail "host 2 acquired vm1 while H still ran: $(cat "$WORK/w2.log")"
t_log "H reaped at $gone; host 2 acquired vm1 at $took ($((took - gone)) ms), H gone by then"
t_wait_for 30 t_gone "$PID_1" || fail "host 1 did not stop"
