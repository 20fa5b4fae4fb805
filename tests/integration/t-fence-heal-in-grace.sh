# Host 1's storage fails past renewal_fail and heals inside the kill grace while its holder ignores SIGTERM: the lease is never written free while that holder runs, and host 2's blocked opener gets it only after the holder is gone.
# SPDX-License-Identifier: GPL-2.0-or-later
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/faults.sh"
t_setup
OPEN=$TOOLS/lfs-open
"$LEASEFS" format grace "$WORK/backing.img" --size 16M --hosts 8 --leases 8 \
    --io-timeout 1 || fail "format"
f_host_dev 1 >/dev/null
f_host_dev 2 >/dev/null
f_check_coherent 1 2
t_mount 1 "${F_DEV[1]}"
t_mount 2 "${F_DEV[2]}"
mkdir "$MNT_1/vm1" || fail "mkdir"
export -f f_now_ms
t_bg h1 bash -c '"$@" & echo "child $!"; wait $!; echo "gone $(f_now_ms)"' _ "$OPEN" -i "$MNT_1/vm1/lock"
t_wait_for 10 grep -q '^opened' "$WORK/h1.log" || fail "holder: $(cat "$WORK/h1.log")"
T_PIDS+=("$(awk '/^child/ {print $2}' "$WORK/h1.log")")
# host 2 blocks on vm1; "opened" is when it acquired
t_bg w1 "$OPEN" "$MNT_2/vm1/lock"
f_fail_on 1
t_wait_for 10 grep -q 'vm1: lost (lver' "$WORK/host1.log" || fail "host 1 did not fence"
# heal at once: well inside kill_grace, while the holder (SIGTERM ignored) runs
f_fail_off 1
heal=$(f_now_ms)
t_wait_for 20 grep -q '^gone' "$WORK/h1.log" || fail "holder not stopped"
gone=$(awk '/^gone/ {print $2}' "$WORK/h1.log")
t_log "healed at $heal, holder gone at $gone ($((gone - heal)) ms later)"
[ "$gone" -gt "$heal" ] || fail "the holder died before the storage healed; the test proves nothing"
t_wait_for 30 grep -q '^opened' "$WORK/w1.log" || fail "host 2 never got vm1: $(cat "$WORK/w1.log")"
took=$(awk '/^opened/ {print $2}' "$WORK/w1.log")
t_log "host 2 acquired vm1 $((took - gone)) ms after the holder was gone"
[ "$took" -gt "$gone" ] || fail "host 2 acquired vm1 at $took while host 1's holder ran until $gone"
