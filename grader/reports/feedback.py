"""``feedback/<stem>.html`` and ``.md``: what one student reads about one submission.

The templates are ``templates/feedback.html.j2`` (autoescaped) and ``feedback.md.j2``
(every value escaped for Markdown). At the top, :func:`origins` says where problems came
from (the file, the grader, the code); then points per task and check; then, where the
assignment has written questions, each answer's points, the rubric items it met and the
marker's comment.
"""
from __future__ import annotations

import re
from pathlib import Path

from ..result import STOPPED, Status, SubmissionResult, TaskResult
from ..submission import STRUCTURE_LOST
from .files import as_result, atomic_write, stem
from .late import final_points, late_line
from .text import HTML, MARKDOWN, sentence, task_tags

TASK_STATUS = {   # what a task status means, in the student's words
    Status.OK: "ran",
    Status.ERROR: "your cell raised an error",
    Status.MISSING: "no cell with this task's tag",
    Status.NOT_CODE: "the task's cell is not a code cell",
    Status.TIMEOUT: "stopped by the grader: time limit exceeded",
    Status.CRASHED: "stopped by the grader: the Python kernel crashed",
    Status.SKIPPED: "not run by the grader",
}
WHY_STOPPED = {Status.TIMEOUT: "time limit exceeded",   # the grader, not a verdict, ended these
               Status.CRASHED: "the kernel crashed", Status.SKIPPED: "not run"}
CODE_PROBLEMS = (Status.ERROR, Status.MISSING, Status.NOT_CODE, Status.INTERFERED)
WRITTEN_STATE = {   # a written answer's state, in the student's words
    Status.MARKED: "marked",
    Status.PENDING: "not marked yet",
    Status.STALE: "not marked yet",
    Status.UNCHANGED: "not answered (still as handed out)",
    Status.MISSING: "no answer cell found",
}
ORIGIN_TITLES = {"file": "Problem with the submitted file.",
                 "grader": "The grader stopped your code.",
                 "failure": "The grader failed.",
                 "code": "Problems in your code.",
                 "blank": "Nothing was answered.",
                 "unanswered": "Not answered.",
                 "note": "Note about the submission:",
                 "ok": "No problems."}


def origins(result) -> list[tuple[str, str]]:
    """Where the problems in a result came from, as ``(kind, text)`` for the top of the
    feedback; kind is "file", "failure" (of the grader), "grader" (it stopped the
    student's code), "blank" (no task answered), "code", "unanswered", "note" or "ok"."""
    result = as_result(result)
    error = result.error or ""
    if result.status is Status.FAILED_GRADER:
        return [("failure", f"The grader itself failed on your file ({error}). This is not "
                 "a problem with your work; your tutor will look into it.")]
    if result.status is Status.REJECTED:
        return [("file", "Your file could not be graded: "
                 f"{result.error or 'unknown reason'}. This is a problem with the "
                 "submitted file itself, not with particular answers, so no task was marked. "
                 "Please check that you submitted the right .ipynb file; ask your tutor "
                 "if in doubt.")]
    tasks, flags = result.tasks, result.flags
    lost_structure = any(str(f).startswith(STRUCTURE_LOST) for f in flags)
    found = [("note", flag) for flag in flags if not str(flag).startswith(STRUCTURE_LOST)]
    if lost_structure:
        found.insert(0, ("file", "Your notebook's structure was lost: its cells no longer "
                         "carry the task tags and ids the grader finds your answers by (some "
                         "editors and converters remove them), so no task cell could be "
                         "found and no task was marked. This is not a problem with your code. "
                         "Please open the original assignment notebook in Jupyter, copy your "
                         "answers into it, save and submit that file."))
    stopped = [f"{t.title} ({WHY_STOPPED[t.status]})" for t in tasks.values()
               if t.status in STOPPED]
    if stopped:
        found.append(("grader", "The grader stopped or did not run your code in: "
                      + "; ".join(stopped) + ". Checks that could not run got no points. "
                      "A time limit or crash usually means an endless loop, a very slow "
                      "computation or too much memory."))
    blank = [tag for tag, t in tasks.items() if t.status not in STOPPED
             and as_handed_out(tag, t)]
    if tasks and len(blank) == len(tasks):
        return found + [("blank", "Every task is still as it was handed out, so every task "
                         "scored 0 (this is not about errors in your code). If you did work "
                         "on this assignment, check that you saved the notebook before "
                         "submitting it and that you submitted the right file.")]
    lost = [t.title for tag, t in tasks.items()
            if t.status not in STOPPED     # those were reported just above
            and tag not in blank
            and not (lost_structure and t.status is Status.MISSING)  # the file's fault
            and (t.status in CODE_PROBLEMS
                 or any(c.status is not Status.PASSED for c in t.checks))]
    if lost:
        found.append(("code", "Points were lost because of your code or its results in: "
                      + sentence("; ".join(lost)) + " The details are below."))
    if blank:
        found.append(("unanswered", "Still as handed out, so not marked: "
                      + sentence("; ".join(tasks[tag].title for tag in blank))))
    if not stopped and not lost and not blank and not lost_structure:
        found.append(("ok", "All of your code ran and every check passed."))
    return found


