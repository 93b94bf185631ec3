"""Assignment 2, Parts 3, 8 and 9: every number the prose states is a number the run gives.

The solution notebook runs once in quick mode (NNCOURSE_SMALL=1) in the module fixture. Two
cells added at the end of that copy print what the kernel computed (the chain-rule explorer's
paths, the sanity checks, the quick-mode comparison) and run Part 9's comparison again in full
mode (1500 steps, five seeds), because the model answer of Question 2.6 quotes the full run.
Parts 3 and 8 run the same in both modes. A stated number must be the computed one rounded as
it is written, so that text and runs cannot drift apart unnoticed.
"""
import json
import math
import os
import re
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
SOLUTION = REPO / "solutions" / "assignment_2_backprop.ipynb"
MARK = "CLAIM-FIGURES "

# A number as the notebook writes it: 0.138, -4.25 \cdot 10^{-6} (the $ are not part of it).
NUM = r"(-?\d+(?:\.\d+)?(?:\s*\\cdot\s*10\^\{-?\d+\})?)"

COLLECT = r'''
import json as _json
_grid = np.linspace(-3, 3, 60001)
_u, _h1, _h2, _y, _ = diamond(_grid, **{k: v for k, v in DIAMOND_START.items() if k != "w"})
_slope = (_y - DIAMOND_Y) * (1 - _u ** 2) * DIAMOND_X * (
    DIAMOND_START["c"] * (1 - _h1 ** 2) * DIAMOND_START["a"]
    + DIAMOND_START["d"] * (1 - _h2 ** 2) * DIAMOND_START["b"])
_cross = np.nonzero(np.diff(np.sign(_slope)))[0]
print("''' + MARK + r'''" + _json.dumps({
    "stationary": [[float(_grid[i]), "minimum" if _slope[i] < 0 else "maximum"] for i in _cross],
    "initial": initial, "overfit": overfit, "tested": tested, "forgot": forgot,
    "steps": STEPS, "seeds": len(SEEDS), "train_size": len(x_train),
    "test_shares": (np.bincount(digit_test) / len(digit_test)).tolist(),
    "parameters": sum(layer.W.size + layer.b.size for layer in digit_mlp(0).layers
                      if hasattr(layer, "W")),
}, default=float))
'''

FULL_PART_9 = r'''
import json as _json
SMALL = False
exec(_part_9)
print("''' + MARK + r'''" + _json.dumps({"tested": tested, "forgot": forgot, "steps": STEPS,
                                          "seeds": len(SEEDS)}, default=float))
'''


@pytest.fixture(scope="module")
def notebook():
    return nbformat.read(SOLUTION, as_version=4)


@pytest.fixture(scope="module")
def run(notebook, tmp_path_factory):
    """The solution in quick mode, its figures, and Part 9's comparison in full mode."""
    from nbclient import NotebookClient
    nb = nbformat.from_dict(json.loads(json.dumps(notebook)))   # a copy to run
    part_9 = next(c.source for c in nb.cells if c.id == "a2-9k")
    nb.cells += [nbformat.v4.new_code_cell(COLLECT),
                 nbformat.v4.new_code_cell(f"_part_9 = {part_9!r}\n" + FULL_PART_9)]
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env.update(NNCOURSE_SMALL="1", NNCOURSE_DATA=str(tmp_path_factory.mktemp("data")),
               MPLBACKEND="agg",
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    started = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(SOLUTION.parent)}}).execute(env=env)
    print(f"A2 quick run plus full-mode Part 9: {time.perf_counter() - started:.1f} s")
    found = [json.loads(line[len(MARK):]) for cell in nb.cells[-2:]
             for output in cell.get("outputs", []) if output.output_type == "stream"
             for line in output.text.splitlines() if line.startswith(MARK)]
    assert len(found) == 2, "the collecting cells printed nothing"
    printed = {c.id: "".join(o.get("text", "") for o in c.get("outputs", [])
                             if o.output_type == "stream")
               for c in nb.cells if c.cell_type == "code"}
    return {**found[0], "full": found[1], "printed": printed}


# ---------------------------------------------------------------- reading the prose

def text(notebook, cell_id):
    """A markdown cell's text with line breaks as spaces (sentences wrap across lines)."""
    source = next(c.source for c in notebook.cells if c.id == cell_id)
    return re.sub(r"\s+", " ", source)


def stated(notebook, cell_id, pattern):
    """The numbers a sentence states: ``pattern`` is literal text in which each ``{}`` stands
    for a number; returns them as strings, in order. Fails if the sentence is not there."""
    regex = re.escape(pattern).replace(r"\{\}", NUM).replace(r"\ ", r"\s*")
    match = re.search(regex, text(notebook, cell_id))
    assert match, f"cell {cell_id} no longer says: {pattern!r}"
    return match.groups()


