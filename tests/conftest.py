import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TESTS = REPO / "tests"
# This checkout's grader first: a cached virtualenv may hold an editable install of another.
sys.path[:0] = [str(REPO), str(TESTS)]
# The toy assignment (number 9) lives with the tests; batch workers inherit this variable.
os.environ["NNCOURSE_SPECS"] = str(TESTS / "fixtures" / "specs")


@pytest.fixture(scope="session")
def toy_templates(tmp_path_factory):
    from fixtures import toy
    folder = tmp_path_factory.mktemp("templates")
    toy.write(folder / "Assignment_9_Toy.ipynb", toy.BLANK)
    return folder


@pytest.fixture(scope="session")
def toy_grader(toy_templates):
    from fixtures import toy
    from grader.grade import Grader
    grader = Grader(specs={9: toy.SPEC}, notebooks=toy_templates)
    yield grader
    grader.close()


@pytest.fixture
def toy_file(tmp_path):
    """Write a toy submission: ``toy_file({"task_9_2": source}, name=...)``."""
    from fixtures import toy

    def make(sources=None, name="Assignment_9_AdaLovelace_12345678.ipynb", **metadata):
        return toy.write(tmp_path / name, sources or {}, **metadata)
    return make


@pytest.fixture(scope="session")
def released_notebook(tmp_path_factory):
    """``released_notebook(number)``: (folder, path) of assignment ``number``'s student notebook,
    released from its solution once per session (the folder holds only that notebook)."""
    import assignment_kit
    from grader.specs import load_spec
    made = {}

    def get(number):
        if number not in made:
            folder = tmp_path_factory.mktemp(f"released_a{number}")
            made[number] = folder, assignment_kit.release_student_notebook(load_spec(number),
                                                                           folder)
        return made[number]
    return get


@pytest.fixture(scope="session")
def sandboxed(released_notebook):
    """``sandboxed(number)``: a real sandboxed grader for assignment ``number`` with its released
    template, started once per session (a grader starts a zygote: seconds) and shared by the
    assignment's own test module and tests/test_assignments.py; closed at the session's end."""
    from grader.specs import load_spec
    graders = {}

    def get(number):
        if number not in graders:
            from grader.grade import Grader
            graders[number] = Grader(specs={number: load_spec(number)},
                                     notebooks=released_notebook(number)[0])
        return graders[number]
    yield get
    for grader in graders.values():
        grader.close()
