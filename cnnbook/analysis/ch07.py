"""What chapter 7's figures, facts and exercises share: its examples and the computations behind them."""

from __future__ import annotations

import numpy as np

from cnnbook import data, experiments


def lenet_run():
    return experiments.run("ch07.lenet")


def efficiency_run():
    """The data-efficiency study, its seeds combined (:func:`cnnbook.experiments.training.combine_efficiency`)."""
    from cnnbook.experiments.training import combine_efficiency

    return combine_efficiency(experiments.run("ch07.data_efficiency"))


def normalization_runs():
    """The normalization study, one run per seed (:func:`cnnbook.experiments.normalization.normalization`)."""
    return experiments.run("ch07.normalization")["runs"]


def rate_runs():
    """The learning-rate study, one run per seed (:func:`cnnbook.experiments.normalization.learning_rates`)."""
    return experiments.run("ch07.learning_rates")["runs"]


def final_losses(norm, lr):
    """Each seed's last logged training loss at rate ``lr`` (``inf`` where the run diverged)."""
    return [float("inf") if r["losses"][norm][f"{lr:g}"][-1] is None else r["losses"][norm][f"{lr:g}"][-1]
            for r in rate_runs()]


def regularization_runs():
    """The regularization study, one run per seed (:func:`cnnbook.experiments.regularization.regularization`)."""
    return experiments.run("ch07.regularization")["runs"]


def augmentation_runs():
    """The augmentation study, one run per seed (:func:`cnnbook.experiments.augmentation.augmentation`)."""
    return experiments.run("ch07.augmentation")["runs"]


def schedule_runs():
    """The learning-rate study, one run per seed (:func:`cnnbook.experiments.schedules.schedules`)."""
    return experiments.run("ch07.schedules")["runs"]


#: The range test's loss is read smoothed over this many consecutive steps, centred.
RANGE_SMOOTH = 5


def range_smoothed(run):
    """One range test's training loss, each value the mean of :data:`RANGE_SMOOTH` consecutive steps (the one in the
    middle is ``RANGE_SMOOTH // 2`` steps after the first)."""
    return np.convolve(run["range"]["losses"], np.ones(RANGE_SMOOTH) / RANGE_SMOOTH, mode="valid")


def range_minimum(run):
    """The rate at which one range test's smoothed training loss is lowest (at the middle step of its window)."""
    return run["range"]["rates"][int(np.argmin(range_smoothed(run))) + RANGE_SMOOTH // 2]


#: How the schedule figure colours each schedule.
SCHEDULE_COLOURS = {"constant": "C7", "step": "C0", "cosine": "C1"}

#: How the augmentation figure colours each augmentation.
AUGMENTATION_COLOURS = {"none": "C7", "shifts": "C0", "rotation and scaling": "C1", "cutout": "C2",
                        "mirror images": "C3"}

#: How the regularization figure and table name and draw each variant (and early stopping, read off "none").
REGULARIZERS = {"none": ("no regularization", "C7", "x"), "dropout": ("dropout", "C0", "o"),
                "weight decay": ("decoupled weight decay (AdamW)", "C1", "s"),
                "label smoothing": ("label smoothing", "C2", "^")}

#: The learning-rate figure draws a larger loss (or a diverged run) at this height.
LOSS_CAP = 8.0

#: How the normalization figures name and draw each normalization.
NORM_STYLES = {"none": ("no normalization", "C7", "x"), "batch": ("batch normalization", "C0", "o"),
               "group": ("group normalization (2 groups)", "C1", "s"), "layer": ("layer normalization", "C2", "^")}


def test_digits():
    """The 1,000 held-out digits as raw [0, 1] images, and their labels."""
    digits = data.mnist(normalize=False, backend="numpy")
    return digits.x_test[:, 0], digits.y_test


def confusion(run=None):
    """10×10 counts: row = true digit, column = predicted digit."""
    run = run or lenet_run()
    _, labels = test_digits()
    matrix = np.zeros((10, 10), dtype=int)
    np.add.at(matrix, (labels, np.asarray(run["predictions"])), 1)
    return matrix


def mistakes(run=None):
    """Indices of the misclassified test digits, most confident mistakes first."""
    run = run or lenet_run()
    _, labels = test_digits()
    wrong = np.flatnonzero(np.asarray(run["predictions"]) != labels)
    confidence = np.asarray(run["confidence"])[wrong]
    return wrong[np.argsort(-confidence, kind="stable")]


def kernel_change(run=None):
    """‖trained − initial‖ / ‖initial‖ over LeNet-5's six first-layer kernels."""
    run = run or lenet_run()
    initial, trained = np.asarray(run["initial_kernels"]), np.asarray(run["kernels"])
    return float(np.linalg.norm(trained - initial) / np.linalg.norm(initial))
