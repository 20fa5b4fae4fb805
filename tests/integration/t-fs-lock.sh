# An open lock file holds the lease: a non-blocking open elsewhere fails with EWOULDBLOCK, a blocking one waits and wins when the holder exits; a signal interrupts the wait and acquires nothing.
source "$(dirname "$0")/lib.sh"
t_setup
DEV=$WORK/dev.img
OPEN=$TOOLS/lfs-open
"$LEASEFS" format lock "$DEV" --size 64M --hosts 8 --leases 32 --io-timeout 1 || fail "format"
t_mount 1 "$DEV"
t_mount 2 "$DEV"
mkdir "$MNT_1/vm1" || fail "mkdir"

t_bg holder1 "$OPEN" "$MNT_1/vm1/lock"
holder=$T_LAST_PID
t_wait_for 10 grep -q '^opened' "$WORK/holder1.log" || fail "host 1 holder did not open"
[ "$(cat "$MNT_2/vm1/owner")" = "1 h1" ] || fail "owner on host 2: $(cat "$MNT_2/vm1/owner")"
grep -q "^holders: $holder\$" "$MNT_1/vm1/state" || fail "holder pid not in state: $(cat "$MNT_1/vm1/state")"

out=$("$OPEN" -n "$MNT_2/vm1/lock" 0)
[ "$out" = "ERR EAGAIN" ] || fail "non-blocking open on host 2: $out"
out=$("$OPEN" -n "$MNT_1/vm1/lock" 0)
[ "$out" = "ERR EAGAIN" ] || fail "second non-blocking open on host 1: $out"

# a blocked open interrupted by a signal acquires nothing
t_bg interrupted "$OPEN" "$MNT_2/vm1/lock"
intr=$T_LAST_PID
sleep 1
grep -q opened "$WORK/interrupted.log" && fail "open did not block"
kill -INT "$intr"
wait "$intr"
grep -q '^ERR EINTR' "$WORK/interrupted.log" || fail "interrupted open: $(cat "$WORK/interrupted.log")"

# a blocking open on host 2 wins once host 1's holder exits
t_bg waiter "$OPEN" "$MNT_2/vm1/lock"
waiter=$T_LAST_PID
sleep 1
grep -q opened "$WORK/waiter.log" && fail "host 2 got the lease while host 1 held it"
kill -TERM "$holder"
wait "$holder"
t_wait_for 20 grep -q '^opened' "$WORK/waiter.log" || fail "waiter never got the lease"
released=$(awk '/^closing/ {print $2}' "$WORK/holder1.log")
got=$(awk '/^opened/ {print $2}' "$WORK/waiter.log")
[ "$got" -ge "$released" ] || fail "host 2 opened at $got before host 1 closed at $released"
[ "$(cat "$MNT_1/vm1/owner")" = "2 h2" ] || fail "owner on host 1: $(cat "$MNT_1/vm1/owner")"

# the open file is held across fork: a child keeps it after the parent exits
kill -TERM "$waiter"
wait "$waiter"
t_wait_for 10 bash -c "[ \"\$(cat $MNT_1/vm1/owner)\" = free ]" || fail "not released on close"
bash -c "exec 3>$MNT_1/vm1/lock; (sleep 3; exec 3>&-) & exit 0" || fail "fork holder"
[ "$(cat "$MNT_2/vm1/owner")" = "1 h1" ] || fail "child does not hold: $(cat "$MNT_2/vm1/owner")"
t_wait_for 15 bash -c "[ \"\$(cat $MNT_2/vm1/owner)\" = free ]" || fail "child exit did not release"
