"""Hand-made 3×3 kernels: what a convolution can do before any learning (chapter 1).

The kernel explorer and the feature-map figures use these. Networks trained on
photographs learn first-layer filters much like the edge detectors here
(Krizhevsky et al., 2012).
"""

from __future__ import annotations

import numpy as np

__all__ = ["KERNELS", "kernel"]

#: Named 3×3 kernels, each with a one-line description of what it responds to.
KERNELS = {
    "identity": ([[0, 0, 0], [0, 1, 0], [0, 0, 0]], "copies the centre pixel"),
    "box blur": ([[1, 1, 1], [1, 1, 1], [1, 1, 1]], "averages the 3×3 neighbourhood"),
    "gaussian blur": ([[1, 2, 1], [2, 4, 2], [1, 2, 1]], "weighted average, centre heaviest"),
    "sharpen": ([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], "adds the difference from the neighbours"),
    "edge": ([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]], "pixel minus its neighbours: edges, lines, not ramps"),
    "sobel x": ([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], "brightness rising from left to right"),
    "sobel y": ([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], "brightness rising from top to bottom"),
}
_NORMALISE = {"box blur": 9, "gaussian blur": 16}


def kernel(name):
    """The named 3×3 kernel as a float64 array (blurs sum to one).

    Parameters
    ----------
    name : str
        One of :data:`KERNELS`.

    Examples
    --------
    >>> kernel("sobel x")
    array([[-1.,  0.,  1.],
           [-2.,  0.,  2.],
           [-1.,  0.,  1.]])
    >>> float(kernel("gaussian blur").sum())
    1.0
    """
    if name not in KERNELS:
        raise ValueError(f"kernel: name must be one of {', '.join(map(repr, KERNELS))}; got {name!r}")
    return np.array(KERNELS[name][0], dtype=np.float64) / _NORMALISE.get(name, 1)
