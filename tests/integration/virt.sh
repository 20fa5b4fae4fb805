# SPDX-License-Identifier: GPL-2.0-or-later
# virt.sh - libvirtd instances for the t-virt-*.sh scenarios (sourced after
# lib.sh and t_setup, not run).
#
# Each instance N is a stock /usr/sbin/libvirtd in a mount namespace of its
# own (unshare -m, private propagation) over which $WORK/vN is bind-mounted
# as /etc/libvirt, /run/libvirt, /var/lib/libvirt, /var/cache/libvirt and
# /var/log/libvirt, with its own host UUID, socket and migration ports, and
# the qemu connection driver only (LIBVIRT_DRIVER_DIR), so that nothing of
# it touches the host's libvirt.  The leasefs mounts are made before the
# instances start, so every namespace has them; instance N uses host N's
# mount.  Its lock manager is leasefs.so from $PLUGIN (build-san/libvirt/)
# or sanlock.  virt_cleanup, registered first in T_CLEANUP_FIRST, kills the
# guests' QEMUs (by their pid files: QEMU is not in libvirtd's process
# group) before lib.sh stops the daemons and unmounts.

PLUGIN=${PLUGIN:-$TOP/build-san/libvirt/leasefs.so}
V_OVERLAY="/etc/libvirt /run/libvirt /var/lib/libvirt /var/cache/libvirt /var/log/libvirt"
V_CREATED=()
V_INSTANCES=()

# virt_require: exit 0 with one SKIP line when something is missing
virt_require() {
	local c
	for c in /usr/sbin/libvirtd virsh qemu-system-x86_64 unshare; do
		command -v "$c" >/dev/null 2>&1 || {
			echo "SKIP: no $c (scripts/install-deps installs libvirt and qemu)"
			exit 0
		}
	done
	[ -f /usr/lib/x86_64-linux-gnu/libvirt/connection-driver/libvirt_driver_qemu.so ] || {
		echo "SKIP: no libvirt qemu driver (libvirt-daemon-driver-qemu)"
		exit 0
	}
	[ -f "$PLUGIN" ] || {
		echo "SKIP: no $PLUGIN (make san builds it when libvirt-dev is installed)"
		exit 0
	}
}

virt_uri() { echo "qemu+unix:///system?socket=$WORK/v$1/sock/libvirt-sock"; }
# virsh N ARGS...: virsh against instance N
vsh() {
	local n=$1
	shift
	virsh -q -c "$(virt_uri "$n")" "$@"
}

