"""Numbers and tables of chapter 7, "Training CNNs and the classic architectures"."""

from __future__ import annotations

import numpy as np

from cnnbook import models, train
from cnnbook.facts import fact, format_value, relation, table
from cnnbook.figures.ch07 import (PUBLISHED_MODELS, confusion, depth_run, efficiency_run, kernel_change, lenet_run,
                                  mistakes)

# ---- LeNet-5 on the digits ----


@fact("ch07.lenet_accuracy")
def lenet_accuracy():
    return lenet_run()["history"]["test_accuracy"][-1]


@fact("ch07.lenet_correct")
def lenet_correct():
    return int(np.trace(confusion()))


@fact("ch07.lenet_wrong")
def lenet_wrong():
    return len(mistakes())


@fact("ch07.lenet_seconds")
def lenet_seconds():
    return lenet_run()["seconds"]


@fact("ch07.lenet_epoch_seconds")
def lenet_epoch_seconds():
    return float(np.median(lenet_run()["history"]["seconds"]))


@fact("ch07.machine")
def machine():
    return lenet_run()["machine"]


@fact("ch07.lenet_recipe")
def lenet_recipe():
    return train.RECIPES["lenet5"].describe()


@fact("ch07.lenet_epochs")
def lenet_epochs():
    return train.RECIPES["lenet5"].epochs


@fact("ch07.lenet_params")
def lenet_params():
    return models.summary("lenet5").params


@fact("ch07.lenet_macs")
def lenet_macs():
    return models.summary("lenet5").macs


def _share(name, kind, what="params"):
    """Fraction of a catalogue model's parameters (or MACs) in its layers of one kind."""
    summary = models.summary(name)
    return sum(getattr(r, what) for r in summary.rows if r.kind == kind) / getattr(summary, what)


@fact("ch07.lenet_fc_share")
def lenet_fc_share():
    return _share("lenet5", "Linear")


@fact("ch07.lenet_first_epoch")
def lenet_first_epoch():
    return lenet_run()["history"]["test_accuracy"][0]


@fact("ch07.kernel_change")
def kernel_change_fact():
    return kernel_change()


@fact("ch07.top_confusion")
def top_confusion():
    matrix = confusion()
    off = matrix - np.diag(np.diag(matrix))
    true, predicted = np.unravel_index(int(np.argmax(off)), off.shape)
    times = int(off[true, predicted])
    return f"{true} read as {predicted} ({times} time{'s' if times > 1 else ''})"


@table("ch07.lenet_layers")
def lenet_layers():
    lines = ["| layer | output (C×H×W) | parameters | multiply-accumulates | receptive field |",
             "| --- | ---: | ---: | ---: | ---: |"]
    names = {"Conv": "convolution", "Pool": "max pool 2×2", "ReLU": "ReLU", "Flatten": "flatten", "Linear": "dense"}
    summary = models.summary("lenet5")
    for row in summary.rows:
        if row.kind == "ReLU":
            continue
        label = names[row.kind]
        if row.kind == "Conv":
            label = f"convolution {row.layer.k}×{row.layer.k}, {row.layer.out} filters" + (
                f", padding {row.layer.padding}" if row.layer.padding else "")
        elif row.kind == "Linear":
            label = f"dense, {row.layer.out} units"
        rf = row.rf if row.kind in ("Conv", "Pool") else "whole image"
        lines.append(f"| {label} | {'×'.join(map(str, row.output))} | {format_value(row.params)} "
                     f"| {format_value(row.macs)} | {rf} |")
    lines.append(f"| **total** | | **{format_value(summary.params)}** | **{format_value(summary.macs)}** | |")
    return "\n".join(lines)


# ---- why convolution ----

def _acc(key, size):
    run = efficiency_run()
    return run["accuracy"][key][run["sizes"].index(size)]


def _efficiency_fact(name, key, size):
    fact(name)(lambda: _acc(key, size))


