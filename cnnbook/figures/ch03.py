"""Figures of chapter 3, "Pooling and invariance"."""

from __future__ import annotations

import numpy as np

from cnnbook import functional
from cnnbook.analysis.ch03 import (
    PHOTOS,
    SHIFTS,
    SIDE,
    WHERE_BLOB,
    WHERE_MOVED_COL,
    WHERE_SIDE,
    WIDE,
    blob,
    feature_bank,
    photo_crop,
    shift_measurement,
)
from cnnbook.figures import register
from cnnbook.figures.common import draw_grid, draw_image, plt

EXAMPLE = np.array([[1, 3, 2, 0], [4, 6, 1, 1], [0, 2, 5, 7], [1, 1, 3, 2]], dtype=float)


@register(
    "ch03.pooling_example",
    alt="A 4 by 4 grid of numbers and its 2 by 2 max pooling (6, 2, 2, 7) and average pooling (3.5, 1, 1, "
    "4.25); each 2 by 2 window of the input and the output cell it produces share a colour outline.",
)
def pooling_example():
    """Max and average pooling of a 4×4 grid with 2×2 windows, stride 2."""
    x = EXAMPLE[None, None]
    grids = [(EXAMPLE, "input"), (functional.max_pool2d(x, 2)[0, 0], "max pool 2×2"),
             (functional.avg_pool2d(x, 2)[0, 0], "average pool 2×2")]
    # every cell the same size in all three grids: the axes are placed in inches, the outputs centred on the input
    cell, gap, title_room = 0.6, 0.5, 0.35
    tallest = max(values.shape[0] for values, _ in grids) * cell
    width = sum(values.shape[1] for values, _ in grids) * cell + gap * (len(grids) - 1)
    height = tallest + title_room
    fig = plt.figure(figsize=(width, height))
    axes, left = [], 0.0
    for values, title in grids:
        w, h = values.shape[1] * cell, values.shape[0] * cell
        ax = fig.add_axes((left / width, (tallest - h) / 2 / height, w / width, h / height))
        draw_grid(ax, values, title, cmap="Greys", vmin=0, vmax=14, fontsize=11)
        axes.append(ax)
        left += w + gap
    colours = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd"]
    for n, colour in enumerate(colours):
        r, c = divmod(n, 2)
        for ax, origin, size in ((axes[0], (2 * r, 2 * c), 2), (axes[1], (r, c), 1), (axes[2], (r, c), 1)):
            ax.add_patch(plt.Rectangle((origin[1] - 0.45, origin[0] - 0.45), size - 0.1, size - 0.1, fill=False,
                                       edgecolor=colour, linewidth=2.2))
    return fig


@register(
    "ch03.pooled_photo",
    alt=f"The astronaut photograph, its vertical-edge feature map after ReLU ({SIDE} by {SIDE} pixels), and the "
    f"same map after 2 by 2 max pooling, {WIDE} by {WIDE} max pooling and {WIDE} by {WIDE} average pooling: the "
    "pooled maps are coarser but keep the strong edges; max pooling keeps them bright, average pooling dims "
    "thin ones. The photograph, the feature map and the 2 by 2 pool are the three panels of the top row; the two "
    f"{WIDE} by {WIDE} pools sit side by side below them.",
    format="png",
)
def pooled_photo():
    """Pooling as downsampling: what a feature map keeps at 1/2 and 1/4 resolution."""
    x = photo_crop("astronaut")
    feature = functional.relu(functional.conv2d(x, feature_bank()[:1], padding=1))

    def size(y):
        return f"{y.shape[-2]}×{y.shape[-1]}"

    pooled = [("max pool 2×2", functional.max_pool2d(feature, 2)),
              (f"max pool {WIDE}×{WIDE}", functional.max_pool2d(feature, WIDE)),
              (f"average pool {WIDE}×{WIDE}", functional.avg_pool2d(feature, WIDE))]
    panels = [(f"input {size(x)}", x), (f"Sobel x + ReLU, {size(feature)}", feature)]
    panels += [(f"{name} → {size(y)}", y) for name, y in pooled]
    # two rows: the photograph, its feature map and the 2×2 pool above; the two wide pools side by side below
    fig = plt.figure(figsize=(6.7, 4.7))
    grid = fig.add_gridspec(2, 6)
    axes = [fig.add_subplot(grid[0, 2 * n:2 * n + 2]) for n in range(3)]
    axes += [fig.add_subplot(grid[1, 2 * n + 1:2 * n + 3]) for n in range(2)]
    top = float(feature.max())
    for ax, (title, y) in zip(axes, panels):
        if y is x:
            draw_image(ax, y[0, 0], title)
        else:
            ax.imshow(y[0, 0], cmap="magma", vmin=0, vmax=top)
            ax.set_title(title)
            ax.set_axis_off()
    fig.tight_layout(h_pad=1.2, w_pad=0.8)
    return fig


