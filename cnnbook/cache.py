"""A content-addressed cache for everything the book computes at build time.

An item (a figure, a fact, an experiment's run, the parsed digits) is stored
under a key that covers what it depends on and nothing else:

* the code of the module that defines it and of every ``cnnbook`` module that
  module imports, directly or through others, read from the import statements
  (:func:`dependencies`); docstrings and comments do not count, so editing
  them recomputes nothing;
* the versions of the libraries those modules import (NumPy, matplotlib, the
  data packages...) and of Python;
* the item's kind, name and parameters.

Editing a figure module therefore redraws that module's figures only; editing
:mod:`cnnbook.functional` recomputes everything that uses it.

Two rules make the import graph safe to read. A package that loads its
modules by name (``importlib.import_module``, or
:func:`cnnbook._registry.load_modules` in the registries of figures, facts,
exercises and experiments) can run any of them, so a module that
imports it depends on all of them. A module that imports its *own* package
(``from cnnbook.figures import register``) does so to register itself, and
does not depend on its siblings through it.

Each stored file starts with a line holding the SHA-256 of its content. A file
whose content does not match (truncated, garbled, edited by hand) is reported,
deleted and computed again: the cache never serves a damaged entry.

The cache lives in ``$CNNBOOK_CACHE`` (the build sets ``.cache/cnnbook`` in the
repository), or ``~/.cache/cnnbook`` for a learner's own runs.
"""

from __future__ import annotations

import ast
import hashlib
import json
import logging
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["cache_dir", "cache_path", "cached_bytes", "code_key", "dependencies", "forget", "item_key", "read_entry",
           "script_key", "write_entry"]

PACKAGE_DIR = Path(__file__).resolve().parent
PACKAGE = PACKAGE_DIR.name
LOG = logging.getLogger("cnnbook.cache")
HEADER = b"cnnbook-cache sha256="
# Memos, per package folder: the keys describe the code as this process first read it, as the modules it
# imported do (``mkdocs serve`` imports the package afresh after an edit; code that edits files in-process, as
# the tests do, calls :func:`forget`).
_FILES = {}  # (package folder, module) -> its source file, or None
_LAYOUTS = {}  # package folder -> its module files, one string (see _layout)
_KEYS = {}  # (package folder, module, chapter) -> code key
_PARSED = {}  # (package folder, module) -> (code digest, cnnbook imports, other top-level imports, loads by name)


def forget():
    """Read the package's files afresh on the next key (after editing them in this process)."""
    for memo in (_FILES, _LAYOUTS, _KEYS, _PARSED, _STORED):
        memo.clear()


class CorruptEntry(ValueError):
    """A cache file whose content does not match the digest it was written with."""


def _module_file(name):
    """The source file of the ``cnnbook`` module ``name``, or None if there is no such module."""
    memo = (PACKAGE_DIR, name)
    if memo not in _FILES:
        parts = name.split(".")
        base = PACKAGE_DIR.joinpath(*parts[1:])
        found = [c for c in (base.with_suffix(".py"), base / "__init__.py") if c.is_file()] if parts[0] == PACKAGE else []
        _FILES[memo] = found[0] if found else None
    return _FILES[memo]


