"""Numbers and tables of chapter 6, "Receptive fields"."""

from __future__ import annotations

from cnnbook import shapes
from cnnbook.facts import fact, format_value, table
from cnnbook.figures.ch06 import (
    NETWORKS,
    SEED_STACK,
    model_path,
    effective_fields,
    erf_growth,
    mass_radius,
    network_fields,
)


def _network(name):
    return next(layers for label, _, _, layers in NETWORKS if label == name)


@fact("ch06.seed_size")
def seed_size():
    return network_fields(SEED_STACK)[-1].size


@fact("ch06.seed_jump")
def seed_jump():
    return network_fields(SEED_STACK)[-1].jump


@table("ch06.networks")
def networks_table():
    lines = ["| network | which layers | layers on the path | receptive field r | jump j | effective padding P "
             "| first unit's centre | r / input |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, variant, size, layers in NETWORKS:
        field = network_fields(layers)[-1]
        ratio = f"{field.size / size:.2f}" if size else "–"
        lines.append(f"| {name} | {variant} | {len(layers)} | {format_value(field.size)} | {field.jump} "
                     f"| {field.padding} | {field.centre:g} | {ratio} |")
    return "\n".join(lines)


def _field(name):
    return network_fields(_network(name))[-1]


@fact("ch06.vgg_size")
def vgg_size():
    return _field("VGG-16").size


@fact("ch06.alexnet_size")
def alexnet_size():
    return _field("AlexNet").size


@fact("ch06.resnet50_size")
def resnet50_size():
    return _field("ResNet-50").size


@fact("ch06.resnet18_size")
def resnet18_size():
    return _field("ResNet-18").size


@fact("ch06.resnet50_v1_size")
def resnet50_v1_size():
    """The original ResNet-50, stride on the first 1×1 of each downsampling block."""
    return network_fields(model_path("resnet50", stride_on_3x3=False))[-1].size


@fact("ch06.mobilenet_size")
def mobilenet_size():
    return _field("MobileNet v1").size


@fact("ch06.lenet_size")
def lenet_size():
    return _field("LeNet-5").size


@fact("ch06.vgg_conv5_size")
def vgg_conv5_size():
    """VGG-16's field at conv5_3, before the last pool."""
    return network_fields(_network("VGG-16"))[-2].size


@table("ch06.stacks")
def stacks_table():
    lines = ["| 3×3 layers | receptive field | weights per channel pair: stack | one large kernel | nonlinearities "
             "| parameters at 256 channels: stack | one large kernel |",
             "| :---: | :---: | ---: | ---: | :---: | ---: | ---: |"]
    for n in (1, 2, 3, 4, 5):
        r = shapes.receptive_fields([(3, 1, 1)] * n)[-1].size
        stack = n * shapes.conv2d_params(256, 256, 3, bias=False)
        large = shapes.conv2d_params(256, 256, r, bias=False)
        lines.append(f"| {n} | {r}×{r} | {9 * n} | {r * r} | {n} vs 1 | {format_value(stack)} "
                     f"| {format_value(large)} |")
    return "\n".join(lines)


def _erf(prefix):
    grad, field = next(v for k, v in effective_fields().items() if k.startswith(prefix))
    return 2 * mass_radius(grad) + 1, field.size


@fact("ch06.erf_random")
def erf_random():
    return _erf("8 convs + ReLU, random")[0]


@fact("ch06.erf_random_theory")
def erf_random_theory():
    return _erf("8 convs + ReLU, random")[1]


@fact("ch06.erf_deep_effective")
def erf_deep_effective():
    return erf_growth()[-1]["effective"]


@fact("ch06.erf_deep_theoretical")
def erf_deep_theoretical():
    return erf_growth()[-1]["theoretical"]


@fact("ch06.erf_deep_depth")
def erf_deep_depth():
    return erf_growth()[-1]["depth"]


@fact("ch06.erf_deep_fraction")
def erf_deep_fraction():
    row = erf_growth()[-1]
    return row["effective"] / row["theoretical"]


@fact("ch06.erf_shallow_fraction")
def erf_shallow_fraction():
    row = erf_growth()[0]
    return row["effective"] / row["theoretical"]
