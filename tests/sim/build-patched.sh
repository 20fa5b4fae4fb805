#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# build-patched.sh OUT PATCH... -- build the simulator on a scratch copy of
# core/ with PATCH... applied in order (tests/sim/reverts/*.patch undo a
# known safety fix; tests/sim/proposals/*.patch are fixes proposed from the
# simulator's findings).  core/ itself is never touched.  CC, CFLAGS and
# LIBS come from the environment (the Makefile passes its own), and REVERT
# and PROPOSE (the make variables) are compiled in for the replay hints.
# SKIP_STALE=1: a patch that does not apply is skipped with a note.
set -e
out=$1
shift
dir=$(dirname "$out")/src
rm -rf "$dir"
mkdir -p "$dir"
cp -r core "$dir/core"
for p in "$@"; do
	if [ -n "$SKIP_STALE" ] && ! patch -s --dry-run -f -d "$dir" -p1 < "$p" \
	    >/dev/null 2>&1; then
		echo "build-patched: $p does not apply any more (merged?), skipped" >&2
		continue
	fi
	patch -s -d "$dir" -p1 < "$p"
done
# shellcheck disable=SC2086
$CC $CFLAGS -DSIM_REVERT="\"${REVERT}\"" -DSIM_PROPOSE="\"${PROPOSE}\"" \
    -I"$dir/core" -Itests/sim -o "$out" tests/sim/*.c "$dir"/core/*.c $LIBS
