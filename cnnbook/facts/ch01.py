"""Numbers, tables and claims of chapter 1, "The convolution operation"."""

from __future__ import annotations


import numpy as np

from cnnbook import experiments, functional, shapes
from cnnbook.analysis.ch01 import EQUIVARIANCE_SHIFT, FILTERS, IMAGE, KERNEL, MATRIX_SIDE, equivariance_maps
from cnnbook.claims import compare, expect
from cnnbook.facts import claim, computed, fact, format_value, table

# The opening example: a 224×224 RGB photograph fed to a dense layer of 1,000 units.
PHOTO = (3, 224, 224)
PHOTO_UNITS = 1000
#: The kernel whose convolution matrix on the photograph section 1.7 sizes.
MATRIX_KERNEL = 3


def _square(side):
    return f"{side}×{side}"


def _flat_inputs():
    return int(np.prod(IMAGE))


@fact("ch01.example_image")
def example_image():
    """Height × width of the running example's image."""
    return f"{IMAGE[1]}×{IMAGE[2]}"


@fact("ch01.example_kernel")
def example_kernel():
    return _square(KERNEL)


@fact("ch01.example_output")
def example_output():
    """Height × width of the running example's valid feature map."""
    _, h, w = shapes.conv2d_output_shape(IMAGE, FILTERS, KERNEL)
    return f"{h}×{w}"


@fact("ch01.filters")
def filters():
    return FILTERS


@fact("ch01.filter_weights")
def filter_weights():
    """The weights of one filter of the running example, as a product: '5·5·3 = 75'."""
    return f"{KERNEL}·{KERNEL}·{IMAGE[0]} = {KERNEL * KERNEL * IMAGE[0]}"


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
        (f"convolution: {FILTERS} filters of {KERNEL}×{KERNEL}×{c}",
         f"{h}×{w}×{c} → {out[1]}×{out[2]}×{out[0]}", conv_params()),
        (f"dense: {_flat_inputs():,} inputs → {FILTERS} outputs", f"{h}×{w}×{c} → {FILTERS}", dense_params()),
        (f"dense: {_flat_inputs():,} inputs → {conv_output_units():,} outputs",
         f"{h}×{w}×{c} → {out[1]}×{out[2]}×{out[0]}", dense_same_output_params()),
    ]
    lines = ["| layer | input → output | parameters |", "| --- | --- | ---: |"]
    lines += [f"| {a} | {b} | {format_value(p)} |" for a, b, p in rows]
    return "\n".join(lines)


@computed("ch01.equivariance_errors")  # several facts and a claim read it: the convolutions run once per version
def _equivariance_errors():
    _, a, b = equivariance_maps()
    dy, dx = EQUIVARIANCE_SHIFT
    diff = np.abs(a - b)
    # The border: one pixel (the 3×3 kernel's reach) either side of the edge of the
    # zero band the shift brings in, and the last row and column, whose neighbours
    # the shift pushed out of the frame. Everything else is interior.
    interior = diff[dy + 1 : -1, dx + 1 : -1]
    # Where the disagreement may live: the row and column of the zero band next to the
    # shifted image (the kernel reaches into the image from there), and the last row and column.
    lines = np.zeros(diff.shape, dtype=bool)
    lines[[dy - 1, -1], :] = True
    lines[:, [dx - 1, -1]] = True
    return float(interior.max()), float(diff.max()), int((diff > 0).sum()), int(diff.size), bool((diff[~lines] == 0).all())


@claim("ch01.equivariance_interior_exact")
def equivariance_interior_exact():
    """Away from the borders, shift-then-convolve equals convolve-then-shift exactly (not merely closely)."""
    interior = _equivariance_errors()[0]
    expect(interior == 0, f"the interior difference of the equivariance check is {interior:g}, not exactly 0")
    return f"{interior:g}"


@claim("ch01.equivariance_lines")
def equivariance_lines():
    """All the disagreement lies on the two lines at the zero band's edge and on the last row and column."""
    expect(_equivariance_errors()[4], "the equivariance check differs outside the zero band's edge and the last "
                                      "row and column")
    return ""


@fact("ch01.equivariance_max_error")
def equivariance_max_error():
    return _equivariance_errors()[1]


@fact("ch01.equivariance_changed_fraction")
def equivariance_changed_fraction():
    _, _, changed, total, _ = _equivariance_errors()
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


# ---- section 1.8: the timings (every comparison by the rounds of each method, paired=False) ----

def _timings():
    return experiments.run("ch01.conv_timings")


def _setting(name):
    return next(s for s in _timings()["settings"] if s["name"] == name)


def _rounds(setting, method, kernel):
    return setting["rounds"][method][setting["kernels"].index(kernel)]


@fact("ch01.timing_machine")
def timing_machine():
    return _timings()["machine"]


def _ratio(value):
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}"


@claim("ch01.naive_slower")
def naive_slower():
    """The naive loops are slower than im2col for the smallest kernel on the small image, beyond every repeat."""
    setting = _setting("small")
    k = setting["kernels"][0]
    naive, cols = _rounds(setting, "naive loops", k), _rounds(setting, "im2col + matmul", k)
    compare(naive, cols, paired=False, unit="times").expect(
        "above", f"the naive loops are slower than im2col for a {k}×{k} kernel")
    return (f"{_ratio(np.mean(naive) / np.mean(cols))} times slower than im2col for a {_square(k)} kernel on the "
            f"small image (the "
            f"ratio of the mean times; the slowest of {len(cols)} repeats of im2col was faster than the "
            f"fastest of {len(naive)} repeats of the loops)")


