"""Honest timings: medians of repeated runs, labelled with the machine that ran them."""

from __future__ import annotations

import os
import platform
import statistics
import time

import numpy as np

__all__ = ["machine_label", "median_time", "round_times"]


def median_time(func, repeat=5, min_time=0.01):
    """Median seconds per call of ``func()`` over ``repeat`` rounds (:func:`round_times`).

    Examples
    --------
    >>> median_time(lambda: sum(range(100)), repeat=3) > 0
    True
    """
    return statistics.median(round_times(func, repeat, min_time, where="median_time"))


def round_times(func, repeat=5, min_time=0.01, where="round_times"):
    """Seconds per call of ``func()`` in each of ``repeat`` rounds.

    Each round calls ``func`` enough times to last at least ``min_time`` seconds,
    so very fast functions are not lost in the timer's resolution. One untimed
    warm-up call comes first. The book compares timings by all their rounds
    (:func:`cnnbook.claims.compare` with ``paired=False``), not by one median.

    Examples
    --------
    >>> rounds = round_times(lambda: sum(range(100)), repeat=3)
    >>> len(rounds), min(rounds) > 0
    (3, True)
    >>> round_times(print, repeat=0)
    Traceback (most recent call last):
    ...
    ValueError: round_times: repeat must be an int >= 1; got 0
    """
    if not isinstance(repeat, int) or isinstance(repeat, bool) or repeat < 1:
        raise ValueError(f"{where}: repeat must be an int >= 1; got {repeat!r}")
    func()
    start = time.perf_counter()
    func()
    once = max(time.perf_counter() - start, 1e-9)
    loops = max(1, int(min_time / once))
    rounds = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(loops):
            func()
        rounds.append((time.perf_counter() - start) / loops)
    return rounds


def machine_label():
    """A short description of this machine: CPU model, cores, NumPy version.

    Examples
    --------
    >>> "NumPy" in machine_label()
    True
    """
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{cpu}, {cores} cores, NumPy {np.__version__}"
