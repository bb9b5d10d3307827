"""Numbers, tables and claims of chapter 6, "Receptive fields"."""

from __future__ import annotations

import numpy as np

from cnnbook import shapes
from cnnbook.analysis.ch06 import (
    CALCULATOR_DEFAULT,
    NETWORKS,
    SMALL_STACK,
    effective_fields,
    model_path,
    network_fields,
)
from cnnbook.claims import compare, expect
from cnnbook.data import PHOTOS
from cnnbook.experiments.receptive_fields import ERF_DEPTH, ERF_DILATIONS, ERF_MASS, ERF_PHOTOS, ERF_SEEDS
from cnnbook.facts import claim, fact, format_value, table

#: Receptive fields as Araujo, Norris and Sim (2019, Distill) list them, for the networks whose kernels and strides
#: match ours (their alexnet_v2 pads differently from torchvision's AlexNet, which moves the effective padding but
#: not the field; their TF-slim resnet_v1_50 strides on the 3×3 of the last block of each stage, which gives the
#: same field as the original ResNet-50's stride on the first 1×1 of the next stage).
ARAUJO = {"AlexNet": 195, "VGG-16": 212, "MobileNet v1": 315, "ResNet-50, original": 483}


def _network(name):
    return next((size, layers) for label, _, size, layers in NETWORKS if label == name)


def _field(name):
    return network_fields(_network(name)[1])[-1]


#: The networks trained on ImageNet crops (LeNet-5 and the small stack are not).
_IMAGENET = ("AlexNet", "VGG-16", "ResNet-18", "ResNet-50", "MobileNet v1")


@fact("ch06.small_size")
def small_size():
    return network_fields(SMALL_STACK)[-1].size


@fact("ch06.small_jump")
def small_jump():
    return network_fields(SMALL_STACK)[-1].jump


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


def _resnet50_original():
    """The original ResNet-50, stride on the first 1×1 of each downsampling block."""
    return network_fields(model_path("resnet50", stride_on_3x3=False))[-1]


@fact("ch06.resnet50_v1_size")
def resnet50_v1_size():
    return _resnet50_original().size


@fact("ch06.mobilenet_size")
def mobilenet_size():
    return _field("MobileNet v1").size


@claim("ch06.araujo_values")
def araujo_values():
    computed = {name: _field(name).size for name in ARAUJO if name in _IMAGENET}
    computed["ResNet-50, original"] = _resnet50_original().size
    expect(computed == ARAUJO, f"the fields computed here equal Araujo et al.'s: {computed} against {ARAUJO}")
    return ""


#: Effective paddings as Araujo et al. list them, for the networks of the table (TensorFlow "VALID"/"SAME" padding).
ARAUJO_PADDING = {"AlexNet": 64, "VGG-16": 90, "MobileNet v1": 126}


@claim("ch06.araujo_paddings")
def araujo_paddings():
    computed = {name: _field(name).padding for name in ARAUJO_PADDING}
    differ = [name for name in ARAUJO_PADDING if computed[name] != ARAUJO_PADDING[name]]
    expect(differ and len(differ) < len(ARAUJO_PADDING),
           f"Araujo et al.'s effective paddings {ARAUJO_PADDING} differ from the table's {computed} for some networks")
    return ""


@fact("ch06.imagenet_input")
def imagenet_input():
    sizes = {_network(name)[0] for name in _IMAGENET}
    expect(len(sizes) == 1, f"the ImageNet networks of the table share one input size; got {sizes}")
    return sizes.pop()


@claim("ch06.resnets_exceed_input")
def resnets_exceed_input():
    sizes = [_field(name).size for name in ("ResNet-18", "ResNet-50")] + [_resnet50_original().size]
    expect(min(sizes) > imagenet_input(), f"the ResNets' fields {sizes} are wider than their input")
    return ""


def _first_region(name):
    field = _field(name)
    return field.start, field.start + field.size - 1


@fact("ch06.resnet18_first_region")
def resnet18_first_region():
    first, last = _first_region("ResNet-18")
    return f"{first} to {last}".replace("-", "−")


@fact("ch06.resnet18_centre")
def resnet18_centre():
    return _field("ResNet-18").centre


@claim("ch06.resnet18_corner_misses")
def resnet18_corner_misses():
    first, last = _first_region("ResNet-18")
    expect(first < 0 and last < imagenet_input() - 1 and _field("ResNet-18").centre == 0,
           f"ResNet-18's first unit is centred on pixel 0 and reads {first}..{last}: padding on the left, and not "
           f"the image's last columns")
    return ""


@fact("ch06.imagenet_jump")
def imagenet_jump():
    jumps = {_field(name).jump for name in _IMAGENET}
    expect(len(jumps) == 1, f"the ImageNet networks of the table end with one jump; got {jumps}")
    return jumps.pop()


@fact("ch06.lenet_jump")
def lenet_jump():
    return _field("LeNet-5").jump


@fact("ch06.lenet_size")
def lenet_size():
    return _field("LeNet-5").size


