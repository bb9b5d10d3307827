"""Honest timings: medians of repeated runs, labelled with the machine that ran them."""

from __future__ import annotations

import os
import platform
import statistics
import time

import numpy as np

__all__ = ["machine_label", "median_time"]


def median_time(func, repeat=5, min_time=0.01):
    """Median seconds per call of ``func()`` over ``repeat`` rounds.

    Each round calls ``func`` enough times to last at least ``min_time`` seconds,
    so very fast functions are not lost in the timer's resolution. One untimed
    warm-up call comes first.

    Examples
    --------
    >>> median_time(lambda: sum(range(100)), repeat=3) > 0
    True
    """
    if repeat < 1:
        raise ValueError(f"median_time: repeat must be an int >= 1; got {repeat!r}")
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
    return statistics.median(rounds)


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
