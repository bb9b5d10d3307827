"""Numbers, tables and claims of chapter 8, "Architectures".

The comparisons the chapter draws from its seeded depth study are claims (:mod:`cnnbook.claims`): each reads every
seed's value and either states the difference the rule supports or fails the build. The catalogue's numbers are
computed from the layer specifications of :mod:`cnnbook.models`.
"""

from __future__ import annotations

import numpy as np

from cnnbook import models
from cnnbook.analysis.ch08 import MODERN_MODELS, PUBLISHED_MODELS, depth_run
from cnnbook.claims import compare, expect
from cnnbook.facts import claim, fact, format_value, table
from cnnbook.formatting import join_words

SPREAD = "within the run-to-run spread of"


@fact("ch08.machine")
def machine():
    return depth_run()["machine"]


@fact("ch08.seeds")
def seeds():
    return len(depth_run()["seeds"])


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
        fact(f"ch08.{_kind}{_depth}_loss")(lambda key=f"{_kind}-{_depth}": float(np.mean(_final_losses(key))))
        fact(f"ch08.{_kind}{_depth}_accuracy")(lambda key=f"{_kind}-{_depth}": _training(key)["test_accuracy"])


@fact("ch08.depth_steps")
def depth_steps():
    return depth_run()["steps"]


@fact("ch08.depths")
def depths():
    return join_words(depth_run()["depths"])


@fact("ch08.train_depths")
def train_depths():
    return join_words(depth_run()["train_depths"])


@fact("ch08.deep")
def deep():
    """The deepest stack trained."""
    return max(depth_run()["train_depths"])


@fact("ch08.shallow")
def shallow():
    return min(depth_run()["train_depths"])


@fact("ch08.depth_channels")
def depth_channels():
    """Channels of the three stages of the depth study's stacks, in words: ``'8, 16 and 32'``."""
    from cnnbook.models import spec

    rows = spec.summary(models.resnet_small(depth=8, width=0.5), (1, 14, 14)).rows
    return join_words(sorted({r.output[0] for r in rows if r.kind == "Conv"}))


@fact("ch08.depth_image")
def depth_image():
    """The side of the averaged-down digits of the depth study, as ``'14×14'``."""
    from cnnbook.experiments.depth import _digits14

    side = _digits14().x_train.shape[-1]
    return f"{side}×{side}"


@fact("ch08.shortcut_params")
def shortcut_params():
    """Parameters the residual stack of the deepest depth has beyond its plain twin (the 1×1 projections)."""
    d = deep()
    return _training(f"residual-{d}")["params"] - _training(f"plain-{d}")["params"]


@fact("ch08.shortcut_share")
def shortcut_share():
    d = deep()
    return shortcut_params() / _training(f"plain-{d}")["params"]


@fact("ch08.depth_seconds")
def depth_seconds():
    return sum(v["seconds"] for v in depth_run()["training"].values())


def _gradients(key):
    """Each seed's gradient norms, layer by layer (input to output)."""
    return np.asarray(depth_run()["gradients_by_seed"][key])


@claim("ch08.plain_nobn_shrinks")
def plain_nobn_shrinks():
    """Without BN, the plain deep stack's gradients are smaller than the shallow stack's, by over ten in every seed."""
    deep_, shallow_ = deep(), shallow()
    ratio = np.median(_gradients(f"plain-{shallow_}, no BN"), axis=1) / np.median(_gradients(f"plain-{deep_}, no BN"), axis=1)
    expect(np.all(ratio > 10), f"without BN the median gradient of the plain {deep_}-layer stack is over ten times "
                               f"smaller than the {shallow_}-layer stack's in every seed (ratios {ratio})")
    return f"{ratio.min():.0f} to {ratio.max():.0f} times smaller"


@claim("ch08.residual_nobn_grows")
def residual_nobn_grows():
    """Without BN, the residual deep stack's gradients are larger than the shallow one's, by over ten in every seed."""
    deep_, shallow_ = deep(), shallow()
    ratio = (np.median(_gradients(f"residual-{deep_}, no BN"), axis=1) /
             np.median(_gradients(f"residual-{shallow_}, no BN"), axis=1))
    expect(np.all(ratio > 10), f"without BN the median gradient of the residual {deep_}-layer stack is over ten times "
                               f"the {shallow_}-layer stack's in every seed (ratios {ratio})")
    return f"{ratio.min():.0f} to {ratio.max():.0f} times larger"