for _size in (100, 4000):
    _efficiency_fact(f"ch07.lenet_{_size}", "lenet5, original", _size)
    _efficiency_fact(f"ch07.mlp_{_size}", "mlp, original", _size)
    _efficiency_fact(f"ch07.lenet_permuted_{_size}", "lenet5, permuted", _size)
    _efficiency_fact(f"ch07.mlp_permuted_{_size}", "mlp, permuted", _size)
    _efficiency_fact(f"ch07.random_{_size}", "random features, original", _size)


@fact("ch07.mlp_params")
def mlp_params():
    return models.summary("mlp").params


@fact("ch07.random_trainable")
def random_trainable():
    return efficiency_run()["params"]["random features"]


@fact("ch07.efficiency_steps")
def efficiency_steps():
    return efficiency_run()["steps"]


@fact("ch07.efficiency_seconds")
def efficiency_seconds():
    return sum(efficiency_run()["seconds"].values())


@table("ch07.efficiency")
def efficiency_table():
    run = efficiency_run()
    keys = ("lenet5, original", "mlp, original", "lenet5, permuted", "mlp, permuted", "random features, original")
    heads = ("LeNet-5", "MLP", "LeNet-5, permuted", "MLP, permuted", "LeNet-5, random frozen convolutions")
    lines = ["| training digits | " + " | ".join(heads) + " |", "| ---: |" + " ---: |" * len(heads)]
    for i, size in enumerate(run["sizes"]):
        lines.append(f"| {size:,} | " + " | ".join(f"{run['accuracy'][k][i]:.1%}" for k in keys) + " |")
    return "\n".join(lines)


# ---- depth and shortcuts ----

def _training(key):
    return depth_run()["training"][key]


def _final_loss(key):
    losses = _training(key)["step_loss"]
    return float(np.mean(losses[-4:]))


for _depth in (8, 32):
    for _kind in ("plain", "residual"):
        fact(f"ch07.{_kind}{_depth}_loss")(lambda key=f"{_kind}-{_depth}": _final_loss(key))
        fact(f"ch07.{_kind}{_depth}_accuracy")(lambda key=f"{_kind}-{_depth}": _training(key)["test_accuracy"])


@fact("ch07.depth_steps")
def depth_steps():
    return depth_run()["steps"]


@fact("ch07.depth_seconds")
def depth_seconds():
    return sum(v["seconds"] for v in depth_run()["training"].values())


@fact("ch07.plain_nobn_shrink")
def plain_nobn_shrink():
    """How many times smaller the median gradient norm of the plain 32-layer stack is than the 8-layer's, without BN."""
    grads = depth_run()["gradients"]
    return float(np.median(grads["plain-8, no BN"]) / np.median(grads["plain-32, no BN"]))


@fact("ch07.exploding_norm")
def exploding_norm():
    """The largest first-layer gradient norm of the residual 32-layer stack without BN, against with BN."""
    grads = depth_run()["gradients"]
    return grads["residual-32, no BN"][0] / grads["residual-32"][0]


def _bn_norms():
    return [v for k, values in depth_run()["gradients"].items() if "no BN" not in k for v in values]


@fact("ch07.bn_min")
def bn_min():
    """Smallest gradient norm of any layer in any stack with batch normalization."""
    return min(_bn_norms())


@fact("ch07.bn_max")
def bn_max():
    return max(_bn_norms())


# ---- the catalogue ----

def _summary(name):
    return models.summary(name)


for _name in ("lenet5", "alexnet", "vgg16", "googlenet", "googlenet_torchvision", "resnet18", "resnet50",
              "densenet121", "mobilenet_v1"):
    fact(f"ch07.{_name}_params")(lambda name=_name: _summary(name).params)
    fact(f"ch07.{_name}_gmacs")(lambda name=_name: round(_summary(name).macs / 1e9, 2))


@fact("ch07.vgg_fc_share")
def vgg_fc_share():
    return _share("vgg16", "Linear")


