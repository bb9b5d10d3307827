"""Figures of chapter 6, "Receptive fields"."""

from __future__ import annotations

import functools

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from cnnbook import functional, shapes
from cnnbook.data import PHOTOS, photo
from cnnbook.figures import register


def _conv(k, s=1, p=0, d=1, name="conv"):
    return {"name": f"{name} {k}×{k}" + (f"/{s}" if s > 1 else "") + (f", dilation {d}" if d > 1 else ""),
            "kernel_size": k, "stride": s, "padding": p, "dilation": d}


def _pool(k, s, p=0, name="pool"):
    return {"name": f"{name} {k}×{k}/{s}", "kernel_size": k, "stride": s, "padding": p}


def _unnamed(layers):
    """Layer dicts without their names, as :func:`shapes.receptive_fields` takes them."""
    return [{key: v for key, v in layer.items() if key != "name"} for layer in layers]


#: The source material's stack: conv 3×3, pool 2×2, conv 3×3, pool 2×2, conv 3×3.
SEED_STACK = (_conv(3), _pool(2, 2), _conv(3), _pool(2, 2), _conv(3))


def model_path(name, **options):
    """The layers on the longest path of a network of the catalogue (:mod:`cnnbook.models`), described there once."""
    from cnnbook import models

    return models.spec.receptive_path(models.MODELS[name].make(**options))


#: Classic networks as the layers on their longest path: (name, variant, input size, layers).
NETWORKS = (
    ("the source material's stack", "conv, pool, conv, pool, conv", None, SEED_STACK),
    ("LeNet-5", "C1 to C5 (LeCun et al. 1998)", 32,
     (_conv(5), _pool(2, 2), _conv(5), _pool(2, 2), _conv(5))),
    ("AlexNet", "torchvision's single-GPU variant, to the last pool", 224, model_path("alexnet")),
    ("VGG-16", "to pool5", 224, model_path("vgg16")),
    ("ResNet-18", "torchvision, to the last block", 224, model_path("resnet18")),
    ("ResNet-50", "torchvision (v1.5: stride on the 3×3)", 224, model_path("resnet50")),
    ("MobileNet v1", "width 1.0, to the last pointwise conv", 224, model_path("mobilenet_v1")),
)


def network_fields(layers):
    """The ReceptiveField after every layer of a stack of named layer dicts."""
    return shapes.receptive_fields(_unnamed(layers))


def _units(field, n):
    """Centres of the first n units of a layer along the input axis."""
    return field.centre + field.jump * np.arange(n)


@register(
    "ch06.cone",
    alt="A diagram of the source material's stack read from the input at the bottom to the last convolution "
    "at the top: rows of dots for the input and for the output of each of the five layers, spaced further "
    "apart after each pooling layer. One unit at the top is highlighted, and below it, in every row, the "
    "units it depends on: 3, then 4, 8, 10 and finally 18 input pixels.",
)
def cone():
    """The units one top unit depends on, layer by layer, for the seed stack (one axis)."""
    fields = network_fields(SEED_STACK)
    n_input = 24
    lengths = [n_input]
    for layer in SEED_STACK:
        lengths.append(shapes.conv_output_size(lengths[-1], layer["kernel_size"], layer["stride"]))
    # the highlighted unit: the first unit of the top layer, traced down layer by layer
    top = len(SEED_STACK)
    chosen = {top: {0}}
    for level in range(top, 0, -1):
        layer = SEED_STACK[level - 1]
        below = set()
        for unit in chosen[level]:
            below.update(unit * layer["stride"] + m for m in range(layer["kernel_size"]))
        chosen[level - 1] = below
    fig, ax = plt.subplots(figsize=(11, 4.6))
    all_fields = [shapes.ReceptiveField(1, 1, 0)] + fields
    labels = ["input"] + [layer["name"] for layer in SEED_STACK]
    for level, (field, length, label) in enumerate(zip(all_fields, lengths, labels)):
        xs = _units(field, length)
        on = np.array([i in chosen[level] for i in range(length)])
        ax.scatter(xs[~on], np.full((~on).sum(), level), s=28, color="#cccccc", zorder=2)
        ax.scatter(xs[on], np.full(on.sum(), level), s=46, color="#d62728", zorder=3)
        ax.text(-2.2, level, label, ha="right", va="center", fontsize=10)
        if level:
            ax.text(n_input + 0.8, level, f"r = {field.size}, jump {field.jump}", va="center", fontsize=9,
                    color="#444444")
        if level < top:
            upper = all_fields[level + 1]
            layer = SEED_STACK[level]
            for unit in chosen[level + 1]:
                for m in range(layer["kernel_size"]):
                    below = unit * layer["stride"] + m
                    ax.plot([upper.centre + upper.jump * unit, xs[below]], [level + 1, level], color="#f4a3a3",
                            linewidth=0.9, zorder=1)
    ax.set_xlim(-9, n_input + 7)
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
    f"layer it doubles every layer, to {shapes.receptive_fields(list(GROWTH.values())[2](10))[-1].size:,}.",
)
def growth(depth=10):
    """Receptive field against depth: linear, with pooling, with dilation."""
    fig, ax = plt.subplots(figsize=(8.5, 4.2))
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


