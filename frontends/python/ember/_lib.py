"""libember's C ABI through ctypes: finding the library, prototypes, errors.

One Python call maps to one C call; everything else in the package is built
on the names declared here.
"""

import ctypes as ct
import ctypes.util
import errno
import os
from typing import Union

__all__ = ["lib", "libbpf", "check", "errmsg", "library_path"]


def _candidates():
    env = os.environ.get("EMBER_LIBRARY")
    if env:
        yield env
        return
    try:
        from . import _install  # written by cmake --install
        yield _install.LIBRARY
    except ImportError:
        pass
    # A source checkout: frontends/python/ember -> <root>/build/lib.
    root = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.dirname(os.path.abspath(__file__)))))
    yield os.path.join(root, "build", "lib", "libember.so.0")
    # Wherever the dynamic loader finds it (ld.so.cache, LD_LIBRARY_PATH).
    yield "libember.so.0"


def _load():
    tried = []
    for path in _candidates():
        if os.sep in path and not os.path.exists(path):
            tried.append(path + " (missing)")
            continue
        try:
            return ct.CDLL(path, use_errno=True), path
        except OSError as e:
            tried.append("%s (%s)" % (path, e))
    raise ImportError("ember: cannot load libember; tried: " +
                      "; ".join(tried) +
                      ". Set EMBER_LIBRARY=/path/to/libember.so.0")


lib, library_path = _load()
# libember links the system libbpf dynamically: the same copy serves the
# struct btf handles ember hands out (ember_table_btf() is documented as
# usable with libbpf's btf__* API).
libbpf = ct.CDLL(ctypes.util.find_library("bpf") or "libbpf.so.1",
                 use_errno=True)

c_size_p = ct.POINTER(ct.c_size_t)
vp = ct.c_void_p
cp = ct.c_char_p
i32 = ct.c_int
u32 = ct.c_uint32
u64 = ct.c_uint64

# Callback types (the library's typedefs).
LOG_FN = ct.CFUNCTYPE(None, ct.c_int, cp, vp)
PERF_SAMPLE_FN = ct.CFUNCTYPE(None, vp, ct.c_int, vp, u32)
PERF_LOST_FN = ct.CFUNCTYPE(None, vp, ct.c_int, u64)
RING_SAMPLE_FN = ct.CFUNCTYPE(ct.c_int, vp, vp, ct.c_size_t)
LINE_FN = ct.CFUNCTYPE(None, cp, vp)
SECTION_FN = ct.CFUNCTYPE(ct.c_int, vp, ct.c_size_t, vp, ct.c_size_t, vp)


class _Opts(ct.Structure):
    """An options struct: .sz set to its own size, the rest zero."""

    def __init__(self, **kw):
        super().__init__(sz=ct.sizeof(self), **kw)


class ModuleOpts(_Opts):
    _fields_ = [("sz", ct.c_size_t), ("name", cp),
                ("cflags", ct.POINTER(cp)), ("cflags_cnt", ct.c_size_t),
                ("debug_flags", ct.c_uint), ("log", LOG_FN),
                ("log_ctx", vp), ("kernel_headers", cp)]


class ObjectOpts(_Opts):
    _fields_ = [("sz", ct.c_size_t), ("name", cp), ("debug_flags", ct.c_uint),
                ("log", LOG_FN), ("log_ctx", vp)]


class TraceFields(ct.Structure):
    _fields_ = [("task", cp), ("pid", ct.c_int), ("cpu", ct.c_int),
                ("flags", cp), ("ts", ct.c_double), ("msg", cp)]


class PerfReaderOpts(_Opts):
    _fields_ = [("sz", ct.c_size_t), ("page_cnt", ct.c_size_t),
                ("wakeup_events", ct.c_uint)]


class PerfReaderStats(_Opts):
    _fields_ = [("sz", ct.c_size_t), ("delivered", u64), ("lost", u64)]


class RingReaderOpts(_Opts):
    _fields_ = [("sz", ct.c_size_t), ("batch_us", ct.c_int)]


