"""``make test``: every check, in phases that share one cold build, with the time of each phase.

1. lint: ``ruff check .`` (pyflakes, and a loop or ``with`` variable that overwrites a parameter);
2. build speed: ``scripts/build_speed.py --keep``, first, on a machine doing nothing else: a cold build, a warm
   rebuild, and edits under ``mkdocs serve``, against their budgets; the cold build stays for phase 3;
3. pytest: the unit tests, doctests, chapter code, labs, and the tests of the built site (browser, PDF,
   reproducibility, edits), which read phase 2's cold build instead of building again.

A phase that fails does not stop the next; the exit status is 1 if any failed.

    python scripts/make_test.py [pytest arguments]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def main(pytest_args):
    times, failed = [], []
    with tempfile.TemporaryDirectory(prefix="cnnbook-test-") as kept:
        phases = [("lint", [str(BIN / "ruff"), "check", "."]),
                  ("build speed", [sys.executable, "scripts/build_speed.py", "--keep", kept,
                                   "--report", str(Path(kept) / "speed.txt")]),
                  ("pytest", [sys.executable, "-m", "pytest", "--durations=12", *pytest_args])]
        for name, command in phases:
            env = dict(os.environ)
            if name == "pytest" and (Path(kept) / "cold.json").is_file():
                env["CNNBOOK_TEST_BUILD"] = kept  # else the cold build failed, and the tests build it themselves
            print(f"\n=== {name}: {' '.join(command)}", flush=True)
            start = time.perf_counter()
            code = subprocess.call(command, cwd=ROOT, env=env)
            times.append((name, time.perf_counter() - start, code))
            if code:
                failed.append(name)
        print("\nmake test, phase by phase:")
        for name, seconds, code in times:
            print(f"  {'ok  ' if code == 0 else 'FAIL'}  {name:<12}{seconds:7.1f} s")
        print(f"        {'total':<12}{sum(t for _, t, _ in times):7.1f} s")
        report = Path(kept) / "speed.txt"  # again here, where a log's tail shows it
        if report.is_file():
            print("\n" + report.read_text(), end="")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
