"""Numbers, tables and claims of chapter 7, "Training a CNN".

The comparisons the chapter draws from its two seeded studies (data efficiency, depth) are claims
(:mod:`cnnbook.claims`): each reads every seed's value and either states the difference the rule
supports or fails the build.
"""

from __future__ import annotations

import numpy as np

from cnnbook import models, optim, train
from cnnbook.analysis.ch07 import (
    RANGE_SMOOTH,
    range_minimum,
    schedule_runs,
    AUGMENTATION_COLOURS,
    augmentation_runs,
    LOSS_CAP,
    confusion,
    efficiency_run,
    final_losses,
    kernel_change,
    lenet_run,
    mistakes,
    normalization_runs,
    rate_runs,
    regularization_runs,
    REGULARIZERS,
)
from cnnbook.claims import ClaimError, compare, expect, points
from cnnbook.facts import claim, fact, format_value, table
from cnnbook.formatting import join_words


# ---- LeNet-5 on the digits (one seeded run: described, never compared) ----


@fact("ch07.lenet_accuracy")
def lenet_accuracy():
    return lenet_run()["history"]["test_accuracy"][-1]


@fact("ch07.lenet_correct")
def lenet_correct():
    return int(np.trace(confusion()))


@fact("ch07.lenet_wrong")
def lenet_wrong():
    return len(mistakes())


@fact("ch07.lenet_seconds")
def lenet_seconds():
    return lenet_run()["seconds"]


@fact("ch07.lenet_epoch_seconds")
def lenet_epoch_seconds():
    return float(np.median(lenet_run()["history"]["seconds"]))


@fact("ch07.machine")
def machine():
    return lenet_run()["machine"]


@fact("ch07.lenet_recipe")
def lenet_recipe():
    return train.RECIPES["lenet5"].describe()


@fact("ch07.lenet_epochs")
def lenet_epochs():
    return train.RECIPES["lenet5"].epochs


@fact("ch07.lenet_params")
def lenet_params():
    return models.summary("lenet5").params


@fact("ch07.lenet_macs")
def lenet_macs():
    return models.summary("lenet5").macs


@fact("ch07.lenet_fc_share")
def lenet_fc_share():
    return models.summary("lenet5").share("Linear")


def _lenet_rows(kind):
    return [r for r in models.summary("lenet5").rows if r.kind == kind]


@fact("ch07.lenet_conv1_filters")
def lenet_conv1_filters():
    """Filters of LeNet-5's first convolution (the kernels the chapter shows)."""
    return _lenet_rows("Conv")[0].layer.out


@fact("ch07.lenet_padding")
def lenet_padding():
    return _lenet_rows("Conv")[0].layer.padding


@fact("ch07.lenet_frame")
def lenet_frame():
    """The padded input of LeNet-5's first convolution, ``'32×32'``: the frame of the 1998 paper's input."""
    side = models.MODELS["lenet5"].input_shape[-1] + 2 * lenet_padding()
    return f"{side}×{side}"


@fact("ch07.lenet_flat")
def lenet_flat():
    """How many numbers the dense layers of LeNet-5 read (the flattened output of the second pool)."""
    return _lenet_rows("Flatten")[0].output[0]


@fact("ch07.lenet_first_epoch")
def lenet_first_epoch():
    return lenet_run()["history"]["test_accuracy"][0]


@fact("ch07.kernel_change")
def kernel_change_fact():
    return kernel_change()


@fact("ch07.top_confusion")
def top_confusion():
    matrix = confusion()
    off = matrix - np.diag(np.diag(matrix))
    true, predicted = np.unravel_index(int(np.argmax(off)), off.shape)
    times = int(off[true, predicted])
    return f"{true} read as {predicted} ({times} time{'s' if times > 1 else ''})"


@claim("ch07.lenet_curves")
def lenet_curves():
    """What the text says of the one LeNet-5 run's curves: a description of this run, not a comparison."""
    history = lenet_run()["history"]
    expect(history["train_accuracy"][0] < history["test_accuracy"][0],
           "the running training accuracy of the first epoch trails the test accuracy")
    half = len(history["train_loss"]) // 2
    expect(history["train_loss"][-1] < history["test_loss"][-1] and
           history["train_loss"][-1] / history["train_loss"][half] < history["test_loss"][-1] / history["test_loss"][half],
           "over the second half of the run the training loss falls further than the test loss, below it")
    return (f"in this run the training loss ends at {history['train_loss'][-1]:.3f} and the test loss at "
            f"{history['test_loss'][-1]:.3f}")


@table("ch07.lenet_layers")
def lenet_layers():
    lines = ["| layer | output (C×H×W) | parameters | multiply-accumulates | receptive field |",
             "| --- | ---: | ---: | ---: | ---: |"]
    names = {"Conv": "convolution", "Pool": "max pool 2×2", "ReLU": "ReLU", "Flatten": "flatten", "Linear": "dense"}
    summary = models.summary("lenet5")
    for row in summary.rows:
        if row.kind == "ReLU":
            continue
        label = names[row.kind]
        if row.kind == "Conv":
            label = f"convolution {row.layer.k}×{row.layer.k}, {row.layer.out} filters" + (
                f", padding {row.layer.padding}" if row.layer.padding else "")
        elif row.kind == "Linear":
            label = f"dense, {row.layer.out} units"
        rf = row.rf if row.kind in ("Conv", "Pool") else "whole image"
        lines.append(f"| {label} | {'×'.join(map(str, row.output))} | {format_value(row.params)} "
                     f"| {format_value(row.macs)} | {rf} |")
    lines.append(f"| **total** | | **{format_value(summary.params)}** | **{format_value(summary.macs)}** | |")
    return "\n".join(lines)


