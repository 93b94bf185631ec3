"""Assignment 4 (optimizers): the spec and its references, the mistake variants, the notebooks."""
import copy
import os
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest

import assignment_kit

from grader.selfcheck import grade_in_process
from grader.specs import a4_optimizers as A4
from grader.specs.a4_optimizers import SPEC
from variants.a4_optimizers import RIGHT, WRONG


def graded(grader, *args, **kwargs):
    """The grader's result as the dict its result file holds."""
    return grader.grade(*args, **kwargs).to_dict()


REPO = Path(__file__).resolve().parent.parent
SOLUTION = REPO / "solutions" / SPEC.solution_name
TAGS = [task.tag for task in SPEC.tasks]


_tags = assignment_kit.tags


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """Grading kernels run torch with one thread and with SPEC.preload already imported (see
    grader/sandbox.py); so do these tests."""
    import importlib

    import torch
    for module in SPEC.preload:
        importlib.import_module(module)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def solution():
    nb = nbformat.read(SOLUTION, as_version=4)
    return (nb, *assignment_kit.notebook_parts(nb))


def _grade_one(imports, tag, source):
    return assignment_kit.grade_one(SPEC, imports, tag, source)


_why = assignment_kit.why


# ---------------------------------------------------------------- the spec and the notebook

def test_spec_totals_100_and_matches_the_notebook(solution):
    nb, _, tasks = solution
    assert SPEC.points == 100
    assert list(tasks) == TAGS
    assert nb.metadata["nncourse"]["assignment"] == 4
    assert nb.metadata["nncourse"]["topic"] == SPEC.topic == "Optimizers"
    assert all(task.points > 0 for task in SPEC.tasks)
    for tag, source in tasks.items():
        points = SPEC.task(tag).points
        assert source.startswith(f"# Task 4.{tag.split('_')[2]} ({points:g} points):"), tag
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert _tags(code[0]) == ["imports"] and _tags(code[1]) == ["selfcheck"]
    assert code[1].source == "from grader.selfcheck import check\nfrom grader.demo_cells import done"


def test_public_checks_have_no_custom_verify_and_hidden_ones_exist():
    for task in SPEC.tasks:
        assert any(not c.public for c in task.checks), task.tag
        assert all(c.verify is None for c in task.checks if c.public), task.tag


def test_solution_gets_full_marks_in_process(solution):
    _, imports, tasks = solution
    started = time.perf_counter()
    graded = grade_in_process(SPEC, imports, tasks)
    seconds = time.perf_counter() - started
    for tag, (points, results, cell) in graded.items():
        assert cell["ok"], (tag, cell)
        assert points == SPEC.task(tag).points, (tag, _why(results))
    print(f"in-process grading of the solution: {seconds:.2f} s")
    assert seconds < 10


# ---------------------------------------------------------------- the trusted references

def _torch_trajectory(name, hyper, p0, a, c, b, steps):
    import torch
    tensors = [torch.tensor(np.asarray(p, dtype=float), requires_grad=True) for p in p0]
    make = {
        "SGD": lambda: torch.optim.SGD(tensors, lr=hyper["lr"]),
        "Momentum": lambda: torch.optim.SGD(tensors, lr=hyper["lr"], momentum=hyper["beta"]),
        "Nesterov": lambda: torch.optim.SGD(tensors, lr=hyper["lr"], momentum=hyper["beta"],
                                            nesterov=True),
        "AdaGrad": lambda: torch.optim.Adagrad(tensors, lr=hyper["lr"], eps=hyper["eps"]),
        "RMSProp": lambda: torch.optim.RMSprop(tensors, lr=hyper["lr"], alpha=hyper["alpha"],
                                               eps=hyper["eps"]),
        "Adam": lambda: torch.optim.Adam(tensors, lr=hyper["lr"],
                                         betas=(hyper["beta1"], hyper["beta2"]),
                                         eps=hyper["eps"]),
    }[name]()
    trajectory = []
    for _ in range(steps):
        for i, t in enumerate(tensors):
            p = t.detach()
            t.grad = torch.tensor(a[i]) * (p - torch.tensor(c[i])) \
                + torch.tensor(b[i]) * torch.sin(p)
        make.step()
        trajectory.append(np.concatenate([t.detach().numpy().ravel() for t in tensors]))
    return np.array(trajectory)


