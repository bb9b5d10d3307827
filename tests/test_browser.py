"""The built site in headless Chromium: figures decoded, math typeset, no errors, nothing off-site."""

from __future__ import annotations

import pytest

from tests.conftest import chapter_figures, chapter_pages

pytestmark = [pytest.mark.browser, pytest.mark.build]


class Visit:
    """One page load with every request and console message recorded."""

    def __init__(self, browser, url, color_scheme="light", viewport=(1280, 900), lay_out_all=True):
        self.context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]},
                                           color_scheme=color_scheme)
        self.page = self.context.new_page()
        self.requests, self.console, self.failed = [], [], []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("requestfailed", lambda r: self.failed.append(r.url))
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))
        response = self.page.goto(url, wait_until="load")
        self.status = response.status if response else None
        # The math is typeset in the HTML, so a page is ready once loaded (lazy images are loaded by the tests
        # that look at them): wait for the whole document, then for the wide formulas, tables and listings to be
        # made reachable by keyboard (docs/assets/scrollers.js).
        self.page.wait_for_function("() => document.readyState === 'complete' && ("
                                    "!document.querySelector('script[src$=\"scrollers.js\"]')"
                                    " || document.body.dataset.scrollers === 'done')", timeout=60_000)
        if lay_out_all:
            # Paragraphs far from the screen are laid out only when they come near it (content-visibility,
            # book.css). A reader never sees that happen; a test that jumps to a control and clicks where it was a
            # moment earlier can miss it, as text above is laid out for the first time and moves it. Tests that
            # click lay the whole page out at once; the tests that audit the page as it loads pass
            # lay_out_all=False (the crawl with axe, figure and formula sizes, keyboard scrolling on a phone).
            self.page.add_style_tag(content=".md-content__inner > * { content-visibility: visible !important; }")

    def load_all_images(self):
        """Scroll through the page so lazy images load, then wait until each is decoded."""
        self.page.evaluate("""async () => {
            for (const img of document.images) { img.loading = "eager"; }
            await Promise.all([...document.images].map(img => img.decode().catch(() => null)));
        }""")
        return self.page.evaluate("[...document.images].map(i => [i.getAttribute('src'), i.naturalWidth, i.alt])")

    def check_clean(self, base):
        off_site = [u for u in self.requests if not u.startswith(base) and not u.startswith("data:")]
        assert off_site == [], f"requests left 127.0.0.1: {off_site}"
        assert self.failed == [], f"failed requests: {self.failed}"
        problems = [m for m in self.console if m.split(":")[0] in ("error", "warning", "pageerror")]
        assert problems == [], problems

    def close(self):
        self.context.close()


def _math_report(page):
    return page.evaluate("""() => ({
        katex: document.querySelectorAll('.katex').length,
        errors: document.querySelectorAll('.katex-error').length,
        raw: [...document.querySelectorAll('.arithmatex')].filter(e => !e.querySelector('.katex')).length,
        dollars: [...document.querySelectorAll('.jp-RenderedMarkdown, .md-content p')]
                   .filter(e => /\\$[^$\\s][^$]*\\$/.test(e.textContent)).length,
    })""")


@pytest.mark.parametrize("number, path", sorted(chapter_pages().items()))
def test_chapter_page(browser, site_url, number, path):
    visit = Visit(browser, f"{site_url}{path}/", lay_out_all=False)
    try:
        images = visit.load_all_images()
        figures = [img for img in images if "/figures/" in img[0]]
        assert len(figures) == len(chapter_figures(number))
        for src, width, alt in figures:
            assert width > 0, f"{src} did not decode"
            assert len(alt) > 40, f"{src} needs alt text that says what it shows"
        math = _math_report(visit.page)
        assert math["katex"] > 30 and math["errors"] == 0 and math["raw"] == 0 and math["dollars"] == 0, math
        assert _wide_math(visit.page) == [], "display math wider than the column at 1280 px: split it (aligned)"
        for src, own, natural, shown, smallest_pt, _ in _figure_sizes(visit.page):
            assert abs(natural - own) <= 1, f"{src}: the page gives it {own} px, the file is {natural} px wide"
            assert shown >= own - 0.5, f"{src} is shrunk from {own} to {shown:.0f} px at 1280 px"
            if smallest_pt:
                assert smallest_pt * 4 / 3 * shown / own >= 12 - 0.01, f"{src}: text under 12 px at 1280 px"
        visit.check_clean(site_url)
    finally:
        visit.close()


def _figure_sizes(page):
    """Each figure the page shows (not those an instrument replaced): its src, its own width (the img's width
    attribute), the file's width as decoded, the width shown (CSS pixels), the smallest text in an SVG figure in
    points (matplotlib draws each glyph scaled by size/100; the animations give font-size in pixels), and whether
    its frame takes keyboard focus when the figure scrolls."""
    return page.evaluate(r"""async () => {
        const out = [];
        for (const img of document.querySelectorAll('.book-figure img')) {
            if (!img.getClientRects().length) continue;
            let smallest = null;
            if (img.getAttribute('src').endsWith('.svg')) {
                const svg = await (await fetch(img.src)).text();
                const sizes = [...svg.matchAll(/scale\(([0-9.]+) -\1\)/g)].map(m => parseFloat(m[1]) * 100)
                    .concat([...svg.matchAll(/font-size[=:]\s*"?([0-9.]+)/g)].map(m => parseFloat(m[1]) * 0.75));
                smallest = sizes.length ? Math.min(...sizes) : null;
            }
            const frame = img.closest('.book-figure');
            out.push([img.getAttribute('src'), parseFloat(img.getAttribute('width')), img.naturalWidth,
                      parseFloat(getComputedStyle(img).width), smallest,
                      frame.scrollWidth <= frame.clientWidth + 1 || frame.tabIndex === 0]);
        }
        return out;
    }""")


