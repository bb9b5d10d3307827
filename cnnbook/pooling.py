"""Pooling: max, average and adaptive average, forward and backward, on NumPy or CuPy.

Every pool here slides a window over each channel separately and reduces it to
one number. Like :func:`cnnbook.functional.conv2d`, the window is never looped
over position by position: for each of the ``kH * kW`` taps we take one strided
view of the padded input (the values that tap sees in every window at once) and
combine the views elementwise. A 2×2 pool is three ``maximum`` calls over
whole arrays.

Arguments follow ``torch.nn.functional``; ``stride`` defaults to
``kernel_size``. Integer input is computed in float64, float32 stays float32.
Each backward takes the gradient of the loss with respect to the pool's output
and the forward's own arguments, and returns the gradient with respect to ``x``.
"""

from __future__ import annotations

from cnnbook import geometry
from cnnbook._checks import check_array, check_pair, float_dtype, in_float32_if_half
from cnnbook._parallel import split_run
from cnnbook.backend import get_xp
from cnnbook.padding import pad2d

__all__ = [
    "adaptive_avg_pool2d",
    "adaptive_avg_pool2d_backward",
    "avg_pool2d",
    "avg_pool2d_backward",
    "max_pool2d",
    "max_pool2d_backward",
]


class _Windows:
    """Geometry of a pool over one input: sizes, padding, and the strided view of each tap."""

    def __init__(self, x, kernel_size, stride, padding, dilation, ceil_mode, where):
        check_array(x, "x", where, ndim=4)
        self.kernel = check_pair(kernel_size, "kernel_size", where, minimum=1)
        self.stride = self.kernel if stride is None else check_pair(stride, "stride", where, minimum=1)
        self.padding = check_pair(padding, "padding", where, minimum=0)
        self.dilation = check_pair(dilation, "dilation", where, minimum=1)
        if not isinstance(ceil_mode, bool):
            raise TypeError(f"{where}: ceil_mode must be True or False; got {ceil_mode!r}")
        self.input_hw = tuple(x.shape[2:])
        out, extra = [], []
        for axis, (size, k, s, p, d) in enumerate(zip(self.input_hw, self.kernel, self.stride,
                                                      self.padding, self.dilation)):
            name = ("height", "width")[axis]
            if p > k // 2:
                raise ValueError(f"{where}: padding must be at most half the kernel size; got padding {p} "
                                 f"for a kernel of {k} along the {name}")
            span = geometry.span(k, d)
            if size + 2 * p < span:
                raise ValueError(f"{where}: the window spans {span} along the {name} but the padded input "
                                 f"has only {size + 2 * p}")
            n_out = geometry.positions(size + 2 * p + ((s - 1) if ceil_mode else 0), k, s, d)
            if ceil_mode and (n_out - 1) * s >= size + p:  # a window may not start in the right padding
                n_out -= 1
            out.append(n_out)
            # ceil mode may need more room than the padding gives: a bit more at the end, never counted
            extra.append(max(0, (n_out - 1) * s + span - size - 2 * p))
        self.output_hw = tuple(out)
        self.extra = tuple(extra)

    @property
    def pads(self):
        """(top, bottom, left, right) of the padded input the views index."""
        (ph, pw), (eh, ew) = self.padding, self.extra
        return ph, ph + eh, pw, pw + ew

    @property
    def disjoint(self):
        """True when no two windows share an input position (stride at least the span)."""
        return all(s >= geometry.span(k, d) for k, s, d in zip(self.kernel, self.stride, self.dilation))

    def taps(self, padded):
        """Yield ``(i, j, view)``: for tap (i, j), the value it sees in every window, shape (N, C, H_out, W_out)."""
        (h_out, w_out), (sh, sw), (dh, dw) = self.output_hw, self.stride, self.dilation
        for i in range(self.kernel[0]):
            rows = geometry.tap_slice(i, h_out, sh, dh)
            for j in range(self.kernel[1]):
                yield i, j, padded[:, :, rows, geometry.tap_slice(j, w_out, sw, dw)]

    def padded_shape(self, x):
        """Shape of ``x`` once padded for the views (padding plus any ceil-mode room)."""
        top, bottom, left, right = self.pads
        return tuple(x.shape[:2]) + (self.input_hw[0] + top + bottom, self.input_hw[1] + left + right)

    def crop(self, padded):
        """The input-sized part of a padded array."""
        (ph, pw), (h, w) = self.padding, self.input_hw
        return padded[:, :, ph : ph + h, pw : pw + w]


