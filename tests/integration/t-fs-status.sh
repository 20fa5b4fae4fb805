# leasefs status shows each lease's state, owner, generations, request and holders exactly as its state file does, from the device and through the mount, in text and JSON; 10,000 leases print in well under 5 s (the target is 1 s; the figure is logged).
# SPDX-License-Identifier: GPL-2.0-or-later
source "$(dirname "$0")/lib.sh"
t_setup
DEV=$WORK/small.img
"$LEASEFS" format small "$DEV" --size 16M --hosts 8 --leases 32 --io-timeout 1 || fail "format"
t_mount 1 "$DEV"
t_mount 2 "$DEV"
for l in vm1 vm2 db free1; do mkdir "$MNT_1/$l" || fail "mkdir $l"; done
echo acquire >"$MNT_1/vm1/ctl" || fail "acquire vm1"
echo acquire >"$MNT_2/vm2/ctl" && echo release >"$MNT_2/vm2/ctl" || fail "vm2 round"
t_bg holder bash -c "exec 3>'$MNT_2/db/lock'; exec sleep 300"
HOLDER=$T_LAST_PID
t_wait_for 10 grep -q "^holders: $HOLDER\$" "$MNT_2/db/state" || fail "db not held by $HOLDER"
echo request >"$MNT_2/vm1/ctl" || fail "request vm1"

# text: one table, this host marked
"$LEASEFS" status "$MNT_1" >"$WORK/s1.txt" || fail "status"
grep -q '^this host: 1 h1, generation 1, renewal ok' "$WORK/s1.txt" || fail "$(cat "$WORK/s1.txt")"
grep -Eq '^2 +h2 +1 +live$' "$WORK/s1.txt" || fail "host 2: $(cat "$WORK/s1.txt")"
grep -Eq '^vm1 +held here +1 h1 +1 +1 +2 h2 +-$' "$WORK/s1.txt" || fail "vm1: $(cat "$WORK/s1.txt")"
"$LEASEFS" status "$MNT_2" >"$WORK/s2.txt" || fail "status 2"
grep -Eq "^db +held here +2 h2 +1 +1 +- +$HOLDER\$" "$WORK/s2.txt" || fail "db: $(cat "$WORK/s2.txt")"
grep -Eq '^vm1 +requested +1 h1 ' "$WORK/s2.txt" || fail "vm1 on 2: $(cat "$WORK/s2.txt")"

# JSON, both ways, against every lease's state file on each host
for id in 1 2; do
	eval "mnt=\$MNT_$id"
	"$LEASEFS" status --json "$mnt" >"$WORK/dev$id.json" || fail "status --json"
	"$LEASEFS" status --json --through-mount "$mnt" >"$WORK/fs$id.json" || fail "--through-mount"
	for l in vm1 vm2 db free1; do cat "$mnt/$l/state" >"$WORK/state$id.$l"; done
	python3 - "$WORK" "$id" <<'PY' || fail "host $id: JSON differs from the state files"
import json, sys
work, hid = sys.argv[1], sys.argv[2]
dev = json.load(open(f"{work}/dev{hid}.json"))
fs = json.load(open(f"{work}/fs{hid}.json"))
assert dev["read_via"] == "device" and fs["read_via"] == "mount", (dev["read_via"], fs["read_via"])
assert dev["hosts"] == fs["hosts"], (dev["hosts"], fs["hosts"])
assert dev["leases"] == fs["leases"], (dev["leases"], fs["leases"])
assert dev["daemon"]["host_id"] == int(hid)
def ref(v):
    return None if v == "none" else {"id": int(v.split()[0]), "name": v.split()[1]}
for l in dev["leases"]:
    st = dict(line.split(": ", 1) for line in open(f"{work}/state{hid}.{l['name']}").read().splitlines())
    assert l["state"] == st["state"], (l, st)
    assert l["owner"] == ref(st["owner"]), (l, st)
    assert l["request"] == ref(st["request"]), (l, st)
    assert l["owner_generation"] == int(st["owner_generation"]), (l, st)
    assert l["generation"] == int(st["generation"]), (l, st)
    hold = [] if st["holders"] == "none" else [int(p) for p in st["holders"].split()]
    assert l["holders"] == hold, (l, st)
PY
done
expect_fail "not a leasefs mount" "$LEASEFS" status "$WORK"
kill -TERM "$HOLDER"
# a stop refuses while a ctl lease's user may run (leasefs(8), SHUTDOWN):
# host 2 withdraws its request (else the release hands vm1 to it), host 1
# releases
echo cancel >"$MNT_2/vm1/ctl" || fail "cancel the request of vm1"
echo release >"$MNT_1/vm1/ctl" || fail "release vm1"
t_umount 2
t_umount 1

# 10,000 leases: the best of three runs (the figure is logged)
BIG=$WORK/big.img
"$LEASEFS" format big "$BIG" --size 64M --hosts 8 --leases 10000 --io-timeout 1 || fail "format big"
"$TOOLS/lfs-fill" "$BIG" 10000 >/dev/null || fail "lfs-fill"
t_mount 3 "$BIG"
echo acquire >"$MNT_3/l04242/ctl" || fail "acquire l04242"
best=999999
for _ in 1 2 3; do
	t0=$(date +%s%N)
	"$LEASEFS" status "$MNT_3" >"$WORK/big.txt" || fail "status big"
	ms=$((($(date +%s%N) - t0) / 1000000))
	[ "$ms" -lt "$best" ] && best=$ms
done
t_log "status of 10000 leases: best ${best} ms"
[ "$(grep -c '^l[0-9]\{5\} ' "$WORK/big.txt")" -eq 10000 ] || fail "not 10000 rows"
grep -Eq '^l04242 +held here +3 h3 ' "$WORK/big.txt" || fail "l04242"
# the target is under a second (it takes 0.3-0.5 s here); the test's bound
# is generous so that a loaded machine does not fail it
[ "$best" -lt 5000 ] || fail "status of 10000 leases took $best ms"
"$LEASEFS" status --json "$MNT_3" | python3 -c 'import json,sys; assert len(json.load(sys.stdin)["leases"]) == 10000' ||
    fail "JSON of 10000 leases"
echo release >"$MNT_3/l04242/ctl" || fail "release l04242"
t_umount 3
