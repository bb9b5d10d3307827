"""Figures of chapter 5, "Backpropagation through convolution"."""

from __future__ import annotations

import numpy as np

from cnnbook import functional
from cnnbook.analysis.ch05 import BACKWARD_STRIDE2, GRAPH_INPUTS, GRAPH_TAPS
from cnnbook.arithmetic import animate
from cnnbook.figures import register
from cnnbook.figures.common import draw_grid, plt
from cnnbook.gradcheck import EPS, TOLERANCE, check_all, flip_bug_and_float32

WEIGHT_COLOURS = ("#d62728", "#2ca02c", "#1f77b4")


@register(
    "ch05.graph",
    alt=f"Two copies of the same diagram, one above the other: {GRAPH_INPUTS} input nodes x0 to x{GRAPH_INPUTS - 1} "
    f"in a row, {GRAPH_INPUTS - GRAPH_TAPS + 1} output nodes y0 to y{GRAPH_INPUTS - GRAPH_TAPS} below, and each "
    f"output joined to {GRAPH_TAPS} consecutive inputs by lines coloured by the weight they carry (w0 red, w1 green, "
    "w2 blue). In the upper copy the lines are read downwards: y_i sums w_m times x_(i+m). In the lower copy the "
    "same lines are read upwards: the gradient of x_j collects g_i times the weight of every line that leaves it, "
    f"so x{GRAPH_INPUTS // 2} collects {GRAPH_TAPS} terms and x0 only one.",
)
def graph(n=GRAPH_INPUTS, k=GRAPH_TAPS):
    """One 1-D convolution layer as a graph, read forwards (top) and backwards (bottom)."""
    m = n - k + 1
    fig, axes = plt.subplots(2, 1, figsize=(6.6, 4.6))
    for ax, backward in zip(axes, (False, True)):
        xs = np.arange(n) * 1.0
        ys = np.arange(m) * 1.0 + (k - 1) / 2
        for i in range(m):
            for tap in range(k):
                ax.plot([xs[i + tap], ys[i]], [1, 0], color=WEIGHT_COLOURS[tap], linewidth=2)
                if i == 0 or (backward and i + tap == n // 2):
                    ax.text((xs[i + tap] + ys[i]) / 2, 0.5, f"$w_{tap}$", color=WEIGHT_COLOURS[tap], fontsize=10,
                            ha="center", va="center", backgroundcolor="white")
        # nodes as markers, so that they stay round in a panel flatter than its data
        ax.scatter(xs, np.ones(n), s=520, color="#dddddd", zorder=3, linewidths=0)
        ax.scatter(ys, np.zeros(m), s=520, color="#bcd4ee", zorder=3, linewidths=0)
        for j, x in enumerate(xs):
            label = f"$\\partial L/\\partial x_{j}$" if backward else f"$x_{j}$"
            ax.text(x, 1.42, label, ha="center", va="center", fontsize=10)
        for i, y in enumerate(ys):
            label = f"$g_{i} = \\partial L/\\partial y_{i}$" if backward else f"$y_{i}$"
            ax.text(y, -0.42, label, ha="center", va="center", fontsize=10)
        ax.set_xlim(-0.6, n - 0.4)
        ax.set_ylim(-0.65, 1.62)
        ax.set_axis_off()
        ax.set_title("backward: gradients flow up the same lines" if backward
                     else "forward: $y_i = \\sum_m w_m\\, x_{i+m}$")
    fig.tight_layout(h_pad=1.5)
    return fig


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
    alt="Grids of numbers. In the first row, a 4 by 4 input, an upstream gradient of 1, 2, 3, 4 for its four 2 by 2 "
    "windows, and the gradient with respect to the input: under max pooling each window's gradient lands on its "
    "largest input (6, 2, 2 and 7 receive 1, 2, 3 and 4; every other cell gets 0); under average pooling "
    "each window's gradient is split into four equal quarters. The second row shows 3 by 3 max pooling with "
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
    # two rows, every cell the same size (inches): 2×2 pooling on top, overlapping windows below
    cell, gap, width = 0.42, 0.27, 6.6
    rows = [[(POOL_INPUT, "input x", "Greys", 14), (POOL_GRAD, "upstream g", "Oranges", 6),
             (g_max, "∂L/∂x,\nmax pool 2×2", "Oranges", 6),
             (g_avg, "∂L/∂x,\naverage pool 2×2", "Oranges", 6)],
            [(OVERLAP_INPUT, "input, 3×3 windows,\nstride 1", "Greys", 14),
             (g_overlap, "∂L/∂x, g = 1 in\nevery window", "Oranges", 12)]]
    title_room, row_gap = 0.5, 0.3
    heights = [max(v.shape[0] for v, *_ in row) * cell for row in rows]
    height = sum(heights) + len(rows) * title_room + (len(rows) - 1) * row_gap
    fig = plt.figure(figsize=(width, height))
    top = height
    for row, row_height in zip(rows, heights):
        top -= title_room
        widths = [v.shape[1] * cell for v, *_ in row]
        row_gap_x = gap if len(row) > 2 else 2 * gap
        left = (width - sum(widths) - row_gap_x * (len(row) - 1)) / 2
        for (values, title, cmap, vmax), w in zip(row, widths):
            h = values.shape[0] * cell
            bottom = top - row_height + (row_height - h) / 2
            ax = fig.add_axes([left / width, bottom / height, w / width, h / height])
            draw_grid(ax, values, title, cmap=cmap, vmin=0, vmax=vmax)
            left += w + row_gap_x
        top -= row_height + row_gap
    return fig


#: Shorter names for the gradient check's rows, where the full ones (in the chapter's table) would crowd the figure.
SHORT_LABELS = {
    "AvgPool2d 3×3, stride 2, padding 1, padded zeros not counted": "AvgPool2d 3×3, stride 2, padding 1",
    "AdaptiveAvgPool2d to 1×1 (global average)": "AdaptiveAvgPool2d to 1×1",
    "AdaptiveAvgPool2d 5×5 to 3×3 (overlapping bins)": "AdaptiveAvgPool2d 5×5 to 3×3",
    "BatchNorm2d, training (batch statistics)": "BatchNorm2d, training",
    "BatchNorm2d, evaluation (running statistics)": "BatchNorm2d, evaluation",
    "BatchNorm2d on (N, C) features, training (batch statistics)": "BatchNorm2d on (N, C), training",
    "Dropout, p = 0.5, training (fixed mask)": "Dropout, p = 0.5, training",
    "Dropout, evaluation (identity)": "Dropout, evaluation",
    "cross-entropy of softmax (mean over the batch)": "cross-entropy of softmax",
    "a small network end to end, with cross-entropy": "a small network, end to end",
    "one training step (train_step), parameters only": "one training step",
}


@register(
    "ch05.gradcheck",
    alt="Two panels, one above the other. Above, a scatter plot of analytic against numerical gradients for every "
    "input entry of a 3 by 3 convolution: the correct backward pass puts every point on the diagonal, while a "
    "backward pass that forgets to flip the kernel scatters them widely. Below, horizontal bars on a log scale, one "
    "per backward pass the book trains with (convolutions with stride, padding, dilation and groups, the "
    "transposed convolution, linear, ReLU, ReLU6, swish, sigmoid, hard swish, hard sigmoid, GELU, a squeeze-and-"
    "excitation gate, layer normalization, layer scale, the poolings, "
    "batch normalization in training and evaluation, dropout, "
    "flatten, cross-entropy, softmax, residual and concatenated blocks, a whole small network and a training "
    "step): the largest "
    "relative error of each, all left of a vertical line for the tolerance, which lies left of two more "
    "lines, for the same convolution checked in float32 and, further right, for the flipped-kernel bug.",
)
def gradcheck():
    """Analytic vs numerical gradients: every backward pass checked, with a float32 check and a bug for scale."""
    rows = check_all()
    scale = flip_bug_and_float32()
    # laid out in inches: the scatter on top, the bars below it, their labels in the left margin
    width, label_room, pitch, scatter_side = 6.7, 2.75, 0.175, 2.8
    bars_height = pitch * (len(rows) + 0.4)
    bars_bottom = 0.85  # x label and legend below
    scatter_bottom = bars_bottom + bars_height + 1.0
    height = scatter_bottom + scatter_side + 0.35
    fig = plt.figure(figsize=(width, height))
    axes = [fig.add_axes([0.75 / width, scatter_bottom / height, scatter_side / width, scatter_side / height]),
            fig.add_axes([label_room / width, bars_bottom / height, (width - label_room - 0.15) / width,
                          bars_height / height])]
    analytic, numeric = scale["scatter"]
    bug, numeric_bug = scale["bug_scatter"]
    axes[0].plot(numeric_bug, bug, "x", color="#d62728", markersize=4, label="kernel not flipped (a bug)")
    axes[0].plot(numeric, analytic, "o", color="#1f77b4", markersize=3, label="cnnbook's backward")
    lim = max(np.abs(numeric).max(), np.abs(bug).max()) * 1.05
    axes[0].plot([-lim, lim], [-lim, lim], "-", color="#999999", linewidth=0.8)
    axes[0].set_aspect("equal")
    axes[0].set_xlabel("numerical gradient (central differences)")
    axes[0].set_ylabel("analytic gradient (backward pass)")
    axes[0].set_title("∂L/∂x of a 3×3 convolution")
    axes[0].legend(frameon=False, loc="center left", bbox_to_anchor=(1.12, 0.5))
    positions = np.arange(len(rows))[::-1]
    axes[1].barh(positions, [row["error"] for row in rows], 0.7, color="#1f77b4")
    axes[1].axvline(TOLERANCE, color="#2ca02c", linestyle="-", linewidth=1.5, label=f"tolerance {TOLERANCE:.0e}")
    axes[1].axvline(scale["float32"], color="#555555", linestyle="--", linewidth=1.2,
                    label="conv 3×3 checked in float32")
    axes[1].axvline(scale["bug"], color="#d62728", linestyle=":", linewidth=1.5, label="kernel not flipped")
    axes[1].set_xscale("log")
    axes[1].set_yticks(positions, [SHORT_LABELS.get(row["label"], row["label"]) for row in rows], fontsize=9)
    axes[1].tick_params(axis="y", length=0)
    axes[1].set_ylim(-0.7, len(rows) - 0.3)
    axes[1].set_xlabel("largest relative error of the pass's gradients (log scale)")
    axes[1].set_title(f"every backward pass, float64, ε = {EPS:g}")
    axes[1].legend(frameon=False, fontsize=9, loc="upper center", ncol=3, handlelength=1.6, columnspacing=1.2,
                   bbox_to_anchor=(0.5, (bars_bottom - 0.5) / height), bbox_transform=fig.transFigure)
    return fig
