"""Chapter 5: the backward pass of a convolution layer timed against its forward pass on this machine."""

from __future__ import annotations

import statistics
import time

import numpy as np

from cnnbook import functional, shapes
from cnnbook.experiments import experiment
from cnnbook.timing import machine_label

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
        with the seconds of one call in each of ``repeat`` interleaved rounds, and
        ``seconds``: their medians.
    """
    rng = np.random.default_rng(seed)
    n, c, h, w = SHAPE
    x = rng.standard_normal(SHAPE).astype(np.float32)
    weight = rng.standard_normal((c, c, 3, 3)).astype(np.float32)
    g = rng.standard_normal(SHAPE).astype(np.float32)
    funcs = {
        "forward": lambda: functional.conv2d(x, weight, padding=1),
        "backward": lambda: functional.conv2d_backward(g, x, weight, padding=1),
        "backward, weights only": lambda: functional.conv2d_backward(g, x, weight, padding=1, input_grad=False),
    }
    for func in funcs.values():  # one untimed warm-up call each
        func()
    # Interleaved rounds: each round times the three passes one after the other (in a rotating order), so a
    # change of load on the machine during the run hits all three alike instead of one block of rounds.
    names = list(funcs)
    rounds = {name: [] for name in names}
    for r in range(repeat):
        for name in names[r % len(names):] + names[:r % len(names)]:
            start = time.perf_counter()
            funcs[name]()
            rounds[name].append(time.perf_counter() - start)
    return {"machine": machine_label(), "layer": f"batch {n}, {c} → {c} channels, 3×3, {h}×{w}, float32",
            "macs": n * shapes.conv2d_macs((c, h, w), c, 3, padding=1), "rounds": rounds,
            "seconds": {name: statistics.median(values) for name, values in rounds.items()}}
