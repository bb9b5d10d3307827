"""Exercises of chapter 5, "Backpropagation through convolution"."""

from __future__ import annotations

import numpy as np

from cnnbook import functional, shapes
from cnnbook.exercises import Exercise, code_block, register

SMALL_X = np.arange(1.0, 10.0).reshape(3, 3)
SMALL_W = np.array([[1.0, 2.0], [3.0, 4.0]])


def _small_grads():
    """Gradients of L = sum(x ⋆ w) for the 3×3 input 1..9 and the 2×2 kernel [[1, 2], [3, 4]]."""
    gx, gw, _ = functional.conv2d_backward(np.ones((1, 1, 2, 2)), SMALL_X[None, None], SMALL_W[None, None])
    return gx[0, 0], gw[0, 0]


SMALL_GX, SMALL_GW = _small_grads()

# ---- 5.1 shape of the weight gradient ----
register(Exercise(
    id="5.1", kind="shape", title="The shape of a gradient",
    prompt=r"A convolution layer maps 3 channels to 8 with 5×5 kernels. What is the shape of $\partial L/\partial W$?",
    hint="A gradient has one entry per parameter.",
    solution="$(8, 3, 5, 5)$, the shape of $W$ itself: the loss is a number, so its derivative with respect to "
             r"each weight is a number, and the update $W \leftarrow W - \eta\, \partial L/\partial W$ needs "
             "the two to line up.",
    answer=(8, 3, 5, 5),
    wrong=((3, 8, 5, 5), (5, 5), (8, 3)),
))

# ---- 5.2 a weight gradient by hand ----
register(Exercise(
    id="5.2", kind="number", title="A weight gradient by hand",
    prompt=r"The 3×3 input $x = \begin{pmatrix}1&2&3\\4&5&6\\7&8&9\end{pmatrix}$ is correlated (valid, "
           "stride 1) with a 2×2 kernel $w$, and the loss is the sum of the 2×2 output, so every upstream "
           r"gradient is 1. What is $\partial L / \partial w_{0,0}$?",
    hint=r"$\partial L/\partial w_{m,n} = \sum_{i,j} g_{i,j}\, x_{i+m,\, j+n}$: which inputs does $w_{0,0}$ "
         "multiply?",
    solution=f"$w_{{0,0}}$ multiplies the top-left entry of each window: $1 + 2 + 4 + 5 = "
             f"{SMALL_GW[0, 0]:g}$. The whole gradient is the correlation of $x$ with $g$: "
             rf"$\begin{{pmatrix}}{SMALL_GW[0, 0]:g}&{SMALL_GW[0, 1]:g}\\"
             fr"{SMALL_GW[1, 0]:g}&{SMALL_GW[1, 1]:g}\end{{pmatrix}}$.",
    answer=float(SMALL_GW[0, 0]),
    wrong=(1.0, 4.0, 45.0),
))

# ---- 5.3 an input gradient by hand ----
register(Exercise(
    id="5.3", kind="number", title="An input gradient by hand",
    prompt=r"Same layer as in exercise 5.2, with $w = \begin{pmatrix}1&2\\3&4\end{pmatrix}$. What is "
           r"$\partial L / \partial x_{1,1}$, the gradient at the centre of the input?",
    hint="The centre pixel lies in all four windows, each time under a different weight.",
    solution=f"It meets $w_{{1,1}}, w_{{1,0}}, w_{{0,1}}, w_{{0,0}}$ in the four windows, so "
             fr"$\partial L/\partial x_{{1,1}} = 4 + 3 + 2 + 1 = {SMALL_GX[1, 1]:g}$; a corner pixel "
             f"lies in one window and gets a single weight (the top-left one gets "
             f"${SMALL_GX[0, 0]:g}$). The whole gradient is the full convolution of $g$ with $w$.",
    answer=float(SMALL_GX[1, 1]),
    wrong=(4.0, 1.0, 5.0),
))

# ---- 5.4 the bias gradient ----
register(Exercise(
    id="5.4", kind="number", title="The bias gradient",
    prompt="A batch of 4 images gives one output channel of 5×5 per image, and every upstream gradient is 1. "
           r"What is $\partial L/\partial b$ for that channel's bias?",
    hint="The bias is added to every output value of its channel, in every image.",
    solution=r"$\partial L/\partial b = \sum_{n,i,j} g_{n,i,j} = 4 \cdot 25 = 100$: a shared parameter "
             "collects the gradients of every place it is used, the same rule that makes a weight's gradient a "
             "sum over positions.",
    answer=100,
    wrong=(1, 25, 4),
))

