"""Figures of chapter 7, "Training a CNN"."""

from __future__ import annotations

import numpy as np

from cnnbook.analysis.ch07 import (
    SCHEDULE_COLOURS,
    range_minimum,
    range_smoothed,
    schedule_runs,
    AUGMENTATION_COLOURS,
    augmentation_runs,
    LOSS_CAP,
    NORM_STYLES,
    confusion,
    efficiency_run,
    final_losses,
    lenet_run,
    mistakes,
    normalization_runs,
    rate_runs,
    regularization_runs,
    REGULARIZERS,
    test_digits,
)
from cnnbook.experiments.normalization import SHOWN_RATE
from cnnbook.experiments.training import BATCH_SIZE
from cnnbook.figures import register
from cnnbook.figures.common import draw_image, log_ticks, mean_and_band, plt, seeds_and_mean


@register(
    "ch07.curves",
    alt="Two line charts over the training epochs of one run of LeNet-5 on the MNIST digits: on the left the "
        "cross-entropy on the shifted training digits and on the held-out test digits, on a log axis; on the "
        "right the training and test accuracy.",
)
def curves():
    from matplotlib.ticker import FixedLocator, NullFormatter, StrMethodFormatter

    run = lenet_run()
    history = run["history"]
    epochs = np.arange(1, len(history["train_loss"]) + 1)
    fig, (left, right) = plt.subplots(1, 2, figsize=(6.8, 3.5), layout="constrained")
    left.plot(epochs, history["train_loss"], "-o", ms=3, label="training (shifted digits)")
    left.plot(epochs, history["test_loss"], "-o", ms=3, label=f"test ({len(run['predictions']):,} held out)")
    left.set_xlabel("epoch")
    left.set_ylabel("cross-entropy")
    left.set_yscale("log")
    left.yaxis.set_major_locator(FixedLocator((0.03, 0.1, 0.3, 1)))
    left.yaxis.set_major_formatter(StrMethodFormatter("{x:g}"))
    left.yaxis.set_minor_formatter(NullFormatter())
    right.plot(epochs, 100 * np.asarray(history["train_accuracy"]), "-o", ms=3)
    right.plot(epochs, 100 * np.asarray(history["test_accuracy"]), "-o", ms=3)
    right.set_xlabel("epoch")
    right.set_ylabel("accuracy (%)")
    right.set_ylim(100 * min(history["train_accuracy"] + history["test_accuracy"]) - 1, 100)
    fig.suptitle(f"LeNet-5, {run['params']:,} parameters, trained on {run['machine']}", fontsize=9)
    fig.legend(loc="outside lower center", ncol=2, frameon=False)  # the same two lines in both panels
    return fig


@register(
    "ch07.kernels",
    alt="Three rows of LeNet-5's six 5×5 first-layer kernels, red for positive and blue for negative weights: "
        "as initialized (random), after training, and the change between the two on its own scale.",
    format="png",
)
def kernels():
    run = lenet_run()
    initial, trained = np.asarray(run["initial_kernels"]), np.asarray(run["kernels"])
    rows = (("initial", initial), ("trained", trained), ("change", trained - initial))
    fig, axes = plt.subplots(3, 6, figsize=(6.6, 3.6))
    for row, (label, values) in enumerate(rows):
        for i, ax in enumerate(axes[row]):
            draw_image(ax, values[i], f"kernel {i + 1}" if row == 0 else "", signed=True)
        axes[row, 0].text(-0.12, 0.5, label, rotation=90, ha="right", va="center", transform=axes[row, 0].transAxes)
    fig.tight_layout(w_pad=0.6, h_pad=0.6)
    return fig