@pytest.mark.parametrize("name", list(A4.PUBLIC_HYPER))
def test_reference_optimizers_match_torch_optim(name):
    """The NumPy references the grader uses are torch.optim's update rules."""
    rng = np.random.default_rng(7)
    cases = [(dict(A4.PUBLIC_PROBLEM), A4.PUBLIC_HYPER[name])]
    cases += [(A4.random_problem(rng), A4.random_hyper(name, rng)) for _ in range(5)]
    for problem, hyper in cases:
        args = (hyper, problem["p0"], problem["a"], problem["c"], problem["b"],
                problem["steps"])
        ours = A4.ref_run_optimizer(name, *args)
        theirs = _torch_trajectory(name, *args)
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)


def test_reference_schedules_match_torch_schedulers():
    import torch
    sched = torch.optim.lr_scheduler

    def rates(make, lr0, steps):
        optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr0)
        scheduler = make(optimizer)
        out = []
        for _ in range(steps):
            out.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            scheduler.step()
        return np.array(out)

    steps = np.arange(120)
    for rate, every in [(0.5, 10), (0.9, 3), (0.3, 1)]:
        theirs = rates(lambda o: sched.ExponentialLR(o, gamma=rate ** (1 / every)), 0.3, 120)
        ours = [A4.ref_exponential_decay(0.3, rate, s, every) for s in steps]
        np.testing.assert_allclose(ours, theirs, rtol=1e-9)
    theirs = rates(lambda o: sched.StepLR(o, step_size=7, gamma=0.4), 0.3, 120)
    np.testing.assert_allclose([A4.ref_step_decay(0.3, 0.4, 7, s) for s in steps], theirs,
                               rtol=1e-12)
    theirs = rates(lambda o: sched.CosineAnnealingLR(o, T_max=50, eta_min=0.01), 0.3, 51)
    np.testing.assert_allclose([A4.ref_cosine_decay(0.3, s, 50, 0.01) for s in range(51)],
                               theirs, rtol=1e-9, atol=1e-15)


def test_reference_lr_finder_matches_torch_and_hidden_cases_are_distinct():
    import torch
    spec_checks = SPEC.task("task_4_7").checks
    lengths = []
    for index, check in enumerate(spec_checks):
        inputs, expected = check.materialize(SPEC.check_seed("task_4_7", index))
        lengths.append((len(expected["lrs"]), inputs["steps"]))
        # plain SGD in torch, step by step, gives the same losses as the NumPy reference
        model = torch.nn.Linear(inputs["W"].shape[1], 1).double()
        with torch.no_grad():
            model.weight.copy_(torch.tensor(inputs["W"]))
            model.bias.copy_(torch.tensor(inputs["b"]))
        optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
        for i, loss_ref in enumerate(expected["losses"]):
            x, y = (torch.tensor(v) for v in inputs["batches"][i % len(inputs["batches"])])
            loss = torch.nn.functional.mse_loss(model(x), y)
            assert loss.item() == pytest.approx(loss_ref, rel=1e-9)
            optimizer.param_groups[0]["lr"] = expected["lrs"][i]
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    assert lengths[1][0] == lengths[1][1]        # the "stays small" case runs every step
    assert lengths[2][0] < lengths[2][1]         # the "explodes" case stops early


def test_hidden_early_stopping_sequences_exercise_the_rules():
    for index in (1, 2):
        check = SPEC.task("task_4_10").checks[index]
        inputs, expected = check.materialize(SPEC.check_seed("task_4_10", index))
        assert expected["stops"].any() and not expected["stops"].all()


def test_tuned_settings_check_uses_the_stated_start_point():
    problems = A4.verify_tuned({"step_size": 0.2, "steps": 50, "decay": 0.95}, {}, None)
    assert problems == []
    assert A4.verify_tuned({"step_size": 0.1, "steps": 10, "decay": 1.0}, {}, None)
    assert A4.verify_tuned({"step_size": 50.0, "steps": 100, "decay": 1.0}, {}, None)


# ---------------------------------------------------------------- mistake variants

WRONG_CASES = [(tag, name, src) for tag, cases in WRONG.items() for name, src in cases]
RIGHT_CASES = [(tag, name, src) for tag, cases in RIGHT.items() for name, src in cases]


