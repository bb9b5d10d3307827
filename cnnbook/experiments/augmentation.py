"""Chapter 7's augmentation study: LeNet-5 trained on few or more digits, each batch altered at random by one
augmentation (shifts, rotation and scaling, cutout, or mirror images, which are wrong for digits), and tested on the
held-out digits as they are.

Every run of a seed takes the same number of Adam steps, whatever the size of its training set, so the small set is
seen many more times; without augmentation it is seen as it is every time, with it each time a little differently.
"""

from __future__ import annotations

import math
import time

from cnnbook import data, models, optim, train
from cnnbook.experiments import experiment
from cnnbook.experiments.training import SEEDS, _subset
from cnnbook.timing import machine_label

#: Training-set sizes, Adam steps of every run, batch size and rate.
SIZES = (100, 1000)
STEPS, BATCH, LR = 100, 20, 1e-3
#: The augmentations' settings: the largest shift (LeNet-5's recipe's), angle and scale change, cutout's square.
MAX_SHIFT, MAX_DEGREES, MAX_SCALE, CUTOUT = 2, 15, 0.1, 8

#: Each augmentation as a function of a batch and the run's generator (``None``: the digits as they are).
AUGMENTATIONS = {
    "none": None,
    "shifts": lambda x, rng: data.random_shift(x, MAX_SHIFT, rng),
    "rotation and scaling": lambda x, rng: data.random_affine(x, MAX_DEGREES, MAX_SCALE, rng),
    "cutout": lambda x, rng: data.cutout(x, CUTOUT, rng),
    "mirror images": lambda x, rng: data.random_flip(x, rng),
}


@experiment("ch07.augmentation", parallel=True, seeds=SEEDS)
def augmentation(seed=0):
    """Test accuracy of LeNet-5 for each training-set size of :data:`SIZES` (digits drawn by ``seed``) and each of
    :data:`AUGMENTATIONS`, every run :data:`STEPS` Adam steps (see the module's docstring). ``train_accuracy`` is
    the last epoch's running accuracy on the (augmented) training batches."""
    digits = data.mnist(backend="numpy")
    result = {"machine": machine_label(), "sizes": list(SIZES), "accuracy": {}, "train_accuracy": {}, "seconds": {}}
    for name, augment in AUGMENTATIONS.items():
        start = time.process_time()
        result["accuracy"][name], result["train_accuracy"][name] = [], []
        for size in SIZES:
            subset = _subset(digits, size, seed=seed)
            model = models.build("lenet5", rng=seed)
            epochs = math.ceil(STEPS / math.ceil(size / BATCH))
            history = train.fit(model, subset, optim.Adam(model, lr=LR), epochs, BATCH, seed=seed, progress=False,
                                augment=augment, eval_every=epochs)
            result["accuracy"][name].append(round(history["test_accuracy"][-1], 4))
            result["train_accuracy"][name].append(round(history["train_accuracy"][-1], 4))
        result["seconds"][name] = round(time.process_time() - start, 2)
    result.update({"steps": STEPS, "batch": BATCH, "lr": LR, "max_shift": MAX_SHIFT, "max_degrees": MAX_DEGREES,
                   "max_scale": MAX_SCALE, "cutout": CUTOUT})
    return result
