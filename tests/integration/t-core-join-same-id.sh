# Two hosts joining with the same host id at the same moment: at most one wins, every time.
# SPDX-License-Identifier: GPL-2.0-or-later
# io_timeout 2 s: a join's I/O that takes longer than io_timeout on a loaded
# machine fails the join (exit 1), which is not what the race is about.
source "$(dirname "$0")/lib.sh"
t_setup
DEV=$WORK/dev.img
"$LEASEFS" format same "$DEV" --size 16M --hosts 8 --leases 4 --io-timeout 2 || fail "format"
wins_total=0
for round in 1 2 3 4; do
	t_bg "a$round" "$TOOLS/lfs-host" "$DEV" 5 join
	a=$T_LAST_PID
	t_bg "b$round" "$TOOLS/lfs-host" "$DEV" 5 join
	b=$T_LAST_PID
	wait "$a"; ra=$?
	wait "$b"; rb=$?
	wins=0
	[ "$ra" -eq 0 ] && wins=$((wins + 1))
	[ "$rb" -eq 0 ] && wins=$((wins + 1))
	for r in $ra $rb; do
		# 0 joined, 4 lost the race or found the id busy; anything else is a bug
		[ "$r" -eq 0 ] || [ "$r" -eq 4 ] || fail "round $round: exit $r"
	done
	[ "$wins" -le 1 ] || fail "round $round: both joined as host 5"
	wins_total=$((wins_total + wins))
	t_log "round $round: $wins winner(s)"
done
[ "$wins_total" -ge 1 ] || fail "nobody ever joined"
