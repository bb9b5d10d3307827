"""Numbers and tables of chapter 4, "Channels"."""

from __future__ import annotations

import itertools
import math

import numpy as np

from cnnbook import functional, shapes
from cnnbook.facts import fact, format_value, table
from cnnbook.figures.ch04 import (
    backbone_layers,
    cost_measurements,
    sharing_equivariance,
    stage_shapes,
    training_memory,
)


@fact("ch04.params_64_128")
def params_64_128():
    return shapes.conv2d_params(64, 128, 3)


@fact("ch04.params_256_256")
def params_256_256():
    return shapes.conv2d_params(256, 256, 3)


#: Layers whose parameters the chapter counts: (what it is, C in, C out, k, input side).
LAYERS = (("first layer of a VGG net, RGB in", 3, 64, 3, 224), ("the seeds' example", 64, 128, 3, 112),
          ("a ResNet stage-3 layer", 256, 256, 3, 14), ("VGG-16's widest layers", 512, 512, 3, 14),
          ("AlexNet's first layer", 3, 96, 11, 227))


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


def _bottleneck_rows():
    side, c = 56, 256
    shape = (c, side, side)
    plain = 2 * shapes.conv2d_params(c, c, 3, bias=False), 2 * shapes.conv2d_macs(shape, c, 3, padding=1)
    bottle_params = (shapes.conv2d_params(c, 64, 1, bias=False) + shapes.conv2d_params(64, 64, 3, bias=False)
                     + shapes.conv2d_params(64, c, 1, bias=False))
    bottle_macs = (shapes.conv2d_macs(shape, 64, 1) + shapes.conv2d_macs((64, side, side), 64, 3, padding=1)
                   + shapes.conv2d_macs((64, side, side), c, 1))
    inception_shape = (192, 28, 28)
    direct = shapes.conv2d_params(192, 32, 5, bias=False), shapes.conv2d_macs(inception_shape, 32, 5, padding=2)
    reduced = (shapes.conv2d_params(192, 16, 1, bias=False) + shapes.conv2d_params(16, 32, 5, bias=False),
               shapes.conv2d_macs(inception_shape, 16, 1) + shapes.conv2d_macs((16, 28, 28), 32, 5, padding=2))
    return [("two 3×3 convs, 256 → 256 → 256 (56×56)", *plain),
            ("ResNet-50 bottleneck: 1×1 256 → 64, 3×3 64 → 64, 1×1 64 → 256", bottle_params, bottle_macs),
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


@fact("ch04.mobilenet_params")
def mobilenet_params():
    return _mobilenet_total(True, 1)


@fact("ch04.mobilenet_macs_millions")
def mobilenet_macs_millions():
    return _mobilenet_total(True, 2) / 1e6


@fact("ch04.conv_mobilenet_params")
def conv_mobilenet_params():
    return _mobilenet_total(False, 1)


@fact("ch04.conv_mobilenet_macs_millions")
def conv_mobilenet_macs_millions():
    return _mobilenet_total(False, 2) / 1e6


def _cost(kind, label):
    return cost_measurements()[kind][label][-1]


@fact("ch04.widest")
def widest():
    return cost_measurements()["channels"][-1]


@fact("ch04.separable_mac_ratio")
def separable_mac_ratio():
    return _cost("macs", "standard 3×3") / _cost("macs", "depthwise separable")


@fact("ch04.separable_time_ratio")
def separable_time_ratio():
    return _cost("seconds", "standard 3×3") / _cost("seconds", "depthwise separable")


@fact("ch04.grouped_time_ratio")
def grouped_time_ratio():
    label = next(k for k in cost_measurements()["seconds"] if k.startswith("grouped"))
    return _cost("seconds", "standard 3×3") / _cost("seconds", label)


@fact("ch04.separable_limit")
def separable_limit():
    """The MAC ratio's limit for many channels, 1 / (1/C_out + 1/k²) → k²: the weights of one 3×3 slice."""
    return shapes.conv2d_params(1, 1, 3, bias=False)


@table("ch04.stages")
def stages_table():
    lines = ["| stage | after the 3×3 conv (H×W×C) | after the 2×2 pool | activations after the pool | parameters |",
             "| :---: | :---: | :---: | ---: | ---: |"]
    for r in stage_shapes():  # the seeds' stack is the visualizer's default: 224×224×3, 64 channels, 4 stages
        c, conv, pool = r["channels"], r["conv_side"], r["side"]
        lines.append(f"| {r['stage']} | {conv}×{conv}×{c} | {pool}×{pool}×{c} "
                     f"| {format_value(c * pool * pool)} | {format_value(r['params'])} |")
    return "\n".join(lines)


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


@fact("ch04.weights_mib")
def weights_mib():
    return training_memory(1)[0] / 2**20


@fact("ch04.activations_mib_32")
def activations_mib_32():
    return training_memory(32)[1] / 2**20


@fact("ch04.crossover_batch")
def crossover_batch():
    """The smallest batch at which stored activations outweigh weights, gradients and momentum."""
    weights, per_image = training_memory(1)
    return math.floor(weights / per_image) + 1


def _sharing(label, key="params"):
    return sharing_equivariance()["layers"][label][key]


@fact("ch04.local_params")
def local_params():
    return _sharing("locally connected")


@fact("ch04.conv_params_small")
def conv_params_small():
    return _sharing("convolution (shared)")


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
    c_in, c_out, k, side = 3, 16, 5, 32
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
