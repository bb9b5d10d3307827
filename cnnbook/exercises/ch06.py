"""Exercises of chapter 6, "Receptive fields"."""

from __future__ import annotations

from cnnbook import shapes
from cnnbook.exercises import Exercise, code_block, register

#: The small conv-pool stack of section 6.1: conv 3×3, pool 2×2, conv 3×3, pool 2×2, conv 3×3.
SMALL = [(3, 1), (2, 2), (3, 1), (2, 2), (3, 1)]
#: VGG-16's convolutions per stage, each stage closed by a 2×2 max pool with stride 2.
VGG16_STAGES = (2, 2, 3, 3, 3)
VGG16 = [layer for convs in VGG16_STAGES for layer in [(3, 1, 1)] * convs + [(2, 2)]]
STEM = [(7, 2, 3), (3, 2, 1)]
#: Exercise 6.6: the width a field must cover.
TARGET = 224


_TO, _CDOT = r" \to ", r" \cdot "


def _chain(values, between):
    return between.join(str(v) for v in values)


def _vgg_stages():
    """'$1 + 4 + 1 = 6$; $6 + 8 + 2 = 16$; …': each stage's convolutions, then its pool, add to the field."""
    steps, r, j = [], 1, 1
    for convs in VGG16_STAGES:
        steps.append(f"${r} + {convs * 2 * j} + {j} = {r + convs * 2 * j + j}$")
        r, j = r + convs * 2 * j + j, 2 * j
    return "; ".join(steps)


# ---- 6.1 the small stack ----
register(Exercise(
    id="6.1", kind="number", title="Conv, pool, conv, pool, conv",
    prompt="A stack has a 3×3 convolution (stride 1), a 2×2 max pool (stride 2), a 3×3 convolution, a 2×2 max "
           "pool and a 3×3 convolution. How many input pixels wide is the receptive field of one unit of the "
           "last layer?",
    hint=r"Start from $r = 1$, $j = 1$; each layer adds $(k - 1)\, j$ to $r$, then multiplies $j$ by its stride.",
    solution=f"$r$: ${_chain([1] + [f.size for f in shapes.receptive_fields(SMALL)], _TO)}$, with the jump "
             f"going ${_chain([1] + [f.jump for f in shapes.receptive_fields(SMALL)], ', ')}$. Each later 3×3 layer "
             "reaches twice as far as the one before because the pool between them doubled the jump.",
    answer=shapes.receptive_fields(SMALL)[-1].size,
    wrong=(7, 9, 11, 14),
))

# ---- 6.2 the jump ----
register(Exercise(
    id="6.2", kind="number", title="The jump",
    prompt="In the stack of exercise 6.1, how many input pixels apart are the centres of two neighbouring units "
           "of the last layer?",
    hint="The jump is the product of all strides so far.",
    solution=f"${_chain([layer[1] for layer in SMALL], _CDOT)} = {shapes.receptive_fields(SMALL)[-1].jump}$. "
             f"Neighbouring units' fields overlap by ${shapes.receptive_fields(SMALL)[-1].size} - "
             f"{shapes.receptive_fields(SMALL)[-1].jump} = "
             f"{shapes.receptive_fields(SMALL)[-1].size - shapes.receptive_fields(SMALL)[-1].jump}$ pixels.",
    answer=shapes.receptive_fields(SMALL)[-1].jump,
    wrong=(2, 8, 1),
))

# ---- 6.3 VGG-16 ----
register(Exercise(
    id="6.3", kind="number", title="VGG-16",
    prompt="VGG-16 has 13 convolutions of 3×3 (stride 1, padding 1) in five stages of 2, 2, 3, 3 and 3, each "
           "stage followed by a 2×2 max pool with stride 2. What is the receptive field of a unit after the "
           "fifth pool?",
    hint=r"Within stage $t$ (counting from 1) the jump is $2^{t-1}$, so each 3×3 conv adds $2 \cdot 2^{t-1}$; each "
         "pool adds one more jump.",
    solution=f"Stage by stage: {_vgg_stages()} pixels, almost the whole {TARGET}×{TARGET} image, with a jump of "
             f"{shapes.receptive_fields(VGG16)[-1].jump}.",
    answer=shapes.receptive_fields(VGG16)[-1].size,
    wrong=(shapes.receptive_fields(VGG16)[-2].size, 27, 224),
))

