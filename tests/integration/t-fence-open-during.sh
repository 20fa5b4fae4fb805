# A lock open whose acquire completes after fencing began fails with EIO (and so holds nothing no fencing pass could find); host 2 takes the lease only at host_dead.
# SPDX-License-Identifier: GPL-2.0-or-later
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/faults.sh"
t_setup
OPEN=$TOOLS/lfs-open
"$LEASEFS" format during "$WORK/backing.img" --size 16M --hosts 8 --leases 8 \
    --io-timeout 1 || fail "format"
renewal_fail=$(t_timing "$WORK/backing.img" renewal_fail_ms)
f_host_dev 1 >/dev/null
f_host_dev 2 >/dev/null
f_check_coherent 1 2
# host 1's lock opens wait renewal_fail + 1 s between winning the lease on
# disk and recording it (a test hook): fencing begins inside the open
export LEASEFS_TEST_ACQUIRED_DELAY_MS=$((renewal_fail + 1000))
t_mount 1 "${F_DEV[1]}"
unset LEASEFS_TEST_ACQUIRED_DELAY_MS
t_mount 2 "${F_DEV[2]}"
mkdir "$MNT_1/vm1" || fail "mkdir"
t_bg o1 "$OPEN" -n "$MNT_1/vm1/lock" 30
o1=$T_LAST_PID
t_wait_for 10 grep -q 'vm1: acquired lver' "$WORK/host1.log" || fail "host 1 did not acquire"
f_fail_on 1
t_wait_for 10 grep -q 'fencing' "$WORK/host1.log" || fail "host 1 did not fence"
t_wait_for 10 grep -q . "$WORK/o1.log" || fail "the open never returned"
t_log "the open that completed during fencing: $(head -n 1 "$WORK/o1.log")"
[ "$(head -n 1 "$WORK/o1.log")" = "ERR EIO" ] || fail "an open succeeded after fencing began: $(cat "$WORK/o1.log")"
