# Host 1's storage fails past renewal_fail: it fences (holders killed, also one ignoring SIGTERM; lock reads lost; kill command for the ctl lease; status lost; acquire refused), and once storage heals it rejoins under a new generation, the lost leases stay owned by the finished one on disk (never written free), a waiter on host 2 gets its lease only after the holder was gone, and acquire works again.
# SPDX-License-Identifier: GPL-2.0-or-later
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/faults.sh"
t_setup
OPEN=$TOOLS/lfs-open
"$LEASEFS" format fence "$WORK/backing.img" --size 16M --hosts 8 --leases 8 \
    --io-timeout 1 || fail "format"
renewal_fail=$(t_timing "$WORK/backing.img" renewal_fail_ms)
kill_grace=$(t_timing "$WORK/backing.img" kill_grace_ms)
host_dead=$(t_timing "$WORK/backing.img" host_dead_ms)
f_host_dev 1 >/dev/null
f_host_dev 2 >/dev/null
f_check_coherent 1 2

t_kill_recorder
t_mount 1 "${F_DEV[1]}" "kill_command=$WORK/killcmd.sh"
t_mount 2 "${F_DEV[2]}"
mkdir "$MNT_1/vm1" "$MNT_1/vm2" "$MNT_1/vm3" || fail "mkdir"
echo acquire >"$MNT_1/vm2/ctl" || fail "ctl acquire of vm2"

# holders on host 1: of vm1 ignoring SIGTERM, of vm3 not; each under a
# wrapper that writes when it is gone (reaped), its own PID registered too.
# The vm1 holder reads its lock file every 50 ms and logs what it saw
# (-w): whether it read "lost" before it was killed is then its own record,
# not a question of how soon this script asks it on a loaded machine.
holder() {
	t_holder "$1" "$OPEN" "${@:2}"
	t_wait_for 10 grep -q '^opened' "$WORK/$1.log" 2>/dev/null ||
	    fail "$1: $(cat "$WORK/$1.log")"
}
holder h1 -i -w 50 "$MNT_1/vm1/lock"
h1=$T_LAST_PID
holder h3 "$MNT_1/vm3/lock"
[ "$(t_peek h1 "$h1")" = "held 1" ] || fail "vm1 holder does not read held"
# host 2 waits for vm3; "opened" is when it acquired
t_bg w3 "$OPEN" "$MNT_2/vm3/lock"
w3=$T_LAST_PID

exec 5>"$MNT_1/vm3/ctl" || fail "open vm3/ctl"
renewal_eio() { grep -c 'renewal failed: EIO' "$WORK/host1.log"; }
n_eio=$(renewal_eio)
f_fail_on 1
on_ms=$(f_now_ms)
# the last good renewal L, from .status (no disk I/O behind it) once no
# renewal can succeed any more: after the first renewal that failed with the
# errors (one in flight when they began may still have succeeded)
t_wait_for $((renewal_fail / 1000 + 3)) eval '[ "$(renewal_eio)" -gt "$n_eio" ]' ||
    fail "no renewal of host 1 failed with EIO"
s_start=$(f_now_ms)
cat "$MNT_1/.status" >"$WORK/status-failing" || fail ".status during the errors"
s_end=$(f_now_ms)
ago=$(awk '$1 == "last_renewal_ms_ago:" {print $2}' "$WORK/status-failing")
l_low=$((s_start - ago)) l_high=$((s_end - ago))
t_log "errors on host 1's path from L + $((on_ms - l_high))..$((on_ms - l_low)) ms"

# fencing marks the leases lost: the holder still alive (SIGTERM ignored,
# SIGKILL only after kill_grace) reads "lost" through its own descriptor
t_wait_for $((renewal_fail / 1000 + 3)) grep -q 'vm1: lost (lver' "$WORK/host1.log" ||
    fail "host 1 did not fence"
t_wait_for 10 grep -q '^saw lost ' "$WORK/h1.log" ||
    fail "the vm1 holder never read lost: $(grep -E '^saw|^gone' "$WORK/h1.log")"
saw_lost=$(awk '/^saw lost / {print $3; exit}' "$WORK/h1.log")
grep -q '^renewal: lost$' "$MNT_1/.status" ||
    fail "status while fenced: $(grep '^renewal' "$MNT_1/.status")"
# Lease operations are refused, for fencing and not only for the disk's
# errors: a path lookup reads the name table from the disk, and fails with
# EIO while the errors last, so the acquire goes through a ctl file opened
# before them.
! echo acquire 2>/dev/null >&5 || fail "acquire accepted while fenced"
grep -q 'acquire refused: renewal failed; leases are fenced' "$WORK/host1.log" ||
    fail "acquire not refused for fencing: $(grep 'refused' "$WORK/host1.log")"
