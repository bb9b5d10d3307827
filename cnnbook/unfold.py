"""im2col and its adjoint col2im: every window of an image as a column of a matrix, and back.

A convolution is then one matrix product (chapter 1), and its input gradient a product followed by
:func:`col2im` (chapter 5). :mod:`cnnbook.functional` and :mod:`cnnbook.unshared` both build on these.
"""

from __future__ import annotations

from cnnbook import geometry
from cnnbook._checks import check_array, check_int, check_pair
from cnnbook.backend import get_xp

__all__ = ["col2im", "im2col"]


def im2col(x, kernel_size, stride=1, dilation=1):
    """Unfold every kernel-sized window of ``x`` into a column.

    Parameters
    ----------
    x : array, shape (N, C, H, W)
        Already padded.
    kernel_size, stride, dilation : int or pair

    Returns
    -------
    cols : array, shape (N, C * kH * kW, H_out * W_out)
        Column ``p`` holds the window that produces output position ``p``,
        ordered channel-major, then kernel row, then kernel column — the order of
        a flattened ``(C, kH, kW)`` weight.

    Notes
    -----
    The buffer is filled with ``kH * kW`` strided slab copies (one per kernel
    tap), not one copy per window: that keeps the Python loop tiny and the
    memory traffic sequential.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(9.0).reshape(1, 1, 3, 3)
    >>> im2col(x, 2)[0]
    array([[0., 1., 3., 4.],
           [1., 2., 4., 5.],
           [3., 4., 6., 7.],
           [4., 5., 7., 8.]])
    """
    where = "im2col"
    check_array(x, "x", where, ndim=4)
    kh, kw = check_pair(kernel_size, "kernel_size", where, minimum=1)
    sh, sw = check_pair(stride, "stride", where, minimum=1)
    dh, dw = check_pair(dilation, "dilation", where, minimum=1)
    n, c, h, w = x.shape
    h_out, w_out = geometry.positions(h, kh, sh, dh), geometry.positions(w, kw, sw, dw)
    if h_out < 1 or w_out < 1:
        raise ValueError(f"{where}: the kernel spans {geometry.span(kh, dh)}x{geometry.span(kw, dw)} but the "
                         f"(padded) input is only {h}x{w}")
    xp = get_xp(x)
    cols = xp.empty((n, c, kh, kw, h_out, w_out), dtype=x.dtype)
    for i in range(kh):
        rows = geometry.tap_slice(i, h_out, sh, dh)
        for j in range(kw):
            cols[:, :, i, j] = x[:, :, rows, geometry.tap_slice(j, w_out, sw, dw)]
    return cols.reshape(n, c * kh * kw, h_out * w_out)


def col2im(cols, input_shape, kernel_size, stride=1, dilation=1):
    """The adjoint of :func:`im2col`: add every column back onto the window it came from.

    Parameters
    ----------
    cols : array, shape (N, C * kH * kW, H_out * W_out)
    input_shape : tuple (N, C, H, W)
        Shape of the (padded) input that :func:`im2col` unfolded.
    kernel_size, stride, dilation : int or pair

    Returns
    -------
    array, shape (N, C, H, W)
        Where windows overlap, their contributions are summed: this is exactly
        the gradient of ``im2col`` with respect to its input.

    Examples
    --------
    >>> import numpy as np
    >>> col2im(np.ones((1, 4, 4)), (1, 1, 3, 3), 2)[0, 0]
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    """
    where = "col2im"
    kh, kw = check_pair(kernel_size, "kernel_size", where, minimum=1)
    sh, sw = check_pair(stride, "stride", where, minimum=1)
    dh, dw = check_pair(dilation, "dilation", where, minimum=1)
    check_array(cols, "cols", where, ndim=3)
    if not isinstance(input_shape, (tuple, list)) or len(input_shape) != 4:
        raise ValueError(f"{where}: input_shape must be (N, C, H, W); got {input_shape!r}")
    n, c, h, w = (check_int(v, "input_shape", where, minimum=1) for v in input_shape)
    h_out, w_out = geometry.positions(h, kh, sh, dh), geometry.positions(w, kw, sw, dw)
    if h_out < 1 or w_out < 1:
        raise ValueError(f"{where}: the kernel spans more than input_shape {tuple(input_shape)}")
    if cols.shape != (n, c * kh * kw, h_out * w_out):
        raise ValueError(f"{where}: cols must have shape {(n, c * kh * kw, h_out * w_out)}; got {tuple(cols.shape)}")
    xp = get_xp(cols)
    cols = cols.reshape(n, c, kh, kw, h_out, w_out)
    out = xp.zeros((n, c, h, w), dtype=cols.dtype)
    for i in range(kh):
        rows = geometry.tap_slice(i, h_out, sh, dh)
        for j in range(kw):
            out[:, :, rows, geometry.tap_slice(j, w_out, sw, dw)] += cols[:, :, i, j]
    return out
