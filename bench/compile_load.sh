#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Compile+load time and whole-process cost of ember next to BCC (and
# bpftrace for hello world), as ratios. Run as root after building:
#
#   bench/compile_load.sh [--iterations N] [--runs K]
#
# --iterations: in-process iterations per phase (default 20).
# --runs: whole-process runs per tool and program; the median is shown
#         (default 5).
# Environment: BUILD_DIR (default build), BCC_PYTHON (default
# /usr/bin/python3: Debian's python3-bpfcc is installed for that one only).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=${BUILD_DIR:-$here/../build}
bench=$build/bin/bench_compile_load
py=${BCC_PYTHON:-/usr/bin/python3}
iterations=20
runs=5

while [ $# -gt 0 ]; do
	case $1 in
	--iterations) iterations=$2; shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	-h | --help) sed -n '4,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "unknown argument: $1" >&2; exit 2 ;;
	esac
done
if [ ! -x "$bench" ]; then
	echo "$bench not found: build first (cmake --build build)" >&2
	exit 1
fi
if [ "$(id -u)" != 0 ]; then
	echo "compile_load.sh: loading BPF programs needs root" >&2
	exit 1
fi
# BCC and bpftrace look for tracefs; ember mounts it itself.
if [ ! -d /sys/kernel/tracing/events ]; then
	mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true
fi

work=$(mktemp -d /tmp/ember-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

# measure OUTFILE CMD...: run CMD K times; OUTFILE gets "WALL_MS RSS_KB" (the
# medians). Wall time from date (ns), peak RSS from /usr/bin/time -v, else
# from python's resource module (RUSAGE_CHILDREN of a wrapper).
measure() {
	local out=$1 i t0 t1 rss
	shift
	: >"$work/samples"
	for ((i = 0; i < runs; i++)); do
		t0=$(date +%s%N)
		if [ -x /usr/bin/time ]; then
			/usr/bin/time -v -o "$work/time" "$@" >"$work/log" 2>&1 ||
				{ cat "$work/log" >&2; return 1; }
			t1=$(date +%s%N)
			rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$work/time")
		else
			rss=$(python3 -c '
import resource, subprocess, sys
if subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL,
                  stderr=subprocess.DEVNULL).returncode:
    sys.exit(1)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$@") ||
				{ echo "failed: $*" >&2; return 1; }
			t1=$(date +%s%N)
		fi
		echo "$(((t1 - t0) / 1000)) $rss" >>"$work/samples"
	done
	# Median of each column, separately.
	{
		sort -n -k1,1 "$work/samples" | awk '{ a[NR] = $1 } END {
			printf "%.1f ", (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) / 1000 }'
		sort -n -k2,2 "$work/samples" | awk '{ a[NR] = $2 } END {
			printf "%d\n", NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
	} >"$out"
}

# median FILE PROG PHASE: median_ms column of a result row.
median() {
	awk -v p="$2" -v f="$3" '$1 == p && $2 == f { print $5 }' "$1"
}

# Anything else running skews every number: show how busy the machine was.
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs, kernel $(uname -r)"
echo
echo "== ember: in-process ($iterations iterations) =="
"$bench" --iterations "$iterations" | tee "$work/ember.txt"

have_bcc=0
if "$py" -c 'import bcc' 2>/dev/null; then
	have_bcc=1
	echo
	echo "== BCC: in-process ($iterations iterations) =="
	if ! "$py" "$here/compile_load_bcc.py" --iterations "$iterations" |
		tee "$work/bcc.txt"; then
		echo "BCC run failed (kernel headers? see bench/README.md)" >&2
		have_bcc=0
	fi
fi
have_bpftrace=0
command -v bpftrace >/dev/null && have_bpftrace=1

echo
echo "== whole process: median of $runs runs each =="
# ember's --once runs share a private cache, removed with $work. The first
# run finds it empty (the first-ever run: it builds the PCH); afterwards
# "new" runs compile never-seen text (--unique) and "cached" runs repeat
# text whose object is already cached. BCC and bpftrace cache nothing.
export EMBER_CACHE_DIR=$work/ember-cache
saved_runs=$runs
runs=1
measure "$work/ember_cold.proc" "$bench" --once hello
runs=$saved_runs
for prog in hello map; do
	measure "$work/ember_new_$prog.proc" "$bench" --once "$prog" --unique
	"$bench" --once "$prog" >/dev/null # fills the object cache
	measure "$work/ember_cached_$prog.proc" "$bench" --once "$prog"
	if [ $have_bcc = 1 ]; then
		measure "$work/bcc_$prog.proc" "$py" "$here/compile_load_bcc.py" --once "$prog" ||
			have_bcc=0
	fi
