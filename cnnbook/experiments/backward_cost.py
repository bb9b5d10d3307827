"""Chapter 5: the backward pass of a convolution layer timed against its forward pass on this machine."""

from __future__ import annotations

import statistics

import numpy as np

from cnnbook import functional, shapes
from cnnbook.experiments import experiment
from cnnbook.timing import machine_label, round_times

#: The layer timed: a batch of 8 float32 maps, 64 → 64 channels, 3×3, padding 1, 32×32.
SHAPE = (8, 64, 32, 32)


@experiment("ch05.backward_cost")
def backward_cost(seed=0, repeat=7):
    """Seconds of the forward pass, the full backward pass and the weight-only backward pass.

    Returns
    -------
    dict
        ``machine``, ``layer`` (a description), ``macs`` (forward MACs for the
        batch), ``rounds``: ``{"forward", "backward", "backward, weights only"}``
        with the seconds per call of each of ``repeat`` rounds, and ``seconds``:
        their medians.
    """
    rng = np.random.default_rng(seed)
    n, c, h, w = SHAPE
    x = rng.standard_normal(SHAPE).astype(np.float32)
    weight = rng.standard_normal((c, c, 3, 3)).astype(np.float32)
    g = rng.standard_normal(SHAPE).astype(np.float32)
    rounds = {
        "forward": round_times(lambda: functional.conv2d(x, weight, padding=1), repeat),
        "backward": round_times(lambda: functional.conv2d_backward(g, x, weight, padding=1), repeat),
        "backward, weights only": round_times(
            lambda: functional.conv2d_backward(g, x, weight, padding=1, input_grad=False), repeat),
    }
    return {"machine": machine_label(), "layer": f"batch {n}, {c} → {c} channels, 3×3, {h}×{w}, float32",
            "macs": n * shapes.conv2d_macs((c, h, w), c, 3, padding=1), "rounds": rounds,
            "seconds": {name: statistics.median(values) for name, values in rounds.items()}}
