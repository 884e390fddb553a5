"""ctypes types from a module's BTF: the Key and Leaf of tables, events.

The module's BTF (a libbpf struct btf, borrowed from libember) is read once
as raw bytes and types are built on demand, so a struct in the program text
becomes a ctypes.Structure with the same field names, offsets and size.
"""

import ctypes as ct
import struct

from ._lib import libbpf, u32

_KIND_INT, _KIND_PTR, _KIND_ARRAY, _KIND_STRUCT, _KIND_UNION = 1, 2, 3, 4, 5
_KIND_ENUM, _KIND_FWD, _KIND_TYPEDEF, _KIND_VOLATILE, _KIND_CONST = \
    6, 7, 8, 9, 10
_KIND_RESTRICT, _KIND_FUNC, _KIND_FUNC_PROTO, _KIND_VAR, _KIND_DATASEC = \
    11, 12, 13, 14, 15
_KIND_FLOAT, _KIND_DECL_TAG, _KIND_TYPE_TAG, _KIND_ENUM64 = 16, 17, 18, 19
_QUALIFIERS = (_KIND_TYPEDEF, _KIND_VOLATILE, _KIND_CONST, _KIND_RESTRICT,
               _KIND_TYPE_TAG)


class _Type:
    __slots__ = ("kind", "name", "size", "ref", "members", "kflag",
                 "encoding", "nelems")


def simple_type(size, signed=False):
    """The ctypes integer of size bytes (a byte array for odd sizes)."""
    table = {1: (ct.c_ubyte, ct.c_byte), 2: (ct.c_ushort, ct.c_short),
             4: (ct.c_uint, ct.c_int), 8: (ct.c_ulonglong, ct.c_longlong)}
    if size in table:
        return table[size][1 if signed else 0]
    return ct.c_ubyte * size


def subclass(t, name):
    """A subclass of t, so array items and fields stay ctypes objects
    (ctypes turns fundamental types into Python ints) and k.value works."""
    if issubclass(t, (ct.Structure, ct.Union)):
        return t
    return type(name, (t,), {})