@claim("ch06.lenet_sees_all")
def lenet_sees_all():
    size, layers = _network("LeNet-5")
    expect(network_fields(layers)[-1].size == size, "LeNet-5's C5 units see exactly the width of its input")
    return ""


@fact("ch06.calculator_input")
def calculator_input():
    return CALCULATOR_DEFAULT[1]


@fact("ch06.vgg_conv5_size")
def vgg_conv5_size():
    """VGG-16's field at conv5_3, before the last pool."""
    return network_fields(_network("VGG-16")[1])[-2].size


@fact("ch06.vgg_convs")
def vgg_convs():
    return sum(layer["name"].startswith("conv") for layer in _network("VGG-16")[1])


@fact("ch06.vgg_convs_unpooled_size")
def vgg_convs_unpooled_size():
    """The field of as many 3×3 stride-1 convolutions as VGG-16 has, without its pools."""
    return shapes.receptive_fields([(3, 1, 1)] * vgg_convs())[-1].size


#: Stacks of n 3×3 layers, stride 1, compared with one (2n + 1)×(2n + 1) kernel.
STACK_DEPTHS = (1, 2, 3, 4, 5)


def _stack_weights(n):
    """(weights per channel pair of n stacked 3×3 layers, of the one kernel with the same field)."""
    r = shapes.receptive_fields([(3, 1, 1)] * n)[-1].size
    return n * 3 * 3, r * r


@table("ch06.stacks")
def stacks_table():
    lines = ["| 3×3 layers | receptive field | weights per channel pair: stack | one large kernel | nonlinearities "
             "| parameters at 256 channels: stack | one large kernel |",
             "| :---: | :---: | ---: | ---: | :---: | ---: | ---: |"]
    for n in STACK_DEPTHS:
        r = shapes.receptive_fields([(3, 1, 1)] * n)[-1].size
        stack = n * shapes.conv2d_params(256, 256, 3, bias=False)
        large = shapes.conv2d_params(256, 256, r, bias=False)
        lines.append(f"| {n} | {r}×{r} | {_stack_weights(n)[0]} | {_stack_weights(n)[1]} | {n} vs 1 "
                     f"| {format_value(stack)} | {format_value(large)} |")
    return "\n".join(lines)


@fact("ch06.stack2_weights")
def stack2_weights():
    return _stack_weights(2)[0]


@fact("ch06.kernel5_weights")
def kernel5_weights():
    return _stack_weights(2)[1]


@fact("ch06.stack3_weights")
def stack3_weights():
    return _stack_weights(3)[0]


@fact("ch06.kernel7_weights")
def kernel7_weights():
    return _stack_weights(3)[1]


# ---- dilation: which pixels a stack of dilated 3×3 convolutions can reach ----

def reachable(dilations):
    """Offsets (one axis) from which a stack of stride-1 3×3 convolutions with these dilations reads, and its field.

    Examples
    --------
    >>> reachable((1, 2))
    ([-3, -2, -1, 0, 1, 2, 3], 7)
    >>> reachable((2, 2))   # the same dilation twice: odd offsets are never read
    ([-4, -2, 0, 2, 4], 9)
    """
    offsets = {0}
    for d in dilations:
        offsets = {o + t * d for o in offsets for t in (-1, 0, 1)}
    return sorted(offsets), shapes.receptive_fields([(3, 1, d, d) for d in dilations])[-1].size


@claim("ch06.dilation_fills_gaps")
def dilation_fills_gaps():
    offsets, size = reachable(ERF_DILATIONS)
    expect(len(offsets) == size, f"dilations {ERF_DILATIONS} reach every pixel of their field")
    expect(ERF_DILATIONS[0] == 1, "the dilated stack's first layer is not dilated")
    below = [1] + [reachable(ERF_DILATIONS[:n])[1] for n in range(1, len(ERF_DILATIONS))]  # the input: 1 pixel
    expect(all(d <= r for d, r in zip(ERF_DILATIONS, below)),
           f"no dilation of {ERF_DILATIONS} is wider than the field {below} of the layers below it")
    entry = _stack("dilated")
    low = int(np.ceil(entry["centre"] - (entry["theoretical"] - 1) / 2))
    seen = np.array(entry["map"])[low : low + entry["theoretical"], low : low + entry["theoretical"]]
    expect(seen.shape == (size, size) and np.all(seen > 0),
           "in the measured map of the dilated stack, every pixel of the theoretical field has some gradient")
    return ""


@claim("ch06.gridding")
def gridding():
    d = max(ERF_DILATIONS)
    offsets, size = reachable((d,) * len(ERF_DILATIONS))
    expect(len(offsets) < size, "a constant large dilation leaves pixels of its field unread")
    return ""


# ---- effective receptive fields (measured: the experiment ch06.effective_fields) ----

def _stack(key):
    return effective_fields()["stacks"][key]


def _span(values, fmt="{}"):
    """``'13'`` when every seed measured the same, ``'13 to 15'`` otherwise."""
    low, high = min(values), max(values)
    return fmt.format(low) if fmt.format(low) == fmt.format(high) else f"{fmt.format(low)} to {fmt.format(high)}"


