"""Faults injected into builds of the book, each checked against a clean build (the oracle): nothing stale, nothing
lost, no worker left behind.

    python scripts/fault_injection.py [--kills 3] [--damaged 8] [--seed N]       (make faults; about 25 minutes
                                                                                    on 2 cores)

1. **oracle**: a cold build, from empty caches.
2. **killed**: ``--kills`` cold builds, each killed (SIGKILL to the build's own process, as a crash or an
   impatient author would) at a random moment between 5 s and 90 % of the oracle's time; 3 s later no process
   it started may still run (its workers, its notebook kernels). Then the build runs again to the end, on
   what the killed one left: the site must equal the oracle's.
3. **concurrent**: two cold builds started together on one empty cache: both sites must equal the oracle's.
4. **damaged**: in a copy of the oracle's caches, ``--damaged`` random entries (figures, facts, tables, claims,
   experiments, labs...) truncated, emptied or garbled: the next build must report each one it reads (and
   compute it again), and its site must equal the oracle's. An entry no item of the build reads (whatever reads
   it was itself cached: an analysis behind cached facts) keeps its damaged bytes untouched; that is checked too,
   since an entry computed again without a report would have changed.

Benchmark results are measurements, different at every run: each faulty build starts with the oracle's (as
``scripts/reproducible.py`` does), and they are never damaged. A training run computed again measures its own
seconds: its results must equal the oracle's apart from those, and the pages and SVG figures that quote them
may differ in numbers only; every other file must equal the oracle's byte for byte. Prints one line per trial; exits 1 if
any failed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import reproducible  # noqa: E402

ROOT = reproducible.ROOT
sys.path.insert(0, str(ROOT))  # this checkout's cnnbook


def _benchmarks():
    """Names of the experiments that measure time (the build runs them one at a time)."""
    from cnnbook import experiments

    return [name for name in experiments.names() if not experiments.EXPERIMENTS[name].parallel]


def _fresh_cache(oracle_cache, target):
    """An empty cache holding only the oracle's benchmark results."""
    cache = Path(target) / "cnnbook"
    for name in _benchmarks():
        for entry in (oracle_cache / "experiment").glob(f"{name}-*.json"):
            (cache / "experiment").mkdir(parents=True, exist_ok=True)
            shutil.copy2(entry, cache / "experiment" / entry.name)
    return cache