# ---- 5.5 which operation ----
register(Exercise(
    id="5.5", kind="choice", title="The backward pass of a strided convolution",
    prompt="A convolution with stride 2 and padding 1 maps $x$ to $y$. Given the upstream gradient $g$ (the shape "
           r"of $y$), which operation computes $\partial L/\partial x$?",
    choices={
        "a": "a stride-2 convolution of $g$ with the flipped kernel",
        "b": "a transposed convolution of $g$ with the same kernel, stride 2 and padding 1",
        "c": "a stride-1 convolution of $x$ with $g$",
        "d": "max pooling of $g$",
    },
    hint=r"If $y = C x$ for the convolution matrix $C$, then $\partial L/\partial x = C^\top g$.",
    solution=r"(b). The backward pass multiplies by $C^\top$, and chapter 2 defined the transposed convolution as "
             "exactly that product; its stride spreads $g$'s entries 2 apart and its padding crops the border "
             "that the forward pass added. Option (c) is, up to the stride, the *weight* gradient.",
    answer="b",
    wrong=("a", "c", "d"),
))

# ---- 5.6 max pooling's gradient ----
register(Exercise(
    id="5.6", kind="number", title="How many inputs get a gradient?",
    prompt="2×2 max pooling with stride 2 is applied to a 6×6 input whose 36 values are all different, and "
           r"every upstream gradient is 1. How many entries of $\partial L/\partial x$ are non-zero?",
    hint="Each window passes its gradient to one input.",
    solution=f"${shapes.pool_output_size(6, 2) ** 2}$: one winner per window, and the windows do not overlap. "
             f"The other {6 * 6 - shapes.pool_output_size(6, 2) ** 2} inputs get exactly zero: nudging a "
             "non-maximum does not change the output.",
    answer=shapes.pool_output_size(6, 2) ** 2,
    wrong=(36, 4, 0),
))

# ---- 5.7 overlapping max pooling ----
register(Exercise(
    id="5.7", kind="number", title="Overlapping windows",
    prompt="3×3 max pooling with stride 1 is applied to a 5×5 input whose centre is its unique largest value. "
           r"Every upstream gradient is 1. What is $\partial L/\partial x$ at the centre?",
    hint="How many of the output's windows contain the centre, and who wins each of them?",
    solution=f"The output is {shapes.pool_output_size(5, 3, 1)}×{shapes.pool_output_size(5, 3, 1)}, every "
             "window contains the centre, and the centre wins all of them: its gradient is the sum of "
             f"{shapes.pool_output_size(5, 3, 1) ** 2} ones. When windows overlap, an input collects the gradient "
             "of every window it wins.",
    answer=shapes.pool_output_size(5, 3, 1) ** 2,
    wrong=(1, 3),
))

# ---- 5.8 cost of the backward pass ----
register(Exercise(
    id="5.8", kind="number", title="The cost of learning",
    prompt="A convolution layer's forward pass costs $M$ multiply-accumulates. Counting multiply-accumulates "
           "only, how many times $M$ does its backward pass cost (gradients for the input and the weights)?",
    hint="Each gradient is a sum over the same (output position, weight) pairs as the forward pass.",
    solution="2. The input gradient and the weight gradient each visit every (output position, weight) pair "
             "once, like the forward pass. A training step therefore costs about three forward passes, and the "
             "first layer, whose input needs no gradient, about two.",
    answer=2,
    wrong=(1, 3, 0.5),
))

# ---- 5.9 code: backward of the loop convolution ----


def conv2d_backward_single(x, w, g):
    """Gradients (grad_x, grad_w) of a valid, stride-1 correlation y = x ⋆ w, given g = dL/dy."""
    k = w.shape[0]
    grad_x = np.zeros_like(x, dtype=float)
    grad_w = np.zeros_like(w, dtype=float)
    for i in range(g.shape[0]):
        for j in range(g.shape[1]):
            grad_x[i : i + k, j : j + k] += g[i, j] * w
            grad_w += g[i, j] * x[i : i + k, j : j + k]
    return grad_x, grad_w


def _conv_backward_reference(x, w, g):
    gx, gw, _ = functional.conv2d_backward(g[None, None], x[None, None], w[None, None])
    return gx[0, 0], gw[0, 0]


def _conv_backward_cases(rng, n):
    for _ in range(n):
        k = int(rng.integers(1, 4))
        h, w = (int(v) for v in rng.integers(k, 8, size=2))
        yield rng.standard_normal((h, w)), rng.standard_normal((k, k)), rng.standard_normal((h - k + 1, w - k + 1))


def _conv_backward_unflipped(x, w, g):  # the input gradient with the kernel flipped the wrong way
    return _conv_backward_reference(x, w[::-1, ::-1], g)[0], _conv_backward_reference(x, w, g)[1]


def _conv_backward_swapped(x, w, g):  # correlates g with x instead of x with g: the weight gradient flipped
    gx, gw = _conv_backward_reference(x, w, g)
    return gx, gw[::-1, ::-1]


