"""Assignment 4: every number the solution notebook's prose states is a number its runs give.

Each test reads a sentence of a markdown cell (found by its cell id), takes the numbers it
states, and compares them with what the notebook computes. The notebook runs once, in quick
mode, in the module fixture; a cell added at the end of that copy collects the figures from the
kernel and then runs the sine experiments of Part 4 (5 seeds) and Part 6's experiment (600
epochs, 5 seeds) again in full mode, because the model answers quote full-mode numbers there.
Part 3, the range tests, the gradient noise and the AdamW sweep run the same in both modes. A
stated number must be the computed one, rounded as it is written (plus a small slack where
torch's arithmetic may differ between machines), so text and runs cannot drift apart unnoticed.
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
SOLUTION = REPO / "solutions" / "assignment_4_optimizers.ipynb"
MARK = "CLAIM-FIGURES "

# A number as the notebook writes it: 0.174, 54.8%, $4.6 \cdot 10^{-18}$ (the $ are not part).
NUM = r"(\d+(?:\.\d+)?(?:\s*\\cdot\s*10\^\{-?\d+\})?%?)"

COLLECT = r'''
import json as _json
_c = SURFACES["(c) ravine with plateaus"]
_figures = {
    "q_after_30": q_after_30,
    "rates": measured_rates,
    "race_f": {title: {name: float(SURFACES[title]["f"](*path[-1])) for name, path in paths.items()}
               for title, paths in race.items()},
    "race_lr": {title: s["lr"] for title, s in SURFACES.items()},
    "race_beta": {title: s["beta"] for title, s in SURFACES.items()},
    "grad_c_start": [float(g) for g in _c["grad"](np.array(_c["start"]))],
    "off_plateau": off_plateau,
    "relative_steps": {name: [float(r[19]), float(r[-1])] for name, r in relative_steps.items()},
    "cloud": {"lrs": cloud_lrs, "losses": cloud_losses, "smooth": cloud_smooth.tolist(),
              "best_lr": cloud_best},
    "finder": {"lrs": lrs, "losses": losses, "lowest": lowest},
    "noise": {"batch_sizes": batch_sizes, "measured": measured_noise,
              "predicted": predicted_noise, "examples": n_examples, "draws": 2000},
    "adamw_gap": gap,
    "sweep": {"curvatures": curvatures.tolist(), "decay": DECAY, "steps": STEPS,
              "w": {label: w.tolist() for label, w in sweep.items()}},
    "sine": {"n_fit": len(x_fit), "n_check": len(x_check), "n_grid": len(x_grid),
             "noise_sd": float((y_sine - sine_curve(x_sine)).std()),
             "widths": [m.out_features for m in sine_net() if isinstance(m, nn.Linear)],
             "epochs": SINE_EPOCHS, "settings": list(sine_settings)},
}
print("''' + MARK + r'''" + _json.dumps(_figures, default=float))
'''

FULL_PART_4 = r'''
import json as _json
SMALL = False
for _source in _part_4:
    exec(_source)

def _stats(errors):
    return {"mean": errors.mean(axis=0).tolist(), "sd": errors.std(axis=0).tolist()}

print("''' + MARK + r'''" + _json.dumps({
    "seeds": SINE_SEEDS, "epochs": SINE_EPOCHS,
    "schedules": {label: _stats(errors) for label, errors in schedule_errors.items()},
    "rates": schedule_rates,
    "scaling": {f"{b} {lr}": _stats(errors) for (b, lr), errors in scaling_errors.items()},
}, default=float))
'''

FULL_PART_6 = r'''
import json as _json
SMALL = False
exec(_part_6)

def _tiny(model):
    w = torch.cat([p.detach().abs().flatten() for p in model.parameters() if p.dim() > 1])
    return float(w[w < 1e-3].median())

print("''' + MARK + r'''" + _json.dumps({
    "epochs": EPOCHS_C, "seeds": SEEDS_C, "scores": scores,
    "tiny_median": {label: _tiny(trained[label][0]) for label in ("L1 (3e-5)", "L2 (3e-4)")},
}, default=float))
'''


@pytest.fixture(scope="module")
def notebook():
    return nbformat.read(SOLUTION, as_version=4)


@pytest.fixture(scope="module")
def figures(notebook, tmp_path_factory):
    """Run the solution in quick mode, then collect its figures and Part 6 in full mode."""
    from nbclient import NotebookClient
    nb = nbformat.from_dict(json.loads(json.dumps(notebook)))   # a copy to run
    part_6 = next(c.source for c in nb.cells if c.id == "181f03eb")
    part_4 = [next(c.source for c in nb.cells if c.id == cell_id)
              for cell_id in ("c714d736", "747230da", "0424b4d8")]
    nb.cells += [nbformat.v4.new_code_cell(COLLECT),
                 nbformat.v4.new_code_cell(f"_part_4 = {part_4!r}\n" + FULL_PART_4),
                 nbformat.v4.new_code_cell(f"_part_6 = {part_6!r}\n" + FULL_PART_6)]
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env.update(NNCOURSE_SMALL="1", NNCOURSE_DATA=str(tmp_path_factory.mktemp("data")),
               MPLBACKEND="agg",
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    started = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(SOLUTION.parent)}}).execute(env=env)
    print(f"quick run plus full-mode Parts 4 and 6: {time.perf_counter() - started:.1f} s")
    found = [json.loads(line[len(MARK):]) for cell in nb.cells[-3:]
             for output in cell.get("outputs", []) if output.output_type == "stream"
             for line in output.text.splitlines() if line.startswith(MARK)]
    assert len(found) == 3, "the collecting cells printed nothing"
    return {**found[0], "full_4": found[1], "full": found[2]}


# ---------------------------------------------------------------- reading the prose

def text(notebook, cell_id):
    """A markdown cell's text with line breaks as spaces (sentences wrap across lines)."""
    source = next(c.source for c in notebook.cells if c.id == cell_id)
    return re.sub(r"\s+", " ", source)


