"""Figures of chapter 4, "Channels"."""

from __future__ import annotations

import numpy as np

from cnnbook import functional, kernels, shapes
from cnnbook.analysis.ch04 import (
    STAGES,
    VGG16_INPUT,
    backbone_layers,
    cost_measurements,
    sharing_equivariance,
    stage_shapes,
    training_memory,
)
from cnnbook.data import photo
from cnnbook.experiments.layer_costs import CHANNELS as COST_CHANNELS
from cnnbook.experiments.layer_costs import GROUPS, SIZE, layer_macs
from cnnbook.experiments.layer_costs import LABELS as COST_LABELS
from cnnbook.figures import register
from cnnbook.figures.common import DIVERGING, draw_grid, plt

CHANNELS = ("red", "green", "blue")


def opponent_filters():
    """Two 3-channel filters, weight shape (2, 3, 3, 3).

    Filter 0 finds vertical edges of brightness whatever their colour (Sobel x
    on every channel, weighted like luminance). Filter 1 is colour-opponent: a
    blur of the red channel minus a blur of the green one, so it responds to
    red regions and ignores edges.
    """
    sobel, blur = kernels.kernel("sobel x"), kernels.kernel("gaussian blur")
    luminance = np.array([0.3, 0.6, 0.1])
    edge = luminance[:, None, None] * sobel
    redness = np.stack([blur, -blur, 0 * blur])
    return np.stack([edge, redness])


@register(
    "ch04.multichannel",
    alt="A colour photograph of a cup of coffee split into its red, green and blue channels (left column). "
    "Each channel is correlated with its own 3 by 3 slice of two filters (middle and right columns), and the "
    "three results are added (bottom row). The first filter's sum shows the vertical edges of the cup; the "
    "second filter's sum is strongly positive, drawn in red, where the picture is red.",
    format="png",
)
def multichannel():
    """One output channel is a sum over input channels of 2-D correlations."""
    x = photo("coffee", size=96, gray=False, backend="numpy")
    w = opponent_filters()
    per_channel = np.array([[functional.conv2d(x[c][None, None], w[o, c][None, None])[0, 0]
                             for c in range(3)] for o in range(2)])
    summed = functional.conv2d(x[None], w)[0]
    fig, axes = plt.subplots(4, 3, figsize=(6.6, 7.0))
    limits = [max(float(np.abs(summed[o]).max()), float(np.abs(per_channel[o]).max())) for o in range(2)]
    for c, name in enumerate(CHANNELS):
        axes[c, 0].imshow(x[c], cmap="gray", vmin=0, vmax=1)
        axes[c, 0].set_title(f"input channel {c} ({name})")
        for o in range(2):
            axes[c, o + 1].imshow(per_channel[o, c], cmap=DIVERGING, vmin=-limits[o], vmax=limits[o])
            axes[c, o + 1].set_title(f"x[{c}] ⋆ w[{o}, {c}]")
    axes[3, 0].imshow(np.moveaxis(x, 0, -1))
    axes[3, 0].set_title("the photograph")
    for o, label in enumerate(("edges", "redness")):
        axes[3, o + 1].imshow(summed[o], cmap=DIVERGING, vmin=-limits[o], vmax=limits[o])
        axes[3, o + 1].set_title(f"y[{o}] = sum ({label})")
    for ax in axes.flat:
        ax.set_axis_off()
    fig.tight_layout(pad=0.3, h_pad=1.4, w_pad=0.6)
    return fig


@register(
    "ch04.weights",
    alt="The weight tensor of the two filters drawn as six 3 by 3 grids of numbers: row 0 holds filter 0's "
    "slices for the red, green and blue channels (Sobel kernels scaled by 0.3, 0.6 and 0.1), row 1 holds "
    "filter 1's slices (a blur, a negative blur and zeros).",
)
def weights():
    """The (2, 3, 3, 3) weight tensor of the two filters, slice by slice."""
    w = opponent_filters()
    fig, axes = plt.subplots(2, 3, figsize=(6.6, 4.7))
    for o in range(2):
        limit = float(np.abs(w[o]).max())
        for c, name in enumerate(CHANNELS):
            draw_grid(axes[o, c], w[o, c], f"w[{o}, {c}] ({name})", cmap=DIVERGING, fmt="{:.2g}",
                      vmin=-limit * 1.6, vmax=limit * 1.6, fontsize=10)
    fig.tight_layout(pad=0.3, h_pad=1.2, w_pad=1.0)
    return fig


