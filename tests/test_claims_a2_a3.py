"""Every number that a sentence of Assignments 2 and 3 states is the number the notebook's own
run gives (issue 20, part 1).

Each test reads the number from the sentence (a markdown cell of the solution notebook, found
by its cell id) and compares it with what the notebook computes: the printed output of the
solution notebook run once in quick mode (NNCOURSE_SMALL=1, synthetic FashionMNIST), or, where
the sentence is about the full run, the figure computed with the notebook's own functions.
Text and run can therefore no longer drift apart unnoticed.
"""
import math
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
A2 = REPO / "solutions" / "assignment_2_backprop.ipynb"
A3 = REPO / "solutions" / "assignment_3_vanishing_gradients.ipynb"
FAKE_DATA = REPO / "data" / "fake_fashion_mnist.py"
WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
         "eight": 8, "nine": 9, "ten": 10}
NUMBER = r"(-?\d+(?:\.\d+)?)"


def cells(path):
    return {c.id: c for c in nbformat.read(path, as_version=4).cells}


def text(path, cell_id):
    """A markdown cell's source with its line breaks turned into spaces."""
    cell = cells(path)[cell_id]
    assert cell.cell_type == "markdown", cell_id
    return " ".join(cell.source.split())


def find(pattern, source, count=1):
    """The groups of the only match (or of the ``count`` matches) of ``pattern``."""
    matches = re.findall(pattern, source)
    assert len(matches) == count, (pattern, matches)
    return matches[0] if count == 1 else matches


def printed(nb, cell_id):
    cell = next(c for c in nb.cells if c.id == cell_id)
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.output_type == "stream")


def same_when_rounded(stated, measured):
    """True if ``measured``, rounded to as many decimals as the string ``stated`` shows, is
    ``stated``."""
    decimals = len(stated.split(".")[1]) if "." in stated else 0
    return math.isclose(round(measured, decimals), float(stated), abs_tol=1e-12)


@pytest.fixture(scope="module")
def a3_run(tmp_path_factory):
    """The Assignment 3 solution notebook, executed once in quick mode."""
    from nbclient import NotebookClient
    data = tmp_path_factory.mktemp("data")
    subprocess.run([sys.executable, str(FAKE_DATA), str(data)], check=True, capture_output=True)
    nb = nbformat.read(A3, as_version=4)
    env = dict(os.environ, NNCOURSE_SMALL="1", NNCOURSE_DATA=str(data), MPLBACKEND="agg",
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    started = time.perf_counter()
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(A3.parent)}}).execute(env=env)
    print(f"A3 solution notebook (NNCOURSE_SMALL=1): {time.perf_counter() - started:.1f} s")
    return nb


@pytest.fixture(scope="module")
def a3():
    """A namespace with the A3 notebook's own code: imports, the task cells this module needs
    and the cell with the digits and `fit`."""
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the notebook does
    source = cells(A3)
    namespace = {"__name__": "__main__"}
    for cell in source.values():
        tags = cell.metadata.get("tags", [])
        if "imports" in tags or {"task_3_6", "task_3_8", "task_3_9"} & set(tags):
            exec(compile(cell.source, cell.id, "exec"), namespace)
    exec(compile(source["3febb481"].source, "3febb481", "exec"), namespace)  # digits and fit
    yield namespace
    torch.set_num_threads(threads)


# ------------------------------------------------------------ Assignment 2

def tiny_net_trajectory(eta, steps):
    """(h1, h2) before every step of Task 2.2's gradient descent, computed with the solution's
    own `tiny_loss_and_grads`; also checks that the loop is the one `train_tiny_net` runs."""
    namespace = {"np": np}
    exec(compile(cells(A2)["a2-10"].source, "a2-10", "exec"), namespace)
    sigmoid = lambda z: 1 / (1 + math.exp(-z))
    w, losses, hidden = dict(namespace["TINY_W0"]), [], []
    for _ in range(steps):
        hidden.append((sigmoid(w["w1"] + w["w3"] + w["w5"]), sigmoid(w["w2"] + w["w4"] + w["w6"])))
        loss, grads = namespace["tiny_loss_and_grads"](w)
        losses.append(loss)
        w = {k: w[k] - eta * grads[k] for k in w}
    assert np.allclose(losses, namespace["train_tiny_net"](eta, steps), rtol=1e-12, atol=0)
    return hidden


