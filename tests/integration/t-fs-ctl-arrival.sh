# A ctl command or a value write right after a transfer answered this host's request finds the lease held here, as `owner` already says, however long the watcher's next look at change notices is (wake_ms=1000 on the target): `release` frees it, `transfer` passes it on, `value` takes the write.
# SPDX-License-Identifier: GPL-2.0-or-later
source "$(dirname "$0")/lib.sh"
t_setup
DEV=$WORK/dev.img
"$LEASEFS" format arrival "$DEV" --size 16M --hosts 8 --leases 8 --io-timeout 1 || fail "format"
t_mount 1 "$DEV"
t_mount 2 "$DEV" wake_ms=1000
mkdir "$MNT_1/vm1" "$MNT_1/vm2" || fail "mkdir"
for i in 1 2 3; do
	echo acquire >"$MNT_1/vm1/ctl" || fail "acquire vm1 ($i)"
	echo request >"$MNT_2/vm1/ctl" || fail "request vm1 ($i)"
	echo "transfer 2" >"$MNT_1/vm1/ctl" || fail "transfer vm1 ($i)"
	[ "$(cat "$MNT_2/vm1/owner")" = "2 h2" ] || fail "owner on host 2 ($i): $(cat "$MNT_2/vm1/owner")"
	# at once: host 2's watcher reads notices once a second here
	bash -c "echo release >'$MNT_2/vm1/ctl'" || fail "release on host 2 right after the transfer ($i): $(tail -n 3 "$WORK/host2.log")"
	[ "$(cat "$MNT_1/vm1/owner")" = free ] || fail "vm1 not free after the release ($i): $(cat "$MNT_1/vm1/owner")"
done
# a value written at once by the new holder
echo acquire >"$MNT_1/vm1/ctl" || fail "acquire vm1 (value)"
echo request >"$MNT_2/vm1/ctl" || fail "request vm1 (value)"
echo "transfer 2" >"$MNT_1/vm1/ctl" || fail "transfer vm1 (value)"
bash -c "printf v2 >'$MNT_2/vm1/value'" || fail "value write on host 2 right after the transfer: $(tail -n 3 "$WORK/host2.log")"
[ "$(cat "$MNT_1/vm1/value")" = v2 ] || fail "value on host 1: $(cat "$MNT_1/vm1/value")"
echo release >"$MNT_2/vm1/ctl" || fail "release vm1 (value)"
# the same with a transfer on: host 2 passes the arrived lease back at once
echo acquire >"$MNT_1/vm2/ctl" || fail "acquire vm2"
echo request >"$MNT_2/vm2/ctl" || fail "request vm2"
echo "transfer 2" >"$MNT_1/vm2/ctl" || fail "transfer vm2"
echo request >"$MNT_1/vm2/ctl" || fail "request vm2 back"
bash -c "echo 'transfer 1' >'$MNT_2/vm2/ctl'" || fail "transfer back right after the arrival: $(tail -n 3 "$WORK/host2.log")"
t_wait_for 10 grep -qx 'state: held here' "$MNT_1/vm2/state" || fail "vm2 not back on host 1: $(cat "$MNT_1/vm2/state")"
t_log "release and transfer right after an arrival: held here each time"
