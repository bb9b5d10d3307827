"""Print the whole book (the print-site page) to PDF with headless Chromium.

    python scripts/print_pdf.py [SITE_DIR] [OUT_PDF]      (defaults: site/ and site/cnnbook.pdf)

The built site is served from 127.0.0.1; the script waits until every figure is
decoded and every formula typeset, then prints with the print stylesheet.
It fails (exit 1) if a figure or the math is missing, or if an element would be
cut at the printed page's edge. `make pdf` runs it; CI
uploads the PDF next to the site.
"""

from __future__ import annotations

import functools
import http.server
import os
import sys
import threading
import time
from pathlib import Path

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
MARGIN_MM = {"top": 18, "bottom": 18, "left": 16, "right": 16}
#: The width of an A4 page's printed area in CSS pixels (96 to the inch): what the book is laid out in to print.
PRINTED_WIDTH_PX = round((210 - MARGIN_MM["left"] - MARGIN_MM["right"]) / 25.4 * 96)
#: Elements that would be cut on paper: wider than the printed area, or cut by a box of their own that would
#: scroll on screen. What is inside a formula is left out (KaTeX clips its drawing by design, and hides its MathML
#: copy in a 1-pixel box); the formula itself is not.
CLIPPED = """() => {
    const width = document.documentElement.clientWidth;
    return [...document.querySelectorAll('#print-site-page *')].filter(e => {
        if (e.parentElement.closest('.katex')) { return false; }  // inside a formula (a formula itself counts)
        const box = e.getBoundingClientRect();
        const outside = box.right > width + 1 && !(e.parentElement.getBoundingClientRect().right > width + 1);
        const cut = e.clientWidth > 1 && e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'visible';
        return (outside || cut) && box.width > 0;
    }).map(e => [e.tagName.toLowerCase(), String(e.getAttribute('class')).split(' ')[0], Math.round(e.getBoundingClientRect().right),
                 (e.closest('section.print-page') || {}).id || '', (e.textContent || '').trim().slice(0, 40)]);
}"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def print_book(site, out, chromium=CHROMIUM, browser=None):
    """Write the PDF; return (seconds, figures decoded, formulas typeset).

    ``browser`` is a Playwright browser to use (the test suite shares one); without it Chromium is launched.
    """
    start = time.perf_counter()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        if browser is not None:
            result = _print(browser, f"http://127.0.0.1:{server.server_address[1]}/print_page/", out)
        else:
            from playwright.sync_api import sync_playwright

            with sync_playwright() as playwright:
                launched = playwright.chromium.launch(
                    executable_path=chromium, args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"])
                try:
                    result = _print(launched, f"http://127.0.0.1:{server.server_address[1]}/print_page/", out)
                finally:
                    launched.close()
    finally:
        server.shutdown()
    return (time.perf_counter() - start,) + result


def _print(browser, url, out):
    # Printed, an animation shows its last frame (cnnbook.arithmetic.animate stills itself for print and for
    # reduced motion; the second also reaches a drawing shown as an image, whatever the browser does with the first).
    context = browser.new_context(reduced_motion="reduce")
    try:
        page = context.new_page()
        page.goto(url, wait_until="networkidle")
        page.wait_for_function("document.querySelectorAll('.katex').length > 0", timeout=30_000)
        figures = page.evaluate("""async () => {
            const imgs = [...document.images].filter(i => i.getAttribute('src').includes('figures/'));
            for (const img of imgs) { img.loading = 'eager'; }
            await Promise.all(imgs.map(img => img.decode().catch(() => null)));
            return imgs.map(i => [i.getAttribute('src'), i.naturalWidth]);
        }""")
        missing = [src for src, width in figures if width == 0]
        formulas = page.evaluate("document.querySelectorAll('.katex').length")
        raw = page.evaluate("[...document.querySelectorAll('.arithmatex')].filter(e => !e.querySelector('.katex')).length")
        if missing or not figures or raw:
            raise RuntimeError(f"print page not ready: {len(figures)} figures, undecoded {missing}, "
                               f"{raw} formulas left untypeset")
        page.emulate_media(media="print")
        page.set_viewport_size({"width": PRINTED_WIDTH_PX, "height": 1000})  # the layout the PDF's pages get
        clipped = page.evaluate(CLIPPED)
        if clipped:
            raise RuntimeError(f"{len(clipped)} elements do not fit the printed page ({PRINTED_WIDTH_PX} px): "
                               + "; ".join(f"{tag}.{cls} in #{where}: {right} px, {text!r}"
                                           for tag, cls, right, where, text in clipped[:8]))
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        page.pdf(path=str(out), format="A4", print_background=True,
                 margin={side: f"{mm}mm" for side, mm in MARGIN_MM.items()})
        return len(figures), formulas
    finally:
        context.close()


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    site = Path(argv[0] if argv else "site")
    out = Path(argv[1] if len(argv) > 1 else site / "cnnbook.pdf")
    try:
        seconds, figures, formulas = print_book(site, out)
    except RuntimeError as error:
        print(f"print_pdf: {error}", file=sys.stderr)
        return 1
    from pypdf import PdfReader

    pages = len(PdfReader(out).pages)
    print(f"{out}: {pages} pages, {figures} figures, {formulas} formulas, {out.stat().st_size / 1e6:.1f} MB, "
          f"{seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
