"""Perf and ring buffers: BPF_PERF_OUTPUT and BPF_RINGBUF_OUTPUT tables,
their readers, and event decoding by field name (table.event(data)).

Polls run in the C library with the GIL released (ctypes releases it for
every foreign call); each event takes the GIL back for the Python callback.
The readers' epoll fds are exposed (BPF.perf_buffer_fds(),
BPF.ring_buffer_fd(), reader.fd) for asyncio's loop.add_reader.
"""

from __future__ import annotations

import ctypes as ct
import errno
from typing import Any, Callable, Optional

from . import _lib
from ._lib import lib, check, to_bytes
from .table import TableBase

__all__ = ["PerfEventArray", "RingBuf", "PerfReader", "RingReader"]


class _EventMixin:
    _event_type = None

    def event(self, data: Any) -> Any:
        """The event at address data (as a perf/ring callback receives it)
        as a ctypes struct whose fields are the submitted type's."""
        t = self._event_type
        if t is None:
            t = self._event_type = self._find_event_type()
        return ct.cast(data, ct.POINTER(t)).contents

    def _find_event_type(self):
        et = _lib.vp()
        check(lib.ember_event_type_new(self.bpf._m, to_bytes(self.name),
                                       None, ct.byref(et)), KeyError)
        try:
            name = lib.ember_event_type_name(et).decode()
            size = lib.ember_event_type_size(et)
        finally:
            lib.ember_event_type_free(et)
        btf = self.bpf._btf()
        tid = btf.find(name) if btf else 0
        t = btf.ctype(tid) if tid else None
        if t is None or ct.sizeof(t) != size:
            t = ct.c_ubyte * size
        return t


class PerfReader:
    """One perf buffer reader (ember_perf_reader) with its callbacks."""

    def __init__(self, bpf, name, callback, page_cnt, lost_cb,
                 wakeup_events):
        self.exc = None
        self.lost = 0

        def sample(_ctx, cpu, data, size):
            try:
                callback(cpu, data, size)
            except BaseException as e:  # re-raised after the poll
                if self.exc is None:
                    self.exc = e

        def lost(_ctx, cpu, count):
            self.lost += count
            if lost_cb is None:
                return
            try:
                lost_cb(count)
            except BaseException as e:
                if self.exc is None:
                    self.exc = e

        self._sample = _lib.PERF_SAMPLE_FN(sample)
        self._lost = _lib.PERF_LOST_FN(lost)
        opts = _lib.PerfReaderOpts(page_cnt=page_cnt,
                                   wakeup_events=wakeup_events)
        self._r = _lib.vp()
        check(lib.ember_perf_reader_new(bpf._m, to_bytes(name),
                                        self._sample, self._lost, None,
                                        ct.byref(opts), ct.byref(self._r)))
        self.fd = lib.ember_perf_reader_fd(self._r)

    def _raise(self):
        if self.exc is not None:
            e, self.exc = self.exc, None
            raise e

    def poll(self, timeout):
        rc = lib.ember_perf_reader_poll(self._r, timeout)
        self._raise()
        if rc < 0 and rc != -errno.EINTR:
            check(rc)
        return max(rc, 0)

    def consume(self):
        rc = lib.ember_perf_reader_consume(self._r)
        self._raise()
        check(rc)
        return rc

    def stats(self):
        st = _lib.PerfReaderStats()
        check(lib.ember_perf_reader_stats(self._r, ct.byref(st)))
        return st.delivered, st.lost

    def close(self):
        if self._r:
            lib.ember_perf_reader_free(self._r)
            self._r = _lib.vp()


class PerfEventArray(_EventMixin, TableBase):
    """BPF_PERF_OUTPUT: open_perf_buffer(callback) then
    BPF.perf_buffer_poll()."""

    def open_perf_buffer(self, callback: Callable[..., Any], page_cnt: int = 8,
                         lost_cb: Optional[Callable[[int], Any]] = None,
                         wakeup_events: int = 0) -> None:
        """Read this table's events: callback(cpu, data, size) per event,
        lost_cb(count) when the kernel dropped some (buffer full).

        wakeup_events: 0 (ember's default) wakes the poller when a CPU's
        buffer is a quarter full and reads every buffer at least every
        10 ms, so an event waits at most ~10 ms and the program pays no
        wake-up per event (5-10x the events per second); 1 is BCC's
        default, a wake-up per event; N > 1, one per N events."""
        if page_cnt & (page_cnt - 1):
            raise Exception("Perf buffer page_cnt must be a power of two")
        self.close_perf_buffer()
        r = PerfReader(self.bpf, self.name, callback, page_cnt, lost_cb,
                       wakeup_events)
        self.bpf.perf_buffers[self.name] = r

    def close_perf_buffer(self) -> None:
        """Stop reading this table's events."""
        r = self.bpf.perf_buffers.pop(self.name, None)
        if r:
            r.close()

    def __getitem__(self, key):
        raise KeyError("perf event arrays hold perf event fds")


class RingReader:
    """The ring buffer poller of one BPF object: every ring it opened."""

    def __init__(self):
        self._r = _lib.vp()
        self._cbs = []
        self.exc = None
        self.fd = -1

    def add(self, bpf, name, callback, ctx):
        def sample(_ctx, data, size):
            try:
                rc = callback(ctx, data, size)
                return rc if isinstance(rc, int) else 0
            except BaseException as e:
                if self.exc is None:
                    self.exc = e
                return -errno.ECANCELED

        cb = _lib.RING_SAMPLE_FN(sample)
        if not self._r:
            check(lib.ember_ring_reader_new(bpf._m, to_bytes(name), cb,
                                            None, None, ct.byref(self._r)))
            self.fd = lib.ember_ring_reader_fd(self._r)
        else:
            check(lib.ember_ring_reader_add(self._r, bpf._m, to_bytes(name),
                                            cb, None))
        self._cbs.append(cb)

    def _done(self, rc):
        if self.exc is not None:
            e, self.exc = self.exc, None
            raise e
        if rc < 0 and rc != -errno.EINTR:
            check(rc)
        return max(rc, 0)

    def poll(self, timeout):
        return self._done(lib.ember_ring_reader_poll(self._r, timeout))

    def consume(self):
        return self._done(lib.ember_ring_reader_consume(self._r))

    def stats(self, name=None):
        st = _lib.RingReaderStats()
        check(lib.ember_ring_reader_stats(self._r, to_bytes(name),
                                          ct.byref(st)))
        return st.delivered, st.dropped

    def close(self):
        if self._r:
            lib.ember_ring_reader_free(self._r)
            self._r = _lib.vp()
        self._cbs = []


class RingBuf(_EventMixin, TableBase):
    """BPF_RINGBUF_OUTPUT: open_ring_buffer(callback) then
    BPF.ring_buffer_poll()."""

    def open_ring_buffer(self, callback: Callable[..., Any],
                         ctx: Any = None) -> None:
        """Read this ring: callback(ctx, data, size) per event; a non-zero
        int return stops the poll."""
        if self.bpf._ringbuf is None:
            self.bpf._ringbuf = RingReader()
        self.bpf._ringbuf.add(self.bpf, self.name, callback, ctx)

    def __getitem__(self, key):
        raise KeyError("ring buffers have no keys")

    def __len__(self):
        return 0
