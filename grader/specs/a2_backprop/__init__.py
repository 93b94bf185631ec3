"""Assignment 2: backpropagation by hand and from scratch in NumPy (the rubric).

Each task lists the requirements its statement makes and the checks that enforce them
(``covers``). References, input makers and judges: reference.py (trusted). Probes, which run
in the student's kernel: grader/probes/a2_backprop.py. ``Net`` is tested with scripted layers
and ``fit`` with a spy network whose predictions are a table lookup: the grader replays
their record of calls and recomputes every number, and no working layer, network or loss is
ever sent to the kernel. The softmax cross-entropy, the BCE on logits and ``BatchNorm`` are
compared with PyTorch (its functions, ``nn.BatchNorm1d`` and autograd, in float64) on the
trusted side; ``Dropout``'s random masks are judged by what they must satisfy (the fraction
dropped, the scaling, the generator, a backward pass that matches the forward pass).
"""
import numpy as np

from ...checks import Assignment, Task, boolean, call, probe, value, Written
from ...wire import Like
from . import reference as R


def calls(func, args, **options):
    """``probe`` form of ``call`` for checks that need a judge (``verify``) or a subject."""
    inputs = (lambda rng: {"func": func, "args": list(args(rng)), "kwargs": {}}) \
        if callable(args) else {"func": func, "args": list(args), "kwargs": {}}
    return probe(options.pop("label"), "common.call", inputs=inputs, **options)


def value_of(ref):
    """A reference for a call check: ``{"value": ref(*args)}``."""
    return lambda func, args, kwargs=None: {"value": ref(*args)}


GRADIENT = R.pick(R.ref_gradient_of, "grad")

