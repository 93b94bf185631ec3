"""Assignment 3, the parts added for depth (issue 20, part 2): every number that the new prose
states (the variance derivation of Part 7, the activation zoo of Part 8, batch normalisation
in Part 9, the model answers and rubrics of Questions 3.3 to 3.5) is the number that the
notebook's own run prints.

The module fixture runs the solution notebook's own cells in a kernel, in quick mode: the
imports, the task cells the demonstrations need, and every demonstration these sentences are
about, in notebook order (the FashionMNIST parts are left out: nothing here depends on them;
only their one setting that matters, one torch thread, is kept).
A last cell then runs the depth study (Part 6) and the zoo's training (Part 8) again in full
mode, because their sentences describe the full run. Each test reads a sentence of a markdown
cell (found by its cell id) and compares its numbers with the printed ones, rounded as written.
"""
import math
import os
import re
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parent.parent
A3 = REPO / "solutions" / "assignment_3_vanishing_gradients.ipynb"
NUMBER = r"(-?\d+(?:\.\d+)?)"
RUN = ["4ef29d97", "634d267b", "a3-task-3-10", "a3-task-3-11",   # make_mlp, gradient_ratio, ...
       "3febb481", "583f49d2", "d1cbe576",                      # digits, depth study, remedies
       "a3-p7-layer", "a3-zoo-curves", "a3-zoo-flow", "a3-zoo-train",
       "a3-bn-compare", "a3-bn-running", "a3-bn-eval"]
FULL = '''
SMALL = False
print("FULL-DEPTH")
exec(_depth)
print("FULL-ZOO")
exec(_zoo)
'''


def cells():
    return {c.id: c for c in nbformat.read(A3, as_version=4).cells}


def text(cell_id):
    """A markdown cell's source with its line breaks turned into spaces."""
    cell = cells()[cell_id]
    assert cell.cell_type == "markdown", cell_id
    return " ".join(cell.source.split())


def find(pattern, source, count=1):
    """The groups of the only match (or of the ``count`` matches) of ``pattern``."""
    matches = re.findall(pattern, source)
    assert len(matches) == count, (pattern, matches)
    return matches[0] if count == 1 else matches


def same_when_rounded(stated, measured):
    """True if ``measured``, rounded to as many decimals as the string ``stated`` shows, is
    ``stated``."""
    decimals = len(stated.split(".")[1]) if "." in stated else 0
    return math.isclose(round(measured, decimals), float(stated), abs_tol=1e-12)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """{cell id: printed output} of the cells in RUN (quick mode), and "full" for the last
    cell's full-mode output."""
    from nbclient import NotebookClient
    source = nbformat.read(A3, as_version=4)
    keep = [c for c in source.cells if c.cell_type == "code" and (
        c.id in RUN or {"imports", "selfcheck"} & set(c.metadata.get("tags", [])))]
    assert {c.id for c in keep} >= set(RUN)
    by_id = {c.id: c for c in source.cells}
    full = nbformat.v4.new_code_cell(f"_depth = {by_id['583f49d2'].source!r}\n"
                                     f"_zoo = {by_id['a3-zoo-train'].source!r}\n" + FULL)
    full.id = "full"
    threads = nbformat.v4.new_code_cell("torch.set_num_threads(1)  # as the data cell does")
    threads.id = "threads"
    nb = nbformat.v4.new_notebook(cells=keep[:2] + [threads] + keep[2:] + [full],
                                  metadata=source.metadata)
    env = dict(os.environ, NNCOURSE_SMALL="1", MPLBACKEND="agg",
               NNCOURSE_DATA=str(tmp_path_factory.mktemp("data")),
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(A3.parent)}}).execute(env=env)
    return {c.id: "".join(o.get("text", "") for o in c.outputs if o.output_type == "stream")
            for c in nb.cells}


def table(output, columns):
    """Rows ``name  number  number ...`` of a printed table: {name: [numbers as strings]}."""
    row = re.compile(r"^\s*([a-z_]+)\s+" + r"\s+".join([r"(-?[\d.e+-]+%?)"] * columns) + r"\s*$",
                     re.M)
    return {m[0]: list(m[1:]) for m in row.findall(output)}


def full_part(run, name):
    part = run["full"].split(f"FULL-{name}\n", 1)[1]
    return part.split("FULL-", 1)[0]


# ------------------------------------------------------------ Part 7: the derivation, measured

