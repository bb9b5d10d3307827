"""Exercises of chapter 4, "Channels"."""

from __future__ import annotations

import numpy as np

from cnnbook import functional, shapes
from cnnbook.exercises import Exercise, code_block, register, tex

# ---- 4.1 the seeds' first count ----
register(Exercise(
    id="4.1", kind="number", title="Parameters of a 3×3 layer",
    prompt="A convolution layer maps 64 input channels to 128 output channels with 3×3 kernels and a bias "
           "per output channel. How many learnable parameters does it have?",
    hint="Each of the 128 filters has one 3×3 slice per input channel, plus its bias.",
    solution=f"$(3 \\cdot 3 \\cdot 64 + 1) \\cdot 128 = 577 \\cdot 128 = {tex(shapes.conv2d_params(64, 128, 3))}$. "
             f"Without biases it would be ${tex(shapes.conv2d_params(64, 128, 3, bias=False))}$. The size of "
             "the image does not appear anywhere: the same weights are used at every position.",
    answer=shapes.conv2d_params(64, 128, 3),
    wrong=(shapes.conv2d_params(64, 128, 3, bias=False), 3 * 3 * 128 + 128, 3 * 3 * 64 + 1),
))

# ---- 4.2 the seeds' second count ----
register(Exercise(
    id="4.2", kind="number", title="A wide layer",
    prompt="How many parameters (weights and biases) does a 3×3 convolution from 256 to 256 channels have?",
    hint="$(k \\cdot k \\cdot C_{\\text{in}} + 1) \\cdot C_{\\text{out}}$.",
    solution=f"$(9 \\cdot 256 + 1) \\cdot 256 = {tex(shapes.conv2d_params(256, 256, 3))}$: doubling both channel "
             "counts multiplies the weights by four, which is why the widest layers of a network hold most of "
             "its parameters.",
    answer=shapes.conv2d_params(256, 256, 3),
    wrong=(shapes.conv2d_params(256, 256, 3, bias=False), 9 * 256 + 256),
))

# ---- 4.3 the weight tensor's shape ----
register(Exercise(
    id="4.3", kind="shape", title="The 4-D weight tensor",
    prompt="A layer maps an RGB image to 16 feature maps with 5×5 kernels. What is the shape of its weight "
           "tensor in the (C_out, C_in, kH, kW) convention of `cnnbook` and PyTorch?",
    hint="One 5×5 slice per pair of output and input channel.",
    solution="$(16, 3, 5, 5)$: 16 filters, each a stack of 3 slices of 5×5, "
             f"${tex(16 * 3 * 25)}$ weights. TensorFlow stores the same numbers as $(5, 5, 3, 16)$.",
    answer=(16, 3, 5, 5),
    wrong=((3, 16, 5, 5), (5, 5, 3, 16), (16, 5, 5)),
))

# ---- 4.4 a 1×1 convolution's cost ----
register(Exercise(
    id="4.4", kind="number", title="The cost of a 1×1 convolution",
    prompt="How many multiply-accumulates does a 1×1 convolution from 256 to 64 channels cost on one 56×56 "
           "feature map?",
    hint="It is a (64 × 256) matrix times a 256-vector at each of the 56·56 positions.",
    solution=f"$56 \\cdot 56 \\cdot 256 \\cdot 64 = {tex(shapes.conv2d_macs((256, 56, 56), 64, 1))}$. A 3×3 "
             "layer with the same channels would cost nine times as much.",
    answer=shapes.conv2d_macs((256, 56, 56), 64, 1),
    wrong=(256 * 64, shapes.conv2d_macs((256, 56, 56), 64, 3, padding=1)),
))

# ---- 4.5 depthwise separable parameters ----
register(Exercise(
    id="4.5", kind="number", title="Depthwise separable",
    prompt="A depthwise separable layer replaces a 3×3 convolution from 128 to 128 channels: a 3×3 depthwise "
           "convolution (one kernel per channel) followed by a 1×1 convolution from 128 to 128. Without biases, "
           "how many weights does it have?",
    hint="The depthwise part has $3 \\cdot 3$ weights per channel; the pointwise part is a 128×128 matrix.",
    solution=f"$9 \\cdot 128 + 128 \\cdot 128 = {tex(1152)} + {tex(16384)} = "
             f"{tex(shapes.conv2d_params(128, 128, 3, bias=False, groups=128) + shapes.conv2d_params(128, 128, 1, bias=False))}$, "
             f"against ${tex(shapes.conv2d_params(128, 128, 3, bias=False))}$ for the full 3×3 layer: "
             "$1/C_{\\text{out}} + 1/k^2 \\approx 0.119$ of it.",
    answer=shapes.conv2d_params(128, 128, 3, bias=False, groups=128) + shapes.conv2d_params(128, 128, 1, bias=False),
    wrong=(shapes.conv2d_params(128, 128, 3, bias=False), 1152, 16384),
))

