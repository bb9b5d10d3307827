"""Lighthouse scores of the built site, served gzip-compressed as GitHub Pages serves it.

    python scripts/lighthouse.py site [PAGE ...]     # default pages: home, chapter 1, chapter 9
    LIGHTHOUSE=/path/to/lighthouse python scripts/lighthouse.py site

Lighthouse is not a dependency of the book; install it anywhere (``npm install lighthouse``) and
point ``LIGHTHOUSE`` at its binary (default: ``lighthouse`` on the PATH). Each page is measured
three times with Lighthouse's default mobile settings (simulated slow 4G, 4x CPU slowdown); the
median performance score and total blocking time are printed, with the other categories.
"""

from __future__ import annotations

import functools
import gzip
import http.server
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

PAGES = ["", "chapters/01-convolution/", "chapters/09-transfer-learning/"]
RUNS = 3
COMPRESSIBLE = (".html", ".css", ".js", ".json", ".svg", ".xml", ".txt", ".map")


class CompressingHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with gzip for text types and a year-long cache for hashed assets, as Pages does."""

    def log_message(self, *args):
        pass

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if not path.is_file() or not path.name.endswith(COMPRESSIBLE) or "gzip" not in self.headers.get(
            "Accept-Encoding", ""
        ):
            return super().send_head()
        body = gzip.compress(path.read_bytes(), compresslevel=6)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=600")
        self.end_headers()
        return io.BytesIO(body)


def serve(site):
    handler = functools.partial(CompressingHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def lighthouse(binary, url, out):
    chrome = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    env = dict(os.environ, CHROME_PATH=chrome or "")
    subprocess.run(
        [binary, url, "--quiet", "--output=json", f"--output-path={out}",
         "--chrome-flags=--headless=new --no-sandbox"],
        check=True, env=env,
    )
    report = json.loads(Path(out).read_text())
    scores = {name: round(100 * cat["score"]) for name, cat in report["categories"].items()}
    tbt = report["audits"]["total-blocking-time"]["numericValue"]
    return scores, tbt


def main(argv):
    if not argv:
        sys.exit(__doc__)
    site, pages = Path(argv[0]), argv[1:] or PAGES
    binary = os.environ.get("LIGHTHOUSE", "lighthouse")
    if not shutil.which(binary):
        sys.exit(f"lighthouse not found ({binary!r}): install it with npm and set LIGHTHOUSE")
    server = serve(site)
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    with tempfile.TemporaryDirectory() as tmp:
        for page in pages:
            runs = [lighthouse(binary, base + page, Path(tmp) / f"{i}.json") for i in range(RUNS)]
            perf = statistics.median(r[0]["performance"] for r in runs)
            tbt = statistics.median(r[1] for r in runs)
            others = {k: min(r[0][k] for r in runs) for k in runs[0][0] if k != "performance"}
            print(f"/{page}: performance {perf:.0f} (runs {[r[0]['performance'] for r in runs]}), "
                  f"total blocking time {tbt:.0f} ms, " + ", ".join(f"{k} {v}" for k, v in others.items()))
    server.shutdown()


if __name__ == "__main__":
    main(sys.argv[1:])
