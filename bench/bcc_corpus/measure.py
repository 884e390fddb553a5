#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""How many of BCC's own programs `ember check` compiles.

Takes BCC's tools/*.py, examples/tracing/*.py and examples/networking/**/*.py
from a BCC tree read at run time (never kept in ember), builds each program
text as the tool's default run would (extract.py: the tool runs with a
stand-in `bcc` package that captures BPF(text=...)), runs `ember check` on it
and groups the failures by the first error's cause.

usage: bench/bcc_corpus/measure.py [--bcc DIR | --mirror GITDIR] [--ember BIN]
                                   [--keep DIR] [--only NAME]
  --mirror  a bare BCC git repository (default /work/.mirror/iovisor+bcc/repo),
            exported to a temporary directory
  --keep    leave the extracted texts and ember's messages in DIR
"""
import argparse
import collections
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# Tools that need a positional argument to build a program: the argument a
# user's first try would give (tools without one run with no arguments).
ARGS = {
    "tools/argdist.py": ["-C", "p::do_sys_open()"],
    "tools/funccount.py": ["vfs_read"],
    "tools/funcinterval.py": ["vfs_read"],
    "tools/funclatency.py": ["vfs_read"],
    "tools/funcslower.py": ["vfs_read"],
    "tools/stackcount.py": ["vfs_read"],
    "tools/trace.py": ["do_sys_open"],
    "tools/inject.py": ["kmalloc", "do_sys_openat2()"],
    "tools/biolatpcts.py": ["8:0"],
    "tools/deadlock.py": ["$PID"],
    "tools/dirtop.py": ["-d", "/tmp"],
    "tools/ttysnoop.py": ["/dev/console"],
    "tools/mysqld_qslower.py": ["1"],
    "examples/tracing/mallocstacks.py": ["1"],
    "examples/tracing/strlen_snoop.py": ["1"],
    "examples/tracing/stacksnoop.py": ["vfs_read"],
    "examples/tracing/lbr.py": ["-t", "sync"],
    "examples/networking/net_monitor.py": ["lo"],
    "examples/networking/xdp/xdp_redirect_cpu.py": ["lo", "1"],
    "examples/networking/xdp/xdp_drop_count.py": ["lo"],
    "examples/networking/xdp/xdp_macswap_count.py": ["lo"],
    "examples/networking/xdp/xdp_redirect_map.py": ["lo", "lo"],
    "examples/networking/dns_matching/dns_matching.py": ["-d", "a.example"],
    "examples/networking/tcp_mon_block/src/tcp_mon_block.py": ["-i", "lo"],
    "examples/networking/distributed_bridge/tunnel.py": ["1"],
    # num_hosts host_id dhcp gretap
    "examples/networking/distributed_bridge/tunnel_mesh.py": ["2", "1", "0",
                                                             "0"],
    "examples/networking/sockmap.py": ["-c", "/sys/fs/cgroup"],
    "tools/netqtop.py": ["-n", "lo"],
    "tools/memleak.py": [],
    "tools/dbslower.py": ["mysql", "-p", "1"],
    "tools/dbstat.py": ["mysql", "-p", "1"],
    "tools/sslsniff.py": [],
    "tools/wqlat.py": [],
    "tools/kvmexit.py": [],
    "tools/uobjnew.py": ["-l", "c", "1"],
    "tools/ucalls.py": ["-l", "python", "1"],
    "tools/uflow.py": ["-l", "python", "1"],
    "tools/ugc.py": ["-l", "java", "1"],
    "tools/ustat.py": [],
    "tools/uthreads.py": ["-l", "java", "1"],
    "tools/tcpsubnet.py": [],
    "examples/tracing/nodejs_http_server.py": ["1"],
    "examples/tracing/mysqld_query.py": ["1"],
    "examples/tracing/stack_buildid_example.py": ["-p", "1"],
    "examples/tracing/dddos.py": [],
    "examples/networking/http_filter/http-parse-simple.py": ["-i", "lo"],
    "examples/networking/http_filter/http-parse-complete.py": ["-i", "lo"],
}


def export_mirror(mirror, dest):
    """git archive of the parts read, from a bare repository."""
    paths = ["tools", "examples", "src/python"]
    arch = subprocess.run(["git", "-C", mirror, "archive", "HEAD"] + paths,
                          stdout=subprocess.PIPE, check=True).stdout
    subprocess.run(["tar", "-x", "-C", dest], input=arch, check=True)


def programs(bcc):
    found = sorted(glob.glob(os.path.join(bcc, "tools", "*.py")))
    found += sorted(glob.glob(os.path.join(bcc, "examples", "tracing",
                                           "*.py")))
    found += sorted(glob.glob(os.path.join(bcc, "examples", "networking",
                                           "**", "*.py"), recursive=True))
    # the ones that build a BPF program (simulations and servers do not)
    return [os.path.relpath(p, bcc) for p in found
            if "BPF(" in open(p, errors="replace").read()]


def first_error(msg):
    for line in msg.splitlines():
        m = re.search(r"error: (.*)", line)
        if m:
            return m.group(1)[:150]
    lines = [l for l in msg.splitlines() if l.strip()]
    return (lines[0] if lines else "(no message)")[:150]


def cause(msg):
    """The first error with the user's names taken out, as a group."""
    c = re.sub(r"'[^']*'", "'X'", first_error(msg))
    return re.sub(r"\b\d+\b", "N", c)[:110]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bcc")
    ap.add_argument("--mirror", default="/work/.mirror/iovisor+bcc/repo")
    ap.add_argument("--ember", default=os.path.join(ROOT, "build", "bin",
                                                    "ember"))
    ap.add_argument("--keep")
    ap.add_argument("--only")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="bcc_corpus.")
    try:
        bcc = a.bcc
        if not bcc:
            bcc = os.path.join(tmp, "bcc")
            os.mkdir(bcc)
            export_mirror(a.mirror, bcc)
        out = a.keep or os.path.join(tmp, "out")
        os.makedirs(out, exist_ok=True)
        env = dict(os.environ)
        env.setdefault("EMBER_CACHE_DIR", os.path.join(tmp, "cache"))

        ok, failed, no_text = [], {}, []
        for rel in programs(bcc):
            if a.only and a.only not in rel:
                continue
            base = os.path.join(out, rel.replace("/", "__")[:-3])
            try:
                r = subprocess.run(
                    [sys.executable, os.path.join(HERE, "extract.py"), bcc,
                     os.path.join(bcc, rel), base + ".c"] +
                    ARGS.get(rel, []),
                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                    timeout=60, cwd=os.path.dirname(os.path.join(bcc, rel)))
            except subprocess.TimeoutExpired:
                no_text.append((rel, "timed out"))
                continue
            if r.returncode != 0:
                no_text.append((rel, ("the tool exits by itself: "
                                      if r.returncode == 4 else "") +
                                r.stdout.decode(errors="replace")))
                continue
            with open(base + ".c.cflags") as f:
                cflags = [l for l in f.read().splitlines() if l]
            cmd = [a.ember, "check"]
            for c in cflags:
                cmd += ["--cflag", c]
            r = subprocess.run(cmd + [base + ".c"], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, env=env,
                               timeout=120)
            msg = r.stdout.decode(errors="replace")
            with open(base + ".out", "w") as f:
                f.write(msg)
            if r.returncode == 0:
                ok.append(rel)
            else:
                failed[rel] = msg
            if a.verbose:
                print("%-60s %s" % (rel, "ok" if r.returncode == 0
                                    else cause(msg)), flush=True)

        groups = collections.defaultdict(list)
        for rel, msg in failed.items():
            groups[cause(msg)].append(rel)
        total = len(ok) + len(failed)
        print("ember check compiles %d of %d program texts" % (len(ok),
                                                               total))
        if no_text:
            print("\nno program text built (%d):" % len(no_text))
            for rel, msg in no_text:
                last = [l.strip() for l in msg.splitlines() if l.strip()]
                why = msg.split(":")[0] + ": " if msg.startswith(
                    "the tool exits") else ""
                print("  %s: %s%s" % (rel, why,
                                      last[-1][:100] if last else "?"))
        if groups:
            print("\nfailures by cause:")
        for c, rels in sorted(groups.items(), key=lambda g: -len(g[1])):
            print("  %3d  %s" % (len(rels), c))
            for rel in rels:
                print("         %-45s %s" % (rel, first_error(failed[rel])))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
