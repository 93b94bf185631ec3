"""What every assignment shares, tested once for all five: the spec against its solution notebook,
the requirement table and its mistake variants, the solution and the released student notebook
graded in process and in the real sandbox, the solution notebook run top to bottom.

Each test is parametrised by assignment (ids ``a1`` to ``a5``) and, where it grades one task or
one variant, by task and variant (``a2-task_2_3-R4-some_name``). What differs between the
assignments is data (:data:`ASSIGNMENTS`), not branches. Tests about one assignment only (its
references against torch, its trust findings, its attacks) live in tests/test_assignment_<N>.py.
"""
import functools
import importlib
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import nbformat
import pytest

import assignment_kit

from grader.specs import load_spec
from grader.specs.a1_xor import TRUE_FALSE as A1_TRUE_FALSE
from grader.testing import grade_in_process

REPO = assignment_kit.REPO
tags = assignment_kit.tags
why = assignment_kit.why

# An expected value or the size of an error, in a hidden check's message: a decimal number, a
# percentage, a number in e-notation, "expected" followed by a value or an array.
REVEALING = re.compile(r"\d\.\d|\d%|\de-?\d|expected -?\d|expected \[|largest error")
MARKING = r"\(-?\d+(\.\d+)? points?\)"        # "(-0.5 points)": the marking, not a value
PLACEHOLDER = "> **Your answer:**\n>\n> *Double-click this cell to write your answer here.*"


def _a1_noisy_xor_is_learnt(nb):
    noisy = next(c for c in nb.cells if "make_noisy_xor(200, 0.1" in c.source)
    line = "".join(o.get("text", "") for o in noisy.outputs if o.output_type == "stream")
    assert float(line.split("test accuracy")[1].split()[0]) > 0.95, line


def _fake_fashion_mnist(folder):
    subprocess.run([sys.executable, str(REPO / "data" / "fake_fashion_mnist.py"), str(folder)],
                   check=True, capture_output=True)


def _task_rows(number, count):
    """The header's table has a row per task: ``| 3.1 |``."""
    return tuple(f"| {number}.{k} |" for k in range(1, count + 1))


@dataclass(frozen=True)
class Assignment:
    """What the shared tests need to know about one assignment."""
    number: int
    variants: str                      # module of tests/variants with WRONG and RIGHT
    topic: str                         # the notebook's metadata and SPEC.topic
    split: tuple                       # (code points, written points)
    header: tuple = ()                 # phrases the solution's first cell states, besides the rules
    points_column: int = -2            # the header table's column of points
    true_false: tuple = ()             # tasks marked by negative checks only: nothing public
    without_public: tuple = ()         # other tasks without a public check
    released_has: tuple = ()           # in the released notebook
    released_lacks: tuple = ()         # nowhere in the released notebook
    released_lacks_in_tasks: tuple = ()   # in none of its task cells
    released_counts: dict = field(default_factory=dict)   # {text: at least this often}
    placeholder: str = PLACEHOLDER     # each written answer's cell in the released notebook
    # hidden messages: what may look like a number (stripped before REVEALING is applied)
    allowed_in_messages: tuple = ()
    strip_labels_and_code: bool = False   # a message may quote its label and `code`
    errors_quote_exceptions: bool = False   # a check that ended in an error quotes the exception
    # the solution notebook run top to bottom here (False: tested in its own module); how long
    # it takes is measured by benchmarks/notebooks.py, not here
    run_notebook: bool = False
    prepare_data: Callable | None = None   # writes the notebook's data into a folder
    printed: tuple = ()
    after_run: Callable | None = None

    @property
    def id(self):
        return f"a{self.number}"

    @functools.cached_property
    def spec(self):
        return load_spec(self.number)

    @functools.cached_property
    def wrong(self):
        return importlib.import_module(f"variants.{self.variants}").WRONG

    @functools.cached_property
    def right(self):
        return importlib.import_module(f"variants.{self.variants}").RIGHT

    @property
    def solution_path(self):
        return REPO / "solutions" / self.spec.solution_name

    @property
    def tags(self):
        return [task.tag for task in self.spec.tasks]


