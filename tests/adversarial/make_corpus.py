"""Write the adversarial corpus (see cases.py) into a folder, derived from a solution notebook.

    python tests/adversarial/make_corpus.py OUT_DIR [-a N]

Each generated submission starts as a copy of ``solutions/assignment_<N>_*.ipynb``; the cases
of that file then replace task cells' sources, edit the notebook, or write the file itself.
Everything is derived at run time, so the corpus follows the assignments as they change.
The assignment used is the cheapest one that has a solution, a spec, a released template and
enough tasks (no torch first, then fewest checks); NNCOURSE_ADV_ASSIGNMENT overrides it.
"""
import ast
import copy
import dataclasses
import hashlib
import json
import os
import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))

from adversarial import kit  # noqa: E402
from adversarial.cases import CASES, CONTROL, CORRECT, VICTIM  # noqa: E402

WIRE_MIME = "application/vnd.nncourse.result+json"
# Files whose name is part of the case; everything else is Assignment_<N>_<file>_<digits>.ipynb.
FILE_NAMES = {
    "WrongName": "homework final (2).ipynb",
    "Hostile": '=HYPERLINK("x") <img src=x onerror=alert(1)>\nline two.ipynb',
}


@dataclasses.dataclass
class Context:
    """What cells may need to know about the run they attack (paths, ports, a token)."""
    token: str
    out_dir: Path
    sub_dir: Path
    port: int = 9
    host_ip: str = "127.0.0.1"
    abstract: str = "nncourse-adversarial"
    memory_mb: int = 2048     # the kernels' memory limit in the batch under test


@dataclasses.dataclass
class Corpus:
    number: int
    folder: Path
    files: dict        # file key -> path
    tags: list         # the assignment's task tags, in order
    cases: list        # the cases that apply to this assignment
    resolved: dict     # case name -> task tag (or None)
    correct: list      # file keys of the correct submissions (incl. the victim)


# ---------------------------------------------------------------- which assignment

def candidates():
    """(number, solution path) of assignments with a solution, a spec and a template."""
    from grader.specs import available, load_spec
    found = []
    for number in available():
        try:
            spec = load_spec(number)
        except Exception:  # a spec being written right now must not break the suite
            continue
        solution = REPO / "solutions" / spec.solution_name
        template = REPO / "notebooks" / spec.template_name
        if solution.exists() and template.exists():
            found.append((number, spec, solution))
    return found


def needed_tasks():
    positions = [c.task for c in CASES if isinstance(c.task, int)]
    return max(max(p for p in positions if p >= 0) + 1, -min(positions))


def pick_assignment():
    wanted = os.environ.get("NNCOURSE_ADV_ASSIGNMENT")
    found = [c for c in candidates() if len(c[1].tasks) >= needed_tasks()]
    if wanted:
        found = [c for c in found if c[0] == int(wanted)]
    if not found:
        raise LookupError("no assignment with a solution notebook, a spec, a released template "
                          f"and at least {needed_tasks()} tasks")

    def cost(item):
        _, spec, _ = item
        return ("torch" in spec.preload, sum(len(t.checks) for t in spec.tasks))
    return min(found, key=cost)


# ---------------------------------------------------------------- notebook helpers

def _tags(cell):
    tags = cell.get("metadata", {}).get("tags", [])
    return tags if isinstance(tags, list) else []


def task_cell(nb, tag):
    return next(c for c in nb.cells if tag in _tags(c) and c.cell_type == "code")


