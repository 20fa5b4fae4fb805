# mount(8) with type fuse.leasefs (as from /etc/fstab) starts a background daemon that has joined before mount returns, mount -a of the same fstab line again changes nothing, and a failed join is a non-zero exit.
# SPDX-License-Identifier: GPL-2.0-or-later
# io_timeout 2 s: nothing here waits for a deadline; a longer one keeps a
# loaded machine from failing lease operations or fencing a host.
source "$(dirname "$0")/lib.sh"
t_setup
DEV=$WORK/dev.img
"$LEASEFS" format tab "$DEV" --size 64M --hosts 8 --leases 32 --io-timeout 2 || fail "format"
mkdir -p "$WORK/m4" "$WORK/state4" "$WORK/run4" "$WORK/m5" "$WORK/state5" "$WORK/run5"
T_MOUNTS+=("$WORK/m4" "$WORK/m5")
# mount(8) runs helpers with a fixed PATH; when leasefs is not installed in
# it, the fstab form "PROGRAM#DEVICE" with type fuse names it by full path.
if command -v leasefs >/dev/null && [ "$(command -v leasefs)" -ef "$LEASEFS" ]; then
	SRC=$DEV TYPE=fuse.leasefs
else
	SRC="$LEASEFS#$DEV" TYPE=fuse
fi
# a kill command (that does nothing), so SIGTERM may free the ctl lease
mount -t "$TYPE" "$SRC" "$WORK/m4" \
    -o "host_id=4,name=h4,state_dir=$WORK/state4,run_dir=$WORK/run4,kill_command=/bin/true" || fail "mount -t fuse.leasefs"
T_PIDS+=("$(cat "$WORK/run4/pid")")
# usable on the next line: joined before mount returned
grep -q '^host_id: 4$' "$WORK/m4/.status" || fail "not joined when mount returned"
[ -s "$WORK/run4/pid" ] || fail "no pid file when mount returned"
mkdir "$WORK/m4/vm1" && echo acquire >"$WORK/m4/vm1/ctl" || fail "lease ops on the new mount"
# mount -a of an fstab line naming that mount: nothing changes, twice
OPTS="host_id=4,name=h4,state_dir=$WORK/state4,run_dir=$WORK/run4,kill_command=/bin/true"
echo "$SRC $WORK/m4 $TYPE $OPTS 0 0" >"$WORK/fstab"
pid=$(cat "$WORK/run4/pid")
for i in 1 2; do
	rc=0
	mount -a -T "$WORK/fstab" 2>"$WORK/mount-a.log" || rc=$?
	[ "$(awk -v m="$WORK/m4" '$5 == m' /proc/self/mountinfo | wc -l)" -eq 1 ] ||
	    fail "mount -a mounted m4 again"
	[ "$(cat "$WORK/run4/pid")" = "$pid" ] && kill -0 "$pid" || fail "mount -a replaced the daemon"
	[ "$(cat "$WORK/m4/vm1/owner")" = "4 h4" ] || fail "vm1 not held after mount -a"
	if [ "$TYPE" = fuse.leasefs ]; then
		# libmount sees source and target mounted, and skips the line
		[ "$rc" -eq 0 ] || fail "mount -a exited $rc: $(cat "$WORK/mount-a.log")"
	elif [ "$i" -eq 1 ]; then
		# PROGRAM#DEVICE is not the mount's source (the device): libmount
		# runs the helper again, and the daemon refuses, changing nothing
		t_log "mount -a with PROGRAM#DEVICE (leasefs not installed): exit $rc, nothing changed: $(head -n 1 "$WORK/mount-a.log")"
	fi
done
# host id 99 is beyond --hosts 8: the join fails and so does mount
if mount -t "$TYPE" "$SRC" "$WORK/m5" \
    -o "host_id=99,state_dir=$WORK/state5,run_dir=$WORK/run5" 2>"$WORK/m5.log"; then
	fail "mount with a bad host id succeeded"
fi
! t_mounted "$WORK/m5" || fail "failed mount left a mount behind"
pid=$(cat "$WORK/run4/pid")
kill -TERM "$pid"
t_wait_for 30 t_gone "$pid" || fail "daemon did not stop"
! t_mounted "$WORK/m4" || fail "still mounted after SIGTERM"
"$LEASEFS" dump "$DEV" | awk '$1 == "vm1" && $3 != "free" {exit 1}' || fail "vm1 still owned"
