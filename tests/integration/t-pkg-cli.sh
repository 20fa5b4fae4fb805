# Every subcommand: -h/--help on stdout with exit 0, -V names leasefs's and libfuse's versions, and each usage error is one line on stderr that names the bad argument, with exit 2.
# SPDX-License-Identifier: GPL-2.0-or-later
source "$(dirname "$0")/lib.sh"
t_setup
cd "$WORK" || exit 1
version=$(sed -n 's/^#define LEASEFS_VERSION "\(.*\)"$/\1/p' "$TOP/fs/version.h")
[ -n "$version" ] || fail "no version in fs/version.h"

for cmd in "" format dump mount status wait; do
	for h in -h --help; do
		out=$("$LEASEFS" $cmd $h 2>"$WORK/err") || fail "leasefs $cmd $h: exit $?"
		[ -s "$WORK/err" ] && fail "leasefs $cmd $h wrote to stderr: $(cat "$WORK/err")"
		case "$out" in usage:*) ;; *) fail "leasefs $cmd $h: no usage on stdout" ;; esac
	done
	out=$("$LEASEFS" $cmd -V) || fail "leasefs $cmd -V: exit $?"
	[ "$(echo "$out" | head -n 1)" = "leasefs $version" ] || fail "leasefs $cmd -V: $out"
	echo "$out" | grep -q '^libfuse 3\.' || fail "leasefs $cmd -V names no libfuse: $out"
done
"$LEASEFS" --version | grep -qx "leasefs $version" || fail "--version"
ln -s "$LEASEFS" mount.leasefs
./mount.leasefs --help | grep -q '^usage: mount.leasefs' || fail "mount.leasefs --help"

# expect_usage WORD CMD...: exit 2, exactly one line on stderr, naming WORD
expect_usage() {
	local want=$1 rc
	shift
	"$@" >"$WORK/out" 2>"$WORK/err"
	rc=$?
	[ "$rc" -eq 2 ] || fail "exit $rc, not 2, from: $* ($(cat "$WORK/err"))"
	[ "$(wc -l <"$WORK/err")" -eq 1 ] || fail "not one line from: $*: $(cat "$WORK/err")"
	grep -qF -- "$want" "$WORK/err" || fail "'$want' not named by: $*: $(cat "$WORK/err")"
}
expect_usage "missing command" "$LEASEFS"
expect_usage "'frobnicate'" "$LEASEFS" frobnicate
expect_usage "'-x'" "$LEASEFS" -x
expect_usage "--io-timeout: '0'" "$LEASEFS" format ls x.img --io-timeout 0
expect_usage "--io-timeout: '301'" "$LEASEFS" format ls x.img --io-timeout 301
expect_usage "--hosts: 'many'" "$LEASEFS" format ls x.img --hosts many
expect_usage "--leases: '0'" "$LEASEFS" format ls x.img --leases 0
expect_usage "--size: '12Q'" "$LEASEFS" format ls x.img --size 12Q
expect_usage "'--hosts' needs a value" "$LEASEFS" format ls x.img --hosts
expect_usage "'--bogus'" "$LEASEFS" format ls x.img --bogus
expect_usage "missing DEVICE" "$LEASEFS" format ls
expect_usage "bad lockspace name '.x'" "$LEASEFS" format .x x.img
[ ! -e x.img ] || fail "a refused format created its device"
expect_usage "missing DEVICE" "$LEASEFS" dump
expect_usage "unexpected argument 'b'" "$LEASEFS" dump a b
expect_usage "'--jsn'" "$LEASEFS" dump --jsn x.img
expect_usage "missing MOUNTPOINT" "$LEASEFS" status
expect_usage "'-q'" "$LEASEFS" status -q /mnt
expect_usage "missing --owner" "$LEASEFS" wait /mnt/x
expect_usage "--timeout: 'soon'" "$LEASEFS" wait /mnt/x --owner 1 --timeout soon
expect_usage "missing MOUNTPOINT" "$LEASEFS" mount -o host_id=1 x.img
expect_usage "host_id=N is required" "$LEASEFS" mount x.img "$WORK"
expect_usage "host_id: '0'" "$LEASEFS" mount -o host_id=0 x.img "$WORK"
expect_usage "unknown option 'bogus'" "$LEASEFS" mount -o host_id=1,bogus x.img "$WORK"
expect_usage "ro:" "$LEASEFS" mount -o host_id=1,ro x.img "$WORK"
expect_usage "auto_unmount" "$LEASEFS" mount -o host_id=1,auto_unmount x.img "$WORK"
expect_usage "'-s'" "$LEASEFS" mount -s -o host_id=1 x.img "$WORK"
expect_usage "-r:" ./mount.leasefs x.img "$WORK" -r -o host_id=1
expect_usage "unknown option 'bogus'" ./mount.leasefs x.img "$WORK" -o host_id=1,bogus
# mount.leasefs: -f is fake (checks, mounts nothing), -s drops what libfuse refuses
./mount.leasefs x.img "$WORK" -f -n -v -s -o host_id=1,bogus,nosuid,_netdev 2>"$WORK/err" ||
    fail "mount.leasefs -f -s: $(cat "$WORK/err")"
grep -q "would mount $WORK/x.img on $WORK" "$WORK/err" || fail "mount.leasefs -v: $(cat "$WORK/err")"
! t_mounted "$WORK" || fail "a fake mount mounted"
