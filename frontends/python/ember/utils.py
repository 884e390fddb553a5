"""Helpers BCC's tools import from bcc.utils."""

import sys

__all__ = ["printb", "ArgString", "get_online_cpus", "get_possible_cpus",
           "detect_language"]


def printb(s, file=sys.stdout, nl=1):
    """Print bytes s as they are (no b'' quoting), with a newline unless
    nl is 0."""
    buf = getattr(file, "buffer", None)
    if buf is None:
        file.write(s.decode(errors="replace") + ("\n" if nl else ""))
    else:
        file.flush()
        buf.write(s)
        if nl:
            buf.write(b"\n")
        file.flush()


class ArgString:
    """An argparse type keeping a command-line string as bytes
    (bytes(arg)), for programs comparing it with kernel strings."""

    def __init__(self, s):
        self.s = s.encode(errors="surrogateescape") if isinstance(s, str) \
            else bytes(s)

    def __bytes__(self):
        return self.s

    def __str__(self):
        return self.s.decode(errors="surrogateescape")


def _cpu_list(path):
    cpus = []
    with open(path) as f:
        for part in f.read().strip().split(","):
            if "-" in part:
                lo, hi = part.split("-")
                cpus.extend(range(int(lo), int(hi) + 1))
            elif part:
                cpus.append(int(part))
    return cpus


def get_online_cpus():
    return _cpu_list("/sys/devices/system/cpu/online")


def get_possible_cpus():
    return _cpu_list("/sys/devices/system/cpu/possible")


def detect_language(candidates, pid):
    """Which of candidates ("c", "java", "python", ...) process pid runs,
    judged from its executable and mapped libraries; None if none."""
    try:
        with open("/proc/%d/maps" % pid) as f:
            maps = f.read()
        exe = __import__("os").readlink("/proc/%d/exe" % pid)
    except OSError:
        return None
    hints = {"java": "libjvm.so", "python": "libpython", "ruby": "libruby",
             "node": "node", "php": "php", "perl": "libperl"}
    for lang in candidates:
        h = hints.get(lang)
        if h and (h in maps or exe.endswith("/" + lang)):
            return lang
    return "c" if "c" in candidates else None
