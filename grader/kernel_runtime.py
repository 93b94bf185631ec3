"""Code that runs *inside* the student's kernel (or notebook, for self-checks).

It runs a task's cell, then, in a later request, the task's probes: small functions from
``grader/probes/`` that call the student's code on the check's inputs and return what came
back. It reports what happened as plain data and decides nothing: every verdict is made by
the trusted grader from these reports, so a student who tampers with this module only loses
their own results.

What the kernel ever receives: the imports cell, the student's cell, and for each check the
name of its probe and the inputs that the probe's call needs. Never a reference solution, an
expected value or another task's inputs.

Standard library and NumPy only (it is also shipped into student notebooks).
"""
import importlib
import json
import linecache
import random
import sys
import traceback

try:
    from .wire import from_plain, to_plain
except ImportError:  # exec'd into a notebook's self-check cell after wire.py
    pass

PROBES = __name__.rpartition(".")[0] + ".probes"    # grader.probes, or the notebook's copy


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


class Namespace(dict):
    """A task's variables as a probe sees them: a missing name is the NameError the student
    would see in a notebook, not a KeyError from the grader's machinery."""

    def __missing__(self, name):
        raise NameError(f"name {name!r} is not defined")


def _safe_text(value, limit=300):
    try:
        return str(value)[:limit]
    except BaseException:
        return "(the error message could not be shown)"


def _probe_file(filename):
    return "/probes/" in filename.replace("\\", "/") or filename.startswith("<nncourse_selfcheck")


def describe_error(error, cell_file):
    """Type, message and the line of the student's cell where ``error`` happened; ``in_check``
    when it was raised by the probe itself (what the student's code returned did not fit)."""
    frames = traceback.extract_tb(error.__traceback__)
    lines = [f.lineno for f in frames if f.filename == cell_file]
    if isinstance(error, SyntaxError) and error.filename == cell_file:
        lines.append(error.lineno)
    kind = type(error)
    # whose the error is: the innermost frame that is the student's cell or a probe decides
    # (an error raised in a library called by a probe is the probe's: what the student's
    # code returned did not fit)
    owner = next((f.filename for f in reversed(frames)
                  if f.filename == cell_file or _probe_file(f.filename)), None)
    return {"type": _safe_text(getattr(kind, "__name__", "Exception"), 80),
            "message": _safe_text(error), "line": lines[-1] if lines else None,
            "in_check": owner is not None and owner != cell_file}


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


def resolve(probe):
    """The probe function named ``"module.function"`` (module inside grader/probes/)."""
    module, _, function = probe.rpartition(".")
    return getattr(importlib.import_module(f"{PROBES}.{module}"), function)


def run_probe(probe, inputs, namespace, cell_file, seed=0):
    """Call ``probe(Namespace(namespace), **inputs)``; returns ``{"ok": True, "out": <plain
    data>}`` or ``{"ok": False, "error": ...}``."""
    seed_everything(seed)
    try:
        out = probe(Namespace(namespace), **inputs)
        return {"ok": True, "out": to_plain(out)}
    except BaseException as error:
        return {"ok": False, "error": describe_error(error, cell_file)}


# ------------------------------------------------ entry points called by the grader's requests

OUTPUT_LIMIT = 2**20  # characters a step may print; the grader keeps less still
FLUSH_INTERVAL = 0.05  # seconds between explicit flushes that are passed on


class _StepOutput:
    """Drops what a step prints beyond OUTPUT_LIMIT characters, and passes on an explicit
    flush at most every FLUSH_INTERVAL: the kernel buffers printed text until its I/O thread
    sends it, so a print loop would fill the memory that the student's next tasks run in; and
    every flush is a message of its own, and a burst of them would fill the grader's short
    queue of unread messages ahead of the step's report."""

    used = 0
    flushed = 0.0

    @classmethod
    def cap(cls, stream):
        if getattr(stream.write, "capped", False):
            return
        import time
        write, flush = stream.write, stream.flush

        def capped(text):
            cls.used += len(text)
            return write(text) if cls.used <= OUTPUT_LIMIT else len(text)

        def throttled_flush():
            now = time.monotonic()
            if now - cls.flushed >= FLUSH_INTERVAL:
                cls.flushed = now
                flush()
        capped.capped = True
        stream.write, stream.flush = capped, throttled_flush


def _emit(nonce, task, step, report):
    from IPython.display import publish_display_data
    from grader.wire import WIRE_MIME
    publish_display_data({WIRE_MIME: {"nonce": nonce, "task": task, "step": step,
                                      "report": report}})
    # wait until the kernel's I/O thread has handed the report to zmq: if the student's code
    # kills the kernel next, a report still queued here would be lost
    _StepOutput.flushed = 0.0
    sys.stdout.flush()
    _StepOutput.used = 0


