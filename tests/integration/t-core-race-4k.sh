# On a 4096-byte-sector loop device, three hosts race for a lease 600 times with no two holders.
# SPDX-License-Identifier: GPL-2.0-or-later
# io_timeout 2 s: one I/O slower than io_timeout on a loaded machine fails a
# racer, which is not what the race is about.
source "$(dirname "$0")/lib.sh"
t_setup
truncate -s 64M "$WORK/backing.img"
t_loop "$WORK/backing.img" 4096
DEV=$T_LOOP_DEV
[ "$(blockdev --getss "$DEV")" = 4096 ] || fail "loop device is not 4K"
expect_fail "Invalid argument" "$LEASEFS" format big "$DEV" --sector-size 512
"$LEASEFS" format big "$DEV" --hosts 8 --leases 16 --io-timeout 2 || fail "format"
"$LEASEFS" dump "$DEV" | grep -q '^sector_size: 4096$' || fail "sector size not 4096"
"$TOOLS/lfs-host" "$DEV" 1 create vm1 || fail "create vm1"
: >"$WORK/check"
for id in 1 2 3; do
	t_bg "race$id" "$TOOLS/lfs-host" "$DEV" "$id" race vm1 200 "$WORK/check"
	pids+=("$T_LAST_PID")
done
for i in 0 1 2; do
	wait "${pids[$i]}" || fail "host $((i + 1)): $(cat "$WORK/race$((i + 1)).log")"
done
lver=$("$LEASEFS" dump "$DEV" | awk '$1 == "vm1" {print $4}')
[ "$lver" -ge 600 ] || fail "lease generation $lver < 600"
