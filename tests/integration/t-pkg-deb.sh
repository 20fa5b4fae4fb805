# The Debian packages build with dpkg-buildpackage: leasefs installs, runs leasefs@demo as its unit says (under systemd, or its ExecStart as systemd would), reports readiness and status (text and JSON), mounts from fstab idempotently, and stops cleanly; libvirt-leasefs holds the lock manager in libvirt's lock-driver directory, its config as a conffile and its man page, depends on leasefs and libvirt-daemon, and once installed loads and reads that config.
# SPDX-License-Identifier: GPL-2.0-or-later
# run-all: alone (dpkg's lock; the package build loads both cores)
source "$(dirname "$0")/lib.sh"
if ! command -v dpkg-buildpackage >/dev/null || ! command -v dh >/dev/null; then
	echo "SKIP: no dpkg-buildpackage or debhelper (scripts/install-deps installs them)"
	exit 0
fi
t_setup
version=$(sed -n 's/^#define LEASEFS_VERSION "\(.*\)"$/\1/p' "$TOP/fs/version.h")
CONF=/etc/leasefs/demo.conf
for p in "$CONF" /var/lib/leasefs/demo /run/leasefs/demo; do
	[ ! -e "$p" ] || fail "$p exists: this machine has a lockspace demo of its own"
done
had_run_dir=0
[ -d /run/leasefs ] && had_run_dir=1
was_installed=0
dpkg-query -W -f='${Status}' leasefs 2>/dev/null | grep -q "ok installed" && was_installed=1
lv_was_installed=0
dpkg-query -W -f='${Status}' libvirt-leasefs 2>/dev/null | grep -q "ok installed" && lv_was_installed=1
# the lock manager's package goes where libvirt-daemon has its own lock
# managers (lockd.so): the directory libvirt loads lock_manager = NAME from
LV_CONF=/etc/libvirt/qemu-leasefs.conf
LOCKDIR=$(dpkg -L libvirt-daemon 2>/dev/null | grep -x '/usr/lib/.*/libvirt/lock-driver') ||
    fail "libvirt-daemon is not installed (scripts/install-deps installs it)"
[ "$lv_was_installed" -eq 1 ] || [ ! -e "$LV_CONF" ] ||
    fail "$LV_CONF exists but libvirt-leasefs is not installed"

# Undo in order: the service, the fstab mount, then the package and the
# files the test made outside $WORK; then lib.sh's cleanup.
pkg_cleanup() {
	local rc=$? p
	for p in "${T_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${T_PIDS[@]}"; do
		for _ in $(seq 150); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
	done
	for m in "${T_MOUNTS[@]}"; do
		grep -q " $m fuse" /proc/mounts && fusermount3 -u -z "$m" 2>/dev/null
	done
	if [ "$lv_was_installed" -eq 0 ] && dpkg-query -W libvirt-leasefs >/dev/null 2>&1; then
		dpkg -P libvirt-leasefs >"$WORK/purge-lv.log" 2>&1 || cat "$WORK/purge-lv.log" >&2
	fi
	if [ "$was_installed" -eq 0 ] && dpkg-query -W leasefs >/dev/null 2>&1; then
		dpkg -P leasefs >"$WORK/purge.log" 2>&1 || cat "$WORK/purge.log" >&2
	fi
	rm -rf "$CONF" /var/lib/leasefs/demo /run/leasefs/demo
	rmdir /etc/leasefs /var/lib/leasefs 2>/dev/null
	[ "$had_run_dir" -eq 1 ] || rmdir /run/leasefs 2>/dev/null
	(exit "$rc")
	t_cleanup
}
trap pkg_cleanup EXIT

# 1. build, from a copy of the tree (dpkg-buildpackage writes to ..)
start=$SECONDS
SRC=$WORK/src/leasefs-$version
mkdir -p "$SRC"
if git -C "$TOP" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$TOP" && git ls-files -co --exclude-standard | tar -cf - -T -)
else
	tar -C "$TOP" --exclude=./build --exclude=./build-san --exclude=./bench/out -cf - .
fi | tar -xf - -C "$SRC" || fail "copying the source"
[ -f "$SRC/debian/rules" ] || fail "copying the source: no debian/rules"
(cd "$SRC" && DEB_BUILD_OPTIONS="nocheck parallel=2" dpkg-buildpackage -us -uc -b) \
    >"$WORK/build.log" 2>&1 || { tail -n 40 "$WORK/build.log"; fail "dpkg-buildpackage"; }
