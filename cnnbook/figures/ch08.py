"""Figures of chapter 8, "Architectures"."""

from __future__ import annotations

import numpy as np

from cnnbook import experiments, models
from cnnbook.analysis.ch08 import MODERN_MODELS, PUBLISHED_MODELS, depth_run
from cnnbook.experiments.depth import BATCH_SIZE, LOG_EVERY
from cnnbook.figures import register
from cnnbook.figures.common import plt


@register(
    "ch08.gradients",
    alt="Gradient norm of each 3×3 convolution's weights at initialization, layer by layer, on a log axis, "
        "for plain (dashed) and residual (solid) stacks of three depths, with batch normalization on the left and "
        "without it on the right: each line is the mean over the seeds and its shaded band spans the lowest to "
        "the highest seed. The text states what the seeds show.",
)
def gradients():
    from matplotlib.ticker import StrMethodFormatter

    run = depth_run()
    fig, axes = plt.subplots(1, 2, figsize=(6.8, 3.9), sharey=True, layout="constrained")
    for ax, suffix, title in ((axes[0], "", "with batch normalization"), (axes[1], ", no BN", "without batch normalization")):
        for depth_index, depth in enumerate(run["depths"]):
            for kind, line in (("plain", "--"), ("residual", "-")):
                key = f"{kind}-{depth}{suffix}"
                norms, seeds = np.asarray(run["gradients"][key]), np.asarray(run["gradients_by_seed"][key])
                layers = np.arange(1, len(norms) + 1)
                ax.plot(layers, norms, line, color=f"C{depth_index}", label=f"{kind}, {depth} layers")
                ax.fill_between(layers, seeds.min(axis=0), seeds.max(axis=0), color=f"C{depth_index}", alpha=0.15,
                                linewidth=0)
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(StrMethodFormatter("{x:g}"))
        ax.set_xlabel("layer (input → output)")
        ax.set_title(title)
    axes[0].set_ylabel(f"‖∂L/∂W‖ at initialization: mean,\nband min–max over {len(run['seeds'])} seeds")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(run["depths"]), fontsize=9, frameon=False)
    return fig


@register(
    "ch08.depth_training",
    alt="Training loss over a short run of SGD for plain (dashed) and residual (solid) stacks of two depths, "
        "all with batch normalization, on a log axis: each line is the mean over the seeds and its shaded band "
        "spans the lowest to the highest seed. The text states which differences hold in every seed.",
)
def depth_training():
    from matplotlib.ticker import FixedLocator, NullFormatter, StrMethodFormatter

    run = depth_run()
    runs = experiments.run("ch08.depth")["runs"]
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    for depth_index, depth in enumerate(run["depths"]):
        if depth not in run["train_depths"]:
            continue  # the same colour per depth as in the gradient figure
        for kind, line in (("plain", "--"), ("residual", "-")):
            key = f"{kind}-{depth}"
            losses = run["training"][key]["step_loss"]
            seeds = np.asarray([r["training"][key]["step_loss"] for r in runs])
            steps = LOG_EVERY * np.arange(1, len(losses) + 1)
            ax.plot(steps, losses, line, color=f"C{depth_index}", label=f"{kind}, {depth} layers")
            ax.fill_between(steps, seeds.min(axis=0), seeds.max(axis=0), color=f"C{depth_index}", alpha=0.15,
                            linewidth=0)
    ax.set_xlabel(f"step (batches of {BATCH_SIZE}, SGD with momentum)")
    ax.set_ylabel(f"training loss (mean of {LOG_EVERY} steps):\nmean, band min–max over {len(run['seeds'])} seeds")
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(FixedLocator((0.4, 0.6, 1, 2, 3)))
    ax.yaxis.set_major_formatter(StrMethodFormatter("{x:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.legend(fontsize=9, ncol=2, loc="lower left")
    fig.tight_layout()
    return fig


@register(
    "ch08.architectures",
    alt="A scatter plot of the ImageNet networks of sections 8.2 (blue) and 8.3 (orange): multiply-accumulates per "
        "image against parameters, both on log axes, each point labelled with the network and its year. VGG-16 is "
        "top right; ResNet-50, ResNeXt-50 and ConvNeXt-T sit together near 25 million parameters and 4 billion "
        "MACs; the MobileNets and EfficientNet-B0 are bottom left, with under 6 million parameters and under 0.6 "
        "billion MACs.",
)
def architectures():
    from matplotlib.ticker import FixedLocator, NullLocator, StrMethodFormatter

    fig, ax = plt.subplots(figsize=(6.8, 5.0))
    # where each label sits, in points from its marker's centre (to the right unless said here): the three networks
    # near ResNet-50's cost share a corner, GoogLeNet sits close to ResNet-18, MobileNetV2 close to MobileNetV3
    place = {"googlenet": ((-8, 0), "right", "center"), "vgg16": ((0, -12), "center", "top"),
             "resnet50": ((-8, -4), "right", "top"), "resnext50": ((-8, 4), "right", "bottom"),
             "mobilenet_v2": ((-8, 0), "right", "center")}
    for colour, names in (("C0", PUBLISHED_MODELS), ("C1", MODERN_MODELS)):
        for name in names:
            info, table = models.MODELS[name], models.summary(name)
            ax.scatter(table.params / 1e6, table.macs / 1e9, s=30 + table.activations / 1e5, alpha=0.6, color=colour)
            offset, ha, va = place.get(name, ((7, 0), "left", "center"))
            ax.annotate(f"{info.title} ({info.year})", (table.params / 1e6, table.macs / 1e9), fontsize=9,
                        xytext=offset, textcoords="offset points", ha=ha, va=va)
    ax.set_xscale("log")
    ax.set_yscale("log")
    for axis, ticks in ((ax.xaxis, (1, 2, 5, 10, 20, 50, 100, 200, 400)), (ax.yaxis, (0.2, 0.5, 1, 2, 5, 10, 20))):
        axis.set_major_locator(FixedLocator(ticks))
        axis.set_major_formatter(StrMethodFormatter("{x:g}"))
        axis.set_minor_locator(NullLocator())
    ax.set_xlabel("parameters (millions)")
    ax.set_ylabel("multiply-accumulates per 224×224 image (billions)")
    ax.set_title("marker area: activations stored per image", fontsize=9)
    ax.set_xlim(1, 400)
    ax.set_ylim(0.15, 40)
    ax.legend([plt.Line2D([], [], marker="o", ls="", color=c, alpha=0.6) for c in ("C0", "C1")],
              ["section 8.2", "section 8.3"], loc="upper left", fontsize=9, frameon=False)
    fig.tight_layout()
    return fig
