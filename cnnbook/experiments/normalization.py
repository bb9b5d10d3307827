"""Chapter 7's normalization study on the MNIST digits: batch, group and layer normalization in LeNet-5.

Three measurements per seed, all on :func:`cnnbook.models.lenet5` with a normalization after every convolution and
hidden dense layer:

* **batch size**: each normalization trained on the same digits with batches of every size in
  :data:`BATCH_SIZES`, then tested in evaluation mode;
* **modes**: the batch-normalized network trained with the largest batch, tested in evaluation mode, in training
  mode on shuffled test batches and on test batches of one digit class each, and folded into its convolutions and
  dense layers (:func:`cnnbook.nn.fold_batch_norm`);
* **learning rate** (a second experiment): the network with and without batch normalization, a short run of SGD
  with momentum at every rate of :data:`RATES`, its training loss logged.

Every run is seeded; the results are plain JSON that the figures and facts read.
"""

from __future__ import annotations

import time

import numpy as np

from cnnbook import data, models, optim, train
from cnnbook.experiments import experiment
from cnnbook.experiments.training import SEEDS, _round
from cnnbook.models import spec
from cnnbook.nn import BatchNorm2d, fold_batch_norm
from cnnbook.timing import machine_label

#: The normalizations compared across batch sizes (``lenet5(norm=...)``; ``"group"`` is two groups).
NORMS = ("batch", "group", "layer")
#: Batch sizes of the batch-size study, how many training digits each run sees once, and Adam's rate.
BATCH_SIZES = (2, 8, 32)
BATCH_DIGITS, BATCH_LR = 600, 1e-3
#: The test batches of the modes study: 50 divides the 100 test digits of each class, so that in class order every
#: batch holds one class.
MODE_BATCH = 50
#: The learning-rate study: SGD's rates, its momentum, the batch size, the steps of each run and how many steps
#: each logged loss averages.
RATES = (0.03, 0.1, 0.3, 1.0)
RATE_MOMENTUM, RATE_BATCH, RATE_STEPS, RATE_LOG = 0.9, 32, 40, 10
#: The rate whose whole run the chapter shows, ten times the smallest.
SHOWN_RATE = 0.3


def _net(norm, seed):
    return spec.instantiate(models.lenet5(norm=norm), (1, 28, 28), rng=seed)


def _accuracy(logits, labels):
    return round(float((np.asarray(logits).argmax(axis=1) == labels).mean()), 4)


def _in_training_mode(model, x, y, order, batch_size):
    """Accuracy when the test digits pass in training mode, in batches taken in ``order``: each batch is normalized
    by its own statistics. The running statistics this updates are put back afterwards."""
    saved = {name: value.copy() for name, value in model.state_dict().items()}
    model.train()
    logits = np.concatenate([model(x[order[i : i + batch_size]]) for i in range(0, len(order), batch_size)])
    model.load_state_dict(saved)
    model.eval()
    return _accuracy(logits, y[order])


def _rate_run(norm, lr, digits, seed):
    """The training loss every :data:`RATE_LOG` steps of SGD with momentum at ``lr`` (``None`` once it diverged)."""
    model = _net(norm, seed)
    opt = optim.SGD(model, lr=lr, momentum=RATE_MOMENTUM)
    rng = np.random.default_rng(seed)
    losses, window = [], []
    used = RATE_STEPS * RATE_BATCH
    for x, y in train.batches(digits.x_train[:used], digits.y_train[:used], RATE_BATCH, rng):
        with np.errstate(over="ignore", invalid="ignore"):  # a rate too large overflows: that is what is measured
            loss, _ = train.train_step(model, x, y)
        if not np.isfinite(loss):
            break
        opt.step()
        window.append(loss)
        if len(window) == RATE_LOG:
            losses.append(sum(window) / RATE_LOG)
            window = []
    return losses + [None] * (RATE_STEPS // RATE_LOG - len(losses))


@experiment("ch07.normalization", parallel=True, seeds=SEEDS)
def normalization(seed=0):
    """Batch, group and layer normalization in LeNet-5 (see the module's docstring for the three measurements).

    ``batch_size[norm]``: test accuracy for each of :data:`BATCH_SIZES`, each run
    one pass of Adam over the same :data:`BATCH_DIGITS` training digits (drawn by
    ``seed``). ``modes``: the accuracies of the batch-normalized network trained
    with the largest batch, and the largest difference between its logits and
    the folded network's.
    """
    digits = data.mnist(backend="numpy")
    chosen = np.sort(np.random.default_rng(seed).permutation(len(digits.x_train))[:BATCH_DIGITS])
    subset = data.Digits(digits.x_train[chosen], digits.y_train[chosen], digits.x_test, digits.y_test, digits.mean,
                         digits.std, True)
    result = {"machine": machine_label(), "batch_sizes": list(BATCH_SIZES), "digits": BATCH_DIGITS,
              "batch_size": {}, "seconds": {}}
    start = time.process_time()
    for norm in NORMS:
        result["batch_size"][norm] = []
        for batch_size in BATCH_SIZES:
            model = _net(norm, seed)
            history = train.fit(model, subset, optim.Adam(model, lr=BATCH_LR), 1, batch_size, seed=seed,
                                progress=False)
            result["batch_size"][norm].append(round(history["test_accuracy"][-1], 4))
            if norm == "batch" and batch_size == BATCH_SIZES[-1]:
                trained = model  # the network the modes are tested on
    result["seconds"]["batch_size"] = round(time.process_time() - start, 2)

    start = time.process_time()
    x, y = digits.x_test, digits.y_test
    evaluation = train.predict(trained, x)
    folded = train.predict(fold_batch_norm(trained), x)
    shuffled = np.random.default_rng(seed).permutation(len(x))
    by_class = np.argsort(y, kind="stable")
    if any(len(set(y[by_class[i : i + MODE_BATCH]].tolist())) != 1 for i in range(0, len(y), MODE_BATCH)):
        raise ValueError(f"normalization: test batches of {MODE_BATCH} in class order mix classes")
    result["modes"] = {"evaluation": _accuracy(evaluation, y),
                       "training, shuffled batches": _in_training_mode(trained, x, y, shuffled, MODE_BATCH),
                       "training, one class per batch": _in_training_mode(trained, x, y, by_class, MODE_BATCH),
                       "folded": _accuracy(folded, y),
                       "folded_same_answers": bool((folded.argmax(axis=1) == evaluation.argmax(axis=1)).all()),
                       "folded_max_difference": float(np.abs(folded - evaluation).max()),
                       "folded_layers": sum(isinstance(m, BatchNorm2d) for _, m in trained.modules()),
                       "batch": MODE_BATCH}
    result["seconds"]["modes"] = round(time.process_time() - start, 2)

    return result


@experiment("ch07.learning_rates", parallel=True, seeds=SEEDS)
def learning_rates(seed=0):
    """LeNet-5 with and without batch normalization, :data:`RATE_STEPS` steps of SGD with momentum at each of
    :data:`RATES`: ``losses[norm][lr]`` is the training loss every :data:`RATE_LOG` steps (``None`` after a
    divergence)."""
    digits = data.mnist(backend="numpy")
    start = time.process_time()
    losses = {norm or "none": {f"{lr:g}": _round(_rate_run(norm, lr, digits, seed), 4) for lr in RATES}
              for norm in (None, "batch")}
    return {"machine": machine_label(), "losses": losses, "lrs": list(RATES), "steps": RATE_STEPS, "log": RATE_LOG,
            "batch": RATE_BATCH, "momentum": RATE_MOMENTUM, "seconds": round(time.process_time() - start, 2)}
