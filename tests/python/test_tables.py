"""Table classes against what the program wrote in the kernel."""

import ctypes as ct
import os
import socket
import struct

import pytest

from ember import BPF
from ember.table import (Array, HashTable, LpmTrie, PerCpuArray,
                         PerCpuHash, ProgArray, QueueStack, StackTrace)

pytestmark = pytest.mark.kernel

GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                      "golden", "table")

PROGRAM = r"""
struct key_t {
    u32 pid;
    char comm[16];
};
struct val_t {
    u64 count;
    u32 arr[3];
    struct {
        u16 a;
        u16 b;
    } inner;
    s8 neg;
};
struct lpm_key {
    u32 prefixlen;
    u32 addr;
};

BPF_HASH(h, struct key_t, struct val_t);
BPF_ARRAY(arr, u64, 4);
BPF_PERCPU_ARRAY(pc, u64, 1);
BPF_PERCPU_HASH(pch, u32, u32);
BPF_HISTOGRAM(hist);
BPF_HASH(plain);
BPF_LPM_TRIE(lpm, struct lpm_key, u32, 16);
BPF_QUEUE(q, u32, 8);
BPF_STACK(st, u32, 8);
BPF_PROG_ARRAY(progs, 4);
BPF_STACK_TRACE(stacks, 128);
BPF_HASH(stack_ids, u32, int);

TRACEPOINT_PROBE(syscalls, sys_enter_getppid)
{
    u32 pid = bpf_get_current_pid_tgid() >> 32;
    if (pid != TARGET)
        return 0;
    struct key_t k = {};
    k.pid = pid;
    bpf_get_current_comm(&k.comm, sizeof(k.comm));
    struct val_t zero = {}, *v = h.lookup_or_try_init(&k, &zero);
    if (v) {
        v->count++;
        v->arr[0] = 1; v->arr[1] = 2; v->arr[2] = 3;
        v->inner.a = 7; v->inner.b = 9;
        v->neg = -5;
    }
    int i = 2;
    u64 *a = arr.lookup(&i);
    if (a)
        *a += 10;
    int z = 0;
    u64 *p = pc.lookup(&z);
    if (p)
        *p += 1;
    u32 one = 1;
    pch.increment(one);
    hist.increment(bpf_log2l(4096));
    u32 x;
    for (x = 1; x <= 3; x++) {
        q.push(&x, 0);
        st.push(&x, 0);
    }
    int id = stacks.get_stackid(args, BPF_F_USER_STACK);
    stack_ids.update(&pid, &id);
    return 0;
}
"""


@pytest.fixture(scope="module")
def b():
    b = BPF(text=PROGRAM, cflags=["-DTARGET=%d" % os.getpid()])
    yield b
    b.cleanup()


def test_classes(b):
    assert isinstance(b["h"], HashTable)
    assert isinstance(b["arr"], Array)
    assert isinstance(b["pc"], PerCpuArray)
    assert isinstance(b["pch"], PerCpuHash)
    assert isinstance(b["lpm"], LpmTrie)
    assert isinstance(b["q"], QueueStack)
    assert isinstance(b["progs"], ProgArray)
    assert isinstance(b["stacks"], StackTrace)
    assert b.get_table("h") is b["h"]
    assert "h" in b and "nope" not in b
    with pytest.raises(KeyError):
        b["nope"]


def test_struct_keys_and_values_by_field(b):
    b["h"].clear()
    for _ in range(5):
        os.getppid()
    items = b["h"].items()
    assert len(items) == 1
    k, v = items[0]
    assert k.pid == os.getpid()
    with open("/proc/self/comm", "rb") as f:
        assert k.comm == f.read().strip()
    assert v.count == 5
    assert list(v.arr) == [1, 2, 3]
    assert (v.inner.a, v.inner.b) == (7, 9)
    assert v.neg == -5
    key = b["h"].Key(pid=os.getpid(), comm=k.comm)
    assert b["h"][key].count == 5
    assert key in b["h"]
    del b["h"][key]
    assert key not in b["h"] and len(b["h"]) == 0
    with pytest.raises(KeyError):
        b["h"][key]