# ---- why convolution: the data-efficiency study (seeded) ----

#: The runs of the data-efficiency study, and their names in the table and the prose.
EFFICIENCY_KEYS = {"lenet5, original": "LeNet-5", "mlp, original": "MLP", "lenet5, permuted": "LeNet-5, permuted",
                   "mlp, permuted": "MLP, permuted", "random features, original": "LeNet-5, random frozen convolutions"}


def _acc(key, size):
    """Mean test accuracy over the seeds."""
    run = efficiency_run()
    return run["accuracy"][key][run["sizes"].index(size)]


#: The words of the rule for two measurements within the run-to-run spread of each other.
SPREAD = "within the run-to-run spread of"


def _seeds_at(key, size):
    """Each seed's test accuracy of one run of the study at one training-set size."""
    run = efficiency_run()
    i = run["sizes"].index(size)
    return [values[i] for values in run["by_seed"][key]]


def _compare_at(a_key, b_key, size):
    return compare(_seeds_at(a_key, size), _seeds_at(b_key, size))


def _efficiency_fact(name, key, size):
    fact(name)(lambda: _acc(key, size))


for _size in (100, 4000):
    _efficiency_fact(f"ch07.lenet_{_size}", "lenet5, original", _size)
    _efficiency_fact(f"ch07.mlp_{_size}", "mlp, original", _size)
    _efficiency_fact(f"ch07.lenet_permuted_{_size}", "lenet5, permuted", _size)
    _efficiency_fact(f"ch07.mlp_permuted_{_size}", "mlp, permuted", _size)
    _efficiency_fact(f"ch07.random_{_size}", "random features, original", _size)


@fact("ch07.mlp_params")
def mlp_params():
    return models.summary("mlp").params


@fact("ch07.mlp_hidden")
def mlp_hidden():
    """The widths of the MLP's hidden layers, in words: ``'72 and 64'``."""
    widths = [r.layer.out for r in models.summary("mlp").rows if r.kind == "Linear"][:-1]
    return join_words(widths)


@fact("ch07.pixels")
def pixels():
    """Pixels of one digit (the positions the permutation reorders)."""
    return int(np.prod(models.MODELS["lenet5"].input_shape))


@fact("ch07.random_trainable")
def random_trainable():
    return efficiency_run()["params"]["random features"]


@fact("ch07.efficiency_steps")
def efficiency_steps():
    return efficiency_run()["steps"]


@fact("ch07.efficiency_sizes")
def efficiency_sizes():
    """The training-set sizes of the study, in words: ``'100, 300, 1,000 and 4,000'``."""
    return join_words(format_value(n) for n in efficiency_run()["sizes"])


@fact("ch07.efficiency_max_steps")
def efficiency_max_steps():
    """The most steps any run of the study takes: whole epochs of batches of 32 until the budget is reached."""
    import math

    from cnnbook.experiments.training import BATCH_SIZE, STEPS

    per_epoch = [math.ceil(n / BATCH_SIZE) for n in efficiency_run()["sizes"]]
    return max(math.ceil(STEPS / steps) * steps for steps in per_epoch)


@fact("ch07.seeds")
def seeds():
    """How many seeds each of the chapter's comparing studies ran (they share cnnbook.experiments.training.SEEDS)."""
    return len(efficiency_run()["seeds"])


@fact("ch07.efficiency_seconds")
def efficiency_seconds():
    return sum(efficiency_run()["seconds"].values())


