# SPDX-License-Identifier: GPL-2.0-or-later
# common.sh - helpers of bench/run (sourced, not run): cleanup of whatever
# the run starts, daemons, statistics, and the results table.
#
# Everything started through these helpers (processes, mounts, loop
# devices, the work directory) is undone by b_cleanup on exit, also when
# the run fails half-way or is interrupted.  Processes are stopped by the
# PIDs recorded here, never by name.

B_PIDS=()      # processes to stop (daemons, joiners, holders)
B_MOUNTS=()    # mount points to unmount
B_LOOPS=()     # loop devices to detach

b_log() { echo "bench: $*" >&2; }

b_fail() {
	b_log "FAILED: $*"
	exit 1
}

# b_stop PID...: SIGTERM, then SIGKILL after 5 s; forget them.
b_stop() {
	local p
	for p in "$@"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "$@"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
		b_forget "$p"
	done
}

b_stop_pids() { b_stop "${B_PIDS[@]}"; }

b_cleanup() {
	local rc=$? m l
	trap - EXIT
	b_stop_pids
	for m in "${B_MOUNTS[@]}"; do
		grep -q " $m fuse" /proc/mounts && fusermount3 -u -z "$m" 2>/dev/null
	done
	for l in "${B_LOOPS[@]}"; do
		losetup -d "$l" 2>/dev/null
	done
	if [ -n "${WORK:-}" ] && [ -d "$WORK" ]; then
		if [ "$rc" -ne 0 ]; then
			for f in "$WORK"/*.log; do
				[ -f "$f" ] && { echo "--- $f"; tail -n 20 "$f"; } >&2
			done
		fi
		rm -rf "$WORK"
	fi
	exit "$rc"
}

b_setup() {
	# /var/tmp, not /tmp: O_DIRECT needs a real filesystem, /tmp may be tmpfs
	WORK=$(mktemp -d /var/tmp/leasefs-bench.XXXXXX) || exit 1
	trap b_cleanup EXIT
	trap 'exit 130' INT TERM HUP
}

# b_bg LOGNAME CMD...: CMD in the background, output to $WORK/LOGNAME.log;
# sets B_LAST_PID.
b_bg() {
	local name=$1
	shift
	"$@" >"$WORK/$name.log" 2>&1 &
	B_LAST_PID=$!
	B_PIDS+=("$B_LAST_PID")
}

# b_bg_detached LOGNAME CMD...: as b_bg, but CMD is not a child of this
# shell (a subshell starts it and exits), so that bash prints no job
# notice when something else SIGKILLs it on purpose.  b_stop and b_cleanup
# stop it by PID all the same.
b_bg_detached() {
	local name=$1
	shift
	B_LAST_PID=$( ("$@" >"$WORK/$name.log" 2>&1 </dev/null & echo $!) )
	B_PIDS+=("$B_LAST_PID")
}

# b_forget PID: a process that is gone (waited for) need not be stopped.
b_forget() {
	local p keep=()
	for p in "${B_PIDS[@]}"; do
		[ "$p" = "$1" ] || keep+=("$p")
	done
	B_PIDS=("${keep[@]}")
}

# b_loop FILE: attach a loop device with direct I/O; sets LOOPDEV (not
# printed: B_LOOPS must be updated in this shell, not a subshell).
b_loop() {
	LOOPDEV=$(losetup -f --show --direct-io=on "$1") || b_fail "losetup $1"
	B_LOOPS+=("$LOOPDEV")
}

# b_wait_for SECONDS CMD...: run CMD every 10 ms until it succeeds.
b_wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.01
	done
}

b_mounted() { grep -q " $1 fuse" /proc/mounts; }

# b_mount TAG ID DEVICE: a foreground daemon as host ID (name hID) on
# $WORK/TAG-mID, with its own state and run directories, in the
# background; returns once it serves.  Sets MNT and DPID.
b_mount() {
	local tag=$1 id=$2 dev=$3 base
	base=$WORK/$tag-$id
	mkdir -p "$base-m" "$base-state" "$base-run"
	b_bg "$tag-host$id" "$LEASEFS" mount -f \
	    -o "host_id=$id,name=h$id,state_dir=$base-state,run_dir=$base-run" \
	    "$dev" "$base-m"
	B_MOUNTS+=("$base-m")
	MNT=$base-m
	DPID=$B_LAST_PID
}

# b_served MNT: the mount is up and answers.
b_served() { b_mounted "$1" && [ -e "$1/.status" ]; }

# b_umount MNT PID: clean stop of a daemon through SIGTERM.
b_umount() {
	kill -TERM "$2" 2>/dev/null
	b_wait_for 30 bash -c "! kill -0 $2 2>/dev/null" || b_fail "daemon $2 did not stop"
	wait "$2" 2>/dev/null
	b_forget "$2"
}

# b_status MNT KEY: one value of MNT/.status.
b_status() { awk -v k="$2:" '$1 == k { print $2 }' "$1/.status"; }

# b_counters MNT: "reads bytes_read writes bytes_written" of ops and renew.
b_counters() {
	awk '/^(ops|renew)_(reads|writes|bytes_read|bytes_written):/ {
		sub(":", "", $1); v[$1] = $2 }
	END { print v["ops_reads"], v["ops_bytes_read"], v["ops_writes"],
	    v["ops_bytes_written"], v["renew_reads"], v["renew_bytes_read"],
	    v["renew_writes"], v["renew_bytes_written"] }' "$1/.status"
}

# b_blockstat DEV: "reads bytes_read writes bytes_written flushes" of a
# block device (sectors in /sys/block/*/stat are always 512 bytes).
b_blockstat() {
	awk '{ print $1, $3 * 512, $5, $7 * 512, $16 + 0 }' "/sys/block/$(basename "$1")/stat"
}

