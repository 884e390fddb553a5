#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""BCC's side of bench/compile_load: the same two programs in BCC's syntax.

  compile_load_bcc.py [--iterations N]   in-process timings, rows as
                                         bench_compile_load prints them
  compile_load_bcc.py --once PROGRAM     one BPF() + cleanup(), then exit

BPF(text=...) compiles, loads and attaches TRACEPOINT_PROBEs in one call, so
its time is compared with ember's compile+load+attach; cleanup() detaches and
closes, like ember_module_free().
"""
import argparse
import resource
import statistics
import sys
import time

PROGRAMS = {
    "hello": r"""
TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	bpf_trace_printk("Hello, World!\n");
	return 0;
}
""",
    "map": r"""
BPF_HASH(counts, u32, u64, 10240);

TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	u32 uid = bpf_get_current_uid_gid();
	u64 one = 1, *val;

	val = counts.lookup(&uid);
	if (val)
		__sync_fetch_and_add(val, 1);
	else
		counts.update(&uid, &one);
	return 0;
}
""",
}


def now_ms():
    return time.monotonic() * 1e3


def run(BPF, name):
    """One BPF() + cleanup(); returns (construct_ms, cleanup_ms)."""
    t0 = now_ms()
    b = BPF(text=PROGRAMS[name])
    t1 = now_ms()
    # TRACEPOINT_PROBE attaches in the constructor: make sure it did.
    if b.num_open_tracepoints() != 1:
        sys.exit("compile_load_bcc: %s: %d tracepoints attached, expected 1"
                 % (name, b.num_open_tracepoints()))
    b.cleanup()
    return t1 - t0, now_ms() - t1


def row(prog, phase, t):
    # Same columns and p90 (nearest rank) as bench_compile_load.
    t = sorted(t)
    p90 = t[(9 * len(t) + 9) // 10 - 1]
    print("%-6s %-30s %4d %9.2f %9.2f %9.2f"
          % (prog, phase, len(t), t[0], statistics.median(t), p90))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iterations", type=int, default=20)
    ap.add_argument("--once", choices=sorted(PROGRAMS))
    args = ap.parse_args()

    # Importing bcc (it loads libbcc and LLVM) is part of the whole-process
    # cost, so it happens here rather than at the top of the file.
    from bcc import BPF

    if args.once:
        c, f = run(BPF, args.once)
        print("once prog=%s compile_load_attach_free_ms=%.2f "
              "compile_load_attach_ms=%.2f free_ms=%.2f maxrss_kb=%d"
              % (args.once, c + f, c, f,
                 resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))
        return

    print("bcc %s, %d iterations per phase"
          % (getattr(sys.modules["bcc"], "__version__", "?"),
             args.iterations))
    print("%-6s %-30s %4s %9s %9s %9s"
          % ("prog", "phase", "n", "min_ms", "median_ms", "p90_ms"))
    for name in PROGRAMS:
        run(BPF, name)  # warm-up, as in bench_compile_load
        times = [run(BPF, name) for _ in range(args.iterations)]
        row(name, "free_detach", [f for _, f in times])
        row(name, "compile_load_attach", [c for c, _ in times])
        row(name, "compile_load_attach_free", [c + f for c, f in times])
    print("peak RSS of this process: %d kB"
          % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


if __name__ == "__main__":
    main()
