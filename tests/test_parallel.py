"""Worker processes for the build: one core each, failures named."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time

import pytest

from bookbuild.workers import ONE_CORE, in_processes, one_core_children


def test_one_core_children_sets_and_restores_the_environment(monkeypatch):
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "7")
    monkeypatch.delenv("CNNBOOK_THREADS", raising=False)
    with one_core_children():
        assert all(os.environ[key] == value for key, value in ONE_CORE.items())
    assert os.environ["OPENBLAS_NUM_THREADS"] == "7" and "CNNBOOK_THREADS" not in os.environ


def test_a_failing_item_is_named():
    assert in_processes(math.sqrt, [4.0, 9.0], 2, str) == [2.0, 3.0]
    with pytest.raises(RuntimeError, match=r"item -1.0 failed: ValueError: math domain error"):
        in_processes(math.sqrt, [4.0, -1.0], 2, lambda x: f"item {x}")


PARENT = """
import sys, time
from bookbuild.workers import in_processes
from tests.test_parallel import sleep_and_record
in_processes(sleep_and_record, [sys.argv[1]] * 2, 2, str)
"""


def sleep_and_record(folder):
    """A worker's task: note its process id, then work for a minute."""
    from pathlib import Path

    Path(folder, str(os.getpid())).touch()
    time.sleep(60)


def test_workers_end_when_the_build_is_killed(tmp_path):
    from tests.conftest import ROOT

    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(tmp_path)], cwd=ROOT,
                              env=dict(os.environ, PYTHONPATH=str(ROOT)))
    deadline = time.monotonic() + 60
    while len(list(tmp_path.iterdir())) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    workers = [int(p.name) for p in tmp_path.iterdir()]
    assert len(workers) == 2, "the workers never started"
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers), "a worker outlived the killed build"


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"  # a zombie has ended
    except FileNotFoundError:
        return False


def threads_of_this_process(_item):
    """A worker's task: the cnnbook threads it may use, as the 'seconds' the schedule records."""
    return float(os.environ.get("CNNBOOK_THREADS", "0"))


def test_a_lone_training_run_still_computes_in_a_one_core_worker(tmp_path, monkeypatch):
    """A training run computed in the build's own process, with its threads, differs in the last bits from the same
    run in a worker: the last run left, as when a killed build is resumed, must go to a worker too."""
    from bookbuild import schedule

    monkeypatch.setenv("CNNBOOK_CACHE", str(tmp_path))
    monkeypatch.delenv("CNNBOOK_THREADS", raising=False)
    schedule._in_workers(threads_of_this_process, ["run"], ["lone run"], workers=2, always=True)
    assert schedule.load_costs()["lone run"] == 1.0
    schedule._in_workers(threads_of_this_process, ["figure"], ["lone figure"], workers=2)
    assert schedule.load_costs()["lone figure"] == 0.0  # a figure is drawn here: no threads to fear