def _forget_requests(ip):
    """Drop the sources of earlier requests that IPython keeps (its input history and the
    cached cell text), so what one request carried is not lying around for the next."""
    history = ip.history_manager
    for kept in (history.input_hist_parsed, history.input_hist_raw):
        del kept[1:]
    for name in [n for n in linecache.cache if n.startswith("<grader request")]:
        del linecache.cache[name]


def fresh_namespace(ip):
    """What ``InteractiveShell.reset`` does to the namespace, without its full garbage
    collection (100+ ms per task once torch is loaded): only IPython's own names remain."""
    namespace = ip.user_ns
    for key in [k for k in namespace if k not in ("__builtin__", "__builtins__", "__name__")]:
        del namespace[key]
    ip.user_ns_hidden.clear()
    ip.init_user_ns()


# Libraries whose functions a task's cell might rebind (``torch.is_grad_enabled = ...``), and
# classes whose methods it might replace: each task starts with them as the kernel found them,
# so one task's cell cannot change how the next task's code or probes run.
SHARED_MODULES = ("builtins", "math", "random", "numpy", "numpy.random", "numpy.linalg",
                  "torch", "torch.nn", "torch.nn.functional", "torch.nn.init", "torch.optim",
                  "torch.autograd", "torch.utils.data", "matplotlib.pyplot")
SHARED_CLASSES = (("torch", "Tensor"), ("torch.nn", "Module"))
# the kernel itself rebinds these per request (input for stdin) or per result (_)
KERNEL_OWNED = {"input", "getpass", "raw_input", "_", "__", "___"}
_pristine = {}


def _reset_libraries():
    """Undo what earlier tasks did to the shared libraries (the first call records them)."""
    import builtins
    if not _pristine:
        for name in SHARED_MODULES:
            if name in sys.modules:
                _pristine[name] = dict(vars(sys.modules[name]))
        for module, cls in SHARED_CLASSES:
            if module in sys.modules:
                _pristine[(module, cls)] = dict(vars(getattr(sys.modules[module], cls)))
        return
    for name, saved in _pristine.items():
        if isinstance(name, str):
            # names a cell added stay: modules fill some in lazily (numpy.random), and a
            # removed one would be looked up again through the module's own __getattr__
            current = vars(sys.modules[name])
            for key, value in saved.items():
                if current.get(key, _pristine) is not value and key not in KERNEL_OWNED:
                    current[key] = value
        else:
            target = getattr(sys.modules[name[0]], name[1])
            for key in [k for k in vars(target) if k not in saved]:
                builtins.delattr(target, key)
            for key, value in saved.items():
                if vars(target).get(key, _pristine) is not value and key not in (
                        "__dict__", "__weakref__", "__doc__"):
                    builtins.setattr(target, key, value)
    torch = sys.modules.get("torch")
    if torch is not None:   # global switches, not attributes
        torch.set_grad_enabled(True)
        torch.set_default_dtype(torch.float32)
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.seterr(all="warn", under="ignore")


def run_cell(nonce, request):
    """Start a task: empty namespace, closed figures, seeded generators; run the imports cell,
    then the student's cell; report both. ``request`` is JSON: ``{"task", "seed", "imports",
    "cell_file", "source"}``."""
    ip = get_ipython()  # noqa: F821  (defined in a kernel)
    for stream in (sys.stdout, sys.stderr):
        _StepOutput.cap(stream)
    _forget_requests(ip)
    _reset_libraries()
    plan = json.loads(request)
    fresh_namespace(ip)
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
    seed_everything(plan["seed"])
    first = run_source(plan["imports"], "<imports>", ip.user_ns, ip.transform_cell)
    seed_everything(plan["seed"])
    second = run_source(plan["source"], plan["cell_file"], ip.user_ns, ip.transform_cell) \
        if first["ok"] else None
    _emit(nonce, plan["task"], "cell", {"imports": first, "cell": second})


def run_checks(nonce, request):
    """Run a task's probes, each in a copy of the task's namespace, reporting after each.
    ``request`` is JSON: ``{"task", "cell_file", "checks": [{"id", "probe", "inputs",
    "seed"}, ...]}``; it is sent only once the task's cell has finished."""
    ip = get_ipython()  # noqa: F821
    plan = json.loads(request)
    for check in plan["checks"]:
        try:
            probe = resolve(check["probe"])
            inputs = from_plain(check["inputs"])
        except BaseException as error:  # the student's cell replaced the grader's modules
            report = {"ok": False, "error": describe_error(error, plan["cell_file"])}
        else:
            report = run_probe(probe, inputs, ip.user_ns, plan["cell_file"], check["seed"])
        _emit(nonce, plan["task"], check["id"], report)