@table("ch07.efficiency")
def efficiency_table():
    run = efficiency_run()
    lines = ["| training digits | " + " | ".join(EFFICIENCY_KEYS.values()) + " |",
             "| ---: |" + " ---: |" * len(EFFICIENCY_KEYS)]
    for i, size in enumerate(run["sizes"]):
        cells = []
        for key in EFFICIENCY_KEYS:
            values = [seed[i] for seed in run["by_seed"][key]]
            cells.append(f"{run['accuracy'][key][i]:.1%} ({min(values):.1%}–{max(values):.1%})")
        lines.append(f"| {size:,} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _by_size(a_key, b_key, above, below, within):
    """The comparison of two runs at every size of the study, grouped by the rule's verdict, in words."""
    sizes = efficiency_run()["sizes"]
    groups = {}
    for size in sizes:
        c = _compare_at(a_key, b_key, size)
        groups.setdefault(c.verdict, []).append((size, c))
    parts = []
    for verdict, words in (("above", above), ("below", below), ("within", within)):
        if verdict not in groups:
            continue
        members = groups[verdict]
        where = ("at every size" if len(members) == len(sizes) else
                 "at " + join_words(format_value(size) for size, _ in members) + " digits")
        evidence = "; ".join(f"{format_value(size)}: {c.evidence()}" for size, c in members)
        parts.append(f"{words} {where} ({evidence})")
    return ", and ".join(parts)


@claim("ch07.cnn_vs_mlp")
def cnn_vs_mlp():
    """LeNet-5 against the MLP of the same size on the real digits, size by size (the run chooses the words)."""
    _compare_at("lenet5, original", "mlp, original", 4000).expect(
        "above", "LeNet-5 beats the MLP with all 4,000 training digits")
    return _by_size("lenet5, original", "mlp, original", "is ahead of the MLP", "falls behind the MLP",
                    "is within the run-to-run spread of the MLP")


@claim("ch07.permutation_hurts_cnn")
def permutation_hurts_cnn():
    """LeNet-5 loses accuracy at every size when the pixels are permuted."""
    for size in efficiency_run()["sizes"]:
        _compare_at("lenet5, permuted", "lenet5, original", size).expect(
            "below", f"LeNet-5 on permuted pixels falls behind LeNet-5 on the real digits at {size}")
    n = len(efficiency_run()["seeds"])
    c = _compare_at("lenet5, permuted", "lenet5, original", 4000)
    return f"in each of {n} seeds at every size; with 4,000 digits by {points(c.difference)} on average"


@claim("ch07.permuted_cnn_vs_mlp")
def permuted_cnn_vs_mlp():
    """On permuted pixels, LeNet-5 falls behind the MLP (on permuted pixels too) with 4,000 digits."""
    return _compare_at("lenet5, permuted", "mlp, permuted", 4000).expect(
        "below", "on permuted pixels LeNet-5 falls behind the MLP with 4,000 digits")


@claim("ch07.mlp_permutation")
def mlp_permutation():
    """The MLP on permuted against real pixels, size by size (the run chooses the words)."""
    return _by_size("mlp, permuted", "mlp, original", "above its accuracy on the real digits",
                    "below its accuracy on the real digits", "within the run-to-run spread of its accuracy on the real digits")


@claim("ch07.mlp_permutation_chance")
def mlp_permutation_chance():
    """What follows from the text's argument where the rule does find a difference for the MLP (else nothing).

    The argument: a seed's run on permuted pixels is its run on the real pixels started from the first layer's
    initial weights with their columns rearranged (same digits, batch order and other weights). As those weights
    are i.i.d. and the permutation is drawn uniformly, independently of them, the two runs are exchangeable: each
    seed's paired difference is as likely to be positive as negative, so all seeds agree in sign with probability
    at most ``2 ** (1 - seeds)`` (ties make it less), at each size.
    """
    run = efficiency_run()
    sizes = [size for size in run["sizes"]
             if _compare_at("mlp, permuted", "mlp, original", size).verdict != "within"]
    if not sizes:
        return ""
    n = len(run["seeds"])
    one = len(sizes) == 1
    return (f" By the argument above, {'that difference is' if one else 'those differences are'} not something the "
            "permutation does to the MLP's accuracy on average; "
            f"{'it is' if one else 'they are'} what starting from the rearranged first-layer weights did in these "
            f"runs. Each seed's two runs are then equally likely to come out either way round, so all {n} "
            f"seeds land on the same side at most one time in {2 ** (n - 1)} at any one size, and the study "
            f"compares {len(run['sizes'])} sizes.")


@claim("ch07.random_vs_trained")
def random_vs_trained():
    """Trained LeNet-5 against LeNet-5 with frozen random convolutions, size by size (the run chooses the words)."""
    _compare_at("lenet5, original", "random features, original", 4000).expect(
        "above", "training the convolutions beats freezing them at random with 4,000 digits")
    return _by_size("lenet5, original", "random features, original", "is ahead of it", "falls behind it",
                    "is within the run-to-run spread of it")


@claim("ch07.random_vs_mlp_4000")
def random_vs_mlp_4000():
    c = _compare_at("random features, original", "mlp, original", 4000)
    return f"{c.says('above', 'below', SPREAD)} the MLP ({c.evidence()})"


def _seconds(key):
    from cnnbook import experiments

    return [r["seconds"][key] for r in experiments.run("ch07.data_efficiency")["runs"]]


@claim("ch07.frozen_is_cheaper")
def frozen_is_cheaper():
    """Training with frozen convolutions takes less processor time than training all of LeNet-5 (timings: not
    paired)."""
    frozen, whole = _seconds("random features, original"), _seconds("lenet5, original")
    c = compare(frozen, whole, paired=False, unit="times")
    c.expect("below", "the frozen network takes less processor time to train than the whole LeNet-5")
    return (f"{np.mean(frozen) / np.mean(whole):.2g} times as long on average, and the longest of its "
            f"{len(frozen)} runs, one per seed, was shorter than the shortest of the whole network's")


# ---- normalization (seeded) ----

#: How the prose names the normalizations.
NORM_NAMES = {"batch": "batch normalization", "group": "group normalization", "layer": "layer normalization"}


def _norm_first():
    return normalization_runs()[0]


def _at_batch(norm, batch_size):
    """Each seed's test accuracy of ``norm`` trained with batches of ``batch_size``."""
    index = _norm_first()["batch_sizes"].index(batch_size)
    return [r["batch_size"][norm][index] for r in normalization_runs()]


@fact("ch07.norm_batch_sizes")
def norm_batch_sizes():
    return join_words(_norm_first()["batch_sizes"])


@fact("ch07.norm_digits")
def norm_digits():
    return _norm_first()["digits"]


@fact("ch07.norm_lr")
def norm_lr():
    from cnnbook.experiments.normalization import BATCH_LR

    return f"{BATCH_LR:g}"


@fact("ch07.norm_seconds")
def norm_seconds():
    """Processor time of the normalization and learning-rate studies, all seeds together."""
    return (sum(sum(r["seconds"].values()) for r in normalization_runs())
            + sum(r["seconds"] for r in rate_runs()))


@fact("ch07.gn_groups")
def gn_groups():
    import inspect

    return inspect.signature(models.lenet5).parameters["groups"].default


for _norm in ("batch", "group", "layer"):
    for _size in (2, 8, 32):
        fact(f"ch07.{_norm}_norm_{_size}")(
            lambda norm=_norm, size=_size: float(np.mean(_at_batch(norm, size))))


@fact("ch07.norm_smallest_batch")
def norm_smallest_batch():
    return min(_norm_first()["batch_sizes"])


@fact("ch07.norm_middle_batch")
def norm_middle_batch():
    sizes = _norm_first()["batch_sizes"]
    return sizes[len(sizes) // 2]


@fact("ch07.norm_step_ratio")
def norm_step_ratio():
    """How many times fewer steps the middle batch size takes than the smallest over the same digits."""
    return norm_middle_batch() // norm_smallest_batch()


@fact("ch07.loss_cap")
def loss_cap():
    return format_value(LOSS_CAP, "g")


@fact("ch07.norm_largest_batch")
def norm_largest_batch():
    return max(_norm_first()["batch_sizes"])


@claim("ch07.bn_small_batch")
def bn_small_batch():
    """With the smallest batches, batch normalization falls behind both normalizations that ignore the batch."""
    small = norm_smallest_batch()
    parts = [f"{NORM_NAMES[other]} (" + compare(_at_batch("batch", small), _at_batch(other, small)).expect(
        "below", f"with batches of {small}, batch normalization falls behind {other} normalization") + ")"
        for other in ("group", "layer")]
    return "behind " + join_words(parts)


@claim("ch07.bn_recovers")
def bn_recovers():
    """Batch normalization with batches of 8 against batches of 2."""
    small, middle = norm_smallest_batch(), norm_middle_batch()
    return compare(_at_batch("batch", middle), _at_batch("batch", small)).expect(
        "above", f"batch normalization does better with batches of {middle} than of {small}")


@claim("ch07.bn_large_batch")
def bn_large_batch():
    """With the largest batches, batch normalization against group and layer normalization (the run chooses)."""
    large = norm_largest_batch()
    parts = []
    for other in ("group", "layer"):
        c = compare(_at_batch("batch", large), _at_batch(other, large))
        parts.append(f"{c.says('ahead of', 'behind', 'within the run-to-run spread of')} {NORM_NAMES[other]} "
                     f"({c.evidence()})")
    return join_words(parts)


def _modes(key):
    return [r["modes"][key] for r in normalization_runs()]


MODES = {"evaluation": "evaluation mode (running statistics)",
         "training, shuffled batches": "training mode, shuffled test batches",
         "training, one class per batch": "training mode, test batches of one class each (in class order)",
         "folded": "folded into the layers before it, evaluation"}

for _key, _name in (("evaluation", "bn_eval"), ("training, shuffled batches", "bn_train_shuffled"),
                    ("training, one class per batch", "bn_train_by_class"), ("folded", "bn_folded")):
    fact(f"ch07.{_name}")(lambda key=_key: float(np.mean(_modes(key))))


@fact("ch07.mode_batch")
def mode_batch():
    return _norm_first()["modes"]["batch"]


@fact("ch07.mode_updates")
def mode_updates():
    """How many training steps updated the running statistics of the network the modes are tested on."""
    return -(-_norm_first()["digits"] // norm_largest_batch())


@fact("ch07.mode_leftover")
def mode_leftover():
    """The weight the running statistics still give their starting values after those updates: (1 - momentum)^n."""
    return (1 - bn_momentum()) ** mode_updates()


@fact("ch07.folded_layers")
def folded_layers():
    return _norm_first()["modes"]["folded_layers"]


@fact("ch07.fold_difference")
def fold_difference():
    """The largest difference between a logit of the network and of its folded copy, over the seeds."""
    return f"{max(_modes('folded_max_difference')):.0e}".replace("e-0", "e-")


@table("ch07.bn_modes")
def bn_modes():
    lines = ["| the batch-normalized LeNet-5 tested in | test accuracy: mean (lowest–highest seed) |", "| --- | ---: |"]
    for key, name in MODES.items():
        values = _modes(key)
        lines.append(f"| {name} | {np.mean(values):.1%} ({min(values):.1%}–{max(values):.1%}) |")
    return "\n".join(lines)


@claim("ch07.one_class_collapses")
def one_class_collapses():
    return compare(_modes("training, one class per batch"), _modes("evaluation")).expect(
        "below", "in training mode, test batches of one class fall far behind evaluation mode")


@claim("ch07.shuffled_vs_eval")
def shuffled_vs_eval():
    c = compare(_modes("training, shuffled batches"), _modes("evaluation"))
    return f"{c.says('above', 'below', 'within the run-to-run spread of')} evaluation mode's ({c.evidence()})"


@claim("ch07.folding_exact")
def folding_exact():
    expect(all(_modes("folded_same_answers")),
           "the folded network classifies every test digit as the network in evaluation mode does, in every seed")
    expect(max(_modes("folded_max_difference")) < 1e-3, "the folded network's logits equal the network's to 1e-3")
    return ""


@fact("ch07.rates")
def rates():
    return join_words(f"{lr:g}" for lr in rate_runs()[0]["lrs"])


@fact("ch07.rate_steps")
def rate_steps():
    return rate_runs()[0]["steps"]


@fact("ch07.rate_batch")
def rate_batch():
    return rate_runs()[0]["batch"]


@fact("ch07.rate_log")
def rate_log():
    return rate_runs()[0]["log"]


@fact("ch07.rate_momentum")
def rate_momentum():
    return rate_runs()[0]["momentum"]


@fact("ch07.shown_rate")
def shown_rate():
    from cnnbook.experiments.normalization import SHOWN_RATE

    return SHOWN_RATE


@fact("ch07.bn_eps")
def bn_eps():
    """Batch normalization's default epsilon, as prose writes a power of ten: ``'10⁻⁵'``."""
    import inspect

    from cnnbook import nn

    return _power_of_ten(inspect.signature(nn.BatchNorm2d).parameters["eps"].default)


def _power_of_ten(value):
    """``1e-05`` -> ``'10⁻⁵'``; ``1.0`` -> ``'1'``: a power of ten as prose writes it."""
    exponent = round(float(np.log10(value)))
    assert 10.0 ** exponent == value, value
    if exponent == 0:
        return "1"
    return "10" + str(exponent).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))


@fact("ch07.bn_momentum")
def bn_momentum():
    import inspect

    from cnnbook import nn

    return inspect.signature(nn.BatchNorm2d).parameters["momentum"].default


@fact("ch07.conv2_values")
def conv2_values():
    """How many values one channel's batch mean averages after LeNet-5's second convolution, with batches of 2."""
    rows = [r for r in models.summary("lenet5").rows if r.kind == "Conv"]
    _, h, w = rows[1].output
    return 2 * h * w


@fact("ch07.guess_loss")
def guess_loss():
    """The cross-entropy of guessing each of the ten digits with probability 1/10: ln 10."""
    return float(np.log(10))


def _largest_learning(norm):
    """Each seed's largest rate whose run ended below the loss of guessing (None if none did)."""
    lrs = rate_runs()[0]["lrs"]
    out = []
    for i in range(len(rate_runs())):
        learned = [lr for lr in lrs if final_losses(norm, lr)[i] < guess_loss()]
        out.append(max(learned) if learned else None)
    return out


def _seeds_in_words(values):
    """``[0.03, 0.1, 0.1]`` -> ``'0.1 in two seeds and 0.03 in one'``; equal values -> ``'1 in every seed'``."""
    counts = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    if len(counts) == 1:
        return f"{format_value(values[0]) if values[0] is not None else 'none'} in every seed"
    words = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}
    ordered = sorted(counts.items(), key=lambda item: (-item[1], -(item[0] or 0)))
    return join_words(f"{'none' if v is None else format_value(v)} in {words.get(n, n)} seed{'s' if n > 1 else ''}"
                      for v, n in ordered)


