"""Worker processes for the build: one core each, failures named, and none outliving the build.

The build runs its training experiments, its figures and its labs two at a time on a two-core machine. Each
worker is a spawned process that uses one core (one BLAS thread, one ``cnnbook`` thread), so two workers
share two cores without fighting over them; results are the same bit for bit as in one process.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time

__all__ = ["ONE_CORE", "cores", "in_processes", "one_core_children"]

#: Environment for child processes that should each use one core: one thread for BLAS and for cnnbook's
#: own loops. It must be set before the child imports NumPy; results are the same bit for bit.
ONE_CORE = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "CNNBOOK_THREADS": "1"}


@contextlib.contextmanager
def one_core_children():
    """Within the block, processes started (and what they start in turn) inherit :data:`ONE_CORE`."""
    saved = {key: os.environ.get(key) for key in ONE_CORE}
    os.environ.update(ONE_CORE)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key)
            else:
                os.environ[key] = value


def _exit_with(parent):
    """In a worker: end this process as soon as ``parent`` (the build) is gone, even mid-task."""

    def watch():
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(70)

    threading.Thread(target=watch, daemon=True, name="exit-with-build").start()


def in_processes(func, items, workers, label):
    """``[func(item) for item in items]``, computed in ``workers`` spawned processes of one core each.

    Items are handed out in the order given, each to the first free worker. ``func`` must be a module-level
    function (the workers import it). The first item whose call fails raises
    ``RuntimeError("<label(item)> failed: ...")``. A worker ends when the build process ends, however it ends
    (a killed build leaves no worker computing into the cache).
    """
    import multiprocessing

    with one_core_children():
        pool = multiprocessing.get_context("spawn").Pool(workers, initializer=_exit_with, initargs=(os.getpid(),))
    with pool:
        jobs = [(item, pool.apply_async(func, (item,))) for item in items]
        results = []
        for item, job in jobs:
            try:
                results.append(job.get())
            except Exception as exc:
                raise RuntimeError(f"{label(item)} failed: {type(exc).__name__}: {exc}") from exc
    return results


def cores():
    """CPU cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