def _costs_alt():
    macs = [layer_macs(c) for c in COST_CHANNELS]
    standard, grouped, separable = COST_LABELS
    more = [c for c, m in zip(COST_CHANNELS, macs) if m[separable] > m[grouped]]
    less = [c for c, m in zip(COST_CHANNELS, macs) if m[separable] < m[grouped]]
    if not more or not less or max(more) > min(less):
        raise ValueError("ch04.costs: the separable layer's MACs should exceed the grouped layer's only below a width")
    limit = shapes.conv2d_params(1, 1, 3, bias=False)  # 1 / (1/C + 1/k²) -> k², the weights of one 3×3 slice
    return (f"Two log-log charts against the number of channels, {COST_CHANNELS[0]} to {COST_CHANNELS[-1]}, for a "
            f"3 by 3 layer on a {SIZE} by {SIZE} map. Left, multiply-accumulates: the standard convolution grows with "
            f"the square of the channels and the grouped convolution is {GROUPS} times cheaper at every width; the "
            f"depthwise separable one costs more than the grouped one up to {max(more)} channels and less from "
            f"{min(less)}, approaching {limit} times fewer than the standard layer. Right, the time cnnbook measured "
            "for the same layers when this page was built, the median of repeated rounds with bars from the fastest "
            "to the slowest round, on log scales like the counts so that their slopes can be compared; the text "
            "below the figure compares them at the widest setting.")


@register("ch04.costs", alt=_costs_alt())
def costs():
    """Counted cost and measured time (median and range of the rounds) of standard, grouped and separable layers."""
    result = cost_measurements()
    c = result["channels"]
    fig, axes = plt.subplots(1, 2, figsize=(7, 3.9))
    for label, style in zip(COST_LABELS, ("-o", "-s", "-^")):     # the cached results' keys come back sorted
        axes[0].plot(c, np.array(result["macs"][label]) / 1e6, style, label=label)
        rounds = np.array(result["rounds"][label]) * 1e3            # (channel counts, rounds), milliseconds
        median = np.median(rounds, axis=1)
        bars = np.stack([median - rounds.min(axis=1), rounds.max(axis=1) - median])
        axes[1].errorbar(c, median, yerr=bars, fmt=style, capsize=3, label=label)
    axes[0].set_ylabel("million multiply-accumulates")
    axes[0].set_title(f"counted, one {SIZE}×{SIZE} map")
    axes[1].set_ylabel(f"milliseconds (median, range of {result['repeat']})")
    axes[1].set_title("measured with cnnbook")
    for ax in axes:
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xticks(c, [str(v) for v in c])
        ax.set_xlabel("channels in = out")
    handles, labels = axes[0].get_legend_handles_labels()   # one legend for both panels, above them
    fig.legend(handles, labels, loc="upper center", ncol=3, frameon=False, fontsize=9, bbox_to_anchor=(0.5, 1.0),
               handlelength=1.6, columnspacing=1.2)
    fig.text(0.5, 0.01, f"times measured on {result['machine']}", fontsize=9, ha="center", va="bottom",
             color="#555555")
    fig.tight_layout(rect=(0, 0.05, 1, 0.93), w_pad=1.5)  # bands above for the legend, below for the processor
    return fig


def _memory_alt():
    rows = backbone_layers()
    convs = sum(r["name"].startswith("conv") for r in rows)
    params = [r["params"] for r in rows if r["params"]]
    return (f"Two charts, one above the other. Top, a bar chart over VGG-16's {convs} convolution and "
            f"{len(rows) - convs} pooling layers, on a log scale: activations per image are largest in the first "
            f"layers ({rows[0]['activations'] / 1e6:.1f} million values) and shrink stage by stage, while parameters "
            f"grow from {min(params):,} to {max(params) / 1e6:.1f} million per layer. Bottom, training memory with SGD "
            "and momentum against batch size, in float32 and in mixed precision: the weights with their gradients "
            "and momentum are one flat line, the same in both; the stored activations grow linearly, overtake the "
            "weights at a batch of a few images, and take half as much memory in mixed precision.")


@register("ch04.memory", alt=_memory_alt())
def memory():
    """Activations vs parameters layer by layer, and training memory vs batch size, for VGG-16's features."""
    rows = backbone_layers()
    fig, axes = plt.subplots(2, 1, figsize=(6.9, 7.6), gridspec_kw={"height_ratios": [1.05, 1]})
    positions = np.arange(len(rows))
    axes[0].bar(positions - 0.2, [r["activations"] for r in rows], 0.4, label="activations per image")
    axes[0].bar(positions + 0.2, [max(r["params"], 1) for r in rows], 0.4, label="parameters")
    axes[0].set_yscale("log")
    axes[0].set_ylim(bottom=1e3)
    axes[0].set_xlim(-0.6, len(rows) - 0.4)
    axes[0].set_xticks(positions, [r["name"] for r in rows], rotation=90, fontsize=9)
    axes[0].set_ylabel("values (log scale)")
    axes[0].legend(frameon=False, fontsize=9, ncol=2, loc="lower center", bbox_to_anchor=(0.5, 1.0),
                   borderaxespad=0.2)
    axes[0].set_title(f"layer by layer, one {VGG16_INPUT[1]}×{VGG16_INPUT[2]} image", pad=24)
    batches = np.array([1, 2, 4, 8, 16, 32, 64, 128])
    mib = 2.0**20
    weight_bytes, _ = training_memory(1, rows)
    axes[1].plot(batches, np.full(len(batches), weight_bytes / mib), "-",
                 label="weights + gradients + momentum (float32 or mixed)")
    for precision, style in (("float32", "-o"), ("mixed", "--s")):
        activation_bytes = np.array([training_memory(int(b), rows, precision)[1] for b in batches])
        name = "mixed precision" if precision == "mixed" else precision
        axes[1].plot(batches, activation_bytes / mib, style, label=f"stored activations, {name}")
    axes[1].set_xscale("log", base=2)
    axes[1].set_yscale("log")
    axes[1].set_xticks(batches, [str(b) for b in batches])
    axes[1].set_xlabel("batch size")
    axes[1].set_ylabel("MiB (log scale)")
    axes[1].legend(frameon=False, fontsize=9, loc="upper left")
    axes[1].set_title("training memory, SGD with momentum")
    fig.tight_layout(pad=0.3, h_pad=1.5)
    return fig