DEB=$(ls "$WORK"/src/leasefs_"$version"_*.deb) || fail "no .deb"
LDEB=$(ls "$WORK"/src/libvirt-leasefs_"$version"_*.deb) || fail "no libvirt-leasefs .deb"
t_log "built $(basename "$DEB") and $(basename "$LDEB") in $((SECONDS - start)) s"
# lintian: no error or warning (debian/PACKAGE.lintian-overrides hold
# the explained ones); hardening-check (devscripts): Debian's flags took
if command -v lintian >/dev/null; then
	lintian --info --display-info --pedantic "$DEB" "$LDEB" >"$WORK/lintian.log" 2>&1
	t_log "lintian: $(grep -c . "$WORK/lintian.log") line(s)$(sed 's/^/; /' "$WORK/lintian.log" | tr -d '\n')"
	! grep -q '^[EW]: ' "$WORK/lintian.log" || fail "lintian: $(grep '^[EW]: ' "$WORK/lintian.log")"
else
	t_log "no lintian here (apt-get install lintian)"
fi
if command -v hardening-check >/dev/null; then
	mkdir -p "$WORK/x"
	dpkg-deb -x "$DEB" "$WORK/x"
	dpkg-deb -x "$LDEB" "$WORK/x"
	# --nocfprotection: on Debian 12 no program is marked for CET (IBT,
	# SHSTK): glibc's start files (crt1.o, crti.o) carry no such property,
	# so the linker drops it, and dpkg-buildflags 1.21 adds no
	# -fcf-protection (its "branch" feature came in 1.22)
	hardening-check --nocfprotection "$WORK/x/usr/sbin/leasefs" \
	    "$WORK/x$LOCKDIR/leasefs.so" >"$WORK/hardening.log" 2>&1 ||
	    fail "hardening-check: $(cat "$WORK/hardening.log")"
	t_log "hardening-check: $(grep -c ': yes' "$WORK/hardening.log") of $(grep -c ': ' "$WORK/hardening.log") yes"
fi

# 1b. what goes where: the plugin, its page and its config in
# libvirt-leasefs only (leasefs keeps the example copy of the config)
dpkg-deb -c "$DEB" | awk '{print $6}' >"$WORK/leasefs.files"
dpkg-deb -c "$LDEB" | awk '{print $6}' >"$WORK/libvirt-leasefs.files"
for f in ".$LOCKDIR/leasefs.so" ./usr/share/man/man8/leasefs-libvirt.8.gz ".$LV_CONF" \
    ./usr/share/doc/libvirt-leasefs/copyright; do
	grep -qx -- "$f" "$WORK/libvirt-leasefs.files" || fail "libvirt-leasefs has no $f"
	! grep -qx -- "$f" "$WORK/leasefs.files" || fail "leasefs has $f too"
done
! grep -q '/leasefs\.so$' "$WORK/leasefs.files" || fail "leasefs has a leasefs.so"
dpkg-deb -e "$LDEB" "$WORK/lv-control"
grep -qx "$LV_CONF" "$WORK/lv-control/conffiles" || fail "$LV_CONF is no conffile"
depends=$(dpkg-deb -f "$LDEB" Depends)
for d in "leasefs (= $version)" libvirt-daemon libc6; do
	[[ ", $depends," == *", $d"[\ ,]* ]] || fail "libvirt-leasefs Depends: $depends: no $d"
done
t_log "libvirt-leasefs: $(grep -c '[^/]$' "$WORK/libvirt-leasefs.files") files; Depends: $depends"

# 2. install them on this machine
dpkg -i "$DEB" "$LDEB" >"$WORK/install.log" 2>&1 || { cat "$WORK/install.log"; fail "dpkg -i"; }
[ "$(/usr/sbin/leasefs -V | head -n 1)" = "leasefs $version" ] || fail "installed -V"
[ "$(readlink -f /sbin/mount.leasefs)" = "$(readlink -f /usr/sbin/leasefs)" ] || fail "mount.leasefs"
for m in man8/leasefs.8 man8/mount.leasefs.8 man5/leasefs.5; do
	[ -e "/usr/share/man/$m.gz" ] || fail "no man page $m"
done
zcat /usr/share/man/man8/leasefs.8.gz | grep -q "leasefs $version" || fail "man page shows no version"
UNIT=/lib/systemd/system/leasefs@.service
[ -f "$UNIT" ] || fail "no $UNIT"
grep -q '^ExecStart=/usr/sbin/leasefs mount -f ' "$UNIT" || fail "unit's ExecStart"
if command -v systemd-analyze >/dev/null; then
	cp "$UNIT" "$WORK/"
	systemd-analyze verify --man=no "$WORK/leasefs@demo.service" 2>&1 |
	    grep -v "^$" >"$WORK/verify.log" && fail "systemd-analyze verify: $(cat "$WORK/verify.log")"
