"""Backward passes against central finite differences (float64), and the transpose as an adjoint."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from cnnbook import functional as F
from cnnbook import reference
from cnnbook.backend import to_numpy
from cnnbook.gradcheck import TOLERANCE, backward_passes, backward_passes_run, check_all, check_case, gradient_cases
from tests.helpers import numerical_gradient


@st.composite
def small_convs(draw):
    groups = draw(st.sampled_from([1, 2]))
    c_in, c_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    k = draw(st.integers(1, 3))
    stride, dilation, padding = draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(0, 1))
    size = draw(st.integers(max(1, dilation * (k - 1) + 1 - 2 * padding), 5))
    return dict(shape=(2, c_in, size, size + 1), weight=(c_out, c_in // groups, k, k), stride=stride,
                padding=padding, dilation=dilation, groups=groups, seed=draw(st.integers(0, 2**16)))


@settings(max_examples=25, deadline=None)
@given(small_convs())
def test_conv2d_backward_matches_finite_differences(case):
    rng = np.random.default_rng(case["seed"])
    x, w = rng.standard_normal(case["shape"]), rng.standard_normal(case["weight"])
    b = rng.standard_normal(case["weight"][0])
    kwargs = {k: case[k] for k in ("stride", "padding", "dilation", "groups")}
    probe = rng.standard_normal(F.conv2d(x, w, b, **kwargs).shape)  # loss = <conv2d(x, w, b), probe>

    def loss():
        return float(np.sum(F.conv2d(x, w, b, **kwargs) * probe))

    gx, gw, gb = F.conv2d_backward(probe, x, w, **kwargs)
    assert_allclose(gx, numerical_gradient(loss, x), rtol=1e-5, atol=1e-6)
    assert_allclose(gw, numerical_gradient(loss, w), rtol=1e-5, atol=1e-6)
    assert_allclose(gb, numerical_gradient(loss, b), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("pads", [(0, 1, 0, 1), (2, 0, 1, 0), (1, 2, 0, 3)])
@pytest.mark.parametrize("stride", [1, 2])
def test_uneven_padding_is_padding_first(pads, stride):
    """A 4-tuple pads (top, bottom, left, right), as TensorFlow's "SAME" does at stride 2: the same as padding the
    input first, forward and backward."""
    from cnnbook.padding import pad2d

    rng = np.random.default_rng(sum(pads) + stride)
    x, w = rng.standard_normal((2, 3, 7, 6)), rng.standard_normal((4, 3, 3, 3))
    explicit = F.conv2d(pad2d(x, pads), w, stride=stride)
    assert_allclose(F.conv2d(x, w, stride=stride, padding=pads), explicit, rtol=1e-12, atol=1e-12)
    probe = rng.standard_normal(explicit.shape)

    def loss():
        return float(np.sum(F.conv2d(x, w, stride=stride, padding=pads) * probe))

    gx, gw, _ = F.conv2d_backward(probe, x, w, stride=stride, padding=pads)
    assert_allclose(gx, numerical_gradient(loss, x), rtol=1e-5, atol=1e-6)
    assert_allclose(gw, numerical_gradient(loss, w), rtol=1e-5, atol=1e-6)


@st.composite
def transposed_cases(draw):
    groups = draw(st.sampled_from([1, 2]))
    c_in, c_out_group = groups * draw(st.integers(1, 2)), draw(st.integers(1, 2))
    k, stride, dilation = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
    output_padding = draw(st.integers(0, max(stride, dilation) - 1))
    h, w = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    full = min((h - 1) * stride + dilation * (k - 1) + output_padding + 1,
               (w - 1) * stride + dilation * (k - 1) + output_padding + 1)
    padding = draw(st.integers(0, max(0, (full - 1) // 2)))
    return dict(shape=(2, c_in, h, w), weight=(c_in, c_out_group, k, k), stride=stride, padding=padding,
                output_padding=output_padding, dilation=dilation, groups=groups, seed=draw(st.integers(0, 2**16)))


@settings(max_examples=50, deadline=None)
@given(transposed_cases())
def test_conv_transpose2d_matches_reference(case):
    rng = np.random.default_rng(case["seed"])
    x, w = rng.standard_normal(case["shape"]), rng.standard_normal(case["weight"])
    b = rng.standard_normal(case["weight"][1] * case["groups"])
    kwargs = {k: case[k] for k in ("stride", "padding", "output_padding", "groups", "dilation")}
    assert_allclose(F.conv_transpose2d(x, w, b, **kwargs), reference.conv_transpose2d(x, w, b, **kwargs),
                    rtol=1e-10, atol=1e-10)


@settings(max_examples=50, deadline=None)
@given(small_convs())
def test_transpose_is_the_adjoint_of_conv2d(case):
    """<conv2d(u, w), v> == <u, conv_transpose2d(v, w)>, with the output_padding that restores u's size."""
    rng = np.random.default_rng(case["seed"])
    u, w = rng.standard_normal(case["shape"]), rng.standard_normal(case["weight"])
    s, p, d, g = case["stride"], case["padding"], case["dilation"], case["groups"]
    y = F.conv2d(u, w, stride=s, padding=p, dilation=d, groups=g)
    v = rng.standard_normal(y.shape)
    k = case["weight"][2]
    # The rows and columns the strided windows never reach: the remainder of the size formula's floor.
    extra = [size + 2 * p - d * (k - 1) - 1 - (out - 1) * s for size, out in zip(u.shape[2:], y.shape[2:])]
    assert all(0 <= e < s for e in extra)
    back = F.conv_transpose2d(v, w, stride=s, padding=p, output_padding=tuple(extra), dilation=d, groups=g)
    assert back.shape == u.shape
    assert np.isclose(np.sum(y * v), np.sum(u * back), rtol=1e-10, atol=1e-10)


