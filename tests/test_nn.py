"""The training engine: layers' gradients by finite differences, optimizers, the loop's reproducibility, weights on disk."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from cnnbook import data, nn, optim, train
from cnnbook.backend import to_numpy
from cnnbook.gradcheck import numerical_gradient


def _tiny_net(xp, seed=0):
    """Every layer kind at least once (squeeze-and-excitation's gate, swish, sigmoid, their hard versions, GELU,
    layer normalization, layer scale and a capped ReLU too), in float64 so finite differences are exact enough."""
    kw = dict(xp=xp, dtype=np.float64)
    rng = np.random.default_rng(seed)
    block = nn.Residual(nn.Sequential(nn.Conv2d(4, 4, 3, padding=1, rng=rng, **kw), nn.BatchNorm2d(4, **kw),
                                      nn.ReLU(), nn.Conv2d(4, 4, 3, padding=1, rng=rng, **kw)))
    branches = nn.Concat(nn.Conv2d(4, 2, 1, rng=rng, **kw),
                         nn.Sequential(nn.AvgPool2d(3, 1, 1), nn.Conv2d(4, 2, 1, groups=2, rng=rng, **kw)))
    excite = nn.Gate(nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(4, 2, 1, rng=rng, **kw), nn.SiLU(),
                                   nn.Conv2d(2, 4, 1, rng=rng, **kw), nn.Sigmoid()))
    hard = nn.Gate(nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(4, 4, 1, rng=rng, **kw), nn.Hardsigmoid()))
    return nn.Sequential(nn.Conv2d(2, 4, 3, padding=1, rng=rng, **kw), nn.ReLU(), block,
                         nn.ConvTranspose2d(4, 4, 2, stride=2, rng=rng, **kw), nn.MaxPool2d(2), branches, excite,
                         nn.Hardswish(), hard, nn.LayerNorm2d(4, **kw), nn.GELU(), nn.LayerScale(4, init=0.5, **kw),
                         nn.ReLU(cap=0.5), nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Dropout(0.0),
                         nn.Linear(16, 3, rng=rng, **kw))


def test_every_layer_gradient_matches_finite_differences(xp, rng):
    net = _tiny_net(xp)
    x = xp.asarray(rng.standard_normal((3, 2, 6, 6)))
    probe = xp.asarray(rng.standard_normal((3, 3)))
    y, cache = net.forward(x)
    net.zero_grad()
    grad_x = net.backward(probe, cache)

    def loss():  # batch norm in training mode: its batch statistics move with the perturbed values
        return float(xp.sum(net.forward(x)[0] * probe))

    checked = 0
    for name, param, grad in net.parameters():
        numeric = numerical_gradient(loss, param) if xp is np else None
        if numeric is not None:
            assert_allclose(to_numpy(grad), numeric, rtol=1e-5, atol=1e-7, err_msg=name)
            checked += 1
    if xp is np:
        assert_allclose(grad_x, numerical_gradient(loss, x), rtol=1e-5, atol=1e-7)
        assert checked == len(list(net.parameters())) == 25


def test_residual_passes_the_gradient_through_unchanged():
    body = nn.Sequential(nn.Conv2d(1, 1, 3, padding=1, rng=0, dtype=np.float64))
    body[0].params["weight"][...] = 0  # the body contributes nothing: the block is the identity
    block = nn.Residual(body)
    g = np.random.default_rng(1).standard_normal((2, 1, 5, 5))
    y, cache = block.forward(g.copy())
    assert_allclose(block.backward(g, cache), g)


def test_frozen_layers_do_not_change_and_backward_stops_early():
    net = nn.Sequential(nn.Conv2d(1, 3, 3, rng=0), nn.ReLU(), nn.Flatten(), nn.Linear(3 * 4 * 4, 2, rng=0))
    net[0].freeze()
    before = net[0].params["weight"].copy()
    x, y = np.ones((4, 1, 6, 6), np.float32), np.array([0, 1, 0, 1])
    opt = optim.SGD(net, lr=0.1)
    assert [name for name, _, _ in opt.params] == ["3.weight", "3.bias"]
    train.train_step(net, x, y)
    opt.step()
    assert (net[0].params["weight"] == before).all() and not net[0].grads["weight"].any()
    _, cache = net.forward(x)
    assert net.backward(np.ones((4, 2), np.float32), cache, input_grad=False) is None


def test_adam_and_sgd_reduce_a_quadratic():
    for make in (lambda m: optim.SGD(m, lr=0.1, momentum=0.9, weight_decay=1e-4), lambda m: optim.Adam(m, lr=0.1)):
        layer = nn.Linear(3, 1, bias=False, rng=0, dtype=np.float64)
        opt, target = make(layer), np.array([[1.0, -2.0, 0.5]])
        for _ in range(300):
            layer.grads["weight"][...] = layer.params["weight"] - target  # gradient of |w - t|²/2
            opt.step()
        assert_allclose(layer.params["weight"], target, atol=1e-2)


def test_schedules_and_bad_settings():
    assert optim.step_lr(1.0, 10)(25) == pytest.approx(0.01)
    assert optim.cosine_lr(0.1, 10)(10) == 0.0 and optim.cosine_lr(0.1, 10)(20) == 0.0
    with pytest.raises(ValueError, match="SGD: lr must be a number > 0"):
        optim.SGD(nn.Linear(1, 1), lr=-1)
    with pytest.raises(ValueError, match="no trainable parameters"):
        optim.Adam(nn.Linear(1, 1).freeze())
    with pytest.raises(ValueError, match="Conv2d: groups=3 must divide"):
        nn.Conv2d(4, 6, 3, groups=3)
    with pytest.raises(TypeError, match="Sequential: layer 1 must be a cnnbook.nn.Module"):
        nn.Sequential(nn.ReLU(), "relu")


def _small_digits(n=256):
    d = data.mnist(backend="numpy")
    return data.Digits(d.x_train[:n], d.y_train[:n], d.x_test[:100], d.y_test[:100], d.mean, d.std, True)


def test_fit_is_reproducible_and_learns():
    from cnnbook import models

    digits = _small_digits()
    histories = []
    for _ in range(2):
        net = models.build("lenet5", rng=3)
        aug = lambda x, rng: data.random_shift(x, 1, rng)  # noqa: E731
        histories.append(train.fit(net, digits, optim.Adam(net, lr=2e-3), 3, 32, seed=5, progress=False,
                                   augment=aug, log_every=4))
    assert histories[0] == {k: v for k, v in histories[1].items() if k != "seconds"} | {"seconds":
                                                                                      histories[0]["seconds"]}
    assert histories[0]["train_loss"][-1] < histories[0]["train_loss"][0]
    assert len(histories[0]["step_loss"]) == 3 * 8 // 4


def test_fit_refuses_bad_data_and_reports_divergence():
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10, rng=0))
    with pytest.raises(TypeError, match="fit: data must have x_train"):
        train.fit(net, (1, 2), optim.SGD(net), 1, progress=False)
    with pytest.raises(FloatingPointError, match="lower the learning rate"), np.errstate(invalid="ignore"):
        net[1].params["weight"][0, 0] = np.inf
        train.fit(net, _small_digits(64), optim.SGD(net, lr=0.1), 1, progress=False)


def test_save_and_load_round_trip(tmp_path):
    from cnnbook import models

    a, b = models.build("resnet_small", rng=0, depth=2), models.build("resnet_small", rng=1, depth=2)
    a.train()
    a(np.random.default_rng(0).standard_normal((4, 1, 28, 28)).astype(np.float32))  # moves the BN running stats
    train.save(a, tmp_path / "w.npz")
    train.load(b, tmp_path / "w.npz")
    assert all((b.state_dict()[k] == v).all() for k, v in a.state_dict().items())
    with pytest.raises(ValueError, match="load_state_dict: state does not fit this model"):
        train.load(models.build("lenet5"), tmp_path / "w.npz")


def test_mnist_split_and_shift():
    d = data.mnist(backend="numpy")
    assert d.x_train.dtype == np.float32 and d.x_train.shape == (4000, 1, 28, 28)
    assert np.bincount(d.y_train).tolist() == [400] * 10
    raw = data.mnist(normalize=False, backend="numpy")
    assert float(raw.x_train.min()) == 0.0 and float(raw.x_train.max()) == 1.0
    assert_allclose(raw.normalize(raw.x_test), d.x_test, atol=1e-6)
    shifted = data.random_shift(raw.x_train[:50], 2, rng=0)
    assert_allclose(shifted.sum(axis=(1, 2, 3)), raw.x_train[:50].sum(axis=(1, 2, 3)), rtol=0.25)
    with pytest.raises(ValueError, match="mnist: classes must be digits 0-9"):
        data.mnist(classes=[10])


def test_layer_norm_normalizes_each_position_and_refuses_other_shapes():
    x = np.random.default_rng(0).standard_normal((2, 5, 3, 4)) * 3 + 7
    y, _ = nn.LayerNorm2d(5, dtype=np.float64).forward(x)
    np.testing.assert_allclose(y.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=1), 1, rtol=1e-5)
    with pytest.raises(ValueError, match=r"LayerNorm2d: x must have shape \(N, 5, H, W\)"):
        nn.LayerNorm2d(5).forward(np.zeros((2, 4, 3, 3), np.float32))
    with pytest.raises(ValueError, match="LayerNorm2d: eps must be a number > 0"):
        nn.LayerNorm2d(5, eps=0)