def test_array_and_simple_values(b):
    before = b["arr"][2].value
    os.getppid()
    assert b["arr"][2].value == before + 10
    assert len(b["arr"]) == 4
    assert [k.value for k in b["arr"].keys()] == [0, 1, 2, 3]
    b["arr"][1] = ct.c_ulonglong(42)
    assert b["arr"][ct.c_int(1)].value == 42
    del b["arr"][1]  # arrays zero instead
    assert b["arr"][1].value == 0
    b["arr"].clear()
    assert all(v.value == 0 for v in b["arr"].values())
    plain = b["plain"]
    plain[plain.Key(7)] = plain.Leaf(70)
    plain[8] = 80
    assert sorted((k.value, v.value) for k, v in plain.items()) == \
        [(7, 70), (8, 80)]
    plain.zero()
    assert sorted((k.value, v.value) for k, v in plain.items()) == \
        [(7, 0), (8, 0)]
    assert plain.get(9) is None and plain.get(7).value == 0


def test_percpu_sum_max_average(b):
    pc = b["pc"]
    pc.clear()
    ncpu = len(os.sched_getaffinity(0))
    cpus = sorted(os.sched_getaffinity(0))
    old = os.sched_getaffinity(0)
    try:
        for cpu in cpus:
            os.sched_setaffinity(0, {cpu})
            for _ in range(cpu + 1):
                os.getppid()
    finally:
        os.sched_setaffinity(0, old)
    want = sum(c + 1 for c in cpus)
    assert pc.sum(0).value == want
    assert pc.max(0).value == max(cpus) + 1
    per = pc[0]
    assert len(per) == pc.total_cpu >= ncpu
    assert sum(v.value if hasattr(v, "value") else v for v in per) == want
    assert pc.average(0).value == want // pc.total_cpu
    # u32 values sit 8 bytes apart per CPU.
    assert b["pch"].sum(1).value >= len(cpus)


def test_batch_ops(b):
    t = b["plain"]
    t.clear()
    keys = [t.Key(i) for i in range(100)]
    vals = [t.Leaf(i * i) for i in range(100)]
    t.items_update_batch(keys, vals)
    got = dict((k.value, v.value) for k, v in t.items_lookup_batch())
    assert got == {i: i * i for i in range(100)}
    t.items_delete_batch(keys[:40])
    assert len(t) == 60
    gone = t.items_lookup_and_delete_batch()
    assert sorted(k.value for k, _ in gone) == list(range(40, 100))
    assert len(t) == 0


def test_lpm_longest_prefix(b):
    t = b["lpm"]

    def key(prefixlen, ip):
        return t.Key(prefixlen,
                     struct.unpack("=I", socket.inet_aton(ip))[0])

    t[key(8, "10.0.0.0")] = 1
    t[key(16, "10.1.0.0")] = 2
    t[key(24, "10.1.2.0")] = 3
    assert t[key(32, "10.1.2.3")].value == 3
    assert t[key(32, "10.1.9.9")].value == 2
    assert t[key(32, "10.200.0.1")].value == 1
    with pytest.raises(KeyError):
        t[key(32, "11.0.0.1")]
    assert len(t) == 3


def test_queue_and_stack_order(b):
    q, st = b["q"], b["st"]
    q.values()
    st.values()  # empty them
    os.getppid()
    assert [v.value for v in q.values()] == [1, 2, 3]
    assert [st.pop().value for _ in range(3)] == [3, 2, 1]
    with pytest.raises(KeyError):
        st.pop()
    q.push(q.Leaf(9))
    assert q.peek().value == 9 and q.pop().value == 9


def test_stack_trace_walk(b):
    os.getppid()
    sid = b["stack_ids"][os.getpid()].value
    assert sid >= 0
    ips = list(b["stacks"].walk(sid))
    assert ips and all(ip > 0 for ip in ips)
    names = [BPF.sym(ip, os.getpid()) for ip in ips]
    assert any(b"getppid" in n for n in names), names


