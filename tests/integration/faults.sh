# SPDX-License-Identifier: GPL-2.0-or-later
# faults.sh - storage fault injection for the integration scripts (sourced
# after lib.sh and t_setup): each test host gets its own path to ONE shared
# backing file, and errors, hangs and delays are switched on that path alone.
#
# The path of host i, from the host down to the file:
#
#   lfs-host / leasefs  (O_DIRECT, libaio)
#     -> $WORK/nbd-i/dev          nbdfuse: the NBD export as a file (FUSE)
#     -> $WORK/nbd-i.sock         NBD over a unix socket
#     -> nbdkit, filters in this order (the first is nearest the client):
#          error   EIO on every request while $WORK/fail-i exists
#          pause   hangs every new request between 'p' and 'r' sent to
#                  $WORK/pause-i.sock
#          delay   optional, a fixed delay per read and per write
#     -> file plugin -> $WORK/backing.img  (shared by every host)
#
# Functions (I is a host number, also used as its lfs-host id by scripts):
#   f_host_dev I [DELAY_MS]  start host I's path; sets F_DEV[I], prints it
#   f_check_coherent I J     writes through one path are read through the other
#   f_fail_on I, f_fail_off I   every request on the path fails with EIO / not
#   f_pause I, f_resume I    every request on the path hangs / goes on
#   f_stall I MS             hang for MS ms, then resume
#   f_now_ms                 CLOCK_BOOTTIME ms, the clock lfs-host logs in
# There is no f_delay I MS: nbdkit 1.32's delay filter is fixed when nbdkit
# starts and a restart would break nbdfuse's connection, so a delay is
# chosen per path at f_host_dev time; f_stall gives a timed hang instead.
#
# No kernel module and no loop device: nbdkit and nbdfuse run as ordinary
# processes, registered in T_PIDS and T_MOUNTS like everything else.
#
# Why every host sees every other host's writes at once (checked by
# f_check_coherent):
#   - leasefs opens the device O_DIRECT.  On a FUSE file that sends each read
#     and write to nbdfuse as it happens; nbdfuse has no cache of its own, and
#     we do not give it -o kernel_cache (which would let buffered opens keep
#     stale pages; O_DIRECT bypasses them anyway).
#   - Each nbdkit serves the file with pread/pwrite.  All nbdkits share the
#     backing file's page cache, the single copy every read sees: a write
#     through one nbdkit is visible to the next pread of any other, and to
#     O_DIRECT reads of backing.img itself (the kernel writes dirty pages
#     back before an O_DIRECT read), e.g. `leasefs dump $WORK/backing.img`.
#   - So the file plugin keeps cache=default.  cache=none does not make
#     writes any more visible (it only evicts pages after each request and
#     forces write-back, costing latency); nothing caches above the plugin:
#     no cache/readahead filter, and NBD itself has no client cache.
#
# Rules for scripts:
#   - Create $WORK/backing.img (e.g. leasefs format) before f_host_dev.
#   - Call f_host_dev directly, never inside $( ): it registers processes in
#     this shell.  The path is in F_DEV[i] (and printed).
#   - Do I/O on a path that may hang only in the background (t_bg): a
#     synchronous read sent to a paused nbdkit survives even SIGKILL until
#     the path is resumed (so timeout(1) does not help), and bash runs its
#     EXIT trap only after a foreground command ends.
#   - A process killed while it has asynchronous I/O in flight on a paused
#     path stays in D state (exit waits for its aio) until f_resume.
#   - f_resume lets queued requests through: writes that a host submitted
#     before it died land after resume, like a slow disk's late writes.
#
# Cleanup: faults.sh adds f__cleanup to T_CLEANUP_FIRST, so before lib.sh
# stops anything, every error file is removed and every nbdkit is resumed
# (or, if it does not answer, killed with SIGKILL: its pending requests then
# fail and their callers go on).  Then t_cleanup stops the registered
# processes and lazily unmounts the nbdfuse mounts as usual.

F_DEV=()    # F_DEV[i]: host i's device file
F_NBDKIT=() # F_NBDKIT[i]: PID of host i's nbdkit
F_CTL_TIMEOUT=10 # s to wait for the pause filter's answer; 'p' is answered
                 # only when requests already past the filter have finished