@register(
    "ch03.invariance",
    alt=f"Three charts of the shift measurement on {len(PHOTOS)} photographs, one line and one colour per "
    f"ending. Top left, against the diagonal shift of the input ({min(SHIFTS)} to {max(SHIFTS)} pixels), how "
    "much each output changes as it is: a line for the mean over the photographs in a shaded band for their "
    "range. The two convolutions without pooling sit highest, the pooled endings lower, global average pooling "
    "near zero; section 3.3 of the text states each comparison. Top right, on the same scale, the change after "
    "realigning by whole output cells: zero at every shift for the plain convolution, and zero for the pooled "
    "and strided maps only at shifts that are multiples of their stride. Bottom left, the change at a one-pixel "
    "shift for each ending, numbered as in the legend beside it, with a grey line per photograph joining its "
    "values, so each comparison can be read photograph by photograph.",
)
def invariance():
    """Invariance (top left), equivariance (top right) and the one-pixel change photograph by photograph (bottom
    left), with the legend's numbered endings beside it."""
    result = shift_measurement()
    shifts = result["shifts"]
    colours = ["#1f77b4", "#ff7f0e", "#d62728", "#2ca02c", "#17becf", "#9467bd", "#444444"]
    markers = ["o", "s", "^", "v", "X", "D", "P"]
    fig, grid = plt.subplots(2, 2, figsize=(6.9, 5.6), sharey="row")
    axes = (grid[0, 0], grid[0, 1], grid[1, 0])
    for (label, curves), marker, colour in zip(result["endings"].items(), markers, colours):
        for ax, kind in ((axes[0], "changed"), (axes[1], "realigned")):
            values = np.asarray(curves[kind])
            ax.fill_between(shifts, values.min(axis=0), values.max(axis=0), color=colour, alpha=0.15, linewidth=0)
            ax.plot(shifts, values.mean(axis=0), "-", marker=marker, color=colour, label=label, markersize=4)
    axes[0].set_title("as it is (0 = invariant)")
    axes[1].set_title("realigned (0 = equivariant)")
    for ax in axes[:2]:
        ax.set_xlabel("diagonal shift (pixels)")
        ax.set_xticks(shifts)
    axes[0].set_ylabel("relative change of the output")
    one = shifts.index(1)
    labels = list(result["endings"])
    at_one = np.array([[curve[one] for curve in result["endings"][label]["changed"]] for label in labels])
    positions = np.arange(len(labels))
    axes[2].plot(positions, at_one, "-", color="0.7", linewidth=0.8, zorder=1)
    for position, values, marker, colour in zip(positions, at_one, markers, colours):
        axes[2].scatter(np.full(values.shape, position), values, marker=marker, color=colour, s=18, zorder=2)
    axes[2].set_xticks(positions, [str(n + 1) for n in positions])
    axes[2].set_xlabel("ending (numbered as in the legend)")
    axes[2].set_ylabel("relative change")
    axes[2].set_title("one-pixel shift, by photograph")
    # the legend takes the fourth cell, beside the chart whose x axis it numbers
    grid[1, 1].set_axis_off()
    handles, names = axes[0].get_legend_handles_labels()
    grid[1, 1].legend(handles, [f"{n + 1}. {name}" for n, name in enumerate(names)], loc="center left",
                      frameon=False, borderaxespad=0, handlelength=1.8)
    fig.tight_layout(h_pad=1.5, w_pad=1.0)
    return fig


@register(
    "ch03.where",
    alt=f"Two {WHERE_SIDE} by {WHERE_SIDE} images, each with one small bright blob, the second blob one pixel to the "
    f"right of the first, and beside each its {WIDE} by {WIDE} max-pooled map: the two pooled maps are identical, "
    "so the one-pixel move cannot be recovered from them.",
)
def where():
    """Two positions one pixel apart that WIDE×WIDE max pooling cannot tell apart."""
    row, col = WHERE_BLOB
    # each pooled map drawn as large as its image, so one pooled cell covers the window it summarises;
    # a wider gap between the two pairs
    fig, axes = plt.subplots(1, 5, figsize=(6.8, 1.9), gridspec_kw={"width_ratios": [1, 1, 0.25, 1, 1]})
    axes[2].set_axis_off()
    for ax_in, ax_out, c in ((axes[0], axes[1], col), (axes[3], axes[4], WHERE_MOVED_COL)):
        image = blob(row, c)
        ax_in.imshow(image[0, 0], cmap="magma", vmin=0, vmax=0.25)
        ax_in.set_title(f"blob at ({row}, {c})")
        pooled = functional.max_pool2d(image, WIDE)[0, 0]
        ax_out.imshow(pooled, cmap="magma", vmin=0, vmax=0.25)
        ax_out.set_title(f"max pool {WIDE}×{WIDE}")
        for ax in (ax_in, ax_out):
            ax.set_xticks([])
            ax.set_yticks([])
    fig.tight_layout(w_pad=0.6)
    return fig