def _golden(name):
    with open(os.path.join(GOLDEN, name + ".expected")) as f:
        return f.read()


def test_log2_and_linear_hist_layout(b, capsys):
    h = b["hist"]
    h.clear()
    for slot, n in ((0, 7), (1, 1), (2, 3), (3, 10), (4, 27), (5, 80),
                    (6, 41), (8, 2), (10, 1)):
        h[slot] = n
    capsys.readouterr()
    h.print_log2_hist("usecs")
    assert capsys.readouterr().out == _golden("log2_basic")
    h.clear()
    for slot, n in ((0, 2), (1, 0), (2, 17), (3, 40), (4, 39), (7, 1)):
        h[slot] = n
    h.print_linear_hist("msecs")
    assert capsys.readouterr().out == _golden("linear_basic")


def test_hist_from_the_kernel(b, capsys):
    h = b["hist"]
    h.clear()
    for _ in range(3):
        os.getppid()
    assert h[13].value == 3  # bpf_log2l(4096): floor(log2) + 1
    capsys.readouterr()
    h.print_log2_hist()
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "     value               : count     distribution"
    assert out[-1].startswith("      4096 -> 8191       : 3        |")


def test_two_level_hist_sections(capsys):
    b = BPF(text=r"""
struct hkey { char comm[16]; u64 slot; };
BPF_HISTOGRAM(dist, struct hkey);
""")
    try:
        d = b["dist"]
        d[d.Key(b"bash", 2)] = 5
        d[d.Key(b"sshd", 3)] = 1
        capsys.readouterr()
        d.print_log2_hist("kbytes", "comm", section_print_fn=bytes.decode)
        out = capsys.readouterr().out
        assert "\ncomm = bash\n" in out and "\ncomm = sshd\n" in out
        assert "         2 -> 3          : 5        |" \
               "****************************************|" in out
        d.print_log2_hist("kbytes", "comm")
        out = capsys.readouterr().out
        assert "\ncomm = b'bash'\n" in out
        d.print_json_hist("kbytes", "comm")
        out = capsys.readouterr().out
        assert '"val_type": "kbytes"' in out
    finally:
        b.cleanup()


def _walk(t):
    """The table's entries the slow way, key by key (get_next_key and a
    lookup each): the kernel's truth to compare the batch paths with."""
    out, k = {}, None
    while True:
        try:
            k = t.next(k)
        except StopIteration:
            return out
        v = t[k]
        out[k.value] = t.sum(k).value if hasattr(t, "sum") else v.value


def test_items_and_clear_of_large_hashes():
    # More entries than one batch (8192) of every hash kind that clear()
    # reads and deletes in batches.
    n = 20000
    b = BPF(text="BPF_HASH(h, u32, u64, 20000);"
                 "BPF_PERCPU_HASH(p, u32, u64, 20000);"
                 'BPF_TABLE("lru_hash", u32, u64, lru, 40000);')
    try:
        for name in ("h", "p", "lru"):
            t = b[name]
            keys = [t.Key(i) for i in range(n)]
            if name == "p":
                for k in keys:
                    t[k] = t.sLeaf(k.value * 3)
            else:
                t.items_update_batch(keys, [t.Leaf(i * 3) for i in range(n)])
            truth = _walk(t)
            if name != "lru":  # an LRU may evict while it fills
                ncpu = t.total_cpu if name == "p" else 1
                assert truth == {i: i * 3 * ncpu for i in range(n)}
            assert len(truth) > n // 2
            if name == "p":
                got = {k.value: sum(x.value for x in v) for k, v in t.items()}
            else:
                got = {k.value: v.value for k, v in t.items()}
            assert got == truth
            t.clear()
            assert _walk(t) == {}
            assert t.items() == []
            t[t.Key(7)] = 1 if name != "p" else t.sLeaf(1)  # usable after
            assert list(_walk(t)) == [7]
    finally:
        b.cleanup()
