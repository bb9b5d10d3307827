"""Numbers, tables and claims of chapter 9, "Transfer learning".

Every comparison the chapter draws between measurements is a claim
(:mod:`cnnbook.claims`): seed *i* draws the same labelled subset, the same new
weights and the same batch order in every regime, so two regimes' accuracies
are compared seed by seed, and a difference counts only when it has the same
sign in every seed.
"""

from __future__ import annotations

import functools
import inspect

import numpy as np

from cnnbook import checkpoint, models, nn, pretrained, transfer
from cnnbook.analysis.ch09 import SHOWN_PHOTOS, imagenet_run, imagenet_transfer_run, spread, transfer_run
from cnnbook.claims import ClaimError, compare, expect, points
from cnnbook.data import TEXTURES
from cnnbook.experiments.pretrained import TOP
from cnnbook.experiments.transfer import BODY_LRS, MISMATCHES, SEEDS, SIZES
from cnnbook.models.catalogue import EFFICIENTNET_LITE0_STAGES
from cnnbook.facts import claim, fact, table

#: Short names of the regimes in fact names.
SHORT = {"scratch": "scratch", "feature extraction": "features", "fine-tune top": "top", "fine-tune all": "all"}
#: The regimes as the prose names them.
PROSE = {"scratch": "training from scratch", "feature extraction": "feature extraction",
         "fine-tune top": "fine-tuning the top block", "fine-tune all": "fine-tuning everything"}
_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine", 10: "ten"}


def _in_words(number):
    """Small counts as words, the way prose writes them.

    >>> _in_words(3), _in_words(12)
    ('three', '12')
    """
    return _WORDS.get(number, str(number))


def _mean(values):
    return float(np.mean(values))


def _at(regime, size):
    """The per-seed accuracies of ``regime`` with ``size`` labelled target digits."""
    run = transfer_run()
    return run["accuracy"][regime][run["sizes"].index(size)]


def _default(function, parameter):
    """The default value of ``function``'s ``parameter``: the setting the chapter's runs use."""
    return inspect.signature(function).parameters[parameter].default


def _digits(classes):
    return f"{classes[0]} to {classes[-1]}"


# ---- the setup ----

@fact("ch09.machine")
def machine():
    return transfer_run()["machine"]


@fact("ch09.source_digits")
def source_digits():
    return _digits(transfer.SOURCE)


@fact("ch09.target_digits")
def target_digits():
    return _digits(transfer.TARGET)


@fact("ch09.classes")
def classes():
    """Classes of each task, in words."""
    return _in_words(len(transfer.TARGET))


@fact("ch09.chance")
def chance():
    """Accuracy of guessing among the target's classes."""
    return 1 / len(transfer.TARGET)


def _split_sizes():
    source, target = transfer.tasks()
    expect(source.x_train.shape == target.x_train.shape and source.x_test.shape == target.x_test.shape,
           "the source and target tasks have splits of the same size")
    return target


@fact("ch09.train_size")
def train_size():
    return int(len(_split_sizes().x_train))


@fact("ch09.test_size")
def test_size():
    return int(len(_split_sizes().x_test))


@fact("ch09.train_per_digit")
def train_per_digit():
    counts = np.bincount(_split_sizes().y_train)
    expect(counts.min() == counts.max(), "every target digit has as many training images")
    return int(counts[0])


@fact("ch09.test_per_digit")
def test_per_digit():
    counts = np.bincount(_split_sizes().y_test)
    expect(counts.min() == counts.max(), "every target digit has as many test images")
    return int(counts[0])


@fact("ch09.grid")
def grid():
    """The resolution the backbone works at, as ``"14×14"``."""
    size = transfer.Preprocessing().resolution
    return f"{size}×{size}"


@fact("ch09.raw_grid")
def raw_grid():
    """The resolution of the MNIST digits as stored (the wrong-resolution mismatch feeds them as they are)."""
    size = max(prep.resolution for prep in MISMATCHES.values())
    return f"{size}×{size}"


