"""Convolution through the Fourier transform (chapter 1, third implementation).

The convolution theorem turns a convolution into a pointwise product of
spectra. Cross-correlation is convolution with the kernel flipped, so
``conv2d_fft`` flips the kernel, multiplies zero-padded spectra and keeps the
"valid" part of the result. The kernel size enters its cost only through
the zero padding, so the cost grows far more slowly with the kernel than
that of the direct methods: the FFT can pay off for large kernels, not for
the 3×3 kernels most networks use (section 1.8 times both).
"""

from __future__ import annotations

from cnnbook._checks import check_array, float_dtype
from cnnbook.backend import get_xp

__all__ = ["conv2d_fft"]


def conv2d_fft(x, weight, bias=None):
    """Valid, stride-1 multi-channel cross-correlation computed with FFTs.

    Parameters
    ----------
    x : array, shape (N, C_in, H, W)
    weight : array, shape (C_out, C_in, kH, kW)
    bias : array, shape (C_out,), optional

    Returns
    -------
    array, shape (N, C_out, H - kH + 1, W - kW + 1)
        Equal to ``conv2d(x, weight, bias)`` up to rounding.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> conv2d_fft(x, np.ones((1, 1, 2, 2)))[0, 0].round(6)
    array([[10., 14., 18.],
           [26., 30., 34.],
           [42., 46., 50.]])
    """
    where = "conv2d_fft"
    check_array(x, "x", where, ndim=4)
    check_array(weight, "weight", where, ndim=4)
    n, c_in, h, w = x.shape
    c_out, c_w, kh, kw = weight.shape
    if c_w != c_in:
        raise ValueError(f"{where}: weight expects {c_w} input channels, x has {c_in}")
    if kh > h or kw > w:
        raise ValueError(f"{where}: kernel {kh}x{kw} is larger than the input {h}x{w}")
    xp = get_xp(x, weight)
    dtype = float_dtype(x, weight)
    size = (h + kh - 1, w + kw - 1)  # room for the full linear convolution: no wrap-around
    spectrum_x = xp.fft.rfft2(xp.asarray(x, dtype=dtype), s=size)
    spectrum_w = xp.fft.rfft2(xp.asarray(weight, dtype=dtype)[:, :, ::-1, ::-1], s=size)
    product = xp.einsum("nchw,ochw->nohw", spectrum_x, spectrum_w)
    full = xp.fft.irfft2(product, s=size)
    y = full[:, :, kh - 1 : h, kw - 1 : w].astype(dtype, copy=False)
    if bias is not None:
        y = y + xp.asarray(bias, dtype=dtype).reshape(1, c_out, 1, 1)
    return xp.ascontiguousarray(y)
