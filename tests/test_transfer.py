"""Chapter 8's transfer learning: the tasks, the regimes, the frozen-feature shortcut, reproducibility, and the
claims the chapter's prose makes about its own measurements."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from cnnbook import nn, optim, train, transfer
from cnnbook.experiments import transfer as study


@pytest.fixture(scope="module")
def target():
    return transfer.tasks()[1]


@pytest.fixture(scope="module")
def backbone():
    return transfer.pretrained()[0]


def test_tasks_share_the_source_statistics_and_relabel_the_target(target):
    source, _ = transfer.tasks()
    assert source.x_train.shape == target.x_train.shape == (2000, 1, 14, 14)
    assert (target.mean, target.std) == (source.mean, source.std)
    assert abs(float(source.x_train.mean())) < 1e-4 and abs(float(target.x_train.mean())) > 1e-3
    assert sorted(np.unique(target.y_test).tolist()) == [0, 1, 2, 3, 4]
    assert np.bincount(target.y_test).tolist() == [100] * 5


def test_preprocessing_changes_one_thing_at_a_time(target):
    _, inverted = transfer.tasks(transfer.Preprocessing(invert=True))
    pixels = target.x_test * target.std + target.mean  # back to [0, 1]
    np.testing.assert_allclose(inverted.x_test * target.std + target.mean, 1 - pixels, atol=1e-5)
    _, big = transfer.tasks(transfer.Preprocessing(resolution=28))
    assert big.x_test.shape == (500, 1, 28, 28)
    with pytest.raises(ValueError, match="resolution must be 7, 14 or 28"):
        transfer.tasks(transfer.Preprocessing(resolution=20))


def test_labelled_is_balanced_seeded_and_checked(target):
    a, b = transfer.labelled(target, 30, seed=4), transfer.labelled(target, 30, seed=4)
    assert np.bincount(a.y_train).tolist() == [6] * 5
    assert np.array_equal(a.x_train, b.x_train) and not np.array_equal(a.x_train, transfer.labelled(target, 30).x_train)
    with pytest.raises(ValueError, match="multiple of the 5 classes"):
        transfer.labelled(target, 12)
    with pytest.raises(ValueError, match="more than"):
        transfer.labelled(target, 2005)


def test_adapt_copies_freezes_and_slows_what_it_should(backbone):
    model = transfer.adapt(backbone, copy=2, freeze=1, body_lr=0.25, rng=7)
    for index in (0, 1):
        assert np.array_equal(model[index][0].params["weight"], backbone[index][0].params["weight"])
    assert not np.array_equal(model[2][0].params["weight"], backbone[2][0].params["weight"])
    assert [model[i].frozen for i in range(3)] == [True, False, False]
    assert [model[i][0].lr_scale for i in range(3)] == [1.0, 0.25, 0.25] and model[4].lr_scale == 1.0
    trained = [name for name, _, _ in model.parameters(trainable_only=True)]
    assert trained == ["1.0.weight", "1.0.bias", "2.0.weight", "2.0.bias", "4.weight", "4.bias"]
    with pytest.raises(ValueError, match="freeze <= copy"):
        transfer.adapt(backbone, copy=1, freeze=2)


def test_scale_lr_scales_the_optimizer_step():
    net = nn.Sequential(nn.Linear(3, 2, rng=0), nn.Linear(2, 2, rng=1))
    net[0].scale_lr(0.5)
    before = [p.copy() for _, p, _ in net.parameters()]
    for _, _, g in net.parameters():
        g[...] = 1.0
    optim.SGD(net, lr=0.1).step()
    moved = [float(np.abs(b - p).max()) for b, (_, p, _) in zip(before, net.parameters())]
    np.testing.assert_allclose(moved, [0.05, 0.05, 0.1, 0.1], rtol=1e-6)
    with pytest.raises(ValueError, match="factor must be a number > 0"):
        net.scale_lr(0)


def test_frozen_feature_shortcut_gives_the_same_training(backbone, target):
    """fine_tune trains only the layers after the frozen blocks, on stored features: the same run as the long way."""
    few = transfer.labelled(target, 20, seed=1)
    fast = transfer.adapt(backbone, 3, 2, rng=5)
    accuracy = transfer.fine_tune(fast, few, steps=30, seed=1)
    slow = transfer.adapt(backbone, 3, 2, rng=5)
    history = train.fit(slow, few, optim.Adam(slow, lr=transfer.LR), 30, 20, seed=1, progress=False, eval_every=30)
    assert history["test_accuracy"][-1] == accuracy
    np.testing.assert_allclose(fast[4].params["weight"], slow[4].params["weight"], rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError, match="every layer of the model is frozen"):
        transfer.fine_tune(_all_frozen(backbone), few)


def _all_frozen(backbone):
    model = transfer.adapt(backbone, 3, 3, rng=0)
    model[4].freeze()
    return model


def test_a_run_is_reproduced_by_its_seed(backbone, target):
    first = study._run(backbone, target, 10, 2, 3, 0)
    again = study._run(backbone, target, 10, 2, 3, 0)
    assert first[0] == again[0]
    for (_, a, _), (_, b, _) in zip(first[1].parameters(), again[1].parameters()):
        assert np.array_equal(a, b)


def test_pretrained_backbone_is_cached_and_identical():
    (a, record_a), (b, record_b) = transfer.pretrained(), transfer.pretrained()
    assert record_a == record_b and record_a["source_accuracy"] > 0.9
    for key, value in a.state_dict().items():
        assert np.array_equal(value, b.state_dict()[key])


def test_class_separation_splits_the_sum_of_squares():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, size=60)
    features = rng.standard_normal((60, 4)) + 2.0 * labels[:, None]
    share = transfer.class_separation(features, labels)
    shuffled = transfer.class_separation(features, rng.permutation(labels))
    assert 0.5 < share < 1 and shuffled < 0.2
    with pytest.raises(ValueError, match="need features"):
        transfer.class_separation(features[:, 0], labels)


@pytest.mark.build
def test_the_chapter_claims_hold_for_the_measured_run(built_site, monkeypatch):
    """Sentences in chapter 8 that interpret the measurement must stay true of the run the build made."""
    from cnnbook import experiments

    monkeypatch.setenv("CNNBOOK_CACHE", str(built_site["cache"]))
    run = experiments.run("ch08.transfer")

    def mean(values):
        return float(np.mean(values))

    acc = {regime: [mean(v) for v in values] for regime, values in run["accuracy"].items()}
    # 8.2: pretrained regimes help most with few labels; frozen features fall behind with many; and are cheap
    assert max(acc[r][0] for r in acc if r != "scratch") > acc["scratch"][0] + 0.02
    assert run["seconds"]["feature extraction"] < run["seconds"]["scratch"]
    assert acc["feature extraction"][-1] < acc["scratch"][-1]
    assert acc["fine-tune all"][-1] >= acc["scratch"][-1]
    # 8.3: the frozen top block costs most; fine-tuned copies beat scratch; the default rate is the best tried
    frozen, tuned = ([mean(v) for v in run["depth"][m]] for m in ("frozen", "fine-tuned"))
    assert frozen[3] < frozen[2] and all(t > tuned[0] for t in tuned[1:])
    body = {float(k): mean(v) for k, v in run["body_lr_sweep"].items()}
    assert max(body, key=body.get) == transfer.BODY_LR
    # 8.4: every deployment mismatch is severe; a retrained head absorbs the missing standardization
    deployed = {k: mean(v) for k, v in run["mismatch"]["deployed"].items()}
    assert all(deployed[k] < deployed["matched"] - 0.15 for k in deployed if k != "matched")
    head = {k: mean(v) for k, v in run["mismatch"]["features"].items()}
    assert abs(head["not standardized"] - head["matched"]) < 0.02 and head["inverted contrast"] < head["matched"]
    # 8.5: fine-tuning separates the target digits more; it nudges the first layer rather than rewriting it
    assert run["features"]["fine-tuned"]["between"] > run["features"]["pretrained"]["between"]
    assert run["kernel_change"] < 0.5
    kernels = {k: np.asarray(v) for k, v in run["kernels"].items()}  # pretrained kernels still look like their start
    assert np.linalg.norm(kernels["pretrained"] - kernels["random"]) < 0.5 * np.linalg.norm(kernels["random"])


def test_mismatch_names_are_the_figure_labels():
    assert list(study.MISMATCHES)[0] == "matched"
    assert all(dataclasses.is_dataclass(p) for p in study.MISMATCHES.values())
