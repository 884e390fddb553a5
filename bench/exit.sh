#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The ten-tracepoint exit, whole process: `ember run --duration 0` of ten
# TRACEPOINT_PROBEs (object cached: attach, then exit at once) next to BCC's
# Python `BPF(text=...)` of the same text (when /usr/bin/python3 can import
# bcc) and bpftrace with the same ten probes (when installed), as ratios.
# Each run starts when the tracepoints of the one before are released.
# Run as root after building:
#
#   bench/exit.sh [--runs K] [--ember CMD]...
#
# --runs: whole-process runs per command; medians shown (default 7).
# --ember: an ember command to measure (repeatable: a build from before a
#          change next to one after; "env LD_LIBRARY_PATH=... path" works).
#          Default: BUILD_DIR/bin/ember (BUILD_DIR default build).
set -euo pipefail

name=exit.sh
help=4,16
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

calls="read write openat close mmap munmap brk ioctl getpid futex"
probes=()
: >"$work/ten.c"
for c in $calls; do
	printf 'TRACEPOINT_PROBE(syscalls, sys_enter_%s)\n{\n\treturn 0;\n}\n\n' "$c" >>"$work/ten.c"
	probes+=("tracepoint:syscalls:sys_enter_$c")
done
cat >"$work/bcc_ten.py" <<'PY'
import sys
from bcc import BPF
BPF(text=open(sys.argv[1]).read())
PY

# The kernel releases the tracepoints of the run before (one after another,
# under a global lock, in the ember-release process) while the next one's
# attach waits for that lock: each run starts once they are done, to time
# one exit, not a queue of them.
before_run() {
	while pgrep -x ember-release >/dev/null; do sleep 0.05; done
}


printf '%-28s %9s %9s %9s\n' "command (medians of $runs)" "wall ms" "cpu ms" "peak MB"
names=()
results=()
row() {
	local name=$1 r
	shift
	r=$(measure "$@")
	names+=("$name")
	results+=("$r")
	printf '%-28s %9s %9s %9s\n' "$name" $r
}
n=0
for e in "${embers[@]}"; do
	n=$((n + 1))
	echo "ember #$n: $e"
	# shellcheck disable=SC2086 # an ember may be "env VAR=... path"
	row "#$n ember run --duration 0" $e run --duration 0 "$work/ten.c"
done
if /usr/bin/python3 -c 'import bcc' 2>/dev/null; then
	row "BCC BPF(text=...)" /usr/bin/python3 "$work/bcc_ten.py" "$work/ten.c"
fi
if command -v bpftrace >/dev/null; then
	row "bpftrace" bpftrace -e "$(IFS=,; echo "${probes[*]}") { } BEGIN { exit(); }"
fi
echo
echo "ratios, other / ember #1 (above 1: ember #1 is cheaper):"
read -r aw ac ar <<<"${results[0]}"
for ((i = 1; i < ${#names[@]}; i++)); do
	read -r bw bc br <<<"${results[$i]}"
	awk -v w="${names[$i]}" -v aw="$aw" -v ac="$ac" -v ar="$ar" -v bw="$bw" -v bc="$bc" -v br="$br" 'BEGIN {
		printf "  %-26s wall %.2f  cpu %.2f  peak %.2f\n", w,
			bw / aw, (ac > 0 ? bc / ac : 0), br / ar }'
done
