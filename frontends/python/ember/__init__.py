"""ember: BCC's Python API over libember.

    from ember import BPF
    b = BPF(text='int kprobe__sys_clone(void *ctx) '
                 '{ bpf_trace_printk("Hello, World!\\n"); return 0; }')
    b.trace_print()

Programs are compiled by libember (no kernel headers needed:
kernel types come from BTF), loaded with libbpf and attached by name as in
BCC. Errors are ember.CompileError, ember.LoadError and ember.AttachError
(all Exceptions) carrying ember's message: compile errors at the program's
own line:col, verifier rejections naming the source line.
"""

from ._lib import lib as _cdll, library_path
from .bpf import (BPF, AttachError, BPFAttachType, BPFProgType,
                  CompileError, LoadError, PerfHWConfig, PerfSWConfig,
                  PerfType)
from .bpf import (DEBUG_BPF, DEBUG_BPF_REGISTER_STATE, DEBUG_BTF,
                  DEBUG_LLVM_IR, DEBUG_PREPROCESSOR, DEBUG_SOURCE)
from .usdt import USDT, USDTException

__version__ = _cdll.ember_version().decode()

__all__ = ["BPF", "USDT", "USDTException", "CompileError", "LoadError",
           "AttachError", "PerfType", "PerfHWConfig", "PerfSWConfig",
           "BPFProgType", "BPFAttachType", "DEBUG_LLVM_IR", "DEBUG_BPF",
           "DEBUG_PREPROCESSOR", "DEBUG_SOURCE", "DEBUG_BPF_REGISTER_STATE",
           "DEBUG_BTF", "library_path"]
