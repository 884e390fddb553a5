#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Measure ember against the program texts of BCC's own tests/python.

Reads BCC's test files from a git mirror at run time (nothing of BCC's is
stored in ember), pulls out every program text handed to BPF(text=...) or
BPF(src_file=...), runs `ember check` on each and judges the result by what
BCC's test expects:

  compiles   the test builds it (the usual case)
  rejected   BPF(...) sits in `with self.assertRaises(...)`, or the test is
             @unittest.expectedFailure (BCC may refuse it at compile or at
             load: with --load a text that compiles is loaded too, which needs
             root and the kernel lock)

Texts are rebuilt by evaluating the Python expression that makes them
(constants, concatenation, % formatting, small helper methods); a value only
known at run time (a CPU count, a pid) becomes 1.

usage: bench/bcc_tests.py [--ember build/bin/ember] [--repo MIRROR]
                          [--rev HEAD] [--load] [-v] [--only SUBSTRING]
"""
import argparse
import ast
import os
import subprocess
import sys
import tempfile

MIRROR = "/work/.mirror/iovisor+bcc/repo"
TESTS = "tests/python"


def git_show(repo, rev, path):
    return subprocess.run(["git", "-C", repo, "show", f"{rev}:{path}"],
                          check=True, capture_output=True).stdout


def git_ls(repo, rev, path):
    out = subprocess.run(["git", "-C", repo, "ls-tree", "--name-only",
                          f"{rev}", path + "/"], check=True,
                         capture_output=True, text=True).stdout
    return [p for p in out.split("\n") if p]


class Unknown(Exception):
    pass


class Evaluator:
    """Evaluates the expressions that build program texts, statically."""

    def __init__(self, module, fetch_c):
        self.module = module
        self.fetch_c = fetch_c  # name of a .c beside the test -> bytes
        self.globals = {}
        self.classes = {}
        for node in module.body:
            self._module_statement(node)
            if isinstance(node, ast.ClassDef):
                attrs, methods = {}, {}
                for n in node.body:
                    self._assigns(n, attrs)
                    if isinstance(n, ast.FunctionDef):
                        methods[n.name] = n
                    # setUp's self.x = ...: what the tests read as self.x
                    if isinstance(n, ast.FunctionDef) and n.name == "setUp":
                        for st in n.body:
                            if isinstance(st, ast.Assign):
                                for t in st.targets:
                                    if isinstance(t, ast.Attribute) and \
                                            isinstance(t.value, ast.Name) \
                                            and t.value.id == "self":
                                        attrs[t.attr] = st.value
                self.classes[node.name] = (attrs, methods)

    def _module_statement(self, node):
        """Module-level text building: x = ..., x += ..., and for-range
        loops of those (test_bpf_log's 300 repeated lookups)."""
        g = self.globals
        try:
            if isinstance(node, ast.Assign):
                for t in node.targets:
                    if isinstance(t, ast.Name):
                        g[t.id] = node.value
            elif isinstance(node, ast.AugAssign) and \
                    isinstance(node.target, ast.Name) and \
                    isinstance(node.op, ast.Add):
                g[node.target.id] = self.value(node.target, (None, {})) + \
                    self.value(node.value, (None, {}))
            elif isinstance(node, ast.For) and \
                    isinstance(node.iter, ast.Call) and \
                    isinstance(node.iter.func, ast.Name) and \
                    node.iter.func.id == "range":
                bounds = [self.value(x, (None, {})) for x in node.iter.args]
                for _ in range(*bounds):
                    for st in node.body:
                        self._module_statement(st)
        except Unknown:
            pass

    @staticmethod
    def _assigns(node, into):
        if isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Name):
                    into[t.id] = node.value

    def value(self, node, scope):
        """scope: (class name or None, locals: name -> node or value)"""
        cls, local = scope
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            if node.id in local:
                v = local[node.id]
                if isinstance(v, Unset):
                    raise Unknown(v.why)
                return v
            if node.id in self.globals:
                v = self.globals[node.id]
                return self.value(v, (None, {})) if isinstance(v, ast.AST) \
                    else v
            if node.id.startswith("arg"):  # sys.argv: the test's .c file
                raise Unknown("argv")
            return 1  # run-time value
        # self.app.pid: a number the test learns when it runs
        if isinstance(node, ast.Attribute) and \
                isinstance(node.value, ast.Attribute) and \
                isinstance(node.value.value, ast.Name) and \
                node.value.value.id == "self" and node.attr == "pid":
            return 1
        if isinstance(node, ast.Attribute) and \
                isinstance(node.value, ast.Name) and \
                node.value.id == "self" and cls:
            attrs = self.classes[cls][0]
            if "self." + node.attr in local:
                v = local["self." + node.attr]
                if isinstance(v, Unset):
                    raise Unknown(v.why)
                return v
            if node.attr in attrs:
                return self.value(attrs[node.attr], (cls, {}))
            raise Unknown(f"self.{node.attr}")
        if isinstance(node, ast.BinOp):
            left = self.value(node.left, scope)
            right = self.value(node.right, scope)
            if isinstance(node.op, ast.Add):
                return left + right
            if isinstance(node.op, ast.Mod):
                return left % right
            if isinstance(node.op, ast.Mult):
                return left * right
            raise Unknown(ast.dump(node.op))
        if isinstance(node, ast.Tuple):
            return tuple(self.value(e, scope) for e in node.elts)
        if isinstance(node, ast.List):
            return [self.value(e, scope) for e in node.elts]
        if isinstance(node, ast.JoinedStr):
            return "".join(str(self.value(v, scope)) for v in node.values)
        if isinstance(node, ast.FormattedValue):
            return self.value(node.value, scope)
        if isinstance(node, ast.Call):
            f = node.func
            if "sys.argv" in ast.unparse(f):  # the test's .c, named by ctest
                raise Unknown("argv")
            if isinstance(f, ast.Attribute):
                if f.attr == "encode":
                    v = self.value(f.value, scope)
                    return v.encode() if isinstance(v, str) else v
                if f.attr == "decode":
                    v = self.value(f.value, scope)
                    return v.decode() if isinstance(v, bytes) else v
                if f.attr in ("replace", "format", "strip"):
                    v = self.value(f.value, scope)
                    a = [self.value(x, scope) for x in node.args]
                    return getattr(v, f.attr)(*a)
                if isinstance(f.value, ast.Name) and \
                        f.value.id == "self" and cls and \
                        f.attr in self.classes[cls][1]:
                    return self.call_method(cls, f.attr, node, scope)
            return 1  # run-time value
        raise Unknown(type(node).__name__)

    def call_method(self, cls, name, call, scope):
        fn = self.classes[cls][1][name]
        params = [a.arg for a in fn.args.args][1:]
        local = {p: self.value(a, scope) for p, a in zip(params, call.args)}
        for st in fn.body:
            if isinstance(st, ast.Return):
                return self.value(st.value, (cls, local))
        raise Unknown(f"self.{name}()")


