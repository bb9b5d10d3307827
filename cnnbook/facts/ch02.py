"""Numbers, tables and claims of chapter 2, "Padding, stride and dilation".

Every example the page describes is declared once, where the code that draws or checks it reads it: the
animations in :data:`cnnbook.figures.ch02.ANIMATIONS`, the examples shared with the exercises in
:mod:`cnnbook.exercises.ch02`, the rest below. The page reads them back through these facts.
"""

from __future__ import annotations

import json
import math

import numpy as np

from cnnbook import cache, functional, matrices, models, shapes
from cnnbook.analysis.ch01 import ASYMMETRIC_KERNEL
from cnnbook.analysis.ch02 import (
    ALEXNET,
    ANIMATIONS,
    EQUIVARIANCE_SERIES,
    INSTRUMENT_DEFAULT,
    OUTPUT_PADDING_EXAMPLE,
    SMALL_IMAGE,
    STRIDE_SHIFTS,
    TRANSPOSED_MATRIX_SIZE,
    UPSAMPLE,
    bilinear_kernel,
    constant_response,
    stride_equivariance,
    upsamplers,
)
from cnnbook.arithmetic import Arithmetic
from cnnbook.claims import expect
from cnnbook.facts import claim, fact, table

#: (input size, kernel size) of the first valid convolution of section 2.1, a LeNet-sized one.
FIRST_EXAMPLE = (32, 5)

#: (n, k, s) of the rows of the "same" padding table; two of them are discussed in the text.
SAME_ROWS = ((7, 3, 1), (7, 4, 1), (8, 4, 1), (7, 3, 2), (8, 3, 2), (8, 4, 2), (9, 5, 2))
SAME_TRAP = (8, 4, 1)   # an even kernel with the symmetric padding k // 2: one output too many
SAME_GRID = (8, 3, 2)   # same output count, different sampling grid

#: The strided, padded, dilated layer on which the adjoint identity is measured.
ADJOINT_SETTING = {"stride": 2, "padding": 1, "dilation": 2}


def _grid(n):
    return f"{n}×{n}"


# ---- the animations: every number a caption or sentence quotes about them ----

def _animation_facts(key, a):
    before, after = a.pads
    values = {
        "input": lambda: _grid(a.input_size),
        "kernel": lambda: _grid(a.kernel_size),
        "output": lambda: _grid(a.output_size),
        "span": lambda: _grid(a.span),
        "weights": lambda: a.kernel_size ** 2,
        "stride": lambda: a.stride,
        "padding": lambda: a.padding if isinstance(a.padding, int) else f"{a.padding}",
        "pad_before": lambda: before,
        "pad_after": lambda: after,
        "dilation": lambda: a.dilation,
        "output_padding": lambda: a.output_padding,
        "describe": a.describe,
    }
    for attribute, value in values.items():
        fact(f"ch02.{key}.{attribute}")(value)


for _key, _arith in {**ANIMATIONS, "instrument": INSTRUMENT_DEFAULT}.items():
    _animation_facts(_key, _arith)


