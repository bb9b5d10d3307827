"""Numbers and tables of chapter 4, "Channels"."""

from __future__ import annotations

import itertools
import math

import numpy as np

from cnnbook import functional, shapes
from cnnbook.analysis.ch04 import (
    LOCAL_EXAMPLE,
    MEMORY_BATCH,
    SHARING_SIZE,
    STAGES,
    VGG16_FEATURES,
    VGG16_INPUT,
    backbone_layers,
    cost_measurements,
    sharing_equivariance,
    stage_shapes,
    training_memory,
)
from cnnbook.claims import compare, expect
from cnnbook.experiments.layer_costs import GROUPS, LABELS, SIZE
from cnnbook.facts import claim, computed, fact, format_value, table

STANDARD, GROUPED, SEPARABLE = LABELS


def _side(side):
    return f"{side}×{side}"


# ---- 4.1 the weight tensor and what a layer costs ----

@fact("ch04.vgg_first_width")
def vgg_first_width():
    return next(c for kind, c in VGG16_FEATURES if kind == "conv")


@fact("ch04.vgg_last_width")
def vgg_last_width():
    return [c for kind, c in VGG16_FEATURES if kind == "conv"][-1]


#: Layers whose parameters the chapter counts: (what it is, C in, C out, k, input side).
LAYERS = (("first layer of a VGG net, RGB in", 3, 64, 3, 224), ("a VGG layer of the second stage", 64, 128, 3, 112),
          ("a ResNet stage-3 layer", 256, 256, 3, 14), ("VGG-16's widest layers", 512, 512, 3, 14),
          ("AlexNet's first layer", 3, 96, 11, 227))
#: The two rows of LAYERS the text compares: a narrow layer and a wide one.
NARROW_ROW, WIDE_ROW = LAYERS[1], LAYERS[2]


@fact("ch04.narrow_layer")
def narrow_layer():
    return f"{NARROW_ROW[1]} to {NARROW_ROW[2]}"


@fact("ch04.wide_layer")
def wide_layer():
    return f"{WIDE_ROW[1]} to {WIDE_ROW[2]}"


@fact("ch04.params_narrow")
def params_narrow():
    return shapes.conv2d_params(NARROW_ROW[1], NARROW_ROW[2], NARROW_ROW[3])


@fact("ch04.params_wide")
def params_wide():
    return shapes.conv2d_params(WIDE_ROW[1], WIDE_ROW[2], WIDE_ROW[3])


@fact("ch04.params_wide_ratio")
def params_wide_ratio():
    """How many times the wide layer's parameters the narrow one's: close to the product of the channel ratios."""
    return params_wide() / params_narrow()


@fact("ch04.channel_product_ratio")
def channel_product_ratio():
    return (WIDE_ROW[1] * WIDE_ROW[2]) / (NARROW_ROW[1] * NARROW_ROW[2])


@table("ch04.layers")
def layers_table():
    lines = ["| layer | weight shape (C_out, C_in, k, k) | parameters (k·k·C_in + 1)·C_out | MACs per image |",
             "| --- | :---: | ---: | ---: |"]
    for name, c_in, c_out, k, side in LAYERS:
        stride, pad = (4, 0) if k == 11 else (1, 1)
        macs = shapes.conv2d_macs((c_in, side, side), c_out, k, stride, pad)
        out = shapes.conv_output_size(side, k, stride, pad)
        lines.append(f"| {name}, {c_in} → {c_out}, {k}×{k} on {side}×{side} → {out}×{out} "
                     f"| ({c_out}, {c_in}, {k}, {k}) | {format_value(shapes.conv2d_params(c_in, c_out, k))} "
                     f"| {format_value(macs)} |")
    return "\n".join(lines)