# ---- statistics ----

# b_stats FILE: "n median p99" of one sample a line (nearest rank).
b_stats() {
	sort -g "$1" | awk '{ v[NR] = $1 }
	END {
		if (NR == 0) { print 0, "", ""; exit }
		m = int((NR + 1) / 2); p = int(NR * 0.99); if (p < NR * 0.99) p++
		print NR, v[m], v[p]
	}'
}

# b_scale VALUE DIVISOR: VALUE / DIVISOR with 3 significant-ish decimals.
b_scale() {
	[ -n "$1" ] || { echo ""; return; }
	awk -v v="$1" -v d="$2" 'BEGIN { x = v / d;
	    if (x >= 100) printf "%.0f\n", x; else if (x >= 10) printf "%.1f\n", x;
	    else if (x >= 1) printf "%.2f\n", x; else printf "%.3f\n", x }'
}

# ---- results ----
# $CSV has one line per figure:
#   figure,unit,leasefs_median,leasefs_p99,sanlock_median,sanlock_p99,
#   ratio,target,leasefs_n,sanlock_n
# Sample files are in microseconds (µs) unless the row says otherwise.

# b_row FIGURE UNIT DIVISOR TARGET LEASEFS_FILE [SANLOCK_FILE]: a row from
# sample files; values are divided by DIVISOR (1000: µs -> ms).
b_row() {
	local fig=$1 unit=$2 div=$3 target=$4 lf=$5 sf=${6:-} ln lm lp sn="" sm="" sp=""
	read -r ln lm lp < <(b_stats "$lf")
	if [ -n "$sf" ] && [ -s "$sf" ]; then
		read -r sn sm sp < <(b_stats "$sf")
	fi
	b_row_values "$fig" "$unit" "$(b_scale "$lm" "$div")" "$(b_scale "$lp" "$div")" \
	    "$(b_scale "$sm" "$div")" "$(b_scale "$sp" "$div")" "$target" "$ln" "$sn"
}

# b_row_values FIGURE UNIT LMED LP99 SMED SP99 TARGET [LN SN]: a row from values.
b_row_values() {
	local ratio=""
	if [ -n "$3" ] && [ -n "$5" ]; then
		ratio=$(awk -v a="$3" -v b="$5" 'BEGIN { if (b > 0) printf "%.3f\n", a / b }')
	fi
	echo "$1,$2,$3,$4,$5,$6,$ratio,$7,${8:-},${9:-}" >>"$CSV"
}

# b_table: the CSV as an aligned table on stdout.
b_table() {
	awk -F, 'NR == 1 { next }
	{ for (i = 1; i <= 8; i++) { c[NR, i] = ($i == "" ? "-" : $i);
	      if (length(c[NR, i]) > w[i]) w[i] = length(c[NR, i]) } ; n = NR }
	END {
		split("figure,unit,leasefs median,leasefs p99,sanlock median,sanlock p99,ratio,target", h, ",")
		for (i = 1; i <= 8; i++) if (length(h[i]) > w[i]) w[i] = length(h[i])
		line = ""; sep = ""
		for (i = 1; i <= 8; i++) { line = line sprintf("| %-*s ", w[i], h[i]);
		    sep = sep "|" sprintf("%*s", w[i] + 2, "") }
		gsub(/ /, "-", sep); print line "|"; print sep "|"
		for (r = 2; r <= n; r++) { line = ""
			for (i = 1; i <= 8; i++) line = line sprintf(i <= 2 ? "| %-*s " : "| %*s ", w[i], c[r, i])
			print line "|" }
	}' "$CSV"
}