ASSIGNMENTS = [
    Assignment(
        1, "a1_xor", "XOR", (70, 30), header=("self-contained",), true_false=("task_1_3",),
        released_has=("X_xor = None", "W1_xor = None", "b2_xor = None", "output_choices = None",
                      *(f"{name} = None" for name in A1_TRUE_FALSE),
                      'raise NotImplementedError("Task 1.8: implement train_xor")'),
        released_lacks_in_tasks=("theta = np.linalg.lstsq", "loss.backward()"),
        # the statement's numbers (the labels 0.0 and 1.0, the threshold 0.5, lr = 1.0) and
        # the bar a check sets ("no run reached 95% accuracy")
        allowed_in_messages=(r"(?<![\d.])(0\.0|0\.5|1\.0)(?![\d.])", r"reached 95% accuracy"),
        run_notebook=True, after_run=_a1_noisy_xor_is_learnt),
    Assignment(
        2, "a2_backprop", "Backpropagation", (70, 30), header=("self-contained",),
        true_false=("task_2_12",),
        released_has=("dL_dw32 = None", "tf_zero_init = None",
                      'raise NotImplementedError("Task 2.6: implement Linear.backward")'),
        released_lacks_in_tasks=("-0.1",),
        # the statement's constants, and numbers in the label or in `code` the message quotes
        allowed_in_messages=(re.escape("[1e-12, 1 - 1e-12]"), re.escape("(p >= 0.5)"), MARKING),
        strip_labels_and_code=True,
        run_notebook=True),
    Assignment(
        3, "a3_vanishing_gradients", "Vanishing_Gradients", (70, 30),
        header=_task_rows(3, 11), true_false=("task_3_5",),
        released_has=("sigmoid_grad_max = None", "tf_relu_always_fixes = None",
                      'raise NotImplementedError("Task 3.3: implement train_epoch")',
                      'raise NotImplementedError("Task 3.10: implement activation_grad")',
                      'raise NotImplementedError("Task 3.11: implement batch_norm")',
                      "download=True"),
        released_lacks=("fake_fashion_mnist", "instructor notes"),
        # the init options' names; a list's length ("has length 4, expected 3")
        allowed_in_messages=(r"normal_0\.0?1", MARKING, r"has length \d+, expected \d+"),
        run_notebook=True, prepare_data=_fake_fashion_mnist,
        printed=("640 training and 200 test images",)),
    Assignment(
        4, "a4_optimizers", "Optimizers", (70, 30), header=("self-contained",),
        points_column=-3, true_false=("task_4_13",),
        without_public=("task_4_2",),      # tuned settings: a public check would be the answer
        released_has=("my_step_size = None", "tf_adam_l2_equals_decay = None",
                      'raise NotImplementedError("Task 4.4: implement Adam.step")',
                      'raise NotImplementedError("Task 4.10: implement EarlyStopping.restore")',
                      "400.0,0.0001575"),                      # the embedded data stays
        released_lacks=("copy.deepcopy(model.state_dict())",),
        allowed_in_messages=(re.escape("momentum=0.9"), MARKING),   # the statement's setting
        run_notebook=True, printed=("Eckerle4: 35 points",)),
    Assignment(
        5, "a5_training_in_practice", "Training_in_Practice", (80, 20),
        header=_task_rows(5, 11),
        released_lacks=("write_fake_cifar10", "when_done", "small_cnn_logits"),
        released_counts={"if done(": 20},
        placeholder="> **Your answer:**\n>\n> *Your answer here.*",
        # "In PyTorch 2.6 ...": the student's code's or a library's own text
        errors_quote_exceptions=True),
    # Assignment 5's notebook run (in a working folder of its own, with its event files and
    # checkpoints checked) is tested in test_assignment_5_notebook.py.
]
BY_NUMBER = {a.number: a for a in ASSIGNMENTS}
RUN = [a for a in ASSIGNMENTS if a.run_notebook]


def _per_task(table_of):
    return [(a, tag, name) for a in ASSIGNMENTS for tag, cases in table_of(a).items()
            for name, _ in cases]


WRONG_CASES = _per_task(lambda a: a.wrong)
RIGHT_CASES = _per_task(lambda a: a.right)
TASK_CASES = [(a, tag) for a in ASSIGNMENTS for tag in a.tags]


def _ids(cases):
    return ["-".join([c[0].id, *c[1:]]) for c in cases]


each_assignment = pytest.mark.parametrize("a", ASSIGNMENTS, ids=[a.id for a in ASSIGNMENTS])


@pytest.fixture(scope="module", autouse=True)
def like_a_grading_kernel():
    """Grading kernels run torch with one thread and with each SPEC.preload already imported
    (torch.optim's first optimizer imports torch._dynamo; see grader/sandbox); so do these
    tests, with figures off screen. The probes write event files and checkpoints into fresh
    folders under /tmp: the ones made by this module are removed at its end."""
    os.environ.setdefault("MPLBACKEND", "agg")
    for a in ASSIGNMENTS:
        for module in a.spec.preload:
            importlib.import_module(module)
    import torch
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    before = set(Path("/tmp").glob("nncourse-*"))
    yield
    torch.set_num_threads(threads)
    for folder in set(Path("/tmp").glob("nncourse-*")) - before:
        shutil.rmtree(folder, ignore_errors=True)


