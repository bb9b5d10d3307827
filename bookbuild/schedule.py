"""What the build computes before it writes pages, in which order, and how many things at a time.

1. The training experiments (``parallel=True``), each seed a separate item, in worker processes of one core
   each (:mod:`bookbuild.workers`), longest first, so that two workers finish close together.
2. The other experiments, the benchmarks, one at a time in the build's own process on an otherwise quiet
   machine: another busy core would distort their timings.
3. The figures not yet cached, in worker processes, longest first: drawing is single-threaded Python.

"Longest" is what the item took the last time it was computed: the seconds are kept beside the cache, in
``$CNNBOOK_CACHE/costs.json``. A first build, whose cache is empty, orders by ``bookbuild/costs.json``, the
costs a whole build measured, committed (``python -m bookbuild.schedule`` copies the last build's there); an
item measured nowhere starts first. Only what the cache lacks is computed: an edit recomputes the items whose
code it changed (:mod:`cnnbook.cache`).

    python -m bookbuild.schedule      # bookbuild/costs.json := the last build's measured costs
"""

from __future__ import annotations

import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

from bookbuild.workers import cores, in_processes


def _costs_file():
    from cnnbook.cache import cache_dir

    return cache_dir() / "costs.json"


#: The costs a whole build measured, for a first build's order (see the module's docstring).
FIRST_BUILD = Path(__file__).with_name("costs.json")


def _read(path):
    try:
        costs = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return {}
    return {k: float(v) for k, v in costs.items() if isinstance(v, (int, float))} if isinstance(costs, dict) else {}


def load_costs():
    """``{item label: seconds}`` measured when each item was last computed (``{}`` if none, or unreadable)."""
    return _read(_costs_file())


def _save_costs(measured):
    if not measured:
        return
    costs = load_costs() | measured
    path = _costs_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".part") as tmp:
        json.dump(costs, tmp, sort_keys=True, indent=1)
    os.replace(tmp.name, path)


def _longest_first(labels):
    costs = _read(FIRST_BUILD) | load_costs()
    return sorted(labels, key=lambda label: -costs.get(label, math.inf))


def experiment_label(name, params):
    """``"experiment 'ch08.depth' (seed 0)"``: how the build names one run, in its log and its errors."""
    return f"experiment {name!r}" + (f" (seed {params['seed']})" if "seed" in params else "")


def _timed_experiment(item):
    from cnnbook import experiments

    name, params = item
    start = time.perf_counter()
    experiments.run(name, **params)
    return time.perf_counter() - start


def _timed_figure(name):
    import matplotlib

    from cnnbook import figures

    matplotlib.use("Agg")  # a worker draws to files only
    start = time.perf_counter()
    figures.render(name)
    return time.perf_counter() - start


def _in_workers(func, items, labels, workers, always=False):
    """Compute ``items`` (given with their labels), longest first; record how long each took. With ``always``, even
    one item runs in a worker of one core: a training run computed in this process, with its threads, would
    differ in the last bits from the same run in a worker, so a build resumed with one run left would not
    reproduce the build that was interrupted (scripts/fault_injection.py found it)."""
    order = _longest_first(labels)
    position = {label: i for i, label in enumerate(labels)}
    items = [items[position[label]] for label in order]
    label_of = {id(item): label for item, label in zip(items, order)}  # items may be unhashable (dicts inside)
    workers = min(len(items), workers or cores())
    if workers <= 1 and not always:
        seconds = []
        for item, label in zip(items, order):
            try:
                seconds.append(func(item))
            except Exception as exc:
                raise RuntimeError(f"{label} failed: {type(exc).__name__}: {exc}") from exc
    else:
        seconds = in_processes(func, items, workers, lambda item: label_of[id(item)])
    _save_costs(dict(zip(order, seconds)))
    return order


def training_experiments(workers=None):
    """Step 1: compute the training runs the cache lacks, in worker processes; returns their labels."""
    from cnnbook import experiments

    items = [(name, params) for name in experiments.names() if experiments.EXPERIMENTS[name].parallel
             for params in experiments.runs(name) if not experiments.is_cached(name, params)]
    if not items:
        return []
    return _in_workers(_timed_experiment, items, [experiment_label(*item) for item in items], workers, always=True)


def other_experiments():
    """Step 2: the benchmarks (and any run step 1 left), one at a time here; returns the labels computed."""
    from cnnbook import experiments

    items = [(name, params) for name in experiments.names() for params in experiments.runs(name)
             if not experiments.is_cached(name, params)]
    measured = {}
    for item in items:
        label = experiment_label(*item)
        try:
            measured[label] = _timed_experiment(item)
        except Exception as exc:
            raise RuntimeError(f"{label} failed: {type(exc).__name__}: {exc}") from exc
    _save_costs(measured)
    return list(measured)


def figures_to_draw(workers=None):
    """Step 3: draw the figures the cache lacks, in worker processes; returns their labels."""
    from cnnbook import figures

    names = [name for name in figures.names() if not figures.is_cached(name)]
    if not names:
        return []
    return _in_workers(_timed_figure, names, [f"figure {name!r}" for name in names], workers)


def main():
    """Copy the last build's measured costs (``$CNNBOOK_CACHE``, else ``.cache/cnnbook``) to ``bookbuild/costs.json``."""
    os.environ.setdefault("CNNBOOK_CACHE", str(Path(__file__).resolve().parent.parent / ".cache" / "cnnbook"))
    costs = load_costs()
    if not costs:
        sys.exit(f"no measured costs in {_costs_file()}: build the book first")
    FIRST_BUILD.write_text(json.dumps({k: round(v, 2) for k, v in sorted(costs.items())}, indent=1) + "\n")
    print(f"{FIRST_BUILD}: {len(costs)} items, {sum(costs.values()):.0f} s in all")


if __name__ == "__main__":
    main()
