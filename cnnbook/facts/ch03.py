"""Numbers and tables of chapter 3, "Pooling and invariance"."""

from __future__ import annotations

import numpy as np

from cnnbook import functional, shapes
from cnnbook.facts import fact, format_value, table
from cnnbook.figures.ch03 import distinguishable_positions, invariance_curves


@fact("ch03.alexnet_pool")
def alexnet_pool():
    """AlexNet's overlapping max pooling: 3×3 windows, stride 2, on its 55×55 first-layer maps."""
    return shapes.pool_output_size(55, 3, stride=2)


def _curve(label, kind="changed"):
    return invariance_curves()["pipelines"][label][kind]


@fact("ch03.photo")
def photo_name():
    return invariance_curves()["photo"]


@fact("ch03.conv_change_1")
def conv_change_1():
    return _curve("conv")[1]


@fact("ch03.max2_change_1")
def max2_change_1():
    return _curve("conv → max pool 2×2")[1]


@fact("ch03.max4_change_1")
def max4_change_1():
    return _curve("conv → max pool 4×4")[1]


@fact("ch03.max4_change_8")
def max4_change_8():
    return _curve("conv → max pool 4×4")[8]


@fact("ch03.strided_change_1")
def strided_change_1():
    return _curve("conv with stride 4")[1]


@fact("ch03.gap_change_max")
def gap_change_max():
    return max(_curve("conv → global average pool"))


@fact("ch03.conv_realigned_max")
def conv_realigned_max():
    return max(_curve("conv", "realigned"))


@fact("ch03.max4_realigned_2")
def max4_realigned_2():
    return _curve("conv → max pool 4×4", "realigned")[2]


#: Heads compared: (network, channels, side of the last feature map, outputs of the first dense layer).
HEADS = (("ResNet-18, 1,000 classes", 512, 7, 1000), ("VGG-16, first dense layer", 512, 7, 4096),
         ("a small CNN, 10 classes", 64, 7, 10))


@table("ch03.heads")
def heads_table():
    lines = ["| last stage | feature map | flatten + dense | global average pool + dense | ratio |",
             "| --- | :---: | ---: | ---: | ---: |"]
    for name, channels, side, outputs in HEADS:
        flat = shapes.linear_params(channels * side * side, outputs)
        gap = shapes.linear_params(channels, outputs)
        lines.append(f"| {name} | {side}×{side}×{channels} | {format_value(flat)} | {format_value(gap)} "
                     f"| {flat / gap:.1f}× |")
    return "\n".join(lines)


@fact("ch03.resnet_flat")
def resnet_flat():
    return shapes.linear_params(512 * 7 * 7, 1000)


@fact("ch03.resnet_gap")
def resnet_gap():
    return shapes.linear_params(512, 1000)


@fact("ch03.vgg_fc")
def vgg_fc():
    return shapes.linear_params(512 * 7 * 7, 4096)


#: Pooling windows compared in the "where" table: (label, kernel_size, stride).
WHERE_POOLS = (("2×2, stride 2", 2, 2), ("3×3, stride 2 (overlapping)", 3, 2), ("4×4, stride 4", 4, 4))


@table("ch03.where")
def where_table():
    lines = ["| max pooling | sharp dot | blurred blob (3×3 Gaussian) |", "| --- | ---: | ---: |"]
    for label, k, s in WHERE_POOLS:
        sharp, blurred = (distinguishable_positions(k, s, blur=b) for b in (False, True))
        lines.append(f"| {label} | {sharp} of 256 | {blurred} of 256 |")
    return "\n".join(lines)


@fact("ch03.avgpool_as_conv_error")
def avgpool_as_conv_error():
    """Largest difference between average pooling and a strided depthwise convolution with weights 1/k²."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 5, 12, 12))
    weight = np.full((5, 1, 2, 2), 0.25)
    by_conv = functional.conv2d(x, weight, stride=2, groups=5)
    return float(np.abs(functional.avg_pool2d(x, 2) - by_conv).max())
