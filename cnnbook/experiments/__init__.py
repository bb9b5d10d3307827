"""Named, seeded, cached computations whose results the book reports.

An experiment is a function registered under a name such as
``"ch01.conv_timings"`` that returns plain JSON data (numbers, lists, strings).
:func:`run` computes it once per version of the code it depends on and parameter set
(:mod:`cnnbook.cache`) and reads it back from the cache (:mod:`cnnbook.cache`) afterwards, so figures,
facts and notebooks built from it agree and rebuilds are fast.
"""

from __future__ import annotations

import json

from cnnbook._registry import load_modules
from cnnbook.cache import cache_path, cached_bytes, is_sound

__all__ = ["EXPERIMENTS", "experiment", "is_cached", "names", "run", "runs"]

EXPERIMENTS = {}


def experiment(name, parallel=False, seeds=None):
    """Register the decorated function as the experiment ``name``.

    ``parallel=True`` marks an experiment that may run in a worker process beside
    others (the build's scheduler, ``bookbuild/schedule.py``): one that trains networks and times only its
    own runs. Benchmarks, whose timings another busy core would distort, stay
    ``False`` and run alone.

    ``seeds`` (a tuple of ints) makes a seeded experiment: the function takes
    ``seed``, each seed's run is computed and cached on its own (:func:`runs`; in parallel
    where allowed), and :func:`run` without a seed returns them all,
    ``{"seeds": [...], "runs": [...]}``, for the comparisons of
    :mod:`cnnbook.claims`.
    """

    def register(func):
        if name in EXPERIMENTS:
            raise ValueError(f"experiment {name!r} is defined twice")
        EXPERIMENTS[name] = func
        func.parallel = bool(parallel)
        func.seeds = tuple(int(s) for s in seeds) if seeds else ()
        return func

    return register


def _load():
    load_modules(__name__)  # every chNN.py (and other public module) here registers its items


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
    ValueError: run: unknown experiment 'no such experiment'; known: ch01.conv_timings, ch04.layer_costs, ch05.backward_cost, ch06.effective_fields, ch07.augmentation, ch07.data_efficiency, ch07.learning_rates, ch07.lenet, ch07.normalization, ch07.regularization, ch07.schedules, ch08.depth, ch09.imagenet, ch09.imagenet_transfer, ch09.transfer
    """
    _load()
    if name not in EXPERIMENTS:
        raise ValueError(f"run: unknown experiment {name!r}; known: {', '.join(sorted(EXPERIMENTS))}")
    seeds = EXPERIMENTS[name].seeds
    if seeds and "seed" not in params:
        return {"seeds": list(seeds), "runs": [run(name, seed=seed, **params) for seed in seeds]}

    def compute():
        result = EXPERIMENTS[name](**params)
        return json.dumps(result, sort_keys=True, indent=1).encode()

    data, _ = cached_bytes("experiment", name, params, compute, ".json", module=EXPERIMENTS[name].__module__)
    return json.loads(data)


def runs(name):
    """The cached runs that make up experiment ``name``: one parameter dict per seed if seeded, else ``[{}]``.

    Examples
    --------
    >>> runs("ch08.depth")[0]
    {'seed': 0}
    >>> runs("ch01.conv_timings")
    [{}]
    """
    _load()
    seeds = EXPERIMENTS[name].seeds
    return [{"seed": seed} for seed in seeds] if seeds else [{}]


def is_cached(name, params):
    """Whether the run ``(name, params)`` is in the cache for the present code, whole (:func:`run` would read it)."""
    return is_sound(cache_path("experiment", name, params, ".json", module=EXPERIMENTS[name].__module__),
                    "experiment", name)
