"""Chapter 8's depth study on the MNIST digits: plain against residual stacks, with and without batch normalization.

Every run is seeded; the results are plain JSON that the figures and facts read.
"""

from __future__ import annotations

import time

import numpy as np

from cnnbook import data, functional, models, nn, optim, train
from cnnbook.experiments import experiment
from cnnbook.experiments.training import BATCH_SIZE, SEEDS, _mean_lists, _round
from cnnbook.models import spec
from cnnbook.timing import machine_label

#: The depth study: digits in the one batch whose gradients are measured, SGD's rate and momentum, and how
#: many steps each logged training loss averages.
GRADIENT_BATCH, DEPTH_LR, DEPTH_MOMENTUM, LOG_EVERY = 64, 0.05, 0.9, 5
#: Depths of the plain vs residual study (gradients at initialization), the depths trained, and their steps.
DEPTHS = (8, 16, 32)
TRAIN_DEPTHS = (8, 32)
DEPTH_STEPS = 70


def _digits14():
    """The digits averaged down to 14×14: a quarter of the work for the depth study."""
    digits = data.mnist(backend="numpy")

    def shrink(x):
        return functional.avg_pool2d(x, 2).astype(np.float32)

    return data.Digits(shrink(digits.x_train), digits.y_train, shrink(digits.x_test), digits.y_test, digits.mean,
                       digits.std, True)


def _depth_net(depth, residual, batch_norm, seed):
    return spec.instantiate(models.resnet_small(depth=depth, width=0.5, residual=residual, batch_norm=batch_norm),
                            (1, 14, 14), rng=seed)


def _conv_gradient_norms(model, x, y):
    """‖∂L/∂W‖ of every 3×3 convolution, input to output, after one backward pass in training mode."""
    train.train_step(model, x, y)
    return [float(np.linalg.norm(m.grads["weight"])) for _, m in model.modules()
            if isinstance(m, nn.Conv2d) and m.params["weight"].shape[-1] == 3]


@experiment("ch08.depth", parallel=True, seeds=SEEDS)
def depth(seed=0):
    """Plain vs residual stacks of 3×3 convolutions (:func:`cnnbook.models.resnet_small`, width 0.5, 14×14 digits).

    ``gradients``: per-layer weight-gradient norms at initialization on one
    batch of 64, for depths 8, 16 and 32, with and without batch
    normalization. ``training`` (depths 8 and 32): loss every 5 steps over :data:`DEPTH_STEPS`
    SGD steps (momentum 0.9, learning rate 0.05, batches of 32) with batch
    normalization, and the test accuracy at the end.
    """
    digits = _digits14()
    x, y = digits.x_train[:GRADIENT_BATCH], digits.y_train[:GRADIENT_BATCH]
    result = {"machine": machine_label(), "depths": list(DEPTHS), "train_depths": list(TRAIN_DEPTHS), "steps": DEPTH_STEPS, "gradients": {},
              "training": {}}
    for d in DEPTHS:
        for residual in (False, True):
            for batch_norm in (True, False):
                key = f"{'residual' if residual else 'plain'}-{d}{'' if batch_norm else ', no BN'}"
                result["gradients"][key] = _round(_conv_gradient_norms(_depth_net(d, residual, batch_norm, seed),
                                                                       x, y), 6)
    used = DEPTH_STEPS * BATCH_SIZE
    subset = data.Digits(digits.x_train[:used], digits.y_train[:used], digits.x_test, digits.y_test, digits.mean,
                         digits.std, True)
    for d in TRAIN_DEPTHS:
        for residual in (False, True):
            key = f"{'residual' if residual else 'plain'}-{d}"
            model = _depth_net(d, residual, True, seed)
            start = time.perf_counter()
            history = train.fit(model, subset, optim.SGD(model, lr=DEPTH_LR, momentum=DEPTH_MOMENTUM), 1, BATCH_SIZE,
                                seed=seed, progress=False, log_every=LOG_EVERY)
            result["training"][key] = {"step_loss": _round(history["step_loss"], 4),
                                       "test_accuracy": round(history["test_accuracy"][-1], 4),
                                       "seconds": round(time.perf_counter() - start, 2),
                                       "params": nn.count_parameters(model)}
    return result


def combine_depth(seeded):
    """One view of the seeded depth runs: gradient norms and losses averaged over the seeds, and every seed's.

    ``training[key]`` holds the mean ``step_loss`` and ``test_accuracy``,
    the summed ``seconds``, and ``by_seed`` (each seed's test accuracy and final
    logged loss); ``gradients_by_seed[key]`` each seed's norms.
    """
    runs = seeded["runs"]
    first = runs[0]
    training = {}
    for key, value in first["training"].items():
        seeds = [r["training"][key] for r in runs]
        training[key] = {"step_loss": _mean_lists([s["step_loss"] for s in seeds], 4),
                         "test_accuracy": round(float(np.mean([s["test_accuracy"] for s in seeds])), 4),
                         "seconds": round(sum(s["seconds"] for s in seeds), 2), "params": value["params"],
                         "by_seed": {"test_accuracy": [s["test_accuracy"] for s in seeds],
                                     "final_loss": [s["step_loss"][-1] for s in seeds]}}
    return {"machine": first["machine"], "depths": first["depths"], "train_depths": first["train_depths"], "steps": first["steps"],
            "seeds": seeded["seeds"], "training": training,
            "gradients": {key: _mean_lists([r["gradients"][key] for r in runs], 6) for key in first["gradients"]},
            "gradients_by_seed": {key: [r["gradients"][key] for r in runs] for key in first["gradients"]}}
