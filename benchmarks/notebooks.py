"""How long the course makes people wait: each solution notebook run top to bottom (what a
student's "Run All" costs, or, in quick mode, what the test suite's run costs), and each
solution graded in process (what one submission costs the grader, sandbox left out).

    python benchmarks/notebooks.py [--full] [--assignments 1 2 3 4 5]
                                   [--plot out/bench/notebooks.png]

Both are held against the course's budgets below, and, as a measure of the machine, against a
baseline taken in the same run: a notebook with only an imports cell (a fresh kernel that
imports numpy, matplotlib and torch). The ratio to the baseline is what compares across
machines; the budget is what a student on this machine would feel. Exits 1 when a figure is
over its budget, so a slow change shows here rather than as a flaky timed test.

With ``--full`` the notebooks run as a student runs them (no NNCOURSE_SMALL), on generated
data of the real data sets' sizes (60,000 + 10,000 FashionMNIST images, 50,000 + 10,000
CIFAR-10 images), against the running times the notebooks themselves state: A1 "under a
minute", A3 "about a minute", A5 "about five minutes ... on one CPU core" (about 6 minutes in
all, with A5 taking most). Without it, quick mode: small generated data sets, as the test
suite runs the notebooks. Nothing is downloaded.
"""
import argparse
import contextlib
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

import assignment_kit  # noqa: E402  (tests/: the notebook runner the test suite uses)
from grader.specs import load_spec  # noqa: E402
from grader.testing import grade_in_process  # noqa: E402

# seconds: the solution notebook in quick mode, and grading the solution in process
BUDGETS = {1: (120, 15), 2: (120, 15), 3: (120, 15), 4: (180, 15), 5: (300, 30)}
# seconds for a student's Run All: what the notebook says (A1, A3, A5; "about" gives a fifth
# more), and two minutes where it says nothing
FULL_BUDGETS = {1: 60, 2: 120, 3: 72, 4: 120, 5: 360}
# the data each notebook reads, written by the project's generators (their defaults are the
# quick-mode sizes), and the arguments that make it full size
DATA = {3: ("fake_fashion_mnist.py", ["--train", "60000", "--test", "10000"]),
        5: ("fake_cifar10.py", ["--per-batch", "10000", "--test", "10000"])}
BASELINE = "import numpy as np\nimport matplotlib.pyplot as plt\nimport torch\n"


def load():
    return "load %.2f %.2f %.2f" % os.getloadavg()


def notebook_seconds(number: int, work: Path, full: bool) -> tuple[float, list]:
    """Seconds to run the solution notebook of assignment ``number``, and its errors."""
    spec = load_spec(number)
    data = work / "data"
    if number in DATA:
        script, whole = DATA[number]
        subprocess.run([sys.executable, str(REPO / "data" / script), str(data),
                        *(whole if full else [])], check=True, capture_output=True)
    nb = nbformat.read(REPO / "solutions" / spec.solution_name, as_version=4)
    # A5 writes checkpoints and event files into its working folder: a scratch one
    cwd = work if number == 5 else REPO / "solutions"
    seconds = assignment_kit.execute_notebook(nb, data, cwd, small=not full, timeout=1800)
    errors = [f"cell {i}: {o.get('ename')}: {o.get('evalue')}" for i, c in enumerate(nb.cells)
              if c.cell_type == "code" for o in c.get("outputs", [])
              if o.output_type == "error"]
    return seconds, errors


def baseline_seconds(work: Path) -> float:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(BASELINE)])
    return assignment_kit.execute_notebook(nb, work, work)


def grading_seconds(number: int) -> float:
    spec = load_spec(number)
    nb = nbformat.read(REPO / "solutions" / spec.solution_name, as_version=4)
    imports, tasks = assignment_kit.notebook_parts(nb)
    started = time.perf_counter()
    with contextlib.redirect_stderr(io.StringIO()):     # the solution's progress bars
        graded = grade_in_process(spec, imports, tasks)
    seconds = time.perf_counter() - started
    short = [tag for tag, (points, _, _) in graded.items() if points != spec.task(tag).points]
    if short:
        raise SystemExit(f"assignment {number}: the solution lost points on {short}: "
                         "run make test")
    return seconds


def plot(rows, path: Path, full: bool):
    import matplotlib
    matplotlib.use("agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    names = [f"A{row['number']}" for row in rows]
    mode = "as a student runs it" if full else "quick mode"
    for ax, key, title in ((axes[0], "notebook", f"solution notebook, {mode}"),
                           (axes[1], "grading", "grading the solution in process")):
        spent = [row[key] for row in rows]
        limits = [row[f"{key} budget"] for row in rows]
        ax.bar(names, limits, color="0.85", edgecolor="0.55", label="budget")
        ax.bar(names, spent, color="tab:blue", width=0.5, label="this run")
        ax.set_title(title)
        ax.set_ylabel("seconds")
        ax.legend(frameon=False)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    print(f"plot: {path}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assignments", type=int, nargs="+", default=sorted(BUDGETS),
                        metavar="N", help="which assignments (default: all)")
    parser.add_argument("--full", action="store_true",
                        help="run the notebooks as a student does, on full-size data")
    parser.add_argument("--plot", type=Path, default=REPO / "out" / "bench" / "notebooks.png",
                        help="where the bar chart goes (default: %(default)s)")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.assignments) - set(BUDGETS))
    if unknown:
        parser.error(f"no assignment {unknown}; there are {sorted(BUDGETS)}")
    print(load())
    with tempfile.TemporaryDirectory() as scratch:
        base = baseline_seconds(Path(scratch))
        print(f"baseline (a kernel that imports numpy, matplotlib, torch): {base:.1f} s")
        rows, over = [], []
        for number in args.assignments:
            work = Path(scratch) / f"a{number}"
            work.mkdir()
            notebook, errors = notebook_seconds(number, work, args.full)
            if errors:
                print(f"assignment {number}: the solution notebook raised: {errors[0]}",
                      file=sys.stderr)
                return 1
            grading = grading_seconds(number)
            run_budget, grade_budget = BUDGETS[number]
            if args.full:
                run_budget = FULL_BUDGETS[number]
            rows.append({"number": number, "notebook": notebook, "grading": grading,
                         "notebook budget": run_budget, "grading budget": grade_budget})
            print(f"A{number}: notebook {notebook:6.1f} s = {notebook / base:5.1f}x baseline "
                  f"({notebook / run_budget:4.0%} of {run_budget} s); grading {grading:5.2f} s "
                  f"({grading / grade_budget:4.0%} of {grade_budget} s)", flush=True)
            over += [f"A{number} notebook"] * (notebook > run_budget)
            over += [f"A{number} grading"] * (grading > grade_budget)
    print(load())
    plot(rows, args.plot, args.full)
    if over:
        print(f"over budget: {', '.join(over)}", file=sys.stderr)
        return 1
    print("every figure within its budget")
    return 0


if __name__ == "__main__":
    sys.exit(main())