def _float(x, *others):
    xp = get_xp(x, *others)
    return xp, xp.asarray(x, dtype=float_dtype(x))


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """The largest value in each window of each channel.

    Padding is by ``-inf``, so a padded position never wins.

    Parameters
    ----------
    x : array, shape (N, C, H, W)
    kernel_size : int or pair
    stride : int or pair, optional
        Defaults to ``kernel_size``.
    padding : int or pair
        At most half the kernel size.
    dilation : int or pair
    ceil_mode : bool
        Keep a last partial window when the stride does not fit
        (:func:`cnnbook.shapes.pool_output_size`).

    Returns
    -------
    array, shape (N, C, H_out, W_out)

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[[[1.0, 2, 5, 0], [3, 4, 1, 1], [0, 0, 7, 8], [9, 0, 6, 1]]]])
    >>> max_pool2d(x, 2)[0, 0]
    array([[4., 5.],
           [9., 8.]])
    >>> max_pool2d(x, 3, stride=2, ceil_mode=True)[0, 0]
    array([[7., 8.],
           [9., 8.]])
    """
    win = _Windows(x, kernel_size, stride, padding, dilation, ceil_mode, "max_pool2d")
    xp, x = _float(x)
    y = xp.empty(x.shape[:2] + win.output_hw, dtype=x.dtype)

    def images(first, last):  # one thread's share of the batch
        padded = pad2d(x[first:last], win.pads, value=-xp.inf)
        out = y[first:last]
        for t, (_, _, view) in enumerate(win.taps(padded)):
            if t == 0:
                out[...] = view
            else:
                xp.maximum(out, view, out=out)

    split_run(x.shape[0], images, elements=x.size, xp=xp)
    return y


def max_pool2d_backward(grad_out, x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                        output=None):
    """Gradient of :func:`max_pool2d` with respect to ``x``.

    Each window passes its gradient to the one input that won it; if several
    tie, to the first in reading order, as PyTorch does. Inputs that win no
    window get zero. ``output``, the forward's result if the caller kept it,
    saves computing it again.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[[[1.0, 2], [4, 3]]]])
    >>> max_pool2d_backward(np.ones((1, 1, 1, 1)), x, 2)[0, 0]
    array([[0., 0.],
           [1., 0.]])
    """
    where = "max_pool2d_backward"
    win = _Windows(x, kernel_size, stride, padding, dilation, ceil_mode, where)
    xp, x = _float(x, grad_out)
    g = _check_grad(grad_out, x, win, where)
    if output is None:
        y = max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode)
    else:
        y = _check_grad(output, x, win, where, name="output")
    # Windows that tile the input exactly write every gradient entry once: no need to zero first.
    tiled = win.disjoint and not any(win.pads) and all(
        n_out * k == size and d == 1 for n_out, k, size, d in zip(win.output_hw, win.kernel, win.input_hw, win.dilation))
    grad = (xp.empty if tiled else xp.zeros)(win.padded_shape(x), dtype=g.dtype)

    def images(first, last):  # one thread's share of the batch
        padded = pad2d(x[first:last], win.pads, value=-xp.inf)
        # Visit the taps in reading order; a window's gradient goes to the first tap that equals its
        # maximum, after which the window is marked done (its maximum replaced by NaN, equal to nothing).
        pending = y[first:last].copy()
        taps = list(zip(win.taps(padded), win.taps(grad[first:last])))
        for t, ((_, _, view), (_, _, grad_view)) in enumerate(taps):
            won = view == pending
            if win.disjoint:
                xp.multiply(g[first:last], won, out=grad_view)
            else:
                grad_view += g[first:last] * won
            if t + 1 < len(taps):
                xp.copyto(pending, xp.nan, where=won)

    split_run(x.shape[0], images, elements=x.size, xp=xp)
    return win.crop(grad)


def _check_grad(grad_out, x, win, where, name="grad_out"):
    check_array(grad_out, name, where, ndim=4)
    want = tuple(x.shape[:2]) + win.output_hw
    if tuple(grad_out.shape) != want:
        raise ValueError(f"{where}: {name} must have the forward output's shape {want}; got {tuple(grad_out.shape)}")
    xp = get_xp(grad_out, x)
    return xp.asarray(grad_out, dtype=float_dtype(grad_out, x))


def _avg_divisor(win, count_include_pad, xp, dtype):
    """How many positions each window averages over, shape (H_out, W_out).

    Windows count the padding (``count_include_pad``) or only real input, but
    never the room ceil mode adds beyond the padding, as in PyTorch.
    """
    counts = []
    for size, k, s, p, n_out in zip(win.input_hw, win.kernel, win.stride, win.padding, win.output_hw):
        low, high = (-p, size + p) if count_include_pad else (0, size)
        starts = xp.arange(n_out) * s - p
        counts.append(xp.minimum(starts + k, high) - xp.maximum(starts, low))
    return (counts[0][:, None] * counts[1][None, :]).astype(dtype)