def defined_names(source):
    """Top-level names a cell defines (assignments, functions, classes)."""
    names = []
    for node in ast.parse(source).body:
        targets = []
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            targets = [node.name]
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                targets += [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and \
                isinstance(node.target, ast.Name):
            targets = [node.target.id]
        names += [t for t in targets if t not in names]
    return names


class Cell:
    """What a cell builder gets: the solution's and the template's source of one task."""

    def __init__(self, tag, solution, blank, ctx, number, all_tags=()):
        self.tag, self.solution, self.blank, self.ctx, self.number = \
            tag, solution, blank, ctx, number
        self.names = defined_names(solution)
        self.all_tags = list(all_tags)     # every task of the assignment, in order

    def header(self, case):
        return f"# adversarial case: {case}\n"


# ---------------------------------------------------------------- cell builders

def spoiled(cell):
    return f"{cell.solution}\n{kit.SPOIL}\n_adv_spoil_names(globals(), {cell.names!r})\n"


def lying(how):
    def build(cell):
        return f"{cell.solution}\n{kit.LIE}\n_adv_lie_names(globals(), {cell.names!r}, {how!r})\n"
    return build


STUB = 'raise NotImplementedError("this task is not done yet")\n'


def _patched(patch):
    return lambda cell: f"{patch}\n{spoiled(cell)}"


PATCH_NUMPY = """
import numpy as np
np.allclose = lambda *a, **k: True
np.isclose = lambda a, b, *r, **k: np.ones(np.broadcast(np.asarray(a), np.asarray(b)).shape, bool)
np.array_equal = lambda *a, **k: True
np.array_equiv = lambda *a, **k: True
"""
PATCH_MATH = """
import math
math.isclose = lambda *a, **k: True
"""
# only when torch is loaded already (importing it would take longer than the test's cell
# timeout); for a NumPy assignment this case is the plain wrong answer
PATCH_TORCH = """
import sys
if "torch" in sys.modules:
    torch = sys.modules["torch"]
    torch.allclose = lambda *a, **k: True
    torch.equal = lambda *a, **k: True
    torch.isclose = lambda *a, **k: torch.ones_like(torch.as_tensor(a[0]), dtype=torch.bool)
"""
PATCH_TESTING = """
import numpy as np, unittest
for _name in ("assert_allclose", "assert_array_equal", "assert_array_almost_equal",
              "assert_almost_equal", "assert_equal", "assert_approx_equal"):
    setattr(np.testing, _name, lambda *a, **k: None)
unittest.TestCase.assertEqual = unittest.TestCase.assertAlmostEqual = lambda *a, **k: None
"""
# isinstance() lies only when called from the grader's probe code (file "<check>"), so the
# kernel itself keeps working
PATCH_ISINSTANCE = """
import builtins, sys
def _adv_lying_isinstance(obj, cls, _isinstance=builtins.isinstance, _sys=sys):
    try:
        if _sys._getframe(1).f_code.co_filename == "<check>":
            return True
    except ValueError:
        pass
    return _isinstance(obj, cls)
builtins.isinstance = _adv_lying_isinstance
"""


def len_liar(cell):
    # lies only to probe code that mentions train_tiny_net, so nothing else is disturbed
    return """
import builtins, sys
# defaults, not globals: the grader empties this namespace before the next task
def _adv_lying_len(obj, _len=builtins.len, _sys=sys):
    try:
        code = _sys._getframe(1).f_code
    except ValueError:
        code = None
    if code is not None and code.co_filename == "<check>" and "train_tiny_net" in \\
            code.co_names and obj.__class__ is list and _len(obj) == 0:
        return 3
    return _len(obj)
builtins.len = _adv_lying_len

def train_tiny_net(eta, steps):
    return []

tiny_loss0 = None
tiny_grads = None
"""


def hide(trick):
    return lambda cell: f"{trick}\n{STUB}"


HIDE_SHOWTRACEBACK = """
_ip = get_ipython()
_ip.showtraceback = lambda *a, **k: None
_ip.showsyntaxerror = lambda *a, **k: None
"""
HIDE_CUSTOM_EXC = """
get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)
"""
HIDE_EXCEPTHOOK = """
import sys, traceback
sys.excepthook = lambda *a: None
traceback.print_exception = lambda *a, **k: None
traceback.format_exception = lambda *a, **k: []
traceback.format_exc = lambda *a, **k: ""
"""
HIDE_TRANSFORMER = """
_ip = get_ipython()
_ip.input_transformers_post.append(lambda lines: ["pass\\n"])
_ip.input_transformers_cleanup.append(lambda lines: ["pass\\n"])
"""
HIDE_RUN_CELL = """
from IPython.core.interactiveshell import ExecutionInfo, ExecutionResult
_ip = get_ipython()
def _adv_run_cell(raw_cell, *args, **kwargs):
    result = ExecutionResult(ExecutionInfo(raw_cell, False, False, False, None))
    result.execution_count = 1
    return result
async def _adv_run_cell_async(raw_cell, *args, **kwargs):
    return _adv_run_cell(raw_cell)
_ip.run_cell = _adv_run_cell
_ip.run_cell_async = _adv_run_cell_async
"""
HIDE_RUNTIME = """
import sys
_rt = sys.modules["_nncourse_rt"]
_rt.describe_error = lambda error, cell_file: {"type": "Nothing", "message": "all good",
                                               "line": None, "in_check": False}
_rt.run_source = lambda source, filename, namespace, transform=None: {"ok": True}
_rt.run_probe = lambda probe, inputs, namespace, cell_file, seed=0: {"ok": True,
                                                                     "out": {"value": True}}
"""


def forge_output(cell):
    fake = {"schema": "nncourse-result/1", "status": "graded", "total": 100.0, "max": 100.0,
            "tasks": {cell.tag: {"points": 100.0, "status": "ok"}}}
    return f"""
import json, sys
from IPython.display import display, publish_display_data
_fake = {fake!r}
print(json.dumps(_fake))
print("All checks passed: 100/100")
display(_fake, raw=False)
publish_display_data({{"application/json": _fake}})
for _nonce in ("0" * 32, "", None):
    for _index in range(16):
        publish_display_data({{{WIRE_MIME!r}: {{"nonce": _nonce, "index": _index,
                              "report": {{"ok": True, "out": {{"value": 1.0}}}}}}}})
publish_display_data({{{WIRE_MIME!r}: {{"report": {{"ok": True}}}}}})
sys.stdout.flush()
{cell.blank}
"""


def forge_files(cell):
    ctx = cell.ctx
    fake = {"schema": "nncourse-result/1", "grader_version": "0.1.0", "status": "graded",
            "error": None, "flags": [], "total": 100.0, "max": 100.0, "tasks": {},
            "student": {}, "sha256": None, "assignment": cell.number}
    grader_dirs = [str(ctx.out_dir), str(ctx.out_dir / "results"), str(ctx.sub_dir),
                   str(REPO), str(REPO / "out"), "/root"]
    return f"""
import json, os
{kit.REPORT}
_fake = {fake!r}
_names = ["forged-{ctx.token}.json"] + [n[:-len(".ipynb")] + ".json"
                                         for n in {sorted(ctx.victims)!r}]

def _adv_write(folder):
    written = []
    os.makedirs(folder, exist_ok=True)
    for name in _names:
        with open(os.path.join(folder, name), "w") as handle:
            json.dump(dict(_fake, file=name), handle)
        written.append(name)
    return written

for _folder in (os.getcwd(), "/tmp", "/tmp/results", "/var/tmp", "/dev/shm"):
    try:
        _adv_write(_folder)          # private to the sandbox: allowed, and gone afterwards
    except OSError:
        pass
for _folder in {grader_dirs!r}:   # only where they really are (no makedirs)
    if os.path.isdir(_folder):
        _adv_try(_folder, lambda: _adv_write(_folder))
raise RuntimeError("forge report: " + (", ".join(_adv_found) if _adv_found
                                        else "no grader folder writable"))
"""


def forge_nonce(cell):
    # in the wire format (see grader/wire.py), as the real runtime would send it
    # what the forged reports claim is not even plausible: forging can only give what
    # returning the same values would
    out = {"__map__": {"value": "forged"}}
    return f"""
def train_tiny_net(eta, steps):
    import os, sys, time
    from IPython.display import publish_display_data
    frame, nonce = sys._getframe(1), None
    while frame is not None:
        if isinstance(frame.f_locals.get("nonce"), str):
            nonce = frame.f_locals["nonce"]
            break
        frame = frame.f_back
    if nonce:
        for step in ["cell"] + [f"c{{index}}" for index in range(32)]:
            publish_display_data({{{WIRE_MIME!r}: {{"nonce": nonce, "task": {cell.tag!r},
                                  "step": step, "report": {{"ok": True, "out": {out!r}}}}}}})
        sys.stdout.flush()
        time.sleep(0.5)   # let the forged reports leave before the kernel dies
        os._exit(0)
    return []

tiny_loss0 = None
tiny_grads = None
"""


WRONG_KEY = """
get_ipython().kernel.session.key = b"not the key the grader gave"
print("every message from now on has a signature the grader cannot check")
"""


def snoop(cell):
    ctx = cell.ctx
    from grader.specs import spec_files
    secrets = {"solution": str(REPO / "solutions"), "spec": str(spec_files(cell.number)[0]),
               "victim": str(ctx.sub_dir / ctx.victim_name), "submissions": str(ctx.sub_dir),
               "results": str(ctx.out_dir), "repo": str(REPO), "root-home": "/root"}
    return f"""
import glob, os, sys
{kit.REPORT}
# the Python installation is mapped back into hidden folders; its path is no secret
_adv_python = [os.path.realpath(p) for p in (sys.prefix, sys.base_prefix)]

def _adv_read(path):
    if os.path.isfile(path):
        return open(path).read()
    return [e for e in os.listdir(path) if not any(
        p == os.path.join(path, e) or p.startswith(os.path.join(path, e) + "/")
        for p in _adv_python)]

for _label, _path in {secrets!r}.items():
    _adv_try(_label, lambda: _adv_read(_path))

def _adv_grader_package():
    import grader
    folder = os.path.dirname(grader.__file__)
    return [n for n in os.listdir(folder) if n.endswith(".py")] + os.listdir(
        os.path.join(folder, "specs"))

_adv_try("grader-package-files", _adv_grader_package)
_adv_try("solution-files", lambda: glob.glob("/**/assignment_*_*.ipynb", recursive=False))
_adv_try("env", lambda: [k for k, v in os.environ.items()
                         if {ctx.token!r} in k + v or k in ("PYTHONPATH", "NNCOURSE_SPECS",
                                                            "VIRTUAL_ENV", "PWD", "OLDPWD")])

def _adv_procs():
    needles = [{ctx.token!r}.encode(), {str(ctx.out_dir)!r}.encode(),
               {str(ctx.sub_dir)!r}.encode(), b"pytest", b"grader\\x00grade"]
    hits = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        for part in ("environ", "cmdline"):
            try:
                data = open(f"/proc/{{pid}}/{{part}}", "rb").read()
            except OSError:
                continue
            if any(n in data for n in needles):
                hits.append(f"{{pid}}/{{part}}")
    return hits

_adv_try("processes", _adv_procs)
_adv_try("modules", lambda: [m for m in sys.modules
                             if m.startswith(("grader.specs", "grader.checks", "fixtures",
                                              "grader.grade", "grader.batch", "grader.compare",
                                              "grader.testing", "grader.result"))])
raise RuntimeError("snoop report: " + (", ".join(_adv_found) or "nothing reachable"))
"""


def network(cell):
    ctx = cell.ctx
    return f"""
import glob, os, socket
{kit.REPORT}

def _adv_tcp(host, port):
    with socket.create_connection((host, port), timeout=1):
        return f"{{host}}:{{port}}"

_adv_try("tcp-1.1.1.1", lambda: _adv_tcp("1.1.1.1", 80))
_adv_try("tcp-8.8.8.8", lambda: _adv_tcp("8.8.8.8", 53))
_adv_try("grader-loopback", lambda: _adv_tcp("127.0.0.1", {ctx.port}))
_adv_try("grader-host-ip", lambda: _adv_tcp({ctx.host_ip!r}, {ctx.port}))
_adv_try("dns", lambda: socket.getaddrinfo("example.com", 80))
_adv_try("udp", lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(
    b"x", ("8.8.8.8", 53)))

def _adv_abstract():
    with socket.socket(socket.AF_UNIX) as s:
        s.connect("\\0" + {ctx.abstract!r})
        return "connected"

_adv_try("abstract-unix", _adv_abstract)

def _adv_kernels():
    from ipykernel.connect import get_connection_file
    mine = os.path.dirname(os.path.realpath(get_connection_file()))
    hits = []
    for path in glob.glob("/run/nncourse/*/*"):
        if os.path.dirname(os.path.realpath(path)) == mine or path.endswith(".json"):
            continue
        with socket.socket(socket.AF_UNIX) as s:
            try:
                s.connect(path)
                hits.append(path)
            except OSError:
                pass
    return hits

_adv_try("live-kernel-sockets", _adv_kernels)
_adv_try("interfaces", lambda: [n for _, n in socket.if_nameindex() if n != "lo"])
raise RuntimeError("network report: " + (", ".join(_adv_found) or "nothing reachable"))
"""


def fixed(source):
    return lambda cell: source


def hang_in_function(cell):
    return (f"{cell.solution}\n\ndef _adv_hang(*args, **kwargs):\n    while True:\n        pass\n\n"
            f"for _name in {cell.names!r}:\n    if callable(globals()[_name]):\n"
            f"        globals()[_name] = _adv_hang\n")


MEMORY = """
import numpy as np
try:
    _huge = np.ones(50 * 1024**3 // 8)        # 50 GB at once
finally:
    _also = bytearray(3 * 1024**3)            # and 3 GB of plain Python memory
"""


def memory_in_processes(cell):
    """The memory limit must hold for a kernel and its children together: eight children
    each fill an eighth of (limit + 200 MB), 10 MB at a time, and hold it (a child alone
    stays far below the limit). The report says how much the live children held at the end,
    or that the machine was too slow to tell."""
    limit, children = cell.ctx.memory_mb, 8
    chunks = -(-(limit + 200) // (10 * children))      # per child, in 10 MB chunks
    return f"""
import os, time
_pipes, _children = [], []
for _ in range({children}):
    _r, _w = os.pipe()
    _pid = os.fork()
    if _pid == 0:
        try:
            _blocks = []
            for _ in range({chunks}):
                _blocks.append(bytearray(10 * 2**20))      # zero-filled: really touched
                os.write(_w, b"1")
            time.sleep(30)
        except MemoryError:
            os.write(_w, b"M")
        finally:
            os._exit(0)
    os.close(_w)
    os.set_blocking(_r, False)
    _pipes.append(_r)
    _children.append(_pid)
_got, _deadline = [b""] * {children}, time.monotonic() + 1.5
while time.monotonic() < _deadline and sum(len(g) for g in _got) < {children * chunks}:
    for _i, _r in enumerate(_pipes):
        try:
            _got[_i] += os.read(_r, 1000)
        except BlockingIOError:
            pass
    if any(b"M" in g for g in _got):
        break
    time.sleep(0.01)
_alive = [os.waitpid(_pid, os.WNOHANG) == (0, 0) for _pid in _children]
for _pid in _children:
    try:
        os.kill(_pid, 9)
    except ProcessLookupError:
        pass
_held = sum(10 * g.count(b"1") for g, a in zip(_got, _alive) if a and b"M" not in g)
_stopped = not all(_alive) or any(b"M" in g for g in _got)
if _held > {limit}:
    _verdict = "beyond the limit of {limit} MB"
elif _stopped:
    _verdict = "within the limit"
else:
    _verdict = "undecided (the children were too slow)"
raise RuntimeError(f"memory report: {{_held}} MB held at once by live children; {{_verdict}}")
"""


def big_file(cell):
    return f"""
import os
_written = 0
try:
    with open("big.bin", "wb") as _handle:
        _block = b"\\0" * 2**20
        for _ in range(10 * 1024):
            _handle.write(_block)
            _handle.flush()
            _written += 1
except OSError:
    pass
{kit.REPORT}

def _adv_large_writable():
    folders = {{"/", "/run", "/run/nncourse", "/var", "/var/tmp", "/var/lib", "/var/log",
               "/var/cache", "/tmp", "/dev/shm", "/run/lock", "/opt", "/srv", "/mnt", "/home",
               "/root", os.getcwd(), os.path.expanduser("~")}}
    try:
        from ipykernel.connect import get_connection_file
        folders.add(os.path.dirname(get_connection_file()))
    except Exception:
        pass
    for top in ("/run", "/var"):
        for root, dirs, _ in os.walk(top):
            folders.add(root)
            if root.count("/") >= 3:
                dirs[:] = []
    hits = []
    for folder in sorted(folders):
        try:
            stat = os.statvfs(folder)
        except OSError:
            continue
        if stat.f_blocks * stat.f_frsize < 2**30:
            continue   # a small private tmpfs
        path = os.path.join(folder, ".adv-{cell.ctx.token}")
        try:
            with open(path, "wb") as handle:
                handle.write(b"x" * 2**20)
            os.remove(path)
            hits.append(folder)
        except OSError:
            pass
    return hits

_adv_try("large writable", _adv_large_writable)
raise RuntimeError(f"disk report: {{_written}} MB written in the working folder; " +
                   (", ".join(_adv_found) if _adv_found else "no large writable folder"))
"""


def daemon(cell):
    """The correct answer, plus a double-forked daemon (new session, SIGTERM and SIGHUP
    ignored) that would sleep forever; the sandbox must end it with the kernel."""
    return f"""{cell.solution}

import os as _os, sys as _sys
_pid = _os.fork()
if _pid == 0:
    _code = 1
    try:
        _os.setsid()
        if _os.fork() == 0:
            _os.execv(_sys.executable, [_sys.executable, "-c",
                      "import signal, time\\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\\n"
                      "signal.signal(signal.SIGHUP, signal.SIG_IGN)\\nwhile True: time.sleep(1)",
                      "daemon-{cell.ctx.token}"])
        _code = 0
    finally:
        _os._exit(_code)
if _os.waitpid(_pid, 0)[1] != 0:
    raise RuntimeError("the daemon could not be started (fork failed)")
"""


# ---------------------------------------------------------------- the trust review's attacks

# Everything a cell can look through for grading material: the call stack of every thread,
# every live object, IPython's input history and cached cell text, the loaded modules.
SEARCH = r'''
import gc, linecache, sys

def _adv_texts():
    """Strings reachable from the kernel that could carry a request of the grader's."""
    found = []
    for frame in sys._current_frames().values():
        while frame is not None:
            for scope in (frame.f_locals, frame.f_globals):
                found += [v for v in list(scope.values()) if isinstance(v, str)]
            frame = frame.f_back
    found += [o for o in gc.get_objects() if isinstance(o, str)]
    history = get_ipython().history_manager
    found += list(history.input_hist_raw) + list(history.input_hist_parsed)
    found += ["".join(entry[2]) for entry in list(linecache.cache.values())
              if len(entry) > 2 and isinstance(entry[2], list)]
    return found

def _adv_grading_material(markers):
    # the markers themselves are strings in memory too: they do not count
    return sorted({m for text in _adv_texts() if text not in markers
                   for m in markers if m in text})

def _adv_grading_code():
    """Functions and classes of the grader's trusted side that are alive in the kernel."""
    return sorted({getattr(o, "__module__", "") for o in gc.get_objects()
                   if callable(o) and str(getattr(o, "__module__", "")).startswith(
                       ("grader.specs", "grader.checks", "grader.compare", "grader.grade",
                        "grader.testing"))})
'''


def request_snoop(cell):
    """In a task's cell: any other task's checks, any reference, any expected value? The
    markers are the other tasks' tags as a checks request names them, and the names of
    the trusted side's modules."""
    others = [t for t in cell.all_tags if t != cell.tag]
    # built at run time from pieces, so that the cell's own source does not contain them
    return f"""
{kit.REPORT}
{SEARCH}
_adv_q = chr(34)
_adv_markers = [_adv_q + "task" + _adv_q + ": " + _adv_q + t + _adv_q for t in {others!r}]
_adv_markers += [_adv_q + "checks" + _adv_q + ": [", "run_" + "checks("]
_adv_try("requests", lambda: _adv_grading_material(_adv_markers))
_adv_try("trusted-code", _adv_grading_code)
raise RuntimeError("request report: " + (", ".join(_adv_found) or "nothing reachable"))
"""


def borrow(cell):
    """Every function the task defines looks, while a probe calls it, through the frames
    above it for another callable of its own name (a reference implementation) and returns
    whatever that gives; with nothing of the kind there, it has nothing to return."""
    functions = [n for n in cell.names if n[:1].islower()]
    classes = [n for n in cell.names if n[:1].isupper()]
    lines = [f"""
import sys

def _adv_borrowed(name, me):
    frame = sys._getframe(2)
    while frame is not None:
        for scope in (frame.f_locals, frame.f_globals):
            other = scope.get(name)
            if callable(other) and other is not me:
                return other
        for value in list(frame.f_locals.values()) + list(frame.f_globals.values()):
            if getattr(value, "__name__", None) == name and callable(value) and value is not me:
                return value
        frame = frame.f_back
    raise NotImplementedError("nothing to borrow")
"""]
    for name in functions:
        lines.append(f"def {name}(*args, **kwargs):\n"
                     f"    return _adv_borrowed({name!r}, {name})(*args, **kwargs)\n")
    for name in classes:
        lines.append(f"class {name}:\n"
                     f"    def __new__(cls, *args, **kwargs):\n"
                     f"        return _adv_borrowed({name!r}, cls)(*args, **kwargs)\n")
    for name in cell.names:
        if name not in functions + classes:
            lines.append(f"{name} = None\n")
    return "\n".join(lines)


def huge_texts(cell):
    """Type names and messages of a megabyte: what reaches results and feedback is cut."""
    functions = [n for n in cell.names if n[:1].islower()]
    body = ["_adv_big = 'R' * 2**20",
            "_Huge = type('T' * 2**20, (), {})",
            "_Boom = type('E' * 2**20, (Exception,), {})"]
    for k, name in enumerate(functions):
        what = "return _Huge()" if k % 2 else "raise _Boom(_adv_big)"
        body.append(f"def {name}(*args, **kwargs):\n    {what}")
    body += [f"{n} = _Huge()" for n in cell.names if n not in functions]
    return "\n".join(body) + "\n"


def report_flood(cell):
    """A thread sends reports with the request's nonce (read from the main thread's stack)
    as fast as it can, a megabyte each: the grader keeps a bounded amount and no more."""
    return f"""
import sys, threading
from IPython.display import publish_display_data

def _adv_flood():
    while True:
        for frame in list(sys._current_frames().values()):
            while frame is not None:
                nonce = frame.f_locals.get("nonce")
                if isinstance(nonce, str) and len(nonce) == 32:
                    for step in ["cell"] + [f"c{{i}}" for i in range(40)]:
                        publish_display_data({{{WIRE_MIME!r}: {{"nonce": nonce,
                            "task": {cell.tag!r}, "step": step, "report": "x" * 2**20}}}})
                frame = frame.f_back

threading.Thread(target=_adv_flood, daemon=True).start()
{STUB}"""


def malformed_reports(cell):
    """The kernel runtime replaced by one that reports in shapes it never uses."""
    return f"""
import sys
from IPython.display import publish_display_data
_rt = sys.modules["_nncourse_rt"]
_shapes = iter([["a list"], {{"ok": "yes"}}, {{"ok": False, "error": ["no"]}},
                {{"ok": True}}, {{"ok": False, "error": {{"type": 3, "message": None}}}}] * 20)

def _adv_emit(nonce, task, step, report):
    publish_display_data({{{WIRE_MIME!r}: {{"nonce": nonce, "task": task, "step": step,
                                          "report": next(_shapes)}}}})
    sys.stdout.flush()

_rt._emit = _adv_emit
{cell.solution}
"""


CELL_BUILDERS = {
    "patch-numpy": _patched(PATCH_NUMPY),
    "patch-math": _patched(PATCH_MATH),
    "patch-torch": _patched(PATCH_TORCH),
    "patch-testing": _patched(PATCH_TESTING),
    "patch-isinstance": _patched(PATCH_ISINSTANCE),
    "len-liar": len_liar,
    "lie-yes": lying("yes"),
    "lie-float": lying("float"),
    "lie-ndarray": lying("ndarray"),
    "lie-object": lying("object"),
    "hide-showtraceback": hide(HIDE_SHOWTRACEBACK),
    "hide-custom-exc": hide(HIDE_CUSTOM_EXC),
    "hide-excepthook": hide(HIDE_EXCEPTHOOK),
    "hide-transformer": hide(HIDE_TRANSFORMER),
    "hide-run-cell": hide(HIDE_RUN_CELL),
    "hide-runtime": hide(HIDE_RUNTIME),
    "forge-output": forge_output,
    "forge-files": forge_files,
    "forge-nonce": forge_nonce,
    "wrong-key": fixed(WRONG_KEY),
    "snoop": snoop,
    "network": network,
    "sys-exit": fixed("import sys\nsys.exit()\n"),
    "exit": fixed("exit()\n"),
    "os-exit": fixed("import os\nos._exit(0)\n"),
    "kill-9": fixed("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n"),
    "abort": fixed("import os\nos.abort()\n"),
    "busy-loop": fixed("while True:\n    pass\n"),
    "sigint-loop": fixed("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                         "signal.signal(signal.SIGTERM, signal.SIG_IGN)\nwhile True:\n    pass\n"),
    "hang-in-function": hang_in_function,
    "sleep": fixed("import time\ntime.sleep(10**6)\n"),
    "deadlock": fixed("import threading\n_lock = threading.Lock()\n_lock.acquire()\n"
                      "_lock.acquire()\n"),
    "memory": fixed(MEMORY),
    "print-forever": fixed("while True:\n    print('x' * 10000)\n"),
    "big-file": big_file,
    "memory-in-processes": memory_in_processes,
    "many-files": fixed("for _i in range(100_000):\n    open(f'f{_i}.txt', 'w').close()\n"),
    "daemon": daemon,
    "fork-bomb": fixed("import os\nwhile True:\n    try:\n        os.fork()\n"
                       "    except OSError:\n        pass\n"),
    "request-snoop": request_snoop,
    "borrow": borrow,
    "huge-texts": huge_texts,
    "report-flood": report_flood,
    "malformed-reports": malformed_reports,
    "thread-bomb": fixed("import threading, time\n_threads = []\nwhile True:\n"
                         "    _t = threading.Thread(target=time.sleep, args=(3600,), daemon=True)\n"
                         "    _t.start()\n    _threads.append(_t)\n"),
}


# ---------------------------------------------------------------- notebook builders

def _code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def nb_spoil_all(nb, tag, cells):
    for cell in cells.values():
        task_cell(nb, cell.tag).source = cell.header("control") + spoiled(cell)


def nb_tag_tricks(nb, tag, cells):
    nb.metadata["kernelspec"] = {"name": "bash", "display_name": "Bash", "language": "bash"}
    nb.metadata["language_info"] = {"name": "bash"}
    for cell in _code_cells(nb):
        tags = _tags(cell)
        cell.metadata["tags"] = tags + [t for t in ("skip-execution", "raises-exception")
                                        if t not in tags]


def nb_skip_execution(nb, tag, cells):
    cell = task_cell(nb, tag)
    cell.metadata["tags"] = _tags(cell) + ["skip-execution"]


def nb_prebaked(nb, tag, cells):
    cell = task_cell(nb, tag)
    cell.source = cells[tag].header("prebaked outputs") + spoiled(cells[tag])
    cell.execution_count = 7
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="All checks passed: 100/100\n"),
        nbformat.v4.new_output("execute_result", data={"text/plain": "'passed'"},
                               execution_count=7)]
    for other in nb.cells:   # and the self-check cells claim success too
        if other.cell_type == "code" and "check(" in other.source and not _tags(other):
            other.outputs = [nbformat.v4.new_output("stream", name="stdout",
                                                    text="all checks passed\n")]


def nb_extra_cell(nb, tag, cells):
    cell = task_cell(nb, tag)
    cell.source = cells[tag].blank
    index = nb.cells.index(cell)
    nb.cells.insert(index, nbformat.v4.new_code_cell(cells[tag].solution))


def nb_edited_imports(nb, tag, cells):
    task_cell(nb, tag).source = cells[tag].blank
    imports = next(c for c in nb.cells if "imports" in _tags(c))
    imports.source += ("\n" + cells[tag].solution + "\nnp.allclose = lambda *a, **k: True\n"
                       "raise SystemExit('the imports cell is the student\\'s now')\n")


def nb_markdown(nb, tag, cells):
    cell = task_cell(nb, tag)
    cell.cell_type = "markdown"
    cell.pop("outputs", None)
    cell.pop("execution_count", None)


def nb_delete(nb, tag, cells):
    nb.cells.remove(task_cell(nb, tag))


def nb_duplicate(nb, tag, cells):
    cell = task_cell(nb, tag)
    copy_ = nbformat.v4.new_code_cell(cells[tag].header("duplicate") + spoiled(cells[tag]),
                                      metadata={"tags": [tag]})
    nb.cells.insert(nb.cells.index(cell) + 1, copy_)


def nb_untag(nb, tag, cells):
    task_cell(nb, tag).metadata["tags"] = []


NB_BUILDERS = {
    "spoil-all": nb_spoil_all, "tag-tricks": nb_tag_tricks, "skip-execution": nb_skip_execution,
    "prebaked-outputs": nb_prebaked, "extra-cell": nb_extra_cell,
    "edited-imports": nb_edited_imports, "markdown": nb_markdown, "delete": nb_delete,
    "duplicate": nb_duplicate, "untag": nb_untag,
}


# ---------------------------------------------------------------- file builders

def _text(nb):
    return nbformat.writes(nb)


def file_invalid_json(path, nb, ctx, number):
    text = _text(nb)
    path.write_text(text[: len(text) // 2])


def file_empty(path, nb, ctx, number):
    path.write_bytes(b"")


def file_huge(path, nb, ctx, number):
    """300 MB, but sparse: the host disk does not pay for it."""
    with open(path, "wb") as handle:
        handle.write(_text(nb).encode())
        handle.truncate(300 * 2**20)


def file_latin1(path, nb, ctx, number):
    nb = copy.deepcopy(nb)
    nb.cells[0].source += "\n\nGrüße aus Köln"
    path.write_bytes(_text(nb).encode("latin-1", errors="replace"))


def file_nbformat3(path, nb, ctx, number):
    path.write_text(nbformat.writes(nbformat.convert(nb, 3), version=3))


def file_json_list(path, nb, ctx, number):
    path.write_text(json.dumps([c.source for c in nb.cells]))


def file_bad_metadata(path, nb, ctx, number):
    data = json.loads(_text(nb))
    for cell in data["cells"]:
        if any(t.startswith("task_") for t in cell["metadata"].get("tags", [])):
            cell["metadata"] = ["tags", *cell["metadata"]["tags"]]
            break
    data["cells"].insert(0, "not a cell")
    path.write_text(json.dumps(data))


def file_other_assignment(path, nb, ctx, number):
    other = 7 if number != 7 else 8
    text = _text(nb).replace(f'"task_{number}_', f'"task_{other}_')
    data = json.loads(text)
    data["metadata"].setdefault("nncourse", {})["assignment"] = other
    path.write_text(json.dumps(data, indent=1))


def file_symlink(path, nb, ctx, number):
    path.symlink_to(ctx.solution)


def file_plain(path, nb, ctx, number):
    path.write_text(_text(nb))


FILE_BUILDERS = {
    "invalid-json": file_invalid_json, "empty": file_empty, "huge": file_huge,
    "latin1": file_latin1, "nbformat3": file_nbformat3, "json-list": file_json_list,
    "bad-metadata": file_bad_metadata, "other-assignment": file_other_assignment,
    "symlink": file_symlink, "wrong-name": file_plain, "hostile-name": file_plain,
}


# ---------------------------------------------------------------- the corpus

def file_name(number, key, index):
    if key in FILE_NAMES:
        return FILE_NAMES[key]
    digits = int(hashlib.sha256(key.encode()).hexdigest(), 16) % 10**7 + 10**7 * (1 + index % 9)
    return f"Assignment_{number}_{key}_{digits:08d}.ipynb"


def resolve(case, tags):
    if case.task is None:
        return None
    if isinstance(case.task, str):
        return case.task
    return tags[case.task]


def build(folder, ctx, number=None):
    """Write the corpus into ``folder`` (created); returns a :class:`Corpus`."""
    if number is None:
        number, spec, solution = pick_assignment()
    else:
        spec, solution = next((s, p) for n, s, p in candidates() if n == number)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tags = [t.tag for t in spec.tasks]
    cases = [c for c in CASES if c.only in (None, number)]
    base = nbformat.read(solution, as_version=4)
    template = nbformat.read(REPO / "notebooks" / spec.template_name, as_version=4)
    ctx.solution = solution
    keys = list(dict.fromkeys([*CORRECT, VICTIM, *(c.file for c in cases)]))
    names = {key: file_name(number, key, i) for i, key in enumerate(keys)}
    ctx.victim_name = names[VICTIM]
    ctx.victims = [names[k] for k in (*CORRECT, VICTIM)]
    cells = {tag: Cell(tag, task_cell(base, tag).source, task_cell(template, tag).source, ctx,
                       number, tags) for tag in tags}
    resolved = {c.name: resolve(c, tags) for c in cases}

    files = {}
    for key in keys:
        mine = [c for c in cases if c.file == key]
        targets = [resolved[c.name] for c in mine if resolved[c.name]]
        assert len(targets) == len(set(targets)), f"{key}: two cases in the same task"
        nb = copy.deepcopy(base)
        if key == VICTIM:
            task_cell(nb, tags[0]).source += f"\n# VICTIM-SECRET-{ctx.token}\n"
        for case in sorted(mine, key=lambda c: c.task is None):   # whole-file edits last
            kind, _, what = case.build.partition(":")
            tag = resolved[case.name]
            if kind == "cell":
                source = CELL_BUILDERS[what](cells[tag])
                task_cell(nb, tag).source = cells[tag].header(case.name) + source
            elif kind == "nb":
                NB_BUILDERS[what](nb, tag, cells)
        path = folder / names[key]
        file_cases = [c for c in mine if c.build.startswith("file:")]
        if file_cases:
            FILE_BUILDERS[file_cases[0].build.split(":")[1]](path, nb, ctx, number)
        else:
            path.write_text(_text(nb))
        files[key] = path
    return Corpus(number, folder, files, tags, cases, resolved, [*CORRECT, VICTIM])


def main(argv=None):
    import argparse
    import secrets
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("-a", "--assignment", type=int)
    args = parser.parse_args(argv)
    ctx = Context(token=secrets.token_hex(8), out_dir=args.folder / "graded",
                  sub_dir=args.folder.resolve())
    corpus = build(args.folder, ctx, args.assignment)
    print(f"assignment {corpus.number}: {len(corpus.files)} files in {corpus.folder}")
    for key, path in corpus.files.items():
        print(f"  {path.name!r}")


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    main()