def test_transposed_conv_is_conv2d_input_gradient(rng):
    x, w = rng.standard_normal((2, 3, 7, 6)), rng.standard_normal((4, 3, 3, 3))
    g = rng.standard_normal(F.conv2d(x, w, stride=2, padding=1).shape)
    gx, _, _ = F.conv2d_backward(g, x, w, stride=2, padding=1)
    assert_allclose(gx, F.conv_transpose2d(g, w, stride=2, padding=1, output_padding=(0, 1)))


@pytest.mark.parametrize("call, message", [
    (lambda: F.conv_transpose2d(np.zeros((1, 2, 3, 3)), np.zeros((3, 1, 3, 3))), "weight has 3 input channels"),
    (lambda: F.conv_transpose2d(np.zeros((1, 1, 3, 3)), np.zeros((1, 1, 3, 3)), stride=2, output_padding=2),
     "output_padding .* must be smaller than stride or dilation"),
    (lambda: F.conv_transpose2d(np.zeros((1, 1, 1, 1)), np.zeros((1, 1, 1, 1)), padding=1), "leaves no output"),
    (lambda: F.conv2d_backward(np.zeros((1, 1, 2, 2)), np.zeros((1, 1, 5, 5)), np.zeros((1, 1, 3, 3))),
     "grad_out has shape"),
])
def test_bad_arguments_are_named(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


def test_backward_on_each_backend(xp, rng):
    x = xp.asarray(rng.standard_normal((2, 3, 6, 5)))
    w = xp.asarray(rng.standard_normal((4, 3, 3, 3)))
    g = xp.asarray(rng.standard_normal((2, 4, 4, 3)))
    grads = F.conv2d_backward(g, x, w)
    assert all(type(a) is type(x) for a in grads)
    want = F.conv2d_backward(to_numpy(g), to_numpy(x), to_numpy(w))
    for got, expected in zip(grads, want):
        assert_allclose(to_numpy(got), expected, rtol=1e-10)


@pytest.mark.parametrize("stride", [1, 2])
def test_conv2d_backward_can_skip_the_input_gradient(rng, stride):
    x, w = rng.standard_normal((2, 3, 7, 6)), rng.standard_normal((4, 3, 3, 3))
    g = rng.standard_normal(F.conv2d(x, w, stride=stride, padding=1).shape)
    gx, gw, gb = F.conv2d_backward(g, x, w, stride=stride, padding=1, input_grad=False)
    full = F.conv2d_backward(g, x, w, stride=stride, padding=1)
    assert gx is None
    assert_allclose(gw, full[1])
    assert_allclose(gb, full[2])


def test_every_backward_pass_is_checked_and_passes():
    """The table of section 5.5: every ``*_backward`` and every layer's backward, all within the tolerance."""
    rows = check_all()
    failed = [(row["label"], row["error"]) for row in rows if not row["passed"]]
    assert not failed
    covered = {name for row in rows for name in row["covers"]}
    assert set(backward_passes()) <= covered, sorted(set(backward_passes()) - covered)
    assert {"BatchNorm2d", "Dropout", "Linear", "ReLU", "AdaptiveAvgPool2d", "cross_entropy_backward"} <= covered


def test_the_cases_really_run_every_backward_pass():
    """A case's ``covers`` is declared by hand; building the cases must call every backward pass they name."""
    covered = {name for case in gradient_cases() for name in case.covers}
    assert covered & set(backward_passes()) <= backward_passes_run()


def test_the_check_catches_a_gradient_off_by_a_tenth_of_a_percent():
    case = gradient_cases()[0]
    wrong = {name: (array, 1.001 * grad) for name, (array, grad) in case.arguments.items()}
    assert check_case(case) < TOLERANCE
    assert check_case(dataclasses.replace(case, arguments=wrong)) > TOLERANCE


def test_dropout_case_sees_one_mask():
    """Reseeding before each forward pass: two evaluations of the dropout case give the same output."""
    case = next(c for c in gradient_cases() if c.label.startswith("Dropout") and "training" in c.label)
    first, second = case.forward(), case.forward()
    assert_allclose(first, second)
    assert np.any(first == 0) and np.any(first != 0)
