"""The site quality gate: every page of the built book, crawled and checked the way a reader meets it.

Offline and on 127.0.0.1 only. For each page: status 200, no console errors or warnings, no failed or
off-site requests, every image decoded with alt text, every formula typeset, every notebook output
present, and no serious or critical axe-core violation in the light or the dark scheme (the whole-book
print page, made of the other pages' content, in the light one). Each page
except the whole-book print page transfers at most 1.5 MB, counted as a host like GitHub Pages sends
it: text gzipped, images and fonts as they are. Then the links and anchors of the whole site, and
offline search, and the whole book printed to PDF by Chromium.
"""

from __future__ import annotations

import functools
import gzip
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bookbuild import sitecheck
from tests.test_browser import Visit, _math_report

pytestmark = [pytest.mark.browser, pytest.mark.build]

PAGE_BUDGET = 1.5e6  # bytes transferred per page: HTML, images, scripts, stylesheets, fonts
WHOLE_BOOK = "print_page/index.html"  # the whole book on one page: reported, not held to a page's budget
SCHEMES = ("light", "dark")


@pytest.fixture(scope="session")
def pages(built_site):
    return sitecheck.crawl(built_site["site"])


def _url(site_url, page):
    path = page.path[: -len("index.html")] if page.path.endswith("index.html") else page.path
    return site_url + path


_COMPRESSED = {".html", ".css", ".js", ".json", ".svg", ".xml", ".txt", ".map"}


@functools.cache
def _wire_bytes(file):
    """Bytes a host like GitHub Pages sends for ``file``: gzip for text, as is for images and fonts."""
    data = file.read_bytes()
    return len(gzip.compress(data, 6, mtime=0)) if file.suffix in _COMPRESSED else len(data)


def _transferred(site, base, urls):
    """Bytes sent over the wire for ``urls`` (each counted once, as a browser cache would)."""
    total = 0
    for url in set(urls):
        if not url.startswith(base):
            continue
        path = urlsplit(url).path.lstrip("/")
        file = Path(site) / path
        if file.is_dir() or path == "" or path.endswith("/"):
            file = file / "index.html"
        if file.is_file():
            total += _wire_bytes(file)
    return total


def _axe_serious(page, whole_book=False):
    """axe-core's serious and critical violations on ``page``.

    The whole-book page is every chapter's and lab's content again, each already checked for colour contrast in
    both schemes on its own page, under the same stylesheets; contrast, the slowest rule by far (three quarters of
    axe's time on chapter 2), is checked there only on what is the print page's own: its cover, its contents, the
    Solutions part and the pointers to it.
    Every other rule runs on the whole page (its ids, links and landmarks are its own).
    """
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    if whole_book:
        violations = axe.run(page, options={"resultTypes": ["violations"],
                                            "rules": {"color-contrast": {"enabled": False}}}).response["violations"]
        violations += axe.run(page, context={"include": [["#print-site-cover-page"], ["#print-page-toc"], ["#solutions"],
                                                         [".solution-pointer"]]},
                              options={"resultTypes": ["violations"], "runOnly": ["color-contrast"]}
                              ).response["violations"]
    else:
        violations = axe.run(page).response["violations"]
    return [(v["id"], v["impact"], len(v["nodes"]), v["nodes"][0]["target"]) for v in violations
            if v["impact"] in ("serious", "critical")]


def test_crawl_reaches_every_page_of_the_sitemap(built_site, pages):
    sitemap = (built_site["site"] / "sitemap.xml").read_text(encoding="utf-8")
    listed = {u.split("/", 3)[3] for u in re.findall(r"<loc>([^<]+)</loc>", sitemap)}
    crawled = {p.path[: -len("index.html")] for p in pages if p.path.endswith("index.html")}
    assert listed <= crawled, f"pages in the sitemap that no link reaches: {sorted(listed - crawled)}"
    assert len(pages) >= 5


def test_no_broken_links_or_anchors(built_site, pages):
    problems = sitecheck.broken_links(built_site["site"], pages)
    assert problems == [], "\n".join(f"{where}: {url} ({why})" for where, url, why in problems)


def test_link_checker_finds_what_is_broken(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "index.html").write_text('<a href="a/">a</a><a href="a/#there">x</a><a href="a/#nowhere">y</a>'
                                         '<img src="missing.png"><link rel="stylesheet" href="s.css">')
    (tmp_path / "a" / "index.html").write_text('<h2 id="there">T</h2><a href="../gone/">z</a>')
    (tmp_path / "s.css").write_text("@font-face{src:url(fonts/f.woff2)}")
    pages = sitecheck.crawl(tmp_path)
    assert [p.path for p in pages] == ["a/index.html", "index.html"]
    found = {(where, url) for where, url, _ in sitecheck.broken_links(tmp_path, pages)}
    assert found == {("index.html", "a/#nowhere"), ("index.html", "missing.png"), ("a/index.html", "../gone/"),
                     ("s.css", "fonts/f.woff2")}


#: The crawl's pages other than the whole book, checked in this many tests (pytest -n 2 runs them side by side).
SHARDS = 3