TASKS = [
    Task("task_2_1", "A 2-3-1 ReLU network by hand",
         requirements={
             "R1": "each of the 13 answers is a number (a float; ints and NumPy numbers are "
                   "accepted), not None or text",
             "R2": "s3, s4, s5 are the hidden weighted inputs s_j = w_j1 x1 + w_j2 x2",
             "R3": "a3, a4, a5 are ReLU(s_j)",
             "R4": "s6 = w63 a3 + w64 a4 + w65 a5 and y_hat = s6 (identity output)",
             "R5": "delta6 = dL/ds6 = y_hat - y for L = 1/2 (y - y_hat)^2",
             "R6": "delta_j = ReLU'(s_j) w_6j delta6 for j = 3, 4, 5 (ReLU' is 0 for s <= 0)",
             "R7": "dL_dw32 = delta3 a2 = delta3 x2",
         },
         checks=[
             probe("your answers", "a2_backprop.values", inputs={"names": list(R.BY_HAND)},
                   points=0, public=True, covers=("R1",),
                   expected={name: Like("float") for name in R.BY_HAND}),
             *[value(name, R.BY_HAND[name], points=points, covers=("R1", req))
               for name, points, req in [
                   ("s3", 0.25, "R2"), ("s4", 0.25, "R2"), ("s5", 0.25, "R2"),
                   ("a3", 0.25, "R3"), ("a4", 0.25, "R3"), ("a5", 0.25, "R3"),
                   ("s6", 0.25, "R4"), ("y_hat", 0.25, "R4"), ("delta6", 0.5, "R5"),
                   ("delta3", 1.0, "R6"), ("delta4", 0.25, "R6"), ("delta5", 0.25, "R6"),
                   ("dL_dw32", 1.0, "R7")]],
         ]),

    Task("task_2_2", "A tiny sigmoid network",
         requirements={
             "R1": "tiny_loss0 is the loss 1/2 (y_hat - y)^2 at TINY_W0, a number",
             "R2": "tiny_grads is a dict with keys 'w1' ... 'w9'; dL/dw7, dL/dw8, dL/dw9 "
                   "(output weights) at TINY_W0",
             "R3": "dL/dw1 ... dL/dw6 (hidden weights, w5 and w6 on the bias input b1 = 1) at "
                   "TINY_W0",
             "R4": "tiny_loss_and_grads(w) returns the pair (loss, grads) at any weights w",
             "R5": "train_tiny_net(eta, steps) returns `steps` numbers (a list; a 1-D array is "
                   "accepted)",
             "R6": "entry t is the loss before update t (the first is the loss at TINY_W0)",
             "R7": "every update changes all nine weights at once, w <- w - eta dL/dw, with the "
                   "gradients at the weights before the update",
             "R8": "every call starts from TINY_W0 (and TINY_W0 is not changed)",
         },
         checks=[
             probe("`train_tiny_net(0.1, 3)` gives three numbers", "a2_backprop.listed",
                   inputs={"func": "train_tiny_net", "args": [0.1, 3]},
                   expected={"value": [Like("float")] * 3}, points=0.5, public=True,
                   verb="gives", covers=("R5",)),
             value("tiny_loss0", R.TINY0_LOSS, points=0.5, covers=("R1",)),
             value("tiny_grads", {k: R.TINY0_GRADS[k] for k in ("w7", "w8", "w9")}, points=1,
                   label="`tiny_grads` for the output weights w7, w8, w9", covers=("R2",)),
             value("tiny_grads", {k: R.TINY0_GRADS[k] for k in ("w1", "w2", "w3", "w4", "w5",
                                                               "w6")},
                   points=1.5, label="`tiny_grads` for the hidden weights w1 to w6",
                   covers=("R3",)),
             calls("tiny_loss_and_grads", R.tiny_weights,
                   label="`tiny_loss_and_grads(w)` at hidden weights w",
                   ref=value_of(R.ref_tiny_loss_and_grads), subject="`tiny_loss_and_grads(w)`",
                   verb="returned", points=1, covers=("R4",)),
             probe("`train_tiny_net(0.2, 6)`, called twice", "a2_backprop.call_twice",
                   inputs={"func": "train_tiny_net", "args": [0.2, 6]},
                   ref=value_of(R.ref_train_tiny_net), verify=R.judge_losses_twice, points=1,
                   covers=("R5", "R6", "R7", "R8")),
             calls("train_tiny_net", (1.0, 12), label="`train_tiny_net(1.0, 12)`",
                   ref=value_of(R.ref_train_tiny_net), verify=R.judge_losses, points=0.5,
                   covers=("R5", "R6", "R7")),
         ]),

    Task("task_2_3", "One mini-batch step",
         requirements={
             "R1": "minibatch_step returns a dict with 'Z1' (N, H), 'A1' (N, H), 'y_hat' (N,), "
                   "'W1' (H, D), 'b1' (H,), 'W2' (1, H) and 'b2' (a number; a one-element "
                   "array is accepted)",
             "R2": "Z1 = X W1^T + b1, A1 = ReLU(Z1), y_hat = A1 W2^T + b2, with the parameters "
                   "before the step",
             "R3": "W2 and b2 after one step of lr on the batch mean of the per-sample "
                   "gradients of 1/2 (y_hat - y)^2",
             "R4": "W1 and b1 after the step, backpropagated through W2 (before its update) and "
                   "the ReLU, whose derivative is 0 where Z1 <= 0",
             "R5": "the input arrays are not changed in place",
         },
         checks=[
             probe("`minibatch_step` on the worked example", "a2_backprop.minibatch",
                   inputs=R.MB_EXAMPLE, ref=R.ref_minibatch_public, points=0.5, public=True,
                   subject="`minibatch_step`", verb="returned", covers=("R1", "R2", "R3", "R4")),
             probe("`minibatch_step` forward values on a hidden batch", "a2_backprop.minibatch",
                   inputs=R.minibatch_inputs, ref=R.ref_minibatch,
                   verify=R.judge_minibatch(*R.MB_FORWARD), points=1, covers=("R1", "R2")),
             probe("`minibatch_step` updated output layer on a hidden batch",
                   "a2_backprop.minibatch", inputs=R.minibatch_inputs, ref=R.ref_minibatch,
                   verify=R.judge_minibatch("W2", "b2"), points=1.5, covers=("R1", "R3")),
             probe("`minibatch_step` updated hidden layer on a hidden batch (with Z1 = 0 in "
                   "places)", "a2_backprop.minibatch", inputs=R.minibatch_inputs,
                   ref=R.ref_minibatch, verify=R.judge_minibatch("W1", "b1"), points=1.5,
                   covers=("R1", "R4")),
             probe("`minibatch_step` leaves its inputs unchanged", "a2_backprop.minibatch",
                   inputs=R.minibatch_inputs, verify=R.judge_inputs_unchanged, points=0.5,
                   covers=("R5",)),
         ]),

    Task("task_2_4", "Numerical gradients and relative error",
         requirements={
             "R1": "numerical_gradient returns a float array shaped like x, for x of any shape",
             "R2": "grad[i] = (f(x + eps e_i) - f(x - eps e_i)) / (2 eps) at every index i, f "
                   "called on arrays shaped like x, also when x is a view (e.g. transposed)",
             "R3": "the step is eps, 1e-5 by default",
             "R4": "when numerical_gradient returns, x holds its original values",
             "R5": "rel_error(a, b) = ||a - b|| / (||a|| + ||b||) with Euclidean norms of the "
                   "flattened arrays, a number",
             "R6": "rel_error returns 0.0 when a and b are both all zeros",
         },
         checks=[
             probe("`numerical_gradient` of sum(x**3) at x = [1, -2, 3] with eps=0.5",
                   "a2_backprop.numerical_gradient_of",
                   inputs={"A": np.ones(3), "B": np.zeros(3), "x": np.array([1.0, -2.0, 3.0]),
                           "axes": (0,), "kwargs": {"eps": 0.5}},
                   expected={"grad": np.array([3.25, 12.25, 27.25])}, points=1, public=True,
                   subject="`numerical_gradient`", verb="returned", covers=("R1", "R2", "R3")),
             probe("`numerical_gradient` on a hidden 2-D input (a transposed view), default eps",
                   "a2_backprop.numerical_gradient_of",
                   inputs=R.gradient_inputs((4, 3), (1, 0), {}), ref=GRADIENT, points=0.75,
                   subject="`numerical_gradient`", verb="returned", covers=("R1", "R2", "R3")),
             probe("`numerical_gradient` on a hidden 3-D input with eps=1e-2",
                   "a2_backprop.numerical_gradient_of",
                   inputs=R.gradient_inputs((2, 3, 2), (0, 1, 2), {"eps": 1e-2}), ref=GRADIENT,
                   points=0.75, subject="`numerical_gradient(f, x, eps=1e-2)`", verb="returned",
                   covers=("R1", "R2", "R3")),
             probe("`numerical_gradient` leaves its input x unchanged",
                   "a2_backprop.numerical_gradient_of",
                   inputs=R.gradient_inputs((3, 2), (1, 0), {}),
                   ref=R.pick(R.ref_gradient_of, "x after"), points=0.5,
                   subject="x after the call", covers=("R4",)),
             call("rel_error", (np.array([3.0, 4.0]), np.array([3.0, 2.0])),
                  ref=R.ref_rel_error, points=0.75, public=True, covers=("R5",)),
             call("rel_error", lambda rng: (rng.normal(size=(3, 5)), rng.normal(size=(3, 5)) * 0.3),
                  ref=R.ref_rel_error, points=0.75, covers=("R5",)),
             call("rel_error", (np.zeros((2, 2)), np.zeros((2, 2))), expected=0.0, points=0.5,
                  label="`rel_error` of two zero arrays", covers=("R6",)),
         ]),

    Task("task_2_5", "Activations and the binary cross-entropy",
         requirements={
             "R1": "each function returns an array of its input's shape (any shape), computed "
                   "entry by entry",
             "R2": "sigmoid(x) = 1 / (1 + exp(-x))",
             "R3": "sigmoid_grad(x) = sigma(x) (1 - sigma(x)), at the sigmoid's input x",
             "R4": "relu(x) = max(x, 0)",
             "R5": "relu_grad is 1.0 where x > 0 and 0.0 elsewhere, 0 at x = 0",
             "R6": "bce_loss = -(y log y_hat + (1 - y) log(1 - y_hat)), no averaging, targets "
                   "in [0, 1]",
             "R7": "bce_loss clips y_hat to [1e-12, 1 - 1e-12]: finite where y_hat is 0 or 1",
             "R8": "bce_loss_grad is the derivative of bce_loss w.r.t. y_hat",
             "R9": "bce_loss_grad clips like bce_loss: finite where y_hat is 0 or 1",
         },
         checks=[
             call("sigmoid", (np.array([0.0, 2.0]),), ref=R.ref_sigmoid, points=0.25,
                  public=True, covers=("R1", "R2")),
             call("sigmoid", R.normal((5, 4), 4.0), ref=R.ref_sigmoid, points=0.5,
                  covers=("R1", "R2")),
             call("sigmoid_grad", (np.array([0.0, 2.0]),), ref=R.ref_sigmoid_grad, points=0.25,
                  public=True, covers=("R1", "R3")),
             call("sigmoid_grad", R.normal((3, 2, 4), 3.0), ref=R.ref_sigmoid_grad, points=0.5,
                  covers=("R1", "R3")),
             call("relu", (np.array([-1.5, 2.0]),), ref=R.ref_relu, points=0.25, public=True,
                  covers=("R1", "R4")),
             call("relu", R.normal((6, 3)), ref=R.ref_relu, points=0.25, covers=("R1", "R4")),
             call("relu_grad", (np.array([-1.5, 0.0, 2.0]),), ref=R.ref_relu_grad, points=0.25,
                  public=True, covers=("R1", "R5")),
             call("relu_grad", R.normal_with_zeros((2, 7)), ref=R.ref_relu_grad, points=0.25,
                  label="`relu_grad` on hidden inputs, some exactly 0", covers=("R1", "R5")),
             call("bce_loss", (np.array([0.9, 0.2]), np.array([1.0, 0.0])), ref=R.ref_bce_loss,
                  points=0.25, public=True, covers=("R1", "R6")),
             call("bce_loss", R.bce_args, ref=R.ref_bce_loss, points=0.25, covers=("R1", "R6")),
             calls("bce_loss", R.BCE_EDGE, label="`bce_loss` at y_hat = 0 and y_hat = 1",
                   verify=R.judge_bce_edge, points=0.25, covers=("R7",)),
             call("bce_loss_grad", (np.array([0.9, 0.2]), np.array([1.0, 0.0])),
                  ref=R.ref_bce_loss_grad, points=0.25, public=True, covers=("R1", "R8")),
             call("bce_loss_grad", R.bce_args, ref=R.ref_bce_loss_grad, points=0.25,
                  covers=("R1", "R8")),
             calls("bce_loss_grad", R.BCE_EDGE, label="`bce_loss_grad` at y_hat = 0 and y_hat = 1",
                   verify=R.judge_bce_grad_edge, points=0.25, covers=("R9",)),
         ]),

    Task("task_2_6", "Layers: Linear, Sigmoid, ReLU",
         requirements={
             "R1": "Linear(n_in, n_out, rng) has W of shape (n_in, n_out) and b of shape "
                   "(n_out,), zero at the start",
             "R2": "W is Xavier-uniform: uniform on [-a, a], a = sqrt(6 / (n_in + n_out))",
             "R3": "W is drawn from the generator rng (same seed, same W; other seed, other W)",
             "R4": "forward(x) returns x W + b, shape (N, n_out)",
             "R5": "backward(x, dy) returns dx = dy W^T",
             "R6": "backward stores dW = x^T dy and db = dy summed over the batch",
             "R7": "backward does not change W or b",
             "R8": "step(lr) updates W -= lr dW and b -= lr db",
             "R9": "Sigmoid: forward sigma(x), backward dy sigma(x) (1 - sigma(x)), step does "
                   "nothing",
             "R10": "ReLU: forward max(x, 0), backward dy where x > 0 and 0 elsewhere (0 at "
                    "x = 0), step does nothing",
             "R11": "the cell is self-contained: it calls no function of Task 2.5",
         },
         checks=[
             probe("`Linear(3, 2, rng)` and its forward pass on a (4, 3) batch",
                   "a2_backprop.linear_new", points=0.5, public=True,
                   inputs={"n_in": 3, "n_out": 2, "seed": 0, "x": np.ones((4, 3))},
                   expected={"W": Like("ndarray", shape=(3, 2), dtype="float"),
                             "b": np.zeros(2),
                             "y": Like("ndarray", shape=(4, 2), dtype="float")},
                   covers=("R1", "R4")),
             probe("`Linear` initialisation", "a2_backprop.linear_init", points=1,
                   inputs=R.init_inputs, verify=R.judge_init, covers=("R1", "R2", "R3")),
             probe("`Linear.forward` on a hidden batch", "a2_backprop.linear_forward",
                   inputs=R.only(R.linear_inputs, "W", "b", "x"), ref=R.pick(R.ref_linear, "y"),
                   points=0.5, verb="returned", covers=("R4",)),
             probe("`Linear.backward` return value (dx)", "a2_backprop.linear_backward",
                   inputs=R.only(R.linear_inputs, "W", "b", "x", "dy"),
                   ref=R.pick(R.ref_linear, "dx"), points=1, verb="returned", covers=("R5",)),
             probe("`Linear.backward` stores dW", "a2_backprop.linear_backward",
                   inputs=R.only(R.linear_inputs, "W", "b", "x", "dy"),
                   ref=R.pick(R.ref_linear, "dW"), points=1, subject="`self.dW`",
                   covers=("R6",)),
             probe("`Linear.backward` stores db", "a2_backprop.linear_backward",
                   inputs=R.only(R.linear_inputs, "W", "b", "x", "dy"),
                   ref=R.pick(R.ref_linear, "db"), points=0.5, subject="`self.db`",
                   covers=("R6",)),
             probe("`Linear.step` after backward", "a2_backprop.linear_step",
                   inputs=R.linear_inputs, ref=R.pick(R.ref_linear, "W", "b"),
                   verify=R.judge_linear_step, points=0.5, covers=("R7", "R8")),
             probe("`Sigmoid` layer forward and backward", "a2_backprop.activation_layer",
                   inputs=R.activation_inputs("Sigmoid"), ref=R.ref_activation, points=1,
                   verb="returned", covers=("R9", "R11")),
             probe("`ReLU` layer forward and backward (x = 0 in places)",
                   "a2_backprop.activation_layer", inputs=R.activation_inputs("ReLU"),
                   ref=R.ref_activation, points=1, verb="returned", covers=("R10", "R11")),
         ]),

    Task("task_2_7", "A network of layers",
         requirements={
             "R1": "forward(x) calls every layer's forward once, in order, each on the previous "
                   "layer's output, and returns (y, trace) with y the last layer's output",
             "R2": "trace is a list with the input of every layer: trace[i] is the input of "
                   "layers[i]",
             "R3": "backward(trace, dy) calls every layer's backward once, last layer first, "
                   "with its own input trace[i] and the dx of the layer above (dy for the last)",
             "R4": "backward returns the gradient w.r.t. the network's input (what the first "
                   "layer's backward returned)",
             "R5": "step(lr) calls step(lr) of every layer, each once (a layer without "
                   "parameters may be skipped: its step does nothing)",
             "R6": "Net only calls the methods of the layers it is given (no layer classes "
                   "from Task 2.6)",
         },
         checks=[
             probe("`Net.forward` with two test layers that return fixed arrays",
                   "a2_backprop.net_forward", inputs=R.NET_PUBLIC,
                   expected=R.NET_PUBLIC_EXPECTED, points=0.5, public=True,
                   subject="`Net.forward`", verb="gives", covers=("R1", "R2")),
             probe("`Net.forward` runs the layers in order and returns the last output",
                   "a2_backprop.net_forward", inputs=R.only(R.net_inputs, "layers", "x"),
                   verify=R.judge_net_output, points=0.75, covers=("R1", "R6")),
             probe("`Net.forward` trace (the input of every layer)", "a2_backprop.net_forward",
                   inputs=R.only(R.net_inputs, "layers", "x"), verify=R.judge_net_trace,
                   points=0.5, covers=("R2",)),
             probe("`Net.backward` calls the layers last to first with their inputs and "
                   "gradients", "a2_backprop.net_backward",
                   inputs=R.only(R.net_inputs, "layers", "trace", "dy"),
                   verify=R.judge_net_backward_calls, points=1, covers=("R3", "R6")),
             probe("`Net.backward` return value (gradient w.r.t. the network input)",
                   "a2_backprop.net_backward",
                   inputs=R.only(R.net_inputs, "layers", "trace", "dy"),
                   verify=R.judge_net_backward_return, points=0.5, covers=("R4",)),
             probe("`Net.step` steps every layer with lr", "a2_backprop.net_step",
                   inputs=R.only(R.net_inputs, "layers", "lr"), verify=R.judge_net_step,
                   points=0.75, covers=("R5", "R6")),
         ]),

    Task("task_2_8", "Training with mini-batches",
         requirements={
             "R1": "fit returns a dict with the lists 'train_loss', 'train_acc', 'test_loss', "
                   "'test_acc', one number per epoch (1-D arrays are accepted)",
             "R2": "every epoch uses each training sample exactly once, in mini-batches of "
                   "mb_size samples (only the last one may be smaller)",
             "R3": "for each mini-batch: net.forward on the batch, net.backward with that "
                   "forward's trace, then net.step(lr) once, with the given lr",
             "R4": "the dy passed to backward is the gradient of the batch's mean BCE w.r.t. "
                   "p, with p clipped to [1e-12, 1 - 1e-12]: (p - y) / (p (1 - p)) / batch size",
             "R5": "after each epoch the history gets the mean BCE (p clipped) and the "
                   "accuracy, (p >= 0.5) == (y == 1), of the network on the whole training set "
                   "and on the test set",
             "R6": "the order comes from np.random.default_rng(seed), made once per call: a new "
                   "order every epoch, the same batches for the same seed, others for another",
             "R7": "without test data the test lists stay empty",
         },
         checks=[
             probe("`fit` history on a small example (a spy network with fixed predictions)",
                   "a2_backprop.fit_history",
                   inputs=dict(R.FIT_PUBLIC, keys=list(R.HISTORY_KEYS)),
                   expected=R.FIT_PUBLIC_HISTORY, points=0.5, public=True,
                   subject="the history from `fit`", verb="has", covers=("R1", "R5")),
             probe("`fit` passes the gradient of the mini-batch's mean BCE to net.backward",
                   "a2_backprop.fit_spy", inputs=R.fit_inputs(23, 7, 3, 0.05, 5),
                   verify=R.judge_fit_dy, points=1.5, covers=("R4",)),
             probe("`fit` mini-batches", "a2_backprop.fit_spy",
                   inputs=R.fit_inputs(23, 7, 3, 0.05, 4), verify=R.judge_fit_batches,
                   points=1.5, covers=("R2",)),
             probe("`fit` calls forward, backward and step(lr) for every mini-batch "
                   "(full-batch training, mb_size = number of samples)", "a2_backprop.fit_spy",
                   inputs=R.fit_inputs(12, 6, 3, 0.37, 12), verify=R.judge_fit_updates,
                   points=1, covers=("R3",)),
             probe("`fit` history: loss and accuracy after every epoch", "a2_backprop.fit_spy",
                   inputs=R.fit_inputs(23, 7, 3, 0.05, 5), verify=R.judge_fit_history,
                   points=1.5, covers=("R1", "R5")),
             probe("`fit` shuffles with np.random.default_rng(seed)", "a2_backprop.fit_seeds",
                   inputs=R.fit_seed_inputs(23, 3, 5), verify=R.judge_fit_seeds, points=0.5,
                   covers=("R6",)),
             probe("`fit` without test data", "a2_backprop.fit_spy",
                   inputs=R.fit_inputs(10, 2, 2, 0.05, 3, test=False),
                   verify=R.judge_fit_without_test, points=0.5, covers=("R1", "R7")),
         ]),

    Task("task_2_9", "Softmax cross-entropy and the BCE on logits",
         requirements={
             "R1": "log_softmax(z) returns an (N, C) array: z[n, k] minus the log-sum-exp of "
                   "row n (torch.log_softmax over the classes)",
             "R2": "log_softmax is stable: finite and right for logits as large as +-1000",
             "R3": "softmax_cross_entropy(z, y) returns a pair (loss, dz): loss a number, dz "
                   "an array of z's shape",
             "R4": "loss is the mean over the N samples of -log softmax(z)[n, y[n]] (torch's "
                   "cross_entropy)",
             "R5": "dz = (softmax(z) - onehot(y)) / N, the gradient of the mean loss (torch's "
                   "autograd)",
             "R6": "softmax_cross_entropy is stable: loss and dz finite and right for logits as "
                   "large as +-1000",
             "R7": "bce_with_logits(z, y) returns (loss, dz), loss the mean over all entries of "
                   "the BCE of sigmoid(z) (nn.BCEWithLogitsLoss()), for any shape and soft "
                   "targets",
             "R8": "dz = (sigmoid(z) - y) / z.size, the gradient of that mean (torch's autograd)",
             "R9": "bce_with_logits needs no clipping: loss and dz finite and right for |z| up "
                   "to 1000",
             "R10": "no function changes its input arrays in place",
         },
         checks=[
             call("log_softmax", (np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]),),
                  ref=R.ref_log_softmax, points=0.5, public=True, covers=("R1",)),
             call("log_softmax", R.normal((5, 4), 3.0), ref=R.ref_log_softmax, points=0.5,
                  covers=("R1",)),
             calls("log_softmax", (R.BIG_LOGITS,), label="`log_softmax` of large logits",
                   ref=value_of(R.ref_log_softmax), verify=R.judge_log_softmax_big, points=0.5,
                   covers=("R2",)),
             call("softmax_cross_entropy", (np.array([[2.0, 0.0, 0.0], [0.0, 1.0, 3.0]]),
                                            np.array([0, 1])),
                  ref=R.ref_softmax_cross_entropy, points=0.5, public=True,
                  label="`softmax_cross_entropy(z, y)`",
                  covers=("R3", "R4", "R5")),
             calls("softmax_cross_entropy", R.logits_and_labels(6, 5),
                   label="the loss from `softmax_cross_entropy` on a hidden batch",
                   ref=value_of(R.ref_softmax_cross_entropy),
                   verify=R.judge_pair("softmax_cross_entropy", "loss"), points=1,
                   covers=("R3", "R4")),
             calls("softmax_cross_entropy", R.logits_and_labels(6, 5),
                   label="dz from `softmax_cross_entropy` on a hidden batch",
                   ref=value_of(R.ref_softmax_cross_entropy),
                   verify=R.judge_pair("softmax_cross_entropy", "dz"), points=1,
                   covers=("R3", "R5")),
             calls("softmax_cross_entropy", (R.BIG_LOGITS, R.BIG_LABELS),
                   label="`softmax_cross_entropy` of large logits",
                   ref=value_of(R.ref_softmax_cross_entropy),
                   verify=R.judge_pairs("softmax_cross_entropy"), points=0.5, covers=("R6",)),
             call("bce_with_logits", (np.array([[2.0], [-1.0]]), np.array([[1.0], [0.0]])),
                  ref=R.ref_bce_with_logits, points=0.5, public=True,
                  label="`bce_with_logits(z, y)`", covers=("R7", "R8")),
             calls("bce_with_logits", R.bce_logit_args,
                   label="the loss from `bce_with_logits` on hidden inputs",
                   ref=value_of(R.ref_bce_with_logits),
                   verify=R.judge_pair("bce_with_logits", "loss"), points=1, covers=("R7",)),
             calls("bce_with_logits", R.bce_logit_args,
                   label="dz from `bce_with_logits` on hidden inputs",
                   ref=value_of(R.ref_bce_with_logits),
                   verify=R.judge_pair("bce_with_logits", "dz"), points=1, covers=("R8",)),
             calls("bce_with_logits", R.BIG_BCE, label="`bce_with_logits` of large logits",
                   ref=value_of(R.ref_bce_with_logits), verify=R.judge_pairs("bce_with_logits"),
                   points=0.5, covers=("R9",)),
             probe("the functions leave their inputs unchanged", "a2_backprop.logits_unchanged",
                   inputs=R.logits_unchanged_inputs, verify=R.judge_logits_unchanged,
                   points=0.5, covers=("R10",)),
         ]),

    Task("task_2_10", "Inverted dropout",
         requirements={
             "R1": "in training mode forward zeroes each entry of x independently with "
                   "probability p",
             "R2": "the entries it keeps are divided by 1 - p (inverted dropout)",
             "R3": "the masks come from the generator given to the constructor (same seed, same "
                   "masks; another seed, others), a new mask in every forward call",
             "R4": "backward(x, dy) in training mode returns dy times the last forward's mask, "
                   "divided by 1 - p",
             "R5": "in eval mode (training False) forward returns x and backward returns dy",
         },
         checks=[
             probe("`Dropout(0.25, rng)`: a forward in training mode (its shape), then "
                   "forward and backward in eval mode", "a2_backprop.dropout_modes",
                   inputs={"p": 0.25, "seed": 0, "x": np.arange(12.0).reshape(3, 4) - 5,
                           "dy": np.ones((3, 4)) / 4, "lr": 0.1},
                   expected={"train": Like("ndarray", shape=(3, 4), dtype="float"),
                             "y": np.arange(12.0).reshape(3, 4) - 5, "dx": np.ones((3, 4)) / 4},
                   points=0.5, public=True, subject="`Dropout`", covers=("R5",)),
             probe("`Dropout(0.3, rng)` zeroes entries with probability p",
                   "a2_backprop.dropout_masks", inputs=R.dropout_mask_inputs(0.3),
                   verify=R.judge_dropout_fraction, points=1, covers=("R1",)),
             probe("`Dropout(0.6, rng)` scales the entries it keeps", "a2_backprop.dropout_masks",
                   inputs=R.dropout_mask_inputs(0.6), verify=R.judge_dropout_scale, points=1,
                   covers=("R2",)),
             probe("`Dropout` masks come from its generator, a new one per call",
                   "a2_backprop.dropout_masks", inputs=R.dropout_mask_inputs(0.4),
                   verify=R.judge_dropout_rng, points=1, covers=("R3",)),
             probe("`Dropout.backward` in training mode", "a2_backprop.dropout_masks",
                   inputs=R.dropout_mask_inputs(0.7), verify=R.judge_dropout_backward,
                   points=1, covers=("R4",)),
             probe("`Dropout` in eval mode on hidden inputs", "a2_backprop.dropout_modes",
                   inputs=R.dropout_mode_inputs(0.8), verify=R.judge_dropout_eval, points=0.5,
                   covers=("R5",)),
         ]),

    Task("task_2_11", "Batch normalisation",
         requirements={
             "R1": "training forward: gamma (x - mean) / sqrt(var + eps) + beta with the batch's "
                   "mean and biased variance per feature (torch's BatchNorm1d in training mode)",
             "R2": "training forward updates running_mean and running_var: (1 - momentum) old + "
                   "momentum new, with the unbiased batch variance for running_var (as torch)",
             "R3": "eval forward normalises with running_mean and running_var and changes "
                   "neither",
             "R4": "training backward returns dx through the batch mean and variance as well "
                   "(torch's autograd)",
             "R5": "backward stores dgamma = sum of dy x_hat and dbeta = sum of dy over the "
                   "batch, in either mode",
             "R6": "eval backward returns dx = dy gamma / sqrt(running_var + eps)",
             "R7": "backward changes no parameter or running statistic; step(lr) does "
                   "gamma -= lr dgamma and beta -= lr dbeta",
         },
         checks=[
             probe("`BatchNorm(3)`: forward in training mode on the batch of four of the "
                   "statement, and the attributes after it", "a2_backprop.batchnorm_once",
                   inputs=R.BN_PUBLIC, expected=R.BN_PUBLIC_EXPECTED, points=0.5, public=True,
                   subject="`BatchNorm(3)`", covers=("R1", "R2")),
             probe("`BatchNorm` forward in training mode (default eps, one feature almost "
                   "constant)", "a2_backprop.batchnorm_script",
                   inputs=R.batchnorm_inputs([True]),
                   verify=R.judge_batchnorm("y"), points=1, covers=("R1",)),
             probe("`BatchNorm(n, momentum=0.25)` running statistics after two forward calls",
                   "a2_backprop.batchnorm_script",
                   inputs=R.batchnorm_inputs([True, True], {"momentum": 0.25}, state=False),
                   verify=R.judge_batchnorm("after forward"),
                   points=1, covers=("R2",)),
             probe("`BatchNorm` forward in eval mode", "a2_backprop.batchnorm_script",
                   inputs=R.batchnorm_inputs([False], {"eps": 1e-3}),
                   verify=R.judge_batchnorm("y", "after forward"),
                   points=1, covers=("R3",)),
             probe("`BatchNorm.backward` in training mode: dx", "a2_backprop.batchnorm_script",
                   inputs=R.batchnorm_inputs([True, True], {"momentum": 0.5}),
                   verify=R.judge_batchnorm("dx"), points=2,
                   covers=("R4",)),
             probe("`BatchNorm.backward`: dgamma and dbeta in both modes",
                   "a2_backprop.batchnorm_script", inputs=R.batchnorm_inputs([True, False]),
                   verify=R.judge_batchnorm("dgamma", "dbeta"),
                   points=1, covers=("R5",)),
             probe("`BatchNorm.backward` in eval mode: dx", "a2_backprop.batchnorm_script",
                   inputs=R.batchnorm_inputs([False], {"eps": 1e-3}),
                   verify=R.judge_batchnorm("dx"), points=1,
                   covers=("R6",)),
             probe("`BatchNorm.backward` changes nothing; `step(lr)` updates gamma and beta",
                   "a2_backprop.batchnorm_script", inputs=R.batchnorm_inputs([True, False]),
                   verify=R.judge_batchnorm_step, points=0.5, covers=("R7",)),
         ]),

    Task("task_2_12", "True or false?",
         requirements={
             "R1": "each answer is True or False (None: not answered, 0 points)",
             "R2": "tf_zero_init: False (all-zero weights do not train the ReLU network)",
             "R3": "tf_linear_stack: False (two linear layers compose to one)",
             "R4": "tf_minibatch: True (noisier gradients, more updates per epoch)",
             "R5": "tf_smaller_eps: False (rounding error grows as eps shrinks)",
             "R6": "tf_paths_cancel: False (where the paths cancel the loss can have a maximum "
                   "along w)",
             "R7": "tf_bn_single: True (a batch of one is its own mean: x_hat = 0, the output "
                   "is beta)",
         },
         checks=[boolean(name, answer, points=1, covers=("R1", req))
                 for (name, answer), req in zip(R.TRUE_FALSE.items(),
                                                ("R2", "R3", "R4", "R5", "R6", "R7"))]),
]


