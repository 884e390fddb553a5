#!/bin/sh
# SPDX-License-Identifier: MIT
# out=$(ember check prog.c), as a user or a script captures its output: it
# returns when ember is done, not when the shared compiler it started
# leaves (here after 60 s); that compiler is still there.
#   output_captured.sh EMBER PROG.c
set -u
ember=$1
prog=$2
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
export EMBER_CACHE_DIR="$d/cache" EMBER_COMPILER_IDLE_SECONDS=60
unset EMBER_SHARED_COMPILER
start=$(date +%s)
out=$("$ember" check "$prog" 2>&1) || { echo "check failed: $out"; exit 1; }
took=$(($(date +%s) - start))
server=
for p in /proc/[0-9]*; do
	[ "$(readlink "$p/fd/4" 2>/dev/null)" = "$EMBER_CACHE_DIR" ] &&
		server=$(basename "$p")
done
[ -n "$server" ] || { echo "no shared compiler runs"; exit 1; }
kill "$server"
[ "$took" -lt 30 ] || { echo "the capture took $took s"; exit 1; }
echo "captured-at-once"