class RingReaderStats(_Opts):
    _fields_ = [("sz", ct.c_size_t), ("delivered", u64), ("dropped", u64),
                ("uncounted", ct.c_uint)]


class KprobeOpts(_Opts):
    _fields_ = [("sz", ct.c_size_t), ("retprobe", ct.c_bool),
                ("offset", u64), ("maxactive", ct.c_int)]


class UprobeOpts(_Opts):
    _fields_ = [("sz", ct.c_size_t), ("pid", ct.c_int),
                ("retprobe", ct.c_bool), ("offset", u64)]


class UsdtOpts(_Opts):
    _fields_ = [("sz", ct.c_size_t), ("pid", ct.c_int), ("cookie", u64)]


class PerfEventOpts(_Opts):
    _fields_ = [("sz", ct.c_size_t), ("sample_period", u64),
                ("sample_freq", u64), ("pid", ct.c_int), ("cpu", ct.c_int)]


class BatchOpts(_Opts):
    _fields_ = [("sz", ct.c_size_t), ("elem_flags", u64),
                ("no_batch", ct.c_bool)]


class HistOpts(_Opts):
    _fields_ = [("sz", ct.c_size_t), ("val_type", cp),
                ("section_header", cp), ("flags", ct.c_uint),
                ("line", LINE_FN), ("line_ctx", vp),
                ("section", SECTION_FN), ("section_ctx", vp)]


class Sym(ct.Structure):
    _fields_ = [("name", cp), ("module", cp), ("start", u64),
                ("offset", u64)]


