#!/bin/sh
# The Python binding beside BCC's Python module, in one run (BCC's part when
# /usr/bin/python3 can import bcc). Needs root; numbers only, not a test.
#   bench/python.sh [BUILD_DIR]      N=1000000 ITEMS=100000 RUNS=5
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
n=${N:-1000000}
items=${ITEMS:-100000}
runs=${RUNS:-5}
py=/usr/bin/python3
export EMBER_LIBRARY=$PWD/$build/lib/libember.so.0
export PYTHONPATH=$PWD/frontends/python
mods=ember
if $py -c 'import bcc' 2>/dev/null; then mods="ember bcc"; fi
hello='int hello(void *ctx) { bpf_trace_printk("hi\\n"); return 0; }'

for m in $mods; do
	echo "== $m ($py)"
	$py bench/python.py $m events perf "$n" "$build/bin/bench_events"
	$py bench/python.py $m events perf1 "$n" "$build/bin/bench_events"
	$py bench/python.py $m events perf32 "$n" "$build/bin/bench_events"
	$py bench/python.py $m events ring "$n" "$build/bin/bench_events"
	$py bench/python.py $m drain perf 300000
	$py bench/python.py $m drain ring 300000
	$py bench/python.py $m items "$items"
	# Whole process: interpreter start, import, compile, load (best of RUNS).
	best=
	for _ in $(seq "$runs"); do
		t0=$(date +%s%N)
		$py -c "from $m import BPF; BPF(text='$hello')"
		t=$((($(date +%s%N) - t0) / 1000000))
		if [ -z "$best" ] || [ "$t" -lt "$best" ]; then best=$t; fi
	done
	echo "python3 -c 'from $m import BPF; BPF(text=HELLO)': best of $runs: $best ms"
done
