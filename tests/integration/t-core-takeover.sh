# A holder killed with SIGKILL: another host takes its lease only after host-dead time from its last renewal.
# SPDX-License-Identifier: GPL-2.0-or-later
source "$(dirname "$0")/lib.sh"
t_setup
DEV=$WORK/dev.img
"$LEASEFS" format take "$DEV" --size 16M --hosts 8 --leases 4 --io-timeout 1 || fail "format"
host_dead=$(t_timing "$DEV" host_dead_ms)
"$TOOLS/lfs-host" "$DEV" 1 create vm1 || fail "create"
t_bg holder "$TOOLS/lfs-host" "$DEV" 1 hold vm1 "$WORK/renewals"
holder=$T_LAST_PID
t_wait_for 30 grep -q '^acquired' "$WORK/holder.log" || fail "holder did not acquire"
# let it renew at least once: the join is the first line of the renewal log
interval=$(t_timing "$DEV" renewal_interval_ms)
t_wait_for $((3 * interval / 1000 + 10)) t_lines "$WORK/renewals" 2 ||
    fail "holder is not renewing"
kill -KILL "$holder"
wait "$holder" 2>/dev/null
start=$SECONDS
out=$("$TOOLS/lfs-host" "$DEV" 2 take vm1) || fail "taker failed"
took=$(echo "$out" | awk '{print $3}')
last=$(tail -n 1 "$WORK/renewals")
t_log "took over $((took - last)) ms after the holder's last renewal (host_dead $host_dead ms)"
[ $((took - last)) -ge "$host_dead" ] || fail "taken $((took - last)) ms after last renewal < host_dead"
[ $((SECONDS - start)) -lt 60 ] || fail "takeover took over 60 s"
