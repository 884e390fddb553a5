"""Unmodified BCC scripts (python3 -m ember.bcc), and the two ways to
install the package: pip offline and cmake --install."""

import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PKG = os.path.join(ROOT, "frontends", "python")

BCC_SCRIPT = r"""
import sys
from bcc import BPF
from bcc.utils import printb, ArgString
import bcc.table
import ember
assert BPF is ember.BPF and bcc.table is ember.table
b = BPF(text='''
BPF_HASH(counts, u32, u64);
TRACEPOINT_PROBE(syscalls, sys_enter_getppid)
{
    u32 pid = bpf_get_current_pid_tgid() >> 32;
    counts.increment(pid);
    return 0;
}
''')
import os
os.getppid()
printb(b"count %d %s" % (b["counts"][os.getpid()].value,
                         bytes(ArgString(sys.argv[1]))))
"""


@pytest.mark.kernel
def test_python_m_ember_bcc_runs_an_unmodified_script(tmp_path):
    script = tmp_path / "tool.py"
    script.write_text(BCC_SCRIPT)
    out = subprocess.run([sys.executable, "-m", "ember.bcc", str(script),
                          "arg1"], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "count 1 arg1\n"


def _env(pythonpath):
    env = dict(os.environ)
    env["PYTHONPATH"] = pythonpath
    return env


def _pip(*args):
    return subprocess.run([sys.executable, "-m", "pip", "install", "-q",
                           "--no-index", "--no-build-isolation",
                           "--disable-pip-version-check", *args],
                          capture_output=True, text=True, timeout=300)


def test_pip_install_offline(tmp_path):
    target = tmp_path / "site"
    out = _pip("--target", str(target), PKG)
    assert out.returncode == 0, out.stderr
    out = _pip("--target", str(target / "alias"),
               os.path.join(PKG, "bcc-alias"))
    assert out.returncode == 0, out.stderr
    assert not (target / "bcc").exists()  # the alias is its own package
    code = ("import ember, bcc, bcc.utils; "
            "print(ember.__file__.startswith(%r), bcc.BPF is ember.BPF, "
            "bcc.utils is ember.utils)" % str(target))
    out = subprocess.run([sys.executable, "-c", code],
                         env=_env("%s:%s" % (target, target / "alias")),
                         capture_output=True, text=True, timeout=60,
                         cwd=str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert out.stdout == "True True True\n"


def test_cmake_install_finds_the_installed_library(tmp_path):
    build = os.environ.get("EMBER_BUILD_DIR")
    if not build:
        pytest.skip("EMBER_BUILD_DIR not set (ctest sets it)")
    prefix = tmp_path / "prefix"
    out = subprocess.run(["cmake", "--install", build, "--prefix",
                          str(prefix)], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    inits = list(prefix.glob("lib/python3*/*-packages/ember/__init__.py"))
    assert len(inits) == 1, list(prefix.rglob("__init__.py"))
    site = inits[0].parent.parent
    env = _env(str(site))
    env.pop("EMBER_LIBRARY", None)
    out = subprocess.run(
        [sys.executable, "-c",
         "import ember; print(ember.library_path, ember.__version__)"],
        env=env, capture_output=True, text=True, timeout=60,
        cwd=str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(str(prefix) + "/lib")