T_CLEANUP_FIRST+=(f__cleanup)

# f__ctl SOCKET CHAR [TIMEOUT_S]: send CHAR to a pause filter's control
# socket and print its one-character answer.  perl is used as the client
# because the base system has no nc or socat.
f__ctl() {
	perl -MIO::Socket::UNIX -e '
		$SIG{ALRM} = sub { exit 2 };
		alarm $ARGV[2];
		my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM(),
		    Peer => $ARGV[0]) or exit 1;
		syswrite($s, $ARGV[1]) == 1 or exit 1;
		sysread($s, my $r, 1) == 1 or exit 1;
		print "$r\n";' "$1" "$2" "${3:-$F_CTL_TIMEOUT}"
}

# f__direct_read FILE OFFSET_4K: print 4 KiB at OFFSET_4K (in 4 KiB units)
# read with O_DIRECT (4 KiB suits 512- and 4096-byte sectors alike).
f__direct_read() {
	timeout 10 dd if="$1" bs=4096 skip="$2" count=1 iflag=direct status=none
}

# f__direct_write SRC FILE OFFSET_4K: write 4 KiB of SRC there, O_DIRECT.
f__direct_write() {
	timeout 10 dd if="$1" of="$2" bs=4096 seek="$3" count=1 oflag=direct \
	    conv=notrunc,nocreat status=none
}

# f_now_ms: print CLOCK_BOOTTIME in milliseconds, the clock of lfs-host's
# timestamps, so that scripts can compare their own times with them.
f_now_ms() {
	perl -MTime::HiRes=clock_gettime,CLOCK_BOOTTIME \
	    -e 'printf "%d\n", clock_gettime(CLOCK_BOOTTIME) * 1000'
}

# f_dev I: print host I's device file (no side effects; fine in $( )).
f_dev() { echo "$WORK/nbd-$1/dev"; }

# f__start_nbdkit I DELAY_MS: start host I's nbdkit and wait until it serves.
f__start_nbdkit() {
	local i=$1 delay=$2 filters=(--filter=error --filter=pause) args=()

	if [ "$delay" -gt 0 ]; then
		filters+=(--filter=delay)
		args+=("rdelay=${delay}ms" "wdelay=${delay}ms")
	fi
	# F_NBDKIT_THREADS=N: serve N requests at once (nbdkit's default is
	# 16), as a SAN's queue depth would (bench/concurrent.sh)
	[ -z "${F_NBDKIT_THREADS:-}" ] || filters+=(--threads "$F_NBDKIT_THREADS")
	rm -f "$WORK/fail-$i" "$WORK/nbdkit-$i.pid"
	# -f: stay in the foreground, so the PID we record is nbdkit's;
	# --exit-with-parent: stop serving if this script dies unexpectedly;
	# -P: written once the socket accepts connections
	t_bg "nbdkit-$i" nbdkit -f --exit-with-parent -P "$WORK/nbdkit-$i.pid" \
	    -U "$WORK/nbd-$i.sock" "${filters[@]}" \
	    file "$WORK/backing.img" \
	    error=EIO error-rate=100% error-file="$WORK/fail-$i" \
	    pause-control="$WORK/pause-$i.sock" "${args[@]}"
	F_NBDKIT[i]=$T_LAST_PID
	t_wait_for 10 test -s "$WORK/nbdkit-$i.pid" ||
	    fail "host $i: nbdkit did not start: $(cat "$WORK/nbdkit-$i.log")"
	[ -S "$WORK/pause-$i.sock" ] || fail "host $i: no pause control socket"
}

