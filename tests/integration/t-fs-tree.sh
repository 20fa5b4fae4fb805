# Three daemons on one device: a lease made on host 1 shows on hosts 2 and 3, every host's owner file follows acquire, transfer and release on any host, and fusermount3 -u releases and leaves.
# SPDX-License-Identifier: GPL-2.0-or-later
# io_timeout 2 s: nothing here waits for a deadline; a longer one keeps a
# loaded machine from failing lease operations or fencing a host.
source "$(dirname "$0")/lib.sh"
t_setup
DEV=$WORK/dev.img
"$LEASEFS" format tree "$DEV" --size 64M --hosts 8 --leases 32 --io-timeout 2 || fail "format"
# host 3 has a kill command (that does nothing): with it, a stop may free
# what host 3 holds through ctl (leasefs(8), SHUTDOWN)
t_mount 1 "$DEV"
t_mount 2 "$DEV"
t_mount 3 "$DEV" kill_command=/bin/true

owners() { cat "$MNT_1/$1/owner" "$MNT_2/$1/owner" "$MNT_3/$1/owner" | sort -u; }

mkdir "$MNT_1/vm1" || fail "mkdir on host 1"
for id in 2 3; do
	eval "m=\$MNT_$id"
	ls "$m" | grep -qx vm1 || fail "vm1 not listed on host $id"
done
[ "$(owners vm1)" = free ] || fail "new lease not free everywhere: $(owners vm1)"

echo acquire >"$MNT_2/vm1/ctl" || fail "acquire on host 2"
[ "$(owners vm1)" = "2 h2" ] || fail "owner after acquire on host 2: $(owners vm1)"
grep -qx 'state: held here' "$MNT_2/vm1/state" || fail "host 2 state: $(cat "$MNT_2/vm1/state")"
grep -qx 'state: held' "$MNT_3/vm1/state" || fail "host 3 state: $(cat "$MNT_3/vm1/state")"
gen1=$(awk '/^generation:/ {print $2}' "$MNT_1/vm1/state")

# transfer needs a request from the target
echo request >"$MNT_3/vm1/ctl" || fail "request on host 3"
grep -qx 'request: 3 h3' "$MNT_1/vm1/state" || fail "request not shown: $(cat "$MNT_1/vm1/state")"
echo "transfer 3" >"$MNT_2/vm1/ctl" || fail "transfer to 3"
t_wait_for 10 bash -c "[ \"\$(cat $MNT_3/vm1/owner)\" = '3 h3' ]" || fail "host 3 does not own vm1"
[ "$(owners vm1)" = "3 h3" ] || fail "owner after transfer: $(owners vm1)"
gen2=$(awk '/^generation:/ {print $2}' "$MNT_1/vm1/state")
[ "$gen2" -gt "$gen1" ] || fail "lease generation did not rise ($gen1 -> $gen2)"

echo release >"$MNT_3/vm1/ctl" || fail "release on host 3"
[ "$(owners vm1)" = free ] || fail "owner after release: $(owners vm1)"

# a second lease made on host 3, removed on host 2
mkdir "$MNT_3/db" || fail "mkdir db"
ls "$MNT_1" | grep -qx db || fail "db not on host 1"
rmdir "$MNT_2/db" || fail "rmdir db"
! ls "$MNT_1" | grep -qx db || fail "db still listed on host 1"
# the hidden entries
grep -q '^host_id: 2$' "$MNT_2/.status" || fail ".status"
[ "$(awk '$4 == "live"' "$MNT_1/.hosts" | wc -l)" -eq 3 ] || fail ".hosts: $(cat "$MNT_1/.hosts")"
# fusermount3 -u (nothing open) stops host 3 as SIGTERM would: kill command,
# releases, leaves
echo acquire >"$MNT_3/vm1/ctl" || fail "acquire on host 3"
fusermount3 -u "$MNT_3" || fail "fusermount3 -u"
t_wait_for 30 t_gone "$PID_3" || fail "host 3 daemon did not exit after unmount"
[ "$(cat "$MNT_1/vm1/owner")" = free ] || fail "vm1 not released by the unmount"
t_wait_for 10 bash -c "awk '\$1 == 3 && \$4 == \"free\"' $MNT_1/.hosts | grep -q ." ||
    fail "host 3 did not leave: $(cat "$MNT_1/.hosts")"
for id in 1 2; do t_umount "$id"; done
"$LEASEFS" dump "$DEV" | awk '$1 == "vm1" && $3 != "free" {exit 1}' || fail "vm1 owned after unmount"
