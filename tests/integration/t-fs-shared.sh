# Shared holds: lock opened O_RDONLY on two hosts (and twice on one) holds the lease shared at once; an exclusive open waits (O_NONBLOCK: EAGAIN) until every shared holder closed; a shared open waits while an exclusive holder holds; owner, state, status and ctl `acquire shared`/`release shared` show and take shared holds.
# SPDX-License-Identifier: GPL-2.0-or-later
# io_timeout 2 s: nothing here waits for a deadline; a longer one keeps a
# loaded machine from failing lease operations or fencing a host.
source "$(dirname "$0")/lib.sh"
t_setup
DEV=$WORK/dev.img
OPEN=$TOOLS/lfs-open
"$LEASEFS" format sh "$DEV" --size 64M --hosts 8 --leases 32 --io-timeout 2 || fail "format"
t_mount 1 "$DEV"
t_mount 2 "$DEV"
t_mount 3 "$DEV"
mkdir "$MNT_1/disk" || fail "mkdir"

owner_is() { [ "$(cat "$1/disk/owner")" = "$2" ]; }

# ---- two hosts (one with two holders) hold it shared at once
t_bg s1a "$OPEN" -r "$MNT_1/disk/lock"
s1a=$T_LAST_PID
t_wait_for 10 grep -q '^opened' "$WORK/s1a.log" || fail "host 1 shared open: $(cat "$WORK/s1a.log")"
t_bg s1b "$OPEN" -r -n "$MNT_1/disk/lock"
s1b=$T_LAST_PID
t_wait_for 10 grep -q '^opened' "$WORK/s1b.log" || fail "host 1 second shared open: $(cat "$WORK/s1b.log")"
t_bg s2 "$OPEN" -r -n "$MNT_2/disk/lock"
s2=$T_LAST_PID
t_wait_for 10 grep -q '^opened' "$WORK/s2.log" || fail "host 2 shared open: $(cat "$WORK/s2.log")"
owner_is "$MNT_3" "shared 1 2" || fail "owner on host 3: $(cat "$MNT_3/disk/owner")"
grep -q '^state: shared$' "$MNT_3/disk/state" || fail "state on host 3: $(cat "$MNT_3/disk/state")"
grep -q '^shared: 1 h1 2 h2$' "$MNT_3/disk/state" || fail "shared line on host 3: $(cat "$MNT_3/disk/state")"
grep -q '^state: held shared here$' "$MNT_1/disk/state" || fail "state on host 1: $(cat "$MNT_1/disk/state")"
grep -q "^holders: .*$s1a" "$MNT_1/disk/state" || fail "holders on host 1: $(cat "$MNT_1/disk/state")"
line=$(t_peek s1a "$s1a") || fail "host 1 holder could not read its lock"
case "$line" in "shared "[0-9]*) ;; *) fail "host 1 lock reads '$line'" ;; esac
grep -q '^leases_held_shared: 1$' "$MNT_2/.status" || fail ".status on host 2: $(cat "$MNT_2/.status")"

# a shared holder may not write the value (its descriptor is read-only;
# ctl-held shared: EPERM through value)
echo "acquire shared" >"$MNT_3/disk/ctl" || fail "ctl acquire shared on host 3"
owner_is "$MNT_1" "shared 1 2 3" || fail "owner with host 3's ctl hold: $(cat "$MNT_1/disk/owner")"
echo "acquire shared" >"$MNT_3/disk/ctl" || fail "ctl acquire shared again is not 0"
expect_fail "Operation not permitted" bash -c "printf v >'$MNT_3/disk/value'"
expect_fail "Device or resource busy" bash -c "echo acquire >'$MNT_3/disk/ctl'"
expect_fail "Operation not permitted" bash -c "echo release >'$MNT_3/disk/ctl'"
echo "release shared" >"$MNT_3/disk/ctl" || fail "ctl release shared"
expect_fail "Operation not permitted" bash -c "echo 'release shared' >'$MNT_3/disk/ctl'"
t_wait_for 10 owner_is "$MNT_1" "shared 1 2" || fail "owner after host 3's release: $(cat "$MNT_1/disk/owner")"
out=$("$OPEN" -r "$MNT_3/disk/incoming" 0)
[ "$out" = "ERR EINVAL" ] || fail "read-only open of incoming: $out"