# f_host_dev I [DELAY_MS]: give host I its faultable path to
# $WORK/backing.img: nbdkit, then nbdfuse mounting it at $WORK/nbd-I/dev.
# DELAY_MS > 0 adds that delay to every read and write on this path for the
# whole run (nbdkit's delay filter cannot be changed while it runs).
# Checks the path with an O_DIRECT read against the backing file, sets
# F_DEV[I] and prints the path.
f_host_dev() {
	local i=$1 delay=${2:-0} mnt=$WORK/nbd-$1

	[ "$BASH_SUBSHELL" -eq 0 ] || fail "f_host_dev called in a subshell"
	[ -f "$WORK/backing.img" ] || fail "f_host_dev: no $WORK/backing.img"
	f__start_nbdkit "$i" "$delay"
	mkdir -p "$mnt"
	rm -f "$WORK/nbdfuse-$i.pid"
	# registered before it mounts, so a failure below still unmounts it
	T_MOUNTS+=("$mnt")
	t_bg "nbdfuse-$i" nbdfuse -P "$WORK/nbdfuse-$i.pid" "$mnt/dev" \
	    --unix "$WORK/nbd-$i.sock"
	t_wait_for 10 test -s "$WORK/nbdfuse-$i.pid" ||
	    fail "host $i: nbdfuse did not start: $(cat "$WORK/nbdfuse-$i.log")"
	t_mounted "$mnt" || fail "host $i: $mnt not mounted"
	cmp -s <(f__direct_read "$mnt/dev" 0) \
	    <(f__direct_read "$WORK/backing.img" 0) ||
	    fail "host $i: O_DIRECT read through $mnt/dev differs from the file"
	F_DEV[i]=$mnt/dev
	echo "$mnt/dev"
}

# f_check_coherent I J: a 4 KiB O_DIRECT write through host I's path is read
# back at once through host J's, and the other way round.  Uses the last
# 4 KiB of the backing file and restores them; call it while no host runs.
f_check_coherent() {
	local i=$1 j=$2 off from to
	off=$(($(stat -c %s "$WORK/backing.img") / 4096 - 1))
	f__direct_read "$WORK/backing.img" "$off" >"$WORK/coherent.save" ||
	    fail "coherence: cannot read the backing file"
	for from in "$i" "$j"; do
		to=$((from == i ? j : i))
		head -c 4096 /dev/urandom >"$WORK/coherent.pattern"
		f__direct_write "$WORK/coherent.pattern" "${F_DEV[from]}" "$off" ||
		    fail "coherence: O_DIRECT write through host $from failed"
		cmp -s <(f__direct_read "${F_DEV[to]}" "$off") \
		    "$WORK/coherent.pattern" ||
		    fail "coherence: host $to does not see host $from's write"
	done
	f__direct_write "$WORK/coherent.save" "${F_DEV[i]}" "$off" &&
	    cmp -s <(f__direct_read "$WORK/backing.img" "$off") \
	    "$WORK/coherent.save" || fail "coherence: restoring the last block"
	rm -f "$WORK/coherent.save" "$WORK/coherent.pattern"
}

# f_fail_on I / f_fail_off I: every request on host I's path fails with EIO
# from now on / until further notice.  The error filter checks for the file
# on each request, so the switch takes effect with the next request.
f_fail_on() { : >"$WORK/fail-$1"; }
f_fail_off() { rm -f "$WORK/fail-$1"; }

# f_pause I: hang every new request on host I's path.  Returns once requests
# already being served have finished (the filter answers 'P' only then).
f_pause() {
	[ "$(f__ctl "$WORK/pause-$1.sock" p)" = P ] || fail "host $1: pause"
}

# f_resume I: let host I's requests through again, queued ones first.
f_resume() {
	[ "$(f__ctl "$WORK/pause-$1.sock" r)" = R ] || fail "host $1: resume"
}

# f_sleep_ms MS: sleep MS milliseconds.
f_sleep_ms() { sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"; }

# f_stall I MS: hang host I's path for MS milliseconds, then resume.
f_stall() {
	f_pause "$1"
	f_sleep_ms "$2"
	f_resume "$1"
}

# Run first by t_cleanup: clear every error file and un-hang every path, so
# that nothing stays blocked on them; an nbdkit that does not answer within
# 3 s is killed, failing its pending requests.
f__cleanup() {
	local i
	for i in "${!F_NBDKIT[@]}"; do
		rm -f "$WORK/fail-$i"
		kill -0 "${F_NBDKIT[i]}" 2>/dev/null || continue
		[ "$(f__ctl "$WORK/pause-$i.sock" r 3 2>/dev/null)" = R ] ||
		    kill -KILL "${F_NBDKIT[i]}" 2>/dev/null
	done
}