def test_p7_one_layer_follows_the_formula_and_the_text_quotes_it(run):
    rows = table(run["a3-p7-layer"], 3)
    assert set(rows) == {"tanh", "relu", "sigmoid"}, run["a3-p7-layer"]
    for name, (square, predicted, measured) in rows.items():
        assert abs(float(predicted) - float(measured)) <= 0.01, (name, rows)   # the formula
    sentence = text("a3-p7-layer-md")
    assert same_when_rounded(find(r"\(\$E\[h\^2\] = " + NUMBER + r"\$\)", sentence),
                             float(rows["relu"][0]))
    assert same_when_rounded(find(r"tanh inputs give " + NUMBER, sentence), float(rows["tanh"][0]))
    assert same_when_rounded(find(r"Of the sigmoid's " + NUMBER, sentence),
                             float(rows["sigmoid"][0]))
    assert float(rows["sigmoid"][0]) > 0.25 > float(rows["sigmoid"][0]) - 0.25   # "most of it"


# ------------------------------------------------------------ Part 8: the activation zoo

def test_zoo_derivatives_match_autograd_and_the_stated_extremes(run):
    lines = {line.split()[0]: line.split() for line in run["a3-zoo-curves"].splitlines()[1:]}
    assert set(lines) == {"sigmoid", "tanh", "relu", "leaky_relu", "elu", "silu", "gelu"}
    for name in ("leaky_relu", "elu", "silu", "gelu"):
        assert float(lines[name][3]) < 1e-6, lines[name]              # yours = autograd's
    sentence = text("a3-zoo-flow-result")
    up = find(r"\(up to " + NUMBER + " and " + NUMBER + r"\)", sentence)
    assert up == (lines["silu"][2], lines["gelu"][2])
    down = find(r"\(down to " + NUMBER + " and " + NUMBER, sentence)
    assert down == (lines["silu"][1], lines["gelu"][1])
    assert float(lines["sigmoid"][2]) == 0.25       # the sigmoid's largest slope is 1/4


def zoo_table(run):
    rows = table(run["a3-zoo-flow"], 5)
    assert len(rows) == 7, run["a3-zoo-flow"]
    return {name: {"square": r[0], "predicted": r[1], "gain": r[2], "zero": r[3], "ratio": r[4]}
            for name, r in rows.items()}


def test_zoo_gain_per_layer_is_predicted_by_the_mean_squared_slope(run):
    rows = zoo_table(run)
    sentence = text("a3-zoo-flow-result")
    worst = max(abs(float(r["predicted"]) - float(r["gain"])) for r in rows.values())
    assert same_when_rounded(find(r"predicts the gain to within " + NUMBER, sentence), worst)
    sigmoid = rows["sigmoid"]
    assert find(r"\$E\[f'\^2\] = (0\.\d+)\$ and the gradient shrinks", sentence) == \
        sigmoid["square"]
    assert find(r"by a factor of " + NUMBER + " per layer", sentence) == sigmoid["gain"]
    mantissa, exponent = find(r"\$(\d\.\d) \\cdot 10\^\{(-\d+)\}\$ times", sentence)
    assert f"{mantissa}e{int(exponent):+03d}" == sigmoid["ratio"]
    others = [float(r["ratio"]) for name, r in rows.items() if name != "sigmoid"]
    assert min(others) > 0.1 > 1e-5 > float(sigmoid["ratio"])   # the others lie together
    # ReLU and Leaky ReLU: the same statistics, but only ReLU has slopes of exactly 0
    assert rows["relu"]["zero"] == "50%" and rows["leaky_relu"]["zero"] == "0%"
    assert "none of its slopes is exactly 0 (ReLU: 50 %)" in sentence
    assert abs(float(rows["relu"]["square"]) - float(rows["leaky_relu"]["square"])) < 0.0015
    assert "$E[f'^2] = 0.5$, the gain is 1" in sentence
    assert round(float(rows["relu"]["square"]), 1) == 0.5
    assert round(float(rows["relu"]["gain"])) == 1
    # ELU, SiLU and GELU, tanh
    assert find(r"\$E\[f'\^2\] = (0\.\d+)\$ and the gradient grows", sentence) == \
        rows["elu"]["square"]
    assert find(r"on its way down \(gain " + NUMBER, sentence) == rows["elu"]["gain"]
    assert float(rows["elu"]["gain"]) > 1
    assert find(r"mean squared slopes \((0\.\d+) and (0\.\d+)\)", sentence) == (
        rows["silu"]["square"], rows["gelu"]["square"])
    assert find(r"gains of (0\.\d+) and (0\.\d+)", sentence) == (rows["silu"]["gain"],
                                                                rows["gelu"]["gain"])
    assert find(r"\$E\[f'\^2\] = (0\.\d+)\$, and its gain of", sentence) == rows["tanh"]["square"]
    assert find(r"its gain of " + NUMBER, sentence) == rows["tanh"]["gain"]


