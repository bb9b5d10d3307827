"""Numbers, tables and claims of chapter 5, "Backpropagation through convolution"."""

from __future__ import annotations

import functools

import numpy as np

from cnnbook import experiments, functional, matrices
from cnnbook.analysis.ch05 import BACKWARD_STRIDE2, GRAPH_INPUTS, GRAPH_TAPS
from cnnbook.claims import compare, expect
from cnnbook.facts import claim, computed, fact, format_value, get_fact, table
from cnnbook.gradcheck import (
    EPS,
    TOLERANCE,
    backward_passes,
    backward_passes_run,
    check_all,
    flip_bug_and_float32,
    gradient_cases,
)


@table("ch05.gradcheck")
def gradcheck_table():
    """Every backward pass the book trains with, against central differences; the build fails if one fails."""
    rows = check_all()
    tolerance = format_value(TOLERANCE, ".0e")
    lines = [f"| backward pass | code checked | input shape | gradients compared | largest relative error "
             f"| below {tolerance} |", "| --- | --- | --- | --- | ---: | :---: |"]
    for row in rows:
        expect(row["passed"], f"the backward pass of {row['label']} ({row['backward']}) fails its gradient check: "
                              f"relative error {row['error']:.2e}, tolerance {TOLERANCE:.0e}")
        shape = "(" + ", ".join(str(n) for n in row["shape"]) + ")"
        checked = ", ".join(f"`{name}`" for name in row["checked"])
        inner = [name for name in row["covers"] if name.endswith("_backward") and name != row["backward"]]
        code = f"`{row['backward']}`" + "".join(f" → `{name}`" for name in inner[:1])
        lines.append(f"| {row['label']} | {code} | {shape} | {checked} | "
                     f"{format_value(row['error'], '.1e')} | {'yes' if row['passed'] else '**no**'} |")
    return "\n".join(lines)


@fact("ch05.gradcheck_tolerance")
def gradcheck_tolerance():
    return TOLERANCE


@fact("ch05.worst_error")
def worst_error():
    """The largest relative error in the table (every row must be below the tolerance)."""
    return max(_errors())


#: The rounding test of the check: how much smaller the second nudge is than ``EPS``.
EPS_DIVISOR = 10


@functools.lru_cache(maxsize=None)
def _errors(eps=EPS):
    """The largest relative error of every row of the check, with the nudge ``eps``."""
    return tuple(row["error"] for row in check_all(eps=eps))


@fact("ch05.median_error")
def median_error():
    """The median relative error in the table."""
    return float(np.median(_errors()))


@fact("ch05.eps_divisor")
def eps_divisor():
    return EPS_DIVISOR


# A rounding error (order precision / eps) grows about EPS_DIVISOR times when the nudge shrinks that much; a
# truncation error (order eps**2) would shrink about EPS_DIVISOR**2 times.
@fact("ch05.worst_growth")
def worst_growth():
    """How many times the worst error grows when the whole check runs with ``EPS / EPS_DIVISOR``."""
    return max(_errors(EPS / EPS_DIVISOR)) / max(_errors())


@fact("ch05.median_growth")
def median_growth():
    """How many times the median error grows when the whole check runs with ``EPS / EPS_DIVISOR``."""
    return float(np.median(_errors(EPS / EPS_DIVISOR)) / np.median(_errors()))


@claim("ch05.errors_are_rounding")
def errors_are_rounding():
    """With a smaller nudge the errors grow about as 1/eps (rounding), not shrink as eps² (truncation)."""
    for which in ("worst", "median"):
        factor = float(get_fact(f"ch05.{which}_growth", ".6g"))
        expect(EPS_DIVISOR / 3 < factor < EPS_DIVISOR * 3,
               f"with eps divided by {EPS_DIVISOR}, the {which} relative error grew {factor:.2f} times; rounding "
               f"predicts about {EPS_DIVISOR}, so the errors of the check are not (only) rounding")
    return ""


@computed("ch05.backward_passes_run")  # traces every gradient case: seconds, once per version of the code
def _backward_passes_run():
    return sorted(backward_passes_run())


@claim("ch05.every_backward_checked")
def every_backward_checked():
    """Every backward function of cnnbook.functional and every layer's backward is in the table, and all pass."""
    covered = {name for case in gradient_cases() for name in case.covers}
    missing = sorted(set(backward_passes()) - covered)
    expect(not missing, f"backward passes missing from the gradient-check table: {', '.join(missing)}")
    not_run = sorted(set(backward_passes()) - set(_backward_passes_run()))
    expect(not not_run, f"the gradient-check cases never call these backward passes: {', '.join(not_run)}")
    worst = float(get_fact("ch05.worst_error"))
    expect(worst < TOLERANCE, f"a backward pass fails the gradient check: worst relative error {worst:.2e}")
    return (f"{len(gradient_cases())} cases covering every `*_backward` function of `cnnbook.functional` and every "
            f"layer of `cnnbook.nn` with a backward pass of its own")


def _scale():
    return flip_bug_and_float32()


@fact("ch05.float32_error")
def float32_error():
    return _scale()["float32"]


@fact("ch05.bug_error")
def bug_error():
    return _scale()["bug"]


@claim("ch05.float32_between")
def float32_between():
    """The float32 check lands between the tolerance (above it) and the flip bug (below it)."""
    scale = _scale()
    expect(scale["error"] < TOLERANCE < scale["float32"] < scale["bug"],
           f"expected float64 error < tolerance < float32 error < flip bug; got {scale['error']:.1e}, "
           f"{TOLERANCE:.0e}, {scale['float32']:.1e}, {scale['bug']:.2f}")
    return ""


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


@fact("ch05.graph_inputs")
def graph_inputs():
    return GRAPH_INPUTS


@fact("ch05.graph_taps")
def graph_taps():
    return GRAPH_TAPS


@fact("ch05.stride2_layer")
def stride2_layer():
    """The convolution whose backward pass the animation draws (the animation is its transposed convolution)."""
    t = BACKWARD_STRIDE2
    k, size = t.kernel_size, t.output_size
    return f"{k}×{k}, stride-{t.stride}, padding-{t.padding} convolution of a {size}×{size} input"


@fact("ch05.stride2_upstream")
def stride2_upstream():
    n = BACKWARD_STRIDE2.input_size
    return f"{n}×{n}"


def _cost():
    return experiments.run("ch05.backward_cost")


@fact("ch05.cost_layer")
def cost_layer():
    return _cost()["layer"]


@fact("ch05.cost_rounds")
def cost_rounds():
    return len(_cost()["rounds"]["forward"])


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


@claim("ch05.backward_vs_twice_forward")
def backward_vs_twice_forward():
    """The full backward pass against the count's prediction, twice the forward (rounds are not paired)."""
    rounds = _cost()["rounds"]
    c = compare(rounds["backward"], [2 * t for t in rounds["forward"]], paired=False, unit="times")
    return c.says("took longer: each of its rounds took longer than twice the slowest forward round",
                  "took less time: each of its rounds took less than twice the fastest forward round",
                  "is within the rounds' spread of it: the two ranges overlap")


@claim("ch05.weights_vs_forward")
def weights_vs_forward():
    """The weight gradient alone against the forward pass, which the count says cost the same."""
    rounds = _cost()["rounds"]
    c = compare(rounds["backward, weights only"], rounds["forward"], paired=False, unit="times")
    return c.says("took longer (no overlap between their rounds)", "took less time (no overlap between their rounds)",
                  "is within the rounds' spread of it (their ranges overlap)")
