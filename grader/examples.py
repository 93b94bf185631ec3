"""``python -m grader examples``: the bundled example class in ``data/examples/``.

For every assignment with a solution, a released template and a spec, it writes a few
submissions made from the solution's task cells: a perfect one, a blank one (the template
as released), and partial ones that carry plausible mistakes from ``tests/variants/``; the
written answers come from ``data/example_answers.py``.
Everything is derived, so the class stays valid as the assignments evolve.
"""
import importlib
import random
import sys
from pathlib import Path

import nbformat

from .specs import available, load_spec
from .submission import TASK_RE

REPO = Path(__file__).resolve().parent.parent
STUDENTS = [("AdaLovelace", "10000001"), ("AlanTuring", "10000002"),
            ("GraceHopper", "10000003"), ("KatherineJohnson", "10000004")]


def add_arguments(parser):
    parser.add_argument("-o", "--out", type=Path, default=REPO / "data" / "examples",
                        help="output folder (default: data/examples)")


def task_cells(nb):
    """Map task tag -> source for the task cells of a notebook."""
    return {tag: cell.source for cell in nb.cells
            for tag in cell.get("metadata", {}).get("tags", []) if TASK_RE.match(tag)}


def load_variants(spec):
    tests = REPO / "tests"
    name = f"a{spec.number}_{spec.slug}"
    if not (tests / "variants" / f"{name}.py").exists():
        return {}
    sys.path.insert(0, str(tests))     # as pytest has it: variants import variants.kit
    try:
        module = importlib.import_module(f"variants.{name}")
    finally:
        sys.path.remove(str(tests))
    return getattr(module, "WRONG", {})


def load_answers():
    """The example students' written answers, by student and question tag."""
    path = REPO / "data" / "example_answers.py"
    if not path.exists():
        return {}
    module_spec = importlib.util.spec_from_file_location("example_answers", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return getattr(module, "ANSWERS", {})


def answer_cell(text):
    """What a student's answer cell holds: the label and the answer inside the quote block
    release handed out (the placeholder replaced)."""
    return "\n".join(["> **Your answer:**", ">"] + [">" + (" " + line if line else "")
                                                    for line in text.split("\n")])


def submission(template, sources, answers=None):
    """The released template with some task cells (and answer cells) replaced, as a student
    would save it."""
    nb = nbformat.from_dict(nbformat.reads(nbformat.writes(template), as_version=4))
    for cell in nb.cells:
        for tag in cell.get("metadata", {}).get("tags", []):
            if tag in sources:
                cell.source = sources[tag]
            elif tag in (answers or {}):
                cell.source = answer_cell(answers[tag])
    return nb


def class_for(spec, rng):
    """(file name, notebook) pairs for one assignment."""
    template = nbformat.read(REPO / "notebooks" / spec.template_name, as_version=4)
    solution = task_cells(nbformat.read(REPO / "solutions" / spec.solution_name, as_version=4))
    wrong = load_variants(spec)
    tags = list(solution)
    partial_a = {**solution, **_mistakes(wrong, tags, rng, 2)}
    partial_b = {**solution, **_mistakes(wrong, tags, rng, 3)}
    partial_b.update({t: task_cells(template)[t] for t in rng.sample(tags, 1)})
    plans = [solution, {}, partial_a, partial_b]
    answers = load_answers()
    return [(f"Assignment_{spec.number}_{name}_{number}.ipynb",
             submission(template, plan, answers.get(name)))
            for (name, number), plan in zip(STUDENTS, plans)]


def _mistakes(wrong, tags, rng, count):
    candidates = sorted(t for t in tags if wrong.get(t))
    return {t: rng.choice(wrong[t])[1] for t in rng.sample(candidates, min(count, len(candidates)))}


def run(args):
    args.out.mkdir(parents=True, exist_ok=True)
    written = 0
    for number in available():
        spec = load_spec(number)
        if not (REPO / "notebooks" / spec.template_name).exists() or \
                not (REPO / "solutions" / spec.solution_name).exists():
            print(f"assignment {number}: no released template or solution yet; skipped")
            continue
        for name, nb in class_for(spec, random.Random(number)):
            nbformat.write(nb, str(args.out / name))
            written += 1
    print(f"wrote {written} example submissions to {args.out}")
    return 0
