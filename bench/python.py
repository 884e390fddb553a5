"""The Python binding against BCC's Python module, side by side in one run
(BCC's when /usr/bin/python3 can import bcc: apt install python3-bpfcc).

    bench/python.sh [BUILD_DIR]        (runs this for ember, then for BCC)

One measurement per invocation, printed as one line:
  python.py MODULE events perf|ring N PRODUCER
      (perf: the module's default wake-up; perfN: wakeup_events=N)
      N 64-byte events from bench_events -P (getppid() loop on CPU 0) into
      a trivial Python callback on CPU 1: delivered/s, delivered + lost,
      and the reader's CPU time per event (user + system: the cost of the
      binding, less sensitive to other load than the rate)
  python.py MODULE drain perf|ring N
      the reader's cost alone: N events sent from this process on CPU 0 into
      a buffer large enough to keep them all, not read; then one consume
      into the trivial callback, timed (no producer, no wake-ups)
  python.py MODULE items N
      items() and clear() of an N-entry hash: wall and CPU (user +
      system: the kernel's share of the batch calls included) time
Not a test: numbers only. Needs root.
"""

import ctypes
import importlib
import os
import subprocess
import sys
import time

EVENTS = r"""
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


def events(BPF, kind, n, producer):
    if kind.startswith("perf"):
        text = EVENTS.replace("OUTPUT", "BPF_PERF_OUTPUT(events)").replace(
            "SUBMIT", "events.perf_submit(args, &e, sizeof(e))")
    else:
        text = EVENTS.replace("OUTPUT", "BPF_RINGBUF_OUTPUT(events, 1024)") \
            .replace("SUBMIT", "events.ringbuf_output(&e, sizeof(e), 0)")
    b = BPF(text=text)
    got = [0]
    lost = [0]

    def on_perf(cpu, data, size):
        got[0] += 1

    def on_ring(ctx, data, size):
        got[0] += 1

    def on_lost(count):
        lost[0] += count

    if kind.startswith("perf"):
        # "perf": the module's default wake-up policy (BCC's: one per
        # event; ember's: a quarter-full buffer or 10 ms); "perfN":
        # wakeup_events=N in both modules.
        kw = {"wakeup_events": int(kind[4:])} if kind[4:] else {}
        b["events"].open_perf_buffer(on_perf, page_cnt=64, lost_cb=on_lost,
                                     **kw)
        poll = b.perf_buffer_poll
    else:
        b["events"].open_ring_buffer(on_ring)
        poll = b.ring_buffer_poll
    os.sched_setaffinity(0, {1})
    p = subprocess.Popen([producer, "-P", str(n)], stdin=subprocess.PIPE)
    b["target"][ctypes.c_int(0)] = ctypes.c_uint(p.pid)
    t0 = time.monotonic()
    c0 = time.process_time()
    p.stdin.write(b"go\n")
    p.stdin.flush()
    while p.poll() is None:
        poll(timeout=20)
    # The kernel reports a perf buffer's losses in front of the next event
    # that fits: one more from this process on the burst's CPU (counted
    # as sent).
    b["target"][ctypes.c_int(0)] = ctypes.c_uint(os.getpid())
    os.sched_setaffinity(0, {0})
    os.getppid()
    os.sched_setaffinity(0, {1})
    before = -1
    while got[0] != before:
        before = got[0]
        poll(timeout=50)
    elapsed = time.monotonic() - t0
    cpu = time.process_time() - c0
    sent = b["counter"][ctypes.c_int(0)].value
    if kind == "ring" and hasattr(b, "_ringbuf"):
        lost[0] = b._ringbuf.stats()[1]  # ember counts ring drops
    b.cleanup()
    return ("%s: sent %d delivered %d lost(reported) %d unaccounted %d "
            "%.2fM delivered/s, reader CPU %.2f us/event" % (
                kind, sent, got[0], lost[0], sent - got[0] - lost[0],
                got[0] / elapsed / 1e6, cpu / max(got[0], 1) * 1e6))


def drain(BPF, kind, n):
    if kind == "perf":
        text = EVENTS.replace("OUTPUT", "BPF_PERF_OUTPUT(events)").replace(
            "SUBMIT", "events.perf_submit(args, &e, sizeof(e))")
    else:
        text = EVENTS.replace("OUTPUT", "BPF_RINGBUF_OUTPUT(events, 16384)") \
            .replace("SUBMIT", "events.ringbuf_output(&e, sizeof(e), 0)")
    b = BPF(text=text)
    got = [0]

    def on_perf(cpu, data, size):
        got[0] += 1

    def on_ring(ctx, data, size):
        got[0] += 1

    if kind == "perf":
        # 32 MiB a CPU keeps ~450k events; no wake-up while they come.
        b["events"].open_perf_buffer(on_perf, page_cnt=8192,
                                     wakeup_events=1 << 20)
        consume = b.perf_buffer_consume
    else:
        b["events"].open_ring_buffer(on_ring)
        consume = b.ring_buffer_consume
    old = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {0})
    b["target"][ctypes.c_int(0)] = ctypes.c_uint(os.getpid())
    for _ in range(n):
        os.getppid()
    b["target"][ctypes.c_int(0)] = ctypes.c_uint(0)
    os.sched_setaffinity(0, old)
    sent = b["counter"][ctypes.c_int(0)].value
    t0 = time.monotonic()
    c0 = time.process_time()
    consume()
    elapsed = time.monotonic() - t0
    cpu = time.process_time() - c0
    b.cleanup()
    return ("drain %s: sent %d delivered %d: %.2fM delivered/s, "
            "%.2f us CPU/event" % (kind, sent, got[0],
                                   got[0] / elapsed / 1e6,
                                   cpu / max(got[0], 1) * 1e6))


def items(BPF, n):
    b = BPF(text="BPF_HASH(h, u64, u64, %d);" % n)
    h = b["h"]
    keys = (h.Key * n)(*range(n))
    vals = (h.Leaf * n)(*range(n))
    if hasattr(h, "items_update_batch"):
        try:
            h.items_update_batch(keys, vals)
        except Exception:
            for i in range(n):
                h[h.Key(i)] = h.Leaf(i)
    t0, c0 = time.monotonic(), time.process_time()
    it = h.items()
    t1, c1 = time.monotonic(), time.process_time()
    assert len(it) == n and sum(v.value for _, v in it) == n * (n - 1) // 2
    t1b, c1b = time.monotonic(), time.process_time()
    h.clear()
    t2, c2 = time.monotonic(), time.process_time()
    assert len(h.items()) == 0
    b.cleanup()
    return ("items() of %d: %.1f ms (CPU %.1f ms); clear(): %.1f ms "
            "(CPU %.1f ms)" % (n, (t1 - t0) * 1e3, (c1 - c0) * 1e3,
                               (t2 - t1b) * 1e3, (c2 - c1b) * 1e3))


def main():
    mod, what = sys.argv[1], sys.argv[2]
    BPF = importlib.import_module(mod).BPF
    if what == "events":
        print(events(BPF, sys.argv[3], int(sys.argv[4]), sys.argv[5]))
    elif what == "drain":
        print(drain(BPF, sys.argv[3], int(sys.argv[4])))
    elif what == "items":
        print(items(BPF, int(sys.argv[3])))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
