"""Naive loop versions: the definitions, written to be read.

These functions transcribe the formulas of the book one sum at a time. They are
shown in the chapters, used as the oracles the fast versions are tested
against, and timed against them in chapter 1. NumPy only, and slow on purpose.
"""

from __future__ import annotations

import numpy as np

from cnnbook import geometry
from cnnbook._checks import check_array, check_int, check_pair, float_dtype
from cnnbook.backend import to_numpy
from cnnbook.shapes import pool_output_size

__all__ = ["adaptive_avg_pool2d", "avg_pool2d", "conv2d", "conv_transpose2d", "convolve2d", "correlate2d",
           "max_pool2d"]


def correlate2d(image, kernel):
    """Valid 2-D cross-correlation of one image with one kernel.

    .. math:: S(i, j) = \\sum_{m=0}^{k_h-1} \\sum_{n=0}^{k_w-1} I(i + m, j + n)\\, K(m, n)

    Parameters
    ----------
    image : array, shape (H, W)
    kernel : array, shape (kH, kW), no larger than ``image``

    Returns
    -------
    ndarray, shape (H - kH + 1, W - kW + 1)

    Examples
    --------
    >>> image = np.arange(9.0).reshape(3, 3)
    >>> correlate2d(image, np.array([[1.0, 0.0], [0.0, -1.0]]))
    array([[-4., -4.],
           [-4., -4.]])
    """
    image = check_array(to_numpy(image), "image", "correlate2d", ndim=2)
    kernel = check_array(to_numpy(kernel), "kernel", "correlate2d", ndim=2)
    kh, kw = kernel.shape
    h, w = image.shape
    if kh > h or kw > w:
        raise ValueError(f"correlate2d: kernel {kernel.shape} is larger than image {image.shape}")
    out = np.zeros((h - kh + 1, w - kw + 1), dtype=float_dtype(image, kernel))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            for m in range(kh):
                for n in range(kw):
                    out[i, j] += image[i + m, j + n] * kernel[m, n]
    return out


