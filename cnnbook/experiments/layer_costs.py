"""Chapter 4: standard, grouped and depthwise separable 3×3 layers, counted and timed on this machine."""

from __future__ import annotations

import statistics

import numpy as np

from cnnbook import functional, shapes
from cnnbook.experiments import experiment
from cnnbook.timing import machine_label, round_times

#: Channel counts compared (C in = C out), on one SIZE×SIZE map, float32.
CHANNELS = (16, 32, 64, 128, 256)
SIZE = 56
GROUPS = 8
#: Timed rounds per layer and channel count; each round lasts at least MIN_TIME seconds.
REPEAT = 7
MIN_TIME = 0.01
LABELS = ("standard 3×3", f"grouped 3×3, {GROUPS} groups", "depthwise separable")


def layer_macs(c, size=SIZE):
    """Multiply-accumulates of the three kinds of layer for C → C channels on a size×size map.

    Examples
    --------
    >>> macs = layer_macs(256)
    >>> macs["standard 3×3"] // macs["grouped 3×3, 8 groups"]
    8
    """
    shape = (c, size, size)
    return dict(zip(LABELS, (
        shapes.conv2d_macs(shape, c, 3, padding=1),
        shapes.conv2d_macs(shape, c, 3, padding=1, groups=GROUPS),
        shapes.conv2d_macs(shape, c, 3, padding=1, groups=c) + shapes.conv2d_macs(shape, c, 1),
    )))


def _layers(c, rng):
    standard = rng.standard_normal((c, c, 3, 3)).astype(np.float32)
    grouped = rng.standard_normal((c, c // GROUPS, 3, 3)).astype(np.float32)
    depthwise = rng.standard_normal((c, 1, 3, 3)).astype(np.float32)
    pointwise = rng.standard_normal((c, c, 1, 1)).astype(np.float32)
    return dict(zip(LABELS, (
        lambda x: functional.conv2d(x, standard, padding=1),
        lambda x: functional.conv2d(x, grouped, padding=1, groups=GROUPS),
        lambda x: functional.conv2d(functional.conv2d(x, depthwise, padding=1, groups=c), pointwise),
    )))


@experiment("ch04.layer_costs")
def layer_costs(seed=0, repeat=REPEAT):
    """MACs and seconds per call of each kind of layer, one float32 image, for each channel count.

    Returns
    -------
    dict
        ``machine``, ``channels``, ``macs`` and ``seconds`` (``{label: [value per channel count]}``, the
        median round), and ``rounds`` (``{label: [[seconds of each round] per channel count]}``).
    """
    rng = np.random.default_rng(seed)
    result = {"machine": machine_label(), "channels": list(CHANNELS), "repeat": repeat,
              "macs": {}, "seconds": {}, "rounds": {}}
    for c in CHANNELS:
        x = rng.standard_normal((1, c, SIZE, SIZE)).astype(np.float32)
        for label, f in _layers(c, rng).items():
            rounds = round_times(lambda: f(x), repeat=repeat, min_time=MIN_TIME)
            result["rounds"].setdefault(label, []).append(rounds)
            result["seconds"].setdefault(label, []).append(statistics.median(rounds))
        for label, macs in layer_macs(c).items():
            result["macs"].setdefault(label, []).append(macs)
    return result
