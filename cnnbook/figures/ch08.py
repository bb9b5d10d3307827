"""Figures of chapter 8, "Transfer learning"."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from cnnbook import experiments, transfer
from cnnbook.experiments.transfer import MISMATCHES
from cnnbook.figures import register
from cnnbook.figures.common import draw_image

#: Colours and markers of the four regimes, the same on every figure of the chapter.
REGIME_STYLE = {"scratch": ("C7", "s"), "feature extraction": ("C0", "o"), "fine-tune top": ("C2", "^"),
                "fine-tune all": ("C3", "D")}


def transfer_run():
    return experiments.run("ch08.transfer")


def spread(values):
    """Mean, lowest and highest of one point's runs (one per seed)."""
    values = np.asarray(values, dtype=float)
    return float(values.mean()), float(values.min()), float(values.max())


@register(
    "ch08.tasks",
    alt="Two rows of handwritten digits at 14×14 pixels: the source task's digits 0 to 4, on which the backbone "
        "is pretrained, and the target task's digits 5 to 9, which it has never been told about.",
    format="png",
)
def tasks():
    source, target = transfer.tasks()
    fig, axes = plt.subplots(2, 10, figsize=(8.4, 2.3))
    for row, (task, first, name) in enumerate(((source, 0, "source"), (target, 5, "target"))):
        for column in range(10):
            label = column % 5
            index = np.flatnonzero(task.y_test == label)[column // 5]
            draw_image(axes[row, column], task.x_test[index, 0], f"{name}: {label + first}")
    fig.tight_layout()
    return fig


@register(
    "ch08.regimes",
    alt="Target test accuracy against the number of labelled target digits (10 to 2,000, log axis) for four "
        "regimes: training from scratch, feature extraction, fine-tuning the top block and fine-tuning "
        "everything. Each point is the mean of three seeds with a bar from the lowest to the highest run. "
        "With few labels the regimes that start from the pretrained backbone are ahead of training from scratch.",
)
def regimes():
    run = transfer_run()
    sizes = np.asarray(run["sizes"])
    fig, ax = plt.subplots(figsize=(6.6, 4.0))
    for offset, (regime, (colour, marker)) in zip((-0.045, -0.015, 0.015, 0.045), REGIME_STYLE.items()):
        points = [spread(values) for values in run["accuracy"][regime]]
        mean, low, high = (100 * np.asarray(column) for column in zip(*points))
        x = sizes * 10**offset  # nudged sideways so the bars do not hide each other
        ax.errorbar(x, mean, yerr=(mean - low, high - mean), color=colour, marker=marker, ms=5, capsize=3,
                    label=regime)
    ax.set_xscale("log")
    ax.set_xticks(sizes, [f"{n:,}" for n in sizes])
    ax.minorticks_off()
    ax.set_xlabel(f"labelled target digits (mean of {len(run['seeds'])} seeds, bar: lowest to highest)")
    ax.set_ylabel("target test accuracy (%)")
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


@register(
    "ch08.depth",
    alt="Target accuracy with 100 labelled digits against how many of the three pretrained convolution blocks "
        "are copied, from 0 (training from scratch) to 3: one line with the copied blocks frozen, one with "
        "them fine-tuned, each point the mean of three seeds with its range.",
)
def depth():
    run = transfer_run()
    blocks = np.arange(len(run["depth"]["frozen"]))
    fig, ax = plt.subplots(figsize=(6.0, 3.8))
    for mode, colour, marker, shift in (("frozen", "C0", "o", -0.04), ("fine-tuned", "C3", "D", 0.04)):
        points = [spread(values) for values in run["depth"][mode]]
        mean, low, high = (100 * np.asarray(column) for column in zip(*points))
        ax.errorbar(blocks + shift, mean, yerr=(mean - low, high - mean), color=colour, marker=marker, ms=5,
                    capsize=3, label=f"copied blocks {mode}")
    ax.set_xticks(blocks, ["0\n(scratch)"] + [f"{n}\n(conv1–conv{n})" if n > 1 else "1\n(conv1)"
                                               for n in blocks[1:]])
    ax.set_xlabel("pretrained blocks copied")
    ax.set_ylabel("target test accuracy (%)")
    ax.set_title(f"{run['study_size']} labelled target digits", fontsize=9)
    ax.legend()
    fig.tight_layout()
    return fig


def mismatched_inputs():
    """One target test digit as the network receives it under each preprocessing of the study."""
    images = {}
    for name, prep in MISMATCHES.items():
        _, target = transfer.tasks(prep)
        images[name] = target.x_test[0, 0]
    return images


@register(
    "ch08.preprocessing",
    alt="The same target digit as four arrays a network might be given: prepared as the backbone expects "
        "(14×14, standardized), not standardized, with inverted contrast, and at 28×28 pixels instead of 14×14. "
        "All four show a recognisable digit to a person.",
    format="png",
)
def preprocessing():
    images = mismatched_inputs()
    fig, axes = plt.subplots(1, len(images), figsize=(7.6, 2.3))
    for ax, (name, image) in zip(axes, images.items()):
        ax.imshow(image, cmap="gray", interpolation="nearest")
        ax.set_title(f"{name}\n{image.shape[0]}×{image.shape[1]}, values {image.min():.2g} to {image.max():.2g}",
                     fontsize=8)
        ax.set_axis_off()
    fig.tight_layout()
    return fig


@register(
    "ch08.mismatch",
    alt="Bar chart of target test accuracy under each preprocessing. Dark bars: the fine-tuned network, trained "
        "with the right preprocessing, is deployed on differently prepared images. Light bars: a new head is "
        "trained on the frozen backbone's features with that preprocessing. Each bar is the mean of three seeds "
        "with its range.",
)
def mismatch():
    run = transfer_run()
    names = list(MISMATCHES)
    x = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(7.0, 3.8))
    for shift, key, colour, label in ((-0.2, "deployed", "C3", "fine-tuned network, deployed on these inputs"),
                                      (0.2, "features", "C0", "head trained on frozen features of these inputs")):
        points = [spread(run["mismatch"][key][name]) for name in names]
        mean, low, high = (100 * np.asarray(column) for column in zip(*points))
        ax.bar(x + shift, mean, 0.38, color=colour, alpha=0.85, label=label)
        ax.errorbar(x + shift, mean, yerr=(mean - low, high - mean), fmt="none", color="black", capsize=3)
    ax.axhline(20, color="grey", linestyle=":", linewidth=1, label="chance (1 in 5)")
    ax.set_xticks(x, names)
    ax.set_ylabel("target test accuracy (%)")
    ax.set_ylim(0, 128)
    ax.set_yticks(range(0, 101, 20))
    ax.legend(fontsize=8, loc="upper center", ncol=2)
    fig.tight_layout()
    return fig


