"""The project's set-up: dependency files agree, every command has --help, CI runs make test."""
import re
import subprocess
import sys
import tomllib

import pytest

from conftest import REPO


def _name(requirement):
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def pyproject_packages():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    extras = [r for group in project.get("optional-dependencies", {}).values() for r in group]
    return {_name(r) for r in project["dependencies"] + extras}


def environment_packages():
    lines = (REPO / "environment.yml").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "- pip:")
    names = set()
    for line in lines[start + 1:]:
        item = line.strip()
        if not item.startswith("- ") or item.startswith("- -"):
            continue  # pip options such as --extra-index-url and the editable install
        names.add(_name(item[2:]))
    return names


def test_environment_yml_matches_pyproject():
    assert environment_packages() == pyproject_packages()


def test_environment_yml_pins_the_same_ranges():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = {r.replace(" ", "") for r in project["dependencies"]}
    text = (REPO / "environment.yml").read_text().replace(" ", "")
    assert all(f"-{r}\n" in text for r in wanted)


def test_required_packages_are_declared():
    required = {"jupyter", "nbformat", "nbclient", "jupyter-client", "ipykernel", "numpy",
                "torch", "torchvision", "matplotlib", "pytest", "scikit-learn", "scipy", "tqdm"}
    assert required <= pyproject_packages()


@pytest.mark.parametrize("command", [[], ["grade"], ["check"], ["release"], ["examples"]])
def test_every_command_has_help(command):
    done = subprocess.run([sys.executable, "-m", "grader", *command, "--help"], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "usage:" in done.stdout


def test_ci_runs_make_test():
    script = (REPO / ".ci" / "run").read_text()
    assert re.search(r"^\s*(time\s+)?make test\b", script, re.M)
    assert "make test" in (REPO / "README.md").read_text()


def test_bad_arguments_exit_nonzero_with_one_line(tmp_path):
    done = subprocess.run([sys.executable, "-m", "grader", "grade", str(tmp_path / "nope"),
                           "-o", str(tmp_path / "out")], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2 and "no such file" in done.stdout + done.stderr


def test_tests_import_this_checkouts_grader():
    import grader
    assert grader.__file__.startswith(str(REPO))
