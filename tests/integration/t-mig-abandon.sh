# An abandoned migration (D closes incoming before any transfer) withdraws the request; S keeps the lease and a transfer to D is refused.
# SPDX-License-Identifier: GPL-2.0-or-later
# io_timeout 2 s: nothing here waits for a deadline; a longer one keeps a
# loaded machine from failing lease operations or fencing a host.
source "$(dirname "$0")/lib.sh"
t_setup
DEV=$WORK/dev.img
"$LEASEFS" format ab "$DEV" --size 64M --hosts 8 --leases 32 --io-timeout 2 || fail "format"
t_mount 1 "$DEV"
t_mount 2 "$DEV"
mkdir "$MNT_1/vm1" && echo acquire >"$MNT_1/vm1/ctl" || fail "acquire"
t_bg dst "$TOOLS/lfs-open" "$MNT_2/vm1/incoming"
dst=$T_LAST_PID
t_wait_for 10 grep -qx 'request: 2 h2' "$MNT_1/vm1/state" || fail "request not shown"
kill -TERM "$dst"
wait "$dst"
t_wait_for 10 grep -qx 'request: none' "$MNT_1/vm1/state" || fail "request not withdrawn: $(cat "$MNT_1/vm1/state")"
expect_fail "Destination address required" bash -c "echo 'transfer 2' > $MNT_1/vm1/ctl"
[ "$(cat "$MNT_2/vm1/owner")" = "1 h1" ] || fail "S lost the lease"
# the same with request/cancel through ctl
echo request >"$MNT_2/vm1/ctl" || fail "request"
grep -qx 'request: 2 h2' "$MNT_1/vm1/state" || fail "ctl request not shown"
echo cancel >"$MNT_2/vm1/ctl" || fail "cancel"
grep -qx 'request: none' "$MNT_1/vm1/state" || fail "cancel did not withdraw"
expect_fail "Destination address required" bash -c "echo 'transfer 2' > $MNT_1/vm1/ctl"
[ "$(cat "$MNT_2/vm1/owner")" = "1 h1" ] || fail "S lost the lease"