def value(written):
    """'-4.25 \\cdot 10^{-6}' -> (-4.25e-06, half a unit of the last written digit)."""
    sign, whole, fraction, exponent = re.fullmatch(
        r"(-?)(\d+)(?:\.(\d+))?(?:\s*\\cdot\s*10\^\{(-?\d+)\})?", written).groups()
    scale = 10.0 ** int(exponent or 0)
    number = float(f"{whole}.{fraction or 0}") * scale * (-1 if sign else 1)
    return number, 0.5 * 10.0 ** -len(fraction or "") * scale


def agrees(written, actual, slack=0.0):
    """The written number is ``actual`` rounded as written (give or take ``slack``)."""
    number, half = value(written)
    assert abs(actual - number) <= half * 1.0001 + 1e-12 + slack, \
        f"the text says {written}, the run gives {actual:.6g}"


def mean_sd(values):
    values = np.asarray(values, dtype=float)
    return float(values.mean()), float(values.std())


def agrees_mean_sd(pair, values, slack=0.0):
    mean, sd = mean_sd(values)
    agrees(pair[0], mean, slack)
    agrees(pair[1], sd, slack)


# Test accuracies after 1500 steps of SGD: another machine's BLAS may round differently and,
# over the run, flip the odd test image (1/899 of accuracy each); two may differ.
ACCURACY_SLACK = 2 / 899


# ---------------------------------------------------------------- Part 3: the explorer

def test_explorer_paths_at_the_start_are_the_printed_ones(notebook, run):
    printed = run["printed"]["a2-3b"]
    path1 = float(re.search(r"through h1: .* = ([+-]\d\.\d+)", printed).group(1))
    path2 = float(re.search(r"through h2: .* = ([+-]\d\.\d+)", printed).group(1))
    total, slope = map(float, re.search(
        r"the sum:\s+([+-]\d\.\d+)\s+\(finite differences: ([+-]\d\.\d+)\)", printed).groups())
    assert total == pytest.approx(path1 + path2, abs=1.5e-4) and total == slope
    one, two, both = stated(notebook, "a2-3c", "through $h_1$ they contribute ${}$, through "
                                               "$h_2$ $+{}$, so the gradient, ${}$, is smaller")
    agrees(one, path1)
    agrees(two, path2)
    agrees(both, total)
    assert path1 < 0 < path2 and abs(total) < abs(path2)


def test_where_the_paths_cancel_there_is_a_minimum_and_a_maximum(notebook, run):
    """The T/F note (tf_paths_cancel is False): one stationary point of each kind along w."""
    minimum, maximum = stated(notebook, "a2-63", r"a minimum near $w \approx {}$ and a maximum "
                                                 r"near $w \approx {}$")
    kinds = {kind: w for w, kind in run["stationary"]}
    assert len(run["stationary"]) == 2 and set(kinds) == {"minimum", "maximum"}
    agrees(minimum, kinds["minimum"])
    agrees(maximum, kinds["maximum"])


# ---------------------------------------------------------------- Part 8

def test_clipped_bce_against_the_logits(notebook, run):
    rows = {int(z): [float(v) for v in rest] for z, *rest in re.findall(
        r"^\s*(-\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)$", run["printed"]["a2-8g"], re.M)}
    assert sorted(rows) == [-800, -40, -20, -5]
    for z in (-5, -20):                      # "Down to z = -20 the two agree"
        loss_p, loss_z, grad_p, grad_z = rows[z]
        assert loss_p == pytest.approx(loss_z, rel=1e-3)
        assert grad_p == pytest.approx(grad_z, rel=1e-3)
    agrees(stated(notebook, "a2-8h", r"Down to $z = {}$ the two agree")[0], -20)
    (clip,) = stated(notebook, "a2-8h", r"stops at $-\log 10^{-12} \approx {}$")
    agrees(clip, -math.log(1e-12))
    assert rows[-40][0] == rows[-800][0] == pytest.approx(-math.log(1e-12), abs=0.005)
    assert rows[-40][1] == 40 and rows[-800][1] == 800
    (vanishing,) = stated(notebook, "a2-8h", r"all but vanishes (${}$ at $z = -40$, and 0 at "
                                             r"$z = -800$)")
    agrees(vanishing, rows[-40][2])
    assert rows[-800][2] == 0 and rows[-40][3] == rows[-800][3] == -1


