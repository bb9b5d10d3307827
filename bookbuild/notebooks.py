"""The book's one adapter to mkdocs-jupyter's private surface. Nothing else in the build touches it.

mkdocs-jupyter renders the labs and caches each rendered lab under a key of the notebook's text and the
plugin's options. The book needs four things the plugin has no public option for:

* **a key that also covers the code a lab runs**: the ``cnnbook`` modules the lab imports, followed
  through the import graph (:func:`cnnbook.cache.script_key`), so a lab runs again when that code
  changes and only then;
* **its cache entries kept** between ``mkdocs serve --dirty`` rebuilds, which render only the edited
  pages (the plugin evicts every entry a rebuild did not use);
* **the entries written the way the plugin writes them**, by :mod:`bookbuild.labs`, which runs the
  labs two at a time ahead of the plugin;
* **each cell's printed output in one block** after execution (see :func:`coalesce_streams_after_execution`);
* **its stylesheet in one file**: the plugin writes the same 589 KB of CSS into every lab page (and so 8 times
  into the print page), which the book serves once, as a file the browser keeps (:func:`shared_stylesheet`).

The functions used are checked by :func:`check` against the installed version; the version itself is
pinned in ``constraints.txt``, which ``make`` installs from.
"""

from __future__ import annotations

import hashlib
import inspect
import re
from pathlib import Path

#: The private names used here: (module, attribute, the parameters it must take).
PRIVATE = (("mkdocs_jupyter.plugin", "_compute_cache_key", ("nb_path", "config", "exec_nb")),
           ("mkdocs_jupyter.plugin", "_get_cache_path", ("cache_dir", "cache_key")),
           ("mkdocs_jupyter.plugin", "_get_nb_toc_tokens", ("fpath", "toc_depth")),
           ("mkdocs_jupyter.preprocessors", "SubCell.preprocess", ("self", "nb", "resources")))


#: The stylesheets the plugin writes into a lab page's HTML.
STYLE_BLOCK = re.compile(r'<style type="text/css">.*?</style>\n?', re.S)

_CHECKED = []  # once per process: `mkdocs serve` keeps this module between rebuilds
_SOUND = set()  # (entry, size, mtime) of the lab entries read and found whole


def check():
    """Raise ``RuntimeError`` naming what changed if the installed mkdocs-jupyter no longer fits this adapter."""
    import importlib

    if _CHECKED:
        return

    where = "bookbuild/notebooks.py was written for the version pinned in constraints.txt"
    for module_name, attribute, params in PRIVATE:
        target = importlib.import_module(module_name)
        for part in attribute.split("."):
            target = getattr(target, part, None)
            if target is None:
                raise RuntimeError(f"mkdocs-jupyter changed: {module_name}.{attribute} is gone ({where})")
        found = tuple(inspect.signature(target).parameters)
        if found[:len(params)] != params:
            raise RuntimeError(f"mkdocs-jupyter changed: {module_name}.{attribute} takes {found}, not {params} ({where})")
    from mkdocs_jupyter.plugin import Plugin

    if "_used_cache_paths" not in inspect.getsource(Plugin):
        raise RuntimeError(f"mkdocs-jupyter changed: its plugin keeps no _used_cache_paths ({where})")
    _CHECKED.append(True)


def lab_chapter(path):
    """``"chNN"`` for a lab file named ``chNN_*.py``, else None."""
    short = Path(path).name[:4]
    return short if short.startswith("ch") and short[2:].isdigit() else None


def key_labs_by_code():
    """Make the plugin's cache key cover the ``cnnbook`` code each lab imports (once per process)."""
    from mkdocs_jupyter import plugin

    if getattr(plugin._compute_cache_key, "cnnbook_keyed", False):
        return
    original = plugin._compute_cache_key

    def compute_cache_key(nb_path, config, exec_nb):
        from cnnbook.cache import script_key

        key = original(nb_path, config, exec_nb) + script_key(nb_path, lab_chapter(nb_path))
        return hashlib.sha256(key.encode()).hexdigest()

    compute_cache_key.cnnbook_keyed = True
    plugin._compute_cache_key = compute_cache_key