def convolve2d(image, kernel):
    """Valid 2-D convolution in the mathematician's sense: the kernel is flipped.

    .. math:: (I \\star K)(i, j) = \\sum_{m, n} I(i + m, j + n)\\, K(k_h - 1 - m, k_w - 1 - n)

    which is cross-correlation with the kernel rotated by 180°.

    Examples
    --------
    >>> image = np.arange(9.0).reshape(3, 3)
    >>> convolve2d(image, np.array([[1.0, 0.0], [0.0, -1.0]]))
    array([[4., 4.],
           [4., 4.]])
    """
    kernel = check_array(to_numpy(kernel), "kernel", "convolve2d", ndim=2)
    return correlate2d(image, kernel[::-1, ::-1])


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """Batched multi-channel cross-correlation, one output value at a time.

    Same arguments and result as :func:`cnnbook.functional.conv2d` (``padding``
    an int or a pair here), computed straight from the definition

    .. math:: y[n, o, i, j] = b[o] + \\sum_{c}\\sum_{m}\\sum_{l}
              w[o, c, m, l]\\; x_p[n,\\, g C_g + c,\\, i s_h + m d_h,\\, j s_w + l d_w]

    Examples
    --------
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> conv2d(x, np.ones((1, 1, 2, 2)), stride=2)[0, 0]
    array([[10., 18.],
           [42., 50.]])
    """
    where = "reference.conv2d"
    x = check_array(to_numpy(x), "x", where, ndim=4)
    weight = check_array(to_numpy(weight), "weight", where, ndim=4)
    sh, sw = check_pair(stride, "stride", where, minimum=1)
    ph, pw = check_pair(padding, "padding", where, minimum=0)
    dh, dw = check_pair(dilation, "dilation", where, minimum=1)
    groups = check_int(groups, "groups", where, minimum=1)
    n_batch, c_in, h, w = x.shape
    c_out, c_group, kh, kw = weight.shape
    if c_in % groups or c_out % groups or c_group != c_in // groups:
        raise ValueError(f"{where}: x {x.shape} and weight {weight.shape} do not fit groups={groups}")
    dtype = float_dtype(x, weight)
    xp = np.zeros((n_batch, c_in, h + 2 * ph, w + 2 * pw), dtype=dtype)
    xp[:, :, ph : ph + h, pw : pw + w] = x
    h_out, w_out = geometry.positions(h + 2 * ph, kh, sh, dh), geometry.positions(w + 2 * pw, kw, sw, dw)
    if h_out < 1 or w_out < 1:
        raise ValueError(f"{where}: kernel {weight.shape[2:]} does not fit the padded input")
    out_per_group = c_out // groups
    y = np.zeros((n_batch, c_out, h_out, w_out), dtype=dtype)
    for n in range(n_batch):
        for o in range(c_out):
            first = (o // out_per_group) * c_group  # first input channel of o's group
            for i in range(h_out):
                for j in range(w_out):
                    total = 0.0
                    for c in range(c_group):
                        for m in range(kh):
                            for l in range(kw):
                                total += weight[o, c, m, l] * xp[n, first + c, i * sh + m * dh, j * sw + l * dw]
                    y[n, o, i, j] = total
    if bias is not None:
        y += to_numpy(bias).reshape(1, c_out, 1, 1)
    return y


def conv_transpose2d(x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed convolution, one scatter at a time.

    Every input value ``x[n, c, i, j]`` adds ``x[n, c, i, j] * weight[c, o, m, l]`` to the output
    at ``(i * s_h + m * d_h - p_h, j * s_w + l * d_w - p_w)``; positions that fall outside the
    output (the trimmed ``padding``) are dropped. Same arguments and result as
    :func:`cnnbook.functional.conv_transpose2d` (``padding`` an int or a pair).

    Examples
    --------
    >>> conv_transpose2d(np.array([[[[1.0, 2.0]]]]), np.ones((1, 1, 1, 2)), stride=2)[0, 0]
    array([[1., 1., 2., 2.]])
    """
    where = "reference.conv_transpose2d"
    x = check_array(to_numpy(x), "x", where, ndim=4)
    weight = check_array(to_numpy(weight), "weight", where, ndim=4)
    sh, sw = check_pair(stride, "stride", where, minimum=1)
    ph, pw = check_pair(padding, "padding", where, minimum=0)
    oph, opw = check_pair(output_padding, "output_padding", where, minimum=0)
    dh, dw = check_pair(dilation, "dilation", where, minimum=1)
    n_batch, c_in, h, w = x.shape
    _, c_out_group, kh, kw = weight.shape
    in_per_group = c_in // groups
    h_out = geometry.transposed_size(h, kh, sh, ph, oph, dh)
    w_out = geometry.transposed_size(w, kw, sw, pw, opw, dw)
    y = np.zeros((n_batch, c_out_group * groups, h_out, w_out), dtype=float_dtype(x, weight))
    for n in range(n_batch):
        for c in range(c_in):
            first = (c // in_per_group) * c_out_group  # first output channel of c's group
            for i in range(h):
                for j in range(w):
                    for o in range(c_out_group):
                        for m in range(kh):
                            for l in range(kw):
                                r, q = i * sh + m * dh - ph, j * sw + l * dw - pw
                                if 0 <= r < h_out and 0 <= q < w_out:
                                    y[n, first + o, r, q] += x[n, c, i, j] * weight[c, o, m, l]
    if bias is not None:
        y += to_numpy(bias).reshape(1, -1, 1, 1)
    return y


def _pool_setup(x, kernel_size, stride, padding, dilation, ceil_mode, where):
    x = check_array(to_numpy(x), "x", where, ndim=4)
    kernel = check_pair(kernel_size, "kernel_size", where, minimum=1)
    stride = kernel if stride is None else check_pair(stride, "stride", where, minimum=1)
    padding = check_pair(padding, "padding", where, minimum=0)
    dilation = check_pair(dilation, "dilation", where, minimum=1)
    out = [pool_output_size(n, k, s, p, d, ceil_mode)
           for n, k, s, p, d in zip(x.shape[2:], kernel, stride, padding, dilation)]
    return x.astype(float_dtype(x)), kernel, stride, padding, dilation, out


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """Max pooling, one window at a time: the largest input value the window covers.

    Window ``(i, j)`` covers rows ``i s_h - p_h + m d_h`` and columns
    ``j s_w - p_w + l d_w``; positions outside the input (padding, or past
    the end in ceil mode) are skipped. Same arguments as
    :func:`cnnbook.functional.max_pool2d`.

    Examples
    --------
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> max_pool2d(x, 2)[0, 0]
    array([[ 5.,  7.],
           [13., 15.]])
    """
    x, (kh, kw), (sh, sw), (ph, pw), (dh, dw), (h_out, w_out) = _pool_setup(
        x, kernel_size, stride, padding, dilation, ceil_mode, "reference.max_pool2d")
    n_batch, channels, h, w = x.shape
    y = np.empty((n_batch, channels, h_out, w_out), dtype=x.dtype)
    for n in range(n_batch):
        for c in range(channels):
            for i in range(h_out):
                for j in range(w_out):
                    best = -np.inf
                    for m in range(kh):
                        for l in range(kw):
                            r, q = i * sh - ph + m * dh, j * sw - pw + l * dw
                            if 0 <= r < h and 0 <= q < w:
                                best = max(best, x[n, c, r, q])
                    y[n, c, i, j] = best
    return y


def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """Average pooling, one window at a time.

    The sum covers the input values in the window; the divisor counts either
    every window position inside the padded input (``count_include_pad``) or
    only those inside the input itself.

    Examples
    --------
    >>> x = np.arange(9.0).reshape(1, 1, 3, 3)
    >>> avg_pool2d(x, 2, stride=1)[0, 0]
    array([[2., 3.],
           [5., 6.]])
    """
    x, (kh, kw), (sh, sw), (ph, pw), _, (h_out, w_out) = _pool_setup(
        x, kernel_size, stride, padding, 1, ceil_mode, "reference.avg_pool2d")
    n_batch, channels, h, w = x.shape
    y = np.empty((n_batch, channels, h_out, w_out), dtype=x.dtype)
    for n in range(n_batch):
        for c in range(channels):
            for i in range(h_out):
                for j in range(w_out):
                    total, inside, in_padded = 0.0, 0, 0
                    for m in range(kh):
                        for l in range(kw):
                            r, q = i * sh - ph + m, j * sw - pw + l
                            if 0 <= r < h and 0 <= q < w:
                                total += x[n, c, r, q]
                                inside += 1
                            if -ph <= r < h + ph and -pw <= q < w + pw:
                                in_padded += 1
                    y[n, c, i, j] = total / (in_padded if count_include_pad else inside)
    return y


def adaptive_avg_pool2d(x, output_size):
    """Adaptive average pooling, one bin at a time.

    Bin ``i`` of ``n_out`` along an axis of length ``n`` averages positions
    ``floor(i n / n_out)`` to ``ceil((i + 1) n / n_out) - 1``.

    Examples
    --------
    >>> adaptive_avg_pool2d(np.arange(6.0).reshape(1, 1, 2, 3), (1, 2))[0, 0]
    array([[2., 3.]])
    """
    where = "reference.adaptive_avg_pool2d"
    x = check_array(to_numpy(x), "x", where, ndim=4)
    out_h, out_w = check_pair(output_size, "output_size", where, minimum=1)
    n_batch, channels, h, w = x.shape
    y = np.empty((n_batch, channels, out_h, out_w), dtype=float_dtype(x))
    for i in range(out_h):
        top, bottom = (i * h) // out_h, -(-((i + 1) * h) // out_h)
        for j in range(out_w):
            left, right = (j * w) // out_w, -(-((j + 1) * w) // out_w)
            y[:, :, i, j] = x[:, :, top:bottom, left:right].mean(axis=(2, 3))
    return y
