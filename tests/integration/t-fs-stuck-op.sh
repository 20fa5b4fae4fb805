# A lease operation stuck in io_submit (hung storage path) blocks nothing else for good: cat owner, cat state and a lookup answer EIO within a bound, and a stop unmounts and ends the daemon without waiting for the stuck call (the process goes once the storage answers).
# SPDX-License-Identifier: GPL-2.0-or-later
#
# How the call sticks, for real: host 1's device is an NBD export seen
# through nbdfuse (faults.sh).  With the path paused, reads time out and
# are abandoned (core/diskio.h) until nbdfuse has no thread left to answer
# the GETATTR that every read's io_submit asks the kernel's FUSE client for
# (auto_inval_data): from then on io_submit itself waits in the kernel
# (request_wait_answer) until the path resumes.  We make lease operations
# (reads of vm1/owner) until a thread that does lease operations -- any
# but lfs-renew, whose io_submit is its own -- sits in io_submit for good,
# holding its context's lock (or, the fixed daemon, logs a taker giving up
# on a stuck holder: lfs-renew in a rejoin, which holds every lease
# context).  That read is the one nobody can help; what is measured are
# the reads that wait for its context, and two that do not.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/faults.sh"
t_setup
"$LEASEFS" format stuck "$WORK/backing.img" --size 16M --hosts 8 --leases 8 \
    --io-timeout 1 || fail "format"
io=$(t_timing "$WORK/backing.img" io_timeout_ms)
# iowatch.h: a call is stuck after io_timeout + max(io_timeout, 1 s); a
# waiter gives up within 100 ms of that.  The limit allowed here is
# generous on top (a loaded machine, the sanitizer build).
bound=$((io + (io > 1000 ? io : 1000)))
limit_s=$(((bound + 5000) / 1000))
f_host_dev 1 >/dev/null
t_mount 1 "${F_DEV[1]}"
mkdir "$MNT_1/vm1" "$MNT_1/vm2" || fail "mkdir"
[ "$(cat "$MNT_1/vm1/owner")" = free ] || fail "vm1 not free"

# (t_in_syscall looks at one PID; these are the daemon's threads)
sysno=$(perl -e 'require "syscall.ph"; print &SYS_io_submit()') || fail "no syscall number"
# in_submit: print the threads of host 1's daemon, but lfs-renew, that sit
# in io_submit now; one seen there in two looks 3 s apart is stuck (a sound
# io_submit takes microseconds)
in_submit() {
	local t sc
	for t in /proc/"$PID_1"/task/*; do
		[ "$(cat "$t/comm" 2>/dev/null)" = lfs-renew ] && continue
		read -r sc _ 2>/dev/null <"$t/syscall" || continue
		[ "$sc" = "$sysno" ] && echo "${t##*/}"
	done
}

# The victims: reads of vm1/owner through a descriptor opened before the
# pause (each read at offset 0 reads the leader again), so that the call
# that sticks is a read, not a lookup: the kernel here serializes lookups
# of a directory (libfuse 3.14 does not negotiate parallel dirops), and a
# stuck lookup would hold every other lookup of the root in the kernel,
# out of the daemon's reach.  One read per SIGUSR1: "read TEXT" or "err".
t_bg reader perl -e '
	$| = 1;
	open(my $f, "<", $ARGV[0]) or die "open: $!";
	sysread($f, my $b, 4096); # the text rendered at open
	print "open\n";
	my $go = 0;
	$SIG{USR1} = sub { $go++ };
	while (1) {
		select(undef, undef, undef, 0.02) while !$go;
		$go--;
		sysseek($f, 0, 0);
		my $n = sysread($f, $b, 4096);
		print defined $n ? "read $b" : "err $!\n";
	}' "$MNT_1/vm1/owner"
reader=$T_LAST_PID
t_wait_for 10 grep -q '^open' "$WORK/reader.log" || fail "reader: $(cat "$WORK/reader.log")"
answers() { grep -c '^read\|^err' "$WORK/reader.log"; }
kill -USR1 "$reader"
t_wait_for 10 eval '[ "$(answers)" -ge 1 ]' || fail "reader: no first read"
grep -q '^read free' "$WORK/reader.log" || fail "reader: $(cat "$WORK/reader.log")"

f_pause 1
t_log "host 1's path paused; reading owner until a lease operation sticks in io_submit"
stuck=
for n in $(seq 60); do
	had=$(answers)
	kill -USR1 "$reader"
	# this read ends (EIO after io_timeout) or is the one that sticks
	t_wait_for 3 eval '[ "$(answers)" -gt "$had" ]'
	if grep -q 'stuck; what waits for it answers EIO' "$WORK/host1.log"; then
		stuck=logged
		break
	fi
	# answered: not stuck (another thread in io_submit now, the watcher's
	# notice read say, is on another context and may yet come back)
	[ "$(answers)" -gt "$had" ] && continue
	a=$(in_submit)
	[ -n "$a" ] || continue
	sleep 3
	for t in $a; do
		[[ " $(in_submit | tr '\n' ' ') " == *" $t "* ]] && stuck=$t
	done
	[ -n "$stuck" ] && break
