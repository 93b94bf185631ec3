"""``python -m grader report OUT``: rebuild the gradebook, feedback and summary of an output
folder from its results and its manual marks, without grading anything again.

Run it after marking written answers (in the review app or through a marks file) so that
totals, feedback and summary include the new marks. ``grade`` ends with the same rebuild.
Students on an LMS roster who did not submit stay in the gradebook: they are read from the
record of the LMS download, ``OUT/submissions/ingest.json``.
"""
from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

from .files import ResultFileWarning
from .gradebook import pending as count_pending


def add_arguments(parser) -> None:
    parser.epilog = ("Exit status: 0 the reports were written; 1 some result files or marks "
                     "could not be read (left out, named on stderr); 2 OUT has no results "
                     "folder.")
    parser.add_argument("out", type=Path, metavar="OUT",
                        help="an output folder of `grade` (it holds results/)")


def roster_missing(out_dir: Path) -> list[dict]:
    """Roster students with no submission, as the last LMS ingest into OUT recorded them."""
    path = Path(out_dir) / "submissions" / "ingest.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(data, dict) or not data.get("complete"):
        return []
    return [{"name": m.get("name"), "matriculation": m.get("matriculation"),
             "email": m.get("email")} for m in data.get("missing") or [] if isinstance(m, dict)]


def run(args) -> int:
    from .. import report
    out_dir = args.out
    if not (out_dir / "results").is_dir():
        print(f"error: {out_dir}: no results folder (grade into it first: "
              f"python -m grader grade SUBMISSIONS -o {out_dir})", file=sys.stderr)
        return 2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResultFileWarning)
        written = report.write_reports(out_dir, roster_missing(out_dir))
    problems = [str(w.message) for w in caught if issubclass(w.category, ResultFileWarning)]
    for problem in problems:
        print(f"warning: {problem}", file=sys.stderr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResultFileWarning)     # said once, just above
        results = report.read_results(out_dir)
    pending = sum(map(count_pending, results))
    print(f"gradebook: {written['gradebook']}")
    print(f"feedback:  {len(written['feedback'])} files in {out_dir / 'feedback'}")
    print("class:     " + ", ".join(map(str, written["summary"])))
    if any(r.written for r in results):
        print(f"written answers still to mark: {pending}")
    return 1 if problems else 0