@fact("ch07.largest_rate_none")
def largest_rate_none():
    return _seeds_in_words(_largest_learning("none"))


@fact("ch07.largest_rate_bn")
def largest_rate_bn():
    return _seeds_in_words(_largest_learning("batch"))


@claim("ch07.bn_lower_at_every_rate")
def bn_lower_at_every_rate():
    for lr in rate_runs()[0]["lrs"]:
        compare(final_losses("batch", lr), final_losses("none", lr), unit="").expect(
            "below", f"with batch normalization the last training loss at rate {lr:g} is lower than without")
    return f"in each of {len(rate_runs())} seeds"


@claim("ch07.no_bn_guesses")
def no_bn_guesses():
    """Without normalization, the large rates end at the loss of guessing or above it."""
    lrs = [lr for lr in rate_runs()[0]["lrs"] if lr >= shown_rate()]
    for lr in lrs:
        expect(min(final_losses("none", lr)) > guess_loss() - 0.01,
               f"without normalization, rate {lr:g} ends at the loss of guessing or above it in every seed")
    return join_words(f"{lr:g}" for lr in lrs)


@claim("ch07.bn_fast_beats_plain_best")
def bn_fast_beats_plain_best():
    """Batch normalization at the shown rate against the network without it at its best rate of the grid."""
    lrs = rate_runs()[0]["lrs"]
    best = [min(final_losses("none", lr)[i] for lr in lrs) for i in range(len(rate_runs()))]
    return compare(final_losses("batch", shown_rate()), best, unit="").expect(
        "below", f"batch normalization at rate {shown_rate():g} ends lower than the plain network at its best rate")


