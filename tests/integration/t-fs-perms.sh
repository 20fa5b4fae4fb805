# Reading owner and state is open to all; ctl and lock need root or the mount's group.
# SPDX-License-Identifier: GPL-2.0-or-later
# io_timeout 2 s: nothing here waits for a deadline; a longer one keeps a
# loaded machine from failing lease operations or fencing a host.
source "$(dirname "$0")/lib.sh"
t_setup
chmod 755 "$WORK"
DEV=$WORK/dev.img
GID=4242
"$LEASEFS" format perms "$DEV" --size 64M --hosts 8 --leases 32 --io-timeout 2 || fail "format"
t_mount 1 "$DEV" "group=$GID"
chmod 755 "$MNT_1"
mkdir "$MNT_1/vm1" || fail "mkdir"
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
as_member() { setpriv --reuid=65534 --regid=65534 --groups="$GID" "$@"; }

[ "$(as_nobody cat "$MNT_1/vm1/owner")" = free ] || fail "nobody cannot read owner"
as_nobody cat "$MNT_1/vm1/state" >/dev/null || fail "nobody cannot read state"
expect_fail "Permission denied" as_nobody bash -c "echo acquire > $MNT_1/vm1/ctl"
[ "$(as_nobody "$TOOLS/lfs-open" -n "$MNT_1/vm1/lock" 0)" = "ERR EACCES" ] ||
    fail "nobody opened lock"
expect_fail "Permission denied" as_nobody mkdir "$MNT_1/vm2"
[ "$(cat "$MNT_1/vm1/owner")" = free ] || fail "a refused user changed the owner"

as_member bash -c "echo acquire > $MNT_1/vm1/ctl" || fail "group member cannot acquire"
[ "$(cat "$MNT_1/vm1/owner")" = "1 h1" ] || fail "not acquired"
as_member bash -c "echo release > $MNT_1/vm1/ctl" || fail "group member cannot release"
out=$(as_member "$TOOLS/lfs-open" -n "$MNT_1/vm1/lock" 0)
case "$out" in opened*) ;; *) fail "group member cannot open lock: $out" ;; esac
