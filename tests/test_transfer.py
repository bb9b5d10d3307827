"""Chapter 9's transfer learning: the tasks, the regimes, the frozen-feature shortcut, reproducibility, and the
claims (cnnbook.facts.ch09) by which the chapter's prose compares its own measurements."""

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


def _chapter_claims():
    from cnnbook import facts

    facts.names()
    return [name for name in sorted(facts.CLAIMS) if name.startswith("ch09.")]


@pytest.mark.build
def test_the_chapter_claims_hold_for_the_measured_run(built_site, monkeypatch):
    """Every comparison chapter 9 draws is a claim (cnnbook.facts.ch09) that holds on the run the build made."""
    from cnnbook import facts

    monkeypatch.setenv("CNNBOOK_CACHE", str(built_site["cache"]))
    names = _chapter_claims()
    assert "ch09.pretraining_helps_with_10" in names and len(names) > 20
    for name in names:
        assert isinstance(facts.get_claim(name), str), name


def _freezing_wins_at_the_top(run):
    depth = run["depth"]
    depth["fine-tuned"][3], depth["frozen"][3] = depth["frozen"][3], depth["fine-tuned"][3]


def _harmless_deployment(run):
    run["mismatch"]["deployed"]["not standardized"] = list(run["mismatch"]["deployed"]["matched"])


def _unscaled_head_better(run):
    run["mismatch"]["features"]["not standardized"] = [a + 0.05 for a in run["mismatch"]["features"]["matched"]]


def _fine_tuning_blurs(run):
    tuned = run["features"]["fine-tuned"]
    tuned["between_by_seed"] = [run["features"]["pretrained"]["between"] - 0.01] * len(tuned["between_by_seed"])


def _frozen_features_as_slow(run):
    run["seconds_by_seed"]["feature extraction"] = list(run["seconds_by_seed"]["scratch"])


def _seeds_agree(run):
    """Every regime scores the same in every seed: no single seed can rank two regimes the other way round."""
    for regime, per_size in run["accuracy"].items():
        run["accuracy"][regime] = [[float(sum(values) / len(values))] * len(values) for values in per_size]


#: A change to the run that contradicts each claim: the claim must notice it.
CONTRADICTIONS = {
    "ch09.tuned_vs_frozen_top": _freezing_wins_at_the_top,
    "ch09.deployed_mismatches_hurt": _harmless_deployment,
    "ch09.head_absorbs_scale": _unscaled_head_better,
    "ch09.fine_tuning_separates": _fine_tuning_blurs,
    "ch09.features_cheaper": _frozen_features_as_slow,
    "ch09.single_run_can_mislead": _seeds_agree,
}


@pytest.mark.build
@pytest.mark.parametrize("name", sorted(CONTRADICTIONS))
def test_a_claim_fails_when_the_run_contradicts_it(built_site, monkeypatch, name):
    """The claims read the measurements they name: contradict one in a copy of the run and the claim fails."""
    import copy

    from cnnbook import experiments, facts
    from cnnbook.claims import ClaimError
    from cnnbook.facts import ch09

    monkeypatch.setenv("CNNBOOK_CACHE", str(built_site["cache"]))
    run = experiments.run("ch09.transfer")
    facts.get_claim(name)  # holds on the measured run
    broken = copy.deepcopy(run)
    CONTRADICTIONS[name](broken)
    monkeypatch.setattr(ch09, "transfer_run", lambda: broken)
    with pytest.raises(ClaimError):
        facts.get_claim(name)


def test_mismatch_names_are_the_figure_labels():
    assert list(study.MISMATCHES)[0] == "matched"
    assert all(dataclasses.is_dataclass(p) for p in study.MISMATCHES.values())
