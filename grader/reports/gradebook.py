"""``gradebook.csv``: one row per submission, a column per task and per written question."""
from __future__ import annotations

import csv
import io

from ..result import NOT_ANSWERED, Status, SubmissionResult
from .files import atomic_write
from .late import final_points
from .text import csv_cell, fmt, task_tags, written_tags


def written_cell(result: SubmissionResult, tag: str) -> str:
    """A written question's points as the gradebook shows them: the marker's points, 0 for
    an answer that is missing or as handed out, blank while no valid mark exists."""
    answer = result.written.get(tag)
    if answer is None or answer.state in (Status.PENDING, Status.STALE):
        return ""
    if answer.points is None:
        return fmt(0) if answer.status in NOT_ANSWERED else ""
    return fmt(answer.points)


def pending(result: SubmissionResult) -> int:
    """Answers that still need a marker: answered, and not marked (or marked for an answer
    that has changed since)."""
    return sum(a.state in (Status.PENDING, Status.STALE) for a in result.written.values())


def write_gradebook(results: list[SubmissionResult], path, missing=()):
    """One row per result; then a row per submission a newer one superseded (status
    "superseded", listed in the newer result's ``superseded``), and a row per roster student
    with no submission (status "missing", from ``missing``: dicts with name, matriculation,
    email). With an LMS deadline in any result, ``late penalty`` (points deducted) and
    ``final`` (the total after it) follow ``total``. With written questions in any result,
    a column per question follows the tasks, and ``pending`` (answers still to mark)
    follows ``max``; ``total`` includes the manual points."""
    tags = task_tags(results)
    questions = written_tags(results)
    late = any(r.extra.get("late") for r in results)
    extra = ["pending"] if questions else []
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["file", "name", "matriculation", "assignment", "status", *tags,
                     *questions, "total", *(["late penalty", "final"] if late else []), "max",
                     *extra, "flags", "error"])
    blank = [""] * (len(tags) + len(questions))
    rows = []
    for r in results:
        data = r.to_dict()                    # the LMS's late policy reads the dict
        assignment = "" if r.assignment is None else r.assignment
        deducted = ""                         # blank: no deadline applies to this result
        if r.extra.get("late") and r.status is Status.GRADED:
            points = r.total - final_points(data)
            deducted = f"-{fmt(points)}" if points > 0 else "0"
        rows.append([
            csv_cell(r.file), csv_cell(r.student.name), csv_cell(r.student.matriculation),
            assignment, r.status.value,
            *(fmt(r.tasks[tag].points) if tag in r.tasks else "" for tag in tags),
            *(written_cell(r, tag) for tag in questions),
            fmt(r.total),
            *([deducted, fmt(final_points(data))] if late else []),
            fmt(r.max), *([pending(r) if r.written else ""] if questions else []),
            csv_cell("; ".join(r.flags)), csv_cell(r.error)])
        for old in r.extra.get("superseded") or []:
            if not isinstance(old, dict) or not isinstance(old.get("file"), str):
                continue
            rows.append([csv_cell(old["file"]), csv_cell(old.get("name")),
                         csv_cell(old.get("matriculation")), assignment, Status.SUPERSEDED.value,
                         *blank, "", *(["", ""] if late else []), "", *([""] * len(extra)),
                         csv_cell(f"superseded by {r.file}, a newer submission"), ""])
    rows.sort(key=lambda row: row[0])
    for person in sorted(missing, key=lambda m: (m.get("name") or "", m.get("matriculation")
                                                 or "")):
        rows.append(["", csv_cell(person.get("name")), csv_cell(person.get("matriculation")),
                     "", Status.MISSING.value, *blank, "", *(["", ""] if late else []), "",
                     *([""] * len(extra)), "",
                     csv_cell("no submission" + (f" ({person['email']})" if person.get("email")
                                                 else ""))])
    writer.writerows(rows)
    return atomic_write(path, buffer.getvalue().encode("utf-8"))
