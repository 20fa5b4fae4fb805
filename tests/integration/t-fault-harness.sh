# Two hosts' faultable paths to one file: each sees the other's writes at once; errors, hangs and delays stay on one path and heal.
# SPDX-License-Identifier: GPL-2.0-or-later
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/faults.sh"
t_setup
DELAY=100 # ms per request on host 2's path
truncate -s 16M "$WORK/backing.img"
f_host_dev 1 >/dev/null
f_host_dev 2 "$DELAY" >/dev/null
f_check_coherent 1 2
d1=${F_DEV[1]} d2=${F_DEV[2]}

# errors: EIO through host 1's path only, and only while switched on
f_fail_on 1
err=$(f__direct_read "$d1" 0 2>&1 >/dev/null) && fail "read through host 1 worked with errors on"
case $err in
*"Input/output error"*) ;;
*) fail "expected EIO through host 1, got: $err" ;;
esac
f__direct_read "$d2" 0 >/dev/null || fail "host 1's errors reached host 2"
f_fail_off 1
f__direct_read "$d1" 0 >/dev/null || fail "host 1 still failing after f_fail_off"

# hang: a read through paused host 1 waits, host 2 goes on, resume ends it
f_pause 1
t_bg hung dd if="$d1" of=/dev/null bs=4096 count=1 iflag=direct status=none
hung=$T_LAST_PID
t_wait_for 10 t_in_syscall "$hung" read || {
	t_gone "$hung" && fail "a read through paused host 1 did not hang"
	fail "dd never got to its read"
}
f__direct_read "$d2" 0 >/dev/null || fail "host 1's pause reached host 2"
# still in that read after host 2's went through
t_in_syscall "$hung" read || fail "a read through paused host 1 did not hang"
t0=$(f_now_ms)
f_resume 1
wait "$hung" || fail "the hung read failed after resume"
t_log "hung read finished $(($(f_now_ms) - t0)) ms after resume"

# delay: every request on host 2's path takes at least DELAY ms
t0=$(f_now_ms)
f__direct_read "$d2" 1 >/dev/null || fail "read through host 2"
took=$(($(f_now_ms) - t0))
t0=$(f_now_ms)
f__direct_read "$d1" 1 >/dev/null || fail "read through host 1"
took1=$(($(f_now_ms) - t0))
t_log "4 KiB O_DIRECT read (with dd): host 2 $took ms (delay $DELAY), host 1 $took1 ms"
[ "$took" -ge "$DELAY" ] || fail "host 2's read took $took ms < $DELAY ms"

# a stall shorter than the client's patience is only a slow request
t_bg stalled dd if="$d1" of=/dev/null bs=4096 count=1 iflag=direct status=none
stalled=$T_LAST_PID
f_stall 1 500
wait "$stalled" || fail "a read through a stalled path failed"
