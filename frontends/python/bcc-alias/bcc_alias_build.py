"""The alias is built by ember's own backend (frontends/python)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

from ember_build import *  # noqa: E402,F401,F403