@claim("ch08.residual_bn_tames")
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


@claim("ch08.bn_plain_explodes")
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


@claim("ch08.bn_residual_milder")
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


@claim("ch08.degradation")
def degradation():
    """With BN, the plain deep stack ends training at a higher loss than the plain shallow one."""
    return compare(_final_losses(f"plain-{deep()}"), _final_losses(f"plain-{shallow()}"), unit="").expect(
        "above", "the plain deep stack ends at a higher training loss than the plain shallow one")


@claim("ch08.shortcuts_fix_depth")
def shortcuts_fix_depth():
    """With BN, the residual deep stack ends at a lower loss and a higher test accuracy than its plain twin."""
    d = deep()
    loss = compare(_final_losses(f"residual-{d}"), _final_losses(f"plain-{d}"), unit="").expect(
        "below", "the residual deep stack ends at a lower training loss than the plain one")
    acc = compare(_accuracies(f"residual-{d}"), _accuracies(f"plain-{d}")).expect(
        "above", "the residual deep stack ends at a higher test accuracy than the plain one")
    return f"loss lower {loss}; test accuracy higher {acc}"


@claim("ch08.residual_deep_vs_shallow")
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


for _name in ("lenet5", "alexnet", "nin", "vgg16", "googlenet", "googlenet_torchvision", "resnet18", "resnet50",
              "resnext50", "densenet121", "mobilenet_v1", "mobilenet_v2", "efficientnet_b0", "mobilenet_v3_large",
              "convnext_tiny"):
    fact(f"ch08.{_name}_params")(lambda name=_name: _summary(name).params)
    fact(f"ch08.{_name}_gmacs")(lambda name=_name: round(_summary(name).macs / 1e9, 2))


@fact("ch08.alexnet_layers")
def alexnet_layers():
    """AlexNet's convolutions and dense layers, and its first kernel and stride, in words."""
    rows = _summary("alexnet").rows
    convs = [r for r in rows if r.kind == "Conv"]
    dense = [r for r in rows if r.kind == "Linear"]
    first = convs[0].layer
    return (f"{len(convs)} convolutions (the first {first.k}×{first.k} with stride {first.stride}) and {len(dense)} "
            f"dense layers")


@fact("ch08.vgg_stage_channels")
def vgg_stage_channels():
    """VGG-16's channels stage by stage (the output of each stage's last convolution), in words."""
    rows = _summary("vgg16").rows
    stages, last = [], None
    for r in rows:
        if r.kind == "Conv":
            last = r.output[0]
        elif r.kind == "Pool" and last is not None:
            stages.append(format_value(last))
    return join_words(stages)


@fact("ch08.vgg_fc_share")
def vgg_fc_share():
    return _summary("vgg16").share("Linear")


@fact("ch08.vgg_first_fc")
def vgg_first_fc():
    return next(r.params for r in _summary("vgg16").rows if r.kind == "Linear")


@fact("ch08.vgg_conv_macs_share")
def vgg_conv_macs_share():
    return _summary("vgg16").share("Conv", "macs")


@fact("ch08.alexnet_vs_googlenet")
def alexnet_vs_googlenet():
    return _summary("alexnet").params / _summary("googlenet").params


@fact("ch08.resnet50_vs_vgg_macs")
def resnet50_vs_vgg_macs():
    return _summary("vgg16").macs / _summary("resnet50").macs


@fact("ch08.googlenet_1x1_share")
def googlenet_1x1_share():
    """Share of GoogLeNet's (paper) convolution weights in 1×1 convolutions."""
    rows = [r for r in _summary("googlenet").rows if r.kind == "Conv"]
    return sum(r.params for r in rows if r.layer.k == 1) / sum(r.params for r in rows)


def _densenet_block1():
    rows = _summary("densenet121").rows
    first = next(r for r in rows if r.name.startswith("denseblock1."))
    layers = [r for r in rows if r.name.startswith("denseblock1.") and r.kind == "Conv" and r.layer.k == 3]
    return first, layers, rows


@fact("ch08.densenet_in")
def densenet_in():
    """Channels entering DenseNet-121's first dense block."""
    return _densenet_block1()[0].output[0]


@fact("ch08.densenet_growth")
def densenet_growth():
    """Channels each layer of a dense block adds (the growth rate)."""
    return _densenet_block1()[1][0].output[0]


