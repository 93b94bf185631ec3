"""Code that runs *inside* the student's kernel (or notebook, for self-checks).

It executes a cell's source or a check's probe code in a namespace and reports what
happened as plain data. It decides nothing: every verdict is made by the trusted grader
from these reports, so a student who tampers with this module only loses their own results.

Standard library and NumPy only (it is also shipped into student notebooks).
"""
import linecache
import random
import sys
import traceback

try:
    from .wire import to_plain
except ImportError:  # exec'd into a notebook's self-check cell after wire.py
    pass

CHECK_FILE = "<check>"


def seed_everything(seed):
    """Seed Python, NumPy and (if loaded) torch, so every run of a check is the same."""
    random.seed(seed)
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed(seed)
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(seed)


def _safe_text(value, limit=300):
    try:
        return str(value)[:limit]
    except BaseException:
        return "(the error message could not be shown)"


def describe_error(error, cell_file):
    """Type, message and the line of the student's cell where ``error`` happened."""
    frames = traceback.extract_tb(error.__traceback__)
    lines = [f.lineno for f in frames if f.filename == cell_file]
    if isinstance(error, SyntaxError) and error.filename == cell_file:
        lines.append(error.lineno)
    kind = type(error)
    return {"type": getattr(kind, "__name__", "Exception"), "message": _safe_text(error),
            "line": lines[-1] if lines else None,
            "in_check": bool(frames) and frames[-1].filename == CHECK_FILE}


def _compile(source, filename, transform):
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    return compile(transform(source) if transform else source, filename, "exec")


def run_source(source, filename, namespace, transform=None):
    """Execute a cell's source in ``namespace``; report success or the error."""
    try:
        exec(_compile(source, filename, transform), namespace)
    except BaseException as error:  # SystemExit and KeyboardInterrupt are failures too
        return {"ok": False, "error": describe_error(error, filename)}
    return {"ok": True}


def run_probe(code, inputs, namespace, cell_file, seed=0):
    """Run a check's probe code with ``I = inputs`` in a copy of ``namespace``.

    Returns ``{"ok": True, "out": <plain data>}`` or ``{"ok": False, "error": ...}``.
    """
    scope = dict(namespace)
    scope["I"] = inputs
    seed_everything(seed)
    try:
        exec(_compile(code, CHECK_FILE, None), scope)
        out = scope.get("OUT")
        if type(out) is not dict:
            return {"ok": False, "error": {"type": "GraderError", "line": None, "in_check": True,
                                           "message": "the check produced no result"}}
        return {"ok": True, "out": to_plain(out)}
    except BaseException as error:
        return {"ok": False, "error": describe_error(error, cell_file)}


# ------------------------------------------------ entry points called by the grader's cells

def _emit(nonce, index, report):
    from IPython.display import publish_display_data
    from grader.wire import WIRE_MIME
    publish_display_data({WIRE_MIME: {"nonce": nonce, "index": index, "report": report}})


def fresh_namespace(ip):
    """What ``InteractiveShell.reset`` does to the namespace, without its full garbage
    collection (100+ ms per task once torch is loaded): only IPython's own names remain."""
    namespace = ip.user_ns
    for key in [k for k in namespace if k not in ("__builtin__", "__builtins__", "__name__")]:
        del namespace[key]
    ip.user_ns_hidden.clear()
    ip.init_user_ns()


def prepare(nonce, seed, imports, cell_file, source):
    """Start a task: empty namespace, closed figures, seeded generators; run the imports
    cell, then the student's cell. Reports both outcomes."""
    ip = get_ipython()  # noqa: F821  (defined in a kernel)
    fresh_namespace(ip)
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
    seed_everything(seed)
    first = run_source(imports, "<imports>", ip.user_ns, ip.transform_cell)
    seed_everything(seed)
    second = run_source(source, cell_file, ip.user_ns, ip.transform_cell) if first["ok"] \
        else None
    _emit(nonce, 0, {"ok": True, "imports": first, "cell": second})


def checks(nonce, probes_json, cell_file):
    """Run probes one after another, reporting each as soon as it is done."""
    import json
    from grader.wire import from_plain
    ip = get_ipython()  # noqa: F821
    for index, (code, inputs_json, seed) in enumerate(json.loads(probes_json)):
        inputs = from_plain(json.loads(inputs_json))
        _emit(nonce, index, run_probe(code, inputs, ip.user_ns, cell_file, seed))
