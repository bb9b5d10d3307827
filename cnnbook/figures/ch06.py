"""Figures of chapter 6, "Receptive fields"."""

from __future__ import annotations

import numpy as np

from cnnbook import shapes
from cnnbook.analysis.ch06 import CALCULATOR_DEFAULT, CALCULATOR_REPEATS, SMALL_STACK, effective_fields, network_fields
from cnnbook.experiments.receptive_fields import ERF_DEPTH, ERF_SIZE, ERF_STACKS
from cnnbook.figures import register
from cnnbook.figures.common import plt


def _units(field, n):
    """Centres of the first n units of a layer along the input axis."""
    return field.centre + field.jump * np.arange(n)


@register(
    "ch06.cone",
    alt="A diagram of a small stack, conv, pool, conv, pool, conv, read from the input at the bottom to the last "
    "convolution at the top: rows of dots for the input and for the output of each layer, spaced further "
    "apart after each pooling layer. One unit at the top is highlighted, and below it, in every row, the "
    "units it depends on; its field in the input grows layer by layer through "
    + ", ".join(str(f.size) for f in network_fields(SMALL_STACK)) + " pixels.",
)
def cone():
    """The units one top unit depends on, layer by layer, for the small stack (one axis)."""
    fields = network_fields(SMALL_STACK)
    n_input = 24
    lengths = [n_input]
    for layer in SMALL_STACK:
        lengths.append(shapes.conv_output_size(lengths[-1], layer["kernel_size"], layer["stride"]))
    # the highlighted unit: the first unit of the top layer, traced down layer by layer
    top = len(SMALL_STACK)
    chosen = {top: {0}}
    for level in range(top, 0, -1):
        layer = SMALL_STACK[level - 1]
        below = set()
        for unit in chosen[level]:
            below.update(unit * layer["stride"] + m for m in range(layer["kernel_size"]))
        chosen[level - 1] = below
    fig, ax = plt.subplots(figsize=(7.0, 3.5))
    all_fields = [shapes.ReceptiveField(1, 1, 0)] + fields
    labels = ["input"] + [layer["name"] for layer in SMALL_STACK]
    for level, (field, length, label) in enumerate(zip(all_fields, lengths, labels)):
        xs = _units(field, length)
        on = np.array([i in chosen[level] for i in range(length)])
        ax.scatter(xs[~on], np.full((~on).sum(), level), s=18, color="#cccccc", zorder=2, linewidths=0)
        ax.scatter(xs[on], np.full(on.sum(), level), s=30, color="#d62728", zorder=3, linewidths=0)
        ax.text(-1.2, level, label, ha="right", va="center", fontsize=10)
        if level:
            ax.text(n_input + 0.2, level, f"r = {field.size}, jump {field.jump}", va="center", fontsize=9,
                    color="#444444")
        if level < top:
            upper = all_fields[level + 1]
            layer = SMALL_STACK[level]
            for unit in chosen[level + 1]:
                for m in range(layer["kernel_size"]):
                    below = unit * layer["stride"] + m
                    ax.plot([upper.centre + upper.jump * unit, xs[below]], [level + 1, level], color="#f4a3a3",
                            linewidth=0.9, zorder=1)
    ax.set_xlim(-1, n_input)
    ax.set_ylim(-0.6, top + 0.6)
    ax.set_axis_off()
    fig.tight_layout()
    return fig


#: Stacks whose growth is compared: label → function of depth n giving its layers.
GROWTH = {
    "3×3 convolutions": lambda n: [(3, 1, 1)] * n,
    "3×3 convolutions, 2×2 pool after every second": lambda n: sum(
        ([(3, 1, 1), (2, 2)] if i % 2 else [(3, 1, 1)] for i in range(n)), []),
    "3×3 convolutions, dilation 1, 2, 4, …": lambda n: [(3, 1, 2**i, 2**i) for i in range(n)],
}


