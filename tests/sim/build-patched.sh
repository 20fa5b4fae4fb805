#!/bin/sh
# build-patched.sh OUT PATCH... -- build the simulator on a scratch copy of
# core/ with PATCH... applied in order (tests/sim/reverts/*.patch undo a
# known safety fix; tests/sim/proposals/*.patch are fixes proposed from the
# simulator's findings).  core/ itself is never touched.  CC, CFLAGS and
# LIBS come from the environment (the Makefile passes its own), and REVERT
# and PROPOSE (the make variables) are compiled in for the replay hints.
set -e
out=$1
shift
dir=$(dirname "$out")/src
rm -rf "$dir"
mkdir -p "$dir"
cp -r core "$dir/core"
for p in "$@"; do
	patch -s -d "$dir" -p1 < "$p"
done
# shellcheck disable=SC2086
$CC $CFLAGS -DSIM_REVERT="\"${REVERT}\"" -DSIM_PROPOSE="\"${PROPOSE}\"" \
    -I"$dir/core" -Itests/sim -o "$out" tests/sim/*.c "$dir"/core/*.c $LIBS
