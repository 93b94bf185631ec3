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
from .sandbox import Limits

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
    """Changes whenever a spec module or template changes, so stale results are regraded."""
    from .specs import spec_file
    digest = hashlib.sha256()
    for number in sorted(numbers):
        digest.update(Path(spec_file(number)).read_bytes())
        for template in sorted(Path(notebooks).glob(f"Assignment_{number}_*.ipynb")):
            digest.update(template.read_bytes())
    return digest.hexdigest()[:16]


def _init_worker(counter, options):
    global _worker
    from .grade import Grader
    with counter.get_lock():
        slot = counter.value
        counter.value += 1
    _worker = Grader(slot=slot, **options)


def _grade_one(path, number, out_dir, stamp):
    result = _worker.grade(path, number)
    result["fingerprint"] = stamp
    report.write_result(result, out_dir)
    return result["file"], result["status"]


def _already_done(path, out_dir, stamp):
    try:
        old = json.loads(report.result_path(out_dir, path.name).read_text())
    except (OSError, ValueError):
        return False
    return old.get("fingerprint") == stamp and old.get("sha256") == \
        hashlib.sha256(path.read_bytes()).hexdigest()


def _failed(path, number, out_dir, stamp, reason):
    """Record a submission that crashed the grader itself, so nothing is silently lost."""
    from .grade import SCHEMA, __version__
    report.write_result({"schema": SCHEMA, "grader_version": __version__, "file": path.name,
                         "sha256": None, "assignment": number, "student": {},
                         "status": "rejected", "error": f"grader failure: {reason}",
                         "flags": [], "total": 0.0, "max": 0.0, "tasks": {},
                         "fingerprint": stamp}, out_dir)


def grade_all(paths, args):
    from .specs import available
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    from .grade import REPO
    notebooks = args.templates or REPO / "notebooks"
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
