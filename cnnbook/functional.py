"""Everything a CNN computes, batched, NCHW, on NumPy or CuPy: ``import cnnbook.functional as F``.

Names and conventions follow ``torch.nn.functional`` so readers can carry them
over: inputs ``x`` of shape ``(N, C_in, H, W)``, weights
``(C_out, C_in // groups, kH, kW)``. This module holds the convolutions;
it also gathers the pools (:mod:`cnnbook.pooling`) and the other layers and the
loss (:mod:`cnnbook.ops`), so ``F.max_pool2d`` and ``F.cross_entropy`` work too.

Every operation has a backward, ``<op>_backward(grad_out, <the forward's
arguments>)``, returning the gradient with respect to each differentiable
input. Integer inputs are computed in float64; float32 stays float32. The
result lives where the inputs live (NumPy or CuPy); mixing the two is an error.
"""

from __future__ import annotations

from cnnbook import geometry
from cnnbook._checks import check_array, check_int, check_pair, float_dtype
from cnnbook._conv_paths import by_columns, depthwise, use_wide, weight_grad_columns, weight_grad_wide
from cnnbook.backend import get_xp
from cnnbook.ops import (
    batch_norm,
    batch_norm_backward,
    cross_entropy,
    cross_entropy_backward,
    dropout,
    dropout_backward,
    dropout_mask,
    group_norm,
    group_norm_backward,
    layer_norm,
    layer_norm_backward,
    linear,
    linear_backward,
    log_softmax,
    log_softmax_backward,
    relu,
    relu_backward,
    softmax,
    softmax_backward,
)
from cnnbook.padding import pad2d, resolve_padding
from cnnbook.pooling import (
    adaptive_avg_pool2d,
    adaptive_avg_pool2d_backward,
    avg_pool2d,
    avg_pool2d_backward,
    max_pool2d,
    max_pool2d_backward,
)
from cnnbook.unfold import col2im, im2col
from cnnbook.unshared import local_conv2d, tiled_conv2d

__all__ = [
    "adaptive_avg_pool2d", "adaptive_avg_pool2d_backward", "avg_pool2d", "avg_pool2d_backward",
    "batch_norm", "batch_norm_backward", "col2im", "conv2d", "conv2d_backward", "conv_transpose2d",
    "conv_transpose2d_backward", "cross_entropy", "cross_entropy_backward", "dropout", "dropout_backward",
    "dropout_mask", "group_norm", "group_norm_backward", "im2col", "layer_norm",
    "layer_norm_backward", "linear", "linear_backward", "local_conv2d", "log_softmax", "log_softmax_backward",
    "max_pool2d", "max_pool2d_backward", "pad2d", "relu", "relu_backward", "softmax", "softmax_backward", "tiled_conv2d",
]


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
    pads = resolve_padding(padding, (kh, kw), dilation, stride, where)

    xp = get_xp(x, weight, bias)
    dtype = float_dtype(x, weight, *([bias] if bias is not None else []))
    x = xp.asarray(x, dtype=dtype)
    w = xp.asarray(weight, dtype=dtype)
    top, bottom, left, right = pads
    h_pad, w_pad = x.shape[2] + top + bottom, x.shape[3] + left + right
    h_out = geometry.positions(h_pad, kh, stride[0], dilation[0])
    w_out = geometry.positions(w_pad, kw, stride[1], dilation[1])
    if h_out < 1 or w_out < 1:
        raise ValueError(f"{where}: the kernel spans {geometry.span(kh, dilation[0])}x{geometry.span(kw, dilation[1])} "
                         f"but the padded input is only {h_pad}x{w_pad}")

    if c_per_group == 1 and c_out == groups and xp.__name__ == "numpy":
        y = depthwise(x, w, pads, stride, dilation, (h_out, w_out))
    else:
        y = by_columns(x, w, pads, stride, dilation, groups, (h_out, w_out))
    if bias is not None:
        y += xp.asarray(bias, dtype=dtype).reshape(1, c_out, 1, 1)
    return y