@register(
    "ch07.feature_maps",
    alt="A test digit 4 and what LeNet-5 makes of it: six 28×28 maps after the first convolution and ReLU, "
        "the same pooled to 14×14, sixteen 10×10 maps after the second convolution in two rows of eight, and those "
        "pooled to 5×5, also in two rows of eight.",
    format="png",
)
def feature_maps():
    run = lenet_run()
    images, _ = test_digits()
    stages = [("conv1", 6), ("pool1", 6), ("conv2", 16), ("pool2", 16)]
    per_row = 8  # the sixteen maps of the second stage take two rows
    gap = 0.3  # the height of the space between two stages, in map heights
    heights = []
    for _, count in stages:
        heights += [gap] * bool(heights) + [1] * -(-count // per_row)
    fig = plt.figure(figsize=(6.6, 4.6))
    grid = fig.add_gridspec(len(heights), 3 + per_row, width_ratios=[1.6, 0.15, 1.1] + [1] * per_row,
                            height_ratios=heights, left=0.01, right=0.99, top=0.94, bottom=0.01, wspace=0.1,
                            hspace=0.1)
    source = fig.add_subplot(grid[0:3, 0])
    source.imshow(images[run["example"]], cmap="gray", vmin=0, vmax=1)
    source.set_title("input")
    source.set_axis_off()
    top = 0
    for name, count in stages:
        maps = np.asarray(run["maps"][name])
        rows = -(-count // per_row)
        label = fig.add_subplot(grid[top:top + rows, 2])
        label.set_axis_off()
        label.text(0.9, 0.5, f"{name}\n{maps.shape[1]}×{maps.shape[2]}", ha="right", va="center",
                   transform=label.transAxes)
        for i in range(count):
            ax = fig.add_subplot(grid[top + i // per_row, 3 + i % per_row])
            ax.imshow(maps[i], cmap="magma", vmin=0)
            ax.set_axis_off()
        top += rows + 1  # and the gap
    return fig


@register(
    "ch07.confusion",
    alt="A 10×10 confusion matrix of LeNet-5 on the held-out test digits: the counts of correct answers on the "
        "diagonal, and the confusions, each with its count, off it.",
)
def confusion_matrix():
    matrix = confusion()
    fig, ax = plt.subplots(figsize=(5.4, 5.2))
    ax.imshow(np.log1p(matrix), cmap="Blues")
    for (i, j), count in np.ndenumerate(matrix):
        if count:
            ax.text(j, i, str(count), ha="center", va="center", fontsize=9,
                    color="white" if i == j else "black")
    ax.set_xticks(range(10))
    ax.set_yticks(range(10))
    ax.set_xlabel("predicted digit")
    ax.set_ylabel("true digit")
    ax.set_title(f"{int(np.trace(matrix))} of {int(matrix.sum())} correct")
    fig.tight_layout()
    return fig


@register(
    "ch07.mistakes",
    alt="The test digits LeNet-5 gets wrong with the most confidence, each with its true label, the "
        "network's answer and the probability it gave that answer.",
    format="png",
)
def mistake_gallery(count=12):
    run = lenet_run()
    images, labels = test_digits()
    chosen = mistakes(run)[:count]
    fig, axes = plt.subplots(2, (count + 1) // 2, figsize=(6.7, 3.3))
    for ax in axes.flat:
        ax.axis("off")
    for ax, index in zip(axes.flat, chosen):
        ax.imshow(images[index], cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(f"{labels[index]} read as {run['predictions'][index]}\n{run['confidence'][index]:.0%} sure",
                     fontsize=9)
    fig.tight_layout()
    return fig


@register(
    "ch07.permutation",
    alt="Three test digits and the same digits with their pixels put in one fixed random order: "
        "the scrambled images look like noise to a person, yet hold exactly the same numbers.",
    format="png",
)
def permutation():
    images, _ = test_digits()
    from cnnbook.experiments.training import SEEDS

    order = np.random.default_rng(SEEDS[0] + 1).permutation(images[0].size)  # the first seed's, as the experiment draws it
    fig, axes = plt.subplots(2, 3, figsize=(5.4, 3.8))
    for col, index in enumerate((3, 250, 720)):
        draw_image(axes[0, col], images[index], "original")
        draw_image(axes[1, col], images[index].reshape(-1)[order].reshape(28, 28), "pixels permuted")
    fig.tight_layout()
    return fig


@register(
    "ch07.data_efficiency",
    alt="Test accuracy against the number of training digits, on a log axis, for LeNet-5, an MLP of the same "
        "size and LeNet-5 with frozen random convolutions, on the real digits (solid or dotted) and on digits with "
        "permuted pixels (dashed): each point is the mean over the seeds and its bar spans the lowest to the "
        "highest seed. The text states which differences hold in every seed.",
)
def efficiency():
    run = efficiency_run()
    sizes = run["sizes"]
    styles = {"lenet5, original": ("C0", "-", "LeNet-5"), "lenet5, permuted": ("C0", "--", "LeNet-5, pixels permuted"),
              "mlp, original": ("C1", "-", "MLP"), "mlp, permuted": ("C1", "--", "MLP, pixels permuted"),
              "random features, original": ("C2", ":", "LeNet-5, random frozen convolutions")}
    fig, ax = plt.subplots(figsize=(6.4, 4.5), layout="constrained")
    for offset, (key, (colour, line, label)) in zip((-2, -1, 0, 1, 2), styles.items()):
        mean, seeds = 100 * np.asarray(run["accuracy"][key]), 100 * np.asarray(run["by_seed"][key])
        x = np.asarray(sizes) * 1.03**offset  # side by side, so that the bars do not hide each other
        ax.errorbar(x, mean, yerr=(mean - seeds.min(axis=0), seeds.max(axis=0) - mean), fmt=line, marker="o", ms=4,
                    color=colour, label=label, capsize=2, elinewidth=1)
    ax.set_xscale("log")
    ax.set_xticks(sizes, [f"{n:,}" for n in sizes])
    ax.minorticks_off()
    ax.set_xlabel(f"training digits (each run: at least {run['steps']} steps of {BATCH_SIZE})")
    ax.set_ylabel(f"test accuracy (%): mean, bar min–max\nover {len(run['seeds'])} seeds")
    handles, labels = ax.get_legend_handles_labels()
    order = [0, 2, 4, 1, 3]  # below the axes: the real digits in the first column, the permuted in the second
    fig.legend([handles[i] for i in order], [labels[i] for i in order], loc="outside lower center", ncol=2,
               fontsize=9, frameon=False)
    return fig


@register(
    "ch07.batch_size",
    alt="Test accuracy of LeNet-5 with batch, group and layer normalization against the batch size it was trained "
        "with (2, 8 and 32, on a log axis): each point is the mean over the seeds and its bar spans the lowest to "
        "the highest seed. Batch normalization falls far behind the other two with batches of 2. The text states "
        "which differences hold in every seed.",
)
def batch_size():
    runs = normalization_runs()
    sizes = runs[0]["batch_sizes"]
    fig, ax = plt.subplots(figsize=(6.4, 3.9), layout="constrained")
    for offset, norm in zip((-1, 0, 1), ("batch", "group", "layer")):
        label, colour, marker = NORM_STYLES[norm]
        seeds = 100 * np.asarray([r["batch_size"][norm] for r in runs])
        mean = seeds.mean(axis=0)
        x = np.asarray(sizes) * 1.04**offset  # side by side, so that the bars do not hide each other
        ax.errorbar(x, mean, yerr=(mean - seeds.min(axis=0), seeds.max(axis=0) - mean), marker=marker, ms=5,
                    color=colour, label=label, capsize=2, elinewidth=1)
    ax.set_xscale("log", base=2)
    ax.set_xticks(sizes, [str(s) for s in sizes])
    ax.minorticks_off()
    ax.set_xlabel(f"batch size (one pass over the same {runs[0]['digits']:,} training digits)")
    ax.set_ylabel(f"test accuracy (%): mean,\nbar min–max over {len(runs)} seeds")
    fig.legend(loc="outside lower center", ncol=3, fontsize=9, frameon=False)
    return fig


@register(
    "ch07.learning_rates",
    alt="Two panels for LeNet-5 with and without batch normalization trained by SGD with momentum. Left: the last "
        "training loss against the learning rate, both on log axes, with a dashed line at the loss of guessing; "
        "without normalization the loss ends at or above that line at the two largest rates, with it the "
        "loss stays below it at every rate. Right: the training loss over the steps at one rate. Lines are means over the "
        "seeds, bands span the lowest to the highest seed.",
)
def learning_rates():
    runs = rate_runs()
    lrs, log, guess = runs[0]["lrs"], runs[0]["log"], float(np.log(10))
    top = LOSS_CAP  # a larger loss, or a diverged run (no loss), is drawn at the top of the axis
    fig, (left, right) = plt.subplots(1, 2, figsize=(6.8, 3.6), layout="constrained", sharey=True)
    for norm in ("none", "batch"):
        label, colour, marker = NORM_STYLES[norm]
        seeds = np.minimum(np.asarray([final_losses(norm, lr) for lr in lrs]), top).T  # a row per seed
        mean_and_band(left, lrs, seeds, colour, marker=marker, label=label)
        curves = np.asarray([[top if v is None else min(v, top) for v in r["losses"][norm][f"{SHOWN_RATE:g}"]]
                             for r in runs])
        mean_and_band(right, log * np.arange(1, curves.shape[1] + 1), curves, colour, marker=marker, ms=3)
    for ax in (left, right):
        ax.axhline(guess, color="0.4", linestyle="--", linewidth=1)
        ax.set_yscale("log")
        log_ticks(ax.yaxis, (0.3, 0.5, 1, 2, 4, 8))
    left.text(lrs[0], guess * 1.07, "guessing: ln 10", fontsize=9, color="0.3")
    left.set_xscale("log")
    left.set_xticks(lrs, [f"{lr:g}" for lr in lrs])
    left.minorticks_off()
    left.set_xlabel(f"learning rate (SGD, momentum {runs[0]['momentum']:g})")
    left.set_ylabel(f"training loss, mean of the last {log} steps:\nmean, band min–max over {len(runs)} seeds")
    right.set_xlabel(f"step (batches of {runs[0]['batch']}), rate {SHOWN_RATE:g}")
    fig.legend(loc="outside lower center", ncol=2, fontsize=9, frameon=False)
    return fig


@register(
    "ch07.regularization",
    alt="Two panels for LeNet-5 trained on a small set of digits. Left: the validation loss of each variant, "
        "measured every few epochs, on a log axis: without regularization and with label smoothing it reaches its "
        "lowest early and then rises a little, with weight decay it keeps falling slowly, with dropout it starts "
        "high and is still falling at the end. Right: the test accuracy of each variant and of early stopping, one "
        "dot per seed and a tick at the mean. The text states which differences hold in every seed.",
)
def regularization():
    runs = regularization_runs()
    first = runs[0]
    fig, (left, right) = plt.subplots(1, 2, figsize=(6.7, 4.3), layout="constrained",
                                      gridspec_kw={"width_ratios": (1.4, 1)})
    checks = first["eval_every"] * np.arange(1, len(first["variants"]["none"]["validation_loss"]) + 1)
    for variant, (label, colour, marker) in REGULARIZERS.items():
        losses = [r["variants"][variant]["validation_loss"] for r in runs]
        mean_and_band(left, checks, losses, colour, marker=marker, ms=4, label=variant)
    left.set_yscale("log")
    log_ticks(left.yaxis, (0.4, 0.5, 0.7, 1, 1.5, 2))
    left.set_xlabel(f"epoch ({first['train_digits']} training digits)")
    left.set_ylabel(f"validation cross-entropy: mean,\nband min–max over {len(runs)} seeds")
    fig.legend(loc="outside lower center", ncol=4, fontsize=9, frameon=False)
    entries = [(variant, colour, [r["variants"][variant]["test_accuracy"] for r in runs])
               for variant, (_, colour, _) in REGULARIZERS.items()]
    entries.append(("none, stopped\nearly", REGULARIZERS["none"][1], [r["variants"]["none"]["stopped_accuracy"]
                                                                      for r in runs]))
    for i, (label, colour, values) in enumerate(entries):
        seeds_and_mean(right, i, 100 * np.asarray(values), colour)
    right.set_yticks(range(len(entries)), [label.replace("weight decay", "weight decay\n(AdamW)").replace(
        "label smoothing", "label\nsmoothing") for label, _, _ in entries], fontsize=9)
    right.invert_yaxis()
    lowest = min(min(values) for _, _, values in entries)
    right.set_xlim(100 * lowest - 2, 100 * max(max(values) for _, _, values in entries) + 1)
    right.set_xlabel("test accuracy (%):\ndots are seeds, ticks their mean")
    return fig


@register(
    "ch07.augmentation",
    alt="Two panels, one per training-set size, each with the test accuracy of LeNet-5 trained without "
        "augmentation and with shifts, rotation and scaling, cutout or mirror images: one dot per seed and a tick "
        "at the mean. The text states which differences hold in every seed.",
)
def augmentation():
    runs = augmentation_runs()
    sizes, names = runs[0]["sizes"], list(AUGMENTATION_COLOURS)
    fig, axes = plt.subplots(1, len(sizes), figsize=(6.6, 3.6), layout="constrained", sharey=True)
    for ax, (index, size) in zip(axes, enumerate(sizes)):
        for i, name in enumerate(names):
            seeds_and_mean(ax, i, [100 * r["accuracy"][name][index] for r in runs], AUGMENTATION_COLOURS[name])
        ax.set_title(f"{size:,} training digits", fontsize=10)
        ax.set_xlabel("test accuracy (%)")
    axes[0].set_yticks(range(len(names)), [n.replace(" and ", " and\n") for n in names], fontsize=9)
    axes[0].invert_yaxis()
    fig.suptitle(f"{runs[0]['steps']} Adam steps each; dots are seeds, ticks their mean", fontsize=9)
    return fig


@register(
    "ch07.schedules",
    alt="Two panels for LeNet-5 trained with Adam. Left: the learning-rate range test, the training loss of every "
        "step against a rate that grows exponentially, one line per seed, on log axes, with a dot where each "
        "smoothed loss is lowest: the loss falls, bottoms out and then climbs back to the loss of guessing. Right: "
        "the training loss along runs with a constant rate, a step down for the last third and a cosine, mean "
        "over the seeds with a band from the lowest to the highest seed.",
)
def schedules():
    runs = schedule_runs()
    first = runs[0]
    fig, (left, right) = plt.subplots(1, 2, figsize=(6.8, 3.7), layout="constrained")
    for i, run in enumerate(runs):
        left.plot(run["range"]["rates"], run["range"]["losses"], color=f"C{i}", lw=1, alpha=0.8)
        left.plot([range_minimum(run)], [range_smoothed(run).min()], "o", color=f"C{i}", ms=5)  # the smoothed loss
    left.set_xscale("log")
    left.set_yscale("log")
    left.set_xlabel("learning rate (Adam), growing every step")
    left.set_ylabel("training loss of each step")
    log_ticks(left.yaxis, (0.3, 0.5, 1, 2, 4, 8, 16))
    left.set_title("range test: one run per seed", fontsize=9)
    for name, colour in SCHEDULE_COLOURS.items():
        curves = [r["schedules"][name]["step_loss"] for r in runs]
        mean_and_band(right, first["log"] * np.arange(1, len(curves[0]) + 1), curves, colour, label=name)
    right.set_yscale("log")
    log_ticks(right.yaxis, (0.1, 0.2, 0.5, 1, 2))
    right.set_xlabel(f"step (batches of {first['batch']})")
    right.set_ylabel(f"training loss, mean of {first['log']} steps")
    right.set_title(f"schedules from {first['base_lr']:g}: mean, band min–max", fontsize=9)
    right.legend(fontsize=9, frameon=False)
    return fig