class BTF:
    """Types of one BTF blob, parsed from its raw bytes."""

    def __init__(self, handle):
        size = u32()
        raw = libbpf.btf__raw_data(handle, ct.byref(size))
        data = ct.string_at(raw, size.value)
        base = libbpf.btf__base_btf(handle)
        self.first_id = libbpf.btf__type_cnt(base) if base else 1
        (_magic, _ver, _flags, hdr_len, type_off, type_len, str_off,
         str_len) = struct.unpack_from("<HBBIIIII", data, 0)
        self._strs = data[hdr_len + str_off:hdr_len + str_off + str_len]
        self._types = {}
        self._ctypes = {}
        self._by_name = {}
        self._parse(data, hdr_len + type_off, hdr_len + type_off + type_len)

    def _str(self, off):
        end = self._strs.index(b"\0", off)
        return self._strs[off:end].decode()

    def _parse(self, data, pos, end):
        tid = self.first_id
        while pos < end:
            name_off, info, size_or_type = struct.unpack_from("<III", data,
                                                              pos)
            pos += 12
            t = _Type()
            t.kind = (info >> 24) & 0x1F
            t.kflag = info >> 31
            vlen = info & 0xFFFF
            t.name = self._str(name_off)
            t.size = size_or_type
            t.ref = size_or_type
            t.members = []
            t.encoding = 0
            t.nelems = 0
            if t.kind == _KIND_INT:
                (v,) = struct.unpack_from("<I", data, pos)
                t.encoding = (v >> 24) & 0xF
                pos += 4
            elif t.kind == _KIND_ARRAY:
                t.ref, _idx, t.nelems = struct.unpack_from("<III", data, pos)
                pos += 12
            elif t.kind in (_KIND_STRUCT, _KIND_UNION):
                for _ in range(vlen):
                    m_name, m_type, m_off = struct.unpack_from("<III", data,
                                                               pos)
                    if t.kflag:
                        bits, off = m_off >> 24, m_off & 0xFFFFFF
                    else:
                        bits, off = 0, m_off
                    t.members.append((self._str(m_name), m_type, off, bits))
                    pos += 12
            elif t.kind == _KIND_ENUM:
                t.members = [struct.unpack_from("<Ii", data, pos + 8 * i)
                             for i in range(vlen)]
                pos += 8 * vlen
            elif t.kind == _KIND_ENUM64:
                pos += 12 * vlen
            elif t.kind == _KIND_FUNC_PROTO:
                pos += 8 * vlen
            elif t.kind in (_KIND_VAR, _KIND_DECL_TAG):
                pos += 4
            elif t.kind == _KIND_DATASEC:
                pos += 12 * vlen
            self._types[tid] = t
            if t.name and t.kind in (_KIND_STRUCT, _KIND_UNION, _KIND_ENUM,
                                     _KIND_TYPEDEF, _KIND_INT, _KIND_FLOAT):
                prefix = {_KIND_STRUCT: "struct ", _KIND_UNION: "union ",
                          _KIND_ENUM: "enum "}.get(t.kind, "")
                self._by_name.setdefault(prefix + t.name, tid)
            tid += 1

    def find(self, spelling):
        """Type id of "struct data_t", "u32", ... or 0."""
        return self._by_name.get(spelling.strip(), 0)

    def _strip(self, tid):
        t = self._types.get(tid)
        while t is not None and t.kind in _QUALIFIERS:
            tid = t.ref
            t = self._types.get(tid)
        return tid, t

    def ctype(self, tid):
        """The ctypes type of BTF type tid (0: void/unknown -> None)."""
        if tid in self._ctypes:
            return self._ctypes[tid]
        tid2, t = self._strip(tid)
        if t is None:
            c = None
        elif tid2 != tid:
            c = self.ctype(tid2)
        else:
            c = self._build(t, tid)
        self._ctypes[tid] = c
        return c

    def _build(self, t, tid):
        k = t.kind
        if k == _KIND_INT:
            if t.encoding & 4 and t.size == 1:
                return ct.c_bool
            if t.size == 1 and (t.encoding & 2 or t.name == "char"):
                return ct.c_char
            if t.size == 16:
                return ct.c_ulonglong * 2
            return simple_type(t.size, bool(t.encoding & 1))
        if k in (_KIND_ENUM, _KIND_ENUM64):
            return simple_type(t.size, True)
        if k == _KIND_PTR:
            return ct.c_ulonglong
        if k == _KIND_FLOAT:
            return {4: ct.c_float, 8: ct.c_double}.get(t.size,
                                                      ct.c_ubyte * t.size)
        if k == _KIND_ARRAY:
            elem = self.ctype(t.ref) or ct.c_ubyte
            return elem * t.nelems
        if k in (_KIND_STRUCT, _KIND_UNION):
            return self._record(t, tid)
        return ct.c_ubyte * 0

    def _record(self, t, tid):
        base = ct.Union if t.kind == _KIND_UNION else ct.Structure
        name = t.name or "anon_%d" % tid
        cls = type(name, (base,), {"_pack_": 1})
        self._ctypes[tid] = cls  # self-references through pointers
        fields, anon = [], []
        at = 0  # bits laid out so far (structs)
        npad = 0
        for m_name, m_type, off, bits in t.members:
            mt = self.ctype(m_type) or ct.c_ubyte * 0
            if not m_name:
                m_name = "__anon%d" % len(anon)
                anon.append(m_name)
            if base is ct.Union:
                fields.append((m_name, mt))
                continue
            if bits:
                # Bitfields: ctypes packs them like GCC when the storage
                # unit starts where the C compiler started it.
                unit = ct.sizeof(mt) * 8
                start = off - off % unit
                if start > at:
                    fields.append(("__pad%d" % npad,
                                   ct.c_ubyte * ((start - at) // 8)))
                    npad += 1
                    at = start
                fields.append((m_name, mt, bits))
                at = max(at, off + bits)
                continue
            if off > at:
                gap = (off - at + 7) // 8
                fields.append(("__pad%d" % npad, ct.c_ubyte * gap))
                npad += 1
            fields.append((m_name, mt))
            at = off + ct.sizeof(mt) * 8
        if base is ct.Structure and t.size * 8 > at:
            fields.append(("__pad%d" % npad,
                           ct.c_ubyte * (t.size - (at + 7) // 8)))
        if anon:
            cls._anonymous_ = anon
        cls._fields_ = fields
        return cls
