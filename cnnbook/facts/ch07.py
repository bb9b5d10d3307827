"""Numbers, tables and claims of chapter 7, "Training CNNs and the classic architectures".

The comparisons the chapter draws from its two seeded studies (data efficiency, depth) are claims
(:mod:`cnnbook.claims`): each reads every seed's value and either states the difference the rule
supports or fails the build.
"""

from __future__ import annotations

import numpy as np

from cnnbook import models, train
from cnnbook.analysis.ch07 import (
    PUBLISHED_MODELS,
    confusion,
    depth_run,
    efficiency_run,
    kernel_change,
    lenet_run,
    mistakes,
)
from cnnbook.claims import compare, expect, points
from cnnbook.facts import claim, fact, format_value, table


def _words(items):
    """``['a', 'b', 'c']`` -> ``'a, b and c'``.

    Examples
    --------
    >>> _words(["8"]), _words(["8", "32"]), _words(["100", "300", "1,000"])
    ('8', '8 and 32', '100, 300 and 1,000')
    """
    items = [str(item) for item in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


# ---- LeNet-5 on the digits (one seeded run: described, never compared) ----


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


def _lenet_rows(kind):
    return [r for r in models.summary("lenet5").rows if r.kind == kind]


@fact("ch07.lenet_conv1_filters")
def lenet_conv1_filters():
    """Filters of LeNet-5's first convolution (the kernels the chapter shows)."""
    return _lenet_rows("Conv")[0].layer.out


@fact("ch07.lenet_padding")
def lenet_padding():
    return _lenet_rows("Conv")[0].layer.padding


@fact("ch07.lenet_frame")
def lenet_frame():
    """The padded input of LeNet-5's first convolution, ``'32×32'``: the frame of the 1998 paper's input."""
    side = models.MODELS["lenet5"].input_shape[-1] + 2 * lenet_padding()
    return f"{side}×{side}"


@fact("ch07.lenet_flat")
def lenet_flat():
    """How many numbers the dense layers of LeNet-5 read (the flattened output of the second pool)."""
    return _lenet_rows("Flatten")[0].output[0]


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


@claim("ch07.lenet_curves")
def lenet_curves():
    """What the text says of the one LeNet-5 run's curves: a description of this run, not a comparison."""
    history = lenet_run()["history"]
    expect(history["train_accuracy"][0] < history["test_accuracy"][0],
           "the running training accuracy of the first epoch trails the test accuracy")
    half = len(history["train_loss"]) // 2
    expect(history["train_loss"][-1] < history["test_loss"][-1] and
           history["train_loss"][-1] / history["train_loss"][half] < history["test_loss"][-1] / history["test_loss"][half],
           "over the second half of the run the training loss falls further than the test loss, below it")
    return (f"in this run the training loss ends at {history['train_loss'][-1]:.3f} and the test loss at "
            f"{history['test_loss'][-1]:.3f}")


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


# ---- why convolution: the data-efficiency study (seeded) ----

#: The runs of the data-efficiency study, and their names in the table and the prose.
EFFICIENCY_KEYS = {"lenet5, original": "LeNet-5", "mlp, original": "MLP", "lenet5, permuted": "LeNet-5, permuted",
                   "mlp, permuted": "MLP, permuted", "random features, original": "LeNet-5, random frozen convolutions"}


def _acc(key, size):
    """Mean test accuracy over the seeds."""
    run = efficiency_run()
    return run["accuracy"][key][run["sizes"].index(size)]


#: The words of the rule for two measurements within the run-to-run spread of each other.
SPREAD = "within the run-to-run spread of"


def _seeds_at(key, size):
    """Each seed's test accuracy of one run of the study at one training-set size."""
    run = efficiency_run()
    i = run["sizes"].index(size)
    return [values[i] for values in run["by_seed"][key]]


def _compare_at(a_key, b_key, size):
    return compare(_seeds_at(a_key, size), _seeds_at(b_key, size))


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


@fact("ch07.mlp_hidden")
def mlp_hidden():
    """The widths of the MLP's hidden layers, in words: ``'72 and 64'``."""
    widths = [r.layer.out for r in models.summary("mlp").rows if r.kind == "Linear"][:-1]
    return _words(widths)


@fact("ch07.pixels")
def pixels():
    """Pixels of one digit (the positions the permutation reorders)."""
    return int(np.prod(models.MODELS["lenet5"].input_shape))


@fact("ch07.random_trainable")
def random_trainable():
    return efficiency_run()["params"]["random features"]


@fact("ch07.efficiency_steps")
def efficiency_steps():
    return efficiency_run()["steps"]


@fact("ch07.efficiency_sizes")
def efficiency_sizes():
    """The training-set sizes of the study, in words: ``'100, 300, 1,000 and 4,000'``."""
    return _words(format_value(n) for n in efficiency_run()["sizes"])


@fact("ch07.efficiency_max_steps")
def efficiency_max_steps():
    """The most steps any run of the study takes: whole epochs of batches of 32 until the budget is reached."""
    import math

    from cnnbook.experiments.training import BATCH_SIZE, STEPS

    per_epoch = [math.ceil(n / BATCH_SIZE) for n in efficiency_run()["sizes"]]
    return max(math.ceil(STEPS / steps) * steps for steps in per_epoch)


@fact("ch07.seeds")
def seeds():
    """How many seeds the two comparing studies ran."""
    return len(efficiency_run()["seeds"])


@fact("ch07.efficiency_seconds")
def efficiency_seconds():
    return sum(efficiency_run()["seconds"].values())


@table("ch07.efficiency")
def efficiency_table():
    run = efficiency_run()
    lines = ["| training digits | " + " | ".join(EFFICIENCY_KEYS.values()) + " |",
             "| ---: |" + " ---: |" * len(EFFICIENCY_KEYS)]
    for i, size in enumerate(run["sizes"]):
        cells = []
        for key in EFFICIENCY_KEYS:
            values = [seed[i] for seed in run["by_seed"][key]]
            cells.append(f"{run['accuracy'][key][i]:.1%} ({min(values):.1%}–{max(values):.1%})")
        lines.append(f"| {size:,} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _by_size(a_key, b_key, above, below, within):
    """The comparison of two runs at every size of the study, grouped by the rule's verdict, in words."""
    sizes = efficiency_run()["sizes"]
    groups = {}
    for size in sizes:
        c = _compare_at(a_key, b_key, size)
        groups.setdefault(c.verdict, []).append((size, c))
    parts = []
    for verdict, words in (("above", above), ("below", below), ("within", within)):
        if verdict not in groups:
            continue
        members = groups[verdict]
        where = ("at every size" if len(members) == len(sizes) else
                 "at " + _words(format_value(size) for size, _ in members) + " digits")
        evidence = "; ".join(f"{format_value(size)}: {c.evidence()}" for size, c in members)
        parts.append(f"{words} {where} ({evidence})")
    return ", and ".join(parts)


@claim("ch07.cnn_vs_mlp")
def cnn_vs_mlp():
    """LeNet-5 against the MLP of the same size on the real digits, size by size (the run chooses the words)."""
    _compare_at("lenet5, original", "mlp, original", 4000).expect(
        "above", "LeNet-5 beats the MLP with all 4,000 training digits")
    return _by_size("lenet5, original", "mlp, original", "is ahead of the MLP", "falls behind the MLP",
                    "is within the run-to-run spread of the MLP")


@claim("ch07.permutation_hurts_cnn")
def permutation_hurts_cnn():
    """LeNet-5 loses accuracy at every size when the pixels are permuted."""
    for size in efficiency_run()["sizes"]:
        _compare_at("lenet5, permuted", "lenet5, original", size).expect(
            "below", f"LeNet-5 on permuted pixels falls behind LeNet-5 on the real digits at {size}")
    n = len(efficiency_run()["seeds"])
    c = _compare_at("lenet5, permuted", "lenet5, original", 4000)
    return f"in each of {n} seeds at every size; with 4,000 digits by {points(c.difference)} on average"


@claim("ch07.permuted_cnn_vs_mlp")
def permuted_cnn_vs_mlp():
    """On permuted pixels, LeNet-5 falls behind the MLP (on permuted pixels too) with 4,000 digits."""
    return _compare_at("lenet5, permuted", "mlp, permuted", 4000).expect(
        "below", "on permuted pixels LeNet-5 falls behind the MLP with 4,000 digits")


@claim("ch07.mlp_permutation")
def mlp_permutation():
    """The MLP on permuted against real pixels, size by size (the run chooses the words)."""
    return _by_size("mlp, permuted", "mlp, original", "above its accuracy on the real digits",
                    "below its accuracy on the real digits", "within the run-to-run spread of its accuracy on the real digits")


@claim("ch07.mlp_permutation_chance")
def mlp_permutation_chance():
    """What follows from the text's argument where the rule does find a difference for the MLP (else nothing).

    The argument: a seed's run on permuted pixels is its run on the real pixels started from the first layer's
    initial weights with their columns rearranged (same digits, batch order and other weights). As those weights
    are i.i.d. and the permutation is drawn uniformly, independently of them, the two runs are exchangeable: each
    seed's paired difference is as likely to be positive as negative, so all seeds agree in sign with probability
    at most ``2 ** (1 - seeds)`` (ties make it less), at each size.
    """
    run = efficiency_run()
    sizes = [size for size in run["sizes"]
             if _compare_at("mlp, permuted", "mlp, original", size).verdict != "within"]
    if not sizes:
        return ""
    n = len(run["seeds"])
    one = len(sizes) == 1
    return (f" By the argument above, {'that difference is' if one else 'those differences are'} not something the "
            "permutation does to the MLP's accuracy on average; "
            f"{'it is' if one else 'they are'} what starting from the rearranged first-layer weights did in these "
            f"runs. Each seed's two runs are then equally likely to come out either way round, so all {n} "
            f"seeds land on the same side at most one time in {2 ** (n - 1)} at any one size, and the study "
            f"compares {len(run['sizes'])} sizes.")


@claim("ch07.random_vs_trained")
def random_vs_trained():
    """Trained LeNet-5 against LeNet-5 with frozen random convolutions, size by size (the run chooses the words)."""
    _compare_at("lenet5, original", "random features, original", 4000).expect(
        "above", "training the convolutions beats freezing them at random with 4,000 digits")
    return _by_size("lenet5, original", "random features, original", "is ahead of it", "falls behind it",
                    "is within the run-to-run spread of it")


@claim("ch07.random_vs_mlp_4000")
def random_vs_mlp_4000():
    c = _compare_at("random features, original", "mlp, original", 4000)
    return f"{c.says('above', 'below', SPREAD)} the MLP ({c.evidence()})"


def _seconds(key):
    from cnnbook import experiments

    return [r["seconds"][key] for r in experiments.run("ch07.data_efficiency")["runs"]]


@claim("ch07.frozen_is_cheaper")
def frozen_is_cheaper():
    """Training with frozen convolutions takes less processor time than training all of LeNet-5 (timings: not
    paired)."""
    frozen, whole = _seconds("random features, original"), _seconds("lenet5, original")
    c = compare(frozen, whole, paired=False, unit="times")
    c.expect("below", "the frozen network takes less processor time to train than the whole LeNet-5")
    return (f"{np.mean(frozen) / np.mean(whole):.2g} times as long on average, and the longest of its "
            f"{len(frozen)} runs, one per seed, was shorter than the shortest of the whole network's")


# ---- depth, shortcuts and normalization (seeded) ----

def _training(key):
    return depth_run()["training"][key]


def _final_losses(key):
    """Each seed's last logged training loss (a mean over the last few steps)."""
    return _training(key)["by_seed"]["final_loss"]


def _accuracies(key):
    return _training(key)["by_seed"]["test_accuracy"]


for _depth in (8, 32):
    for _kind in ("plain", "residual"):
        fact(f"ch07.{_kind}{_depth}_loss")(lambda key=f"{_kind}-{_depth}": float(np.mean(_final_losses(key))))
        fact(f"ch07.{_kind}{_depth}_accuracy")(lambda key=f"{_kind}-{_depth}": _training(key)["test_accuracy"])


@fact("ch07.depth_steps")
def depth_steps():
    return depth_run()["steps"]


@fact("ch07.depths")
def depths():
    return _words(depth_run()["depths"])


@fact("ch07.train_depths")
def train_depths():
    return _words(depth_run()["train_depths"])


@fact("ch07.deep")
def deep():
    """The deepest stack trained."""
    return max(depth_run()["train_depths"])


@fact("ch07.shallow")
def shallow():
    return min(depth_run()["train_depths"])


@fact("ch07.depth_channels")
def depth_channels():
    """Channels of the three stages of the depth study's stacks, in words: ``'8, 16 and 32'``."""
    from cnnbook.models import spec

    rows = spec.summary(models.resnet_small(depth=8, width=0.5), (1, 14, 14)).rows
    return _words(sorted({r.output[0] for r in rows if r.kind == "Conv"}))


@fact("ch07.depth_image")
def depth_image():
    """The side of the averaged-down digits of the depth study, as ``'14×14'``."""
    from cnnbook.experiments.training import _digits14

    side = _digits14().x_train.shape[-1]
    return f"{side}×{side}"


@fact("ch07.shortcut_params")
def shortcut_params():
    """Parameters the residual stack of the deepest depth has beyond its plain twin (the 1×1 projections)."""
    d = deep()
    return _training(f"residual-{d}")["params"] - _training(f"plain-{d}")["params"]


@fact("ch07.shortcut_share")
def shortcut_share():
    d = deep()
    return shortcut_params() / _training(f"plain-{d}")["params"]


@fact("ch07.depth_seconds")
def depth_seconds():
    return sum(v["seconds"] for v in depth_run()["training"].values())


def _gradients(key):
    """Each seed's gradient norms, layer by layer (input to output)."""
    return np.asarray(depth_run()["gradients_by_seed"][key])


@claim("ch07.plain_nobn_shrinks")
def plain_nobn_shrinks():
    """Without BN, the plain deep stack's gradients are smaller than the shallow stack's, by over ten in every seed."""
    deep_, shallow_ = deep(), shallow()
    ratio = np.median(_gradients(f"plain-{shallow_}, no BN"), axis=1) / np.median(_gradients(f"plain-{deep_}, no BN"), axis=1)
    expect(np.all(ratio > 10), f"without BN the median gradient of the plain {deep_}-layer stack is over ten times "
                               f"smaller than the {shallow_}-layer stack's in every seed (ratios {ratio})")
    return f"{ratio.min():.0f} to {ratio.max():.0f} times smaller"


@claim("ch07.residual_nobn_grows")
def residual_nobn_grows():
    """Without BN, the residual deep stack's gradients are larger than the shallow one's, by over ten in every seed."""
    deep_, shallow_ = deep(), shallow()
    ratio = (np.median(_gradients(f"residual-{deep_}, no BN"), axis=1) /
             np.median(_gradients(f"residual-{shallow_}, no BN"), axis=1))
    expect(np.all(ratio > 10), f"without BN the median gradient of the residual {deep_}-layer stack is over ten times "
                               f"the {shallow_}-layer stack's in every seed (ratios {ratio})")
    return f"{ratio.min():.0f} to {ratio.max():.0f} times larger"


@claim("ch07.residual_bn_tames")
def residual_bn_tames():
    """The first-layer gradient of the deep residual stack is larger without BN than with it, in every seed."""
    d = deep()
    without, with_ = _gradients(f"residual-{d}, no BN")[:, 0], _gradients(f"residual-{d}")[:, 0]
    expect(np.all(without > 10 * with_), "the deep residual stack's first-layer gradient without BN is over ten "
                                         "times the one with BN in every seed")
    ratio = without / with_
    return f"{ratio.min():.0f} to {ratio.max():.0f} times"


def _growth(key):
    """Each seed's ratio of the first 3×3 convolution's gradient norm to the last one's."""
    g = _gradients(key)
    return g[:, 0] / g[:, -1]


@claim("ch07.bn_plain_explodes")
def bn_plain_explodes():
    """With BN, the deep plain stack's gradient grows from the output to the input, much more than the shallow one's."""
    deep_, shallow_ = deep(), shallow()
    grows = _growth(f"plain-{deep_}")
    expect(np.all(grows > 10), f"with BN the plain {deep_}-layer stack's first-layer gradient is over ten times its "
                               f"last layer's in every seed (ratios {grows})")
    compare(grows, _growth(f"plain-{shallow_}")).expect(
        "above", f"with BN the gradient grows more towards the input in the plain {deep_}-layer stack than in the "
                 f"{shallow_}-layer one")
    return f"{grows.min():.0f} to {grows.max():.0f} times"


@claim("ch07.bn_residual_milder")
def bn_residual_milder():
    """With BN, the deep residual stack's gradient grows towards the input less than its plain twin's."""
    d = deep()
    residual, plain = _growth(f"residual-{d}"), _growth(f"plain-{d}")
    compare(np.log(residual), np.log(plain), unit="").expect(
        "below", f"with BN the residual {d}-layer stack's gradient grows less towards the input than the plain one's")
    factor = plain / residual
    expect(np.all(factor > 3), f"with BN the plain {d}-layer stack's growth is over three times its residual twin's "
                               f"in every seed, as 'much milder' says (factors {factor})")
    return (f"{residual.min():.0f} to {residual.max():.0f} times its last layer's, a growth {factor.min():.0f} to "
            f"{factor.max():.0f} times smaller than its plain twin's in the same seed")


@claim("ch07.degradation")
def degradation():
    """With BN, the plain deep stack ends training at a higher loss than the plain shallow one."""
    return compare(_final_losses(f"plain-{deep()}"), _final_losses(f"plain-{shallow()}"), unit="").expect(
        "above", "the plain deep stack ends at a higher training loss than the plain shallow one")


@claim("ch07.shortcuts_fix_depth")
def shortcuts_fix_depth():
    """With BN, the residual deep stack ends at a lower loss and a higher test accuracy than its plain twin."""
    d = deep()
    loss = compare(_final_losses(f"residual-{d}"), _final_losses(f"plain-{d}"), unit="").expect(
        "below", "the residual deep stack ends at a lower training loss than the plain one")
    acc = compare(_accuracies(f"residual-{d}"), _accuracies(f"plain-{d}")).expect(
        "above", "the residual deep stack ends at a higher test accuracy than the plain one")
    return f"loss lower {loss}; test accuracy higher {acc}"


@claim("ch07.residual_deep_vs_shallow")
def residual_deep_vs_shallow():
    """The residual deep stack against the shallow stacks (the run chooses the words)."""
    d, s = deep(), shallow()
    expect(compare(_final_losses(f"residual-{d}"), _final_losses(f"residual-{s}")).verdict != "above",
           "the residual deep stack does not end at a higher training loss than the residual shallow one (the text "
           "says depth did not make the residual stack's training worse)")
    parts = []
    for kind in ("residual", "plain"):
        c = compare(_final_losses(f"residual-{d}"), _final_losses(f"{kind}-{s}"), unit="")
        parts.append(f"{c.says('higher than', 'lower than', SPREAD)} the {kind} "
                     f"{s}-layer stack's ({c.evidence()})")
    return "its final loss is " + " and ".join(parts)


# ---- the catalogue ----

def _summary(name):
    return models.summary(name)


for _name in ("lenet5", "alexnet", "vgg16", "googlenet", "googlenet_torchvision", "resnet18", "resnet50",
              "densenet121", "mobilenet_v1"):
    fact(f"ch07.{_name}_params")(lambda name=_name: _summary(name).params)
    fact(f"ch07.{_name}_gmacs")(lambda name=_name: round(_summary(name).macs / 1e9, 2))


@fact("ch07.alexnet_layers")
def alexnet_layers():
    """AlexNet's convolutions and dense layers, and its first kernel and stride, in words."""
    rows = _summary("alexnet").rows
    convs = [r for r in rows if r.kind == "Conv"]
    dense = [r for r in rows if r.kind == "Linear"]
    first = convs[0].layer
    return (f"{len(convs)} convolutions (the first {first.k}×{first.k} with stride {first.stride}) and {len(dense)} "
            f"dense layers")


@fact("ch07.vgg_stage_channels")
def vgg_stage_channels():
    """VGG-16's channels stage by stage (the output of each stage's last convolution), in words."""
    rows = _summary("vgg16").rows
    stages, last = [], None
    for r in rows:
        if r.kind == "Conv":
            last = r.output[0]
        elif r.kind == "Pool" and last is not None:
            stages.append(format_value(last))
    return _words(stages)


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


def _densenet_block1():
    rows = _summary("densenet121").rows
    first = next(r for r in rows if r.name.startswith("denseblock1."))
    layers = [r for r in rows if r.name.startswith("denseblock1.") and r.kind == "Conv" and r.layer.k == 3]
    return first, layers, rows


@fact("ch07.densenet_in")
def densenet_in():
    """Channels entering DenseNet-121's first dense block."""
    return _densenet_block1()[0].output[0]


@fact("ch07.densenet_growth")
def densenet_growth():
    """Channels each layer of a dense block adds (the growth rate)."""
    return _densenet_block1()[1][0].output[0]


@fact("ch07.densenet_channels")
def densenet_channels():
    """Channels at the end of DenseNet-121's first dense block (the input of its first transition)."""
    rows = _summary("densenet121").rows
    return next(r.output[0] for r in rows if r.name.startswith("transition1"))


@claim("ch07.densenet_growth_adds_up")
def densenet_growth_adds_up():
    first, layers, _ = _densenet_block1()
    expect(first.output[0] + len(layers) * layers[0].output[0] == densenet_channels(),
           "every layer of DenseNet-121's first block adds the growth rate to the channels")
    return ""


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


@fact("ch07.bottleneck_ratio")
def bottleneck_ratio():
    from cnnbook import shapes

    basic = 2 * shapes.conv2d_params(256, 256, 3, bias=False)
    bottleneck = (shapes.conv2d_params(256, 64, 1, bias=False) + shapes.conv2d_params(64, 64, 3, bias=False)
                  + shapes.conv2d_params(64, 256, 1, bias=False))
    return basic / bottleneck


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


@fact("ch07.digits")
def digits_total():
    return train_size() + test_size()


@fact("ch07.train_per_class")
def train_per_class():
    counts = np.bincount(_digits().y_train)
    expect(counts.min() == counts.max(), "every digit has as many training images")
    return int(counts[0])


@fact("ch07.test_per_class")
def test_per_class():
    counts = np.bincount(_digits().y_test)
    expect(counts.min() == counts.max(), "every digit has as many test images")
    return int(counts[0])


@fact("ch07.per_class")
def per_class():
    return train_per_class() + test_per_class()


@fact("ch07.image_size")
def image_size():
    h, w = _digits().x_train.shape[-2:]
    return f"{h}×{w}"
