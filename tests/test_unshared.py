"""Locally connected and tiled convolution against loops and against conv2d."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from cnnbook import functional as F
from cnnbook import shapes


def _local_loops(x, weight, bias, stride, padding):
    """The definition, one output unit at a time."""
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    h_out, w_out, c_out, _, kh, kw = weight.shape
    y = np.zeros((x.shape[0], c_out, h_out, w_out))
    for n in range(x.shape[0]):
        for o in range(c_out):
            for i in range(h_out):
                for j in range(w_out):
                    window = xp[n, :, i * stride : i * stride + kh, j * stride : j * stride + kw]
                    y[n, o, i, j] = (window * weight[i, j, o]).sum() + (bias[o, i, j] if bias is not None else 0)
    return y


@st.composite
def settings_(draw):
    k, s, p = draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(0, 1))
    h, w = draw(st.integers(max(1, k - 2 * p), 7)), draw(st.integers(max(1, k - 2 * p), 7))
    return dict(n=draw(st.integers(1, 2)), c_in=draw(st.integers(1, 2)), c_out=draw(st.integers(1, 3)),
                h=h, w=w, k=k, s=s, p=p, tiles=(draw(st.integers(1, 3)), draw(st.integers(1, 3))),
                seed=draw(st.integers(0, 2**16)))


@settings(max_examples=40, deadline=None)
@given(settings_())
def test_local_and_tiled_match_the_loops(case):
    rng = np.random.default_rng(case["seed"])
    k, s, p = case["k"], case["s"], case["p"]
    x = rng.standard_normal((case["n"], case["c_in"], case["h"], case["w"]))
    h_out, w_out = shapes.conv_output_size(case["h"], k, s, p), shapes.conv_output_size(case["w"], k, s, p)
    local = rng.standard_normal((h_out, w_out, case["c_out"], case["c_in"], k, k))
    bias = rng.standard_normal((case["c_out"], h_out, w_out))
    assert_allclose(F.local_conv2d(x, local, bias, stride=s, padding=p), _local_loops(x, local, bias, s, p),
                    atol=1e-12)
    t_h, t_w = case["tiles"]
    tiled = rng.standard_normal((t_h, t_w, case["c_out"], case["c_in"], k, k))
    expanded = tiled[np.arange(h_out)[:, None] % t_h, np.arange(w_out)[None, :] % t_w]
    assert_allclose(F.tiled_conv2d(x, tiled, stride=s, padding=p), _local_loops(x, expanded, None, s, p),
                    atol=1e-12)
    # one tile is an ordinary convolution
    assert_allclose(F.tiled_conv2d(x, tiled[:1, :1], bias[:, 0, 0], stride=s, padding=p),
                    F.conv2d(x, tiled[0, 0], bias[:, 0, 0], stride=s, padding=p), atol=1e-12)


def test_parameter_counts_match_the_weight_shapes():
    h_out = shapes.conv_output_size(32, 5)
    local_weight = (h_out, h_out, 16, 3, 5, 5)
    assert shapes.local_conv2d_params(3, 16, 5, h_out) == np.prod(local_weight) + 16 * h_out * h_out
    assert shapes.tiled_conv2d_params(3, 16, 5, tiles=3) == np.prod((3, 3, 16, 3, 5, 5)) + 16


@pytest.mark.parametrize("call, message", [
    (lambda: F.local_conv2d(np.zeros((1, 2, 5, 5)), np.zeros((3, 3, 1, 1, 3, 3))), "expects 1 input channels"),
    (lambda: F.local_conv2d(np.zeros((1, 1, 5, 5)), np.zeros((2, 2, 1, 1, 3, 3))),
     "give a 3x3 output, but weight has one set per position of a 2x2 output"),
    (lambda: F.local_conv2d(np.zeros((1, 1, 5, 5)), np.zeros((1, 1, 3, 3))), "weight must have 6 dimensions"),
    (lambda: F.local_conv2d(np.zeros((1, 1, 5, 5)), np.zeros((3, 3, 2, 1, 3, 3)), bias=np.zeros(2)),
     "bias must have 3 dimensions"),
    (lambda: F.tiled_conv2d(np.zeros((1, 1, 2, 2)), np.zeros((1, 1, 1, 1, 3, 3))), "kernel is 3x3"),
    (lambda: F.tiled_conv2d(np.zeros((1, 1, 5, 5)), np.zeros((2, 2, 2, 1, 3, 3)), bias=np.zeros(3)),
     r"bias must have shape \(2,\)"),
    (lambda: shapes.tiled_conv2d_params(3, 16, 5, tiles=0), "tiles must be an int >= 1"),
])
def test_bad_input_names_the_argument(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()