def stated(notebook, cell_id, pattern):
    """The numbers a sentence states: ``pattern`` is a regex in which each ``{}`` stands for a
    number; returns them as strings, in order. Fails if the sentence is not there."""
    regex = re.escape(pattern).replace(r"\{\}", NUM).replace(r"\ ", r"\s*")
    match = re.search(regex, text(notebook, cell_id))
    assert match, f"cell {cell_id} no longer says: {pattern!r}"
    return match.groups()


def value(written):
    """('4.6 \\cdot 10^{-18}') -> (4.6e-18, half a unit of the last written digit)."""
    whole, fraction, exponent, percent = re.fullmatch(
        r"(\d+)(?:\.(\d+))?(?:\s*\\cdot\s*10\^\{(-?\d+)\})?(%)?", written).groups()
    scale = 10.0 ** int(exponent or 0) * (0.01 if percent else 1.0)
    return float(f"{whole}.{fraction or 0}") * scale, 0.5 * 10.0 ** -len(fraction or "") * scale


def agrees(written, actual, slack=0.0):
    """The written number is ``actual`` rounded as written (give or take ``slack``)."""
    number, half = value(written)
    assert abs(actual - number) <= half * 1.0001 + slack, \
        f"the text says {written}, the run gives {actual:.6g}"


# ---------------------------------------------------------------- claim 13: EMA momentum

def _momentum_class(notebook):
    namespace = {}
    imports = next(c.source for c in notebook.cells if "imports" in c.metadata.get("tags", []))
    task = next(c.source for c in notebook.cells if "task_4_3" in c.metadata.get("tags", []))
    exec(imports, namespace)
    exec(task, namespace)
    return namespace["Momentum"]