def is_bpf_call(node):
    f = node.func
    return (isinstance(f, ast.Name) and f.id == "BPF") or \
        (isinstance(f, ast.Attribute) and f.attr == "BPF")


def expects_raise(withs):
    for w in withs:
        for item in w.items:
            e = item.context_expr
            if isinstance(e, ast.Call) and \
                    isinstance(e.func, ast.Attribute) and \
                    e.func.attr == "assertRaises":
                exc = e.args[0] if e.args else None
                if not (isinstance(exc, ast.Name) and exc.id == "KeyError"):
                    return True
    return False


def expected_failure(fn):
    for d in fn.decorator_list:
        if (isinstance(d, ast.Attribute) and d.attr == "expectedFailure") \
                or (isinstance(d, ast.Name) and d.id == "expectedFailure"):
            return True
    return False


class Unset:
    """A local whose value could not be rebuilt; raises when used."""

    def __init__(self, why):
        self.why = why


def locals_before(ev, fn, cls, line):
    """The values of fn's locals at line: its assignments, in line order."""
    steps = sorted((n for n in ast.walk(fn)
                    if isinstance(n, (ast.Assign, ast.AugAssign)) and
                    n.lineno < line), key=lambda n: n.lineno)
    local = {}
    for n in steps:
        targets = n.targets if isinstance(n, ast.Assign) else [n.target]
        for t in targets:
            # self.x = ... in the test itself: "self.x" in locals
            if isinstance(t, ast.Attribute) and \
                    isinstance(t.value, ast.Name) and t.value.id == "self":
                key = "self." + t.attr
            elif isinstance(t, ast.Name):
                key = t.id
            else:
                continue
            try:
                v = ev.value(n.value, (cls, local))
                if isinstance(n, ast.AugAssign):
                    v = ev.value(t, (cls, local)) + v
            except (Unknown, TypeError) as e:
                v = Unset(str(e))
            local[key] = v
    return local


