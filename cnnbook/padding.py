"""Padding: the zeros (or other values) a layer adds around its input.

Shared by convolution and pooling. :func:`resolve_padding` turns every form a
caller may write (an int, a pair, ``"valid"``, ``"same"``) into the four
amounts ``(top, bottom, left, right)``.
"""

from __future__ import annotations

import numbers

from cnnbook._checks import check_int, check_pair
from cnnbook.backend import get_xp

__all__ = ["pad2d", "resolve_padding"]


def resolve_padding(padding, kernel, dilation, stride, where):
    """Resolve ``padding`` to ``(top, bottom, left, right)`` for a kernel of ``kernel`` taps.

    ``kernel``, ``dilation`` and ``stride`` are (height, width) pairs; ``where``
    names the calling function in error messages. ``"same"`` (stride 1 only)
    pads a total of ``dilation * (k - 1)`` per axis, the extra zero of an odd
    total going after, as PyTorch does. A 4-tuple gives the four amounts
    itself: uneven padding, such as TensorFlow's "SAME" at stride 2
    (:func:`cnnbook.shapes.same_padding`).

    Examples
    --------
    >>> resolve_padding("same", (4, 3), (1, 1), (1, 1), "demo")
    (1, 2, 1, 1)
    >>> resolve_padding((2, 0), (3, 3), (1, 1), (1, 1), "demo")
    (2, 2, 0, 0)
    >>> resolve_padding((0, 1, 0, 1), (3, 3), (1, 1), (2, 2), "demo")
    (0, 1, 0, 1)
    """
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
        raise ValueError(f"{where}: padding must be an int, a pair, a 4-tuple (top, bottom, left, right), 'valid' "
                         f"or 'same'; got {padding!r}")
    if isinstance(padding, (tuple, list)) and len(padding) == 4:
        return tuple(check_int(p, "padding", where, minimum=0) for p in padding)
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
    if not hasattr(x, "shape") or not hasattr(x, "ndim") or x.ndim < 2:
        raise TypeError(f"pad2d: x must be an array with at least 2 dimensions; got {getattr(x, 'shape', x)!r}")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"pad2d: value must be a number; got {value!r}")
    if isinstance(padding, (tuple, list)) and len(padding) == 4:
        top, bottom, left, right = (check_int(p, "padding", "pad2d", minimum=0) for p in padding)
    else:
        ph, pw = check_pair(padding, "padding", "pad2d", minimum=0)
        top, bottom, left, right = ph, ph, pw, pw
    xp = get_xp(x)
    if not (top or bottom or left or right):
        return x
    # One filled buffer and one copy: np.pad gives the same array with many times the overhead on small inputs.
    h, w = x.shape[-2:]
    out = xp.full(x.shape[:-2] + (h + top + bottom, w + left + right), value, dtype=x.dtype)
    out[..., top : top + h, left : left + w] = x
    return out