# ---- an exclusive open waits for every shared holder
out=$("$OPEN" -n "$MNT_3/disk/lock" 0)
[ "$out" = "ERR EAGAIN" ] || fail "non-blocking exclusive open on host 3: $out"
out=$("$OPEN" -n "$MNT_1/disk/lock" 0)
[ "$out" = "ERR EAGAIN" ] || fail "non-blocking exclusive open on host 1 (no upgrade): $out"
t_bg ex3 "$OPEN" "$MNT_3/disk/lock"
ex3=$T_LAST_PID
t_wait_for 20 t_in_syscall "$ex3" openat || fail "host 3's exclusive open is not waiting: $(cat "$WORK/ex3.log")"
kill -TERM "$s1a"
wait "$s1a"
# host 1 still holds through its second holder: its mode stays set
sleep 0.5   # a wrong release would show within one retry (20 ms)
owner_is "$MNT_3" "shared 1 2" || fail "host 1's mode dropped with a holder left: $(cat "$MNT_3/disk/owner")"
grep -q opened "$WORK/ex3.log" && fail "exclusive open won while two hosts held shared"
kill -TERM "$s1b"
wait "$s1b"
t_wait_for 10 owner_is "$MNT_3" "shared 2" || fail "owner after host 1 closed: $(cat "$MNT_3/disk/owner")"
grep -q opened "$WORK/ex3.log" && fail "exclusive open won while host 2 held shared"
kill -TERM "$s2"
wait "$s2"
t_wait_for 20 grep -q '^opened' "$WORK/ex3.log" || fail "exclusive waiter never got the lease: $(cat "$WORK/ex3.log")"
closed=$(awk '/^closing/ {print $2}' "$WORK/s2.log")
got=$(awk '/^opened/ {print $2}' "$WORK/ex3.log")
[ "$got" -ge "$closed" ] || fail "exclusive open at $got before the last shared close at $closed"
owner_is "$MNT_1" "3 h3" || fail "owner after the exclusive open: $(cat "$MNT_1/disk/owner")"

# ---- a shared open waits while an exclusive holder holds
out=$("$OPEN" -r -n "$MNT_1/disk/lock" 0)
[ "$out" = "ERR EAGAIN" ] || fail "non-blocking shared open under an exclusive holder: $out"
out=$("$OPEN" -r -n "$MNT_3/disk/lock" 0)
[ "$out" = "ERR EAGAIN" ] || fail "shared open on the exclusive holder's host: $out"
expect_fail "Device or resource busy" bash -c "echo 'acquire shared' >'$MNT_2/disk/ctl'"
# an interrupted shared wait acquires nothing
t_bg intr "$OPEN" -r "$MNT_2/disk/lock"
intr=$T_LAST_PID
t_wait_for 20 t_in_syscall "$intr" openat || fail "shared open did not block: $(cat "$WORK/intr.log")"
kill -INT "$intr"
t_wait_for 20 t_gone "$intr" || fail "interrupted shared open did not return"
wait "$intr"
grep -q '^ERR EINTR' "$WORK/intr.log" || fail "interrupted shared open: $(cat "$WORK/intr.log")"
t_bg w1 "$OPEN" -r "$MNT_1/disk/lock"
w1=$T_LAST_PID
t_bg w2 "$OPEN" -r "$MNT_2/disk/lock"
w2=$T_LAST_PID
t_wait_for 20 t_in_syscall "$w1" openat || fail "host 1's shared open is not waiting: $(cat "$WORK/w1.log")"
t_wait_for 20 t_in_syscall "$w2" openat || fail "host 2's shared open is not waiting: $(cat "$WORK/w2.log")"
kill -TERM "$ex3"
wait "$ex3"
t_wait_for 20 grep -q '^opened' "$WORK/w1.log" || fail "host 1's shared waiter: $(cat "$WORK/w1.log")"
t_wait_for 20 grep -q '^opened' "$WORK/w2.log" || fail "host 2's shared waiter: $(cat "$WORK/w2.log")"
closed=$(awk '/^closing/ {print $2}' "$WORK/ex3.log")
for n in 1 2; do
	got=$(awk '/^opened/ {print $2}' "$WORK/w$n.log")
	[ "$got" -ge "$closed" ] || fail "host $n's shared open at $got before the exclusive close at $closed"
done
t_wait_for 10 owner_is "$MNT_3" "shared 1 2" || fail "owner with both waiters in: $(cat "$MNT_3/disk/owner")"

