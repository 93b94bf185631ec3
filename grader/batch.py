"""Grade a class: parallel workers, a progress bar, and resumption after any interruption.

Each worker process owns a warm grader (and so its own kernel factory and sandbox uid) and
writes every result file itself, atomically, the moment it is done: killing the batch at any
point loses at most the submissions in flight. A re-run skips every submission whose result
file records the same file hash and the same spec fingerprint, so it ends with the same
gradebook as an uninterrupted run. A worker that dies is replaced; its submission is retried
once and then recorded as a grader failure, never silently dropped.
"""
import hashlib
import json
import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from tqdm.auto import tqdm

from . import report
from .constants import NOTEBOOKS, PARTIAL_SANDBOX
from .grade import Grader
from .result import SubmissionResult
from .sandbox import Limits, full_isolation_available
from .specs import available

_worker = None


def collect(paths):
    """The .ipynb files named by ``paths`` (files or folders), sorted; others are an error.
    Whatever in a folder is named .ipynb is kept, even a broken link or a pipe: grading
    rejects it with a reason in the gradebook instead of skipping it unseen."""
    found = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.iterdir() if p.suffix == ".ipynb" and not p.is_dir())
        elif path.exists():
            found.append(path)
        else:
            raise FileNotFoundError(f"{path}: no such file or folder")
    return found


def fingerprint(numbers, notebooks):
    """Changes whenever a spec, its probes or a template changes, so stale results are
    regraded."""
    from .specs import spec_files
    digest = hashlib.sha256()
    for number in sorted(numbers):
        for path in spec_files(number):
            digest.update(path.read_bytes())
        for template in sorted(Path(notebooks).glob(f"Assignment_{number}_*.ipynb")):
            digest.update(template.read_bytes())
    return digest.hexdigest()[:16]


def _init_worker(counter, options):
    global _worker
    with counter.get_lock():
        slot = counter.value
        counter.value += 1
    _worker = Grader(slot=slot, **options)


def _grade_one(path, number, out_dir, stamp):
    result = _worker.grade(path, number)
    result.fingerprint = stamp
    report.write_result(result, out_dir)
    return result.file, result.status


def _already_done(path, out_dir, stamp):
    try:
        old = SubmissionResult.from_dict(
            json.loads(report.result_path(out_dir, path.name).read_text()))
    except (OSError, ValueError):
        return False
    return old.final and old.fingerprint == stamp and old.sha256 == \
        hashlib.sha256(path.read_bytes()).hexdigest()


def _failed(path, number, out_dir, stamp, reason):
    """Record a submission that crashed the grader itself, so nothing is silently lost."""
    result = SubmissionResult(file=path.name, assignment=number, fingerprint=stamp)
    report.write_result(result.fail(reason).finish(), out_dir)


def grade_all(paths, args):
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    notebooks = args.templates or NOTEBOOKS
    stamp = fingerprint([args.assignment] if args.assignment else available(), notebooks)
    todo = [p for p in paths if args.force or not _already_done(p, out_dir, stamp)]
    if len(todo) < len(paths):
        print(f"{len(paths) - len(todo)} submission(s) already graded; skipping them")
    options = {"numbers": [args.assignment] if args.assignment else None,
               "limits": Limits(memory_mb=args.memory_mb),
               "hide": [str(out_dir.resolve())] + sorted({str(p.resolve().parent) for p in paths}),
               "cell_timeout": args.cell_timeout, "budget": args.budget,
               "require_sandbox": args.require_sandbox, "notebooks": notebooks}
    jobs = max(1, min(args.jobs or os.cpu_count() or 1, len(todo) or 1))
    _dispatch(todo, args.assignment, out_dir, stamp, options, jobs, not args.no_progress)
    written = report.write_reports(out_dir)
    print(f"gradebook: {written['gradebook']}")
    print(f"feedback:  {len(written['feedback'])} files in {out_dir / 'feedback'}")
    for path in written["summary"]:
        print(f"summary:   {path}")
    for path in written.get("skipped", []):
        print(f"warning: unreadable result file skipped: {path}")
    return 0


def _dispatch(todo, number, out_dir, stamp, options, jobs, progress):
    attempts = {p: 0 for p in todo}
    bar = tqdm(total=len(todo), unit="nb", desc="grading", disable=not progress or not todo)
    while attempts:
        context = multiprocessing.get_context("spawn")
        counter = context.Value("i", 0)
        with ProcessPoolExecutor(jobs, mp_context=context, initializer=_init_worker,
                                 initargs=(counter, options)) as pool:
            futures = {pool.submit(_grade_one, p, number, out_dir, stamp): p for p in attempts}
            try:
                for future in as_completed(futures):
                    path = futures[future]
                    try:
                        future.result()
                    except BrokenProcessPool:
                        raise
                    except Exception as error:  # recorded for that file; the batch goes on
                        _failed(path, number, out_dir, stamp, f"{type(error).__name__}: {error}")
                    del attempts[path]
                    bar.update()
            except BrokenProcessPool:
                for path in [p for p in attempts if futures_done(futures, p)]:
                    del attempts[path]
                    bar.update()
                for path in list(attempts):
                    attempts[path] += 1
                    if attempts[path] > 2:
                        _failed(path, number, out_dir, stamp, "a grading worker died twice")
                        del attempts[path]
                        bar.update()
    bar.close()


def futures_done(futures, path):
    future = next(f for f, p in futures.items() if p == path)
    return future.done() and not future.cancelled() and future.exception() is None


# ---------------------------------------------------------------- command line

def add_arguments(parser):
    parser.add_argument("paths", nargs="+", type=Path, metavar="SUBMISSION",
                        help="a submitted .ipynb file, or a folder of them")
    parser.add_argument("-a", "--assignment", type=int,
                        help="assignment number (default: inferred from each notebook)")
    parser.add_argument("-o", "--out", type=Path, default=Path("graded"),
                        help="output folder for results, gradebook, feedback (default: graded)")
    parser.add_argument("-j", "--jobs", type=int, default=None,
                        help="parallel workers (default: number of cores)")
    parser.add_argument("--cell-timeout", type=float, help="seconds per cell (default: spec)")
    parser.add_argument("--budget", type=float, help="seconds per submission (default: spec)")
    parser.add_argument("--memory-mb", type=int, default=Limits.memory_mb,
                        help="memory a kernel may allocate (default: %(default)s)")
    parser.add_argument("--force", action="store_true",
                        help="regrade even submissions already graded with the same content")
    parser.add_argument("--require-sandbox", action="store_true",
                        help="refuse to run without the full sandbox (root, namespaces)")
    parser.add_argument("--templates", type=Path,
                        help="folder of the student templates (default: notebooks/)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args):
    if not full_isolation_available():
        if args.require_sandbox:
            print("error: --require-sandbox: the full sandbox needs root on Linux with namespaces")
            return 2
        print(PARTIAL_SANDBOX, file=sys.stderr)
    try:
        paths = collect(args.paths)
        if args.assignment is not None and args.assignment not in available():
            raise LookupError(f"no spec for assignment {args.assignment} "
                              f"(have: {available() or 'none'})")
    except (FileNotFoundError, LookupError, ValueError) as error:
        print(f"error: {error}")
        return 2
    return grade_all(paths, args)
