# The value file: written by the exclusive holder (ctl or its own lock descriptor), read on every host, refused to others with nothing changed, kept across transfer and takeover; a corrupt record reads EIO.
# SPDX-License-Identifier: GPL-2.0-or-later
source "$(dirname "$0")/lib.sh"
t_setup
DEV=$WORK/dev.img
H=8 L=4 S=512
"$LEASEFS" format val "$DEV" --size 16M --hosts $H --leases $L --io-timeout 1 || fail "format"
for id in 1 2 3; do t_mount "$id" "$DEV"; done
mkdir "$MNT_1/vm1" || fail "mkdir"

# every host reads v as the value of vm1
value_is() {
	local id m got
	for id in "${@:2}"; do
		eval "m=\$MNT_$id"
		got=$(cat "$m/vm1/value") || fail "host $id: read value"
		[ "$got" = "$1" ] || fail "host $id: value '$got', want '$1'"
	done
}
value_is "" 1 2 3
ls "$MNT_2/vm1" | grep -qx value || fail "no value file in the listing"
# state's value lines: KEY of vm1's state on host ID
st() { awk -v k="$2:" '$1 == k { print $2 }' "$(eval echo "\$MNT_$1")/vm1/state"; }
[ "$(st 2 value_bytes)" = 0 ] && [ "$(st 2 value_generation)" = 0 ] ||
    fail "state of a lease with no value: $(cat "$MNT_2/vm1/state")"

# the ctl holder writes; everyone reads it
echo acquire >"$MNT_1/vm1/ctl" || fail "acquire on 1"
printf 'clean=0' >"$MNT_1/vm1/value" || fail "write by the holder"
value_is clean=0 1 2 3
printf 'clean=1' >"$MNT_1/vm1/value" || fail "second write by the holder"
value_is clean=1 1 2 3
# written under the current generation, as every host's state says
for id in 1 2 3; do
	[ "$(st $id value_bytes)" = 7 ] || fail "host $id: value_bytes $(st $id value_bytes)"
	[ "$(st $id value_generation)" = "$(st $id generation)" ] ||
	    fail "host $id: value_generation $(st $id value_generation), generation $(st $id generation)"
done
# others are refused, and nothing changes
expect_fail "Operation not permitted" bash -c "printf evil >$MNT_2/vm1/value"
value_is clean=1 1 2 3
# past the size of one sector's record: EFBIG, nothing changes
expect_fail "File too large" bash -c "head -c 473 /dev/zero | tr '\\0' x >$MNT_1/vm1/value"
head -c 472 /dev/zero | tr '\0' y >"$MNT_1/vm1/value" || fail "the largest value"
[ "$(cat "$MNT_3/vm1/value")" = "$(head -c 472 /dev/zero | tr '\0' y)" ] ||
    fail "the largest value was not kept whole"
printf 'clean=1' >"$MNT_1/vm1/value" || fail "write back"

# a transfer keeps it; the old holder can no longer write
echo request >"$MNT_2/vm1/ctl" || fail "request on 2"
echo "transfer 2" >"$MNT_1/vm1/ctl" || fail "transfer"
t_wait_for 10 grep -qx '2 h2' "$MNT_3/vm1/owner" || fail "owner not 2"
value_is clean=1 1 2 3
# left by an earlier holder: an older generation
[ "$(st 3 value_generation)" -lt "$(st 3 generation)" ] ||
    fail "after the transfer: value_generation $(st 3 value_generation), generation $(st 3 generation)"
expect_fail "Operation not permitted" bash -c "printf stale >$MNT_1/vm1/value"
printf 'from2' >"$MNT_2/vm1/value" || fail "write by the new holder"
value_is from2 1 2 3
echo release >"$MNT_2/vm1/ctl" || fail "release on 2"
value_is from2 1 2 3

# a lock holder writes through its own descriptor; the value file is not
# its holder, even on its own host
exec 3>"$MNT_3/vm1/lock" || fail "lock open on 3"
printf 'fd3' >&3 || fail "write through the lock descriptor"
printf 'fd3 again' >&3 || fail "second write through the lock descriptor"
value_is "fd3 again" 1 2 3
expect_fail "Operation not permitted" bash -c "printf other >$MNT_3/vm1/value"
exec 3>&-
t_wait_for 10 grep -qx free "$MNT_1/vm1/owner" || fail "not released at close"
value_is "fd3 again" 1 2 3

# a takeover keeps it: host 1 holds it and dies; host 2 takes it at host_dead
echo acquire >"$MNT_1/vm1/ctl" || fail "acquire on 1 again"
printf 'before-kill' >"$MNT_1/vm1/value" || fail "write before the kill"
kill -KILL "$PID_1"
wait "$PID_1" 2>/dev/null
t_wait_for 60 bash -c "echo acquire >$MNT_2/vm1/ctl 2>/dev/null" || fail "no takeover"
value_is before-kill 2 3
printf 'after' >"$MNT_2/vm1/value" || fail "write after the takeover"

# a corrupt record reads EIO on every host, never as an empty value; the
# holder's next write mends it.  Slot 1's value: header, host area, name
# table, slot 0 and then slot 1 of 3 + H sectors each, its last sector.
name_sectors=$(( (64 * L + S - 1) / S ))
lease_area=$((1 + H + name_sectors))
vsec=$((lease_area + (3 + H) + 2 + H))
od -An -c -j $((vsec * S + 40)) -N 5 "$DEV" | tr -d ' \n' | grep -qx after ||
    fail "value sector not where expected"
printf 'X' | dd of="$DEV" bs=1 seek=$((vsec * S + 41)) conv=notrunc,fsync status=none ||
    fail "corrupt"
for id in 2 3; do
	eval "m=\$MNT_$id"
	expect_fail "Input/output error" cat "$m/vm1/value"
	case "$(st $id value_bytes)" in unreadable*) ;;
	*) fail "host $id: state shows a corrupt value as $(st $id value_bytes)" ;; esac
done
printf 'mended' >"$MNT_2/vm1/value" || fail "write over the corrupt record"
value_is mended 2 3
fusermount3 -u -z "$MNT_1"