# ------------------------------------------------------------------ written questions
# Marked by a person (`python -m grader review`). The model answers are the instructor cells
# after the answer cells in the solution notebook; the rubric is what a marker ticks.

WRITTEN = [
    Written("answer_2_1", "General formulas, and why delta4 = delta5 = 0", rubric=[
        (0.5, "$s_3 = w_{31} x_1 + w_{32} x_2$."),
        (1, "$\\delta_6 = \\hat y - y$ and $\\delta_3 = \\mathrm{ReLU}'(s_3)\\, w_{63}\\, "
            "\\delta_6$ (the chain rule through the output weight and the ReLU)."),
        (0.5, "$\\partial L / \\partial w_{32} = \\delta_3\\, x_2$ (the input $a_2 = x_2$ "
              "times $\\delta_3$)."),
        (2, "$\\delta_4 = \\delta_5 = 0$ because $s_4, s_5 < 0$ (the ReLU's derivative is 0 "
            "there), so the weights into units 4 and 5 get zero gradient: they do not learn "
            "from this example."),
    ]),
    Written("answer_2_2", "Why eta = 1 first diverges, then recovers", rubric=[
        (1, "Along the output weights the loss is quadratic, with curvature "
            "$c = h_1^2 + h_2^2 + 1$ (the 1 from the bias input)."),
        (1.5, "Gradient descent on a quadratic multiplies the error by $1 - \\eta c$ per step, "
              "so it converges only for $\\eta < 2/c$: $\\eta = 0.2$ contracts, $\\eta = 1$ "
              "overshoots and the error grows."),
        (1, "The large errors give large gradients for the hidden weights, which shrink $h_1$ "
            "and $h_2$ and so lower the curvature."),
        (1.5, "Once $c < 2/\\eta$ the iteration contracts and the loss falls to zero: whether a "
              "learning rate is too large depends on the curvature, which changes during "
              "training."),
    ]),
    Written("answer_2_3", "Truncation and rounding error", rubric=[
        (1, "Names both sources: truncation (the difference quotient is a Taylor "
            "approximation) and rounding (floating-point numbers, about $10^{-16}$ relative)."),
        (1, "Truncation dominates for large $\\varepsilon$: slope 2 for the central difference "
            "($\\varepsilon^2 f'''/6$), slope 1 for the one-sided one ($\\varepsilon f''/2$)."),
        (1, "Rounding dominates for small $\\varepsilon$: about $10^{-16} |f| / \\varepsilon$, "
            "slope $-1$ and noisy."),
        (2, "The best $\\varepsilon$ balances the two, near $10^{-5}$ (central) and $10^{-8}$ "
            "(one-sided), larger for the central difference because its truncation error "
            "falls faster; so a smaller $\\varepsilon$ is not always better."),
    ]),
    Written("answer_2_4", "Linear layers, the ReLU and depth", rubric=[
        (1, "Two affine layers compose to one affine map (written out, or stated precisely), "
            "so the model is no more expressive than logistic regression: a linear boundary."),
        (1, "The ReLU makes the hidden layer non-linear: a piecewise-linear, non-linear "
            "boundary, hence the higher accuracy."),
        (1.5, "Reads the results honestly: the deeper network lowers the training loss but "
              "does not improve the test accuracy; the extra capacity mostly fits the training "
              "set."),
        (1.5, "Proposes a sound test: repeat each model with several seeds (initialisation and "
              "shuffling) and compare the means with the spread, ideally on a validation set."),
    ]),
    Written("answer_2_5", "Sanity checks: the loss at initialisation, overfitting 20 examples",
            rubric=[
        (1, "A classifier that knows nothing predicts $1/C$ for every class, so its loss is "
            "$-\\ln(1/C) = \\ln C$ ($\\ln 10 \\approx 2.30$); small random logits give almost "
            "that."),
        (1, "Ours starts a little higher because the initial logits are spread out, not all 0: "
            "any spread makes some wrong classes more likely than $1/C$ and raises the mean "
            "loss (by about $s^2/2$ for a small spread $s$)."),
        (1, "Raw pixels (0 to 16, not standardised) give large logits and confident random "
            "guesses, hence a loss far above $\\ln C$: a number from the very first step that "
            "points to a scaling or preprocessing bug before any training."),
        (1, "A network with thousands of parameters can memorise 20 examples, so a correct "
            "forward pass, backward pass and update must drive their loss to almost 0 within "
            "seconds; if it does not, suspect the gradient (sign, scale, a missing term), the "
            "update or the learning rate."),
        (1, "Names a limit: the network memorises 20 examples with shuffled labels just as "
            "well, so the test cannot find inputs and labels that do not match, and passing it "
            "says nothing about generalisation."),
    ]),
    Written("answer_2_6", "Dropout and batch norm in training and eval mode", rubric=[
        (1, "Inverted dropout divides by $1 - p$ so that each unit's expected output in training "
            "equals its input; at test time the layer is then simply the identity, with "
            "nothing to rescale."),
        (1, "Left in training mode at test time, dropout draws random masks: predictions are "
            "noisy and not repeatable, and the accuracy is lower (quotes the run's numbers)."),
        (1.5, "Batch norm in training mode normalises with the batch's own statistics, so a "
              "prediction depends on the other samples: a large mixed batch is close to the "
              "training statistics, small batches are noisy, and a batch of one digit subtracts "
              "exactly what its samples share, so the accuracy falls to about chance."),
        (1, "Running statistics estimate the training data's mean and variance and are fixed "
            "at test time: every prediction then depends only on its own input, also for a "
            "single example."),
        (1.5, "On raw pixels (large, all positive) the first layer's outputs are large, so the "
              "same learning rate is far too large and plain training is unstable (some seeds "
              "fail); batch norm rescales them to unit variance whatever the input scale, and "
              "training works as with standardised inputs."),
    ]),
]

SPEC = Assignment(
    number=2, slug="backprop", topic="Backpropagation",
    title="Backpropagation by hand and from scratch in NumPy",
    tasks=TASKS, written=WRITTEN,
    preload=("numpy", "matplotlib", "scipy.optimize", "sklearn.datasets"), cell_timeout=10.0)

assert SPEC.points == 100, SPEC.points
