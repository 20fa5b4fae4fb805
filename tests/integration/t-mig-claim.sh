# The armed handover (ctl handover / claim / keep): the lease stays with the source, usable, until the destination claims it; a withdrawn request disarms it, so that a later request (not a claim) moves nothing; keep disarms; a claim moves it at once, from holder to incoming file.
# SPDX-License-Identifier: GPL-2.0-or-later
# This is what the libvirt plugin does in a migration (leasefs-libvirt(8)):
# the source arms at its pause and the destination claims in its Finish.
# io_timeout 2 s: nothing here waits for a deadline.
source "$(dirname "$0")/lib.sh"
t_setup
DEV=$WORK/dev.img
OPEN=$TOOLS/lfs-open
"$LEASEFS" format mig "$DEV" --size 64M --hosts 8 --leases 32 --io-timeout 2 || fail "format"
for id in 1 2 3; do t_mount "$id" "$DEV"; done
mkdir "$MNT_1/vm1" || fail "mkdir"
gen() { sed -n 's/^generation: //p' "$MNT_1/vm1/state"; }
owner_is() { [ "$(cat "$MNT_3/vm1/owner")" = "$1" ]; }

t_bg src "$OPEN" "$MNT_1/vm1/lock"
src=$T_LAST_PID
t_wait_for 10 grep -q '^opened' "$WORK/src.log" || fail "host 1 did not get the lease"
g=$(gen)

# no request from host 2 yet: nothing to arm; a claim needs a request
expect_fail "Destination address required" bash -c "echo 'handover 2' >$MNT_1/vm1/ctl"
expect_fail "Operation not permitted" bash -c "echo claim >$MNT_2/vm1/ctl"
expect_fail "Operation not permitted" bash -c "echo keep >$MNT_2/vm1/ctl"

t_bg dst "$OPEN" "$MNT_2/vm1/incoming"
dst=$T_LAST_PID
t_wait_for 10 grep -qx 'request: 2 h2' "$MNT_1/vm1/state" || fail "no request from host 2"
echo "handover 2" >"$MNT_1/vm1/ctl" || fail "handover 2"
echo "handover 2" >"$MNT_1/vm1/ctl" || fail "handover 2 again (idempotent)"
grep -qx 'handover: 2 h2' "$MNT_1/vm1/state" || fail "state does not show the handover: $(cat "$MNT_1/vm1/state")"
expect_fail "Destination address required" bash -c "echo 'handover 3' >$MNT_1/vm1/ctl"
# armed, not moved: host 1's watcher reads the request every millisecond;
# after many of its passes (its log lines would say otherwise) the source
# still holds, and its holder still reads held
for _ in $(seq 20); do
	owner_is "1 h1" || fail "the lease moved without a claim"
	sleep 0.05
done
case "$(t_peek src "$src")" in held*) ;; *) fail "the source's lock file does not say held" ;; esac

# the destination goes away (its QEMU died): request withdrawn, disarmed
kill -TERM "$dst"
wait "$dst"
t_wait_for 10 grep -q 'handover to host 2 dropped' "$WORK/host1.log" || fail "handover not dropped"
grep -qx 'handover: none' "$MNT_1/vm1/state" || fail "still armed after the request went"
# a new request of host 2, and even its claim, move nothing now
t_bg dst2 "$OPEN" "$MNT_2/vm1/incoming"
dst2=$T_LAST_PID
t_wait_for 10 grep -qx 'request: 2 h2' "$MNT_1/vm1/state" || fail "no second request"
echo claim >"$MNT_2/vm1/ctl" || fail "claim without an armed handover"
t_wait_for 10 grep -q 'vm1: claimed' "$WORK/host2.log" || fail "host 2 did not claim"
for _ in $(seq 20); do
	owner_is "1 h1" || fail "a claim moved a lease with no handover armed"
	sleep 0.05
done

# keep disarms; it answers 0 only while held here
echo "handover 2" >"$MNT_1/vm1/ctl" || fail "handover 2 (second)"
echo keep >"$MNT_1/vm1/ctl" || fail "keep"
grep -qx 'handover: none' "$MNT_1/vm1/state" || fail "keep did not disarm"
echo claim >"$MNT_2/vm1/ctl" || fail "claim after keep"
for _ in $(seq 20); do
	owner_is "1 h1" || fail "a claim moved a kept lease"
	sleep 0.05
done
[ "$(gen)" = "$g" ] || fail "the generation moved: $(gen), was $g"

# armed again, then claimed: it moves at once, from holder to incoming
echo "handover 2" >"$MNT_1/vm1/ctl" || fail "handover 2 (third)"
echo claim >"$MNT_2/vm1/ctl" || fail "claim"
t_wait_for 10 owner_is "2 h2" || fail "the claim did not move the lease: $(cat "$MNT_3/vm1/owner")"
t_wait_for 10 eval 'case "$(t_peek dst2 "$dst2")" in held*) true ;; *) false ;; esac' || fail "host 2's incoming does not say held"
[ "$(t_peek src "$src")" = lost ] || fail "host 1's lock file does not say lost"
[ "$(sed -n 's/^generation: //p' "$MNT_2/vm1/state")" = $((g + 1)) ] || fail "not exactly one transfer"
grep -q 'host 2 claimed it: transferring' "$WORK/host1.log" || fail "host 1's log does not say why it moved"
expect_fail "Operation not permitted" bash -c "echo keep >$MNT_1/vm1/ctl"
# a claim on a lease already here is a no-op
echo claim >"$MNT_2/vm1/ctl" || fail "claim of a lease held here"
kill -TERM "$src" "$dst2"
wait "$src" "$dst2" 2>/dev/null
t_wait_for 10 owner_is free || fail "not free after the holder left"
echo PASS
