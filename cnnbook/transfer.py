"""Transfer learning at small scale (chapter 9): a backbone pretrained on digits 0–4, adapted to digits 5–9.

The two tasks share the pixels' statistics and the strokes but no class: a
network that learned to tell 0–4 apart has never been told what a 7 is. The
backbone is three convolution blocks and global average pooling, so its
features are 64 numbers per image whatever the image's size.

>>> source, target = tasks()
>>> source.x_train.shape, target.x_train.shape, sorted(set(target.y_train.tolist()))
((2000, 1, 14, 14), (2000, 1, 14, 14), [0, 1, 2, 3, 4])
>>> net = adapt(backbone(rng=0), copy=3, freeze=3, rng=0)     # feature extraction
>>> [name for name, _, _ in net.parameters(trainable_only=True)]
['4.weight', '4.bias']
"""

from __future__ import annotations

import dataclasses
import io
import time

import numpy as np

from cnnbook import data, nn, optim, train
from cnnbook import functional as F
from cnnbook._checks import as_generator, check_int
from cnnbook.cache import cached_bytes

__all__ = ["BLOCKS", "BODY_LR", "LR", "PROBE_STEPS", "REGIMES", "SOURCE", "STEPS", "TARGET", "Preprocessing", "adapt",
           "backbone", "class_separation", "features", "fine_tune", "labelled", "nearest_mean", "pretrained",
           "standardized", "tasks"]

#: The digits of the pretraining (source) task and of the new (target) task; labels become 0–4 in both.
SOURCE, TARGET = (0, 1, 2, 3, 4), (5, 6, 7, 8, 9)
#: Names of the backbone's blocks, in order (each is copied or trained as a whole).
BLOCKS = ("conv1", "conv2", "conv3")
#: The four ways to adapt the backbone, as ``(blocks copied, blocks frozen)``.
REGIMES = {
    "scratch": (0, 0),             # nothing copied: the target task alone
    "feature extraction": (3, 3),  # every block frozen, a new linear head
    "fine-tune top": (3, 2),       # conv3 and the head train
    "fine-tune all": (3, 0),       # every layer trains
}
#: Adam's learning rate for the head, and the multiplier for every convolution block (copied or fresh).
LR, BODY_LR = 1e-2, 0.2
#: Steps of a run that trains convolutions, and of a run that trains the head alone (on cached features).
STEPS, PROBE_STEPS = 150, 1000


@dataclasses.dataclass(frozen=True)
class Preprocessing:
    """How raw pixels in [0, 1] become a network's input: resolution, then ``(x - mean) / std``, optional inversion.

    The backbone's own preprocessing is ``Preprocessing()`` with the source
    task's statistics; the chapter's mismatches change one field each.
    """

    resolution: int = 14
    mean: float | None = None   # None: the source task's training mean
    std: float | None = None
    invert: bool = False        # white background, dark strokes

    def __call__(self, pixels, stats):
        """Prepare raw ``pixels`` ``(N, 1, 28, 28)``; ``stats`` is the source's ``(mean, std)``."""
        factor = 28 // self.resolution
        if self.resolution not in (7, 14, 28):
            raise ValueError(f"Preprocessing: resolution must be 7, 14 or 28; got {self.resolution!r}")
        x = pixels if factor == 1 else F.avg_pool2d(pixels, factor)
        if self.invert:
            x = 1.0 - x
        mean = stats[0] if self.mean is None else self.mean
        std = stats[1] if self.std is None else self.std
        return ((x - mean) / std).astype(np.float32)


def _raw(classes):
    return data.mnist(normalize=False, classes=classes, backend="numpy")


def tasks(preprocessing=None):
    """The source task (digits 0–4) and the target task (5–9), both prepared by ``preprocessing``.

    Each has 2,000 training and 500 test images with labels 0–4 (the target's
    digit minus 5). The statistics are always the *source's* training pixels
    at 14×14: a pretrained backbone comes with its normalization.
    """
    prep = preprocessing or Preprocessing()
    source, target = _raw(SOURCE), _raw(TARGET)
    small = F.avg_pool2d(source.x_train, 2)
    stats = (float(small.mean()), float(small.std()))
    result = []
    for raw, offset in ((source, 0), (target, 5)):
        result.append(data.Digits(prep(raw.x_train, stats), raw.y_train - offset, prep(raw.x_test, stats),
                                  raw.y_test - offset, stats[0], stats[1], True))
    return tuple(result)


