"""What chapter 7's figures, facts and exercises share: its examples and the computations behind them."""

from __future__ import annotations

import numpy as np

from cnnbook import data, experiments

#: Catalogue models on the comparison figure (the trainable small ones are drawn elsewhere).
PUBLISHED_MODELS = ("alexnet", "vgg16", "googlenet", "resnet18", "resnet50", "densenet121", "mobilenet_v1")


def lenet_run():
    return experiments.run("ch07.lenet")


def efficiency_run():
    """The data-efficiency study, its seeds combined (:func:`cnnbook.experiments.training.combine_efficiency`)."""
    from cnnbook.experiments.training import combine_efficiency

    return combine_efficiency(experiments.run("ch07.data_efficiency"))


def depth_run():
    """The depth study, its seeds combined (:func:`cnnbook.experiments.training.combine_depth`)."""
    from cnnbook.experiments.training import combine_depth

    return combine_depth(experiments.run("ch07.depth"))


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
