# ctl `acquire pid N` holds a lease for process N until N exits (then another host's blocked opener gets it); a dead N is ESRCH, one the writer may not signal EPERM; `request pid M` plus `transfer` hands it over to M without killing N, and M's exit frees it.
# SPDX-License-Identifier: GPL-2.0-or-later
# io_timeout 2 s: no deadline is under test here.
source "$(dirname "$0")/lib.sh"
t_setup
chmod 755 "$WORK"
DEV=$WORK/dev.img
GID=4242
OPEN=$TOOLS/lfs-open
"$LEASEFS" format ctlpid "$DEV" --size 16M --hosts 8 --leases 8 --io-timeout 2 || fail "format"
t_mount 1 "$DEV" "group=$GID"
t_mount 2 "$DEV"
chmod 755 "$MNT_1"
mkdir "$MNT_1/vm1" "$MNT_1/vm2" "$MNT_1/vm3" || fail "mkdir"
as_member() { setpriv --reuid=65534 --regid=65534 --groups="$GID" "$@"; }
ctl() { echo "$2" >"$1/ctl"; }

# N already dead: ESRCH, nothing changes
t_bg dead true
dead=$T_LAST_PID
wait "$dead"
expect_fail "No such process" ctl "$MNT_1/vm1" "acquire pid $dead"
[ "$(cat "$MNT_1/vm1/owner")" = free ] || fail "acquired for a dead pid"
# a process the writer may not signal (root's, written by uid 65534): EPERM
t_bg rootproc sleep 1000
rootp=$T_LAST_PID
expect_fail "Operation not permitted" as_member bash -c "echo 'acquire pid $rootp' >$MNT_1/vm1/ctl"
[ "$(cat "$MNT_1/vm1/owner")" = free ] || fail "acquired for a pid the writer may not signal"
# ... but one of its own it may
t_bg own setpriv --reuid=65534 --regid=65534 --clear-groups sleep 1000
t_wait_for 10 bash -c "[ \$(stat -c %u /proc/$T_LAST_PID) = 65534 ]" || fail "no process of uid 65534"
as_member bash -c "echo 'acquire pid $T_LAST_PID' >$MNT_1/vm3/ctl" || fail "acquire pid of the writer's own process"
ctl "$MNT_1/vm3" release || fail "release vm3"

# acquire pid N: held for N, listed in state
t_holder n sleep 1000
N=$T_LAST_PID
ctl "$MNT_1/vm1" "acquire pid $N" || fail "acquire pid $N"
[ "$(cat "$MNT_2/vm1/owner")" = "1 h1" ] || fail "vm1 not held by host 1"
grep -qx "holders: $N" "$MNT_1/vm1/state" || fail "state: $(cat "$MNT_1/vm1/state")"
grep -qx "pid: $N held" "$MNT_1/vm1/state" || fail "state: $(cat "$MNT_1/vm1/state")"
# the same again: 0; for another process, or plain: EBUSY
ctl "$MNT_1/vm1" "acquire pid $N" || fail "a second acquire pid $N"
expect_fail "busy" ctl "$MNT_1/vm1" "acquire pid $rootp"
expect_fail "busy" ctl "$MNT_1/vm1" acquire
# host 2 blocks on vm1; N exits by itself: host 2 gets it, after N is gone
t_bg w2 "$OPEN" "$MNT_2/vm1/lock"
t_wait_for 10 t_in_syscall "$T_LAST_PID" openat || fail "host 2's open is not waiting"
# N (sleep) ends at SIGTERM: host 2, still waiting before it (checked
# above), must get the lease after the signal.  The wrapper's "gone" time
# is only logged: it is taken after N was reaped and perl started, so it
# may come after host 2's acquire on a correct daemon (seen once, the same
# millisecond).
killed=$(t_now_ms)
kill -TERM "$N"
t_wait_for 10 grep -q '^gone' "$WORK/n.log" || fail "N did not exit"
t_wait_for 20 grep -q '^opened' "$WORK/w2.log" || fail "host 2 never got vm1: $(cat "$WORK/w2.log")"
gone=$(awk '/^gone/ {print $2}' "$WORK/n.log")
took=$(awk '/^opened/ {print $2}' "$WORK/w2.log")
t_log "N signalled at $killed, gone (as its wrapper saw it) at $gone, host 2 acquired $((took - killed)) ms after the signal"
[ "$took" -gt "$killed" ] || fail "host 2 acquired vm1 at $took, before N was even signalled at $killed"
grep -q "vm1: pid $N exited; releasing" "$WORK/host1.log" || fail "release not logged"

# handover: source holds vm2 for S; destination requests it for M; transfer
t_holder s sleep 1000
S=$T_LAST_PID
t_holder m sleep 1000
M=$T_LAST_PID
ctl "$MNT_1/vm2" "acquire pid $S" || fail "acquire pid S"
ctl "$MNT_2/vm2" "request pid $M" || fail "request pid M"
grep -qx "pid: $M requested" "$MNT_2/vm2/state" || fail "state: $(cat "$MNT_2/vm2/state")"
ctl "$MNT_1/vm2" "transfer 2" || fail "transfer"
t_wait_for 10 bash -c "grep -qx 'pid: $M held' $MNT_2/vm2/state" || fail "not held for M: $(cat "$MNT_2/vm2/state")"
[ "$(cat "$MNT_1/vm2/owner")" = "2 h2" ] || fail "vm2 owner $(cat "$MNT_1/vm2/owner")"
grep -qx "pid: none" "$MNT_1/vm2/state" || fail "source still names S: $(cat "$MNT_1/vm2/state")"
kill -0 "$S" || fail "the transfer killed S"
# S's exit now changes nothing; M's exit frees the lease
kill -TERM "$S"
t_wait_for 10 grep -q '^gone' "$WORK/s.log" || fail "S did not exit"
[ "$(cat "$MNT_1/vm2/owner")" = "2 h2" ] || fail "S's exit freed vm2"
kill -TERM "$M"
t_wait_for 10 bash -c "[ \"\$(cat $MNT_1/vm2/owner)\" = free ]" || fail "M's exit did not free vm2: $(cat "$MNT_1/vm2/owner")"

# request pid M2 on a held lease; M2 exits before it arrives: withdrawn
t_holder m2 sleep 1000
ctl "$MNT_1/vm3" acquire || fail "acquire vm3"
ctl "$MNT_2/vm3" "request pid $T_LAST_PID" || fail "request pid M2"
grep -qx "request: 2 h2" "$MNT_1/vm3/state" || fail "no request: $(cat "$MNT_1/vm3/state")"
kill -TERM "$T_LAST_PID"
t_wait_for 10 bash -c "grep -qx 'request: none' $MNT_1/vm3/state" || fail "request not withdrawn: $(cat "$MNT_1/vm3/state")"
expect_fail "Destination address required" ctl "$MNT_1/vm3" "transfer 2"
ctl "$MNT_1/vm3" release || fail "release vm3"
kill -TERM "$rootp"
t_umount 2
t_umount 1