#: Effective receptive fields compared: label → layer list of (kind, kernel, stride, padding, dilation).
ERF_STACKS = {
    "8 convs, uniform weights, no ReLU": ("uniform", [("conv", 3, 1, 1, 1)] * 8),
    "8 convs + ReLU, random weights": ("random", [("conv", 3, 1, 1, 1)] * 8),
    "the same with two 2×2 max pools": ("random", [("conv", 3, 1, 1, 1)] * 2 + [("pool", 2, 2, 0, 1)]
                                        + [("conv", 3, 1, 1, 1)] * 2 + [("pool", 2, 2, 0, 1)]
                                        + [("conv", 3, 1, 1, 1)] * 4),
    "8 convs + ReLU, dilation 1, 1, 2, 2, 4, 4, 8, 8": ("random", [("conv", 3, 1, d, d)
                                                                   for d in (1, 1, 2, 2, 4, 4, 8, 8)]),
}
ERF_SIZE = 80
ERF_CHANNELS = 8
ERF_SEEDS = 2


def _erf_inputs(size=ERF_SIZE):
    """Grey crops of every bundled photograph, as a batch (N, 1, size, size)."""
    return np.stack([photo(name, size=size, backend="numpy")[None, :size, :size] for name in PHOTOS])


def input_gradient(stack, x, seed, channels=ERF_CHANNELS):
    """|∂(centre unit, summed over channels)/∂x| for each image of x, through a random stack (He init).

    ``stack`` is ``(weights, layers)`` as in :data:`ERF_STACKS`. The forward pass
    keeps what each backward needs; the backward pass starts from a gradient of 1
    at the centre of the last feature map, in every channel.
    """
    weights, layers = stack
    rng = np.random.default_rng(seed)
    saved, a, c_in = [], x, x.shape[1]
    for kind, k, s, p, d in layers:
        if kind == "pool":
            saved.append(("pool", a, k))
            a = functional.max_pool2d(a, k, s)
            continue
        if weights == "uniform":
            w = np.full((channels, c_in, k, k), 1.0 / (k * k * c_in))
        else:
            w = rng.standard_normal((channels, c_in, k, k)) * np.sqrt(2.0 / (k * k * c_in))
        z = functional.conv2d(a, w, stride=s, padding=p, dilation=d)
        saved.append(("conv", a, w, s, p, d, z))
        a = functional.relu(z) if weights == "random" else z
        c_in = channels
    g = np.zeros_like(a)
    g[:, :, a.shape[2] // 2, a.shape[3] // 2] = 1.0
    for entry in reversed(saved):
        if entry[0] == "pool":
            _, inp, k = entry
            g = functional.max_pool2d_backward(g, inp, k)
            continue
        _, inp, w, s, p, d, z = entry
        if weights == "random":
            g = functional.relu_backward(g, z)
        g = functional.conv2d_backward(g, inp, w, stride=s, padding=p, dilation=d)[0]
    return np.abs(g[:, 0])


@functools.cache
def effective_fields():
    """Mean |input gradient| maps for each stack of :data:`ERF_STACKS`, over photographs and initialisations."""
    x = _erf_inputs()
    result = {}
    for label, stack in ERF_STACKS.items():
        maps = [input_gradient(stack, x, seed).mean(axis=0) for seed in range(ERF_SEEDS)]
        field = shapes.receptive_fields([(k, s, p, d) for _, k, s, p, d in stack[1]])[-1]
        result[label] = (np.mean(maps, axis=0), field)
    return result


def mass_radius(grad, fraction=0.95):
    """Half-width of the smallest centred square holding ``fraction`` of the gradient's total mass."""
    c = np.array(grad.shape) // 2
    total = grad.sum()
    for radius in range(max(grad.shape)):
        if grad[max(c[0] - radius, 0) : c[0] + radius + 1, max(c[1] - radius, 0) : c[1] + radius + 1].sum() \
                >= fraction * total:
            return radius
    return max(grad.shape)


@register(
    "ch06.erf",
    alt="Four square heat maps of how strongly each input pixel influences the centre unit of a deep stack, "
    "averaged over photographs and random weights, each with the theoretical receptive field outlined. "
    "With uniform weights the influence is a smooth bump in the middle of the square; with random weights "
    "and ReLU it is a similar, noisier bump; with two pooling layers the square is larger and the bump "
    "wider; with dilation the square is larger still, and the influence is spread over a grid-like pattern.",
    format="png",
)
def erf():
    """Effective receptive fields: where the gradient of one unit actually lands, inside the theoretical field."""
    fields = effective_fields()
    fig, axes = plt.subplots(1, len(fields), figsize=(13, 3.9))
    for ax, (label, (grad, field)) in zip(axes, fields.items()):
        ax.imshow(grad / grad.max(), cmap="magma", vmin=0, vmax=1)
        centre = ERF_SIZE // 2
        start = centre - (field.size - 1) // 2 - 0.5
        ax.add_patch(Rectangle((start, start), field.size, field.size, fill=False, edgecolor="#4fc3f7",
                               linewidth=1.4, linestyle="--"))
        r = mass_radius(grad)
        ax.add_patch(Rectangle((centre - r - 0.5, centre - r - 0.5), 2 * r + 1, 2 * r + 1, fill=False,
                               edgecolor="white", linewidth=1.2))
        ax.set_title(f"{label}\ntheoretical {field.size}×{field.size}, 95% of gradient in {2 * r + 1}×{2 * r + 1}",
                     fontsize=8.5)
        ax.set_xlim(-0.5, ERF_SIZE - 0.5)
        ax.set_ylim(ERF_SIZE - 0.5, -0.5)
        ax.set_axis_off()
    fig.tight_layout()
    return fig


ERF_DEPTHS = (2, 4, 8, 16, 32)


@functools.cache
def erf_growth():
    """Theoretical field and the 95%-mass width of the gradient for stacks of n 3×3 convs + ReLU."""
    x = _erf_inputs(80)[:4]
    rows = []
    for n in ERF_DEPTHS:
        stack = ("random", [("conv", 3, 1, 1, 1)] * n)
        grad = np.mean([input_gradient(stack, x, seed, channels=4).mean(axis=0) for seed in range(2)], axis=0)
        rows.append({"depth": n, "theoretical": 2 * n + 1, "effective": 2 * mass_radius(grad) + 1})
    return rows


@register(
    "ch06.erf_growth",
    alt="A log-log chart of receptive field width against depth, 2 to 32 layers of 3 by 3 convolutions with "
    "ReLU. The theoretical field grows in proportion to the depth; the width that holds 95 percent of the "
    "gradient grows more slowly, roughly like the square root of the depth, so the effective field covers "
    "a shrinking fraction of the theoretical one.",
)
def erf_growth_figure():
    """Theoretical vs effective receptive field as a stack deepens."""
    rows = erf_growth()
    depth = np.array([r["depth"] for r in rows])
    fig, ax = plt.subplots(figsize=(7.5, 4))
    ax.plot(depth, [r["theoretical"] for r in rows], "-o", label="theoretical: 2n + 1")
    ax.plot(depth, [r["effective"] for r in rows], "-s", label="width holding 95% of the gradient")
    scale = rows[0]["effective"] / np.sqrt(depth[0])
    ax.plot(depth, scale * np.sqrt(depth), ":", color="#777777", label="∝ √n, for comparison")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log", base=2)
    ax.set_xticks(depth, [str(d) for d in depth])
    ax.set_xlabel("number of 3×3 convolution layers (with ReLU)")
    ax.set_ylabel("width in input pixels")
    ax.legend(frameon=False, fontsize=9)
    fig.tight_layout()
    return fig


#: The receptive-field calculator's default state: a VGG-style stack on a 64-pixel input, unit (0, 0).
CALCULATOR_DEFAULT = ([(3, 1, 1), (3, 1, 1), (2, 2)] * 3, 64)


@register(
    "ch06.rf_calculator",
    alt="The receptive-field calculator in its default state: a table of nine layers, three times conv 3 by 3 "
    "with padding 1, conv 3 by 3 with padding 1 and pool 2 by 2, with each layer's output size, receptive "
    "field, jump and effective padding, ending at 8 by 8 with a 36-pixel field, jump 8 and padding 14; beside "
    "it a 64 by 64 input grid on which the field of unit (0, 0) is shaded, hanging 14 pixels over the top and "
    "left edges into the padding.",
)
def rf_calculator():
    """The calculator's default state, for readers without JavaScript."""
    layers, n = CALCULATOR_DEFAULT
    fields = shapes.receptive_fields(layers)
    fig, (table_ax, grid_ax) = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw={"width_ratios": [1.5, 1]})
    rows, size = [], n
    for index, ((k, s, *rest), field) in enumerate(zip(layers, fields), start=1):
        p = rest[0] if rest else 0
        size = shapes.conv_output_size(size, k, s, p)
        name = f"conv {k}×{k}, pad {p}" if s == 1 else f"pool {k}×{k}/{s}"
        rows.append([str(index), name, f"{size}×{size}", str(field.size), str(field.jump), str(field.padding)])
    table_ax.axis("off")
    table = table_ax.table(cellText=rows, colLabels=["#", "layer", "output", "r", "jump j", "padding P"],
                           loc="center", cellLoc="center")
    table.scale(1, 1.3)
    field = fields[-1]
    grid_ax.add_patch(Rectangle((0, 0), n, n, facecolor="#eeeeee", edgecolor="#999999"))
    grid_ax.add_patch(Rectangle((-field.padding, -field.padding), field.size, field.size, facecolor="#ff6e42",
                                alpha=0.35, edgecolor="#ff6e42", linewidth=2))
    lo = -field.padding - 2
    grid_ax.set_xlim(lo, n + 2)
    grid_ax.set_ylim(n + 2, lo)
    grid_ax.set_aspect("equal")
    grid_ax.set_title(f"{n}×{n} input: the field of unit (0, 0)", fontsize=10)
    grid_ax.tick_params(labelsize=8)
    fig.tight_layout()
    return fig
