"""Shared helpers of the Python binding's tests.

Kernel tests need root. Outside CI they skip without it; with CI=true a test
that cannot run fails, as every kernel test of ember does.
"""

import os
import time

import pytest


@pytest.fixture(autouse=True)
def _kernel_guard(request):
    if "kernel" in request.keywords and os.geteuid() != 0:
        if os.environ.get("CI") == "true":
            pytest.fail("kernel test without root in CI")
        pytest.skip("needs root")


@pytest.fixture(autouse=True)
def _cleanup_programs(monkeypatch):
    """Every BPF object a test made is cleaned up after it, even when the
    test failed half-way (a program left on sys_enter would flood
    trace_pipe for the tests after it)."""
    from ember import BPF
    made = []
    init = BPF.__init__

    def tracked(self, *args, **kw):
        made.append(self)
        init(self, *args, **kw)

    monkeypatch.setattr(BPF, "__init__", tracked)
    yield
    for b in made:
        b.cleanup()


def pytest_configure(config):
    config.addinivalue_line("markers", "kernel: loads programs (root)")


def trace_until(b, pred, timeout=10.0):
    """Read trace_fields until pred(fields) holds; the matching fields, or
    fail with what was seen. trace_pipe is shared by the whole system, so
    tests look for their own pids."""
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        f = b.trace_fields(nonblocking=True)
        if f[0] is None:
            time.sleep(0.01)
            continue
        if pred(f):
            return f
        seen.append(f)
    raise AssertionError("no matching trace line in %.0fs; saw %d others: %r"
                         % (timeout, len(seen), seen[-5:]))


def drain_trace(b):
    """Forget trace_pipe lines left from before the test (for at most a
    second: a program on every system call writes lines without end)."""
    deadline = time.monotonic() + 1.0
    while b.trace_fields(nonblocking=True)[0] is not None and \
            time.monotonic() < deadline:
        pass


def run_child(fn):
    """Fork; the child runs fn() then exits 0 (1 on an exception). Returns
    the child's pid after it exited."""
    pid = os.fork()
    if pid == 0:
        try:
            fn()
            os._exit(0)
        except BaseException:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
    return pid


def exec_true():
    os.execv("/bin/true", ["/bin/true"])


def spawn_true():
    """A child that execs /bin/true; its pid."""
    return run_child(exec_true)
