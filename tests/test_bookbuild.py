"""The doctests of the build's own modules (bookbuild/ is left out of pytest's collection: its hooks file is
loaded by MkDocs, not imported as a test module)."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

MODULES = sorted(p.stem for p in (Path(__file__).resolve().parent.parent / "bookbuild").glob("[a-z]*.py"))


@pytest.mark.parametrize("name", MODULES)
def test_bookbuild_doctests(name):
    module = importlib.import_module(f"bookbuild.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"bookbuild.{name}: {result.failed} of {result.attempted} doctests failed"


def test_the_modules_with_examples_have_them_found():
    finder = doctest.DocTestFinder()
    counts = {name: sum(len(t.examples) for t in finder.find(importlib.import_module(f"bookbuild.{name}")))
              for name in ("hooks", "mathtex", "macros", "notebooks")}
    assert all(counts.values()), counts
