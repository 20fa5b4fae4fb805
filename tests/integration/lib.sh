# SPDX-License-Identifier: GPL-2.0-or-later
# lib.sh - shared helpers for the integration scripts (sourced, not run).
#
# Every script calls t_setup first.  Whatever a script starts through these
# helpers (daemons, background processes, mounts, loop devices, files) is
# undone by t_cleanup on exit, also when the script fails half-way.
# Processes are stopped by the PIDs recorded here, never by name.

set -u

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LEASEFS=${LEASEFS:-$TOP/build-san/leasefs}
TOOLS=${TOOLS:-$TOP/build-san/tools}
T_NAME=$(basename "$0" .sh)

T_PIDS=()
T_MOUNTS=()
T_LOOPS=()
# Commands (strings, run with eval, in order) that t_cleanup runs before
# anything else: e.g. faults.sh un-hangs paused storage here, so that
# processes blocked on it can be stopped and its mounts undone.
T_CLEANUP_FIRST=()

t_log() { echo "[$T_NAME] $*" >&2; }

fail() {
	t_log "FAIL: $*"
	exit 1
}

t_cleanup() {
	local rc=$? m p l c
	for c in "${T_CLEANUP_FIRST[@]}"; do
		eval "$c"
	done
	for m in "${T_MOUNTS[@]}"; do
		grep -q " $m fuse" /proc/mounts && fusermount3 -u -z "$m" 2>/dev/null
	done
	# each background command leads its own process group (t_bg): the
	# group takes its children with it (a holder under a bash wrapper)
	for p in "${T_PIDS[@]}"; do
		kill -TERM -- "-$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null
	done
	for p in "${T_PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL -- "-$p" 2>/dev/null
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	for m in "${T_MOUNTS[@]}"; do
		grep -q " $m fuse" /proc/mounts && fusermount3 -u -z "$m" 2>/dev/null
	done
	for l in "${T_LOOPS[@]}"; do
		losetup -d "$l" 2>/dev/null
	done
	if [ "$rc" -ne 0 ] && [ -n "${WORK:-}" ]; then
		t_log "logs kept in $WORK"
		for f in "$WORK"/*.log; do
			[ -f "$f" ] && { echo "--- $f"; tail -n 30 "$f"; } >&2
		done
	elif [ -n "${WORK:-}" ]; then
		rm -rf "$WORK"
	fi
	exit "$rc"
}

t_setup() {
	# /var/tmp, not /tmp: O_DIRECT needs a real filesystem, /tmp may be tmpfs
	WORK=$(mktemp -d /var/tmp/leasefs-"$T_NAME".XXXXXX)
	trap t_cleanup EXIT
	trap 'exit 130' INT TERM
}

# t_bg LOGNAME CMD...: run CMD in the background, output to $WORK/LOGNAME.log,
# as the leader of a process group of its own; sets T_LAST_PID.
t_bg() {
	local name=$1
	shift
	setsid "$@" >"$WORK/$name.log" 2>&1 &
	T_LAST_PID=$!
	T_PIDS+=("$T_LAST_PID")
}

# t_loop FILE [SECTOR_SIZE]: attach a loop device with direct I/O and set
# T_LOOP_DEV to it.  (Not through $(...): the device must be registered in
# this shell, for t_cleanup to detach it.)
t_loop() {
	T_LOOP_DEV=$(losetup -f --show --direct-io=on ${2:+--sector-size "$2"} "$1") ||
	    fail "losetup $1"
	T_LOOPS+=("$T_LOOP_DEV")
}

# t_timing DEVICE KEY: a timing value of the lockspace on DEVICE, in ms, as
# `leasefs dump` shows it (KEY: io_timeout_ms, renewal_interval_ms, ...).
t_timing() {
	"$LEASEFS" dump "$1" | awk -v k="$2:" '$1 == k {print $2}'
}

# t_kill_recorder: write $WORK/killcmd.sh, a kill command that only records
# "killcmd LEASE MS" (CLOCK_BOOTTIME ms, the clock of lfs-open and the
# tools) in $WORK/killcmd.out.  Given as a file: an -o value holds no comma.
t_kill_recorder() {
	cat >"$WORK/killcmd.sh" <<EOF
#!/bin/sh
exec perl -MTime::HiRes=clock_gettime,CLOCK_BOOTTIME -e \
    'printf "killcmd %s %d\n", \$ENV{LEASEFS_LEASE}, clock_gettime(CLOCK_BOOTTIME) * 1000' \
    >>"$WORK/killcmd.out"
EOF
	chmod +x "$WORK/killcmd.sh"
}

# t_wait_for SECONDS CMD...: poll CMD every 0.1 s until it succeeds.
t_wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

t_mounted() { grep -q " $1 fuse" /proc/mounts; }

# t_now_ms: CLOCK_BOOTTIME in ms, the clock of lfs-open's and lfs-host's
# timestamps (exported: wrappers started with bash -c can use it).
t_now_ms() {
	perl -MTime::HiRes=clock_gettime,CLOCK_BOOTTIME \
	    -e 'printf "%d\n", clock_gettime(CLOCK_BOOTTIME) * 1000'
}
export -f t_now_ms

# t_holder LOGNAME CMD...: run CMD (a lease holder, e.g. lfs-open) under a
# wrapper that prints "child PID" first and "gone MS" (t_now_ms) once CMD
# has exited and been reaped: an independent record of the end of its
# hold.  Both are registered for cleanup; sets T_LAST_PID to CMD's PID.
t_holder() {
	local name=$1 c
	shift
	t_bg "$name" bash -c '"$@" & echo "child $!"; wait $!; echo "gone $(t_now_ms)"' _ "$@"
	t_wait_for 10 grep -q '^child' "$WORK/$name.log" || fail "$name: no child"
	c=$(awk '/^child/ {print $2}' "$WORK/$name.log")
	T_PIDS+=("$c")
	T_LAST_PID=$c
}

# t_lines FILE N: true once FILE has at least N lines (for t_wait_for).
t_lines() { [ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ]; }

# t_gone PID: true once PID has exited: no such process, or a zombie not
# reaped yet (for t_wait_for; PID need not be a child of this shell).
t_gone() {
	local st
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	st=${st##*) }
	[ "${st%% *}" = Z ]
}

# t_in_syscall PID NAME: true while PID sleeps inside system call NAME
# (openat, read, ...), as /proc/PID/syscall and /proc/PID/stat show it: e.g.
# a blocking open of a lock file that waits for the lease.  An event to wait
# for instead of sleeping "long enough" before sending a signal or freeing
# a lease: under load a fixed sleep may end before the call even started.
declare -A T_SYSNO=()
t_in_syscall() {
	local pid=$1 name=$2 nr sc st
	nr=${T_SYSNO[$name]:-}
	if [ -z "$nr" ]; then
		nr=$(perl -e 'require "syscall.ph"; print &{"SYS_$ARGV[0]"}()' "$name") ||
		    fail "t_in_syscall: no number for system call $name"
		T_SYSNO[$name]=$nr
	fi
	read -r sc _ 2>/dev/null <"/proc/$pid/syscall" || return 1
	[ "$sc" = "$nr" ] || return 1
	st=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
	st=${st##*) }
	case ${st%% *} in S | D) return 0 ;; esac
	return 1
}

# t_child PID: print the PID of the (only, or first) child of PID, e.g. the
# holder a bash wrapper started; fails while it has none.
t_child() {
	local c
	c=$(ps -o pid= --ppid "$1" | head -n 1 | tr -d ' ')
	[ -n "$c" ] && echo "$c"
}

# t_mount ID DEVICE [EXTRA_OPTS]: start a foreground daemon as host ID with
# its own mount point $WORK/mID, state and run dirs; waits until mounted.
# Sets MNT_<ID> and PID_<ID>.
t_mount() {
	local id=$1 dev=$2 extra=${3:-}
	local mnt=$WORK/m$id
	mkdir -p "$mnt" "$WORK/state$id" "$WORK/run$id"
	t_bg "host$id" "$LEASEFS" mount -f \
	    -o "host_id=$id,name=h$id,state_dir=$WORK/state$id,run_dir=$WORK/run$id${extra:+,$extra}" \
	    "$dev" "$mnt"
	T_MOUNTS+=("$mnt")
	eval "MNT_$id=$mnt PID_$id=$T_LAST_PID"
	t_wait_for 30 t_mounted "$mnt" || fail "host $id did not mount"
	t_wait_for 10 test -e "$mnt/.status" || fail "host $id: no .status"
}

# t_umount ID: clean unmount of host ID, waiting for its daemon to exit.
t_umount() {
	local id=$1 mnt pid
	eval "mnt=\$MNT_$id pid=\$PID_$id"
	kill -TERM "$pid"
	t_wait_for 30 t_gone "$pid" || fail "host $id did not stop"
	wait "$pid" 2>/dev/null
	! t_mounted "$mnt" || fail "host $id still mounted"
}

# expect_errno ERRNAME CMD...: CMD must fail and its stderr name ERRNAME's text.
expect_fail() {
	local want=$1 out
	shift
	if out=$("$@" 2>&1); then
		fail "expected failure ($want) from: $*"
	fi
	case "$out" in
	*"$want"*) ;;
	*) fail "expected '$want' from: $* -- got: $out" ;;
	esac
}

# t_peek LOGNAME PID: make an lfs-open holder read its file through its own
# descriptor; prints what it read (the line after "read ").
t_peek() {
	local n
	n=$(grep -c '^read ' "$WORK/$1.log")
	kill -USR1 "$2"
	t_wait_for 10 bash -c "[ \$(grep -c '^read ' $WORK/$1.log) -gt $n ]" || return 1
	grep '^read ' "$WORK/$1.log" | tail -n 1 | cut -d' ' -f2-
}
