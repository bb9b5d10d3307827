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


@given(st.integers(1, 30), st.integers(1, 6), st.integers(1, 4), st.integers(1, 3))
def test_same_padding_gives_ceil_of_size_over_stride(size, k, stride, dilation):
    before, after = shapes.same_padding(size, k, stride, dilation)
    assert 0 <= after - before <= 1  # TensorFlow puts the odd zero after
    padded = np.pad(np.zeros((1, 1, size, 1)), [(0, 0), (0, 0), (before, after), (0, 0)])
    y = conv2d(padded, np.zeros((1, 1, k, 1)), stride=(stride, 1), dilation=(dilation, 1))
    assert y.shape[2] == -(-size // stride)
    if stride == 1:  # PyTorch's padding="same" pads the same amounts
        assert conv2d(np.zeros((1, 1, size, 1)), np.zeros((1, 1, k, 1)), padding="same",
                      dilation=(dilation, 1)).shape[2] == size


@given(st.integers(1, 12), st.integers(1, 5), st.integers(1, 3), st.integers(0, 2), st.integers(1, 2))
def test_transposed_output_size_matches_the_op(size, k, stride, padding, dilation):
    from cnnbook.functional import conv_transpose2d

    for output_padding in range(max(stride, dilation)):
        full = (size - 1) * stride + dilation * (k - 1) + output_padding + 1
        if full - 2 * padding < 1:
            with pytest.raises(ValueError):
                shapes.conv_transpose_output_size(size, k, stride, padding, output_padding, dilation)
            continue
        got = conv_transpose2d(np.zeros((1, 1, size, 1)), np.zeros((1, 1, k, 1)), stride=(stride, 1),
                               padding=(padding, 0), output_padding=(output_padding, 0),
                               dilation=(dilation, 1)).shape[2]
        assert shapes.conv_transpose_output_size(size, k, stride, padding, output_padding, dilation) == got


layer_specs = st.lists(st.tuples(st.integers(1, 4), st.integers(1, 3), st.integers(0, 2), st.integers(1, 2))
                       .filter(lambda l: l[2] <= l[0] // 2 * l[3]), min_size=1, max_size=4)


@given(layer_specs)
def test_receptive_field_is_what_backpropagation_reaches(layers):
    """Backpropagate from one output unit through real convolutions; the input it reaches is its field."""
    from cnnbook.functional import conv2d_backward

    fields = shapes.receptive_fields(layers)
    size = 2 * fields[-1].size + 4 * fields[-1].jump + 2 * fields[-1].padding + 4
    sizes = [size]
    for k, s, p, d in layers:
        sizes.append(shapes.conv_output_size(sizes[-1], k, s, p, d))
    unit = sizes[-1] // 2  # a unit whose field lies inside the input, not cut off by its edges
    grad = np.zeros((1, 1, 1, sizes[-1]))
    grad[0, 0, 0, unit] = 1.0
    for (k, s, p, d), n in zip(reversed(layers), reversed(sizes[:-1])):
        grad, _, _ = conv2d_backward(grad, np.zeros((1, 1, 1, n)), np.ones((1, 1, 1, k)), stride=(1, s),
                                     padding=(0, p), dilation=(1, d))
    reached = np.flatnonzero(grad[0, 0, 0])
    start = fields[-1].start + unit * fields[-1].jump
    assert 0 <= start and start + fields[-1].size <= size
    # the two ends of the field are reached (taps in between may be skipped by dilation)
    assert reached[0] == start and reached[-1] == start + fields[-1].size - 1
    assert (reached[0] + reached[-1]) / 2 == fields[-1].centre + unit * fields[-1].jump


def test_receptive_fields_of_known_stacks():
    vgg = shapes.receptive_fields([(3, 1, 1), (3, 1, 1), (2, 2, 0)] * 2)
    assert [(f.size, f.jump) for f in vgg] == [(3, 1), (5, 1), (6, 2), (10, 2), (14, 2), (16, 4)]
    dilated = shapes.receptive_fields([(3, 1, 1, 1), (3, 1, 2, 2), (3, 1, 4, 4)])
    assert [f.size for f in dilated] == [3, 7, 15]  # dilations 1, 2, 4: exponential growth
    assert shapes.receptive_fields([{"kernel_size": 5, "stride": 2, "name": "conv"}])[0].jump == 2
    with pytest.raises(TypeError, match="layer 1 must be"):
        shapes.receptive_fields([(3, 1), "pool"])
    with pytest.raises(ValueError, match="layer 0 kernel_size must be an int >= 1"):
        shapes.receptive_fields([(0, 1)])


def test_pool_output_size_in_ceil_mode():
    assert shapes.pool_output_size(5, 2, stride=2, ceil_mode=True) == 3
    assert shapes.pool_output_size(5, 2, stride=2, ceil_mode=False) == 2
    with pytest.raises(ValueError, match="padding must be at most kernel_size // 2"):
        shapes.pool_output_size(5, 2, padding=2)
