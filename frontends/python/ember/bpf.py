"""The BPF class: BCC's Python API over one ember_module."""

from __future__ import annotations

import ctypes as ct
import errno
import os
import re
import select
import sys
import time
from typing import (Any, Callable, Dict, List, Optional, Sequence, Set,
                    Tuple)

from . import _lib
from ._btf import BTF
from ._lib import StrOrBytes, lib, libbpf, check, to_bytes
from .table import make_table
from .output import RingReader  # noqa: F401

# trace_fields(): (task, pid, cpu, flags, timestamp, message)
TraceLine = Tuple[bytes, int, int, bytes, float, bytes]

__all__ = ["BPF", "CompileError", "LoadError", "AttachError", "PerfType",
           "PerfHWConfig", "PerfSWConfig", "BPFProgType", "BPFAttachType"]

DEBUG_LLVM_IR = 0x1
DEBUG_BPF = 0x2
DEBUG_PREPROCESSOR = 0x4
DEBUG_SOURCE = 0x8
DEBUG_BPF_REGISTER_STATE = 0x10
DEBUG_BTF = 0x20

_EMBER_DEBUG_SOURCE = 1
_EMBER_DEBUG_VERIFIER = 2


class CompileError(Exception):
    """The program text did not compile (the message has NAME:LINE:COL)."""


class LoadError(Exception):
    """The kernel refused the program (the message names the source line
    and quotes the verifier)."""


class AttachError(Exception):
    """A function could not be attached where it was asked to."""


class PerfType:
    HARDWARE = 0
    SOFTWARE = 1
    TRACEPOINT = 2
    HW_CACHE = 3
    RAW = 4
    BREAKPOINT = 5


class PerfHWConfig:
    CPU_CYCLES = 0
    INSTRUCTIONS = 1
    CACHE_REFERENCES = 2
    CACHE_MISSES = 3
    BRANCH_INSTRUCTIONS = 4
    BRANCH_MISSES = 5
    BUS_CYCLES = 6
    STALLED_CYCLES_FRONTEND = 7
    STALLED_CYCLES_BACKEND = 8
    REF_CPU_CYCLES = 9


class PerfSWConfig:
    CPU_CLOCK = 0
    TASK_CLOCK = 1
    PAGE_FAULTS = 2
    CONTEXT_SWITCHES = 3
    CPU_MIGRATIONS = 4
    PAGE_FAULTS_MIN = 5
    PAGE_FAULTS_MAJ = 6
    ALIGNMENT_FAULTS = 7
    EMULATION_FAULTS = 8
    DUMMY = 9
    BPF_OUTPUT = 10


class BPFProgType:
    SOCKET_FILTER = 1
    KPROBE = 2
    SCHED_CLS = 3
    SCHED_ACT = 4
    TRACEPOINT = 5
    XDP = 6
    PERF_EVENT = 7
    CGROUP_SKB = 8
    CGROUP_SOCK = 9
    LWT_IN = 10
    LWT_OUT = 11
    LWT_XMIT = 12
    SOCK_OPS = 13
    SK_SKB = 14
    CGROUP_DEVICE = 15
    SK_MSG = 16
    RAW_TRACEPOINT = 17
    CGROUP_SOCK_ADDR = 18
    CGROUP_SOCKOPT = 25
    TRACING = 26
    LSM = 29


class BPFAttachType:
    CGROUP_INET_INGRESS = 0
    CGROUP_INET_EGRESS = 1
    CGROUP_INET_SOCK_CREATE = 2
    CGROUP_SOCK_OPS = 3
    SK_SKB_STREAM_PARSER = 4
    SK_SKB_STREAM_VERDICT = 5
    CGROUP_DEVICE = 6
    SK_MSG_VERDICT = 7
    CGROUP_INET4_BIND = 8
    CGROUP_INET6_BIND = 9
    CGROUP_INET4_CONNECT = 10
    CGROUP_INET6_CONNECT = 11
    CGROUP_INET4_POST_BIND = 12
    CGROUP_INET6_POST_BIND = 13
    CGROUP_UDP4_SENDMSG = 14
    CGROUP_UDP6_SENDMSG = 15
    LIRC_MODE2 = 16
    FLOW_DISSECTOR = 17
    CGROUP_SYSCTL = 18
    CGROUP_UDP4_RECVMSG = 19
    CGROUP_UDP6_RECVMSG = 20
    CGROUP_GETSOCKOPT = 21
    CGROUP_SETSOCKOPT = 22


_FEATURE_RAW_TRACEPOINTS, _FEATURE_FENTRY, _FEATURE_LSM = 3, 4, 5


def _tracefs():
    for d in ("/sys/kernel/tracing", "/sys/kernel/debug/tracing"):
        if os.path.exists(os.path.join(d, "events")):
            return d
    return "/sys/kernel/tracing"


class _TracePipe:
    """The process's one trace_pipe reader (shared by BPF objects, as the
    kernel's trace_pipe has one reader)."""

    handle = None

    @classmethod
    def get(cls):
        if cls.handle is None:
            h = _lib.vp()
            check(lib.ember_trace_pipe_open(ct.byref(h)))
            cls.handle = h
        return cls.handle

    @classmethod
    def close(cls):
        if cls.handle is not None:
            lib.ember_trace_pipe_free(cls.handle)
            cls.handle = None


def _read_retry(fn, *args):
    # A blocking read returns -EINTR on a signal; Python then runs its
    # handler (KeyboardInterrupt) at the next bytecode.
    while True:
        rc = fn(*args)
        if rc != -errno.EINTR:
            return rc


