"""Figures of chapter 5, "Backpropagation through convolution"."""

from __future__ import annotations

import functools

import matplotlib.pyplot as plt
import numpy as np

from cnnbook import functional
from cnnbook.arithmetic import Arithmetic, animate
from cnnbook.figures import register
from cnnbook.figures.common import draw_grid
from cnnbook.gradcheck import numerical_gradient, relative_error

WEIGHT_COLOURS = ("#d62728", "#2ca02c", "#1f77b4")


@register(
    "ch05.graph",
    alt="Two copies of the same diagram: five input nodes x0 to x4 in a row, three output nodes y0 to y2 "
    "below, and each output joined to three consecutive inputs by lines coloured by the weight they carry "
    "(w0 red, w1 green, w2 blue). On the left the lines are read downwards: y_i sums w_m times x_(i+m). On "
    "the right the same lines are read upwards: the gradient of x_j collects g_i times the weight of every "
    "line that leaves it, so x2 collects three terms and x0 only one.",
)
def graph(n=5, k=3):
    """One 1-D convolution layer as a graph, read forwards (left) and backwards (right)."""
    m = n - k + 1
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.4))
    for ax, backward in zip(axes, (False, True)):
        xs = np.arange(n) * 1.0
        ys = np.arange(m) * 1.0 + (k - 1) / 2
        for i in range(m):
            for tap in range(k):
                ax.plot([xs[i + tap], ys[i]], [1, 0], color=WEIGHT_COLOURS[tap], linewidth=2.2)
                if i == 0 or (backward and i + tap == 2):
                    ax.text((xs[i + tap] + ys[i]) / 2, 0.5, f"$w_{tap}$", color=WEIGHT_COLOURS[tap], fontsize=10,
                            ha="center", va="center", backgroundcolor="white")
        for j, x in enumerate(xs):
            label = f"$\\partial L/\\partial x_{j}$" if backward else f"$x_{j}$"
            ax.add_patch(plt.Circle((x, 1), 0.22, color="#dddddd", zorder=3))
            ax.text(x, 1.38, label, ha="center", va="center", fontsize=10)
        for i, y in enumerate(ys):
            label = f"$g_{i} = \\partial L/\\partial y_{i}$" if backward else f"$y_{i}$"
            ax.add_patch(plt.Circle((y, 0), 0.22, color="#bcd4ee", zorder=3))
            ax.text(y, -0.4, label, ha="center", va="center", fontsize=10)
        ax.set_xlim(-0.6, n - 0.4)
        ax.set_ylim(-0.7, 1.6)
        ax.set_aspect("equal")
        ax.set_axis_off()
        ax.set_title("backward: gradients flow up the same lines" if backward
                     else "forward: $y_i = \\sum_m w_m\\, x_{i+m}$")
    fig.tight_layout()
    return fig


#: The backward pass of a 5×5 input, 3×3 kernel, stride 2, padding 1 convolution, drawn as chapter 2 draws it.
BACKWARD_STRIDE2 = Arithmetic(3, 3, stride=2, padding=1, transposed=True)


@register(
    "ch05.stride2",
    alt="Animation: the 3 by 3 upstream gradient of a stride-2, padding-1 convolution of a 5 by 5 input is "
    "spread two cells apart with zeros between, and a 3 by 3 kernel slides over it one cell at a time, "
    "filling the 5 by 5 gradient of the input one cell per step: the transposed convolution of chapter 2.",
)
def stride2():
    """The backward pass of a strided convolution is a transposed convolution: the animation of chapter 2."""
    return animate(BACKWARD_STRIDE2)


POOL_INPUT = np.array([[1, 3, 2, 0], [4, 6, 1, 1], [0, 2, 5, 7], [1, 1, 3, 2]], dtype=float)
POOL_GRAD = np.array([[1, 2], [3, 4]], dtype=float)
OVERLAP_INPUT = np.array([[1, 0, 2, 0, 1], [0, 3, 1, 2, 0], [2, 1, 9, 1, 2], [0, 2, 1, 3, 0], [1, 0, 2, 0, 1]],
                         dtype=float)


