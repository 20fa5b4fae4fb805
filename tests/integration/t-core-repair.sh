# leasefs repair: a corrupt dblock makes a lease unusable (never free);
# SPDX-License-Identifier: GPL-2.0-or-later
# repair refuses while the dblock's host is alive and writes nothing, and
# rewrites it once that host has left cleanly; the lease works again.
source "$(dirname "$0")/lib.sh"
t_setup
DEV=$WORK/dev.img
H=8 L=32 S=512
"$LEASEFS" format rep "$DEV" --size 16M --hosts $H --leases $L --io-timeout 1 || fail "format"
t_mount 1 "$DEV"
t_mount 2 "$DEV"
mkdir "$MNT_1/vm1" || fail "mkdir"
echo acquire >"$MNT_2/vm1/ctl" || fail "acquire on 2"
echo release >"$MNT_2/vm1/ctl" || fail "release on 2"

# host 2's dblock of slot 1 (core/ondisk.c, lfs_layout_init): header, host
# area, name table, then slots of 3 + H sectors (leader, request, H dblocks,
# value), slot 0 the table lease
name_sectors=$(( (64 * L + S - 1) / S ))
lease_area=$((1 + H + name_sectors))
dblock=$((lease_area + 1 * (3 + H) + 1 + 2))
head -c $S /dev/urandom | dd of="$DEV" bs=$S seek=$dblock conv=notrunc,fsync status=none ||
    fail "corrupt"
expect_fail "Input/output error" bash -c "echo acquire > $MNT_1/vm1/ctl"

before=$(od -An -tx1 -j $((dblock * S)) -N $S "$DEV")
"$LEASEFS" repair "$DEV" vm1 >"$WORK/repair1.out" 2>&1 && fail "repair while host 2 lives"
grep -q "host 2 is alive" "$WORK/repair1.out" || fail "refusal does not name host 2: $(cat "$WORK/repair1.out")"
[ "$(od -An -tx1 -j $((dblock * S)) -N $S "$DEV")" = "$before" ] || fail "a refused repair wrote"

t_umount 2   # leaves cleanly: its record says free
"$LEASEFS" repair "$DEV" vm1 >"$WORK/repair2.out" 2>&1 || fail "repair: $(cat "$WORK/repair2.out")"
grep -q "1 corrupt dblock(s) rewritten empty" "$WORK/repair2.out" || fail "repair said: $(cat "$WORK/repair2.out")"
echo acquire >"$MNT_1/vm1/ctl" || fail "acquire after repair"
[ "$(cat "$MNT_1/vm1/owner")" = "1 h1" ] || fail "owner after repair"
"$LEASEFS" repair "$DEV" vm1 | grep -q "nothing corrupt" || fail "second repair"
echo release >"$MNT_1/vm1/ctl" || fail "release"
t_umount 1
