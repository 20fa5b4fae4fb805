# Bad input to format and dump: too small, foreign, corrupt, other version, bad names; nothing written.
# SPDX-License-Identifier: GPL-2.0-or-later
source "$(dirname "$0")/lib.sh"
t_setup
cd "$WORK" || exit 1
expect_fail "too small" "$LEASEFS" format small small.img --size 64K --hosts 64 --leases 1024
expect_fail "bad lockspace name" "$LEASEFS" format .hidden x.img --size 16M
expect_fail "bad lockspace name" "$LEASEFS" format "$(printf 'a%.0s' $(seq 49))" x.img --size 16M
expect_fail "--sector-size: '1024'" "$LEASEFS" format ls x.img --sector-size 1024
expect_fail "--io-timeout: '-1'" "$LEASEFS" format ls x.img --io-timeout -1
head -c 1M /dev/urandom >foreign.img
expect_fail "not a leasefs lockspace" "$LEASEFS" dump foreign.img
"$LEASEFS" format ok ok.img --size 64M --io-timeout 1 || fail "format"
cp ok.img orig.img
# refuses to overwrite a lockspace, and leaves it as it was
expect_fail "already holds a lockspace" "$LEASEFS" format other ok.img
cmp -s ok.img orig.img || fail "refused format changed the device"
# a flipped bit in the header name: checksum mismatch
printf 'X' | dd of=ok.img bs=1 seek=81 conv=notrunc status=none
expect_fail "checksum mismatch" "$LEASEFS" dump ok.img
# another format version (byte 8 is the version, little-endian): 1, the
# format before shared leases and values (refused: core/ondisk.h), and 3
for v in 1 3; do
	cp orig.img v$v.img
	printf "\\x0$v" | dd of=v$v.img bs=1 seek=8 conv=notrunc status=none
	expect_fail "unsupported format version" "$LEASEFS" dump v$v.img
done
# --force overwrites
"$LEASEFS" format other ok.img --force --io-timeout 1 || fail "format --force"
"$LEASEFS" dump ok.img | grep -q '^lockspace: other$' || fail "--force did not format"
