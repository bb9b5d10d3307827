"""Figures of chapter 9, "Transfer learning"."""

from __future__ import annotations

import numpy as np

from cnnbook import transfer
from cnnbook.analysis.ch09 import SHOWN_PHOTOS, SOURCES, imagenet_run, imagenet_transfer_run, spread, transfer_run
from cnnbook.data import TEXTURES
from cnnbook.experiments.pretrained import DIGIT_PROBE, DIGIT_SIZES, PATCH_SIDE, TEXTURE_PROBE, TEXTURE_SIZES
from cnnbook.experiments.transfer import MISMATCHES, SEEDS, SIZES, STUDY_SIZE
from cnnbook.figures import register
from cnnbook.figures.common import draw_image, plt

#: Colours and markers of the four regimes, the same on every figure of the chapter.
REGIME_STYLE = {"scratch": ("C7", "s"), "feature extraction": ("C0", "o"), "fine-tune top": ("C2", "^"),
                "fine-tune all": ("C3", "D")}
_SOURCE = f"{transfer.SOURCE[0]} to {transfer.SOURCE[-1]}"
_TARGET = f"{transfer.TARGET[0]} to {transfer.TARGET[-1]}"
_GRID, _RAW = transfer.Preprocessing().resolution, max(p.resolution for p in MISMATCHES.values())


def _ranged(ax, x, runs, label, colour, marker):
    """Means of per-seed ``runs`` (fractions) at ``x``, in percent, with a bar from the lowest to the highest run."""
    mean, low, high = (100 * np.asarray(column) for column in zip(*(spread(values) for values in runs)))
    ax.errorbar(x, mean, yerr=(mean - low, high - mean), color=colour, marker=marker, ms=5, capsize=3, label=label)


@register(
    "ch09.tasks",
    alt=f"Two rows of handwritten digits at {_GRID}×{_GRID} pixels: the source task's digits {_SOURCE}, on which the "
        f"backbone is pretrained, and the target task's digits {_TARGET}, which it has never been told about.",
    format="png",
)
def tasks():
    source, target = transfer.tasks()
    per_row = 2 * len(transfer.TARGET)  # two test digits of each class in a row
    fig, axes = plt.subplots(2, per_row, figsize=(6.6, 1.95))
    rows = ((source, transfer.SOURCE, "source"), (target, transfer.TARGET, "target"))
    for row, (task, digits, name) in enumerate(rows):
        for column in range(per_row):
            label = column % len(digits)
            index = np.flatnonzero(task.y_test == label)[column // len(digits)]
            draw_image(axes[row, column], task.x_test[index, 0], str(digits[label]))
        # the task's name once, to the left of its row; each digit's title is its class
        axes[row, 0].text(-0.15, 0.5, name, transform=axes[row, 0].transAxes, ha="right", va="center")
    fig.subplots_adjust(left=0.1, right=0.995, bottom=0.01, top=0.9, wspace=0.12, hspace=0.3)
    return fig


@register(
    "ch09.regimes",
    alt=f"Target test accuracy against the number of labelled target digits ({SIZES[0]} to {SIZES[-1]:,}, log axis) "
        f"for {len(transfer.REGIMES)} regimes: training from scratch, feature extraction, fine-tuning the top block "
        f"and fine-tuning everything. Each point is the mean of {len(SEEDS)} seeds with a bar from the lowest to the "
        "highest run. The text and the table under the figure give the numbers and which differences hold in "
        "every seed.",
)
def regimes():
    run = transfer_run()
    sizes = np.asarray(run["sizes"])
    fig, ax = plt.subplots(figsize=(6.6, 4.0))
    for offset, (regime, (colour, marker)) in zip((-0.045, -0.015, 0.015, 0.045), REGIME_STYLE.items()):
        # nudged sideways so the bars do not hide each other
        _ranged(ax, sizes * 10**offset, run["accuracy"][regime], regime, colour, marker)
    ax.set_xscale("log")
    ax.set_xticks(sizes, [f"{n:,}" for n in sizes])
    ax.minorticks_off()
    ax.set_xlabel(f"labelled target digits (mean of {len(run['seeds'])} seeds, bar: lowest to highest)")
    ax.set_ylabel("target test accuracy (%)")
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


@register(
    "ch09.depth",
    alt=f"Target accuracy with {STUDY_SIZE} labelled digits against how many of the {len(transfer.BLOCKS)} pretrained "
        f"convolution blocks are copied, from none (training from scratch) to all: one line with the copied blocks "
        f"frozen, one with them fine-tuned, each point the mean of {len(SEEDS)} seeds with its range.",
)
def depth():
    run = transfer_run()
    blocks = np.arange(len(run["depth"]["frozen"]))
    fig, ax = plt.subplots(figsize=(6.0, 3.8))
    for mode, colour, marker, shift in (("frozen", "C0", "o", -0.04), ("fine-tuned", "C3", "D", 0.04)):
        _ranged(ax, blocks + shift, run["depth"][mode], f"copied blocks {mode}", colour, marker)
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
    "ch09.preprocessing",
    alt=f"The same target digit as {len(MISMATCHES)} arrays a network might be given: prepared as the backbone "
        f"expects ({_GRID}×{_GRID}, standardized), not standardized, with inverted contrast, and at {_RAW}×{_RAW} "
        f"pixels instead of {_GRID}×{_GRID}. All of them show a recognisable digit to a person.",
    format="png",
)
def preprocessing():
    images = mismatched_inputs()
    fig, axes = plt.subplots(1, len(images), figsize=(6.7, 2.55))
    for ax, (name, image) in zip(axes, images.items()):
        ax.imshow(image, cmap="gray", interpolation="nearest")
        # three short lines instead of two long ones: what was done, the array's size, its range of values
        ax.set_title(f"{name}\n{image.shape[0]}×{image.shape[1]}\nvalues {image.min():.2g} to {image.max():.2g}")
        ax.set_axis_off()
    fig.tight_layout(w_pad=0.6)
    return fig


