#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Issue 13's limits in one run: whole-process wall time, CPU time and peak
# RSS of ember next to the floor (bench_floor_loader: plain libbpf loading
# the object `ember build` writes), BCC's Python BPF(text=...) of the same
# text (when /usr/bin/python3 can import bcc) and bpftrace doing the same
# (when installed), for a cached program, a prebuilt object, new text (a
# text no run has seen, each run) and the exit of ten tracepoints, with the
# goals and the ratios ember / each. Run as root after building, under the
# kernel lock where others load programs too:
#
#   bench/limits.sh [--runs K] [--ember CMD]...
#
# --runs: rounds of runs (each tool once a round, after one warm-up run
#         each); medians shown (default 7).
# --ember: an ember command to measure (repeatable: a build from before a
#          change next to one after; "env LD_LIBRARY_PATH=... path" works).
#          Default: BUILD_DIR/bin/ember (BUILD_DIR default build).
set -euo pipefail

name=limits.sh
help=4,20
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

floor=$build/bin/bench_floor_loader
if [ ! -x "$floor" ]; then
	echo "$name: $floor not found: build first (cmake --build build)" >&2
	exit 1
fi

# One program for all: a BCC-syntax text (ember and BCC), the object ember
# builds from it (ember and the floor), and bpftrace's program that does the
# same (counts execs per uid in a hash).
cat >"$work/prog.c" <<'C'
BPF_HASH(counts, u32, u64);

TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	u32 uid = bpf_get_current_uid_gid();
	counts.increment(uid);
	return 0;
}
C
cp "$work/prog.c" "$work/new.c"
echo 'tracepoint:syscalls:sys_enter_execve { @counts[uid] = count(); }
BEGIN { exit(); }' >"$work/prog.bt"

# Ten tracepoints that do nothing: what their exit costs.
: >"$work/ten.c"
probes=()
for c in read write openat close mmap munmap brk ioctl getpid futex; do
	printf 'TRACEPOINT_PROBE(syscalls, sys_enter_%s)\n{\n\treturn 0;\n}\n\n' \
		"$c" >>"$work/ten.c"
	probes+=("tracepoint:syscalls:sys_enter_$c")
done
echo "$(IFS=,; echo "${probes[*]}") { } BEGIN { exit(); }" >"$work/ten.bt"

# BCC attaches TRACEPOINT_PROBEs itself; the script's exit detaches them.
cat >"$work/bcc_run.py" <<'PY'
import sys
from bcc import BPF
BPF(text=open(sys.argv[1]).read())
PY
bcc=
if ! /usr/bin/python3 -c 'import bcc' 2>/dev/null; then
	echo "BCC: not measured (/usr/bin/python3 cannot import bcc)"
elif [ ! -e "/lib/modules/$(uname -r)/build" ]; then
	echo "BCC: not measured (no /lib/modules/$(uname -r)/build: bench/README.md)"
else
	bcc="/usr/bin/python3 $work/bcc_run.py"
fi
bpftrace=$(command -v bpftrace || true)
[ -n "$bpftrace" ] || echo "bpftrace: not measured (not installed)"

# shellcheck disable=SC2086 # an ember may be "env VAR=... path"
${embers[0]} build "$work/prog.c" -o "$work/prog.o"
# shellcheck disable=SC2086
${embers[0]} build "$work/ten.c" -o "$work/ten.o"

