"""Figures of chapter 2, "Padding, stride and dilation"."""

from __future__ import annotations

import functools

import numpy as np

from cnnbook import functional, matrices
from cnnbook.analysis.ch01 import ASYMMETRIC_KERNEL
from cnnbook.analysis.ch02 import (
    ANIMATIONS,
    EQUIVARIANCE_SERIES,
    INSTRUMENT_DEFAULT,
    STRIDE_SHIFTS,
    TRANSPOSED_MATRIX_SIZE,
    UPSAMPLE,
    constant_response,
    stride_equivariance,
    upsamplers,
)
from cnnbook.arithmetic import animate
from cnnbook.claims import expect
from cnnbook.data import photo
from cnnbook.figures import register
from cnnbook.figures.common import plt


def _cells(count, noun="zero"):
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _a(n):
    return "an" if str(n).startswith("8") or n in (11, 18) else "a"


def _animation_alt(a):
    n, k, o = a.input_size, a.kernel_size, a.output_size
    before, after = a.pads
    if a.transposed:
        spread = (f" spread {a.stride} cells apart with zeros between (white)" if a.stride > 1 else "")
        where = (f"{_a(n)} {n} by {n} input (blue){spread} and a border of {_cells(before)} (grey)"
                 + (f", {a.output_padding} more at the bottom and right" if a.output_padding else ""))
        kernel = f"a {k} by {k} kernel (orange), rotated by 180 degrees,"
        moves = "one cell at a time"
    else:
        pad = (f"padded with {_cells(before)} on each side" if before == after
               else f"padded with {_cells(before)} before and {after} after")
        where = f"{_a(n)} {n} by {n} input (blue)" + (f" {pad} (grey)" if before or after else "")
        kernel = f"a {k} by {k} kernel (orange)"
        moves = "one cell at a time" if a.stride == 1 else f"{a.stride} cells at a time"
    taps = f" with its taps {a.dilation} cells apart" if a.dilation > 1 else ""
    unused = ""
    if a.unused:
        lost = max(0, a.unused - after)  # unread cells that hold input rather than padding
        rows = "row and column" if a.unused == 1 else f"{a.unused} rows and columns"
        what = "padding only" if not lost else ("input cells" if lost == a.unused else f"{lost} of them input")
        unused = (f"; no window reaches the last {rows} of the padded input ({what}, outlined in red), because "
                  "the stride does not fit")
    return (f"Animation: {kernel}{taps} slides over {where}, {moves}, filling {_a(o)} {o} by {o} "
            f"output (green) one cell per step{unused}. Below it: {a.formula()}.")


def _register_animation(key, arith):
    register(f"ch02.arith_{key}", alt=_animation_alt(arith))(lambda: animate(arith))


for _key, _arith in ANIMATIONS.items():
    _register_animation(_key, _arith)

_register_animation("instrument", INSTRUMENT_DEFAULT)


def _matrix_alt(n, k):
    o = n - k + 1
    return (f"Two matrices drawn as coloured grids: the {o * o} by {n * n} matrix C of a {k} by {k} kernel acting on "
            f"a flattened {n} by {n} image, and its {n * n} by {o * o} transpose, which maps the {o} by {o} output "
            f"back to {_a(n)} {n} by {n} grid; each colour is one of the kernel's {k * k} weights.")


@register(
    "ch02.transposed_matrix",
    alt=_matrix_alt(TRANSPOSED_MATRIX_SIZE, len(ASYMMETRIC_KERNEL)),
)
def transposed_matrix(n=None):
    """The convolution matrix C and its transpose, the matrix of the transposed convolution."""
    n = TRANSPOSED_MATRIX_SIZE if n is None else n
    c = matrices.conv_matrix(ASYMMETRIC_KERNEL, (n, n))
    # one cell is the same size in both matrices, large enough for a 9 pt number: the axes are placed in inches
    cell, left, gap, right, bottom, top = 0.25, 0.45, 0.75, 0.15, 0.4, 0.55
    rows, cols = c.shape
    width = left + cols * cell + gap + rows * cell + right
    height = bottom + cols * cell + top
    fig = plt.figure(figsize=(width, height))
    boxes = ((left, bottom + (cols - rows) * cell / 2, cols * cell, rows * cell),
             (left + cols * cell + gap, bottom, rows * cell, cols * cell))
    titles = ("convolution $C$: %d×%d", "transposed $C^\\top$\n%d×%d")
    for box, m, title in zip(boxes, (c, c.T), titles):
        ax = fig.add_axes([box[0] / width, box[1] / height, box[2] / width, box[3] / height])
        ax.imshow(np.ma.masked_equal(m, 0), cmap="viridis", vmin=1, vmax=9)
        for (r, col), v in np.ndenumerate(m):
            if v:
                ax.text(col, r, f"{v:g}", ha="center", va="center", fontsize=9, color="white" if v < 6 else "black")
        ax.set_xticks(np.arange(m.shape[1] + 1) - 0.5, minor=True)
        ax.set_yticks(np.arange(m.shape[0] + 1) - 0.5, minor=True)
        ax.grid(which="minor", color="#cccccc", linewidth=0.5, clip_on=False)
        ax.spines[["top", "right"]].set_visible(True)  # a frame on all four sides, not only the style's left and bottom
        ax.tick_params(which="both", bottom=False, left=False, labelbottom=False, labelleft=False)
        ax.set_title(title % m.shape)
        ax.set_xlabel(f"input pixel ({m.shape[1]})")
        ax.set_ylabel(f"output pixel ({m.shape[0]})")
    return fig


# ---- the checkerboard of strided transposed convolutions ----


