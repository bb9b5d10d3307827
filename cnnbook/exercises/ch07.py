"""Exercises of chapter 7, "Training a CNN"."""

from __future__ import annotations

import numpy as np

from cnnbook import models, shapes
from cnnbook.exercises import Exercise, code_block, register, tex


# ---- 7.1 LeNet's second convolution ----
register(Exercise(
    id="7.1", kind="number", title="LeNet-5's second convolution",
    prompt="LeNet-5's second convolution maps 6 feature maps to 16 with 5×5 kernels, each with a bias. How many "
           "parameters does it have?",
    hint="Each of the 16 filters spans all 6 input maps.",
    solution=fr"$(5 \cdot 5 \cdot 6 + 1) \cdot 16 = {tex(shapes.conv2d_params(6, 16, 5))}$. LeCun et al. connected "
             "each C3 map to only some S2 maps (1,516 trainable parameters), to break symmetry and save computation; the "
             "version in this chapter connects all of them.",
    answer=shapes.conv2d_params(6, 16, 5),
    wrong=(2400, 150, 1516),
))

# ---- 7.2 LeNet's shape after the second pool ----
register(Exercise(
    id="7.2", kind="shape", title="What reaches the dense layers",
    prompt="A 28×28 digit enters LeNet-5 as drawn in this chapter: a 5×5 convolution with 6 filters and padding 2, "
           "2×2 max pooling, a 5×5 convolution with 16 filters and no padding, 2×2 max pooling. What is the shape "
           "(C, H, W) of the output of the second pool?",
    hint="Padding 2 keeps 28; a valid 5×5 convolution takes 4 off; each pool halves.",
    solution=r"$28 \to 28 \to 14 \to 10 \to 5$, so $(16, 5, 5)$: the 400 numbers the first dense layer reads.",
    answer=models.summary("lenet5").rows[5].output,
    wrong=((16, 4, 4), (16, 7, 7), (6, 5, 5)),
))

# ---- 7.3 which model ignores the permutation ----
register(Exercise(
    id="7.3", kind="choice", title="Scrambled pixels",
    prompt="Every training and test image is rearranged by the same fixed random permutation of its pixels. "
           "Which model can reach the same accuracy as on the original images?",
    choices={
        "a": "the CNN, because its filters are learned",
        "b": "the MLP, because its first layer connects every pixel to every unit in any order",
        "c": "both",
        "d": "neither",
    },
    hint="Which model's first layer treats neighbouring pixels differently from distant ones?",
    solution="(b). Permuting the inputs of a dense layer is the same as permuting the columns of its weight "
             "matrix: the MLP has no notion of neighbours to lose. Training it on permuted pixels is training it "
             "on the original ones from a start with those columns rearranged, and with weights drawn "
             "independently from one distribution that start is as likely as any other, so on average over the "
             "initial weights the accuracy is the same (any one run can still differ). The CNN's 5×5 windows only "
             "combine pixels that *were* neighbours, and after the permutation they are not. Section 7.3 "
             "measures both.",
    answer="b",
    wrong=("a", "c", "d"),
))

# ---- 7.4 code: SGD with momentum ----


def sgd_momentum_step(w, grad, velocity, lr, momentum):
    """One step of SGD with heavy-ball momentum; returns (new weights, new velocity)."""
    velocity = momentum * velocity + grad
    return w - lr * velocity, velocity


def _sgd_cases(rng, n):
    for _ in range(n):
        shape = tuple(int(s) for s in rng.integers(1, 5, size=int(rng.integers(1, 3))))
        yield (rng.standard_normal(shape), rng.standard_normal(shape), rng.standard_normal(shape),
               float(rng.uniform(0.001, 0.5)), float(rng.uniform(0.5, 0.99)))


def _sgd_old_velocity(w, grad, velocity, lr, momentum):
    return w - lr * velocity, momentum * velocity + grad


def _sgd_no_momentum(w, grad, velocity, lr, momentum):
    return w - lr * grad, grad


def _sgd_damped(w, grad, velocity, lr, momentum):
    velocity = momentum * velocity + (1 - momentum) * grad
    return w - lr * velocity, velocity


