"""Numbers and tables of chapter 8, "Transfer learning"."""

from __future__ import annotations

import numpy as np

from cnnbook import nn, transfer
from cnnbook.experiments.transfer import BODY_LRS, MISMATCHES
from cnnbook.facts import fact, relation, table
from cnnbook.figures.ch08 import spread, transfer_run

#: Short names of the regimes in fact names.
SHORT = {"scratch": "scratch", "feature extraction": "features", "fine-tune top": "top", "fine-tune all": "all"}


def _mean(values):
    return float(np.mean(values))


def _at(regime, size):
    run = transfer_run()
    return run["accuracy"][regime][run["sizes"].index(size)]


# ---- the setup ----

@fact("ch08.machine")
def machine():
    return transfer_run()["machine"]


@fact("ch08.source_accuracy")
def source_accuracy():
    return transfer_run()["pretrain"]["source_accuracy"]


@fact("ch08.pretrain_seconds")
def pretrain_seconds():
    return transfer_run()["pretrain"]["seconds"]


@fact("ch08.total_seconds")
def total_seconds():
    return transfer_run()["seconds"]["total"]


@fact("ch08.backbone_params")
def backbone_params():
    return nn.count_parameters(transfer.backbone(rng=0))


@fact("ch08.head_params")
def head_params():
    return transfer_run()["trainable"]["feature extraction"]


@fact("ch08.top_params")
def top_params():
    return transfer_run()["trainable"]["fine-tune top"]


for _key in ("steps", "probe_steps", "lr", "body_lr", "study_size"):
    fact(f"ch08.{_key}")(lambda key=_key: transfer_run()[key])


@fact("ch08.body_rate")
def body_rate():
    """The learning rate the convolution blocks actually get: the head's times the multiplier."""
    run = transfer_run()
    return run["lr"] * run["body_lr"]


@fact("ch08.seeds")
def seeds():
    return len(transfer_run()["seeds"])


@fact("ch08.runs")
def runs():
    """How many networks the experiment trained on the target (the backbone's pretraining not counted)."""
    return transfer_run()["runs"]


# ---- the four regimes ----

for _regime, _short in SHORT.items():
    for _size in (10, 30, 100, 300, 2000):
        fact(f"ch08.{_short}_{_size}")(lambda r=_regime, n=_size: _mean(_at(r, n)))
    fact(f"ch08.{_short}_seconds")(lambda r=_regime: transfer_run()["seconds"][r])


@fact("ch08.best_at_10")
def best_at_10():
    return max(SHORT, key=lambda regime: _mean(_at(regime, 10)))


@fact("ch08.best_at_2000")
def best_at_2000():
    return max(SHORT, key=lambda regime: _mean(_at(regime, 2000)))


@fact("ch08.gain_10")
def gain_10():
    """Percentage points the best pretrained regime gains over training from scratch with 10 labelled digits."""
    best = max(_mean(_at(r, 10)) for r in SHORT if r != "scratch")
    return round(100 * (best - _mean(_at("scratch", 10))), 1)


@fact("ch08.features_vs_scratch_2000")
def features_vs_scratch_2000():
    return relation(_mean(_at("feature extraction", 2000)), _mean(_at("scratch", 2000)))


@fact("ch08.scratch_catches_features")
def scratch_catches_features():
    """The smallest labelled set at which training from scratch is at or above feature extraction, in words."""
    run = transfer_run()
    for size in run["sizes"]:
        if _mean(_at("scratch", size)) >= _mean(_at("feature extraction", size)):
            return f"{size:,} labelled digits"
    return "no size we tried"


@fact("ch08.spread_10")
def spread_10():
    """The widest range (highest − lowest run, in points) of any regime with 10 labelled digits."""
    return round(100 * max(spread(_at(r, 10))[2] - spread(_at(r, 10))[1] for r in SHORT), 1)


@fact("ch08.spread_2000")
def spread_2000():
    return round(100 * max(spread(_at(r, 2000))[2] - spread(_at(r, 2000))[1] for r in SHORT), 1)


@table("ch08.regimes")
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

def _depth(mode, blocks):
    return _mean(transfer_run()["depth"][mode][blocks])


for _blocks in range(4):
    fact(f"ch08.frozen_{_blocks}")(lambda b=_blocks: _depth("frozen", b))
    fact(f"ch08.tuned_{_blocks}")(lambda b=_blocks: _depth("fine-tuned", b))