def _wide_math(page):
    """The TeX of each display formula wider than its box (which then scrolls), and whether it takes focus."""
    return page.evaluate("""() => [...document.querySelectorAll('div.arithmatex, .katex-display')]
        .filter(e => e.scrollWidth > e.clientWidth + 1)
        .map(e => [e.querySelector('annotation').textContent.trim().slice(0, 50), e.tabIndex === 0])""")


def test_a_phone_scrolls_wide_math_and_figures_by_keyboard(browser, site_url):
    """At 390 px some display formulas and figures are wider than the screen: each scrolls in its own box (never
    the page), and a keyboard can reach that box to scroll it. A figure is shrunk no further than where its smallest
    text is 9 px (bookbuild/macros.py FIGURE_FLOOR)."""
    wide, small = [], []
    for path in chapter_pages().values():
        visit = Visit(browser, f"{site_url}{path}/", viewport=(390, 844), lay_out_all=False)
        try:
            assert visit.page.evaluate("document.documentElement.scrollWidth") <= 390, f"{path} overflows the page"
            wide += [(path, tex) for tex, focusable in _wide_math(visit.page) if not focusable]
            for src, own, _, shown, smallest_pt, focusable in _figure_sizes(visit.page):
                if smallest_pt and smallest_pt * 4 / 3 * shown / own < 9 - 0.01:
                    small.append((src, round(smallest_pt * 4 / 3 * shown / own, 1)))
                if not focusable:
                    wide.append((path, src))
        finally:
            visit.close()
    assert wide == [], f"formulas or figures that scroll but cannot take focus: {wide}"
    assert small == [], f"figures whose text a phone shows under 9 px: {small}"


def test_math_shows_without_javascript(browser, site_url):
    """The math is typeset at build: with scripts off, chapter 1's formulas are drawn by KaTeX's HTML and fonts."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(site_url + "chapters/01-convolution/", wait_until="load")
        page.evaluate("document.fonts.ready")
        # (formulas in a closed solution, or in an instrument's panel that its script shows, are not rendered;
        # a paragraph is drawn once it comes near the screen (content-visibility, docs/assets/book.css): each formula
        # is measured in view, as a reader sees it)
        drawn = []
        for formula in page.locator(".arithmatex").all():
            if not formula.evaluate("e => e.checkVisibility()"):
                continue
            formula.scroll_into_view_if_needed()
            drawn.append(formula.evaluate("""e => {
                const box = (e.querySelector('.katex-html') || e).getBoundingClientRect();
                return [box.width, box.height, e.textContent.includes('\\\\(') || e.textContent.includes('\\\\[')];
            }"""))
        assert len(drawn) > 30
        assert all(width > 0 and height > 0 and not raw for width, height, raw in drawn), drawn
        fonts = page.evaluate("[...document.fonts].filter(f => f.family.startsWith('KaTeX') && f.status === 'loaded')"
                              ".length")
        assert fonts >= 3, "KaTeX's fonts did not load"
        assert page.evaluate("document.querySelectorAll('script[src*=\"katex\"]').length") == 0
    finally:
        context.close()


def test_exercise_solutions_open_on_click(browser, site_url):
    visit = Visit(browser, site_url + "chapters/01-convolution/")
    try:
        solution = visit.page.locator("details.success").first
        assert solution.get_attribute("open") is None
        solution.locator("summary").click()
        assert solution.get_attribute("open") is not None
        assert "positions per row" in solution.inner_text()
        assert visit.page.locator(".admonition.question").count() >= 8
    finally:
        visit.close()


def test_lab_page_shows_outputs_and_math(browser, site_url):
    visit = Visit(browser, site_url + "labs/ch01_convolution/")
    try:
        images = visit.load_all_images()
        assert any(width > 0 for _, width, _ in images), "the lab's plot output is missing"
        outputs = visit.page.locator(".jp-OutputArea-output").all_inner_texts()
        assert any("matches the reference on 25 random cases" in text for text in outputs)
        assert any("interior 0.0" in text for text in outputs)
        math = _math_report(visit.page)
        assert math["katex"] >= 2 and math["errors"] == 0 and math["dollars"] == 0, math
        assert visit.page.locator("a[href$='ch01_convolution.ipynb']").count() == 1
        visit.check_clean(site_url)
    finally:
        visit.close()


def test_math_after_instant_navigation(browser, site_url):
    visit = Visit(browser, site_url)
    try:
        visit.page.locator("a[href*='chapters/01-convolution']").first.click()
        visit.page.wait_for_url("**/chapters/01-convolution/")
        visit.page.wait_for_function("document.querySelectorAll('.katex').length > 50")
        assert _math_report(visit.page)["raw"] == 0
        visit.check_clean(site_url)
    finally:
        visit.close()