def _start(site, cache, tag):
    env = dict(os.environ, CNNBOOK_CACHE=str(cache), NO_MKDOCS_2_WARNING="1", CNNBOOK_FAULT_TAG=tag)
    return subprocess.Popen([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _tagged(tag):
    """Processes whose environment carries ``tag``: the build's and every process it started."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if f"CNNBOOK_FAULT_TAG={tag}".encode() in (proc / "environ").read_bytes().split(b"\0"):
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def _untimed(value):
    """An experiment's result without what it measured of time (``seconds``, ``seconds_by_seed``, ``machine``)."""
    if isinstance(value, dict):
        return {k: _untimed(v) for k, v in value.items() if not (k.startswith("seconds") or k == "machine")}
    if isinstance(value, list):
        return [_untimed(v) for v in value]
    return value


NUMBER = re.compile(rb"\d+(?:\.\d+)?")
GLYPH = re.compile(rb'<path id="DejaVuSans-[^"]*"[^>]*/>\s*')  # matplotlib embeds the glyphs a figure's text uses


def _numbers_aside(data):
    return NUMBER.sub(b"#", GLYPH.sub(b"", data))


def _differs(oracle, site, cache, unread=()):
    """What differs from the oracle. A training run computed again measures its own seconds, which some pages and
    a figure's title quote: its results must equal the oracle's apart from those, and a page, an index or an SVG
    figure may differ in numbers only (and, in an SVG, in the glyphs embedded for them). Every other file must be
    identical, byte for byte."""
    from cnnbook.cache import read_entry

    problems = []
    for entry in sorted((oracle["cache"] / "experiment").glob("*.json")):
        mine = cache / "experiment" / entry.name
        if mine in unread:  # damaged on purpose and never read (_damaged)
            continue
        if not mine.is_file():
            problems.append(f"no result {entry.name}")
        elif _untimed(json.loads(read_entry(entry))) != _untimed(json.loads(read_entry(mine))):
            problems.append(f"result {entry.name} differs from the oracle's")
    for path in reproducible.compare(oracle["site"], site):
        a, b = oracle["site"] / path, site / path
        if not (a.is_file() and b.is_file() and path.endswith((".html", ".json", ".svg"))
                and _numbers_aside(a.read_bytes()) == _numbers_aside(b.read_bytes())):
            problems.append(f"{path} differs from the oracle's")
    return "; ".join(problems[:6]) + (f" (and {len(problems) - 6} more)" if len(problems) > 6 else "")


def _killed(tmp, oracle, seconds, rng):
    """Kill a cold build at ``seconds``; if it ends before that (this machine was busier when the oracle ran), kill
    the next one at a moment drawn again from its own duration."""
    while True:
        shutil.rmtree(tmp, ignore_errors=True)
        cache = _fresh_cache(oracle["cache"], tmp / "cache")
        tag = uuid.uuid4().hex
        start = time.perf_counter()
        build = _start(tmp / "site", cache, tag)
        try:
            build.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            break
        seconds = rng.uniform(5, 0.9 * (time.perf_counter() - start))
        print(f"        the build ended before the kill; again, killed at {seconds:.0f} s", flush=True)
    build.kill()  # SIGKILL to the build's own process only: its workers must notice and end
    build.wait()
    time.sleep(3)
    survivors = _tagged(tag)
    for pid in survivors:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    problems = [f"{len(survivors)} processes of the killed build still ran 3 s later"] if survivors else []
    try:
        reproducible.build(tmp / "site", cache)
    except RuntimeError as error:
        problems.append(f"the resumed build failed: {str(error)[-800:]}")
    else:
        if differ := _differs(oracle, tmp / "site", cache):
            problems.append(differ)
    return "; ".join(problems), seconds


def _concurrent(tmp, oracle):
    cache = _fresh_cache(oracle["cache"], tmp / "cache")
    builds = [_start(tmp / f"site-{i}", cache, uuid.uuid4().hex) for i in (1, 2)]
    problems = []
    for i, build in enumerate(builds, start=1):
        out, _ = build.communicate(timeout=1800)
        if build.returncode:
            problems.append(f"build {i} failed ({build.returncode}): {out[-800:]}")
        elif differ := _differs(oracle, tmp / f"site-{i}", cache):
            problems.append(f"build {i}: {differ}")
    return "; ".join(problems)


def _damage(path, how):
    data = path.read_bytes()
    if how == "emptied":
        path.write_bytes(b"")
    elif how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    else:  # garbled: one byte past the first line changed, the size kept
        start = data.find(b"\n") + 1
        at = start + (len(data) - start) // 2
        path.write_bytes(data[:at] + bytes([(data[at] + 1) % 256]) + data[at + 1:])


def _damaged(tmp, oracle, count, rng):
    cache = reproducible.copy_caches(oracle["cache"], tmp / "cache")
    benchmarks = tuple(f"{name}-" for name in _benchmarks())
    candidates = [p for p in sorted(cache.glob("*/*")) if p.suffix != ".part"
                  and p.parent.name not in ("data", "weights")  # read only when a training run is computed again
                  and not (p.parent.name == "experiment" and p.name.startswith(benchmarks))]
    labs = sorted((cache.parent / "mkdocs-jupyter").glob("*.json"))
    chosen = rng.sample(candidates + labs, min(count, len(candidates) + len(labs)))
    done, damaged = [], {}
    for path in chosen:
        how = rng.choice(["emptied", "truncated", "garbled"])
        _damage(path, how)
        done.append((path, how))
        damaged[path] = path.read_bytes()
    try:
        _, log = reproducible.build(tmp / "site", cache)
    except RuntimeError as error:
        return f"the build failed: {str(error)[-800:]}", done, []
    # An entry that still holds its damaged bytes was never read: everything that reads it (a figure, a fact, a
    # claim) came from the cache. Nothing was served from it; a later build that needs it will find the damage.
    unread = [p for p, _ in done if p.is_file() and p.read_bytes() == damaged[p]]
    unreported = [p.name for p, _ in done if p.parent.name != "mkdocs-jupyter" and p.name not in log
                  and p not in unread]
    labs_damaged = sum(p.parent.name == "mkdocs-jupyter" and p not in unread for p, _ in done)
    problems = [f"computed again without a report: {', '.join(unreported)}"] if unreported else []
    if log.count("its cached page is damaged") != labs_damaged:
        problems.append(f"{labs_damaged} lab entries damaged, {log.count('its cached page is damaged')} reported")
    if differ := _differs(oracle, tmp / "site", cache, unread=unread):
        problems.append(differ)
    return "; ".join(problems), done, unread


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=3, help="builds killed at random moments (default 3)")
    parser.add_argument("--damaged", type=int, default=8, help="cache entries damaged at random (default 8)")
    parser.add_argument("--seed", type=int, help="for the moments and the entries (default: drawn, and printed)")
    args = parser.parse_args(argv)
    if args.kills < 0 or args.damaged < 0:
        parser.error("--kills and --damaged must be 0 or more")
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    rng = random.Random(seed)
    print(f"fault injection, seed {seed} (--seed {seed} repeats these faults)", flush=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="cnnbook-faults-") as tmp:
        tmp = Path(tmp)
        seconds, _ = reproducible.build(tmp / "oracle" / "site", tmp / "oracle" / "cache" / "cnnbook")
        oracle = {"site": tmp / "oracle" / "site", "cache": tmp / "oracle" / "cache" / "cnnbook"}
        print(f"  oracle: a cold build, {seconds:.0f} s", flush=True)
        for i in range(args.kills):
            at = rng.uniform(5, 0.9 * seconds)
            start = time.perf_counter()
            problem, at = _killed(tmp / f"killed-{i}", oracle, at, rng)
            results.append((f"killed at {at:.0f} s, then resumed", problem, time.perf_counter() - start))
            print(f"  {'FAIL' if problem else 'ok  '}  {results[-1][0]} ({results[-1][2]:.0f} s) {problem}", flush=True)
        start = time.perf_counter()
        problem = _concurrent(tmp / "concurrent", oracle)
        results.append(("two cold builds on one cache", problem, time.perf_counter() - start))
        print(f"  {'FAIL' if problem else 'ok  '}  {results[-1][0]} ({results[-1][2]:.0f} s) {problem}", flush=True)
        if args.damaged:
            start = time.perf_counter()
            problem, done, unread = _damaged(tmp / "damaged", oracle, args.damaged, rng)
            what = ", ".join(f"{p.parent.name}/{p.name[:28]} {how}" for p, how in done)
            left = f"; {len(unread)} never read, all they feed was cached" if unread else ""
            results.append((f"{len(done)} entries damaged ({what}{left})", problem, time.perf_counter() - start))
            print(f"  {'FAIL' if problem else 'ok  '}  {results[-1][0]} ({results[-1][2]:.0f} s) {problem}",
                  flush=True)
    failed = [r for r in results if r[1]]
    print(f"{len(results) - len(failed)} of {len(results)} trials ok")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
