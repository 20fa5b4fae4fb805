# On a 4096-byte-sector loop device: two hosts joining with one id at once never both win, and a SIGKILLed holder's lease is taken over only after host-dead time.
# SPDX-License-Identifier: GPL-2.0-or-later
# io_timeout 2 s: a join's I/O that takes longer than io_timeout on a loaded
# machine fails the join (exit 1), which is not what the race is about.
source "$(dirname "$0")/lib.sh"
t_setup
truncate -s 64M "$WORK/backing.img"
t_loop "$WORK/backing.img" 4096
DEV=$T_LOOP_DEV
"$LEASEFS" format big "$DEV" --hosts 8 --leases 16 --io-timeout 2 || fail "format"
host_dead=$(t_timing "$DEV" host_dead_ms)
for round in 1 2; do
	t_bg "a$round" "$TOOLS/lfs-host" "$DEV" 5 join
	a=$T_LAST_PID
	t_bg "b$round" "$TOOLS/lfs-host" "$DEV" 5 join
	b=$T_LAST_PID
	wait "$a"; ra=$?
	wait "$b"; rb=$?
	[ "$ra" -eq 0 ] && [ "$rb" -eq 0 ] && fail "round $round: both joined as host 5"
	for r in $ra $rb; do [ "$r" -eq 0 ] || [ "$r" -eq 4 ] || fail "round $round: exit $r"; done
done
"$TOOLS/lfs-host" "$DEV" 1 create vm1 || fail "create"
t_bg holder "$TOOLS/lfs-host" "$DEV" 1 hold vm1 "$WORK/renewals"
holder=$T_LAST_PID
t_wait_for 30 grep -q '^acquired' "$WORK/holder.log" || fail "holder did not acquire"
# the join is the first line of the renewal log: wait for a renewal after it
interval=$(t_timing "$DEV" renewal_interval_ms)
t_wait_for $((3 * interval / 1000 + 10)) t_lines "$WORK/renewals" 2 ||
    fail "holder is not renewing"
kill -KILL "$holder"
wait "$holder" 2>/dev/null
out=$("$TOOLS/lfs-host" "$DEV" 2 take vm1) || fail "taker failed"
took=$(echo "$out" | awk '{print $3}')
last=$(tail -n 1 "$WORK/renewals")
[ $((took - last)) -ge "$host_dead" ] || fail "taken $((took - last)) ms after the last renewal < host_dead"