# ---- regularization (seeded) ----

def _reg_first():
    return regularization_runs()[0]


def _reg(variant, key):
    """Each seed's ``key`` of one variant (``"test_accuracy"``, ``"stopped_loss"``, ...)."""
    return [r["variants"][variant][key] for r in regularization_runs()]


for _key in ("train_digits", "validation_digits", "epochs", "eval_every", "batch", "dropout", "weight_decay",
             "smoothing"):
    fact(f"ch07.reg_{_key}")(lambda key=_key: _reg_first()[key])


@fact("ch07.reg_lr")
def reg_lr():
    return f"{_reg_first()['lr']:g}"


@fact("ch07.reg_decay_factor")
def reg_decay_factor():
    """What AdamW multiplies every weight by at each step: 1 - lr · weight decay."""
    return 1 - _reg_first()["lr"] * _reg_first()["weight_decay"]


@fact("ch07.reg_seconds")
def reg_seconds():
    return sum(sum(r["seconds"].values()) for r in regularization_runs())


@fact("ch07.reg_none_train_accuracy")
def reg_none_train_accuracy():
    return float(np.mean([a[-1] for a in _reg("none", "train_accuracy")]))


@fact("ch07.reg_none_train_loss")
def reg_none_train_loss():
    return float(np.mean([a[-1] for a in _reg("none", "train_loss")]))


