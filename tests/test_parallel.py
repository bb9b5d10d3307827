"""Worker processes for the build: one core each, failures named."""

from __future__ import annotations

import math
import os

import pytest

from cnnbook._parallel import ONE_CORE, in_processes, one_core_children


def test_one_core_children_sets_and_restores_the_environment(monkeypatch):
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "7")
    monkeypatch.delenv("CNNBOOK_THREADS", raising=False)
    with one_core_children():
        assert all(os.environ[key] == value for key, value in ONE_CORE.items())
    assert os.environ["OPENBLAS_NUM_THREADS"] == "7" and "CNNBOOK_THREADS" not in os.environ


def test_a_failing_item_is_named():
    in_processes(math.sqrt, [4.0, 9.0], 2, str)  # all fine: returns quietly
    with pytest.raises(RuntimeError, match=r"item -1.0 failed: ValueError: math domain error"):
        in_processes(math.sqrt, [4.0, -1.0], 2, lambda x: f"item {x}")