@register(
    "ch06.growth",
    alt="A line chart of receptive field against the number of 3 by 3 convolution layers, 1 to 10, on a "
    "log scale. With stride-1 convolutions alone the field grows by 2 per layer, to "
    f"{shapes.receptive_fields(GROWTH['3×3 convolutions'](10))[-1].size}. With a 2 by 2 pool after every second "
    "convolution it grows faster and faster, to "
    f"{shapes.receptive_fields(list(GROWTH.values())[1](10))[-1].size}. With the dilation doubling at every "
    f"layer it roughly doubles every layer, to {shapes.receptive_fields(list(GROWTH.values())[2](10))[-1].size:,}.",
)
def growth(depth=10):
    """Receptive field against depth: linear, with pooling, with dilation."""
    fig, ax = plt.subplots(figsize=(6.9, 3.9))
    n = np.arange(1, depth + 1)
    for (label, make), style in zip(GROWTH.items(), ("-o", "-s", "-^")):
        ax.plot(n, [shapes.receptive_fields(make(k))[-1].size for k in n], style, label=label)
    ax.set_yscale("log")
    ax.set_xticks(n)
    ax.set_xlabel("number of 3×3 convolution layers")
    ax.set_ylabel("receptive field (pixels, log scale)")
    ax.legend(frameon=False, fontsize=9)
    fig.tight_layout()
    return fig


# ---- effective receptive fields: measured by the experiment ch06.effective_fields ----


def _span(values):
    low, high = min(values), max(values)
    return f"{low}" if low == high else f"{low}–{high}"


@register(
    "ch06.erf",
    alt="Four square heat maps, two by two, of how strongly each input pixel influences the centre unit of a deep "
    "stack, averaged over photographs and, for the random stacks, over random initialisations, each with the "
    "theoretical receptive field outlined by a dashed square and the centred square that holds most of the "
    "gradient by a white one; the panel titles give both widths. "
    f"The stacks are {ERF_DEPTH} 3 by 3 convolutions with uniform weights and no "
    "nonlinearity, the same with random weights and ReLU, the same with two max pools, and the same with "
    "growing dilations. In every panel the influence is a bump at the centre that fades towards the edges of "
    "the dashed square.",
    format="png",
)
def erf():
    """Effective receptive fields: where the gradient of one unit actually lands, inside the theoretical field."""
    run = effective_fields()
    # in the order the stacks are defined (each "the same with" follows the stack it varies), two by two
    keys = sorted(run["stacks"], key=lambda key: list(ERF_STACKS).index(key) if key in ERF_STACKS else len(ERF_STACKS))
    fig, axes = plt.subplots(2, 2, figsize=(6.6, 7.8))
    for ax, key in zip(axes.flat, keys):
        entry = run["stacks"][key]
        ax.imshow(np.array(entry["map"]), cmap="magma", vmin=0, vmax=1)
        c, size, width = entry["centre"], entry["theoretical"], entry["mean_width"]
        ax.add_patch(plt.Rectangle((c - size / 2, c - size / 2), size, size, fill=False, edgecolor="#4fc3f7",
                               linewidth=1.4, linestyle="--"))
        ax.add_patch(plt.Rectangle((c - width / 2, c - width / 2), width, width, fill=False, edgecolor="white",
                               linewidth=1.2))
        title = entry["title"]
        if len(title) > 34:  # the dilated stack's: its schedule on a line of its own
            head, _, tail = title.partition(", ")
            title = f"{head},\n{tail}"
        ax.set_title(f"{title}\ntheoretical {size}×{size}; {run['mass']:.0%} in {width}×{width}\n"
                     f"per seed ({len(run['seeds'])} seeds): {_span(entry['widths'])}", fontsize=10)
        ax.set_xlim(-0.5, ERF_SIZE - 0.5)
        ax.set_ylim(ERF_SIZE - 0.5, -0.5)
        ax.set_axis_off()
    fig.tight_layout(h_pad=2.2, w_pad=1.5)
    return fig


@register(
    "ch06.erf_growth",
    alt="A log-log chart of receptive field width against depth, for one deep stack of 3 by 3 convolutions with "
    "ReLU and random weights measured at several depths. The theoretical field grows in proportion to the "
    "depth. The width of the centred square holding most of the gradient is drawn for every seed, with a band "
    "from the lowest to the highest; beyond the shallowest depths it stays below the theoretical field and "
    "grows more slowly, close to a dotted line proportional to the square root of the depth.",
)
def erf_growth_figure():
    """Theoretical vs effective receptive field as a stack deepens, every seed shown."""
    run = effective_fields()
    growth = run["growth"]
    depth = np.array(growth["depths"])
    widths = np.array(growth["widths"], dtype=float)  # (seeds, depths)
    fig, ax = plt.subplots(figsize=(6.9, 3.9))
    ax.plot(depth, growth["theoretical"], "-o", label="theoretical: 2n + 1")
    ax.fill_between(depth, widths.min(axis=0), widths.max(axis=0), color="#ff7f0e", alpha=0.2, linewidth=0)
    for row in widths:
        ax.plot(depth, row, "s", color="#ff7f0e", markersize=3.5, alpha=0.6)
    ax.plot(depth, widths.mean(axis=0), "-", color="#ff7f0e",
            label=f"width holding {run['mass']:.0%} of the gradient ({len(run['seeds'])} seeds)")
    deep = depth >= ERF_DEPTH
    scale = np.mean(widths.mean(axis=0)[deep] / np.sqrt(depth[deep]))
    ax.plot(depth, scale * np.sqrt(depth), ":", color="#777777", label="∝ √n, for comparison")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log", base=2)
    ax.set_xticks(depth, [str(d) for d in depth])
    ticks = 2 ** np.arange(1, int(np.log2(max(growth["theoretical"]))) + 2)
    ax.set_yticks(ticks, [str(t) for t in ticks])
    ax.set_xlabel("number of 3×3 convolution layers (with ReLU)")
    ax.set_ylabel("width in input pixels")
    ax.legend(frameon=False, fontsize=9)
    fig.tight_layout()
    return fig