register(Exercise(
    id="7.4", kind="code", title="SGD with momentum",
    prompt="Write `sgd_momentum_step(w, grad, velocity, lr, momentum)` returning the tuple `(new_w, "
           "new_velocity)` of one step of SGD with momentum, in the form `cnnbook.optim.SGD` and PyTorch use: "
           r"$v \leftarrow \mu v + g$, then $w \leftarrow w - \eta v$.",
    hint="Update the velocity first, then step along the *new* velocity.",
    solution=f"{code_block(sgd_momentum_step)}\n\nThe velocity is a running sum of past gradients, each "
             r"weighted by $\mu^{\text{age}}$: along a direction where the gradient keeps its sign the steps "
             r"grow towards $\eta g/(1 - \mu)$, ten times the plain step for $\mu = 0.9$, while components that "
             "flip sign from step to step cancel.",
    function="sgd_momentum_step", signature="sgd_momentum_step(w, grad, velocity, lr, momentum)",
    reference=sgd_momentum_step, cases=_sgd_cases,
    wrong=(_sgd_old_velocity, _sgd_no_momentum, _sgd_damped),
))

# ---- 7.5 what batch normalization learns ----
register(Exercise(
    id="7.5", kind="number", title="What batch normalization learns",
    prompt="A convolution with 64 output channels is followed by batch normalization. How many numbers in the "
           "batch normalization layer does gradient descent train?",
    hint="One scale and one shift per channel; the running statistics are not trained.",
    solution=r"$2 \cdot 64 = 128$: a $\gamma_c$ and a $\beta_c$ for each channel. The layer also keeps a running "
             "mean and a running variance per channel (128 numbers more), but those are averages of the batches' "
             "statistics, updated by the forward pass, never by a gradient.",
    answer=128,
    wrong=(256, 64, 192),
))

# ---- 7.6 how many values a statistic averages ----
register(Exercise(
    id="7.6", kind="number", title="How many values make a mean",
    prompt="LeNet-5's second convolution outputs 16 maps of 10×10. It is trained with batch normalization and "
           "batches of 2 digits. From how many values is each channel's batch mean computed?",
    hint="Batch normalization after a convolution averages over the batch *and* over every position of the map.",
    solution=r"$2 \cdot 10 \cdot 10 = 200$ values per channel. After a dense layer the same batch gives each "
             "feature's mean from only 2 values, which is where small batches can be expected to hurt most.",
    answer=2 * 10 * 10,
    wrong=(2, 100, 2 * 16 * 10 * 10),
))

# ---- 7.7 evaluation mode ----
register(Exercise(
    id="7.7", kind="bool", title="One image at a time",
    prompt="True or false: in evaluation mode, the output of a batch-normalized network for one image depends on "
           "the other images in its batch.",
    hint="Which statistics does evaluation mode use?",
    solution="False. Evaluation mode normalizes with the running mean and variance kept during training, fixed "
             "numbers, so each image is processed alone, as a deployed network must. In training mode the batch's own "
             "statistics are used and the answer would be true; section 7.4 measures what that does to the test "
             "accuracy.",
    answer=False,
    wrong=(True,),
))

# ---- 7.8 sorted test batches ----
register(Exercise(
    id="7.8", kind="choice", title="Test batches of one class",
    prompt="A batch-normalized network is tested by mistake in training mode, on test batches that each hold "
           "images of a single class. What happens to its accuracy, and why?",
    choices={
        "a": "nothing: normalization only rescales",
        "b": "it collapses: each batch's mean removes what the images of that class have in common",
        "c": "it improves: the batch statistics fit the test images better than the running ones",
        "d": "it depends only on the learning rate used in training",
    },
    hint="What does subtracting the mean of a batch of 3s remove?",
    solution="(b). The mean of a batch of one class is, channel by channel, the class's typical activation; "
             "subtracting it takes away exactly the evidence that the images are of that class, and every batch "
             "then looks alike to the layers above. Section 7.4 measures it on LeNet-5.",
    answer="b",
    wrong=("a", "c", "d"),
))