@fact("ch08.densenet_channels")
def densenet_channels():
    """Channels at the end of DenseNet-121's first dense block (the input of its first transition)."""
    rows = _summary("densenet121").rows
    return next(r.output[0] for r in rows if r.name.startswith("transition1"))


@claim("ch08.densenet_growth_adds_up")
def densenet_growth_adds_up():
    first, layers, _ = _densenet_block1()
    expect(first.output[0] + len(layers) * layers[0].output[0] == densenet_channels(),
           "every layer of DenseNet-121's first block adds the growth rate to the channels")
    return ""


@table("ch08.catalogue")
def catalogue():
    lines = ["| network | year | variant counted | parameters | multiply-accumulates | activations per image "
             "| receptive field |",
             "| --- | ---: | --- | ---: | ---: | ---: | ---: |"]
    for name in ("lenet5",) + PUBLISHED_MODELS + ("googlenet_torchvision",) + MODERN_MODELS:
        info, table_ = models.MODELS[name], _summary(name)
        macs = f"{table_.macs / 1e9:.2f} G" if table_.macs > 1e8 else f"{table_.macs / 1e6:.2f} M"
        lines.append(f"| {info.title} | {info.year} | {info.variant} | {format_value(table_.params)} | {macs} "
                     f"| {format_value(table_.activations)} | {table_.rf} |")
    return "\n".join(lines)


def _macs_ratio(a, b):
    return _summary(a).macs / _summary(b).macs


@fact("ch08.v1_vs_v2_macs")
def v1_vs_v2_macs():
    return _macs_ratio("mobilenet_v1", "mobilenet_v2")


@fact("ch08.v2_vs_v3_macs")
def v2_vs_v3_macs():
    return _macs_ratio("mobilenet_v2", "mobilenet_v3_large")


@fact("ch08.resnet50_vs_b0_macs")
def resnet50_vs_b0_macs():
    return _macs_ratio("resnet50", "efficientnet_b0")


@fact("ch08.resnext_groups")
def resnext_groups():
    """The groups of ResNeXt-50's grouped 3×3 convolutions (its cardinality)."""
    groups = {r.layer.groups for r in _summary("resnext50").rows if r.kind == "Conv" and r.layer.groups > 1}
    assert len(groups) == 1, groups
    return groups.pop()


@fact("ch08.mobilenet_v2_expansion")
def mobilenet_v2_expansion():
    """How many times an inverted residual block of MobileNetV2 widens its input (all but the first block)."""
    expansions = {stage[0] for stage in models.catalogue.MOBILENET_V2_STAGES[1:]}
    assert len(expansions) == 1, expansions
    return expansions.pop()


@fact("ch08.convnext_blocks")
def convnext_blocks():
    return join_words(blocks for _, blocks in models.catalogue.CONVNEXT_T_STAGES)


def _convnext_convs():
    return [r for r in _summary("convnext_tiny").rows if r.kind == "Conv"]


@fact("ch08.convnext_patch")
def convnext_patch():
    """The side of the patches ConvNeXt's stem cuts: its first convolution's kernel, which equals its stride."""
    stem = _convnext_convs()[0].layer
    assert stem.k == stem.stride, stem
    return stem.k


@fact("ch08.convnext_kernel")
def convnext_kernel():
    """The kernel of ConvNeXt's depthwise convolutions."""
    kernels = {r.layer.k for r in _convnext_convs() if r.layer.groups != 1}
    assert len(kernels) == 1, kernels
    return kernels.pop()


@fact("ch08.convnext_expansion")
def convnext_expansion():
    """How many times wider the inside of a ConvNeXt block is: its first 1×1 convolution's output over its input."""
    convs = _convnext_convs()
    i = next(i for i, r in enumerate(convs) if r.layer.groups != 1)  # the first block's depthwise convolution
    widen = convs[i + 1]
    ratio, rest = divmod(widen.output[0], convs[i].output[0])
    assert rest == 0, (widen.output, convs[i].output)
    return ratio


@fact("ch08.bottleneck_ratio")
def bottleneck_ratio():
    from cnnbook import shapes

    basic = 2 * shapes.conv2d_params(256, 256, 3, bias=False)
    bottleneck = (shapes.conv2d_params(256, 64, 1, bias=False) + shapes.conv2d_params(64, 64, 3, bias=False)
                  + shapes.conv2d_params(64, 256, 1, bias=False))
    return basic / bottleneck
