"""Numbers and tables of chapter 1, "The convolution operation"."""

from __future__ import annotations

import functools

import numpy as np

from cnnbook import experiments, functional, shapes
from cnnbook.facts import fact, format_value, table
from cnnbook.figures.ch01 import EQUIVARIANCE_SHIFT, equivariance_maps

# The running example: a 32×32 RGB image, 16 filters of 5×5.
IMAGE = (3, 32, 32)
FILTERS = 16
KERNEL = 5


def _flat_inputs():
    return int(np.prod(IMAGE))


@fact("ch01.conv_params")
def conv_params():
    return shapes.conv2d_params(IMAGE[0], FILTERS, KERNEL)


@fact("ch01.dense_params")
def dense_params():
    return shapes.linear_params(_flat_inputs(), FILTERS)


@fact("ch01.param_ratio")
def param_ratio():
    return dense_params() / conv_params()


@fact("ch01.conv_output_units")
def conv_output_units():
    return int(np.prod(shapes.conv2d_output_shape(IMAGE, FILTERS, KERNEL)))


@fact("ch01.dense_same_output_params")
def dense_same_output_params():
    return shapes.linear_params(_flat_inputs(), conv_output_units())


@fact("ch01.conv_macs")
def conv_macs():
    return shapes.conv2d_macs(IMAGE, FILTERS, KERNEL)


@fact("ch01.weight_reuse")
def weight_reuse():
    return shapes.weight_reuse(IMAGE[1], KERNEL)


@table("ch01.params")
def params_table():
    c, h, w = IMAGE
    out = shapes.conv2d_output_shape(IMAGE, FILTERS, KERNEL)
    rows = [
        (f"convolution: {FILTERS} filters of {KERNEL}×{KERNEL}×{c}", f"{h}×{w}×{c} → {out[1]}×{out[2]}×{out[0]}",
         conv_params()),
        (f"dense: {_flat_inputs():,} inputs → {FILTERS} outputs", f"{h}×{w}×{c} → {FILTERS}", dense_params()),
        (f"dense: {_flat_inputs():,} inputs → {conv_output_units():,} outputs",
         f"{h}×{w}×{c} → {out[1]}×{out[2]}×{out[0]}", dense_same_output_params()),
    ]
    lines = ["| layer | input → output | parameters |", "| --- | --- | ---: |"]
    lines += [f"| {a} | {b} | {format_value(p)} |" for a, b, p in rows]
    return "\n".join(lines)


@functools.cache  # three facts read it; compute the convolutions once per build
def _equivariance_errors():
    _, a, b = equivariance_maps()
    dy, dx = EQUIVARIANCE_SHIFT
    diff = np.abs(a - b)
    # The border: one pixel (the 3×3 kernel's reach) either side of the edge of the
    # zero band the shift brings in, and the last row and column, whose neighbours
    # the shift pushed out of the frame. Everything else is interior.
    interior = diff[dy + 1 : -1, dx + 1 : -1]
    return float(interior.max()), float(diff.max()), int((diff > 0).sum()), diff.size


@fact("ch01.equivariance_interior_error")
def equivariance_interior_error():
    return _equivariance_errors()[0]


@fact("ch01.equivariance_max_error")
def equivariance_max_error():
    return _equivariance_errors()[1]


@fact("ch01.equivariance_changed_fraction")
def equivariance_changed_fraction():
    _, _, changed, total = _equivariance_errors()
    return f"{100 * changed / total:.1f}%"


@fact("ch01.equivariance_shift")
def equivariance_shift():
    return "({}, {})".format(*EQUIVARIANCE_SHIFT)


@fact("ch01.onebyone_error")
def onebyone_error():
    """Largest difference between a 1×1 convolution and a per-pixel matrix product."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 8, 5, 7))
    weight = rng.standard_normal((4, 8, 1, 1))
    by_conv = functional.conv2d(x, weight)
    by_matmul = np.einsum("oc,nchw->nohw", weight[:, :, 0, 0], x)
    return float(np.abs(by_conv - by_matmul).max())


def _timings():
    return experiments.run("ch01.conv_timings")


@fact("ch01.timing_machine")
def timing_machine():
    return _timings()["machine"]


@fact("ch01.naive_slowdown")
def naive_slowdown():
    """How many times slower the naive loops are than im2col for the smallest kernel."""
    seconds = _timings()["settings"][0]["seconds"]
    return seconds["naive loops"][0] / seconds["im2col + matmul"][0]


@fact("ch01.fft_crossover")
def fft_crossover():
    """Smallest kernel size at which FFT beat im2col on the network-sized layer."""
    setting = _timings()["settings"][1]
    seconds = setting["seconds"]
    for k, t_fft, t_cols in zip(setting["kernels"], seconds["FFT"], seconds["im2col + matmul"]):
        if t_fft < t_cols:
            return f"{k}×{k}"
    return f"none up to {setting['kernels'][-1]}×{setting['kernels'][-1]}"


@table("ch01.timings")
def timings_table():
    lines = []
    for setting in _timings()["settings"]:
        methods = setting["methods"]
        lines.append(f"**{setting['description']}** (milliseconds per call, median)\n")
        lines.append("| kernel | " + " | ".join(methods) + " |")
        lines.append("| ---: | " + " | ".join("---:" for _ in methods) + " |")
        for i, k in enumerate(setting["kernels"]):
            cells = " | ".join(f"{1e3 * setting['seconds'][m][i]:.3g}" for m in methods)
            lines.append(f"| {k}×{k} | {cells} |")
        lines.append("")
    return "\n".join(lines)


# The opening example: a 224×224 RGB photograph.
PHOTO = (3, 224, 224)


@fact("ch01.photo_inputs")
def photo_inputs():
    return int(np.prod(PHOTO))


@fact("ch01.photo_dense_params")
def photo_dense_params():
    """Weights and biases of a 1,000-unit dense layer on the photograph."""
    return shapes.linear_params(photo_inputs(), 1000)


@fact("ch01.matrix_entries_224")
def matrix_entries_224():
    """Entries of the convolution matrix of a 3×3 kernel on a 224×224 image (valid)."""
    side = PHOTO[1]
    out = shapes.conv_output_size(side, 3)
    return f"{out * out * side * side / 1e9:.1f} billion"
