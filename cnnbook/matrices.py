"""Convolution as a matrix product (chapter 1).

A convolution is linear in its input, so it is multiplication by some matrix.
For a 1-D signal that matrix is Toeplitz (constant along each diagonal); for a
2-D image, flattened row by row, it is *doubly block Toeplitz*: a Toeplitz
arrangement of blocks that are themselves Toeplitz. With circular (wrap-around)
boundaries both levels become circulant. The matrices are built here entry by
entry so the structure is visible; nobody computes a convolution this way.
"""

from __future__ import annotations

import numpy as np

from cnnbook import geometry
from cnnbook._checks import check_array, check_int, check_pair
from cnnbook.backend import to_numpy

__all__ = ["conv_matrix"]


def conv_matrix(kernel, input_shape, padding=0, stride=1, circular=False):
    """The matrix ``M`` with ``M @ image.ravel() == correlate(image, kernel).ravel()``.

    Parameters
    ----------
    kernel : array, shape (kH, kW)
    input_shape : pair of int
        ``(H, W)`` of the image the matrix acts on.
    padding : int or pair
        Zero padding on each side (ignored when ``circular``).
    stride : int or pair
    circular : bool
        Wrap around the borders instead of padding with zeros: the output keeps
        the input's size and ``M`` is doubly block circulant.

    Returns
    -------
    ndarray, shape (H_out * W_out, H * W)
        Row ``i * W_out + j`` holds the kernel's weights at the columns of the
        pixels that output ``(i, j)`` reads.

    Examples
    --------
    >>> conv_matrix(np.array([[1.0, 2.0]]), (1, 3))
    array([[1., 2., 0.],
           [0., 1., 2.]])
    >>> conv_matrix(np.array([[1.0, 2.0]]), (1, 3), circular=True)
    array([[1., 2., 0.],
           [0., 1., 2.],
           [2., 0., 1.]])
    """
    where = "conv_matrix"
    kernel = check_array(to_numpy(kernel), "kernel", where, ndim=2)
    if len(input_shape) != 2:
        raise ValueError(f"{where}: input_shape must be (H, W); got {input_shape!r}")
    h, w = (check_int(v, "input_shape", where, minimum=1) for v in input_shape)
    ph, pw = check_pair(padding, "padding", where, minimum=0)
    sh, sw = check_pair(stride, "stride", where, minimum=1)
    kh, kw = kernel.shape
    if circular:
        ph = pw = 0
        h_out, w_out = (h - 1) // sh + 1, (w - 1) // sw + 1
    else:
        h_out, w_out = geometry.positions(h + 2 * ph, kh, sh), geometry.positions(w + 2 * pw, kw, sw)
        if h_out < 1 or w_out < 1:
            raise ValueError(f"{where}: kernel {kernel.shape} is larger than the padded input")
    matrix = np.zeros((h_out * w_out, h * w), dtype=np.result_type(kernel.dtype, np.float64))
    for i in range(h_out):
        for j in range(w_out):
            row = i * w_out + j
            for m in range(kh):
                for n in range(kw):
                    r, c = i * sh + m - ph, j * sw + n - pw  # the input pixel this tap reads
                    if circular:
                        r, c = r % h, c % w
                    elif not (0 <= r < h and 0 <= c < w):
                        continue  # the tap sits on a padding zero
                    matrix[row, r * w + c] += kernel[m, n]
    return matrix