@register(
    "ch09.mismatch",
    alt="Bar chart of target test accuracy under each preprocessing. Red bars: the fine-tuned network, trained "
        "with the right preprocessing, is deployed on differently prepared images. Blue bars: a new head is "
        "trained on the frozen backbone's features with that preprocessing. Each bar is the mean of "
        f"{len(SEEDS)} seeds with its range; a dotted line marks chance.",
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
    classes = len(transfer.TARGET)
    ax.axhline(100 / classes, color="grey", linestyle=":", linewidth=1, label=f"chance (1 in {classes})")
    ax.set_xticks(x, names)
    ax.set_ylabel("target test accuracy (%)")
    ax.set_ylim(0, 100)
    ax.set_yticks(range(0, 101, 20))
    # above the axes, out of the bars' way
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.01), ncol=1, borderaxespad=0, frameon=False)
    fig.tight_layout()
    return fig


@register(
    "ch09.kernels",
    alt="Four rows of the backbone's first-layer kernels, red for positive and blue for negative weights: as "
        f"randomly initialized, after pretraining on digits {_SOURCE}, the change pretraining made, and the change "
        f"that fine-tuning every layer on digits {_TARGET} made afterwards (the first seed's network), each panel "
        "on its own scale.",
    format="png",
)
def kernels():
    run = transfer_run()
    random, pretrained, tuned = (np.asarray(run["kernels"][name]) for name in ("random", "pretrained", "fine-tuned"))
    rows = [("random", random), ("pretrained", pretrained), ("Δ pretraining", pretrained - random),
            ("Δ fine-tuning", tuned - pretrained)]
    fig, axes = plt.subplots(len(rows), 8, figsize=(6.7, 3.3))
    for row, (name, values) in enumerate(rows):
        for i, ax in enumerate(axes[row]):
            draw_image(ax, values[i], f"kernel {i + 1}" if row == 0 else "", signed=True)
        # the row's name to the left of its first kernel, so that every column carries its kernel's number
        axes[row][0].text(-0.12, 0.5, name, transform=axes[row][0].transAxes, ha="right", va="center")
    fig.subplots_adjust(left=0.17, right=0.995, bottom=0.01, top=0.925, wspace=0.15, hspace=0.12)
    return fig