def backbone(num_classes=5, rng=None):
    """The small CNN of chapter 9, with its blocks ``conv1``–``conv3`` then pooling and a linear head.

    ``conv1`` is 8 filters 5×5 then 2×2 max pooling, ``conv2`` 16 filters 3×3
    then pooling, ``conv3`` 64 filters 3×3; global average pooling makes 64
    features and ``Linear(64, num_classes)`` the logits. The children are
    ``[conv1, conv2, conv3, features, head]``.

    Examples
    --------
    >>> net = backbone(rng=0)
    >>> nn.count_parameters(net), net(np.zeros((2, 1, 14, 14), np.float32)).shape
    (10981, (2, 5))
    """
    rng = as_generator(rng)
    return nn.Sequential(
        nn.Sequential(nn.Conv2d(1, 8, 5, padding=2, input_grad=False, rng=rng), nn.ReLU(), nn.MaxPool2d(2)),
        nn.Sequential(nn.Conv2d(8, 16, 3, padding=1, rng=rng), nn.ReLU(), nn.MaxPool2d(2)),
        nn.Sequential(nn.Conv2d(16, 64, 3, padding=1, rng=rng), nn.ReLU()),
        nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten()),
        nn.Linear(64, num_classes, rng=rng),
    )


def features(model, x, batch_size=500):
    """The 64 pooled features of ``model`` (a :func:`backbone`) for images ``x``: shape ``(N, 64)``."""
    body = nn.Sequential(*model.children[:4])
    return train.predict(body, x, batch_size)


def standardized(features):
    """Features ``(N, D)`` with each column at mean 0 and variance 1; columns that never vary are left out.

    Examples
    --------
    >>> standardized(np.array([[1.0, 5.0], [3.0, 5.0]]))
    array([[-1.],
           [ 1.]])
    """
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2:
        raise ValueError(f"standardized: features must have shape (N, D); got {features.shape}")
    std = features.std(axis=0)
    kept = std > 0
    return (features[:, kept] - features[:, kept].mean(axis=0)) / std[kept]


def nearest_mean(train_features, train_labels, test_features):
    """Label each test row with the class whose mean training feature vector is nearest (Euclidean)."""
    classes = np.unique(train_labels)
    means = np.stack([train_features[train_labels == c].mean(axis=0) for c in classes])
    distances = ((test_features[:, None, :] - means[None, :, :]) ** 2).sum(axis=2)
    return classes[distances.argmin(axis=1)]


def class_separation(features, labels):
    """The share of the features' variance that lies *between* the classes (0: none, 1: all).

    Each feature is standardized first (features that never vary are left
    out), so that no single large feature dominates; then the total sum of
    squares splits exactly into a part within the classes and a part between
    their means, and this returns ``between / total``. It is the quantity
    linear discriminant analysis maximizes, here for all features at once.

    Examples
    --------
    >>> f = np.array([[0.0, 1.0], [0.2, 1.0], [1.0, 1.0], [1.2, 1.0]])  # the second feature never varies
    >>> round(class_separation(f, np.array([0, 0, 1, 1])), 4)
    0.9615
    """
    features, labels = np.asarray(features), np.asarray(labels)
    if features.ndim != 2 or labels.shape != features.shape[:1]:
        raise ValueError(f"class_separation: need features (N, D) and labels (N,); got {features.shape} and "
                         f"{labels.shape}")
    z = standardized(features)
    between = sum(int((labels == c).sum()) * float((z[labels == c].mean(axis=0) ** 2).sum())
                  for c in np.unique(labels))
    return between / float((z**2).sum())


