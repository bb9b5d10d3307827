"""Exercises of chapter 1, "The convolution operation".

Every answer is computed by ``cnnbook`` itself, so the numbers in the prompts,
the solutions and the checker cannot disagree.
"""

from __future__ import annotations

import numpy as np

from cnnbook import matrices, reference, shapes
from cnnbook.analysis.ch01 import FILTERS, IMAGE, KERNEL
from cnnbook.exercises import Exercise, code_block, register, tex
from cnnbook.formatting import format_value as fmt

# ---- 1.1 output size ----
N, K = 64, 7
register(Exercise(
    id="1.1", kind="number", title="How big is the feature map?",
    prompt=f"A {N}×{N} grayscale image is cross-correlated with a {K}×{K} kernel, with no padding and "
           "stride 1. How many pixels wide is the feature map?",
    hint="Count the positions the kernel's left column can take so that the whole kernel stays inside "
         "the image.",
    solution=f"The kernel's left column can sit at columns 0, 1, …, {N}−{K}, so there are "
             f"$n - k + 1 = {N} - {K} + 1 = {shapes.conv_output_size(N, K)}$ positions per row, and the map is "
             f"{shapes.conv_output_size(N, K)} pixels wide (and as many tall).",
    answer=shapes.conv_output_size(N, K),
    wrong=(N - K, N, N // K),
))

# ---- 1.2 parameters ----
_IN2, _OUT2, _K2 = 64, 128, 3
register(Exercise(
    id="1.2", kind="number", title="Parameters of a layer",
    prompt=f"A convolutional layer maps {_IN2} input channels to {_OUT2} output channels with {_K2}×{_K2} kernels "
           "and one bias per output channel. How many learnable parameters does it have?",
    hint="Each output channel owns one kernel that spans *all* input channels, plus a bias.",
    solution=fr"Each of the {_OUT2} filters has ${_K2} \cdot {_K2} \cdot {_IN2} = {_K2 * _K2 * _IN2}$ weights and one "
             fr"bias, so the layer has $({_K2} \cdot {_K2} \cdot {_IN2} + 1) \cdot {_OUT2} = "
             f"{tex(shapes.conv2d_params(_IN2, _OUT2, _K2))}$ parameters. "
             "The size of the image does not appear: the same weights serve every position.",
    answer=shapes.conv2d_params(_IN2, _OUT2, _K2),
    wrong=(shapes.conv2d_params(_IN2, _OUT2, _K2, bias=False), _K2 * _K2 * _OUT2, _K2 * _K2 * _IN2 + 1),
))

# ---- 1.3 multiply-accumulates (the running example of section 1.4) ----
_C, _H, _W = IMAGE
_OUT = shapes.conv2d_output_shape(IMAGE, FILTERS, KERNEL)  # (C_out, H_out, W_out)
_OUTPUTS = _OUT[0] * _OUT[1] * _OUT[2]
_TAPS = KERNEL * KERNEL * _C  # weights of one filter
register(Exercise(
    id="1.3", kind="number", title="What a layer costs",
    prompt=f"The running example of this chapter applies {FILTERS} filters of {KERNEL}×{KERNEL}×{_C} to a "
           f"{_H}×{_W} RGB image (no padding, stride 1). How many multiply-accumulate operations does one "
           "forward pass take, ignoring the biases?",
    hint="Count the output values, then the multiplications behind each.",
    solution=f"The output is {_OUT[1]}×{_OUT[2]}×{_OUT[0]} = {fmt(_OUTPUTS)} values, and each is a dot product of "
             fr"{KERNEL}·{KERNEL}·{_C} = {_TAPS} weights with {_TAPS} inputs, so ${tex(_OUTPUTS)} \cdot {_TAPS} = "
             f"{tex(shapes.conv2d_macs(IMAGE, FILTERS, KERNEL))}$ multiply-accumulates — far more than the "
             f"{fmt(shapes.conv2d_params(_C, FILTERS, KERNEL))} parameters, because every weight is used many "
             "times.",
    answer=shapes.conv2d_macs(IMAGE, FILTERS, KERNEL),
    wrong=(shapes.conv2d_params(_C, FILTERS, KERNEL), _H * _W * FILTERS * _TAPS),
))

# ---- 1.4 commutativity ----
register(Exercise(
    id="1.4", kind="bool", title="Is cross-correlation commutative?",
    prompt="True or false: like convolution, cross-correlation is commutative, "
           r"$(I \star K) = (K \star I)$ for all signals $I$ and $K$.",
    hint="Try two short 1-D sequences, say $I = (1, 2)$ and $K = (0, 1)$, in full mode (every overlap).",
    solution="False. Swapping the arguments of a cross-correlation reverses the result: "
             r"$(K \star I)(t) = (I \star K)(-t)$. With $I=(1,2)$ and $K=(0,1)$ the full cross-correlation "
             r"$I \star K$ is $(1, 2, 0)$ while $K \star I$ is $(0, 2, 1)$. Convolution is commutative because "
             "flipping one argument absorbs the reversal. Deep-learning libraries never swap the arguments, so "
             "nothing breaks, but signal-processing identities that rely on commutativity need care.",
    answer=False,
    wrong=(True,),
))

# ---- 1.5 flip ----
register(Exercise(
    id="1.5", kind="bool", title="From correlation to convolution",
    prompt="True or false: cross-correlating an image with the kernel rotated by 180° gives the same "
           "result as the true (flipped) convolution with the original kernel.",
    hint="Write both sums and substitute $m' = k - 1 - m$.",
    solution=r"True. Rotating by 180° flips both axes: $K'(m, n) = K(k_h-1-m,\, k_w-1-n)$, and "
             r"$\sum_{m,n} I(i+m, j+n)\, K'(m, n)$ is exactly the flipped-kernel sum that defines convolution "
             "in the valid region. The impulse figure shows it: correlating an impulse reproduces the kernel "
             "rotated by 180°, convolving reproduces it upright.",
    answer=True,
    wrong=(False,),
))

# ---- 1.6 equivariance ----
register(Exercise(
    id="1.6", kind="choice", title="Shift the input",
    prompt="A stride-1 convolution uses circular (wrap-around) padding, so its output has the input's size. "
           "You shift the input image 3 pixels to the right (wrapping around). What happens to the output?",
    choices={
        "a": "It does not change.",
        "b": "It shifts 3 pixels to the right.",
        "c": "It shifts 3 pixels to the left.",
        "d": "It changes in a way that depends on the kernel.",
    },
    hint="Every output pixel applies the same weights to its own neighbourhood.",
    solution=r"**(b)**. Convolution is translation *equivariant*: $\mathrm{conv}(T_s x) = T_s\,\mathrm{conv}(x)$. "
             "Each output pixel applies the same weights to its neighbourhood, and after the shift that "
             "neighbourhood is found 3 pixels further right. With circular padding there is no border, so the "
             "identity is exact everywhere; with zero padding it fails in a thin band at the border. Not changing "
             "at all (a) would be *invariance*, which pooling approximates, not convolution.",
    answer="b",
    wrong=("a", "c", "d"),
))

# ---- 1.7 weight shape ----
register(Exercise(
    id="1.7", kind="shape", title="The weight tensor",
    prompt="In the layout PyTorch and `cnnbook` use, what is the shape of the weight tensor of a convolution "
           f"from {_C} input channels to {FILTERS} output channels with {KERNEL}×{KERNEL} kernels?",
    hint="The first axis indexes the filters (output channels); each filter spans all input channels.",
    solution=f"`{(FILTERS, _C, KERNEL, KERNEL)}`: (out_channels, in_channels, kernel height, kernel width). Its "
             f"{fmt(FILTERS * _TAPS)} entries plus {FILTERS} biases give the "
             f"{fmt(shapes.conv2d_params(_C, FILTERS, KERNEL))} parameters of the running example.",
    answer=(FILTERS, _C, KERNEL, KERNEL),
    wrong=((_C, FILTERS, KERNEL, KERNEL), (KERNEL, KERNEL, _C, FILTERS), (FILTERS, KERNEL, KERNEL)),
))

# ---- 1.8 weight reuse ----
register(Exercise(
    id="1.8", kind="number", title="Weight sharing, counted",
    prompt=f"In the running example ({_H}×{_W} input, {KERNEL}×{KERNEL} kernels, no padding, stride 1), how many "
           "times is each single weight used in one forward pass over one image?",
    hint="A weight is used once for every position of the kernel.",
    solution=fr"Once per output position: ${_OUT[1]} \times {_OUT[2]} = {tex(shapes.weight_reuse(_H, KERNEL))}$ "
             "times. A dense layer uses each of its weights exactly once per image.",
    answer=shapes.weight_reuse(_H, KERNEL),
    wrong=(_H * _W, KERNEL * KERNEL, _OUT[1]),
))

# ---- 1.9 code: cross-correlation ----


def correlate2d(image, kernel):
    """Valid 2-D cross-correlation of one image with one kernel."""
    kh, kw = kernel.shape
    h_out = image.shape[0] - kh + 1
    w_out = image.shape[1] - kw + 1
    out = np.zeros((h_out, w_out))
    for i in range(h_out):
        for j in range(w_out):
            out[i, j] = np.sum(image[i : i + kh, j : j + kw] * kernel)
    return out


def _correlate_cases(rng, n):
    for _ in range(n):
        h, w = rng.integers(1, 10, size=2)
        kh, kw = rng.integers(1, h + 1), rng.integers(1, w + 1)
        yield rng.standard_normal((h, w)), rng.standard_normal((kh, kw))


def _wrong_flipped(image, kernel):
    return reference.convolve2d(image, kernel)


def _wrong_size(image, kernel):
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh, image.shape[1] - kw))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(image[i : i + kh, j : j + kw] * kernel)
    return out


