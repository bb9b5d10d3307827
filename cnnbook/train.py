"""The training loop: mini-batches, the loss and its gradient, the optimizer, metrics per epoch (chapter 7).

>>> from cnnbook import data, models, optim
>>> digits = data.mnist(backend="numpy")
>>> small = data.Digits(digits.x_train[:512], digits.y_train[:512], digits.x_test[:200], digits.y_test[:200],
...                     digits.mean, digits.std, True)
>>> net = models.build("lenet5", rng=0)
>>> history = fit(net, small, optim.Adam(net, lr=2e-3), epochs=2, seed=0, progress=False)
>>> history["test_accuracy"][-1] > 0.6            # two passes over 512 digits
True
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from cnnbook import functional as F
from cnnbook import nn
from cnnbook._checks import check_int
from cnnbook.backend import get_xp
from cnnbook.data import batches

__all__ = ["RECIPES", "Recipe", "evaluate", "fit", "load", "predict", "run_recipe", "save", "train_step"]


def train_step(model, x, y, label_smoothing=0.0):
    """One forward and backward pass on a batch; returns ``(loss, number correct)``.

    The model's gradients are zeroed first and hold this batch's gradient afterwards;
    the caller's optimizer then takes the step.
    """
    model.zero_grad()
    logits, cache = model.forward(x)
    loss = F.cross_entropy(logits, y, label_smoothing=label_smoothing)
    grad = F.cross_entropy_backward(1.0, logits, y, label_smoothing=label_smoothing)
    if isinstance(model, nn.Sequential):
        model.backward(grad, cache, input_grad=False)  # nothing needs the images' gradient
    else:
        model.backward(grad, cache)
    correct = int((logits.argmax(axis=1) == y).sum())
    return float(loss), correct


def predict(model, x, batch_size=100):
    """The model's logits for ``x``, in evaluation mode, in batches; shape ``(N, classes)``.

    Batches of 100 keep the unfolded windows of a LeNet-sized network in the processor's cache: LeNet-5 read the
    1,000 test digits in 0.047 s in batches of 100 and in 0.107 s in batches of 500 (one core of a 2-core Xeon).
    """
    batch_size = check_int(batch_size, "batch_size", "predict", minimum=1)
    was_training = model.training
    model.eval()
    try:
        outs = [model(x[i : i + batch_size]) for i in range(0, x.shape[0], batch_size)]
    finally:
        model.train(was_training)
    return get_xp(outs[0]).concatenate(outs, axis=0)


def evaluate(model, x, y, batch_size=100):
    """``(mean cross-entropy, accuracy)`` of the model on ``(x, y)``, in evaluation mode.

    Examples
    --------
    >>> from cnnbook import nn
    >>> net = nn.Sequential(nn.Flatten(), nn.Linear(4, 2, rng=0))
    >>> net[1].params["weight"][...] = 0
    >>> loss, acc = evaluate(net, np.zeros((3, 1, 2, 2), np.float32), np.array([0, 1, 1]))
    >>> round(loss, 4), acc     # all logits 0: log 2 per example; argmax picks class 0
    (0.6931, 0.3333333333333333)
    """
    logits = predict(model, x, batch_size)
    return float(F.cross_entropy(logits, y)), float((logits.argmax(axis=1) == y).mean())


def _progress(total, desc, enabled):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="batch", leave=True, dynamic_ncols=True)


def fit(model, data, optimizer, epochs, batch_size=64, schedule=None, seed=0, progress=True, log_every=None,
        augment=None, eval_every=1, name=None, label_smoothing=0.0):
    """Train ``model`` on ``data.x_train`` with ``optimizer``; evaluate on ``data.x_test`` after every epoch.

    Parameters
    ----------
    model : cnnbook.nn.Module
        Ends in logits, shape (N, classes).
    data : cnnbook.data.Digits
        Or any object with ``x_train, y_train, x_test, y_test``.
    optimizer : cnnbook.optim.SGD or cnnbook.optim.Adam
    epochs, batch_size : int
    schedule : callable, optional
        ``epoch -> learning rate`` (:mod:`cnnbook.optim`), applied at the start of each epoch.
    seed : int
        Seeds the order of the batches; with a seeded model, a run is reproduced exactly.
    progress : bool
        Show a progress bar (tqdm) with the running loss and accuracy.
    log_every : int, optional
        Also record the mean training loss every ``log_every`` steps (``"step_loss"``).
    augment : callable, optional
        ``augment(x, rng)`` returns a randomly altered copy of a training batch
        (e.g. :func:`cnnbook.data.random_shift`); it gets the run's generator.
    eval_every : int
        Evaluate on the test set every ``eval_every`` epochs and after the last
        (the test entries of the other epochs are ``None``).
    name : str, optional
        The progress bar's label.
    label_smoothing : float
        Train against smoothed labels (:func:`cnnbook.functional.cross_entropy`); the test loss is the plain
        cross-entropy.

    Returns
    -------
    dict
        Lists, one entry per epoch: ``train_loss``, ``train_accuracy`` (running,
        over the epoch's batches), ``test_loss``, ``test_accuracy``, ``lr``,
        ``seconds`` (wall time of the epoch's training); and ``step_loss``.
    """
    epochs = check_int(epochs, "epochs", "fit", minimum=1)
    eval_every = check_int(eval_every, "eval_every", "fit", minimum=1)
    batch_size = check_int(batch_size, "batch_size", "fit", minimum=1)
    for part in ("x_train", "y_train", "x_test", "y_test"):
        if not hasattr(data, part):
            raise TypeError(f"fit: data must have x_train, y_train, x_test and y_test (cnnbook.data.Digits); "
                            f"{type(data).__name__} has no {part}")
    rng = np.random.default_rng(seed)
    n = data.x_train.shape[0]
    steps = -(-n // batch_size)
    history = {key: [] for key in ("train_loss", "train_accuracy", "test_loss", "test_accuracy", "lr", "seconds",
                                   "step_loss")}
    bar = _progress(epochs * steps, name or type(model).__name__, progress)
    window = []
    try:
        for epoch in range(epochs):
            if schedule is not None:
                optimizer.lr = float(schedule(epoch))
            model.train()
            start, total_loss, total_correct = time.perf_counter(), 0.0, 0
            for x, y in batches(data.x_train, data.y_train, batch_size, rng):
                if augment is not None:
                    x = augment(x, rng)
                loss, correct = train_step(model, x, y, label_smoothing)
                if not np.isfinite(loss):
                    raise FloatingPointError(f"fit: the loss became {loss} in epoch {epoch + 1}; "
                                             f"lower the learning rate (now {optimizer.lr:g})")
                optimizer.step()
                total_loss += loss * x.shape[0]
                total_correct += correct
                window.append(loss)
                if log_every and len(window) == log_every:
                    history["step_loss"].append(sum(window) / log_every)
                    window = []
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(epoch=f"{epoch + 1}/{epochs}", loss=f"{loss:.3f}", refresh=False)
            seconds = time.perf_counter() - start
            test_loss = test_acc = None
            if (epoch + 1) % eval_every == 0 or epoch == epochs - 1:
                test_loss, test_acc = evaluate(model, data.x_test, data.y_test)
            for key, value in (("train_loss", total_loss / n), ("train_accuracy", total_correct / n),
                               ("test_loss", test_loss), ("test_accuracy", test_acc), ("lr", optimizer.lr),
                               ("seconds", seconds)):
                history[key].append(value)
            if bar is not None and test_acc is not None:
                bar.set_postfix(epoch=f"{epoch + 1}/{epochs}", loss=f"{total_loss / n:.3f}",
                                test_acc=f"{test_acc:.2%}")
    finally:
        if bar is not None:
            bar.close()
    return history


def save(model, path):
    """Write every parameter and buffer of ``model`` to ``path`` (``.npz``, NumPy arrays, by dotted name)."""
    np.savez(path, **model.state_dict())


def load(model, path):
    """Read weights written by :func:`save` into ``model`` (which must have the same layers); returns ``model``.

    Examples
    --------
    >>> import tempfile, os
    >>> from cnnbook import nn
    >>> from cnnbook.backend import to_numpy
    >>> a, b = nn.Linear(3, 2, rng=0), nn.Linear(3, 2, rng=1)
    >>> path = os.path.join(tempfile.mkdtemp(), "w.npz")
    >>> save(a, path)
    >>> bool((to_numpy(load(b, path).params["weight"]) == to_numpy(a.params["weight"])).all())
    True
    """
    with np.load(path) as stored:
        model.load_state_dict({key: stored[key] for key in stored.files})
    return model


@dataclasses.dataclass(frozen=True)
class Recipe:
    """How the book trains a catalogue model on the MNIST digits: optimizer, schedule, epochs, augmentation."""

    model: str
    lr: float
    epochs: int
    batch_size: int = 32
    max_shift: int = 2

    def describe(self):
        shift = f", random shifts of up to {self.max_shift} px" if self.max_shift else ""
        return (f"Adam, learning rate {self.lr:g} on a cosine schedule, {self.epochs} epochs of batches of "
                f"{self.batch_size}{shift}")


#: The recipes of ``cnnbook train NAME`` and of chapter 7's runs.
RECIPES = {
    "lenet5": Recipe("lenet5", 2e-3, 15),
    "mlp": Recipe("mlp", 2e-3, 15),
    "vgg_small": Recipe("vgg_small", 2e-3, 4),
    "resnet_small": Recipe("resnet_small", 2e-3, 4),
}


def run_recipe(name, seed=0, epochs=None, progress=True, backend=None):
    """Build the catalogue model ``name`` with ``seed``, train it by its recipe; return ``(model, history, recipe)``.

    The same seed gives the same weights, batches and shifts, hence the same
    numbers, on every run (on one machine and backend).
    """
    from cnnbook import data, models, optim  # the catalogue imports this module's neighbours

    if name not in RECIPES:
        raise ValueError(f"run_recipe: unknown recipe {name!r}; known: {', '.join(RECIPES)}")
    recipe = RECIPES[name]
    if epochs is not None:
        recipe = dataclasses.replace(recipe, epochs=check_int(epochs, "epochs", "run_recipe", minimum=1))
    digits = data.mnist(backend=backend)
    model = models.build(recipe.model, rng=seed, xp=get_xp(digits.x_train))
    optimizer = optim.Adam(model, lr=recipe.lr)
    augment = None
    if recipe.max_shift:
        def augment(x, rng):
            return data.random_shift(x, recipe.max_shift, rng)
    history = fit(model, digits, optimizer, recipe.epochs, recipe.batch_size,
                  schedule=optim.cosine_lr(recipe.lr, recipe.epochs), seed=seed, progress=progress, augment=augment,
                  name=name)
    return model, history, recipe
