# Stock libvirtd with lock_manager "leasefs": a migration that fails after the source paused (its destination's QEMU stopped, then killed, while the source sends the last state) ends with QEMU resuming the source guest by itself, with no lock-manager call; the source's QEMU still holds the lease at the same generation, and no host ever saw it free or owned elsewhere.
# SPDX-License-Identifier: GPL-2.0-or-later
# run-all: alone (libvirt's fixed migration ports and /etc/libvirt overlay)
# The plugin used to transfer at the source's pause: here that left the
# resumed guest without its lease (owner free once the destination died),
# so a third host could start a second copy.  It now only arms a handover
# there; the lease moves when the destination claims it in its Finish.
# Hosts 1 and 2 run libvirtd (tests/integration/virt.sh); host 3 watches.
# io_timeout 2 s: nothing here waits for a deadline.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/virt.sh"
virt_require
t_setup
DEV=$WORK/dev.img
"$LEASEFS" format rig "$DEV" --size 64M --hosts 8 --leases 32 --io-timeout 2 || fail "format"
for id in 1 2 3; do t_mount "$id" "$DEV"; done
for n in 1 2; do virt_config "$n" leasefs; virt_start "$n"; done
virt_guest vm2 "$WORK/vm2.img" vm2 1 # never converges at 1 MiB/s
gen() { sed -n 's/^generation: //p' "$MNT_1/vm2/state"; }

vsh 1 create "$WORK/vm2.xml" >/dev/null || fail "start vm2 on A: $(tail -n 3 "$WORK/v1/plugin.log")"
g=$(gen)
qa=$(virt_qemu_pid 1 vm2)
# every owner host 3 sees, from now to the end
t_bg seen bash -c "while :; do cat $MNT_3/vm2/owner; done"
seen=$T_LAST_PID
t_wait_for 20 grep -qx '1 h1' "$WORK/seen.log" || fail "host 3 sees no owner"

t_bg mig virsh -q -c "$(virt_uri 1)" migrate --live --p2p --unsafe --bandwidth 1 vm2 "$(virt_uri 2)" tcp://127.0.0.1
mig=$T_LAST_PID
t_wait_for 60 grep -qx 'request: 2 h2' "$MNT_1/vm2/state" || fail "B did not request vm2"
copying() { vsh 1 domjobinfo vm2 | grep -Eq '^Data processed: +[0-9.]*[1-9]'; }
t_wait_for 30 copying || fail "no copy of vm2 running: $(vsh 1 domjobinfo vm2)"
# B's QEMU stops reading: at 1 MiB/s the socket buffers take seconds to
# fill, so A's migration thread still runs and, told that any downtime
# will do, pauses the guest and starts sending the rest (64 MiB of dirty
# memory: far more than the buffers), which blocks
qb=$(virt_qemu_pid 2 vm2)
kill -STOP "$qb"
T_CLEANUP_FIRST+=("kill -CONT $qb")
vsh 1 migrate-setmaxdowntime vm2 60000 || fail "migrate-setmaxdowntime"
t_wait_for 60 eval '[ "$(virt_state 1 vm2)" = paused ]' || fail "A did not pause vm2: $(virt_state 1 vm2)"
# the plugin's Release at that pause has run (it logs either way)
t_wait_for 30 grep -Eq 'vm2: (handover of lease vm2 to host 2 armed|transferred lease vm2)' "$WORK/v1/plugin.log" || fail "no Release at A's pause: $(tail -n 3 "$WORK/v1/plugin.log")"
[ "$(virt_state 1 vm2)" = paused ] || fail "vm2 no longer paused on A before B died"
kill -KILL "$qb"
t_wait_for 90 t_gone "$mig" || fail "migration did not end"
wait "$mig" && fail "migration succeeded with its destination killed"
t_wait_for 30 eval '[ "$(virt_state 1 vm2)" = running ]' || fail "vm2 not running on A: $(virt_state 1 vm2)"
grep -q 'unpaused' "$WORK/v1/libvirtd.log" && t_log "QEMU resumed the source by itself (libvirtd.log: unpaused)"
# the guest runs on A: its QEMU must hold the lease, as before
[ "$(cat "$MNT_1/vm2/owner")" = "1 h1" ] || fail "vm2 runs on A, but its lease is $(cat "$MNT_1/vm2/owner")"
[ "$(gen)" = "$g" ] || fail "the lease's generation moved: $(gen), was $g"
grep -qx "holders: $qa" "$MNT_1/vm2/state" || fail "A's QEMU ($qa) is not the holder: $(cat "$MNT_1/vm2/state")"
t_wait_for 30 grep -qx 'request: none' "$MNT_1/vm2/state" || fail "the dead destination's request stays"
t_wait_for 10 grep -qx 'handover: none' "$MNT_1/vm2/state" || fail "the handover stays armed: $(cat "$MNT_1/vm2/state")"
kill -TERM "$seen"
wait "$seen" 2>/dev/null
others=$(grep -vx '1 h1' "$WORK/seen.log" | sort | uniq -c | tr '\n' ' ')
[ -z "$others" ] || fail "host 3 saw other owners of vm2: $others"
t_log "destination killed after A paused: vm2 runs on A, lease held at generation $g throughout ($(wc -l <"$WORK/seen.log") reads on host 3)"

# and it still migrates: the handover moves the lease at B's claim
vsh 1 migrate-setmaxdowntime vm2 300 >/dev/null 2>&1
virsh -q -c "$(virt_uri 2)" list --all >/dev/null
virt_guest vm1 "$WORK/vm1.img" vm1
vsh 1 create "$WORK/vm1.xml" >/dev/null || fail "start vm1 on A"
g1=$(sed -n 's/^generation: //p' "$MNT_1/vm1/state")
virt_migrate 1 2 vm1 || fail "migration of vm1: $(tail -n 5 "$WORK/v1/plugin.log")"
[ "$(virt_state 2 vm1)" = running ] || fail "vm1 not running on B"
[ "$(cat "$MNT_3/vm1/owner")" = "2 h2" ] || fail "vm1 not owned by B: $(cat "$MNT_3/vm1/owner")"
[ "$(sed -n 's/^generation: //p' "$MNT_2/vm1/state")" = $((g1 + 1)) ] || fail "not exactly one transfer"
grep -q 'vm1: claimed' "$WORK/host2.log" || fail "B did not claim vm1"
grep -q 'vm1: host 2 claimed it: transferring' "$WORK/host1.log" || fail "A did not transfer at the claim"
t_log "vm1 migrated A -> B with one transfer at B's claim"
echo PASS
