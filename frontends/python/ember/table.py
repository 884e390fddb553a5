"""BCC's table classes over ember_table: b["name"] and BPF.get_table().

Keys and values are ctypes objects whose types come from the table's BTF
(``table.Key``, ``table.Leaf``), so ``k.value``, struct fields by name and
``table.Key(...)`` work as in BCC.
"""

from __future__ import annotations

import ctypes as ct
import errno
import gc
import os
from typing import Any, Callable, Iterator, List, Optional, Tuple

from . import _lib
from ._btf import simple_type, subclass
from ._lib import StrOrBytes, lib, check, to_bytes

__all__ = [
    "TableBase", "HashTable", "LruHash", "Array", "ProgArray",
    "PerfEventArray", "PerCpuHash", "LruPerCpuHash", "PerCpuArray",
    "StackTrace", "CgroupArray", "LpmTrie", "QueueStack", "RingBuf",
    "DevMap", "CpuMap", "XskMap", "MapInMapArray", "MapInMapHash",
    "HistogramTable",
]

BPF_ANY, BPF_NOEXIST, BPF_EXIST = 0, 1, 2

# Map types (the kernel's numbers).
(HASH, ARRAY, PROG_ARRAY, PERF_EVENT_ARRAY, PERCPU_HASH, PERCPU_ARRAY,
 STACK_TRACE, CGROUP_ARRAY, LRU_HASH, LRU_PERCPU_HASH, LPM_TRIE,
 ARRAY_OF_MAPS, HASH_OF_MAPS, DEVMAP, SOCKMAP, CPUMAP, XSKMAP,
 SOCKHASH) = range(1, 19)
QUEUE, STACK, RINGBUF = 22, 23, 27

_HIST_STRIP = 1