# ---- 7.9 batch of two ----
register(Exercise(
    id="7.9", kind="number", title="A batch of two",
    prompt=r"A dense layer's feature takes the values 3 and 7 on a batch of two images. What is $\hat x$ for the "
           r"first image after batch normalization in training mode, with $\epsilon = 0$?",
    hint=r"The mean is 5; the (biased) variance is the mean of the squared deviations.",
    solution=r"$\mu = 5$, $\sigma^2 = ((3-5)^2 + (7-5)^2)/2 = 4$, so $\hat x = (3 - 5)/2 = -1$. With two values "
             r"$\hat x$ is always $-1$ and $+1$ (up to $\epsilon$; 0 and 0 if the two are equal and $\epsilon > 0$), "
             "whatever the values were: only which of the two is "
             "larger survives. That is the failure of batch normalization with tiny batches, at its most extreme.",
    answer=-1,
    wrong=(1, -0.5, -2),
))


# ---- 7.10 code: batch normalization's forward pass ----


def batch_norm_forward(x, gamma, beta, eps):
    """Batch normalization of (N, C, H, W) maps in training mode."""
    mean = x.mean(axis=(0, 2, 3), keepdims=True)
    var = x.var(axis=(0, 2, 3), keepdims=True)
    x_hat = (x - mean) / np.sqrt(var + eps)
    return gamma.reshape(1, -1, 1, 1) * x_hat + beta.reshape(1, -1, 1, 1)


def _bn_cases(rng, n):
    for _ in range(n):
        shape = (int(rng.integers(2, 5)), int(rng.integers(1, 4)), int(rng.integers(1, 5)), int(rng.integers(1, 5)))
        yield (rng.standard_normal(shape) * 3 + 1, rng.standard_normal(shape[1]), rng.standard_normal(shape[1]),
               float(rng.choice([1e-5, 1e-2, 0.5])))


def _bn_over_batch_only(x, gamma, beta, eps):
    mean, var = x.mean(axis=0, keepdims=True), x.var(axis=0, keepdims=True)
    return gamma.reshape(1, -1, 1, 1) * (x - mean) / np.sqrt(var + eps) + beta.reshape(1, -1, 1, 1)


def _bn_unbiased(x, gamma, beta, eps):
    mean, var = x.mean(axis=(0, 2, 3), keepdims=True), x.var(axis=(0, 2, 3), keepdims=True, ddof=1)
    return gamma.reshape(1, -1, 1, 1) * (x - mean) / np.sqrt(var + eps) + beta.reshape(1, -1, 1, 1)


def _bn_eps_outside(x, gamma, beta, eps):
    mean, std = x.mean(axis=(0, 2, 3), keepdims=True), x.std(axis=(0, 2, 3), keepdims=True)
    return gamma.reshape(1, -1, 1, 1) * (x - mean) / (std + eps) + beta.reshape(1, -1, 1, 1)


register(Exercise(
    id="7.10", kind="code", title="Batch normalization, forward",
    prompt="Write `batch_norm_forward(x, gamma, beta, eps)`: batch normalization in training mode of maps `x` of "
           r"shape $(N, C, H, W)$, with `gamma` and `beta` of shape $(C,)$. Each channel's mean and (biased) "
           r"variance are taken over the batch and every position; return $\gamma \hat x + \beta$. It must equal "
           "`cnnbook.functional.batch_norm(x, None, None, gamma, beta, training=True, eps=eps)`. Compute in the "
           "arrays' own precision (the checker passes float64).",
    hint="`x.mean(axis=(0, 2, 3), keepdims=True)` keeps one mean per channel in a shape that broadcasts.",
    solution=f"{code_block(batch_norm_forward)}\n\nThe statistics span the positions because a convolution "
             "channel is one feature computed everywhere; `np.var` without `ddof` is the biased variance the "
             "forward pass uses (the running variance stores the unbiased one).",
    function="batch_norm_forward", signature="batch_norm_forward(x, gamma, beta, eps)",
    reference=batch_norm_forward, cases=_bn_cases,
    wrong=(_bn_over_batch_only, _bn_unbiased, _bn_eps_outside),
))


# ---- 7.11 code: batch normalization's backward pass ----


