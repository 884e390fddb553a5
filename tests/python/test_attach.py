"""Attaching beyond the seeds: uprobes by regex (BCC's sym_re)."""

import os

import pytest

from ember import BPF, AttachError

pytestmark = pytest.mark.kernel

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
