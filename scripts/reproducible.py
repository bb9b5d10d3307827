"""Build the site twice from clean caches and check that the two builds are byte-identical.

Measurements (the timing experiment) are data, measured once per version of the code and machine:
the second build reuses the first build's experiment results and recomputes everything else
(figures, notebooks, pages) from nothing.

    python scripts/reproducible.py          # exit status 1 if any file differs
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def build(site_dir, cache_dir, root=ROOT):
    """Run ``mkdocs build --strict`` of ``root`` into ``site_dir``; return (seconds, log)."""
    env = dict(os.environ, CNNBOOK_CACHE=str(cache_dir), NO_MKDOCS_2_WARNING="1")
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site_dir)],
                          cwd=root, env=env, capture_output=True, text=True, timeout=900)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"mkdocs build failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return seconds, proc.stdout + proc.stderr


def copy_caches(cache_dir, target):
    """Copy a build's caches to ``target`` (``cache_dir``, ``$CNNBOOK_CACHE``, and beside it the notebooks' and the
    templates'), as an author has them after a first build; returns the copy of ``cache_dir``."""
    cache_dir = Path(cache_dir)
    shutil.copytree(cache_dir.parent, target)
    return Path(target) / cache_dir.name


#: DESIGN.md's budget for a cold build with every experiment, on 2 cores of the machine of REFERENCE.
COLD_BUDGET = 150.0
REFERENCE = ROOT / "benchmarks" / "results" / "2026-11-21-cpu-AMD-EPYC.json"


def machine_slowdown():
    """How many times slower the benchmark's LeNet-5 training step runs here than on the machine of REFERENCE
    (at least 1): the build's training runs are made of that step, so the cold-build budget scales with it."""
    import json

    from cnnbook.bench import lenet_step_seconds

    reference = json.loads(REFERENCE.read_text())["results"]["cnnbook"]["lenet_step"]
    return max(1.0, lenet_step_seconds() / reference)


def digests(site_dir):
    """``{relative path: sha256}`` of every file under ``site_dir``."""
    site_dir = Path(site_dir)
    return {p.relative_to(site_dir).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(site_dir.rglob("*")) if p.is_file()}


def compare(a, b):
    """Paths that differ (or exist in only one) between two builds."""
    da, db = digests(a), digests(b)
    return sorted(p for p in set(da) | set(db) if da.get(p) != db.get(p))


def main():
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        first, _ = build(tmp / "site-a", tmp / "cache-a" / "cnnbook")
        shutil.copytree(tmp / "cache-a" / "cnnbook" / "experiment", tmp / "cache-b" / "cnnbook" / "experiment")
        second, _ = build(tmp / "site-b", tmp / "cache-b" / "cnnbook")
        differ = compare(tmp / "site-a", tmp / "site-b")
        files = len(digests(tmp / "site-a"))
        print(f"clean build 1: {first:.1f} s, clean build 2: {second:.1f} s, {files} files compared")
        if differ:
            print("NOT reproducible; these files differ:\n  " + "\n  ".join(differ))
            return 1
        print("reproducible: the two builds are byte-identical")
        return 0


if __name__ == "__main__":
    sys.exit(main())
