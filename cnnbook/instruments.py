"""Data the book's browser instruments start from, computed by cnnbook at build time.

The instruments themselves are JavaScript (``docs/assets/instruments/``); the
pages embed what this module returns as JSON, so a preset in the browser is
exactly the array that the tests feed to :mod:`cnnbook.functional`.
"""

from __future__ import annotations

import numpy as np

from cnnbook import arithmetic, kernels
from cnnbook.data import photo

__all__ = ["EXPLORER_SIZE", "arithmetic_data", "explorer_inputs", "kernel_explorer_data"]

#: Side of the kernel explorer's input grid.
EXPLORER_SIZE = 12

_SEVEN = ("............", "..########..", "..########..", ".........##.", "........##..", ".......##...",
          "......##....", ".....##.....", ".....##.....", "....##......", "....##......", "............")


def explorer_inputs():
    """The explorer's input presets: ``{label: 12×12 array}`` with values in [0, 1], rounded to 2 decimals."""
    n = EXPLORER_SIZE
    crop = photo("camera", size=64, backend="numpy")[8 : 8 + n, 22 : 22 + n]
    bar = np.zeros((n, n))
    bar[2:-2, 5:7] = 1.0
    seven = np.array([[1.0 if ch == "#" else 0.0 for ch in row] for row in _SEVEN])
    return {
        "photograph crop (the cameraman's hat)": np.round(crop, 2),
        "vertical bar": bar,
        "a hand-drawn 7": seven,
        "blank (draw your own)": np.zeros((n, n)),
    }


def kernel_explorer_data():
    """JSON-ready presets for the kernel explorer: input grids and the named 3×3 kernels of chapter 1.

    Examples
    --------
    >>> data = kernel_explorer_data()
    >>> data["size"], sorted(data["kernels"])[:2]
    (12, ['box blur', 'edge'])
    """
    return {
        "size": EXPLORER_SIZE,
        "inputs": {label: grid.tolist() for label, grid in explorer_inputs().items()},
        "kernels": {name: kernels.kernel(name).tolist() for name in kernels.KERNELS},
    }


def arithmetic_data():
    """The arithmetic animator's colours: those of chapter 2's static drawings (:data:`cnnbook.arithmetic.COLOURS`),
    so the live drawing and the figures it stands beside read the same way.

    Examples
    --------
    >>> arithmetic_data()["colours"]["window"]
    '#e8590c'
    """
    return {"colours": dict(arithmetic.COLOURS)}