@register(
    "ch09.features",
    alt="Two scatter plots of the target test digits, each placed by the first two principal components of the "
        f"backbone's pooled features and coloured by its digit, {_TARGET}: left with the pretrained backbone, "
        "right after fine-tuning every layer on the target digits (the first seed's network). Each panel's title "
        "gives the share of the features' variance that lies between the digits.",
    format="png",
)
def features():
    run = transfer_run()
    labels = np.asarray(run["features"]["labels"])
    fig, axes = plt.subplots(1, 2, figsize=(6.7, 3.6))
    panels = ((axes[0], "pretrained", f"pretrained on {transfer.SOURCE[0]}–{transfer.SOURCE[-1]}"),
              (axes[1], "fine-tuned", f"fine-tuned on {transfer.TARGET[0]}–{transfer.TARGET[-1]}"))
    for ax, key, title in panels:
        projection = run["features"][key]
        coords = np.asarray(projection["coords"])
        for label, digit in enumerate(transfer.TARGET):
            chosen = labels == label
            ax.scatter(coords[chosen, 0], coords[chosen, 1], s=7, alpha=0.7, color=f"C{label}", label=str(digit))
        ax.set_title(f"{title}\n{projection['between']:.0%} of variance between digits")
        ax.set_xlabel("principal component 1")
        ax.set_ylabel("principal component 2")
        ax.locator_params(nbins=5)
    # one legend for both panels, in a row under them, out of the points' way
    handles, labels_ = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels_, title="digit", loc="lower center", ncol=len(transfer.TARGET), markerscale=2,
               frameon=False, columnspacing=1.2, handletextpad=0.2)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    return fig


@register(
    "ch09.imagenet",
    alt=f"{len(SHOWN_PHOTOS)} photographs, one per row ({', '.join(SHOWN_PHOTOS)}): a cat, a cup of coffee, a man "
        "with a camera on a tripod, and an astronaut, each cropped as the network sees it. Beside each, horizontal bars for the five ImageNet classes "
        "EfficientNet-Lite0 finds most probable for it, most probable on top, each with its name at the left and "
        "its probability, as measured when the page was built, at the end of its bar.",
    format="png",
)
def imagenet():
    """The real network's five most probable classes for each shown photograph, as measured at build."""
    from cnnbook import pretrained
    from cnnbook.data import photo

    run, names = imagenet_run(), pretrained.imagenet_classes()
    width, row_height, photo_side, bars_left, bars_width = 6.7, 1.3, 1.05, 2.55, 3.8  # inches
    height = row_height * len(SHOWN_PHOTOS) + 0.45
    fig = plt.figure(figsize=(width, height))
    for r, name in enumerate(SHOWN_PHOTOS):
        bottom = height - (r + 1) * row_height
        photo_ax = fig.add_axes([0.02, (bottom + 0.05) / height, photo_side / width, photo_side / height])
        bars_ax = fig.add_axes([bars_left / width, (bottom + 0.1) / height, bars_width / width, 0.95 / height])
        image = photo(name, gray=False, size=128, backend="numpy")
        square = image[(..., *pretrained.centre_crop(*image.shape[-2:]))]  # the part the network sees
        colour = square.ndim == 3
        photo_ax.imshow(np.moveaxis(square, 0, -1) if colour else square, cmap=None if colour else "gray", vmin=0,
                        vmax=1, interpolation="antialiased")
        photo_ax.set_axis_off()
        photo_ax.text(0.5, -0.04, name, transform=photo_ax.transAxes, ha="center", va="top")
        top = run["top"][name]["as trained"]
        probabilities = [p for _, p in top]
        bars = bars_ax.barh(range(len(top)), probabilities, color="C0", height=0.7)
        bars_ax.set_yticks(range(len(top)), [names[i] for i, _ in top])
        bars_ax.invert_yaxis()
        bars_ax.set_xlim(0, 1.15)
        bars_ax.set_xticks([0, 0.25, 0.5, 0.75, 1], ["0", "25%", "50%", "75%", "100%"] if r == len(SHOWN_PHOTOS) - 1
                           else [])
        bars_ax.tick_params(axis="y", length=0)
        for bar, p in zip(bars, probabilities):
            bars_ax.text(p + 0.015, bar.get_y() + bar.get_height() / 2, f"{p:.0%}" if p >= 0.005 else "< 1%",
                         va="center")
    bars_ax.set_xlabel("probability (softmax of the 1,000 outputs)")
    return fig


