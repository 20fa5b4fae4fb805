# Stock libvirtd with lock_manager "leasefs": suspend/resume and a libvirtd restart keep the lease; a migration whose destination fails, and one cancelled with domjobabort, leave the guest running on the source with its lease at the same generation, also when the destination dies after the source paused; SIGKILL of the source's leasefs daemon kills the guest before host 2 can start it.
# SPDX-License-Identifier: GPL-2.0-or-later
# run-all: alone (libvirt's fixed migration ports and /etc/libvirt overlay)
# It was out of `make check` for a while: beside load it failed at "vm2 not
# owned by A again", on a real hole: QEMU resumed the source by itself after
# a migration that failed past the plugin's transfer at the source's pause,
# leaving the guest without its lease.  The plugin now only arms a handover
# at the pause (t-virt-self-resume.sh reproduces that case every time).
# Two libvirtd instances (hosts 1 and 2, tests/integration/virt.sh).
# io_timeout 2 s: host_dead is 16 s (8 io), the wait of the last step.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/virt.sh"
virt_require
t_setup
DEV=$WORK/dev.img
"$LEASEFS" format rig "$DEV" --size 64M --hosts 8 --leases 32 --io-timeout 2 || fail "format"
for id in 1 2; do t_mount "$id" "$DEV"; done
for n in 1 2; do virt_config "$n" leasefs; virt_start "$n"; done
virt_guest vm1 "$WORK/vm1.img" vm1
virt_guest vm2 "$WORK/vm2.img" vm2 1 # never converges at 1 MiB/s
sed -e "s|$WORK/vm1.img|$WORK/other.img|" -e '/<uuid>/d' "$WORK/vm1.xml" >"$WORK/other.xml"
truncate -s 1M "$WORK/other.img"

owner() { cat "$MNT_2/$1/owner"; }
gen() { sed -n 's/^generation: //p' "$MNT_1/$1/state"; }
holder_is() { grep -qx "holders: $3" "$(eval echo "\$MNT_$1")/$2/state"; }

vsh 1 create "$WORK/vm1.xml" >/dev/null || fail "start vm1 on A"
g=$(gen vm1)

# suspend and resume: the paused guest keeps its lease
vsh 1 suspend vm1 >/dev/null || fail "suspend"
[ "$(virt_state 1 vm1)" = paused ] || fail "vm1 not paused"
[ "$(owner vm1)" = "1 h1" ] && [ "$(gen vm1)" = "$g" ] || fail "suspend changed the lease"
vsh 1 resume vm1 >/dev/null || fail "resume: $(tail -n 2 "$WORK/v1/plugin.log")"
[ "$(virt_state 1 vm1)" = running ] || fail "vm1 not running after resume"
t_log "suspend/resume kept the lease at generation $g"

# libvirtd restart: no lock call, QEMU still holds the lease
virt_stop 1
holder_is 1 vm1 "$(virt_qemu_pid 1 vm1)" || fail "the lease left QEMU with libvirtd stopped"
virt_start 1
[ "$(virt_state 1 vm1)" = running ] || fail "vm1 lost by the libvirtd restart"
t_log "libvirtd restart: vm1 runs and holds its lease"

# a destination that fails: host 2's lockspace is not served (its daemon
# stopped); the migration fails before the source pauses
t_umount 2
if virt_migrate 1 2 vm1 2>"$WORK/mig1.err"; then fail "migration to a host without its lockspace succeeded"; fi
[ "$(virt_state 1 vm1)" = running ] || fail "vm1 not running on A after the failed migration"
[ -z "$(vsh 2 list --name)" ] || fail "B runs a guest"
t_mount 2 "$DEV"
[ "$(owner vm1)" = "1 h1" ] && [ "$(gen vm1)" = "$g" ] || fail "the failed migration changed the lease"
t_log "destination without its lockspace: $(tr '\n' ' ' <"$WORK/mig1.err" | cut -c1-120)"
# B's daemon restarted, but libvirtd 2 still has the old mount's copy in
# its namespace: restart it too, as an admin would
virt_stop 2
virt_start 2

# a destination whose QEMU dies during the copy: the source keeps running
vsh 1 create "$WORK/vm2.xml" >/dev/null || fail "start vm2 on A"
g2=$(gen vm2)
t_bg mig2 virsh -q -c "$(virt_uri 1)" migrate --live --p2p --unsafe --bandwidth 1 vm2 "$(virt_uri 2)" tcp://127.0.0.1
mig=$T_LAST_PID
t_wait_for 60 grep -qx 'request: 2 h2' "$MNT_1/vm2/state" || fail "B did not request vm2"
t_wait_for 30 test -n "$(virt_qemu_pid 2 vm2)" || fail "no QEMU for vm2 on B"
kill -KILL "$(virt_qemu_pid 2 vm2)"
t_wait_for 60 t_gone "$mig" || fail "migration did not end"
wait "$mig" && fail "migration succeeded with its destination killed"
[ "$(virt_state 1 vm2)" = running ] || fail "vm2 not running on A after its destination died"
t_wait_for 10 grep -qx 'request: none' "$MNT_1/vm2/state" || fail "the dead destination's request stays"
[ "$(owner vm2)" = "1 h1" ] && [ "$(gen vm2)" = "$g2" ] || fail "the failed migration changed vm2's lease"
t_log "destination QEMU killed during the copy: vm2 runs on A, lease unchanged"