@fact("ch04.pointwise_error")
def pointwise_error():
    """Largest difference between a 1×1 conv and the per-pixel matrix product, on random data."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 64, 14, 14))
    w = rng.standard_normal((32, 64, 1, 1))
    by_matmul = np.einsum("oc,nchw->nohw", w[:, :, 0, 0], x)
    return float(np.abs(functional.conv2d(x, w) - by_matmul).max())


#: ResNet-50's first bottleneck block (He et al. 2016): the channels it carries, those its 3×3 layer works at,
#: and its map's side.
BOTTLENECK_WIDE, BOTTLENECK_NARROW, BOTTLENECK_SIDE = 256, 64, 56


@fact("ch04.bottleneck_wide")
def bottleneck_wide():
    return BOTTLENECK_WIDE


@fact("ch04.bottleneck_narrow")
def bottleneck_narrow():
    return BOTTLENECK_NARROW


def _bottleneck_rows():
    side, c, n = BOTTLENECK_SIDE, BOTTLENECK_WIDE, BOTTLENECK_NARROW
    shape = (c, side, side)
    plain = 2 * shapes.conv2d_params(c, c, 3, bias=False), 2 * shapes.conv2d_macs(shape, c, 3, padding=1)
    bottle_params = (shapes.conv2d_params(c, n, 1, bias=False) + shapes.conv2d_params(n, n, 3, bias=False)
                     + shapes.conv2d_params(n, c, 1, bias=False))
    bottle_macs = (shapes.conv2d_macs(shape, n, 1) + shapes.conv2d_macs((n, side, side), n, 3, padding=1)
                   + shapes.conv2d_macs((n, side, side), c, 1))
    inception_shape = (192, 28, 28)
    direct = shapes.conv2d_params(192, 32, 5, bias=False), shapes.conv2d_macs(inception_shape, 32, 5, padding=2)
    reduced = (shapes.conv2d_params(192, 16, 1, bias=False) + shapes.conv2d_params(16, 32, 5, bias=False),
               shapes.conv2d_macs(inception_shape, 16, 1) + shapes.conv2d_macs((16, 28, 28), 32, 5, padding=2))
    return [(f"two 3×3 convs, {c} → {c} → {c} ({side}×{side})", *plain),
            (f"ResNet-50 bottleneck: 1×1 {c} → {n}, 3×3 {n} → {n}, 1×1 {n} → {c}", bottle_params, bottle_macs),
            ("Inception 3a, 5×5 branch directly: 192 → 32 (28×28)", *direct),
            ("the same with a 1×1 reduction first: 192 → 16 → 32", *reduced)]


@table("ch04.bottleneck")
def bottleneck_table():
    lines = ["| block (no biases: batch normalization follows) | weights | MACs per image |",
             "| --- | ---: | ---: |"]
    for name, params, macs in _bottleneck_rows():
        lines.append(f"| {name} | {format_value(params)} | {format_value(macs)} |")
    return "\n".join(lines)


@fact("ch04.bottleneck_saving")
def bottleneck_saving():
    rows = _bottleneck_rows()
    return rows[0][1] / rows[1][1]


@fact("ch04.inception_saving")
def inception_saving():
    rows = _bottleneck_rows()
    return rows[2][2] / rows[3][2]


#: MobileNet v1's 13 depthwise separable layers: (C in, C out, stride); a 3×3 stride-2 conv 3 → 32 comes first.
MOBILENET_V1 = ((32, 64, 1), (64, 128, 2), (128, 128, 1), (128, 256, 2), (256, 256, 1), (256, 512, 2),
                *((512, 512, 1),) * 5, (512, 1024, 2), (1024, 1024, 1))


def mobilenet_v1(separable=True, side=224, classes=1000):
    """Per layer of MobileNet v1 (width 1.0): (label, parameters, MACs), without biases (batch norm follows).

    ``separable=False`` gives the "conv MobileNet" of Howard et al. (2017), Table 4:
    the same network with each separable pair replaced by a full 3×3 convolution.
    """
    rows = [("conv 3×3/2, 3 → 32", shapes.conv2d_params(3, 32, 3, bias=False),
             shapes.conv2d_macs((3, side, side), 32, 3, 2, 1))]
    side = shapes.conv_output_size(side, 3, 2, 1)
    for c_in, c_out, stride in MOBILENET_V1:
        label = f"{side}×{side}, {c_in} → {c_out}" + (", stride 2" if stride == 2 else "")
        out = shapes.conv_output_size(side, 3, stride, 1)
        if separable:
            params = (shapes.conv2d_params(c_in, c_in, 3, bias=False, groups=c_in)
                      + shapes.conv2d_params(c_in, c_out, 1, bias=False))
            macs = (shapes.conv2d_macs((c_in, side, side), c_in, 3, stride, 1, groups=c_in)
                    + shapes.conv2d_macs((c_in, out, out), c_out, 1))
        else:
            params = shapes.conv2d_params(c_in, c_out, 3, bias=False)
            macs = shapes.conv2d_macs((c_in, side, side), c_out, 3, stride, 1)
        rows.append((label, params, macs))
        side = out
    rows.append((f"global average pool, dense 1024 → {classes}", shapes.linear_params(1024, classes), 1024 * classes))
    return rows


@table("ch04.mobilenet")
def mobilenet_table():
    lines = ["| layer | standard 3×3: weights | MACs | depthwise separable: weights | MACs | MAC ratio |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    pairs = list(zip(mobilenet_v1(False), mobilenet_v1(True)))
    for key, group in itertools.groupby(pairs):
        (label, p_std, m_std), (_, p_sep, m_sep) = key
        repeats = len(list(group))
        label += f" (× {repeats}, each)" if repeats > 1 else ""
        lines.append(f"| {label} | {format_value(p_std)} | {format_value(m_std)} | {format_value(p_sep)} "
                     f"| {format_value(m_sep)} | {m_std / m_sep:.1f}× |")
    std, sep = mobilenet_v1(False), mobilenet_v1(True)
    totals = [sum(r[i] for r in rows) for rows in (std, sep) for i in (1, 2)]
    lines.append(f"| **whole network** | **{format_value(totals[0])}** | **{format_value(totals[1])}** "
                 f"| **{format_value(totals[2])}** | **{format_value(totals[3])}** | **{totals[1] / totals[3]:.1f}×** |")
    return "\n".join(lines)


def _mobilenet_total(separable, column):
    return sum(row[column] for row in mobilenet_v1(separable))


#: What Howard et al. (2017), Table 4, report for MobileNet and "conv MobileNet": parameters and MACs in millions,
#: and the ImageNet top-1 accuracy of each, in percent.
PAPER_MOBILENET = {"separable": {"params": 4.2, "macs": 569, "accuracy": 70.6},
                   "standard": {"params": 29.3, "macs": 4866, "accuracy": 71.7}}


@fact("ch04.paper_mobilenet")
def paper_mobilenet():
    paper = PAPER_MOBILENET["separable"]
    return f"{paper['params']} million parameters and {paper['macs']:,} million MACs"


@fact("ch04.paper_conv_mobilenet")
def paper_conv_mobilenet():
    paper = PAPER_MOBILENET["standard"]
    return f"{paper['params']} million parameters and {paper['macs']:,} million MACs"


@fact("ch04.paper_accuracy_cost")
def paper_accuracy_cost():
    """Percentage points of ImageNet top-1 accuracy the paper lost by making the layers separable."""
    return round(PAPER_MOBILENET["standard"]["accuracy"] - PAPER_MOBILENET["separable"]["accuracy"], 1)


@claim("ch04.mobilenet_matches_paper")
def mobilenet_matches_paper():
    """Our counts round to the paper's: both totals of MobileNet, and conv MobileNet's without its dense layer."""
    dense = mobilenet_v1(False)[-1][2]
    ours = {"separable": (_mobilenet_total(True, 1), _mobilenet_total(True, 2)),
            "standard": (_mobilenet_total(False, 1), _mobilenet_total(False, 2) - dense)}
    for kind, (params, macs) in ours.items():
        paper = PAPER_MOBILENET[kind]
        expect(round(params / 1e6, 1) == paper["params"] and round(macs / 1e6) == paper["macs"],
               f"{kind} MobileNet: our {params:,} parameters and {macs:,} MACs round to the paper's "
               f"{paper['params']} and {paper['macs']} million")
    return ""


@fact("ch04.mobilenet_layers")
def mobilenet_layers():
    return len(MOBILENET_V1)


def _millions(value):
    return f"{value / 1e6:,.0f} million"


@fact("ch04.mobilenet_params")
def mobilenet_params():
    return _mobilenet_total(True, 1)


@fact("ch04.mobilenet_macs_millions")
def mobilenet_macs_millions():
    return _millions(_mobilenet_total(True, 2))


@fact("ch04.conv_mobilenet_params")
def conv_mobilenet_params():
    return _mobilenet_total(False, 1)


@fact("ch04.conv_mobilenet_macs_millions")
def conv_mobilenet_macs_millions():
    return _millions(_mobilenet_total(False, 2))


@fact("ch04.mobilenet_dense_macs")
def mobilenet_dense_macs():
    return mobilenet_v1(False)[-1][2]


@fact("ch04.mobilenet_mac_ratio")
def mobilenet_mac_ratio():
    """How many times fewer MACs the separable MobileNet needs than the standard one."""
    return _mobilenet_total(False, 2) / _mobilenet_total(True, 2)


def _cost(kind, label):
    return cost_measurements()[kind][label][-1]


def _rounds(label):
    """Seconds of each timed round of layer ``label`` at the widest channel count."""
    return cost_measurements()["rounds"][label][-1]


@fact("ch04.widest")
def widest():
    return cost_measurements()["channels"][-1]


@fact("ch04.groups")
def groups():
    return GROUPS


@fact("ch04.cost_map")
def cost_map():
    return _side(SIZE)


@fact("ch04.cost_rounds")
def cost_rounds():
    return cost_measurements()["repeat"]


@fact("ch04.separable_mac_ratio")
def separable_mac_ratio():
    return _cost("macs", STANDARD) / _cost("macs", SEPARABLE)


@fact("ch04.grouped_mac_ratio")
def grouped_mac_ratio():
    return _cost("macs", STANDARD) / _cost("macs", GROUPED)


def _larger_first(a, b):
    """The unpaired comparison of ``a`` and ``b`` with the larger mean first, so that its ratio reads 1 or more."""
    a, b = (a, b) if np.mean(a) >= np.mean(b) else (b, a)
    return compare(a, b, paired=False, unit="times")


def _timing(slower, faster, what, than):
    """Run-chosen words for "``what`` ran faster/slower than ``than``", from unpaired rounds (ranges must not overlap).

    ``slower`` and ``faster`` are the rounds of the side expected to be slower and of the other side; each outcome
    of the book's rule gives its own words, so the sentence stays true whatever a later build measures.
    """
    c = compare(slower, faster, paired=False, unit="times")
    if c.verdict == "above":
        return f"{what} ran faster than {than}, {c.evidence()}"
    if c.verdict == "below":
        return f"{what} ran slower than {than}, {compare(faster, slower, paired=False, unit='times').evidence()}"
    return f"{what} was not measurably faster or slower than {than}: {_larger_first(slower, faster).evidence()}"


@claim("ch04.separable_faster")
def separable_faster():
    """The standard layer took longer than the separable one in every round, at the widest setting."""
    return compare(_rounds(STANDARD), _rounds(SEPARABLE), paired=False, unit="times").expect(
        "above", "the depthwise separable layer runs faster than the standard one at the widest setting")


@claim("ch04.grouped_timing")
def grouped_timing():
    """Whether the grouped layer ran faster than the standard one at the widest setting, in the run's own words."""
    return _timing(_rounds(STANDARD), _rounds(GROUPED), "it", "the standard one")