def cache_path(plugin_config, nb_path):
    """Where the plugin looks for lab ``nb_path``'s rendered page (keyed as :func:`key_labs_by_code` says)."""
    from mkdocs_jupyter import plugin

    key = plugin._compute_cache_key(nb_path, plugin_config, bool(plugin_config["execute"]))
    return plugin._get_cache_path(plugin_config["cache_dir"], key)


def entries(jupyter):
    """Every entry in the plugin's cache folder (a rendered lab, under its key), and every unfinished write of one
    (``.part``: bookbuild/labs.py)."""
    folder = Path(jupyter.config["cache_dir"])
    return sorted(folder.glob("*.json")) + sorted(folder.glob("*.part")) if folder.is_dir() else []


def keep_entries(jupyter, nb_paths):
    """Count every lab entry as used by this build, so the plugin evicts none: the entries of earlier versions of a
    lab's code stay for a reverted edit to reuse, and the build bounds the cache instead (bookbuild/hooks.py,
    :func:`cnnbook.cache.prune`). Delete a damaged current entry (the plugin writes its entries in place, so a
    killed build can leave one truncated), so that the lab runs again instead of the plugin failing on it.
    Returns the paths of the labs whose entries were damaged."""
    import json
    import logging

    jupyter._used_cache_paths.update(entries(jupyter))
    damaged = []
    for path in nb_paths:
        entry = cache_path(jupyter.config, path)
        jupyter._used_cache_paths.add(entry)
        try:
            stat = entry.stat()
            if (entry, stat.st_size, stat.st_mtime_ns) in _SOUND:  # read whole before, unchanged since
                continue
            cached = json.loads(entry.read_text(encoding="utf-8"))
            if not (isinstance(cached, dict) and isinstance(cached.get("content"), str)
                    and isinstance(cached.get("toc_tokens"), list)):
                raise ValueError("not a rendered lab")
            _SOUND.add((entry, stat.st_size, stat.st_mtime_ns))
        except FileNotFoundError:
            continue
        except (OSError, ValueError) as exc:
            # INFO: a strict build fails on a warning, and this is mended here, not the author's mistake
            logging.getLogger("mkdocs.hooks.book").info("lab %s: its cached page is damaged (%s); running it "
                                                            "again", Path(path).name, exc)
            entry.unlink(missing_ok=True)
            damaged.append(path)
    return damaged


def toc_tokens(nb_path, depth):
    """The lab's table-of-contents tokens and title, as the plugin computes them."""
    from mkdocs_jupyter.plugin import _get_nb_toc_tokens

    return _get_nb_toc_tokens(nb_path, depth)


def coalesce_streams_after_execution():
    """Merge each cell's consecutive stdout (or stderr) chunks into one output after the kernel ran it.

    How a kernel splits a cell's printing into messages depends on timing (it flushes on a clock), and
    each message becomes its own output block: two builds of a lab that prints between computations
    would differ. nbconvert's own coalescing runs *before* execution, so it is applied again here,
    after, through mkdocs-jupyter's last preprocessor.
    """
    from mkdocs_jupyter.preprocessors import SubCell
    from nbconvert.preprocessors import CoalesceStreamsPreprocessor

    if getattr(SubCell, "cnnbook_coalesces", False):
        return
    original = SubCell.preprocess

    def preprocess(self, nb, resources):
        nb, resources = original(self, nb, resources)
        return CoalesceStreamsPreprocessor().preprocess(nb, resources)

    SubCell.preprocess = preprocess
    SubCell.cnnbook_coalesces = True


def shared_stylesheet(html):
    r"""``(html, css)``: a rendered lab's HTML without the stylesheets the plugin writes into it, and their CSS.

    Examples
    --------
    >>> shared_stylesheet('<style type="text/css">\n.a{}\n</style>\n<div>lab</div>')
    ('<div>lab</div>', '\n.a{}\n')
    >>> shared_stylesheet("<p>no notebook</p>")
    ('<p>no notebook</p>', '')
    """
    css = "".join(block[len('<style type="text/css">'):block.rindex("</style>")] for block in STYLE_BLOCK.findall(html))
    return STYLE_BLOCK.sub("", html), css
