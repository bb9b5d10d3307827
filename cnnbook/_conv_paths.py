"""The fast paths of :func:`cnnbook.functional.conv2d` and its backward pass: same results, less time.

The teaching functions in :mod:`cnnbook.functional` say *what* is computed (a matrix product of the weights
with im2col's columns); this module says how it is made fast on a CPU, and is called by them:

* **the wide grid**: with stride 1, every output row is computed as wide as the padded input, so each
  kernel tap's slab of columns is one contiguous run of the flattened image (``k*k`` plain copies instead
  of ``k*k`` strided ones); the extra columns are dropped at the end; one spare row keeps the last slab
  inside the buffer;
* **chunking**: a batch whose column buffer would pass :data:`_COLUMN_BUDGET` is done in parts;
* **depthwise**: one filter per channel has no matrix product to share, so it is ``k*k`` scaled, shifted
  copies added up, images split between threads.
"""

from __future__ import annotations

import numpy as np

from cnnbook import geometry
from cnnbook._parallel import split_run
from cnnbook.backend import get_xp
from cnnbook.padding import pad2d
from cnnbook.unfold import im2col

__all__ = ["by_columns", "depthwise", "use_wide", "weight_grad_columns", "weight_grad_wide"]

# Largest column buffer built at once (bytes); bigger batches are processed in chunks.
_COLUMN_BUDGET = 64 * 2**20


