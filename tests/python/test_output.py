"""Perf and ring buffers: decoding by field name, losses, the GIL, asyncio."""

import asyncio
import os
import signal
import threading
import time

import pytest

from ember import BPF

pytestmark = pytest.mark.kernel

PROGRAM = r"""
struct inner_t {
    u16 a;
    u8 b[3];
};
struct event_t {
    u32 pid;
    char comm[16];
    struct inner_t nested;
    u64 arr[2];
    s32 neg;
};
BPF_PERF_OUTPUT(events);
BPF_RINGBUF_OUTPUT(ring, 8);
BPF_ARRAY(burst, u32, 1);

TRACEPOINT_PROBE(syscalls, sys_enter_getppid)
{
    if ((bpf_get_current_pid_tgid() >> 32) != TARGET)
        return 0;
    struct event_t e = {};
    e.pid = bpf_get_current_pid_tgid() >> 32;
    bpf_get_current_comm(&e.comm, sizeof(e.comm));
    e.nested.a = 513;
    e.nested.b[0] = 1; e.nested.b[1] = 2; e.nested.b[2] = 3;
    e.arr[0] = 0x1122334455667788ULL;
    e.arr[1] = 42;
    e.neg = -7;
    int z = 0;
    u32 *n = burst.lookup(&z);
    u32 i, cnt = n && *n ? *n : 1;
    for (i = 0; i < 1000 && i < cnt; i++) {
        e.arr[1] = i;
        events.perf_submit(args, &e, sizeof(e));
    }
    ring.ringbuf_output(&e, sizeof(e), 0);
    return 0;
}
"""


@pytest.fixture
def b():
    b = BPF(text=PROGRAM, cflags=["-DTARGET=%d" % os.getpid()])
    yield b
    b.cleanup()


def _check_event(ev):
    assert ev.pid == os.getpid()
    with open("/proc/self/comm", "rb") as f:
        assert ev.comm == f.read().strip()
    assert ev.nested.a == 513
    assert list(ev.nested.b) == [1, 2, 3]
    assert ev.arr[0] == 0x1122334455667788
    assert ev.neg == -7


def test_perf_event_decoding(b):
    got = []
    b["events"].open_perf_buffer(
        lambda cpu, data, size: got.append((cpu, size,
                                            b["events"].event(data))))
    os.getppid()
    assert b.perf_buffer_poll(timeout=1000) == 1
    cpu, size, ev = got[0]
    assert 0 <= cpu < os.cpu_count() and size >= 48
    _check_event(ev)


def test_ring_event_decoding(b):
    got = []

    def cb(ctx, data, size):
        got.append((ctx, b["ring"].event(data)))

    b["ring"].open_ring_buffer(cb, ctx="c")
    os.getppid()
    deadline = time.monotonic() + 5
    while not got and time.monotonic() < deadline:
        b.ring_buffer_poll(timeout=100)
    assert got[0][0] == "c"
    _check_event(got[0][1])
    os.getppid()
    time.sleep(0.01)
    assert b.ring_buffer_consume() == 1


def test_perf_losses_are_counted(b):
    delivered, lost = [], []
    b["events"].open_perf_buffer(lambda c, d, s: delivered.append(1),
                                 page_cnt=1, lost_cb=lost.append)
    b["burst"][0] = 1000
    old = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(old)})
    try:
        os.getppid()  # 1000 events into one CPU's 4 KiB buffer
        b["burst"][0] = 1
        b.perf_buffer_poll(timeout=100)
        os.getppid()  # one more, after which the kernel reports the loss
        while b.perf_buffer_poll(timeout=200):
            pass
    finally:
        os.sched_setaffinity(0, old)
    assert sum(lost) > 0
    assert len(delivered) + sum(lost) == 1001


def test_callback_exception_reaches_the_caller(b):
    def cb(cpu, data, size):
        raise ValueError("from the callback")

    b["events"].open_perf_buffer(cb)
    os.getppid()
    with pytest.raises(ValueError, match="from the callback"):
        b.perf_buffer_poll(timeout=1000)


def test_poll_releases_the_gil(b):
    b["events"].open_perf_buffer(lambda c, d, s: None)
    count = [0]
    stop = [False]

    def spin():
        while not stop[0]:
            count[0] += 1

    t = threading.Thread(target=spin)
    t.start()
    try:
        time.sleep(0.05)
        start = count[0]
        b.perf_buffer_poll(timeout=300)  # nothing comes
        during = count[0] - start
    finally:
        stop[0] = True
        t.join()
    # With the GIL held the spinning thread would stand still for 300 ms.
    assert during > 100, during


def test_asyncio_add_reader(b):
    got = []
    b["ring"].open_ring_buffer(lambda ctx, data, size: got.append(
        b["ring"].event(data).pid))
    b["events"].open_perf_buffer(lambda c, d, s: got.append(
        b["events"].event(d).pid))

    async def main():
        loop = asyncio.get_running_loop()
        done = asyncio.Event()

        def ready(consume):
            consume()
            if len(got) >= 2:
                done.set()

        loop.add_reader(b.ring_buffer_fd(), ready, b.ring_buffer_consume)
        fd = b.perf_buffer_fds()[b"events"]
        loop.add_reader(fd, ready, b.perf_buffer_consume)
        os.getppid()
        await asyncio.wait_for(done.wait(), 5)
        loop.remove_reader(b.ring_buffer_fd())
        loop.remove_reader(fd)

    asyncio.run(main())
    assert got == [os.getpid()] * 2


@pytest.mark.parametrize("wakeup", [None, 1, 4])
def test_lone_event_reaches_a_poll_that_waits_forever(b, wakeup):
    # ember's default wakes the poller only at a quarter-full buffer; its
    # 10 ms reads must still bring one event to perf_buffer_poll() with no
    # timeout (the way BCC's tools call it), promptly.
    got = []
    kw = {} if wakeup is None else {"wakeup_events": wakeup}
    b["events"].open_perf_buffer(lambda c, d, s: got.append(
        b["events"].event(d).pid), **kw)

    def too_long(signum, frame):
        raise TimeoutError("perf_buffer_poll() kept waiting")

    old = signal.signal(signal.SIGALRM, too_long)
    try:
        for i in range(3):
            os.getppid()
            t0 = time.monotonic()
            signal.alarm(5)
            assert b.perf_buffer_poll() == 1
            signal.alarm(0)
            ms = (time.monotonic() - t0) * 1e3
            assert ms < 100, ms
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    assert got == [os.getpid()] * 3
