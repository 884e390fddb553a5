"""The `bcc` alias of ember: `from bcc import BPF` gives ember's BPF.

Opt-in, never installed by default (it would shadow a real BCC install):
    pip install --no-index --no-build-isolation frontends/python/bcc-alias
"""

import sys

import ember
import ember.bcc

ember.bcc.install()
# This package itself stands for ember from now on: bcc.BPF, bcc.utils, ...
sys.modules[__name__] = ember
