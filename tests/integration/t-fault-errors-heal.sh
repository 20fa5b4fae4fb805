# EIO on the holder's storage path for less than renewal_fail: its renewals resume and another host never gets the lease.
# SPDX-License-Identifier: GPL-2.0-or-later
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/faults.sh"
t_setup
"$LEASEFS" format heal "$WORK/backing.img" --size 16M --hosts 8 --leases 4 \
    --io-timeout 1 || fail "format"
interval=$(t_timing "$WORK/backing.img" renewal_interval_ms)
renewal_fail=$(t_timing "$WORK/backing.img" renewal_fail_ms)
host_dead=$(t_timing "$WORK/backing.img" host_dead_ms)
f_host_dev 1 >/dev/null
f_host_dev 2 >/dev/null
f_check_coherent 1 2
"$TOOLS/lfs-host" "${F_DEV[1]}" 1 create vm1 || fail "create"
renewals=$WORK/renewals
more_renewals() { [ "$(wc -l <"$renewals")" -gt "$1" ]; }
t_bg holder "$TOOLS/lfs-host" "${F_DEV[1]}" 1 hold vm1 "$renewals"
t_wait_for 20 grep -q '^acquired' "$WORK/holder.log" || fail "holder did not acquire"
t_bg taker "$TOOLS/lfs-host" "${F_DEV[2]}" 2 take vm1
taker=$T_LAST_PID
# the taker contends from before the fault: it has joined as host 2
joined() {
	"$LEASEFS" dump "$WORK/backing.img" | awk '/^hosts:/ {h = 1} /^leases:/ {h = 0}
	    h && $1 == "2" && / live / {f = 1} END {exit !f}'
}
t_wait_for 30 joined || fail "host 2 did not join"

# Start the errors just after a good renewal L and end them as soon as the
# renewal due at L + renewal_interval has failed (an event, not a duration:
# a fixed fault length would, on a loaded machine, either end before that
# renewal or run into renewal_fail).  The gap they open is then about
# renewal_interval + one retry (io/4), below renewal_fail.
n=$(wc -l <"$renewals")
t_wait_for $((interval / 1000 + 5)) more_renewals "$n" ||
    fail "holder is not renewing"
n_failed=$(grep -c 'renewal failed: Input/output error' "$WORK/holder.log")
more_failed() { [ "$(grep -c 'renewal failed: Input/output error' "$WORK/holder.log")" -gt "$n_failed" ]; }
f_fail_on 1
on_ms=$(f_now_ms)
t_wait_for $((interval / 1000 + 5)) more_failed ||
    fail "no renewal of host 1 failed during the errors"
f_fail_off 1
off_ms=$(f_now_ms)
n_off=$(wc -l <"$renewals")
t_log "errors on host 1's path from $on_ms to $off_ms ms ($((off_ms - on_ms)) ms)"

# host 1 renews again, within one renewal interval plus one retry
t_wait_for $((interval / 1000 + 3)) more_renewals "$n_off" ||
    fail "host 1's renewals did not resume after the errors"
failed=$(grep -c 'renewal failed: Input/output error' "$WORK/holder.log")
[ "$failed" -ge 1 ] || fail "no renewal of host 1 failed during the errors"
first_after=$(awk -v t="$off_ms" '$1 > t {print; exit}' "$renewals")
[ -n "$first_after" ] || fail "no renewal submitted after the errors ended"
gap=$(awk 'NR > 1 && $1 - p > g {g = $1 - p} {p = $1} END {print g + 0}' "$renewals")
t_log "$failed renewal(s) failed with EIO; first good one $((first_after - off_ms)) ms after the errors ended; longest gap between renewals $gap ms (renewal_fail $renewal_fail)"
[ "$gap" -lt "$renewal_fail" ] || fail "gap of $gap ms between renewals >= renewal_fail"

# the taker is still waiting, well past the time it could have taken a dead
# host's lease (host_dead after the last renewal before the errors)
while [ $(($(f_now_ms) - on_ms)) -lt $((host_dead + interval)) ]; do
	sleep 0.5
done
! t_gone "$taker" || fail "host 2 stopped: $(cat "$WORK/taker.log")"
! grep -q '^acquired' "$WORK/taker.log" || fail "host 2 took the lease: $(cat "$WORK/taker.log")"
# (an I/O of host 2 slower than io_timeout on a loaded machine is not an error
# of host 1's path)
! grep -q 'renewal failed: Input/output error' "$WORK/taker.log" || fail "host 1's errors reached host 2"
kill -KILL "$taker"
wait "$taker" 2>/dev/null
t_log "host 2 still waiting $(($(f_now_ms) - on_ms)) ms after the errors began (host_dead $host_dead)"