class BPF:
    """A BCC-style program compiled, loaded and auto-attached by ember.

    BPF(text=..., src_file=..., cflags=[...], debug=0, usdt_contexts=[])
    compiles the text (a src_file that is an ELF object built by
    `ember build prog.c -o prog.o` is opened as it is, with no compiler:
    cflags were given at build time), loads it, and attaches every function
    named for its
    attach point (kprobe__FN, kretprobe__FN, tracepoint__CAT__EVENT,
    raw_tracepoint__EVENT, TRACEPOINT_PROBE, RAW_TRACEPOINT_PROBE,
    KFUNC_PROBE, LSM_PROBE). Tables are b["name"]; output is read with
    trace_print()/trace_fields(), perf_buffer_poll() and
    ring_buffer_poll(). cleanup() (or leaving a with-block) detaches and
    closes everything.
    """

    SOCKET_FILTER = BPFProgType.SOCKET_FILTER
    KPROBE = BPFProgType.KPROBE
    SCHED_CLS = BPFProgType.SCHED_CLS
    SCHED_ACT = BPFProgType.SCHED_ACT
    TRACEPOINT = BPFProgType.TRACEPOINT
    XDP = BPFProgType.XDP
    PERF_EVENT = BPFProgType.PERF_EVENT
    CGROUP_SKB = BPFProgType.CGROUP_SKB
    CGROUP_SOCK = BPFProgType.CGROUP_SOCK
    LWT_IN = BPFProgType.LWT_IN
    LWT_OUT = BPFProgType.LWT_OUT
    LWT_XMIT = BPFProgType.LWT_XMIT
    SOCK_OPS = BPFProgType.SOCK_OPS
    SK_SKB = BPFProgType.SK_SKB
    CGROUP_DEVICE = BPFProgType.CGROUP_DEVICE
    SK_MSG = BPFProgType.SK_MSG
    RAW_TRACEPOINT = BPFProgType.RAW_TRACEPOINT
    CGROUP_SOCK_ADDR = BPFProgType.CGROUP_SOCK_ADDR
    CGROUP_SOCKOPT = BPFProgType.CGROUP_SOCKOPT
    TRACING = BPFProgType.TRACING
    LSM = BPFProgType.LSM

    XDP_FLAGS_UPDATE_IF_NOEXIST = 1 << 0
    XDP_FLAGS_SKB_MODE = 1 << 1
    XDP_FLAGS_DRV_MODE = 1 << 2
    XDP_FLAGS_HW_MODE = 1 << 3
    XDP_FLAGS_REPLACE = 1 << 4

    _probe_repl = re.compile(b"[^a-zA-Z0-9_]")
    _syscall_prefixes = [b"sys_", b"__x64_sys_", b"__arm64_sys_",
                         b"__s390x_sys_"]
    _xdp_links = {}
    _sym_cache = None

    class Function:
        """A loaded program: name, fd, and the BPF object it belongs to."""

        def __init__(self, bpf, name, fd):
            self.bpf = bpf
            self.name = name
            self.fd = fd

    # -- construction -----------------------------------------------
    def __init__(self, src_file: Optional[StrOrBytes] = b"",
                 hdr_file: StrOrBytes = b"", text: Optional[StrOrBytes] = None,
                 debug: int = 0, cflags: Sequence[StrOrBytes] = [],
                 usdt_contexts: Sequence[Any] = [], allow_rlimit: bool = True,
                 device: Any = None, attach_usdt_ignore_pid: bool = False,
                 kernel_headers: Optional[StrOrBytes] = None) -> None:
        self._m = _lib.vp()
        self.tables = {}
        self.funcs = {}
        self.perf_buffers = {}
        self._ringbuf = None
        self._links = {}  # (kind, event, fn) -> [link]
        self._btf_cache = None
        self.debug = debug
        self.kprobe_fds = {}
        self.uprobe_fds = {}
        self.tracepoint_fds = {}
        self.raw_tracepoint_fds = {}
        self.open_kprobes = self.kprobe_fds
        src_file = to_bytes(src_file)
        name = b"<text>"
        obj = None
        if text is None:
            if not src_file:
                raise Exception("BPF: text or src_file is required")
            path = self._find_file(src_file)
            with open(path, "rb") as f:
                text = f.read()
            name = src_file
            if text[:4] == b"\x7fELF":
                obj = path
        text = to_bytes(text)
        self._log = _lib.LOG_FN(self._on_log)
        dbg = 0
        if debug & DEBUG_SOURCE or debug & DEBUG_PREPROCESSOR:
            dbg |= _EMBER_DEBUG_SOURCE
        if debug & (DEBUG_BPF | DEBUG_BPF_REGISTER_STATE):
            dbg |= _EMBER_DEBUG_VERIFIER
        if obj is not None:
            self._open_object(obj, hdr_file, cflags, kernel_headers, dbg)
        else:
            if hdr_file:
                with open(self._find_file(to_bytes(hdr_file)), "rb") as f:
                    text = f.read() + b"\n" + text
            flags = [to_bytes(c) for c in cflags]
            cf = (ct.c_char_p * max(len(flags), 1))(*flags)
            opts = _lib.ModuleOpts(name=name, cflags=cf,
                                   cflags_cnt=len(flags), debug_flags=dbg,
                                   log=self._log,
                                   kernel_headers=to_bytes(kernel_headers))
            rc = lib.ember_module_compile(text, ct.byref(opts),
                                          ct.byref(self._m))
            check(rc, CompileError)
        try:
            if dbg & _EMBER_DEBUG_SOURCE:
                src = lib.ember_module_rewritten_source(self._m)
                if src:
                    print(src.decode(errors="replace"), file=sys.stderr)
            check(lib.ember_module_load(self._m), LoadError)
            for ctx in usdt_contexts:
                ctx._attach(self, attach_usdt_ignore_pid)
            self._attach_auto()
        except BaseException:
            self.cleanup()
            raise

    def _open_object(self, path, hdr_file, cflags, kernel_headers, dbg):
        """A prebuilt object (ember build): what shapes a compile was fixed
        when it was built, so asking for it now is an error, not ignored."""
        given = [n for n, v in (("hdr_file", hdr_file), ("cflags", cflags),
                                ("kernel_headers", kernel_headers)) if v]
        if given:
            raise Exception(
                "BPF: %s is a prebuilt object: %s apply when it is built "
                "(ember build --cflag ... prog.c -o prog.o), not when it "
                "is opened" % (path.decode(errors="replace"),
                               " and ".join(given)))
        opts = _lib.ObjectOpts(name=path, debug_flags=dbg, log=self._log)
        rc = lib.ember_module_open_object(path, ct.byref(opts),
                                          ct.byref(self._m))
        check(rc, LoadError)

    @staticmethod
    def _find_file(filename):
        """A relative src_file is looked for beside the running script
        too, as BCC does."""
        if filename and not os.path.isabs(filename) and \
                not os.path.exists(filename):
            argv0 = to_bytes(sys.argv[0]) if sys.argv and sys.argv[0] \
                else b""
            alt = os.path.join(os.path.dirname(os.path.abspath(argv0)),
                               filename)
            if os.path.exists(alt):
                return alt
        return filename

    def _on_log(self, level, msg, _ctx):
        # Warnings always (BCC prints its own to stderr), the rest when
        # debugging.
        if level == 0 or self.debug:
            sys.stderr.write(msg.decode(errors="replace") + "\n")

    def _attach_auto(self):
        before = set(self._all_links())
        check(lib.ember_module_attach_auto(self._m), AttachError)
        for link in self._all_links():
            if link in before:
                continue
            desc = lib.ember_link_description(ct.c_void_p(link)) or b""
            kind = desc.split(b" ", 1)[0].decode()
            self._remember(kind, _event_of(desc), b"", [link])

    def _btf(self):
        if self._btf_cache is None and self.tables_count():
            t = lib.ember_module_table_at(self._m, 0)
            h = lib.ember_table_btf(t)
            if h:
                self._btf_cache = BTF(h)
        return self._btf_cache

    def tables_count(self) -> int:
        """The number of tables the program declares."""
        return lib.ember_module_table_cnt(self._m) if self._m else 0

    # -- links -----------------------------------------------------
    def _all_links(self):
        out = []
        link = lib.ember_module_next_link(self._m, None)
        while link:
            out.append(link)
            link = lib.ember_module_next_link(self._m, ct.c_void_p(link))
        return out

    def _remember(self, kind, event, fn_name, links):
        self._links.setdefault((kind, to_bytes(event)), []).extend(
            (to_bytes(fn_name), l) for l in links)
        counter = {"kprobe": self.kprobe_fds, "kretprobe": self.kprobe_fds,
                   "uprobe": self.uprobe_fds, "uretprobe": self.uprobe_fds,
                   "tracepoint": self.tracepoint_fds,
                   "raw_tracepoint": self.raw_tracepoint_fds}.get(kind)
        if counter is not None:
            counter[(kind, to_bytes(event))] = \
                len(self._links[(kind, to_bytes(event))])

    def _detach(self, kind, event, fn_name=None, missing=True):
        key = (kind, to_bytes(event))
        entries = self._links.get(key, [])
        keep = []
        found = False
        for fn, link in entries:
            if fn_name is None or fn == to_bytes(fn_name) or not fn:
                lib.ember_link_detach(ct.c_void_p(link))
                found = True
            else:
                keep.append((fn, link))
        if keep:
            self._links[key] = keep
        else:
            self._links.pop(key, None)
        for d in (self.kprobe_fds, self.uprobe_fds, self.tracepoint_fds,
                  self.raw_tracepoint_fds):
            if key in d:
                if keep:
                    d[key] = len(keep)
                else:
                    del d[key]
        if not found and missing:
            raise Exception("%s %s is not attached" %
                            (kind, to_bytes(event).decode()))

    def _attach_one(self, kind, event, fn_name, call):
        fn_name = to_bytes(fn_name)
        link = _lib.vp()
        check(call(ct.byref(link)), AttachError,
              "cannot attach %s to %s %s" % (
                  fn_name.decode(), kind, to_bytes(event).decode()))
        self._remember(kind, event, fn_name, [link.value])
        return self

    # -- programs --------------------------------------------------
    def load_func(self, func_name: StrOrBytes, prog_type: int,
                  device: Any = None, attach_type: int = -1) -> "BPF.Function":
        """Load function func_name as a program of prog_type (BPF.KPROBE,
        BPF.XDP, ...) without attaching it; returns a Function with .fd."""
        func_name = to_bytes(func_name)
        if func_name in self.funcs:
            return self.funcs[func_name]
        fd = lib.ember_module_load_func(self._m, func_name, prog_type)
        check(fd, LoadError, "cannot load function %s" % func_name.decode())
        fn = BPF.Function(self, func_name, fd)
        self.funcs[func_name] = fn
        return fn

    def dump_func(self, func_name: StrOrBytes) -> bytes:
        """Not available: ember keeps no instructions; use bpftool prog
        dump."""
        raise NotImplementedError("dump_func: use bpftool prog dump")

    def free_bcc_memory(self) -> int:
        """Nothing to free: ember keeps no compiler state after loading."""
        return 0

    # -- tables ----------------------------------------------------
    def get_table(self, name: StrOrBytes, keytype: Optional[type] = None,
                  leaftype: Optional[type] = None,
                  reducer: Optional[Callable[[Any, Any], Any]] = None) -> Any:
        """The table name as BCC's class for its type."""
        name = to_bytes(name)
        if name in self.tables and keytype is None and leaftype is None \
                and reducer is None:
            return self.tables[name]
        h = _lib.vp()
        check(lib.ember_module_table(self._m, name, ct.byref(h)), KeyError)
        t = make_table(self, h, name, keytype, leaftype, reducer)
        if keytype is None and leaftype is None and reducer is None:
            self.tables[name] = t
        return t

    def __getitem__(self, key):
        return self.get_table(key)

    def __contains__(self, key):
        try:
            self.get_table(key)
            return True
        except KeyError:
            return False

    def __len__(self):
        return self.tables_count()

    def __iter__(self):
        names = []
        for i in range(self.tables_count()):
            t = lib.ember_module_table_at(self._m, i)
            names.append(lib.ember_table_name(t))
        return iter(names)

    def __delitem__(self, key):
        self.tables.pop(to_bytes(key), None)

    # -- kprobes ---------------------------------------------------
    @staticmethod
    def get_syscall_prefix() -> bytes:
        """The prefix of system call functions in this kernel
        (b"__x64_sys_" on x86-64 since 4.17)."""
        return BPF.get_syscall_fnname(b"bpf")[:-3]

    @staticmethod
    def get_syscall_fnname(name: StrOrBytes) -> bytes:
        """The kernel function of system call name, as bytes."""
        buf = ct.create_string_buffer(128)
        check(lib.ember_syscall_fnname(to_bytes(name), buf, len(buf)))
        return buf.value

    @staticmethod
    def get_kprobe_functions(event_re: StrOrBytes) -> Set[bytes]:
        """Kernel functions matching event_re (bytes) that can be probed."""
        pat = re.compile(to_bytes(event_re))
        fns = set()
        try:
            with open("/proc/kallsyms", "rb") as f:
                for line in f:
                    parts = line.split()
                    if len(parts) >= 3 and parts[1] in (b"t", b"T", b"w",
                                                        b"W"):
                        fn = parts[2]
                        if pat.fullmatch(fn) or pat.match(fn):
                            fns.add(fn)
        except OSError:
            pass
        return fns

    def _attach_k(self, kind, event, fn_name, event_re, offset=0,
                  maxactive=0):
        ret = kind == "kretprobe"
        fn_name = to_bytes(fn_name)
        if event_re:
            if offset or maxactive:
                raise ValueError("%s: %s applies to one function, not to "
                                 "event_re" % (kind, "event_off" if offset
                                               else "maxactive"))
            before = set(self._all_links())
            rc = lib.ember_module_attach_kprobe_regex(
                self._m, fn_name, to_bytes(event_re), ret)
            check(rc, AttachError, "cannot attach %s to %s %s" % (
                fn_name.decode(), kind, to_bytes(event_re).decode()))
            for link in self._all_links():
                if link not in before:
                    desc = lib.ember_link_description(ct.c_void_p(link))
                    self._remember(kind, _event_of(desc), fn_name, [link])
            return self
        event = to_bytes(event)
        opts = _lib.KprobeOpts(retprobe=ret, offset=offset or 0,
                               maxactive=maxactive or 0)
        return self._attach_one(
            kind, event, fn_name,
            lambda p: lib.ember_module_attach_kprobe_opts(
                self._m, fn_name, event, ct.byref(opts), p))

    def attach_kprobe(self, event: StrOrBytes = b"", event_off: int = 0,
                      fn_name: StrOrBytes = b"",
                      event_re: StrOrBytes = b"") -> "BPF":
        """Run fn_name when kernel function event is entered, or reaches
        event_off bytes into it (the start of an instruction); event_re: every
        function matching the regex. Without kprobes in the kernel, a system
        call's kprobe runs on its syscall tracepoint."""
        return self._attach_k("kprobe", event, fn_name, event_re,
                              offset=event_off)

    def attach_kretprobe(self, event: StrOrBytes = b"",
                         fn_name: StrOrBytes = b"", event_re: StrOrBytes = b"",
                         maxactive: int = 0) -> "BPF":
        """Run fn_name when kernel function event returns; maxactive: how
        many calls under way at once keep their return seen (0: the
        kernel's default)."""
        return self._attach_k("kretprobe", event, fn_name, event_re,
                              maxactive=maxactive)

    def detach_kprobe(self, event: StrOrBytes,
                      fn_name: StrOrBytes = None) -> None:
        """Detach the kprobes on kernel function event (only fn_name's, when
        given)."""
        self._detach("kprobe", event, fn_name)

    def detach_kretprobe(self, event: StrOrBytes,
                         fn_name: StrOrBytes = None) -> None:
        """Detach the kretprobes on kernel function event (only fn_name's, when
        given)."""
        self._detach("kretprobe", event, fn_name)

    # -- tracepoints -----------------------------------------------
    def attach_tracepoint(self, tp: StrOrBytes = b"", tp_re: StrOrBytes = b"",
                          fn_name: StrOrBytes = b"") -> "BPF":
        """Run fn_name on tracepoint "category:event" (tp_re: every
        tracepoint matching the regex)."""
        if tp_re:
            for t in BPF.get_tracepoints(tp_re):
                self.attach_tracepoint(tp=t, fn_name=fn_name)
            return self
        tp = to_bytes(tp)
        fn_name = to_bytes(fn_name)
        return self._attach_one(
            "tracepoint", tp, fn_name,
            lambda p: lib.ember_module_attach_tracepoint(self._m, fn_name,
                                                         tp, p))

    def detach_tracepoint(self, tp: StrOrBytes = b"") -> None:
        """Detach tracepoint tp ("category:event")."""
        self._detach("tracepoint", tp)

    @staticmethod
    def get_tracepoints(tp_re: StrOrBytes) -> List[bytes]:
        """Every "category:event" tracepoint whose name matches tp_re."""
        pat = re.compile(to_bytes(tp_re))
        out = []
        base = os.path.join(_tracefs(), "events")
        for cat in sorted(os.listdir(base)):
            d = os.path.join(base, cat)
            if not os.path.isdir(d):
                continue
            for ev in sorted(os.listdir(d)):
                name = ("%s:%s" % (cat, ev)).encode()
                if os.path.isdir(os.path.join(d, ev)) and pat.match(name):
                    out.append(name)
        return out

    @staticmethod
    def tracepoint_exists(category: StrOrBytes, event: StrOrBytes) -> bool:
        """Whether tracepoint category:event exists in this kernel."""
        return os.path.isdir(os.path.join(
            _tracefs(), "events", to_bytes(category).decode(),
            to_bytes(event).decode()))

    def attach_raw_tracepoint(self, tp: StrOrBytes = b"",
                              fn_name: StrOrBytes = b"") -> "BPF":
        """Run fn_name on raw tracepoint tp (as "sys_enter")."""
        tp = to_bytes(tp)
        fn_name = to_bytes(fn_name)
        if ("raw_tracepoint", tp) in self._links:
            raise Exception("Raw tracepoint %s has been attached" %
                            tp.decode())
        return self._attach_one(
            "raw_tracepoint", tp, fn_name,
            lambda p: lib.ember_module_attach_raw_tracepoint(
                self._m, fn_name, tp, p))

    def detach_raw_tracepoint(self, tp: StrOrBytes = b"") -> None:
        """Detach the raw tracepoint tp."""
        self._detach("raw_tracepoint", tp)

    @staticmethod
    def support_raw_tracepoint() -> bool:
        """Whether the kernel has raw tracepoints."""
        return lib.ember_feature(_FEATURE_RAW_TRACEPOINTS) == 1

    @staticmethod
    def support_raw_tracepoint_in_module() -> bool:
        """Whether raw tracepoints of kernel modules can be attached."""
        return lib.ember_feature(_FEATURE_RAW_TRACEPOINTS) == 1

    @staticmethod
    def support_kfunc() -> bool:
        """Whether the kernel runs fentry/fexit programs (KFUNC_PROBE)."""
        return lib.ember_feature(_FEATURE_FENTRY) == 1

    @staticmethod
    def support_lsm() -> bool:
        """Whether the kernel runs BPF LSM programs (LSM_PROBE)."""
        return lib.ember_feature(_FEATURE_LSM) == 1

    def attach_kfunc(self, fn_name: StrOrBytes = b"") -> "BPF":
        """Attach KFUNC_PROBE function fn_name (fentry) to the kernel function
        its name gives."""
        fn = to_bytes(fn_name)
        target = fn.split(b"__", 1)[-1]
        return self._attach_one(
            "kfunc", target, fn,
            lambda p: lib.ember_module_attach_kfunc(self._m, fn, target, False,
                                                    p))

    def attach_kretfunc(self, fn_name: StrOrBytes = b"") -> "BPF":
        """Attach KRETFUNC_PROBE function fn_name (fexit) to the kernel
        function its name gives."""
        fn = to_bytes(fn_name)
        target = fn.split(b"__", 1)[-1]
        return self._attach_one(
            "kretfunc", target, fn,
            lambda p: lib.ember_module_attach_kfunc(self._m, fn, target, True,
                                                    p))

    def attach_lsm(self, fn_name: StrOrBytes = b"") -> "BPF":
        """Attach LSM_PROBE function fn_name to the LSM hook its name gives."""
        fn = to_bytes(fn_name)
        hook = fn.split(b"__", 1)[-1]
        return self._attach_one(
            "lsm", hook, fn,
            lambda p: lib.ember_module_attach_lsm(self._m, fn, hook, p))

    # -- uprobes ---------------------------------------------------
    @staticmethod
    def find_library(libname: StrOrBytes) -> Optional[bytes]:
        """The path of library libname ("c", "libssl.so.3"), or None."""
        buf = ct.create_string_buffer(4096)
        if lib.ember_find_binary(to_bytes(libname), 0, buf, len(buf)) < 0:
            return None
        return buf.value

    @staticmethod
    def find_exe(bin_path: StrOrBytes) -> Optional[bytes]:
        """The path of program bin_path (as a uprobe's name finds it), or
        None."""
        return BPF.find_library(bin_path)

    def _attach_u(self, kind, name, sym, sym_re, addr, fn_name, pid,
                  sym_off):
        name = to_bytes(name)
        sym = to_bytes(sym) or None
        fn_name = to_bytes(fn_name)
        if sym_re:
            return self._attach_u_regex(kind, name, to_bytes(sym_re),
                                        fn_name, pid)
        opts = _lib.UprobeOpts(pid=pid if pid and pid > 0 else 0,
                               retprobe=kind == "uretprobe",
                               offset=addr if addr is not None and not sym
                               else sym_off)
        event = b"%s:%s" % (name, sym or (b"0x%x" % (addr or 0)))
        return self._attach_one(
            kind, event, fn_name,
            lambda p: lib.ember_module_attach_uprobe(
                self._m, fn_name, name, sym, ct.byref(opts), p))

    def _attach_u_regex(self, kind, name, sym_re, fn_name, pid):
        # BCC matches sym_re with re.match: from the start of the name.
        opts = _lib.UprobeOpts(pid=pid if pid and pid > 0 else 0,
                               retprobe=kind == "uretprobe")
        before = set(self._all_links())
        rc = lib.ember_module_attach_uprobe_regex(
            self._m, fn_name, name, b"^(" + sym_re + b")", ct.byref(opts))
        check(rc, AttachError, "cannot attach %s to %s %s:%s" % (
            fn_name.decode(), kind, name.decode(), sym_re.decode()))
        for link in self._all_links():
            if link not in before:
                desc = lib.ember_link_description(ct.c_void_p(link))
                self._remember(kind, _event_of(desc), fn_name, [link])
        return self

    def attach_uprobe(self, name: StrOrBytes = b"", sym: StrOrBytes = b"",
                      sym_re: StrOrBytes = b"", addr: int = None,
                      fn_name: StrOrBytes = b"", pid: int = -1,
                      sym_off: int = 0) -> "BPF":
        """Run fn_name when function sym of binary or library name ("c",
        "/usr/bin/bash") is entered.

        sym_re instead of sym: every function whose name matches (a POSIX
        extended regex, matched from the start of the name as BCC's
        re.match; at most 1000). addr instead of sym: that address (as nm
        prints it). sym_off: bytes into sym. pid > 0: only in that
        process. Raises AttachError."""
        return self._attach_u("uprobe", name, sym, sym_re, addr, fn_name,
                              pid, sym_off)

    def attach_uretprobe(self, name: StrOrBytes = b"", sym: StrOrBytes = b"",
                         sym_re: StrOrBytes = b"", addr: int = None,
                         fn_name: StrOrBytes = b"", pid: int = -1) -> "BPF":
        """Run fn_name when function sym (or each function matching sym_re,
        or the one at addr) of binary or library name returns; as
        attach_uprobe."""
        return self._attach_u("uretprobe", name, sym, sym_re, addr,
                              fn_name, pid, 0)

    def detach_uprobe(self, name: StrOrBytes = b"", sym: StrOrBytes = b"",
                      addr: int = None, pid: int = -1,
                      sym_off: int = 0) -> None:
        """Detach the uprobe on sym (or addr) of binary name."""
        ev = b"%s:%s" % (to_bytes(name),
                         to_bytes(sym) or (b"0x%x" % (addr or 0)))
        self._detach("uprobe", ev)

    def detach_uretprobe(self, name: StrOrBytes = b"", sym: StrOrBytes = b"",
                         addr: int = None, pid: int = -1) -> None:
        """Detach the uretprobe on sym (or addr) of binary name."""
        ev = b"%s:%s" % (to_bytes(name),
                         to_bytes(sym) or (b"0x%x" % (addr or 0)))
        self._detach("uretprobe", ev)

    # -- perf events -------------------------------------------------
    def attach_perf_event(self, ev_type: int = -1, ev_config: int = -1,
                          fn_name: StrOrBytes = b"", sample_period: int = 0,
                          sample_freq: int = 0, pid: int = -1, cpu: int = -1,
                          group_fd: int = -1) -> "BPF":
        """Run fn_name every sample_period events (or sample_freq times a
        second) of perf event (ev_type, ev_config), on every CPU unless cpu
        is given, for every process unless pid is."""
        fn_name = to_bytes(fn_name)
        opts = _lib.PerfEventOpts(sample_period=sample_period,
                                  sample_freq=sample_freq,
                                  pid=pid if pid > 0 else 0,
                                  cpu=cpu + 1 if cpu >= 0 else 0)
        ev = b"%d:%d" % (ev_type, ev_config)
        return self._attach_one(
            "perf_event", ev, fn_name,
            lambda p: lib.ember_module_attach_perf_event(
                self._m, fn_name, ev_type, ev_config, ct.byref(opts), p))

    def detach_perf_event(self, ev_type: int = -1,
                          ev_config: int = -1) -> None:
        """Detach what attach_perf_event(ev_type, ev_config) attached."""
        self._detach("perf_event", b"%d:%d" % (ev_type, ev_config))

    # -- networking --------------------------------------------------
    @staticmethod
    def attach_xdp(dev: StrOrBytes, fn: Any, flags: int = 0) -> None:
        """Attach Function fn (from load_func(..., BPF.XDP)) to interface
        dev."""
        dev = to_bytes(dev)
        mode = flags & (BPF.XDP_FLAGS_SKB_MODE | BPF.XDP_FLAGS_DRV_MODE |
                        BPF.XDP_FLAGS_HW_MODE)
        link = _lib.vp()
        check(lib.ember_module_attach_xdp(fn.bpf._m, fn.name, dev, mode,
                                          ct.byref(link)), AttachError)
        BPF._xdp_links[dev] = (fn.bpf, link.value)
        fn.bpf._remember("xdp", dev, fn.name, [link.value])

    @staticmethod
    def remove_xdp(dev: StrOrBytes, flags: int = 0) -> None:
        """Detach what attach_xdp attached to dev."""
        dev = to_bytes(dev)
        bpf, _link = BPF._xdp_links.pop(dev, (None, None))
        if bpf is None:
            raise Exception("no XDP program attached to %s by this process"
                            % dev.decode())
        bpf._detach("xdp", dev)

    @staticmethod
    def attach_raw_socket(fn: Any, dev: StrOrBytes) -> None:
        """Attach socket filter fn to a new raw socket on dev; the socket is
        fn.sock."""
        sock = ct.c_int(-1)
        link = _lib.vp()
        check(lib.ember_module_attach_raw_socket(fn.bpf._m, fn.name,
                                                 to_bytes(dev),
                                                 ct.byref(sock),
                                                 ct.byref(link)),
              AttachError)
        fn.sock = sock.value
        fn.bpf._remember("socket", to_bytes(dev), fn.name, [link.value])

    @staticmethod
    def attach_func(fn: Any, attachable_fd: int, attach_type: int,
                    flags: int = 0) -> None:
        """bpf_prog_attach(fn.fd, attachable_fd, attach_type, flags)."""
        rc = libbpf.bpf_prog_attach(fn.fd, attachable_fd, attach_type,
                                    flags)
        if rc < 0:
            raise AttachError("bpf_prog_attach: %s" % os.strerror(-rc))

    @staticmethod
    def detach_func(fn: Any, attachable_fd: int, attach_type: int) -> None:
        """Detach fn from attachable_fd (a cgroup fd) for attach_type."""
        rc = libbpf.bpf_prog_detach2(fn.fd, attachable_fd, attach_type)
        if rc < 0:
            raise Exception("bpf_prog_detach2: %s" % os.strerror(-rc))

    # -- counts --------------------------------------------------------
    def _count(self, kinds):
        return sum(len(v) for k, v in self._links.items() if k[0] in kinds)

    def num_open_kprobes(self) -> int:
        """How many kprobes and kretprobes this object has attached."""
        return self._count(("kprobe", "kretprobe"))

    def num_open_uprobes(self) -> int:
        """How many uprobes, uretprobes and USDT probes this object has
        attached."""
        return self._count(("uprobe", "uretprobe", "usdt"))

    def num_open_tracepoints(self) -> int:
        """How many tracepoints this object has attached."""
        return self._count(("tracepoint",))

    # -- symbols -------------------------------------------------------
    @staticmethod
    def ksym(addr: int, show_module: bool = False,
             show_offset: bool = False) -> bytes:
        """Kernel address -> symbol name (bytes); b"[unknown]" if none."""
        buf = ct.create_string_buffer(512)
        flags = (1 if show_offset else 0) | (2 if show_module else 0)
        lib.ember_ksym(addr, buf, len(buf), flags)
        return buf.value

    @staticmethod
    def ksymname(name: StrOrBytes) -> int:
        """Kernel symbol name -> address, or -1."""
        addr = _lib.u64()
        if lib.ember_ksymname(to_bytes(name), ct.byref(addr)) < 0:
            return -1
        return addr.value

    @staticmethod
    def sym(addr: int, pid: int, show_module: bool = False,
            show_offset: bool = False, demangle: bool = True) -> bytes:
        """Address in process pid (negative: the kernel) -> symbol name."""
        if pid < 0:
            return BPF.ksym(addr, show_module, show_offset)
        if BPF._sym_cache is None:
            s = _lib.vp()
            check(lib.ember_symbolizer_new(None, ct.byref(s)))
            BPF._sym_cache = s
        sym = _lib.Sym()
        buf = ct.create_string_buffer(1024)
        flags = (1 if show_offset else 0) | (2 if show_module else 0)
        if lib.ember_symbolize_user(BPF._sym_cache, pid, addr,
                                    ct.byref(sym)) < 0:
            lib.ember_sym_snprintf(None, buf, len(buf), 0)
        else:
            lib.ember_sym_snprintf(ct.byref(sym), buf, len(buf), flags)
        return buf.value

    @staticmethod
    def kernel_struct_has_field(struct_name: StrOrBytes,
                                field_name: StrOrBytes) -> bool:
        """Whether the running kernel's struct struct_name has field_name
        (from its BTF): 1, 0, or a negative errno."""
        btf = libbpf.btf__load_vmlinux_btf()
        if not btf:
            return -errno.ENOENT
        try:
            tid = libbpf.btf__find_by_name_kind(btf, to_bytes(struct_name),
                                                4)
            if tid < 0:
                return tid
            t = libbpf.btf__type_by_id(btf, tid)
            hdr = (ct.c_uint32 * 3).from_address(t)
            vlen = hdr[1] & 0xFFFF
            members = (ct.c_uint32 * (3 * vlen)).from_address(t + 12)
            want = to_bytes(field_name)
            for i in range(vlen):
                if libbpf.btf__name_by_offset(btf, members[3 * i]) == want:
                    return 1
            return 0
        finally:
            libbpf.btf__free(btf)

    @staticmethod
    def monotonic_time() -> int:
        """CLOCK_MONOTONIC in nanoseconds (bpf_ktime_get_ns()'s clock)."""
        return int(__import__("time").monotonic() * 1e9)

    # -- trace_pipe ------------------------------------------------------
    def trace_open(self, nonblocking: bool = False) -> Any:
        """Open the kernel's trace_pipe (shared by the whole process)."""
        _TracePipe.get()

    def trace_readline(self, nonblocking: bool = False) -> bytes:
        """One trace_pipe line as bytes, without its newline (None when
        nonblocking and nothing is waiting)."""
        line = ct.c_char_p()
        rc = _read_retry(lib.ember_trace_pipe_read_line, _TracePipe.get(),
                         0 if nonblocking else -1, ct.byref(line))
        check(rc)
        if rc == 0:
            return None
        return line.value.rstrip()

    def trace_fields(self, nonblocking: bool = False) -> TraceLine:
        """The next bpf_trace_printk line as (task, pid, cpu, flags, ts,
        msg); (None,)*6 when nonblocking and nothing is waiting."""
        f = _lib.TraceFields()
        rc = _read_retry(lib.ember_trace_pipe_read_fields, _TracePipe.get(),
                         0 if nonblocking else -1, ct.byref(f))
        check(rc)
        if rc == 0:
            return (None,) * 6
        return (f.task, f.pid, f.cpu, f.flags, f.ts, f.msg)

    def trace_print(self, fmt: Optional[StrOrBytes] = None) -> None:
        """Print trace_pipe lines until interrupted; fmt formats the fields
        ("{0} {1} {5}": task, pid, cpu, flags, ts, msg)."""
        while True:
            if fmt:
                fields = self.trace_fields(nonblocking=False)
                if fields[0] is None:
                    continue
                line = fmt.format(*fields)
            else:
                line = self.trace_readline(nonblocking=False)
            print(line)
            sys.stdout.flush()

    # -- perf and ring buffers ---------------------------------------
    def perf_buffer_poll(self, timeout: int = -1) -> int:
        """Wait up to timeout ms (-1: forever) for perf events and call the
        open_perf_buffer callbacks. Returns the number of events."""
        readers = list(self.perf_buffers.values())
        if not readers:
            raise Exception("perf_buffer_poll: no perf buffer is open")
        if len(readers) == 1:
            return readers[0].poll(timeout)
        ep = self._perf_epoll(readers)
        by_fd = {r.fd: r for r in readers}
        end = time.monotonic() + timeout / 1000.0
        while True:
            wait = max(end - time.monotonic(), 0) if timeout >= 0 else -1
            try:
                ready = ep.poll(wait)
            except InterruptedError:
                return 0
            n = 0
            for fd, _ in ready:
                n += by_fd[fd].consume()
            # a reader's fd also ticks every 10 ms with nothing new
            if n or timeout == 0 or (timeout > 0 and
                                     time.monotonic() >= end):
                return n

    def _perf_epoll(self, readers):
        fds = tuple(sorted(r.fd for r in readers))
        if getattr(self, "_perf_ep_fds", None) != fds:
            if getattr(self, "_perf_ep", None):
                self._perf_ep.close()
            self._perf_ep = select.epoll()
            for fd in fds:
                self._perf_ep.register(fd, select.EPOLLIN)
            self._perf_ep_fds = fds
        return self._perf_ep

    def perf_buffer_consume(self) -> int:
        """Deliver every waiting perf event without waiting."""
        return sum(r.consume() for r in list(self.perf_buffers.values()))

    def perf_buffer_fds(self) -> Dict[bytes, int]:
        """{table name: epoll fd} for an event loop (asyncio add_reader);
        call perf_buffer_consume() when one is readable (with
        wakeup_events != 1 that is also every 10 ms)."""
        return {k: r.fd for k, r in self.perf_buffers.items()}

    def ring_buffer_poll(self, timeout: int = -1) -> int:
        """Wait up to timeout ms for ring buffer events and call the
        open_ring_buffer callbacks."""
        if self._ringbuf is None:
            raise Exception("ring_buffer_poll: no ring buffer is open")
        return self._ringbuf.poll(timeout)

    def ring_buffer_consume(self) -> int:
        """Deliver every waiting ring buffer event without waiting."""
        if self._ringbuf is None:
            raise Exception("ring_buffer_consume: no ring buffer is open")
        return self._ringbuf.consume()

    def ring_buffer_fd(self) -> int:
        """The ring poller's epoll fd (asyncio add_reader), -1 if none."""
        return self._ringbuf.fd if self._ringbuf else -1

    # -- teardown --------------------------------------------------------
    def cleanup(self) -> None:
        """Detach everything and close every fd of this program."""
        for r in list(self.perf_buffers.values()):
            r.close()
        self.perf_buffers.clear()
        if self._ringbuf is not None:
            self._ringbuf.close()
            self._ringbuf = None
        if getattr(self, "_perf_ep", None):
            self._perf_ep.close()
            self._perf_ep = None
            self._perf_ep_fds = None
        for dev, (bpf, _l) in list(BPF._xdp_links.items()):
            if bpf is self:
                del BPF._xdp_links[dev]
        self.tables.clear()
        self.funcs.clear()
        self._links.clear()
        for d in (self.kprobe_fds, self.uprobe_fds, self.tracepoint_fds,
                  self.raw_tracepoint_fds):
            d.clear()
        self._btf_cache = None
        if self._m:
            lib.ember_module_free(self._m)
            self._m = _lib.vp()

    def close(self) -> None:
        """The same as cleanup(): detach and free everything."""
        self.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        self.cleanup()

    def __del__(self):
        try:
            self.cleanup()
        except Exception:
            pass


def _event_of(desc):
    # "kprobe FN → prog": the attach point is the second word.
    parts = (desc or b"").split(b" ")
    return parts[1] if len(parts) > 1 else desc
