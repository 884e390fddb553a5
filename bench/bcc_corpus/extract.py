#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Run one BCC tool (a .py file of BCC's tree) with a stand-in `bcc` package
and print the program text it hands to BPF(text=...), as its default run would
build it. Used by measure.py, one process per tool.

usage: extract.py BCC_SRC TOOL.py OUT.c [ARG...]

BCC_SRC is a checked-out BCC tree (its src/python/bcc is imported, with the
native library stood in for); nothing of it is kept. The first BPF(...) built
is written to OUT.c and the cflags it was given to OUT.c.cflags, one a line;
exit 0 when a text was captured, 3 when the tool ended without one, 4
when it exited itself before building one (sys.exit: it refuses the kernel
or its arguments).
"""
import ctypes as ct
import os
import re
import runpy
import struct
import sys
import types

BTF_PATH = "/sys/kernel/btf/vmlinux"


class Anything:
    """Stands in for the native library and for objects a tool touches
    before it builds its program: every attribute and call succeeds."""

    def __init__(self, *a, **k):
        pass

    def __getattr__(self, name):
        return Anything()

    def __setattr__(self, name, value):
        pass

    def __call__(self, *a, **k):
        return 0

    def __iter__(self):
        return iter(())

    def __getitem__(self, key):
        return Anything()

    def __bool__(self):
        return False


_btf_members = None


def btf_struct_members():
    """struct/union name -> set of member names, from the running kernel's
    BTF (what BCC's kernel_struct_has_field asks libbpf)."""
    global _btf_members
    if _btf_members is not None:
        return _btf_members
    _btf_members = {}
    data = open(BTF_PATH, "rb").read()
    magic, ver, flags, hdr_len, type_off, type_len, str_off, str_len = \
        struct.unpack_from("<HBBIIIII", data, 0)
    types_ = data[hdr_len + type_off:hdr_len + type_off + type_len]
    strs = data[hdr_len + str_off:hdr_len + str_off + str_len]

    def name(off):
        return strs[off:strs.index(b"\0", off)]

    p = 0
    while p < len(types_):
        name_off, info, size = struct.unpack_from("<III", types_, p)
        p += 12
        kind = (info >> 24) & 0x1f
        vlen = info & 0xffff
        if kind in (4, 5):  # struct, union
            members = set()
            for i in range(vlen):
                m_name, _, _ = struct.unpack_from("<III", types_, p + 12 * i)
                members.add(name(m_name))
            _btf_members.setdefault(name(name_off), set()).update(members)
            p += 12 * vlen
        elif kind == 1:  # int
            p += 4
        elif kind == 3:  # array
            p += 12
        elif kind == 6:  # enum
            p += 8 * vlen
        elif kind == 13:  # func proto
            p += 8 * vlen
        elif kind == 14:  # var
            p += 4
        elif kind == 15:  # datasec
            p += 12 * vlen
        elif kind == 17:  # decl tag
            p += 4
        elif kind == 19:  # enum64
            p += 12 * vlen
    return _btf_members


def kallsyms():
    with open("/proc/kallsyms", "rb") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3:
                yield parts[1], parts[2]


def install_bcc(bcc_src):
    """Import BCC's own Python package over a stand-in native library, then
    replace the parts of BPF that compile, load or ask the library."""
    pkg_dir = os.path.join(bcc_src, "src", "python", "bcc")
    pkg = types.ModuleType("bcc")
    pkg.__path__ = [pkg_dir]
    sys.modules["bcc"] = pkg

    libbcc = types.ModuleType("bcc.libbcc")
    libbcc.lib = Anything()

    class Struct(ct.Structure):
        _fields_ = [("_", ct.c_int)]

    def stub_attr(name):
        if name.startswith("_") and name.endswith("_TYPE") or \
                name.startswith("_USDT"):
            return ct.CFUNCTYPE(None)
        return Struct
    libbcc.__getattr__ = stub_attr
    sys.modules["bcc.libbcc"] = libbcc
    version = types.ModuleType("bcc.version")
    version.__version__ = "0.0"
    sys.modules["bcc.version"] = version

    src = open(os.path.join(pkg_dir, "__init__.py")).read()
    pkg.__file__ = os.path.join(pkg_dir, "__init__.py")
    exec(compile(src, pkg.__file__, "exec"), pkg.__dict__)
    BPF = pkg.BPF

    def bpf_init(self, src_file=b"", hdr_file=b"", text=None, cflags=[],
                 **kw):
        if not text and src_file:
            path = src_file.decode() if isinstance(src_file, bytes) \
                else src_file
            if not os.path.isabs(path):
                path = os.path.join(os.path.dirname(TOOL), path)
            text = open(path, "rb").read()
        if isinstance(text, str):
            text = text.encode()
        # written at once and the process ended: some tools catch every
        # exception around BPF()
        with open(OUT, "wb") as f:
            f.write(text or b"")
        with open(OUT + ".cflags", "w") as f:
            f.write("".join(c + "\n" for c in cflags or []))
        sys.stdout.flush()
        os._exit(0)
    BPF.__init__ = bpf_init

    def has_field(s, f):
        s = s.encode() if isinstance(s, str) else s
        f = f.encode() if isinstance(f, str) else f
        return f in btf_struct_members().get(s, ())
    BPF.kernel_struct_has_field = staticmethod(has_field)
    BPF.kernel_enum_has_val = staticmethod(lambda e, v: 1)
    # as BCC decides them: by kernel symbols (fmod_ret: by an enum the
    # kernel has had since 5.7)
    BPF.support_kfunc = staticmethod(
        lambda: ksymname(b"bpf_trampoline_link_prog") != -1)
    BPF.support_lsm = staticmethod(lambda: ksymname(b"bpf_lsm_bpf") != -1)
    BPF.support_fmod_ret = staticmethod(lambda: True)
    BPF.support_raw_tracepoint = staticmethod(lambda: True)
    BPF.support_raw_tracepoint_in_module = staticmethod(lambda: True)

    def ksymname(name):
        name = name.encode() if isinstance(name, str) else name
        for _, n in kallsyms():
            if n == name:
                return 1
        return -1
    BPF.ksymname = staticmethod(ksymname)

    def kprobe_functions(event_re):
        r = re.compile(event_re if isinstance(event_re, bytes)
                       else event_re.encode())
        return [n for t, n in kallsyms()
                if t.lower() in (b"t", b"w") and r.fullmatch(n)]
    BPF.get_kprobe_functions = staticmethod(kprobe_functions)
    BPF.get_syscall_fnname = lambda self, n: b"__x64_sys_" + (
        n if isinstance(n, bytes) else n.encode())
    BPF.get_syscall_prefix = lambda self: b"__x64_sys_"
    pkg.USDT.__init__ = lambda self, *a, **k: None
    pkg.USDT.enable_probe = lambda self, *a, **k: None
    pkg.USDT.enable_probe_or_bail = lambda self, *a, **k: None
    pkg.USDT.get_text = lambda self: b""
    pkg.USDT.get_context = lambda self: None


# Python modules some examples import for their host side (netlink,
# addresses, DNS): stood in for, they do not shape the program text.
HOST_MODULES = ("pyroute2", "netaddr", "dnslib", "netifaces", "elftools",
                "kafka")

# Data symbols tools look up in /proc/kallsyms to put their address into the
# text; a kernel without CONFIG_KALLSYMS_ALL (this one) lists none, so the
# tool would stop before building its program.
DATA_SYMBOLS = (b"ext4_file_operations", b"btrfs_file_operations",
                b"f2fs_file_operations", b"vm_stat", b"vm_zone_stat")

OUT = None
TOOL = None


class HostThing(Anything):
    """A host-side library's object: calls give more of the same."""

    def __getattr__(self, name):
        return HostThing()

    def __call__(self, *a, **k):
        return HostThing()

    def __getitem__(self, key):
        return HostThing()

    def __iter__(self):
        return iter((HostThing(),))

    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False

    def __bool__(self):
        return True

    def __int__(self):
        return 1

    __index__ = __int__

    def __str__(self):
        return "1"


class HostModule(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return HostThing


class HostModuleFinder:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name.split(".")[0] not in HOST_MODULES:
            return None
        import importlib.machinery
        return importlib.machinery.ModuleSpec(name, HostModuleFinder,
                                              is_package=True)

    @staticmethod
    def create_module(spec):
        m = HostModule(spec.name)
        m.__path__ = []
        return m

    @staticmethod
    def exec_module(module):
        pass


def install_kallsyms():
    import builtins
    import io
    real_open = builtins.open

    def fake_open(path, mode="r", *a, **k):
        if path == "/proc/kallsyms":
            data = real_open(path, "rb").read()
            have = set(l.split()[2] for l in data.splitlines()
                       if len(l.split()) >= 3)
            data += b"".join(b"ffffffff81000000 D %s\n" % n
                             for n in DATA_SYMBOLS if n not in have)
            return io.BytesIO(data) if "b" in mode else \
                io.StringIO(data.decode())
        return real_open(path, mode, *a, **k)
    builtins.open = fake_open


def install_curses():
    curses = HostModule("curses")
    curses.wrapper = lambda fn, *a, **k: fn(Anything(), *a, **k)
    sys.modules["curses"] = curses


def main():
    global TOOL, OUT
    bcc_src, tool, OUT = sys.argv[1:4]
    TOOL = os.path.abspath(tool)
    install_bcc(bcc_src)
    sys.meta_path.insert(0, HostModuleFinder)
    install_kallsyms()
    install_curses()
    sys.argv = [tool] + [str(os.getpid()) if a == "$PID" else a
                         for a in sys.argv[4:]]
    sys.path.insert(0, os.path.dirname(TOOL))
    # a tool that waits for input or sleeps must not block the measurement
    sys.stdin = open(os.devnull)
    try:
        runpy.run_path(TOOL, run_name="__main__")
    except SystemExit:
        # the tool ended itself (it checks the kernel, or its arguments)
        sys.exit(4)
    sys.exit(3)


if __name__ == "__main__":
    main()
