"""Convolution as the networks use it: fast, batched, NCHW, on NumPy or CuPy.

Chapter 1 derives the operation and shows three ways to compute it; this module
holds the fast one. Names and conventions follow ``torch.nn.functional`` so
readers can carry them over: inputs ``x`` of shape ``(N, C_in, H, W)``,
weights ``(C_out, C_in // groups, kH, kW)``.

Integer inputs are computed in float64; float32 stays float32.
"""

from __future__ import annotations

from cnnbook._checks import check_array, check_int, check_pair, float_dtype
from cnnbook.backend import get_xp

__all__ = ["conv2d", "im2col", "pad2d"]

# Largest column buffer built at once (bytes); bigger batches are processed in chunks.
_COLUMN_BUDGET = 64 * 2**20


def _padding4(padding, kernel, dilation, stride, where):
    """Resolve ``padding`` to ``(top, bottom, left, right)``."""
    if isinstance(padding, str):
        mode = padding.lower()
        if mode == "valid":
            return 0, 0, 0, 0
        if mode == "same":
            if stride != (1, 1):
                raise ValueError(f"{where}: padding='same' needs stride=1; got stride={stride}")
            pads = []
            for k, d in zip(kernel, dilation):
                total = d * (k - 1)
                pads += [total // 2, total - total // 2]  # the extra zero goes after, as in PyTorch
            return tuple(pads)
        raise ValueError(f"{where}: padding must be an int, a pair, 'valid' or 'same'; got {padding!r}")
    ph, pw = check_pair(padding, "padding", where, minimum=0)
    return ph, ph, pw, pw


def pad2d(x, padding, value=0.0):
    """Pad the last two axes of ``x``.

    Parameters
    ----------
    x : array, shape (..., H, W)
    padding : int, pair (ph, pw), or 4-tuple (top, bottom, left, right)
    value : float
        Fill value (zero padding by default).

    Returns
    -------
    array, shape (..., H + top + bottom, W + left + right)

    Examples
    --------
    >>> import numpy as np
    >>> pad2d(np.ones((1, 2)), 1)
    array([[0., 0., 0., 0.],
           [0., 1., 1., 0.],
           [0., 0., 0., 0.]])
    """
    if isinstance(padding, (tuple, list)) and len(padding) == 4:
        top, bottom, left, right = (check_int(p, "padding", "pad2d", minimum=0) for p in padding)
    else:
        ph, pw = check_pair(padding, "padding", "pad2d", minimum=0)
        top, bottom, left, right = ph, ph, pw, pw
    if x.ndim < 2:
        raise ValueError(f"pad2d: x must have at least 2 dimensions; got shape {tuple(x.shape)}")
    xp = get_xp(x)
    if not (top or bottom or left or right):
        return x
    widths = [(0, 0)] * (x.ndim - 2) + [(top, bottom), (left, right)]
    return xp.pad(x, widths, mode="constant", constant_values=value)


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
    span_h, span_w = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    if h < span_h or w < span_w:
        raise ValueError(
            f"{where}: the kernel spans {span_h}x{span_w} but the (padded) input is only {h}x{w}"
        )
    h_out, w_out = (h - span_h) // sh + 1, (w - span_w) // sw + 1
    xp = get_xp(x)
    cols = xp.empty((n, c, kh, kw, h_out, w_out), dtype=x.dtype)
    for i in range(kh):
        top = i * dh
        for j in range(kw):
            left = j * dw
            cols[:, :, i, j] = x[:, :, top : top + sh * (h_out - 1) + 1 : sh, left : left + sw * (w_out - 1) + 1 : sw]
    return cols.reshape(n, c * kh * kw, h_out * w_out)


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation, as in every deep-learning library).

    .. math::
        y[n, o, i, j] = b[o] + \\sum_{c, m, l} w[o, c, m, l]\\,
                        x_p[n, g(o) C_g + c,\\; i s_h + m d_h,\\; j s_w + l d_w]

    where :math:`x_p` is the zero-padded input and :math:`g(o)` the group of
    output channel ``o``.

    Parameters
    ----------
    x : array, shape (N, C_in, H, W)
    weight : array, shape (C_out, C_in // groups, kH, kW)
    bias : array, shape (C_out,), optional
    stride, dilation : int or pair (height, width)
    padding : int, pair, ``"valid"`` or ``"same"``
        Zeros added to each side. ``"same"`` (stride 1 only) keeps the size;
        for even spans the extra zero goes at the bottom/right.
    groups : int
        Splits the channels into ``groups`` independent convolutions.

    Returns
    -------
    array, shape (N, C_out, H_out, W_out)
        Same array library as ``x``; float dtype of the inputs.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> w = np.ones((1, 1, 2, 2))
    >>> conv2d(x, w)[0, 0]
    array([[10., 14., 18.],
           [26., 30., 34.],
           [42., 46., 50.]])
    >>> conv2d(x, w, stride=2, padding=1).shape
    (1, 1, 3, 3)
    """
    where = "conv2d"
    check_array(x, "x", where, ndim=4)
    check_array(weight, "weight", where, ndim=4)
    groups = check_int(groups, "groups", where, minimum=1)
    n, c_in, _, _ = x.shape
    c_out, c_per_group, kh, kw = weight.shape
    if c_in % groups or c_out % groups:
        raise ValueError(f"{where}: groups={groups} must divide x's {c_in} channels and weight's {c_out} filters")
    if c_per_group != c_in // groups:
        raise ValueError(
            f"{where}: weight expects {c_per_group} input channels per group, x has {c_in // groups} "
            f"(x shape {tuple(x.shape)}, weight shape {tuple(weight.shape)}, groups={groups})"
        )
    if bias is not None:
        check_array(bias, "bias", where, ndim=1)
        if bias.shape[0] != c_out:
            raise ValueError(f"{where}: bias must have shape ({c_out},); got {tuple(bias.shape)}")
    stride = check_pair(stride, "stride", where, minimum=1)
    dilation = check_pair(dilation, "dilation", where, minimum=1)
    pads = _padding4(padding, (kh, kw), dilation, stride, where)

    xp = get_xp(x, weight, bias)
    dtype = float_dtype(x, weight, *([bias] if bias is not None else []))
    xpad = pad2d(xp.asarray(x, dtype=dtype), pads)
    w = xp.asarray(weight, dtype=dtype).reshape(groups, c_out // groups, c_per_group * kh * kw)

    # Chunk the batch so the column buffer (k*k times the input) stays bounded.
    per_image = xpad[0].size * kh * kw * dtype.itemsize
    chunk = max(1, _COLUMN_BUDGET // max(per_image, 1))
    outputs = []
    for start in range(0, n, chunk):
        cols = im2col(xpad[start : start + chunk], (kh, kw), stride, dilation)
        m, _, positions = cols.shape
        cols = cols.reshape(m, groups, c_per_group * kh * kw, positions)
        outputs.append(xp.matmul(w, cols).reshape(m, c_out, positions))
    y = outputs[0] if len(outputs) == 1 else xp.concatenate(outputs)

    h_pad, w_pad = xpad.shape[2:]
    h_out = (h_pad - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    w_out = (w_pad - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    y = y.reshape(n, c_out, h_out, w_out)
    if bias is not None:
        y += xp.asarray(bias, dtype=dtype).reshape(1, c_out, 1, 1)
    return y