def test_ema_momentum_is_pytorch_momentum_with_a_rescaled_learning_rate(notebook):
    """Part 2: v <- beta v + (1 - beta) g with learning rate eta takes exactly the steps of the
    notebook's (PyTorch's) momentum with learning rate eta (1 - beta), constant or scheduled."""
    ten, beta = stated(notebook, "c93cb245", r"which is $\eta/{}$ for $\beta = {}$")
    assert 1 - float(beta) == pytest.approx(1 / float(ten))
    assert r"learning rate $\eta\,(1 - \beta)$" in text(notebook, "c93cb245")
    assert "different optimizer" not in text(notebook, "c93cb245")
    Momentum = _momentum_class(notebook)
    beta = float(beta)
    rng = np.random.default_rng(0)
    scale = rng.uniform(0.5, 3.0, size=5)
    for schedule in (lambda t: 0.05, lambda t: 0.05 * 0.97 ** t):
        ema_p, ema_v = rng.normal(size=5), np.zeros(5)
        torch_p = ema_p.copy()
        theirs = Momentum(lr=schedule(0) * (1 - beta), beta=beta)
        for t in range(200):
            ema_v = beta * ema_v + (1 - beta) * (scale * ema_p + np.cos(ema_p))
            ema_p = ema_p - schedule(t) * ema_v
            theirs.lr = schedule(t) * (1 - beta)
            theirs.step([torch_p], [scale * torch_p + np.cos(torch_p)])
            np.testing.assert_allclose(ema_p, torch_p, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- claim 1: momentum on q

def test_momentum_on_the_quadratic_damping_and_rates(notebook, figures):
    q30, rates = figures["q_after_30"], figures["rates"]
    spiral, plain = stated(notebook, "d5ef61c1",
                           "after 30 steps $q$ is still {}, more than ten times gradient "
                           r"descent's {} at $\eta = 0.4$")
    agrees(spiral, q30["momentum 0.9, lr 0.6"])
    agrees(plain, q30["GD, lr 0.4"])
    assert q30["momentum 0.9, lr 0.6"] > 10 * q30["GD, lr 0.4"]
    assert q30["momentum 0.5, lr 0.5"] < 1e-6 * q30["GD, lr 0.4"]

    # The rates: the notebook's measured slopes agree with the stated (predicted) factors.
    (slow,) = stated(notebook, "d5ef61c1", r"shrink by only $\sqrt{0.9} \approx {}$ per step")
    (gd_flat,) = stated(notebook, "d5ef61c1", r"gradient descent's $1 - 0.4 \cdot 0.2 = {}$")
    (damped,) = stated(notebook, "d5ef61c1", r"shrink by $\sqrt{0.5} \approx {}$ per step")
    (gd_best,) = stated(notebook, "d5ef61c1", r"$(\kappa - 1)/(\kappa + 1) = 19/21 \approx {}$")
    for written, exact, label in [(slow, math.sqrt(0.9), "momentum 0.9, lr 0.6"),
                                  (gd_flat, 0.92, "GD, lr 0.4"),
                                  (damped, math.sqrt(0.5), "momentum 0.5, lr 0.5"),
                                  (gd_best, 19 / 21, "GD, lr 2 / (0.2 + 4)")]:
        agrees(written, exact)
        agrees(written, rates[label], slack=0.004)
    assert rates["momentum 0.9, lr 0.6"] > rates["GD, lr 0.4"] > rates["momentum 0.5, lr 0.5"]

    # The under-damped range and the best settings, from the formulas the text gives.
    low, high = stated(notebook, "d5ef61c1", r"both inside $({},\ {})$")
    agrees(low, (1 - math.sqrt(0.5)) ** 2)
    agrees(high, (1 + math.sqrt(0.5)) ** 2)
    assert (1 - math.sqrt(0.5)) ** 2 < 0.5 * 0.2 and 0.5 * 4.0 < (1 + math.sqrt(0.5)) ** 2
    kappa, root = 20.0, math.sqrt(20.0)
    beta, eta, rate = stated(notebook, "d5ef61c1",
                             r"\approx {}$ with $\eta = 4/(\sqrt{\lambda_{\max}} + "
                             r"\sqrt{\lambda_{\min}})^2 \approx {}$, reaches $\sqrt\beta = "
                             r"(\sqrt\kappa - 1)/(\sqrt\kappa + 1) \approx {}$")
    agrees(beta, ((root - 1) / (root + 1)) ** 2)
    agrees(eta, 4 / (2 + math.sqrt(0.2)) ** 2)
    agrees(rate, (root - 1) / (root + 1))
    gd_steps, momentum_steps = stated(notebook, "d5ef61c1",
                                      "gradient descent needs about {} steps and well-tuned "
                                      "momentum about {},")
    agrees(gd_steps, math.log(10) / -math.log((kappa - 1) / (kappa + 1)))
    agrees(momentum_steps, math.log(10) / -math.log((root - 1) / (root + 1)))


def test_momentum_in_the_race_and_the_model_answer(notebook, figures):
    quadratic = "(a) ill-conditioned quadratic"
    f, lr = figures["race_f"][quadratic], figures["race_lr"][quadratic]
    beta, eta, rate = stated(notebook, "b92d2d87", r"With $\beta = {}$ and $\eta = {}$ both "
                             r"directions shrink by $\sqrt\beta \approx {}$ per step")
    assert float(beta) == figures["race_beta"][quadratic] and float(eta) == lr["Momentum"]
    agrees(rate, figures["rates"]["momentum 0.5, lr 0.5"], slack=0.004)
    momentum, gd = stated(notebook, "b92d2d87", "momentum ends at $q = {}$ after 60 steps, "
                          "where gradient descent ends at ${}$")
    agrees(momentum, f["Momentum"])
    agrees(gd, f["SGD"])
    spiral, plain = stated(notebook, "b92d2d87", "($q$ = {} against {})")
    agrees(spiral, figures["q_after_30"]["momentum 0.9, lr 0.6"])
    agrees(plain, figures["q_after_30"]["GD, lr 0.4"])
    assert "grows by up to" not in text(notebook, "b92d2d87")


# ---------------------------------------------------------------- claim 2: Rosenbrock

def test_rosenbrock_only_adam_reaches_the_minimum(notebook, figures):
    f = figures["race_f"]["(b) Rosenbrock"]
    (adam,) = stated(notebook, "b92d2d87", "Only Adam reaches the minimum in 1000 steps ($f = {}$)")
    agrees(adam, f["Adam"])
    momentum, nesterov = stated(notebook, "b92d2d87", "($f$ = {} and {}), SGD")
    agrees(momentum, f["Momentum"])
    agrees(nesterov, f["Nesterov"])
    sgd, rmsprop, adagrad = stated(notebook, "b92d2d87", "($f$ = {}), and RMSProp ($f$ = {}) and "
                                   "AdaGrad ($f$ = {}) are slower still")
    agrees(sgd, f["SGD"])
    agrees(rmsprop, f["RMSProp"])
    agrees(adagrad, f["AdaGrad"])
    others = [value for name, value in f.items() if name != "Adam"]
    assert f["Adam"] < 1e-4 < 0.01 < min(others)
    assert f["Momentum"] < f["SGD"] < f["RMSProp"] < f["AdaGrad"]
    adam_lr, rmsprop_lr = stated(notebook, "b92d2d87", "RMSProp's ({} against {})")
    lr = figures["race_lr"]["(b) Rosenbrock"]
    assert (float(adam_lr), float(rmsprop_lr)) == (lr["Adam"], lr["RMSProp"])
    assert "Adam (and RMSProp)" not in text(notebook, "b92d2d87")


# ---------------------------------------------------------------- claim 3: plateaus

def test_plateau_adaptive_steps_and_the_memory_of_beta2(notebook, figures):
    g1, g2 = stated(notebook, "43b48efe", r"about {} in $w_1$ and {} in $w_2$")
    agrees(g1, abs(figures["grad_c_start"][0]))
    agrees(g2, abs(figures["grad_c_start"][1]))
    off, steps = figures["off_plateau"], figures["relative_steps"]
    f = figures["race_f"]["(c) ravine with plateaus"]
    (sgd,) = stated(notebook, "b92d2d87", "still up on the plateau ($f$ = {})")
    agrees(sgd, f["SGD"])
    assert off["SGD"] is None
    momentum, nesterov = stated(notebook, "b92d2d87", "until step {} (Nesterov: {})")
    assert (int(momentum), int(nesterov)) == (off["Momentum"], off["Nesterov"])
    at_20, adam_off, others_off = stated(notebook, "b92d2d87",
                                         r"({} $\eta$ at step 20) and is down the drop at step "
                                         "{}, AdaGrad and RMSProp, whose first steps are longer "
                                         "still, at step {}")
    agrees(at_20, steps["Adam"][0])
    assert 0.8 < steps["Adam"][0] < 1.5            # "about eta per step" on the plateau
    assert steps["SGD"][0] < 0.01                  # ... where SGD moves by < 1% of its lr
    assert int(adam_off) == off["Adam"] and int(others_off) == off["AdaGrad"] == off["RMSProp"]
    assert max(off["Adam"], off["AdaGrad"], off["RMSProp"]) < min(off["Momentum"], off["Nesterov"])
    long_memory, short_memory = stated(notebook, "b92d2d87",
                                       r"at step 200 its step is only {} $\eta$; with "
                                       r"$\beta_2 = 0.9$, a memory of about 10 steps, it is still "
                                       r"{} $\eta$")
    agrees(long_memory, steps["Adam"][1])
    agrees(short_memory, steps["Adam, beta2 = 0.9"][1])
    assert steps["Adam"][1] < 0.1 < 0.4 < steps["Adam, beta2 = 0.9"][1]


# ---------------------------------------------------------------- claim 8: the range test

def test_range_test_shows_the_u_shape_with_a_moving_average(notebook, figures):
    cloud = figures["cloud"]
    lrs, smooth, raw = (np.array(cloud[k]) for k in ("lrs", "smooth", "losses"))
    start, flat_until = stated(notebook, "f2a66da6", r"stays near {} (guessing gives $\ln 2 "
                               r"\approx 0.69$) up to a learning rate of about {},")
    lowest, best, stop = stated(notebook, "f2a66da6", "falls steeply between 0.1 and 1, is "
                                "lowest, {}, at about {}, and turns up again; at about {} the "
                                "loss of one mini-batch exceeds 4 times the smallest")
    (tenth,) = stated(notebook, "f2a66da6", "back by a factor 10, here to about {}.")
    agrees(start, smooth[0])
    assert np.all(np.abs(smooth[lrs <= float(flat_until)] - float(start)) < 0.015)
    agrees(lowest, smooth.min())
    agrees(best, cloud["best_lr"], slack=0.05)
    agrees(stop, lrs[-1])
    agrees(tenth, cloud["best_lr"] / 10, slack=0.005)
    # the U: flat, then steeply down, then up again, and the stop on a blown-up mini-batch
    at = lambda lr: smooth[np.argmin(np.abs(np.log(lrs / lr)))]   # noqa: E731
    assert at(0.1) - at(1.0) > 0.15
    assert smooth.min() < 0.6 * smooth[0] and smooth[-1] > 1.3 * smooth.min()
    assert raw[-1] > 4 * raw[:-1].min() and len(lrs) < 100
    assert "moving average" in text(notebook, "1993da6f")


def test_range_test_on_the_regressor_is_described_as_it_runs(notebook, figures):
    finder = figures["finder"]
    steps, first, lowest, at, stop = stated(
        notebook, "f888afed",
        "a run this short ({} steps) cannot fit the narrow peak, so the loss only creeps from {} "
        "to its lowest value, {}, at a learning rate of about {}, and the test stops at about "
        "{}, where the loss explodes")
    (tenth,) = stated(notebook, "f888afed", "a tenth of the best value, about {},")
    assert int(steps) == len(finder["lrs"]) < 120
    agrees(first, finder["losses"][0])
    agrees(lowest, min(finder["losses"]))
    agrees(at, finder["lowest"])
    agrees(stop, finder["lrs"][-1])
    agrees(tenth, finder["lowest"] / 10)
    assert min(finder["losses"]) > 0.7 * finder["losses"][0]   # no steep downhill part


# ---------------------------------------------------------------- claims 6 and 7: Part 6

def test_part_6_numbers_are_means_and_sds_over_seeds_in_full_mode(notebook, figures):
    full = figures["full"]
    scores = full["scores"]
    epochs, seeds = stated(notebook, "50ae1df5", "from full mode, {} epochs and {} seeds")
    assert (int(epochs), int(seeds)) == (full["epochs"], len(full["seeds"]))

    def check(written_mean, written_sd, label, split="test"):
        agrees(written_mean, np.mean(scores[label][split]), slack=0.003)
        agrees(written_sd, np.std(scores[label][split]), slack=0.003)

    check(*stated(notebook, "50ae1df5", "training accuracy ({} ± {})"), "baseline", "train")
    check(*stated(notebook, "50ae1df5", "validation ({} ± {})"), "baseline", "val")
    check(*stated(notebook, "50ae1df5", "test data ({} ± {})"), "baseline")
    check(*stated(notebook, "50ae1df5", "test accuracy {} ± {}."), "early stopping")
    l1_mean, l1_sd, drop_mean, drop_sd = stated(notebook, "50ae1df5", "L1 ({} ± {}) and dropout "
                                                "({} ± {}) beat the baseline")
    check(l1_mean, l1_sd, "L1 (3e-5)")
    check(drop_mean, drop_sd, "dropout (0.2)")
    l2_mean, l2_sd, low, high, bad_seed, collapsed, good_seed, single = stated(
        notebook, "50ae1df5", "largest spread, {} ± {}: four seeds land between {} and {}, but "
        "with seed {} the network collapses to a constant prediction ({},") + stated(
        notebook, "50ae1df5", "single run with seed {} ({})")
    check(l2_mean, l2_sd, "L2 (3e-4)")
    l2 = dict(zip(full["seeds"], scores["L2 (3e-4)"]["test"]))
    agrees(collapsed, l2[int(bad_seed)], slack=0.005)
    agrees(single, l2[int(good_seed)], slack=0.005)
    rest = [a for seed, a in l2.items() if seed != int(bad_seed)]
    agrees(low, min(rest), slack=0.005)
    agrees(high, max(rest), slack=0.005)

    # the verdicts: only early stopping's gain exceeds the spread; L2's spread is the largest
    mean = {label: np.mean(row["test"]) for label, row in scores.items()}
    sd = {label: np.std(row["test"]) for label, row in scores.items()}
    gain = mean["early stopping"] - mean["baseline"]
    assert gain > max(sd["early stopping"], sd["baseline"])
    for label in ("L1 (3e-5)", "dropout (0.2)"):
        assert 0 < mean[label] - mean["baseline"] < min(sd[label], sd["baseline"])
    assert sd["L2 (3e-4)"] == max(sd.values())
    assert "L2 does the same" not in text(notebook, "50ae1df5")


def test_l1_makes_weights_small_not_exactly_zero(notebook, figures):
    intro = text(notebook, "3056d415")
    assert "exactly to zero" not in intro and "towards zero" in intro and "proximal" in intro
    full = figures["full"]
    scores = full["scores"]
    assert "Neither penalty sets a single weight exactly to 0" in text(notebook, "50ae1df5")
    assert sum(scores["L1 (3e-5)"]["zeros"]) == sum(scores["L2 (3e-4)"]["zeros"]) == 0
    l1_share, base_share = stated(notebook, "50ae1df5", "where they jitter: {} of the L1 models' "
                                  "weights end below $10^{-3}$, against {} without a penalty")
    agrees(l1_share, np.mean(scores["L1 (3e-5)"]["small"]), slack=0.003)
    agrees(base_share, np.mean(scores["baseline"]["small"]), slack=0.002)
    assert "L1 pulls those weights down to around $10^{-4}$ to $10^{-3}$" in \
        text(notebook, "50ae1df5")
    assert 1e-4 <= full["tiny_median"]["L1 (3e-5)"] <= 1e-3
    (exponent,) = re.search(r"L2 takes them much further, to about \$10\^\{(-\d+)\}\$",
                            text(notebook, "50ae1df5")).groups()
    assert abs(math.log10(full["tiny_median"]["L2 (3e-4)"]) - int(exponent)) <= 0.5


# ---------------------------------------------------------------- Part 4: schedules in training

def test_sine_problem_is_the_one_the_prose_describes(notebook, figures):
    sine, full = figures["sine"], figures["full_4"]
    intro = "ae8021d1"
    n_fit, noise = stated(notebook, intro, "The problem: {} noisy samples of the curve $\\sin(3x) "
                          "+ x/2$ on $[-1, 1]$ (noise of standard deviation {})")
    assert int(n_fit) == sine["n_fit"] == 512
    agrees(noise, sine["noise_sd"], slack=0.02)
    width, batch, epochs, grid = stated(notebook, intro, "two hidden layers of {} tanh units, and "
                                        "plain SGD with mini-batches of {} for {} epochs")[0:3] + \
        stated(notebook, intro, "on a grid of {} points")
    assert sine["widths"] == [int(width), int(width), 1]
    assert int(epochs) == sine["epochs"] == full["epochs"] and int(grid) == sine["n_grid"]
    assert f"batch_size={batch}" in next(c.source for c in notebook.cells if c.id == "c714d736")
    assert "Six ways to set the learning rate" in text(notebook, intro)
    assert len(sine["settings"]) == 6
    (check,) = stated(notebook, intro, "here the loss on {} further noisy samples")
    assert int(check) == sine["n_check"]
    seeds, quick = stated(notebook, intro, "Each setting runs with {} seeds ({} in quick mode)")
    assert int(seeds) == len(full["seeds"]) and int(quick) == 2


def test_schedules_beat_constant_rates_as_the_model_answer_says(notebook, figures):
    full = figures["full_4"]
    runs = full["schedules"]
    answer = "f01d0741"

    def final(label):
        return runs[label]["mean"][-1], runs[label]["sd"][-1]

    def check(written_mean, written_sd, label, epoch=-1):
        agrees(written_mean, runs[label]["mean"][epoch], slack=0.0003)
        agrees(written_sd, runs[label]["sd"][epoch], slack=0.0003)

    check(*stated(notebook, answer, "cosine decay at {} ± {},"), "cosine decay")
    plateau = stated(notebook, answer, "then ReduceLROnPlateau ({} ± {}), exponential decay "
                     "({} ± {}) and step decay ({} ± {})")
    check(*plateau[0:2], "ReduceLROnPlateau")
    check(*plateau[2:4], "exponential decay")
    check(*plateau[4:6], "step decay")
    # the decaying rates end lowest, cosine lowest of all
    decaying = ["cosine decay", "ReduceLROnPlateau", "exponential decay", "step decay"]
    assert sorted(decaying, key=lambda label: final(label)[0]) == decaying
    assert max(final(label)[0] for label in decaying) < min(final("constant 0.1")[0],
                                                             final("constant 0.01")[0])
    check(*stated(notebook, answer, "as good as any after 10 epochs ({} ± {})"), "constant 0.1",
          epoch=9)
    assert runs["constant 0.1"]["mean"][9] <= min(runs[label]["mean"][9] for label in runs) + 0.003
    check(*stated(notebook, answer, "after 30 epochs it is at {} ± {}, about twice"),
          "constant 0.1")
    assert final("constant 0.1")[0] > runs["constant 0.1"]["mean"][9]     # stops improving
    twice = final("constant 0.1")[0] / final("cosine decay")[0]
    five = final("constant 0.1")[1] / final("cosine decay")[1]
    assert 1.5 <= twice < 2.5 and 4.5 <= five < 5.5, (twice, five)
    check(*stated(notebook, answer, "after 30 epochs it is still at {} ± {}."), "constant 0.01")
    # ReduceLROnPlateau cut the rate during the run (seed 0), at epochs no one planned
    rates = full["rates"]["ReduceLROnPlateau"]
    assert rates[0] == 0.1 and min(rates) < 0.1


def test_gradient_noise_falls_as_one_over_the_batch_size(notebook, figures):
    noise = figures["noise"]
    (examples,) = stated(notebook, "12e8ae56", "the gradient of each of the {} training examples")
    (draws,) = stated(notebook, "12e8ae56", "{} batches per size")
    assert int(examples) == noise["examples"] and int(draws) == noise["draws"]
    sizes = np.array(noise["batch_sizes"])
    measured, predicted = np.array(noise["measured"]), np.array(noise["predicted"])
    assert np.all(np.abs(measured / predicted - 1) < 0.1)     # 2000 draws: a few % noise
    slope = np.polyfit(np.log(sizes[sizes <= 64]), np.log(measured[sizes <= 64]), 1)[0]
    assert -1.1 < slope < -0.9
    assert "slope $-1$" in text(notebook, "f01d0741")


def test_linear_scaling_holds_until_the_stability_limit(notebook, figures):
    runs = figures["full_4"]["scaling"]
    answer = "f01d0741"
    small, large = stated(notebook, answer, "have the same error after 10 epochs ({} and {})")
    agrees(small, runs["16 0.025"]["mean"][9], slack=0.0003)
    agrees(large, runs["64 0.1"]["mean"][9], slack=0.0003)
    m1, s1, m2, s2 = stated(notebook, answer, "and after 30 ({} ± {} and {} ± {})")
    agrees(m1, runs["16 0.025"]["mean"][-1], slack=0.0003)
    agrees(s1, runs["16 0.025"]["sd"][-1], slack=0.0003)
    agrees(m2, runs["64 0.1"]["mean"][-1], slack=0.0003)
    agrees(s2, runs["64 0.1"]["sd"][-1], slack=0.0003)
    slow_a, slow_b = stated(notebook, answer, "agree as well ({} and {} after 30")
    agrees(slow_a, runs["64 0.025"]["mean"][-1], slack=0.0003)
    agrees(slow_b, runs["256 0.1"]["mean"][-1], slack=0.0003)
    # equal lr / B, equal errors; a smaller lr / B, a clearly larger error
    for a, b in (("16 0.025", "64 0.1"), ("64 0.025", "256 0.1")):
        gap = abs(runs[a]["mean"][-1] - runs[b]["mean"][-1])
        assert gap < runs[a]["sd"][-1] + runs[b]["sd"][-1]
    assert runs["64 0.025"]["mean"][-1] > 3 * runs["16 0.025"]["mean"][-1]
    (epoch,) = stated(notebook, answer, "but diverges in epoch {}.")
    diverged = np.array(runs["256 0.4"]["mean"])
    assert np.isfinite(diverged[:int(epoch) - 1]).all()
    assert not np.isfinite(diverged[int(epoch) - 1])


# ---------------------------------------------------------------- Part 6: AdamW

def test_adamw_matches_torch_and_decays_every_coordinate_alike(notebook, figures):
    assert figures["adamw_gap"] < 1e-12
    sweep = figures["sweep"]
    a = np.array(sweep["curvatures"])
    (count,) = stated(notebook, "e0aca329", "so without decay all {} coordinates follow the same "
                      "path")
    assert int(count) == len(a) == 13
    w = {label.split(" (")[0]: np.array(values) for label, values in sweep["w"].items()}
    assert np.ptp(w["Adam"]) < 1e-4 and np.ptp(w["your AdamW"]) < 1e-4   # the same path (eps aside)
    assert w["your AdamW"][0] < w["Adam"][0] - 0.05                         # and it decays
    penalised = a / (a + sweep["decay"])                                  # the dotted line
    np.testing.assert_allclose(w["Adam + L2"], penalised, atol=2e-3)
    assert w["Adam + L2"][0] < 0.01 and w["Adam + L2"][-1] > 0.999       # flat: 0, steep: free
    # the statement's defaults are torch's
    import inspect

    import torch
    assert inspect.signature(torch.optim.AdamW).parameters["weight_decay"].default == 0.01
    assert r"default $\lambda = 0.01$" in text(notebook, "cbd6bb62")


def test_part_6_new_remedies_as_the_model_answer_says(notebook, figures):
    full = figures["full"]
    scores = full["scores"]
    answer = "50ae1df5"
    mean = {label: np.mean(row["test"]) for label, row in scores.items()}
    sd = {label: np.std(row["test"]) for label, row in scores.items()}

    def check(written_mean, written_sd, label, split="test"):
        agrees(written_mean, np.mean(scores[label][split]), slack=0.003)
        agrees(written_sd, np.std(scores[label][split]), slack=0.003)

    check(*stated(notebook, answer, "does as well, {} ± {},"), "AdamW (1.0)")
    low, high = stated(notebook, answer, "every seed between {} and {}:")
    agrees(low, min(scores["AdamW (1.0)"]["test"]), slack=0.005)
    agrees(high, max(scores["AdamW (1.0)"]["test"]), slack=0.005)
    (factor,) = stated(notebook, answer, r"the factor $1 - \eta\lambda = {}$")
    agrees(factor, 1 - 3e-3 * 1.0)
    assert "lr=3e-3" in next(c.source for c in notebook.cells if c.id == "181f03eb")
    check(*stated(notebook, answer, "The rotations reach {} ± {},"), "augmentation")
    check(*stated(notebook, answer, "training accuracy ({} ± {}) is not"), "augmentation", "train")
    check(*stated(notebook, answer, "above its validation accuracy ({} ± {})"), "augmentation",
          "val")
    assert "Three remedies gain clearly more than the spread" in text(notebook, answer)
    helped = [label for label in scores if label != "baseline"
              and mean[label] - mean["baseline"] > max(sd[label], sd["baseline"])]
    assert set(helped) == {"early stopping", "AdamW (1.0)", "augmentation"}
    train = {label: np.mean(row["train"]) for label, row in scores.items()}
    val = {label: np.mean(row["val"]) for label, row in scores.items()}
    assert [label for label in scores if train[label] <= val[label] + 0.0005] == ["augmentation"]