@functools.lru_cache(maxsize=None)
def solution(number):
    """(notebook, imports source, {tag: task source}) of the solution."""
    nb = nbformat.read(BY_NUMBER[number].solution_path, as_version=4)
    return (nb, *assignment_kit.notebook_parts(nb))


def grade(a, sources):
    return assignment_kit.grade_cached(a.spec, solution(a.number)[1], sources)


@functools.lru_cache(maxsize=None)
def graded_variant(number, tag, name, table="wrong"):
    """(points, max, results, cell report) of one variant of one task, graded once."""
    a = BY_NUMBER[number]
    source = dict(getattr(a, table)[tag])[name]
    return assignment_kit.grade_one_cached(a.spec, solution(number)[1], tag, source)


def _broken(name):
    """The requirements a wrong variant's name says it breaks: "R1+R3-integer_dtype"."""
    return name.split("-")[0].split("+")


# ---------------------------------------------------------------- the spec and the notebook

@each_assignment
def test_spec_totals_100_and_matches_the_notebook(a):
    spec, (nb, _, tasks) = a.spec, solution(a.number)
    assert (spec.code_points, spec.written_points, spec.points) == (*a.split, 100)
    assert spec.code_points == sum(t.points for t in spec.tasks)
    assert list(tasks) == a.tags
    meta = nb.metadata["nncourse"]
    assert (meta["assignment"], meta["topic"]) == (a.number, spec.topic) == (a.number, a.topic)
    for tag, source in tasks.items():
        points = spec.task(tag).points
        assert points > 0, tag
        assert source.startswith(f"# Task {a.number}.{tag.split('_')[2]} ({points:g} points):"), tag
    code = [c for c in nb.cells if c.cell_type == "code" and "instructor" not in tags(c)]
    assert tags(code[0]) == ["imports"] and tags(code[1]) == ["selfcheck"]
    assert code[1].source == "from grader.selfcheck import check\nfrom grader.demo_cells import done"
    answers = [c for c in nb.cells if "answer" in tags(c)]
    shown = {next(t for t in tags(c) if t.startswith(f"answer_{a.number}_")):
             float(re.search(r"\((\d+) points\)", nb.cells[nb.cells.index(c) - 1].source).group(1))
             for c in answers}
    assert shown == {q.tag: q.points for q in spec.written}


@each_assignment
def test_header_states_rules_and_the_points_table_adds_up(a):
    header = solution(a.number)[0].cells[0].source
    for phrase in (f"Assignment_{a.number}_NameSurname_12345678.ipynb",
                   "Do not add, delete or reorder cells", f'check("task_{a.number}_K")',
                   *a.header):
        assert phrase in header, phrase
    rows = [line.split("|") for line in header.splitlines() if line.startswith("| ")]
    points = [int(r[a.points_column]) for r in rows if r[a.points_column].strip().isdigit()]
    assert sum(points) == 100, points
    total = next(r for r in rows if "**Total**" in "|".join(r))
    assert total[a.points_column].strip() == "**100**", total


@each_assignment
def test_public_checks_have_no_custom_verify_and_hidden_ones_exist(a):
    for task in a.spec.tasks:
        assert any(not c.public for c in task.checks), task.tag
        assert all(c.verify is None for c in task.checks if c.public), task.tag
    unchecked = [t.tag for t in a.spec.tasks if not any(c.public for c in t.checks)]
    assert unchecked == sorted([*a.true_false, *a.without_public], key=a.tags.index)
    for tag in a.true_false:          # True/False answers: nothing to check publicly
        assert all(c.negative for c in a.spec.task(tag).checks), tag


@each_assignment
def test_every_requirement_is_covered_by_a_check_that_can_cost_points(a):
    for task in a.spec.tasks:
        ids = set(task.requirements)
        assert ids, f"{task.tag} lists no requirements"
        assert all(re.fullmatch(r"R\d+", r) for r in ids), task.tag
        assert all(check.covers for check in task.checks), task.tag
        named = {r for check in task.checks for r in check.covers}
        assert named <= ids, (task.tag, "covers unknown", named - ids)
        costly = {r for check in task.checks if check.points > 0 for r in check.covers}
        assert costly == ids, (task.tag, "no check that can cost points covers", ids - costly)


