"""Chapter 1: three ways to compute a convolution, timed on this machine."""

from __future__ import annotations

import statistics

import numpy as np

from cnnbook import functional, reference, spectral
from cnnbook.experiments import experiment
from cnnbook.timing import machine_label, round_times


def im2col_matmul(x, weight):
    """Valid, stride-1 cross-correlation as :func:`cnnbook.functional.im2col` and one matrix product.

    The plain method that section 1.8 shows and times. :func:`cnnbook.functional.conv2d`
    adds shortcuts to it (contiguous copies on a wide grid for narrow kernels, and no
    matrix product at all when each filter sees one channel, as on the chapter's
    single-channel image), so timing ``conv2d`` would not time the method the page shows.

    Parameters
    ----------
    x : array, shape (N, C_in, H, W)
    weight : array, shape (C_out, C_in, kH, kW)

    Returns
    -------
    array, shape (N, C_out, H - kH + 1, W - kW + 1)

    Examples
    --------
    >>> x = np.random.default_rng(0).standard_normal((2, 3, 7, 6))
    >>> w = np.random.default_rng(1).standard_normal((4, 3, 3, 2))
    >>> bool(np.allclose(im2col_matmul(x, w), reference.conv2d(x, w)))
    True
    """
    n, _, h, w_ = x.shape
    c_out, _, kh, kw = weight.shape
    cols = functional.im2col(x, (kh, kw))  # (N, C_in kH kW, H_out W_out)
    y = np.matmul(weight.reshape(c_out, -1), cols)  # one (C_out, C_in kH kW) weight matrix for every image
    return y.reshape(n, c_out, h - kh + 1, w_ - kw + 1)


METHODS = {
    "naive loops": reference.conv2d,
    "im2col + matmul": im2col_matmul,
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
