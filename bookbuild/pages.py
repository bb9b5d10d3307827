"""Which ``cnnbook`` modules each page's macros read, so that after a code edit ``mkdocs serve`` rebuilds the
pages the edit can change and no others.

The macros note the module behind each item a page asks for (a figure's registration, a fact's, table's or
claim's function, a chapter's exercises, a listing's source); after the build the record, each module with
the code key it had (:func:`cnnbook.cache.code_key`), is kept beside the cache (``.cache/pages/``, one file
per site folder). When the code changes, a page
is written again if one of its modules has a new key, or if it has no record (a page new since). A lab's page
is keyed like its cached output, on the ``cnnbook`` code the lab imports (:func:`cnnbook.cache.script_key`).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

_USED = {}  # page's output path (relative to the site) -> modules its macros read


def start():
    """A build begins: forget what the previous one noted."""
    _USED.clear()


def note(page, module):
    """Page ``page`` (a mkdocs Page) shows an item computed by ``module``."""
    _USED.setdefault(page.file.dest_uri, set()).add(module)


def rendered(page):
    """Page ``page`` was written by this build (with or without macros)."""
    _USED.setdefault(page.file.dest_uri, set())


def _record_file(site_dir):
    import hashlib

    from cnnbook.cache import cache_dir

    name = hashlib.sha256(str(Path(site_dir).resolve()).encode()).hexdigest()[:16]
    return cache_dir().parent / "pages" / f"{name}.json"


def _load(site_dir):
    try:
        record = json.loads(_record_file(site_dir).read_text())
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def _key(module):
    """The code key of ``module``, or of a lab's imports for ``"lab:<path of the lab>"``."""
    from bookbuild.notebooks import lab_chapter
    from cnnbook.cache import code_key, script_key

    if module.startswith("lab:"):
        return script_key(module[4:], lab_chapter(module[4:]))
    return code_key(module)


def save(site_dir, labs=()):
    """Keep, beside the site, the modules (and their keys) of every page this build wrote; ``labs`` are
    ``(page's output path, the lab's source path)`` pairs."""
    for page, source in labs:
        if page in _USED:
            _USED[page].add(f"lab:{source}")
    record = _load(site_dir)
    for page, modules in _USED.items():
        record[page] = {module: _key(module) for module in sorted(modules)}
    path = _record_file(site_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".part") as tmp:
        json.dump(record, tmp, sort_keys=True, indent=1)
    os.replace(tmp.name, path)


def stale(site_dir):
    """The written pages (paths under ``site_dir``) whose items the present code may compute differently."""
    record, site = _load(site_dir), Path(site_dir)
    found = []
    for html in site.rglob("*.html"):
        modules = record.get(html.relative_to(site).as_posix())
        try:
            fresh = modules is not None and all(_key(m) == key for m, key in modules.items())
        except (ValueError, OSError, SyntaxError):  # a module gone, or unreadable: write the page again
            fresh = False
        if not fresh:
            found.append(html)
    return found