@each_assignment
def test_every_requirement_has_a_wrong_variant_named_after_it_and_every_task_two_right_ones(a):
    assert set(a.wrong) == set(a.right) == set(a.tags)
    for task in a.spec.tasks:
        ids = set(task.requirements)
        names = [name for name, _ in a.wrong[task.tag]]
        assert all(re.fullmatch(r"R\d+(\+R\d+)*-[A-Za-z0-9_.+-]+", n) for n in names), names
        assert len(set(names)) == len(names), task.tag
        assert all(set(_broken(n)) <= ids for n in names), (task.tag, names)
        alone = {_broken(n)[0] for n in names if len(_broken(n)) == 1}
        assert ids <= alone, (task.tag, "no variant breaks only", ids - alone)
        assert len(names) >= 2, task.tag
        assert len(a.right[task.tag]) >= 2, task.tag


# ---------------------------------------------------------------- the solution, in process

@each_assignment
def test_solution_gets_full_marks_in_process(a):
    _, imports, tasks = solution(a.number)
    started = time.perf_counter()
    graded = grade_in_process(a.spec, imports, tasks)
    seconds = time.perf_counter() - started
    for tag, (points, results, cell) in graded.items():
        assert cell["ok"], (tag, cell)
        assert points == a.spec.task(tag).points, (tag, why(results))
    print(f"in-process grading of the solution: {seconds:.2f} s")


# ---------------------------------------------------------------- mistake variants

@pytest.mark.parametrize("a,tag,name", WRONG_CASES, ids=_ids(WRONG_CASES))
def test_wrong_variant_fails_a_check_of_its_requirement(a, tag, name):
    """It loses points, with a message, on a check that covers each requirement it breaks."""
    points, maximum, results, _ = graded_variant(a.number, tag, name)
    assert points < maximum, f"{tag}/{name} kept full marks"
    assert why(results), f"{tag}/{name} lost points without a message"
    failed = {r for check, result in zip(a.spec.task(tag).checks, results)
              if result.points < result.max for r in check.covers}
    assert set(_broken(name)) <= failed, (name, failed, why(results))


@pytest.mark.parametrize("a,tag,name", WRONG_CASES, ids=_ids(WRONG_CASES))
def test_hidden_messages_of_a_mistake_reveal_no_values(a, tag, name):
    """Every failed hidden check says what is wrong; no hidden message shows an expected value
    or the size of an error."""
    _, _, results, _ = graded_variant(a.number, tag, name)
    for result in results:
        if result.public:
            continue
        if result.points < result.max:
            assert result.messages, (name, result.label)
        if a.errors_quote_exceptions and result.status.value == "error":
            continue
        for message in result.messages:
            text = message
            if a.strip_labels_and_code:
                text = re.sub(r"`[^`]*`", "", text.replace(result.label, ""))
            for allowed in a.allowed_in_messages:
                text = re.sub(allowed, "", text)
            assert not REVEALING.search(text), (name, message)


@pytest.mark.parametrize("a,tag,name", RIGHT_CASES, ids=_ids(RIGHT_CASES))
def test_right_variant_keeps_full_marks(a, tag, name):
    points, maximum, results, cell = graded_variant(a.number, tag, name, "right")
    assert cell["ok"], cell
    assert points == maximum, (name, why(results))


@pytest.mark.parametrize("a,round_", [(a, r) for a in ASSIGNMENTS for r in (0, 1)],
                         ids=[f"{a.id}-round{r}" for a in ASSIGNMENTS for r in (0, 1)])
def test_a_mistake_in_every_task_costs_every_task(a, round_):
    graded = grade(a, {tag: a.wrong[tag][round_][1] for tag in a.tags})
    lost = [t for t in a.tags if graded[t][0] < a.spec.task(t).points]
    assert lost == a.tags, set(a.tags) - set(lost)


@pytest.mark.parametrize("a,tag", TASK_CASES, ids=_ids(TASK_CASES))
def test_mistakes_stay_in_their_own_task(a, tag):
    """The solution with one mistake (the first, second and last variant in turn) in one task:
    that task loses points and every other keeps its full marks."""
    tasks = solution(a.number)[2]
    for index in sorted({0, 1, len(a.wrong[tag]) - 1}):
        graded = grade(a, dict(tasks, **{tag: a.wrong[tag][index][1]}))
        lost = [t for t in a.tags if graded[t][0] < a.spec.task(t).points]
        assert lost == [tag], (a.wrong[tag][index][0], lost)


# ---------------------------------------------------------------- the released notebook

