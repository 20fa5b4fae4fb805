# The holder's storage hangs: another host takes the lease, but only host_dead after the holder's last good renewal.
# SPDX-License-Identifier: GPL-2.0-or-later
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/faults.sh"
t_setup
"$LEASEFS" format hang "$WORK/backing.img" --size 16M --hosts 8 --leases 4 \
    --io-timeout 1 || fail "format"
interval=$(t_timing "$WORK/backing.img" renewal_interval_ms)
host_dead=$(t_timing "$WORK/backing.img" host_dead_ms)
f_host_dev 1 >/dev/null
f_host_dev 2 >/dev/null
f_check_coherent 1 2
"$TOOLS/lfs-host" "${F_DEV[1]}" 1 create vm1 || fail "create"
renewals=$WORK/renewals
more_renewals() { [ "$(wc -l <"$renewals")" -gt "$1" ]; }
t_bg holder "$TOOLS/lfs-host" "${F_DEV[1]}" 1 hold vm1 "$renewals"
holder=$T_LAST_PID
t_wait_for 20 grep -q '^acquired' "$WORK/holder.log" || fail "holder did not acquire"
t_bg taker "$TOOLS/lfs-host" "${F_DEV[2]}" 2 take vm1
taker=$T_LAST_PID
t_wait_for $((interval / 1000 + 5)) more_renewals 1 || fail "holder is not renewing"

# hang host 1's storage: its renewals stop reaching the disk
f_pause 1
pause_ms=$(f_now_ms)
n_paused=$(wc -l <"$renewals")
t_log "host 1's storage paused at $pause_ms ms"
t_wait_for $((host_dead / 1000 + 3 * interval / 1000 + 10)) \
    grep -q '^acquired' "$WORK/taker.log" ||
    fail "host 2 did not take the lease: $(cat "$WORK/taker.log")"
wait "$taker" || fail "host 2 failed after taking the lease"
took=$(awk '/^acquired/ {print $3}' "$WORK/taker.log")
last=$(tail -n 1 "$renewals")
[ "$(wc -l <"$renewals")" -eq "$n_paused" ] ||
    fail "host 1 renewed while its storage hung"
t_log "host 2 took the lease $((took - last)) ms after host 1's last good renewal, $((took - pause_ms)) ms after the pause (host_dead $host_dead ms)"
[ $((took - last)) -ge "$host_dead" ] ||
    fail "taken $((took - last)) ms after the last renewal < host_dead $host_dead"
# and not much later: the taker notices at its next read after host_dead
[ $((took - last)) -le $((host_dead + 2 * interval)) ] ||
    fail "taken $((took - last)) ms after the last renewal, over host_dead + 2 renewal intervals"
grep -q 'renewal failed' "$WORK/holder.log" ||
    fail "host 1 saw no failed renewal while hung"

# SIGKILL host 1: with aio in flight on the hung path its exit waits for it,
# so it ends only once the path is resumed (its queued writes then land)
kill -KILL "$holder"
# the kill has taken effect once the holder is gone or none of its threads
# runs or sleeps interruptibly any more (exiting: D, or zombie)
killed() {
	t_gone "$holder" ||
	    ! cat "/proc/$holder"/task/*/stat 2>/dev/null | awk '{print $3}' | grep -q '[RS]'
}
t_wait_for 10 killed || t_log "host 1 still running 10 s after SIGKILL"
if ! t_gone "$holder"; then
	states=$(cat "/proc/$holder"/task/*/stat 2>/dev/null | awk '{printf "%s", $3}')
	t_log "host 1 after SIGKILL, storage still paused: alive, thread states ${states:-?}"
else
	t_log "host 1 after SIGKILL, storage still paused: gone"
fi
resume_ms=$(f_now_ms)
f_resume 1
t_wait_for 10 t_gone "$holder" ||
    fail "host 1 still alive after SIGKILL and resume"
t_log "host 1 gone $(($(f_now_ms) - resume_ms)) ms after the resume"
wait "$holder" 2>/dev/null
[ $? -eq 137 ] || fail "host 1 did not die of SIGKILL"