def zoo_training(output):
    rows = re.findall(r"^([a-z_]+)\s+(\d\.\d{3}) ± (\d\.\d{3})", output, re.M)
    assert len(rows) == 7, output
    return {name: (mean, sd) for name, mean, sd in rows}


def test_zoo_training_in_the_full_run(run):
    output = full_part(run, "ZOO")
    assert "10 epochs" in output
    rows = zoo_training(output)
    gains = zoo_table(run)
    sentence = text("a3-zoo-train-result")
    assert find(r"stays at chance \((\d\.\d{3}) ± (\d\.\d{3})\)", sentence) == rows["sigmoid"]
    assert float(rows["sigmoid"][0]) < 0.12
    assert find(r"its gain of " + NUMBER + " per layer", sentence) == gains["sigmoid"]["gain"]
    learned = {name: float(mean) for name, (mean, _) in rows.items() if name != "sigmoid"}
    low, high = find(r"to between (\d\.\d{3}) \(SiLU\) and (\d\.\d{3}) \(ELU\)", sentence)
    assert (float(low), float(high)) == (learned["silu"], learned["elu"])
    assert min(learned.values()) == learned["silu"] and max(learned.values()) == learned["elu"]
    assert find(r"ELU's " + NUMBER + r" first and SiLU's " + NUMBER + " last", sentence) == (
        gains["elu"]["gain"], gains["silu"]["gain"])
    stated = find(r"\((\d\.\d{3}) ± (\d\.\d{3}) and (\d\.\d{3}) ± (\d\.\d{3})\)", sentence)
    assert stated == (*rows["leaky_relu"], *rows["relu"])
    gap = abs(float(rows["leaky_relu"][0]) - float(rows["relu"][0]))
    assert gap < min(float(rows["leaky_relu"][1]), float(rows["relu"][1]))   # within one sd


def test_model_answer_and_rubric_of_question_3_4_quote_the_zoo(run):
    rows = zoo_table(run)
    answer = text("a3-model-3-4")
    assert same_when_rounded(find(r"here a gain of about " + NUMBER, answer),
                             float(rows["sigmoid"]["gain"]))
    assert find(r"a measured gain of " + NUMBER, answer) == rows["leaky_relu"]["gain"]
    assert same_when_rounded(find(r"\(\$E\[f'\^2\]\$ is " + NUMBER + " for both", answer),
                             float(rows["relu"]["square"]))
    assert same_when_rounded("0.5", float(rows["leaky_relu"]["square"]))
    from grader.specs.a3_vanishing_gradients import SPEC
    rubric = " ".join(c.text for c in SPEC.question("answer_3_4").rubric)
    assert same_when_rounded(find(r"a gain of about " + NUMBER + " per layer", rubric),
                             float(rows["sigmoid"]["gain"]))


# ------------------------------------------------------------ Part 9: batch normalisation

def test_batch_norm_matches_the_module_and_depends_on_the_batch_in_training_mode(run):
    output = run["a3-bn-compare"]
    assert float(find(r"1 evaluation: (\S+)", output)) < 1e-5
    training = output.split("training mode, row 0 of each batch:\n")[1].splitlines()[:2]
    evaluation = output.split("evaluation mode, row 0 of each batch:\n")[1].splitlines()[:2]
    assert training[0] != training[1] and evaluation[0] == evaluation[1]


def test_running_average_weights_of_the_start(run):
    weights = dict(re.findall(r"after\s+(\d+) steps .* = (\d\.\d{3})", run["a3-bn-running"]))
    sentence = text("a3-bn-eval-md")
    assert find(r"After 20 steps the start still has a weight of " + NUMBER, sentence) == \
        weights["20"]
    assert find(r"after 40 steps " + NUMBER, sentence) == weights["40"]
    assert weights["20"] == f"{0.9 ** 20:.3f}"