def test_a2_tiny_net_hidden_units_are_where_the_model_answer_puts_them():
    answer = text(A2, "a2-16")
    hidden = tiny_net_trajectory(1.0, 12)
    stated = re.findall(r"\$\((\d\.\d+), (\d\.\d+)\)\$ (?:at the start|after (\w+))", answer)
    assert [s[2] for s in stated] == ["", "six", "seven", "nine"], stated
    for h1, h2, after in stated:
        step = WORDS[after] if after else 0
        assert same_when_rounded(h1, hidden[step][0]), (after, h1, hidden[step])
        assert same_when_rounded(h2, hidden[step][1]), (after, h2, hidden[step])

    def curvature(step):
        return 1 + hidden[step][0] ** 2 + hidden[step][1] ** 2

    c0 = find(r"\+ 1 \\approx " + NUMBER + r"\$", answer)
    assert same_when_rounded(c0, curvature(0))
    assert same_when_rounded(find(r"2 / c \\approx " + NUMBER, answer), 2 / curvature(0))
    assert same_when_rounded(find(r"factor is about \$" + NUMBER, answer), 1 - 0.2 * curvature(0))
    assert same_when_rounded(find(r"it is about \$" + NUMBER, answer), 1 - 1.0 * curvature(0))
    # "lowers the curvature to about 1.1 < 2/eta": after nine steps and from then on
    lowered = find(r"curvature to about \$" + NUMBER + r" < 2/\\eta", answer)
    assert all(same_when_rounded(lowered, curvature(step)) for step in range(9, 12))
    assert curvature(9) < 2 / 1.0


def test_a2_xavier_sentence_keeps_to_tanh_and_sends_relu_to_he(a3):
    sentence = text(A2, "a2-36")
    assert "such as tanh" in sentence and "halves the variance at every layer" in sentence
    assert "He initialisation" in sentence and "(Assignment 3)" in sentence
    # what Assignment 3's lab measures: Xavier halves the variance per ReLU layer, while with
    # tanh it shrinks far more slowly
    relu = variance_factor(a3, "xavier", "relu", 512)
    tanh = variance_factor(a3, "xavier", "tanh", 512)
    assert 0.45 < relu < 0.55, relu
    assert tanh > 0.7, tanh


# ------------------------------------------------------------ Assignment 3, Part 7: remedies

def remedies_table(nb):
    rows = re.findall(r"^(.+?)\s{2,}(\d\.\d\d)\s+(\d\.\d\d)\s+(\d\.\de[-+]\d\d)\s+(\d+\.\d)%$",
                      printed(nb, "d1cbe576"), re.M)
    table = {name.strip(): {"slope": slope, "gain": gain, "ratio": float(ratio)}
             for name, slope, gain, ratio, _ in rows}
    assert set(table) == {"(Xavier, no remedy)", "batch normalisation", "uniform init U(-1, 1)",
                          "He / Kaiming init"}, rows
    return table


def test_a3_remedies_model_answer_quotes_the_measured_slopes_and_gains(a3_run):
    table = remedies_table(a3_run)
    xavier, bn = table["(Xavier, no remedy)"], table["batch normalisation"]
    uniform, he = table["uniform init U(-1, 1)"], table["He / Kaiming init"]
    answer = text(A3, "c4e68d2b")

    assert find(r"mean \$\\sigma' \\approx " + NUMBER, answer) == bn["slope"]
    assert find(r"gain per layer is about \$" + NUMBER, answer) == bn["gain"]
    assert find(r"slope falls from \$" + NUMBER + r"\$ \(Xavier\) to \$" + NUMBER, answer) == (
        xavier["slope"], uniform["slope"])
    assert find(r"gain per layer is \$" + NUMBER + r"\$ instead of Xavier's \$" + NUMBER,
                answer) == (uniform["gain"], xavier["gain"])
    assert find(r"slope stays near \$" + NUMBER, answer) == he["slope"]
    assert find(r"gain rises only to \$" + NUMBER, answer) == he["gain"]
    # the old, wrong claim: a gain above one for U(-1, 1)
    assert float(uniform["gain"]) < 1 and "> 1$ at first" not in answer
    # the weight part: std of U(-1, 1) is 1/sqrt(3); Xavier's for 100 -> 100 units is 0.1
    assert same_when_rounded(find(r"standard deviation of \$" + NUMBER, answer), 3 ** -0.5)
    assert same_when_rounded(find(r"\\sqrt\{100\} \\cdot 0\.58 \\approx " + NUMBER, answer),
                             10 * 3 ** -0.5)
    # "a ratio of about 10^-2 instead of 10^-4", "starts around 10^-1 instead of 10^-4"
    exponents = [int(e) for e in re.findall(r"10\^\{(-\d)\}", answer)]
    assert exponents == [-1, -4, -2, -4], exponents
    assert round(math.log10(bn["ratio"])) == -1
    assert round(math.log10(uniform["ratio"])) == -2
    assert round(math.log10(xavier["ratio"])) == -4


# ------------------------------------------------------------ Assignment 3, Part 7: two circles

ROW = re.compile(r"^(tanh|ReLU)\s+(U\(-1, 1\)|He)\s+(SGD|Adam)\s+(\d\.\d{3})\s+(\d\.\d{3}) ± "
                 r"(\d\.\d{3})\s+((?:\d\.\d{3} ?){5})$", re.M)
