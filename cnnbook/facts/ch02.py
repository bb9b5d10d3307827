"""Numbers and tables of chapter 2, "Padding, stride and dilation"."""

from __future__ import annotations

import numpy as np

from cnnbook import functional, matrices, shapes
from cnnbook.arithmetic import Arithmetic
from cnnbook.facts import fact, table
from cnnbook.figures.ch02 import constant_response, stride_equivariance, upsamplers


@fact("ch02.out_32_5")
def out_32_5():
    return shapes.conv_output_size(32, 5)


@fact("ch02.out_9_3")
def out_9_3():
    return shapes.conv_output_size(9, 3)


@fact("ch02.applications_9_3")
def applications_9_3():
    return shapes.weight_reuse(9, 3)


@fact("ch02.alexnet_out")
def alexnet_out():
    """AlexNet's first layer: 227×227 input, 11×11 kernel, stride 4, no padding."""
    return shapes.conv_output_size(227, 11, stride=4)


@fact("ch02.alexnet_224_formula")
def alexnet_224_formula():
    """What the formula gives for the 224 the paper states: not a whole number of steps."""
    return f"{(224 - 11) / 4 + 1:g}"


def _same_rows():
    rows = []
    for n, k, s in [(7, 3, 1), (7, 4, 1), (8, 4, 1), (7, 3, 2), (8, 3, 2), (8, 4, 2), (9, 5, 2)]:
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


@fact("ch02.same_even_outputs")
def same_even_outputs():
    """Outputs of a 4×4 kernel on 8 pixels with the symmetric padding p = 2 (one more than 'same')."""
    return shapes.conv_output_size(8, 4, padding=2)


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
    """|<conv(x), y> - <x, conv_transpose(y)>| relative, for a stride-2, padded, dilated layer."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 11, 11))
    w = rng.standard_normal((4, 3, 3, 3))
    kwargs = dict(stride=2, padding=1, dilation=2)
    y = rng.standard_normal(functional.conv2d(x, w, **kwargs).shape)
    back = functional.conv_transpose2d(y, w, **kwargs)
    left, right = float(np.sum(functional.conv2d(x, w, **kwargs) * y)), float(np.sum(x * back))
    return f"{abs(left - right) / abs(left):.1e}"


def _pattern(label):
    return constant_response(upsamplers()[label])


@fact("ch02.checker_values")
def checker_values():
    values = sorted({round(float(v), 2) for v in _pattern("transposed 3×3, stride 2").ravel()})
    return ", ".join(f"{v:.2f}" for v in values)


@fact("ch02.checker_ratio")
def checker_ratio():
    pattern = _pattern("transposed 3×3, stride 2")
    return float(pattern.max() / pattern.min())


@fact("ch02.bilinear_spread")
def bilinear_spread():
    pattern = _pattern("transposed 4×4 (bilinear), stride 2")
    return float(pattern.max() - pattern.min())


def _equivariance(label, parity):
    result = stride_equivariance()
    return [e for t, e in zip(result["shifts"], result[label]) if t % 2 == parity]


@fact("ch02.even_shift_error")
def even_shift_error():
    return max(_equivariance("stride 2, sobel x", 0) + _equivariance("stride 2, gaussian blur", 0))


@fact("ch02.odd_shift_error_sobel")
def odd_shift_error_sobel():
    return min(_equivariance("stride 2, sobel x", 1))


@fact("ch02.odd_shift_error_blur")
def odd_shift_error_blur():
    return min(_equivariance("stride 2, gaussian blur", 1))


@fact("ch02.dilated_span")
def dilated_span():
    """Cells a 3×3 kernel with dilation 2 spans along each axis."""
    span = Arithmetic(7, 3, dilation=2).span
    return f"{span}×{span}"
