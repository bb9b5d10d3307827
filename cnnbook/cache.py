"""A content-addressed cache for everything the book computes at build time.

A result is stored under a key that hashes the *whole* ``cnnbook`` source,
the versions of the libraries that shape it, what kind of result it is, its
name and its parameters. An unchanged item is read back; any change to the
package's code gives every item a new key, so nothing stale survives.

The cache lives in ``$CNNBOOK_CACHE`` (the build sets ``.cache/cnnbook`` in the
repository), or ``~/.cache/cnnbook`` for a learner's own runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import tempfile
from pathlib import Path

__all__ = ["cache_dir", "cache_path", "cached_bytes", "item_key", "source_hash"]

PACKAGE_DIR = Path(__file__).resolve().parent
_HASHES = {}


def source_hash(package_dir=None):
    """SHA-256 over every file of the package (paths and bytes), and library versions.

    Computed once per directory per process: the build drops ``cnnbook``
    from ``sys.modules`` before each rebuild, which also resets this memo.

    Examples
    --------
    >>> len(source_hash())
    64
    """
    root = Path(package_dir or PACKAGE_DIR).resolve()
    if root not in _HASHES:
        import matplotlib
        import numpy

        digest = hashlib.sha256()
        digest.update(f"python {platform.python_version()} numpy {numpy.__version__} ".encode())
        digest.update(f"matplotlib {matplotlib.__version__}".encode())
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                digest.update(path.relative_to(root).as_posix().encode() + b"\0")
                digest.update(path.read_bytes() + b"\0")
        _HASHES[root] = digest.hexdigest()
    return _HASHES[root]


def item_key(kind, name, params=None):
    """The cache key of one build item: its kind, name, parameters and the source hash.

    Examples
    --------
    >>> item_key("figure", "ch01.flip") == item_key("figure", "ch01.flip")
    True
    >>> item_key("figure", "ch01.flip") == item_key("figure", "ch01.flip", {"size": 5})
    False
    """
    payload = json.dumps([kind, name, params or {}, source_hash()], sort_keys=True, default=repr)
    return hashlib.sha256(payload.encode()).hexdigest()


def cache_dir():
    """Directory of the cache: ``$CNNBOOK_CACHE`` or ``~/.cache/cnnbook``.

    Examples
    --------
    >>> cache_dir().name in ("cnnbook", Path(os.environ.get("CNNBOOK_CACHE", "cnnbook")).name)
    True
    """
    return Path(os.environ.get("CNNBOOK_CACHE") or Path.home() / ".cache" / "cnnbook")


def cache_path(kind, name, params, suffix):
    """Where :func:`cached_bytes` keeps this item (the file may not exist yet).

    Examples
    --------
    >>> cache_path("figure", "ch01.flip", {}, ".svg").name.startswith("ch01.flip-")
    True
    """
    return cache_dir() / kind / f"{name}-{item_key(kind, name, params)[:20]}{suffix}"


def cached_bytes(kind, name, params, compute, suffix):
    """Return ``compute()``'s bytes for this item, computing them only on a cache miss.

    Parameters
    ----------
    kind, name, params
        Identify the item (see :func:`item_key`).
    compute : callable returning bytes
    suffix : str
        File extension of the stored result, e.g. ``".svg"`` or ``".json"``.

    Returns
    -------
    (bytes, bool)
        The result and whether it came from the cache.

    Examples
    --------
    >>> import tempfile
    >>> os.environ["CNNBOOK_CACHE"] = tempfile.mkdtemp()
    >>> cached_bytes("demo", "x", {}, lambda: b"42", ".txt")
    (b'42', False)
    >>> cached_bytes("demo", "x", {}, lambda: b"other", ".txt")
    (b'42', True)
    >>> del os.environ["CNNBOOK_CACHE"]
    """
    path = cache_path(kind, name, params, suffix)
    if path.is_file():
        return path.read_bytes(), True
    data = compute()
    if not isinstance(data, bytes):
        raise TypeError(f"cached_bytes: {kind} {name!r} must produce bytes; got {type(data).__name__}")
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename, so an interrupted build never leaves half a file behind.
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".part") as tmp:
        tmp.write(data)
    os.replace(tmp.name, path)
    return data, False