# ---- status and dump show them
for how in "" --through-mount; do
	"$LEASEFS" status "$MNT_3" $how >"$WORK/status.txt" 2>&1 || fail "status $how: $(cat "$WORK/status.txt")"
	grep -Eq '^disk +shared +shared:1,2 ' "$WORK/status.txt" || fail "status $how on host 3: $(cat "$WORK/status.txt")"
	"$LEASEFS" status "$MNT_1" $how >"$WORK/status.txt" 2>&1 || fail "status $how: $(cat "$WORK/status.txt")"
	grep -Eq '^disk +held shared here +shared:1,2 ' "$WORK/status.txt" || fail "status $how on host 1: $(cat "$WORK/status.txt")"
	"$LEASEFS" status "$MNT_1" $how --json | python3 -c '
import json, sys
l = [x for x in json.load(sys.stdin)["leases"] if x["name"] == "disk"][0]
sys.exit(0 if l["shared"] == [1, 2] else 1)' || fail "status $how --json: $("$LEASEFS" status "$MNT_1" $how --json)"
done
[ "$("$LEASEFS" dump "$DEV" | awk '$1 == "disk" {print $NF}')" = "1/1,2/1" ] ||
    fail "dump: $("$LEASEFS" dump "$DEV")"
"$LEASEFS" dump --json "$DEV" | python3 -c '
import json, sys
l = [x for x in json.load(sys.stdin)["leases"] if x["name"] == "disk"][0]
sys.exit(0 if [m["host_id"] for m in l["shared"]] == [1, 2] else 1)' ||
    fail "dump --json: $("$LEASEFS" dump --json "$DEV")"

# ---- the last close frees the lease for anyone, and rmdir works again;
# a poller of owner wakes for it, though the leader stays free throughout
# (one poll(2) with a long timeout: leasefs wait would also re-read every
# second, and so pass without the wake-up)
t_bg poller python3 -c '
import select, sys
f = open(sys.argv[1], "rb", buffering=0)
print("read", f.read().decode().strip(), flush=True)
p = select.poll()
p.register(f, select.POLLIN | select.POLLPRI)
print("woke" if p.poll(120000) else "timeout", flush=True)
f.seek(0)
print("read", f.read().decode().strip(), flush=True)' "$MNT_3/disk/owner"
poller=$T_LAST_PID
polling() { t_in_syscall "$1" poll || t_in_syscall "$1" ppoll; }
t_wait_for 20 polling "$poller" || fail "the poller is not polling: $(cat "$WORK/poller.log")"
grep -q '^read shared 1 2$' "$WORK/poller.log" || fail "poller: $(cat "$WORK/poller.log")"
kill -TERM "$w1" "$w2"
wait "$w1" "$w2"
t_wait_for 20 grep -q '^woke$' "$WORK/poller.log" || fail "poll did not wake when the shared holds ended: $(cat "$WORK/poller.log")"
t_wait_for 10 owner_is "$MNT_3" free || fail "not free after the last shared close: $(cat "$MNT_3/disk/owner")"
grep -q '^shared: none$' "$MNT_3/disk/state" || fail "state after: $(cat "$MNT_3/disk/state")"

# a shared hold belongs to the open file: a child keeps it after its
# parent exits, until it exits itself (when told to, by a file)
t_bg forker bash -c 'exec 3<"$1" || exit 1
	(while [ ! -e "$2" ]; do sleep 0.1; done) &
	echo "child $!"' _ "$MNT_2/disk/lock" "$WORK/child-exit"
forker=$T_LAST_PID
t_wait_for 20 t_gone "$forker" || fail "the forking parent did not exit"
wait "$forker" || fail "fork holder: $(cat "$WORK/forker.log")"
child=$(awk '/^child/ {print $2}' "$WORK/forker.log")
T_PIDS+=("$child")
! t_gone "$child" || fail "the child is gone"
owner_is "$MNT_1" "shared 2" || fail "the child does not hold it shared: $(cat "$MNT_1/disk/owner")"
: >"$WORK/child-exit"
t_wait_for 15 t_gone "$child" || fail "the child did not exit"
t_wait_for 15 owner_is "$MNT_1" free || fail "the child's exit did not release: $(cat "$MNT_1/disk/owner")"
rmdir "$MNT_2/disk" || fail "rmdir after the shared holds"
