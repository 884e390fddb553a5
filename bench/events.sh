#!/bin/sh
# Event delivery, 1M 64-byte events from a getppid() loop on CPU 0, read on
# CPU 1: ember from C (bench_events: perf and ring buffers, BCC's defaults
# and tuned), then BCC from Python doing the same when python3-bpfcc is
# importable by /usr/bin/python3. Needs root. Not a test: numbers only.
#
#   bench/events.sh [BUILD_DIR]      (default: build)
#   N=100000 bench/events.sh         (fewer events)
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
bin=$build/bin/bench_events
n=${N:-1000000}

if [ ! -x "$bin" ]; then
	echo "no $bin: build first (cmake --build $build)" >&2
	exit 1
fi

echo "== ember (C)"
"$bin" -n "$n"

if ! /usr/bin/python3 -c 'import bcc' 2>/dev/null; then
	echo "== BCC (Python): python3-bpfcc not importable, skipped"
	exit 0
fi

echo "== BCC (Python), same program, 64 pages, reader on CPU 1"
/usr/bin/python3 - "$bin" "$n" <<'PY'
import ctypes
import os
import subprocess
import sys
import time

from bcc import BPF

producer, n = sys.argv[1], int(sys.argv[2])
text = r"""
struct ev64 { u64 seq; u64 ts; u32 pid; u32 cpu; char comm[16]; u8 pad[24]; };
BPF_ARRAY(counter, u64, 1);
BPF_ARRAY(target, u32, 1);
OUTPUT;
TRACEPOINT_PROBE(syscalls, sys_enter_getppid)
{
	struct ev64 e = {};
	int zero = 0;
	u32 *t = target.lookup(&zero);
	u64 *c;

	if (!t || bpf_get_current_pid_tgid() >> 32 != *t)
		return 0;
	c = counter.lookup(&zero);
	if (!c)
		return 0;
	e.seq = (*c)++;
	e.ts = bpf_ktime_get_ns();
	e.pid = *t;
	e.cpu = bpf_get_smp_processor_id();
	bpf_get_current_comm(&e.comm, sizeof(e.comm));
	SUBMIT;
	return 0;
}
"""


def run(kind):
    if kind == "perf":
        t = text.replace("OUTPUT", "BPF_PERF_OUTPUT(events)").replace(
            "SUBMIT", "events.perf_submit(args, &e, sizeof(e))")
    else:
        t = text.replace("OUTPUT", "BPF_RINGBUF_OUTPUT(events, 64)").replace(
            "SUBMIT", "events.ringbuf_output(&e, sizeof(e), 0)")
    b = BPF(text=t)
    got = [0]
    lost = [0]

    def on_event(ctx, data, size):
        got[0] += 1

    def on_lost(count):
        lost[0] += count

    if kind == "perf":
        b["events"].open_perf_buffer(on_event, page_cnt=64, lost_cb=on_lost)
        poll = b.perf_buffer_poll
    else:
        b["events"].open_ring_buffer(on_event)
        poll = b.ring_buffer_poll
    os.sched_setaffinity(0, {1})
    p = subprocess.Popen([producer, "-P", str(n)], stdin=subprocess.PIPE)
    b["target"][ctypes.c_int(0)] = ctypes.c_uint(p.pid)
    t0 = time.monotonic()
    p.stdin.write(b"go\n")
    p.stdin.flush()
    while p.poll() is None:
        poll(timeout=20)
    before = -1
    while got[0] != before:  # drain
        before = got[0]
        poll(timeout=50)
    elapsed = time.monotonic() - t0
    sent = b["counter"][ctypes.c_int(0)].value
    silent = sent - got[0] - lost[0]
    print("%s  sent %d  delivered %d (%.1f%%)  lost (reported) %d  "
          "silently dropped %d  %.3f s  %.2fM delivered/s" %
          (kind, sent, got[0], 100.0 * got[0] / sent, lost[0], silent,
           elapsed, got[0] / elapsed / 1e6))
    sys.stdout.flush()
    b.cleanup()


run("perf")
run("ring")
PY