class TableBase:
    """What every table has: the BTF-built Key/Leaf types, element access
    with [], get, in, del, iteration over keys, items/keys/values, clear,
    batch operations and histogram printing."""

    def __init__(self, bpf: Any, handle: Any, name: StrOrBytes,
                 keytype: Optional[type] = None,
                 leaftype: Optional[type] = None) -> None:
        self.bpf = bpf
        self._t = handle
        self.name = name
        self.map_fd = lib.ember_table_fd(handle)
        self.map_id = None
        self.ttype = lib.ember_table_type(handle)
        self.flags = lib.ember_table_flags(handle)
        self.max_entries = lib.ember_table_max_entries(handle)
        ksz = lib.ember_table_key_size(handle)
        vsz = lib.ember_table_value_size(handle)
        btf = bpf._btf()
        if keytype is None:
            keytype = btf.ctype(lib.ember_table_key_type_id(handle)) \
                if btf else None
            if keytype is None or ct.sizeof(keytype) != ksz:
                keytype = simple_type(ksz) if ksz else ct.c_int
        if leaftype is None:
            leaftype = btf.ctype(lib.ember_table_value_type_id(handle)) \
                if btf else None
            if leaftype is None or ct.sizeof(leaftype) != vsz:
                leaftype = simple_type(vsz) if vsz else ct.c_int
        self.Key = subclass(keytype, "Key")
        self.Leaf = subclass(leaftype, "Leaf")
        self._vbuf_size = lib.ember_table_value_buf_size(handle)
        self._ksz = ksz

    # -- conversions -------------------------------------------------
    def _key(self, key):
        if isinstance(key, self.Key):
            return key
        if isinstance(key, int):
            return self.Key(key)
        if isinstance(key, (ct._SimpleCData, ct.Structure, ct.Union,
                            ct.Array)):
            raw = bytes(key)
            if len(raw) < self._ksz:
                raw += b"\0" * (self._ksz - len(raw))
            return self.Key.from_buffer_copy(raw[:self._ksz])
        return self.Key(key)

    def _leaf_in(self, leaf):
        if isinstance(leaf, self.Leaf):
            return leaf
        if isinstance(leaf, int):
            return self.Leaf(leaf)
        raw = bytes(leaf)
        size = ct.sizeof(self.Leaf)
        if len(raw) < size:
            raw += b"\0" * (size - len(raw))
        return self.Leaf.from_buffer_copy(raw[:size])

    def _leaf_out(self, buf):
        return self.Leaf.from_buffer(buf)

    def _new_vbuf(self):
        return (ct.c_ubyte * self._vbuf_size)()

    # -- elements ----------------------------------------------------
    def __getitem__(self, key):
        k = self._key(key)
        buf = self._new_vbuf()
        rc = lib.ember_table_lookup(self._t, ct.byref(k), buf)
        if rc == -errno.ENOENT:
            raise KeyError(key)
        check(rc)
        return self._leaf_out(buf)

    def __setitem__(self, key, leaf):
        k = self._key(key)
        v = self._leaf_in(leaf)
        check(lib.ember_table_update(self._t, ct.byref(k), ct.byref(v),
                                     BPF_ANY))

    def __delitem__(self, key):
        k = self._key(key)
        rc = lib.ember_table_delete(self._t, ct.byref(k))
        if rc == -errno.ENOENT:
            raise KeyError(key)
        check(rc)

    def __contains__(self, key):
        k = self._key(key)
        buf = self._new_vbuf()
        return lib.ember_table_lookup(self._t, ct.byref(k), buf) == 0

    def get(self, key: Any, default: Any = None) -> Any:
        """The value of key, or default when there is none."""
        try:
            return self[key]
        except KeyError:
            return default

    def __iter__(self):
        return iter(self.keys())

    def iter(self) -> Iterator[Any]:
        """An iterator over the keys."""
        return self.__iter__()

    def __len__(self):
        return self._count()

    def next(self, key: Any) -> Any:
        """The key after key (BCC's next); StopIteration after the last."""
        nk = self.Key()
        rc = lib.ember_table_next_key(
            self._t, None if key is None else ct.byref(self._key(key)),
            ct.byref(nk))
        if rc == -errno.ENOENT:
            raise StopIteration()
        check(rc)
        return nk

    def _batch(self, fn, count=None):
        n = count or self.max_entries
        keys = (self.Key * n)()
        vals = (ct.c_ubyte * (self._vbuf_size * n))()
        cnt = ct.c_size_t(n)
        rc = fn(self._t, keys, vals, ct.byref(cnt), None)
        if rc == -errno.ENOSPC and cnt.value == 0:
            rc = 0
        check(rc)
        return keys, vals, cnt.value

    def _values_of(self, vals, n):
        """The first n values of a batch buffer as a sequence of Leaf."""
        if self._vbuf_size == ct.sizeof(self.Leaf):
            return (self.Leaf * n).from_buffer(vals)
        return [self._leaf_out_at(vals, i) for i in range(n)]

    def _leaf_out_at(self, vals, i):
        return self._leaf_out(memoryview(vals)[i * self._vbuf_size:
                                               (i + 1) * self._vbuf_size])

    def _all(self):
        """Every key and value: two sequences read in batches."""
        keys, vals, n = self._batch(lib.ember_table_lookup_batch)
        return (self.Key * n).from_buffer(keys), self._values_of(vals, n)

    def items(self) -> List[Tuple[Any, Any]]:
        """[(key, leaf), ...] for every entry, read in batches."""
        # Two objects an entry: the cyclic collector would run dozens of
        # times over the growing list (a third of the time), and none of
        # them can form a cycle. Slicing/zipping ctypes arrays whole is
        # the quickest way CPython has to make the objects.
        was = gc.isenabled()
        gc.disable()
        try:
            ks, vs = self._all()
            return list(zip(ks, vs))
        finally:
            if was:
                gc.enable()

    def keys(self) -> List[Any]:
        """[key, ...] for every entry."""
        keys, _, n = self._batch(lib.ember_table_lookup_batch)
        return (self.Key * n).from_buffer(keys)[:]

    def values(self) -> List[Any]:
        """[leaf, ...] for every entry."""
        return list(self._all()[1])

    def _count(self):
        return self._batch(lib.ember_table_lookup_batch)[2]

    itervalues = values
    iterkeys = keys
    iteritems = items

    def items_lookup_batch(self) -> List[Tuple[Any, Any]]:
        """Every entry, read with the kernel's batch lookup."""
        return self.items()

    def items_lookup_and_delete_batch(self) -> List[Tuple[Any, Any]]:
        """Every entry, read and removed in batches."""
        keys, vals, n = self._batch(lib.ember_table_lookup_and_delete_batch)
        return list(zip((self.Key * n).from_buffer(keys),
                        self._values_of(vals, n)))

    def items_update_batch(self, keys: Any, values: Any) -> None:
        """Set keys[i] to values[i] (ctypes arrays or sequences)."""
        n = len(keys)
        if n != len(values):
            raise ValueError("keys and values differ in length")
        karr = (self.Key * n)(*[self._key(k) for k in keys])
        varr = (self.Leaf * n)(*[self._leaf_in(v) for v in values])
        cnt = ct.c_size_t(n)
        check(lib.ember_table_update_batch(self._t, karr, varr,
                                           ct.byref(cnt), None))

    def items_delete_batch(self, keys: Any = None) -> None:
        """Delete keys (a sequence), or every entry when keys is None."""
        if keys is None:
            return self.clear()
        n = len(keys)
        karr = (self.Key * n)(*[self._key(k) for k in keys])
        cnt = ct.c_size_t(n)
        check(lib.ember_table_delete_batch(self._t, karr, ct.byref(cnt),
                                           None))

    def clear(self) -> None:
        """Delete every entry (arrays: zero every value)."""
        check(lib.ember_table_clear(self._t))

    def zero(self) -> None:
        """Set every present value to zero."""
        check(lib.ember_table_zero(self._t))

    # -- histograms --------------------------------------------------
    def _hist(self, cfn, val_type, section_header, section_print_fn,
              bucket_fn, strip_leading_zero, bucket_sort_fn, plain_fn):
        out = []
        line_cb = _lib.LINE_FN(lambda line, _c: out.append(line))
        opts = _lib.HistOpts(val_type=to_bytes(val_type),
                             section_header=to_bytes(section_header),
                             flags=_HIST_STRIP if strip_leading_zero else 0,
                             line=line_cb)
        if bucket_fn or bucket_sort_fn or section_print_fn:
            return self._hist_sections(plain_fn, opts, out, section_header,
                                       section_print_fn, bucket_fn,
                                       bucket_sort_fn)
        rc = cfn(self._t, None, ct.byref(opts))
        for line in out:
            print(line.decode(errors="replace"))
        check(rc)

    def _hist_sections(self, plain_fn, opts, out, section_header,
                       section_print_fn, bucket_fn, bucket_sort_fn):
        # Two-level histograms with a Python hand in the keys: group the
        # slots by section here, print each section with the C layout.
        fields = getattr(self.Key, "_fields_", None)
        if not fields:
            raise TypeError("section_print_fn/bucket_fn need a struct key")
        sect, slot = fields[0][0], fields[1][0]
        groups = {}
        for k, v in self.items():
            b = getattr(k, sect)
            if bucket_fn:
                b = bucket_fn(b)
            vals = groups.setdefault(b, {})
            s = getattr(k, slot)
            vals[s] = vals.get(s, 0) + _leaf_int(v)
        order = list(groups)
        if bucket_sort_fn:
            order = bucket_sort_fn(order)
        for b in order:
            if section_print_fn:
                print("\n%s = %s" % (section_header, section_print_fn(b)))
            else:
                print("\n%s = %r" % (section_header, b))
            slots = groups[b]
            n = max(slots) + 1 if slots else 0
            arr = (_lib.u64 * max(n, 1))()
            for s, c in slots.items():
                arr[s] = c
            del out[:]
            rc = plain_fn(arr, n, None, ct.byref(opts))
            for line in out:
                print(line.decode(errors="replace"))
            check(rc)

    def print_log2_hist(
            self,
            val_type: StrOrBytes = 'value',
            section_header: StrOrBytes = 'Bucket ptr',
            section_print_fn: Optional[Callable[[Any], Any]] = None,
            bucket_fn: Optional[Callable[[Any], Any]] = None,
            strip_leading_zero: Optional[bool] = None,
            bucket_sort_fn: Optional[Callable[[List[Any]], List[Any]]] = None,
    ) -> None:
        """Print the table as a log2 histogram in BCC's layout."""
        self._hist(lib.ember_table_print_log2_hist, val_type,
                   section_header, section_print_fn, bucket_fn,
                   strip_leading_zero, bucket_sort_fn,
                   lib.ember_print_log2_hist)

    def print_linear_hist(
            self,
            val_type: StrOrBytes = 'value',
            section_header: StrOrBytes = 'Bucket ptr',
            section_print_fn: Optional[Callable[[Any], Any]] = None,
            bucket_fn: Optional[Callable[[Any], Any]] = None,
            strip_leading_zero: Optional[bool] = None,
            bucket_sort_fn: Optional[Callable[[List[Any]], List[Any]]] = None,
    ) -> None:
        """Print the table as a linear histogram in BCC's layout."""
        self._hist(lib.ember_table_print_linear_hist, val_type,
                   section_header, section_print_fn, bucket_fn,
                   strip_leading_zero, bucket_sort_fn,
                   lib.ember_print_linear_hist)

    def print_json_hist(
            self,
            val_type: StrOrBytes = 'value',
            section_header: StrOrBytes = 'Bucket ptr',
            section_print_fn: Optional[Callable[[Any], Any]] = None,
            bucket_fn: Optional[Callable[[Any], Any]] = None,
            bucket_sort_fn: Optional[Callable[[List[Any]], List[Any]]] = None,
    ) -> None:
        """Print the table as BCC's JSON histogram lines."""
        out = []
        line_cb = _lib.LINE_FN(lambda line, _c: out.append(line))
        opts = _lib.HistOpts(val_type=to_bytes(val_type),
                             section_header=to_bytes(section_header),
                             line=line_cb)
        rc = lib.ember_table_print_json_hist(self._t, None, ct.byref(opts))
        for line in out:
            print(line.decode(errors="replace"))
        check(rc)

    def decode_c_struct(self, *args, **kw) -> Any:
        """Not available (BCC's internal histogram helper)."""
        raise NotImplementedError("decode_c_struct")


