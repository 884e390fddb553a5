# SPDX-License-Identifier: MIT
#
# What the whole-process ember benches share (sourced, not run): their
# arguments, their prerequisites, a scratch directory with its own cache, and
# the timing of one command over runs. The sourcing script sets `name` (for
# messages) and `help` (the sed range of its header comment) first.

here=$(cd "$(dirname "$0")" && pwd)
build=${BUILD_DIR:-$here/../build}
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
if [ ! -x /usr/bin/time ]; then
	echo "$name: needs /usr/bin/time (Debian: time)" >&2
	exit 1
fi

work=$(mktemp -d /tmp/ember-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
export EMBER_CACHE_DIR=$work/cache

# Called before each timed run; a script redefines it to wait for something.
before_run() { :; }

# measure CMD...: "WALL_MS CPU_MS RSS_MB", medians of $runs runs (one
# warm-up first), from /usr/bin/time -v.
measure() {
	"$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; "$@"; return 1; }
	local i t0 t1
	for ((i = 0; i < runs; i++)); do
		before_run
		t0=$(date +%s%N)
		/usr/bin/time -v -o "$work/time" "$@" >/dev/null 2>&1
		t1=$(date +%s%N)
		awk -F': ' -v w=$(((t1 - t0) / 1000)) '
			/User time/ { u = $2 } /System time/ { s = $2 }
			/Maximum resident set size/ { r = $2 }
			END { printf "%.1f %.1f %.1f\n", w / 1000, (u + s) * 1000, r / 1024 }' "$work/time"
	done >"$work/samples"
	for col in 1 2 3; do
		cut -d' ' -f$col "$work/samples" | sort -n | sed -n "$(((runs + 1) / 2))p"
	done | paste -sd' '
}