@register(
    "ch08.kernels",
    alt="Four rows of the backbone's eight 5×5 first-layer kernels, red for positive and blue for negative "
        "weights: as randomly initialized, after pretraining on digits 0 to 4, the change pretraining made, "
        "and the change that fine-tuning every layer on digits 5 to 9 made afterwards, each panel on its own "
        "scale.",
    format="png",
)
def kernels():
    run = transfer_run()
    random, pretrained, tuned = (np.asarray(run["kernels"][name]) for name in ("random", "pretrained", "fine-tuned"))
    rows = [("random", random), ("pretrained", pretrained), ("Δ pretraining", pretrained - random),
            ("Δ fine-tuning", tuned - pretrained)]
    fig, axes = plt.subplots(len(rows), 8, figsize=(8.0, 4.9))
    for row, (name, values) in enumerate(rows):
        for i, ax in enumerate(axes[row]):
            draw_image(ax, values[i], name if i == 0 else f"{i + 1}", signed=True)
    fig.tight_layout()
    return fig


@register(
    "ch08.features",
    alt="Two scatter plots of the 500 target test digits, each placed by the first two principal components "
        "of the backbone's 64 pooled features and coloured by its digit, 5 to 9: left with the pretrained "
        "backbone, right after fine-tuning every layer on the target digits, where the five classes form "
        "tighter, better separated clusters.",
    format="png",
)
def features():
    run = transfer_run()
    labels = np.asarray(run["features"]["labels"])
    fig, axes = plt.subplots(1, 2, figsize=(8.6, 4.0))
    panels = ((axes[0], "pretrained", "pretrained on 0–4"), (axes[1], "fine-tuned", "after fine-tuning"))
    for ax, key, title in panels:
        projection = run["features"][key]
        coords = np.asarray(projection["coords"])
        for digit in range(5):
            chosen = labels == digit
            ax.scatter(coords[chosen, 0], coords[chosen, 1], s=7, alpha=0.7, color=f"C{digit}", label=str(digit + 5))
        ax.set_title(f"{title}: {projection['between']:.0%} of the variance between digits", fontsize=9)
        ax.set_xlabel("principal component 1")
        ax.set_ylabel("principal component 2")
    axes[1].legend(title="digit", fontsize=8, markerscale=2)
    fig.tight_layout()
    return fig
