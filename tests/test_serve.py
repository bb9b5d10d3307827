"""Under `mkdocs serve` (the author's `make serve`), edits reach the served site: Markdown and code."""

from __future__ import annotations

import pytest

from tests.conftest import reproducible  # noqa: F401  (and puts scripts/ on sys.path)

import serve_latency  # noqa: E402

pytestmark = pytest.mark.build


def test_markdown_and_code_edits_are_served(built_site, tmp_path):
    book = tmp_path / "book"
    serve_latency.copy_book(book)
    cache = reproducible.copy_caches(built_site["cache"], tmp_path / "cache")  # warm, as after a first build
    server = serve_latency.Server(book, cache)
    try:
        edits = serve_latency.markdown_edit_latency(server, book, rounds=2)
        code = serve_latency.code_edit_latency(server, book)
    finally:
        server.stop()
    print(f"\nmarkdown edit -> served: {edits}; code edit -> figure served: {code}")
    assert all(t is not None for t in edits), "a Markdown edit never reached the served page"
    assert code is not None, "a change to cnnbook's figure code never reached the served figure (stale modules?)"
    assert max(edits) < 5, f"Markdown edits took {edits} s to be served"