# ---- 6.4 three 3×3 vs one 7×7 ----
register(Exercise(
    id="6.4", kind="number", title="Three small kernels or one large one",
    prompt="Three stacked 3×3 convolutions (stride 1) see the same 7×7 patch as one 7×7 convolution. How many "
           "weights per pair of input and output channel does the stack use (the 7×7 kernel uses 49)?",
    hint="Each 3×3 layer has 9 weights per channel pair.",
    solution=r"$3 \cdot 9 = 27$, against $7 \cdot 7 = 49$, and with a nonlinearity after every layer, so the stack "
             "can compute functions no single linear filter can. The catch: with a single channel, three linear "
             "3×3 layers compose only into the 7×7 filters that factor into three 3×3 ones.",
    answer=3 * 3 * 3,
    wrong=(49, 9, 21),
))

# ---- 6.5 dilation ----
register(Exercise(
    id="6.5", kind="number", title="Dilated stack",
    prompt="Three 3×3 convolutions with stride 1 and dilations 1, 2 and 4 are stacked. What is the receptive "
           "field of the last layer?",
    hint=r"A dilated layer adds $d(k - 1)\, j$.",
    solution=f"$1 + 2 + 4 + 8 = {shapes.receptive_fields([(3, 1, 1, 1), (3, 1, 2, 2), (3, 1, 4, 4)])[-1].size}$. "
             "Doubling the dilation at every layer roughly doubles the field at every layer, without pooling and "
             "without losing resolution. Every pixel of this field is still read, since the offsets "
             r"$\{-1, 0, 1\} + \{-2, 0, 2\} + \{-4, 0, 4\}$ cover every integer from $-7$ to $7$; a schedule "
             "that repeats one large dilation instead reads its field through a sparse grid (section 6.4).",
    answer=shapes.receptive_fields([(3, 1, 1, 1), (3, 1, 2, 2), (3, 1, 4, 4)])[-1].size,
    wrong=(7, 13, 21),
))

