"""Chapter 1: three ways to compute a convolution, timed on this machine."""

from __future__ import annotations

import numpy as np

from cnnbook import functional, reference, spectral
from cnnbook.experiments import experiment
from cnnbook.timing import machine_label, median_time

METHODS = {
    "naive loops": reference.conv2d,
    "im2col + matmul": functional.conv2d,
    "FFT": spectral.conv2d_fft,
}


@experiment("ch01.conv_timings")
def conv_timings(seed=0):
    """Seconds per call of each implementation as the kernel grows.

    Two settings: a single-channel 48×48 image (where the naive loops are still
    bearable), and a network-sized layer, batch 8, 16 → 16 channels on 32×32
    (float32), where only the two fast methods are timed.

    Returns
    -------
    dict
        ``machine``, and ``settings``: a list with, for each setting, its
        description, the kernel sizes, the methods in display order and
        ``{method: [seconds, ...]}``.
    """
    rng = np.random.default_rng(seed)
    settings = {
        "small": dict(shape=(1, 1, 48, 48), out_channels=1, kernels=[3, 5, 9, 15, 21], dtype=np.float64,
                      methods=list(METHODS)),
        "layer": dict(shape=(8, 16, 32, 32), out_channels=16, kernels=[3, 5, 7, 9, 11, 15], dtype=np.float32,
                      methods=["im2col + matmul", "FFT"]),
    }
    result = {"machine": machine_label(), "settings": []}
    for label, s in settings.items():
        x = rng.standard_normal(s["shape"]).astype(s["dtype"])
        times = {m: [] for m in s["methods"]}
        for k in s["kernels"]:
            w = rng.standard_normal((s["out_channels"], s["shape"][1], k, k)).astype(s["dtype"])
            for method in s["methods"]:
                repeat = 3 if method == "naive loops" else 7
                times[method].append(median_time(lambda: METHODS[method](x, w), repeat=repeat))
        n, c, h, w_ = s["shape"]
        result["settings"].append({
            "name": label,
            "description": f"batch {n}, {c}→{s['out_channels']} channels, {h}×{w_}, {np.dtype(s['dtype']).name}",
            "kernels": s["kernels"],
            "methods": s["methods"],
            "seconds": times,
        })
    return result