@functools.cache
def checkerboard_images(size=128):
    """A photograph halved by 2×2 average pooling, and each upsampler's result at the full size."""
    full = photo("camera", size=size, backend="numpy")[None, None]
    small = functional.avg_pool2d(full, UPSAMPLE)
    return full[0, 0], {label: up(small)[0, 0] for label, up in upsamplers().items()}


@register(
    "ch02.checkerboard",
    alt=f"Top row: a crop of the cameraman photograph upsampled by {UPSAMPLE} in three ways; the stride-{UPSAMPLE} "
    "transposed convolution with a 3 by 3 kernel is covered in a fine checkerboard, the bilinear 4 by 4 kernel "
    "and the resize-then-blur are smooth. Bottom row: each method's output for a constant input, a repeating "
    "checkerboard of unequal values for the 3 by 3 kernel and flat for the other two.",
    format="png",
)
def checkerboard():
    """Uneven overlap makes a checkerboard; even overlap or resize-then-convolve does not."""
    patterns = [np.ptp(constant_response(up)) for up in upsamplers().values()]
    expect(patterns[0] > 0.5 and max(patterns[1:]) < 1e-12,
           "ch02.checkerboard's alt text: only the 3×3 kernel's response to a constant varies")
    _, results = checkerboard_images()
    # panels placed in inches: each photograph pixel is a whole number of the PNG's pixels (3 at 100 dpi), so
    # that the figure itself adds no uneven pattern; each method's name on two lines, to fit over its panel
    side, left, gap, row_gap, top = 1.92, 0.3, 0.2, 0.38, 0.5
    width, height = left + 3 * side + 2 * gap, 2 * side + row_gap + top
    fig = plt.figure(figsize=(width, height))
    crop = (slice(12, 76), slice(34, 98))
    shown = (slice(0, 4), slice(0, 4))  # the pattern repeats every UPSAMPLE cells: 4×4 cells show all its values
    for col, ((label, image), up) in enumerate(zip(results.items(), upsamplers().values())):
        x = (left + col * (side + gap)) / width
        photo_ax = fig.add_axes([x, (side + row_gap) / height, side / width, side / height])
        photo_ax.imshow(np.clip(image[crop], 0, 1), cmap="gray", vmin=0, vmax=1)
        photo_ax.set_title(label.replace(", ", ",\n"))
        pattern = constant_response(up)
        pattern_ax = fig.add_axes([x, 0, side / width, side / height])
        pattern_ax.imshow(pattern[shown], cmap="viridis", vmin=0, vmax=2)
        for (r, c), v in np.ndenumerate(pattern[shown]):
            pattern_ax.text(c, r, f"{v:.2f}", ha="center", va="center", fontsize=10,
                            color="white" if v < 1.2 else "black")
        pattern_ax.set_title(f"values {pattern.min():.2f} to {pattern.max():.2f}")
        for ax in (photo_ax, pattern_ax):
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
            if col == 0:
                ax.set_ylabel("photograph" if ax is photo_ax else "constant input")
    return fig


# ---- stride and equivariance ----


def check_equivariance(result, tol=1e-12):
    """Raise :class:`cnnbook.claims.ClaimError` unless ``result`` shows what the figure's alt text says.

    The strided series are exact at shifts that are multiples of their stride and far from exact (a relative
    error above 0.01) at every other shift, the Sobel kernel more so than the blur at every such shift; the
    unstrided control is exact everywhere.
    """
    shifts = result["shifts"]
    for stride, name in EQUIVARIANCE_SERIES:
        errors = result[f"stride {stride}, {name}"]
        exact = [e for t, e in zip(shifts, errors) if t % stride == 0]
        broken = [e for t, e in zip(shifts, errors) if t % stride]
        expect(max(exact) < tol, f"stride {stride}, {name}: shifts by multiples of the stride are exact")
        expect(not broken or min(broken) > 0.01, f"stride {stride}, {name}: every other shift breaks equivariance")
    sobel, blur = result["stride 2, sobel x"], result["stride 2, gaussian blur"]
    expect(all(a > b for t, a, b in zip(shifts, sobel, blur) if t % 2),
           "at every odd shift the Sobel kernel's error is larger than the blur's")


@register(
    "ch02.stride_equivariance",
    alt=f"A bar chart of the relative error between shifting the cameraman photograph by {min(STRIDE_SHIFTS)} to "
    f"{max(STRIDE_SHIFTS)} pixels before a stride-2 convolution and shifting the output afterwards, for a Sobel "
    "and a blur kernel. Even shifts give zero error; every odd shift gives an error well above zero, larger for "
    "the Sobel kernel than for the blur. The stride-1 Sobel convolution, the control, is zero for every shift.",
)
def stride_equivariance_figure():
    """Stride 2 commutes with even shifts only: measured on a real photograph."""
    result = stride_equivariance()
    check_equivariance(result)
    shifts = np.array(result["shifts"])
    labels = [k for k in result if k != "shifts"]
    colours = ("#e8590c", "#f2a65a", "#1f77b4")
    fig, ax = plt.subplots(figsize=(6.9, 3.2))
    width = 0.27
    for n, (label, colour) in enumerate(zip(labels, colours)):
        ax.bar(shifts + (n - 1) * width, result[label], width=width, color=colour,
               label=label + (" (control)" if label.startswith("stride 1") else ""))
    ax.set_xticks(shifts)
    ax.set_xlabel("horizontal shift of the input (pixels)")
    ax.set_ylabel("relative RMS error\n(interior)")
    ax.legend(frameon=False, ncol=len(labels), loc="lower center", bbox_to_anchor=(0.5, 1.0))  # above
    fig.tight_layout()
    return fig
