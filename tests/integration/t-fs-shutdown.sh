# Stopping a daemon with lease holders present stops them (the kill command for leases held through ctl), releases the leases and leaves the lockspace; fusermount3 -u is refused while the lock file is open.
# SPDX-License-Identifier: GPL-2.0-or-later
# io_timeout 2 s: nothing here waits for a deadline; a longer one keeps a
# loaded machine from failing lease operations or fencing a host.
source "$(dirname "$0")/lib.sh"
t_setup
DEV=$WORK/dev.img
"$LEASEFS" format stop "$DEV" --size 64M --hosts 8 --leases 32 --io-timeout 2 || fail "format"
printf '#!/bin/sh\necho "$LEASEFS_LEASE" >>%s\n' "$WORK/killed" >"$WORK/kill.sh"
chmod +x "$WORK/kill.sh"
t_mount 1 "$DEV" "kill_command=$WORK/kill.sh"
t_mount 2 "$DEV"
mkdir "$MNT_1/vm1" "$MNT_1/vm2" || fail "mkdir"
t_bg holder "$TOOLS/lfs-open" "$MNT_1/vm1/lock"
holder=$T_LAST_PID
t_wait_for 10 grep -q '^opened' "$WORK/holder.log" || fail "holder did not open"
echo acquire >"$MNT_1/vm2/ctl" || fail "acquire vm2"
expect_fail "busy" fusermount3 -u "$MNT_1"
t_mounted "$MNT_1" || fail "unmounted with a holder"
t_umount 1
t_gone "$holder" || fail "holder still running after shutdown"
wait "$holder"
[ "$(cat "$MNT_2/vm1/owner")" = free ] || fail "vm1 not released: $(cat "$MNT_2/vm1/owner")"
[ "$(cat "$MNT_2/vm2/owner")" = free ] || fail "vm2 not released: $(cat "$MNT_2/vm2/owner")"
[ "$(cat "$WORK/killed" 2>/dev/null)" = vm2 ] || fail "kill command not run for the ctl lease vm2 only: $(cat "$WORK/killed" 2>/dev/null)"
t_wait_for 10 bash -c "awk '\$1 == 1 && \$4 == \"free\"' $MNT_2/.hosts | grep -q ." ||
    fail "host 1 not free in .hosts: $(cat "$MNT_2/.hosts")"
# a fresh daemon for host 1 (same state dir) rejoins with a new generation
t_mount 1 "$DEV"
grep -q '^generation: 2$' "$MNT_1/.status" || fail "rejoin generation: $(cat "$MNT_1/.status")"
