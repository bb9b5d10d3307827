"""Build speed against the budgets: cold build, warm rebuild, and edit to served page.

    python scripts/build_speed.py [--keep DIR] [--report FILE]
        (make test runs it first, on a quiet machine, keeps the cold build for the tests, and prints the
        report again at its end: scripts/make_test.py)

- cold: `mkdocs build --strict` with every cache empty (figures, facts, notebook outputs, templates);
- warm: the same build again, every cache full: the median of 3 builds;
- edit to served: under `mkdocs serve` (as `make serve` runs it), from saving a Markdown file to the
  served page showing the edit, the median of 7 edits; and a change to a figure module's code until the
  served figure changes (only that module's figures are drawn again: cnnbook/cache.py).
Exits 1 if a budget is exceeded. The budgets are for 2 cores of the reference machine of
reproducible.REFERENCE; on another machine each is scaled by how many times slower the benchmark's LeNet-5
training step runs there (reproducible.machine_slowdown, at least 1), as the cold build's always was: the
2-core machines this script has run on measured 1.7 to 3.6 times slower, from one hour to the next. A
2-core machine is noisy (the same edit took 0.5 s in one run and 1.0 s in another; the same warm build 8.3 s
and 11.5 s), so a time over its budget is measured once more, afresh, against the slowdown measured again
just before it, and the script fails only if both are over: a real slowdown fails both, a busy moment only
one. Both are printed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import reproducible  # noqa: E402
import serve_latency  # noqa: E402

#: Seconds, on 2 cores of the reference machine.
BUDGETS = {"cold build": reproducible.COLD_BUDGET, "warm rebuild": 5.0, "markdown edit to served": 1.0,
           "code edit to served figure": 5.0}


def _serve_edits(tmp, cache, name, rounds, code_colour=None):
    book = tmp / name
    serve_latency.copy_book(book)
    server = serve_latency.Server(book, cache)
    try:
        edits = serve_latency.markdown_edit_latency(server, book, rounds=rounds)
        code = serve_latency.code_edit_latency(server, book, code_colour) if code_colour else None
    finally:
        server.stop()
    if any(t is None for t in edits):
        raise RuntimeError(f"a Markdown edit never reached the served page: {edits}")
    return edits, code


def _warm(tmp, cache, builds=3):
    return statistics.median(reproducible.build(tmp / "site-warm", cache)[0] for _ in range(builds))


def _over(value, slowdown, name):
    return value is None or value > BUDGETS[name] * slowdown


def measure(rounds=7, keep=None):
    """``({name: [(seconds, slowdown), ...]}, Markdown edits)``: each time with the machine's slowdown measured
    just before it, a second pair where the first was over budget; with ``keep`` (a folder), the first cold
    build's site and caches stay there for the tests."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if keep is not None:
            tmp = Path(keep)
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
        cache = tmp / "cache" / "cnnbook"
        slowdown = reproducible.machine_slowdown()  # on a quiet machine, before anything else
        cold, _ = reproducible.build(tmp / "site", cache)
        if keep is not None:
            (tmp / "cold.json").write_text(json.dumps({"seconds": cold, "slowdown": slowdown}))
        times = {"cold build": [(cold, slowdown)], "warm rebuild": [(_warm(tmp, cache), slowdown)]}
        edits, code = _serve_edits(tmp, cache, "book", rounds, code_colour="#8c564b")
        times["markdown edit to served"] = [(statistics.median(edits), slowdown)]
        times["code edit to served figure"] = [(code, slowdown)]
        again = [name for name, [(value, _)] in times.items() if _over(value, slowdown, name)]
        if again:
            slowdown = reproducible.machine_slowdown()
        if "cold build" in again:
            times["cold build"].append((reproducible.build(tmp / "site-again", tmp / "cache-again" / "cnnbook")[0],
                                        slowdown))
            if keep is not None:  # the tests judge the build they test by the better of the two measurements
                best = min(times["cold build"], key=lambda pair: pair[0] / pair[1])
                (tmp / "cold.json").write_text(json.dumps({"seconds": best[0], "slowdown": best[1]}))
        if "warm rebuild" in again:
            times["warm rebuild"].append((_warm(tmp, cache), slowdown))
        if "markdown edit to served" in again or "code edit to served figure" in again:
            more, code = _serve_edits(tmp, cache, "book-again", rounds, code_colour="#7b1fa2")
            edits += more
            if "markdown edit to served" in again:
                times["markdown edit to served"].append((statistics.median(more), slowdown))
            if "code edit to served figure" in again:
                times["code edit to served figure"].append((code, slowdown))
    return times, edits


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="leave the cold build's site and caches in this folder "
                        "(make test's later phases test that build instead of building again)")
    parser.add_argument("--report", type=Path, help="also write the verdicts to this file")
    args = parser.parse_args(argv)
    times, edits = measure(keep=args.keep)
    lines = ["build speed against the 2-core budgets of the reference machine, each scaled by how many times slower "
             "the benchmark's LeNet-5 step ran here just before (a second measurement where the first was over):"]
    over = []
    for name, measured in times.items():
        verdict = "OVER" if all(_over(value, slowdown, name) for value, slowdown in measured) else "ok  "
        shown = "; ".join(("never" if value is None else f"{value:.2f} s") + f" (budget {BUDGETS[name]:g} s x "
                          f"{slowdown:.2f} = {BUDGETS[name] * slowdown:.2f} s)" for value, slowdown in measured)
        lines.append(f"  {verdict}  {name:<28}{shown}")
        if verdict == "OVER":
            over.append(name)
    lines.append("  Markdown edits: " + ", ".join(f"{t:.2f}" for t in edits) + " s")
    print("\n" + "\n".join(lines))
    if args.report:
        args.report.write_text("\n".join(lines) + "\n")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
