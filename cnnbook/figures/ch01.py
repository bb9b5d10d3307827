"""Figures of chapter 1, "The convolution operation"."""

from __future__ import annotations

import textwrap

import numpy as np

from cnnbook import experiments, functional, kernels, matrices, reference
from cnnbook.analysis.ch01 import ASYMMETRIC_KERNEL, EQUIVARIANCE_SHIFT, MATRIX_SIDE, equivariance_maps
from cnnbook.data import photo
from cnnbook.figures import register
from cnnbook.figures.common import DIVERGING, draw_grid, draw_image, plt
from cnnbook.instruments import EXPLORER_KERNEL_LIMIT, EXPLORER_MAP_HEADROOM, EXPLORER_SIZE, explorer_inputs

# Small integer grids keep the worked examples readable.
EXAMPLE_IMAGE = np.array(
    [[3, 1, 0, 2, 1], [0, 2, 4, 1, 0], [1, 0, 3, 2, 2], [2, 1, 0, 1, 3], [0, 2, 1, 0, 1]], dtype=float
)
EXAMPLE_KERNEL = kernels.kernel("sobel x")

#: The wiring figure: inputs and kernel size of the one-dimensional layer it draws.
WIRING_INPUTS, WIRING_KERNEL = 7, 3


@register(
    "ch01.sliding_window",
    alt="A 5 by 5 input grid, a 3 by 3 Sobel kernel and the 3 by 3 output; the window at row 1, column 2 "
    "of the input and the output cell it produces are outlined, with the sum of products written out.",
)
def sliding_window(row=1, col=2):
    """One step of the sliding window: which inputs produce one output value."""
    out = reference.correlate2d(EXAMPLE_IMAGE, EXAMPLE_KERNEL)
    fig, axes = plt.subplots(1, 3, figsize=(8.2, 3.1), gridspec_kw={"width_ratios": [5, 3, 3]})
    draw_grid(axes[0], EXAMPLE_IMAGE, "input $I$", highlight=((row, col), (3, 3), "#d62728"))
    draw_grid(axes[1], EXAMPLE_KERNEL, "kernel $K$", cmap=DIVERGING, vmin=-2.5, vmax=2.5)
    draw_grid(axes[2], out, "output $S = I \\star K$", highlight=((row, col), (1, 1), "#d62728"),
          cmap=DIVERGING, vmin=-np.abs(out).max(), vmax=np.abs(out).max())
    window = EXAMPLE_IMAGE[row : row + 3, col : col + 3]

    def number(v, factor=True):
        """A number with a real minus sign, a negative factor in brackets: 4·(−1), not 4·-1."""
        text = f"{v:g}".replace("-", "\N{MINUS SIGN}")
        return f"({text})" if factor and v < 0 else text

    terms = " + ".join(f"{number(a)}·{number(b)}" for a, b in zip(window.ravel(), EXAMPLE_KERNEL.ravel()) if b != 0)
    fig.text(0.5, -0.02, f"$S({row},{col})$ = {terms} = {number(out[row, col], factor=False)}", ha="center",
             fontsize=10)
    return fig


@register(
    "ch01.flip",
    alt="An image that is zero except for a single 1 at its centre, a 3 by 3 kernel holding 1 to 9, and two "
    "results: cross-correlation leaves a copy of the kernel rotated by 180 degrees, true convolution an "
    "upright copy.",
)
def flip():
    """Cross-correlation vs convolution, seen through the response to an impulse."""
    impulse = np.zeros((5, 5))
    impulse[2, 2] = 1.0
    corr = reference.correlate2d(np.pad(impulse, 1), ASYMMETRIC_KERNEL)
    conv = reference.convolve2d(np.pad(impulse, 1), ASYMMETRIC_KERNEL)
    fig, axes = plt.subplots(1, 4, figsize=(6.8, 2.25), gridspec_kw={"width_ratios": [5, 3, 5, 5]})
    draw_grid(axes[0], impulse, "impulse\n$\\delta$")
    draw_grid(axes[1], ASYMMETRIC_KERNEL, "kernel\n$K$")
    draw_grid(axes[2], corr, "cross-correlation\n$\\delta \\star K$", cmap="Oranges")
    draw_grid(axes[3], conv, "convolution\n$\\delta * K$", cmap="Greens")
    fig.subplots_adjust(left=0.01, right=0.99, wspace=0.12)
    return fig


_WIRING_OUTPUTS = WIRING_INPUTS - WIRING_KERNEL + 1


