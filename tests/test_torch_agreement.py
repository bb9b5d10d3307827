"""Where PyTorch is installed (pip install -e '.[bench]'), every op agrees with it, forward and backward.

The naive references are the oracles of the main suite; this is a second, independent
one for the conventions (ceil mode, count_include_pad, ties, output_padding) that the
book promises to share with PyTorch. Skipped where torch is missing, as in CI.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from numpy.testing import assert_allclose

from cnnbook import functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _backward(y_torch, rng):
    probe = rng.standard_normal(tuple(y_torch.shape))
    y_torch.backward(torch.tensor(probe))
    return probe


def test_pools_agree_with_torch(rng):
    cases = 0
    for h, w, k, s, p, d, ceil in itertools.product([5, 6, 7], [4, 7], [1, 2, 3], [None, 1, 2, 3], [0, 1], [1, 2],
                                                    [False, True]):
        if p > k // 2 or h + 2 * p < d * (k - 1) + 1 or w + 2 * p < d * (k - 1) + 1:
            continue
        x = rng.standard_normal((2, 3, h, w))
        xt = torch.tensor(x, requires_grad=True)
        probe = _backward(TF.max_pool2d(xt, k, s, p, d, ceil), rng)
        assert_allclose(F.max_pool2d(x, k, s, p, d, ceil), TF.max_pool2d(xt, k, s, p, d, ceil).detach().numpy())
        assert_allclose(F.max_pool2d_backward(probe, x, k, s, p, d, ceil), xt.grad.numpy())
        cases += 1
        if d == 1:
            for include in (True, False):
                xt = torch.tensor(x, requires_grad=True)
                probe = _backward(TF.avg_pool2d(xt, k, s, p, ceil, include), rng)
                assert_allclose(F.avg_pool2d(x, k, s, p, ceil, include),
                                TF.avg_pool2d(xt, k, s, p, ceil, include).detach().numpy())
                assert_allclose(F.avg_pool2d_backward(probe, x, k, s, p, ceil, include), xt.grad.numpy())
                cases += 1
    assert cases > 500


def test_conv_transpose2d_agrees_with_torch(rng):
    cases = 0
    for h, w, k, s, p, op, d, g in itertools.product([3, 4], [2, 5], [1, 2, 3], [1, 2, 3], [0, 1], [0, 1, 2], [1, 2],
                                                     [1, 2]):
        if op >= max(s, d) or (min(h, w) - 1) * s + d * (k - 1) + op + 1 - 2 * p < 1:
            continue
        x, wt, b = rng.standard_normal((2, 2 * g, h, w)), rng.standard_normal((2 * g, 3, k, k)), rng.standard_normal(3 * g)
        xt, wtt, bt = (torch.tensor(a, requires_grad=True) for a in (x, wt, b))
        yt = TF.conv_transpose2d(xt, wtt, bt, s, p, op, g, d)
        probe = _backward(yt, rng)
        assert_allclose(F.conv_transpose2d(x, wt, b, s, p, op, g, d), yt.detach().numpy())
        for got, want in zip(F.conv_transpose2d_backward(probe, x, wt, s, p, op, g, d), (xt, wtt, bt)):
            assert_allclose(got, want.grad.numpy())
        cases += 1
    assert cases > 200


def test_layers_and_loss_agree_with_torch(rng):
    x = rng.standard_normal((6, 4, 3, 3))
    mean, var, gamma, beta = rng.standard_normal(4), rng.random(4) + 0.5, rng.standard_normal(4), rng.standard_normal(4)
    for training in (True, False):
        xt, gt, bt = (torch.tensor(a, requires_grad=True) for a in (x, gamma, beta))
        mt, vt = torch.tensor(mean), torch.tensor(var)
        yt = TF.batch_norm(xt, mt, vt, gt, bt, training=training)
        probe = _backward(yt, rng)
        m, v = mean.copy(), var.copy()
        assert_allclose(F.batch_norm(x, m, v, gamma, beta, training=training), yt.detach().numpy())
        assert_allclose(m, mt.numpy())
        assert_allclose(v, vt.numpy())  # the running statistics move the same way
        for got, want in zip(F.batch_norm_backward(probe, x, mean, var, gamma, beta, training=training), (xt, gt, bt)):
            assert_allclose(got, want.grad.numpy())
    logits, target = rng.standard_normal((5, 7)), rng.integers(0, 7, 5)
    for reduction in ("mean", "sum", "none"):
        lt = torch.tensor(logits, requires_grad=True)
        loss = TF.cross_entropy(lt, torch.tensor(target), reduction=reduction)
        assert_allclose(F.cross_entropy(logits, target, reduction), loss.detach().numpy())
        (loss.sum() if reduction == "none" else loss).backward()
        grad_out = np.ones(5) if reduction == "none" else 1.0
        assert_allclose(F.cross_entropy_backward(grad_out, logits, target, reduction), lt.grad.numpy())


def test_group_and_layer_norm_agree_with_torch(rng):
    for shape, groups in (((2, 6, 4, 5), 3), ((3, 4, 3, 3), 1), ((2, 4, 3, 2), 4), ((5, 6), 2)):
        x, w, b = rng.standard_normal(shape), rng.standard_normal(shape[1]), rng.standard_normal(shape[1])
        xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
        yt = TF.group_norm(xt, groups, wt, bt, eps=1e-5)
        probe = _backward(yt, rng)
        assert_allclose(F.group_norm(x, groups, w, b), yt.detach().numpy(), atol=1e-10)
        for mine, theirs in zip(F.group_norm_backward(probe, x, groups, w, b), (xt.grad, wt.grad, bt.grad)):
            assert_allclose(mine, theirs.numpy(), atol=1e-10)
        if groups == 1 and len(shape) == 4:  # torch's layer_norm over (C, H, W), without its elementwise affine
            assert_allclose(F.layer_norm(x), TF.layer_norm(torch.tensor(x), shape[1:]).numpy(), atol=1e-10)


def test_label_smoothing_and_adamw_agree_with_torch(rng):
    from cnnbook import nn, optim

    logits, target = rng.standard_normal((6, 5)), rng.integers(0, 5, 6)
    lt = torch.tensor(logits, requires_grad=True)
    loss = TF.cross_entropy(lt, torch.tensor(target), label_smoothing=0.2)
    loss.backward()
    assert_allclose(F.cross_entropy(logits, target, label_smoothing=0.2), loss.item())
    assert_allclose(F.cross_entropy_backward(1.0, logits, target, label_smoothing=0.2), lt.grad.numpy())
    layer = nn.Linear(3, 2, rng=0, dtype=np.float64)
    weight = torch.tensor(layer.params["weight"].copy(), requires_grad=True)
    bias = torch.tensor(layer.params["bias"].copy(), requires_grad=True)
    mine, theirs = optim.AdamW(layer, lr=0.05, weight_decay=0.3), torch.optim.AdamW([weight, bias], lr=0.05,
                                                                                        weight_decay=0.3)
    for _ in range(5):
        grads = rng.standard_normal((2, 3)), rng.standard_normal(2)
        layer.grads["weight"][...], layer.grads["bias"][...] = grads
        weight.grad, bias.grad = torch.tensor(grads[0]), torch.tensor(grads[1])
        mine.step()
        theirs.step()
    assert_allclose(layer.params["weight"], weight.detach().numpy(), rtol=1e-10)
    assert_allclose(layer.params["bias"], bias.detach().numpy(), rtol=1e-10)