#: Premises of the examples the page describes, read back through facts (each is declared once, in code).
_PREMISES = {
    "first_input": lambda: _grid(FIRST_EXAMPLE[0]),
    "first_kernel": lambda: _grid(FIRST_EXAMPLE[1]),
    "first_output": lambda: _grid(shapes.conv_output_size(*FIRST_EXAMPLE)),
    "small_input": lambda: _grid(SMALL_IMAGE[0]),
    "small_kernel": lambda: _grid(SMALL_IMAGE[1]),
    "small_output": lambda: _grid(shapes.conv_output_size(*SMALL_IMAGE)),
    "small_weights": lambda: SMALL_IMAGE[1] ** 2,
    "alexnet_kernel": lambda: _grid(ALEXNET["kernel"]),
    "alexnet_stride": lambda: ALEXNET["stride"],
    "alexnet_paper_input": lambda: _grid(ALEXNET["paper_input"]),
    "alexnet_input": lambda: _grid(ALEXNET["input"]),
    "same_trap_size": lambda: SAME_TRAP[0],
    "same_trap_kernel": lambda: _grid(SAME_TRAP[1]),
    "same_trap_padding": lambda: SAME_TRAP[1] // 2,
    "same_grid_size": lambda: SAME_GRID[0],
    "same_grid_kernel": lambda: _grid(SAME_GRID[1]),
    "same_grid_stride": lambda: SAME_GRID[2],
    "same_grid_padding": lambda: SAME_GRID[1] // 2,
    "shift_min": lambda: min(STRIDE_SHIFTS),
    "shift_max": lambda: max(STRIDE_SHIFTS),
    "transposed_matrix_image": lambda: _grid(TRANSPOSED_MATRIX_SIZE),
    "op_kernel": lambda: _grid(OUTPUT_PADDING_EXAMPLE["kernel"]),
    "op_stride": lambda: OUTPUT_PADDING_EXAMPLE["stride"],
    "op_padding": lambda: OUTPUT_PADDING_EXAMPLE["padding"],
    "upsample": lambda: UPSAMPLE,
}
for _name, _value in _PREMISES.items():
    fact(f"ch02.{_name}")(_value)


@claim("ch02.padding_stride_fits")
def padding_stride_fits():
    """The caption 'every window fits exactly' of the stride-2, padding-1 animation."""
    expect(ANIMATIONS["padding_stride"].unused == 0, "ch02.arith_padding_stride: every window fits exactly")
    return ""


