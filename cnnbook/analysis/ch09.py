"""What chapter 9's figures, facts and exercises share: its examples and the computations behind them."""

from __future__ import annotations

import numpy as np

from cnnbook import experiments


def transfer_run():
    return experiments.run("ch09.transfer")


def imagenet_run():
    """EfficientNet-Lite0 on the photographs (:func:`cnnbook.experiments.pretrained.imagenet_photos`)."""
    return experiments.run("ch09.imagenet")


def imagenet_transfer_run():
    """EfficientNet-Lite0's features on two real tasks (:func:`cnnbook.experiments.pretrained.imagenet_transfer`)."""
    return experiments.run("ch09.imagenet_transfer")


#: How the transfer figures name what each head is trained on, and how they draw it.
SOURCES = {"features": ("EfficientNet-Lite0's features (ImageNet)", "C1", "v"),
           "pixels": ("raw pixels", "C5", "x")}

#: The photographs section 9.7 shows with their top classes: a cat and a cup of coffee (ImageNet has classes for
#: both), a grey photograph of a man with a camera on a tripod, and an astronaut (ImageNet has no such class).
SHOWN_PHOTOS = ("chelsea", "coffee", "camera", "astronaut")


def spread(values):
    """Mean, lowest and highest of one point's runs (one per seed)."""
    values = np.asarray(values, dtype=float)
    return float(values.mean()), float(values.min()), float(values.max())
