# A daemon restarted after a crash rejoins at once with a new generation, and the leases of its old generation can be taken over at once, by it or by any host.
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
t_mount 1 "$DEV" # same state dir: same identity
t_log "rejoined in $((SECONDS - start)) s (host_dead $host_dead ms)"
# a stranger would wait (host_dead) to see whether the id's owner is alive
! grep -q 'waiting to see whether it is alive' "$WORK/host1.log" ||
    fail "rejoin waited like a stranger: $(grep 'waiting to see' "$WORK/host1.log" | head -n 1)"
[ $((SECONDS - start)) -lt $((host_dead / 1000)) ] || fail "rejoin took host_dead or longer"
grep -q '^generation: 2$' "$MNT_1/.status" || fail "rejoin generation: $(grep generation "$MNT_1/.status")"
# the old generation's leases: busy for nobody
grep -q '^owner_generation: 1$' "$MNT_2/vm1/state" || fail "vm1 not owned by the old generation"
echo acquire >"$MNT_2/vm1/ctl" || fail "host 2 cannot take vm1 from the dead generation"
echo acquire >"$MNT_1/vm2/ctl" || fail "host 1 cannot take back vm2"
[ "$(cat "$MNT_2/vm1/owner")" = "2 h2" ] || fail "vm1 owner"
[ "$(cat "$MNT_2/vm2/owner")" = "1 h1" ] || fail "vm2 owner"
grep -q '^owner_generation: 2$' "$MNT_2/vm2/state" || fail "vm2 not owned by generation 2"
