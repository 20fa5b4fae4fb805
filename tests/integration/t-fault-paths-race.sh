# Three hosts race for a lease 300 times, each through its own nbdkit/nbdfuse path to one file: no two holders.
# SPDX-License-Identifier: GPL-2.0-or-later
# io_timeout 2 s: one I/O slower than io_timeout on a loaded machine fails a
# racer, which is not what the race is about.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/faults.sh"
t_setup
COUNT=100 # acquisitions per host
"$LEASEFS" format paths "$WORK/backing.img" --size 16M --hosts 8 --leases 4 \
    --io-timeout 2 || fail "format"
for id in 1 2 3; do
	f_host_dev "$id" >/dev/null
done
f_check_coherent 1 2
f_check_coherent 2 3
"$TOOLS/lfs-host" "${F_DEV[1]}" 1 create vm1 || fail "create vm1"
: >"$WORK/check"
start=$(f_now_ms)
pids=()
for id in 1 2 3; do
	t_bg "race$id" "$TOOLS/lfs-host" "${F_DEV[id]}" "$id" race vm1 "$COUNT" "$WORK/check"
	pids+=("$T_LAST_PID")
done
for i in 0 1 2; do
	wait "${pids[i]}"
	rc=$?
	[ "$rc" -eq 3 ] && fail "host $((i + 1)) saw two holders: $(cat "$WORK/race$((i + 1)).log")"
	[ "$rc" -eq 0 ] || fail "host $((i + 1)) exited $rc: $(cat "$WORK/race$((i + 1)).log")"
done
lver=$("$LEASEFS" dump "$WORK/backing.img" | awk '$1 == "vm1" {print $4}')
t_log "$((3 * COUNT)) acquisitions through three paths in $(($(f_now_ms) - start)) ms (joins included), lease generation $lver"
[ "$lver" -ge $((3 * COUNT)) ] || fail "lease generation $lver < $((3 * COUNT))"
