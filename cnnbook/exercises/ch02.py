"""Exercises of chapter 2, "Padding, stride and dilation"."""

from __future__ import annotations

import numpy as np

from cnnbook import functional, shapes
from cnnbook.exercises import Exercise, code_block, register, tex

# ---- 2.1 the source's example ----
register(Exercise(
    id="2.1", kind="number", title="Valid convolution of a small image",
    prompt="A 9×9 image is convolved with a 3×3 kernel, no padding, stride 1. How many times is the same set "
           "of 9 weights applied?",
    hint="One application per output pixel. How big is the output?",
    solution=f"The output is ${9} - 3 + 1 = {shapes.conv_output_size(9, 3)}$ pixels on a side, so the 9 weights "
             f"are applied ${shapes.conv_output_size(9, 3)}^2 = {shapes.weight_reuse(9, 3)}$ times.",
    answer=shapes.weight_reuse(9, 3),
    wrong=(shapes.conv_output_size(9, 3), 81, 9 * 49),
))

# ---- 2.2 the general formula ----
register(Exercise(
    id="2.2", kind="number", title="AlexNet's first layer",
    prompt="AlexNet's first layer applies 11×11 kernels with stride 4 and no padding to a 227×227 image. How "
           "many pixels wide is its output?",
    hint="$\\lfloor (n + 2p - d(k-1) - 1)/s \\rfloor + 1$ with $d = 1$.",
    solution=f"$\\lfloor (227 + 0 - 10 - 1)/4 \\rfloor + 1 = 54 + 1 = {shapes.conv_output_size(227, 11, 4)}$. "
             "(The paper says 224×224 input, which gives $(224 - 11)/4 + 1 = 54.25$, not a whole number of "
             "steps: the implementation used 227.)",
    answer=shapes.conv_output_size(227, 11, 4),
    wrong=(54, 56, 217),
))

# ---- 2.3 dilation ----
register(Exercise(
    id="2.3", kind="number", title="A dilated kernel",
    prompt="A 3×3 kernel with dilation 3 is applied to a 20×20 image with padding 3 and stride 1. How many "
           "pixels wide is the output?",
    hint="The dilated kernel spans $d(k-1)+1$ cells.",
    solution=f"The kernel spans $3 \\cdot 2 + 1 = 7$ cells, so the output is $20 + 6 - 7 + 1 = "
             f"{shapes.conv_output_size(20, 3, padding=3, dilation=3)}$ wide: with $p = d(k-1)/2$ a dilated "
             "kernel keeps the size, like a plain one with $p = (k-1)/2$.",
    answer=shapes.conv_output_size(20, 3, padding=3, dilation=3),
    wrong=(shapes.conv_output_size(20, 3, padding=3), 18, 14),
))

# ---- 2.4 TensorFlow same padding ----
register(Exercise(
    id="2.4", kind="shape", title="'Same' padding with a stride",
    prompt="TensorFlow's `padding=\"SAME\"` with a 4×4 kernel and stride 2 on a 7-pixel-wide input: how many "
           "zeros does it add (before, after) along the width? Answer as a pair such as (1, 1).",
    hint="'Same' wants $\\lceil n/s \\rceil$ outputs. How many input cells do that many windows span? The "
         "shortfall is split with the odd zero after.",
    solution=f"It wants $\\lceil 7/2 \\rceil = 4$ outputs, whose windows span $(4-1) \\cdot 2 + 4 = 10$ cells; "
             f"the input has 7, so 3 zeros are needed: {shapes.same_padding(7, 4, 2)[0]} before and "
             f"{shapes.same_padding(7, 4, 2)[1]} after. PyTorch refuses `padding=\"same\"` for a stride above 1.",
    answer=shapes.same_padding(7, 4, 2),
    wrong=((2, 1), (2, 2), (1, 1)),
))

# ---- 2.5 transposed output size ----
register(Exercise(
    id="2.5", kind="number", title="Undoing a strided convolution's shape",
    prompt="A stride-2 convolution with a 3×3 kernel and padding 1 maps 8×8 to 4×4. The transposed "
           "convolution with the same kernel size, stride and padding maps 4×4 back to 7×7. What "
           "`output_padding` makes it 8×8?",
    hint="$o = (i - 1)s - 2p + d(k - 1) + \\text{output\\_padding} + 1$.",
    solution=f"$(4-1) \\cdot 2 - 2 + 2 + 1 = {shapes.conv_transpose_output_size(4, 3, 2, 1)}$, so one more row "
             "and column is needed: `output_padding = 1`, giving "
             f"{shapes.conv_transpose_output_size(4, 3, 2, 1, output_padding=1)}. Both 7 and 8 map to 4 under the "
             "stride-2 convolution (the floor in the size formula loses the difference); `output_padding` "
             "says which one to go back to.",
    answer=1,
    wrong=(0, 2),
))