register(Exercise(
    id="5.9", kind="code", title="Backward pass of the loop convolution",
    prompt="Write `conv2d_backward_single(x, w, g)` for the valid, stride-1 cross-correlation "
           r"$y_{i,j} = \sum_{m,n} w_{m,n}\, x_{i+m,\, j+n}$ of a 2-D `x` with a square $k \times k$ kernel `w`. "
           r"Given `g` $= \partial L/\partial y$, return the tuple `(grad_x, grad_w)` with the shapes of `x` "
           "and `w`.",
    hint="Walk over the output positions as the forward pass does; output $(i, j)$ sends $g_{i,j} w$ back to "
         "its window of `x`, and $g_{i,j}$ times its window to `grad_w`.",
    solution=f"{code_block(conv2d_backward_single)}\n\nThe loop is the forward pass read backwards: every "
             "product $w_{m,n} x_{i+m,j+n}$ it computed sends gradient to both of its factors. Written as "
             "whole-array operations, the first line is a full convolution of $g$ with $w$, the second a "
             "correlation of $x$ with $g$.",
    function="conv2d_backward_single", signature="conv2d_backward_single(x, w, g)",
    reference=_conv_backward_reference, cases=_conv_backward_cases,
    wrong=(_conv_backward_unflipped, _conv_backward_swapped),
))

# ---- 5.10 code: backward of max pooling ----


def max_pool_backward_single(x, g, k):
    """Gradient of k×k max pooling with stride k (valid) of a 2-D x, given g = dL/dy; ties go to the first."""
    grad = np.zeros_like(x, dtype=float)
    for i in range(g.shape[0]):
        for j in range(g.shape[1]):
            window = x[i * k : (i + 1) * k, j * k : (j + 1) * k]
            m, n = np.unravel_index(np.argmax(window), window.shape)
            grad[i * k + m, j * k + n] += g[i, j]
    return grad


def _max_backward_reference(x, g, k):
    return functional.max_pool2d_backward(g[None, None], x[None, None], k)[0, 0]


def _max_backward_cases(rng, n):
    for case in range(n):
        k = int(rng.integers(1, 4))
        h, w = (int(v) for v in rng.integers(k, 10, size=2))
        # every other case has small integers, so windows with tied maxima occur
        x = rng.integers(0, 3, size=(h, w)).astype(float) if case % 2 else rng.standard_normal((h, w))
        yield x, rng.standard_normal((h // k, w // k)), k


def _max_backward_all_ties(x, g, k):  # sends the gradient to every tied maximum
    grad = np.zeros_like(x, dtype=float)
    for i in range(g.shape[0]):
        for j in range(g.shape[1]):
            window = x[i * k : (i + 1) * k, j * k : (j + 1) * k]
            grad[i * k : (i + 1) * k, j * k : (j + 1) * k] += g[i, j] * (window == window.max())
    return grad


def _max_backward_average(x, g, k):  # routes like average pooling
    return functional.avg_pool2d_backward(g[None, None], x[None, None], k)[0, 0]


register(Exercise(
    id="5.10", kind="code", title="Backward pass of max pooling",
    prompt=r"Write `max_pool_backward_single(x, g, k)`: the gradient with respect to a 2-D `x` of $k \times k$ "
           "max pooling with stride $k$ (rows and columns that do not fill a window are dropped, as in the "
           r"forward pass), given `g` $= \partial L/\partial y$ of shape $(\lfloor h/k \rfloor, \lfloor w/k "
           r"\rfloor)$. When several entries of a window tie for the maximum, the whole gradient goes to the "
           "first in reading order, as in PyTorch.",
    hint="`np.argmax` on a 2-D window returns the first maximum in reading order; `np.unravel_index` turns it "
         "into a (row, column).",
    solution=f"{code_block(max_pool_backward_single)}\n\nOnly the winner's value reached the output, so only the "
             "winner gets gradient. With ties the maximum is not differentiable; any one winner (or any split "
             "that sums to $g$) is a valid subgradient, and frameworks pick the first so that results are "
             "reproducible.",
    function="max_pool_backward_single", signature="max_pool_backward_single(x, g, k)",
    reference=_max_backward_reference, cases=_max_backward_cases,
    wrong=(_max_backward_all_ties, _max_backward_average),
))

# ---- 5.11 gradient checking in float32 ----
register(Exercise(
    id="5.11", kind="bool", title="Checking in single precision",
    prompt=r"True or false: a gradient check with central differences and $\varepsilon = 10^{-6}$ is reliable "
           "when the forward pass runs in float32.",
    hint="float32 keeps about 7 significant digits. How big is the change in the loss compared with its "
         "rounding error?",
    solution=r"False. The loss changes by about $\varepsilon \cdot |\partial L/\partial x| \approx 10^{-6}$, "
             "not much more than float32's rounding error on a loss of order 1 (about $10^{-7}$ per operation, "
             "and more after summing many terms), and even the nudge is rounded: near 1, neighbouring float32 "
             r"numbers are about $10^{-7}$ apart, so $x + \varepsilon$ is off by up to a few percent of $\varepsilon$. "
             r"The difference quotient carries these errors magnified by $1/\varepsilon$. Section 5.5 measures "
             "it: the same correct backward pass that passes the check in float64 fails it in float32, by a "
             "relative error large enough to hide any bug of smaller effect. Check in float64.",
    answer=False,
    wrong=(True,),
))
