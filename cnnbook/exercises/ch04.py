"""Exercises of chapter 4, "Channels"."""

from __future__ import annotations

import numpy as np

from cnnbook import functional, shapes
from cnnbook.analysis.ch04 import LOCAL_EXAMPLE
from cnnbook.exercises import Exercise, code_block, register, tex

# ---- 4.1 what a 1×1 reduction saves ----
REDUCE_IN, REDUCE_MID, REDUCE_OUT, REDUCE_SIDE = 256, 32, 64, 28
_DIRECT_5X5 = shapes.conv2d_macs((REDUCE_IN, REDUCE_SIDE, REDUCE_SIDE), REDUCE_OUT, 5, padding=2)
_REDUCE_1X1 = shapes.conv2d_macs((REDUCE_IN, REDUCE_SIDE, REDUCE_SIDE), REDUCE_MID, 1)
_REDUCED_5X5 = shapes.conv2d_macs((REDUCE_MID, REDUCE_SIDE, REDUCE_SIDE), REDUCE_OUT, 5, padding=2)
register(Exercise(
    id="4.1", kind="number", title="What a 1×1 reduction saves",
    prompt=f"A 5×5 convolution (padding 2) maps {REDUCE_IN} channels to {REDUCE_OUT} on a "
           f"{REDUCE_SIDE}×{REDUCE_SIDE} map. Inception-style, you first reduce the input to {REDUCE_MID} "
           "channels with a 1×1 convolution and apply the 5×5 convolution to those. How many multiply-accumulates "
           "per image does the reduction *save*?",
    hint="Count the direct layer, then both layers of the reduced version: the 1×1 layer costs something too.",
    solution=fr"Directly: ${REDUCE_SIDE}^2 \cdot 5^2 \cdot {REDUCE_IN} \cdot {REDUCE_OUT} = {tex(_DIRECT_5X5)}$. "
             fr"Reduced: the 1×1 layer costs ${REDUCE_SIDE}^2 \cdot {REDUCE_IN} \cdot {REDUCE_MID} = "
             fr"{tex(_REDUCE_1X1)}$ and the 5×5 layer ${REDUCE_SIDE}^2 \cdot 5^2 \cdot {REDUCE_MID} \cdot "
             f"{REDUCE_OUT} = {tex(_REDUCED_5X5)}$, together ${tex(_REDUCE_1X1 + _REDUCED_5X5)}$. The saving is "
             f"${tex(_DIRECT_5X5 - _REDUCE_1X1 - _REDUCED_5X5)}$ MACs, "
             f"{_DIRECT_5X5 / (_REDUCE_1X1 + _REDUCED_5X5):.1f} times fewer. The 1×1 layer is cheap because it "
             "has no $k^2$ factor; the bet is that the 5×5 layer loses little by seeing fewer channels.",
    answer=_DIRECT_5X5 - _REDUCE_1X1 - _REDUCED_5X5,
    wrong=(_REDUCE_1X1 + _REDUCED_5X5, _DIRECT_5X5, _DIRECT_5X5 - _REDUCED_5X5),
))

# ---- 4.2 widening a layer ----
WIDE = 384
_NARROW = WIDE // 2
_GAIN = shapes.conv2d_params(WIDE, WIDE, 3) - shapes.conv2d_params(_NARROW, _NARROW, 3)
register(Exercise(
    id="4.2", kind="number", title="Widening a layer",
    prompt=f"A 3×3 convolution from {_NARROW} to {_NARROW} channels, with one bias per output channel, is widened "
           f"to {WIDE} input and {WIDE} output channels. How many parameters does the widening add?",
    hint=r"Count both layers with $(k \cdot k \cdot C_{\text{in}} + 1) \cdot C_{\text{out}}$, or think about "
         "what doubling both channel counts does to the weights and to the biases.",
    solution=fr"Before: $(9 \cdot {_NARROW} + 1) \cdot {_NARROW} = {tex(shapes.conv2d_params(_NARROW, _NARROW, 3))}$. "
             fr"After: $(9 \cdot {WIDE} + 1) \cdot {WIDE} = {tex(shapes.conv2d_params(WIDE, WIDE, 3))}$. The "
             f"widening adds ${tex(_GAIN)}$. Doubling both channel counts multiplies the weights by four (each "
             "output channel has twice as many input channels, and there are twice as many output channels) but "
             "the biases only by two: the weights grow with the product of the channel counts, which is why the "
             "widest layers of a network hold most of its parameters.",
    answer=_GAIN,
    wrong=(shapes.conv2d_params(_NARROW, _NARROW, 3), shapes.conv2d_params(WIDE, WIDE, 3),
           shapes.conv2d_params(WIDE, WIDE, 3, bias=False) - shapes.conv2d_params(_NARROW, _NARROW, 3, bias=False)),
))