@fact("ch07.vgg_first_fc")
def vgg_first_fc():
    return next(r.params for r in _summary("vgg16").rows if r.kind == "Linear")


@fact("ch07.vgg_conv_macs_share")
def vgg_conv_macs_share():
    return _share("vgg16", "Conv", "macs")


@fact("ch07.alexnet_vs_googlenet")
def alexnet_vs_googlenet():
    return _summary("alexnet").params / _summary("googlenet").params


@fact("ch07.resnet50_vs_vgg_macs")
def resnet50_vs_vgg_macs():
    return _summary("vgg16").macs / _summary("resnet50").macs


@fact("ch07.googlenet_1x1_share")
def googlenet_1x1_share():
    """Share of GoogLeNet's (paper) convolution weights in 1×1 convolutions."""
    rows = [r for r in _summary("googlenet").rows if r.kind == "Conv"]
    return sum(r.params for r in rows if r.layer.k == 1) / sum(r.params for r in rows)


@fact("ch07.densenet_channels")
def densenet_channels():
    """Channels at the end of DenseNet-121's first dense block."""
    rows = _summary("densenet121").rows
    return next(r.output[0] for r in rows if r.name.startswith("transition1"))


@table("ch07.catalogue")
def catalogue():
    lines = ["| network | year | variant counted | parameters | multiply-accumulates | activations per image "
             "| receptive field |",
             "| --- | ---: | --- | ---: | ---: | ---: | ---: |"]
    for name in ("lenet5",) + PUBLISHED_MODELS + ("googlenet_torchvision",):
        info, table_ = models.MODELS[name], _summary(name)
        macs = f"{table_.macs / 1e9:.2f} G" if table_.macs > 1e8 else f"{table_.macs / 1e6:.2f} M"
        lines.append(f"| {info.title} | {info.year} | {info.variant} | {format_value(table_.params)} | {macs} "
                     f"| {format_value(table_.activations)} | {table_.rf} |")
    return "\n".join(lines)


# ---- the data ----

def _digits():
    from cnnbook import data

    return data.mnist(backend="numpy")


@fact("ch07.mnist_mean")
def mnist_mean():
    return round(_digits().mean, 4)


@fact("ch07.mnist_std")
def mnist_std():
    return round(_digits().std, 4)


@fact("ch07.train_size")
def train_size():
    return len(_digits().y_train)


@fact("ch07.test_size")
def test_size():
    return len(_digits().y_test)


# ---- comparisons stated in words, so the prose follows the measurement ----

@fact("ch07.random_vs_mlp_4000")
def random_vs_mlp_4000():
    return relation(_acc("random features, original", 4000), _acc("mlp, original", 4000))


@fact("ch07.random_vs_lenet_100")
def random_vs_lenet_100():
    return relation(_acc("random features, original", 100), _acc("lenet5, original", 100))


@fact("ch07.lenet_vs_mlp_sizes")
def lenet_vs_mlp_sizes():
    """At how many of the training-set sizes the CNN beats the MLP on the real images, in words."""
    run = efficiency_run()
    wins = sum(c > m for c, m in zip(run["accuracy"]["lenet5, original"], run["accuracy"]["mlp, original"]))
    return "every size" if wins == len(run["sizes"]) else f"{wins} of the {len(run['sizes'])} sizes"


@fact("ch07.permuted_lenet_vs_mlp")
def permuted_lenet_vs_mlp():
    return relation(_acc("lenet5, permuted", 4000), _acc("mlp, permuted", 4000))


@fact("ch07.bottleneck_ratio")
def bottleneck_ratio():
    from cnnbook import shapes

    basic = 2 * shapes.conv2d_params(256, 256, 3, bias=False)
    bottleneck = (shapes.conv2d_params(256, 64, 1, bias=False) + shapes.conv2d_params(64, 64, 3, bias=False)
                  + shapes.conv2d_params(64, 256, 1, bias=False))
    return basic / bottleneck