done
[ -n "$stuck" ] || fail "no stuck call seen or logged after 60 reads; the reader answered $(answers) of them"
[ "$stuck" = logged ] || t_log "thread $stuck ($(cat /proc/"$PID_1"/task/"$stuck"/comm)) stuck in io_submit: $(cat /proc/"$PID_1"/task/"$stuck"/wchan)"
t_log "stuck after $n reads: $(grep -o 'I/O call has been.*' "$WORK/host1.log" | head -n 1)"

# What waits for the stuck call's context now answers EIO within the
# bound: a read of vm1's owner and one of its state (the reads of a lease
# share a context, fs/daemon/daemon.h), or is refused at once once the
# host has fenced (the path stays paused past renewal_fail).  What does not wait for it is not
# held by it: vm2's owner and a lookup of a name never seen answer within
# the bound too, whatever the paused path gives them (EIO, or their own
# data if their I/O got through).
start=$(t_now_ms)
t_bg owner bash -c 'cat "$1"; echo "rc $?"' _ "$MNT_1/vm1/owner"
p1=$T_LAST_PID
t_bg state bash -c 'cat "$1"; echo "rc $?"' _ "$MNT_1/vm1/state"
p2=$T_LAST_PID
t_bg other bash -c 'cat "$1"; echo "rc $?"' _ "$MNT_1/vm2/owner"
p3=$T_LAST_PID
t_bg lookup bash -c 'stat "$1"; echo "rc $?"' _ "$MNT_1/never-seen"
p4=$T_LAST_PID
for p in "$p1" "$p2" "$p3" "$p4"; do
	t_wait_for "$limit_s" t_gone "$p" ||
	    fail "a read or lookup did not answer within $limit_s s while a lease operation is stuck (owner: $(cat "$WORK/owner.log"), state: $(cat "$WORK/state.log"), vm2 owner: $(cat "$WORK/other.log"), lookup: $(cat "$WORK/lookup.log"))"
done
t_log "owner, state, vm2's owner and lookup answered $(($(t_now_ms) - start)) ms after they began (bound $bound ms)"
for n in owner state; do
	grep -q 'Input/output error' "$WORK/$n.log" && ! grep -q '^rc 0$' "$WORK/$n.log" ||
	    fail "$n: not EIO: $(cat "$WORK/$n.log")"
done
t_log "vm2's owner: $(tr '\n' ' ' <"$WORK/other.log"); lookup: $(tail -n 1 "$WORK/lookup.log")"
# (the stuck call is logged when a waiter gives up on it, and the path is
# paused past renewal_fail by now: the host has fenced and refuses these
# reads before they wait.  The stop below finds the stuck call itself.)

# A stop ends without waiting for the stuck call: unmounted, pid file
# gone, logged; the process itself ends when the kernel lets go of its
# I/O (exit waits for in-flight aio), which is after the resume.
stop=$(t_now_ms)
kill -TERM "$PID_1"
t_wait_for "$limit_s" eval '! t_mounted "$MNT_1"' ||
    fail "host 1 still mounted $limit_s s after SIGTERM: $(tail -n 5 "$WORK/host1.log")"
t_wait_for 5 grep -q 'stopped with I/O stuck in the kernel' "$WORK/host1.log" ||
    fail "no exit with stuck I/O logged: $(tail -n 5 "$WORK/host1.log")"
t_wait_for 5 test ! -e "$WORK/run1/pid" || fail "pid file left"
t_log "stop: unmounted and exiting $(($(t_now_ms) - stop)) ms after SIGTERM"
t_log "host 1's process, exiting: $(ls /proc/"$PID_1"/task 2>/dev/null | wc -l) thread(s) left in the kernel's hands"
# the stuck read itself is answered once the session is gone (the kernel
# aborts the connection when the daemon's workers have ended)
t_wait_for 10 grep -q '^err' "$WORK/reader.log" ||
    fail "the stuck read of vm1/owner was not answered after the stop: $(tail -n 2 "$WORK/reader.log")"
t_log "the stuck read was answered after the stop: $(grep '^err' "$WORK/reader.log" | tail -n 1)"
# the state directory stays locked until then (no second daemon may join
# while a late write of this one may still land)
# (the lock a second `leasefs mount` takes; mounting is no test here: it
# would read the hung device in the foreground)
! flock -n "$WORK/state1/lock" true || fail "the state directory is unlocked"
f_resume 1
t_wait_for 20 t_gone "$PID_1" || fail "host 1 did not end after the resume"
wait "$PID_1"
rc=$?
[ "$rc" -eq 1 ] || fail "host 1 exited $rc, not 1"
t_log "host 1 ended after the resume (exit status 1)"
