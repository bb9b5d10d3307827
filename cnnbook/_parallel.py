"""Spread elementwise NumPy work over the CPU's cores.

NumPy's copies and ufuncs release the GIL, so threads that each handle a slice
of the batch (or of the channels) run truly in parallel; BLAS calls already use
every core on their own. On CuPy the GPU is parallel already: one call does it all.
"""

from __future__ import annotations

import functools
import os
from concurrent.futures import ThreadPoolExecutor

__all__ = ["cores", "split_run"]

# Below this many elements per call (4 MB of float32), thread hand-over costs more than it saves: training
# LeNet-5 in batches of 32 ran 14% faster with this threshold than with 1 << 16 (chapter 9's note).
_MIN_ELEMENTS = 1 << 20


def cores():
    """CPU cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


@functools.cache
def _workers():
    """Threads to use: ``CNNBOOK_THREADS`` if set, else the cores this process may run on (at most 8)."""
    setting = os.environ.get("CNNBOOK_THREADS", "").strip()
    if setting:
        if not setting.isdigit() or int(setting) < 1:
            raise ValueError(f"CNNBOOK_THREADS must be a positive integer; got {setting!r}")
        return int(setting)
    return max(1, min(cores(), 8))


@functools.cache
def _pool():
    return ThreadPoolExecutor(max_workers=_workers(), thread_name_prefix="cnnbook")


# A forked child (the exercise checker runs learner code in one) has none of the parent's threads: it starts
# a pool of its own, instead of handing work to threads that are not there.
os.register_at_fork(after_in_child=_pool.cache_clear)

def split_run(n, work, elements=None, xp=None):
    """Call ``work(start, stop)`` on consecutive parts of ``range(n)``, in parallel threads.

    ``elements`` (the total size of the arrays touched) keeps small jobs on one
    thread; ``xp`` other than NumPy also runs inline. Errors in any part are re-raised.

    Examples
    --------
    >>> seen = []
    >>> split_run(10, lambda a, b: seen.append((a, b)), elements=10**7)
    >>> sorted(seen)[0][0], sorted(seen)[-1][1]
    (0, 10)
    """
    parts = min(_workers(), n)
    if parts <= 1 or (elements is not None and elements < _MIN_ELEMENTS) or (xp is not None and xp.__name__ != "numpy"):
        if n > 0:
            work(0, n)
        return
    bounds = [round(i * n / parts) for i in range(parts + 1)]
    futures = [_pool().submit(work, a, b) for a, b in zip(bounds, bounds[1:]) if b > a]
    for future in futures:
        future.result()
