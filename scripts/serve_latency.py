"""Measure the author's loop under ``mkdocs serve``, on a throw-away copy of the book.

1. Markdown edit: append a marker to a chapter, time until the served page contains it.
2. Code edit: change a colour in a figure's code, time until the served figure changes.

    python scripts/serve_latency.py        # prints both times, exit status 1 if either never updates
"""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PARTS = ["cnnbook", "bookbuild", "docs", "mkdocs.yml"]


def copy_book(target):
    """Copy what a build needs into ``target`` (node_modules is linked, not copied)."""
    for part in PARTS:
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(src, target / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(src, target / part)
    (target / "node_modules").symlink_to(ROOT / "node_modules")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read()
    except OSError:
        return None


def _wait_for(predicate, timeout, step=0.02):
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if predicate():
            return time.perf_counter() - start
        time.sleep(step)
    return None


START_TIMEOUT = 120  # seconds for `mkdocs serve` to answer (a cold first build included)


class Server:
    """``mkdocs serve`` of a book copy on a free port."""

    def __init__(self, book, cache, extra=()):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        # as `make serve` runs it: without the whole-book print page and the search index
        env = dict(os.environ, CNNBOOK_CACHE=str(cache), NO_MKDOCS_2_WARNING="1", CNNBOOK_PRINT_PAGE="false",
                   CNNBOOK_SEARCH="false", CNNBOOK_MACRO_ERRORS_FAIL="false")
        self.log = Path(book) / "serve.log"  # what mkdocs serve printed
        with self.log.open("w") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "mkdocs", "serve", "--dirty", "--no-strict", "--dev-addr", f"127.0.0.1:{self.port}",
                 "--livereload", *extra], cwd=book, env=env, stdout=log, stderr=subprocess.STDOUT)
        if _wait_for(lambda: _get(self.url) is not None, timeout=START_TIMEOUT, step=0.2) is None:
            self.stop()
            raise RuntimeError(f"mkdocs serve did not start within {START_TIMEOUT} s")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def wait_for_page(server, path, predicate, timeout=60):
    """Seconds until the served page ``path`` (e.g. ``"using/"``) satisfies ``predicate(html)``, or None."""
    return _wait_for(lambda: predicate((_get(server.url + path) or b"").decode("utf-8", "replace")), timeout,
                     step=0.2)


def markdown_edit_latency(server, book, rounds=3):
    """Seconds from saving a Markdown edit to the served page showing it (one per round)."""
    page = book / "docs" / "using.md"
    times = []
    for number in range(rounds):
        marker = f"serve-latency-marker-{number}-{time.time_ns()}"
        time.sleep(0.5)  # let the watcher settle after the previous rebuild
        with page.open("a", encoding="utf-8") as f:
            f.write(f"\n{marker}\n")
        times.append(_wait_for(lambda: marker.encode() in (_get(server.url + "using/") or b""), timeout=60))
    return times


def code_edit_latency(server, book, colour="#8c564b"):
    """Seconds from editing a figure's code (the dense wiring's grey becomes ``colour``) to the served figure
    changing. A second measurement that shares the cache must pick another colour, or it finds the figure drawn."""
    url = server.url + "figures/ch01.connectivity.svg"
    before = _get(url)
    code = book / "cnnbook" / "figures" / "ch01.py"
    source = code.read_text()
    if source.count('"#9a9a9a"') != 1:
        raise RuntimeError("code_edit_latency: figures/ch01.py no longer has the dense wiring's grey to edit")
    code.write_text(source.replace('"#9a9a9a"', f'"{colour}"'))
    return _wait_for(lambda: (_get(url) or before) != before and colour.encode() in (_get(url) or b""), timeout=120)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        book = Path(tmp) / "book"
        copy_book(book)
        cache = Path(os.environ.get("CNNBOOK_CACHE", ROOT / ".cache" / "cnnbook"))
        local_cache = Path(tmp) / "cache" / "cnnbook"
        if cache.is_dir():  # the same code: a warm start, as an author has
            shutil.copytree(cache.parent, local_cache.parent)
        server = Server(book, local_cache)
        try:
            edits = markdown_edit_latency(server, book)
            code = code_edit_latency(server, book)
        finally:
            server.stop()
    ok = [t for t in edits if t is not None]
    print("markdown edit -> page served: " + ", ".join("never" if t is None else f"{t:.2f} s" for t in edits)
          + (f" (median {statistics.median(ok):.2f} s)" if ok else ""))
    print("code edit -> figure served: " + ("never" if code is None else f"{code:.2f} s"))
    return 0 if len(ok) == len(edits) and code is not None else 1


if __name__ == "__main__":
    sys.exit(main())