def test_every_task_has_enough_variants():
    for tag in TAGS:
        assert len(WRONG.get(tag, [])) >= 2, tag
        assert len(RIGHT.get(tag, [])) >= 2, tag
    assert set(WRONG) == set(RIGHT) == set(TAGS)


@pytest.mark.parametrize("tag,name,source", WRONG_CASES,
                         ids=[f"{t}-{n}" for t, n, _ in WRONG_CASES])
def test_wrong_variant_loses_points(solution, tag, name, source):
    _, imports, _ = solution
    points, maximum, results, _ = _grade_one(imports, tag, source)
    assert points < maximum, f"{tag}/{name} kept full marks"


@pytest.mark.parametrize("tag,name,source", RIGHT_CASES,
                         ids=[f"{t}-{n}" for t, n, _ in RIGHT_CASES])
def test_right_variant_keeps_full_marks(solution, tag, name, source):
    _, imports, _ = solution
    points, maximum, results, cell = _grade_one(imports, tag, source)
    assert cell["ok"], cell
    assert points == maximum, (name, _why(results))


def test_mistakes_stay_in_their_own_task(solution):
    """One mistake in every task: each task loses points; one mistake costs only its task."""
    _, imports, tasks = solution
    graded = grade_in_process(SPEC, imports, {tag: WRONG[tag][0][1] for tag in TAGS})
    for tag in TAGS:
        assert graded[tag][0] < SPEC.task(tag).points, tag
    for tag in ("task_4_3", "task_4_4", "task_4_10"):
        mixed = dict(tasks, **{tag: WRONG[tag][-1][1]})
        graded = grade_in_process(SPEC, imports, mixed)
        lost = [t for t in TAGS if graded[t][0] < SPEC.task(t).points]
        assert lost == [tag], (tag, lost)


def test_hidden_messages_do_not_reveal_expected_values(solution):
    _, imports, _ = solution
    source = dict(WRONG["task_4_4"])["adam_eps_before_bias_correction"]
    _, _, results, _ = _grade_one(imports, "task_4_4", source)
    hidden = [r for r in results if not r["public"] and r["points"] < r["max"]]
    assert hidden
    text = " ".join(m for r in hidden for m in r["messages"])
    assert "wrong values (largest error" in text and "expected" not in text


# ---------------------------------------------------------------- the data helper

def _data_cell(nb):
    return next(c.source for c in nb.cells if c.cell_type == "code"
                and "def load_eckerle4" in c.source)


def test_embedded_eckerle4_copy_equals_the_csv(solution, tmp_path, monkeypatch):
    nb, imports, _ = solution
    empty = tmp_path / "data"
    monkeypatch.chdir(tmp_path)                  # no ../data/eckerle4.csv from here
    monkeypatch.setenv("NNCOURSE_DATA", str(empty))
    namespace = {}
    exec(imports, namespace)
    exec(_data_cell(nb).split("wavelength, transmittance = load_eckerle4()")[0], namespace)
    x, y = namespace["load_eckerle4"]()
    table = np.loadtxt(REPO / "data" / "eckerle4.csv", delimiter=",", skiprows=1)
    np.testing.assert_array_equal(x, table[:, 0])
    np.testing.assert_array_equal(y, table[:, 1])
    assert (empty / "eckerle4.csv").is_file()    # saved for next time
    x2, y2 = namespace["load_eckerle4"]()        # now read from the saved file
    np.testing.assert_array_equal(y2, table[:, 1])


# ---------------------------------------------------------------- running the notebooks

def test_solution_notebook_runs_top_to_bottom(tmp_path):
    from nbclient import NotebookClient
    nb = nbformat.read(SOLUTION, as_version=4)
    env = {"NNCOURSE_SMALL": "1", "NNCOURSE_DATA": str(tmp_path / "data"),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
           "MPLBACKEND": "agg"}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    started = time.perf_counter()
    try:
        NotebookClient(nb, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(SOLUTION.parent)}}).execute()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    seconds = time.perf_counter() - started
    print(f"solution notebook (NNCOURSE_SMALL=1): {seconds:.1f} s")
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.output_type == "error"]
    assert not errors
    text = "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                     for o in c.get("outputs", []) if o.output_type == "stream")
    assert "[FAIL]" not in text and "Eckerle4: 35 points" in text
    assert seconds < 180


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    """The student notebook, released from the solution into a temporary folder."""
    release = pytest.importorskip("grader.release")
    folder = tmp_path_factory.mktemp("notebooks")
    student = release.student_version(release.read_solution(SOLUTION), name=SOLUTION.name)
    path = folder / SPEC.template_name
    nbformat.write(student, path)
    return folder, path


