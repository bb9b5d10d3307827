"""Convolution without full weight sharing: locally connected and tiled layers.

A convolution uses one set of weights at every output position. A **locally
connected** (unshared) layer keeps the local windows but gives every output
position its own weights; a **tiled** convolution sits in between and cycles
through a ``tH × tW`` grid of weight sets, so positions ``(i, j)`` and
``(i + tH, j + tW)`` share weights (Goodfellow, Bengio & Courville 2016, §9.5).
Chapter 4 counts their parameters and measures what sharing buys.

Both are batched and NCHW like :func:`cnnbook.functional.conv2d`, and accept
NumPy or CuPy arrays.
"""

from __future__ import annotations

from cnnbook import geometry
from cnnbook._checks import check_array, check_pair, float_dtype
from cnnbook.backend import get_xp
from cnnbook.padding import pad2d, resolve_padding
from cnnbook.unfold import im2col

__all__ = ["local_conv2d", "tiled_conv2d"]


def _windows(x, kernel_hw, stride, padding, where):
    """The padded input's windows, shape (N, H_out, W_out, C_in * kH * kW)."""
    pads = resolve_padding(padding, kernel_hw, (1, 1), stride, where)
    padded = pad2d(x, pads)
    kh, kw = kernel_hw
    h_out, w_out = geometry.positions(padded.shape[2], kh, stride[0]), geometry.positions(padded.shape[3], kw, stride[1])
    if h_out < 1 or w_out < 1:
        raise ValueError(f"{where}: the kernel is {kh}x{kw} but the padded input is only "
                         f"{padded.shape[2]}x{padded.shape[3]}")
    cols = im2col(padded, kernel_hw, stride)  # (N, C*kH*kW, H_out*W_out)
    return cols.transpose(0, 2, 1).reshape(x.shape[0], h_out, w_out, -1)


def _setup(x, weight, bias, stride, padding, layout, where):
    """Check the arguments; return the array module, the float dtype and the input's windows."""
    check_array(x, "x", where, ndim=4)
    check_array(weight, "weight", where, ndim=6)
    stride = check_pair(stride, "stride", where, minimum=1)
    c_in, kh, kw = weight.shape[3:]
    if x.shape[1] != c_in:
        raise ValueError(f"{where}: weight {layout} = {tuple(weight.shape)} expects {c_in} input channels; "
                         f"x {tuple(x.shape)} has {x.shape[1]}")
    arrays = (x, weight) + ((bias,) if bias is not None else ())
    xp, dtype = get_xp(*arrays), float_dtype(*arrays)
    return xp, dtype, _windows(xp.asarray(x, dtype=dtype), (kh, kw), stride, padding, where)


def local_conv2d(x, weight, bias=None, stride=1, padding=0):
    """Locally connected layer: a convolution whose weights differ at every output position.

    .. math::
        y[n, o, i, j] = b[o, i, j] + \\sum_{c, m, l} w[i, j, o, c, m, l]\\,
                        x_p[n, c,\\; i s_h + m,\\; j s_w + l]

    Parameters
    ----------
    x : array, shape (N, C_in, H, W)
    weight : array, shape (H_out, W_out, C_out, C_in, kH, kW)
        One ordinary conv weight per output position.
    bias : array, shape (C_out, H_out, W_out), optional
        Unshared too: one bias per output unit.
    stride : int or pair
    padding : int, pair or ``"valid"``

    Returns
    -------
    array, shape (N, C_out, H_out, W_out)

    Examples
    --------
    With the same weights at every position it is an ordinary convolution:

    >>> import numpy as np
    >>> from cnnbook import functional as F
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> w = np.ones((1, 1, 2, 2))
    >>> same_everywhere = np.broadcast_to(w, (3, 3, 1, 1, 2, 2))
    >>> bool(np.array_equal(local_conv2d(x, same_everywhere), F.conv2d(x, w)))
    True
    """
    where = "local_conv2d"
    xp, dtype, windows = _setup(x, weight, bias, stride, padding, "(H_out, W_out, C_out, C_in, kH, kW)", where)
    h_out, w_out, c_out, c_in, kh, kw = weight.shape
    if windows.shape[1:3] != (h_out, w_out):
        raise ValueError(f"{where}: this input, stride and padding give a {windows.shape[1]}x{windows.shape[2]} "
                         f"output, but weight has one set per position of a {h_out}x{w_out} output")
    flat = xp.asarray(weight, dtype=dtype).reshape(h_out, w_out, c_out, c_in * kh * kw)
    y = xp.einsum("nijp,ijop->noij", windows, flat)
    if bias is not None:
        check_array(bias, "bias", where, ndim=3)
        if tuple(bias.shape) != (c_out, h_out, w_out):
            raise ValueError(f"{where}: bias must have shape (C_out, H_out, W_out) = {(c_out, h_out, w_out)}; "
                             f"got {tuple(bias.shape)}")
        y += xp.asarray(bias, dtype=dtype)[None]
    return y


def tiled_conv2d(x, weight, bias=None, stride=1, padding=0):
    """Tiled convolution: output position ``(i, j)`` uses weight set ``(i mod tH, j mod tW)``.

    With one tile (``tH = tW = 1``) it is :func:`cnnbook.functional.conv2d`;
    with as many tiles as output positions it is :func:`local_conv2d`.

    Parameters
    ----------
    x : array, shape (N, C_in, H, W)
    weight : array, shape (tH, tW, C_out, C_in, kH, kW)
    bias : array, shape (C_out,), optional
        Shared by all positions, as usual for tiled layers.
    stride : int or pair
    padding : int, pair or ``"valid"``

    Examples
    --------
    >>> import numpy as np
    >>> x = np.ones((1, 1, 3, 4))
    >>> w = np.array([[1.0, 2.0]]).reshape(1, 2, 1, 1, 1, 1)   # 1 x 2 tiles of 1x1 kernels
    >>> tiled_conv2d(x, w)[0, 0]
    array([[1., 2., 1., 2.],
           [1., 2., 1., 2.],
           [1., 2., 1., 2.]])
    """
    where = "tiled_conv2d"
    if bias is not None:
        check_array(bias, "bias", where, ndim=1)
    xp, dtype, windows = _setup(x, weight, bias, stride, padding, "(tH, tW, C_out, C_in, kH, kW)", where)
    t_h, t_w, c_out, c_in, kh, kw = weight.shape
    if bias is not None and bias.shape[0] != c_out:
        raise ValueError(f"{where}: bias must have shape ({c_out},); got {tuple(bias.shape)}")
    h_out, w_out = windows.shape[1:3]
    rows, cols = xp.arange(h_out) % t_h, xp.arange(w_out) % t_w
    flat = xp.asarray(weight, dtype=dtype).reshape(t_h, t_w, c_out, c_in * kh * kw)
    y = xp.einsum("nijp,ijop->noij", windows, flat[rows[:, None], cols[None, :]])
    if bias is not None:
        y += xp.asarray(bias, dtype=dtype).reshape(1, c_out, 1, 1)
    return y
