# Live-migration handover S -> D while host T tries to acquire without pause: T never gets the lease, and owner on all three hosts goes from S to D with nobody in between.
# SPDX-License-Identifier: GPL-2.0-or-later
# io_timeout 2 s: nothing here waits for a deadline; a longer one keeps a
# loaded machine from failing lease operations or fencing a host.
source "$(dirname "$0")/lib.sh"
t_setup
DEV=$WORK/dev.img
OPEN=$TOOLS/lfs-open
"$LEASEFS" format mig "$DEV" --size 64M --hosts 8 --leases 32 --io-timeout 2 || fail "format"
for id in 1 2 3; do t_mount "$id" "$DEV"; done # S = 1, D = 2, T = 3
mkdir "$MNT_1/vm1" || fail "mkdir"

t_bg src "$OPEN" "$MNT_1/vm1/lock" # the "qemu" on S
src=$T_LAST_PID
t_wait_for 10 grep -q '^opened' "$WORK/src.log" || fail "S did not get the lease"

# each host records every owner it sees; T tries to take the lease in a loop
for id in 1 2 3; do
	eval "m=\$MNT_$id"
	t_bg "seen$id" bash -c "while :; do cat $m/vm1/owner; done"
	samplers+=("$T_LAST_PID")
done
t_bg thief bash -c "while :; do $OPEN -n $MNT_3/vm1/lock 0; echo acquire > $MNT_3/vm1/ctl 2>/dev/null && echo CTL-ACQUIRED; done"
thief=$T_LAST_PID

# D: the wrapper that starts "qemu -incoming" opens incoming, which returns at once
t_bg dst "$OPEN" "$MNT_2/vm1/incoming"
dst=$T_LAST_PID
t_wait_for 10 grep -q '^opened' "$WORK/dst.log" || fail "incoming open did not return"
for id in 1 2 3; do
	eval "m=\$MNT_$id"
	t_wait_for 10 grep -qx 'request: 2 h2' "$m/vm1/state" || fail "request not shown on host $id"
done
[ "$(t_peek dst "$dst")" = waiting ] || fail "D's incoming does not say waiting"
# the transfer comes only once every sampler has seen S own the lease and T
# has been refused a few times (events, not a fixed time that a loaded
# machine may spend before they even started)
tries() { grep -c 'ERR EAGAIN' "$WORK/thief.log"; }
for id in 1 2 3; do
	t_wait_for 20 grep -qx '1 h1' "$WORK/seen$id.log" || fail "host $id's sampler saw nothing"
done
t_wait_for 20 eval '[ "$(tries)" -ge 3 ]' || fail "T is not trying: $(head -n 3 "$WORK/thief.log")"
echo "transfer 2" >"$MNT_1/vm1/ctl" || fail "transfer"
for id in 1 2 3; do
	eval "m=\$MNT_$id"
	t_wait_for 10 bash -c "[ \"\$(cat $m/vm1/owner)\" = '2 h2' ]" || fail "host $id: owner not D"
done
case "$(t_peek dst "$dst")" in held*) ;; *) fail "D's incoming does not say held" ;; esac
[ "$(t_peek src "$src")" = lost ] || fail "S's lock file does not say lost"
# T goes on trying after the transfer, and every sampler sees D
n=$(tries)
t_wait_for 20 eval '[ "$(tries)" -ge $((n + 3)) ]' || fail "T stopped trying"
for id in 1 2 3; do
	t_wait_for 20 grep -qx '2 h2' "$WORK/seen$id.log" || fail "host $id's sampler never saw D"
done
kill -TERM "$thief" "${samplers[@]}"
wait "$thief" "${samplers[@]}" 2>/dev/null

# S's old holder exits: that releases nothing.  Its close reaches host 1's
# daemon as a RELEASE request queued at its exit, answered asynchronously:
# host 1 is then asked for the owner five times (requests queued after that
# RELEASE, each taking the lock that a release on disk would hold), and the
# disk is read directly too.
kill -TERM "$src"
wait "$src"
for _ in 1 2 3 4 5; do
	[ "$(cat "$MNT_1/vm1/owner")" = "2 h2" ] || fail "S's close changed the owner: $(cat "$MNT_1/vm1/owner")"
done
[ "$(cat "$MNT_3/vm1/owner")" = "2 h2" ] || fail "S's close changed the owner"
on_disk=$("$LEASEFS" dump "$DEV" | awk '$1 == "vm1" {print $3}')
case $on_disk in 2/*) ;; *) fail "S's close changed the owner on disk: $on_disk" ;; esac

grep -q 'opened\|CTL-ACQUIRED' "$WORK/thief.log" && fail "T got the lease: $(grep -m3 'opened\|CTL' "$WORK/thief.log")"
grep -c 'ERR EAGAIN' "$WORK/thief.log" | grep -qv '^0$' || fail "T never tried"
for id in 1 2 3; do
	seq=$(uniq "$WORK/seen$id.log" | tr '\n' ',')
	[ "$seq" = "1 h1,2 h2," ] || fail "host $id saw owners: $seq"
done
t_log "T tried $(grep -c 'ERR EAGAIN' "$WORK/thief.log") times and never won"
kill -TERM "$dst"
wait "$dst"
t_wait_for 10 bash -c "[ \"\$(cat $MNT_3/vm1/owner)\" = free ]" || fail "D's close did not release"