@register(
    "ch04.sharing",
    alt="A line chart of how far four layers are from shift equivariance, for diagonal shifts of 0 to 6 "
    "pixels of a photograph. The convolution is exactly equivariant at every shift. The tiled convolution "
    "with 2 by 2 tiles is exact at shifts 0, 2, 4 and 6 and far off at odd shifts; with 3 by 3 tiles it is "
    "exact at 0, 3 and 6. The locally connected layer is far off at every shift but zero.",
)
def sharing():
    """Equivariance error of shared, tiled and unshared layers on a real photograph."""
    result = sharing_equivariance()
    fig, ax = plt.subplots(figsize=(7, 4.3))
    for (label, layer), style in zip(result["layers"].items(), ("-o", "-s", "-^", "-D")):
        ax.plot(result["shifts"], layer["error"], style, label=f"{label} ({layer['params']:,} weights)")
    ax.set_xlabel("diagonal shift of the input (pixels)")
    ax.set_ylabel("‖f(shifted x) − shifted f(x)‖ / ‖f(x)‖")
    ax.set_xticks(result["shifts"])
    ax.legend(frameon=False, fontsize=9, ncol=2, loc="lower center", bbox_to_anchor=(0.5, 1.0), borderaxespad=0.3,
              columnspacing=1.5)
    fig.tight_layout(pad=0.3)
    return fig


def visualizer_defaults():
    """The shape visualizer's default state, embedded in the page for docs/assets/instruments/shape-visualizer.js.

    Examples
    --------
    >>> visualizer_defaults()["input_size"]
    224
    """
    return dict(STAGES)


def _visualizer_alt():
    rows = stage_shapes()
    maps = ", ".join(f"{r['side']} by {r['side']} by {r['channels']}" for r in rows[:-1])
    last = rows[-1]
    side, c = STAGES["input_size"], STAGES["channels"]
    return (f"The feature-map shape visualizer in its default state: a {side} by {side} by {c} input and "
            f"{len(rows)} stages of a {STAGES['kernel']} by {STAGES['kernel']} convolution and a {STAGES['pool']} by "
            f"{STAGES['pool']} pool, drawn as rectangles whose height is the "
            f"map's side and whose width is its number of channels: {maps} and {last['side']} by {last['side']} by "
            f"{last['channels']}, each half as tall and twice as wide as the one before.")


@register("ch04.shape_visualizer", alt=_visualizer_alt())
def shape_visualizer():
    """The visualizer's default state (the stages of :func:`stage_shapes`), for readers without JavaScript."""
    rows = stage_shapes()
    maps = [(STAGES["input_size"], STAGES["channels"], "input")]
    maps += [(r["side"], r["channels"], f"stage {r['stage']}") for r in rows]
    width, height, slot = 640, 170, 640 / len(maps)  # as the instrument draws it: one slot per map, labels apart
    widest, tallest = max(c for _, c, _ in maps), max(side for side, _, _ in maps)
    fig, ax = plt.subplots(figsize=(6.8, 2.6))
    for index, (side, c, label) in enumerate(maps):
        w, h, centre = max(1.5, (slot - 12) * c / widest), height * side / tallest, slot * (index + 0.5)
        ax.add_patch(plt.Rectangle((centre - w / 2, 0), w, h, facecolor="#3f51b5", alpha=0.35, edgecolor="#3f51b5"))
        ax.text(centre, -8, label, ha="center", va="top", fontsize=10)
        ax.text(centre, -28, f"{side}×{side}×{c}", ha="center", va="top", fontsize=9, color="#444444")
    ax.set_xlim(0, width)
    ax.set_ylim(-50, height + 2)
    ax.set_aspect("equal")
    ax.set_axis_off()
    fig.tight_layout(pad=0.2)
    return fig
