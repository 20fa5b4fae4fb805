# Lease operations of different leases run at once on one host (issue 15 point 4): a lock open of one lease completes while another lease's acquire is held inside its first write; then 24 lock opens of 24 free leases started together all hold, each lease by its own opener, and another host sees every one owned.
# SPDX-License-Identifier: GPL-2.0-or-later
source "$(dirname "$0")/lib.sh"
t_setup
DEV=$WORK/dev.img
N=24
"$LEASEFS" format conc "$DEV" --size 64M --hosts 8 --leases 64 --io-timeout 1 || fail "format"
t_mount 2 "$DEV"
mkdir "$MNT_2/slow" "$MNT_2/quick" || fail "mkdir"
for i in $(seq 1 $N); do mkdir "$MNT_2/c$i" || fail "mkdir c$i"; done
# host 1's first lease write (slow's phase 1: host 1 writes nothing on its
# lease contexts before) is held 6 s before its submit (stallio.h)
LEASEFS_TEST_STALL_WRITE=1:6000 t_mount 1 "$DEV"
t_bg slow "$TOOLS/lfs-open" "$MNT_1/slow/lock" 60
slow=$T_LAST_PID
t_wait_for 10 grep -q "test stall: write 1 held" "$WORK/host1.log" ||
    fail "slow's acquire never reached its first write"
# slow and quick are on different contexts (slots 1 and 2 of 64): quick's
# acquire does not wait for slow's
t_bg quick "$TOOLS/lfs-open" "$MNT_1/quick/lock" 60
quick=$T_LAST_PID
t_wait_for 30 grep -q "^opened" "$WORK/quick.log" || fail "quick never opened: $(cat "$WORK/quick.log")"
grep -q "^opened" "$WORK/slow.log" &&
    fail "quick's open returned only after slow's: operations of two leases did not run at once"
t_log "quick held while slow's acquire was still held in its write"
# held past io_timeout, slow's acquire times out (EIO) and the watcher
# settles what it may have won; wait for that before going on
t_wait_for 30 grep -q "^opened\|^ERR" "$WORK/slow.log" || fail "slow's open never ended"
if grep -q "^ERR" "$WORK/slow.log"; then
	t_wait_for 30 grep -q "slow: released\|slow: settled" "$WORK/host1.log" ||
	    fail "slow's timed-out acquire was never settled"
fi

# many at once: every open holds its own lease, nothing is held twice
pids=()
for i in $(seq 1 $N); do
	t_bg "c$i" "$TOOLS/lfs-open" "$MNT_1/c$i/lock" 60
	pids+=("$T_LAST_PID")
done
for i in $(seq 1 $N); do
	t_wait_for 60 grep -q "^opened" "$WORK/c$i.log" || fail "c$i never opened: $(cat "$WORK/c$i.log")"
done
for i in $(seq 1 $N); do
	grep -q "^1 " "$MNT_2/c$i/owner" || fail "host 2 sees c$i owned by: $(cat "$MNT_2/c$i/owner")"
	out=$("$TOOLS/lfs-open" -n "$MNT_2/c$i/lock" 0 2>&1) && fail "host 2 opened c$i held by host 1: $out"
	case $out in *EWOULDBLOCK*|*EAGAIN*) ;; *) fail "host 2's non-blocking open of c$i: $out" ;; esac
done
t_log "$N opens started together all hold; host 2 sees each owned by host 1"
for p in "$slow" "$quick" "${pids[@]}"; do kill "$p" 2>/dev/null; done
for p in "$slow" "$quick" "${pids[@]}"; do t_wait_for 20 t_gone "$p" || fail "holder $p did not end"; done
# every release went through: host 2 can take all of them now
for i in $(seq 1 $N); do
	t_wait_for 20 bash -c "echo acquire > '$MNT_2/c$i/ctl'" || fail "host 2 could not acquire c$i after host 1's release"
	echo release > "$MNT_2/c$i/ctl" || fail "release c$i on host 2"
done
t_umount 1
t_umount 2
