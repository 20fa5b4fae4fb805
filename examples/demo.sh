#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# demo.sh - three leasefs hosts sharing one file-backed device, on this machine.
#
# Installs the build dependencies (Debian), builds leasefs, formats a 64 MiB
# file as the shared device, mounts three daemons (host ids 1, 2 and 3, each
# with its own mount point, state and run directory), walks through the main
# operations, then stops the daemons and removes everything it made.
#
# Usage: sudo ./examples/demo.sh [--keep]    (--keep: leave the hosts running)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
keep=${1:-}
[ "$(id -u)" -eq 0 ] || { echo "demo.sh: run as root (apt-get, FUSE with allow_other)" >&2; exit 1; }

echo "== installing build dependencies and building"
bash "$top/scripts/install-deps" >/dev/null
make -C "$top" -s -j2 >/dev/null
leasefs=$top/build/leasefs

dir=$(mktemp -d /var/tmp/leasefs-demo.XXXXXX)
pids=()
cleanup() {
	[ "$keep" = --keep ] && { echo "hosts left running under $dir"; return; }
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do
		while kill -0 "$p" 2>/dev/null; do sleep 0.1; done
	done
	rm -rf "$dir"
}
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }
show() { printf '$ %s\n' "$*"; eval "$@"; }

step "format a shared device: one lockspace, 8 host ids, 64 leases, io_timeout 1 s"
show "$leasefs format demo $dir/shared.img --size 64M --hosts 8 --leases 64 --io-timeout 1"

step "mount three hosts (each joins the lockspace before its mount returns)"
for id in 1 2 3; do
	mkdir -p "$dir/host$id" "$dir/state$id" "$dir/run$id"
	show "$leasefs mount -o host_id=$id,name=host$id,state_dir=$dir/state$id,run_dir=$dir/run$id \
$dir/shared.img $dir/host$id"
	pids+=("$(cat "$dir/run$id/pid")")
done
cd "$dir"

step "a lease created on host 1 is there for every host"
show "mkdir host1/vm1"
show "ls host2 host3"
show "cat host1/vm1/owner host2/vm1/owner host3/vm1/owner"

step "host 2 acquires it through ctl; everyone sees the owner, read from disk"
show "echo acquire > host2/vm1/ctl"
show "cat host1/vm1/owner host3/vm1/owner"
show "cat host1/vm1/state"
show "echo acquire > host3/vm1/ctl || true"

step "handover to host 3: it asks, host 2 transfers; the lease is never free"
show "echo request > host3/vm1/ctl"
show "grep request host2/vm1/state"
show "echo 'transfer 3' > host2/vm1/ctl"
show "$leasefs wait host1/vm1 --owner host3 --timeout 10"
show "cat host1/vm1/owner"
show "echo release > host3/vm1/ctl"

step "an open lock file holds the lease; others wait until it closes"
show "(exec 3>host1/vm1/lock; echo 'host 1 holds vm1 for 3 s'; sleep 3) &"
sleep 0.5
show "cat host2/vm1/owner"
show "time (exec 3>host2/vm1/lock; echo 'host 2 got vm1'; cat host3/vm1/owner)"
wait

step "the lockspace as each host sees it"
show "cat host1/.hosts"
show "$leasefs dump shared.img | sed -n '/^hosts:/,\$p'"

step "stop the hosts: SIGTERM releases what they hold and leaves the lockspace"
if [ "$keep" != --keep ]; then
	for p in "${pids[@]}"; do kill -TERM "$p"; done
	for p in "${pids[@]}"; do while kill -0 "$p" 2>/dev/null; do sleep 0.1; done; done
	pids=()
	show "$leasefs dump shared.img | sed -n '/^hosts:/,\$p'"
fi