def _calculator_alt():
    layers, n = CALCULATOR_DEFAULT
    field, side = shapes.receptive_fields(layers)[-1], n
    for layer in layers:
        side = shapes.conv_output_size(side, *layer)
    return (f"The receptive-field calculator in its default state: a table of {len(layers)} layers, "
            f"{CALCULATOR_REPEATS} times conv 3 by 3 with padding 1, conv 3 by 3 with padding 1 and pool 2 by 2, with "
            f"each layer's output size, receptive field, jump and effective padding, ending at {side} by {side} "
            f"with a {field.size}-pixel field, jump {field.jump} and padding {field.padding}; beside it a {n} by {n} "
            f"input grid on which the field of unit (0, 0) is shaded, hanging {field.padding} pixels over the top "
            "and left edges into the padding.")


@register("ch06.rf_calculator", alt=_calculator_alt())
def rf_calculator():
    """The calculator's default state, for readers without JavaScript."""
    layers, n = CALCULATOR_DEFAULT
    fields = shapes.receptive_fields(layers)
    rows, size = [], n
    for index, ((k, s, *rest), field) in enumerate(zip(layers, fields), start=1):
        p = rest[0] if rest else 0
        size = shapes.conv_output_size(size, k, s, p)
        name = f"conv {k}×{k}, pad {p}" if s == 1 else f"pool {k}×{k}/{s}"
        rows.append([str(index), name, f"{size}×{size}", str(field.size), str(field.jump), str(field.padding)])
    # laid out in inches: the table on the left, one row per layer, the input grid on the right
    width, row_height = 6.8, 0.25
    table_width, grid_side = 3.75, 2.45
    table_height = row_height * (len(rows) + 1)
    height = max(table_height, grid_side) + 0.55
    fig = plt.figure(figsize=(width, height))
    table_ax = fig.add_axes([0.05 / width, (height - 0.2 - table_height) / height, table_width / width,
                             table_height / height])
    grid_ax = fig.add_axes([(width - grid_side - 0.05) / width, 0.3 / height, grid_side / width,
                            grid_side / height])
    table_ax.axis("off")
    table = table_ax.table(cellText=rows, colLabels=["#", "layer", "output", "r", "jump j", "padding P"],
                           cellLoc="center", bbox=[0, 0, 1, 1], colWidths=[0.3, 1.25, 0.62, 0.36, 0.55, 0.77])
    table.auto_set_font_size(False)
    table.set_fontsize(10)
    for (row, _), cell in table.get_celld().items():
        cell.set_edgecolor("#999999")
        cell.set_linewidth(0.6)
        if row == 0:
            cell.set_facecolor("#eeeeee")
    field = fields[-1]
    grid_ax.add_patch(plt.Rectangle((0, 0), n, n, facecolor="#eeeeee", edgecolor="#999999"))
    grid_ax.add_patch(plt.Rectangle((-field.padding, -field.padding), field.size, field.size, facecolor="#ff6e42",
                                alpha=0.35, edgecolor="#ff6e42", linewidth=2))
    lo = -field.padding - 2
    grid_ax.set_xlim(lo, n + 2)
    grid_ax.set_ylim(n + 2, lo)
    grid_ax.set_aspect("equal")
    ticks = np.arange(0, n + 1, max(1, n // 4))
    grid_ax.set_xticks(ticks)
    grid_ax.set_yticks(ticks)
    grid_ax.set_title(f"{n}×{n} input:\nthe field of unit (0, 0)", fontsize=10)
    return fig