@register(
    "ch01.connectivity",
    alt=f"Two network diagrams from {WIRING_INPUTS} inputs to {_WIRING_OUTPUTS} outputs. Left, a dense layer: "
    f"every output is wired to every input, {WIRING_INPUTS * _WIRING_OUTPUTS} distinct weights. Right, a "
    f"convolution: each output is wired to {WIRING_KERNEL} neighbouring inputs and the {WIRING_KERNEL} colours "
    f"of wire repeat, {WIRING_KERNEL} shared weights.",
)
def connectivity(n_in=WIRING_INPUTS, k=WIRING_KERNEL):
    """Dense vs convolutional wiring: local connectivity and weight sharing."""
    n_out = n_in - k + 1
    colors = plt.get_cmap("tab10").colors[:k]
    fig, axes = plt.subplots(1, 2, figsize=(8.5, 3.0))
    for ax, dense in zip(axes, (True, False)):
        xs_in = np.arange(n_in)
        xs_out = np.arange(n_out) + (n_in - n_out) / 2
        for o, xo in enumerate(xs_out):
            sources = range(n_in) if dense else range(o, o + k)
            for i in sources:
                color = "#9a9a9a" if dense else colors[i - o]
                ax.plot([xs_in[i], xo], [0, 1], color=color, linewidth=0.9 if dense else 2.0, zorder=1)
        ax.scatter(xs_in, np.zeros(n_in), s=160, color="white", edgecolor="black", zorder=2)
        ax.scatter(xs_out, np.ones(n_out), s=160, color="#dddddd", edgecolor="black", zorder=2)
        weights = n_in * n_out if dense else k
        ax.set_title(f"{'dense' if dense else 'convolution'}: {weights} distinct weights")
        ax.text(-0.9, 0, "input", ha="right", va="center")
        ax.text(-0.9, 1, "output", ha="right", va="center")
        ax.set_xlim(-2.2, n_in)
        ax.set_ylim(-0.25, 1.25)
        ax.set_axis_off()
    return fig


def feature_map_kernels():
    """Kernels shown in the feature-map figure, with whether their output is signed."""
    return [("identity", False), ("gaussian blur", False), ("sharpen", False),
            ("edge", True), ("sobel x", True), ("sobel y", True)]


@register(
    "ch01.feature_maps",
    alt="A photograph of a tabby cat filtered by six hand-made 3 by 3 kernels: identity (unchanged), gaussian "
    "blur (softer), sharpen (crisper), edge (outlines of fur and eyes), Sobel x (vertical edges in red and "
    "blue) and Sobel y (horizontal edges).",
    format="png",
)
def feature_maps(size=140):
    """The same photograph through six kernels: each feature map marks where its pattern occurs."""
    cat = photo("chelsea", size=size, backend="numpy")
    fig, axes = plt.subplots(2, 3, figsize=(6.7, 3.6))
    for ax, (name, signed) in zip(axes.ravel(), feature_map_kernels()):
        k = kernels.kernel(name)
        out = functional.conv2d(cat[None, None], k[None, None])[0, 0]
        shown = out if signed else np.clip(out, 0, 1)
        draw_image(ax, shown, name, signed=signed)
    fig.tight_layout(h_pad=1.0, w_pad=0.6)  # the second row's titles clear of the first row's maps
    return fig


@register(
    "ch01.equivariance",
    alt="Four panels in two rows: the cat photograph, the Sobel feature map of the shifted photograph, the "
    "shifted Sobel feature map, and their absolute difference on a logarithmic colour scale, which is zero (black) "
    "everywhere except thin lines at the edge of the zero band the shift brought in and along the last row and "
    "column: the two vertical lines bright, the two horizontal ones, mostly below a tenth, fainter.",
    format="png",
)
def equivariance():
    """Translation equivariance on a real image, and the border where it breaks."""
    image, a, b = equivariance_maps()
    dy, dx = EQUIVARIANCE_SHIFT
    fig, axes = plt.subplots(2, 2, figsize=(6.7, 4.7))
    axes = axes.ravel()
    draw_image(axes[0], image, "input $x$")
    draw_image(axes[1], a, f"conv(shift(x)), shift ({dy}, {dx})", signed=True)
    draw_image(axes[2], b, "shift(conv(x))", signed=True)
    diff = np.abs(a - b)
    # a logarithmic colour scale: the lines along the rows are typically fifty to a hundred times weaker than those
    # along the columns, and on a linear scale they would be as black as the zeros (which stay black: log(0) is "bad")
    from matplotlib.colors import LogNorm

    shown = axes[3].imshow(diff, cmap=plt.get_cmap("magma").with_extremes(bad="black", under="black"),
                           norm=LogNorm(vmin=1e-3, vmax=diff.max()))
    axes[3].set_title(f"|difference| (log scale), max {diff.max():.2f}")
    axes[3].set_axis_off()
    bar = fig.colorbar(shown, cax=axes[3].inset_axes((1.03, 0, 0.04, 1)), ticks=[1e-3, 1e-2, 1e-1, 1],
                       format="%g")
    bar.ax.tick_params(labelsize=9)
    fig.tight_layout(h_pad=1.0, w_pad=1.0)
    return fig