def test_sanity_check_numbers_in_the_prose_and_the_model_answer(notebook, run):
    (ln10,) = stated(notebook, "a2-8h", r"which is $\ln 10 \approx {}$ for ten digits")
    agrees(ln10, math.log(10))
    answer = "a2-8q"
    standardised = np.array(run["initial"]["standardised pixels"])
    raw = np.array(run["initial"]["raw pixels"])
    agrees_mean_sd(stated(notebook, answer, r"Ours starts at ${} \pm {}$"), standardised[:, 0])
    (spread,) = stated(notebook, answer, "(standard deviation about {})")
    agrees(spread, standardised[:, 1].mean())
    ln_c, same_spread, estimate = stated(notebook, answer, r"(${} + {}^2/2 \approx {}$)")
    agrees(ln_c, math.log(10))
    assert same_spread == spread
    agrees(estimate, math.log(10) + float(spread) ** 2 / 2)
    agrees_mean_sd(stated(notebook, answer, r"the first loss is ${} \pm {}$"), raw[:, 0])
    assert standardised[:, 0].min() > math.log(10) and raw[:, 0].min() > 2 * math.log(10)
    (parameters,) = stated(notebook, answer, "A network with about {} parameters")
    assert round(run["parameters"], -3) == float(parameters)
    true, shuffled = (np.array(run["overfit"][name]) for name in ("true labels", "shuffled labels"))
    agrees_mean_sd(stated(notebook, answer, r"here ${} \pm {}$ after 200 steps"), true[:, 0])
    agrees_mean_sd(stated(notebook, answer, r"(loss ${} \pm {}$, accuracy"), shuffled[:, 0])
    assert np.all(true[:, 1] == 1) and np.all(shuffled[:, 1] == 1)
    assert "accuracy 1.00" in text(notebook, answer)


# ---------------------------------------------------------------- Part 9

def test_part_9_setup_as_described(notebook, run):
    steps, epochs, quick_steps = stated(notebook, "a2-9j", "for {} steps (about {} epochs), "
                                                            "five times with different seeds "
                                                            "({} steps and two seeds")
    full = run["full"]
    assert (full["steps"], full["seeds"]) == (int(steps), 5)
    assert (run["steps"], run["seeds"]) == (int(quick_steps), 2)
    assert round(full["steps"] * 32 / run["train_size"]) == int(epochs)


def test_dropout_and_batch_norm_model_answer_quotes_the_full_run(notebook, run):
    tested, forgot = run["full"]["tested"], run["full"]["forgot"]
    answer = "a2-9n"
    agrees_mean_sd(stated(notebook, answer, r"worse, ${} \pm {}$ instead of"),
                   forgot["dropout: all test images at once"], ACCURACY_SLACK)
    agrees_mean_sd(stated(notebook, answer, r"instead of ${} \pm {}$ in the full run"),
                   tested["dropout, standardised pixels"], ACCURACY_SLACK)
    agrees_mean_sd(stated(notebook, answer, r"the accuracy is that of eval mode (${} \pm {}$)"),
                   forgot["batch norm: all test images at once"], ACCURACY_SLACK)
    agrees_mean_sd(stated(notebook, answer, r"every prediction a little (${} \pm {}$)"),
                   forgot["batch norm: batches of 10"], ACCURACY_SLACK)
    agrees_mean_sd(stated(notebook, answer, r"falls to about chance (${} \pm {}$)"),
                   forgot["batch norm: batches of 10 of one digit"], ACCURACY_SLACK)
    raw = tested["plain, raw pixels"]
    mean, sd, chance = stated(notebook, answer, r"(${} \pm {}$, two of five seeds at ${}$,")
    agrees_mean_sd((mean, sd), raw, ACCURACY_SLACK)
    assert sum(1 for a in raw if round(a, 3) == float(chance)) == 2
    agrees(chance, min(raw))      # "one class for every image": the share of one digit
    assert any(math.isclose(min(raw), share, abs_tol=1e-9) for share in run["test_shares"])
    agrees_mean_sd(stated(notebook, answer, r"standardised pixels (${} \pm {}$)"),
                   tested["batch norm, raw pixels"], ACCURACY_SLACK)
    for label, name in (("plain", "plain"), ("dropout", "dropout"), ("batch norm", "batch norm")):
        agrees_mean_sd(stated(notebook, answer, label + r" ${} \pm {}$"),
                       tested[f"{name}, standardised pixels"], ACCURACY_SLACK)
    means = [np.mean(tested[f"{n}, standardised pixels"]) for n in ("plain", "dropout",
                                                                     "batch norm")]
    sds = [np.std(tested[f"{n}, standardised pixels"]) for n in ("plain", "dropout", "batch norm")]
    assert max(means) - min(means) <= max(sds), "'differences within one standard deviation'"
    assert "differences within one standard deviation" in text(notebook, answer)