def _leaf_int(v):
    if hasattr(v, "value"):
        return v.value
    return int(v)


class HashTable(TableBase):
    """BPF_HASH."""


class LruHash(HashTable):
    """BPF_TABLE("lru_hash", ...)."""


class ArrayBase(TableBase):
    def _key(self, key):
        if isinstance(key, int):
            if key < 0:
                key += len(self)
            if key < 0 or key >= self.max_entries:
                raise IndexError("array index out of range")
        return super()._key(key)

    def __len__(self):
        return self.max_entries

    def __delitem__(self, key):
        # Arrays cannot lose elements: the value is zeroed, as BCC does.
        k = self._key(key)
        check(lib.ember_table_delete(self._t, ct.byref(k)))

    def __iter__(self):
        return iter(self.Key(i) for i in range(self.max_entries))


class Array(ArrayBase):
    """BPF_ARRAY and BPF_HISTOGRAM with int keys."""


HistogramTable = Array


class ProgArray(ArrayBase):
    """BPF_PROG_ARRAY: values are program fds (ints or load_func results)."""

    def __setitem__(self, key, leaf):
        if hasattr(leaf, "fd") and not isinstance(leaf, ct._SimpleCData):
            leaf = leaf.fd
        super().__setitem__(key, leaf)

    def __getitem__(self, key):
        # The kernel hands out program ids, not fds, for prog arrays.
        return super().__getitem__(key)