def test_released_notebook_has_stubs_and_no_answers(released):
    _, path = released
    nb = nbformat.read(path, as_version=4)
    text = "\n".join(c.source for c in nb.cells)
    assert "### BEGIN SOLUTION" not in text and "Model answer" not in text
    assert "my_step_size = None" in text and "tf_adam_l2_equals_decay = None" in text
    assert 'raise NotImplementedError("Task 4.4: implement Adam.step")' in text
    assert 'raise NotImplementedError("Task 4.10: implement EarlyStopping.restore")' in text
    assert "copy.deepcopy(model.state_dict())" not in text
    assert "400.0,0.0001575" in text             # the embedded data stays


def test_released_student_notebook_scores_zero_in_process(released):
    assert [t.tag for t in SPEC.tasks] == TAGS
    assignment_kit.assert_blank_scores_zero_in_process(SPEC, released[1])


def test_student_notebook_with_solutions_runs_outside_the_repository(released, tmp_path):
    """The released notebook, its task cells filled in, runs in a folder without the repository
    or its data: the embedded self-checks pass and the embedded Eckerle4 copy is used."""
    from nbclient import NotebookClient
    _, path = released
    student = nbformat.read(path, as_version=4)
    answers = {t: c.source for c in nbformat.read(SOLUTION, as_version=4).cells
               for t in _tags(c) if t.startswith("task_")}
    for cell in student.cells:
        for tag in _tags(cell):
            if tag in answers:
                cell.source = answers[tag]
    env = {"NNCOURSE_SMALL": "1", "NNCOURSE_DATA": None, "PYTHONPATH": None,
           "MPLBACKEND": "agg"}
    saved = {k: os.environ.get(k) for k in env}
    for key, value in env.items():
        os.environ.pop(key, None) if value is None else os.environ.update({key: value})
    try:
        NotebookClient(student, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(tmp_path)}}).execute()
    finally:
        for key, value in saved.items():
            os.environ.pop(key, None) if value is None else os.environ.update({key: value})
    text = "\n".join(o.get("text", "") for c in student.cells if c.cell_type == "code"
                     for o in c.get("outputs", []) if o.output_type == "stream")
    public = sum(c.public for task in SPEC.tasks for c in task.checks)
    assert "[FAIL]" not in text and text.count("[PASS]") == public
    assert "Eckerle4: 35 points from data/eckerle4.csv" in text
    assert (tmp_path / "data" / "eckerle4.csv").is_file()


@pytest.fixture(scope="module")
def grader(released):
    pytest.importorskip("grader.grade")
    yield from assignment_kit.sandboxed_grader(SPEC, released[0])


def test_sandboxed_grader_solution_100_student_0(grader, released, tmp_path):
    assignment_kit.assert_solution_100_blank_0(grader, 4, SOLUTION, released[1], tmp_path)


def test_sandboxed_grader_wrong_optimizers_lose_only_their_points(grader, tmp_path):
    """Adam without bias correction and L2 with biases, graded in the real sandbox."""
    nb = nbformat.read(SOLUTION, as_version=4)
    swaps = {"task_4_4": dict(WRONG["task_4_4"])["adam_without_bias_correction"],
             "task_4_11": dict(WRONG["task_4_11"])["l2_includes_biases"]}
    for cell in nb.cells:
        for tag in _tags(cell):
            if tag in swaps:
                cell.source = swaps[tag]
    path = tmp_path / "Assignment_4_AlanTuring_11223344.ipynb"
    nbformat.write(copy.deepcopy(nb), path)
    result = graded(grader, path, 4)
    lost = {tag: t["max"] - t["points"] for tag, t in result["tasks"].items()
            if t["points"] < t["max"]}
    assert lost == {"task_4_4": 5.0, "task_4_11": 4.0}, lost