@fact("ch07.reg_none_validation")
def reg_none_validation():
    return float(np.mean([a[-1] for a in _reg("none", "validation_accuracy")]))


for _variant, _name in (("none", "none"), ("dropout", "dropout"), ("weight decay", "decay"),
                        ("label smoothing", "smoothing")):
    fact(f"ch07.reg_{_name}_test")(lambda v=_variant: float(np.mean(_reg(v, "test_accuracy"))))
    fact(f"ch07.reg_{_name}_norm")(lambda v=_variant: float(np.mean(_reg(v, "weight_norm"))))


@claim("ch07.overfits")
def overfits():
    """Without regularization the validation loss ends above its lowest value."""
    final = [losses[-1] for losses in _reg("none", "validation_loss")]
    lowest = [min(losses) for losses in _reg("none", "validation_loss")]
    return compare(final, lowest, unit="").expect(
        "above", "without regularization the validation loss ends above its lowest value")


def _against_none(variant):
    c = compare(_reg(variant, "test_accuracy"), _reg("none", "test_accuracy"))
    return f"{c.says('higher', 'lower', 'within the run-to-run spread')} ({c.evidence()})"


for _variant, _name in (("dropout", "dropout"), ("weight decay", "decay"), ("label smoothing", "smoothing")):
    claim(f"ch07.{_name}_vs_none")(lambda v=_variant: _against_none(v))


@claim("ch07.smoothing_loss")
def smoothing_loss():
    return compare(_reg("label smoothing", "test_loss"), _reg("none", "test_loss"), unit="").expect(
        "above", "label smoothing's test cross-entropy is higher than without regularization")


@claim("ch07.decay_shrinks")
def decay_shrinks():
    return compare(_reg("weight decay", "weight_norm"), _reg("none", "weight_norm"), unit="").expect(
        "below", "decoupled weight decay ends with smaller weights than no regularization")


@claim("ch07.stopping_accuracy")
def stopping_accuracy():
    """The weights early stopping keeps are no more accurate on the test digits than the final ones."""
    c = compare(_reg("none", "stopped_accuracy"), _reg("none", "test_accuracy"))
    if c.verdict == "above":
        raise ClaimError(f"early stopping's weights are said to be no more accurate than the final weights, but they "
                         f"are more accurate ({c.evidence()})")
    return f"{c.says('', 'below', 'within the run-to-run spread of')} the final weights' ({c.evidence()})"


@claim("ch07.stopping_loss")
def stopping_loss():
    return compare(_reg("none", "stopped_loss"), _reg("none", "test_loss"), unit="").expect(
        "below", "early stopping's weights have a lower test loss than the final weights")


@fact("ch07.dropout_still_falling")
def dropout_still_falling():
    """In how many seeds dropout's validation loss was lowest at its last check, in words: ``'2 of 3'``."""
    last = sum(epoch == _reg_first()["epochs"] for epoch in _reg("dropout", "stopped_epoch"))
    return f"{last} of {len(regularization_runs())}"


@fact("ch07.reg_decay_total")
def reg_decay_total():
    """What AdamW's decay alone does to a weight over the whole run: (1 - lr · weight decay) ** steps."""
    return reg_decay_factor() ** reg_steps()


@fact("ch07.reg_decay_vs_default")
def reg_decay_vs_default():
    """The study's decoupled weight decay over AdamW's default (PyTorch's too, 0.01)."""
    import inspect

    default = inspect.signature(optim.AdamW).parameters["weight_decay"].default
    return round(_reg_first()["weight_decay"] / default)


@fact("ch07.digits_per_point")
def digits_per_point():
    """How many test digits one percentage point of accuracy is."""
    return len(lenet_run()["predictions"]) // 100