@fact("ch08.best_frozen_blocks")
def best_frozen_blocks():
    """How many frozen pretrained blocks gave the best accuracy (1 to 3)."""
    return max(range(1, 4), key=lambda b: _depth("frozen", b))


@fact("ch08.frozen3_vs_frozen2")
def frozen3_vs_frozen2():
    return relation(_depth("frozen", 3), _depth("frozen", 2))


@fact("ch08.frozen1_vs_scratch")
def frozen1_vs_scratch():
    return relation(_depth("frozen", 1), _depth("frozen", 0))


@fact("ch08.tuned_vs_frozen")
def tuned_vs_frozen():
    """At how many of the three copy depths fine-tuning the copied blocks beat freezing them, in words."""
    wins = sum(_depth("fine-tuned", b) > _depth("frozen", b) for b in range(1, 4))
    return {3: "at every depth", 0: "at no depth"}.get(wins, f"at {wins} of the 3 depths")


# ---- learning rate of the copied layers ----

def _body(scale):
    return _mean(transfer_run()["body_lr_sweep"][str(scale)])


for _scale, _name in zip(BODY_LRS, ("slow", "default", "same")):
    fact(f"ch08.body_lr_{_name}")(lambda s=_scale: _body(s))


@fact("ch08.best_body_lr")
def best_body_lr():
    return max(BODY_LRS, key=_body)


# ---- preprocessing ----

def _mismatch(kind, name):
    return _mean(transfer_run()["mismatch"][kind][name])


for _name, _short in zip(MISMATCHES, ("matched", "unscaled", "inverted", "resolution")):
    fact(f"ch08.deployed_{_short}")(lambda n=_name: _mismatch("deployed", n))
    fact(f"ch08.head_{_short}")(lambda n=_name: _mismatch("features", n))


@fact("ch08.worst_deployed")
def worst_deployed():
    names = [n for n in MISMATCHES if n != "matched"]
    return min(names, key=lambda n: _mismatch("deployed", n))


@table("ch08.mismatch")
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

@fact("ch08.kernel_change")
def kernel_change():
    return transfer_run()["kernel_change"]


@fact("ch08.between_pretrained")
def between_pretrained():
    return transfer_run()["features"]["pretrained"]["between"]


@fact("ch08.between_tuned")
def between_tuned():
    return transfer_run()["features"]["fine-tuned"]["between"]


@fact("ch08.explained_pretrained")
def explained_pretrained():
    return transfer_run()["features"]["pretrained"]["explained"]


@fact("ch08.explained_tuned")
def explained_tuned():
    return transfer_run()["features"]["fine-tuned"]["explained"]


# ---- how far Adam can move a weight ----

@fact("ch08.adam_bound_body")
def adam_bound_body():
    """Adam moves a weight by about its learning rate per step at most: the bound after a run, copied layers."""
    run = transfer_run()
    return round(run["lr"] * run["body_lr"] * run["steps"], 3)


@fact("ch08.adam_bound_head")
def adam_bound_head():
    """The same bound at the head's learning rate, as if the copied layers learned as fast as the new head."""
    run = transfer_run()
    return round(run["lr"] * run["steps"], 3)


@fact("ch08.conv3_weight_std")
def conv3_weight_std():
    """Standard deviation of the pretrained conv3 weights (the size of what a step would change)."""
    model, _ = transfer.pretrained()
    return round(float(np.std(model[2][0].params["weight"])), 3)


@fact("ch08.head_inverted_loss")
def head_inverted_loss():
    """Percentage points a head on frozen features loses when trained and tested on inverted digits."""
    return round(100 * (_mismatch("features", "matched") - _mismatch("features", "inverted contrast")), 1)


@fact("ch08.head_resolution_loss")
def head_resolution_loss():
    return round(100 * (_mismatch("features", "matched") - _mismatch("features", "28×28, not 14×14")), 1)


@fact("ch08.pretrain_kernel_change")
def pretrain_kernel_change():
    """‖pretrained − random‖ / ‖random‖ over the eight first-layer kernels."""
    kernels = transfer_run()["kernels"]
    random, pretrained = np.asarray(kernels["random"]), np.asarray(kernels["pretrained"])
    return float(np.linalg.norm(pretrained - random) / np.linalg.norm(random))
