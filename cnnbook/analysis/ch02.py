"""What chapter 2's figures, facts and exercises share: its examples and the computations behind them."""

from __future__ import annotations

import functools

import numpy as np

from cnnbook import functional, kernels, transforms
from cnnbook.arithmetic import Arithmetic
from cnnbook.data import photo

#: (image size, kernel size) of the valid convolution of exercise 2.1 and section 2.1.
SMALL_IMAGE = (9, 3)
#: AlexNet's first layer (Krizhevsky et al., 2012): the input size the paper states, the one its
#: implementation used, the kernel size and the stride.
ALEXNET = {"paper_input": 224, "input": 227, "kernel": 11, "stride": 4}
#: The strided convolution whose shape exercise 2.5 and section 2.7 undo: it maps ``size`` and ``size - 1``
#: cells to the same number of outputs.
OUTPUT_PADDING_EXAMPLE = {"size": 8, "kernel": 3, "stride": 2, "padding": 1}


#: The convolution-arithmetic cases drawn in the chapter, after Dumoulin & Visin (2016), and more.
ANIMATIONS = {
    "no_padding": Arithmetic(4, 3),
    "padding": Arithmetic(5, 4, padding=2),
    "same": Arithmetic(5, 3, padding=1),
    "full": Arithmetic(5, 3, padding=2),
    "same_even": Arithmetic(6, 4, padding=(1, 2)),
    "stride": Arithmetic(5, 3, stride=2),
    "padding_stride": Arithmetic(5, 3, stride=2, padding=1),
    "padding_stride_odd": Arithmetic(6, 3, stride=2, padding=1),
    "dilation": Arithmetic(7, 3, dilation=2),
    "transposed": Arithmetic(2, 3, transposed=True),
    "transposed_stride": Arithmetic(2, 3, stride=2, transposed=True),
    "transposed_padding_stride": Arithmetic(3, 3, stride=2, padding=1, transposed=True),
    "transposed_output_padding": Arithmetic(3, 3, stride=2, padding=1, output_padding=1, transposed=True),
}
#: The convolution arithmetic animator's default state, drawn for readers without JavaScript (the same
#: defaults are written in docs/assets/instruments/conv-arithmetic.js).
INSTRUMENT_DEFAULT = Arithmetic(5, 3, stride=2, padding=1)
#: Side of the image whose convolution matrix the transposed-convolution figure draws (with chapter 1's kernel).
TRANSPOSED_MATRIX_SIZE = 4


def bilinear_kernel():
    """The 4×4 kernel of bilinear upsampling by 2: a tent, the outer product of (1, 3, 3, 1)/4."""
    tent = np.array([1.0, 3.0, 3.0, 1.0]) / 4.0
    return np.outer(tent, tent)


#: The upsampling factor of the checkerboard figure: the stride of its transposed convolutions.
UPSAMPLE = 2


def upsamplers():
    """Three ways to enlarge an image :data:`UPSAMPLE` times, as ``{label: function(x) -> y}`` on (N, 1, H, W) arrays.

    The 3×3 kernel of equal weights is scaled to gain 1 on average: its 9 taps land on ``UPSAMPLE**2``
    output pixels per input pixel.
    """
    s = UPSAMPLE
    flat3 = np.full((1, 1, 3, 3), s**2 / 9.0)
    blur = kernels.kernel("gaussian blur")[None, None]

    def nearest_then_conv(x):
        return functional.conv2d(np.repeat(np.repeat(x, s, axis=-2), s, axis=-1), blur, padding=1)

    return {
        f"transposed 3×3, stride {s}": lambda x: functional.conv_transpose2d(x, flat3, stride=s, padding=1,
                                                                            output_padding=1),
        f"transposed 4×4 (bilinear), stride {s}": lambda x: functional.conv_transpose2d(
            x, bilinear_kernel()[None, None], stride=s, padding=1),
        "nearest resize, then 3×3 blur": nearest_then_conv,
    }


def constant_response(up, n=5):
    """An upsampler's output on a constant image of ones, inside the border (the overlap pattern)."""
    return up(np.ones((1, 1, n, n)))[0, 0, 2:-2, 2:-2]


STRIDE_SHIFTS = tuple(range(0, 9))
#: (stride, kernel) of each series: two stride-2 convolutions and the stride-1 control.
EQUIVARIANCE_SERIES = ((2, "sobel x"), (2, "gaussian blur"), (1, "sobel x"))


def _interior_rms(a, margin):
    return float(np.sqrt(np.mean(a[:, margin:-margin] ** 2)))


@functools.cache
def stride_equivariance(size=128):
    """For each horizontal shift t, how far conv(shift_t x) is from the best shift of conv(x).

    Two 3×3 kernels (Sobel x and a Gaussian blur) with stride 2 and no
    padding. An even shift ``t`` should move the output by ``t / 2``; an odd
    one falls between two output pixels, so both neighbours ``t // 2`` and
    ``t // 2 + 1`` are tried and the better one kept. The stride-1 Sobel,
    shifted by ``t``, is the control. Errors are root-mean-square differences
    away from the borders, relative to the output's own RMS.

    Returns
    -------
    dict
        ``{"shifts": [...], "<label>": [relative errors], ...}``.
    """
    x = photo("camera", size=size, backend="numpy")[None, None]
    margin = max(STRIDE_SHIFTS) + 2
    result = {"shifts": list(STRIDE_SHIFTS)}
    for stride, name in EQUIVARIANCE_SERIES:
        label = f"stride {stride}, {name}"
        w = kernels.kernel(name)[None, None]
        base = functional.conv2d(x, w, stride=stride)[0, 0]
        scale = _interior_rms(base, margin)
        errors = []
        for t in STRIDE_SHIFTS:
            out = functional.conv2d(transforms.translate(x, 0, t), w, stride=stride)[0, 0]
            candidates = {t // stride, -(-t // stride)}
            errors.append(min(_interior_rms(out - transforms.translate(base, 0, c), margin) for c in candidates)
                          / scale)
        result[label] = errors
    return result
