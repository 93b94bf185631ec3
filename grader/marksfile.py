"""The offline marks file, ``OUT/manual/marks.csv``: written answers' marks as a spreadsheet.

One row per graded submission and written question, with the columns
``file,question,points,max,comment,marker,answer_sha256`` (points empty until marked). It
holds the same marks as the review app (``grader.manual``): ``review OUT --export`` writes
it, and ``review OUT --import FILE`` applies a filled-in copy. An import checks every row
first; if any row names an unknown file or question, or has points that are not a number
in 0..max, nothing is applied and every such row is listed. A row whose answer has changed
since the file was exported (another answer_sha256) is *stale*: listed, not applied, while
the others are. Empty points leave a mark as it is (an import never deletes a mark).
"""
from __future__ import annotations

import csv
import getpass
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

from .manual import Mark, MarkConflict, MarkStore
from .reports.files import atomic_write, read_results
from .reports.text import csv_cell, fmt
from .result import Status

COLUMNS = ["file", "question", "points", "max", "comment", "marker", "answer_sha256"]
AUTO = "auto"                  # the marker of an answer nobody needs to mark
NO_ANSWER = "not answered: 0 points"


def default_marker() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "marker"


def _plain(text: str) -> str:
    """Undo csv_cell's guard against formulas: a quote in front of = + - @."""
    return text[1:] if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@", "\t", "\r") \
        else text


def export(out_dir) -> Path:
    """Write ``OUT/manual/marks.csv`` from the results and the marks; returns its path."""
    out_dir = Path(out_dir)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for result in read_results(out_dir):
        if result.status is not Status.GRADED:
            continue
        for tag, answer in result.written.items():
            if answer.state is Status.MARKED:
                points, comment, marker = fmt(answer.points), answer.comment, answer.marker
            elif not answer.answered:
                points, comment, marker = fmt(0), NO_ANSWER, AUTO
            else:
                points, comment, marker = "", "", ""
            writer.writerow([csv_cell(result.file), tag, points, fmt(answer.max),
                             csv_cell(comment), csv_cell(marker), answer.sha256])
    return atomic_write(out_dir / "manual" / "marks.csv", buffer.getvalue().encode("utf-8"))


@dataclass
class Imported:
    applied: int = 0
    unchanged: int = 0
    empty: int = 0
    stale: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)


def import_marks(out_dir, path, marker: str | None = None) -> Imported:
    """Apply the marks of the CSV file ``path`` to ``OUT``'s marks (see the module's text)."""
    out_dir, path, report = Path(out_dir), Path(path), Imported()
    try:
        text = path.read_text(encoding="utf-8-sig")      # a spreadsheet may add a BOM
    except (OSError, UnicodeDecodeError) as error:
        report.errors.append(f"{path}: cannot read it ({error})")
        return report
    rows = list(csv.reader(io.StringIO(text)))
    header = [h.strip() for h in rows[0]] if rows else []
    lacking = [c for c in ("file", "question", "points", "answer_sha256") if c not in header]
    if lacking:
        report.errors.append(f"{path}: no column {', '.join(lacking)} (the columns are "
                             f"{','.join(COLUMNS)})")
        return report
    results = {r.file: r for r in read_results(out_dir) if r.status is Status.GRADED}
    store, seen, todo = MarkStore(out_dir), {}, []
    for line, values in enumerate(rows[1:], start=2):
        if not any(v.strip() for v in values):
            continue
        row = dict(zip(header, values + [""] * (len(header) - len(values))))
        where = f"{path.name} line {line}"
        file, question = _plain(row["file"].strip()), row["question"].strip()
        result = results.get(file)
        if result is None:
            report.errors.append(f"{where}: unknown file {file!r} (not a graded submission "
                                 f"in {out_dir})")
            continue
        answer = result.written.get(question)
        if answer is None:
            report.errors.append(f"{where}: unknown question {question!r} for {file} "
                                 f"(it has {', '.join(result.written) or 'none'})")
            continue
        if (file, question) in seen:
            report.errors.append(f"{where}: {file}, {question} was already given in line "
                                 f"{seen[(file, question)]}")
            continue
        seen[(file, question)] = line
        raw = row["points"].strip().replace(",", ".")
        if not raw:
            report.empty += 1
            continue
        try:
            points = float(raw)
        except ValueError:
            report.errors.append(f"{where}: points {row['points']!r} is not a number")
            continue
        if not math.isfinite(points) or not 0 <= points <= answer.max:
            report.errors.append(f"{where}: points {raw} out of range 0..{fmt(answer.max)} "
                                 f"for {question} of {file}")
            continue
        if row["answer_sha256"].strip() != answer.sha256:
            report.stale.append(f"{where}: the answer {question} of {file} has changed since "
                                "the file was exported; mark it again (not applied)")
            continue
        comment = _plain(row.get("comment", ""))
        if not answer.answered and points == 0 and comment in ("", NO_ANSWER):
            report.unchanged += 1          # the automatic 0, as exported
            continue
        todo.append((file, question, points, comment,
                     _plain(row.get("marker", "")).strip() or marker or default_marker()))
    if report.errors:
        return report
    for file, question, points, comment, who in todo:
        current = store.get(file, question)
        sha = results[file].written[question].sha256
        criteria = list(current.criteria) if current and current.points == points else []
        mark = Mark(file=file, question=question, points=points, criteria=criteria,
                    comment=comment, marker=who, answer_sha256=sha)
        if mark.same_as(current):
            report.unchanged += 1
            continue
        try:
            store.save(mark, current.version if current else 0, how=f"import {path.name}")
        except MarkConflict:
            report.conflicts.append(f"{file}, {question}: changed by someone else during the "
                                    "import; not applied, import again")
            continue
        report.applied += 1
    return report

