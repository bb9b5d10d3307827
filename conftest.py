"""pytest set-up shared by the package doctests, the chapter code blocks and the tests."""

from __future__ import annotations

import numpy as np
import pytest
from sybil import Sybil
from sybil.parsers.markdown import PythonCodeBlockParser, SkipParser

# Lab notebooks are executed by the build (and by tests/test_labs.py), not imported as modules.
collect_ignore_glob = ["docs/labs/*.py", "site/*", "bookbuild/*"]


@pytest.fixture(autouse=True)
def _legacy_scalar_repr(doctest_namespace):
    """Print NumPy scalars as 1.5, not np.float64(1.5), in doctests and chapter examples."""
    with np.printoptions(legacy="1.25"):
        yield


# Every ```python block of every chapter runs; blocks starting with >>> are checked as doctests.
pytest_collect_file = Sybil(
    parsers=[PythonCodeBlockParser(), SkipParser()],
    patterns=["*.md"],
    path="docs",
).pytest()
