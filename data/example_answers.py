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
        "answer_3_3": "(a) Every layer builds on the features of the layer below, so a deep "
                      "network can combine simple features into complex ones and needs fewer "
                      "units for that than one wide layer. (b) The gradient of the first "
                      "layer is a product over all layers, so it vanishes: with 6 sigmoid "
                      "layers the ratio was about $10^{-4}$ and the first layer did not "
                      "change. The digits are easy, so one layer was already enough.",
        "answer_3_4": "Leaky ReLU has slope 1 for positive inputs like ReLU, so the gradient "
                      "does not shrink as it does with the sigmoid, whose slope is at most "
                      "1/4. Unlike ReLU it has slope 0.01 for negative inputs, so a unit "
                      "never gets exactly zero gradient and cannot die. In our runs it was "
                      "about as accurate as ReLU.",
        "answer_3_5": "Batch norm and the uniform init work, He init does not. Batch norm "
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
        "answer_4_4": "(a) Cosine decay ends lowest, the other decaying schedules close "
                      "behind. At a constant 0.1 the mini-batch noise keeps the weights "
                      "jumping around, so the error stops falling and differs between seeds; "
                      "0.01 is just too slow. (b) ReduceLROnPlateau needs a validation loss "
                      "and a patience; it is useful when you do not know how long to train. "
                      "(c) The noise goes like 1/B, so with a 4 times larger batch one can use "
                      "a 4 times larger learning rate, until it diverges (B = 256, lr 0.4).",
        "answer_4_5": "(a) The min and max would come from the test points too, e.g. the peak "
                      "height, so the training data would carry information about the test "
                      "set and the test error would be too optimistic. With 35 points one "
                      "point can change the scale a lot. (b) Adam, momentum and RMSProp reach "
                      "the lowest test MSE; SGD and AdaGrad are worse. The spread between runs "
                      "is large, so small differences mean nothing. The gap between train and "
                      "test comes from having only 21 training points.",
        "answer_4_6": "The baseline overfits: high training accuracy, an irregular boundary. "
                      "Early stopping and L2 give smoother boundaries and better test "
                      "accuracy; dropout changes little. The validation accuracy of the "
                      "early-stopped model is optimistic because we picked the epoch with it, "
                      "so we report the test accuracy.",
        "answer_5_1": "I would train with $2.15 \\cdot 10^{-4}$: its validation loss falls "
                      "fastest and stays lowest, and the gap to the training loss is small. "
                      "$10^{-5}$ learns too slowly, $4.64 \\cdot 10^{-3}$ is bumpy, and at "
                      "$10^{-1}$ the loss blows up. The range test suggests a rate near "
                      "$10^{-3}$, in the same region, for a fraction of the cost: one pass of "
                      "at most 150 mini-batches against four full runs. I would refine the "
                      "grid between $2 \\cdot 10^{-4}$ and $2 \\cdot 10^{-3}$.",
        "answer_5_2": "The run stopped after 14 epochs; the best epoch was 9. The restored "
                      "weights have the lower validation loss, the last ones are slightly "
                      "worse because the network began to overfit. The shrinking rate makes "
                      "the late changes small, so the stop comes later.",
        "answer_5_3": "(a) Transfer beats training from scratch mostly on car and truck. (b) "
                      "Fine-tuning adds a little; the lower rate protects the pretrained "
                      "features from the head's large first gradients. (c) The 10-class "
                      "network learned from many more labelled images. (d) A constant 'other' "
                      "would score high accuracy but 25% balanced accuracy.",
        "answer_5_4": "The error rate has zero gradient almost everywhere. The squared error "
                      "saturates when the network is confidently wrong, as the tiny printed "
                      "gradient shows; the cross-entropy's gradient $p - y$ stays large.",
        "answer_5_5": "The learning rate matters most, the width and dropout hardly matter "
                      "(within one standard deviation). Momentum 0 acts like a ten times "
                      "smaller learning rate, because the effective step is "
                      "$\\eta / (1 - \\beta)$. Batch size and learning rate interact: a full "
                      "grid over both would show it.",
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
        "answer_5_4": "Because the cross-entropy is the standard loss for classification.",
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
        "answer_5_2": "Early stopping restored the weights of the best epoch, which had the "
                      "lowest validation loss.",
    },
}