@fact("ch09.upscale")
def upscale():
    """How many times wider every stroke is at the stored resolution than at the backbone's, in words."""
    return _in_words(max(prep.resolution for prep in MISMATCHES.values()) // transfer.Preprocessing().resolution)


@fact("ch09.blocks")
def blocks():
    return _in_words(len(transfer.BLOCKS))


@fact("ch09.regime_count")
def regime_count():
    return _in_words(len(transfer.REGIMES))


@fact("ch09.mistakes")
def mistakes():
    """Preprocessing mistakes tried, in words."""
    return _in_words(len(MISMATCHES) - 1)


@fact("ch09.features")
def features():
    """Features per image at the backbone's top: the channels of conv3."""
    return int(transfer.backbone(rng=0)[4].params["weight"].shape[1])


@fact("ch09.conv1_filters")
def conv1_filters():
    return _in_words(int(transfer.backbone(rng=0)[0][0].params["weight"].shape[0]))


@fact("ch09.pretrain_epochs")
def pretrain_epochs():
    return int(_default(transfer.pretrained, "epochs"))


@fact("ch09.source_accuracy")
def source_accuracy():
    return transfer_run()["pretrain"]["source_accuracy"]


@fact("ch09.pretrain_seconds")
def pretrain_seconds():
    return transfer_run()["pretrain"]["seconds"]


@fact("ch09.total_seconds")
def total_seconds():
    return transfer_run()["seconds"]["total"]


@fact("ch09.backbone_params")
def backbone_params():
    return nn.count_parameters(transfer.backbone(rng=0))


@fact("ch09.resnet50_weights")
def resnet50_weights():
    """ResNet-50's parameters in words, ``"25.6 million"``."""
    return f"{models.summary('resnet50').params / 1e6:.1f} million"


@fact("ch09.head_params")
def head_params():
    return transfer_run()["trainable"]["feature extraction"]


@fact("ch09.top_params")
def top_params():
    return transfer_run()["trainable"]["fine-tune top"]


for _key in ("steps", "probe_steps", "lr", "body_lr", "study_size"):
    fact(f"ch09.{_key}")(lambda key=_key: transfer_run()[key])


@fact("ch09.body_rate")
def body_rate():
    """The learning rate the convolution blocks actually get: the head's times the multiplier."""
    run = transfer_run()
    return run["lr"] * run["body_lr"]


@fact("ch09.seeds")
def seeds():
    return _in_words(len(transfer_run()["seeds"]))


@fact("ch09.runs")
def runs():
    """How many networks the experiment trained on the target (the backbone's pretraining not counted)."""
    return transfer_run()["runs"]


@fact("ch09.sizes")
def sizes():
    """The numbers of labelled target digits tried, for prose: ``"10, 30, 100, 300 and 2,000"``."""
    names = [f"{n:,}" for n in transfer_run()["sizes"]]
    return ", ".join(names[:-1]) + " and " + names[-1]


def _tried(n):
    """``n``, a number of labelled target digits the run tried (the prose names sizes only through this)."""
    if n not in transfer_run()["sizes"]:
        raise ValueError(f"the run tried no set of {n} labelled digits")
    return n


for _n in SIZES:
    fact(f"ch09.size_{_n}")(lambda n=_n: _tried(n))
    fact(f"ch09.per_class_{_n}")(lambda n=_n: _tried(n) // len(transfer.TARGET))


@fact("ch09.batch_size")
def batch_size():
    return int(_default(transfer.fine_tune, "batch_size"))


def _steps_taken(n, steps):
    """The Adam steps :func:`cnnbook.transfer.fine_tune` takes on ``n`` labelled digits (whole passes, ``steps`` at least).

    >>> _steps_taken(10, 150), _steps_taken(100, 150)
    (150, 152)
    """
    batch = min(batch_size(), n)
    per_pass = -(-n // batch)
    return -(-steps // per_pass) * per_pass


@fact("ch09.passes_fewest")
def passes_fewest():
    """Passes over the smallest labelled set in one run: each of its digits is seen this many times."""
    n = min(transfer_run()["sizes"])
    return _steps_taken(n, transfer.STEPS) // -(-n // min(batch_size(), n))


@fact("ch09.steps_most")
def steps_most():
    """Steps of one run on the largest labelled set, where whole passes overshoot ``STEPS`` the most."""
    return max(_steps_taken(n, transfer.STEPS) for n in transfer_run()["sizes"])


# ---- the four regimes ----

for _regime, _short in SHORT.items():
    for _size in SIZES:
        fact(f"ch09.{_short}_{_size}")(lambda r=_regime, n=_size: _mean(_at(r, n)))
    fact(f"ch09.{_short}_seconds")(lambda r=_regime: transfer_run()["seconds"][r])


def _versus(a, b, size):
    return compare(_at(a, size), _at(b, size))


@claim("ch09.pretraining_helps_with_10")
def pretraining_helps_with_10():
    # a[i] and b[i] are seed i's accuracies (same seed: same labelled subset, same init, same batch order)
    return _versus("feature extraction", "scratch", 10).expect(
        "above", "feature extraction beats training from scratch with 10 labelled digits")


@claim("ch09.top_helps_with_10")
def top_helps_with_10():
    return _versus("fine-tune top", "scratch", 10).expect(
        "above", "fine-tuning the top block beats training from scratch with 10 labelled digits")


@claim("ch09.all_helps_with_10")
def all_helps_with_10():
    return _versus("fine-tune all", "scratch", 10).expect(
        "above", "fine-tuning everything beats training from scratch with 10 labelled digits")


@claim("ch09.top_vs_features_10")
def top_vs_features_10():
    return _versus("fine-tune top", "feature extraction", 10).expect(
        "within", "with 10 labelled digits fine-tuning the top block and feature extraction are within the spread")


@claim("ch09.all_behind_features_10")
def all_behind_features_10():
    """With 10 labelled digits fine-tuning everything falls behind both leaders: feature extraction and the top block."""
    words = [_versus("fine-tune all", other, 10).expect(
        "below", f"with 10 labelled digits fine-tuning everything falls behind {other}")
        for other in ("feature extraction", "fine-tune top")]
    return f"{PROSE['feature extraction']} {words[0]}; {PROSE['fine-tune top']} {words[1]}"


@claim("ch09.features_vs_scratch_30_100")
def features_vs_scratch_30_100():
    """With 30 and with 100 labelled digits, feature extraction is within the run-to-run spread of training from scratch."""
    words = [_versus("feature extraction", "scratch", n).expect(
        "within", f"with {n} labelled digits feature extraction is within the spread of training from scratch")
        for n in (30, 100)]
    return f"with 30, {words[0]}; with 100, {words[1]}"


@claim("ch09.features_behind_scratch_from_300")
def features_behind_scratch_from_300():
    """Feature extraction is below training from scratch at 300 labelled digits and at every larger size."""
    larger = [n for n in transfer_run()["sizes"] if n >= 300]
    words = [_versus("feature extraction", "scratch", n).expect(
        "below", f"with {n:,} labelled digits feature extraction falls behind training from scratch")
        for n in larger]
    return "; ".join(f"with {n:,}, {w}" for w, n in zip(words, larger))


@claim("ch09.all_best_at_2000")
def all_best_at_2000():
    """Fine-tuning everything beats each other regime with every labelled digit; the evidence against the runner-up."""
    most = max(transfer_run()["sizes"])
    others = [r for r in SHORT if r != "fine-tune all"]
    for other in others:
        _versus("fine-tune all", other, most).expect(
            "above", f"with all {most:,} labelled digits fine-tuning everything beats {other}")
    runner_up = max(others, key=lambda r: _mean(_at(r, most)))
    return f"of the runner-up, {PROSE[runner_up]}, {_versus('fine-tune all', runner_up, most).evidence()}"


@claim("ch09.scratch_second_at_2000")
def scratch_second_at_2000():
    """With every labelled digit, training from scratch beats both regimes that freeze copied blocks."""
    most = max(transfer_run()["sizes"])
    words = [_versus("scratch", frozen, most).expect(
        "above", f"with all {most:,} labelled digits training from scratch beats {frozen}")
        for frozen in ("fine-tune top", "feature extraction")]
    return f"{PROSE['fine-tune top']} {words[0]}; {PROSE['feature extraction']} {words[1]}"


def _seconds(regime):
    run = transfer_run()
    if "seconds_by_seed" not in run:
        raise ClaimError("the run kept no per-seed timings; recompute the experiment ch09.transfer")
    return run["seconds_by_seed"][regime]


@claim("ch09.features_cheaper")
def features_cheaper():
    """Feature extraction's runs (one total per seed, all sizes) took less time than training from scratch's."""
    return compare(_seconds("scratch"), _seconds("feature extraction"), paired=False, unit="times").expect(
        "above", "training from scratch takes longer than feature extraction")


@claim("ch09.single_run_can_mislead")
def single_run_can_mislead():
    """Find the pair of regimes and the size where single seeds disagree most about which regime is ahead."""
    run, best = transfer_run(), None
    for n in run["sizes"]:
        for a in SHORT:
            for b in SHORT:
                d = np.asarray(_at(a, n)) - np.asarray(_at(b, n))
                if d.max() > 0 > d.min():
                    swing = min(d.max(), -d.min())
                    if best is None or swing > best[0]:
                        best = (swing, n, a, b, int(np.argmax(d)), int(np.argmin(d)), d)
    if best is None:
        raise ClaimError("single seeds disagree about which regime is ahead somewhere: no pair of regimes does")
    _, n, a, b, up, down, d = best
    return (f"with {n:,} labelled digits, seed {run['seeds'][up]} puts {PROSE[a]} {points(d[up])} ahead of "
            f"{PROSE[b]}, and seed {run['seeds'][down]} puts it {points(d[down])} behind")


@fact("ch09.spread_10")
def spread_10():
    """The widest range (highest − lowest run, in points) of any regime with 10 labelled digits."""
    return round(100 * max(spread(_at(r, 10))[2] - spread(_at(r, 10))[1] for r in SHORT), 1)


@fact("ch09.spread_2000")
def spread_2000():
    return round(100 * max(spread(_at(r, 2000))[2] - spread(_at(r, 2000))[1] for r in SHORT), 1)


@table("ch09.regimes")
def regimes_table():
    run = transfer_run()
    lines = ["| labelled target digits | " + " | ".join(SHORT) + " |", "| ---: |" + " ---: |" * len(SHORT)]
    for i, size in enumerate(run["sizes"]):
        cells = []
        for regime in SHORT:
            mean, low, high = spread(run["accuracy"][regime][i])
            cells.append(f"{mean:.1%} ({low:.1%}–{high:.1%})")
        lines.append(f"| {size:,} | " + " | ".join(cells) + " |")
    seconds = run["seconds"]
    lines.append("| *seconds, all sizes and seeds* | " + " | ".join(f"{seconds[r]:.1f}" for r in SHORT) + " |")
    lines.append("| *parameters trained* | " + " | ".join(f"{run['trainable'][r]:,}" for r in SHORT) + " |")
    return "\n".join(lines)


# ---- transferability vs depth ----

def _depth(mode, copied):
    return transfer_run()["depth"][mode][copied]


for _blocks in range(len(transfer.BLOCKS) + 1):
    fact(f"ch09.frozen_{_blocks}")(lambda b=_blocks: _mean(_depth("frozen", b)))
    fact(f"ch09.tuned_{_blocks}")(lambda b=_blocks: _mean(_depth("fine-tuned", b)))


@claim("ch09.frozen_early_blocks_help")
def frozen_early_blocks_help():
    """Copying conv1, or conv1–conv2, frozen beats training from scratch with the study's labelled digits."""
    words = [compare(_depth("frozen", b), _depth("frozen", 0)).expect(
        "above", f"{b} frozen pretrained block(s) beat training from scratch") for b in (1, 2)]
    return f"with one block, {words[0]}; with two, {words[1]}"


@claim("ch09.frozen_all_vs_scratch")
def frozen_all_vs_scratch():
    """All three blocks copied and frozen (feature extraction) against training from scratch, at the study's size."""
    return compare(_depth("frozen", 3), _depth("frozen", 0)).expect(
        "within", "all three frozen pretrained blocks are within the run-to-run spread of training from scratch")


@claim("ch09.frozen_one_vs_two")
def frozen_one_vs_two():
    return compare(_depth("frozen", 2), _depth("frozen", 1)).expect(
        "within", "one and two frozen pretrained blocks are within the run-to-run spread of each other")


@claim("ch09.frozen_top_block_hurts")
def frozen_top_block_hurts():
    """Freezing conv3 as well falls behind freezing conv1 alone and conv1–conv2."""
    words = [compare(_depth("frozen", 3), _depth("frozen", b)).expect(
        "below", f"freezing all three blocks falls behind freezing {b}") for b in (1, 2)]
    return f"against one frozen block, {words[0]}; against two, {words[1]}"


@claim("ch09.tuned_vs_frozen_top")
def tuned_vs_frozen_top():
    return compare(_depth("fine-tuned", 3), _depth("frozen", 3)).expect(
        "above", "with all three blocks copied, fine-tuning them beats freezing them")


@claim("ch09.tuned_vs_frozen_early")
def tuned_vs_frozen_early():
    """With one or two blocks copied, fine-tuning and freezing them are within the run-to-run spread."""
    words = [compare(_depth("fine-tuned", b), _depth("frozen", b)).expect(
        "within", f"with {b} block(s) copied, fine-tuning and freezing them are within the spread") for b in (1, 2)]
    return f"with one block, {words[0]}; with two, {words[1]}"


@claim("ch09.tuned_early_beat_scratch")
def tuned_early_beat_scratch():
    words = [compare(_depth("fine-tuned", b), _depth("fine-tuned", 0)).expect(
        "above", f"{b} copied and fine-tuned block(s) beat training from scratch") for b in (1, 2)]
    return f"with one block, {words[0]}; with two, {words[1]}"


@claim("ch09.tuned_top_vs_two")
def tuned_top_vs_two():
    return compare(_depth("fine-tuned", 3), _depth("fine-tuned", 2)).expect(
        "below", "copying all three blocks and fine-tuning them falls behind copying two")


@claim("ch09.tuned_top_vs_scratch")
def tuned_top_vs_scratch():
    return compare(_depth("fine-tuned", 3), _depth("fine-tuned", 0)).expect(
        "within", "copying all three blocks and fine-tuning them is within the spread of training from scratch")


@claim("ch09.all_beats_scratch_2000")
def all_beats_scratch_2000():
    return _versus("fine-tune all", "scratch", max(transfer_run()["sizes"])).expect(
        "above", "with every labelled digit fine-tuning everything beats training from scratch")


# ---- learning rate of the copied layers ----

def _body(scale):
    return transfer_run()["body_lr_sweep"][str(scale)]


for _scale, _name in zip(BODY_LRS, ("slow", "default", "same")):
    fact(f"ch09.body_lr_{_name}")(lambda s=_scale: _mean(_body(s)))
    fact(f"ch09.body_lr_{_name}_scale")(lambda s=_scale: s)


@claim("ch09.default_rate_vs_slow")
def default_rate_vs_slow():
    slow, default, _ = BODY_LRS
    return compare(_body(default), _body(slow)).expect(
        "above", "the default rate of the copied blocks beats the slowest one tried")


@claim("ch09.default_rate_vs_same")
def default_rate_vs_same():
    """The run's own words for the default multiplier against the head's full rate (any outcome reads true)."""
    _, default, same = BODY_LRS
    c = compare(_body(default), _body(same))
    words = c.says("is ahead of", "falls behind", "is within the run-to-run spread of")
    return f"{words} the head's own rate ({c.evidence()})"


# ---- preprocessing ----

def _mismatch(kind, name):
    return transfer_run()["mismatch"][kind][name]


for _name, _short in zip(MISMATCHES, ("matched", "unscaled", "inverted", "resolution")):
    fact(f"ch09.deployed_{_short}")(lambda n=_name: _mean(_mismatch("deployed", n)))
    fact(f"ch09.head_{_short}")(lambda n=_name: _mean(_mismatch("features", n)))

_WRONG = [n for n in MISMATCHES if n != "matched"]


@claim("ch09.deployed_mismatches_hurt")
def deployed_mismatches_hurt():
    """Every mismatch at deployment is below the matched network, in every seed; the smallest loss in words."""
    for name in _WRONG:
        compare(_mismatch("deployed", name), _mismatch("deployed", "matched")).expect(
            "below", f"the fine-tuned network deployed on {name} inputs falls behind matched inputs")
    smallest = min(float(np.min(np.subtract(_mismatch("deployed", "matched"), _mismatch("deployed", n))))
                   for n in _WRONG)
    return f"at least {points(smallest)} in every one of {len(SEEDS)} seeds"


@claim("ch09.worst_deployed")
def worst_deployed():
    """The mismatch that falls behind every other one at deployment, in every seed (its name)."""
    worst = min(_WRONG, key=lambda n: _mean(_mismatch("deployed", n)))
    for other in _WRONG:
        if other != worst:
            compare(_mismatch("deployed", worst), _mismatch("deployed", other)).expect(
                "below", f"{worst} is the worst mismatch at deployment, below {other}")
    return worst


@claim("ch09.inverted_at_chance")
def inverted_at_chance():
    values = _mismatch("deployed", "inverted contrast")
    return compare(values, [chance()] * len(values)).expect(
        "within", "the fine-tuned network on inverted digits is within the run-to-run spread of chance")


@claim("ch09.head_absorbs_scale")
def head_absorbs_scale():
    return compare(_mismatch("features", "not standardized"), _mismatch("features", "matched")).expect(
        "within", "a head trained on unstandardized features is within the spread of one on matched features")


@claim("ch09.head_inverted_loses")
def head_inverted_loses():
    return compare(_mismatch("features", "inverted contrast"), _mismatch("features", "matched")).expect(
        "below", "a head trained on inverted digits falls behind one trained on matched digits")


@claim("ch09.head_resolution_loses")
def head_resolution_loses():
    return compare(_mismatch("features", "28×28, not 14×14"), _mismatch("features", "matched")).expect(
        "below", "a head trained on digits at the wrong resolution falls behind one trained on matched digits")


@table("ch09.mismatch")
def mismatch_table():
    run = transfer_run()
    lines = ["| preprocessing of the target digits | fine-tuned network, deployed on them | new head trained on them |",
             "| --- | ---: | ---: |"]
    for name in MISMATCHES:
        deployed, head = (spread(run["mismatch"][k][name]) for k in ("deployed", "features"))
        lines.append(f"| {name} | {deployed[0]:.1%} ({deployed[1]:.1%}–{deployed[2]:.1%}) "
                     f"| {head[0]:.1%} ({head[1]:.1%}–{head[2]:.1%}) |")
    return "\n".join(lines)


# ---- what the features look like ----

@fact("ch09.kernel_change")
def kernel_change():
    """‖fine-tuned − pretrained‖ / ‖pretrained‖ over the first-layer kernels, for the seed-0 network drawn."""
    return transfer_run()["kernel_change"]


@fact("ch09.pretrain_kernel_change")
def pretrain_kernel_change():
    """‖pretrained − random‖ / ‖random‖ over the eight first-layer kernels."""
    return _pretrain_kernel_change()


def _pretrain_kernel_change():
    kernels = transfer_run()["kernels"]
    random, pretrained = np.asarray(kernels["random"]), np.asarray(kernels["pretrained"])
    return float(np.linalg.norm(pretrained - random) / np.linalg.norm(random))


@claim("ch09.fine_tuning_moves_kernels_less")
def fine_tuning_moves_kernels_less():
    """Fine-tuning (every seed's network) moved the first-layer kernels less, relative to where they started,
    than pretraining had moved them from their random start."""
    run = transfer_run()
    if "kernel_change_by_seed" not in run:
        raise ClaimError("the run kept no per-seed kernel changes; recompute the experiment ch09.transfer")
    changes = run["kernel_change_by_seed"]
    return compare(changes, [_pretrain_kernel_change()] * len(changes)).expect(
        "below", "fine-tuning moves the first-layer kernels less than pretraining did")


@claim("ch09.fine_tuning_separates")
def fine_tuning_separates():
    """Every seed's fine-tuned backbone puts more of the features' variance between the target digits."""
    features_run = transfer_run()["features"]
    if "between_by_seed" not in features_run["fine-tuned"]:
        raise ClaimError("the run kept no per-seed separations; recompute the experiment ch09.transfer")
    tuned = features_run["fine-tuned"]["between_by_seed"]
    return compare(tuned, [features_run["pretrained"]["between"]] * len(tuned)).expect(
        "above", "fine-tuning puts more of the features' variance between the target digits")


@fact("ch09.between_pretrained")
def between_pretrained():
    return transfer_run()["features"]["pretrained"]["between"]


@fact("ch09.between_tuned")
def between_tuned():
    return transfer_run()["features"]["fine-tuned"]["between"]


@fact("ch09.explained_pretrained")
def explained_pretrained():
    return transfer_run()["features"]["pretrained"]["explained"]


@fact("ch09.explained_tuned")
def explained_tuned():
    return transfer_run()["features"]["fine-tuned"]["explained"]


# ---- how far Adam can move a weight ----

@fact("ch09.adam_bound_body")
def adam_bound_body():
    """Adam moves a weight by about its learning rate per step at most: the bound after a run, copied layers."""
    run = transfer_run()
    return round(run["lr"] * run["body_lr"] * run["steps"], 3)


@fact("ch09.adam_bound_head")
def adam_bound_head():
    """The same bound at the head's learning rate, as if the copied layers learned as fast as the new head."""
    run = transfer_run()
    return round(run["lr"] * run["steps"], 3)


@fact("ch09.conv3_weight_std")
def conv3_weight_std():
    """Standard deviation of the pretrained conv3 weights (the size of what a step would change)."""
    model, _ = transfer.pretrained()
    return round(float(np.std(model[2][0].params["weight"])), 3)


@claim("ch09.adam_bounds_vs_weights")
def adam_bounds_vs_weights():
    """Both bounds exceed the typical pretrained conv3 weight; the head's many times over. Exact arithmetic."""
    std = conv3_weight_std()
    head, body = adam_bound_head(), adam_bound_body()
    expect(head > 5 * std, "at the head's rate the bound is many times a typical conv3 weight")
    expect(body > std, "at the copied blocks' rate the bound still exceeds a typical conv3 weight")
    return f"{head / std:.0f} and {body / std:.1f} times the standard deviation"


# ---- a real ImageNet network (section 9.7) ----

@functools.cache
def _lite0():
    return models.summary("efficientnet_lite0")


@fact("ch09.lite0_params")
def lite0_params():
    return f"{_lite0().params:,}"


@fact("ch09.lite0_macs")
def lite0_macs():
    return f"{_lite0().macs / 1e6:.0f} million"


@fact("ch09.lite0_blocks")
def lite0_blocks():
    return sum(stage[-1] for stage in EFFICIENTNET_LITE0_STAGES)


@fact("ch09.lite0_stages")
def lite0_stages():
    return _in_words(len(EFFICIENTNET_LITE0_STAGES))


@fact("ch09.lite0_stem")
def lite0_stem():
    """The first layer, in words: "a 3×3 convolution at stride 2"."""
    first = _lite0().rows[0].layer
    return f"a {first.k}×{first.k} convolution at stride {first.stride}"


@fact("ch09.lite0_head")
def lite0_head():
    """Channels of the last convolution, before global pooling."""
    conv = [row for row in _lite0().rows if row.kind == "Conv"][-1]
    return f"{conv.output[0]:,}"


@fact("ch09.shown_count")
def shown_count():
    return _in_words(len(SHOWN_PHOTOS))


@fact("ch09.top_count")
def top_count():
    return _in_words(TOP)


@fact("ch09.lite0_kernels")
def lite0_kernels():
    """The depthwise kernel sizes of the stages, in words: "3×3 or 5×5"."""
    sizes = sorted({stage[1] for stage in EFFICIENTNET_LITE0_STAGES})
    return " or ".join(f"{k}×{k}" for k in sizes)


@fact("ch09.lite0_unexpanded")
def lite0_unexpanded():
    """Which blocks do not widen their input: "the first block" when only stage 1 (one block) has expansion 1."""
    plain = [stage for stage in EFFICIENTNET_LITE0_STAGES if stage[0] == 1]
    if plain != [EFFICIENTNET_LITE0_STAGES[0]] or plain[0][-1] != 1:
        raise ValueError("ch09.lite0_unexpanded: the text says only the first block does not widen its input")
    return "the first block"


@fact("ch09.lite0_expansion")
def lite0_expansion():
    return _in_words(max(stage[0] for stage in EFFICIENTNET_LITE0_STAGES))


@fact("ch09.lite0_input")
def lite0_input():
    return f"{pretrained.INPUT_SIZE}×{pretrained.INPUT_SIZE}"


@fact("ch09.lite0_crop")
def lite0_crop():
    return f"{pretrained.CROP:.1%}"


@fact("ch09.lite0_scaling")
def lite0_scaling():
    """The network's input scaling on 8-bit pixel values ``v``, as it was trained."""
    return f"(v − {pretrained.MEAN * 255:.0f}) / {pretrained.STD * 255:.0f}"


@fact("ch09.lite0_arrays")
def lite0_arrays():
    return len(checkpoint.read_state_dict(pretrained.weights_path()))


@fact("ch09.lite0_classes")
def lite0_classes():
    return f"{len(pretrained.imagenet_classes()):,}"


@fact("ch09.lite0_machine")
def lite0_machine():
    return imagenet_run()["machine"]


@fact("ch09.lite0_ms")
def lite0_ms():
    return f"{1000 * float(np.median(imagenet_run()['seconds']['network'])):.0f} ms"


@fact("ch09.lite0_folded_ms")
def lite0_folded_ms():
    return f"{1000 * float(np.median(imagenet_run()['seconds']['folded'])):.0f} ms"


@fact("ch09.folding_words")
def folding_words():
    """What folding did to the time on this machine, in the words the rule chooses (timings are unpaired rounds)."""
    seconds = imagenet_run()["seconds"]
    c = compare(seconds["network"], seconds["folded"], paired=False, unit="times")
    return (f"{c.says('made it faster', 'made it slower', 'made no difference beyond the spread of the rounds')} "
            f"({c.evidence()})")


def _names():
    return pretrained.imagenet_classes()


def _top(photo, mistake="as trained", k=1):
    return imagenet_run()["top"][photo][mistake][:k]


def _classes(photo, k, mistake="as trained"):
    """The ``k`` most probable classes of ``photo`` in words: "espresso (95%)", "a, b and c" for several."""
    names = [f"{_names()[i]} ({p:.0%})" for i, p in _top(photo, mistake, k)]
    return names[0] if k == 1 else ", ".join(names[:-1]) + " and " + names[-1]


@fact("ch09.photo_count")
def photo_count():
    return _in_words(len(imagenet_run()["photos"]))


@fact("ch09.cat_top3")
def cat_top3():
    return _classes("chelsea", 3)


@fact("ch09.cat_top1_p")
def cat_top1_p():
    return f"{_top('chelsea')[0][1]:.0%}"


@fact("ch09.cat_top3_mass")
def cat_top3_mass():
    return f"{sum(p for _, p in _top('chelsea', k=3)):.0%}"


@claim("ch09.cat_top3_are_cats")
def cat_top3_are_cats():
    """The three most probable classes of the cat photograph are all domestic cats (ImageNet's 281 to 285)."""
    top = [i for i, _ in _top("chelsea", k=3)]
    expect(all(281 <= i <= 285 for i in top), f"the cat's top three classes are domestic cats; got {top}")
    return ""


@fact("ch09.coffee_top")
def coffee_top():
    return _classes("coffee", 1)


@fact("ch09.camera_top")
def camera_top():
    return _classes("camera", 1)


@fact("ch09.astronaut_top")
def astronaut_top():
    return _classes("astronaut", 3)


def _mistakes():
    return [m for m in imagenet_run()["mistakes"] if m != "as trained"]


def _changed(mistake):
    run = imagenet_run()
    return [name for name in run["photos"] if _top(name, mistake)[0][0] != _top(name)[0][0]]


@fact("ch09.changed_counts")
def changed_counts():
    """How many photographs change their top class under each mistake, in the table's order, as prose (the
    channel order can only change the colour photographs: a grey one's three channels are equal)."""
    run = imagenet_run()
    parts = []
    for mistake in _mistakes():
        if mistake == "BGR channel order":
            parts.append(f"{mistake} {len(_changed(mistake))} of the {_in_words(len(run['colour']))} in colour")
        else:
            parts.append(f"{mistake} {len(_changed(mistake))}")
    return ", ".join(parts[:-1]) + " and " + parts[-1]


@fact("ch09.confident_photos")
def confident_photos():
    """The photographs whose top class keeps over half the probability when prepared as trained."""
    run = imagenet_run()
    names = [n for n in run["photos"] if _top(n)[0][1] > 0.5]
    return " and ".join(names)


@claim("ch09.confident_photos_keep_their_class")
def confident_photos_keep_their_class():
    """Every photograph classified with over half the probability keeps its top class under every mistake, and
    every other photograph changes its top class under at least one."""
    run = imagenet_run()
    confident = [n for n in run["photos"] if _top(n)[0][1] > 0.5]
    expect(len(confident) >= 2, f"at least two photographs are classified with over 50%; got {confident}")
    for mistake in _mistakes():
        moved = [n for n in confident if n in _changed(mistake)]
        expect(not moved, f"the confidently classified photographs keep their class under {mistake}; {moved} do not")
    unsure = [n for n in run["photos"] if n not in confident]
    kept = [n for n in unsure if not any(n in _changed(m) for m in _mistakes())]
    expect(not kept, f"every photograph classified with at most 50% changes class under some mistake; {kept} do not")
    return ""


def _kept(mistake, photos):
    run = imagenet_run()
    return ([run["kept"][n]["as trained"] for n in photos], [run["kept"][n][mistake] for n in photos])


@fact("ch09.kept_words")
def kept_words():
    """Mistake by mistake, what it does to the probability of the right class, by the book's rule over the
    photographs (channel order over the colour photographs only: a grey photograph's channels are equal)."""
    run = imagenet_run()
    parts = []
    for mistake in _mistakes():
        photos = run["colour"] if mistake == "BGR channel order" else run["photos"]
        c = compare(*_kept(mistake, photos), over="colour photographs" if photos is run["colour"] else "photographs")
        parts.append(f"{mistake} {c.says('lowers it', 'raises it', 'moves it either way')} ({c.evidence()})")
    return "; ".join(parts)


@table("ch09.imagenet_mistakes")
def imagenet_mistakes_table():
    """Each photograph's most probable class and its probability, prepared as trained and with each mistake; a
    class that differs from the right preparation's is in bold."""
    run = imagenet_run()
    names = _names()
    mistakes = run["mistakes"]
    lines = ["| photograph | " + " | ".join(mistakes) + " |", "| --- |" + " --- |" * len(mistakes)]
    for photo in run["photos"]:
        right = _top(photo)[0][0]
        cells = []
        for mistake in mistakes:
            (index, p), = _top(photo, mistake)
            text = f"{names[index]} {p:.0%}"
            cells.append(f"**{text}**" if index != right else text)
        lines.append(f"| {photo} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# ---- transfer from ImageNet to two real tasks ----

def _task(name):
    return imagenet_transfer_run()["tasks"][name]


def _real(task, kind, n):
    """Per-seed accuracies of a linear head on ``kind`` ("features" or "pixels") with ``n`` labelled examples."""
    run = _task(task)
    return run["accuracy"][kind][run["sizes"].index(n)]


def _stage(task, name):
    return dict((stage, accuracy) for stage, accuracy in _task(task)["stages"])[name]


def _best_stage(task):
    """The stage whose pooled output the nearest-class-mean head reads best, by the mean over seeds."""
    return max(_task(task)["stages"], key=lambda item: float(np.mean(item[1])))[0]


def _ranged(values):
    mean, low, high = spread(values)
    return f"{mean:.1%} ({low:.1%} to {high:.1%})"


@fact("ch09.real_digit_side")
def real_digit_side():
    side = _task("digits")["side"]
    return f"{side}×{side}"


@fact("ch09.real_patch_side")
def real_patch_side():
    side = _task("textures")["side"]
    return f"{side}×{side}"


@fact("ch09.real_textures")
def real_textures():
    return ", ".join(TEXTURES[:-1]) + " and " + TEXTURES[-1]


@fact("ch09.real_patches_per_half")
def real_patches_per_half():
    """Patches of each texture in the training pool (its left half), as many as in the test set (its right half)."""
    run = _task("textures")
    expect(run["pool"] == run["test"], "the texture patches' training pool and test set are the same size")
    return run["test"] // run["classes"]


@fact("ch09.real_test_patches")
def real_test_patches():
    return _task("textures")["test"]


@fact("ch09.real_texture_count")
def real_texture_count():
    return _in_words(len(TEXTURES))


@fact("ch09.real_stage_count")
def real_stage_count():
    """The pooled outputs probed: the stem, every stage of blocks and the head, in words."""
    stages = _task("digits")["stages"]
    expect(len(stages) == len(_task("textures")["stages"]) == len(EFFICIENTNET_LITE0_STAGES) + 2,
           "both tasks probe the stem, every stage of blocks and the head")
    return _in_words(len(stages))


@fact("ch09.real_small_body_params")
def real_small_body_params():
    """Weights of the digits backbone without its classifier: what feature extraction keeps of it."""
    net = transfer.backbone(rng=0)
    return f"{nn.count_parameters(net) - nn.count_parameters(net.children[-1]):,}"


@fact("ch09.real_lite0_body_params")
def real_lite0_body_params():
    """Weights of EfficientNet-Lite0 without its ImageNet classifier."""
    rows = _lite0().rows
    expect(rows[-1].kind == "Linear", "EfficientNet-Lite0 ends in its linear classifier")
    return f"{_lite0().params - rows[-1].params:,}"


@fact("ch09.real_digit_probe")
def real_digit_probe():
    return _task("digits")["probe"]


@fact("ch09.real_texture_probe")
def real_texture_probe():
    return _task("textures")["probe"] // _task("textures")["classes"]


@fact("ch09.real_probe_pixels_digits")
def real_probe_pixels_digits():
    return _ranged(_task("digits")["probe_pixels"])


@claim("ch09.real_best_stage_beats_pixels")
def real_best_stage_beats_pixels():
    """On the digits, the best stage's pooled output beats the raw pixels under the same nearest-class-mean head."""
    best = _best_stage("digits")
    return compare(_stage("digits", best), _task("digits")["probe_pixels"]).expect(
        "above", f"on the digits, {best}'s pooled output beats the pixels under the nearest-class-mean head")


@fact("ch09.real_seeds")
def real_seeds():
    return _in_words(len(imagenet_transfer_run()["seeds"]))


@fact("ch09.real_images")
def real_images():
    """Images the network ran on for the study, both tasks (only the training images some draw uses)."""
    return f"{sum(task['images'] for task in imagenet_transfer_run()['tasks'].values()):,}"


@fact("ch09.real_feature_ms")
def real_feature_ms():
    """Milliseconds of the network's forward pass per image, every stage's pooled output kept, at the study's sizes."""
    tasks = imagenet_transfer_run()["tasks"].values()
    return f"{1000 * sum(t['feature_seconds'] for t in tasks) / sum(t['images'] for t in tasks):.0f} ms"


@fact("ch09.real_seconds")
def real_seconds():
    return f"{imagenet_transfer_run()['seconds']:.0f} s"


@fact("ch09.real_machine")
def real_machine():
    return imagenet_transfer_run()["machine"]


@fact("ch09.real_one_shot")
def real_one_shot():
    """The head on the ImageNet features with one labelled patch of each texture: mean and range over seeds."""
    return _ranged(_real("textures", "features", _task("textures")["sizes"][0]))


@fact("ch09.real_pixels_best")
def real_pixels_best():
    """The best mean accuracy of the head on the textures' raw pixels, at any label count."""
    return f"{max(spread(values)[0] for values in _task('textures')['accuracy']['pixels']):.1%}"


@fact("ch09.real_texture_chance")
def real_texture_chance():
    return f"{1 / _task('textures')['classes']:.1%}"


@claim("ch09.real_textures_features_beat_pixels")
def real_textures_features_beat_pixels():
    """On the texture patches, the ImageNet features beat the raw pixels at every label count, seed by seed."""
    words = [compare(_real("textures", "features", n), _real("textures", "pixels", n)).expect(
        "above", f"with {n} labelled patches the ImageNet features beat the pixels on the textures")
        for n in _task("textures")["sizes"]]
    return f"with one labelled patch of each texture, {words[0]}"


@claim("ch09.real_digits_features_vs_pixels")
def real_digits_features_vs_pixels():
    """On the digits, the ImageNet features are within the spread of the raw pixels at every label count."""
    words = [compare(_real("digits", "features", n), _real("digits", "pixels", n)).expect(
        "within", f"with {n} labelled digits the ImageNet features are within the spread of the pixels")
        for n in _task("digits")["sizes"]]
    return "; ".join(f"with {n}, {w}" for n, w in zip(_task("digits")["sizes"], words))


@claim("ch09.real_digits_features_vs_scratch")
def real_digits_features_vs_scratch():
    """On the digits, the ImageNet features are within the spread of training from scratch at every label count."""
    words = [compare(_real("digits", "features", n), _at("scratch", n)).expect(
        "within", f"with {n} labelled digits the ImageNet features are within the spread of training from scratch")
        for n in _task("digits")["sizes"]]
    return "; ".join(f"with {n}, {w}" for n, w in zip(_task("digits")["sizes"], words))


@claim("ch09.real_digits_backbone_beats_imagenet_at_10")
def real_digits_backbone_beats_imagenet_at_10():
    """With 10 labelled digits, the small backbone pretrained on the other digits gives better features than
    ImageNet's network, seed by seed (the same draws, the same head and training)."""
    n = _task("digits")["sizes"][0]
    return compare(_at("feature extraction", n), _real("digits", "features", n)).expect(
        "above", f"with {n} labelled digits the digits backbone's features beat EfficientNet-Lite0's")


@fact("ch09.real_best_digit_stage")
def real_best_digit_stage():
    return _best_stage("digits")


@fact("ch09.real_best_digit_stage_accuracy")
def real_best_digit_stage_accuracy():
    return _ranged(_stage("digits", _best_stage("digits")))


@fact("ch09.real_head_digit_stage_accuracy")
def real_head_digit_stage_accuracy():
    return _ranged(_stage("digits", "head"))


@claim("ch09.real_middle_stage_for_digits")
def real_middle_stage_for_digits():
    """On the digits, the best stage is a middle one, neither the last stage nor the head, and it beats the head seed
    by seed."""
    best, names = _best_stage("digits"), [name for name, _ in _task("digits")["stages"]]
    expect(names.index(best) < len(names) - 2, f"the best stage for the digits is before the last two; got {best}")
    return compare(_stage("digits", best), _stage("digits", "head")).expect(
        "above", f"on the digits, {best}'s pooled output beats the head's")


@fact("ch09.real_texture_floor")
def real_texture_floor():
    """How many test patches every stage from stage 2 to the head classifies in every seed: "all", or "at least" the
    lowest accuracy of any of them."""
    lowest = min(min(accuracy) for name, accuracy in _task("textures")["stages"][2:])
    return "all" if lowest == 1 else f"at least {lowest:.1%}"


@claim("ch09.real_textures_from_stage_2")
def real_textures_from_stage_2():
    """On the textures, stage 2's pooled output beats the stem's and stage 1's seed by seed (from stage 2 on, every
    stage is near perfect)."""
    names = [name for name, _ in _task("textures")["stages"]]
    expect(names[:3] == ["stem", "stage 1", "stage 2"], f"the stages are named in order; got {names[:3]}")
    words = [compare(_stage("textures", "stage 2"), _stage("textures", shallow)).expect(
        "above", f"on the textures, stage 2's pooled output beats {shallow}'s") for shallow in ("stage 1", "stem")]
    return f"stage 2 beats stage 1 {words[0]}, and the stem {words[1]}"


def _real_table(task, rows):
    run = _task(task)
    header = [label for label, _ in rows]
    lines = ["| " + ("labelled digits" if task == "digits" else "labelled patches per texture") + " | "
             + " | ".join(header) + " |", "| ---: |" + " ---: |" * len(rows)]
    for n in run["sizes"]:
        shown = n if task == "digits" else n // run["classes"]
        lines.append(f"| {shown} | " + " | ".join(_ranged(values(n)) for _, values in rows) + " |")
    return "\n".join(lines)


@table("ch09.real_digits")
def real_digits_table():
    """Digits 5–9: the linear head on ImageNet features and on pixels, and the digits study's regimes on the same
    draws; mean (lowest to highest) over the seeds."""
    return _real_table("digits", [
        ("ImageNet features", lambda n: _real("digits", "features", n)),
        ("raw pixels", lambda n: _real("digits", "pixels", n)),
        ("digits backbone's features", lambda n: _at("feature extraction", n)),
        ("from scratch", lambda n: _at("scratch", n)),
        ("fine-tune all", lambda n: _at("fine-tune all", n)),
    ])


@table("ch09.real_textures")
def real_textures_table():
    return _real_table("textures", [
        ("ImageNet features", lambda n: _real("textures", "features", n)),
        ("raw pixels", lambda n: _real("textures", "pixels", n)),
    ])