@each_assignment
def test_released_notebook_has_stubs_and_no_answers(a, released_notebook):
    nb = nbformat.read(released_notebook(a.number)[1], as_version=4)
    text = "\n".join(c.source for c in nb.cells)
    for absent in ("### BEGIN SOLUTION", "### END SOLUTION", "Model answer",
                   "ref_", "verify_", *a.released_lacks):     # ref_, verify_: trusted code
        assert absent not in text, absent
    for present in a.released_has:
        assert present in text, present
    for present, least in a.released_counts.items():
        assert text.count(present) >= least, present
    cells = {t: c.source for c in nb.cells for t in tags(c) if t.startswith("task_")}
    assert list(cells) == a.tags
    for tag, source in cells.items():      # every task cell is a stub
        stub = f'raise NotImplementedError("Task {a.number}.{tag.split("_")[2]}:'
        assert stub in source or re.search(r"^\w+ = None", source, re.M), tag
        assert not [t for t in a.released_lacks_in_tasks if t in source], tag
    answers = [c.source for c in nb.cells if "answer" in tags(c)]
    assert answers == [a.placeholder] * len(a.spec.written)


@each_assignment
def test_the_committed_student_notebook_is_the_released_one(a, released_notebook):
    committed = nbformat.read(REPO / "notebooks" / a.spec.template_name, as_version=4)
    fresh = nbformat.read(released_notebook(a.number)[1], as_version=4)
    assert [c.source for c in committed.cells] == [c.source for c in fresh.cells]


@each_assignment
def test_released_student_notebook_scores_zero_in_process(a, released_notebook):
    imports, tasks = assignment_kit.notebook_parts(
        nbformat.read(released_notebook(a.number)[1], as_version=4))
    assert list(tasks) == a.tags
    graded = assignment_kit.grade_cached(a.spec, imports, tasks)
    assert {tag: points for tag, (points, _, _) in graded.items()} == dict.fromkeys(a.tags, 0.0)


# ---------------------------------------------------------------- the real sandbox

@each_assignment
def test_sandboxed_grader_solution_full_code_marks_student_0(a, sandboxed, released_notebook,
                                                             tmp_path):
    """The solution gets every automatic point in the real sandbox, twice (a fresh grader, then
    a warm one; the written answers wait for a marker), the released notebook 0; timed."""
    grader, times = sandboxed(a.number), []
    for k in range(2):
        submitted = tmp_path / f"Assignment_{a.number}_AdaLovelace_1234567{k}.ipynb"
        shutil.copy(a.solution_path, submitted)
        started = time.perf_counter()
        result = assignment_kit.graded(grader, submitted, a.number)
        times.append(time.perf_counter() - started)
        problems = {tag: [m for c in t["checks"] for m in c.get("messages", [])]
                    for tag, t in result["tasks"].items() if t["points"] < t["max"]}
        assert result["status"] == "graded" and result["max"] == a.spec.points
        assert result["total"] == a.spec.code_points, problems
    print(f"sandboxed grading of the solution: first {times[0]:.2f} s, then {times[1]:.2f} s")
    blank = tmp_path / f"Assignment_{a.number}_GraceHopper_87654321.ipynb"
    shutil.copy(released_notebook(a.number)[1], blank)
    result = assignment_kit.graded(grader, blank, a.number)
    assert result["status"] == "graded" and result["total"] == 0


# ---------------------------------------------------------------- the solution notebook, run

@pytest.mark.parametrize("a", RUN, ids=[a.id for a in RUN])
def test_solution_notebook_runs_top_to_bottom(a, tmp_path):
    """In quick mode, without an error; every self-check passes (or has
    nothing public to check) and every demonstration runs."""
    data = tmp_path / "data"
    if a.prepare_data:
        a.prepare_data(data)
    nb = nbformat.read(a.solution_path, as_version=4)
    seconds = assignment_kit.execute_notebook(nb, data, a.solution_path.parent)
    print(f"solution notebook (NNCOURSE_SMALL=1): {seconds:.1f} s")
    errors = [(i, o.get("ename"), o.get("evalue")) for i, c in enumerate(nb.cells)
              if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    checks = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith("check(")]
    assert [c.source for c in checks] == [f'check("{tag}")' for tag in a.tags]
    for cell in checks:
        text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        assert "[FAIL]" not in text and text.startswith(("PASS ", "NOT CHECKED ")), text
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                      for o in c.get("outputs", []) if o.output_type == "stream")
    assert "[FAIL]" not in printed and "not done yet" not in printed
    for text in a.printed:
        assert text in printed, text
    if a.after_run:
        a.after_run(nb)