def _conv_input_grad(grad_out, weight, padded_hw, pads, stride, dilation, groups):
    """Gradient of conv2d with respect to its input: W^T applied to every output column, folded back."""
    xp = get_xp(grad_out, weight)
    n, c_out, h_out, w_out = grad_out.shape
    _, c_group, kh, kw = weight.shape
    w = weight.reshape(groups, c_out // groups, c_group * kh * kw)
    g = grad_out.reshape(n, groups, c_out // groups, h_out * w_out)
    cols = xp.matmul(w.transpose(0, 2, 1), g).reshape(n, groups * c_group * kh * kw, h_out * w_out)
    grad = col2im(cols, (n, groups * c_group) + tuple(padded_hw), (kh, kw), stride, dilation)
    top, bottom, left, right = pads
    return grad[:, :, top : padded_hw[0] - bottom, left : padded_hw[1] - right]


def conv2d_backward(grad_out, x, weight, stride=1, padding=0, dilation=1, groups=1, input_grad=True):
    """Gradients of :func:`conv2d` with respect to ``x``, ``weight`` and ``bias``.

    With :math:`X` the im2col matrix of the padded input and :math:`y = W X + b`:
    :math:`\\partial L/\\partial W = \\sum_n g_n X_n^\\top`, :math:`\\partial L/\\partial b = \\sum g`,
    and :math:`\\partial L/\\partial x = \\mathrm{col2im}(W^\\top g)` (chapter 5 derives them).

    Parameters
    ----------
    grad_out : array, shape (N, C_out, H_out, W_out)
        Gradient of the loss with respect to ``conv2d``'s output.
    x, weight, stride, padding, dilation, groups
        The arguments the forward pass was called with.
    input_grad : bool
        False skips the gradient with respect to ``x`` (returned as ``None``):
        a network's first layer never needs it, and it is a third of the work.

    Returns
    -------
    grad_x : array, shape of ``x`` (or None)
    grad_weight : array, shape of ``weight``
    grad_bias : array, shape (C_out,)

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(9.0).reshape(1, 1, 3, 3)
    >>> gx, gw, gb = conv2d_backward(np.ones((1, 1, 2, 2)), x, np.ones((1, 1, 2, 2)))
    >>> gx[0, 0]
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    >>> gw[0, 0], gb
    (array([[ 8., 12.],
           [20., 24.]]), array([4.]))
    """
    where = "conv2d_backward"
    if not isinstance(input_grad, bool):
        raise TypeError(f"{where}: input_grad must be True or False; got {input_grad!r}")
    check_array(grad_out, "grad_out", where, ndim=4)
    check_array(x, "x", where, ndim=4)
    check_array(weight, "weight", where, ndim=4)
    groups = check_int(groups, "groups", where, minimum=1)
    stride = check_pair(stride, "stride", where, minimum=1)
    dilation = check_pair(dilation, "dilation", where, minimum=1)
    n, c_in, _, _ = x.shape
    c_out, c_group, kh, kw = weight.shape
    if c_in % groups or c_out % groups or c_group != c_in // groups:
        raise ValueError(f"{where}: x {tuple(x.shape)} and weight {tuple(weight.shape)} do not fit groups={groups}")
    pads = resolve_padding(padding, (kh, kw), dilation, stride, where)
    xp = get_xp(grad_out, x, weight)
    dtype = float_dtype(grad_out, x, weight)
    top, bottom, left, right = pads
    h_pad, w_pad = x.shape[2] + top + bottom, x.shape[3] + left + right
    h_out = geometry.positions(h_pad, kh, stride[0], dilation[0])
    w_out = geometry.positions(w_pad, kw, stride[1], dilation[1])
    if h_out < 1 or w_out < 1 or tuple(grad_out.shape) != (n, c_out, h_out, w_out):
        raise ValueError(f"{where}: grad_out has shape {tuple(grad_out.shape)}, but the forward output of these "
                         f"arguments has shape {(n, c_out, max(h_out, 0), max(w_out, 0))}")
    g = xp.asarray(grad_out, dtype=dtype)
    x = xp.asarray(x, dtype=dtype)
    w = xp.asarray(weight, dtype=dtype)
    if stride != (1, 1) or c_out > c_in:
        xpad = pad2d(x, pads)
        grad_weight = weight_grad_columns(g, xpad, w.shape, stride, dilation, groups)
        grad_x = _conv_input_grad(g, w, xpad.shape[2:], pads, stride, dilation, groups) if input_grad else None
        return grad_x, grad_weight, g.sum(axis=(0, 2, 3))
    # Stride 1, no more outputs than inputs: the input gradient is a full convolution of grad_out with
    # the flipped filters, input and output channels swapped -- so the fast forward computes it.
    grad_x = None
    if input_grad:
        flipped = w.reshape(groups, c_out // groups, c_group, kh, kw).transpose(0, 2, 1, 3, 4)[..., ::-1, ::-1]
        flipped = flipped.reshape(groups * c_group, c_out // groups, kh, kw)
        full = conv2d(g, flipped, padding=(dilation[0] * (kh - 1), dilation[1] * (kw - 1)), dilation=dilation,
                      groups=groups)
        grad_x = full[:, :, top : top + x.shape[2], left : left + x.shape[3]]
    if use_wide(stride, w_pad, w_out):
        grad_weight = weight_grad_wide(g, x, w.shape, pads, dilation, groups)
    else:
        grad_weight = weight_grad_columns(g, pad2d(x, pads), w.shape, stride, dilation, groups)
    return grad_x, grad_weight, g.sum(axis=(0, 2, 3))


def conv_transpose2d(x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed convolution: the adjoint of :func:`conv2d`, as in ``torch.nn.functional``.

    Each input value scatters a scaled copy of the kernel into the output; the
    copies are ``stride`` apart and overlapping contributions add up. It is the
    gradient of ``conv2d`` with respect to its input, so
    ``<conv2d(u, w), v> == <u, conv_transpose2d(v, w)>``.

    Parameters
    ----------
    x : array, shape (N, C_in, H, W)
    weight : array, shape (C_in, C_out // groups, kH, kW)
    bias : array, shape (C_out,), optional
    stride, padding, output_padding, dilation : int or pair
        The output is ``(H - 1) * stride - 2 * padding + dilation * (kH - 1) + output_padding + 1``
        tall (and likewise wide): ``padding`` trims that many rows from each side of the full
        scatter, and ``output_padding`` (smaller than ``stride`` or ``dilation``) adds rows at the
        bottom/right, which picks one of the input sizes a strided ``conv2d`` maps to the same size.
    groups : int

    Returns
    -------
    array, shape (N, C_out, H_out, W_out)

    Examples
    --------
    >>> import numpy as np
    >>> conv_transpose2d(np.ones((1, 1, 2, 2)), np.ones((1, 1, 2, 2)))[0, 0]
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    >>> conv_transpose2d(np.ones((1, 1, 3, 3)), np.ones((1, 2, 3, 3)), stride=2, padding=1,
    ...                  output_padding=1).shape
    (1, 2, 6, 6)
    """
    where = "conv_transpose2d"
    check_array(x, "x", where, ndim=4)
    check_array(weight, "weight", where, ndim=4)
    groups = check_int(groups, "groups", where, minimum=1)
    stride = check_pair(stride, "stride", where, minimum=1)
    dilation = check_pair(dilation, "dilation", where, minimum=1)
    ph, pw = check_pair(padding, "padding", where, minimum=0)
    oph, opw = check_pair(output_padding, "output_padding", where, minimum=0)
    n, c_in, h, w = x.shape
    c_w, c_out_group, kh, kw = weight.shape
    if c_w != c_in:
        raise ValueError(f"{where}: weight has {c_w} input channels (its first axis), x has {c_in}")
    if c_in % groups:
        raise ValueError(f"{where}: groups={groups} must divide x's {c_in} channels")
    for name, op, s, d in (("height", oph, stride[0], dilation[0]), ("width", opw, stride[1], dilation[1])):
        if op >= max(s, d):
            raise ValueError(f"{where}: output_padding ({op} along {name}) must be smaller than stride or dilation")
    c_out = c_out_group * groups
    h_out = geometry.transposed_size(h, kh, stride[0], ph, oph, dilation[0])
    w_out = geometry.transposed_size(w, kw, stride[1], pw, opw, dilation[1])
    if h_out < 1 or w_out < 1:
        raise ValueError(f"{where}: padding={padding!r} leaves no output (height {h_out}, width {w_out})")
    if bias is not None:
        check_array(bias, "bias", where, ndim=1)
        if bias.shape[0] != c_out:
            raise ValueError(f"{where}: bias must have shape ({c_out},); got {tuple(bias.shape)}")
    xp = get_xp(x, weight, bias)
    dtype = float_dtype(x, weight, *([bias] if bias is not None else []))
    # This is conv2d's input gradient for a conv2d from C_out to C_in channels whose padded input is
    # padded_hw. When output_padding >= stride (allowed if dilation is larger) that conv2d has an extra
    # window position, which no input value reaches: give it zeros.
    padded_hw = (h_out + 2 * ph, w_out + 2 * pw)
    positions = [geometry.positions(size, k, s, d) for size, k, s, d in zip(padded_hw, (kh, kw), stride, dilation)]
    x = xp.asarray(x, dtype=dtype)
    if positions != [h, w]:
        x = xp.pad(x, [(0, 0), (0, 0), (0, positions[0] - h), (0, positions[1] - w)])
    y = _conv_input_grad(x, xp.asarray(weight, dtype=dtype), padded_hw, (ph, ph, pw, pw), stride, dilation, groups)
    if bias is not None:
        y = y + xp.asarray(bias, dtype=dtype).reshape(1, c_out, 1, 1)
    return y


def conv_transpose2d_backward(grad_out, x, weight, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Gradients of :func:`conv_transpose2d` with respect to ``x``, ``weight`` and ``bias``.

    The transposed convolution is the adjoint of ``conv2d``'s map from input to
    output, so its own adjoint is ``conv2d`` again: the input gradient is
    ``conv2d(grad_out, weight)``. For the weight, read
    :math:`\\langle \\mathrm{conv\\_transpose2d}(x, w), g\\rangle = \\langle x, \\mathrm{conv2d}(g, w)\\rangle`
    as a ``conv2d`` of ``g`` whose output gradient is ``x``.

    Returns
    -------
    grad_x : array, shape of ``x``
    grad_weight : array, shape of ``weight``
    grad_bias : array, shape (C_out,)

    Examples
    --------
    >>> import numpy as np
    >>> gx, gw, gb = conv_transpose2d_backward(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)), np.ones((1, 1, 2, 2)))
    >>> gx[0, 0], gw[0, 0], gb
    (array([[4., 4.],
           [4., 4.]]), array([[4., 4.],
           [4., 4.]]), array([9.]))
    """
    where = "conv_transpose2d_backward"
    check_array(grad_out, "grad_out", where, ndim=4)
    check_array(x, "x", where, ndim=4)
    check_array(weight, "weight", where, ndim=4)
    groups = check_int(groups, "groups", where, minimum=1)
    size = [(n - 1) * s - 2 * p + d * (k - 1) + op + 1 for n, s, p, d, k, op in zip(
        x.shape[2:], check_pair(stride, "stride", where, minimum=1), check_pair(padding, "padding", where, minimum=0),
        check_pair(dilation, "dilation", where, minimum=1), weight.shape[2:],
        check_pair(output_padding, "output_padding", where, minimum=0))]
    expected = (x.shape[0], weight.shape[1] * groups, *size)
    if tuple(grad_out.shape) != expected:
        raise ValueError(f"{where}: grad_out must have the forward output's shape {expected}; got {tuple(grad_out.shape)}")
    xp = get_xp(grad_out, x, weight)
    dtype = float_dtype(grad_out, x, weight)
    g, x, w = (xp.asarray(a, dtype=dtype) for a in (grad_out, x, weight))
    full = conv2d(g, w, None, stride, padding, dilation, groups)
    h, wd = x.shape[2:]
    if full.shape[2:] != (h, wd):  # output_padding >= stride: conv2d has window positions x never filled
        x = xp.pad(x, [(0, 0), (0, 0), (0, full.shape[2] - h), (0, full.shape[3] - wd)])
    _, grad_weight, _ = conv2d_backward(x, g, w, stride, padding, dilation, groups)
    return full[:, :, :h, :wd], grad_weight, g.sum(axis=(0, 2, 3))
