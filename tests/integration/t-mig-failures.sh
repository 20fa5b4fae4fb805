# Migration failures: S killed before the transfer, D killed after it: in both cases the killed host's holder is stopped and the lease is taken over only after host-dead time.
source "$(dirname "$0")/lib.sh"
t_setup
DEV=$WORK/dev.img
OPEN=$TOOLS/lfs-open
"$LEASEFS" format fail "$DEV" --size 64M --hosts 8 --leases 32 --io-timeout 1 || fail "format"
host_dead=$(t_timing "$DEV" host_dead_ms)
interval=$(t_timing "$DEV" renewal_interval_ms)
for id in 1 2 3; do t_mount "$id" "$DEV"; done
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
mkdir "$MNT_1/vm1" "$MNT_1/vm2" || fail "mkdir"

# 1. S (host 1) dies before the transfer: D's pending request takes the
#    lease over, but only once S is dead (host_dead), as any host would
t_bg s1 "$OPEN" "$MNT_1/vm1/lock"
s1=$T_LAST_PID
t_wait_for 10 grep -q '^opened' "$WORK/s1.log" || fail "S did not acquire vm1"
echo request >"$MNT_2/vm1/ctl" || fail "D request"
killed=$(now_ms)
kill -KILL "$PID_1"
t_wait_for 10 t_gone "$s1" || fail "S's holder survived its daemon"
t_wait_for 60 bash -c "[ \"\$(cat $MNT_3/vm1/owner)\" = '2 h2' ]" || fail "D never took vm1 over"
took=$(( $(now_ms) - killed ))
t_log "vm1 taken over $took ms after S was killed (host_dead $host_dead ms)"
[ "$took" -ge $((host_dead - interval)) ] || fail "taken over too early: $took ms"
echo release >"$MNT_2/vm1/ctl" || fail "D release"

# 2. D (host 2) dies after the transfer from a live S
fusermount3 -u -z "$MNT_1"
t_mount 1 "$DEV" # S again, with a new generation
echo acquire >"$MNT_1/vm2/ctl" || fail "S acquire vm2"
t_bg d2 "$OPEN" "$MNT_2/vm2/incoming"
d2=$T_LAST_PID
t_wait_for 10 grep -qx 'request: 2 h2' "$MNT_1/vm2/state" || fail "D request vm2"
echo "transfer 2" >"$MNT_1/vm2/ctl" || fail "transfer vm2"
t_wait_for 10 bash -c "[ \"\$(cat $MNT_3/vm2/owner)\" = '2 h2' ]" || fail "D did not receive vm2"
case "$(t_peek d2 "$d2")" in held*) ;; *) fail "D's incoming does not say held" ;; esac
t_bg t2 "$OPEN" "$MNT_3/vm2/lock"
killed=$(now_ms)
kill -KILL "$PID_2"
t_wait_for 10 t_gone "$d2" || fail "D's holder survived its daemon"
t_wait_for 60 grep -q '^opened' "$WORK/t2.log" || fail "T never took vm2 over"
took=$(( $(now_ms) - killed ))
t_log "vm2 taken over $took ms after D was killed"
[ "$took" -ge $((host_dead - interval)) ] || fail "taken over too early: $took ms"
fusermount3 -u -z "$MNT_2"