def _batch_chunks(n, per_image):
    """Split a batch of ``n`` into runs whose buffers of ``per_image`` bytes each fit the budget."""
    chunk = max(1, _COLUMN_BUDGET // max(per_image, 1))
    return [(start, min(start + chunk, n)) for start in range(0, n, chunk)]


def by_columns(x, w, pads, stride, dilation, groups, out_hw):
    """conv2d as one matrix product per chunk of the batch: weights (C_out, C_in k k) times columns.

    With stride 1 the columns are built on a *wide* grid: every output row is
    computed ``W_pad`` wide instead of ``W_out``, so each tap's slab is one
    contiguous run of the flattened padded image (``k*k`` plain copies instead of
    ``k*k`` strided ones); the ``W_pad - W_out`` extra columns per row are
    dropped at the end. A 1x1 kernel without padding needs no copy at all.
    """
    xp = get_xp(x, w)
    n, c_in, h, wd = x.shape
    c_out, c_group, kh, kw = w.shape
    (h_out, w_out), (top, bottom, left, right) = out_hw, pads
    w_mat = w.reshape(groups, c_out // groups, c_group * kh * kw)
    if (kh, kw) == (1, 1) and stride == (1, 1) and not any(pads):
        y = xp.matmul(w_mat, x.reshape(n, groups, c_group, h * wd))
        return y.reshape(n, c_out, h, wd)
    wide = use_wide(stride, wd + left + right, w_out)
    # rows of the flattened padded image; one spare row keeps the last wide slab inside the buffer
    h_pad, w_pad = h + top + bottom + (1 if wide and kw > 1 else 0), wd + left + right
    positions = h_out * (w_pad if wide else w_out)
    y = xp.empty((n, c_out, positions), dtype=x.dtype)
    for start, stop in _batch_chunks(n, c_in * (kh * kw * positions + h_pad * w_pad) * x.dtype.itemsize):
        chunk = pad2d(x[start:stop], (top, h_pad - h - top, left, right))
        if wide:
            cols = _wide_columns(chunk, (kh, kw), dilation, h_out)
        else:
            cols = im2col(chunk, (kh, kw), stride, dilation)
        m = stop - start
        xp.matmul(w_mat, cols.reshape(m, groups, c_group * kh * kw, positions),
                  out=y[start:stop].reshape(m, groups, c_out // groups, positions))
        del chunk, cols  # free this chunk's buffers before the next is built
    if wide:
        return y.reshape(n, c_out, h_out, w_pad)[:, :, :, :w_out]
    return y.reshape(n, c_out, h_out, w_out)


def use_wide(stride, w_pad, w_out):
    """Columns on the wide grid when the stride is 1 and the wasted columns are at most a quarter of the kept
    ones (a fifth of the wide grid)."""
    return stride == (1, 1) and 4 * (w_pad - w_out) <= w_out


def _wide_columns(padded, kernel, dilation, h_out):
    """Columns for a stride-1 convolution on the wide grid (see :func:`by_columns`)."""
    xp = get_xp(padded)
    m, c, h_pad, w_pad = padded.shape
    (kh, kw), (dh, dw) = kernel, dilation
    flat = padded.reshape(m, c, h_pad * w_pad)
    length = h_out * w_pad
    cols = xp.empty((m, c, kh, kw, length), dtype=padded.dtype)

    def copy(first, last):  # channels first..last-1, on one thread
        for i in range(kh):
            for j in range(kw):
                offset = i * dh * w_pad + j * dw
                cols[:, first:last, i, j] = flat[:, first:last, offset : offset + length]

    split_run(c, copy, elements=cols.size, xp=xp)
    return cols.reshape(m, c * kh * kw, length)


def depthwise(x, w, pads, stride, dilation, out_hw):
    """Depthwise conv2d (one filter per channel) as ``k*k`` scaled, shifted copies added up.

    A matrix product has nothing to share across channels here, so we multiply
    and add whole channel blocks instead; the images of the batch are split
    between threads (NumPy releases the GIL inside its loops).
    """
    n, c, h, wd = x.shape
    kh, kw = w.shape[2:]
    (h_out, w_out), (sh, sw), (dh, dw) = out_hw, stride, dilation
    top, bottom, left, right = pads
    wide = stride == (1, 1)
    h_pad, w_pad = h + top + bottom + (1 if wide else 0), wd + left + right
    taps = np.ascontiguousarray(w.reshape(c, kh * kw).T)[:, :, None, None]  # (k*k, C, 1, 1)
    y = np.empty((n, c, h_out, w_pad if wide else w_out), dtype=x.dtype)

    def work(image):
        padded = pad2d(x[image], (top, h_pad - h - top, left, right))
        out = y[image]
        scratch = np.empty_like(out)
        for t in range(kh * kw):
            i, j = divmod(t, kw)
            if wide:  # contiguous slabs of the flattened image, on the wide grid
                offset = i * dh * w_pad + j * dw
                view = padded.reshape(c, -1)[:, offset : offset + h_out * w_pad].reshape(out.shape)
            else:
                view = padded[:, geometry.tap_slice(i, h_out, sh, dh), geometry.tap_slice(j, w_out, sw, dw)]
            if t == 0:
                np.multiply(view, taps[0], out=out)
            else:
                np.multiply(view, taps[t], out=scratch)
                out += scratch

    def images(first, last):
        for image in range(first, last):
            work(image)

    split_run(n, images, elements=y.size)
    return y[:, :, :, :w_out] if wide else y


def weight_grad_columns(g, xpad, weight_shape, stride, dilation, groups):
    """Weight gradient as the sum over images of grad_out times the (strided) im2col columns."""
    xp = get_xp(g, xpad)
    n, c_out = g.shape[:2]
    _, c_group, kh, kw = weight_shape
    cols = im2col(xpad, (kh, kw), stride, dilation).reshape(n, groups, c_group * kh * kw, -1)
    g_groups = g.reshape(n, groups, c_out // groups, -1)
    return xp.matmul(g_groups, cols.transpose(0, 1, 3, 2)).sum(axis=0).reshape(weight_shape)


def weight_grad_wide(g, x, weight_shape, pads, dilation, groups):
    """Stride-1 weight gradient, sum over images of grad_out times the wide columns, chunked like the forward."""
    xp = get_xp(g, x)
    n, c_out, h_out, w_out = g.shape
    _, c_group, kh, kw = weight_shape
    top, bottom, left, right = pads
    spare = 1 if kw > 1 else 0
    h_pad, w_pad = x.shape[2] + top + bottom + spare, x.shape[3] + left + right
    length = h_out * w_pad
    total = xp.zeros((groups, c_out // groups, c_group * kh * kw), dtype=g.dtype)
    for start, stop in _batch_chunks(n, x.shape[1] * (kh * kw * length + h_pad * w_pad) * x.dtype.itemsize):
        m = stop - start
        cols = _wide_columns(pad2d(x[start:stop], (top, bottom + spare, left, right)), (kh, kw), dilation, h_out)
        g_wide = xp.zeros((m, c_out, h_out, w_pad), dtype=g.dtype)
        g_wide[:, :, :, :w_out] = g[start:stop]
        total += xp.matmul(g_wide.reshape(m, groups, c_out // groups, length),
                           cols.reshape(m, groups, c_group * kh * kw, length).transpose(0, 1, 3, 2)).sum(axis=0)
        del cols
    return total.reshape(weight_shape)