@pytest.mark.parametrize("shard", range(SHARDS), ids=[f"pages-{i + 1}-of-{SHARDS}" for i in range(SHARDS)])
def test_every_page_in_the_browser(browser, site_url, built_site, pages, shard):
    mine = [page for page in pages if page.path != WHOLE_BOOK][shard::SHARDS]
    assert mine, f"the crawl found too few pages for {SHARDS} shards"
    _check_in_the_browser(browser, site_url, built_site, mine, SCHEMES)


def test_the_whole_book_page_in_the_browser(browser, site_url, built_site, pages):
    # The whole book is every chapter's content, each checked in both schemes on its own page; it is checked in the
    # light scheme only, for what is its own (ids, links, landmarks; contrast on its own parts: _axe_serious).
    whole = [page for page in pages if page.path == WHOLE_BOOK]
    assert whole, f"the crawl did not reach {WHOLE_BOOK}"
    _check_in_the_browser(browser, site_url, built_site, whole, SCHEMES[:1])


def _check_in_the_browser(browser, site_url, built_site, pages, schemes):
    report, failures = [], []
    for page in pages:
        url = _url(site_url, page)
        for scheme in schemes:
            visit = Visit(browser, url, color_scheme=scheme, lay_out_all=False)
            try:
                problems = []
                if scheme == "light":
                    problems += _content_problems(visit, site_url, page)
                    weight = _transferred(built_site["site"], site_url, visit.requests)
                    if weight > PAGE_BUDGET and page.path != WHOLE_BOOK:
                        problems.append(f"transfers {weight / 1e6:.2f} MB (budget {PAGE_BUDGET / 1e6} MB)")
                    report.append((page.path, len(visit.requests), weight))
                serious = _axe_serious(visit.page, whole_book=page.path == WHOLE_BOOK)
                problems += [f"axe ({scheme}): {v}" for v in serious]
                failures += [f"{page.path}: {p}" for p in problems]
            finally:
                visit.close()
    print(f"\n{len(pages)} pages crawled, {sum(r[1] for r in report)} requests, all to 127.0.0.1; heaviest:")
    for path, requests, weight in sorted(report, key=lambda r: -r[2])[:5]:
        print(f"  {weight / 1e6:6.2f} MB  {requests:3d} requests  {path}")
    assert failures == [], "\n".join(failures)


def _content_problems(visit, base, page):
    problems = []
    try:
        visit.check_clean(base)
    except AssertionError as error:
        problems.append(str(error))
    status = visit.status
    if status != 200:
        problems.append(f"status {status}")
    for src, width, alt in visit.load_all_images():
        if width == 0:
            problems.append(f"image {src} did not decode")
        if not alt or not alt.strip():
            problems.append(f"image {src} has no alt text")
        elif "/figures/" in src and len(alt) < 40:
            problems.append(f"figure {src} needs alt text that says what it shows, not {alt!r}")
    math = _math_report(visit.page)
    if math["errors"] or math["raw"] or math["dollars"]:
        problems.append(f"math not typeset: {math}")
    if visit.page.locator(".jupyter-wrapper").count():
        cells = visit.page.locator(".jp-CodeCell").count()
        outputs = visit.page.locator(".jp-OutputArea-output").count()
        if cells == 0 or outputs == 0:
            problems.append(f"notebook page with {cells} code cells and {outputs} outputs")
        styled = visit.page.locator(".jupyter-wrapper").first.evaluate(
            "el => getComputedStyle(el).getPropertyValue('--jp-cell-prompt-width').trim()")
        if not styled:
            problems.append("notebook page without the notebooks' stylesheet")
    return problems


@pytest.mark.parametrize("query, page", [
    ("stride", "chapters/02-padding-stride-dilation/"),
    ("cross-correlation", "chapters/01-convolution/"),
    ("im2col", "chapters/01-convolution/"),
    ("dilation", "chapters/02-padding-stride-dilation/"),
    ("pooling", "chapters/03-pooling-invariance/"),
    ("depthwise", "chapters/04-channels/"),
    ("gradient check", "chapters/05-backpropagation/"),
    ("receptive field", "chapters/06-receptive-fields/"),
    ("degradation", "chapters/08-architectures/"),
    ("fine-tuning", "chapters/09-transfer-learning/"),
])
def test_offline_search_finds_the_chapter(browser, site_url, query, page):
    visit = Visit(browser, site_url)
    try:
        visit.page.locator("label.md-search__icon, .md-search__input").first.click()
        visit.page.locator(".md-search__input").fill("")
        # Material's search worker builds its index after the page loads; a query typed before that fails in it
        visit.page.wait_for_function("(document.querySelector('.md-search-result__meta') || {}).textContent"
                                     " === 'Type to start searching'", timeout=30_000)
        # The whole query at once: typed a key at a time, Material searches for every prefix ("fine-" is a lunr
        # syntax error it logs) and the results of a prefix can be read before the query's own arrive
        box = visit.page.locator(".md-search__input")
        box.fill(query)
        box.press("End")  # Material reads the box on keyup: one search, for the whole query
        visit.page.wait_for_selector(".md-search-result__item", timeout=10_000)
        links = visit.page.locator(".md-search-result__item a").evaluate_all("els => els.map(e => e.href)")
        assert links and links[0].startswith(site_url + page), f"{query!r}: the chapter is not first in {links[:5]}"
        visit.check_clean(site_url)
    finally:
        visit.close()