# ---- 4.6 grouped convolution ----
register(Exercise(
    id="4.6", kind="number", title="Groups",
    prompt="A 3×3 convolution from 256 to 256 channels is split into 8 groups (`groups=8`), without biases. "
           "How many weights does it have?",
    hint="Each group maps 32 input channels to 32 output channels.",
    solution=f"$8 \\cdot (3 \\cdot 3 \\cdot 32 \\cdot 32) = {tex(shapes.conv2d_params(256, 256, 3, bias=False, groups=8))}$, "
             "an eighth of the ungrouped layer: each output channel now sees only its group's 32 input "
             "channels. With `groups` equal to the number of channels it is a depthwise convolution.",
    answer=shapes.conv2d_params(256, 256, 3, bias=False, groups=8),
    wrong=(shapes.conv2d_params(256, 256, 3, bias=False), shapes.conv2d_params(256, 256, 3, bias=False) // 64),
))

# ---- 4.7 locally connected ----
register(Exercise(
    id="4.7", kind="number", title="Without sharing",
    prompt="A locally connected layer maps a 32×32×3 image to 28×28×16 with 5×5 windows, like a valid "
           "convolution, but every output position has its own weights and its own biases. How many "
           "parameters does it have?",
    hint="Count one conv layer's parameters per output position.",
    solution=f"$28 \\cdot 28 \\cdot (5 \\cdot 5 \\cdot 3 + 1) \\cdot 16 = {tex(shapes.local_conv2d_params(3, 16, 5, 28))}$, "
             f"${shapes.local_conv2d_params(3, 16, 5, 28) // shapes.conv2d_params(3, 16, 5)}$ times the "
             f"convolution's ${tex(shapes.conv2d_params(3, 16, 5))}$, and still far fewer than a dense layer "
             "between the same shapes, because each unit sees only its window.",
    answer=shapes.local_conv2d_params(3, 16, 5, 28),
    wrong=(shapes.conv2d_params(3, 16, 5), shapes.local_conv2d_params(3, 16, 5, 28, bias=False),
           shapes.linear_params(32 * 32 * 3, 28 * 28 * 16)),
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
    hint="Output position $i$ uses filter bank $i \\bmod 3$. Which shifts keep every position on the same bank?",
    solution="(b). Shifting by $t$ moves the content at position $i$ to $i + t$, where the bank "
             "$(i + t) \\bmod 3$ is the same as $i \\bmod 3$ exactly when $t$ is a multiple of 3. The figure "
             "in section 4.5 measures it: the error is zero at shifts 0, 3 and 6 and large otherwise.",
    answer="b",
    wrong=("a", "c", "d"),
))

# ---- 4.9 training memory ----
register(Exercise(
    id="4.9", kind="number", title="Activations of one layer",
    prompt="VGG-16's first layer outputs 64 feature maps of 224×224. How many megabytes (10⁶ bytes) does this "
           "single output take in float32 for a batch of 32 images?",
    hint="Count values, then 4 bytes each.",
    solution=f"$32 \\cdot 64 \\cdot 224 \\cdot 224 \\cdot 4 = {tex(32 * 64 * 224 * 224 * 4)}$ bytes, about "
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
           "one image `x` of shape $(C_{\\text{in}}, H, W)$ with `weight` of shape "
           "$(C_{\\text{out}}, C_{\\text{in}}, k, k)$ and `bias` of shape $(C_{\\text{out}},)$. The result has "
           "shape $(C_{\\text{out}}, H - k + 1, W - k + 1)$.",
    hint="Output $(o, i, j)$ is the sum over all channels and all $k \\times k$ offsets of "
         "`x[:, i:i+k, j:j+k] * weight[o]`, plus `bias[o]`.",
    solution=f"{code_block(multichannel_conv)}\n\nThe one line that makes it multi-channel is the sum over the "
             "whole $(C_{\\text{in}}, k, k)$ block: every output channel looks at every input channel.",
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
           "convolution with the matrix `pointwise` of shape $(C_{\\text{out}}, C)$. No biases. Return shape "
           "$(C_{\\text{out}}, H - k + 1, W - k + 1)$.",
    hint="The pointwise step is one matrix product per pixel: `np.einsum('oc,chw->ohw', pointwise, mid)`.",
    solution=f"{code_block(separable_conv)}\n\nThe depthwise step filters space, the pointwise step mixes "
             "channels; a full convolution does both at once with $C_{\\text{out}} C k^2$ weights instead of "
             "$C k^2 + C_{\\text{out}} C$.",
    function="separable_conv", signature="separable_conv(x, depthwise, pointwise)",
    reference=_separable_reference, cases=_separable_cases,
    wrong=(_separable_summed_depthwise, _separable_flipped),
))