def batch_norm_backward(grad_out, x, gamma, eps):
    """Gradients of training-mode batch normalization: (grad_x, grad_gamma, grad_beta)."""
    axes = (0, 2, 3)
    m = x.size // x.shape[1]
    inv_std = 1 / np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    x_hat = (x - x.mean(axis=axes, keepdims=True)) * inv_std
    grad_gamma, grad_beta = (grad_out * x_hat).sum(axis=axes), grad_out.sum(axis=axes)
    h = grad_out * gamma.reshape(1, -1, 1, 1)
    h_mean = h.sum(axis=axes, keepdims=True) / m
    h_x_hat_mean = (h * x_hat).sum(axis=axes, keepdims=True) / m
    return inv_std * (h - h_mean - x_hat * h_x_hat_mean), grad_gamma, grad_beta


def _bn_grad_cases(rng, n):
    for x, gamma, _, eps in _bn_cases(rng, n):
        yield rng.standard_normal(x.shape), x, gamma, eps


def _bn_grad_constant_stats(grad_out, x, gamma, eps):
    axes = (0, 2, 3)
    inv_std = 1 / np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    x_hat = (x - x.mean(axis=axes, keepdims=True)) * inv_std
    return (grad_out * gamma.reshape(1, -1, 1, 1) * inv_std, (grad_out * x_hat).sum(axis=axes),
            grad_out.sum(axis=axes))


def _bn_grad_mean_only(grad_out, x, gamma, eps):
    axes = (0, 2, 3)
    grad_x, grad_gamma, grad_beta = _bn_grad_constant_stats(grad_out, x, gamma, eps)
    return grad_x - grad_x.mean(axis=axes, keepdims=True), grad_gamma, grad_beta


def _bn_grad_no_gamma(grad_out, x, gamma, eps):
    return batch_norm_backward(grad_out, x, np.ones_like(gamma), eps)


register(Exercise(
    id="7.11", kind="code", title="Batch normalization, backward",
    prompt="Write `batch_norm_backward(grad_out, x, gamma, eps)` returning the tuple `(grad_x, grad_gamma, "
           "grad_beta)` of the gradients of exercise 7.10's function (training mode) with respect to `x`, `gamma` "
           "and `beta`, given the gradient `grad_out` of its output. Use the formula derived in section 7.4; it must "
           "equal `cnnbook.functional.batch_norm_backward(..., training=True)`, computed in float64 as the arrays "
           "come.",
    hint=r"With $h = \gamma g$ and $\langle\cdot\rangle$ a mean over a channel's values: "
         r"$\partial L/\partial x = (h - \langle h\rangle - \hat x \langle h \hat x\rangle)/\sqrt{\sigma^2 + \epsilon}$.",
    solution=f"{code_block(batch_norm_backward)}\n\nTreating the mean and variance as constants (the evaluation-"
             "mode gradient) leaves out the two terms that make the gradient of a standardized channel "
             "orthogonal to adding a constant and to scaling: the finite differences of chapter 5 catch it at once.",
    function="batch_norm_backward", signature="batch_norm_backward(grad_out, x, gamma, eps)",
    reference=batch_norm_backward, cases=_bn_grad_cases,
    wrong=(_bn_grad_constant_stats, _bn_grad_mean_only, _bn_grad_no_gamma),
))


# ---- 7.12 decoupled weight decay ----
register(Exercise(
    id="7.12", kind="number", title="What AdamW does to a weight",
    prompt=r"AdamW with learning rate $\eta = 0.002$ and weight decay $\lambda = 0.1$ takes a step on a weight "
           r"$w = 3$ whose gradient is 0 and has always been 0. What is $w$ after the step?",
    hint=r"With no gradient, Adam's own step is zero; only the decay acts.",
    solution=r"$(1 - \eta\lambda)\, w = (1 - 0.0002) \cdot 3 = 2.9994$. Adam with the L2 penalty instead would "
             r"add $\lambda w = 0.3$ to the zero gradient and then divide it by its own root-mean-square, a step of "
             r"about $\eta = 0.002$ whatever $\lambda$ is: $w \approx 2.998$.",
    answer=3 * (1 - 0.002 * 0.1), rel_tol=1e-9,
    wrong=(2.998, 3.0, 2.7),
))