[ "$("$OPEN" -n "$MNT_1/vm1/lock" 0)" = "ERR EIO" ] || fail "lock open while fenced"

# the holders die: vm3's at SIGTERM, vm1's at SIGKILL after kill_grace
for n in 1 3; do
	t_wait_for $((host_dead / 1000 + 5)) grep -q '^gone' "$WORK/h$n.log" ||
	    fail "vm$n holder not stopped"
done
gone1=$(awk '/^gone/ {print $2}' "$WORK/h1.log")
gone3=$(awk '/^gone/ {print $2}' "$WORK/h3.log")
t_log "the vm1 holder read lost $((gone1 - saw_lost)) ms before it was gone"
killcmd=$(awk '$2 == "vm2" {print $3; exit}' "$WORK/killcmd.out" 2>/dev/null)
[ -n "$killcmd" ] || fail "the kill command never ran for vm2"
t_log "vm3 holder gone at L + $((gone3 - l_high))..$((gone3 - l_low)) ms, vm1 holder (ignores SIGTERM) at L + $((gone1 - l_high))..$((gone1 - l_low)) ms, kill command for vm2 at L + $((killcmd - l_high))..$((killcmd - l_low)) ms (renewal_fail $renewal_fail, kill_grace $kill_grace, host_dead $host_dead)"
# not too early (l_low: L's bracket is tens of ms wide), and in time
[ $((gone3 - l_low)) -ge "$renewal_fail" ] && [ $((gone1 - l_low)) -ge $((renewal_fail + kill_grace)) ] ||
    fail "a holder was stopped before its time"
for t in "$gone1" "$gone3" "$killcmd"; do
	[ $((t - l_low)) -lt "$host_dead" ] || fail "fencing took until L + $((t - l_low)) ms"
done

# heal: host 1 rejoins under a new generation; the lost leases stay
# owned by the finished one on disk, dead for every host
exec 5>&-
f_fail_off 1
off_ms=$(f_now_ms)
t_wait_for 15 grep -q 'rejoined as generation' "$WORK/host1.log" ||
    fail "host 1 did not rejoin"
t_log "errors lasted $((off_ms - on_ms)) ms; $(grep -o 'rejoined as generation.*' "$WORK/host1.log"), seen $(($(f_now_ms) - off_ms)) ms after the errors ended"
for n in 1 2; do
	t_wait_for 10 grep -q '^state: owner dead$' "$MNT_2/vm$n/state" ||
	    fail "vm$n: $(cat "$MNT_2/vm$n/state")"
	grep -q '^owner_generation: 1$' "$MNT_2/vm$n/state" ||
	    fail "vm$n not owned by the finished generation: $(cat "$MNT_2/vm$n/state")"
done
t_wait_for 10 grep -q '^renewal: ok$' "$MNT_1/.status" ||
    fail "status after recovery: $(grep '^renewal' "$MNT_1/.status")"
grep -q '^generation: 2$' "$MNT_1/.status" || fail "generation after recovery: $(grep '^generation' "$MNT_1/.status")"
t_wait_for 10 grep -q '^leases_held: 0$' "$MNT_1/.status" ||
    fail "host 1 still holds: $(grep leases_held "$MNT_1/.status")"

# host 2's waiter got vm3 only after its holder on host 1 was gone
t_wait_for 15 grep -q '^opened' "$WORK/w3.log" || fail "host 2 never got vm3: $(cat "$WORK/w3.log")"
took3=$(awk '/^opened/ {print $2}' "$WORK/w3.log")
t_log "host 2 acquired vm3 $((took3 - gone3)) ms after its holder on host 1 was gone"
[ "$took3" -gt "$gone3" ] || fail "vm3: host 2 acquired at $took3, host 1's holder was gone only at $gone3"
got=$(t_peek w3 "$w3") # "held LVER", a generation past host 1's (1)
[ "${got%% *}" = held ] && [ "${got#held }" -gt 1 ] || fail "host 2's vm3 file reads '$got', not held above 1"

# acquire works again on host 1, through ctl and lock
echo acquire >"$MNT_1/vm1/ctl" || fail "ctl acquire after recovery"
[ "$(cat "$MNT_2/vm1/owner")" = "1 h1" ] || fail "vm1 owner after acquire: $(cat "$MNT_2/vm1/owner")"
echo release >"$MNT_1/vm1/ctl" || fail "release after recovery"
[ "$("$OPEN" -n "$MNT_1/vm2/lock" 0 | head -n 1 | cut -d' ' -f1)" = opened ] ||
    fail "lock open after recovery"
kill -TERM "$w3"
wait "$w3"
t_umount 2
t_umount 1
