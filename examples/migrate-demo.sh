#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# migrate-demo.sh - a live migration's lease handover between two hosts, on
# one machine, with stand-ins for qemu.
#
# Host 1 is the source S, host 2 the destination D and host 3 a bystander
# that tries to start the same VM the whole time.  The steps are the ones a
# virtualization stack takes:
#
#   1. S runs "qemu" holding the VM's lease: the process keeps lock open.
#   2. D starts "qemu -incoming": its wrapper opens incoming, which returns
#      at once and files a request on disk that every host can see.
#   3. The migration reaches its switchover point: QEMU pauses the guest on
#      S (pause-before-switchover, state pre-switchover).  S transfers the
#      lease to D in one Disk Paxos ballot: it is never free, and the
#      bystander cannot win it.
#   4. D's wrapper now holds the lease (read through its descriptor, its
#      incoming file says "held"; S's lock file says "lost"), and S's qemu
#      exits without releasing anything; QEMU resumes the guest on D
#      (migrate-continue, then cont).  Both wrappers here learn of the
#      handover with `leasefs wait`, which blocks in poll(2).
#
# Usage: sudo ./examples/migrate-demo.sh     (run ./examples/demo.sh once
# first, or `make`, so that build/leasefs exists)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
leasefs=$top/build/leasefs
[ -x "$leasefs" ] || make -C "$top" -s
[ "$(id -u)" -eq 0 ] || { echo "run as root" >&2; exit 1; }

dir=$(mktemp -d /var/tmp/leasefs-migrate.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do while kill -0 "$p" 2>/dev/null; do sleep 0.1; done; done
	rm -rf "$dir"
}
trap cleanup EXIT
say() { printf '\n== %s\n' "$*"; }

"$leasefs" format mig "$dir/shared.img" --size 64M --hosts 8 --leases 16 --io-timeout 1
for id in 1 2 3; do
	mkdir -p "$dir/host$id" "$dir/state$id" "$dir/run$id"
	"$leasefs" mount -o "host_id=$id,name=host$id,state_dir=$dir/state$id,run_dir=$dir/run$id" \
	    "$dir/shared.img" "$dir/host$id" 2>/dev/null
	pids+=("$(cat "$dir/run$id/pid")")
done
S=$dir/host1 D=$dir/host2 T=$dir/host3
mkdir "$S/vm1"

say "1. qemu on S holds vm1 (fd 3 on lock, kept open by the guest's process)"
bash -c 'exec 3<>"$1/vm1/lock"; echo "S: qemu running"
	"$2" wait "$1/vm1" --owner host2 && echo "S: lease handed over, qemu exits"' _ "$S" "$leasefs" &
pids+=($!)
sleep 0.5
echo "owner seen from T: $(cat "$T/vm1/owner")"

say "the bystander T tries to start vm1 too, without pause"
bash -c 'n=0; while :; do if exec 4<>"$1/vm1/lock" 2>/dev/null; then echo "T: GOT THE LEASE (must not happen)"; exit 1; fi
	n=$((n + 1)); [ $((n % 100)) -eq 0 ] && echo "T: $n tries, lease busy"; sleep 0.005; done' _ "$T" 2>/dev/null &
bystander=$!
pids+=($bystander)
# (a blocking open would simply wait; the loop shows each attempt failing)

say "2. D starts qemu -incoming: its wrapper opens incoming (returns at once)"
bash -c 'exec 3<>"$1/vm1/incoming"; echo "D: incoming qemu waiting for the lease"
	"$2" wait "$1/vm1" --owner host2 && echo "D: qemu holds vm1 now: guest resumed on D"
	sleep 2' _ "$D" "$leasefs" &
dst=$!
sleep 1
grep '^request' "$S/vm1/state" | sed 's/^/S sees /'

say "3. switchover: guest paused on S; S transfers the lease to D"
time echo "transfer host2" >"$S/vm1/ctl"
"$leasefs" wait "$T/vm1" --owner host2 --timeout 10 && echo "T sees the owner is now: $(cat "$T/vm1/owner")"

say "4. D holds the lease; S's qemu has exited; T never got it"
wait "$dst"
kill -TERM "$bystander" 2>/dev/null; wait "$bystander" 2>/dev/null || true
echo "owner seen from S: $(cat "$S/vm1/owner")  (free again: D's qemu exited and released it)"
