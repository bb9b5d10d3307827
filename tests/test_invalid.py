"""Bad input: only ValueError or TypeError, naming the argument, whatever is thrown at the public functions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnnbook import functional as F
from cnnbook import shapes
from cnnbook.gradcheck import numerical_gradient, relative_error


class FakeCupyArray:
    """Looks like a CuPy array to cnnbook (its type lives in a module named cupy), without a GPU."""

    __module__ = "cupy._core.core"

    def __init__(self, shape):
        self.shape, self.ndim, self.dtype, self.size = shape, len(shape), np.dtype(np.float32), int(np.prod(shape))


@pytest.mark.parametrize("call", [
    lambda gpu: F.conv2d(np.zeros((1, 1, 4, 4)), gpu((1, 1, 3, 3))),
    lambda gpu: F.conv2d(gpu((1, 1, 4, 4)), np.zeros((1, 1, 3, 3))),
    lambda gpu: F.conv2d(gpu((1, 1, 4, 4)), gpu((1, 1, 3, 3)), np.zeros(1)),
    lambda gpu: F.conv2d_backward(np.zeros((1, 1, 2, 2)), gpu((1, 1, 4, 4)), gpu((1, 1, 3, 3))),
    lambda gpu: F.conv_transpose2d(gpu((1, 1, 2, 2)), np.zeros((1, 1, 3, 3))),
    lambda gpu: F.max_pool2d_backward(np.zeros((1, 1, 2, 2)), gpu((1, 1, 4, 4)), 2),
    lambda gpu: F.linear(gpu((2, 3)), np.zeros((4, 3))),
    lambda gpu: F.batch_norm(gpu((2, 3)), np.zeros(3), np.ones(3)),
    lambda gpu: F.relu_backward(np.zeros((2, 3)), gpu((2, 3))),
])
def test_numpy_and_cupy_mixed_in_one_call(call):
    with pytest.raises(TypeError, match="NumPy and CuPy arrays mixed in one call"):
        call(FakeCupyArray)


def _arrays(max_dims=5):
    shapes_ = st.lists(st.integers(0, 5), min_size=0, max_size=max_dims).map(tuple)
    dtypes = st.sampled_from([np.float64, np.float32, np.int64, np.bool_, np.complex128, object])
    return st.builds(lambda shape, dtype: np.zeros(shape, dtype=dtype), shapes_, dtypes)


_junk = st.one_of(
    st.integers(-3, 6), st.floats(allow_nan=True), st.none(), st.booleans(),
    st.sampled_from(["same", "valid", "SAME", "full", "", "mean", "none"]),
    st.tuples(st.integers(-2, 4), st.integers(-2, 4)), st.tuples(st.integers(0, 3)),
    st.tuples(st.integers(0, 2), st.integers(0, 2), st.integers(0, 2)), st.lists(st.integers(0, 3), max_size=3),
)
_values = st.one_of(_arrays(), _junk)

def _z(*shape, dtype=np.float64):
    return np.zeros(shape, dtype=dtype)


# Every public function with one valid call; the test spoils some of its arguments at random.
_PUBLIC = [
    (F.conv2d, (_z(1, 2, 5, 5), _z(4, 1, 3, 3), _z(4), 2, 1, 1, 2)),
    (F.conv2d_backward, (_z(1, 4, 3, 3), _z(1, 2, 5, 5), _z(4, 1, 3, 3), 2, 1, 1, 2)),
    (F.conv_transpose2d, (_z(1, 2, 3, 3), _z(2, 3, 3, 3), _z(6), 2, 1, 1, 2, 1)),
    (F.conv_transpose2d_backward, (_z(1, 6, 6, 6), _z(1, 2, 3, 3), _z(2, 3, 3, 3), 2, 1, 1, 2, 1)),
    (F.im2col, (_z(1, 2, 5, 5), 3, 1, 1)),
    (F.col2im, (_z(1, 18, 9), (1, 2, 5, 5), 3, 1, 1)),
    (F.pad2d, (_z(2, 3), 1, 0.0)),
    (F.max_pool2d, (_z(1, 2, 5, 5), 3, 2, 1, 1, True)),
    (F.max_pool2d_backward, (_z(1, 2, 3, 3), _z(1, 2, 5, 5), 3, 2, 1, 1, True)),
    (F.avg_pool2d, (_z(1, 2, 5, 5), 3, 2, 1, True, False)),
    (F.avg_pool2d_backward, (_z(1, 2, 3, 3), _z(1, 2, 5, 5), 3, 2, 1, True, False)),
    (F.adaptive_avg_pool2d, (_z(1, 2, 5, 5), 2)),
    (F.adaptive_avg_pool2d_backward, (_z(1, 2, 2, 2), _z(1, 2, 5, 5), 2)),
    (F.relu, (_z(2, 3),)),
    (F.relu_backward, (_z(2, 3), _z(2, 3))),
    (F.linear, (_z(2, 3), _z(4, 3), _z(4))),
    (F.linear_backward, (_z(2, 4), _z(2, 3), _z(4, 3), _z(4))),
    (F.batch_norm, (_z(2, 3, 2, 2), _z(3), _z(3), _z(3), _z(3), True, 0.1, 1e-5)),
    (F.batch_norm_backward, (_z(2, 3, 2, 2), _z(2, 3, 2, 2), _z(3), _z(3), _z(3), _z(3), True, 1e-5)),
    (F.dropout, (_z(2, 3), 0.5, True, np.ones((2, 3), bool))),
    (F.dropout_backward, (_z(2, 3), np.ones((2, 3), bool), 0.5, True)),
    (F.dropout_mask, ((2, 3), 0.5, 0)),
    (F.softmax, (_z(2, 3), 1)),
    (F.softmax_backward, (_z(2, 3), _z(2, 3), 1)),
    (F.log_softmax, (_z(2, 3), 1)),
    (F.log_softmax_backward, (_z(2, 3), _z(2, 3), 1)),
    (F.cross_entropy, (_z(2, 3), np.array([0, 2]), "mean")),
    (F.cross_entropy_backward, (1.0, _z(2, 3), np.array([0, 2]), "mean")),
    (shapes.conv_output_size, (7, 3, 2, 1, 1)),
    (shapes.pool_output_size, (7, 3, 2, 1, 1, True)),
    (shapes.conv_transpose_output_size, (4, 3, 2, 1, 1, 1)),
    (shapes.same_padding, (7, 3, 2, 1)),
    (shapes.conv2d_params, (4, 8, 3, True, 2)),
    (shapes.conv2d_macs, ((4, 9, 9), 8, 3, 2, 1, 1, 2)),
    (shapes.receptive_fields, ([(3, 1, 1), (2, 2)],)),
]


@pytest.mark.parametrize("func, valid", _PUBLIC, ids=[f.__name__ for f, _ in _PUBLIC])
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_arguments_raise_only_value_or_type_errors(func, valid, data):
    func(*valid)  # the unspoiled call works
    spoiled = data.draw(st.sets(st.integers(0, len(valid) - 1), min_size=1), label="spoiled positions")
    args = [data.draw(_values, label=f"arg {i}") if i in spoiled else valid[i] for i in range(len(valid))]
    try:
        func(*args)
    except (ValueError, TypeError) as error:
        assert str(error), "an error must say what is wrong"


@pytest.mark.parametrize("func, args", [
    (F.conv2d, (np.zeros((1, 2, 5, 5)), np.zeros((3, 1, 3, 3)))),
    (F.max_pool2d, (np.zeros((1, 2, 5, 5)), 2)),
    (F.avg_pool2d, (np.zeros((1, 2, 5, 5)), 3, 2, 1)),
])
@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_random_keyword_settings_raise_only_value_or_type_errors(func, args, data):
    """Valid arrays, junk settings: the checks must catch what NumPy would choke on."""
    names = {F.conv2d: ["stride", "padding", "dilation", "groups"],
             F.max_pool2d: ["stride", "padding", "dilation", "ceil_mode"],
             F.avg_pool2d: ["ceil_mode", "count_include_pad"]}[func]
    kwargs = {name: data.draw(_junk, label=name) for name in names if data.draw(st.booleans(), label=f"set {name}")}
    try:
        func(*args, **kwargs)
    except (ValueError, TypeError) as error:
        assert str(error)


@pytest.mark.parametrize("call, message", [
    (lambda: numerical_gradient(3.0, np.zeros(2)), "numerical_gradient: f must be a function"),
    (lambda: numerical_gradient(lambda: 0.0, [1.0, 2.0]), "numerical_gradient: x must be a NumPy array of floats"),
    (lambda: numerical_gradient(lambda: 0.0, np.zeros(2, dtype=int)), "got ndarray of dtype int"),
    (lambda: numerical_gradient(lambda: 0.0, np.zeros(2), eps=0), "eps must be a positive number"),
    (lambda: relative_error(np.zeros(2), np.zeros(3)), "relative_error: analytic .* must have the same shape"),
])
def test_gradient_check_names_the_argument(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()
