"""Figures of chapter 3, "Pooling and invariance"."""

from __future__ import annotations

import functools

import matplotlib.pyplot as plt
import numpy as np

from cnnbook import functional, kernels, transforms
from cnnbook.data import photo
from cnnbook.figures import register
from cnnbook.figures.common import draw_grid, draw_image

EXAMPLE = np.array([[1, 3, 2, 0], [4, 6, 1, 1], [0, 2, 5, 7], [1, 1, 3, 2]], dtype=float)

#: The feature bank every invariance measurement starts from: three edge detectors, then ReLU.
BANK = ("sobel x", "sobel y", "edge")
SHIFTS = tuple(range(0, 9))
MARGIN = 16  # input pixels kept away from the borders when measuring


def feature_bank():
    """The bank as a conv2d weight, shape (3, 1, 3, 3)."""
    return np.stack([kernels.kernel(name) for name in BANK])[:, None]


def pipelines():
    """The layers compared in the invariance measurement: ``{label: (function, output stride)}``.

    "conv" is the feature bank with padding 1 followed by ReLU. Each function maps an image batch (N, 1, H, W) to feature maps; the output
    stride says how many input pixels one output cell moves per cell.
    """
    w = feature_bank()

    def features(x, stride=1):
        return functional.relu(functional.conv2d(x, w, stride=stride, padding=1))

    return {
        "conv": (features, 1),
        "conv → max pool 2×2": (lambda x: functional.max_pool2d(features(x), 2), 2),
        "conv → max pool 4×4": (lambda x: functional.max_pool2d(features(x), 4), 4),
        "conv → average pool 4×4": (lambda x: functional.avg_pool2d(features(x), 4), 4),
        "conv with stride 4": (lambda x: features(x, stride=4), 4),
        "conv → global average pool": (lambda x: features(x)[..., MARGIN:-MARGIN, MARGIN:-MARGIN]
                                       .mean(axis=(-2, -1), keepdims=True), None),
    }


def _interior(y, stride):
    if stride is None:
        return y
    m = MARGIN // stride
    return y[..., m:-m, m:-m]


