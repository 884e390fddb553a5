"""Attaching beyond the seeds: uprobes by regex (BCC's sym_re); what
help() shows of the public API."""

import inspect
import os
import pydoc
import subprocess
import typing

import pytest

from ember import BPF, AttachError, LoadError, USDT
from ember import output, table

PROGRAM = r"""
BPF_ARRAY(calls, u64, 2);
static void count(int i)
{
    u64 *v = calls.lookup(&i);
    if (v)
        __sync_fetch_and_add(v, 1);
}
int on_call(struct pt_regs *ctx) { count(0); return 0; }
int on_return(struct pt_regs *ctx) { count(1); return 0; }
"""


@pytest.fixture
def b():
    b = BPF(text=PROGRAM)
    yield b
    b.cleanup()


@pytest.mark.kernel
def test_uprobe_and_uretprobe_by_sym_re(b):
    me = os.getpid()
    # os.getpid()/os.getppid() call libc's getpid/getppid
    b.attach_uprobe(name="c", sym_re="getp?pid$", fn_name="on_call",
                    pid=me)
    b.attach_uretprobe(name="c", sym_re=b"getppid$", fn_name="on_return",
                       pid=me)
    assert b.num_open_uprobes() == 3
    for _ in range(5):
        os.getpid()
        os.getppid()
    calls = b["calls"]
    assert calls[0].value >= 10
    assert calls[1].value >= 5
    # matched from the start, as BCC's re.match: "etpid" names nothing
    with pytest.raises(AttachError, match="no function of .*matches"):
        b.attach_uprobe(name="c", sym_re="etpid$", fn_name="on_call",
                        pid=me)
    assert b.num_open_uprobes() == 3
    b.cleanup()
    assert b.num_open_uprobes() == 0


def test_help_documents_and_types_the_public_api():
    classes = [BPF, USDT, output.PerfEventArray, output.RingBuf] + [
        getattr(table, n) for n in table.__all__]
    for cls in classes:
        for name, f in inspect.getmembers(cls, callable):
            if name.startswith("_") or inspect.isclass(f):
                continue
            what = "%s.%s" % (cls.__name__, name)
            assert (f.__doc__ or "").strip(), what + " has no docstring"
            assert "return" in f.__annotations__, what + " has no types"
            typing.get_type_hints(f)  # every name in them resolves
    text = pydoc.render_doc(BPF, renderer=pydoc.plaintext)
    assert "perf_buffer_poll(self, timeout: 'int' = -1) -> 'int'" in text
    assert "sym_re instead of sym" in text


OBJECT_PROGRAM = r"""
BPF_ARRAY(target, u32, 1);
BPF_HASH(calls, u32, u64);
BPF_PERF_OUTPUT(events);
TRACEPOINT_PROBE(syscalls, sys_enter_getppid)
{
    int zero = 0;
    u32 pid = bpf_get_current_pid_tgid() >> 32;
    u32 *t = target.lookup(&zero);
    if (!t || *t != pid)
        return 0;
    calls.increment(pid);
    events.perf_submit(args, &pid, sizeof(pid));
    return 0;
}
"""


def _ember_cli():
    build = os.environ.get("EMBER_BUILD_DIR")
    if not build:
        pytest.skip("EMBER_BUILD_DIR not set (ctest sets it)")
    return os.path.join(build, "bin", "ember")


@pytest.mark.kernel
def test_prebuilt_object_as_src_file(tmp_path):
    """`ember build prog.c -o prog.o`, then BPF(src_file="prog.o"): opened
    as an object (ELF), auto-attached, tables and perf output by name."""
    src = tmp_path / "prog.c"
    src.write_text(OBJECT_PROGRAM)
    obj = tmp_path / "prog.o"
    subprocess.run([_ember_cli(), "build", str(src), "-o", str(obj)],
                   check=True)
    b = BPF(src_file=str(obj))
    try:
        got = []
        b["events"].open_perf_buffer(
            lambda cpu, data, size: got.append(b["events"].event(data)))
        b["target"][0] = os.getpid()
        for _ in range(3):
            os.getppid()
        assert b["calls"][b["calls"].Key(os.getpid())].value == 3
        while len(got) < 3 and b.perf_buffer_poll(timeout=1000):
            pass
        assert [e.value for e in got] == [os.getpid()] * 3
        assert b.num_open_tracepoints() == 1
    finally:
        b.cleanup()
    # What was fixed at build time cannot be asked for at open time.
    with pytest.raises(Exception, match="prebuilt object: cflags"):
        BPF(src_file=str(obj), cflags=["-DX=1"])
    # A damaged object: the loader's error, nothing left open.
    bad = tmp_path / "bad.o"
    bad.write_bytes(obj.read_bytes()[:200])
    fds = len(os.listdir("/proc/self/fd"))
    with pytest.raises(LoadError, match="bad.o"):
        BPF(src_file=str(bad))
    assert len(os.listdir("/proc/self/fd")) == fds