@claim("ch02.same_keeps_size")
def same_keeps_size():
    """The 'same' caption: p = (k - 1)/2 zeros keep the input's size."""
    a = ANIMATIONS["same"]
    expect(a.padding == (a.kernel_size - 1) // 2 and a.kernel_size % 2 == 1, "the 'same' animation pads (k-1)/2")
    expect(a.output_size == a.input_size, "'same' padding keeps the input's size")
    return ""


@claim("ch02.full_grows")
def full_grows():
    """The 'full' caption: p = k - 1 zeros, and the output grows by k - 1."""
    a = ANIMATIONS["full"]
    expect(a.padding == a.kernel_size - 1, "the 'full' animation pads k - 1")
    expect(a.output_size == a.input_size + a.kernel_size - 1, "full padding grows the output by k - 1")
    return ""


@claim("ch02.same_even_keeps_size")
def same_even_keeps_size():
    """The even-kernel 'same' caption: TensorFlow's (before, after) zeros, and the size is kept."""
    a = ANIMATIONS["same_even"]
    expect(a.pads == shapes.same_padding(a.input_size, a.kernel_size), "the animation pads as TensorFlow's SAME")
    expect(a.output_size == a.input_size, "'same' padding keeps an even kernel's input size")
    return ""


@claim("ch02.dilated_span")
def dilated_span_claim():
    """The dilation caption: the kernel spans d(k - 1) + 1 cells, fewer than the input's."""
    a = ANIMATIONS["dilation"]
    expect(a.span == a.dilation * (a.kernel_size - 1) + 1 and a.span < a.input_size, "the dilated kernel's span")
    return ""


@claim("ch02.transposed_undoes")
def transposed_undoes():
    """The transposed captions: each maps back to the shape a direct animation of the chapter started from."""
    pairs = (("transposed", "no_padding"), ("transposed_stride", "stride"), ("transposed_padding_stride",
                                                                            "padding_stride"))
    for t, d in pairs:
        t, d = ANIMATIONS[t], ANIMATIONS[d]
        same = (t.kernel_size, t.stride, t.padding, t.dilation) == (d.kernel_size, d.stride, d.padding, d.dilation)
        expect(same and t.input_size == d.output_size and t.output_size == d.input_size,
               f"{t.describe()} undoes the shape of {d.describe()}")
    full = ANIMATIONS["transposed"]
    expect(full.pads[0] == full.kernel_size - 1, "the stride-1 transposed animation has the full padding")
    return ""


@claim("ch02.odd_reads_last_row")
def odd_reads_last_row():
    """Section 2.4: the larger input's last row is read; only padding goes unread, and both give the same size."""
    small, large = ANIMATIONS["padding_stride"], ANIMATIONS["padding_stride_odd"]
    last_input_row = large.input_cells[-1]
    read = {cell for start in large.positions for cell in large.taps(start)}
    expect(last_input_row in read, "the 6×6 input's last row is read by the last window")
    expect(large.unused == large.pads[1], "only the bottom padding goes unread")
    expect(small.output_size == large.output_size, "both inputs give the same output size")
    return ""


@fact("ch02.odd_last_window")
def odd_last_window():
    """Padded cells the last window of the 'stride that does not fit' animation covers, e.g. '4 to 6'."""
    a = ANIMATIONS["padding_stride_odd"]
    taps = a.taps(a.positions[-1])
    return f"{taps[0]} to {taps[-1]}"


@fact("ch02.odd_input_cells")
def odd_input_cells():
    """Padded cells the input itself fills in the 'stride that does not fit' animation, e.g. '1 to 6'."""
    cells = ANIMATIONS["padding_stride_odd"].input_cells
    return f"{cells[0]} to {cells[-1]}"


@fact("ch02.odd_starts")
def odd_starts():
    a = ANIMATIONS["padding_stride_odd"]
    return ", ".join(str(p) for p in a.positions)


@fact("ch02.odd_unpadded_output")
def odd_unpadded_output():
    """The same 6-cell input without padding: its last input row is the one that goes unread."""
    a = ANIMATIONS["padding_stride_odd"]
    unpadded = Arithmetic(a.input_size, a.kernel_size, stride=a.stride)
    expect(unpadded.unused >= 1, "without padding, the last input row of the 6×6 example goes unread")
    return _grid(unpadded.output_size)


@fact("ch02.applications_9_3")
def applications_9_3():
    return shapes.weight_reuse(*SMALL_IMAGE)


# ---- section 2.4: AlexNet ----

@fact("ch02.alexnet_out")
def alexnet_out():
    """AlexNet's first layer on the input size the implementation used."""
    return shapes.conv_output_size(ALEXNET["input"], ALEXNET["kernel"], stride=ALEXNET["stride"])


@fact("ch02.alexnet_224_formula")
def alexnet_224_formula():
    """The formula for the input size the paper states, which is not a whole number of steps."""
    n, k, s = ALEXNET["paper_input"], ALEXNET["kernel"], ALEXNET["stride"]
    value = (n - k) / s + 1
    expect(value != int(value), "the paper's input size is not a whole number of strides")
    return f"$({n} - {k})/{s} + 1 = {value:g}$"


# ---- section 2.3: "same" padding ----

def _same_rows():
    rows = []
    for n, k, s in SAME_ROWS:
        before, after = shapes.same_padding(n, k, s)
        out = Arithmetic(n, k, stride=s, padding=(before, after)).output_size
        naive = shapes.conv_output_size(n, k, s, k // 2)
        torch = f"({before}, {after})" if s == 1 else "refused"
        rows.append((n, k, s, before, after, out, torch, k // 2, naive))
    return rows


@table("ch02.same_padding")
def same_padding_table():
    lines = ["| n | k | s | TensorFlow `SAME` | outputs | PyTorch `\"same\"` | p = ⌊k/2⌋ | outputs |",
             "| ---: | ---: | ---: | :---: | ---: | :---: | ---: | ---: |"]
    for n, k, s, before, after, out, torch, p, naive in _same_rows():
        lines.append(f"| {n} | {k} | {s} | ({before}, {after}) | {out} | {torch} | {p} | {naive} |")
    return "\n".join(lines)


_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth")


@fact("ch02.same_trap_row")
def same_trap_row():
    return _ORDINALS[SAME_ROWS.index(SAME_TRAP)]


@fact("ch02.same_grid_row")
def same_grid_row():
    return _ORDINALS[SAME_ROWS.index(SAME_GRID)]


@fact("ch02.same_even_outputs")
def same_even_outputs():
    """Outputs of the trap row's even kernel with the symmetric padding k // 2 (one more than 'same')."""
    n, k, s = SAME_TRAP
    out = shapes.conv_output_size(n, k, s, k // 2)
    expect(out == n + 1, "the symmetric padding k // 2 gives one output too many for an even kernel")
    return out


def _grid_settings():
    n, k, s = SAME_GRID
    tf = Arithmetic(n, k, stride=s, padding=shapes.same_padding(n, k, s))
    sym = Arithmetic(n, k, stride=s, padding=k // 2)
    return tf, sym


@fact("ch02.same_grid_outputs")
def same_grid_outputs():
    tf, sym = _grid_settings()
    expect(tf.output_size == sym.output_size, "both 'same' rules give the same number of outputs")
    expect(tf.pads[0] == 0, "TensorFlow pads nothing before the input in this row")
    return tf.output_size


def _starts(a):
    return ", ".join(f"{p - a.pads[0]}".replace("-", "−") for p in a.positions)


@fact("ch02.same_grid_tf_starts")
def same_grid_tf_starts():
    return _starts(_grid_settings()[0])


@fact("ch02.same_grid_sym_starts")
def same_grid_sym_starts():
    return _starts(_grid_settings()[1])


# ---- section 2.5: stride and equivariance ----

def _equivariance():
    """The measurement of figure 2.9, cached like a fact: the claims below are evaluated on it at every build."""
    data, _ = cache.cached_bytes("fact", "ch02.stride_equivariance", {},
                                 lambda: json.dumps(stride_equivariance()).encode(), ".json",
                                 module=__name__)
    return json.loads(data)


def _series(stride, name):
    return _equivariance()[f"stride {stride}, {name}"]


def _strided():
    return [(s, name) for s, name in EQUIVARIANCE_SERIES if s > 1]


@fact("ch02.equivariance_stride")
def equivariance_stride():
    strides = {s for s, _ in _strided()}
    expect(len(strides) == 1, "the strided series of the equivariance figure share one stride")
    return strides.pop()


def _by_parity(stride, name, parity):
    return [e for t, e in zip(STRIDE_SHIFTS, _series(stride, name)) if (t % equivariance_stride() == 0) == parity]


@claim("ch02.multiples_exact")
def multiples_exact():
    """Every series is exact at shifts that are multiples of its stride (the control at every shift)."""
    expect(equivariance_stride() == 2, "the page says 'even' and 'odd' shifts: the strided series use stride 2")
    for stride, name in EQUIVARIANCE_SERIES:
        errors = [e for t, e in zip(STRIDE_SHIFTS, _series(stride, name)) if t % stride == 0]
        expect(max(errors) < 1e-12, f"stride {stride}, {name}: a shift by a multiple of the stride commutes")
    return ""


@fact("ch02.even_shift_error")
def even_shift_error():
    return max(e for s, name in _strided() for e in _by_parity(s, name, True))


@fact("ch02.odd_shift_error_sobel")
def odd_shift_error_sobel():
    return min(_by_parity(equivariance_stride(), "sobel x", False))


@fact("ch02.odd_shift_error_blur")
def odd_shift_error_blur():
    return min(_by_parity(equivariance_stride(), "gaussian blur", False))


@claim("ch02.odd_shifts_break")
def odd_shifts_break():
    """Every other shift leaves a relative error far from zero, for both strided kernels."""
    for s, name in _strided():
        expect(min(_by_parity(s, name, False)) > 0.01, f"stride {s}, {name}: every odd shift breaks equivariance")
    return ""


@claim("ch02.sobel_breaks_more")
def sobel_breaks_more():
    """The Sobel kernel's error is larger than the blur's at every odd shift (one photograph, no noise)."""
    s = equivariance_stride()
    sobel, blur = _by_parity(s, "sobel x", False), _by_parity(s, "gaussian blur", False)
    expect(all(a > b for a, b in zip(sobel, blur)), "the Sobel kernel's error is larger at every odd shift")
    return f"at each of the {len(sobel)} odd shifts"


@fact("ch02.resnet_total_stride")
def resnet_total_stride():
    """Product of the strides on ResNet-18's path: the only shifts it can be equivariant to are its multiples."""
    return math.prod(step["stride"] for step in models.spec.receptive_path(models.resnet18()))


@fact("ch02.resnet_strided_layers")
def resnet_strided_layers():
    return sum(step["stride"] > 1 for step in models.spec.receptive_path(models.resnet18()))


# ---- section 2.7: transposed convolution ----

def transposed_as_direct(x, weight, stride=1, padding=0, output_padding=0, dilation=1):
    """A transposed convolution computed as a direct one, the way this chapter draws it.

    Put ``stride - 1`` zeros between neighbouring inputs, pad ``dilation * (k - 1) - padding`` zeros on
    each side and ``output_padding`` more at the end (bottom and right), then run a stride-1 convolution
    with the kernel rotated by 180° (input and output channels swapped), *keeping its dilation*.

    Parameters
    ----------
    x : array, shape (N, C_in, H, W)
    weight : array, shape (C_in, C_out, kH, kW)
        As :func:`cnnbook.functional.conv_transpose2d` takes it.
    stride, padding, output_padding, dilation : int
        ``padding`` at most ``dilation * (k - 1)`` (a larger one would crop instead of pad).

    Returns
    -------
    array, shape (N, C_out, (H - 1) s - 2p + d(kH - 1) + output_padding + 1, ...)

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x, w = rng.standard_normal((1, 2, 3, 4)), rng.standard_normal((2, 3, 3, 2))
    >>> setting = dict(stride=2, padding=1, output_padding=1, dilation=2)
    >>> direct = transposed_as_direct(x, w, **setting)
    >>> direct.shape
    (1, 3, 8, 8)
    >>> bool(np.allclose(direct, functional.conv_transpose2d(x, w, **setting)))
    True
    """
    n, c_in, h, w = x.shape
    kh, kw = weight.shape[-2:]
    spread = np.zeros((n, c_in, (h - 1) * stride + 1, (w - 1) * stride + 1), dtype=np.result_type(x, weight))
    spread[..., ::stride, ::stride] = x
    top, left = dilation * (kh - 1) - padding, dilation * (kw - 1) - padding
    if min(top, left) < 0:
        raise ValueError(f"transposed_as_direct: padding must be at most dilation*(k-1); got padding={padding}")
    canvas = np.pad(spread, ((0, 0), (0, 0), (top, top + output_padding), (left, left + output_padding)))
    rotated = weight[..., ::-1, ::-1].swapaxes(0, 1)
    return functional.conv2d(canvas, rotated, dilation=dilation)


#: Settings (stride, padding, output_padding, dilation, kernel size) on which the recipe is checked at build.
RECIPE_SETTINGS = tuple((s, p, op, d, k) for s in (1, 2, 3) for d in (1, 2) for k in (1, 2, 3, 4)
                        for p in range(d * (k - 1) + 1) for op in range(max(s, d)))


@claim("ch02.recipe_matches")
def recipe_matches():
    """The direct-convolution recipe equals conv_transpose2d, output padding and dilation included."""
    rng = np.random.default_rng(4)
    worst, checked = 0.0, 0
    for s, p, op, d, k in RECIPE_SETTINGS:
        x, w = rng.standard_normal((1, 2, 3, 4)), rng.standard_normal((2, 2, k, k))
        try:
            want = functional.conv_transpose2d(x, w, stride=s, padding=p, output_padding=op, dilation=d)
        except ValueError:  # a padding that leaves no output for this small input: nothing to compare
            continue
        got = transposed_as_direct(x, w, s, p, op, d)
        expect(got.shape == want.shape, f"the recipe's shape for s={s}, p={p}, op={op}, d={d}, k={k}")
        worst = max(worst, float(np.abs(got - want).max()))
        checked += 1
    expect(checked >= len(RECIPE_SETTINGS) // 2, "most recipe settings are actually compared")
    expect(worst < 1e-10, "the direct recipe computes conv_transpose2d")
    return f"on {checked} settings, to {worst:.0e}"


@fact("ch02.transposed_matrix_shape")
def transposed_matrix_shape():
    rows, cols = matrices.conv_matrix(ASYMMETRIC_KERNEL, (TRANSPOSED_MATRIX_SIZE,) * 2).shape
    return f"{rows}×{cols}"


@fact("ch02.transposed_matrix_error")
def transposed_matrix_error():
    """Largest difference between C^T y and cnnbook's conv_transpose2d(y), 4×4 input, 3×3 kernel."""
    rng = np.random.default_rng(2)
    kernel = rng.standard_normal((3, 3))
    y = rng.standard_normal((2, 2))
    by_matrix = matrices.conv_matrix(kernel, (4, 4)).T @ y.ravel()
    by_op = functional.conv_transpose2d(y[None, None], kernel[None, None])[0, 0].ravel()
    return float(np.abs(by_matrix - by_op).max())


@fact("ch02.adjoint_error")
def adjoint_error():
    """|<conv(x), y> - <x, conv_transpose(y)>| relative, for a strided, padded, dilated layer."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 11, 11))
    w = rng.standard_normal((4, 3, 3, 3))
    y = rng.standard_normal(functional.conv2d(x, w, **ADJOINT_SETTING).shape)
    back = functional.conv_transpose2d(y, w, **ADJOINT_SETTING)
    left, right = float(np.sum(functional.conv2d(x, w, **ADJOINT_SETTING) * y)), float(np.sum(x * back))
    return f"{abs(left - right) / abs(left):.1e}"


# ---- the output_padding example (exercise 2.5) ----

def _op_example():
    e = OUTPUT_PADDING_EXAMPLE
    small = e["size"] - 1
    out = shapes.conv_output_size(e["size"], e["kernel"], e["stride"], e["padding"])
    expect(shapes.conv_output_size(small, e["kernel"], e["stride"], e["padding"]) == out,
           "the two input sizes of the output_padding example map to the same output size")
    back = shapes.conv_transpose_output_size(out, e["kernel"], e["stride"], e["padding"])
    expect(back == small, "the transposed convolution without output padding returns the smaller size")
    return small, e["size"], out


@fact("ch02.op_small")
def op_small():
    return _op_example()[0]


@fact("ch02.op_large")
def op_large():
    return _op_example()[1]


@fact("ch02.op_out")
def op_out():
    return _op_example()[2]


@fact("ch02.op_needed")
def op_needed():
    small, large, _ = _op_example()
    return large - small


# ---- the checkerboard ----

def _patterns():
    return [constant_response(up) for up in upsamplers().values()]


@fact("ch02.checker_counts")
def checker_counts():
    """How many scattered copies of a 3×3 kernel overlap at each output cell (a kernel of ones, constant input)."""
    counts = functional.conv_transpose2d(np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3)), stride=UPSAMPLE)
    values = sorted({int(v) for v in counts[0, 0, 2:-2, 2:-2].ravel()})
    return ", ".join(map(str, values[:-1])) + f" or {values[-1]}"


@fact("ch02.checker_values")
def checker_values():
    values = sorted({round(float(v), 2) for v in _patterns()[0].ravel()})
    return ", ".join(f"{v:.2f}" for v in values)


@fact("ch02.checker_ratio")
def checker_ratio():
    pattern = _patterns()[0]
    return float(pattern.max() / pattern.min())


@claim("ch02.even_overlap_flat")
def even_overlap_flat():
    """The bilinear transposed convolution and resize-then-convolve answer a constant with a constant."""
    patterns = _patterns()
    expect(np.ptp(patterns[0]) > 0.5, "the 3×3, stride-2 transposed convolution prints a pattern")
    spread = max(float(np.ptp(p)) for p in patterns[1:])
    expect(spread < 1e-12, "even overlap and resize-then-convolve give a flat response to a constant")
    return ""


@fact("ch02.bilinear_kernel")
def bilinear_kernel_size():
    rows, cols = bilinear_kernel().shape
    return f"{rows}×{cols}"


@fact("ch02.bilinear_spread")
def bilinear_spread():
    """How much the bilinear (4×4) transposed convolution's response to a constant varies."""
    return float(np.ptp(_patterns()[1]))