EFFECT = re.compile(r"^(activation|init|optimiser)\s+.*difference ([+-]\d\.\d{3})$", re.M)


def circles_table(nb):
    output = printed(nb, "884c9955")
    rows = {(a, i, o): {"loss": loss, "mean": mean, "sd": sd, "seeds": seeds.split()}
            for a, i, o, loss, mean, sd, seeds in ROW.findall(output)}
    assert len(rows) == 8, output
    return rows, dict(EFFECT.findall(output))


def test_a3_circles_the_optimiser_explains_the_gap(a3_run):
    rows, effects = circles_table(a3_run)
    claim = text(A3, "70deb943")
    adam = [float(r["mean"]) for key, r in rows.items() if key[2] == "Adam"]
    sgd = [float(r["mean"]) for key, r in rows.items() if key[2] == "SGD"]

    low, high = find(r"Adam reaches " + NUMBER + " to " + NUMBER, claim)
    assert same_when_rounded(low, min(adam)) and same_when_rounded(high, max(adam))
    low, high = find(r"SGD stays between " + NUMBER + " and " + NUMBER, claim)
    assert same_when_rounded(low, min(sgd)) and same_when_rounded(high, max(sgd))
    assert min(adam) > max(sgd)  # every Adam combination beats every SGD one

    # the four combinations the text names, in its order
    named = [("tanh", "U(-1, 1)", "SGD"), ("ReLU", "He", "Adam"), ("tanh", "U(-1, 1)", "Adam"),
             ("ReLU", "He", "SGD")]
    assert find(r"(\d\.\d{3}) ± (\d\.\d{3})", claim, count=4) == [
        (rows[key]["mean"], rows[key]["sd"]) for key in named]

    # main effects, and "less than the spread between seeds"
    assert find(r"Adam adds ([+-]\d\.\d{3})", claim) == effects["optimiser"]
    assert find(r"ReLU \(([+-]\d\.\d{3})\)", claim) == effects["activation"]
    assert find(r"He \(([+-]\d\.\d{3})\)", claim) == effects["init"]
    spread = np.mean([float(r["sd"]) for r in rows.values()])
    assert abs(float(effects["activation"])) < spread and abs(float(effects["init"])) < spread

    # the losses after 50 epochs: SGD near ln 2, Adam far below
    sgd_loss = [float(r["loss"]) for key, r in rows.items() if key[2] == "SGD"]
    adam_loss = [float(r["loss"]) for key, r in rows.items() if key[2] == "Adam"]
    low, high = find(NUMBER + " to " + NUMBER + r" after 50 epochs", claim)
    assert same_when_rounded(low, min(sgd_loss)) and same_when_rounded(high, max(sgd_loss))
    low, high = find(r"gets down to " + NUMBER + " to " + NUMBER, claim)
    assert same_when_rounded(low, min(adam_loss)) and same_when_rounded(high, max(adam_loss))
    assert min(sgd_loss) > 0.6 > 0.4 > max(adam_loss)
    # "its 1,100 steps": 700 training points in batches of 32, 50 epochs
    assert "1,100 steps" in claim and math.ceil(700 / 32) * 50 == 1100

    # "ReLU with He initialisation and seed 4 ends at 0.483 with both optimisers"
    outlier = find(r"seed 4 ends at (\d\.\d{3}) with both optimisers", claim)
    assert rows["ReLU", "He", "SGD"]["seeds"][4] == rows["ReLU", "He", "Adam"]["seeds"][4] == outlier


def test_a3_circles_outlier_has_a_dead_last_hidden_layer(a3):
    """The explanation of the outlier, rerun with the notebook's own functions: all five units
    of the last hidden layer are dead after training, and every point gets the same class."""
    torch = a3["torch"]
    from sklearn.datasets import make_circles
    from sklearn.model_selection import train_test_split
    X, y = make_circles(n_samples=1000, noise=0.08, random_state=0)
    X_train, X_test, y_train, _ = train_test_split(X, y, test_size=0.3, random_state=0)
    X_train, X_test = (torch.tensor(a, dtype=torch.float32) for a in (X_train, X_test))
    assert "all five of its units output zero for every input" in text(A3, "70deb943")
    for optimizer in ("sgd", "adam"):
        torch.manual_seed(4)
        model = a3["make_mlp"](3, 5, "relu", in_features=2, out_features=2, init="kaiming")
        a3["fit"](model, X_train, torch.tensor(y_train), 50, lr=0.01, batch_size=32,
                  optimizer=optimizer, seed=4)
        assert a3["dead_relu_fraction"](model, X_train)[-1] == 1.0, optimizer
        with torch.no_grad():
            assert len(set(model(X_test).argmax(dim=1).tolist())) == 1, optimizer