# ---- 4.3 a grouped weight's shape ----
GROUPED_IN, GROUPED_OUT, GROUPED_GROUPS = 128, 256, 4
register(Exercise(
    id="4.3", kind="shape", title="The weight of a grouped layer",
    prompt=f"A 3×3 convolution maps {GROUPED_IN} channels to {GROUPED_OUT} with `groups={GROUPED_GROUPS}`. What "
           "is the shape of its weight tensor, in the axis order of `cnnbook` and PyTorch (filters first, the "
           "kernel's height and width last)?",
    hint="Every output channel still has its own filter, but a filter spans only the input channels of its group.",
    solution=f"$({GROUPED_OUT}, {GROUPED_IN // GROUPED_GROUPS}, 3, 3)$: the {GROUPED_OUT} filters stay, and each "
             f"spans the ${GROUPED_IN}/{GROUPED_GROUPS} = {GROUPED_IN // GROUPED_GROUPS}$ input channels of its "
             f"group (filters $0$ to ${GROUPED_OUT // GROUPED_GROUPS - 1}$ see input channels $0$ to "
             f"${GROUPED_IN // GROUPED_GROUPS - 1}$, and so on). That is "
             f"${tex(shapes.conv2d_params(GROUPED_IN, GROUPED_OUT, 3, bias=False, groups=GROUPED_GROUPS))}$ "
             f"weights, a {'quarter' if GROUPED_GROUPS == 4 else f'1/{GROUPED_GROUPS}'} of the ungrouped layer's. "
             "A depthwise layer is the extreme case: its weight has shape $(C, 1, k, k)$.",
    answer=(GROUPED_OUT, GROUPED_IN // GROUPED_GROUPS, 3, 3),
    wrong=((GROUPED_OUT, GROUPED_IN, 3, 3), (GROUPED_OUT // GROUPED_GROUPS, GROUPED_IN // GROUPED_GROUPS, 3, 3),
           (GROUPED_GROUPS, GROUPED_OUT // GROUPED_GROUPS, GROUPED_IN // GROUPED_GROUPS, 3, 3)),
))

# ---- 4.4 the weights of a bottleneck block ----
BLOCK_WIDE, BLOCK_NARROW = 256, 64
_SQUEEZE = shapes.conv2d_params(BLOCK_WIDE, BLOCK_NARROW, 1, bias=False)
_MIDDLE = shapes.conv2d_params(BLOCK_NARROW, BLOCK_NARROW, 3, bias=False)
_PLAIN_PAIR = 2 * shapes.conv2d_params(BLOCK_WIDE, BLOCK_WIDE, 3, bias=False)
_BOTTLENECK = _SQUEEZE + _MIDDLE + shapes.conv2d_params(BLOCK_NARROW, BLOCK_WIDE, 1, bias=False)
register(Exercise(
    id="4.4", kind="number", title="The weights of a bottleneck block",
    prompt=f"A ResNet-style bottleneck block keeps {BLOCK_WIDE} channels at its ends: a 1×1 convolution from "
           f"{BLOCK_WIDE} to {BLOCK_NARROW} channels, a 3×3 convolution from {BLOCK_NARROW} to {BLOCK_NARROW}, "
           f"and a 1×1 convolution from {BLOCK_NARROW} back to {BLOCK_WIDE}, without biases. How many weights "
           "does the block have?",
    hint=r"Each layer has $k \cdot k \cdot C_{\text{in}} \cdot C_{\text{out}}$ weights; add the three.",
    solution=fr"${BLOCK_WIDE} \cdot {BLOCK_NARROW} + 9 \cdot {BLOCK_NARROW} \cdot {BLOCK_NARROW} + "
             fr"{BLOCK_NARROW} \cdot {BLOCK_WIDE} = {tex(_SQUEEZE)} + {tex(_MIDDLE)} + {tex(_SQUEEZE)} = "
             f"{tex(_BOTTLENECK)}$. Two 3×3 convolutions at the full {BLOCK_WIDE} channels would have "
             f"${tex(_PLAIN_PAIR)}$, {_PLAIN_PAIR / _BOTTLENECK:.0f} times as many: the 3×3 layer, the only one "
             f"that looks at neighbours, works on {BLOCK_NARROW} channels instead of {BLOCK_WIDE}, and the 1×1 "
             "layers that move between the widths have no $k^2$ factor.",
    answer=_BOTTLENECK,
    wrong=(_PLAIN_PAIR, _MIDDLE, 2 * _SQUEEZE),
))

# ---- 4.5 depthwise separable parameters ----
register(Exercise(
    id="4.5", kind="number", title="Depthwise separable",
    prompt="A depthwise separable layer replaces a 3×3 convolution from 128 to 128 channels: a 3×3 depthwise "
           "convolution (one kernel per channel) followed by a 1×1 convolution from 128 to 128. Without biases, "
           "how many weights does it have?",
    hint=r"The depthwise part has $3 \cdot 3$ weights per channel; the pointwise part is a 128×128 matrix.",
    solution=fr"$9 \cdot 128 + 128 \cdot 128 = {tex(shapes.conv2d_params(128, 128, 3, bias=False, groups=128))} + "
             f"{tex(shapes.conv2d_params(128, 128, 1, bias=False))} = "
             f"{tex(shapes.conv2d_params(128, 128, 3, bias=False, groups=128) + shapes.conv2d_params(128, 128, 1, bias=False))}$, "
             f"against ${tex(shapes.conv2d_params(128, 128, 3, bias=False))}$ for the full 3×3 layer: "
             r"$1/C_{\text{out}} + 1/k^2 \approx 0.119$ of it.",
    answer=shapes.conv2d_params(128, 128, 3, bias=False, groups=128) + shapes.conv2d_params(128, 128, 1, bias=False),
    wrong=(shapes.conv2d_params(128, 128, 3, bias=False), 1152, 16384),
))

# ---- 4.6 grouped convolution ----
register(Exercise(
    id="4.6", kind="number", title="Groups",
    prompt="A 3×3 convolution from 256 to 256 channels is split into 8 groups (`groups=8`), without biases. "
           "How many weights does it have?",
    hint="Each group maps 32 input channels to 32 output channels.",
    solution=fr"$8 \cdot (3 \cdot 3 \cdot 32 \cdot 32) = {tex(shapes.conv2d_params(256, 256, 3, bias=False, groups=8))}$, "
             "an eighth of the ungrouped layer: each output channel now sees only its group's 32 input "
             "channels. With `groups` equal to the number of channels it is a depthwise convolution.",
    answer=shapes.conv2d_params(256, 256, 3, bias=False, groups=8),
    wrong=(shapes.conv2d_params(256, 256, 3, bias=False), shapes.conv2d_params(256, 256, 3, bias=False) // 64),
))

_L = LOCAL_EXAMPLE
_L_OUT = shapes.conv_output_size(_L["side"], _L["kernel_size"])
_L_ARGS = (_L["in_channels"], _L["out_channels"], _L["kernel_size"])
register(Exercise(
    id="4.7", kind="number", title="Without sharing",
    prompt=f"A locally connected layer maps a {_L['side']}×{_L['side']}×{_L['in_channels']} image to "
           f"{_L_OUT}×{_L_OUT}×{_L['out_channels']} with {_L['kernel_size']}×{_L['kernel_size']} windows, like a "
           "valid convolution, but every output position has its own weights and its own biases. How many "
           "parameters does it have?",
    hint="Count one conv layer's parameters per output position.",
    solution=fr"${_L_OUT} \cdot {_L_OUT} \cdot ({_L['kernel_size']} \cdot {_L['kernel_size']} \cdot "
             fr"{_L['in_channels']} + 1) \cdot {_L['out_channels']} = "
             f"{tex(shapes.local_conv2d_params(*_L_ARGS, _L_OUT))}$, "
             f"${shapes.local_conv2d_params(*_L_ARGS, _L_OUT) // shapes.conv2d_params(*_L_ARGS)}$ times the "
             f"convolution's ${tex(shapes.conv2d_params(*_L_ARGS))}$, and still far fewer than a dense layer "
             "between the same shapes, because each unit sees only its window.",
    answer=shapes.local_conv2d_params(*_L_ARGS, _L_OUT),
    wrong=(shapes.conv2d_params(*_L_ARGS), shapes.local_conv2d_params(*_L_ARGS, _L_OUT, bias=False),
           shapes.linear_params(_L["side"] ** 2 * _L["in_channels"], _L_OUT ** 2 * _L["out_channels"])),
))

# ---- 4.8 tiled and shifts ----
register(Exercise(
    id="4.8", kind="choice", title="Tiled convolution and shifts",
    prompt="A tiled convolution with stride 1 cycles through a 3×3 grid of filter banks. For which shifts of "
           "the input (in pixels, along one axis) is it exactly equivariant, away from the borders?",
    choices={
        "a": "every shift",
        "b": "multiples of 3",
        "c": "multiples of 9",
        "d": "none except 0",
    },
    hint=r"Output position $i$ uses filter bank $i \bmod 3$. Which shifts keep every position on the same bank?",
    solution="(b). Shifting by $t$ moves the content at position $i$ to $i + t$, where the bank "
             r"$(i + t) \bmod 3$ is the same as $i \bmod 3$ exactly when $t$ is a multiple of 3. The figure "
             "in section 4.5 measures it for diagonal shifts: exact at the multiples of 3, far off at every other shift.",
    answer="b",
    wrong=("a", "c", "d"),
))

# ---- 4.9 training memory ----
register(Exercise(
    id="4.9", kind="number", title="Activations of one layer",
    prompt="VGG-16's first layer outputs 64 feature maps of 224×224. How many megabytes (10⁶ bytes) does this "
           "single output take in float32 for a batch of 32 images?",
    hint="Count values, then 4 bytes each.",
    solution=fr"$32 \cdot 64 \cdot 224 \cdot 224 \cdot 4 = {tex(32 * 64 * 224 * 224 * 4)}$ bytes, about "
             f"{32 * 64 * 224 * 224 * 4 / 1e6:.0f} MB, while the layer's weights take "
             f"${tex(shapes.conv2d_params(3, 64, 3) * 4)}$ bytes. Training must keep such outputs until the "
             "backward pass (chapter 5), which is why activations, not weights, fill a GPU.",
    answer=32 * 64 * 224 * 224 * 4 / 1e6,
    wrong=(64 * 224 * 224 * 4 / 1e6, 32 * 64 * 224 * 224 / 1e6),
))

# ---- 4.10 code: multi-channel convolution ----


def multichannel_conv(x, weight, bias):
    """Valid, stride-1 convolution of x (C_in, H, W) with weight (C_out, C_in, k, k) and bias (C_out,)."""
    c_out, c_in, k, _ = weight.shape
    h_out, w_out = x.shape[1] - k + 1, x.shape[2] - k + 1
    y = np.empty((c_out, h_out, w_out))
    for o in range(c_out):
        for i in range(h_out):
            for j in range(w_out):
                y[o, i, j] = np.sum(x[:, i : i + k, j : j + k] * weight[o]) + bias[o]
    return y


def _multichannel_reference(x, weight, bias):
    return functional.conv2d(x[None], weight, bias)[0]


def _multichannel_cases(rng, n):
    for _ in range(n):
        c_in, c_out, k = (int(v) for v in rng.integers(1, 4, size=3))
        h, w = (int(v) for v in rng.integers(k, 8, size=2))
        yield rng.standard_normal((c_in, h, w)), rng.standard_normal((c_out, c_in, k, k)), rng.standard_normal(c_out)


def _multichannel_per_channel(x, weight, bias):  # forgets to sum over input channels: uses channel 0 only
    return functional.conv2d(x[None, :1], weight[:, :1], bias)[0]


def _multichannel_no_bias(x, weight, bias):
    return functional.conv2d(x[None], weight)[0]


register(Exercise(
    id="4.10", kind="code", title="Convolution over channels",
    prompt="Write `multichannel_conv(x, weight, bias)`: the valid, stride-1 convolution (cross-correlation) of "
           r"one image `x` of shape $(C_{\text{in}}, H, W)$ with `weight` of shape "
           r"$(C_{\text{out}}, C_{\text{in}}, k, k)$ and `bias` of shape $(C_{\text{out}},)$. The result has "
           r"shape $(C_{\text{out}}, H - k + 1, W - k + 1)$.",
    hint=r"Output $(o, i, j)$ is the sum over all channels and all $k \times k$ offsets of "
         "`x[:, i:i+k, j:j+k] * weight[o]`, plus `bias[o]`.",
    solution=f"{code_block(multichannel_conv)}\n\nThe one line that makes it multi-channel is the sum over the "
             r"whole $(C_{\text{in}}, k, k)$ block: every output channel looks at every input channel.",
    function="multichannel_conv", signature="multichannel_conv(x, weight, bias)",
    reference=_multichannel_reference, cases=_multichannel_cases,
    wrong=(_multichannel_per_channel, _multichannel_no_bias),
))

# ---- 4.11 code: depthwise separable ----


def separable_conv(x, depthwise, pointwise):
    """Depthwise (C, k, k) then pointwise (C_out, C) convolution of x (C, H, W); valid, stride 1, no bias."""
    c, k, _ = depthwise.shape
    h_out, w_out = x.shape[1] - k + 1, x.shape[2] - k + 1
    mid = np.empty((c, h_out, w_out))
    for ch in range(c):
        for i in range(h_out):
            for j in range(w_out):
                mid[ch, i, j] = np.sum(x[ch, i : i + k, j : j + k] * depthwise[ch])
    return np.einsum("oc,chw->ohw", pointwise, mid)


def _separable_reference(x, depthwise, pointwise):
    c = x.shape[0]
    mid = functional.conv2d(x[None], depthwise[:, None], groups=c)
    return functional.conv2d(mid, pointwise[:, :, None, None])[0]


def _separable_cases(rng, n):
    for _ in range(n):
        c, c_out, k = int(rng.integers(1, 5)), int(rng.integers(1, 5)), int(rng.integers(1, 4))
        h, w = (int(v) for v in rng.integers(k, 8, size=2))
        yield rng.standard_normal((c, h, w)), rng.standard_normal((c, k, k)), rng.standard_normal((c_out, c))


def _separable_summed_depthwise(x, depthwise, pointwise):  # sums the depthwise outputs over channels
    c = x.shape[0]
    mid = functional.conv2d(x[None], depthwise[None], groups=1)  # (1, 1, H', W')
    return np.einsum("oc,chw->ohw", pointwise, np.repeat(mid[0], c, axis=0))


def _separable_flipped(x, depthwise, pointwise):  # true convolution: flips the depthwise kernels
    return _separable_reference(x, depthwise[:, ::-1, ::-1], pointwise)


register(Exercise(
    id="4.11", kind="code", title="Depthwise separable convolution",
    prompt="Write `separable_conv(x, depthwise, pointwise)` for one image `x` of shape $(C, H, W)$: first a "
           "depthwise convolution, in which channel $c$ is correlated (valid, stride 1) with its own kernel "
           "`depthwise[c]` of shape $(k, k)$ and nothing is summed over channels; then a pointwise (1×1) "
           r"convolution with the matrix `pointwise` of shape $(C_{\text{out}}, C)$. No biases. Return shape "
           r"$(C_{\text{out}}, H - k + 1, W - k + 1)$.",
    hint="The pointwise step is one matrix product per pixel: `np.einsum('oc,chw->ohw', pointwise, mid)`.",
    solution=f"{code_block(separable_conv)}\n\nThe depthwise step filters space, the pointwise step mixes "
             r"channels; a full convolution does both at once with $C_{\text{out}} C k^2$ weights instead of "
             r"$C k^2 + C_{\text{out}} C$.",
    function="separable_conv", signature="separable_conv(x, depthwise, pointwise)",
    reference=_separable_reference, cases=_separable_cases,
    wrong=(_separable_summed_depthwise, _separable_flipped),
))
