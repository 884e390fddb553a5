"""pytest for any interpreter: Debian's pytest (python3-pytest, pure
Python) is appended to the end of sys.path when the interpreter has none, so
an interpreter's own packages (pyenv's setuptools, say) still come first.
PyPI is not reachable from CI."""

import sys

try:
    import pytest
except ImportError:
    sys.path.append("/usr/lib/python3/dist-packages")
    import pytest

sys.exit(pytest.main(sys.argv[1:]))
