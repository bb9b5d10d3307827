"""How the four registries (figures, facts, exercises, experiments) find their modules: by name, not by a list.

Every module of the registry's package whose name does not start with ``_`` is imported the first time the
registry is asked for its names, so a new chapter's ``chNN.py`` is found as soon as it exists.
:mod:`cnnbook.cache` reads a call to :func:`load_modules` as "this package may run any of its modules".
"""

from __future__ import annotations

import importlib
import pkgutil

__all__ = ["load_modules", "module_names"]


def module_names(package):
    """The public modules of ``package`` (a dotted name), sorted.

    Examples
    --------
    >>> module_names("cnnbook.experiments")[:2]
    ['cnnbook.experiments.augmentation', 'cnnbook.experiments.backward_cost']
    >>> "cnnbook.facts.ch01" in module_names("cnnbook.facts")
    True
    """
    path = importlib.import_module(package).__path__
    return sorted(f"{package}.{info.name}" for info in pkgutil.iter_modules(path) if not info.name.startswith("_"))


_LOADED = set()


def load_modules(package):
    """Import every public module of ``package``, so that each registers what it defines (once per process:
    ``mkdocs serve`` imports the whole package afresh after an edit)."""
    if package in _LOADED:
        return
    for name in module_names(package):
        importlib.import_module(name)
    _LOADED.add(package)