@claim("ch04.separable_per_mac")
def separable_per_mac():
    """Seconds per MAC of the separable layer against the standard one, round by round, at the widest setting.

    The separable layer's speed-up falls short of its MAC ratio exactly when it spends more time per MAC than the
    standard layer; the run chooses which of the three sentences the page shows.
    """
    per_mac = {label: np.array(_rounds(label)) / _cost("macs", label) for label in (STANDARD, SEPARABLE)}
    c = compare(per_mac[SEPARABLE], per_mac[STANDARD], paired=False, unit="times")
    if c.verdict == "above":
        return (f"took longer than the standard one, {c.evidence()}: its speed-up fell short of what the "
                "count promises")
    if c.verdict == "below":
        reverse = compare(per_mac[STANDARD], per_mac[SEPARABLE], paired=False, unit="times")
        return (f"took less time than the standard one, {reverse.evidence()}: its speed-up exceeded what the "
                "count promises")
    within = _larger_first(per_mac[SEPARABLE], per_mac[STANDARD])
    return (f"was not measurably slower or faster than the standard one ({within.evidence()}): the rounds cannot tell "
            "its speed-up from what the count promises")


@fact("ch04.separable_limit")
def separable_limit():
    """The MAC ratio's limit for many channels, 1 / (1/C_out + 1/k²) → k²: the weights of one 3×3 slice."""
    return shapes.conv2d_params(1, 1, 3, bias=False)