n=${#embers[@]}
for ((i = 0; i < n; i++)); do
	echo "ember$([ "$n" = 1 ] || echo "#$((i + 1))"): ${embers[$i]}"
done
echo "medians of $runs rounds; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
header "$([ "$n" = 1 ] && echo ember || echo ember#1)"

# row LABEL GOAL EMBER_ARGS FLOOR_ARGS [BCC_FILE BPFTRACE_FILE]
row() {
	local i
	for ((i = 0; i < n; i++)); do
		add "ember$([ "$n" = 1 ] || echo "#$((i + 1))")" "${embers[$i]} $3"
	done
	add floor "$floor $4"
	if [ $# -gt 4 ]; then
		[ -z "$bcc" ] || add BCC "$bcc $5"
		[ -z "$bpftrace" ] || add bpftrace "$bpftrace $6"
	fi
	measure "$1" "$2"
}

row "cached text: check" "5 ms, 15 MB" "check $work/prog.c" \
	"--open-only $work/prog.o"
row "prebuilt object: check" "5 ms, 15 MB" "check $work/prog.o" \
	"--open-only $work/prog.o"
# New text, checked with the shared compiler (the default) warm: running
# before each run, started here outside bench_whole_tree (whose tree would
# hold it until it leaves); cold: none running, in a cache directory of its
# own (its PCH built by the warm-up) where the compiler each run starts
# leaves 0.3 s after it (the tree waits for it: cpu ms and peak MB count
# it); own: EMBER_SHARED_COMPILER=0, the compiler of ember's own. The ratios
# divide the first, warm.
mkdir -m 700 "$work/cold"
for ((i = 0; i < n; i++)); do
	s=$([ "$n" = 1 ] || echo "#$((i + 1))")
	{ cat "$work/new.c"; echo "// warm start $i"; } >"$work/warm.c"
	# shellcheck disable=SC2086 # an ember may be "env VAR=... path"
	EMBER_SHARED_COMPILER=1 EMBER_COMPILER_IDLE_SECONDS=3600 \
		${embers[$i]} check "$work/warm.c" >/dev/null
	add "warm$s" "env EMBER_SHARED_COMPILER=1 ${embers[$i]} check @NEW@"
	add "cold$s" "env EMBER_SHARED_COMPILER=1 EMBER_CACHE_DIR=$work/cold \
EMBER_COMPILER_IDLE_SECONDS=0.3 ${embers[$i]} check @NEW@"
	add "own$s" "env EMBER_SHARED_COMPILER=0 ${embers[$i]} check @NEW@"
done
add floor "$floor --open-only $work/prog.o"
measure "new text: check" "25 ms, 60 MB"
stop_shared "$work/cache"
row "cached text: run" "5 ms, 15 MB" "run --duration 0 $work/prog.c" \
	"$work/prog.o" "$work/prog.c" "$work/prog.bt"
row "prebuilt object: run" "5 ms, 15 MB" "run --duration 0 $work/prog.o" \
	"$work/prog.o" "$work/prog.c" "$work/prog.bt"
row "new text: run" "25 ms, 60 MB" "run --duration 0 @NEW@" \
	"$work/prog.o" "@NEW@" "$work/prog.bt"
row "ten tracepoints: exit" "250 ms" "run --duration 0 $work/ten.c" \
	"$work/ten.o" "$work/ten.c" "$work/ten.bt"

# Ten uprobes (libc functions) and, where the kernel has kprobes, ten
# kprobes, each program doing nothing: their exit. `ember run` attaches
# only what a section names, so ember is its Python frontend (this build's
# library) running the same script as BCC; bpftrace attaches the same ten.
cat >"$work/probes.py" <<'PY'
import sys
if sys.argv[1] == "ember":
    from ember import BPF
else:
    from bcc import BPF
b = BPF(text="int on_probe(void *ctx) { return 0; }")
for fn in sys.argv[3:]:
    if sys.argv[2] == "uprobe":
        b.attach_uprobe(name="c", sym=fn, fn_name="on_probe")
    else:
        b.attach_kprobe(event=fn, fn_name="on_probe")
PY
py_ember="env EMBER_LIBRARY=$build/lib/libember.so.0"
py_ember+=" PYTHONPATH=$here/../frontends/python /usr/bin/python3"
ufns="getpid getppid getuid geteuid getgid getegid sched_yield getpgrp umask sync"
kfns="vfs_read vfs_write vfs_open do_sys_openat2 __x64_sys_getpid"
kfns+=" __x64_sys_getppid __x64_sys_getuid __x64_sys_geteuid"
kfns+=" __x64_sys_getgid __x64_sys_sched_yield"
# probe_row LABEL KIND FNS BPFTRACE_PREFIX
probe_row() {
	add ember "$py_ember $work/probes.py ember $2 $3"
	[ -z "$bcc" ] || add BCC "/usr/bin/python3 $work/probes.py bcc $2 $3"
	# shellcheck disable=SC2001 # one prefix per name
	echo "$(echo "$3" | sed "s|\([^ ]*\)|$4\1|g; s/ /,/g") { }" \
		"BEGIN { exit(); }" >"$work/$2.bt"
	[ -z "$bpftrace" ] || add bpftrace "$bpftrace $work/$2.bt"
	measure "$1" "-"
}
probe_row "ten uprobes: exit" uprobe "$ufns" uprobe:libc:
if [ -e /sys/bus/event_source/devices/kprobe ]; then
	probe_row "ten kprobes: exit" kprobe "$kfns" kprobe:
else
	echo "ten kprobes: not measured (this kernel has no kprobes)"
fi
