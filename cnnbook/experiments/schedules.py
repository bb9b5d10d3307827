"""Chapter 7's learning-rate study on LeNet-5: the learning-rate range test, and three schedules with one budget.

* **Range test** (Smith 2017): one short run of Adam whose rate grows by the same factor at every step, from
  :data:`RANGE_START` to :data:`RANGE_END` over :data:`RANGE_STEPS` steps, the training loss of every step logged.
* **Schedules**: the same number of Adam steps (:data:`SCHEDULE_STEPS`, batches of :data:`BATCH`) from the same
  starting rate, kept constant, divided by :data:`STEP_DROP` for the last third, or lowered along a cosine to zero, the rate set
  at every step; the training loss logged and the held-out digits tested at the end.
"""

from __future__ import annotations

import time

import numpy as np

from cnnbook import data, models, optim, train
from cnnbook.experiments import experiment
from cnnbook.experiments.training import SEEDS, _round
from cnnbook.timing import machine_label

#: The range test: first and last rate, steps, and how many steps each logged loss averages.
RANGE_START, RANGE_END, RANGE_STEPS = 1e-5, 1.0, 80
#: The schedules: batch size, steps, starting rate (the recipe's), and how many steps each logged loss averages.
BATCH, SCHEDULE_STEPS, BASE_LR, LOG = 32, 160, 2e-3, 10
#: The step schedule divides the rate by this for the last third of the steps.
STEP_DROP = 10


def step_schedule(step):
    """The base rate, divided by :data:`STEP_DROP` for the last third of the steps."""
    return BASE_LR if step < 2 * SCHEDULE_STEPS // 3 else BASE_LR / STEP_DROP


#: Each schedule as the rate of step ``t`` (counted from 0); the cosine is :func:`cnnbook.optim.cosine_lr` over the
#: steps, from the base rate at the first to zero after the last.
SCHEDULES = {"constant": lambda step: BASE_LR, "step": step_schedule,
             "cosine": optim.cosine_lr(BASE_LR, SCHEDULE_STEPS)}


def _batches(digits, seed):
    """Batches of training digits, reshuffled each pass, without end."""
    rng = np.random.default_rng(seed)
    while True:
        yield from train.batches(digits.x_train, digits.y_train, BATCH, rng)


def _range_test(digits, seed):
    model = models.build("lenet5", rng=seed)
    opt = optim.Adam(model, lr=RANGE_START)
    growth = (RANGE_END / RANGE_START) ** (1 / (RANGE_STEPS - 1))
    rates, losses = [], []
    for step, (x, y) in zip(range(RANGE_STEPS), _batches(digits, seed)):
        opt.lr = RANGE_START * growth**step
        with np.errstate(over="ignore", invalid="ignore"):  # the last rates are meant to be too large
            loss, _ = train.train_step(model, x, y)
        if not np.isfinite(loss):
            break
        opt.step()
        rates.append(opt.lr)
        losses.append(loss)
    return {"rates": _round(rates, 8), "losses": _round(losses, 4)}


def _scheduled(digits, schedule, seed):
    model = models.build("lenet5", rng=seed)
    opt = optim.Adam(model, lr=BASE_LR)
    losses, window = [], []
    for step, (x, y) in zip(range(SCHEDULE_STEPS), _batches(digits, seed)):
        opt.lr = schedule(step)
        loss, _ = train.train_step(model, x, y)
        opt.step()
        window.append(loss)
        if len(window) == LOG:
            losses.append(sum(window) / LOG)
            window = []
    test_loss, test_accuracy = train.evaluate(model, digits.x_test, digits.y_test)
    return {"step_loss": _round(losses, 4), "test_loss": round(test_loss, 4), "test_accuracy": round(test_accuracy, 4)}


@experiment("ch07.schedules", parallel=True, seeds=SEEDS)
def schedules(seed=0):
    """LeNet-5's learning-rate range test and its three schedules (see the module's docstring), on the 4,000
    training digits, the weights and batches drawn by ``seed``."""
    digits = data.mnist(backend="numpy")
    start = time.process_time()
    result = {"machine": machine_label(), "range": _range_test(digits, seed)}
    result["schedules"] = {name: _scheduled(digits, schedule, seed) for name, schedule in SCHEDULES.items()}
    result.update({"seconds": round(time.process_time() - start, 2), "range_start": RANGE_START,
                   "range_end": RANGE_END, "range_steps": RANGE_STEPS, "batch": BATCH, "steps": SCHEDULE_STEPS,
                   "base_lr": BASE_LR, "log": LOG, "step_drop": STEP_DROP})
    return result