# ---- 2.6 stride and equivariance ----
register(Exercise(
    id="2.6", kind="choice", title="Which shifts does a stride-2 convolution respect?",
    prompt="Let $f(x) = (x \\star K)$ sampled with stride 2 (keep every other output), on an infinite image. "
           "For which shifts $t$ of the input is there a shift $t'$ of the output with "
           "$f(T_t x) = T_{t'} f(x)$ for every image $x$?",
    choices={
        "a": "Every integer shift, with $t' = t/2$ rounded down.",
        "b": "Even shifts only, with $t' = t/2$.",
        "c": "Odd shifts only.",
        "d": "None except $t = 0$.",
    },
    hint="Write $f(x)(i) = (x \\star K)(2i)$ and substitute the shifted image.",
    solution="**(b)**. $f(T_t x)(i) = (T_t x \\star K)(2i) = (x \\star K)(2i - t)$. If $t = 2u$ this is "
             "$(x \\star K)(2(i - u)) = f(x)(i - u)$: the output shifts by $u = t/2$. If $t$ is odd, "
             "$2i - t$ is odd for every $i$, so the shifted output is made only of the samples at odd "
             "positions, which $f(x)$ never kept: for a generic image it is no shift of $f(x)$ at all. "
             "The measurement in section 2.5 shows exactly this on a photograph.",
    answer="b",
    wrong=("a", "c", "d"),
))

# ---- 2.7 full padding ----
register(Exercise(
    id="2.7", kind="number", title="Full padding",
    prompt="'Full' padding adds $k - 1$ zeros on each side so that every partial overlap of kernel and image "
           "counts. How wide is the output of a 5×5 kernel on a 12-pixel-wide image with full padding, stride 1?",
    hint="Put $p = k - 1$ into the size formula.",
    solution=f"$12 + 2 \\cdot 4 - 5 + 1 = {shapes.conv_output_size(12, 5, padding=4)}$: full padding grows the "
             "output by $k - 1$, where valid padding shrinks it by $k - 1$.",
    answer=shapes.conv_output_size(12, 5, padding=4),
    wrong=(12, 8, 20),
))

# ---- 2.8 true/false: dilation ----
register(Exercise(
    id="2.8", kind="bool", title="Dilation and parameters",
    prompt="True or false: a 3×3 kernel with dilation 2 sees a 5×5 patch of its input and therefore has as "
           "many weights as a 5×5 kernel.",
    hint="Dilation spreads the taps apart; does it add any?",
    solution=f"False. It sees a 5×5 patch but has only 9 weights, at every other cell; a 5×5 kernel has 25. "
             f"For a layer from 64 to 64 channels that is {tex(shapes.conv2d_params(64, 64, 3))} against "
             f"{tex(shapes.conv2d_params(64, 64, 5))} parameters. That is the point of dilation: wider context "
             "for the same weights (chapter 6), at the price of ignoring the cells in between.",
    answer=False,
    wrong=(True,),
))

# ---- 2.9 code: a strided, padded, dilated convolution ----


def conv2d_general(image, kernel, stride, padding, dilation):
    """Cross-correlation of a 2-D image with a 2-D kernel, with stride, zero padding and dilation."""
    image = np.pad(image, padding)
    kh, kw = kernel.shape
    span_h, span_w = dilation * (kh - 1) + 1, dilation * (kw - 1) + 1
    h_out = (image.shape[0] - span_h) // stride + 1
    w_out = (image.shape[1] - span_w) // stride + 1
    out = np.zeros((h_out, w_out))
    for i in range(h_out):
        for j in range(w_out):
            top, left = i * stride, j * stride
            window = image[top : top + span_h : dilation, left : left + span_w : dilation]
            out[i, j] = np.sum(window * kernel)
    return out


def _general_reference(image, kernel, stride, padding, dilation):
    return functional.conv2d(image[None, None], kernel[None, None], stride=stride, padding=padding,
                             dilation=dilation)[0, 0]