def labelled(digits, n, seed=0):
    """The first ``n`` training examples of a balanced draw (``n / 5`` of each of the five classes of the digits
    study, ``n / k`` of each of ``k``), seeded; test set unchanged."""
    classes = int(digits.y_train.max()) + 1
    n = check_int(n, "n", "labelled", minimum=classes)
    if n % classes:
        raise ValueError(f"labelled: n must be a multiple of the {classes} classes; got {n}")
    rng = np.random.default_rng(seed)
    per = [rng.permutation(np.flatnonzero(digits.y_train == c))[: n // classes] for c in range(classes)]
    if min(len(p) for p in per) < n // classes:
        raise ValueError(f"labelled: n={n} is more than the {len(digits.y_train)} training examples hold")
    index = rng.permutation(np.concatenate(per))
    return dataclasses.replace(digits, x_train=digits.x_train[index], y_train=digits.y_train[index])


def adapt(pretrained, copy, freeze, body_lr=BODY_LR, num_classes=5, rng=None):
    """A new network for the target: the first ``copy`` blocks from ``pretrained``, the first ``freeze`` frozen.

    Blocks not copied, and the head, start from fresh random weights drawn
    from ``rng``. ``copy=0`` is training from scratch; ``copy=3, freeze=3`` is
    feature extraction; ``freeze=0`` fine-tunes everything that was copied.
    Every convolution block that trains learns at ``body_lr`` times the
    optimizer's rate (:meth:`cnnbook.nn.Module.scale_lr`); the head at the full rate.
    """
    copy = check_int(copy, "copy", "adapt", minimum=0)
    freeze = check_int(freeze, "freeze", "adapt", minimum=0)
    if copy > len(BLOCKS) or freeze > copy:
        raise ValueError(f"adapt: need 0 <= freeze <= copy <= {len(BLOCKS)}; got copy={copy}, freeze={freeze}")
    model = backbone(num_classes, rng)
    state = pretrained.state_dict()
    for index in range(len(BLOCKS)):
        if index < copy:
            prefix = f"{index}."
            model[index].load_state_dict({k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)})
        if index < freeze:
            model[index].freeze()
        else:
            model[index].scale_lr(body_lr)
    return model


def fine_tune(model, digits, steps=None, lr=LR, seed=0, batch_size=32):
    """Train ``model`` on ``digits`` with Adam at ``lr``; returns the test accuracy afterwards.

    ``steps`` defaults to :data:`STEPS`, or :data:`PROBE_STEPS` when only the
    head trains. Training runs in whole passes over the data, batches of
    ``batch_size``, so small sets are seen many times and every run gets about
    the same number of updates. Leading blocks that are frozen never change,
    so their outputs are computed once for all images and only the rest of the
    network runs in the loop: the same result, a fraction of the time.
    """
    frozen = model.frozen_prefix()
    if frozen == len(model.children):
        raise ValueError("fine_tune: every layer of the model is frozen; nothing would train")
    if steps is None:
        steps = PROBE_STEPS if frozen == len(model.children) - 1 else STEPS
    steps = check_int(steps, "steps", "fine_tune", minimum=1)
    batch_size = min(check_int(batch_size, "batch_size", "fine_tune", minimum=1), len(digits.x_train))
    trainee = model
    if frozen:
        prefix, trainee = nn.Sequential(*model.children[:frozen]), nn.Sequential(*model.children[frozen:])
        digits = dataclasses.replace(digits, x_train=train.predict(prefix, digits.x_train),
                                     x_test=train.predict(prefix, digits.x_test))
    epochs = -(-steps // -(-len(digits.x_train) // batch_size))
    history = train.fit(trainee, digits, optim.Adam(trainee, lr=lr), epochs, batch_size, seed=seed, progress=False,
                        eval_every=epochs)
    return history["test_accuracy"][-1]


def _pretrain_npz(seed, epochs):
    source, _ = tasks()
    model = backbone(rng=seed)
    start = time.perf_counter()
    history = train.fit(model, source, optim.Adam(model, lr=2e-3), epochs, 32, schedule=optim.cosine_lr(2e-3, epochs),
                        seed=seed, progress=False)
    record = {"source_accuracy": history["test_accuracy"][-1], "seconds": time.perf_counter() - start}
    buffer = io.BytesIO()
    np.savez(buffer, **model.state_dict(), **{f"record.{k}": np.array(v) for k, v in record.items()})
    return buffer.getvalue()


def pretrained(seed=0, epochs=6):
    """The backbone trained on the source task (digits 0–4), cached as ``.npz``: ``(model, record)``.

    ``record`` holds the source test accuracy and the seconds the training
    took. The first call trains it (a few seconds on a laptop CPU: Adam at
    2e-3 with a cosine schedule, batches of 32); later calls, in this process
    or any other, read the cached weights.

    Examples
    --------
    >>> model, record = pretrained()
    >>> record["source_accuracy"] > 0.9, model[0][0].params["weight"].shape
    (True, (8, 1, 5, 5))
    """
    seed = check_int(seed, "seed", "pretrained", minimum=0)
    epochs = check_int(epochs, "epochs", "pretrained", minimum=1)
    stored, _ = cached_bytes("weights", "ch09.backbone", {"seed": seed, "epochs": epochs},
                             lambda: _pretrain_npz(seed, epochs), ".npz", module=__name__)
    with np.load(io.BytesIO(stored)) as arrays:
        state = {key: arrays[key] for key in arrays.files if not key.startswith("record.")}
        record = {key[len("record."):]: float(arrays[key]) for key in arrays.files if key.startswith("record.")}
    model = backbone(rng=seed)
    model.load_state_dict(state)
    return model, record