def as_handed_out(tag: str, task) -> bool:
    """Whether a task's verdicts show it unanswered: no points, no check passed, and the
    checks met the stub release put there (``NotImplementedError("Task 1.2: ...")``) or a
    None answer. Inferred from the messages: the result does not keep the student's code."""
    if not isinstance(task, TaskResult):
        task = TaskResult.from_dict(tag, task)
    checks = task.checks
    if task.points or not checks or any(c.status is Status.PASSED for c in checks):
        return False
    number = re.fullmatch(r"task_(\d+)_(\d+)", tag)
    stub = r"raised NotImplementedError" + (rf".*Task {number[1]}\.{number[2]}:" if number
                                            else "")
    messages = " ".join(m for c in checks for m in c.messages)
    return bool(re.search(stub, messages) or re.search(r"\b(is|are) None\b|: not answered\b",
                                                        messages))


def _written(result: SubmissionResult) -> list[dict]:
    """The written answers as the templates show them: points, state, rubric items met and
    not met, the marker's comment (never the marker's name, nor the model answer)."""
    shown = []
    for tag, answer in result.written.items():
        ticked = set(answer.criteria) if answer.state is Status.MARKED else set()
        shown.append({
            "tag": tag, "title": answer.title, "max": answer.max,
            "number": ".".join(tag.split("_")[1:]),
            "points": answer.points if answer.state is Status.MARKED
            else (0.0 if answer.state in (Status.UNCHANGED, Status.MISSING) else None),
            "state": WRITTEN_STATE.get(answer.state, ""),
            "rubric": [{**item, "met": item.get("id") in ticked} for item in answer.rubric]
            if answer.state is Status.MARKED else [],
            "comment": answer.comment if answer.state is Status.MARKED else ""})
    return shown


def _context(result: SubmissionResult) -> dict:
    data = result.to_dict()                             # the late policy reads the dict
    late = late_line(data) if result.extra.get("late") else None
    fraction = float((result.extra.get("late") or {}).get("fraction") or 0)
    number = result.assignment
    written = _written(result)
    return {"r": result, "student": result.student,
            "late": late, "final": final_points(data) if late and fraction else None,
            "tasks": {tag: result.tasks[tag] for tag in task_tags([result])},
            "written": written,
            "pending": sum(w["points"] is None for w in written),
            "origins": origins(result),
            "heading": (f"Feedback on Assignment {number}" if number is not None
                        else "Feedback on your submission"),
            "Status": Status, "STATUS": TASK_STATUS, "ORIGIN_TITLES": ORIGIN_TITLES}


def write_feedback(result, out_dir) -> list[Path]:
    """Write ``feedback/<stem>.html`` and ``.md`` for one result (or its dict)."""
    result = as_result(result)
    folder, name = Path(out_dir) / "feedback", stem(result.file)
    context = _context(result)
    return [atomic_write(folder / f"{name}.html",
                         HTML.get_template("feedback.html.j2").render(context).encode()),
            atomic_write(folder / f"{name}.md",
                         MARKDOWN.get_template("feedback.md.j2").render(context).encode())]
