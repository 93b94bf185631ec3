"""Typed results: round trips, the previous schema, bounds on what the kernel can make grow."""
import json

from grader.result import (RESULT_LIMIT, CheckResult, Status, SubmissionResult, TaskResult,
                           clip)


def _result():
    check = CheckResult(id="c0", label="`relu` on hidden inputs", max=2.0, public=False,
                        points=0.0, status=Status.FAILED, messages=["wrong values"])
    task = TaskResult(tag="task_9_2", title="ReLU", max=2.0, checks=[check])
    return SubmissionResult(file="Assignment_9_A_12345678.ipynb", assignment=9, max=2.0,
                            tasks={"task_9_2": task}, extra={"lms": {"user_id": "7"}})


def test_round_trip_keeps_everything():
    result = _result().finish()
    again = SubmissionResult.from_dict(json.loads(result.to_json()))
    assert again.to_dict() == result.to_dict()
    assert again.tasks["task_9_2"].checks[0].status is Status.FAILED
    assert again.extra == {"lms": {"user_id": "7"}}


def test_schema_1_grader_failures_are_read_as_failures():
    old = {"schema": "nncourse-result/1", "file": "x.ipynb", "status": "rejected",
           "error": "grader failure: BrokenPipeError", "tasks": {}}
    result = SubmissionResult.from_dict(old)
    assert result.status is Status.FAILED_GRADER and not result.final
    rejected = SubmissionResult.from_dict({**old, "error": "the file is empty"})
    assert rejected.status is Status.REJECTED and rejected.final


def test_a_huge_result_is_cut_with_a_note():
    result = _result()
    result.tasks["task_9_2"].checks *= 30
    for check in result.tasks["task_9_2"].checks:
        check.messages = ["x" * 5000] * 20           # as if something had not been clipped
    text = result.to_json()
    assert len(text) < RESULT_LIMIT * 1.2
    assert "cut" in " ".join(json.loads(text)["flags"])


def test_clip_makes_one_short_line():
    assert clip("a\nb   c") == "a b c"
    assert len(clip("y" * 5000)) == 400
