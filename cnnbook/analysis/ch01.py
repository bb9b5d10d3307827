"""What chapter 1's figures, facts and exercises share: its examples and the computations behind them."""

from __future__ import annotations

import numpy as np

from cnnbook import functional, kernels, transforms
from cnnbook.data import photo

ASYMMETRIC_KERNEL = np.arange(1.0, 10.0).reshape(3, 3)
EQUIVARIANCE_SHIFT = (6, 10)
#: The convolution-matrix figure: side of the square image the matrices act on.
MATRIX_SIDE = 4


def equivariance_maps(shift=EQUIVARIANCE_SHIFT, size=120):
    """Shift-then-convolve, convolve-then-shift and their difference on a real photograph.

    Returns ``(image, shifted_then_conv, conv_then_shifted)``; the convolution is a
    3×3 Sobel with zero "same" padding and the shift fills with zeros.
    """
    cat = photo("chelsea", size=size, backend="numpy")[None, None]
    k = kernels.kernel("sobel x")[None, None]
    dy, dx = shift
    a = functional.conv2d(transforms.translate(cat, dy, dx), k, padding="same")[0, 0]
    b = transforms.translate(functional.conv2d(cat, k, padding="same"), dy, dx)[0, 0]
    return cat[0, 0], a, b


# The running example (sections 1.1 and 1.4, exercises 1.3 and 1.8): a 32×32 RGB image, 16 filters of 5×5.
IMAGE = (3, 32, 32)
FILTERS = 16
KERNEL = 5