def _faster(setting, kernel, first="FFT", second="im2col + matmul"):
    """Which of two methods was faster at ``kernel``, in the run's own words, with the evidence."""
    names = {"FFT": "the FFT", "im2col + matmul": "im2col", "naive loops": "the naive loops"}
    a, b = _rounds(setting, first, kernel), _rounds(setting, second, kernel)
    if np.mean(a) > np.mean(b):  # name the faster on average first, so the factor is at least one
        first, second, a, b = second, first, b, a
    c = compare(b, a, paired=False, unit="times")  # 'above' when the first method is faster in every repeat
    if c.verdict == "within":
        return f"neither {names[first]} nor {names[second]} was consistently faster ({c.evidence()})"
    return f"{names[first]} was faster than {names[second]} ({c.evidence()})"


@claim("ch01.small_kernels")
def small_kernels():
    """At the smallest kernel of each setting: FFT against im2col, worded by the run."""
    small, layer = _setting("small"), _setting("layer")
    k = small["kernels"][0]
    expect(layer["kernels"][0] == k, "both timing settings start at the same kernel size")
    return (f"With a {_square(k)} kernel on the small image, {_faster(small, k)}; on the network-sized layer, "
            f"{_faster(layer, k)}.")


def _first_fft_win(setting, where):
    """Where the FFT first beat im2col with no overlap between their repeats, and whether it kept winning, as a
    sentence (the smallest kernel's comparison is stated by ``ch01.small_kernels`` just before)."""
    kernels = setting["kernels"]
    verdicts = [compare(_rounds(setting, "im2col + matmul", k), _rounds(setting, "FFT", k), paired=False,
                        unit="times") for k in kernels]
    for i, (k, c) in enumerate(zip(kernels, verdicts)):
        if c.verdict == "above":
            if i == len(kernels) - 1:
                return (f"{where}, the FFT beat im2col only at the largest kernel timed, {_square(k)} "
                        f"({c.evidence()}).")
            kept = all(v.verdict == "above" for v in verdicts[i + 1:])
            later = "and at every larger size timed" if kept else "though not at every larger size timed"
            if i == 0:
                return f"{where}, the FFT beat im2col already at the smallest kernel, {_square(k)}, {later}."
            return f"{where}, the FFT first beat im2col at {_square(k)} ({c.evidence()}), {later}."
    return (f"{where}, the FFT beat im2col at no kernel size up to {_square(setting['kernels'][-1])}: at every size, "
            f"im2col was faster or their repeats overlapped.")


@claim("ch01.fft_crossover")
def fft_crossover():
    """Where the FFT first beat im2col beyond the spread of the repeats, in each setting (whatever the run says)."""
    return (f"{_first_fft_win(_setting('small'), 'On the small image')} "
            f"{_first_fft_win(_setting('layer'), 'On the network-sized layer')}")


@table("ch01.timings")
def timings_table():
    lines = []
    for setting in _timings()["settings"]:
        methods = setting["methods"]
        lines.append(f"**{setting['description']}** (milliseconds per call: median, and fastest–slowest repeat)\n")
        lines.append("| kernel | " + " | ".join(methods) + " |")
        lines.append("| ---: | " + " | ".join("---:" for _ in methods) + " |")
        for i, k in enumerate(setting["kernels"]):
            cells = []
            for m in methods:
                rounds = 1e3 * np.asarray(setting["rounds"][m][i])
                cells.append(f"{np.median(rounds):.3g} ({rounds.min():.3g}–{rounds.max():.3g})")
            lines.append(f"| {k}×{k} | {' | '.join(cells)} |")
        lines.append("")
    return "\n".join(lines)


# ---- the opening example and section 1.7 ----

@fact("ch01.photo_size")
def photo_size():
    return f"{PHOTO[1]}×{PHOTO[2]}"


@fact("ch01.photo_inputs")
def photo_inputs():
    return int(np.prod(PHOTO))


@fact("ch01.photo_units")
def photo_units():
    return PHOTO_UNITS


@fact("ch01.photo_dense_params")
def photo_dense_params():
    """Weights and biases of a dense layer of PHOTO_UNITS units on the photograph."""
    return shapes.linear_params(photo_inputs(), PHOTO_UNITS)


@fact("ch01.matrix_entries_224")
def matrix_entries_224():
    """Entries of the convolution matrix of a MATRIX_KERNEL×MATRIX_KERNEL kernel on the photograph (valid)."""
    side = PHOTO[1]
    out = shapes.conv_output_size(side, MATRIX_KERNEL)
    return f"{out * out * side * side / 1e9:.1f} billion"


@fact("ch01.matrix_nonzero_fraction")
def matrix_nonzero_fraction():
    """Share of that matrix's entries that are not structurally zero: k² per row of H·W."""
    side = PHOTO[1]
    return f"{100 * MATRIX_KERNEL ** 2 / (side * side):.3f}%"


@fact("ch01.matrix_figure_image")
def matrix_figure_image():
    """Size of the image whose convolution matrices the figure of section 1.7 draws."""
    return _square(MATRIX_SIDE)