def test_search_index_is_fetched_only_when_search_is_used(browser, site_url):
    """A page loads without the search index (docs/assets/lazy-search.js); focusing the search box fetches it,
    once, and search works; a page opened with a ?q= query fetches it at once."""
    index = "search/search_index.json"
    visit = Visit(browser, site_url + "chapters/01-convolution/")
    try:
        visit.page.wait_for_load_state("networkidle")
        assert [u for u in visit.requests if u.endswith(index)] == [], "the index was fetched before search was used"
        visit.page.locator(".md-search__input").focus()
        visit.page.wait_for_function("(document.querySelector('.md-search-result__meta') || {}).textContent"
                                     " === 'Type to start searching'", timeout=30_000)
        assert [u for u in visit.requests if u.endswith(index)] == [site_url + index]
        box = visit.page.locator(".md-search__input")
        box.fill("padding")
        box.press("End")
        visit.page.wait_for_selector(".md-search-result__item", timeout=10_000)
        visit.check_clean(site_url)
    finally:
        visit.close()
    visit = Visit(browser, site_url + "?q=stride")
    try:
        visit.page.wait_for_selector(".md-search-result__item", timeout=30_000)
        assert [u for u in visit.requests if u.endswith(index)] == [site_url + index]
    finally:
        visit.close()


def test_search_index_reads_like_the_pages(built_site):
    """No "¶" in a title and no notebook noise in a text: the labs' prompts ("In [1]:") and copy buttons
    ("Copied!") are left out of the index (bookbuild/hooks.py: searchable)."""
    import json

    docs = json.loads((built_site["site"] / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
    assert any(doc["location"].startswith("labs/") for doc in docs), "the labs are not in the search index"
    pilcrows = [doc["title"] for doc in docs if "¶" in doc["title"]]
    noise = [doc["location"] for doc in docs if re.search(r"\b(?:In|Out)\s*\[\d*\]:|Copied!", doc["text"])]
    assert not pilcrows, f"{len(pilcrows)} titles carry a pilcrow, e.g. {pilcrows[:3]}"
    assert not noise, f"notebook prompts or copy buttons in the index of {noise[:5]}"


def test_whole_book_prints_to_pdf(browser, built_site, tmp_path):
    import print_pdf
    from pypdf import PdfReader

    from cnnbook import figures

    out = tmp_path / "cnnbook.pdf"
    seconds, n_figures, formulas = print_pdf.print_book(built_site["site"], out, browser=browser)
    reader = PdfReader(out)
    text = "".join(page.extract_text() for page in reader.pages)
    drawn = sum(len((page.get("/Resources") or {}).get("/XObject", {}).get_object() or {}) for page in reader.pages
                if (page.get("/Resources") or {}).get("/XObject") is not None)
    print(f"\nPDF: {len(reader.pages)} pages, {n_figures} figures, {formulas} formulas, "
          f"{out.stat().st_size / 1e6:.1f} MB in {seconds:.1f} s")
    assert n_figures == len(figures.names())  # every figure of the book, decoded before printing
    assert formulas > 50
    assert len(reader.pages) >= 10
    assert "cross-correlation" in text and "∑" in text  # prose, and typeset math as text
    assert drawn >= n_figures  # the figures are in the PDF as drawings


def test_the_print_check_finds_what_paper_would_cut(browser):
    """scripts/print_pdf.py's check: an element wider than the printed area, and one cut by its own scrolling box,
    are found; a formula's own clipping (KaTeX's) and what fits are not."""
    import print_pdf

    context = browser.new_context(viewport={"width": print_pdf.PRINTED_WIDTH_PX, "height": 800})
    try:
        page = context.new_page()
        page.set_content('<div id="print-site-page"><section class="print-page" id="ch">'
                         '<div class="wide" style="width: 2000px">wide</div>'
                         '<pre class="cut" style="overflow: auto; width: 100px">' + "x" * 300 + "</pre>"
                         '<span class="katex"><span style="overflow: hidden; width: 10px; display: inline-block">'
                         + "y" * 50 + '</span></span><p class="fits">fits</p>'
                         '<div class="arithmatex" style="overflow: visible"><span class="katex-display" style="display: block">'
                         '<span class="katex" style="display: inline-block; width: 1500px">z</span></span></div>'
                         '</section></div>')
        found = page.evaluate(print_pdf.CLIPPED)
        assert sorted((tag, cls, where) for tag, cls, _, where, _ in found) == [
            ("div", "wide", "ch"), ("pre", "cut", "ch"), ("span", "katex", "ch")], found
    finally:
        context.close()