register(Exercise(
    id="1.9", kind="code", title="Cross-correlation from scratch",
    prompt="Write the valid 2-D cross-correlation of a 2-D `image` with a 2-D `kernel` (any sizes, the "
           "kernel no larger than the image), returning an array of shape "
           "`(H - kH + 1, W - kW + 1)`. Loops are fine.",
    hint="Slide a window of the kernel's size over every valid position and take the sum of the "
         "element-wise product. Non-square kernels must work too.",
    solution=f"{code_block(correlate2d)}\n\n"
             "`cnnbook.reference.correlate2d` is the same definition; `cnnbook.functional.conv2d` computes it "
             "fast for batches and channels.",
    function="correlate2d", signature="correlate2d(image, kernel)",
    reference=reference.correlate2d, cases=_correlate_cases,
    wrong=(_wrong_flipped, _wrong_size),
))

# ---- 1.10 code: the convolution matrix ----


def conv_matrix(kernel, height, width):
    """Matrix M with M @ image.ravel() == correlate2d(image, kernel).ravel()."""
    kh, kw = kernel.shape
    h_out, w_out = height - kh + 1, width - kw + 1
    m = np.zeros((h_out * w_out, height * width))
    for i in range(h_out):
        for j in range(w_out):
            for a in range(kh):
                for b in range(kw):
                    m[i * w_out + j, (i + a) * width + (j + b)] = kernel[a, b]
    return m


