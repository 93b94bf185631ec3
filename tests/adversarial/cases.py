"""The adversarial cases and their expected outcomes: the one table of the reliability suite.

Every case is one bad thing a submission does. Cases sharing a ``file`` are put into the same
generated notebook (in different tasks, chosen so they do not interfere), which keeps the batch
small; every task of a graded file that no case names must keep full marks ("the other tasks
are still graded"). ``make_corpus.py`` builds the files, ``tests/test_adversarial.py`` grades
them in one batch together with correct submissions and checks every row.

Columns
  name     unique id (the pytest id)
  group    the row of issue 8's table the case belongs to
  file     student name in the generated file name ``Assignment_<N>_<file>_<digits>.ipynb``
           (malformed-file cases may use other names, see make_corpus.FILE_NAMES)
  task     position of the task in the assignment (0 = first, -1 = last), a task tag such as
           "task_2_2" (the case then exists only for that assignment), or None for the whole file
  build    how it is made: "cell:<kind>" replaces the task cell's source, "nb:<kind>" edits
           the notebook, "file:<kind>" writes the file itself (see make_corpus.BUILDERS)
  points   expected points: a number; "full" (the task's or the assignment's maximum);
           "wrong" (exactly what the plain wrong answer of the control file gets on that task:
           tricks must not add anything); "below max" (every task below its maximum);
           "any" (not checked)
  status   expected task status (ok, error, missing, not code, timeout, crashed) or, for a
           whole file, the submission status (graded, rejected); "a|b" allows either
  message  a fragment expected in the task's messages (its own and its checks') or the
           file's flags, or, for a whole file, in the submission's error or flags; "" when any
           wording is fine; several fragments are joined by " && ", and "!" before one means
           it must not appear
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    name: str
    group: str
    file: str
    task: object
    build: str
    points: object
    status: str
    message: str = ""

    @property
    def only(self):
        """The assignment a case is limited to (a task given by tag), else None."""
        if isinstance(self.task, str):
            return int(self.task.split("_")[1])
        return None


# Correct submissions mixed into the same batch (sorted names put them first, in the middle
# and last); all of them must keep full marks.
CORRECT = ("AaGood", "MmGood", "ZzGood")
# A correct submission that other cases try to read or overwrite.
VICTIM = "Victim"
# The control: every task answered wrongly (right types and shapes, wrong values), no tricks.
CONTROL = "Wrong"

CHECKERS, LIARS, HIDDEN = "wrong + patched checkers", "lying values", "hidden errors"
TAGS, FORGED, SECRETS = "tag tricks", "forged verdicts", "reading secrets"
EXITS, HANGS, BOMBS = "exits", "hangs", "bombs"
NETWORK, MALFORMED = "network", "malformed files"
TRUST = "trust boundary"

C = Case
CASES = [
    C("control-wrong-answers", CHECKERS, CONTROL, None, "nb:spoil-all", "below max", "graded"),

    # -- wrong answers with the usual comparison functions patched to always agree
    C("patched-np-allclose", CHECKERS, "Checkers", 0, "cell:patch-numpy", "wrong", "ok"),
    C("patched-math-isclose", CHECKERS, "Checkers", 2, "cell:patch-math", "wrong", "ok"),
    C("patched-torch-allclose", CHECKERS, "Checkers", 3, "cell:patch-torch", "wrong", "ok"),
    C("patched-np-testing", CHECKERS, "Checkers", 4, "cell:patch-testing", "wrong", "ok"),
    C("patched-builtins-isinstance", CHECKERS, "Checkers", -1, "cell:patch-isinstance",
      "wrong", "ok|error"),
    # len() patched to lie only inside the grader's probe code: a format check computed in
    # the kernel (is it a list of 3 numbers?) is fooled, though no function was written
    C("patched-len-fools-format-probe", CHECKERS, "Checkers", "task_2_2", "cell:len-liar", 0.0,
      "ok"),

    # -- answers that are not plain data but claim to be right
    C("eq-always-true-objects", LIARS, "Liars", 0, "cell:lie-yes", 0.0, "ok",
      "an object of type"),
    C("float-subclass", LIARS, "Liars", 1, "cell:lie-float", 0.0, "ok", ""),
    # not 0: the answer keeps its arguments unchanged, which one check asks for; its values
    # are refused, which the message shows
    C("ndarray-subclass", LIARS, "Liars", 2, "cell:lie-ndarray", "any", "ok",
      "does not accept"),
    C("zero-d-object-arrays", LIARS, "Liars", 4, "cell:lie-object", 0.0, "ok",
      "does not accept"),
    C("object-array-booleans", LIARS, "Liars", -1, "cell:lie-object", 0.0, "ok", ""),

    # -- errors the cell tries to hide from the grader
    C("replaced-showtraceback", HIDDEN, "Hidden", 0, "cell:hide-showtraceback", 0.0, "error",
      "NotImplementedError"),
    C("set-custom-exc", HIDDEN, "Hidden", 1, "cell:hide-custom-exc", 0.0, "error",
      "NotImplementedError"),
    C("patched-excepthook", HIDDEN, "Hidden", 2, "cell:hide-excepthook", 0.0, "error",
      "NotImplementedError"),
    # these reach into later cells, so each sits in the last task of its own file
    C("input-transformers-post", HIDDEN, "HideTransformer", -1, "cell:hide-transformer", 0.0,
      "error", "NotImplementedError"),
    C("patched-run-cell", HIDDEN, "HideRunCell", -1, "cell:hide-run-cell", 0.0, "error",
      "NotImplementedError"),
    # the runtime's error description is the student's now, but the error still counts
    C("patched-grader-runtime", HIDDEN, "HideRuntime", -1, "cell:hide-runtime", 0.0, "error",
      "your cell raised"),

    # -- tags, outputs, kernelspec and cells outside the task cells
    C("kernelspec-bash-and-tags", TAGS, "Tags", None, "nb:tag-tricks", "any", "graded"),
    C("skip-execution-tag-still-runs", TAGS, "Tags", 0, "nb:skip-execution", "full", "ok"),
    C("prebaked-passed-outputs", TAGS, "Tags", 1, "nb:prebaked-outputs", "wrong", "ok"),
    C("answer-in-extra-cell", TAGS, "Tags", 2, "nb:extra-cell", 0.0, "ok|error"),
    C("answer-smuggled-into-imports-cell", TAGS, "Tags", -1, "nb:edited-imports", 0.0, "ok"),

    # -- fake verdicts and result files
    # so many fake reports that the grader stops reading: the cell itself is interference
    C("printed-and-displayed-fake-results", FORGED, "Forger", 0, "cell:forge-output", 0.0,
      "ok|error|interfered"),
    C("result-files-in-cwd-tmp-and-out", FORGED, "Forger", 3, "cell:forge-files", 0.0, "error",
      "forge report: no grader folder writable"),
    # the nonce of the grader's cell is on the call stack of the student's function; forged
    # reports for every check, then the kernel is killed so the real ones never come
    C("sniffed-nonce-forged-reports", FORGED, "Forger", "task_2_2", "cell:forge-nonce", 0.0,
      "ok|crashed"),

    # the kernel signs its messages with a key of the student's choice: the grader must not
    # lose the other tasks over one unreadable message
    C("messages-signed-with-a-wrong-key", FORGED, "BadKey", -1, "cell:wrong-key", 0.0,
      "crashed|error"),

    # -- the trust review's attacks (issue 12): nothing of the grader's trusted side, and no
    # other task's checks, can be found from the kernel; what comes back is bounded
    C("other-tasks-checks-and-references-in-first-cell", TRUST, "Request", 0,
      "cell:request-snoop", 0.0, "error", "request report: nothing reachable"),
    C("earlier-tasks-checks-in-last-cell", TRUST, "Request", -1, "cell:request-snoop", 0.0,
      "error", "request report: nothing reachable"),
    C("borrow-a-reference-from-the-probes-frames", TRUST, "Borrow", "task_2_7", "cell:borrow",
      0.0, "ok"),
    C("borrow-layers-from-the-probes-frames", TRUST, "Borrow", "task_2_6", "cell:borrow",
      0.0, "ok"),
    C("borrow-in-a-numpy-task", TRUST, "Borrow", 1, "cell:borrow", 0.0, "ok"),
    C("megabyte-type-names-and-messages", TRUST, "BigNames", 2, "cell:huge-texts", 0.0, "ok"),
    C("report-flood-from-a-thread", TRUST, "Flood", 1, "cell:report-flood", 0.0,
      "error|interfered|timeout|crashed"),
    # the kernel is replaced after such a task, so the file's other tasks are graded as usual
    C("malformed-reports", TRUST, "Malformed", 3, "cell:malformed-reports", 0.0, "interfered",
      "interfered with the grader && !grader failure"),

    # -- secrets the sandbox must hide
    C("read-solutions-specs-others-env", SECRETS, "Snoop", 1, "cell:snoop", 0.0, "error",
      "snoop report: nothing reachable"),

    # -- the kernel goes away
    C("sys-exit", EXITS, "Exits", 0, "cell:sys-exit", 0.0, "error|crashed", "SystemExit"),
    # IPython's exit() only asks the front end to stop; the cell goes on (and defines nothing)
    C("exit-builtin", EXITS, "Exits", 1, "cell:exit", 0.0, "ok|error|crashed", ""),
    C("os-exit", EXITS, "Exits", 2, "cell:os-exit", 0.0, "crashed", "kernel died"),
    C("kill-own-kernel", EXITS, "Exits", 3, "cell:kill-9", 0.0, "crashed", "kernel died"),
    C("os-abort", EXITS, "Exits", 4, "cell:abort", 0.0, "crashed", "kernel died"),

    # -- cells that never finish (the test configuration uses a short cell timeout)
    C("busy-loop", HANGS, "Hangs", 0, "cell:busy-loop", 0.0, "timeout", "exceeded"),
    C("busy-loop-sigint-ignored", HANGS, "Hangs", 1, "cell:sigint-loop", 0.0, "timeout",
      "exceeded"),
    C("function-hangs-when-checked", HANGS, "Hangs", 2, "cell:hang-in-function", 0.0, "ok",
      "exceeded"),
    C("sleep-forever", HANGS, "Hangs", 3, "cell:sleep", 0.0, "timeout", "exceeded"),
    C("deadlock", HANGS, "Hangs", 4, "cell:deadlock", 0.0, "timeout", "exceeded"),

    # -- resource bombs
    C("allocate-50-gb", BOMBS, "Bombs", 0, "cell:memory", 0.0, "error|crashed", "MemoryError"),
    # stopped by the cell timeout, or by the memory limit when output piles up faster than the
    # grader reads it
    C("print-forever", BOMBS, "Bombs", 1, "cell:print-forever", 0.0, "timeout|crashed|error", ""),
    C("write-10-gb", BOMBS, "Bombs", 2, "cell:big-file", 0.0, "error",
      "; no large writable folder"),
    C("create-100000-files", BOMBS, "Bombs", 3, "cell:many-files", 0.0, "error",
      "No space left"),
    # the memory limit is per process; forked children must not multiply it (a limit that
    # holds may also stall or kill the kernel: any stop is fine, holding too much is not)
    C("memory-in-forked-processes", BOMBS, "Bombs", 4, "cell:memory-in-processes", 0.0,
      "error|timeout|crashed", "!beyond the limit && !undecided"),
    C("fork-bomb", BOMBS, "Bombs", 5, "cell:fork-bomb", 0.0, "timeout|crashed", ""),
    # right after the fork bomb: a correct cell that forks a daemon must work as usual
    C("daemon-outlives-kernel", BOMBS, "Bombs", 6, "cell:daemon", "full", "ok"),
    C("thread-bomb", BOMBS, "Bombs", 7, "cell:thread-bomb", 0.0, "error", "thread"),

    # -- network
    C("outbound-grader-ports-dns", NETWORK, "Snoop", 0, "cell:network", 0.0, "error",
      "network report: nothing reachable"),

    # -- files that are broken, odd or not what they claim
    C("invalid-json", MALFORMED, "BadJson", None, "file:invalid-json", 0.0, "rejected",
      "not valid JSON"),
    C("zero-bytes", MALFORMED, "Empty", None, "file:empty", 0.0, "rejected", "empty"),
    C("300-mb", MALFORMED, "Huge", None, "file:huge", 0.0, "rejected", "limit is"),
    C("not-utf8", MALFORMED, "Latin", None, "file:latin1", 0.0, "rejected", "not UTF-8"),
    C("nbformat-3", MALFORMED, "Old", None, "file:nbformat3", 0.0, "rejected", "format 3"),
    C("json-but-not-a-notebook", MALFORMED, "List", None, "file:json-list", 0.0, "rejected",
      "not a Jupyter notebook"),
    C("cell-metadata-not-a-dict", MALFORMED, "BadMeta", None, "file:bad-metadata", 0.0,
      "rejected", "!grader failure"),
    C("another-assignments-notebook", MALFORMED, "Other", None, "file:other-assignment", 0.0,
      "rejected", "notebook of assignment"),
    C("symlink-to-the-solution", MALFORMED, "Link", None, "file:symlink", 0.0, "rejected", ""),
    C("wrong-file-name", MALFORMED, "WrongName", None, "file:wrong-name", "full", "graded",
      "file name does not match"),
    C("hostile-file-name", MALFORMED, "Hostile", None, "file:hostile-name", "full", "graded",
      "file name does not match"),
    C("task-cell-turned-markdown", MALFORMED, "Cells", 0, "nb:markdown", 0.0, "not code",
      "not a code cell"),
    C("task-cell-deleted", MALFORMED, "Cells", 1, "nb:delete", 0.0, "missing", "no cell"),
    C("task-tag-duplicated", MALFORMED, "Cells", 2, "nb:duplicate", "full", "ok",
      "cells are tagged"),
    C("task-tag-removed-id-kept", MALFORMED, "Cells", 3, "nb:untag", "full", "ok",
      "found by its cell id"),
]

def by_name():
    names = [c.name for c in CASES]
    assert len(set(names)) == len(names), "case names must be unique"
    return {c.name: c for c in CASES}