# ---- 7.13 inverted dropout ----
register(Exercise(
    id="7.13", kind="number", title="Dropout's scaling",
    prompt="A unit's value is 3. In training, dropout with $p = 0.25$, the probability of dropping a unit, keeps it "
           "this time, scaling the survivors as `cnnbook` and PyTorch do. What value does the next layer receive?",
    hint=r"The survivors are scaled so that the expected value stays 3.",
    solution=r"$3 / (1 - 0.25) = 4$. Its expected value is $0.75 \cdot 4 + 0.25 \cdot 0 = 3$, the value the "
             "unit has at test time, when dropout is off and nothing is scaled.",
    answer=4.0,
    wrong=(3.0, 2.25, 0.75, 12.0),
))

# ---- 7.14 the smoothed target ----
register(Exercise(
    id="7.14", kind="number", title="A smoothed target",
    prompt=r"With label smoothing $\varepsilon = 0.1$ over the ten digit classes, what probability does the target "
           "$q$ of section 7.5 give the true class?",
    hint=r"$q = (1 - \varepsilon)\,\text{onehot} + \varepsilon/K$.",
    solution=r"$0.9 + 0.1/10 = 0.91$; each of the nine other classes gets $0.01$, and the ten sum to 1.",
    answer=0.91, rel_tol=1e-9,
    wrong=(0.9, 0.99, 0.1),
))

# ---- 7.15 where to stop ----
register(Exercise(
    id="7.15", kind="choice", title="Stopping on the test set",
    prompt="You train for 40 epochs, measure the test accuracy after every epoch, and report the best of the 40. "
           "What is wrong with the number you report?",
    choices={
        "a": "nothing: it is measured on digits the network never trained on",
        "b": "it is optimistic: the epoch was chosen because it did well on those very digits",
        "c": "it is pessimistic: later epochs always generalize better",
        "d": "it is only wrong if the network overfits",
    },
    hint="Would the best of 40 noisy measurements be an unbiased estimate of one of them?",
    solution="(b). Picking the best of 40 measurements on the same digits selects for luck as well as for "
             "quality, so the reported accuracy is biased upwards: the test digits have been used to fit a choice. "
             "Section 7.5 chooses the epoch on separate validation digits and uses the test digits once.",
    answer="b",
    wrong=("a", "c", "d"),
))


# ---- 7.16 which augmentation ----
register(Exercise(
    id="7.16", kind="choice", title="A wrong augmentation",
    prompt="You train a network to read handwritten digits. Which of these augmentations teaches it something "
           "false?",
    choices={
        "a": "shifting each digit by up to 2 pixels",
        "b": "rotating each digit by a random angle anywhere between -180° and 180°",
        "c": "scaling each digit by up to 10%",
        "d": "setting a random 4×4 square of each digit to the background",
    },
    hint="Is there a pair of digits that one of these transformations turns into each other?",
    solution="(b). Turned by 180°, a 6 is a 9 and a 9 is a 6, so the shape of a 6 is trained with both labels, "
             "and so is the shape of a 9: the network is taught that it cannot tell them apart. Small rotations are safe; what is safe is a fact about the task, which is why the "
             "same network needs different augmentations for digits and for photographs.",
    answer="b",
    wrong=("a", "c", "d"),
))


# ---- 7.17 the cosine schedule ----
register(Exercise(
    id="7.17", kind="number", title="A third of the way down the cosine",
    prompt=r"A cosine schedule starts at $\eta_0 = 0.002$ and runs for $T = 300$ steps, "
           r"$\eta_t = \tfrac{1}{2}\eta_0 (1 + \cos(\pi t / T))$. What is the rate at step $t = 100$?",
    hint=r"$\cos(\pi/3) = 1/2$.",
    solution=r"$\tfrac{1}{2} \cdot 0.002 \cdot (1 + \tfrac{1}{2}) = 0.0015$. A third of the way through, the rate "
             "has lost only a quarter of its value: the cosine stays high for long and falls fastest in the middle.",
    answer=0.0015, rel_tol=1e-9,
    wrong=(0.001, 0.002 * 2 / 3, 0.0005),
))
