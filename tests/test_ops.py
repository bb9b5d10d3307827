"""Activation, dense layer, batch norm, dropout, softmax, loss and the transposed conv's backward."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from cnnbook import functional as F
from cnnbook.backend import to_numpy
from tests.helpers import assert_gradients


def test_relu_backward(rng):
    x = rng.standard_normal((3, 4, 2))
    probe = rng.standard_normal(x.shape)
    assert_gradients(lambda: F.relu(x), [x], [F.relu_backward(probe, x)], probe)


@pytest.mark.parametrize("shape", [(5, 3), (2, 4, 3)])
@pytest.mark.parametrize("with_bias", [True, False])
def test_linear_backward(rng, shape, with_bias):
    x, w = rng.standard_normal(shape), rng.standard_normal((2, shape[-1]))
    b = rng.standard_normal(2) if with_bias else None
    probe = rng.standard_normal(shape[:-1] + (2,))
    gx, gw, gb = F.linear_backward(probe, x, w, b)
    inputs, grads = [x, w] + ([b] if with_bias else []), [gx, gw] + ([gb] if with_bias else [])
    assert_gradients(lambda: F.linear(x, w, b), inputs, grads, probe)
    assert_allclose(F.linear(x, w, b), x @ w.T + (b if with_bias else 0))


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (3, 2, 4, 5)])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_backward(rng, shape, training):
    x = rng.standard_normal(shape) * 2 + 1
    c = shape[1]
    gamma, beta = rng.standard_normal(c), rng.standard_normal(c)
    mean, var = rng.standard_normal(c), rng.random(c) + 0.5
    probe = rng.standard_normal(shape)

    def forward():  # copies of the running statistics: the forward updates them in place
        return F.batch_norm(x, mean.copy(), var.copy(), gamma, beta, training=training)

    gx, gg, gb = F.batch_norm_backward(probe, x, mean, var, gamma, beta, training=training)
    assert_gradients(forward, [x, gamma, beta], [gx, gg, gb], probe)


def test_batch_norm_statistics(rng):
    x = rng.standard_normal((8, 3, 4, 4)) * 3 + 5
    mean, var = np.zeros(3), np.ones(3)
    y = F.batch_norm(x, mean, var, training=True, momentum=0.25)
    assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    assert_allclose(y.var(axis=(0, 2, 3)), 1, atol=1e-4)  # eps keeps it just below 1
    assert_allclose(mean, 0.25 * x.mean(axis=(0, 2, 3)))
    assert_allclose(var, 0.75 + 0.25 * x.var(axis=(0, 2, 3), ddof=1))
    # evaluation uses the running statistics and changes nothing
    before = mean.copy()
    y = F.batch_norm(x, mean, var, training=False)
    assert_allclose(y, (x - mean[None, :, None, None]) / np.sqrt(var[None, :, None, None] + 1e-5))
    assert_allclose(mean, before)


@pytest.mark.parametrize("shape, groups", [((3, 4, 3, 5), 2), ((2, 6, 4), 3), ((4, 6), 1), ((2, 3, 2, 2), 3)])
def test_group_norm_backward(rng, shape, groups):
    x = rng.standard_normal(shape) * 2 + 1
    gamma, beta = rng.standard_normal(shape[1]), rng.standard_normal(shape[1])
    probe = rng.standard_normal(shape)
    gx, gg, gb = F.group_norm_backward(probe, x, groups, gamma, beta)
    assert_gradients(lambda: F.group_norm(x, groups, gamma, beta), [x, gamma, beta], [gx, gg, gb], probe)
    if groups == 1:
        assert_allclose(F.layer_norm(x, gamma, beta), F.group_norm(x, 1, gamma, beta))
        for mine, same in zip(F.layer_norm_backward(probe, x, gamma, beta), (gx, gg, gb)):
            assert_allclose(mine, same)


def test_group_norm_statistics_are_each_images_own(rng):
    x = rng.standard_normal((4, 6, 3, 3)) * 3 + 5
    y = F.group_norm(x, 3, eps=0.0)
    grouped = y.reshape(4, 3, -1)  # image, group, the group's channels at every position
    assert_allclose(grouped.mean(axis=2), 0, atol=1e-12)
    assert_allclose(grouped.var(axis=2), 1, atol=1e-12)
    other = x.copy()
    other[1:] = rng.standard_normal(other[1:].shape)  # the other images of the batch change...
    assert_allclose(F.group_norm(other, 3, eps=0.0)[0], y[0])  # ...and the first image's output does not
    # one channel per group: instance normalization; the batch's statistics would be another function
    per_channel = (x - x.mean(axis=(2, 3), keepdims=True)) / x.std(axis=(2, 3), keepdims=True)
    assert_allclose(F.group_norm(x, 6, eps=0.0), per_channel)


def test_group_norm_rejects_groups_that_do_not_divide(rng):
    with pytest.raises(ValueError, match="num_groups must be an int >= 1 that divides the 6 channels"):
        F.group_norm(rng.standard_normal((2, 6, 3, 3)), 4)
    with pytest.raises(ValueError, match="each group needs more than one value"):
        F.group_norm(rng.standard_normal((2, 6)), 6)


def test_fold_batch_norm_folds_dense_layers_too(rng):
    from cnnbook import nn

    net = nn.Sequential(nn.Linear(5, 4, rng=0, dtype=np.float64), nn.BatchNorm2d(4, dtype=np.float64), nn.ReLU())
    net.train()
    for _ in range(3):  # running statistics that are not the initial ones
        net(rng.standard_normal((8, 5)) * 2 + 1)
    net[1].params["weight"][...] = rng.standard_normal(4)
    x = rng.standard_normal((6, 5))
    folded = nn.fold_batch_norm(net)
    assert [type(m).__name__ for m in folded.children] == ["Linear", "Sequential", "ReLU"]
    assert_allclose(folded(x), net.eval()(x), atol=1e-12)


@pytest.mark.parametrize("smoothing", [0.0, 0.1, 1.0])
def test_cross_entropy_with_label_smoothing(rng, smoothing):
    logits, target = rng.standard_normal((5, 4)), rng.integers(0, 4, 5)
    q = (1 - smoothing) * np.eye(4)[target] + smoothing / 4
    logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    assert_allclose(F.cross_entropy(logits, target, label_smoothing=smoothing), -(q * logp).sum(axis=1).mean())
    grad = F.cross_entropy_backward(1.0, logits, target, label_smoothing=smoothing)
    assert_gradients(lambda: F.cross_entropy(logits, target, label_smoothing=smoothing), [logits], [grad], 1.0)
    with pytest.raises(ValueError, match="label_smoothing must be a number in"):
        F.cross_entropy(logits, target, label_smoothing=1.5)


def test_dropout(rng):
    x = rng.standard_normal((200, 300))
    y = F.dropout(x, p=0.3, rng=1)
    kept = y != 0
    assert abs(kept.mean() - 0.7) < 0.01  # 60,000 draws: the standard deviation is 0.002
    assert_allclose(y[kept], x[kept] / 0.7)
    assert_allclose(F.dropout(x, p=0.3, training=False), x)
    mask = F.dropout_mask(x.shape, 0.3, rng=1)
    assert_allclose(F.dropout(x, 0.3, mask=mask), y)  # same seed, same mask
    probe = rng.standard_normal(x.shape)[:4, :5]
    small, small_mask = x[:4, :5].copy(), mask[:4, :5]
    assert_gradients(lambda: F.dropout(small, 0.3, mask=small_mask), [small],
                     [F.dropout_backward(probe, small_mask, 0.3)], probe)


@pytest.mark.parametrize("dim", [-1, 0, 1])
def test_softmax_and_log_softmax(rng, dim):
    x = rng.standard_normal((3, 4, 2)) * 3
    probe = rng.standard_normal(x.shape)
    assert_gradients(lambda: F.softmax(x, dim), [x], [F.softmax_backward(probe, x, dim)], probe)
    assert_gradients(lambda: F.log_softmax(x, dim), [x], [F.log_softmax_backward(probe, x, dim)], probe)
    assert_allclose(F.softmax(x, dim).sum(axis=dim), 1)
    assert_allclose(np.exp(F.log_softmax(x, dim)), F.softmax(x, dim))
    assert np.isfinite(F.log_softmax(x * 1e4, dim)).all()  # stable where exp would overflow


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy(rng, reduction):
    logits, target = rng.standard_normal((6, 5)), rng.integers(0, 5, 6)
    direct = -np.log(np.exp(logits[np.arange(6), target]) / np.exp(logits).sum(axis=1))
    want = {"mean": direct.mean(), "sum": direct.sum(), "none": direct}[reduction]
    assert_allclose(F.cross_entropy(logits, target, reduction), want)
    probe = rng.standard_normal(6) if reduction == "none" else np.array(1.7)
    grad = F.cross_entropy_backward(probe if reduction == "none" else 1.7, logits, target, reduction)
    assert_gradients(lambda: F.cross_entropy(logits, target, reduction), [logits], [grad], probe)


def test_conv_transpose2d_backward(rng):
    for stride, padding, output_padding, dilation, groups in [(1, 0, 0, 1, 1), (2, 1, 1, 1, 2), (3, 0, 2, 1, 1),
                                                              (1, 1, 1, 2, 1), (2, 0, 0, 2, 2)]:
        x = rng.standard_normal((2, 2 * groups, 3, 4))
        w, b = rng.standard_normal((2 * groups, 2, 3, 3)), rng.standard_normal(2 * groups)
        kwargs = dict(stride=stride, padding=padding, output_padding=output_padding, groups=groups,
                      dilation=dilation)
        probe = rng.standard_normal(F.conv_transpose2d(x, w, b, **kwargs).shape)
        assert_gradients(lambda: F.conv_transpose2d(x, w, b, **kwargs), [x, w, b],
                         list(F.conv_transpose2d_backward(probe, x, w, **kwargs)), probe)


def test_ops_keep_library_and_dtype(xp, rng):
    for dtype in (np.float32, np.float64):
        x = xp.asarray(rng.standard_normal((4, 3)).astype(dtype))
        w = xp.asarray(rng.standard_normal((2, 3)).astype(dtype))
        target = xp.asarray(np.array([0, 1, 1, 0]))
        outputs = [F.relu(x), F.relu_backward(x, x), F.linear(x, w), *F.linear_backward(F.linear(x, w), x, w),
                   F.softmax(x), F.log_softmax(x), F.softmax_backward(x, x), F.log_softmax_backward(x, x),
                   F.cross_entropy(x, target, "none"), F.cross_entropy_backward(1.0, x, target),
                   F.dropout(x, 0.5, rng=0), F.batch_norm(x, None, None, training=True),
                   *F.batch_norm_backward(x, x, None, None, training=True)]
        for y in outputs:
            assert type(y) is type(x) and y.dtype == dtype
    assert F.relu(np.arange(3)).dtype == np.float64
    assert_allclose(to_numpy(F.cross_entropy(xp.zeros((2, 4)), xp.asarray(np.array([1, 2])))), np.log(4))


@pytest.mark.parametrize("call, message", [
    (lambda: F.linear(np.zeros((2, 3)), np.zeros((4, 5))), "x's last axis"),
    (lambda: F.linear(np.zeros((2, 3)), np.zeros((4, 3)), np.zeros(3)), r"bias must have shape \(4,\)"),
    (lambda: F.batch_norm(np.zeros((2, 3)), np.zeros(2), np.ones(3)), r"running_mean must have shape \(3,\)"),
    (lambda: F.batch_norm(np.zeros((2, 3)), None, None), "evaluation .* needs running_mean"),
    (lambda: F.batch_norm(np.zeros((1, 3)), None, None, training=True), "more than one value per channel"),
    (lambda: F.batch_norm(np.zeros((2, 3)), None, None, training=True, momentum=2), "momentum must be"),
    (lambda: F.dropout(np.zeros(3), p=1.0), r"p must be a probability in \[0, 1\)"),
    (lambda: F.dropout(np.zeros(3), mask=np.ones(2, bool)), "mask must be a boolean array of x's shape"),
    (lambda: F.softmax(np.zeros((2, 3)), dim=2), r"dim must be an int in \[-2, 2\)"),
    (lambda: F.cross_entropy(np.zeros((2, 3)), np.array([0, 3])), r"class indices in \[0, 3\)"),
    (lambda: F.cross_entropy(np.zeros((2, 3)), np.array([0.0, 1.0])), "target must hold integer class indices"),
    (lambda: F.cross_entropy(np.zeros((2, 3)), np.array([0, 1]), "avg"), "reduction must be one of"),
    (lambda: F.cross_entropy_backward(np.ones(2), np.zeros((2, 3)), np.array([0, 1])), "grad_out must be a scalar"),
    (lambda: F.relu([1, 2]), "x must be an array"),
])
def test_bad_arguments_are_named(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


def test_half_precision_reductions_accumulate_in_float32():
    """A float16 sum overflows past 65,504: softmax over 70,000 classes once returned zeros and cross-entropy
    inf. Every reduction now matches a float32 computation to float16 precision, and keeps the dtype."""
    from cnnbook import functional as F
    from cnnbook import pooling

    rng = np.random.default_rng(0)
    logits = rng.standard_normal((3, 70_000)).astype(np.float16)
    target = np.array([0, 5, 69_999])

    def close(half, full):
        assert half.dtype == np.float16
        np.testing.assert_allclose(half.astype(np.float32), full.astype(np.float16).astype(np.float32),
                                   rtol=2e-3, atol=1e-7)

    close(F.softmax(logits), F.softmax(logits.astype(np.float32)))
    close(F.log_softmax(logits), F.log_softmax(logits.astype(np.float32)))
    assert abs(float(F.cross_entropy(np.zeros((1, 70_000), np.float16), np.array([0]))) - np.log(70_000)) < 0.01
    close(F.cross_entropy(logits, target, reduction="none"),
          F.cross_entropy(logits.astype(np.float32), target, reduction="none"))
    close(F.cross_entropy_backward(1.0, logits, target), F.cross_entropy_backward(1.0, logits.astype(np.float32), target))
    big = (rng.standard_normal((2, 3, 64, 64)) * 30 + 200).astype(np.float16)  # channel sums far past 65,504
    close(F.avg_pool2d(big, 8), F.avg_pool2d(big.astype(np.float32), 8))
    close(F.adaptive_avg_pool2d(big, 1), F.adaptive_avg_pool2d(big.astype(np.float32), 1))
    close(pooling.avg_pool2d_backward(np.ones((2, 3, 8, 8), np.float16), big, 8),
          pooling.avg_pool2d_backward(np.ones((2, 3, 8, 8), np.float32), big.astype(np.float32), 8))
    mean, var = np.zeros(3, np.float16), np.ones(3, np.float16)
    y = F.batch_norm(big, mean, var, training=True)
    close(y, F.batch_norm(big.astype(np.float32), np.zeros(3, np.float32), np.ones(3, np.float32), training=True))
    assert np.isfinite(mean).all() and abs(float(mean[0]) - 0.1 * float(big[:, 0].astype(np.float32).mean())) < 0.5
    g = rng.standard_normal(big.shape).astype(np.float16)
    for half, full in zip(F.batch_norm_backward(g, big, None, None, training=True),
                          F.batch_norm_backward(g.astype(np.float32), big.astype(np.float32), None, None, training=True)):
        assert half.dtype == np.float16
        np.testing.assert_allclose(half.astype(np.float32), full, rtol=1e-2, atol=1e-2 * float(np.abs(full).max()))
    assert F.softmax(np.zeros((1, 3), np.float32)).dtype == np.float32  # other dtypes untouched
    assert F.softmax(np.zeros((1, 3), np.float16)).dtype == np.float16


@pytest.mark.parametrize("func", ["softmax", "log_softmax"])
def test_an_empty_class_axis_is_named(func):
    from cnnbook import functional as F

    with pytest.raises(ValueError, match=rf"{func}: x has no entries along dim -1"):
        getattr(F, func)(np.zeros((2, 0)))
