# Bad commands and names give the documented errno and change nothing.
# SPDX-License-Identifier: GPL-2.0-or-later
# io_timeout 2 s: nothing here waits for a deadline; a longer one keeps a
# loaded machine from failing lease operations or fencing a host.
source "$(dirname "$0")/lib.sh"
t_setup
DEV=$WORK/dev.img
"$LEASEFS" format errs "$DEV" --size 64M --hosts 8 --leases 32 --io-timeout 2 || fail "format"
t_mount 1 "$DEV"
t_mount 2 "$DEV"
mkdir "$MNT_1/vm1" || fail "mkdir"
before=$("$LEASEFS" dump "$DEV" | tail -n +2)

ctl() { bash -c "echo '$2' > $1/vm1/ctl"; }
for bad in "" "acquire now" "ACQUIRE" "transfer" "transfer " "frobnicate" " acquire"; do
	expect_fail "Invalid argument" ctl "$MNT_1" "$bad"
done
expect_fail "Invalid argument" mkdir "$MNT_1/.hidden"
expect_fail "Invalid argument" mkdir "$MNT_1/bad name"
expect_fail "Invalid argument" mkdir "$MNT_1/$(printf 'x%.0s' $(seq 49))"
expect_fail "File exists" mkdir "$MNT_2/vm1"
expect_fail "Operation not permitted" ctl "$MNT_1" release
expect_fail "Operation not permitted" ctl "$MNT_1" "transfer 2"
[ "$("$LEASEFS" dump "$DEV" | tail -n +2)" = "$before" ] || fail "a refused command changed the disk"

echo acquire >"$MNT_1/vm1/ctl" || fail "acquire"
expect_fail "Device or resource busy" ctl "$MNT_2" acquire
expect_fail "Operation not permitted" ctl "$MNT_2" release
expect_fail "No such file or directory" ctl "$MNT_1" "transfer 7"
expect_fail "No such file or directory" ctl "$MNT_1" "transfer nosuchhost"
expect_fail "Invalid argument" ctl "$MNT_1" "transfer 1"
expect_fail "Destination address required" ctl "$MNT_1" "transfer 2"
# a host that has left the lockspace
t_mount 3 "$DEV"
t_umount 3
t_wait_for 10 bash -c "awk '\$1 == 3 && \$4 == \"free\"' $MNT_1/.hosts | grep -q ." ||
    fail "host 1 does not see host 3 gone"
expect_fail "Host is down" ctl "$MNT_1" "transfer 3"
expect_fail "Device or resource busy" rmdir "$MNT_2/vm1"
[ "$(cat "$MNT_2/vm1/owner")" = "1 h1" ] || fail "owner changed"
echo release >"$MNT_1/vm1/ctl" || fail "release"