def colour_filters():
    """Two 3-channel 3×3 filters: a warm-vs-cool detector and a luminance edge detector."""
    warm = np.zeros((3, 3, 3))
    warm[0, 1, 1], warm[2, 1, 1] = 1.0, -1.0  # red minus blue at the centre pixel
    edge = np.stack([kernels.kernel("sobel x") / 3] * 3)
    return np.stack([warm, edge])  # (C_out=2, C_in=3, 3, 3)


@register(
    "ch01.channels",
    alt="The red, green and blue channels of the cat photograph in a row, and below them the two output feature "
    "maps of a layer with two 3-channel filters: one responds to red-minus-blue colour (the orange fur lights up), the "
    "other to vertical edges in all three channels at once.",
    format="png",
)
def channels(size=110):
    """Multi-channel input, 4-D weight: each output map sums over all input channels."""
    cat = photo("chelsea", size=size, gray=False, backend="numpy")
    weight = colour_filters()
    out = functional.conv2d(cat[None], weight)[0]
    # the three input channels above, the two output maps below them, all at one size
    fig = plt.figure(figsize=(6.7, 3.7))
    grid = fig.add_gridspec(2, 6)
    axes = [fig.add_subplot(grid[0, 0:2]), fig.add_subplot(grid[0, 2:4]), fig.add_subplot(grid[0, 4:6]),
            fig.add_subplot(grid[1, 1:3]), fig.add_subplot(grid[1, 3:5])]
    for ax, channel, name, cmap in zip(axes[:3], cat, ("red", "green", "blue"), ("Reds_r", "Greens_r", "Blues_r")):
        ax.imshow(channel, cmap=cmap, vmin=0, vmax=1)
        ax.set_title(f"input channel: {name}")
        ax.set_axis_off()
    draw_image(axes[3], out[0], "output 0: red − blue", signed=True)
    draw_image(axes[4], out[1], "output 1: vertical edges", signed=True)
    fig.tight_layout(h_pad=1.0, w_pad=0.6)
    return fig


_PIXELS = MATRIX_SIDE * MATRIX_SIDE
_VALID_ROWS = (MATRIX_SIDE - ASYMMETRIC_KERNEL.shape[0] + 1) ** 2


@register(
    "ch01.conv_matrix",
    alt=f"Three matrices drawn as coloured grids for a 3 by 3 kernel acting on a flattened {MATRIX_SIDE} by "
    f"{MATRIX_SIDE} image: the {_VALID_ROWS} by {_PIXELS} matrix of the valid convolution, the {_PIXELS} by "
    f"{_PIXELS} doubly block Toeplitz matrix with zero padding, and the {_PIXELS} by {_PIXELS} doubly block "
    "circulant matrix with wrap-around; block boundaries are outlined.",
)
def conv_matrix(n=MATRIX_SIDE):
    """Convolution as a matrix: the Toeplitz-of-Toeplitz structure made visible."""
    k = ASYMMETRIC_KERNEL
    cases = [
        ("valid: %d×%d", matrices.conv_matrix(k, (n, n)), n - k.shape[0] + 1),
        ("zero padding 1: %d×%d", matrices.conv_matrix(k, (n, n), padding=1), n),
        ("circular: %d×%d", matrices.conv_matrix(k, (n, n), circular=True), n),
    ]
    fig, axes = plt.subplots(1, 3, figsize=(6.9, 2.9), gridspec_kw={"width_ratios": [1, 1, 1]})
    for ax, (title, m, w_out) in zip(axes, cases):
        masked = np.ma.masked_equal(m, 0)
        ax.imshow(masked, cmap="viridis", vmin=1, vmax=9)
        # unclipped, so the lines on the axes' edge (the last block's right and bottom) are as wide as the others
        for r in range(0, m.shape[0] + 1, w_out):
            ax.axhline(r - 0.5, color="black", linewidth=0.8, clip_on=False)
        for c in range(0, m.shape[1] + 1, n):
            ax.axvline(c - 0.5, color="black", linewidth=0.8, clip_on=False)
        ax.set_title(title % m.shape)
        ax.set_xlabel("input pixel")
        ax.set_ylabel("output pixel", loc="top" if m.shape[0] < m.shape[1] else "center")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_anchor("N")  # the titles on one line, the short valid matrix at the top
    fig.tight_layout(w_pad=0.5)
    return fig


