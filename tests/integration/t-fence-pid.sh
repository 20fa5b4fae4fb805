# Fencing kills the process a lease is held for (ctl `acquire pid N`), N ignoring SIGTERM while host 1's storage heals inside the kill grace: host 2's blocked opener gets the lease only after N is gone.
# SPDX-License-Identifier: GPL-2.0-or-later
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/faults.sh"
t_setup
OPEN=$TOOLS/lfs-open
"$LEASEFS" format fpid "$WORK/backing.img" --size 16M --hosts 8 --leases 8 \
    --io-timeout 1 || fail "format"
f_host_dev 1 >/dev/null
f_host_dev 2 >/dev/null
f_check_coherent 1 2
t_mount 1 "${F_DEV[1]}"
t_mount 2 "${F_DEV[2]}"
mkdir "$MNT_1/vm1" || fail "mkdir"
# N: a plain process that holds no lease file and ignores SIGTERM
t_holder n perl -e '$SIG{TERM} = "IGNORE"; sleep 1 while 1'
N=$T_LAST_PID
echo "acquire pid $N" >"$MNT_1/vm1/ctl" || fail "acquire pid $N"
grep -qx "pid: $N held" "$MNT_1/vm1/state" || fail "state: $(cat "$MNT_1/vm1/state")"
t_bg w1 "$OPEN" "$MNT_2/vm1/lock"
t_wait_for 10 t_in_syscall "$T_LAST_PID" openat || fail "host 2's open is not waiting"
f_fail_on 1
t_wait_for 10 grep -q 'vm1: lost (lver' "$WORK/host1.log" || fail "host 1 did not fence"
t_wait_for 10 grep -q "fencing: SIGTERM pid $N" "$WORK/host1.log" || fail "N not signalled: $(tail -n 5 "$WORK/host1.log")"
# heal at once: inside kill_grace, while N (SIGTERM ignored) runs
f_fail_off 1
heal=$(f_now_ms)
t_wait_for 20 grep -q '^gone' "$WORK/n.log" || fail "N not stopped"
gone=$(awk '/^gone/ {print $2}' "$WORK/n.log")
t_log "healed at $heal, N gone at $gone ($((gone - heal)) ms later)"
[ "$gone" -gt "$heal" ] || fail "N died before the storage healed; the test proves nothing"
grep -q "fencing: SIGKILL pid $N" "$WORK/host1.log" || fail "no SIGKILL of N logged"
t_wait_for 30 grep -q '^opened' "$WORK/w1.log" || fail "host 2 never got vm1: $(cat "$WORK/w1.log")"
took=$(awk '/^opened/ {print $2}' "$WORK/w1.log")
t_log "host 2 acquired vm1 $((took - gone)) ms after N was gone"
[ "$took" -gt "$gone" ] || fail "host 2 acquired vm1 at $took while N ran until $gone"
t_wait_for 30 grep -q 'rejoined as generation' "$WORK/host1.log" || fail "host 1 did not rejoin"
