"""Chapter 7's training runs on the MNIST digits: LeNet-5, and CNN vs MLP vs random features.

Every run is seeded; the results are plain JSON that the figures and facts read.
"""

from __future__ import annotations

import math
import time

import numpy as np

from cnnbook import data, functional, models, nn, optim, train
from cnnbook.experiments import experiment
from cnnbook.timing import machine_label

#: Training-set sizes of the data-efficiency study, and its fixed budget of optimizer steps per run.
SIZES = (100, 300, 1000, 4000)
STEPS = 250
#: Seeds of the studies whose comparisons the chapter draws (data efficiency: each seed draws the training
#: subset, the weights and the batch order; chapter 8's depth study: the weights and the batch order).
SEEDS = (0, 1, 2)
#: Batch size and Adam learning rate of every data-efficiency run.
BATCH_SIZE, LR = 32, 2e-3


def _round(values, digits=5):
    return [None if v is None else round(float(v), digits) for v in values]


@experiment("ch07.lenet", parallel=True)
def lenet(seed=0):
    """LeNet-5 trained by its recipe (:data:`cnnbook.train.RECIPES`) on the 4,000 training digits.

    Returns the per-epoch history, the total wall time, the learned (and the
    initial) first-layer kernels, every test prediction with its probability,
    and one test digit's feature maps after each conv and pool layer.
    """
    initial = models.build("lenet5", rng=seed)[0].params["weight"].copy()
    start = time.perf_counter()
    model, history, recipe = train.run_recipe("lenet5", seed=seed, progress=False, backend="numpy")
    seconds = time.perf_counter() - start
    digits = data.mnist(backend="numpy")
    logits = train.predict(model, digits.x_test)
    probs = functional.softmax(logits.astype(np.float64), dim=1)
    example = int(np.flatnonzero(digits.y_test == 4)[0])
    maps, x = {}, digits.x_test[example : example + 1]
    for index, layer in enumerate(model.children[:6]):
        x = layer(x)
        if index in (1, 2, 4, 5):  # after each ReLU and each pool
            maps[["conv1", "pool1", "conv2", "pool2"][[1, 2, 4, 5].index(index)]] = np.round(x[0], 4).tolist()
    return {
        "machine": machine_label(), "recipe": recipe.describe(), "seconds": round(seconds, 2),
        "history": {key: _round(values) for key, values in history.items()},
        "kernels": np.round(model[0].params["weight"][:, 0], 5).tolist(),
        "initial_kernels": np.round(initial[:, 0], 5).tolist(),
        "predictions": logits.argmax(axis=1).tolist(), "confidence": _round(probs.max(axis=1), 4),
        "example": example, "maps": maps, "params": nn.count_parameters(model),
    }


def _subset(digits, n, permutation=None, seed=0):
    """``n`` training digits drawn at random by ``seed`` (all of the test digits), pixels reordered if asked."""
    chosen = np.sort(np.random.default_rng(seed).permutation(len(digits.x_train))[:n])
    x_train, x_test = digits.x_train[chosen], digits.x_test
    if permutation is not None:
        def scramble(x):
            return x.reshape(len(x), -1)[:, permutation].reshape(x.shape)
        x_train, x_test = scramble(x_train), scramble(x_test)
    return data.Digits(x_train, digits.y_train[chosen], x_test, digits.y_test, digits.mean, digits.std, True)


def _train_for_steps(model, digits, steps, seed, batch_size=BATCH_SIZE, lr=LR):
    epochs = math.ceil(steps / math.ceil(len(digits.x_train) / batch_size))
    history = train.fit(model, digits, optim.Adam(model, lr=lr), epochs, batch_size, seed=seed, progress=False,
                        eval_every=epochs)
    return history["test_accuracy"][-1], history["train_loss"][-1]


@experiment("ch07.data_efficiency", parallel=True, seeds=SEEDS)
def data_efficiency(seed=0):
    """Test accuracy vs training-set size for LeNet-5, an MLP of the same size and LeNet-5 with frozen random
    convolutions, on the digits and on the digits with their pixels in a fixed random order.

    Each run takes :data:`STEPS` Adam steps (learning rate 2e-3, batches of
    32), so the small sets are seen many times; no augmentation. ``seconds``
    is the processor time of each network's runs, summed over the sizes.
    """
    digits = data.mnist(backend="numpy")
    permutation = np.random.default_rng(seed + 1).permutation(28 * 28)
    runs = {"lenet5": ("lenet5", False), "mlp": ("mlp", False), "random features": ("lenet5", True)}
    result = {"sizes": list(SIZES), "steps": STEPS, "accuracy": {}, "params": {}, "seconds": {}}
    for label, (name, frozen) in runs.items():
        for order in ("original", "permuted"):
            if frozen and order == "permuted":
                continue
            key = f"{label}, {order}"
            result["accuracy"][key], result["seconds"][key] = [], 0.0
            for n in SIZES:
                model = models.build(name, rng=seed)
                if frozen:
                    for module in model.children[:6]:  # both convolutions stay as initialized
                        module.freeze()
                start = time.process_time()  # processor time: what other programs on the machine do is not counted
                acc, _ = _train_for_steps(model, _subset(digits, n, permutation if order == "permuted" else None,
                                                         seed), STEPS, seed)
                result["seconds"][key] += time.process_time() - start
                result["accuracy"][key].append(round(acc, 4))
            result["seconds"][key] = round(result["seconds"][key], 2)
            result["params"][label] = sum(int(p.size) for _, p, _ in model.parameters(trainable_only=True))
    return result


def _mean_lists(lists, digits=5):
    return _round(np.mean(np.asarray(lists, dtype=float), axis=0), digits)


def combine_efficiency(seeded):
    """One view of the seeded data-efficiency runs: the mean accuracy per size, and every seed's.

    ``seeded`` is ``run("ch07.data_efficiency")`` (``{"seeds", "runs"}``). The
    result has the single run's keys, with ``accuracy`` averaged over the
    seeds, ``seconds`` summed, and ``by_seed[key][i]`` the accuracies of seed
    ``seeds[i]``.
    """
    runs = seeded["runs"]
    first = runs[0]
    return {"sizes": first["sizes"], "steps": first["steps"], "params": first["params"], "seeds": seeded["seeds"],
            "accuracy": {key: _mean_lists([r["accuracy"][key] for r in runs], 4) for key in first["accuracy"]},
            "by_seed": {key: [r["accuracy"][key] for r in runs] for key in first["accuracy"]},
            "seconds": {key: round(sum(r["seconds"][key] for r in runs), 2) for key in first["seconds"]}}