def _general_cases(rng, n):
    for _ in range(n):
        kh, kw = (int(v) for v in rng.integers(1, 4, size=2))
        stride, padding, dilation = int(rng.integers(1, 4)), int(rng.integers(0, 3)), int(rng.integers(1, 3))
        h = int(rng.integers(max(1, dilation * (kh - 1) + 1 - 2 * padding), 10))
        w = int(rng.integers(max(1, dilation * (kw - 1) + 1 - 2 * padding), 10))
        yield rng.standard_normal((h, w)), rng.standard_normal((kh, kw)), stride, padding, dilation


def _general_no_dilation(image, kernel, stride, padding, dilation):
    return _general_reference(image, kernel, stride, padding, 1)


def _general_pad_before_only(image, kernel, stride, padding, dilation):
    padded = np.pad(image, ((padding, 0), (padding, 0)))
    return conv2d_general(padded, kernel, stride, 0, dilation)


register(Exercise(
    id="2.9", kind="code", title="Stride, padding and dilation in one loop",
    prompt="Write `conv2d_general(image, kernel, stride, padding, dilation)`: the cross-correlation of a 2-D "
           "`image` with a 2-D `kernel` (any shape), after adding `padding` zeros on every side, with windows "
           "`stride` apart and kernel taps `dilation` apart. The output has "
           "$\\lfloor (n + 2p - d(k-1) - 1)/s \\rfloor + 1$ rows and as many columns by the same rule.",
    hint="Pad first (`np.pad(image, padding)`). Window $(i, j)$ starts at $(i s, j s)$, and a slice with step "
         "$d$, `image[top : top + span : d, ...]`, picks exactly the cells the dilated kernel touches.",
    solution=f"{code_block(conv2d_general)}\n\n`cnnbook.functional.conv2d` computes the same thing for "
             "batches and channels, with `padding`, `stride` and `dilation` arguments of the same names.",
    function="conv2d_general", signature="conv2d_general(image, kernel, stride, padding, dilation)",
    reference=_general_reference, cases=_general_cases,
    wrong=(_general_no_dilation, _general_pad_before_only),
))

# ---- 2.10 code: transposed convolution by scattering ----


def conv_transpose2d_single(x, kernel, stride):
    """Transposed convolution of one 2-D input with one 2-D kernel (no padding): scatter and add."""
    kh, kw = kernel.shape
    h, w = x.shape
    out = np.zeros(((h - 1) * stride + kh, (w - 1) * stride + kw))
    for i in range(h):
        for j in range(w):
            out[i * stride : i * stride + kh, j * stride : j * stride + kw] += x[i, j] * kernel
    return out


def _transpose_reference(x, kernel, stride):
    return functional.conv_transpose2d(x[None, None], kernel[None, None], stride=stride)[0, 0]


def _transpose_cases(rng, n):
    for _ in range(n):
        h, w = (int(v) for v in rng.integers(1, 6, size=2))
        kh, kw = (int(v) for v in rng.integers(1, 5, size=2))
        yield rng.standard_normal((h, w)), rng.standard_normal((kh, kw)), int(rng.integers(1, 4))


def _transpose_flipped(x, kernel, stride):
    return conv_transpose2d_single(x, kernel[::-1, ::-1], stride)


def _transpose_no_overlap_add(x, kernel, stride):
    kh, kw = kernel.shape
    out = np.zeros(((x.shape[0] - 1) * stride + kh, (x.shape[1] - 1) * stride + kw))
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            out[i * stride : i * stride + kh, j * stride : j * stride + kw] = x[i, j] * kernel  # overwrites
    return out


register(Exercise(
    id="2.10", kind="code", title="Transposed convolution by scattering",
    prompt="Write `conv_transpose2d_single(x, kernel, stride)`, the transposed convolution of a 2-D input `x` "
           "with a 2-D `kernel`, stride `stride`, no padding: each input value adds a copy of the kernel, scaled "
           "by that value, into the output at offset `stride` times its position. The output is "
           "$((h-1)s + k_h) \\times ((w-1)s + k_w)$.",
    hint="Start from zeros and add `x[i, j] * kernel` into the block whose top-left corner is "
         "`(i * stride, j * stride)`. Where blocks overlap, the contributions add up.",
    solution=f"{code_block(conv_transpose2d_single)}\n\nThis is $C^\\top$ applied to `x`: the column of $C$ for "
             "one input pixel lists where that pixel went in the forward convolution, and the transpose "
             "sends it back to all those places, weighted the same way. `cnnbook.functional.conv_transpose2d` "
             "adds channels, padding, output padding and dilation.",
    function="conv_transpose2d_single", signature="conv_transpose2d_single(x, kernel, stride)",
    reference=_transpose_reference, cases=_transpose_cases,
    wrong=(_transpose_flipped, _transpose_no_overlap_add),
))
