"""Print the whole book (the print-site page) to PDF with headless Chromium.

    python scripts/print_pdf.py [SITE_DIR] [OUT_PDF]      (defaults: site/ and site/cnnbook.pdf)

The built site is served from 127.0.0.1; the script waits until every figure is
decoded and every formula typeset, then prints with the print stylesheet.
It fails (exit 1) if a figure or the math is missing. `make pdf` runs it; CI
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
    context = browser.new_context()
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
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        page.pdf(path=str(out), format="A4", print_background=True,
                 margin={"top": "18mm", "bottom": "18mm", "left": "16mm", "right": "16mm"})
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