# ------------------------------------------------------------ Assignment 3, Part 8

def variance_factor(a3, init, activation, width):
    """The lab's per-layer factor (geometric mean over layers 1 to 10) of the activations'
    variance, with the settings of the notebook's lab cell at this width."""
    a3["torch"].manual_seed(0)
    variances = np.array(a3["activation_variances"](init, activation, depth=10, width=width,
                                                    n=2 * width))
    return float(np.exp(np.mean(np.log(variances[1:] / variances[:-1]))))


def test_a3_lab_variance_factors_per_layer(a3):
    bullets = text(A3, "63fb5264")
    # full run (width 512): the small fixed scale, tanh and ReLU
    tanh_small = find(r"\$" + NUMBER + r"\$ per layer at width 512", bullets)
    assert same_when_rounded(tanh_small, variance_factor(a3, "normal_0.01", "tanh", 512))
    relu_small = find(r"carries no signal to the next layer: \$" + NUMBER + r"\$ per layer",
                      bullets)
    assert same_when_rounded(relu_small, variance_factor(a3, "normal_0.01", "relu", 512))
    assert "for tanh and ReLU alike" not in bullets  # the old claim: ReLU's factor is half
    # the large fixed scale: d * 0.1^2 for the linear part, about half of it with ReLU
    assert same_when_rounded(find(r"d \\cdot 0\.1\^2 \\approx " + NUMBER, bullets), 512 * 0.01)
    relu_large = find(r"explodes by a factor of about " + NUMBER + " per layer", bullets)
    assert same_when_rounded(relu_large, variance_factor(a3, "normal_0.1", "relu", 512))
    # Xavier halves per ReLU layer, Kaiming keeps the scale
    assert 0.45 < variance_factor(a3, "xavier", "relu", 512) < 0.55
    assert 0.9 < variance_factor(a3, "kaiming", "relu", 512) < 1.1
    # quick mode (width 256) halves the fixed scales' factors; the others stay
    assert "Quick mode (`SMALL`) uses width 256, which halves the factors" in bullets
    for init, activation in (("normal_0.01", "tanh"), ("normal_0.01", "relu"),
                             ("normal_0.1", "relu")):
        ratio = (variance_factor(a3, init, activation, 256)
                 / variance_factor(a3, init, activation, 512))
        assert 0.45 < ratio < 0.55, (init, activation, ratio)
    for init in ("xavier", "kaiming"):
        ratio = variance_factor(a3, init, "relu", 256) / variance_factor(a3, init, "relu", 512)
        assert 0.9 < ratio < 1.1, (init, ratio)


def revival_table(nb):
    rows = re.findall(r"^\s*(\d)\s+((?:\s*\d+% -> \s*\d+%){5})$", printed(nb, "5e1f0a2b"), re.M)
    table = {int(seed): [(int(a), int(b)) for a, b in re.findall(r"(\d+)% -> \s*(\d+)%", cells_)]
             for seed, cells_ in rows}
    assert sorted(table) == [0, 1, 2, 3, 4], rows
    return table


def test_a3_dead_units_come_back_only_in_deeper_layers(a3_run):
    table = revival_table(a3_run)
    claim = text(A3, "9c3d7e41")
    # "the first hidden layer has no dead unit at any time"
    assert all(layers[0] == (0, 0) for layers in table.values()), table
    # "every run has a deeper layer that ends with fewer dead units than it had at its worst"
    assert all(any(last < most for most, last in layers[1:]) for layers in table.values()), table
    seed, layer, most, last = find(r"In seed (\d), for example, the (\w+) layer goes from "
                                   r"(\d+)% dead units to (\d+)%", claim)
    ordinal = {"second": 2, "third": 3, "fourth": 4, "fifth": 5}[layer]
    assert table[int(seed)][ordinal - 1] == (int(most), int(last))
    everything = " ".join(c.source for c in cells(A3).values() if c.cell_type == "markdown")
    assert "never recovers" not in everything


def test_a3_a_dead_first_layer_unit_stays_dead(a3):
    """"once it is dead it stays dead": a first-layer unit that is dead on the training data
    gets exactly zero gradient, so not even Adam moves its weights."""
    torch = a3["torch"]
    torch.manual_seed(0)
    model = a3["make_mlp"](5, 100, "relu", init="kaiming")
    with torch.no_grad():
        model[0].bias[0] = -1e3  # unit 0 of the first hidden layer: dead for every input
    weights, bias = model[0].weight[0].clone(), model[0].bias[0].clone()
    a3["fit"](model, a3["Xd_train"], a3["yd_train"], 2, lr=0.01, batch_size=32,
              optimizer="adam")
    assert torch.equal(model[0].weight[0], weights) and torch.equal(model[0].bias[0], bias)
    with torch.no_grad():
        assert (model[0](a3["Xd_train"])[:, 0] < 0).all()  # still dead
