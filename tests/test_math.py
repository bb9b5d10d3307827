"""Math typeset at build (bookbuild/mathtex.py): pages carry KaTeX's HTML, need no math script, and bad TeX
fails the build naming the page."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import pytest

from bookbuild import mathtex

CELL = '<div class="jp-RenderedHTMLCommon jp-RenderedMarkdown jp-MarkdownOutput" data-mime-type="text/markdown">{}</div>'


def test_notebook_cells_have_their_dollar_math_typeset_and_nothing_else():
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    markdown = "A $k \\times k$ kernel, and\n\n$$o = \\lfloor n/s \\rfloor$$\n\nThe code `$x$` is code."
    cell = CELL.format(markdown2html_mistune(markdown))  # as nbconvert renders a lab's Markdown cell
    out = mathtex.typeset_page(f"<h1>Lab</h1>{cell}<pre>$y$</pre>")
    assert out.count('class="katex"') == 2 and out.count('class="katex-display"') == 1, out
    assert "<code>$x$</code>" in out and "<pre>$y$</pre>" in out
    assert "$k" not in out and "$$" not in out
    # $ math outside a notebook's Markdown cell (an output, a code cell) is left alone
    assert mathtex.typeset_page("<p>$z$</p>") == "<p>$z$</p>"


def test_typeset_formulas_are_kept_and_a_foreign_or_damaged_store_is_ignored(tmp_path, monkeypatch):
    from cnnbook import cache

    monkeypatch.setattr(mathtex.KATEX, "stored", None)  # as in a new process
    mathtex.start_build(tmp_path)
    mathtex.typeset_page('<span class="arithmatex">\\(a^2\\)</span>')
    mathtex.end_build(tmp_path, full=True)
    [store] = tmp_path.glob("katex-*.json")
    assert [["a^2", False]] == [row[:2] for row in json.loads(cache.read_entry(store))]
    for damage in (lambda: cache.write_entry(store, b'[["a^2", false]]'),  # sound digest, another layout
                   lambda: store.write_bytes(store.read_bytes()[:-5])):  # truncated
        damage()
        monkeypatch.setattr(mathtex.KATEX, "stored", None)
        mathtex.start_build(tmp_path)  # reported and ignored, never a crash
        assert not store.exists()
        mathtex.typeset_page('<span class="arithmatex">\\(a^2\\)</span>')
        mathtex.end_build(tmp_path, full=True)
        assert store.exists()


def test_arithmatex_math_is_unescaped_before_typesetting():
    out = mathtex.typeset_page('<div class="arithmatex">\\[\n\\begin{aligned} a &amp;&lt; b \\end{aligned}\n\\]</div>')
    assert out.startswith('<div class="arithmatex"><span class="katex-display">'), out
    assert '<annotation encoding="application/x-tex">\\begin{aligned} a &amp;&lt; b \\end{aligned}</annotation>' in out


def test_search_reads_each_formula_once_as_text():
    out = mathtex.typeset_page('<p>an <span class="arithmatex">\\(H \\times W\\)</span> array</p>', for_search=True)
    assert re.sub(r"<[^>]+>", "", out) == "an H×W array"


def test_bad_tex_fails_the_build_naming_the_page_and_the_formula():
    from mkdocs.exceptions import PluginError

    from bookbuild import hooks

    page = SimpleNamespace(file=SimpleNamespace(src_uri="chapters/99-broken.md"), meta={})
    with pytest.raises(PluginError, match=r"chapters/99-broken\.md: TeX '\\\\sqrt\{2': KaTeX parse error"):
        hooks._typeset_math('<p><span class="arithmatex">\\(\\sqrt{2\\)</span></p>', page=page, config={},
                              files=[])


@pytest.mark.build
def test_built_pages_carry_typeset_math_and_no_math_script(built_site):
    site = built_site["site"]
    assert not (site / "assets" / "katex" / "katex.min.js").exists()
    assert (site / "assets" / "katex" / "katex.min.css").is_file()
    typeset = 0
    for page in sorted(site.rglob("*.html")):
        html = page.read_text(encoding="utf-8")
        assert not re.search(r"<script[^>]+(katex|auto-render|math\.js)", html), page
        wrappers = re.findall(r'<(?:span|div) class="arithmatex">(.{0,40})', html)
        raw = [w for w in wrappers if not w.startswith(('<span class="katex', '<span class="katex-display'))]
        assert raw == [], f"{page}: formulas left as TeX: {raw[:3]}"
        typeset += len(wrappers)
    assert typeset > 1000, typeset
    docs = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
    text = " ".join(doc["text"] for doc in docs)
    assert "\\(" not in text and "\\[" not in text and "H×WH×W" not in text
    assert "an H×W array" in text