@register(
    "ch09.imagenet_transfer",
    alt=f"Two panels of test accuracy against the number of labelled examples, each point the mean of {len(SEEDS)} "
        f"seeds with a bar from the lowest to the highest run. Left, the digits {_TARGET} ({DIGIT_SIZES[0]} to "
        f"{DIGIT_SIZES[-1]} labelled digits): a linear head on EfficientNet-Lite0's ImageNet features, the same head "
        f"on the raw pixels, and the digits study's feature extraction and training from scratch on the same draws. "
        f"Right, grey {PATCH_SIDE}-pixel patches of {len(TEXTURES)} texture photographs ({TEXTURE_SIZES[0] // 3} to "
        f"{TEXTURE_SIZES[-1] // 3} labelled patches of each): the head on the ImageNet features and on the pixels. "
        "The text gives the numbers.",
)
def imagenet_transfer():
    run, digits_run = imagenet_transfer_run(), transfer_run()
    fig, (left, right) = plt.subplots(1, 2, figsize=(6.6, 3.6), sharey=True)
    digits, textures = run["tasks"]["digits"], run["tasks"]["textures"]
    sizes = np.asarray(digits["sizes"])
    for offset, regime in zip((-0.03, 0.03), ("feature extraction", "scratch")):
        colour, marker = REGIME_STYLE[regime]
        runs = [digits_run["accuracy"][regime][digits_run["sizes"].index(n)] for n in sizes]
        label = "digits backbone's features" if regime == "feature extraction" else "from scratch"
        _ranged(left, sizes * 10**offset, runs, label, colour, marker)
    for offset, (kind, (label, colour, marker)) in zip((-0.01, 0.01), SOURCES.items()):
        _ranged(left, sizes * 10**offset, digits["accuracy"][kind], label.replace(" (ImageNet)", ""), colour, marker)
        per_class = np.asarray(textures["sizes"]) // textures["classes"]
        _ranged(right, per_class * 10**offset, textures["accuracy"][kind], None, colour, marker)
    for ax, ticks, title, xlabel in (
        (left, sizes, f"digits {_TARGET} (far from ImageNet)", "labelled digits"),
        (right, np.asarray(textures["sizes"]) // textures["classes"], "textures (photographs)",
         "labelled patches per texture"),
    ):
        ax.set_xscale("log")
        ax.set_xticks(ticks, [str(n) for n in ticks])
        ax.minorticks_off()
        ax.set_title(title, fontsize=10)
        ax.set_xlabel(xlabel)
    left.set_ylabel("test accuracy (%)")
    left.legend(loc="lower right", fontsize=9)
    fig.tight_layout()
    return fig


@register(
    "ch09.imagenet_stages",
    alt="Test accuracy of a nearest-class-mean head on the pooled output of each stage of EfficientNet-Lite0, from the "
        f"stem through stages 1 to 7 to the head, for the digits {_TARGET} ({DIGIT_PROBE} labelled) and for the texture "
        f"patches ({TEXTURE_PROBE // len(TEXTURES)} labelled of each); each point the mean of {len(SEEDS)} seeds with "
        "its range, and a dashed line for each task at the same head's mean accuracy on the raw pixels. The text says "
        "which stage does best on each task.",
)
def imagenet_stages():
    run = imagenet_transfer_run()
    fig, ax = plt.subplots(figsize=(6.6, 3.4))
    names = [name for name, _ in run["tasks"]["digits"]["stages"]]
    for (task, label), colour, marker in zip(
            (("digits", f"digits {_TARGET}, {run['tasks']['digits']['probe']} labelled"),
             ("textures", f"textures, {run['tasks']['textures']['probe'] // run['tasks']['textures']['classes']} "
                          "labelled per texture")),
            ("C0", "C2"), ("o", "s")):
        stages = run["tasks"][task]["stages"]
        _ranged(ax, np.arange(len(stages)), [accuracy for _, accuracy in stages], label, colour, marker)
        ax.axhline(100 * np.mean(run["tasks"][task]["probe_pixels"]), color=colour, ls="--", lw=1)
    ax.plot([], [], color="0.4", ls="--", lw=1, label="raw pixels, same head")
    ax.set_xticks(np.arange(len(names)), [n.replace("stage ", "") if n.startswith("stage") else n for n in names])
    ax.set_xlabel("stage whose pooled output the head reads (shallow to deep)")
    ax.set_ylabel("test accuracy (%)")
    ax.legend(loc="lower right", fontsize=9)
    fig.tight_layout()
    return fig

