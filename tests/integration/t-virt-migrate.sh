# Stock libvirtd with lock_manager "leasefs": a start takes the lease and a second start elsewhere is refused; a live migration A->B hands it over in one transfer (armed at A's pause, done at B's claim before its cont) while host 3 tries to take it all along, every host's owner going exactly A then B; then back B->A.
# SPDX-License-Identifier: GPL-2.0-or-later
# run-all: alone (libvirt's fixed migration ports and /etc/libvirt overlay)
# Two libvirtd instances (hosts 1 and 2, tests/integration/virt.sh), a
# plain leasefs host 3 as the third party.  io_timeout 2 s: nothing here
# waits for a deadline.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/virt.sh"
virt_require
t_setup
DEV=$WORK/dev.img
OPEN=$TOOLS/lfs-open
"$LEASEFS" format rig "$DEV" --size 64M --hosts 8 --leases 32 --io-timeout 2 || fail "format"
for id in 1 2 3; do t_mount "$id" "$DEV"; done
for n in 1 2; do virt_config "$n" leasefs; virt_start "$n"; done
virt_guest vm1 "$WORK/vm1.img" vm1
# the same lease on another disk image: QEMU's own image locking would
# refuse a second QEMU on vm1.img before the lock manager is asked
sed -e "s|$WORK/vm1.img|$WORK/other.img|" -e '/<uuid>/d' "$WORK/vm1.xml" >"$WORK/other.xml"
truncate -s 1M "$WORK/other.img"

owner() { cat "$1/vm1/owner"; }

# 1. a start on A acquires before the CPUs run
vsh 1 create "$WORK/vm1.xml" >/dev/null || fail "start on A: $(tail -n 3 "$WORK/v1/plugin.log")"
[ "$(virt_state 1 vm1)" = running ] || fail "vm1 not running on A"
[ "$(owner "$MNT_3")" = "1 h1" ] || fail "owner after start on A: $(owner "$MNT_3")"
qa=$(virt_qemu_pid 1 vm1)
grep -qx "holders: $qa" "$MNT_1/vm1/state" || fail "A's QEMU ($qa) is not the holder: $(grep holders "$MNT_1/vm1/state")"
gen0=$(sed -n 's/^generation: //p' "$MNT_1/vm1/state")
t_log "started on A, QEMU $qa holds vm1 at generation $gen0"

# 2. a start on B is refused, and nothing changes because of it
if vsh 2 create "$WORK/other.xml" >"$WORK/refused.out" 2>&1; then
	fail "start on B succeeded while A holds the lease"
fi
[ -z "$(vsh 2 list --name)" ] || fail "B runs a guest after the refused start"
[ "$(owner "$MNT_3")" = "1 h1" ] || fail "owner changed by the refused start"
[ "$(sed -n 's/^generation: //p' "$MNT_1/vm1/state")" = "$gen0" ] || fail "generation changed by the refused start"
t_wait_for 10 grep -qx 'request: none' "$MNT_1/vm1/state" || fail "the refused start left a request"
t_log "start on B refused: $(tr '\n' ' ' <"$WORK/refused.out" | cut -c1-160)"

# 3. migrate A -> B while host 3 tries to take the lease the whole time
for id in 1 2 3; do
	eval "m=\$MNT_$id"
	t_bg "seen$id" "$TOOLS/lfs-watch" "$m/vm1/owner"
	watchers+=("$T_LAST_PID")
done
t_bg thief bash -c "while :; do $OPEN -n $MNT_3/vm1/lock 0; echo acquire > $MNT_3/vm1/ctl 2>/dev/null && echo CTL-ACQUIRED; done"
thief=$T_LAST_PID
tries() { grep -c 'ERR EAGAIN' "$WORK/thief.log"; }
t_wait_for 20 eval '[ "$(tries)" -ge 3 ]' || fail "host 3 is not trying: $(head -n 3 "$WORK/thief.log")"
for id in 1 2 3; do
	t_wait_for 20 grep -q ' 1 h1$' "$WORK/seen$id.log" || fail "host $id's watcher saw nothing"
done
virt_migrate 1 2 vm1 || fail "migration A->B failed: $(tail -n 5 "$WORK/v1/plugin.log")"
[ "$(virt_state 2 vm1)" = running ] || fail "vm1 not running on B"
[ -z "$(vsh 1 list --name)" ] || fail "vm1 still on A"
qb=$(virt_qemu_pid 2 vm1)
t_wait_for 10 grep -qx "holders: $qb" "$MNT_2/vm1/state" || fail "B's QEMU ($qb) is not the holder"
gen1=$(sed -n 's/^generation: //p' "$MNT_2/vm1/state")
[ "$gen1" = $((gen0 + 1)) ] || fail "generation $gen0 -> $gen1: not one transfer"
n=$(tries)
t_wait_for 20 eval '[ "$(tries)" -ge $((n + 3)) ]' || fail "host 3 stopped trying"
kill -TERM "$thief" "${watchers[@]}"
wait "$thief" "${watchers[@]}" 2>/dev/null
! grep -q CTL-ACQUIRED "$WORK/thief.log" || fail "host 3 acquired the lease"
for id in 1 2 3; do
	seq=$(cut -d' ' -f2- "$WORK/seen$id.log" | tr '\n' '|')
	[ "$seq" = "1 h1|2 h2|" ] || fail "host $id saw the owner go: $seq"
done
grep -q 'handover of lease vm1 to host 2 armed' "$WORK/v1/plugin.log" || fail "no handover armed in A's plugin log"
grep -q 'vm1: host 2 claimed it: transferring' "$WORK/host1.log" || fail "A's daemon did not transfer at B's claim"
t_log "migrated A->B: generation $gen0 -> $gen1, host 3 refused $(tries) times"

# 4. and back B -> A
virt_migrate 2 1 vm1 || fail "migration B->A failed: $(tail -n 5 "$WORK/v2/plugin.log")"
[ "$(virt_state 1 vm1)" = running ] || fail "vm1 not running on A again"
[ "$(owner "$MNT_3")" = "1 h1" ] || fail "owner after migrating back: $(owner "$MNT_3")"
qa=$(virt_qemu_pid 1 vm1)
t_wait_for 10 grep -qx "holders: $qa" "$MNT_1/vm1/state" || fail "A's new QEMU is not the holder"
[ "$(sed -n 's/^generation: //p' "$MNT_1/vm1/state")" = $((gen1 + 1)) ] || fail "generation after B->A"

# 5. destroy releases (no lock call: QEMU's exit does it)
vsh 1 destroy vm1 >/dev/null || fail "destroy"
t_wait_for 10 bash -c "[ \"\$(cat $MNT_3/vm1/owner)\" = free ]" || fail "lease not free after destroy"
t_log "migrated back B->A; destroy freed the lease"
echo "PASS"
