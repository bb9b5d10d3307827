"""Under `mkdocs serve` (the author's `make serve`), edits reach the served site: Markdown and code."""

from __future__ import annotations

import pytest

from tests.conftest import reproducible  # noqa: F401  (and puts scripts/ on sys.path)

import serve_latency  # noqa: E402

pytestmark = pytest.mark.build


@pytest.mark.alone
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
    # the figure module's edit wrote again only chapter 1's page (its figures' alt texts may have changed) and
    # the 404 page, which mkdocs writes on every build (bookbuild/pages.py)
    import re

    rewritten = [int(n) for n in re.findall(r"code changed: (\d+) pages to write again", server.log.read_text())]
    assert rewritten and rewritten[-1] <= 2, f"a figure-module edit wrote {rewritten} pages again"


def _edit(path, old, new):
    text = path.read_text()
    assert text.count(old) == 1, f"the test's edit needs {old!r} once in {path.name}"
    path.write_text(text.replace(old, new))


def test_serve_survives_author_mistakes(built_site, tmp_path):
    """Each mistake shows on the served page (naming what is at fault) while the server stays up, and the fix
    is served again: an unknown macro, a syntax error in cnnbook, a figure that raises, a lab cell that raises."""
    book = tmp_path / "book"
    serve_latency.copy_book(book)
    cache = reproducible.copy_caches(built_site["cache"], tmp_path / "cache")
    server = serve_latency.Server(book, cache)
    page, chapter = book / "docs" / "using.md", book / "cnnbook" / "figures" / "ch01.py"
    lab = book / "docs" / "labs" / "ch02_padding_stride.py"
    mistakes = [  # (file, old text, mistaken text, page to look at, what the page must show)
        (page, "\n", '\n{{ fact("ch01.nonexistent") }}\n', "using/", "unknown fact 'ch01.nonexistent'"),
        (chapter, "def connectivity(", "def connectivity(:", "using/", "SyntaxError"),
        (chapter, "def connectivity(n_in=WIRING_INPUTS, k=WIRING_KERNEL):\n",
         "def connectivity(n_in=WIRING_INPUTS, k=WIRING_KERNEL):\n    raise RuntimeError('a drawing mistake')\n",
         "using/", "figure 'ch01.connectivity' failed: RuntimeError: a drawing mistake"),
        (lab, "import numpy as np\n", "import numpy as np\nraise ValueError('a lab mistake')\n", "using/",
         "a lab mistake"),
    ]
    try:
        for path, old, mistake, where, shown in mistakes:
            good = path.read_text()
            if old == "\n":
                path.write_text(good + mistake)
            else:
                _edit(path, old, mistake)
            seen = serve_latency.wait_for_page(server, where, lambda html: shown in html, timeout=240)
            assert seen is not None, f"{path.name}: the page never showed {shown!r}"
            path.write_text(good)
            recovered = serve_latency.wait_for_page(
                server, where, lambda html: shown not in html and "cnnbook-build-error" not in html, timeout=240)
            assert recovered is not None, f"{path.name}: the page never recovered after the fix"
        assert server.proc.poll() is None, "mkdocs serve ended"
    finally:
        server.stop()
