"""Fixtures of the test suite: array libraries, random generators, the built site, a browser."""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from cnnbook.backend import gpu_available

ROOT = Path(__file__).resolve().parent.parent


def chapter_figures(number):
    """Names of the registered figures of chapter ``number`` (``"chNN.*"``)."""
    from cnnbook import figures

    return [name for name in figures.names() if name.startswith(f"ch{number:02d}.")]


def chapter_pages():
    """``{chapter number: "chapters/NN-name"}`` for every chapter page in docs/."""
    return {int(md.stem[:2]): f"chapters/{md.stem}" for md in sorted((ROOT / "docs" / "chapters").glob("[0-9][0-9]-*.md"))}
sys.path.insert(0, str(ROOT / "scripts"))
import reproducible  # noqa: E402  (scripts/reproducible.py: build and compare sites)

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")

#: Markers of the tests that take longest, in the order ``make test``'s parallel phase starts them: the long ones
#: first, so that at the end the short ones fill both cores instead of one long test running alone.
LONG_FIRST = ("browser", "build", "long")


def pytest_collection_modifyitems(items):
    """Long tests first (a stable sort: the same order in every xdist worker, as xdist requires)."""
    def rank(item):
        return next((i for i, mark in enumerate(LONG_FIRST) if item.get_closest_marker(mark)), len(LONG_FIRST))

    items.sort(key=rank)


@pytest.fixture(params=["numpy", pytest.param("cupy", marks=pytest.mark.gpu)])
def xp(request):
    """Each test runs on NumPy, and on CuPy where a GPU works (skipped cleanly otherwise)."""
    if request.param == "numpy":
        return np
    if not gpu_available():
        pytest.skip("CuPy GPU tests need a working NVIDIA GPU")
    import cupy

    return cupy


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def chromium_or_skip():
    """Path of Chromium; skip when missing locally, fail when missing in CI."""
    if Path(CHROMIUM).exists() or shutil.which(CHROMIUM):
        return CHROMIUM
    if os.environ.get("CI"):
        pytest.fail(f"CI needs Chromium at {CHROMIUM} for the browser tests (.ci/run installs it)")
    pytest.skip(f"no Chromium at {CHROMIUM}: install Debian's chromium to run the browser tests")


@pytest.fixture(scope="session")
def build_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("build")


@pytest.fixture(scope="session")
def built_site(build_dir):
    """A strict build from empty caches (a cold build); the browser tests read this site.

    ``make test`` builds it once, first, on a quiet machine (``scripts/build_speed.py --keep``, which also
    times it) and names it in ``$CNNBOOK_TEST_BUILD``; without that variable the fixture builds it here.
    """
    kept = os.environ.get("CNNBOOK_TEST_BUILD")
    if kept:
        kept = Path(kept)
        if not (kept / "cold.json").is_file():
            pytest.fail(f"CNNBOOK_TEST_BUILD={kept} holds no cold build (scripts/build_speed.py --keep makes one)")
        cold = json.loads((kept / "cold.json").read_text())
        return {"site": kept / "site", "cache": kept / "cache" / "cnnbook", "seconds": cold["seconds"],
                "slowdown": cold.get("slowdown")}
    seconds, _ = reproducible.build(build_dir / "site", build_dir / "cache" / "cnnbook")
    print(f"\ncold build: {seconds:.1f} s")
    return {"site": build_dir / "site", "cache": build_dir / "cache" / "cnnbook", "seconds": seconds}


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def site_url(built_site):
    handler = functools.partial(_QuietHandler, directory=str(built_site["site"]))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    executable = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield browser
        browser.close()