_PROTOS = {
    # ember.h
    "ember_version": (cp, []),
    "ember_errmsg": (cp, []),
    "ember_module_compile": (i32, [cp, ct.POINTER(ModuleOpts),
                                   ct.POINTER(vp)]),
    "ember_module_open_object": (i32, [cp, ct.POINTER(ObjectOpts),
                                       ct.POINTER(vp)]),
    "ember_module_load": (i32, [vp]),
    "ember_module_attach_auto": (i32, [vp]),
    "ember_module_attach_tracepoint": (i32, [vp, cp, cp, ct.POINTER(vp)]),
    "ember_module_attach_raw_tracepoint": (i32, [vp, cp, cp,
                                                 ct.POINTER(vp)]),
    "ember_module_attach_kprobe": (i32, [vp, cp, cp, ct.c_bool,
                                         ct.POINTER(vp)]),
    "ember_module_attach_kprobe_opts": (i32, [vp, cp, cp,
                                              ct.POINTER(KprobeOpts),
                                              ct.POINTER(vp)]),
    "ember_module_attach_kprobe_regex": (i32, [vp, cp, cp, ct.c_bool]),
    "ember_module_load_func": (i32, [vp, cp, i32]),
    "ember_syscall_fnname": (i32, [cp, cp, ct.c_size_t]),
    "ember_kernel_has_kprobes": (ct.c_bool, []),
    "ember_link_detach": (i32, [vp]),
    "ember_module_link_cnt": (ct.c_size_t, [vp]),
    "ember_module_prog_fd": (i32, [vp, cp]),
    "ember_module_rewritten_source": (cp, [vp]),
    "ember_module_free": (None, [vp]),
    "ember_trace_pipe_open": (i32, [ct.POINTER(vp)]),
    "ember_trace_pipe_read_line": (i32, [vp, i32, ct.POINTER(cp)]),
    "ember_trace_pipe_read_fields": (i32, [vp, i32,
                                           ct.POINTER(TraceFields)]),
    "ember_trace_pipe_fd": (i32, [vp]),
    "ember_trace_pipe_free": (None, [vp]),
    # attach.h
    "ember_module_attach_uprobe": (i32, [vp, cp, cp, cp,
                                         ct.POINTER(UprobeOpts),
                                         ct.POINTER(vp)]),
    "ember_module_attach_uprobe_regex": (i32, [vp, cp, cp, cp,
                                               ct.POINTER(UprobeOpts)]),
    "ember_find_binary": (i32, [cp, i32, cp, ct.c_size_t]),
    "ember_module_attach_usdt": (i32, [vp, cp, cp, cp, cp,
                                       ct.POINTER(UsdtOpts),
                                       ct.POINTER(vp)]),
    "ember_module_attach_perf_event": (i32, [vp, cp, u32, u64,
                                             ct.POINTER(PerfEventOpts),
                                             ct.POINTER(vp)]),
    "ember_module_attach_xdp": (i32, [vp, cp, cp, ct.c_uint,
                                      ct.POINTER(vp)]),
    "ember_module_attach_raw_socket": (i32, [vp, cp, cp, ct.POINTER(i32),
                                             ct.POINTER(vp)]),
    "ember_module_attach_socket_filter": (i32, [vp, cp, i32,
                                                ct.POINTER(vp)]),
    "ember_module_attach_kfunc": (i32, [vp, cp, cp, ct.c_bool,
                                        ct.POINTER(vp)]),
    "ember_module_attach_lsm": (i32, [vp, cp, cp, ct.POINTER(vp)]),
    "ember_module_next_link": (vp, [vp, vp]),
    "ember_link_description": (cp, [vp]),
    "ember_feature": (i32, [i32]),
    "ember_feature_describe": (cp, [i32]),
    # table.h
    "ember_module_table": (i32, [vp, cp, ct.POINTER(vp)]),
    "ember_module_table_cnt": (ct.c_size_t, [vp]),
    "ember_module_table_at": (vp, [vp, ct.c_size_t]),
    "ember_table_name": (cp, [vp]),
    "ember_table_type": (i32, [vp]),
    "ember_table_kind": (cp, [vp]),
    "ember_table_key_size": (u32, [vp]),
    "ember_table_value_size": (u32, [vp]),
    "ember_table_max_entries": (u32, [vp]),
    "ember_table_flags": (u32, [vp]),
    "ember_table_fd": (i32, [vp]),
    "ember_table_is_percpu": (ct.c_bool, [vp]),
    "ember_table_ncpus": (u32, [vp]),
    "ember_table_percpu_stride": (u32, [vp]),
    "ember_table_value_buf_size": (ct.c_size_t, [vp]),
    "ember_table_btf": (vp, [vp]),
    "ember_table_key_type_id": (u32, [vp]),
    "ember_table_value_type_id": (u32, [vp]),
    "ember_table_lookup": (i32, [vp, vp, vp]),
    "ember_table_update": (i32, [vp, vp, vp, u64]),
    "ember_table_delete": (i32, [vp, vp]),
    "ember_table_lookup_and_delete": (i32, [vp, vp, vp]),
    "ember_table_next_key": (i32, [vp, vp, vp]),
    "ember_table_clear": (i32, [vp]),
    "ember_table_zero": (i32, [vp]),
    "ember_table_lookup_batch": (i32, [vp, vp, vp, c_size_p,
                                       ct.POINTER(BatchOpts)]),
    "ember_table_lookup_and_delete_batch": (i32, [vp, vp, vp, c_size_p,
                                                  ct.POINTER(BatchOpts)]),
    "ember_table_update_batch": (i32, [vp, vp, vp, c_size_p,
                                       ct.POINTER(BatchOpts)]),
    "ember_table_delete_batch": (i32, [vp, vp, c_size_p,
                                       ct.POINTER(BatchOpts)]),
    "ember_table_percpu_sum": (i32, [vp, vp, ct.POINTER(u64)]),
    "ember_table_percpu_max": (i32, [vp, vp, ct.POINTER(u64)]),
    "ember_table_print_log2_hist": (i32, [vp, vp, ct.POINTER(HistOpts)]),
    "ember_table_print_linear_hist": (i32, [vp, vp, ct.POINTER(HistOpts)]),
    "ember_table_print_json_hist": (i32, [vp, vp, ct.POINTER(HistOpts)]),
    "ember_print_log2_hist": (i32, [ct.POINTER(u64), ct.c_size_t, vp,
                                    ct.POINTER(HistOpts)]),
    "ember_print_linear_hist": (i32, [ct.POINTER(u64), ct.c_size_t, vp,
                                      ct.POINTER(HistOpts)]),
    "ember_table_stack": (i32, [vp, ct.c_int64, ct.POINTER(u64),
                                ct.c_size_t]),
    "ember_symbolizer_new": (i32, [vp, ct.POINTER(vp)]),
    "ember_symbolizer_free": (None, [vp]),
    "ember_symbolize_user": (i32, [vp, i32, u64, ct.POINTER(Sym)]),
    "ember_sym_snprintf": (i32, [ct.POINTER(Sym), cp, ct.c_size_t,
                                 ct.c_uint]),
    "ember_ksym": (i32, [u64, cp, ct.c_size_t, ct.c_uint]),
    "ember_ksymname": (i32, [cp, ct.POINTER(u64)]),
    # output.h
    "ember_perf_reader_new": (i32, [vp, cp, PERF_SAMPLE_FN, PERF_LOST_FN,
                                    vp, ct.POINTER(PerfReaderOpts),
                                    ct.POINTER(vp)]),
    "ember_perf_reader_poll": (i32, [vp, i32]),
    "ember_perf_reader_consume": (i32, [vp]),
    "ember_perf_reader_fd": (i32, [vp]),
    "ember_perf_reader_stats": (i32, [vp, ct.POINTER(PerfReaderStats)]),
    "ember_perf_reader_free": (None, [vp]),
    "ember_ring_reader_new": (i32, [vp, cp, RING_SAMPLE_FN, vp,
                                    ct.POINTER(RingReaderOpts),
                                    ct.POINTER(vp)]),
    "ember_ring_reader_add": (i32, [vp, vp, cp, RING_SAMPLE_FN, vp]),
    "ember_ring_reader_poll": (i32, [vp, i32]),
    "ember_ring_reader_consume": (i32, [vp]),
    "ember_ring_reader_fd": (i32, [vp]),
    "ember_ring_reader_stats": (i32, [vp, cp,
                                      ct.POINTER(RingReaderStats)]),
    "ember_ring_reader_free": (None, [vp]),
    "ember_event_type_new": (i32, [vp, cp, cp, ct.POINTER(vp)]),
    "ember_event_type_free": (None, [vp]),
    "ember_event_type_name": (cp, [vp]),
    "ember_event_type_size": (ct.c_size_t, [vp]),
}