# a cancelled migration: domjobabort during the copy
t_bg mig3 virsh -q -c "$(virt_uri 1)" migrate --live --p2p --unsafe --bandwidth 1 vm2 "$(virt_uri 2)" tcp://127.0.0.1
mig=$T_LAST_PID
t_wait_for 60 grep -qx 'request: 2 h2' "$MNT_1/vm2/state" || fail "B did not request vm2"
t_wait_for 30 eval 'vsh 1 domjobinfo vm2 | grep -q Unbounded' || fail "no migration job on A"
vsh 1 domjobabort vm2 || fail "domjobabort"
t_wait_for 60 t_gone "$mig" || fail "migration did not end"
wait "$mig" && fail "migration succeeded after domjobabort"
[ "$(virt_state 1 vm2)" = running ] || fail "vm2 not running on A after the abort"
t_wait_for 30 eval '[ -z "$(vsh 2 list --name)" ]' || fail "B still runs vm2"
t_wait_for 10 grep -qx 'request: none' "$MNT_1/vm2/state" || fail "the cancelled destination's request stays"
[ "$(owner vm2)" = "1 h1" ] && [ "$(gen vm2)" = "$g2" ] || fail "the cancel changed vm2's lease"
# and it still migrates afterwards (the status XML no longer says so: a
# later pause is not taken for a migration)
vsh 1 suspend vm2 >/dev/null && vsh 1 resume vm2 >/dev/null || fail "suspend/resume after the abort"
[ "$(owner vm2)" = "1 h1" ] || fail "a pause after the abort moved the lease"
t_log "cancelled migration: vm2 ran on A throughout, lease unchanged"

# a destination that fails after the source paused: B's libvirtd is
# stopped (SIGSTOP) once the copy runs, so that the source's Finish call
# waits; the copy is let converge, the source pauses and arms a handover to
# B (the lease does not move: B's libvirtd cannot claim it), B's QEMU is
# killed, then B's libvirtd goes on.  Whether the kill came while the last
# state was sent (QEMU then resumes the source by itself) or after (B's
# Finish fails, libvirt resumes the source), the source's QEMU runs and
# holds the lease at its generation, as before the migration.
# (t-virt-self-resume.sh makes the first case happen every time.)
g2=$(gen vm2)
qa2=$(virt_qemu_pid 1 vm2)
t_bg mig4 virsh -q -c "$(virt_uri 1)" migrate --live --p2p --unsafe --bandwidth 1 vm2 "$(virt_uri 2)" tcp://127.0.0.1
mig=$T_LAST_PID
t_wait_for 60 grep -qx 'request: 2 h2' "$MNT_1/vm2/state" || fail "B did not request vm2"
# the copy runs (QEMU's migration is active: libvirt's Prepare on B has
# returned, the source is in its Perform phase)
copying() { vsh 1 domjobinfo vm2 | grep -Eq '^Data processed: +[0-9.]*[1-9]'; }
t_wait_for 30 copying || fail "no copy of vm2 running: $(vsh 1 domjobinfo vm2)"
kill -STOP "$LVPID_2"
T_CLEANUP_FIRST+=("kill -CONT $LVPID_2")
qb=$(virt_qemu_pid 2 vm2)
vsh 1 migrate-setmaxdowntime vm2 60000 || fail "migrate-setmaxdowntime"
t_wait_for 60 grep -q 'handover of lease vm2 to host 2 armed' "$WORK/v1/plugin.log" || fail "no handover armed"
[ "$(owner vm2)" = "1 h1" ] || fail "vm2 moved before B claimed it: $(owner vm2)"
kill -KILL "$qb"
kill -CONT "$LVPID_2"
t_wait_for 90 t_gone "$mig" || fail "migration did not end"
wait "$mig" && fail "migration succeeded with its destination killed after the pause"
t_wait_for 30 eval '[ "$(virt_state 1 vm2)" = running ]' || fail "vm2 not running on A: $(virt_state 1 vm2)"
[ "$(owner vm2)" = "1 h1" ] && [ "$(gen vm2)" = "$g2" ] || fail "vm2 not held by A at generation $g2: $(owner vm2), $(gen vm2)"
holder_is 1 vm2 "$qa2" || fail "vm2 not held by A's QEMU: $(cat "$MNT_1/vm2/state")"
t_wait_for 10 grep -qx 'handover: none' "$MNT_1/vm2/state" || fail "the handover stays armed"
vsh 1 destroy vm2 >/dev/null
t_wait_for 10 bash -c "[ \"\$(cat $MNT_1/vm2/owner)\" = free ]" || fail "destroy did not free vm2"
t_log "destination killed after the source paused: A runs vm2 with its lease, never moved"

# SIGKILL of A's leasefs daemon: its guard kills QEMU, then host 2 may
# start the guest once host 1 is dead (host_dead after its last renewal)
qa=$(virt_qemu_pid 1 vm1)
t_bg tryb bash -c "while :; do if virsh -q -c '$(virt_uri 2)' create $WORK/other.xml >/dev/null 2>&1; then echo started \$(t_now_ms); break; fi; echo refused \$(t_now_ms); done"
t_wait_for 60 grep -qs '^refused' "$WORK/tryb.log" || fail "B is not trying"
kill -KILL "$PID_1"
killed=$(t_now_ms)
t_wait_for 60 t_gone "$qa" || fail "A's QEMU survived its leasefs daemon"
gone=$(t_now_ms)
t_wait_for 90 grep -q '^started' "$WORK/tryb.log" || fail "B never started the guest"
started=$(awk '/^started/ {print $2}' "$WORK/tryb.log")
[ "$started" -gt "$gone" ] || fail "B started the guest at $started, before A's QEMU was gone at $gone"
[ "$(virt_state 2 vm1)" = running ] || fail "the guest is not running on B"
t_log "daemon SIGKILL: A's QEMU gone after $((gone - killed)) ms, B started it $((started - killed)) ms after the kill ($(grep -c refused "$WORK/tryb.log") refused starts)"
echo PASS
