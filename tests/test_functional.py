"""Fast convolution against the naive definition, on random shapes (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from cnnbook import _conv_paths
from cnnbook import functional as F
from cnnbook import matrices, reference, shapes, spectral
from cnnbook.backend import to_numpy
from cnnbook.padding import resolve_padding


@st.composite
def conv_cases(draw):
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    c_in = groups * draw(st.integers(1, 2))
    c_out = groups * draw(st.integers(1, 2))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dh, dw = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    # The input must be at least as large as the dilated kernel once padded.
    h = draw(st.integers(max(1, dh * (kh - 1) + 1 - 2 * ph), 9))
    w = draw(st.integers(max(1, dw * (kw - 1) + 1 - 2 * pw), 9))
    n = draw(st.integers(1, 2))
    seed = draw(st.integers(0, 2**16))
    # padding in each of its forms: an int, a pair, "valid", or "same" (stride 1 only)
    form = draw(st.sampled_from(["pair", "int", "valid"] + (["same"] if (sh, sw) == (1, 1) else [])))
    if form == "int":
        ph = pw = min(ph, pw)
        h, w = max(h, dh * (kh - 1) + 1 - 2 * ph), max(w, dw * (kw - 1) + 1 - 2 * pw)
    elif form == "valid":
        h, w = max(h, dh * (kh - 1) + 1), max(w, dw * (kw - 1) + 1)
    padding = {"pair": (ph, pw), "int": ph, "valid": "valid", "same": "same"}[form]
    return dict(shape=(n, c_in, h, w), weight=(c_out, c_in // groups, kh, kw), stride=(sh, sw),
                padding=padding, dilation=(dh, dw), groups=groups, seed=seed)


@settings(max_examples=60, deadline=None)
@given(conv_cases())
def test_conv2d_matches_reference(case):
    rng = np.random.default_rng(case["seed"])
    x = rng.standard_normal(case["shape"])
    w = rng.standard_normal(case["weight"])
    b = rng.standard_normal(case["weight"][0])
    kwargs = {k: case[k] for k in ("stride", "padding", "dilation", "groups")}
    got = F.conv2d(x, w, b, **kwargs)
    # the reference pads symmetrically with an int or a pair: give it the padded input otherwise
    top, bottom, left, right = resolve_padding(case["padding"], case["weight"][2:], case["dilation"],
                                               case["stride"], "test")
    padded = np.pad(x, [(0, 0), (0, 0), (top, bottom), (left, right)])
    want = reference.conv2d(padded, w, b, stride=case["stride"], dilation=case["dilation"], groups=case["groups"])
    assert_allclose(got, want, rtol=1e-10, atol=1e-10)
    if case["padding"] == "same":
        assert got.shape[2:] == x.shape[2:]
    # and the size formula agrees with the shape the op produced
    for axis, (size, k, pad) in enumerate(zip(case["shape"][2:], case["weight"][2:], (top, left))):
        assert got.shape[2 + axis] == shapes.conv_output_size(
            size + (bottom - top if axis == 0 else right - left), k, case["stride"][axis], pad, case["dilation"][axis])


@pytest.mark.parametrize("stride, padding", [(1, 0), (2, 1), (1, "same"), (1, "valid")])
def test_conv2d_on_each_backend(xp, rng, stride, padding):
    x = xp.asarray(rng.standard_normal((2, 3, 7, 6)))
    w = xp.asarray(rng.standard_normal((4, 3, 3, 3)))
    got = F.conv2d(x, w, stride=stride, padding=padding)
    assert type(got) is type(x)
    pad = 1 if padding == "same" else (0 if padding == "valid" else padding)
    assert_allclose(to_numpy(got), reference.conv2d(to_numpy(x), to_numpy(w), stride=stride, padding=pad),
                    rtol=1e-10, atol=1e-10)


def test_same_padding_keeps_size_with_even_kernels(rng):
    x = rng.standard_normal((1, 1, 6, 5))
    for k in (1, 2, 3, 4):
        assert F.conv2d(x, rng.standard_normal((1, 1, k, k)), padding="same").shape == (1, 1, 6, 5)


def test_dtypes(rng):
    x32 = rng.standard_normal((1, 2, 5, 5)).astype(np.float32)
    w32 = rng.standard_normal((3, 2, 3, 3)).astype(np.float32)
    assert F.conv2d(x32, w32).dtype == np.float32
    xi = np.arange(25).reshape(1, 1, 5, 5)
    assert F.conv2d(xi, np.ones((1, 1, 2, 2), dtype=int)).dtype == np.float64


def test_large_batch_is_chunked_consistently(rng, monkeypatch):
    x = rng.standard_normal((5, 2, 6, 6))
    w = rng.standard_normal((3, 2, 3, 3))
    whole = F.conv2d(x, w)
    monkeypatch.setattr(_conv_paths, "_COLUMN_BUDGET", 1)  # forces one image per chunk
    assert_allclose(F.conv2d(x, w), whole)


@pytest.mark.parametrize("call, message", [
    (lambda: F.conv2d(np.zeros((1, 2, 5, 5)), np.zeros((1, 3, 3, 3))),
     "conv2d: weight expects 3 input channels per group, x has 2"),
    (lambda: F.conv2d(np.zeros((2, 5, 5)), np.zeros((1, 2, 3, 3))), "conv2d: x must have 4 dimensions"),
    (lambda: F.conv2d(np.zeros((1, 1, 5, 5)), np.zeros((1, 1, 3, 3)), stride=0), "stride must be an int >= 1"),
    (lambda: F.conv2d(np.zeros((1, 1, 5, 5)), np.zeros((1, 1, 3, 3)), padding="full"), "padding must be an int"),
    (lambda: F.conv2d(np.zeros((1, 1, 2, 2)), np.zeros((1, 1, 3, 3))), "the kernel spans 3x3"),
    (lambda: F.conv2d(np.zeros((1, 1, 5, 5)), np.zeros((1, 1, 3, 3)), stride=2, padding="same"),
     "padding='same' needs stride=1"),
    (lambda: F.conv2d([[1.0]], np.zeros((1, 1, 1, 1))), "x must be an array"),
    (lambda: F.conv2d(np.zeros((1, 1, 3, 3)), np.zeros((2, 1, 1, 1)), bias=np.zeros(3)),
     r"bias must have shape \(2,\)"),
])
def test_bad_input_names_the_argument(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 5), st.integers(0, 2**16))
def test_fft_matches_conv2d(c_in, c_out, k, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, c_in, k + 4, k + 2))
    w = rng.standard_normal((c_out, c_in, k, k))
    b = rng.standard_normal(c_out)
    assert_allclose(spectral.conv2d_fft(x, w, b), F.conv2d(x, w, b), rtol=1e-9, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 6), st.integers(1, 6), st.integers(1, 3), st.integers(1, 3),
       st.integers(0, 1), st.integers(1, 2), st.integers(0, 2**16))
def test_conv_matrix_is_the_convolution(h, w, kh, kw, padding, stride, seed):
    if h + 2 * padding < kh or w + 2 * padding < kw:
        return
    rng = np.random.default_rng(seed)
    image, kernel = rng.standard_normal((h, w)), rng.standard_normal((kh, kw))
    m = matrices.conv_matrix(kernel, (h, w), padding=padding, stride=stride)
    direct = F.conv2d(image[None, None], kernel[None, None], padding=padding, stride=stride)
    assert_allclose(m @ image.ravel(), direct.ravel(), atol=1e-12)


def test_circular_matrix_is_circulant_and_commutes_with_wrapped_shifts(rng):
    kernel = rng.standard_normal((3, 3))
    m = matrices.conv_matrix(kernel, (4, 5), circular=True)
    image = rng.standard_normal((4, 5))
    shifted = np.roll(image, (1, 2), axis=(0, 1))
    out = (m @ image.ravel()).reshape(4, 5)
    assert_allclose((m @ shifted.ravel()).reshape(4, 5), np.roll(out, (1, 2), axis=(0, 1)), atol=1e-12)


def test_correlation_and_convolution_differ_by_the_flip(rng):
    image, kernel = rng.standard_normal((6, 7)), rng.standard_normal((3, 2))
    assert_allclose(reference.convolve2d(image, kernel), reference.correlate2d(image, kernel[::-1, ::-1]))
    assert not np.allclose(reference.convolve2d(image, kernel), reference.correlate2d(image, kernel))