@register(
    "ch05.pool_routing",
    alt="Grids of numbers. A 4 by 4 input, an upstream gradient of 1, 2, 3, 4 for its four 2 by 2 windows, "
    "and the gradient with respect to the input: under max pooling each window's gradient lands on its "
    "largest input (6, 2, 2 and 7 receive 1, 2, 3 and 4; every other cell gets 0); under average pooling "
    "each window's gradient is split into four equal quarters. A last pair shows 3 by 3 max pooling with "
    "stride 1 on a 5 by 5 input whose centre, 9, is the largest value in all nine windows: it collects the "
    "sum of all nine gradients.",
)
def pool_routing():
    """Where pooling sends the gradient: to the winner (max), evenly (average), and summed over overlaps."""
    x = POOL_INPUT[None, None]
    g = POOL_GRAD[None, None]
    g_max = functional.max_pool2d_backward(g, x, 2)[0, 0]
    g_avg = functional.avg_pool2d_backward(g, x, 2)[0, 0]
    xo = OVERLAP_INPUT[None, None]
    go = np.ones((1, 1, 3, 3))
    g_overlap = functional.max_pool2d_backward(go, xo, 3, stride=1)[0, 0]
    fig, axes = plt.subplots(1, 6, figsize=(15, 3.1), gridspec_kw={"width_ratios": [4, 2, 4, 4, 5, 5]})
    draw_grid(axes[0], POOL_INPUT, "input x", cmap="Greys", vmin=0, vmax=14)
    draw_grid(axes[1], POOL_GRAD, "upstream g (2×2)", cmap="Oranges", vmin=0, vmax=6)
    draw_grid(axes[2], g_max, "∂L/∂x, max pool 2×2", cmap="Oranges", vmin=0, vmax=6)
    draw_grid(axes[3], g_avg, "∂L/∂x, average pool 2×2", cmap="Oranges", vmin=0, vmax=6)
    draw_grid(axes[4], OVERLAP_INPUT, "input, 3×3 windows, stride 1", cmap="Greys", vmin=0, vmax=14)
    draw_grid(axes[5], g_overlap, "∂L/∂x with g = 1 everywhere", cmap="Oranges", vmin=0, vmax=12)
    fig.tight_layout()
    return fig


def _conv_case(rng, stride=1, padding=0, dilation=1, groups=1, c_in=2, c_out=2, size=6):
    x = rng.standard_normal((2, c_in, size, size))
    w = rng.standard_normal((c_out, c_in // groups, 3, 3))
    y_shape = functional.conv2d(x, w, stride=stride, padding=padding, dilation=dilation, groups=groups).shape
    probe = rng.standard_normal(y_shape)
    kwargs = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)

    def forward():
        return functional.conv2d(x, w, **kwargs)

    gx, gw, _ = functional.conv2d_backward(probe, x, w, **kwargs)
    return forward, probe, {"input": (x, gx), "weight": (w, gw)}


def _pool_case(rng, kind, kernel_size, stride):
    x = rng.standard_normal((2, 2, 6, 6))
    pool, backward = ((functional.max_pool2d, functional.max_pool2d_backward) if kind == "max"
                      else (functional.avg_pool2d, functional.avg_pool2d_backward))
    probe = rng.standard_normal(pool(x, kernel_size, stride).shape)
    return (lambda: pool(x, kernel_size, stride)), probe, {"input": (x, backward(probe, x, kernel_size, stride))}


def _transposed_case(rng):
    x = rng.standard_normal((2, 2, 4, 4))
    w = rng.standard_normal((2, 2, 3, 3))
    probe = rng.standard_normal(functional.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1).shape)
    gx, gw, _ = functional.conv_transpose2d_backward(probe, x, w, stride=2, padding=1, output_padding=1)
    return (lambda: functional.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1)), probe, \
        {"input": (x, gx), "weight": (w, gw)}


def gradient_cases(seed=0):
    """The layers checked: ``{label: (forward, probe, {argument: (array, analytic gradient)})}``.

    The loss is ``sum(forward() * probe)`` for a fixed random ``probe``, so the
    upstream gradient is ``probe`` itself.
    """
    rng = np.random.default_rng(seed)
    return {
        "conv 3×3": _conv_case(rng),
        "conv, stride 2, padding 1": _conv_case(rng, stride=2, padding=1, size=7),
        "conv, dilation 2": _conv_case(rng, dilation=2, size=7),
        "conv, 2 groups": _conv_case(rng, groups=2, c_in=4, c_out=4),
        "transposed conv, stride 2": _transposed_case(rng),
        "max pool 2×2": _pool_case(rng, "max", 2, 2),
        "max pool 3×3, stride 2": _pool_case(rng, "max", 3, 2),
        "average pool 2×2": _pool_case(rng, "avg", 2, 2),
    }


def _unflipped_input_gradient(probe, x, w):
    """A classic bug: the input gradient with the kernel *not* flipped (correlation instead of convolution)."""
    flipped = w[:, :, ::-1, ::-1]
    return functional.conv2d_backward(probe, x, flipped)[0]


