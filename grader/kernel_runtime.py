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
    torch = sys.modules.get("torch")
    if torch is not None:
        # the CPU generator only: torch.manual_seed also queues a seeding for every kind of
        # accelerator, recording a stack trace each time (milliseconds per call)
        torch.default_generator.manual_seed(seed)
        if torch.cuda.is_initialized():
            torch.cuda.manual_seed_all(seed)


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

OUTPUT_LIMIT = 2**20  # characters a step may print; the grader keeps less still


class _StepOutput:
    """Drops what a step prints beyond OUTPUT_LIMIT: the kernel buffers printed text until
    its I/O thread sends it, so a print loop would otherwise fill the memory that the
    student's next tasks run in."""

    used = 0

    @classmethod
    def cap(cls, stream):
        write = stream.write

        def capped(text):
            cls.used += len(text)
            return write(text) if cls.used <= OUTPUT_LIMIT else len(text)
        stream.write = capped


def _emit(nonce, index, report):
    from IPython.display import publish_display_data
    from grader.wire import WIRE_MIME
    publish_display_data({WIRE_MIME: {"nonce": nonce, "index": index, "report": report}})
    # wait until the kernel's I/O thread has handed the report to zmq: if the student's code
    # kills the kernel next, a report still queued here would be lost
    sys.stdout.flush()
    _StepOutput.used = 0


def fresh_namespace(ip):
    """What ``InteractiveShell.reset`` does to the namespace, without its full garbage
    collection (100+ ms per task once torch is loaded): only IPython's own names remain."""
    namespace = ip.user_ns
    for key in [k for k in namespace if k not in ("__builtin__", "__builtins__", "__name__")]:
        del namespace[key]
    ip.user_ns_hidden.clear()
    ip.init_user_ns()


def prepare(ip, seed, imports, cell_file, source):
    """Start a task: empty namespace, closed figures, seeded generators; run the imports
    cell, then the student's cell. Reports both outcomes."""
    fresh_namespace(ip)
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
    seed_everything(seed)
    first = run_source(imports, "<imports>", ip.user_ns, ip.transform_cell)
    seed_everything(seed)
    second = run_source(source, cell_file, ip.user_ns, ip.transform_cell) if first["ok"] \
        else None
    return {"ok": True, "imports": first, "cell": second}


def run_tasks(nonce, imports, tasks_json):
    """Run tasks one after another, each prepared afresh, then its probes; report after
    every step, numbered in order, so that the grader can time each step and keep what is
    done if it has to stop the kernel. A task is ``{"seed", "cell_file", "source",
    "probes": [[code, inputs_json, seed], ...]}``."""
    import json
    from grader.wire import from_plain
    ip = get_ipython()  # noqa: F821  (defined in a kernel)
    for stream in (sys.stdout, sys.stderr):
        _StepOutput.cap(stream)
    index = 0
    for task in json.loads(tasks_json):
        _emit(nonce, index, prepare(ip, task["seed"], imports, task["cell_file"],
                                    task["source"]))
        index += 1
        for code, inputs_json, seed in task["probes"]:
            inputs = from_plain(json.loads(inputs_json))
            _emit(nonce, index, run_probe(code, inputs, ip.user_ns, task["cell_file"], seed))
            index += 1