class _PerCpuMixin:
    """Per-CPU values: [] gives one Leaf per possible CPU (a ctypes array
    when the layout allows), or the reduction when a reducer was given."""

    def _init_percpu(self, reducer):
        self.reducer = reducer
        self.total_cpu = lib.ember_table_ncpus(self._t)
        self._stride = lib.ember_table_percpu_stride(self._t)
        self.sLeaf = self.Leaf

    def _leaf_out(self, buf):
        leaves = self._cpu_leaves(buf)
        if self.reducer:
            return _reduce(self.reducer, leaves)
        return leaves

    def _cpu_leaves(self, buf):
        if self._stride == ct.sizeof(self.sLeaf):
            return (self.sLeaf * self.total_cpu).from_buffer(buf)
        mv = memoryview(buf).cast("B")
        return [self.sLeaf.from_buffer_copy(
            mv[i * self._stride:i * self._stride + ct.sizeof(self.sLeaf)])
            for i in range(self.total_cpu)]

    def _leaf_in(self, leaf):
        buf = (ct.c_ubyte * self._vbuf_size)()
        if isinstance(leaf, (list, tuple, ct.Array)):
            items = list(leaf)
        else:
            items = [leaf] * self.total_cpu
        for i, v in enumerate(items[:self.total_cpu]):
            if isinstance(v, int):
                v = self.sLeaf(v)
            raw = bytes(v)[:ct.sizeof(self.sLeaf)]
            ct.memmove(ct.addressof(buf) + i * self._stride, raw, len(raw))
        return buf

    def __setitem__(self, key, leaf):
        k = self._key(key)
        v = self._leaf_in(leaf)
        check(lib.ember_table_update(self._t, ct.byref(k), v, BPF_ANY))

    def items_update_batch(self, keys: Any, values: Any) -> None:
        """Set keys[i] to values[i] (a per-CPU list, or one value for every
        CPU)."""
        for k, v in zip(keys, values):
            self[k] = v

    def _values_of(self, vals, n):
        return [self._leaf_out(memoryview(vals)[i * self._vbuf_size:
                                                (i + 1) * self._vbuf_size])
                for i in range(n)]

    def getvalue(self, key: Any) -> Any:
        """The per-CPU values of key, one Leaf per possible CPU."""
        return self._cpu_leaves(self._raw(key))

    def _raw(self, key):
        k = self._key(key)
        buf = self._new_vbuf()
        rc = lib.ember_table_lookup(self._t, ct.byref(k), buf)
        if rc == -errno.ENOENT:
            raise KeyError(key)
        check(rc)
        return buf

    def sum(self, key: Any) -> Any:
        """The value of key summed over CPUs."""
        buf = self._raw(key)
        if issubclass(self.sLeaf, (ct.Structure, ct.Union)):
            return _reduce(_add_structs, self._cpu_leaves(buf))
        total = _lib.u64()
        check(lib.ember_table_percpu_sum(self._t, buf, ct.byref(total)))
        return self.sLeaf(total.value)

    def max(self, key: Any) -> Any:
        """The largest per-CPU value of key."""
        leaves = self._cpu_leaves(self._raw(key))
        return self.sLeaf(max(_leaf_int(v) for v in leaves))

    def average(self, key: Any) -> Any:
        """The per-CPU values of key averaged over CPUs."""
        s = self.sum(key)
        return self.sLeaf(_leaf_int(s) // self.total_cpu) \
            if not isinstance(s, (ct.Structure, ct.Union)) else s


def _reduce(fn, leaves):
    leaves = list(leaves)
    acc = leaves[0]
    for v in leaves[1:]:
        acc = fn(acc, v)
    return acc


def _add_structs(a, b):
    out = type(a)()
    for f in a._fields_:
        name = f[0]
        setattr(out, name, getattr(a, name) + getattr(b, name))
    return out


class PerCpuHash(_PerCpuMixin, HashTable):
    """BPF_PERCPU_HASH."""

    def __init__(self, *args,
                 reducer: Optional[Callable[[Any, Any], Any]] = None,
                 **kw) -> None:
        super().__init__(*args, **kw)
        self._init_percpu(reducer)


class LruPerCpuHash(PerCpuHash):
    """BPF_TABLE("lru_percpu_hash", ...)."""


class PerCpuArray(_PerCpuMixin, ArrayBase):
    """BPF_PERCPU_ARRAY."""

    def __init__(self, *args,
                 reducer: Optional[Callable[[Any, Any], Any]] = None,
                 **kw) -> None:
        super().__init__(*args, **kw)
        self._init_percpu(reducer)


class StackTrace(TableBase):
    """BPF_STACK_TRACE: walk(stack_id) yields the instruction pointers."""

    MAX_DEPTH = 127

    def walk(self, stack_id: int) -> Iterator[int]:
        """The instruction pointers of stack stack_id, innermost first."""
        ips = (_lib.u64 * self.MAX_DEPTH)()
        n = lib.ember_table_stack(self._t, stack_id, ips, self.MAX_DEPTH)
        if n == -errno.ENOENT:
            return iter(())
        check(n)
        return iter(ips[:n])


class CgroupArray(ArrayBase):
    """BPF_CGROUP_ARRAY: assign a cgroup directory path or an open fd."""

    def __setitem__(self, key, leaf):
        if isinstance(leaf, (str, bytes)):
            fd = os.open(leaf, os.O_RDONLY)
            try:
                super().__setitem__(key, ct.c_int(fd))
            finally:
                os.close(fd)
        else:
            super().__setitem__(key, leaf)


class LpmTrie(TableBase):
    """BPF_LPM_TRIE: keys are {prefixlen, data} structs; [] finds the
    longest matching prefix."""


class QueueStack(TableBase):
    """BPF_QUEUE / BPF_STACK: push, pop, peek; no keys."""

    BPF_EXIST = BPF_EXIST

    def push(self, leaf: Any, flags: int = 0) -> None:
        """Add leaf (flags: BPF_EXIST replaces the oldest when full)."""
        v = self._leaf_in(leaf)
        check(lib.ember_table_update(self._t, None, ct.byref(v), flags))

    def pop(self) -> Any:
        """Remove and return the next value; KeyError when empty."""
        v = self.Leaf()
        rc = lib.ember_table_lookup_and_delete(self._t, None, ct.byref(v))
        if rc == -errno.ENOENT:
            raise KeyError("empty queue")
        check(rc)
        return v

    def peek(self) -> Any:
        """The next value without removing it; KeyError when empty."""
        v = self.Leaf()
        rc = lib.ember_table_lookup(self._t, None, ct.byref(v))
        if rc == -errno.ENOENT:
            raise KeyError("empty queue")
        check(rc)
        return v

    def itervalues(self) -> Iterator[Any]:
        """Pop and yield every value until it is empty."""
        while True:
            try:
                yield self.pop()
            except KeyError:
                return

    def values(self) -> List[Any]:
        """Pop every value; they are gone from the table afterwards."""
        return list(self.itervalues())

    def __len__(self):
        raise NotImplementedError("a queue/stack has no length")

    def keys(self) -> List[Any]:
        """Not available: a queue or stack has no keys."""
        raise NotImplementedError("a queue/stack has no keys")

    items = keys


class DevMap(ArrayBase):
    """BPF_DEVMAP."""


class CpuMap(ArrayBase):
    """BPF_CPUMAP."""


class XskMap(ArrayBase):
    """BPF_XSKMAP."""


class MapInMapArray(ArrayBase):
    """BPF_ARRAY_OF_MAPS: values are inner map fds."""

    def __setitem__(self, key, leaf):
        if isinstance(leaf, TableBase):
            leaf = leaf.map_fd
        super().__setitem__(key, leaf)


class MapInMapHash(HashTable):
    """BPF_HASH_OF_MAPS."""

    def __setitem__(self, key, leaf):
        if isinstance(leaf, TableBase):
            leaf = leaf.map_fd
        super().__setitem__(key, leaf)


from .output import PerfEventArray, RingBuf  # noqa: E402  (cycle)

_CLASSES = {
    HASH: HashTable, ARRAY: Array, PROG_ARRAY: ProgArray,
    PERF_EVENT_ARRAY: PerfEventArray, PERCPU_HASH: PerCpuHash,
    PERCPU_ARRAY: PerCpuArray, STACK_TRACE: StackTrace,
    CGROUP_ARRAY: CgroupArray, LRU_HASH: LruHash,
    LRU_PERCPU_HASH: LruPerCpuHash, LPM_TRIE: LpmTrie,
    ARRAY_OF_MAPS: MapInMapArray, HASH_OF_MAPS: MapInMapHash,
    DEVMAP: DevMap, CPUMAP: CpuMap, XSKMAP: XskMap, QUEUE: QueueStack,
    STACK: QueueStack, RINGBUF: RingBuf,
}


def make_table(bpf, handle, name, keytype=None, leaftype=None,
               reducer=None):
    """The BCC class for the table's map type."""
    cls = _CLASSES.get(lib.ember_table_type(handle), TableBase)
    if cls in (PerCpuHash, LruPerCpuHash, PerCpuArray):
        return cls(bpf, handle, name, keytype, leaftype, reducer=reducer)
    return cls(bpf, handle, name, keytype, leaftype)
