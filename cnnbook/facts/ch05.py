"""Numbers and tables of chapter 5, "Backpropagation through convolution"."""

from __future__ import annotations

import numpy as np

from cnnbook import experiments, functional, matrices
from cnnbook.facts import fact, format_value, table
from cnnbook.figures.ch05 import gradient_check


@table("ch05.gradcheck")
def gradcheck_table():
    result = gradient_check()
    lines = ["| layer | relative error of ∂L/∂input | of ∂L/∂weight |", "| --- | ---: | ---: |"]
    for label, errors in result["errors"].items():
        weight = format_value(errors["weight"], ".1e") if "weight" in errors else "(no weights)"
        lines.append(f"| {label} | {format_value(errors['input'], '.1e')} | {weight} |")
    return "\n".join(lines)


@fact("ch05.worst_error")
def worst_error():
    return max(max(errors.values()) for errors in gradient_check()["errors"].values())


@fact("ch05.float32_error")
def float32_error():
    return gradient_check()["float32"]


@fact("ch05.bug_error")
def bug_error():
    return gradient_check()["bug"]


@fact("ch05.matrix_transpose_error")
def matrix_transpose_error():
    """Largest difference between Cᵀg and the backward pass's input gradient, stride 2 and padding 1."""
    rng = np.random.default_rng(0)
    kernel = rng.standard_normal((3, 3))
    x = rng.standard_normal((1, 1, 7, 7))
    c = matrices.conv_matrix(kernel, (7, 7), padding=1, stride=2)
    g = rng.standard_normal((1, 1, 4, 4))
    gx = functional.conv2d_backward(g, x, kernel[None, None], stride=2, padding=1)[0]
    return float(np.abs(c.T @ g.ravel() - gx.ravel()).max())


def _cost():
    return experiments.run("ch05.backward_cost")


@fact("ch05.cost_layer")
def cost_layer():
    return _cost()["layer"]


@fact("ch05.backward_ratio")
def backward_ratio():
    seconds = _cost()["seconds"]
    return seconds["backward"] / seconds["forward"]


@fact("ch05.weights_only_ratio")
def weights_only_ratio():
    seconds = _cost()["seconds"]
    return seconds["backward, weights only"] / seconds["forward"]


@fact("ch05.forward_ms")
def forward_ms():
    return _cost()["seconds"]["forward"] * 1e3


@fact("ch05.backward_ms")
def backward_ms():
    return _cost()["seconds"]["backward"] * 1e3


@fact("ch05.cost_machine")
def cost_machine():
    return _cost()["machine"]
