"""Data the book's browser instruments start from, computed by cnnbook at build time.

The instruments themselves are JavaScript (``docs/assets/instruments/``); the
pages embed what this module returns as JSON, so a preset in the browser is
exactly the array that the tests feed to :mod:`cnnbook.functional`.
"""

from __future__ import annotations

import numpy as np

from cnnbook import arithmetic, kernels
from cnnbook.data import photo

__all__ = ["EXPLORER_KERNEL_LIMIT", "EXPLORER_MAP_HEADROOM", "EXPLORER_SIZE", "arithmetic_data", "explorer_inputs", "kernel_explorer_data"]

#: Side of the kernel explorer's input grid.
EXPLORER_SIZE = 12
#: The explorer colours a weight w at w / 3 of the colour map's half range, and a feature map whose largest value
#: is m at ±1.5 m: strong colours would hide the numbers written on them. The static figure of its default state
#: (``ch01.kernel_explorer``) uses the same limits.
EXPLORER_KERNEL_LIMIT = 3.0
EXPLORER_MAP_HEADROOM = 1.5
#: Colours sampled evenly from the book's diverging map (cnnbook.figures.common.DIVERGING), from -1 to 1, for the
#: browser.
_STOPS = 33

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
    >>> data["colours"]["diverging"][16]  # zero: white, or nearly
    '#f7f6f6'
    """
    return {
        "size": EXPLORER_SIZE,
        "colours": {"diverging": diverging_stops(), "kernel_limit": EXPLORER_KERNEL_LIMIT,
                    "map_headroom": EXPLORER_MAP_HEADROOM},
        "inputs": {label: grid.tolist() for label, grid in explorer_inputs().items()},
        "kernels": {name: kernels.kernel(name).tolist() for name in kernels.KERNELS},
    }


def diverging_stops(count=_STOPS):
    """``count`` colours (``#rrggbb``) sampled evenly from the book's diverging colour map, -1 to 1: what the browser
    interpolates between, so the live explorer and the static figures colour a value alike.

    >>> stops = diverging_stops(3)
    >>> len(stops), stops[0][:3], stops[-1][:3]   # blue, white, red
    (3, '#05', '#67')
    """
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    from cnnbook.figures.common import DIVERGING

    cmap = colormaps[DIVERGING]
    return [to_hex(cmap(i / (count - 1))) for i in range(count)]


def arithmetic_data():
    """The arithmetic animator's colours: those of chapter 2's static drawings (:data:`cnnbook.arithmetic.COLOURS`),
    so the live drawing and the figures it stands beside read the same way.

    Examples
    --------
    >>> arithmetic_data()["colours"]["window"]
    '#e8590c'
    """
    return {"colours": dict(arithmetic.COLOURS)}
