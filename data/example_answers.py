"""Written answers of the example class (``python -m grader examples`` puts them into the
answer cells): AdaLovelace answers every question, GraceHopper and KatherineJohnson one
each per assignment, AlanTuring none. Plausible students' text, not model answers: some
are incomplete, so a marker has something to decide."""

ANSWERS = {
    "AdaLovelace": {
        "answer_1_1": "Write $c = b - t$. The points labelled 1 need $w_1 + c > 0$ and "
                      "$w_2 + c > 0$; the points labelled 0 need $c \\le 0$ and "
                      "$w_1 + w_2 + c \\le 0$. Adding the first pair gives "
                      "$w_1 + w_2 + 2c > 0$, adding the second pair gives "
                      "$w_1 + w_2 + 2c \\le 0$. Both cannot hold, so no $w$, $b$, $t$ works.",
        "answer_1_2": "(a) At $\\ln 2$ the network outputs $p = 0.5$ for all four points; at "
                      "$\\frac12 \\ln 2$ it gets two points right and says $0.5$ for the "
                      "other two.\n\n(b) A ReLU unit whose input is negative on every point "
                      "outputs 0 and gets zero gradient, so it is dead for good. If two "
                      "points with different labels are mapped to zero by every unit, the "
                      "output there is the same for both, and gradient descent cannot "
                      "separate them.\n\n(c) With more units it is less likely that all of "
                      "them start dead on some point.",
        "answer_1_3": "Regression targets are unbounded, so the output is the identity and "
                      "the loss is the MSE. For two classes we need one probability, so a "
                      "sigmoid with BCE. For several classes a softmax gives a distribution "
                      "and the NLL of the true class is the loss.",
        "answer_2_1": "$s_3 = w_{31} x_1 + w_{32} x_2$, $\\delta_6 = \\hat y - y$, "
                      "$\\delta_3 = \\mathrm{ReLU}'(s_3)\\, w_{63} \\delta_6$ and "
                      "$\\partial L/\\partial w_{32} = \\delta_3 x_2$. Units 4 and 5 have "
                      "negative $s$, the ReLU derivative is 0 there, so their deltas are 0 "
                      "and their incoming weights do not change on this example.",
        "answer_2_2": "The loss is quadratic in the output weights with curvature "
                      "$c = h_1^2 + h_2^2 + 1 \\approx 2.45$. Gradient descent converges for "
                      "$\\eta < 2/c \\approx 0.8$, so $\\eta = 1$ overshoots. Meanwhile the "
                      "large gradients push $h_1, h_2$ down, $c$ falls below 2 and the "
                      "iteration starts to converge.",
        "answer_2_3": "Truncation error (from the Taylor expansion) dominates for large eps: "
                      "slope 2 for central, 1 for one-sided differences. Rounding error, about "
                      "$10^{-16}/\\varepsilon$, dominates for small eps (slope $-1$). The "
                      "central difference's truncation error falls faster, so its optimum, "
                      "near $10^{-5}$, is larger than the one-sided $10^{-8}$.",
        "answer_2_4": "Two linear layers are one linear map, $x W_1 W_2 + \\dots$, so they "
                      "are just logistic regression. The ReLU makes the boundary non-linear. "
                      "The deeper net has a lower training loss but the same test accuracy. "
                      "I would rerun every model with several seeds and compare the spread.",
        "answer_2_5": "(a) With no knowledge every class gets $1/10$, so the loss is "
                      "$-\\ln(1/10) = \\ln 10 \\approx 2.3$. Ours is 2.65 because the "
                      "logits are random, not 0. With raw pixels the logits are huge and the "
                      "loss is about 12, so something is wrong with the input scale.\n\n"
                      "(b) The network has far more parameters than 20 examples need, so it "
                      "must memorise them; if not, the backward pass or the learning rate is "
                      "wrong. It also memorises shuffled labels, so it does not test the data.",
        "answer_2_6": "(a) Dividing by $1-p$ keeps the expected activation the same, so at "
                      "test time nothing changes. In training mode the predictions are random "
                      "and worse (0.94 instead of 0.98).\n\n(b) In training mode batch norm "
                      "uses the statistics of the test batch, so with small batches they are "
                      "noisy, and with one digit per batch the network cannot tell them apart. "
                      "Running statistics fix that.\n\n(c) Batch norm makes the inputs of "
                      "the ReLU small again.",
        "answer_3_1": "$\\sigma'(z) = \\frac{e^{-z}}{(1+e^{-z})^2} = \\sigma(z) "
                      "\\frac{e^{-z}}{1+e^{-z}} = \\sigma(z)(1-\\sigma(z))$. With "
                      "$p = \\sigma(z)$, $p(1-p) = \\frac14 - (p - \\frac12)^2 \\le \\frac14$, "
                      "with equality for $p = \\frac12$, i.e. $z = 0$.",
        "answer_3_2": "Each sigmoid layer multiplies the gradient by $\\sigma' W$ with "
                      "$\\sigma' \\le 1/4$, so `linear1` gets a gradient ten times smaller "
                      "than `linear3` (see the plot). The first layers barely move and the "
                      "network stays near chance after one epoch, while in the ReLU network "
                      "all layers get gradients of similar size.",
        "answer_3_3": "Batch norm and the uniform init work, He init does not. Batch norm "
                      "keeps the inputs of the sigmoids near 0 where $\\sigma' = 1/4$. The "
                      "uniform weights are large enough that $\\sigma' W$ is about 1 per "
                      "layer. He init is made for ReLU and is too small for sigmoids.",
        "answer_4_1": "With $\\eta = 0.1$ the steps are small and follow the slope into the "
                      "nearest basin, the local minimum. A bigger first step jumps over the "
                      "ridge. Without decay the step is too large for the sharp global "
                      "minimum (curvature about 11, so it needs $\\eta < 0.18$) and it "
                      "oscillates.",
        "answer_4_2": "At $t = 1$, $\\hat m = g$ and $\\hat v = g^2$, so the step is "
                      "$\\eta\\, g/|g| = \\eta\\, \\mathrm{sign}(g)$, independent of $|g|$. "
                      "Without bias correction it would be $0.1/\\sqrt{0.001} \\approx 3.2$ "
                      "times larger.",
        "answer_4_3": "(a) GD zig-zags across the steep direction; momentum cancels the "
                      "oscillation and accumulates speed along the flat direction. (b) Adam "
                      "and RMSProp scale each coordinate and follow the valley. (c) Adaptive "
                      "methods normalise the tiny gradients and keep moving. AdaGrad's "
                      "accumulator only grows, so it slows down.",
        "answer_4_4": "The min and max would come from the test points too, e.g. the peak "
                      "height, so the training data would carry information about the test "
                      "set and the test error would be too optimistic. With 35 points one "
                      "point can change the scale a lot.",
        "answer_4_5": "Adam, momentum and RMSProp reach the lowest test MSE; SGD and AdaGrad "
                      "are worse. The spread between runs is large, so small differences "
                      "mean nothing. The gap between train and test comes from having only 21 "
                      "training points.",
        "answer_4_6": "The baseline overfits: high training accuracy, an irregular boundary. "
                      "Early stopping and L2 give smoother boundaries and better test "
                      "accuracy; dropout changes little. The validation accuracy of the "
                      "early-stopped model is optimistic because we picked the epoch with it, "
                      "so we report the test accuracy.",
    },
    "GraceHopper": {
        "answer_1_1": "A line cannot separate the points: the two red points and the two "
                      "blue points are on opposite corners, so any line that has both red "
                      "points on one side also has a blue point there (see the plot).",
        "answer_2_1": "$\\delta_3 = w_{63}(\\hat y - y)$ and the gradient is "
                      "$\\delta_3 x_2$. Units 4 and 5 are inactive, so their gradients are 0.",
        "answer_3_1": "Using the quotient rule, $\\sigma'(z) = e^{-z}/(1+e^{-z})^2$, which "
                      "equals $\\sigma(z)(1 - \\sigma(z))$. From the plot the maximum is "
                      "$0.25$ at $z = 0$.",
        "answer_4_1": "Small steps go to the local minimum. My settings use a large step "
                      "first. Without the decay the optimizer keeps jumping around the "
                      "minimum and does not converge.",
    },
    "KatherineJohnson": {
        "answer_1_2": "(a) $\\ln 2$ means the prediction is 0.5 everywhere.\n\n(b) Dead ReLU "
                      "units have zero gradient, so nothing changes.\n\n(c) More units, "
                      "more chances.",
        "answer_2_2": "The learning rate 1 is too large, so the loss first goes up. Later the "
                      "gradients get smaller and it converges.",
        "answer_3_2": "The sigmoid derivative is at most 1/4, so the gradient vanishes in "
                      "the lower layers, which learn much more slowly than `linear3`. The "
                      "ReLU network does not have this problem since its derivative is 1.",
        "answer_4_2": "The first step is $\\eta \\cdot \\mathrm{sign}(g)$, so about "
                      "$\\eta$ whatever $g$ is.",
    },
}
