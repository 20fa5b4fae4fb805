# The libvirt qemu hook example drives a start, a refused second start, an incoming migration with a switchover transfer, and releases, on two hosts.
# SPDX-License-Identifier: GPL-2.0-or-later
# io_timeout 2 s: nothing here waits for a deadline; a longer one keeps a
# loaded machine from failing lease operations or fencing a host.
source "$(dirname "$0")/lib.sh"
t_setup
DEV=$WORK/dev.img
HOOK=$TOP/examples/libvirt-qemu-hook
"$LEASEFS" format hook "$DEV" --size 64M --hosts 8 --leases 32 --io-timeout 2 || fail "format"
t_mount 1 "$DEV"
t_mount 2 "$DEV"
on() { local id=$1; shift; eval "LEASEFS_MOUNT=\$MNT_$id" "$HOOK" "$@" </dev/null; }

on 1 guest1 prepare begin - || fail "start on host 1"
[ "$(cat "$MNT_2/guest1/owner")" = "1 h1" ] || fail "host 1 does not own guest1"
on 2 guest1 prepare begin - 2>/dev/null && fail "second start on host 2 allowed"
# migrate host 1 -> host 2
on 2 guest1 migrate begin - || fail "migrate begin on host 2"
on 2 guest1 prepare begin - || fail "prepare on the destination"
grep -qx 'request: 2 h2' "$MNT_1/guest1/state" || fail "request not on disk"
on 1 guest1 switchover 2 || fail "switchover"
t_wait_for 10 bash -c "[ \"\$(cat $MNT_1/guest1/owner)\" = '2 h2' ]" || fail "not transferred"
on 1 guest1 release end - || fail "release on the source"
[ "$(cat "$MNT_1/guest1/owner")" = "2 h2" ] || fail "the source's release changed the owner"
on 2 guest1 release end - || fail "release on host 2"
[ "$(cat "$MNT_1/guest1/owner")" = free ] || fail "not released at the end"
