"""A PEP 517 build backend for the ember package (and the bcc alias), so
`pip install --no-index --no-build-isolation frontends/python` works offline
with nothing but pip: no setuptools or wheel package is needed (pyenv's
Python here has setuptools 65 without `wheel`, which cannot build wheels).

The wheel is pure Python: the packages listed in pyproject.toml's
[tool.ember-build] packages, with the [project] name, version, description
and requires-python as metadata.
"""

import base64
import hashlib
import os
import re
import zipfile

__all__ = ["build_wheel", "build_editable", "get_requires_for_build_wheel",
           "get_requires_for_build_editable"]


def _project():
    # The hooks run in the project's directory. A tiny reader of the few
    # keys used (tomllib is 3.11+, and Python 3.9 must work).
    with open("pyproject.toml") as f:
        text = f.read()

    def key(name):
        m = re.search(r'^%s\s*=\s*"([^"]*)"' % re.escape(name), text, re.M)
        return m.group(1) if m else None

    m = re.search(r"^packages\s*=\s*\[([^\]]*)\]", text, re.M)
    pkgs = re.findall(r'"([^"]+)"', m.group(1)) if m else []
    return {"name": key("name"), "version": key("version"),
            "summary": key("description") or "",
            "python": key("requires-python")}, pkgs


def get_requires_for_build_wheel(config_settings=None):
    return []


get_requires_for_build_editable = get_requires_for_build_wheel


def _record_line(arc, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest())
    return "%s,sha256=%s,%d" % (arc, digest.rstrip(b"=").decode(),
                                len(data))


def _wheel(wheel_directory, files):
    meta, _ = _project()
    dist = re.sub(r"[-_.]+", "_", meta["name"])
    info = "%s-%s.dist-info" % (dist, meta["version"])
    name = "%s-%s-py3-none-any.whl" % (dist, meta["version"])
    metadata = ("Metadata-Version: 2.1\nName: %s\nVersion: %s\n"
                "Summary: %s\n" % (meta["name"], meta["version"],
                                   meta["summary"]))
    if meta["python"]:
        metadata += "Requires-Python: %s\n" % meta["python"]
    files = dict(files)
    files[info + "/METADATA"] = metadata.encode()
    files[info + "/WHEEL"] = (b"Wheel-Version: 1.0\nGenerator: ember_build"
                              b"\nRoot-Is-Purelib: true\n"
                              b"Tag: py3-none-any\n")
    record = [_record_line(a, d) for a, d in sorted(files.items())]
    record.append(info + "/RECORD,,")
    files[info + "/RECORD"] = ("\n".join(record) + "\n").encode()
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w",
                         zipfile.ZIP_DEFLATED) as z:
        for arc, data in sorted(files.items()):
            z.writestr(arc, data)
    return name


def build_wheel(wheel_directory, config_settings=None,
                metadata_directory=None):
    _, pkgs = _project()
    files = {}
    for pkg in pkgs:
        for dirpath, dirnames, filenames in os.walk(pkg):
            dirnames[:] = [d for d in dirnames if d != "__pycache__"]
            for fn in sorted(filenames):
                # _install.py belongs to cmake --install only.
                if fn.endswith(".py") and fn != "_install.py":
                    path = os.path.join(dirpath, fn)
                    with open(path, "rb") as f:
                        files[path.replace(os.sep, "/")] = f.read()
    return _wheel(wheel_directory, files)


def build_editable(wheel_directory, config_settings=None,
                   metadata_directory=None):
    pth = (os.path.abspath(".") + "\n").encode()
    meta, _ = _project()
    return _wheel(wheel_directory,
                  {re.sub(r"[-_.]+", "_", meta["name"]) + ".pth": pth})