@table("ch04.stages")
def stages_table():
    lines = ["| stage | after the 3×3 conv (H×W×C) | after the 2×2 pool | activations after the pool | parameters |",
             "| :---: | :---: | :---: | ---: | ---: |"]
    for r in stage_shapes():  # the visualizer's default stack (figures.ch04.STAGES)
        c, conv, pool = r["channels"], r["conv_side"], r["side"]
        lines.append(f"| {r['stage']} | {conv}×{conv}×{c} | {pool}×{pool}×{c} "
                     f"| {format_value(c * pool * pool)} | {format_value(r['params'])} |")
    return "\n".join(lines)


@fact("ch04.stage_count")
def stage_count():
    return STAGES["stages"]


@fact("ch04.stage_input")
def stage_input():
    return _side(STAGES["input_size"])


@fact("ch04.stage_first_conv")
def stage_first_conv():
    first = stage_shapes()[0]
    return f"{_side(first['conv_side'])}×{first['channels']}"


@fact("ch04.stage_last")
def stage_last():
    last = stage_shapes()[-1]
    return f"{_side(last['side'])}×{last['channels']}"


@fact("ch04.pool_positions")
def pool_positions():
    """How many times fewer positions a pool leaves: the window's area, since stride equals window."""
    return STAGES["pool"] ** 2


