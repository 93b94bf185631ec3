"""`make demo`: the bundled example class grades as designed, through the real command."""
import csv
import filecmp
import os
import subprocess
import sys

import pytest

from conftest import REPO

EXAMPLES = REPO / "data" / "examples"


def test_examples_are_up_to_date(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "NNCOURSE_SPECS"}
    subprocess.run([sys.executable, "-m", "grader", "examples", "-o", str(tmp_path)],
                   cwd=REPO, check=True, capture_output=True, timeout=600, env=env)
    fresh = sorted(p.name for p in tmp_path.glob("*.ipynb"))
    assert fresh == sorted(p.name for p in EXAMPLES.glob("*.ipynb"))
    stale = [name for name in fresh if not filecmp.cmp(tmp_path / name, EXAMPLES / name, False)]
    assert not stale, f"run `python -m grader examples`; stale: {stale}"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    env = {k: v for k, v in os.environ.items() if k != "NNCOURSE_SPECS"}  # real specs only
    done = subprocess.run([sys.executable, "-m", "grader", "grade", str(EXAMPLES), "-o", str(out),
                           "--no-progress"], cwd=REPO, capture_output=True, text=True,
                          timeout=1800, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    with open(out / "gradebook.csv", newline="") as handle:
        return out, done.stdout, {row["file"]: row for row in csv.DictReader(handle)}


def test_demo_grades_every_example(demo):
    out, stdout, rows = demo
    assert len(rows) == len(list(EXAMPLES.glob("*.ipynb"))) >= 4
    assert "gradebook:" in stdout and (out / "summary.png").stat().st_size > 10_000
    assert all((out / "feedback" / f"{name[:-6]}.html").exists() for name in rows)


def test_perfect_blank_and_partial_students(demo):
    from grader.specs import load_spec
    _, _, rows = demo
    assert {name.split("_")[1] for name in rows} >= {"1", "2", "3", "4", "5"}
    for name, row in rows.items():
        total, maximum = float(row["total"]), float(row["max"])
        spec = load_spec(int(name.split("_")[1]))
        # the code is graded; the written answers wait for a marker
        assert row["status"] == "graded" and maximum == spec.points, (name, row)
        if "AdaLovelace" in name:
            assert total == spec.code_points and int(row["pending"]) >= 3, (name, row)
        elif "AlanTuring" in name:
            assert total == 0.0 and row["pending"] == "0", (name, row)
        else:
            assert 0.0 < total < spec.code_points and row["pending"] == "1", (name, row)