@functools.cache
def gradient_check(eps=1e-6):
    """Relative errors of analytic gradients against central differences, in float64 and float32.

    Returns
    -------
    dict
        ``errors``: ``{label: {argument: error}}`` in float64; ``float32``: the
        same check for "conv 3×3" with the forward in float32; ``bug``: the
        error of an input gradient computed without the kernel flip; and
        ``scatter``: (analytic, numerical) pairs for "conv 3×3"'s input, correct
        and buggy.
    """
    result = {"eps": eps, "errors": {}}
    cases = gradient_cases()
    for label, (forward, probe, arguments) in cases.items():
        result["errors"][label] = {}
        for name, (array, analytic) in arguments.items():
            numeric = numerical_gradient(lambda: float(np.sum(forward() * probe)), array, eps)
            result["errors"][label][name] = relative_error(analytic, numeric)
            if label == "conv 3×3" and name == "input":
                result["scatter"] = (analytic.ravel().tolist(), numeric.ravel().tolist())
    # the same layer, forward in float32: rounding swamps the central difference
    forward, probe, arguments = cases["conv 3×3"]
    x, gx = arguments["input"]
    w = arguments["weight"][0]
    x32, w32 = x.astype(np.float32), w.astype(np.float32)
    numeric32 = numerical_gradient(lambda: float(np.sum(functional.conv2d(x32, w32) * probe)), x32, eps)
    result["float32"] = relative_error(gx, numeric32)
    bug = _unflipped_input_gradient(probe, x, w)
    numeric = numerical_gradient(lambda: float(np.sum(forward() * probe)), x, eps)
    result["bug"] = relative_error(bug, numeric)
    result["bug_scatter"] = (bug.ravel().tolist(), numeric.ravel().tolist())
    return result


@register(
    "ch05.gradcheck",
    alt="Left, a scatter plot of analytic against numerical gradients for every input entry of a 3 by 3 "
    "convolution: the correct backward pass puts every point on the diagonal, while a backward pass that "
    "forgets to flip the kernel scatters them widely. Right, a bar chart on a log scale of the relative "
    "error for eight layers (convolutions with stride, padding, dilation and groups, a transposed "
    "convolution, max and average pooling), for the input and the weight: all are tiny, many orders of "
    "magnitude below two horizontal lines that mark the same check done in float32 and the flipped-kernel bug.",
)
def gradcheck():
    """Analytic vs numerical gradients: every layer of cnnbook checked, with a float32 check and a bug for scale."""
    result = gradient_check()
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.6), gridspec_kw={"width_ratios": [1, 1.9]})
    analytic, numeric = result["scatter"]
    bug, numeric_bug = result["bug_scatter"]
    axes[0].plot(numeric_bug, bug, "x", color="#d62728", markersize=4, label="kernel not flipped (a bug)")
    axes[0].plot(numeric, analytic, "o", color="#1f77b4", markersize=3, label="cnnbook's backward")
    lim = max(np.abs(numeric).max(), np.abs(bug).max()) * 1.05
    axes[0].plot([-lim, lim], [-lim, lim], "-", color="#999999", linewidth=0.8)
    axes[0].set_xlabel("numerical gradient (central differences)")
    axes[0].set_ylabel("analytic gradient (backward pass)")
    axes[0].set_title("∂L/∂x of a 3×3 convolution, entry by entry")
    axes[0].legend(frameon=False, fontsize=9)
    labels = list(result["errors"])
    positions = np.arange(len(labels))
    inputs = [result["errors"][k]["input"] for k in labels]
    weights = [result["errors"][k].get("weight", np.nan) for k in labels]
    axes[1].bar(positions - 0.2, inputs, 0.4, label="∂L/∂input")
    axes[1].bar(positions + 0.2, weights, 0.4, label="∂L/∂weight")
    axes[1].axhline(result["float32"], color="#555555", linestyle="--", linewidth=1.2,
                    label="conv 3×3 checked in float32")
    axes[1].axhline(result["bug"], color="#d62728", linestyle=":", linewidth=1.5, label="kernel not flipped")
    axes[1].set_yscale("log")
    axes[1].set_xticks(positions, labels, rotation=25, ha="right", fontsize=9)
    axes[1].set_ylabel("relative error (log scale)")
    axes[1].set_title(f"float64, central differences with ε = {result['eps']:g}")
    axes[1].legend(frameon=False, fontsize=8, loc="center right")
    fig.tight_layout()
    return fig
