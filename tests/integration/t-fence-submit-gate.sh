# A lease write checked fresh but stalled before its submit (a preempted thread, then the daemon SIGSTOPped) never reaches the disk after others may take over: the guard closes the submit gate before fencing and kills the daemon that keeps a write inside it (finding C12).
# SPDX-License-Identifier: GPL-2.0-or-later
source "$(dirname "$0")/lib.sh"
t_setup
DEV=$WORK/dev.img
"$LEASEFS" format gate "$DEV" --size 64M --hosts 8 --leases 32 --io-timeout 1 || fail "format"
t_mount 2 "$DEV"
mkdir "$MNT_2/vm1" || fail "mkdir"
# host 1's first lease write (its acquire's phase 1) stalls 20 s between
# its freshness check and io_submit (fs/daemon/stallio.h)
LEASEFS_TEST_STALL_WRITE=1:20000 t_mount 1 "$DEV"
t_bg acq bash -c "echo acquire > '$MNT_1/vm1/ctl'"
acq=$T_LAST_PID
t_wait_for 10 t_in_syscall "$acq" write || fail "the ctl write is not under way"
# the write is inside the gate now (its stall began before the ctl write
# could block on it); stop the whole daemon: renewals stop, the guard runs
kill -STOP "$PID_1"
stopped=$(t_now_ms)
# gate closes at renewed + renewal_fail - io - io/10 = 2.9 s, the daemon is
# killed 0.1 s later; host_dead is 8 s: killed well before anyone may take over
t_wait_for 12 t_gone "$PID_1" || { kill -CONT "$PID_1"; fail "host 1's daemon was not killed with a checked write still unsubmitted"; }
killed=$(t_now_ms)
t_log "host 1's daemon killed $((killed - stopped)) ms after SIGSTOP"
[ $((killed - stopped)) -lt 8000 ] || fail "killed only $((killed - stopped)) ms after the stop (host_dead is 8000 ms)"
# the guard logs as it goes: wait for its lines, do not race them
t_wait_for 10 grep -q "not submitted .* ms later: killing the daemon" "$WORK/host1.log" || fail "the guard did not say why it killed the daemon"
t_wait_for 10 grep -q "daemon died: fencing" "$WORK/host1.log" || fail "the guard did not fence after the kill"
wait "$acq" 2>/dev/null && fail "host 1's acquire succeeded"
# host 1's stalled phase 1 never reached the disk, so vm1 stayed free: host 2
# takes it (at once, or at host_dead if anything of host 1's had landed)
t_wait_for 30 bash -c "echo acquire > '$MNT_2/vm1/ctl'" || fail "host 2 never got vm1"
grep -q "^owner: *2\|host 2\|h2" "$MNT_2/vm1/owner" || fail "vm1 owner: $(cat "$MNT_2/vm1/owner")"
t_log "host 2 acquired vm1 $(( $(t_now_ms) - stopped )) ms after host 1 stopped"
echo release > "$MNT_2/vm1/ctl" || fail "release on host 2"
fusermount3 -u -z "$MNT_1" 2>/dev/null
t_umount 2