fi
# the installed lock manager, as libvirt loads it (LIBVIRT.md): dlopen
# RTLD_NOW, the data symbol virLockDriverImpl, drvInit with the ABI version
# and the conffile (which must parse), drvDeinit; a version it does not
# know is refused
dpkg-query -W -f='${Conffiles}' libvirt-leasefs | grep -q "^ $LV_CONF " ||
    fail "dpkg does not know $LV_CONF as a conffile"
python3 - "$LOCKDIR/leasefs.so" "$LV_CONF" >"$WORK/plugin.log" 2>&1 <<'EOF' ||
import ctypes, sys
c = ctypes
class Driver(c.Structure):
    _fields_ = [("version", c.c_uint), ("flags", c.c_uint),
                ("init", c.CFUNCTYPE(c.c_int, c.c_uint, c.c_char_p, c.c_uint)),
                ("deinit", c.CFUNCTYPE(c.c_int))]
drv = Driver.in_dll(c.CDLL(sys.argv[1], mode=c.RTLD_LOCAL), "virLockDriverImpl")
assert drv.version == 1000000, drv.version
assert drv.flags & 1, "no USES_STATE"
assert drv.init(999999, sys.argv[2].encode(), 0) == -1, "took ABI 999999"
assert drv.init(1000000, sys.argv[2].encode(), 0) == 0, "drvInit failed"
assert drv.deinit() == 0
EOF
    fail "the installed plugin: $(cat "$WORK/plugin.log")"
grep -q "loaded, config $LV_CONF" "$WORK/plugin.log" || fail "plugin log: $(cat "$WORK/plugin.log")"
t_log "the installed leasefs.so loads and reads $LV_CONF"
[ -d /run/leasefs ] || systemd-tmpfiles --create /usr/lib/tmpfiles.d/leasefs.conf
[ -d /run/leasefs ] || fail "tmpfiles.d made no /run/leasefs"

# 3. the lockspace and its config, as an admin writes them
DEV=$WORK/demo.img
leasefs format demo "$DEV" --size 64M --hosts 8 --leases 32 --io-timeout 1 2>/dev/null ||
    fail "format"
mkdir -p /etc/leasefs
printf 'DEVICE=%s\nOPTIONS=host_id=1,name=pkg1\n' "$DEV" >"$CONF"
MNT=/run/leasefs/demo/mnt
T_MOUNTS+=("$MNT")

# 4. start leasefs@demo: ready is READY=1 (fs/notify.h), sent once the
# daemon has joined and serves the mount.  Under unit-run.py the daemon's
# stderr goes to $JLOG with $JOURNAL_STREAM naming it, as to journald.
NLOG=$WORK/notify.log
JLOG=$WORK/journal.log
: >"$NLOG"
if [ "$(ps -o comm= -p 1)" = systemd ]; then
	systemctl daemon-reload
	T_CLEANUP_FIRST+=("systemctl stop leasefs@demo")
	systemctl start leasefs@demo || fail "systemctl start"  # returns at READY=1
	under=systemd
else
	t_bg unit python3 "$TOP/tests/integration/unit-run.py" "$UNIT" demo "$NLOG" "$JLOG"
	RUNNER=$T_LAST_PID
	under="unit-run.py (systemd is not PID 1 here)"
	t_wait_for 30 grep -q '^READY=1$' "$NLOG" || fail "no READY=1: $(cat "$NLOG")"
fi
t_log "leasefs@demo ready under $under"
grep -q '^host_id: 1$' "$MNT/.status" || fail "not host 1 when ready"
[ -s /run/leasefs/demo/1/pid ] || fail "no pid file in the default run_dir"
[ -s /var/lib/leasefs/demo/1/identity ] || fail "no identity in the default state_dir"

