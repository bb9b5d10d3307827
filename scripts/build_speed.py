"""Build speed against the budgets: cold build, warm rebuild, and edit to served page.

    python scripts/build_speed.py          (make test runs it last and prints the table)

- cold: `mkdocs build --strict` with every cache empty (figures, facts, notebook outputs, templates);
- warm: the same build again, every cache full;
- edit to served: under `mkdocs serve` (as `make serve` runs it), from saving a Markdown file to the
  served page showing the edit, the median of 5 edits; and a change to a figure's code until the
  served figure changes.
Exits 1 if a budget is exceeded. Budgets are for a 2-core machine.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import reproducible  # noqa: E402
import serve_latency  # noqa: E402

BUDGETS = {"cold build": 120.0, "warm rebuild": 10.0, "markdown edit to served": 1.0}


def measure(rounds=5):
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cache = tmp / "cache" / "cnnbook"
        cold, _ = reproducible.build(tmp / "site", cache)
        warm, _ = reproducible.build(tmp / "site", cache)
        book = tmp / "book"
        serve_latency.copy_book(book)
        server = serve_latency.Server(book, cache)
        try:
            edits = serve_latency.markdown_edit_latency(server, book, rounds=rounds)
            code = serve_latency.code_edit_latency(server, book)
        finally:
            server.stop()
    if any(t is None for t in edits):
        raise RuntimeError(f"a Markdown edit never reached the served page: {edits}")
    return {"cold build": cold, "warm rebuild": warm, "markdown edit to served": statistics.median(edits),
            "code edit to served figure": code, "edits": edits}


def main():
    times = measure()
    print("\nbuild speed (2-core budgets)")
    over = []
    for name in ("cold build", "warm rebuild", "markdown edit to served", "code edit to served figure"):
        value, budget = times[name], BUDGETS.get(name)
        verdict = "" if budget is None else ("ok  " if value is not None and value <= budget else "OVER")
        shown = "never" if value is None else f"{value:6.2f} s"
        print(f"  {verdict:4}  {name:<28}{shown}" + (f"   (budget {budget:g} s)" if budget else ""))
        if verdict == "OVER":
            over.append(name)
    print("  edits: " + ", ".join(f"{t:.2f}" for t in times["edits"]) + " s")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