for _name, (_res, _args) in _PROTOS.items():
    _f = getattr(lib, _name)
    _f.restype = _res
    _f.argtypes = _args

_BPF_PROTOS = {
    "btf__raw_data": (vp, [vp, ct.POINTER(u32)]),
    "btf__load_vmlinux_btf": (vp, []),
    "btf__free": (None, [vp]),
    "btf__find_by_name_kind": (i32, [vp, cp, u32]),
    "btf__type_by_id": (vp, [vp, u32]),
    "btf__name_by_offset": (cp, [vp, u32]),
    "btf__base_btf": (vp, [vp]),
    "btf__type_cnt": (u32, [vp]),
    "bpf_prog_attach": (i32, [i32, i32, ct.c_int, ct.c_uint]),
    "bpf_prog_detach2": (i32, [i32, i32, ct.c_int]),
}
for _name, (_res, _args) in _BPF_PROTOS.items():
    _f = getattr(libbpf, _name)
    _f.restype = _res
    _f.argtypes = _args


def errmsg():
    """The library's description of the last failure on this thread."""
    return lib.ember_errmsg().decode(errors="replace")


def check(rc, exc=OSError, what=None):
    """Raise exc with ember's message when rc is a negative errno."""
    if rc is not None and rc < 0:
        msg = errmsg()
        if what:
            msg = "%s: %s" % (what, msg)
        if exc is OSError:
            raise OSError(-rc, msg)
        err = exc(msg)
        err.errno = -rc
        raise err
    return rc


# BCC takes names as str or bytes alike (and returns bytes).
StrOrBytes = Union[str, bytes]


def to_bytes(s):
    """BCC accepts str or bytes everywhere; the C side wants bytes."""
    if s is None or isinstance(s, bytes):
        return s
    return str(s).encode()


def is_eintr(rc):
    return rc == -errno.EINTR