# ---- 6.6 depth needed ----
register(Exercise(
    id="6.6", kind="number", title="Depth without downsampling",
    prompt="With only 3×3 convolutions of stride 1 (no pooling, no dilation), how many layers does it take before "
           f"one unit's receptive field covers at least {TARGET} pixels?",
    hint="After $n$ layers, $r = 2n + 1$.",
    solution=fr"$2n + 1 \ge {TARGET}$ gives $n = {-(-(TARGET - 1) // 2)}$. With a 2×2 pool after every second "
             "layer the field grows geometrically instead, which is one reason networks downsample early.",
    answer=-(-(TARGET - 1) // 2),
    wrong=(111, 224, 75),
))

# ---- 6.7 centres ----
register(Exercise(
    id="6.7", kind="number", title="Where a unit looks",
    prompt="ResNet's stem is a 7×7 convolution with stride 2 and padding 3 followed by a 3×3 max pool with "
           "stride 2 and padding 1. At which input coordinate (pixels, along one axis, starting from 0) is "
           "the receptive field of output unit number 3 centred?",
    hint=r"Find the effective padding $P$ and the jump $j$: unit $i$ is centred at $-P + (r - 1)/2 + i\, j$.",
    solution=f"$r = {shapes.receptive_fields(STEM)[-1].size}$, $j = {shapes.receptive_fields(STEM)[-1].jump}$, "
             f"$P = {shapes.receptive_fields(STEM)[-1].padding}$: the first unit is centred at "
             f"${shapes.receptive_fields(STEM)[-1].centre:g}$ and unit 3 at "
             f"${shapes.receptive_fields(STEM)[-1].centre + 3 * shapes.receptive_fields(STEM)[-1].jump:g}$. "
             "Symmetric \"same\" padding puts the first centre on pixel 0, so unit $i$ sits on pixel "
             f"${shapes.receptive_fields(STEM)[-1].jump}i$.",
    answer=shapes.receptive_fields(STEM)[-1].centre + 3 * shapes.receptive_fields(STEM)[-1].jump,
    wrong=(17, 3, 6),
))

# ---- 6.8 effective receptive field ----
register(Exercise(
    id="6.8", kind="bool", title="Every pixel counts the same?",
    prompt="True or false: in a deep stack of 3×3 convolutions, every input pixel inside a unit's theoretical "
           "receptive field influences that unit about equally.",
    hint="Count the paths from an input pixel to the unit: how many pass through the centre, how many through "
         "a corner?",
    solution="False. A pixel near the centre of the field reaches the unit through many more combinations of "
             "kernel positions than a pixel near the edge (a corner pixel through exactly one), so the influence "
             "is concentrated in the middle; Luo et al. (2016) showed that it falls off roughly like a Gaussian. "
             "Section 6.5 measures where the gradient lands in random stacks of this kind.",
    answer=False,
    wrong=(True,),
))

# ---- 6.9 code: the recursion ----


def receptive_field(layers):
    """(size, jump, effective padding) after a stack of (kernel_size, stride, padding, dilation) layers."""
    size, jump, padding = 1, 1, 0
    for k, s, p, d in layers:
        size += d * (k - 1) * jump
        padding += p * jump
        jump *= s
    return size, jump, padding


def _rf_reference(layers):
    field = shapes.receptive_fields(layers)[-1]
    return field.size, field.jump, field.padding


def _rf_cases(rng, n):
    for _ in range(n):
        depth = int(rng.integers(1, 7))
        yield ([tuple(int(v) for v in (rng.integers(1, 8), rng.integers(1, 4), rng.integers(0, 4), rng.integers(1, 4)))
                for _ in range(depth)],)


def _rf_ignores_jump(layers):
    size, jump, padding = 1, 1, 0
    for k, s, p, d in layers:
        size += d * (k - 1)
        padding += p
        jump *= s
    return size, jump, padding


def _rf_jump_first(layers):
    size, jump, padding = 1, 1, 0
    for k, s, p, d in layers:
        jump *= s
        size += d * (k - 1) * jump
        padding += p * jump
    return size, jump, padding


def _rf_ignores_dilation(layers):
    return _rf_reference([(k, s, p, 1) for k, s, p, _ in layers])


register(Exercise(
    id="6.9", kind="code", title="The receptive-field recursion",
    prompt="Write `receptive_field(layers)`: given a list of `(kernel_size, stride, padding, dilation)` tuples, "
           "from the input upwards, return the tuple `(size, jump, padding)` of the last layer: its receptive "
           "field, its jump (effective stride) and its effective padding, all in input pixels.",
    hint="Keep three numbers, starting from $r = 1$, $j = 1$, $P = 0$, and update them layer by layer; update "
         "$j$ last.",
    solution=f"{code_block(receptive_field)}\n\nThe order matters: a layer's kernel and padding are measured in "
             "units of the jump *below* it, so the jump is updated after them.",
    function="receptive_field", signature="receptive_field(layers)",
    reference=_rf_reference, cases=_rf_cases,
    wrong=(_rf_ignores_jump, _rf_jump_first, _rf_ignores_dilation),
))

# ---- 6.10 code: the region a unit sees ----


def input_region(layers, i):
    """First and last input index (may lie in the padding) seen by unit i of the last layer."""
    size, jump, padding = 1, 1, 0
    for k, s, p, d in layers:  # the recursion of exercise 6.9
        size += d * (k - 1) * jump
        padding += p * jump
        jump *= s
    first = -padding + i * jump
    return first, first + size - 1


def _region_reference(layers, i):
    field = shapes.receptive_fields(layers)[-1]
    return field.start + i * field.jump, field.start + i * field.jump + field.size - 1


def _region_cases(rng, n):
    for (layers,) in _rf_cases(rng, n):
        yield layers, int(rng.integers(0, 6))


def _region_no_padding(layers, i):
    field = shapes.receptive_fields(layers)[-1]
    return i * field.jump, i * field.jump + field.size - 1


def _region_no_jump(layers, i):
    field = shapes.receptive_fields(layers)[-1]
    return field.start + i, field.start + i + field.size - 1


register(Exercise(
    id="6.10", kind="code", title="Which pixels does a unit see?",
    prompt="Write `input_region(layers, i)` for the same layer lists as exercise 6.9: return `(first, last)`, the "
           "first and last input index that unit `i` (counting from 0) of the last layer depends on. Indices "
           "may be negative or beyond the image: those positions are padding.",
    hint="The first unit starts at $-P$; each further unit starts $j$ pixels later.",
    solution=f"{code_block(input_region)}\n\nThe region is exact for stacks of convolutions and pooling; with "
             r'"same" padding in every layer ($p = d(k - 1)/2$, odd $k$) it is centred on pixel $i\,j$, which '
             "is how detectors map a feature-map cell back to a box in the image.",
    function="input_region", signature="input_region(layers, i)",
    reference=_region_reference, cases=_region_cases,
    wrong=(_region_no_padding, _region_no_jump),
))
