"""Pools against the naive loops (hypothesis), backward against finite differences, sizes against shapes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from cnnbook import functional as F
from cnnbook import reference, shapes
from cnnbook.backend import to_numpy
from tests.helpers import assert_gradients


@st.composite
def pool_cases(draw, dilated=True):
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    ph, pw = draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2))
    dh, dw = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) if dilated else (1, 1)
    h = draw(st.integers(max(1, dh * (kh - 1) + 1 - 2 * ph), 9))
    w = draw(st.integers(max(1, dw * (kw - 1) + 1 - 2 * pw), 9))
    return dict(shape=(draw(st.integers(1, 2)), draw(st.integers(1, 3)), h, w), kernel_size=(kh, kw),
                stride=stride, padding=(ph, pw), dilation=(dh, dw), ceil_mode=draw(st.booleans()),
                seed=draw(st.integers(0, 2**16)))


def _sizes_agree(case, got):
    stride = case["stride"] or case["kernel_size"]
    for axis in range(2):
        assert got.shape[2 + axis] == shapes.pool_output_size(
            case["shape"][2 + axis], case["kernel_size"][axis], stride[axis], case["padding"][axis],
            case["dilation"][axis], case["ceil_mode"])


@settings(max_examples=80, deadline=None)
@given(pool_cases())
def test_max_pool_matches_reference(case):
    x = np.random.default_rng(case["seed"]).standard_normal(case["shape"])
    kwargs = {k: case[k] for k in ("stride", "padding", "dilation", "ceil_mode")}
    got = F.max_pool2d(x, case["kernel_size"], **kwargs)
    assert_allclose(got, reference.max_pool2d(x, case["kernel_size"], **kwargs), rtol=0, atol=0)
    _sizes_agree(case, got)


@settings(max_examples=80, deadline=None)
@given(pool_cases(dilated=False), st.booleans())
def test_avg_pool_matches_reference(case, count_include_pad):
    x = np.random.default_rng(case["seed"]).standard_normal(case["shape"])
    kwargs = dict(stride=case["stride"], padding=case["padding"], ceil_mode=case["ceil_mode"],
                  count_include_pad=count_include_pad)
    got = F.avg_pool2d(x, case["kernel_size"], **kwargs)
    assert_allclose(got, reference.avg_pool2d(x, case["kernel_size"], **kwargs), rtol=1e-12, atol=1e-12)
    _sizes_agree(case, got)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 9), st.integers(1, 9), st.integers(1, 5), st.integers(1, 5), st.integers(0, 2**16))
def test_adaptive_avg_pool_matches_reference(h, w, out_h, out_w, seed):
    x = np.random.default_rng(seed).standard_normal((2, 3, h, w))
    got = F.adaptive_avg_pool2d(x, (out_h, out_w))
    assert got.shape == (2, 3, out_h, out_w)
    assert_allclose(got, reference.adaptive_avg_pool2d(x, (out_h, out_w)), rtol=1e-12, atol=1e-12)


def test_global_average_pool_is_the_mean(rng):
    x = rng.standard_normal((2, 5, 7, 3))
    assert_allclose(F.adaptive_avg_pool2d(x, 1)[:, :, 0, 0], x.mean(axis=(2, 3)))


@settings(max_examples=30, deadline=None)
@given(pool_cases())
def test_max_pool_backward_matches_finite_differences(case):
    rng = np.random.default_rng(case["seed"])
    x = rng.standard_normal(case["shape"])  # distinct values: no ties, so the max is differentiable
    kwargs = {k: case[k] for k in ("kernel_size", "stride", "padding", "dilation", "ceil_mode")}
    y = F.max_pool2d(x, **kwargs)
    assume(np.isfinite(y).all())  # a dilated window may see only padding: its max is -inf, its gradient 0
    probe = rng.standard_normal(y.shape)
    assert_gradients(lambda: F.max_pool2d(x, **kwargs), [x], [F.max_pool2d_backward(probe, x, **kwargs)], probe)


@settings(max_examples=30, deadline=None)
@given(pool_cases(dilated=False), st.booleans())
def test_avg_pool_backward_matches_finite_differences(case, count_include_pad):
    rng = np.random.default_rng(case["seed"])
    x = rng.standard_normal(case["shape"])
    kwargs = dict(kernel_size=case["kernel_size"], stride=case["stride"], padding=case["padding"],
                  ceil_mode=case["ceil_mode"], count_include_pad=count_include_pad)
    probe = rng.standard_normal(F.avg_pool2d(x, **kwargs).shape)
    assert_gradients(lambda: F.avg_pool2d(x, **kwargs), [x], [F.avg_pool2d_backward(probe, x, **kwargs)], probe)


@pytest.mark.parametrize("output_size", [1, (2, 3), (5, 4)])
def test_adaptive_avg_pool_backward_matches_finite_differences(rng, output_size):
    x = rng.standard_normal((2, 2, 5, 7))
    probe = rng.standard_normal(F.adaptive_avg_pool2d(x, output_size).shape)
    assert_gradients(lambda: F.adaptive_avg_pool2d(x, output_size), [x],
                     [F.adaptive_avg_pool2d_backward(probe, x, output_size)], probe)


def test_max_pool_ties_send_the_gradient_to_the_first_maximum():
    x = np.zeros((1, 1, 2, 2))
    grad = F.max_pool2d_backward(np.ones((1, 1, 1, 1)), x, 2)
    assert grad[0, 0].tolist() == [[1.0, 0.0], [0.0, 0.0]]
    # overlapping windows add up where the same input wins several of them
    x = np.array([[[[0.0, 9.0, 0.0, 0.0]]]])
    assert F.max_pool2d_backward(np.ones((1, 1, 1, 3)), x, (1, 2), stride=1)[0, 0].tolist() == [[0, 2, 1, 0]]


@pytest.mark.parametrize("op", ["max", "avg", "adaptive"])
def test_pools_keep_library_and_dtype(xp, rng, op):
    for dtype in (np.float32, np.float64):
        x = xp.asarray(rng.standard_normal((2, 3, 6, 6)).astype(dtype))
        if op == "max":
            y, g = F.max_pool2d(x, 2), F.max_pool2d_backward(xp.ones((2, 3, 3, 3), dtype=dtype), x, 2)
            want = reference.max_pool2d(to_numpy(x), 2)
        elif op == "avg":
            y, g = F.avg_pool2d(x, 3, 2, 1), F.avg_pool2d_backward(xp.ones((2, 3, 3, 3), dtype=dtype), x, 3, 2, 1)
            want = reference.avg_pool2d(to_numpy(x), 3, 2, 1)
        else:
            y, g = F.adaptive_avg_pool2d(x, 3), F.adaptive_avg_pool2d_backward(xp.ones((2, 3, 3, 3), dtype=dtype), x, 3)
            want = reference.adaptive_avg_pool2d(to_numpy(x), 3)
        assert type(y) is type(x) and type(g) is type(x)
        assert y.dtype == dtype and g.dtype == dtype and g.shape == x.shape
        assert_allclose(to_numpy(y), want, rtol=1e-6, atol=1e-6)
    ints = xp.asarray(np.arange(16).reshape(1, 1, 4, 4))
    assert F.max_pool2d(ints, 2).dtype == np.float64  # integers are computed in float64


@pytest.mark.parametrize("call, message", [
    (lambda: F.max_pool2d(np.zeros((1, 1, 4, 4)), 2, padding=2), "padding must be at most half the kernel size"),
    (lambda: F.max_pool2d(np.zeros((1, 1, 2, 2)), 3), "the window spans 3 along the height"),
    (lambda: F.max_pool2d(np.zeros((1, 4, 4)), 2), "x must have 4 dimensions"),
    (lambda: F.max_pool2d(np.zeros((1, 1, 4, 4)), 0), "kernel_size must be an int >= 1"),
    (lambda: F.max_pool2d(np.zeros((1, 1, 4, 4)), 2, stride=0), "stride must be an int >= 1"),
    (lambda: F.max_pool2d(np.zeros((1, 1, 4, 4)), 2, ceil_mode=1), "ceil_mode must be True or False"),
    (lambda: F.avg_pool2d(np.zeros((1, 1, 4, 4)), 2, padding=-1), "padding must be an int >= 0"),
    (lambda: F.max_pool2d_backward(np.zeros((1, 1, 3, 3)), np.zeros((1, 1, 4, 4)), 2), "grad_out must have"),
    (lambda: F.adaptive_avg_pool2d(np.zeros((1, 1, 4, 4)), 0), "output_size must be an int >= 1"),
])
def test_bad_arguments_are_named(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


def test_max_pool_backward_reuses_the_forward_output(rng):
    x = rng.standard_normal((2, 3, 6, 7))
    g = rng.standard_normal((2, 3, 3, 3))
    y = F.max_pool2d(x, 2)
    assert_allclose(F.max_pool2d_backward(g, x, 2, output=y), F.max_pool2d_backward(g, x, 2))
    with pytest.raises(ValueError, match="output must have the forward output's shape"):
        F.max_pool2d_backward(g, x, 2, output=y[:, :, :2])