@fact("ch06.erf_mass")
def erf_mass():
    return ERF_MASS


@fact("ch06.erf_depth")
def erf_depth():
    return ERF_DEPTH


@fact("ch06.erf_seeds")
def erf_seeds():
    return len(ERF_SEEDS)


@fact("ch06.erf_photos")
def erf_photo_count():
    return ERF_PHOTOS


@fact("ch06.photo_count")
def photo_count():
    return len(PHOTOS)


@fact("ch06.erf_random")
def erf_random():
    """Width of the square holding ERF_MASS of the gradient, 8 random layers with ReLU, over the seeds."""
    return _span(_stack("random")["widths"])


@fact("ch06.erf_random_theory")
def erf_random_theory():
    return _stack("random")["theoretical"]


def _widths_against(key, other):
    return compare(_stack(key)["widths"], _stack(other)["widths"], unit=" pixels")


@claim("ch06.erf_inside_field")
def erf_inside_field():
    for key, other in effective_fields()["stacks"].items():  # every panel of figure ch06.erf, as its alt text says
        expect(max(other["widths"]) < other["theoretical"],
               f"{key}: the square holding most of the gradient is inside the theoretical field in every seed")
    entry = _stack("random")
    return compare(entry["widths"], [entry["theoretical"]] * len(entry["widths"]), unit=" pixels").expect(
        "below", "the square holding most of the gradient is narrower than the theoretical field")


@claim("ch06.erf_pooling_enlarges")
def erf_pooling_enlarges():
    expect(_stack("pooled")["theoretical"] > _stack("random")["theoretical"], "pooling enlarges the theoretical field")
    return _widths_against("pooled", "random").expect("above", "pooling enlarges the measured effective field")


@claim("ch06.erf_dilation_enlarges")
def erf_dilation_enlarges():
    expect(_stack("dilated")["theoretical"] > _stack("random")["theoretical"],
           "dilation enlarges the theoretical field")
    return _widths_against("dilated", "random").expect("above", "dilation enlarges the measured effective field")


def _growth():
    growth = effective_fields()["growth"]
    return np.array(growth["depths"]), np.array(growth["theoretical"]), np.array(growth["widths"], dtype=float)


@fact("ch06.erf_shallow_depth")
def erf_shallow_depth():
    return int(_growth()[0][0])


@fact("ch06.erf_deep_depth")
def erf_deep_depth():
    return int(_growth()[0][-1])


@fact("ch06.erf_shallow_fraction")
def erf_shallow_fraction():
    _, theory, widths = _growth()
    return _span(widths[:, 0] / theory[0], "{:.0%}")


@fact("ch06.erf_deep_theoretical")
def erf_deep_theoretical():
    return int(_growth()[1][-1])


@fact("ch06.erf_deep_effective")
def erf_deep_effective():
    return _span(_growth()[2][:, -1].astype(int))


@fact("ch06.erf_deep_fraction")
def erf_deep_fraction():
    _, theory, widths = _growth()
    return _span(widths[:, -1] / theory[-1], "{:.0%}")


@claim("ch06.erf_gap_widens")
def erf_gap_widens():
    depths, theory, widths = _growth()
    fraction = widths / theory
    deep = depths >= ERF_DEPTH
    expect(np.all(widths[:, deep] < theory[deep]), "from ERF_DEPTH layers on, the measured width is below the "
           "theoretical one in every seed (figure ch06.erf_growth's alt text)")
    expect(np.all(np.diff(fraction, axis=1) <= 0), "in every seed, the effective field's share of the theoretical "
           f"one never grows with depth; measured {fraction.round(2).tolist()} at depths {depths.tolist()}")
    return compare(fraction[:, -1], fraction[:, 0]).expect(
        "below", "the effective field's share of the theoretical field is smaller at the deepest depth")


@fact("ch06.erf_fit_from")
def erf_fit_from():
    return ERF_DEPTH


def _exponents():
    """Per seed, the slope of log(width) against log(depth) over the depths from ERF_DEPTH on."""
    depths, _, widths = _growth()
    deep = depths >= ERF_DEPTH
    return [float(np.polyfit(np.log(depths[deep]), np.log(row[deep]), 1)[0]) for row in widths]


@claim("ch06.erf_sqrt_growth")
def erf_sqrt_growth():
    """Closer to √n than to n (or to a constant): the fitted exponent lies between 0.25 and 0.75 in every seed."""
    exponents = _exponents()
    expect(len(exponents) >= 3 and all(0.25 < a < 0.75 for a in exponents),
           f"in every seed the effective width grows like n^a with a closer to 1/2 than to 1 or 0; got {exponents}")
    return (f"the width grows like $n^a$ with $a$ from {min(exponents):.2f} to {max(exponents):.2f} over the "
            f"{len(exponents)} seeds, closer to the $1/2$ of $\\sqrt{{n}}$ than to the $1$ of the theoretical field")
