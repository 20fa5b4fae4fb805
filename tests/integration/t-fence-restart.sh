# A daemon restarted after a crash waits host_dead before it rejoins (its old incarnation's late writes and holders must end first), meanwhile its old leases stay busy for everyone; then it rejoins with a new generation, and the old generation's leases can be taken over at once, by it or by any host.
# SPDX-License-Identifier: GPL-2.0-or-later
# io_timeout 2 s: nothing here waits for a deadline; a longer one keeps a
# loaded machine from fencing the hosts (and makes a stranger's wait,
# host_dead, stand out further from a rejoin).
source "$(dirname "$0")/lib.sh"
t_setup
DEV=$WORK/dev.img
"$LEASEFS" format restart "$DEV" --size 64M --hosts 8 --leases 32 --io-timeout 2 || fail "format"
host_dead=$(t_timing "$DEV" host_dead_ms)
t_mount 1 "$DEV"
t_mount 2 "$DEV"
mkdir "$MNT_1/vm1" "$MNT_1/vm2" || fail "mkdir"
echo acquire >"$MNT_1/vm1/ctl" && echo acquire >"$MNT_1/vm2/ctl" || fail "acquire"
grep -q '^generation: 1$' "$MNT_1/.status" || fail "first generation"
kill -KILL "$PID_1"
wait "$PID_1" 2>/dev/null
fusermount3 -u -z "$MNT_1"
start=$SECONDS
# same state dir: same identity (t_mount, but acting while it joins)
t_bg host1 "$LEASEFS" mount -f \
    -o "host_id=1,name=h1,state_dir=$WORK/state1,run_dir=$WORK/run1" "$DEV" "$MNT_1"
PID_1=$T_LAST_PID
t_wait_for 30 grep -q 'was ours until generation 1: waiting host_dead' \
    "$WORK/host1.log" || fail "the restart did not wait for its old incarnation"
# while it waits, the old generation still owns its leases, for everyone
echo acquire >"$MNT_2/vm1/ctl" 2>/dev/null &&
    fail "host 2 took vm1 while host 1's old incarnation may still write"
t_wait_for 60 t_mounted "$MNT_1" || fail "host 1 did not mount again"
t_wait_for 10 test -e "$MNT_1/.status" || fail "host 1: no .status"
t_log "rejoined in $((SECONDS - start)) s (host_dead $host_dead ms)"
[ $((SECONDS - start)) -ge $((host_dead / 1000 - 1)) ] || fail "rejoined before host_dead"
grep -q '^generation: 2$' "$MNT_1/.status" || fail "rejoin generation: $(grep generation "$MNT_1/.status")"
# the old generation's leases: busy for nobody
grep -q '^owner_generation: 1$' "$MNT_2/vm1/state" || fail "vm1 not owned by the old generation"
echo acquire >"$MNT_2/vm1/ctl" || fail "host 2 cannot take vm1 from the dead generation"
echo acquire >"$MNT_1/vm2/ctl" || fail "host 1 cannot take back vm2"
[ "$(cat "$MNT_2/vm1/owner")" = "2 h2" ] || fail "vm1 owner"
[ "$(cat "$MNT_2/vm2/owner")" = "1 h1" ] || fail "vm2 owner"
grep -q '^owner_generation: 2$' "$MNT_2/vm2/state" || fail "vm2 not owned by generation 2"