@fact("ch07.reg_steps")
def reg_steps():
    return _reg_first()["epochs"] * -(-_reg_first()["train_digits"] // _reg_first()["batch"])


@fact("ch07.smooth_top")
def smooth_top():
    """The probability the smoothed target gives the right class: 1 - ε + ε / K."""
    return 1 - _reg_first()["smoothing"] + _reg_first()["smoothing"] / 10


@fact("ch07.smooth_floor")
def smooth_floor():
    """The cross-entropy of a test digit given exactly the smoothed target's probability: -ln(1 - ε + ε / K)."""
    return float(-np.log(smooth_top()))


@fact("ch07.stopped_epochs")
def stopped_epochs():
    return join_words(sorted(_reg("none", "stopped_epoch")))


@table("ch07.regularization")
def regularization_table():
    lines = ["| LeNet-5 trained with | test accuracy | test loss (cross-entropy) | norm of the weights |",
             "| --- | ---: | ---: | ---: |"]

    def cell(values, fmt):
        return f"{format(np.mean(values), fmt)} ({format(min(values), fmt)}–{format(max(values), fmt)})"

    for variant, (label, _, _) in REGULARIZERS.items():
        lines.append(f"| {label} | {cell(_reg(variant, 'test_accuracy'), '.1%')} | "
                     f"{cell(_reg(variant, 'test_loss'), '.3f')} | {cell(_reg(variant, 'weight_norm'), '.1f')} |")
    lines.append(f"| no regularization, stopped early | {cell(_reg('none', 'stopped_accuracy'), '.1%')} | "
                 f"{cell(_reg('none', 'stopped_loss'), '.3f')} | |")
    return "\n".join(lines)


# ---- augmentation (seeded) ----

def _aug_first():
    return augmentation_runs()[0]


def _aug(name, size, key="accuracy"):
    """Each seed's test accuracy (or ``key``) with augmentation ``name`` and ``size`` training digits."""
    index = _aug_first()["sizes"].index(size)
    return [r[key][name][index] for r in augmentation_runs()]


for _key in ("steps", "batch", "max_shift", "max_degrees", "cutout"):
    fact(f"ch07.aug_{_key}")(lambda key=_key: _aug_first()[key])


@fact("ch07.aug_max_scale")
def aug_max_scale():
    return f"{_aug_first()['max_scale']:.0%}"


@fact("ch07.aug_sizes")
def aug_sizes():
    return join_words(format_value(size) for size in _aug_first()["sizes"])


@fact("ch07.aug_small")
def aug_small():
    return min(_aug_first()["sizes"])


@fact("ch07.aug_large")
def aug_large():
    return max(_aug_first()["sizes"])


@fact("ch07.aug_passes_large")
def aug_passes_large():
    """How many times each training digit is seen, on average, when the larger set trains for the steps."""
    return round(_aug_first()["steps"] * _aug_first()["batch"] / aug_large())


@fact("ch07.aug_passes_small")
def aug_passes_small():
    return round(_aug_first()["steps"] * _aug_first()["batch"] / aug_small())


@fact("ch07.aug_seconds")
def aug_seconds():
    return sum(sum(r["seconds"].values()) for r in augmentation_runs())


for _size_name in ("small", "large"):
    fact(f"ch07.aug_none_{_size_name}")(
        lambda s=_size_name: float(np.mean(_aug("none", aug_small() if s == "small" else aug_large()))))
    fact(f"ch07.aug_none_train_{_size_name}")(
        lambda s=_size_name: float(np.mean(_aug("none", aug_small() if s == "small" else aug_large(),
                                                "train_accuracy"))))


def _augmentations_at(size):
    """Every augmentation against none at one size, in the words the rule chooses."""
    parts = []
    for name in AUGMENTATION_COLOURS:
        if name == "none":
            continue
        c = compare(_aug(name, size), _aug("none", size))
        s = "" if name in ("shifts", "rotation and scaling", "mirror images") else "s"  # the verb agrees
        parts.append(f"{name} {c.says(f'raise{s} the accuracy', f'lower{s} it', f'leave{s} it within the run-to-run spread')} "
                     f"({c.evidence()})")
    parts[0] = parts[0].replace(" it ", " the accuracy ", 1) if "the accuracy" not in parts[0] else parts[0]
    return join_words(parts)


@claim("ch07.augment_small")
def augment_small():
    return _augmentations_at(aug_small())


@claim("ch07.augment_large")
def augment_large():
    return _augmentations_at(aug_large())


@claim("ch07.small_fitted")
def small_fitted():
    """The text says the unaugmented network has fitted the small set: at least 99% of its last epoch's batches."""
    expect(min(_aug("none", aug_small(), "train_accuracy")) >= 0.99,
           "without augmentation the network classifies at least 99% of its small training set correctly in its "
           "last epoch, in every seed")
    return ""


@claim("ch07.large_not_fitted")
def large_not_fitted():
    """The text says the unaugmented network has not yet fitted the large set: under 97% of its last epoch's
    batches in every seed."""
    expect(max(_aug("none", aug_large(), "train_accuracy")) < 0.97,
           "without augmentation the network classifies under 97% of its large training set correctly in its last "
           "epoch, in every seed")
    return ""


@claim("ch07.augmented_harder")
def augmented_harder():
    """With the large set, every augmentation's last-epoch training accuracy against none's (the run chooses)."""
    parts = []
    for name in AUGMENTATION_COLOURS:
        if name == "none":
            continue
        values = _aug(name, aug_large(), "train_accuracy")
        c = compare(values, _aug("none", aug_large(), "train_accuracy"))
        parts.append(f"with {name} {np.mean(values):.1%}, "
                     f"{c.says('above', 'below', 'within the run-to-run spread of')} it ({c.evidence()})")
    return join_words(parts)


@table("ch07.augmentation")
def augmentation_table():
    sizes = _aug_first()["sizes"]
    lines = ["| augmentation | " + " | ".join(f"{format_value(s)} training digits" for s in sizes) + " |",
             "| --- |" + " ---: |" * len(sizes)]
    for name in AUGMENTATION_COLOURS:
        cells = []
        for size in sizes:
            values = _aug(name, size)
            cells.append(f"{np.mean(values):.1%} ({min(values):.1%}–{max(values):.1%})")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# ---- learning-rate schedules and the range test (seeded) ----

def _sch_first():
    return schedule_runs()[0]


for _key in ("range_steps", "batch", "steps", "log", "step_drop"):
    fact(f"ch07.sch_{_key}")(lambda key=_key: _sch_first()[key])

for _key in ("range_start", "range_end"):
    fact(f"ch07.sch_{_key}")(lambda key=_key: _power_of_ten(_sch_first()[key]))


@fact("ch07.sch_base_lr")
def sch_base_lr():
    return f"{_sch_first()['base_lr']:g}"


@fact("ch07.range_smooth")
def range_smooth():
    return RANGE_SMOOTH


@fact("ch07.range_minima")
def range_minima():
    """Each seed's rate of lowest smoothed loss in the range test, in words."""
    return join_words(f"{range_minimum(r):.2g}" for r in schedule_runs())


@fact("ch07.range_tenths")
def range_tenths():
    return join_words(f"{range_minimum(r) / 10:.2g}" for r in schedule_runs())


@fact("ch07.sch_seconds")
def sch_seconds():
    return sum(r["seconds"] for r in schedule_runs())


def _sch(name, key="test_accuracy"):
    return [r["schedules"][name][key] for r in schedule_runs()]


for _name in ("constant", "step", "cosine"):
    fact(f"ch07.sch_{_name}_test")(lambda name=_name: float(np.mean(_sch(name))))


SCHEDULE_NAMES = {"constant": "the constant rate's", "step": "the step schedule's", "cosine": "the cosine's"}


def _schedule_vs(a, b):
    c = compare(_sch(a), _sch(b))
    return f"{c.says('above', 'below', 'within the run-to-run spread of')} {SCHEDULE_NAMES[b]} ({c.evidence()})"


def _late_loss(name):
    """Each seed's mean logged training loss over the last third of the steps (after the step schedule's drop)."""
    out = []
    for r in schedule_runs():
        losses = r["schedules"][name]["step_loss"]
        out.append(float(np.mean(losses[len(losses) - len(losses) // 3:])))
    return out


@claim("ch07.lower_rate_lower_loss")
def lower_rate_lower_loss():
    """Over the last third of the steps, each schedule's training loss against the constant rate's (the run
    chooses the words)."""
    parts = []
    for name in ("step", "cosine"):
        c = compare(_late_loss(name), _late_loss("constant"), unit="")
        parts.append(f"{c.says('higher', 'lower', 'within the run-to-run spread')} with the {name} schedule "
                     f"({c.evidence()})")
    return join_words(parts)


@claim("ch07.step_vs_constant")
def step_vs_constant():
    return _schedule_vs("step", "constant")


@claim("ch07.cosine_vs_constant")
def cosine_vs_constant():
    return _schedule_vs("cosine", "constant")


@claim("ch07.step_vs_cosine")
def step_vs_cosine():
    return _schedule_vs("step", "cosine")


# ---- the data ----

def _digits():
    from cnnbook import data

    return data.mnist(backend="numpy")


@fact("ch07.mnist_mean")
def mnist_mean():
    return round(_digits().mean, 4)


@fact("ch07.mnist_std")
def mnist_std():
    return round(_digits().std, 4)


@fact("ch07.train_size")
def train_size():
    return len(_digits().y_train)


@fact("ch07.test_size")
def test_size():
    return len(_digits().y_test)


@fact("ch07.digits")
def digits_total():
    return train_size() + test_size()


@fact("ch07.train_per_class")
def train_per_class():
    counts = np.bincount(_digits().y_train)
    expect(counts.min() == counts.max(), "every digit has as many training images")
    return int(counts[0])


@fact("ch07.test_per_class")
def test_per_class():
    counts = np.bincount(_digits().y_test)
    expect(counts.min() == counts.max(), "every digit has as many test images")
    return int(counts[0])


@fact("ch07.per_class")
def per_class():
    return train_per_class() + test_per_class()


@fact("ch07.image_size")
def image_size():
    h, w = _digits().x_train.shape[-2:]
    return f"{h}×{w}"
