"""Chapter 7's regularization study: LeNet-5 on a small training set, where it overfits, with and without dropout,
decoupled weight decay and label smoothing, and what early stopping would have chosen.

Each seed draws :data:`TRAIN_DIGITS` training digits and :data:`VALIDATION_DIGITS` other training digits to
validate on (the held-out test digits are only used for the final numbers). Every variant trains for
:data:`EPOCHS` epochs of Adam in chunks of :data:`EVAL_EVERY` epochs, with the validation loss measured after each
chunk and the weights kept where it was lowest: early stopping's choice, tested beside the final weights.
"""

from __future__ import annotations

import time

import numpy as np

from cnnbook import data, models, optim, train
from cnnbook.experiments import experiment
from cnnbook.experiments.training import SEEDS, _round
from cnnbook.timing import machine_label

#: Training and validation digits drawn by each seed, epochs, evaluation interval, batch size and Adam's rate.
TRAIN_DIGITS, VALIDATION_DIGITS = 200, 500
EPOCHS, EVAL_EVERY, BATCH, LR = 30, 5, 20, 1e-3
#: The regularizers' settings: dropout's probability, AdamW's decoupled decay and the label smoothing.
DROPOUT, WEIGHT_DECAY, SMOOTHING = 0.5, 0.5, 0.1

#: Each variant: the options of :func:`cnnbook.models.lenet5`, the optimizer, the label smoothing.
VARIANTS = {
    "none": ({}, lambda model: optim.Adam(model, lr=LR), 0.0),
    "dropout": ({"dropout": DROPOUT}, lambda model: optim.Adam(model, lr=LR), 0.0),
    "weight decay": ({}, lambda model: optim.AdamW(model, lr=LR, weight_decay=WEIGHT_DECAY), 0.0),
    "label smoothing": ({}, lambda model: optim.Adam(model, lr=LR), SMOOTHING),
}


def _weight_norm(model):
    return float(np.sqrt(sum(float((p.astype(np.float64) ** 2).sum()) for _, p, _ in model.parameters())))


@experiment("ch07.regularization", parallel=True, seeds=SEEDS)
def regularization(seed=0):
    """LeNet-5 on :data:`TRAIN_DIGITS` digits with each of :data:`VARIANTS` (see the module's docstring).

    ``variants[name]`` holds the training loss and accuracy per epoch, the
    validation loss and accuracy after every :data:`EVAL_EVERY` epochs, the
    test loss and accuracy of the final weights and of the weights with the
    lowest validation loss (``stopped_*``, at epoch ``stopped_epoch``), and the
    norm of the final weights.
    """
    digits = data.mnist(backend="numpy")
    order = np.random.default_rng(seed).permutation(len(digits.x_train))
    train_part, validation = np.sort(order[:TRAIN_DIGITS]), np.sort(order[TRAIN_DIGITS:TRAIN_DIGITS + VALIDATION_DIGITS])
    # fit() evaluates on the "test" part of what it is given: here the validation digits
    subset = data.Digits(digits.x_train[train_part], digits.y_train[train_part], digits.x_train[validation],
                         digits.y_train[validation], digits.mean, digits.std, True)
    result = {"machine": machine_label(), "variants": {}, "seconds": {}}
    for name, (options, make_optimizer, smoothing) in VARIANTS.items():
        start = time.process_time()
        model = models.build("lenet5", rng=seed, **options)
        optimizer = make_optimizer(model)
        curves = {key: [] for key in ("train_loss", "train_accuracy", "validation_loss", "validation_accuracy")}
        best, kept, stopped_epoch = np.inf, None, None
        for chunk in range(EPOCHS // EVAL_EVERY):
            history = train.fit(model, subset, optimizer, EVAL_EVERY, BATCH, seed=1000 * seed + chunk,
                                progress=False, eval_every=EVAL_EVERY, label_smoothing=smoothing)
            curves["train_loss"] += history["train_loss"]
            curves["train_accuracy"] += history["train_accuracy"]
            curves["validation_loss"].append(history["test_loss"][-1])
            curves["validation_accuracy"].append(history["test_accuracy"][-1])
            if history["test_loss"][-1] < best:
                best, stopped_epoch = history["test_loss"][-1], (chunk + 1) * EVAL_EVERY
                kept = {key: value.copy() for key, value in model.state_dict().items()}
        test_loss, test_accuracy = train.evaluate(model, digits.x_test, digits.y_test)
        final = {key: value.copy() for key, value in model.state_dict().items()}
        model.load_state_dict(kept)
        stopped_loss, stopped_accuracy = train.evaluate(model, digits.x_test, digits.y_test)
        model.load_state_dict(final)
        result["variants"][name] = {**{key: _round(values, 4) for key, values in curves.items()},
                                    "test_loss": round(test_loss, 4), "test_accuracy": round(test_accuracy, 4),
                                    "stopped_loss": round(stopped_loss, 4),
                                    "stopped_accuracy": round(stopped_accuracy, 4), "stopped_epoch": stopped_epoch,
                                    "weight_norm": round(_weight_norm(model), 3)}
        result["seconds"][name] = round(time.process_time() - start, 2)
    result.update({"train_digits": TRAIN_DIGITS, "validation_digits": VALIDATION_DIGITS, "epochs": EPOCHS,
                   "eval_every": EVAL_EVERY, "batch": BATCH, "lr": LR, "dropout": DROPOUT,
                   "weight_decay": WEIGHT_DECAY, "smoothing": SMOOTHING})
    return result
