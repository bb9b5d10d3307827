"""Exercises of chapter 3, "Pooling and invariance"."""

from __future__ import annotations

import numpy as np

from cnnbook import functional, models, shapes
from cnnbook.analysis.ch03 import ALEXNET_SIDE, ALEXNET_STRIDE, ALEXNET_WINDOW, RESNET_HEAD
from cnnbook.exercises import Exercise, code_block, register, tex

_N, _K, _S = ALEXNET_SIDE, ALEXNET_WINDOW, ALEXNET_STRIDE

# ---- 3.1 overlapping pooling ----
register(Exercise(
    id="3.1", kind="number", title="Overlapping pooling",
    prompt=f"AlexNet max-pools its {_N}×{_N} first-layer feature maps with {_K}×{_K} windows and stride {_S}. "
           "How many pixels wide is the pooled map?",
    hint="Pooling uses the convolution's size formula, with the window in place of the kernel.",
    solution=fr"$\lfloor ({_N} - {_K})/{_S} \rfloor + 1 = {shapes.pool_output_size(_N, _K, _S)}$. Neighbouring "
             f"windows share {_K - _S} row and {_K - _S} column; Krizhevsky et al. (2012) report slightly lower "
             "error with these overlapping windows than with non-overlapping 2×2 ones.",
    answer=shapes.pool_output_size(_N, _K, _S),
    wrong=(-(-_N // _S), shapes.pool_output_size(_N, _K, _S) - 1, _N // _K),  # ceil(n/s), off by one, n/k
))

# ---- 3.2 ceil mode ----
register(Exercise(
    id="3.2", kind="number", title="Ceil mode",
    prompt="A 2×2 max pooling with stride 2 and `ceil_mode=True` is applied to a 7×7 map. How wide is the output?",
    hint="Ceil mode rounds $(n - k)/s$ up, keeping a last window that hangs over the edge.",
    solution=fr"$\lceil (7 - 2)/2 \rceil + 1 = {shapes.pool_output_size(7, 2, ceil_mode=True)}$; the last "
             "window covers only the seventh column. In floor mode (the default) the output is "
             f"{shapes.pool_output_size(7, 2)} wide and the seventh column is never read.",
    answer=shapes.pool_output_size(7, 2, ceil_mode=True),
    wrong=(shapes.pool_output_size(7, 2), 7),
))

# ---- 3.3 flatten + dense ----
_, _C, _H, _OUT = RESNET_HEAD
_FLAT, _GAP = shapes.linear_params(_C * _H * _H, _OUT), shapes.linear_params(_C, _OUT)
register(Exercise(
    id="3.3", kind="number", title="A head without global pooling",
    prompt=f"ResNet-18's last stage outputs {_C} feature maps of {_H}×{_H}. If they were flattened and fed to a "
           f"dense layer with {_OUT:,} outputs (with biases), how many parameters would that layer have?",
    hint=fr"Flattening gives ${_H} \cdot {_H} \cdot {_C}$ inputs.",
    solution=fr"$({_H} \cdot {_H} \cdot {_C}) \cdot {_OUT} + {_OUT} = {tex(_FLAT)}$, "
             f"{_FLAT / (models.summary('resnet18').params - _GAP):.1f} times the rest of ResNet-18. With global "
             f"average pooling first, the dense layer has ${tex(_GAP)}$, which is what ResNet uses.",
    answer=_FLAT,
    wrong=(_GAP, _C * _H * _H * _OUT),
))

# ---- 3.4 parameters of pooling ----
register(Exercise(
    id="3.4", kind="number", title="What does pooling learn?",
    prompt="How many learnable parameters does a 2×2 max-pooling layer on 64 channels have?",
    hint="What would gradient descent adjust?",
    solution="None: 0. Max and average pooling are fixed functions. That is why a strided convolution, which has "
             f"parameters ({tex(shapes.conv2d_params(64, 64, 2, groups=64))} for a 2×2 depthwise one on 64 "
             "channels, biases included), is called the learnable alternative.",
    answer=0,
    wrong=(256, 4, 64),
))

# ---- 3.5 invariance of max pooling ----
register(Exercise(
    id="3.5", kind="bool", title="Is max pooling shift invariant?",
    prompt="True or false: the output of a 2×2 max pooling with stride 2 is unchanged when its input shifts "
           "by one pixel.",
    hint="Take a single bright pixel at column 1 (counting from 0), then move it to column 2.",
    solution="False. A bright pixel at column 1 lands in the first window, at column 2 in the second: the "
             "output changes. A max-pooled output is unchanged only when every window keeps the same maximum, "
             "which small shifts often allow and often do not: pooling gives *approximate* invariance to small "
             "shifts, and the measurement in section 3.3 shows how approximate.",
    answer=False,
    wrong=(True,),
))

# ---- 3.6 exact invariance ----
register(Exercise(
    id="3.6", kind="choice", title="Exactly invariant",
    prompt="Which of these functions of an image gives exactly the same output for every circular "
           "(wrap-around) shift of the image?",
    choices={
        "a": "a convolution with circular padding",
        "b": "a convolution with circular padding, then 2×2 max pooling",
        "c": "a convolution with circular padding, then global average pooling",
        "d": "a convolution with circular padding and stride 2",
    },
    hint="Which one has no spatial positions left in its output?",
    solution="**(c)**. The circular convolution is exactly equivariant, $f(T_t x) = T_t f(x)$, and the average "
             "over all positions of a circularly shifted map is the average of the map: "
             r"$\operatorname{mean}(T_t f(x)) = \operatorname{mean}(f(x))$. (a) is equivariant, not invariant: "
             "its output moves with the input. (b) and (d) are not even equivariant: a shift by a multiple of the "
             "stride moves their output by whole cells, but a one-pixel shift in general changes it in other "
             "ways (a bright pixel that moves into the next window, exercise 3.5).",
    answer="c",
    wrong=("a", "b", "d"),
))

# ---- 3.7 global average pooling shape ----
register(Exercise(
    id="3.7", kind="shape", title="Global average pooling",
    prompt="What is the shape of `adaptive_avg_pool2d(x, 1)` for a batch `x` of shape (8, 512, 7, 7)?",
    hint="One average per image and channel; the spatial axes stay, with size 1.",
    solution="`(8, 512, 1, 1)`: each of the 512 maps of each of the 8 images becomes its mean. Flattening then "
             "gives the (8, 512) matrix the classifier reads.",
    answer=tuple(functional.adaptive_avg_pool2d(np.zeros((8, 512, 7, 7)), 1).shape),
    wrong=((8, 512), (8, 1, 7, 7), (512, 1, 1)),
))

# ---- 3.8 code: max pooling ----


def max_pool2d_single(image, kernel_size, stride):
    """Max pooling of one 2-D map with square windows, no padding (floor mode)."""
    h_out = (image.shape[0] - kernel_size) // stride + 1
    w_out = (image.shape[1] - kernel_size) // stride + 1
    out = np.empty((h_out, w_out))
    for i in range(h_out):
        for j in range(w_out):
            out[i, j] = image[i * stride : i * stride + kernel_size, j * stride : j * stride + kernel_size].max()
    return out


def _pool_reference(image, kernel_size, stride):
    return functional.max_pool2d(image[None, None], kernel_size, stride)[0, 0]


def _pool_cases(rng, n):
    for _ in range(n):
        k = int(rng.integers(1, 4))
        h, w = (int(v) for v in rng.integers(k, 10, size=2))
        yield rng.standard_normal((h, w)), k, int(rng.integers(1, 4))


def _pool_mean(image, kernel_size, stride):
    return functional.avg_pool2d(image[None, None], kernel_size, stride)[0, 0]


def _pool_ceil(image, kernel_size, stride):
    return functional.max_pool2d(image[None, None], kernel_size, stride, ceil_mode=True)[0, 0]


register(Exercise(
    id="3.8", kind="code", title="Max pooling from scratch",
    prompt="Write `max_pool2d_single(image, kernel_size, stride)`: max pooling of a 2-D array with square "
           "`kernel_size`×`kernel_size` windows placed `stride` apart, no padding, dropping windows that do "
           "not fit (floor mode).",
    hint=r"The output size is the convolution's, $\lfloor (n - k)/s \rfloor + 1$; each output is the `max` of "
         "one window.",
    solution=f"{code_block(max_pool2d_single)}\n\n`cnnbook.reference.max_pool2d` adds batches, channels, padding, "
             "dilation and ceil mode; `cnnbook.functional.max_pool2d` computes the same without Python loops.",
    function="max_pool2d_single", signature="max_pool2d_single(image, kernel_size, stride)",
    reference=_pool_reference, cases=_pool_cases,
    wrong=(_pool_mean, _pool_ceil),
))

# ---- 3.9 code: adaptive average pooling ----


def adaptive_avg_pool2d_single(image, out_h, out_w):
    """Adaptive average pooling of one 2-D map to out_h × out_w bins."""
    h, w = image.shape
    out = np.empty((out_h, out_w))
    for i in range(out_h):
        top, bottom = (i * h) // out_h, -(-((i + 1) * h) // out_h)
        for j in range(out_w):
            left, right = (j * w) // out_w, -(-((j + 1) * w) // out_w)
            out[i, j] = image[top:bottom, left:right].mean()
    return out


def _adaptive_reference(image, out_h, out_w):
    return functional.adaptive_avg_pool2d(image[None, None], (out_h, out_w))[0, 0]


def _adaptive_cases(rng, n):
    for _ in range(n):
        h, w = (int(v) for v in rng.integers(1, 12, size=2))
        yield rng.standard_normal((h, w)), int(rng.integers(1, h + 1)), int(rng.integers(1, w + 1))


def _adaptive_floor_end(image, out_h, out_w):
    def bins(n, m):  # rounds the end down too (kept non-empty): misses the shared rows and columns
        return [((i * n) // m, max(((i + 1) * n) // m, (i * n) // m + 1)) for i in range(m)]

    return np.array([[image[top:bottom, left:right].mean() for left, right in bins(image.shape[1], out_w)]
                     for top, bottom in bins(image.shape[0], out_h)])


def _adaptive_fixed_stride(image, out_h, out_w):
    kh, kw = image.shape[0] // out_h, image.shape[1] // out_w
    return np.array([[image[i * kh : (i + 1) * kh, j * kw : (j + 1) * kw].mean() for j in range(out_w)]
                     for i in range(out_h)])


register(Exercise(
    id="3.9", kind="code", title="Adaptive average pooling",
    prompt="Write `adaptive_avg_pool2d_single(image, out_h, out_w)`: average a 2-D `image` of shape (h, w) "
           r"over `out_h`×`out_w` bins that cover it. Bin $i$ of $n_{\text{out}}$ along an axis of length $n$ "
           r"spans positions $\lfloor i n / n_{\text{out}} \rfloor$ up to (not including) "
           r"$\lceil (i + 1) n / n_{\text{out}} \rceil$, PyTorch's rule, so neighbouring bins may share a "
           r"row or column when $n$ is not a multiple of $n_{\text{out}}$.",
    hint="Ceiling division in Python: `-(-a // b)`.",
    solution=f"{code_block(adaptive_avg_pool2d_single)}\n\nWith `out_h = out_w = 1` it is global average "
             "pooling. Because the bins follow the input size, a network that ends with it accepts images of any "
             "size.",
    function="adaptive_avg_pool2d_single", signature="adaptive_avg_pool2d_single(image, out_h, out_w)",
    reference=_adaptive_reference, cases=_adaptive_cases,
    wrong=(_adaptive_floor_end, _adaptive_fixed_stride),
))

# ---- 3.10 average pooling as a convolution ----
register(Exercise(
    id="3.10", kind="number", title="Average pooling is a convolution",
    prompt="2×2 average pooling with stride 2 on a 64-channel map equals a stride-2 depthwise convolution "
           "(`groups=64`, one 2×2 kernel per channel, no bias) with every weight equal to some value $w$. "
           "What is $w$?",
    hint="Each output is the mean of four inputs.",
    solution="$w = 1/4 = 0.25$: the mean of four numbers is their sum with weights $1/4$. Max pooling has no "
             "such form, since the maximum is not a weighted sum: one strided convolution can learn average "
             "pooling exactly, but not max pooling. (Convolutions with ReLUs between them can compute a maximum: "
             r"$\max(a, b) = \operatorname{relu}(a - b) + \operatorname{relu}(b) - \operatorname{relu}(-b)$ "
             "takes two convolutions with a ReLU between them, and the maximum of a 2×2 window takes two such rounds.)",
    answer=0.25,
    wrong=(1, 4, 0.5),
))