def extract(pyname, source, ev):
    """Yield (case, text bytes, cflags, expectation) for one test file."""
    base = os.path.basename(pyname)[:-3]
    mod = ev.module

    def walk(node, cls, fn, withs):
        if isinstance(node, ast.ClassDef):
            cls = node.name
        if isinstance(node, ast.FunctionDef):
            fn = node
        if isinstance(node, ast.With):
            withs = withs + [node]
        if isinstance(node, ast.Call) and is_bpf_call(node) and fn:
            yield node, cls, fn, withs
        for child in ast.iter_child_nodes(node):
            yield from walk(child, cls, fn, withs)

    seen = {}
    for call, cls, fn, withs in walk(mod, None, None, []):
        scope = (cls, locals_before(ev, fn, cls, call.lineno))
        kw = {k.arg: k.value for k in call.keywords}
        case = f"{base}.{fn.name}:{call.lineno}"
        try:
            if "text" in kw:
                text = ev.value(kw["text"], scope)
            else:
                src = kw.get("src_file", call.args[0] if call.args else None)
                try:
                    name = ev.value(src, scope)
                except Unknown:  # sys.argv[1]: the .c named after the test
                    name = base + ".c"
                if isinstance(name, bytes):
                    name = name.decode()
                text = ev.fetch_c(name)
            cflags = ev.value(kw["cflags"], scope) if "cflags" in kw \
                else []
        except Unknown as e:
            yield case, None, [], f"cannot rebuild the text ({e})"
            continue
        if isinstance(text, str):
            text = text.encode()
        cflags = [c.decode() if isinstance(c, bytes) else str(c)
                  for c in cflags]
        expect = "rejected" if expects_raise(withs) or expected_failure(fn) \
            else "compiles"
        # test_clang's printk tests read a warning from BCC's stderr
        warn = scope[1].get("expectedWarn")
        if expect == "compiles" and isinstance(warn, str):
            expect = "compiles, warning: " + warn.split("warning: ")[-1]
        # One text used twice in a test counts once.
        key = (text, tuple(cflags))
        if key in seen:
            continue
        seen[key] = case
        yield case, text, cflags, expect


def run(cmd, env):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    return p.returncode, p.stderr