@claim("ch04.constant_work")
def constant_work():
    """A C → C 3×3 layer at each stage's resolution costs the same MACs at every stage; its parameters grow."""
    rows = stage_shapes()
    macs = [shapes.conv2d_macs((r["channels"], r["conv_side"], r["conv_side"]), r["channels"], STAGES["kernel"],
                               padding=STAGES["kernel"] // 2) for r in rows]
    expect(len(set(macs)) == 1, f"a C → C layer costs the same at every stage; got {macs}")
    return ""


@fact("ch04.stage_shrink")
def stage_shrink():
    """How many times fewer activations leave each stage than the one before (channels ×2, positions ÷4)."""
    first, second = stage_shapes()[:2]
    return (first["channels"] * first["side"] ** 2) / (second["channels"] * second["side"] ** 2)


def _vgg_totals():
    rows = backbone_layers()
    return rows, sum(r["activations"] for r in rows), sum(r["params"] for r in rows)


@fact("ch04.vgg_activations")
def vgg_activations():
    return _vgg_totals()[1]


@fact("ch04.vgg_params")
def vgg_params():
    return _vgg_totals()[2]


@fact("ch04.vgg_first_activations")
def vgg_first_activations():
    return _vgg_totals()[0][0]["activations"]


@fact("ch04.vgg_input")
def vgg_input():
    return _side(VGG16_INPUT[1])


@fact("ch04.vgg_first_params")
def vgg_first_params():
    return _vgg_totals()[0][0]["params"]


def _stage_side(stage):
    return _side(next(r["shape"][1] for r in backbone_layers() if r["name"].startswith(f"conv{stage}_")))


@fact("ch04.vgg_stage4_side")
def vgg_stage4_side():
    return _stage_side(4)


@fact("ch04.vgg_stage5_side")
def vgg_stage5_side():
    return _stage_side(5)


@fact("ch04.vgg_last_params")
def vgg_last_params():
    return max(r["params"] for r in _vgg_totals()[0])


@fact("ch04.vgg_first_stage_share")
def vgg_first_stage_share():
    """Fraction of all activations that the first stage (two convs and a pool at 224×224) produces."""
    rows, total, _ = _vgg_totals()
    return sum(r["activations"] for r in rows[:3]) / total


@fact("ch04.vgg_last_stage_param_share")
def vgg_last_stage_param_share():
    rows, _, total = _vgg_totals()
    return sum(r["params"] for r in rows if r["name"].startswith(("conv4", "conv5"))) / total


@fact("ch04.memory_batch")
def memory_batch():
    return MEMORY_BATCH


@fact("ch04.weights_mib")
def weights_mib():
    return training_memory(1)[0] / 2**20


@fact("ch04.activations_mib_32")
def activations_mib_32():
    return training_memory(MEMORY_BATCH)[1] / 2**20


@fact("ch04.activations_mib_32_mixed")
def activations_mib_32_mixed():
    return training_memory(MEMORY_BATCH, precision="mixed")[1] / 2**20


def _crossover(precision):
    weights, per_image = training_memory(1, precision=precision)
    return math.floor(weights / per_image) + 1


@fact("ch04.crossover_batch")
def crossover_batch():
    """The smallest batch at which stored activations outweigh weights, gradients and momentum."""
    return _crossover("float32")


@fact("ch04.crossover_batch_mixed")
def crossover_batch_mixed():
    return _crossover("mixed")


@claim("ch04.mixed_precision_memory")
def mixed_precision_memory():
    """Mixed precision halves the activations but keeps what training holds per parameter, with momentum or Adam."""
    for optimizer in ("momentum", "adam"):
        full = training_memory(MEMORY_BATCH, optimizer=optimizer)
        mixed = training_memory(MEMORY_BATCH, precision="mixed", optimizer=optimizer)
        expect(mixed[0] == full[0], f"mixed precision keeps as many bytes per parameter as float32 ({optimizer})")
        expect(2 * mixed[1] == full[1], "mixed precision halves the stored activations")
    return ""


@computed("ch04.sharing_equivariance")  # convolutions of a photograph: once per version of the code
def _sharing_measured():
    return sharing_equivariance()


def _sharing(label, key="params"):
    return _sharing_measured()["layers"][label][key]


@fact("ch04.local_params")
def local_params():
    return _sharing("locally connected")


@fact("ch04.conv_params_small")
def conv_params_small():
    return _sharing("convolution (shared)")


@fact("ch04.sharing_photo")
def sharing_photo():
    return _side(SHARING_SIZE)


@claim("ch04.tiled3_period")
def tiled3_period():
    """The 3×3-tiled layer is exact at multiples of 3 and far from equivariant at every other shift."""
    errors = _sharing("tiled, 3×3 tiles", "error")
    exact = [e for t, e in enumerate(errors) if t % 3 == 0]
    off = [e for t, e in enumerate(errors) if t % 3]
    expect(max(exact) < 1e-12 and min(off) > 0.1, f"3×3 tiles: exact only at multiples of 3; errors {errors}")
    return ""


@fact("ch04.local_example_input")
def local_example_input():
    return _side(LOCAL_EXAMPLE["side"])


@fact("ch04.local_example_filters")
def local_example_filters():
    return LOCAL_EXAMPLE["out_channels"]


@fact("ch04.tiled2_odd_error")
def tiled2_odd_error():
    return min(_sharing("tiled, 2×2 tiles", "error")[1::2])


@fact("ch04.tiled2_even_error")
def tiled2_even_error():
    return max(_sharing("tiled, 2×2 tiles", "error")[0::2])


@fact("ch04.local_error")
def local_error():
    return min(_sharing("locally connected", "error")[1:])


@fact("ch04.conv_sharing_error")
def conv_sharing_error():
    return max(_sharing("convolution (shared)", "error"))


@table("ch04.sharing")
def sharing_table():
    c_in, c_out, k, side = (LOCAL_EXAMPLE[key] for key in ("in_channels", "out_channels", "kernel_size", "side"))
    out = shapes.conv_output_size(side, k)
    rows = [("convolution (one shared filter bank)", shapes.conv2d_params(c_in, c_out, k)),
            ("tiled convolution, 2×2 tiles", shapes.tiled_conv2d_params(c_in, c_out, k, 2)),
            ("tiled convolution, 4×4 tiles", shapes.tiled_conv2d_params(c_in, c_out, k, 4)),
            (f"locally connected ({out}×{out} filter banks, unshared biases)",
             shapes.local_conv2d_params(c_in, c_out, k, out)),
            (f"fully connected ({side}·{side}·{c_in} inputs → {out}·{out}·{c_out} outputs)",
             shapes.linear_params(side * side * c_in, out * out * c_out))]
    lines = [f"| layer: {side}×{side}×{c_in} → {out}×{out}×{c_out}, {k}×{k} windows | parameters |", "| --- | ---: |"]
    lines += [f"| {name} | {format_value(params)} |" for name, params in rows]
    return "\n".join(lines)
