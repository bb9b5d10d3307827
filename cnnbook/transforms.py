"""Moving images around: the translations that equivariance is about (chapter 1), and what they change (chapter 3)."""

from __future__ import annotations

from cnnbook._checks import check_int
from cnnbook.backend import get_xp

__all__ = ["shift_changes", "translate"]


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


def shift_changes(outputs, shifts, stride=1, margin=0):
    """How much a layer's output changes under diagonal shifts of its input: as it is, and realigned (chapter 3).

    Parameters
    ----------
    outputs : array, shape (len(shifts), ..., H_out, W_out)
        ``outputs[i]`` is the layer's output for the input shifted ``shifts[i]`` pixels down and right;
        ``shifts[0]`` must be 0 (the unshifted input, the reference).
    shifts : sequence of int
    stride : int or None
        Input pixels per output cell; ``None`` for an output without positions (a global pool), which is
        compared whole.
    margin : int
        Input pixels left out along every border (``margin // stride`` output cells), so the content that
        enters and leaves at the borders is not counted.

    Returns
    -------
    changed, realigned : list of float
        For each shift, ``||f(shifted x) - f(x)|| / ||f(x)||`` (zero means *invariant*), and the same after
        moving ``f(x)`` by the better of ``floor`` and ``ceil`` of ``t / stride`` cells (zero means
        *equivariant*).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.zeros((12, 12)); x[5, 5] = 1.0
    >>> outputs = np.stack([translate(x, t, t) for t in (0, 1, 2)])   # the identity: equivariant
    >>> changed, realigned = shift_changes(outputs, (0, 1, 2), margin=2)
    >>> [round(c, 3) for c in changed], realigned
    ([0.0, 1.414, 1.414], [0.0, 0.0, 0.0])
    """
    if not shifts or shifts[0] != 0:
        raise ValueError(f"shift_changes: shifts must start with 0, the unshifted reference; got {shifts!r}")
    if len(outputs) != len(shifts):
        raise ValueError(f"shift_changes: outputs must hold one output per shift; got {len(outputs)} for "
                         f"{len(shifts)} shifts")
    xp = get_xp(outputs)
    cells = 0 if stride is None else margin // stride
    inside = (Ellipsis, slice(cells, -cells or None), slice(cells, -cells or None))

    def size(y):
        return float(xp.linalg.norm((y if stride is None else y[inside]).reshape(-1)))

    base = outputs[0]
    scale = size(base)
    changed, realigned = [], []
    for out, t in zip(outputs, shifts):
        changed.append(size(out - base) / scale)
        if stride is None:
            realigned.append(changed[-1])
            continue
        realigned.append(min(size(out - translate(base, c, c)) for c in {t // stride, -(-t // stride)}) / scale)
    return changed, realigned
