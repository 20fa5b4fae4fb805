# A blocked open reads only the host sectors of the owner it waits for, not the whole window of known hosts, and still wakes on that owner's release before any fallback poll; both ways between hosts 1 and 200 of a 256-host lockspace, and nobody holds twice; the whole-window look every 5 s is the renewals' read.
# SPDX-License-Identifier: GPL-2.0-or-later
# With ids 1 and 200 joined, the window is 208 sectors (104 KiB): read every
# LFS_WAKE_SCAN_MS (20 ms) that is over 5 MB a second.  Reading only the
# owner's sector, with the whole window every 5 s (LFS_WAKE_FULL_MS: the
# renewals' reads of it, renewals_stand_in below) and the fallback attempts
# (each reads the dblocks of hosts 1 .. 200), it is about 0.1 MB a second:
# the check allows 1.5 MB.
source "$(dirname "$0")/lib.sh"
t_setup
DEV=$WORK/dev.img
OPEN=$TOOLS/lfs-open
FALLBACK_MS=5000
"$LEASEFS" format span "$DEV" --size 64M --hosts 256 --leases 8 --io-timeout 1 ||
    fail "format"
t_mount 1 "$DEV"
t_mount 200 "$DEV"
mkdir "$MNT_1/a" "$MNT_1/b" || fail "mkdir"
t_wait_for 10 test -d "$MNT_200/b" || fail "host 200 does not see b"

bytes_read() {
	awk '$1 == "ops_bytes_read:" { print $2 }' "$1/.status"
}

# wait_on WAITER HOLDER LEASE: HOLDER holds LEASE (ctl), WAITER's blocked
# open of it reads little while it waits and wakes at HOLDER's release.
wait_on() {
	local w=$1 h=$2 lease=$3 wm hm pid b0 b1 t0 t1 rate start rel got
	eval "wm=\$MNT_$w hm=\$MNT_$h"
	echo acquire >"$hm/$lease/ctl" || fail "host $h: acquire $lease"
	start=$(t_now_ms)
	t_bg "w$w$lease" "$OPEN" "$wm/$lease/lock"
	pid=$T_LAST_PID
	t_wait_for 20 t_in_syscall "$pid" openat ||
	    fail "host $w's open of $lease is not waiting: $(cat "$WORK/w$w$lease.log")"
	b0=$(bytes_read "$wm") t0=$(t_now_ms)
	sleep 3
	b1=$(bytes_read "$wm") t1=$(t_now_ms)
	rate=$(( (b1 - b0) * 1000 / (t1 - t0) ))
	t_log "host $w waiting on $lease (held by host $h): $rate bytes/s read"
	[ "$rate" -lt 1500000 ] ||
	    fail "host $w reads $rate bytes a second waiting on one lease"
	grep -q '^opened' "$WORK/w$w$lease.log" && fail "$lease opened on host $w while host $h holds it"
	rel=$(t_now_ms)
	echo release >"$hm/$lease/ctl" || fail "host $h: release $lease"
	t_wait_for 10 grep -q '^opened' "$WORK/w$w$lease.log" ||
	    fail "host $w's waiter on $lease never woke"
	got=$(awk '/^opened/ { print $2 }' "$WORK/w$w$lease.log")
	t_log "host $w woke $((got - rel)) ms after host $h released $lease"
	[ "$got" -ge "$rel" ] || fail "$lease opened at $got, before its release at $rel"
	# the fallback attempt comes FALLBACK_MS after the first one (at
	# start); a wake-up before it came through the owner's notice
	if [ $((rel - start)) -lt $((FALLBACK_MS - 1500)) ]; then
		[ $((got - start)) -lt "$FALLBACK_MS" ] ||
		    fail "host $w woke $((got - rel)) ms after the release: only by the fallback poll"
	else
		t_log "the machine was too slow to tell a notice from the fallback; not checked"
	fi
	[ "$(cat "$hm/$lease/owner")" = "$w h$w" ] ||
	    fail "host $h sees $lease owned by $(cat "$hm/$lease/owner")"
	expect_fail "busy" bash -c "echo acquire >$hm/$lease/ctl"
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null
}

status_of() {
	awk -v k="$2:" '$1 == k { print $2 }' "$1/.status"
}

# renewals_stand_in WAITER HOLDER LEASE: while WAITER's open of LEASE waits,
# the whole-window scan every LFS_WAKE_FULL_MS (5 s) comes from WAITER's
# renewals' reads of the window (every 2 s), not from reads of its own.
# The first scan of a wait reads the window itself (no renewal read is
# kept before it asks for them): counted from the first renewal read used.
renewals_stand_in() {
	local w=$1 h=$2 lease=$3 wm hm pid r0 w0 r1 w1
	eval "wm=\$MNT_$w hm=\$MNT_$h"
	echo acquire >"$hm/$lease/ctl" || fail "host $h: acquire $lease"
	r0=$(status_of "$wm" notice_renewal_reads)
	t_bg "s$w$lease" "$OPEN" "$wm/$lease/lock"
	pid=$T_LAST_PID
	t_wait_for 20 t_in_syscall "$pid" openat ||
	    fail "host $w's open of $lease is not waiting: $(cat "$WORK/s$w$lease.log")"
	t_wait_for 20 test "$(status_of "$wm" notice_renewal_reads)" -gt "$r0" ||
	    fail "host $w never looked at a renewal's read for notices"
	r0=$(status_of "$wm" notice_renewal_reads)
	w0=$(status_of "$wm" notice_window_reads)
	sleep 6
	r1=$(status_of "$wm" notice_renewal_reads)
	w1=$(status_of "$wm" notice_window_reads)
	t_log "host $w over 6 s of waiting: $((r1 - r0)) renewal reads looked at, $((w1 - w0)) window reads of its own"
	[ $((r1 - r0)) -ge 2 ] ||
	    fail "host $w looked at $((r1 - r0)) renewal reads in 6 s (renewal every 2 s)"
	[ "$w1" -eq "$w0" ] ||
	    fail "host $w read the window $((w1 - w0)) times for notices beside its renewals"
	grep -q '^opened' "$WORK/s$w$lease.log" && fail "$lease opened on host $w while host $h holds it"
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null
	echo release >"$hm/$lease/ctl" || fail "host $h: release $lease"
}

wait_on 1 200 a
wait_on 200 1 b
renewals_stand_in 1 200 a
t_umount 200
t_umount 1