@functools.cache
def invariance_curves(name="astronaut", size=128):
    """How much each pipeline's output changes when the photograph shifts by 0–8 pixels.

    For each shift ``t`` (diagonal, ``t`` pixels down and right, zeros fill in),
    two relative changes, both measured away from the borders:

    * ``changed``: ``||f(shift x) - f(x)|| / ||f(x)||``, the output compared as
      it is. Zero means *invariant*.
    * ``realigned``: the same after moving ``f(x)`` by the best whole number
      of output cells (``floor`` or ``ceil`` of ``t / stride``). Zero means
      *equivariant*.

    Returns
    -------
    dict
        ``{"shifts": [...], "pipelines": {label: {"changed": [...], "realigned": [...]}}}``.
    """
    x = photo(name, size=size, backend="numpy")[None, None]
    result = {"shifts": list(SHIFTS), "photo": name, "pipelines": {}}
    for label, (f, stride) in pipelines().items():
        base = f(x)
        scale = np.linalg.norm(_interior(base, stride))
        changed, realigned = [], []
        for t in SHIFTS:
            out = f(transforms.translate(x, t, t))
            changed.append(float(np.linalg.norm(_interior(out - base, stride)) / scale))
            if stride is None:
                realigned.append(changed[-1])
                continue
            best = min(np.linalg.norm(_interior(out - transforms.translate(base, c, c), stride))
                       for c in {t // stride, -(-t // stride)})
            realigned.append(float(best / scale))
        result["pipelines"][label] = {"changed": changed, "realigned": realigned}
    return result


@register(
    "ch03.pooling_example",
    alt="A 4 by 4 grid of numbers and its 2 by 2 max pooling (6, 2, 2, 7) and average pooling (3.5, 1, 1, "
    "4.25); each 2 by 2 window of the input and the output cell it produces share a colour outline.",
)
def pooling_example():
    """Max and average pooling of a 4×4 grid with 2×2 windows, stride 2."""
    x = EXAMPLE[None, None]
    fig, axes = plt.subplots(1, 3, figsize=(8.4, 2.9), gridspec_kw={"width_ratios": [4, 2, 2]})
    colours = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd"]
    draw_grid(axes[0], EXAMPLE, "input", cmap="Greys", vmin=0, vmax=14)
    draw_grid(axes[1], functional.max_pool2d(x, 2)[0, 0], "max pool 2×2", cmap="Greys", vmin=0, vmax=14)
    draw_grid(axes[2], functional.avg_pool2d(x, 2)[0, 0], "average pool 2×2", cmap="Greys", vmin=0, vmax=14)
    for n, colour in enumerate(colours):
        r, c = divmod(n, 2)
        for ax, origin, size in ((axes[0], (2 * r, 2 * c), 2), (axes[1], (r, c), 1), (axes[2], (r, c), 1)):
            ax.add_patch(plt.Rectangle((origin[1] - 0.45, origin[0] - 0.45), size - 0.1, size - 0.1, fill=False,
                                       edgecolor=colour, linewidth=2.2))
    fig.tight_layout()
    return fig


@register(
    "ch03.pooled_photo",
    alt="The astronaut photograph, its vertical-edge feature map after ReLU (128 by 128), and the same map "
    "after 2 by 2 max pooling, 4 by 4 max pooling and 4 by 4 average pooling: the pooled maps are coarser "
    "but keep the strong edges; max pooling keeps them bright, average pooling dims thin ones.",
    format="png",
)
def pooled_photo():
    """Pooling as downsampling: what a feature map keeps at 1/2 and 1/4 resolution."""
    x = photo("astronaut", size=128, backend="numpy")[None, None]
    feature = functional.relu(functional.conv2d(x, feature_bank()[:1], padding=1))
    panels = [
        ("input 128×128", x),
        ("Sobel x + ReLU, 128×128", feature),
        ("max pool 2×2 → 64×64", functional.max_pool2d(feature, 2)),
        ("max pool 4×4 → 32×32", functional.max_pool2d(feature, 4)),
        ("average pool 4×4 → 32×32", functional.avg_pool2d(feature, 4)),
    ]
    fig, axes = plt.subplots(1, 5, figsize=(12, 2.8))
    top = float(feature.max())
    for ax, (title, y) in zip(axes, panels):
        if y is x:
            draw_image(ax, y[0, 0], title)
        else:
            ax.imshow(y[0, 0], cmap="magma", vmin=0, vmax=top)
            ax.set_title(title)
            ax.set_axis_off()
    fig.tight_layout()
    return fig


@register(
    "ch03.invariance",
    alt="Two line charts against the shift of the astronaut photograph, 0 to 8 pixels. Left, how much each "
    "output changes as it is: the plain convolution changes most, max pooling 2 by 2 and 4 by 4 and average "
    "pooling change less for small shifts, the strided convolution is in between, and global average pooling "
    "hardly changes at all. Right, the change after realigning by whole output cells: the plain convolution "
    "is exactly zero at every shift, the pooled and strided maps are zero only at multiples of their stride.",
)
def invariance():
    """Invariance (left) and equivariance (right), measured for six pipelines on a real photograph."""
    result = invariance_curves()
    shifts = result["shifts"]
    styles = ["-o", "-s", "-^", "-v", "--D", "-P"]
    colours = ["#1f77b4", "#ff7f0e", "#d62728", "#2ca02c", "#9467bd", "#444444"]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.4), sharey=True)
    for (label, curves), style, colour in zip(result["pipelines"].items(), styles, colours):
        axes[0].plot(shifts, curves["changed"], style, color=colour, label=label, markersize=4)
        axes[1].plot(shifts, curves["realigned"], style, color=colour, label=label, markersize=4)
    axes[0].set_title("output compared as it is (0 = invariant)")
    axes[1].set_title("after the best whole-cell realignment (0 = equivariant)")
    for ax in axes:
        ax.set_xlabel("diagonal shift of the input (pixels)")
        ax.set_xticks(shifts)
    axes[0].set_ylabel("relative change of the output")
    fig.tight_layout(rect=(0, 0.14, 1, 1))
    fig.legend(*axes[0].get_legend_handles_labels(), loc="lower center", ncol=3, frameon=False, fontsize=9)
    return fig


def _blob(row, col, n=16, blur=True):
    """A bright dot at (row, col) on a dark n×n image, blurred by a 3×3 Gaussian unless ``blur`` is False."""
    image = np.zeros((1, 1, n, n))
    image[0, 0, row, col] = 1.0
    if not blur:
        return image
    return functional.conv2d(image, kernels.kernel("gaussian blur")[None, None], padding=1)


def distinguishable_positions(kernel_size, stride, blur, n=16):
    """How many of the n×n positions of a dot (or blob) a max-pooled map can still tell apart."""
    seen = set()
    for row in range(n):
        for col in range(n):
            pooled = functional.max_pool2d(_blob(row, col, n, blur), kernel_size, stride)
            seen.add(np.round(pooled, 12).tobytes())
    return len(seen)


@register(
    "ch03.where",
    alt="Two 16 by 16 images, each with one small bright blob, the second blob one pixel to the right of the "
    "first, and below each its 4 by 4 max-pooled map: the two pooled maps are identical, so the one-pixel "
    "move cannot be recovered from them.",
)
def where():
    """Two positions one pixel apart that 4×4 max pooling cannot tell apart."""
    a, b = _blob(5, 5), _blob(5, 6)
    fig, axes = plt.subplots(1, 4, figsize=(10, 2.7), gridspec_kw={"width_ratios": [4, 1, 4, 1]})
    for ax_in, ax_out, image, title in ((axes[0], axes[1], a, "blob at (5, 5)"), (axes[2], axes[3], b,
                                                                                 "blob at (5, 6)")):
        ax_in.imshow(image[0, 0], cmap="magma", vmin=0, vmax=0.25)
        ax_in.set_title(title)
        pooled = functional.max_pool2d(image, 4)[0, 0]
        ax_out.imshow(pooled, cmap="magma", vmin=0, vmax=0.25)
        ax_out.set_title("max pool 4×4")
        for ax in (ax_in, ax_out):
            ax.set_xticks([])
            ax.set_yticks([])
    fig.tight_layout()
    return fig