# 5. status, text and JSON
mkdir "$MNT/vm1" "$MNT/vm2" && echo acquire >"$MNT/vm1/ctl" || fail "lease ops"
leasefs status "$MNT" >"$WORK/status.txt" || fail "leasefs status"
grep -q '^lockspace demo ' "$WORK/status.txt" || fail "status: $(cat "$WORK/status.txt")"
grep -Eq '^vm1 +held here +1 pkg1 ' "$WORK/status.txt" || fail "status vm1: $(cat "$WORK/status.txt")"
grep -Eq '^vm2 +free ' "$WORK/status.txt" || fail "status vm2"
leasefs status --json "$MNT" >"$WORK/status.json" || fail "leasefs status --json"
python3 -m json.tool "$WORK/status.json" >/dev/null || fail "status --json is not JSON"
python3 - "$WORK/status.json" <<'EOF' || fail "status --json content"
import json, sys
s = json.load(open(sys.argv[1]))
l = {x["name"]: x for x in s["leases"]}
assert s["daemon"]["host_id"] == 1 and s["daemon"]["lockspace"] == "demo"
assert l["vm1"]["state"] == "held here" and l["vm1"]["owner"]["id"] == 1
assert l["vm2"]["owner"] is None and s["hosts"][0]["state"] == "live"
EOF
leasefs dump --json "$DEV" | python3 -m json.tool >/dev/null || fail "dump --json"

# 6. fstab: mount -a twice mounts once (fsname is the device), umount DEVICE
FM=$WORK/fm
mkdir -p "$FM"
T_MOUNTS+=("$FM")
echo "$DEV $FM leasefs host_id=2,name=pkg2,state_dir=$WORK/s2,run_dir=$WORK/r2 0 0" >"$WORK/fstab"
mount -a -T "$WORK/fstab" || fail "mount -a"
# the daemon writes its pid file before its parent exits, and so before
# mount returns
[ -s "$WORK/r2/pid" ] || fail "no pid file when mount -a returned"
pid2=$(cat "$WORK/r2/pid")
T_PIDS+=("$pid2")
mount -a -T "$WORK/fstab" 2>"$WORK/mount2.log" || fail "second mount -a: $(cat "$WORK/mount2.log")"
[ "$(awk -v m="$FM" '$5 == m' /proc/self/mountinfo | wc -l)" -eq 1 ] ||
    fail "mount -a mounted twice"
[ "$(cat "$WORK/r2/pid")" = "$pid2" ] || fail "mount -a started another daemon"
grep -q " $FM .* - fuse.leasefs $DEV " /proc/self/mountinfo || fail "source is not the device"
umount "$DEV" || fail "umount DEVICE"
t_wait_for 30 bash -c "! kill -0 $pid2 2>/dev/null" || fail "fstab daemon did not stop"
t_mounted "$MNT" || fail "umount DEVICE took the unit's mount too"

# 7. stop: ExecStop unmounts, the daemon leaves.  vm1 is released first: a
# stop leaves a ctl lease whose user it cannot prove gone owned on disk
# (leasefs(8), SHUTDOWN), and this unit has no kill_command
echo release >"$MNT/vm1/ctl" || fail "release vm1"
if [ "$under" = systemd ]; then
	systemctl stop leasefs@demo || fail "systemctl stop"
else
	kill -TERM "$RUNNER"
	t_wait_for 60 bash -c "! kill -0 $RUNNER 2>/dev/null" || fail "leasefs@demo did not stop"
	wait "$RUNNER"
	rc=$?
	[ "$rc" -eq 0 ] || fail "leasefs@demo exited $rc: $(cat "$NLOG")"
	grep -q '^unit-run: ExecStop exit 0$' "$NLOG" || fail "ExecStop did not unmount: $(cat "$NLOG")"
fi
if [ "$under" != systemd ]; then
	grep -q '^STOPPING=1$' "$NLOG" || fail "no STOPPING=1"
	# journald keeps each line's level: every line starts with its "<N>"
	# (sd-daemon(3)), the guard's named as such
	grep -q '^<5>serving lockspace demo on ' "$JLOG" || fail "no <5> serving line: $(head -n 5 "$JLOG")"
	grep -q '^<6>leasefs-guard\[[0-9]*\]: started: ' "$JLOG" || fail "no <6> guard line: $(cat "$JLOG")"
	grep -q '^<5>stopped$' "$JLOG" || fail "no <5> stopped line: $(tail -n 3 "$JLOG")"
	! grep -v '^<[0-7]>' "$JLOG" || fail "lines without a priority prefix"
	t_log "journal: $(wc -l <"$JLOG") lines, each with its <N> prefix"
fi
! t_mounted "$MNT" || fail "still mounted after stop"
leasefs dump "$DEV" | awk '$1 == "1" && $4 != "free" {exit 1}' || fail "host 1 did not leave"
leasefs dump "$DEV" | awk '$1 == "vm1" && $3 != "free" {exit 1}' || fail "vm1 owned after its release"
t_log "done in $((SECONDS - start)) s"
