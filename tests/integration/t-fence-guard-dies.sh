# When the guard dies, the daemon notices at its next renewal, logs it at LOG_CRIT and refuses new leases (EIO), since no one would fence their holders if the daemon died too.
# SPDX-License-Identifier: GPL-2.0-or-later
source "$(dirname "$0")/lib.sh"
t_setup
DEV=$WORK/dev.img
OPEN=$TOOLS/lfs-open
"$LEASEFS" format guard "$DEV" --size 16M --hosts 8 --leases 8 --io-timeout 1 || fail "format"
t_mount 1 "$DEV"
mkdir "$MNT_1/vm1" "$MNT_1/vm2" || fail "mkdir"
[ "$("$OPEN" -n "$MNT_1/vm1/lock" 0 | head -n 1 | cut -d' ' -f1)" = opened ] || fail "lock open before"
guard=$(ps --ppid "$PID_1" -o pid=,comm= | awk '$2 == "leasefs-guard" {print $1}')
[ -n "$guard" ] || fail "no guard process under the daemon"
kill -KILL "$guard"
t_wait_for 15 grep -q 'crit: the guard is gone' "$WORK/host1.log" ||
    fail "the daemon did not notice the guard's death: $(tail -n 5 "$WORK/host1.log")"
[ "$("$OPEN" -n "$MNT_1/vm1/lock" 0)" = "ERR EIO" ] || fail "lock open accepted without a guard"
! echo acquire 2>/dev/null >"$MNT_1/vm2/ctl" || fail "ctl acquire accepted without a guard"
grep -q 'refused: the guard died' "$WORK/host1.log" || fail "refusal not logged"
