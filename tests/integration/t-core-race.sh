# Three hosts race for one lease 1,500 times on a shared file; an independent checker finds no two holders.
# SPDX-License-Identifier: GPL-2.0-or-later
# io_timeout 2 s: one I/O slower than io_timeout on a loaded machine fails a
# racer, which is not what the race is about.
source "$(dirname "$0")/lib.sh"
t_setup
DEV=$WORK/dev.img
"$LEASEFS" format race "$DEV" --size 16M --hosts 8 --leases 16 --io-timeout 2 ||
    fail "format"
"$TOOLS/lfs-host" "$DEV" 1 create vm1 || fail "create vm1"
: >"$WORK/check"
for id in 1 2 3; do
	t_bg "race$id" "$TOOLS/lfs-host" "$DEV" "$id" race vm1 500 "$WORK/check"
	pids+=("$T_LAST_PID")
done
for i in 0 1 2; do
	wait "${pids[$i]}"
	rc=$?
	[ "$rc" -eq 3 ] && fail "host $((i + 1)) saw two holders: $(cat "$WORK/race$((i + 1)).log")"
	[ "$rc" -eq 0 ] || fail "host $((i + 1)) exited $rc: $(cat "$WORK/race$((i + 1)).log")"
done
# 1,500 acquisitions, each a committed ballot: the lease generation shows them
lver=$("$LEASEFS" dump "$DEV" | awk '$1 == "vm1" {print $4}')
[ "$lver" -ge 1500 ] || fail "lease generation $lver < 1500"
grep -q . "$WORK/check" && [ "$(cat "$WORK/check")" = 0 ] || fail "check file not released"
t_log "ok: 1500 acquisitions, lease generation $lver"
