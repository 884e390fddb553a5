#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# A prebuilt object (ember build) next to the same program as text, whole
# process, as ratios: `ember check` and `ember run --duration 0` of the text
# (its object cached) and of the object. Run as root after building:
#
#   bench/prebuilt.sh [--runs K] [--ember PATH]...
#
# --runs: whole-process runs per command; medians shown (default 7). CPU
#         time comes from /usr/bin/time (10 ms steps): read it over runs.
# --ember: an ember command to measure (repeatable, e.g. a build from before
#          a change next to one after; LD_LIBRARY_PATH=... works through env).
#          Default: BUILD_DIR/bin/ember (BUILD_DIR default build).
set -euo pipefail

name=prebuilt.sh
help=4,13
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

cat >"$work/prog.c" <<'C'
TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	bpf_trace_printk("exec %s\n", args->filename);
	return 0;
}
C


printf '%-36s %9s %9s %9s\n' "command (medians of $runs)" "wall ms" "cpu ms" "peak MB"
declare -A res
n=0
for e in "${embers[@]}"; do
	n=$((n + 1))
	echo "ember #$n: $e"
	# shellcheck disable=SC2086 # an ember may be "env VAR=... path"
	$e build "$work/prog.c" -o "$work/prog.o"
	for what in "check prog.c" "check prog.o" "run --duration 0 prog.c" "run --duration 0 prog.o"; do
		set -- $what
		file=${!#}
		# shellcheck disable=SC2086
		r=$(measure $e "${@:1:$#-1}" "$work/$file")
		res["$e|$what"]=$r
		printf '%-36s %9s %9s %9s\n' "#$n $what" $r
	done
done
echo
echo "ratios, object / text (below 1: the object is cheaper):"
n=0
for e in "${embers[@]}"; do
	n=$((n + 1))
	for verb in "check" "run --duration 0"; do
		read -r tw tc tr <<<"${res["$e|$verb prog.c"]}"
		read -r ow oc or <<<"${res["$e|$verb prog.o"]}"
		awk -v e="#$n" -v v="$verb" -v tw="$tw" -v tc="$tc" -v tr="$tr" \
			-v ow="$ow" -v oc="$oc" -v or="$or" 'BEGIN {
			printf "  %-4s %-18s wall %.2f  cpu %.2f  peak %.2f\n", e, v,
				ow / tw, (tc > 0 ? oc / tc : 0), or / tr }'
	done
done
if [ ${#embers[@]} -gt 1 ]; then
	echo
	echo "ratios, each ember / #1:"
	n=1
	for e in "${embers[@]:1}"; do
		n=$((n + 1))
		echo "  #$n:"
		for what in "check prog.c" "check prog.o" "run --duration 0 prog.c" "run --duration 0 prog.o"; do
			read -r aw ac ar <<<"${res["${embers[0]}|$what"]}"
			read -r bw bc br <<<"${res["$e|$what"]}"
			awk -v w="$what" -v aw="$aw" -v ac="$ac" -v ar="$ar" -v bw="$bw" -v bc="$bc" -v br="$br" 'BEGIN {
				printf "    %-26s wall %.2f  cpu %.2f  peak %.2f\n", w,
					bw / aw, (ac > 0 ? bc / ac : 0), br / ar }'
		done
	done
fi
