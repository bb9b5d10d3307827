"""The convolution-arithmetic drawings agree with cnnbook's numerics, window by window."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnbook import functional as F
from cnnbook import shapes
from cnnbook.arithmetic import Arithmetic, animate
from cnnbook.padding import pad2d


def _by_drawing(arith, x, kernel):
    """What the picture says: every window's taps on the canvas, times the kernel."""
    canvas = np.zeros((arith.canvas_size, arith.canvas_size))
    cells = np.array(arith.input_cells)
    canvas[np.ix_(cells, cells)] = x
    if arith.transposed:
        kernel = kernel[::-1, ::-1]  # the transposed conv is drawn as a direct conv of the flipped kernel
    out = np.empty((arith.output_size, arith.output_size))
    for r, top in enumerate(arith.positions):
        for c, left in enumerate(arith.positions):
            out[r, c] = np.sum(canvas[np.ix_(arith.taps(top), arith.taps(left))] * kernel)
    return out


@st.composite
def direct_settings(draw):
    k = draw(st.integers(1, 4))
    d = draw(st.integers(1, 3))
    span = d * (k - 1) + 1
    before, after = draw(st.integers(0, 3)), draw(st.integers(0, 3))
    low = max(1, span - before - after)
    i = draw(st.integers(low, low + 8))
    return Arithmetic(i, k, stride=draw(st.integers(1, 4)), padding=(before, after), dilation=d)


@st.composite
def transposed_settings(draw):
    k, s, d = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
    p = draw(st.integers(0, d * (k - 1)))
    op = draw(st.integers(0, max(s, d) - 1))
    i = draw(st.integers(1, 6))
    if (i - 1) * s - 2 * p + d * (k - 1) + op + 1 < 1:
        i = 2 * p + 1
    return Arithmetic(i, k, stride=s, padding=p, dilation=d, transposed=True, output_padding=op)


@settings(max_examples=60, deadline=None)
@given(direct_settings(), st.integers(0, 2**32 - 1))
def test_direct_drawing_matches_conv2d(arith, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((arith.input_size, arith.input_size))
    kernel = rng.standard_normal((arith.kernel_size, arith.kernel_size))
    before, after = arith.pads
    padded = pad2d(x[None, None], (before, after, before, after))
    expected = F.conv2d(padded, kernel[None, None], stride=arith.stride, dilation=arith.dilation)[0, 0]
    np.testing.assert_allclose(_by_drawing(arith, x, kernel), expected, atol=1e-12)
    if before == after:
        assert arith.output_size == shapes.conv_output_size(arith.input_size, arith.kernel_size, arith.stride,
                                                            before, arith.dilation)


@settings(max_examples=60, deadline=None)
@given(transposed_settings(), st.integers(0, 2**32 - 1))
def test_transposed_drawing_matches_conv_transpose2d(arith, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((arith.input_size, arith.input_size))
    kernel = rng.standard_normal((arith.kernel_size, arith.kernel_size))
    expected = F.conv_transpose2d(x[None, None], kernel[None, None], stride=arith.stride, padding=arith.padding,
                                  output_padding=arith.output_padding, dilation=arith.dilation)[0, 0]
    np.testing.assert_allclose(_by_drawing(arith, x, kernel), expected, atol=1e-12)


def test_unused_cells_when_the_stride_does_not_fit():
    assert Arithmetic(6, 3, stride=2, padding=1).unused == 1   # canvas 8, windows end at 7
    assert Arithmetic(5, 3, stride=2, padding=1).unused == 0
    svg = animate(Arithmetic(6, 3, stride=2, padding=1))
    assert "the stride does not fit" in svg
    assert "does not fit" not in animate(Arithmetic(5, 3, stride=2, padding=1))


def test_animation_has_one_frame_per_output_and_stills_when_asked():
    arith = Arithmetic(5, 3, stride=2, padding=1, dilation=1)
    svg = animate(arith)
    move = svg.split("-move {", 1)[1].split("}}", 1)[0]
    assert move.count("translate(") == arith.output_size ** 2 + 1   # every window, then hold the last
    last = "transform: " + re.findall(r"translate\([^)]*\)", move)[-1]
    still = svg.split("@media (prefers-reduced-motion: reduce), print {", 1)[1]
    assert "animation: none" in still and f".win {{{last}}}" in still, (last, still[:300])  # the last frame
    assert arith.formula() in svg and 'role="img"' in svg


@pytest.mark.parametrize("kwargs, message", [
    (dict(input_size=0, kernel_size=3), "input_size must be an int >= 1"),
    (dict(input_size=2, kernel_size=3), "the kernel spans 3 cells but the padded input has only 2"),
    (dict(input_size=4, kernel_size=3, output_padding=1), "output_padding belongs to transposed"),
    (dict(input_size=4, kernel_size=3, padding=3, transposed=True), "needs padding <= dilation"),
    (dict(input_size=4, kernel_size=3, stride=2, output_padding=2, transposed=True),
     "output_padding must be smaller than stride or dilation"),
    (dict(input_size=4, kernel_size=3, padding=(1, 2, 3)), "padding must be an int, or a pair"),
])
def test_bad_settings_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Arithmetic(**kwargs)


def test_animate_checks_its_arguments():
    with pytest.raises(TypeError, match="arith must be an Arithmetic"):
        animate((5, 3))
    with pytest.raises(ValueError, match="seconds_per_step"):
        animate(Arithmetic(4, 3), seconds_per_step=0)
