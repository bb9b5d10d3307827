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

__all__ = ["EXPERIMENTS", "experiment", "names", "run", "run_parallel"]

#: Modules that define experiments, imported on first use.
_MODULES = ("cnnbook.experiments.conv_timings", "cnnbook.experiments.layer_costs",
            "cnnbook.experiments.backward_cost", "cnnbook.experiments.training",
            "cnnbook.experiments.transfer", "cnnbook.experiments.receptive_fields")
EXPERIMENTS = {}
#: Seconds the parallel experiments took on a 2-core machine (per seed, if seeded): they are started longest first.
_COST = {"ch08.transfer": 32, "ch07.data_efficiency": 26, "ch07.depth": 16, "ch07.lenet": 15,
         "ch06.effective_fields": 12}


def experiment(name, parallel=False, seeds=None):
    """Register the decorated function as the experiment ``name``.

    ``parallel=True`` marks an experiment that may run in a worker process beside
    others (:func:`run_parallel`): one that trains networks and times only its
    own runs. Benchmarks, whose timings another busy core would distort, stay
    ``False`` and run alone.

    ``seeds`` (a tuple of ints) makes a seeded experiment: the function takes
    ``seed``, each seed's run is computed and cached on its own (in parallel
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
    ValueError: run: unknown experiment 'no such experiment'; known: ch01.conv_timings, ch04.layer_costs, ch05.backward_cost, ch06.effective_fields, ch07.data_efficiency, ch07.depth, ch07.lenet, ch08.transfer
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

    data, _ = cached_bytes("experiment", name, params, compute, ".json")
    return json.loads(data)


def _items(name):
    """The cached runs that make up experiment ``name``: ``(name, params)`` pairs, one per seed if seeded."""
    seeds = EXPERIMENTS[name].seeds
    return [(name, {"seed": seed}) for seed in seeds] if seeds else [(name, {})]


def _run_item(item):
    name, params = item
    run(name, **params)


def _label(item):
    name, params = item
    return f"experiment {name!r}" + (f" (seed {params['seed']})" if "seed" in params else "")


def run_parallel(workers=None):
    """Compute every ``parallel`` experiment that is not cached yet, in worker processes of one core each.

    The networks these experiments train are small, so NumPy keeps about one
    core busy; on a machine with two cores two experiments at a time finish
    in little more than half the time. A seeded experiment's seeds are separate
    items. The results land in the cache, where :func:`run` finds them.
    Returns the items computed (``"name"`` or ``"name[seed]"``), longest-running
    first (the order they are started in).
    """
    from cnnbook._parallel import cores, in_processes
    from cnnbook.cache import cache_path

    _load()
    items = [item for name in sorted(EXPERIMENTS) if EXPERIMENTS[name].parallel for item in _items(name)]
    pending = [(name, params) for name, params in items if not cache_path("experiment", name, params, ".json").is_file()]
    pending.sort(key=lambda item: -_COST.get(item[0], 0))  # longest first: two workers then finish close together
    workers = min(len(pending), workers or cores())
    if workers <= 1:
        for item in pending:
            _run_item(item)
    else:
        in_processes(_run_item, pending, workers, _label)  # results bit for bit the same
    return [name + (f"[{p['seed']}]" if "seed" in p else "") for name, p in pending]

