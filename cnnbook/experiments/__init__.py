"""Named, seeded, cached computations whose results the book reports.

An experiment is a function registered under a name such as
``"ch01.conv_timings"`` that returns plain JSON data (numbers, lists, strings).
:func:`run` computes it once per version of the package and parameter set and
reads it back from the cache (:mod:`cnnbook.cache`) afterwards, so figures,
facts and notebooks built from it agree and rebuilds are fast.
"""

from __future__ import annotations

import importlib
import json

from cnnbook.cache import cached_bytes

__all__ = ["EXPERIMENTS", "experiment", "names", "run"]

#: Modules that define experiments, imported on first use.
_MODULES = ("cnnbook.experiments.conv_timings", "cnnbook.experiments.layer_costs",
            "cnnbook.experiments.backward_cost", "cnnbook.experiments.training",
            "cnnbook.experiments.transfer")
EXPERIMENTS = {}


def experiment(name):
    """Register the decorated function as the experiment ``name``."""

    def register(func):
        if name in EXPERIMENTS:
            raise ValueError(f"experiment {name!r} is defined twice")
        EXPERIMENTS[name] = func
        return func

    return register


def _load():
    for module in _MODULES:
        importlib.import_module(module)


def names():
    """Names of all experiments.

    Examples
    --------
    >>> "ch01.conv_timings" in names()
    True
    """
    _load()
    return sorted(EXPERIMENTS)


def run(name, **params):
    """The result of experiment ``name`` with ``params``: from the cache, or computed now.

    Returns
    -------
    dict
        The experiment's JSON result.

    Examples
    --------
    >>> run("no such experiment")
    Traceback (most recent call last):
    ...
    ValueError: run: unknown experiment 'no such experiment'; known: ch01.conv_timings, ch04.layer_costs, ch05.backward_cost, ch07.data_efficiency, ch07.depth, ch07.lenet, ch08.transfer
    """
    _load()
    if name not in EXPERIMENTS:
        raise ValueError(f"run: unknown experiment {name!r}; known: {', '.join(sorted(EXPERIMENTS))}")

    def compute():
        result = EXPERIMENTS[name](**params)
        return json.dumps(result, sort_keys=True, indent=1).encode()

    data, _ = cached_bytes("experiment", name, params, compute, ".json")
    return json.loads(data)