def _matrix_cases(rng, n):
    for _ in range(n):
        height, width = (int(v) for v in rng.integers(1, 7, size=2))
        kh, kw = int(rng.integers(1, height + 1)), int(rng.integers(1, width + 1))
        yield rng.standard_normal((kh, kw)), height, width


def _matrix_reference(kernel, height, width):
    return matrices.conv_matrix(kernel, (height, width))


def _wrong_transposed(kernel, height, width):
    return _matrix_reference(kernel, height, width).T


def _wrong_circular(kernel, height, width):
    return matrices.conv_matrix(kernel, (height, width), circular=True)


register(Exercise(
    id="1.10", kind="code", title="Convolution as a matrix",
    prompt="Write `conv_matrix(kernel, height, width)` returning the matrix $M$ of shape "
           "`(H_out·W_out, height·width)` such that `M @ image.ravel()` equals "
           "`correlate2d(image, kernel).ravel()` for every `image` of shape `(height, width)` "
           "(valid mode, row-major flattening).",
    hint="Row `i * W_out + j` belongs to output pixel `(i, j)`. Which input pixel does kernel tap "
         "`(a, b)` read, and what is its column in the flattened image?",
    solution=f"{code_block(conv_matrix)}\n\n"
             "Each row holds the kernel's weights, laid out along the input row by row; shifting the output by "
             "one pixel shifts the row by one column. That is why the matrix is Toeplitz within blocks and "
             "Toeplitz across blocks. `cnnbook.matrices.conv_matrix` adds padding, stride and the circular case.",
    function="conv_matrix", signature="conv_matrix(kernel, height, width)",
    reference=_matrix_reference, cases=_matrix_cases,
    wrong=(_wrong_transposed, _wrong_circular),
))

# ---- 1.11 1x1 convolution ----
register(Exercise(
    id="1.11", kind="number", title="A 1×1 convolution",
    prompt="A 1×1 convolution maps a 56×56 feature map with 256 channels to 64 channels, without bias. "
           "How many weights does it have?",
    hint="A 1×1 kernel sees one pixel, but all of its channels.",
    solution="Each of the 64 filters is a 1×1×256 kernel: "
             fr"$64 \cdot 256 = {tex(shapes.conv2d_params(256, 64, 1, bias=False))}$ weights. It is a "
             "256→64 matrix applied to every pixel's channel vector, and the 56×56 size does not matter.",
    answer=shapes.conv2d_params(256, 64, 1, bias=False),
    wrong=(56 * 56 * 64, 256 * 64 + 64),
))
