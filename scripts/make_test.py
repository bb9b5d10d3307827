"""``make test``: every check, in phases that share one cold build, with the time of each phase.

1. lint: ``ruff check .`` (pyflakes, and a loop or ``with`` variable that overwrites a parameter);
2. build speed: ``scripts/build_speed.py --keep``, first, on a machine doing nothing else: a cold build, a warm
   rebuild, and edits under ``mkdocs serve``, against their budgets; the cold build stays for phases 3 and 4;
3. pytest, in parallel: the unit tests, doctests, chapter code, labs, and the tests of the built site (browser,
   PDF, reproducibility, cache damage), which read phase 2's cold build instead of building again. They run in
   one pytest-xdist worker per core (at most four), each with one BLAS thread (BLAS threads on a shared core spin
   and wait: ``cnnbook train lenet`` once took 230 s so, and 30 s on one core), the longest tests first;
4. pytest, alone: the tests marked ``alone``, which time a rebuild or a server against a budget and so need the
   machine to themselves.

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
sys.path.insert(0, str(ROOT))

from bookbuild.workers import ONE_CORE, cores  # noqa: E402

#: The parallel phase's workers each use one BLAS thread (cnnbook's own threads are left alone: tests check them).
ONE_BLAS_THREAD = {key: value for key, value in ONE_CORE.items() if key != "CNNBOOK_THREADS"}
#: At most this many workers: each starts its own Chromium and collects every test and doctest.
MAX_WORKERS = 4
#: pytest's exit status when no test was selected: the alone phase with arguments that select none of them.
NO_TESTS = 5


def _pytest_phases(kept, pytest_args):
    """The two pytest phases. Without phase 2's cold build (it failed) the tests build the site themselves, once,
    so then everything runs in one process."""
    pytest = [sys.executable, "-m", "pytest", "--durations=12"]
    if not (Path(kept) / "cold.json").is_file():
        return [("pytest", pytest + list(pytest_args), {})]
    env = {"CNNBOOK_TEST_BUILD": kept}
    workers = min(MAX_WORKERS, cores())
    parallel = ["-n", str(workers), "--dist", "load"] if workers > 1 else []
    return [("pytest, parallel", pytest + parallel + ["-m", "not alone", *pytest_args], {**env, **ONE_BLAS_THREAD}),
            ("pytest, alone", pytest + ["-m", "alone", *pytest_args], env)]


def main(pytest_args):
    times = []

    def run(name, command, extra):
        print(f"\n=== {name}: {' '.join(command)}", flush=True)
        start = time.perf_counter()
        code = subprocess.call(command, cwd=ROOT, env={**os.environ, **extra})
        if name == "pytest, alone" and code == NO_TESTS:
            code = 0
        times.append((name, time.perf_counter() - start, code))

    with tempfile.TemporaryDirectory(prefix="cnnbook-test-") as kept:
        run("lint", [str(BIN / "ruff"), "check", "."], {})
        run("build speed", [sys.executable, "scripts/build_speed.py", "--keep", kept,
                            "--report", str(Path(kept) / "speed.txt")], {})
        for phase in _pytest_phases(kept, pytest_args):
            run(*phase)
        print("\nmake test, phase by phase:")
        for name, seconds, code in times:
            print(f"  {'ok  ' if code == 0 else 'FAIL'}  {name:<18}{seconds:7.1f} s")
        print(f"        {'total':<18}{sum(t for _, t, _ in times):7.1f} s")
        report = Path(kept) / "speed.txt"  # again here, where a log's tail shows it
        if report.is_file():
            print("\n" + report.read_text(), end="")
    return 1 if any(code for _, _, code in times) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
