"""Attaching beyond the seeds: uprobes by regex (BCC's sym_re); what
help() shows of the public API."""

import inspect
import os
import pydoc
import typing

import pytest

from ember import BPF, AttachError, USDT
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
