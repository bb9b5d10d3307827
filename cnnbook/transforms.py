"""Moving images around: the translations that equivariance is about (chapter 1)."""

from __future__ import annotations

from cnnbook._checks import check_int
from cnnbook.backend import get_xp

__all__ = ["translate"]


def translate(x, dy, dx, mode="zeros"):
    """Shift the last two axes of ``x`` down by ``dy`` and right by ``dx`` pixels.

    Parameters
    ----------
    x : array, shape (..., H, W)
    dy, dx : int
        Shifts; negative values move up / left.
    mode : {"zeros", "wrap"}
        ``"zeros"`` fills the uncovered border with zeros (what a camera would
        see: new content of unknown value); ``"wrap"`` rolls pixels around.

    Examples
    --------
    >>> import numpy as np
    >>> translate(np.arange(1.0, 5.0).reshape(2, 2), 0, 1)
    array([[0., 1.],
           [0., 3.]])
    >>> translate(np.arange(1.0, 5.0).reshape(2, 2), 0, 1, mode="wrap")
    array([[2., 1.],
           [4., 3.]])
    """
    dy = check_int(dy, "dy", "translate")
    dx = check_int(dx, "dx", "translate")
    if mode not in ("zeros", "wrap"):
        raise ValueError(f"translate: mode must be 'zeros' or 'wrap'; got {mode!r}")
    if getattr(x, "ndim", 0) < 2:
        raise ValueError("translate: x must be an array with at least 2 dimensions (..., H, W)")
    xp = get_xp(x)
    if mode == "wrap":
        return xp.roll(x, (dy, dx), axis=(-2, -1))
    h, w = x.shape[-2:]
    out = xp.zeros_like(x)
    if abs(dy) >= h or abs(dx) >= w:
        return out
    src_rows = slice(max(-dy, 0), h - max(dy, 0))
    dst_rows = slice(max(dy, 0), h - max(-dy, 0))
    src_cols = slice(max(-dx, 0), w - max(dx, 0))
    dst_cols = slice(max(dx, 0), w - max(-dx, 0))
    out[..., dst_rows, dst_cols] = x[..., src_rows, src_cols]
    return out
