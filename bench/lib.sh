# shellcheck shell=bash disable=SC2154 # name and help: set by the sourcer
# SPDX-License-Identifier: MIT
#
# What the whole-process benches share (sourced, not run): their arguments,
# their prerequisites, a scratch directory with its own cache, and rows of
# commands timed in turn with their medians and ratios. The sourcing script
# sets `name` (for messages) and `help` (the sed range of its header
# comment) first.

here=$(cd "$(dirname "$0")" && pwd)
build=${BUILD_DIR:-$here/../build}
tree=$build/bin/bench_whole_tree
runs=7
embers=()

while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=$2; shift 2 ;;
	--ember) embers+=("$2"); shift 2 ;;
	-h | --help) sed -n "${help}p" "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "unknown argument: $1" >&2; exit 2 ;;
	esac
done
[ ${#embers[@]} -gt 0 ] || embers=("$build/bin/ember")
if [ "$(id -u)" != 0 ]; then
	echo "$name: loads and attaches BPF programs: run as root" >&2
	exit 1
fi
if [ ! -x "$tree" ]; then
	echo "$name: $tree not found: build first (cmake --build build)" >&2
	exit 1
fi
# BCC and bpftrace look for tracefs; ember mounts it itself.
if [ ! -d /sys/kernel/tracing/events ]; then
	mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true
fi

work=$(mktemp -d /tmp/ember-bench.XXXXXX)
export EMBER_CACHE_DIR=$work/cache
# A compiler of ember's own for every command unless a row says otherwise:
# the shared compiler (the default) started inside bench_whole_tree's tree
# would be waited for until it leaves, 30 s later.
export EMBER_SHARED_COMPILER=0

# stop_shared DIR: stop the shared compiler serving cache directory DIR.
stop_shared() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/fd/4" 2>/dev/null)" = "$1" ] &&
			kill "${p#/proc/}" 2>/dev/null
	done
	return 0
}
trap 'stop_shared "$work/cache"; stop_shared "$work/cold"; rm -rf "$work"' EXIT

# A row: `add TOOL CMD` for each tool (CMD is one string, run through eval;
# each @NEW@ in it becomes a program text no run has seen: the file
# $work/new.c with a comment of its own appended), then `measure LABEL
# GOAL`. The first tool added is the one the ratios divide.
tools=()
cmds=()
add() {
	tools+=("$1")
	cmds+=("$2")
}

# expand CMD: sets c to CMD with @NEW@ made a new text (not in a subshell:
# the count must go on).
fresh=0
expand() {
	c=$1
	if [[ $c == *@NEW@* ]]; then
		fresh=$((fresh + 1))
		{ cat "$work/new.c"; echo "// run $fresh"; } >"$work/new-$fresh.c"
		c=${c//@NEW@/$work/new-$fresh.c}
	fi
}

# median: of the numbers on stdin, one a line.
median() {
	sort -g | awk '{ a[NR] = $1 } END {
		print NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# header FIRST: the table's heading; FIRST names the tool the ratios divide.
header() {
	printf '%-22s %-11s %8s %8s %8s %8s  %-14s %s\n' "row" "tool" \
		"wall ms" "tree ms" "cpu ms" "peak MB" "goal" \
		"$1 / tool: wall cpu peak"
}

# measure LABEL GOAL: one warm-up run of each tool, then $runs rounds, the
# tools in turn in each (so that a ratio pairs runs that saw the same
# machine); each run under bench_whole_tree, which waits for every process
# the command started (ember's compiler process, the process releasing its
# tracepoints) and counts their CPU time. Prints, per tool, the medians of
# the command's own wall time (what its user waits for), the whole tree's,
# its CPU time (user+system) and the largest resident set of any one process
# in it; then the medians, pair by pair, of the first tool's figures
# divided by this tool's (below 1: the first is cheaper).
measure() {
	local label=$1 goal=$2 i r n=${#tools[@]} c
	for ((i = 0; i < n; i++)); do
		expand "${cmds[$i]}"
		if ! eval "\"\$tree\" -o \"\$work/one\" $c" >"$work/log" 2>&1; then
			echo "$name: failed: $c" >&2
			cat "$work/log" >&2
			return 1
		fi
		: >"$work/samples.$i"
	done
	for ((r = 0; r < runs; r++)); do
		for ((i = 0; i < n; i++)); do
			expand "${cmds[$i]}"
			eval "\"\$tree\" -o \"\$work/one\" $c" >/dev/null 2>&1 ||
				echo "$name: exit status $? from: $c" >&2
			cat "$work/one" >>"$work/samples.$i"
		done
	done
	for ((i = 0; i < n; i++)); do
		printf '%-22s %-11s' "$label" "${tools[$i]}"
		for col in 1 2 3; do
			printf ' %8.1f' "$(cut -d' ' -f$col "$work/samples.$i" |
				median | awk '{ print $1 / 1000 }')"
		done
		printf ' %8.1f' "$(cut -d' ' -f4 "$work/samples.$i" |
			median | awk '{ print $1 / 1024 }')"
		printf '  %-14s' "$([ "$i" = 0 ] && echo "$goal")"
		if [ "$i" != 0 ]; then
			for col in 1 3 4; do
				printf ' %5.2f' "$(paste -d' ' "$work/samples.0" \
					"$work/samples.$i" |
					awk -v c=$col '{ print ($(c + 4) > 0 ? $c / $(c + 4) : 0) }' |
					median)"
			done
		fi
		echo
	done
	tools=()
	cmds=()
}