@register(
    "ch01.timings",
    alt="Two log-log plots of seconds per call against kernel size, measured on the machine that built this "
    "page, each point the median of repeated timings with a bar from the fastest to the slowest repeat. Left, "
    "a small single-channel image: naive loops, im2col and FFT. Right, a network-sized layer (a batch of "
    "images with many channels): im2col and FFT. The text and the table below the figure give the numbers "
    "and which differences hold in every repeat.",
)
def timings():
    """Measured seconds per call of the implementations, median and range of the repeats (cached experiment)."""
    result = experiments.run("ch01.conv_timings")
    styles = {"naive loops": ("#d62728", "o"), "im2col + matmul": ("#1f77b4", "s"), "FFT": ("#2ca02c", "^")}
    fig, axes = plt.subplots(1, 2, figsize=(6.8, 3.6), layout="constrained")
    for ax, setting in zip(axes, result["settings"]):
        for method in setting["methods"]:
            color, marker = styles[method]
            rounds = [np.asarray(r) for r in setting["rounds"][method]]
            median = np.array([np.median(r) for r in rounds])
            spread = [median - [r.min() for r in rounds], [r.max() for r in rounds] - median]
            ax.errorbar(setting["kernels"], median, yerr=spread, marker=marker, color=color, label=method,
                        capsize=3, linewidth=1.2)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xticks(setting["kernels"], [str(k) for k in setting["kernels"]])
        ax.minorticks_off()
        ax.set_xlabel("kernel size k (k×k)")
        title, _, detail = setting["description"].partition(": ")
        ax.set_title(f"{title}\n{detail}", fontsize=10)
    axes[0].set_ylabel("seconds per call")
    # one legend for both panels, above them and clear of the data: every method drawn in either panel
    handles = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(label, handle)
    fig.legend(handles.values(), handles.keys(), loc="outside upper center", ncols=len(handles), frameon=False)
    machine = textwrap.fill(f"measured on {result['machine']}", 80)
    fig.supxlabel(machine, fontsize=9, color="#444444")
    return fig


@register(
    "ch01.kernel_explorer",
    alt="The kernel explorer in its default state, three grids with their values written in: the kernel on top, "
    "and below it the input on the left and the feature map on the right. The kernel is Sobel x, with weights -1 0 "
    f"1, -2 0 2, -1 0 1. The input is a {EXPLORER_SIZE} by {EXPLORER_SIZE} crop of the cameraman photograph in "
    f"grey (his dark hat on a light sky). The feature map, {EXPLORER_SIZE - 2} by {EXPLORER_SIZE - 2}, is positive "
    "where the picture gets brighter from left to right, at the right edge of the hat, and negative at its left "
    "edge.",
)
def kernel_explorer():
    """The explorer's default state, for readers without JavaScript."""
    x = next(iter(explorer_inputs().values()))
    w = kernels.kernel("sobel x")
    y = functional.conv2d(x[None, None], w[None, None])[0, 0]
    # The kernel on top, the input and the feature map side by side below it, the same size: one row of all three
    # would not fit the column with cells wide enough for the 9 pt numbers ("0.8" in the input, "-1.1" in the map).
    cell, gap, title = 0.32, 0.3, 0.3  # inches
    in_cell = cell * y.shape[1] / x.shape[1]
    width = x.shape[1] * in_cell + gap + y.shape[1] * cell
    height = 2 * title + 3 * cell + 0.15 + y.shape[0] * cell
    fig = plt.figure(figsize=(width, height))

    def grid_axes(left, top, shape, size):
        rows, cols = shape
        return fig.add_axes((left / width, (top - rows * size) / height, cols * size / width, rows * size / height))

    kernel_ax = grid_axes((width - w.shape[1] * cell) / 2, height - title, w.shape, cell)
    input_ax = grid_axes(0, y.shape[0] * cell, x.shape, in_cell)
    map_ax = grid_axes(width - y.shape[1] * cell, y.shape[0] * cell, y.shape, cell)
    draw_grid(input_ax, x, "input {}×{} (pixel values)".format(*x.shape), cmap="gray", fmt="{:.1f}", vmin=0,
              vmax=1)  # in grey, so a dark pixel looks dark
    draw_grid(kernel_ax, w, "kernel: Sobel x", cmap=DIVERGING, vmin=-EXPLORER_KERNEL_LIMIT, vmax=EXPLORER_KERNEL_LIMIT)
    limit = float(np.abs(y).max())
    # "z": a value that rounds to zero prints "0.0", not "-0.0"
    draw_grid(map_ax, y, "feature map {}×{}".format(*y.shape), cmap=DIVERGING, fmt="{:z.1f}",
              vmin=-limit * EXPLORER_MAP_HEADROOM, vmax=limit * EXPLORER_MAP_HEADROOM)
    return fig