done
unset EMBER_CACHE_DIR
if [ $have_bpftrace = 1 ]; then
	# BEGIN fires once every probe is attached; exit() then ends the run.
	measure "$work/bpftrace_hello.proc" bpftrace -e \
		'tracepoint:syscalls:sys_enter_execve { printf("Hello, World!\n"); } BEGIN { exit(); }' ||
		have_bpftrace=0
fi

# Table: one line per metric; ratio = other / ember (> 1: ember is cheaper).
field() { # FILE COLUMN
	if [ -s "$1" ]; then
		awk -v c="$2" '{ print $c }' "$1"
	else
		echo "-"
	fi
}
line() { # LABEL EMBER BCC [BPFTRACE]
	awk -v l="$1" -v e="$2" -v b="$3" -v t="${4:--}" 'BEGIN {
		if (b == "") b = "-"
		r = (e + 0 > 0 && b != "-") ? sprintf("%.2fx", b / e) : "-"
		rt = (e + 0 > 0 && t != "-") ? sprintf("%.2fx", t / e) : "-"
		printf "%-48s %9s %9s %9s %9s %9s\n", l, e, b, r, t, rt }'
}
mb() { # kB -> MB, or "-"
	if [ "$1" = "-" ]; then
		echo "-"
	else
		awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'
	fi
}

echo
echo "== summary: medians; ms and MB; ratio = other tool / ember =="
echo "   new: text ember never compiled (PCH cached); cached: same text again;"
echo "   first-ever: empty cache, ember builds its PCH (BCC has no cache)"
printf "%-48s %9s %9s %9s %9s %9s\n" "" ember BCC BCC/ember bpftrace bt/ember
for prog in hello map; do
	bcc_f=$work/bcc.txt
	[ $have_bcc = 1 ] || bcc_f=/dev/null
	bt_wall=- bt_rss=-
	if [ $prog = hello ] && [ $have_bpftrace = 1 ]; then
		bt_wall=$(field "$work/bpftrace_hello.proc" 1)
		bt_rss=$(mb "$(field "$work/bpftrace_hello.proc" 2)")
	fi
	for kind in new cached; do
		line "$prog $kind: compile+load+attach" \
			"$(median "$work/ember.txt" $prog compile_load_attach_$kind)" \
			"$(median "$bcc_f" $prog compile_load_attach)"
		line "$prog $kind: compile+load+attach+free/cleanup" \
			"$(median "$work/ember.txt" $prog compile_load_attach_free_$kind)" \
			"$(median "$bcc_f" $prog compile_load_attach_free)"
	done
	for kind in new cached; do
		line "$prog $kind: whole process wall" \
			"$(field "$work/ember_${kind}_$prog.proc" 1)" \
			"$(field "$work/bcc_$prog.proc" 1)" "$bt_wall"
		line "$prog $kind: whole process peak RSS" \
			"$(mb "$(field "$work/ember_${kind}_$prog.proc" 2)")" \
			"$(mb "$(field "$work/bcc_$prog.proc" 2)")" "$bt_rss"
	done
done
line "hello first-ever: compile+load+attach+free" "$(median "$work/ember.txt" hello cold_compile_load_attach_free)" -
line "hello first-ever: whole process wall" "$(field "$work/ember_cold.proc" 1)" -
line "hello first-ever: whole process peak RSS" "$(mb "$(field "$work/ember_cold.proc" 2)")" -

if [ $have_bcc = 0 ]; then
	cat <<EOF

BCC was not found ($py cannot import bcc), so only ember's numbers are shown.
Install it (Debian) and point it at kernel headers, then run this again:
  apt-get install -y bpfcc-tools python3-bpfcc linux-headers-amd64
  mkdir -p /lib/modules/\$(uname -r)
  ln -sfn /usr/src/linux-headers-*-amd64 /lib/modules/\$(uname -r)/build
  ln -sfn /usr/src/linux-headers-*-common /lib/modules/\$(uname -r)/source
EOF
fi
if [ $have_bpftrace = 0 ]; then
	echo
	echo "bpftrace not found (optional: apt-get install -y bpftrace)."
fi
