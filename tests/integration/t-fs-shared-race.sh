# Three hosts, two workers each, take one lease over and over, each time shared (lock opened read-only) or exclusive at random, blocking: a checker outside leasefs finds no exclusive hold overlapping any other hold, and both modes were held, shared ones by several hosts at once.
# SPDX-License-Identifier: GPL-2.0-or-later
# io_timeout 2 s: nothing here waits for a deadline; a longer one keeps a
# loaded machine from failing lease operations or fencing a host.
source "$(dirname "$0")/lib.sh"
t_setup
DEV=$WORK/dev.img
"$LEASEFS" format race "$DEV" --size 64M --hosts 8 --leases 8 --io-timeout 2 || fail "format"
t_mount 1 "$DEV"
t_mount 2 "$DEV"
t_mount 3 "$DEV"
mkdir "$MNT_1/r" || fail "mkdir"

# The checker is independent of leasefs: $WORK/check holds "E S" (exclusive
# holders, shared holders) and is changed under flock(1), which serializes
# the check, not the lease.  A worker counts itself in only after its open
# returned (the lease is held) and out before it closes (the release comes
# after the close), so every window it records lies inside a real hold: an
# overlap found is a real one.  Violations go to $WORK/violations.
echo "0 0" >"$WORK/check"
: >"$WORK/violations"
: >"$WORK/seen"
worker() { # MOUNT ID ROUNDS
	local lock=$1/r/lock id=$2 i mode
	for ((i = 0; i < $3; i++)); do
		mode=$((RANDOM % 2))
		if [ $mode = 1 ]; then exec 3<"$lock"; else exec 3<>"$lock"; fi || exit 1
		flock "$WORK/check" bash -c '
			read e s <"$1"
			if [ "$2" = 1 ]; then
				[ "$e" = 0 ] || echo "$3: shared with $e exclusive" >>"$4"
				s=$((s + 1))
				[ "$s" -gt 1 ] && echo "$3 $s" >>"$5"
			else
				[ "$e" = 0 ] && [ "$s" = 0 ] || echo "$3: exclusive with $e exclusive, $s shared" >>"$4"
				e=$((e + 1))
				echo "$3 excl" >>"$5"
			fi
			echo "$e $s" >"$1"' _ "$WORK/check" $mode "$id" "$WORK/violations" "$WORK/seen"
		sleep 0.0$((RANDOM % 5))
		flock "$WORK/check" bash -c '
			read e s <"$1"
			if [ "$2" = 1 ]; then s=$((s - 1)); else e=$((e - 1)); fi
			echo "$e $s" >"$1"' _ "$WORK/check" $mode
		exec 3<&-
	done
	echo done
}
export -f worker
export WORK
ROUNDS=25
pids=()
for h in 1 2 3; do
	for k in a b; do
		eval "mnt=\$MNT_$h"
		t_bg "w$h$k" bash -c 'worker "$@"' _ "$mnt" "h$h$k" $ROUNDS
		pids+=("$T_LAST_PID")
	done
done
for p in "${pids[@]}"; do
	t_wait_for 240 t_gone "$p" || fail "a worker did not finish: $(tail -n 3 "$WORK"/w*.log)"
	wait "$p" || fail "a worker failed: $(tail -n 3 "$WORK"/w*.log)"
done
[ -s "$WORK/violations" ] && fail "overlapping holds: $(head "$WORK/violations")"
[ "$(cat "$WORK/check")" = "0 0" ] || fail "checker left at $(cat "$WORK/check")"
excl=$(grep -c ' excl$' "$WORK/seen")
multi=$(grep -vc ' excl$' "$WORK/seen" || true)
t_log "$((6 * ROUNDS)) holds: $excl exclusive, $multi shared beside another shared"
[ "$excl" -gt 0 ] || fail "no exclusive hold"
[ "$multi" -gt 0 ] || fail "never two shared holds at once"
t_wait_for 10 bash -c "[ \"\$(cat $MNT_2/r/owner)\" = free ]" || fail "not free at the end: $(cat "$MNT_2/r/owner")"
