# Issue 15's caches at a small size: host 2's cached name table follows host 1's rmdir and mkdir (a name gone, a freed slot reused under another name, the old name made again in another slot), and a host that joins above every id the others know and holds a lease at once is seen by another host's ballot as the live owner (core/paxos.h invariant 4), not as a dead or unknown one.
# SPDX-License-Identifier: GPL-2.0-or-later
source "$(dirname "$0")/lib.sh"
t_setup
DEV=$WORK/dev.img
"$LEASEFS" format scale "$DEV" --size 64M --hosts 64 --leases 32 --io-timeout 1 || fail "format"
t_mount 1 "$DEV"
t_mount 2 "$DEV"
slot() { echo $(( $(stat -c %i "$1") >> 3 )); }

# ---- the name table, cached on host 2 ----
mkdir "$MNT_1/a" "$MNT_1/b" || fail "mkdir a b"
sa=$(slot "$MNT_2/a") || fail "host 2 does not see a"
[ "$(cat "$MNT_2/b/owner")" = free ] || fail "host 2: b not free"
rmdir "$MNT_1/a" || fail "rmdir a"
# (the kernel keeps a looked-up name up to 1 s: entry_timeout)
t_wait_for 5 bash -c "! stat '$MNT_2/a' >/dev/null 2>&1" || fail "host 2 still sees a after its rmdir on host 1"
mkdir "$MNT_1/c" || fail "mkdir c"
sc=$(slot "$MNT_1/c")
[ "$sc" = "$sa" ] || t_log "c took slot $sc, not a's freed $sa"
mkdir "$MNT_1/a" || fail "mkdir a again"
sa2=$(slot "$MNT_1/a")
t_wait_for 5 bash -c "[ \"\$(( \$(stat -c %i '$MNT_2/c' 2>/dev/null || echo 0) >> 3 ))\" = $sc ]" ||
    fail "host 2 does not see c in slot $sc"
t_wait_for 5 bash -c "[ \"\$(( \$(stat -c %i '$MNT_2/a' 2>/dev/null || echo 0) >> 3 ))\" = $sa2 ]" ||
    fail "host 2 does not see the new a in slot $sa2"
inc1=$(awk '/^incarnation:/ { print $2 }' "$MNT_1/c/state")
inc2=$(awk '/^incarnation:/ { print $2 }' "$MNT_2/c/state")
[ -n "$inc1" ] && [ "$inc1" = "$inc2" ] || fail "c's incarnation: host 1 $inc1, host 2 $inc2"
# a lease operation through host 2's cache lands on the right slot
echo acquire >"$MNT_2/c/ctl" || fail "host 2: acquire c"
[ "$(cat "$MNT_1/c/owner")" = "2 h2" ] || fail "host 1 sees c owned by $(cat "$MNT_1/c/owner")"
[ "$(cat "$MNT_1/a/owner")" = free ] || fail "host 1 sees a owned by $(cat "$MNT_1/a/owner")"
echo release >"$MNT_2/c/ctl" || fail "host 2: release c"
t_log "host 2's cache followed: a gone, c in slot $sc (a's was $sa), a again in slot $sa2"

# ---- a joiner above every known id ----
mkdir "$MNT_1/vm" || fail "mkdir vm"
t_mount 50 "$DEV"
echo acquire >"$MNT_50/vm/ctl" || fail "host 50: acquire vm"
# host 1 knew ids 1 and 2 only (its renewals read that window): its
# ballot must see 50's new record, so 50 owns vm, live
out=$("$TOOLS/lfs-open" -n "$MNT_1/vm/lock" 0 2>&1) && fail "host 1 took vm from host 50, which holds it: $out"
case $out in *EWOULDBLOCK*|*EAGAIN*) ;; *) fail "host 1's non-blocking open: $out" ;; esac
[ "$(cat "$MNT_1/vm/owner")" = "50 h50" ] || fail "host 1 sees vm owned by $(cat "$MNT_1/vm/owner")"
grep -q "^50 " "$MNT_1/.hosts" || fail "host 1's .hosts lacks host 50: $(cat "$MNT_1/.hosts")"
echo release >"$MNT_50/vm/ctl" || fail "host 50: release vm"
t_wait_for 10 bash -c "echo acquire > '$MNT_1/vm/ctl'" || fail "host 1 could not acquire vm after host 50 released it"
echo release >"$MNT_1/vm/ctl" || fail "host 1: release vm"
t_log "host 50 joined above the window and held vm; host 1's ballot saw it live"
t_umount 50
t_umount 2
t_umount 1
