"""Chapter 9's transfer experiment: a backbone pretrained on digits 0–4, adapted to digits 5–9.

One run of :func:`transfer_study` trains every network the chapter reports on
(see :mod:`cnnbook.transfer` for the backbone, the regimes and the learning
rates) and returns plain JSON. Every run is seeded: the labelled subset, the
new weights and the batch order all follow from the seed.
"""

from __future__ import annotations

import time

import numpy as np

from cnnbook import train, transfer
from cnnbook.experiments import experiment
from cnnbook.timing import machine_label
from cnnbook.transfer import REGIMES, Preprocessing

#: Numbers of labelled target examples (``n / 5`` of each digit), and the seeds each point is averaged over.
SIZES = (10, 30, 100, 300, 2000)
SEEDS = (0, 1, 2)
#: Labelled examples in the depth study and the learning-rate study.
STUDY_SIZE = 100
#: Multipliers of the copied layers' learning rate tried when fine-tuning everything.
BODY_LRS = (0.05, transfer.BODY_LR, 1.0)
#: Ways to get the preprocessing wrong, each changing one thing about the backbone's own.
MISMATCHES = {
    "matched": Preprocessing(),
    "not standardized": Preprocessing(mean=0.0, std=1.0),
    "inverted contrast": Preprocessing(invert=True),
    "28×28, not 14×14": Preprocessing(resolution=28),
}


def _run(backbone, target, n, seed, copy, freeze, body_lr=transfer.BODY_LR):
    """One seeded adaptation: ``(test accuracy, the trained model)``."""
    model = transfer.adapt(backbone, copy, freeze, body_lr=body_lr, rng=1000 + seed)
    accuracy = transfer.fine_tune(model, transfer.labelled(target, n, seed), seed=seed)
    return round(accuracy, 4), model


def _projection(feats, labels):
    """Target digits on the first two principal components of their standardized features, and the separation."""
    z = transfer.standardized(feats)
    _, s, vt = np.linalg.svd(z, full_matrices=False)
    coords = z @ vt[:2].T
    return {"coords": np.round(coords, 3).tolist(), "explained": round(float((s[:2] ** 2).sum() / (s**2).sum()), 4),
            "between": round(transfer.class_separation(feats, labels), 4)}


@experiment("ch09.transfer", parallel=True)
def transfer_study(seed=0):
    """Pretraining, the four regimes at every size, depth, learning rates, mismatched preprocessing, features.

    ``seed`` picks the pretrained backbone; the runs on the target use
    :data:`SEEDS`. Accuracies are fractions of the 500 target test digits.
    """
    start, trained = time.perf_counter(), 0
    backbone, record = transfer.pretrained(seed)
    _, target = transfer.tasks()

    def run(task, n, s, copy, freeze, body_lr=transfer.BODY_LR):
        nonlocal trained
        trained += 1
        return _run(backbone, task, n, s, copy, freeze, body_lr)

    result = {"machine": machine_label(), "sizes": list(SIZES), "seeds": list(SEEDS), "study_size": STUDY_SIZE,
              "steps": transfer.STEPS, "probe_steps": transfer.PROBE_STEPS, "lr": transfer.LR,
              "body_lr": transfer.BODY_LR, "pretrain": {k: round(v, 4) for k, v in record.items()},
              "accuracy": {}, "seconds": {}, "seconds_by_seed": {}, "trainable": {}}
    kept = {}  # fine-tune-all models on every labelled example, one per seed
    for regime, (copy, freeze) in REGIMES.items():
        clock = time.perf_counter()
        result["accuracy"][regime] = []
        per_seed = dict.fromkeys(SEEDS, 0.0)  # each seed's runs timed apart: repeats for comparing regimes' costs
        for n in SIZES:
            runs = []
            for s in SEEDS:
                tick = time.perf_counter()
                runs.append(run(target, n, s, copy, freeze))
                per_seed[s] += time.perf_counter() - tick
            result["accuracy"][regime].append([acc for acc, _ in runs])
            if regime == "fine-tune all" and n == SIZES[-1]:
                kept = {s: model for s, (_, model) in zip(SEEDS, runs)}
        result["seconds"][regime] = round(time.perf_counter() - clock, 2)
        result["seconds_by_seed"][regime] = [round(per_seed[s], 2) for s in SEEDS]
        result["trainable"][regime] = sum(int(p.size) for _, p, _ in runs[0][1].parameters(trainable_only=True))
    at = SIZES.index(STUDY_SIZE)

    # Transferability vs depth: copy the first n blocks, frozen or fine-tuned, train the rest (Yosinski et al. 2014).
    depth = {"frozen": [], "fine-tuned": []}
    for n in range(len(transfer.BLOCKS) + 1):
        for mode, freeze in (("frozen", n), ("fine-tuned", 0)):
            key = next((r for r, cf in REGIMES.items() if cf == (n, freeze)), None)
            if key is not None:
                depth[mode].append(result["accuracy"][key][at])
            else:
                depth[mode].append([run(target, STUDY_SIZE, s, n, freeze)[0] for s in SEEDS])
    result["depth"] = depth

    # How fast the copied layers may learn when everything is fine-tuned.
    result["body_lr_sweep"] = {
        str(scale): (result["accuracy"]["fine-tune all"][at] if scale == transfer.BODY_LR
                     else [run(target, STUDY_SIZE, s, 3, 0, body_lr=scale)[0] for s in SEEDS])
        for scale in BODY_LRS}

    # Preprocessing that does not match the backbone's: at deployment, and when training the head on it.
    mismatch = {"deployed": {}, "features": {}}
    for name, prep in MISMATCHES.items():
        _, wrong = transfer.tasks(prep)
        mismatch["deployed"][name] = [round(train.evaluate(kept[s], wrong.x_test, wrong.y_test)[1], 4) for s in SEEDS]
        mismatch["features"][name] = (result["accuracy"]["feature extraction"][-1] if name == "matched" else
                                      [run(wrong, SIZES[-1], s, 3, 3)[0] for s in SEEDS])
    result["mismatch"] = mismatch

    # What the features look like: first-layer kernels, and target digits in the features' top two components.
    tuned = kept[SEEDS[0]]
    initial = transfer.backbone(rng=seed)[0][0].params["weight"]
    weights = {"random": initial, "pretrained": backbone[0][0].params["weight"],
               "fine-tuned": tuned[0][0].params["weight"]}
    result["kernels"] = {name: np.round(w[:, 0], 4).tolist() for name, w in weights.items()}
    result["kernel_change"] = round(float(np.linalg.norm(weights["fine-tuned"] - weights["pretrained"])
                                          / np.linalg.norm(weights["pretrained"])), 4)
    # The same two measurements for every seed's fine-tuned network, so the chapter can compare them by the rule.
    result["kernel_change_by_seed"] = [
        round(float(np.linalg.norm(kept[s][0][0].params["weight"] - weights["pretrained"])
                    / np.linalg.norm(weights["pretrained"])), 4) for s in SEEDS]
    result["features"] = {"labels": target.y_test.tolist(),
                          "pretrained": _projection(transfer.features(backbone, target.x_test), target.y_test),
                          "fine-tuned": _projection(transfer.features(tuned, target.x_test), target.y_test)}
    result["features"]["fine-tuned"]["between_by_seed"] = [
        round(transfer.class_separation(transfer.features(kept[s], target.x_test), target.y_test), 4) for s in SEEDS]
    result["seconds"]["total"] = round(time.perf_counter() - start, 2)
    result["runs"] = trained
    return result