virt_cleanup() {
	if [ -n "${V_KEEP:-}" ]; then mkdir -p "$V_KEEP" && cp -r "$WORK"/v[0-9] "$WORK"/*.log "$V_KEEP"/ 2>/dev/null; fi
	local n pf p d
	for n in "${V_INSTANCES[@]}"; do
		for pf in "$WORK/v$n"/run/qemu/*.pid; do
			[ -f "$pf" ] || continue
			p=$(cat "$pf" 2>/dev/null)
			[ -n "$p" ] && kill -KILL "$p" 2>/dev/null
		done
	done
	# libvirtd needs a few seconds to stop: more than lib.sh grants
	for n in "${V_INSTANCES[@]}"; do
		eval "p=\${LVPID_$n:-}"
		[ -n "$p" ] && kill -TERM "$p" 2>/dev/null
	done
	for n in "${V_INSTANCES[@]}"; do
		eval "p=\${LVPID_$n:-}"
		[ -n "$p" ] && t_wait_for 30 t_gone "$p"
	done
	for n in "${V_INSTANCES[@]}"; do
		[ -f "$WORK/v$n/sanlock.pid" ] &&
		    kill -KILL "$(cat "$WORK/v$n/sanlock.pid")" 2>/dev/null
	done
	for d in "${V_CREATED[@]}"; do
		rmdir "$d" 2>/dev/null
	done
	return 0
}
T_CLEANUP_FIRST+=("virt_cleanup")

# virt_config N LOCK_MANAGER: write instance N's configuration
virt_config() {
	local n=$1 lm=$2 d=$WORK/v$1
	mkdir -p "$d"/{sock,etc,run,lib,cache,log} "$WORK/drivers" "$WORK/plugins"
	ln -sf /usr/lib/x86_64-linux-gnu/libvirt/connection-driver/libvirt_driver_qemu.so "$WORK/drivers/"
	ln -sf "$PLUGIN" "$WORK/plugins/leasefs.so"
	ln -sf /usr/lib/x86_64-linux-gnu/libvirt/lock-driver/sanlock.so "$WORK/plugins/sanlock.so"
	# libvirtd looks up the user libvirt-qemu at start even with user
	# root: the namespace gets a passwd and group that have it
	cp /etc/passwd "$WORK/passwd"
	cp /etc/group "$WORK/group"
	getent passwd libvirt-qemu >/dev/null ||
	    echo 'libvirt-qemu:x:64055:64055:Libvirt Qemu,,,:/var/lib/libvirt:/usr/sbin/nologin' >>"$WORK/passwd"
	getent group libvirt-qemu >/dev/null || echo 'libvirt-qemu:x:64055:' >>"$WORK/group"
	cat >"$d/etc/libvirtd.conf" <<EOF
unix_sock_dir = "$d/sock"
unix_sock_rw_perms = "0700"
auth_unix_ro = "none"
auth_unix_rw = "none"
host_uuid = "0000000$n-0000-4000-8000-00000000000$n"
log_outputs = "1:file:$d/libvirtd.log"
log_filters = "1:locking 1:qemu.qemu_migration 1:qemu.qemu_process 3:*"
EOF
	cat >"$d/etc/qemu.conf" <<EOF
user = "root"
group = "root"
swtpm_user = "root"
swtpm_group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
stdio_handler = "file"
cgroup_controllers = [ ]
namespaces = [ ]
migration_port_min = $((49150 + n * 10))
migration_port_max = $((49159 + n * 10))
lock_manager = "$lm"
EOF
	eval "local mnt=\${MNT_$n:-}"
	cat >"$d/etc/qemu-leasefs.conf" <<EOF
# instance $n: leases of lockspace rig on host $n's mount
lockspaces = [ "rig:$mnt" ]
default_mount = "$mnt"
log_file = "$d/plugin.log"
EOF
}

# virt_start N: start instance N; waits until virsh answers
virt_start() {
	local n=$1 d=$WORK/v$1 m binds src
	for m in $V_OVERLAY; do
		if [ ! -d "$m" ]; then
			mkdir -p "$m"
			V_CREATED+=("$m")
		fi
	done
	binds="mount --bind $WORK/passwd /etc/passwd && mount --bind $WORK/group /etc/group"
	for m in $V_OVERLAY; do
		case $m in
		/etc/libvirt) src=$d/etc ;; /run/libvirt) src=$d/run ;;
		/var/lib/libvirt) src=$d/lib ;; /var/cache/libvirt) src=$d/cache ;;
		/var/log/libvirt) src=$d/log ;;
		esac
		binds="$binds && mount --bind $src $m"
	done
	rm -f "$d/sock/libvirt-sock"
	t_bg "libvirtd$n" env LIBVIRT_DRIVER_DIR="$WORK/drivers" \
	    LIBVIRT_LOCK_MANAGER_PLUGIN_DIR="$WORK/plugins" ${V_ENV:-} \
	    unshare -m --propagation private sh -c "$binds && exec /usr/sbin/libvirtd --pid-file $d/libvirtd.pid"
	eval "LVPID_$n=$T_LAST_PID"
	V_INSTANCES+=("$n")
	t_wait_for 60 vsh "$n" version >/dev/null 2>&1 ||
	    fail "libvirtd $n did not start: $(tail -n 5 "$WORK/libvirtd$n.log")"
}

# virt_stop N: stop libvirtd N (its guests keep running, as on a restart)
virt_stop() {
	local n=$1 pid
	eval "pid=\$LVPID_$n"
	kill -TERM "$pid"
	t_wait_for 30 t_gone "$pid" || fail "libvirtd $n did not stop"
	wait "$pid" 2>/dev/null
}

# virt_guest NAME IMAGE LEASEKEY [DIRTY]: write $WORK/NAME.xml, a 64 MiB
# guest with no OS (KVM when /dev/kvm works, else TCG), a 1 MiB raw disk
# IMAGE, and the lease LEASEKEY of lockspace rig.  DIRTY=1: its boot sector
# loops writing all of its memory, so a migration at 1 MiB/s never ends.
virt_guest() {
	local name=$1 img=$2 key=$3 dirty=${4:-0} type=qemu uuid
	[ -w /dev/kvm ] && type=kvm
	uuid=$(cat /proc/sys/kernel/random/uuid)
	if [ "$dirty" = 1 ]; then
		# real mode at 0x7c00: for (;;) for (es = 0x1000; es; es += 1)
		# *(es:0) = al++ -- touches 64 KiB segments of 1..640 KiB
		printf '\x31\xc0\xbb\x00\x10\x8e\xc3\x26\xa2\x00\x00\xfe\xc0\x43\x81\xfb\x00\xa0\x75\xf1\xeb\xec' >"$img"
		truncate -s 510 "$img"
		printf '\x55\xaa' >>"$img"
		truncate -s 1M "$img"
	else
		truncate -s 1M "$img"
	fi
	cat >"$WORK/$name.xml" <<EOF
<domain type='$type'>
  <name>$name</name>
  <uuid>$uuid</uuid>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw' cache='none'/>
      <source file='$img'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <lease><lockspace>rig</lockspace><key>$key</key><target path='/leases/$key'/></lease>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
}

# virt_qemu_pid N NAME: the pid of guest NAME's QEMU on instance N
virt_qemu_pid() { cat "$WORK/v$1/run/qemu/$2.pid" 2>/dev/null; }

# virt_state N NAME: domstate of NAME on instance N ("" when unknown)
virt_state() { vsh "$1" domstate "$2" 2>/dev/null | head -n 1; }

# virt_migrate FROM TO NAME [ARGS...]: live migration, p2p, over tcp
virt_migrate() {
	local from=$1 to=$2 name=$3
	shift 3
	virsh -q -c "$(virt_uri "$from")" migrate --live --p2p --unsafe "$@" \
	    "$name" "$(virt_uri "$to")" tcp://127.0.0.1
}