def load_one(path, lib, cflags):
    """Load every function of the text at path, as BCC's load_func does
    (as tracepoint programs); exit 1 with ember's message if one fails."""
    import ctypes
    import re
    ember = ctypes.CDLL(lib)
    ember.ember_errmsg.restype = ctypes.c_char_p

    class Opts(ctypes.Structure):  # struct ember_module_opts, its start
        _fields_ = [("sz", ctypes.c_size_t), ("name", ctypes.c_char_p),
                    ("cflags", ctypes.POINTER(ctypes.c_char_p)),
                    ("cflags_cnt", ctypes.c_size_t)]

    text = open(path, "rb").read()
    flags = (ctypes.c_char_p * max(1, len(cflags)))(
        *[c.encode() for c in cflags])
    opts = Opts(ctypes.sizeof(Opts), path.encode(), flags, len(cflags))
    m = ctypes.c_void_p()
    rc = ember.ember_module_new(text, ctypes.byref(opts), ctypes.byref(m))
    if rc:
        print(ember.ember_errmsg().decode(), file=sys.stderr)
        return 1
    for name in re.findall(rb"^\s*int\s+(\w+)\s*\(", text, re.M):
        if ember.ember_module_load_func(m, name, 5) < 0:
            print(ember.ember_errmsg().decode(), file=sys.stderr)
            return 1
    ember.ember_module_free(m)
    return 0


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--load-one":
        i = sys.argv.index("--lib")
        return load_one(sys.argv[2], sys.argv[i + 1], sys.argv[i + 2:])
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--ember",
                    default=os.path.join(here, "..", "build", "bin", "ember"))
    ap.add_argument("--lib", default=os.path.join(here, "..", "build", "lib",
                                                  "libember.so"))
    ap.add_argument("--repo", default=MIRROR)
    ap.add_argument("--rev", default="HEAD")
    ap.add_argument("--load", action="store_true",
                    help="load texts BCC expects refused that compile "
                    "(root, under flock /tmp/ember-kernel.lock)")
    ap.add_argument("--only", default="")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()

    env = dict(os.environ)
    env.setdefault("EMBER_CACHE_DIR",
                   os.path.join(tempfile.gettempdir(), "ember-cache-bcctests"))
    good = total = 0
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        for path in git_ls(a.repo, a.rev, TESTS):
            if not path.endswith(".py"):
                continue
            src = git_show(a.repo, a.rev, path).decode()
            try:
                mod = ast.parse(src)
            except SyntaxError:  # a symlink (simulation.py)
                continue

            def fetch_c(name, d=os.path.dirname(path)):
                return git_show(a.repo, a.rev, f"{d}/{name}")

            ev = Evaluator(mod, fetch_c)
            for case, text, cflags, expect in extract(path, src, ev):
                if a.only not in case:
                    continue
                total += 1
                if text is None:
                    failures.append((case, expect, "not measured", expect))
                    print(f"FAIL {case}: expected {expect}, no program "
                          f"text rebuilt from the Python")
                    continue
                f = os.path.join(tmp, case.split(":")[0] + ".c")
                with open(f, "wb") as out:
                    out.write(text)
                cmd = [a.ember, "check"]
                for c in cflags:
                    cmd += ["--cflag", c]
                rc, err = run(cmd + [f], env)
                got = "compiles" if rc == 0 else "rejected"
                if got == "compiles" and expect.startswith("compiles, "):
                    warning = expect[len("compiles, "):]
                    if warning in err:
                        got = expect
                    else:
                        got += ", no such warning"
                if got == "compiles" and expect == "rejected" and a.load:
                    rc, err2 = run(["flock", "/tmp/ember-kernel.lock",
                                    sys.executable, __file__,
                                    "--load-one", f, "--lib", a.lib] +
                                   cflags, env)
                    err += err2
                    got = "compiles" if rc == 0 else "rejected at load"
                ok = got == expect or (expect == "rejected" and
                                       got.startswith(expect))
                good += ok
                if not ok:
                    failures.append((case, expect, got, err))
                if a.verbose or not ok:
                    print(f"{'ok  ' if ok else 'FAIL'} {case}: expected "
                          f"{expect}, {got}")
                    if not ok and err:
                        for line in err.strip().split("\n")[:4]:
                            print("       " + line)
    print(f"\n{good} of {total} texts as BCC's tests expect")
    return 0 if good == total else 1


if __name__ == "__main__":
    sys.exit(main())