def test_forgetting_model_eval(run):
    rows = dict((name.strip(), (mean, sd)) for name, mean, sd in re.findall(
        r"^(.+?)\s+(\d\.\d{3}) ± (\d\.\d{3})$", run["a3-bn-eval"], re.M))
    assert len(rows) == 7, run["a3-bn-eval"]
    sentence = text("a3-bn-eval-result")
    evaluation = rows["model.eval(), any batch size"]
    assert find(r"In evaluation mode the accuracy \((\d\.\d{3}) ± (\d\.\d{3})\)", sentence) == \
        evaluation
    assert find(r"about the same accuracy \((\d\.\d{3}) ± (\d\.\d{3})\)", sentence) == \
        rows["training mode, all 450 at once"]
    stated = find(r"(\d\.\d{3}) for batches of 32, (\d\.\d{3}) for batches of 8 and "
                  r"(\d\.\d{3}) for batches of 2", sentence)
    assert stated == tuple(rows[f"training mode, batches of {n}"][0] for n in (32, 8, 2))
    assert float(stated[0]) > float(stated[1]) > float(stated[2])
    assert find(r"training mode falls to (\d\.\d{3}) ± (\d\.\d{3})", sentence) == \
        rows["training mode, 32, sorted by class"]
    assert find(r"with the same batches, stays at (\d\.\d{3})", sentence) == \
        rows["model.eval(), 32, sorted by class"][0] == evaluation[0]
    assert "five seeds" in text("a3-bn-eval-md") and "5 seeds" in run["a3-bn-eval"]


# ------------------------------------------------------------ Question 3.3: depth

def depth_study(output):
    rows = re.findall(r"^(sigmoid|relu)\s+(\d)\s+(\S+)\s+(\S+)\s+(\d+\.\d)%$", output, re.M)
    assert len(rows) == 6, output
    return {(a, int(d)): {"before": b, "accuracy": float(acc)} for a, d, b, _, acc in rows}


def test_question_3_3_and_its_model_answer_describe_the_depth_study(run):
    for output in (run["583f49d2"], full_part(run, "DEPTH")):      # quick and full mode
        study = depth_study(output)
        relu = [study["relu", d]["accuracy"] for d in (1, 5, 6)]
        assert max(relu[1:]) <= relu[0], relu       # "did no better than a single layer"
        assert study["sigmoid", 5]["accuracy"] == study["sigmoid", 6]["accuracy"] == 10.0
        assert study["sigmoid", 1]["accuracy"] > 50
    study = depth_study(run["583f49d2"])
    answer = text("a3-model-3-3")
    stated = find(r"ratios of \$(\d\.\d) \\cdot 10\^\{(-\d)\}\$ and \$(\d\.\d) \\cdot "
                  r"10\^\{(-\d)\}\$ at the start", answer)
    assert f"{stated[0]}e{int(stated[1]):+03d}" == study["sigmoid", 5]["before"]
    assert f"{stated[2]}e{int(stated[3]):+03d}" == study["sigmoid", 6]["before"]
    assert all(1e3 < 1 / float(study["sigmoid", d]["before"]) for d in (5, 6))  # "thousands"
    from grader.specs.a3_vanishing_gradients import SPEC
    rubric = " ".join(c.text for c in SPEC.question("answer_3_3").rubric)
    assert round(math.log10(float(study["sigmoid", 6]["before"]))) == \
        int(find(r"about \$10\^\{(-\d)\}\$ for 6 sigmoid layers", rubric))


# ------------------------------------------------------------ Question 3.5: the remedies

def test_rubric_of_question_3_5_quotes_the_remedies_table(run):
    rows = re.findall(r"^(.+?)\s{2,}(\d\.\d\d)\s+(\d\.\d\d)\s+(\d\.\de[-+]\d\d)\s+(\d+\.\d)%$",
                      run["d1cbe576"], re.M)
    gains = {name.strip(): gain for name, _, gain, _, _ in rows}
    from grader.specs.a3_vanishing_gradients import SPEC
    rubric = " ".join(c.text for c in SPEC.question("answer_3_5").rubric)
    assert find(r"rises from about " + NUMBER + " to about " + NUMBER, rubric) == (
        gains["(Xavier, no remedy)"], gains["uniform init U(-1, 1)"])
    assert float(gains["uniform init U(-1, 1)"]) < 1 and "still below 1" in rubric
    assert round(float(gains["batch normalisation"])) == 1 and "gain per layer is about 1" in rubric