@in_float32_if_half
def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """The mean of each window of each channel.

    Parameters
    ----------
    x : array, shape (N, C, H, W)
    kernel_size, stride, padding, ceil_mode
        As in :func:`max_pool2d` (no dilation, as in PyTorch).
    count_include_pad : bool
        Divide by the window's size including padded zeros (PyTorch's default)
        or by the number of real input values in it.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> avg_pool2d(x, 2)[0, 0]
    array([[ 2.5,  4.5],
           [10.5, 12.5]])
    >>> avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False)[0, 0]
    array([[ 2.5,  4. ],
           [ 8.5, 10. ]])
    """
    win = _Windows(x, kernel_size, stride, padding, 1, ceil_mode, "avg_pool2d")
    if not isinstance(count_include_pad, bool):
        raise TypeError(f"avg_pool2d: count_include_pad must be True or False; got {count_include_pad!r}")
    xp, x = _float(x)
    padded = pad2d(x, win.pads)
    total = None
    for _, _, view in win.taps(padded):
        total = view.copy() if total is None else xp.add(total, view, out=total)
    total /= _avg_divisor(win, count_include_pad, xp, x.dtype)
    return total


@in_float32_if_half
def avg_pool2d_backward(grad_out, x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """Gradient of :func:`avg_pool2d` with respect to ``x``: each window spreads its gradient evenly.

    Examples
    --------
    >>> import numpy as np
    >>> avg_pool2d_backward(np.ones((1, 1, 1, 2)), np.zeros((1, 1, 2, 3)), 2, stride=1)[0, 0]
    array([[0.25, 0.5 , 0.25],
           [0.25, 0.5 , 0.25]])
    """
    where = "avg_pool2d_backward"
    win = _Windows(x, kernel_size, stride, padding, 1, ceil_mode, where)
    if not isinstance(count_include_pad, bool):
        raise TypeError(f"{where}: count_include_pad must be True or False; got {count_include_pad!r}")
    xp, x = _float(x, grad_out)
    g = _check_grad(grad_out, x, win, where)
    share = g / _avg_divisor(win, count_include_pad, xp, g.dtype)
    grad = xp.zeros(win.padded_shape(x), dtype=g.dtype)
    for _, _, view in win.taps(grad):
        if win.disjoint:
            view[...] = share
        else:
            view += share
    return win.crop(grad)


def _adaptive_matrix(size, n_out, xp, dtype):
    """Averaging matrix (n_out, size): bin ``i`` averages ``floor(i*size/n_out) .. ceil((i+1)*size/n_out) - 1``."""
    rows = xp.zeros((n_out, size), dtype=dtype)
    for i in range(n_out):
        start, stop = (i * size) // n_out, -(-((i + 1) * size) // n_out)
        rows[i, start:stop] = 1.0 / (stop - start)
    return rows


def _adaptive_setup(x, output_size, where):
    check_array(x, "x", where, ndim=4)
    out_h, out_w = check_pair(output_size, "output_size", where, minimum=1)
    if x.shape[2] < 1 or x.shape[3] < 1:
        raise ValueError(f"{where}: x must have at least one row and one column to average; got shape {tuple(x.shape)}")
    xp, x = _float(x)
    return xp, x, _adaptive_matrix(x.shape[2], out_h, xp, x.dtype), _adaptive_matrix(x.shape[3], out_w, xp, x.dtype)


@in_float32_if_half
def adaptive_avg_pool2d(x, output_size):
    """Average pooling to a fixed output size, whatever the input size.

    Output row ``i`` of ``H_out`` averages input rows ``floor(i H / H_out)`` up
    to ``ceil((i + 1) H / H_out) - 1`` (PyTorch's bins, which may overlap by
    one), and likewise for columns. A mean over a rectangle is the mean over its
    rows of the means over its columns, so the pool is two small matrix
    products: :math:`Y = A_h X A_w^\\top`. ``output_size=1`` is global average
    pooling.

    Parameters
    ----------
    x : array, shape (N, C, H, W)
    output_size : int or pair (H_out, W_out)

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> adaptive_avg_pool2d(x, 1)[0, 0]
    array([[7.5]])
    >>> adaptive_avg_pool2d(x[:, :, :3, :3], 2)[0, 0]
    array([[2.5, 3.5],
           [6.5, 7.5]])
    """
    xp, x, rows, cols = _adaptive_setup(x, output_size, "adaptive_avg_pool2d")
    return xp.matmul(xp.matmul(rows, x), cols.T)


@in_float32_if_half
def adaptive_avg_pool2d_backward(grad_out, x, output_size):
    """Gradient of :func:`adaptive_avg_pool2d` with respect to ``x``: :math:`A_h^\\top G A_w`.

    Examples
    --------
    >>> import numpy as np
    >>> adaptive_avg_pool2d_backward(np.ones((1, 1, 1, 1)), np.zeros((1, 1, 2, 2)), 1)[0, 0]
    array([[0.25, 0.25],
           [0.25, 0.25]])
    """
    where = "adaptive_avg_pool2d_backward"
    xp, x, rows, cols = _adaptive_setup(x, output_size, where)
    check_array(grad_out, "grad_out", where, ndim=4)
    want = tuple(x.shape[:2]) + (rows.shape[0], cols.shape[0])
    if tuple(grad_out.shape) != want:
        raise ValueError(f"{where}: grad_out must have the forward output's shape {want}; got {tuple(grad_out.shape)}")
    g = xp.asarray(grad_out, dtype=float_dtype(grad_out, x))
    return xp.matmul(xp.matmul(rows.T, g), cols)
