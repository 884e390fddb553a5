"""Run an unmodified BCC script on ember:

    python3 -m ember.bcc SCRIPT.py [ARGS...]

Inside the script `import bcc`, `from bcc import BPF`, `from bcc.utils
import printb` (any bcc.NAME with an ember.NAME) resolve to ember. Nothing
is installed and nothing changes for other programs: the alias lives in this
interpreter only. (An installable `bcc` alias package, never installed by
default, is in frontends/python/bcc-alias.)
"""

import importlib
import importlib.abc
import importlib.util
import runpy
import sys

__all__ = ["install", "main"]


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds bcc and bcc.NAME as ember and ember.NAME."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "bcc" and not fullname.startswith("bcc."):
            return None
        real = "ember" + fullname[3:]
        if importlib.util.find_spec(real) is None:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        return importlib.import_module("ember" + spec.name[3:])

    def exec_module(self, module):
        pass


def install():
    """Make `import bcc` give ember in this interpreter."""
    if not any(isinstance(f, _Alias) for f in sys.meta_path):
        sys.meta_path.insert(0, _Alias())


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv else 2
    install()
    sys.argv = list(argv)
    runpy.run_path(argv[0], run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