def _submodules(package):
    """Every module inside ``package``, subpackages included (their names, sorted)."""
    folder = _module_file(package).parent
    found = []
    for path in sorted(folder.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        rel = path.relative_to(folder).with_suffix("").parts
        rel = rel[:-1] if rel[-1] == "__init__" else rel
        if rel:
            found.append(".".join((package,) + rel))
    return found


def _without_docstrings(tree):
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                node.body = body[1:] or [ast.Pass()]
    return tree


def _resolve(module, node, is_package):
    """The ``cnnbook`` modules and the other top-level names one import statement brings in."""
    ours, others = set(), set()
    if isinstance(node, ast.Import):
        targets = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            anchor = module.split(".")
            anchor = anchor[:len(anchor) - node.level + (1 if is_package else 0)]
            base = ".".join(anchor + ([base] if base else []))
        targets = [f"{base}.{alias.name}" if _module_file(f"{base}.{alias.name}") else base for alias in node.names]
    for target in targets:
        top = target.split(".")[0]
        if top != PACKAGE:
            others.add(top)
            continue
        parts = target.split(".")
        while parts and _module_file(".".join(parts)) is None:  # `import cnnbook.x.y` where y is a name
            parts.pop()
        if parts:
            ours.add(".".join(parts))
    return ours, others


def _imports(tree, module, is_package):
    """What a parsed file imports: ``cnnbook`` modules, other top-level names, and whether it loads modules by name."""
    ours, others, by_name = set(), set(), False
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found = _resolve(module, node, is_package)
            ours |= found[0]
            others |= found[1]
        elif isinstance(node, ast.Call):
            func = node.func
            by_name |= (getattr(func, "attr", None) or getattr(func, "id", None)) in ("import_module", "__import__",
                                                                                      "load_modules")
    return ours, others, by_name


def _parse(name):
    """``(code digest, cnnbook imports, other top-level imports, loads by name)`` of module ``name``.

    Parsing the whole package takes seconds; so each file's result is also kept on disk, in
    ``modules.json`` in the cache folder, under a digest of the file's bytes and of the package's layout
    (which decides what its imports resolve to): a rebuild parses only the files that changed.
    """
    memo = (PACKAGE_DIR, name)
    if memo not in _PARSED:
        path = _module_file(name)
        if path is None:
            raise ValueError(f"cache: {name!r} is not a module of {PACKAGE}")
        source = path.read_bytes()
        stored = _stored_parses()
        digest = hashlib.sha256(_layout().encode() + b"\0" + name.encode() + b"\0" + source).hexdigest()
        if digest in stored:
            code, ours, others, by_name = stored[digest]
        else:
            tree = ast.parse(source, filename=str(path))
            ours, others, by_name = _imports(tree, name, path.name == "__init__.py")
            code = hashlib.sha256(ast.dump(_without_docstrings(tree)).encode()).hexdigest()
            ours, others = sorted(ours - {name}), sorted(others)
            stored[digest] = [code, ours, others, by_name]
            _store_parses(stored)
        _PARSED[memo] = (code, frozenset(ours), frozenset(others), bool(by_name))
    return _PARSED[memo]


def _layout():
    """The package's module names, one string: what a file's imports resolve to depends on it."""
    if PACKAGE_DIR not in _LAYOUTS:
        names = sorted(p.relative_to(PACKAGE_DIR).as_posix() for p in PACKAGE_DIR.rglob("*.py")
                       if "__pycache__" not in p.parts)
        _LAYOUTS[PACKAGE_DIR] = "\n".join(names)
    return _LAYOUTS[PACKAGE_DIR]


_STORED = {}


def _stored_parses():
    folder = cache_dir()
    if folder not in _STORED:
        try:
            stored = json.loads(read_entry(folder / "modules.json"))
        except (OSError, ValueError):  # none yet, or damaged (CorruptEntry is a ValueError): parse again
            stored = {}
        _STORED[folder] = stored if isinstance(stored, dict) else {}
    return _STORED[folder]


def _store_parses(stored):
    try:
        write_entry(cache_dir() / "modules.json", json.dumps(stored, sort_keys=True).encode())
    except OSError:  # a read-only cache folder: parse again next time
        pass


def dependencies(module, chapter=None):
    """The ``cnnbook`` modules whose code ``module``'s results can depend on (itself included), sorted.

    Parameters
    ----------
    module : str
        A module of the package, e.g. ``"cnnbook.figures.ch01"``.
    chapter : str, optional
        ``"chNN"``: when a whole package is imported, take only this chapter's module
        of it among its ``chNN`` modules (a lab uses only its own chapter's exercises).

    Examples
    --------
    >>> deps = dependencies("cnnbook.figures.ch01")
    >>> "cnnbook.figures.ch01" in deps and "cnnbook.figures" in deps
    True
    >>> "cnnbook.figures.ch02" in deps
    False
    >>> "cnnbook.functional" in dependencies("cnnbook.experiments.training")
    True
    >>> "cnnbook.exercises.ch03" in dependencies("cnnbook.experiments.training")
    False
    """
    return _closure([(None, module)], chapter)


def _closure(edges, chapter):
    """Every module reached from ``edges`` (``(importer, module)`` pairs), by the two rules of this module."""
    seen, expanded, stack = set(), set(), list(edges)
    while stack:
        importer, name = stack.pop()
        parsed = _parse(name)
        if name not in seen:
            seen.add(name)
            stack.extend((name, target) for target in parsed[1])
        own = importer is not None and importer.startswith(name + ".")
        registry = parsed[3] and _module_file(name).name == "__init__.py"
        if registry and not own and name not in expanded:  # a registry used from outside: any of its modules
            expanded.add(name)
            for sub in _submodules(name):
                short = sub.rpartition(".")[2]
                if not (chapter and _is_chapter(short) and short != chapter):
                    stack.append((None, sub))
    return sorted(seen)


def _is_chapter(short):
    return len(short) == 4 and short.startswith("ch") and short[2:].isdigit()


_VERSIONS = {}


def _versions(top_level_names):
    """``name==version`` of the installed distributions that provide these top-level modules, sorted.

    Which distribution provides which module is read once from the installed metadata (a second), and kept
    in ``versions.json`` in the cache folder under the names of the installed distributions' metadata
    folders, which carry their versions: an install or upgrade reads it again.
    """
    if not _VERSIONS:
        _VERSIONS.update(_provided_by())
    stdlib = sys.stdlib_module_names
    return sorted({v for top in top_level_names if top not in stdlib for v in _VERSIONS.get(top, [f"{top}==?"])})


def _provided_by():
    # The book's own checkout is left out: it is on sys.path in some processes and not in others (with its
    # cnnbook.egg-info), and the file would be written again by each in turn (1.2 s of a warm build).
    own = {str(PACKAGE_DIR.parent), os.path.realpath(PACKAGE_DIR.parent)}
    installed = sorted({name for entry in sys.path if entry and os.path.isdir(entry)
                        and os.path.realpath(entry) not in own
                        for name in os.listdir(entry) if name.endswith((".dist-info", ".egg-info"))})
    signature = hashlib.sha256("\n".join(installed).encode()).hexdigest()
    path = cache_dir() / "versions.json"
    try:
        stored = json.loads(read_entry(path))
        if stored["installed"] == signature:
            return stored["provided_by"]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    from importlib import metadata

    provided_by = {top: sorted({f"{d}=={metadata.version(d)}" for d in dists})
                   for top, dists in metadata.packages_distributions().items()}
    try:
        write_entry(path, json.dumps({"installed": signature, "provided_by": provided_by}, sort_keys=True).encode())
    except OSError:
        pass
    return provided_by


def code_key(module, chapter=None):
    """SHA-256 of the code ``module`` depends on (:func:`dependencies`) and of the libraries' versions.

    Examples
    --------
    >>> code_key("cnnbook.figures.ch01") == code_key("cnnbook.figures.ch01")
    True
    >>> code_key("cnnbook.figures.ch01") == code_key("cnnbook.figures.ch02")
    False
    """
    memo = (PACKAGE_DIR, module, chapter)
    if memo not in _KEYS:
        _KEYS[memo] = _key(dependencies(module, chapter), ())
    return _KEYS[memo]


def script_key(path, chapter=None):
    """Like :func:`code_key`, for a script outside the package (a lab): the ``cnnbook`` code it imports.

    A script that imports a registry (``from cnnbook.exercises import check``) depends on its modules,
    of ``chapter`` only among the ``chNN`` ones when ``chapter`` is given.
    """
    stat = os.stat(path)
    script = (PACKAGE_DIR, str(path), stat.st_size, stat.st_mtime_ns, chapter)
    if script in _KEYS:
        return _KEYS[script]
    tree = ast.parse(Path(path).read_bytes(), filename=str(path))
    ours, others, _ = _imports(tree, "__main__", False)
    memo = (PACKAGE_DIR, frozenset(ours), frozenset(others), chapter)
    if memo not in _KEYS:
        _KEYS[memo] = _key(_closure([(None, m) for m in ours], chapter), others)
    _KEYS[script] = _KEYS[memo]
    return _KEYS[memo]


def _key(modules, others):
    others = set(others).union(*(_parse(m)[2] for m in modules))
    payload = {"python": platform.python_version(), "libraries": _versions(others),
               "code": {m: _parse(m)[0] for m in modules}}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def item_key(kind, name, params=None, *, module):
    """The cache key of one build item: its kind, name, parameters and :func:`code_key` of its ``module``.

    Examples
    --------
    >>> item_key("figure", "ch01.flip", module="cnnbook.figures.ch01") == item_key(
    ...     "figure", "ch01.flip", module="cnnbook.figures.ch01")
    True
    >>> item_key("figure", "ch01.flip", module="cnnbook.figures.ch01") == item_key(
    ...     "figure", "ch01.flip", {"size": 5}, module="cnnbook.figures.ch01")
    False
    """
    payload = json.dumps([kind, name, params or {}, code_key(module)], sort_keys=True, default=repr)
    return hashlib.sha256(payload.encode()).hexdigest()


def cache_dir():
    """Directory of the cache: ``$CNNBOOK_CACHE`` or ``~/.cache/cnnbook``.

    Examples
    --------
    >>> cache_dir().name in ("cnnbook", Path(os.environ.get("CNNBOOK_CACHE", "cnnbook")).name)
    True
    """
    return Path(os.environ.get("CNNBOOK_CACHE") or Path.home() / ".cache" / "cnnbook")


def cache_path(kind, name, params, suffix, *, module):
    """Where :func:`cached_bytes` keeps this item (the file may not exist yet).

    Examples
    --------
    >>> cache_path("figure", "ch01.flip", {}, ".svg", module="cnnbook.figures.ch01").name.startswith("ch01.flip-")
    True
    """
    path = cache_dir() / kind / f"{name}-{item_key(kind, name, params, module=module)[:20]}{suffix}"
    _LOCATED.add(path)
    return path


_LOCATED = set()  # every entry this process has looked for: what the build in progress uses


def located():
    """The entries this process has looked for (read, written, or asked whether cached) since it started.

    A build looks for every item its pages need, so these are the entries the build used; :func:`prune` keeps them.
    """
    return frozenset(_LOCATED)


def entries():
    """Every file in the cache's item folders (``figure/``, ``fact/``, ``experiment/``, ...), and every unfinished
    write (``.part``); the memos at the top of the cache folder are not entries."""
    root = cache_dir()
    return [p for p in root.glob("*/*") if p.is_file()] + sorted(root.glob("*.part")) if root.is_dir() else []


#: Size past which a full build prunes the entries it did not use; ``$CNNBOOK_CACHE_LIMIT_MB`` overrides it.
#: A full cache of the book is about 30 MB, so about eight versions of the code fit before any is pruned.
LIMIT_MB = 256


def limit_bytes():
    """:data:`LIMIT_MB`, or ``$CNNBOOK_CACHE_LIMIT_MB``, in bytes.

    Examples
    --------
    >>> limit_bytes() == LIMIT_MB * 2**20 or "CNNBOOK_CACHE_LIMIT_MB" in os.environ
    True
    """
    raw = os.environ.get("CNNBOOK_CACHE_LIMIT_MB", "")
    if not raw:
        return LIMIT_MB * 2**20
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise ValueError(f"CNNBOOK_CACHE_LIMIT_MB must be a number of megabytes, 0 or more; got {raw!r}")
    return int(value * 2**20)


def prune(files, used, limit, *, since=None, part_age=3600.0, now=None):
    """Delete the cache files a build did not use, least recently written first, until the rest take at most
    ``limit`` bytes, and every unfinished write (``*.part``) older than ``part_age`` seconds, which a killed
    process left behind (a younger one may be another build's write in progress).

    Parameters
    ----------
    files : iterable of Path
        The candidates, e.g. :func:`entries`.
    used : set of Path
        Kept whatever the size, e.g. :func:`located`.
    limit : int
        Bytes.
    since : float, optional
        Files written at or after this time (seconds since the epoch) count as used: the build's workers wrote them.

    Returns
    -------
    list of Path
        What was deleted.

    Examples
    --------
    >>> folder = Path(tempfile.mkdtemp())
    >>> for age, name in enumerate(["new.json", "old.json", "oldest.json", "used.json"]):
    ...     _ = (folder / name).write_bytes(b"x" * 100)
    ...     os.utime(folder / name, (1000 - age, 1000 - age))
    >>> _ = (folder / "left.part").write_bytes(b"x")
    >>> os.utime(folder / "left.part", (0, 0))
    >>> [p.name for p in prune(folder.iterdir(), {folder / "used.json"}, limit=250, now=5000)]
    ['left.part', 'oldest.json', 'old.json']
    """
    now = time.time() if now is None else now
    used = {Path(p) for p in used}
    orphans, removed, kept = [], [], []
    for path in map(Path, files):
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        if path.suffix == ".part":
            if now - stat.st_mtime > part_age:
                orphans.append(path)
            continue
        kept.append((path in used or (since is not None and stat.st_mtime >= since), stat.st_mtime, stat.st_size, path))
    total = sum(size for _, _, size, _ in kept)
    for in_use, _, size, path in sorted(kept, key=lambda k: k[:2]):
        if total <= limit or in_use:
            break
        removed.append(path)
        total -= size
    removed = sorted(orphans) + removed
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


def write_entry(path, data):
    """Store ``data`` at ``path`` behind its digest line, atomically (write, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".part") as tmp:
        tmp.write(HEADER + hashlib.sha256(data).hexdigest().encode() + b"\n" + data)
    os.replace(tmp.name, path)


def is_sound(path, kind="entry", name=None):
    """Whether an entry is at ``path`` and matches its digest. A damaged one is reported, naming ``kind`` and
    ``name``, and deleted, so that whoever asked computes it again (as :func:`cached_bytes` would).

    Examples
    --------
    >>> folder = Path(tempfile.mkdtemp())
    >>> write_entry(folder / "x.txt", b"42")
    >>> is_sound(folder / "x.txt"), is_sound(folder / "missing.txt")
    (True, False)
    >>> _ = (folder / "x.txt").write_bytes(b"")
    >>> is_sound(folder / "x.txt"), (folder / "x.txt").exists()
    (False, False)
    """
    return _sound_entry(path, kind, name or Path(path).stem) is not None


def _sound_entry(path, kind, name):
    """The content at ``path`` if it is there and whole; else None, a damaged entry reported and deleted."""
    try:
        return read_entry(path)
    except FileNotFoundError:  # absent, or another build replaced or removed it a moment ago
        return None
    except CorruptEntry as exc:
        LOG.warning("cache: %s %r: %s; computing it again", kind, name, exc)
        Path(path).unlink(missing_ok=True)
        return None


def read_entry(path):
    """The content stored at ``path`` by :func:`write_entry`; :class:`CorruptEntry` if it does not match its digest.

    Examples
    --------
    >>> folder = Path(tempfile.mkdtemp())
    >>> write_entry(folder / "x.txt", b"42")
    >>> read_entry(folder / "x.txt")
    b'42'
    >>> _ = (folder / "x.txt").write_bytes((folder / "x.txt").read_bytes()[:-1] + b"3")
    >>> read_entry(folder / "x.txt")
    Traceback (most recent call last):
    ...
    cnnbook.cache.CorruptEntry: x.txt: the content does not match its digest (damaged or edited)
    """
    raw = Path(path).read_bytes()
    head, _, data = raw.partition(b"\n")
    if not head.startswith(HEADER):
        raise CorruptEntry(f"{Path(path).name}: no digest line (damaged, or written by another version)")
    if hashlib.sha256(data).hexdigest().encode() != head[len(HEADER):]:
        raise CorruptEntry(f"{Path(path).name}: the content does not match its digest (damaged or edited)")
    return data


def cached_bytes(kind, name, params, compute, suffix, *, module):
    """Return ``compute()``'s bytes for this item, computing them only on a cache miss.

    Parameters
    ----------
    kind, name, params
        Identify the item (see :func:`item_key`).
    compute : callable returning bytes
    suffix : str
        File extension of the stored result, e.g. ``".svg"`` or ``".json"``.
    module : str
        The module whose code computes the item (usually where it is defined).

    Returns
    -------
    (bytes, bool)
        The result and whether it came from the cache.

    Examples
    --------
    >>> os.environ["CNNBOOK_CACHE"] = tempfile.mkdtemp()
    >>> cached_bytes("demo", "x", {}, lambda: b"42", ".txt", module="cnnbook.shapes")
    (b'42', False)
    >>> cached_bytes("demo", "x", {}, lambda: b"other", ".txt", module="cnnbook.shapes")
    (b'42', True)
    >>> del os.environ["CNNBOOK_CACHE"]
    """
    path = cache_path(kind, name, params, suffix, module=module)
    data = _sound_entry(path, kind, name)
    if data is not None:
        try:
            os.utime(path)  # read by this build, in whichever process: prune() keeps it
        except FileNotFoundError:  # another build removed it a moment ago; the content read is whole
            pass
        return data, True
    data = compute()
    if not isinstance(data, bytes):
        raise TypeError(f"cached_bytes: {kind} {name!r} must produce bytes; got {type(data).__name__}")
    write_entry(path, data)
    return data, False
