"""Integer arithmetic agrees with the shapes the operations produce and with hand counts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cnnbook import shapes
from cnnbook.functional import conv2d


@given(st.integers(1, 40), st.integers(1, 7), st.integers(1, 4), st.integers(0, 3), st.integers(1, 3))
def test_output_size_matches_conv2d(size, k, stride, padding, dilation):
    if size + 2 * padding < dilation * (k - 1) + 1:
        with pytest.raises(ValueError, match="the kernel spans"):
            shapes.conv_output_size(size, k, stride, padding, dilation)
        return
    got = conv2d(np.zeros((1, 1, size, 1)), np.zeros((1, 1, k, 1)), stride=(stride, 1),
                 padding=(padding, 0), dilation=(dilation, 1)).shape[2]
    assert shapes.conv_output_size(size, k, stride, padding, dilation) == got


def test_counts_of_the_running_example():
    assert shapes.conv2d_params(3, 16, 5) == (5 * 5 * 3 + 1) * 16
    assert shapes.linear_params(32 * 32 * 3, 16) == 3072 * 16 + 16
    assert shapes.conv2d_macs((3, 32, 32), 16, 5) == 28 * 28 * 16 * 75
    assert shapes.conv2d_params(8, 8, 3, groups=8, bias=False) == 8 * 9


@pytest.mark.parametrize("call, message", [
    (lambda: shapes.conv_output_size(5.0, 3), "size must be an int"),
    (lambda: shapes.conv_output_size(5, 0), "kernel_size must be an int >= 1"),
    (lambda: shapes.conv2d_params(3, 16, 5, groups=2), "groups=2 must divide"),
    (lambda: shapes.conv2d_output_shape((32, 32), 16, 5), r"input_shape must be \(C_in, H, W\)"),
    (lambda: shapes.conv_output_size(True, 3), "size must be an int"),
])
def test_bad_arguments_are_named(call, message):
    with pytest.raises((TypeError, ValueError), match=message):
        call()
