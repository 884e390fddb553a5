"""USDT probes: USDT(pid=, path=).enable_probe(probe=, fn_name=), passed to
BPF(usdt_contexts=[...]); bpf_usdt_readarg() reads the arguments."""

from __future__ import annotations

import ctypes as ct
from typing import Any, Optional

from . import _lib
from ._lib import StrOrBytes, lib, check, to_bytes

__all__ = ["USDT", "USDTException"]


class USDTException(Exception):
    pass


def _providers(path):
    """Provider names of the .note.stapsdt probes of ELF file path, by
    probe name (enough to complete a probe given without provider)."""
    import struct
    out = {}
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return out
    if data[:4] != b"\x7fELF" or data[4] != 2:
        return out
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    sh = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
          for i in range(shnum)]
    strtab = sh[shstrndx]
    for s in sh:
        name_end = data.index(b"\0", strtab[4] + s[0])
        if data[strtab[4] + s[0]:name_end] != b".note.stapsdt":
            continue
        pos, end = s[4], s[4] + s[5]
        while pos + 12 <= end:
            namesz, descsz, _typ = struct.unpack_from("<III", data, pos)
            desc = pos + 12 + ((namesz + 3) & ~3)
            fields = data[desc + 24:desc + descsz].split(b"\0")
            if len(fields) >= 2:
                out.setdefault(fields[1], fields[0])
            pos = desc + ((descsz + 3) & ~3)
    return out


class USDT:
    """The USDT probes of a process (pid) or a binary (path)."""

    def __init__(self, pid: Optional[int] = None,
                 path: Optional[StrOrBytes] = None) -> None:
        if pid is None and path is None:
            raise USDTException("USDT: pid or path is required")
        self.pid = pid
        self.path = to_bytes(path)
        if self.path is None:
            self.path = ("/proc/%d/exe" % pid).encode()
        self.probes = []

    def enable_probe(self, probe: StrOrBytes, fn_name: StrOrBytes) -> None:
        """Run fn_name at probe ("name" or "provider:name")."""
        probe = to_bytes(probe)
        if b":" in probe:
            provider, name = probe.split(b":", 1)
        else:
            buf = ct.create_string_buffer(4096)
            path = self.path
            if lib.ember_find_binary(path, self.pid or 0, buf,
                                     len(buf)) == 0:
                path = buf.value
            provider = _providers(path).get(probe)
            if provider is None:
                raise USDTException("no USDT probe %s in %s" %
                                    (probe.decode(), path.decode()))
            name = probe
        self.probes.append((provider, name, to_bytes(fn_name)))

    def enable_probe_or_bail(self, probe: StrOrBytes,
                             fn_name: StrOrBytes) -> None:
        """enable_probe(), or print the error and exit(1)."""
        import sys
        try:
            self.enable_probe(probe, fn_name)
        except USDTException:
            print("Error attaching USDT probes: the specified pid might "
                  "not contain the given language's runtime, or the "
                  "runtime was not built with the required USDT probes. "
                  "Look for a configure flag similar to --with-dtrace or "
                  "--enable-dtrace. To check which probes are present in "
                  "the process, use the tplist tool.", file=sys.stderr)
            sys.exit(1)

    def get_text(self) -> str:
        """The BPF text the probes need: none, ember generates none."""
        return ""

    def get_context(self) -> Any:
        """This USDT object (BCC hands out a C context here)."""
        return self

    def _attach(self, bpf, ignore_pid=False):
        from .bpf import AttachError
        pid = 0 if ignore_pid or not self.pid else self.pid
        for provider, name, fn in self.probes:
            opts = _lib.UsdtOpts(pid=pid)
            link = _lib.vp()
            check(lib.ember_module_attach_usdt(bpf._m, fn, self.path,
                                               provider, name,
                                               ct.byref(opts),
                                               ct.byref(link)),
                  AttachError)
            bpf._remember("usdt", b"%s:%s" % (provider, name), fn,
                          [link.value])
