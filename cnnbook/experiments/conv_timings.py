"""Chapter 1: three ways to compute a convolution, timed on this machine."""

from __future__ import annotations

import statistics

import numpy as np

from cnnbook import functional, reference, spectral
from cnnbook.experiments import experiment
from cnnbook.timing import machine_label, round_times

METHODS = {
    "naive loops": reference.conv2d,
    "im2col + matmul": functional.conv2d,
    "FFT": spectral.conv2d_fft,
}
#: Timed rounds per method and kernel size (the naive loops take up to a second a round, so fewer); each
#: round lasts at least MIN_TIME seconds. The chapter compares methods by these rounds, not by one number.
REPEAT = {"naive loops": 3, "im2col + matmul": 7, "FFT": 7}
MIN_TIME = 0.01
#: The two settings: one small single-channel image (where the naive loops are still bearable) and a
#: network-sized layer, where only the two fast methods are timed.
SETTINGS = {
    "small": dict(title="small image", shape=(1, 1, 48, 48), out_channels=1, kernels=(3, 5, 9, 15, 21),
                  dtype="float64", methods=tuple(METHODS)),
    "layer": dict(title="network-sized layer", shape=(8, 16, 32, 32), out_channels=16,
                  kernels=(3, 5, 7, 9, 11, 15), dtype="float32", methods=("im2col + matmul", "FFT")),
}


@experiment("ch01.conv_timings")
def conv_timings(seed=0):
    """Seconds per call of each implementation as the kernel grows, in every timed round.

    Returns
    -------
    dict
        ``machine``, and ``settings``: a list with, for each of :data:`SETTINGS`, its
        name, description, the kernel sizes, the methods in display order,
        ``rounds`` (``{method: [[seconds of each round] per kernel size]}``) and
        ``seconds`` (``{method: [median round per kernel size]}``).
    """
    rng = np.random.default_rng(seed)
    result = {"machine": machine_label(), "settings": []}
    for label, s in SETTINGS.items():
        x = rng.standard_normal(s["shape"]).astype(s["dtype"])
        rounds = {m: [] for m in s["methods"]}
        for k in s["kernels"]:
            w = rng.standard_normal((s["out_channels"], s["shape"][1], k, k)).astype(s["dtype"])
            for method in s["methods"]:
                rounds[method].append(round_times(lambda: METHODS[method](x, w), repeat=REPEAT[method],
                                                  min_time=MIN_TIME))
        n, c, h, w_ = s["shape"]
        result["settings"].append({
            "name": label,
            "description": f"{s['title']}: batch {n}, {c}→{s['out_channels']} channels, {h}×{w_}, {s['dtype']}",
            "kernels": list(s["kernels"]),
            "methods": list(s["methods"]),
            "rounds": rounds,
            "seconds": {m: [statistics.median(r) for r in rounds[m]] for m in s["methods"]},
        })
    return result
