"""Numbers and tables the chapters quote, computed by ``cnnbook`` at build time.

A chapter writes ``{{ fact("ch01.conv_params") }}`` or ``{{ table("ch01.params") }}``
instead of typing a number that could drift from the code. A fact function
returns a number or a string (JSON data); a table function returns Markdown. Both
are cached like figures (:mod:`cnnbook.cache`), so a warm rebuild computes nothing.
"""

from __future__ import annotations

import json

from cnnbook._registry import load_modules
from cnnbook.cache import cached_bytes
from cnnbook.formatting import format_value

__all__ = ["CLAIMS", "FACTS", "TABLES", "claim", "computed", "fact", "format_value", "get_claim", "get_fact", "get_table",
           "names", "table"]

FACTS = {}
TABLES = {}
CLAIMS = {}


def _registrar(registry, kind):
    def register(name):
        def decorate(func):
            if name in registry:
                raise ValueError(f"{kind} {name!r} is defined twice")
            registry[name] = func
            return func

        return decorate

    return register


#: Register the decorated function as the fact ``name``.
fact = _registrar(FACTS, "fact")
#: Register the decorated function as the table ``name``.
table = _registrar(TABLES, "table")
#: Register the decorated function as the claim ``name`` (:mod:`cnnbook.claims`): it returns the words the
#: page shows (its evidence, or the wording the run chose) or raises :class:`cnnbook.claims.ClaimError`.
claim = _registrar(CLAIMS, "claim")


def _load():
    load_modules(__name__)  # every chNN.py (and other public module) here registers its items


def names():
    """Names of all facts and tables, as ``(facts, tables)`` (claims: ``sorted(CLAIMS)`` after this call).

    Examples
    --------
    >>> facts, tables = names()
    >>> "ch01.conv_params" in facts and "ch01.params" in tables
    True
    """
    _load()
    return sorted(FACTS), sorted(TABLES)


def get_fact(name, fmt=None):
    """The fact ``name`` formatted for prose.

    Examples
    --------
    >>> get_fact("ch01.conv_params")
    '1,216'
    """
    _load()
    if name not in FACTS:
        raise ValueError(f"unknown fact {name!r}; see cnnbook.facts.names()")
    data, _ = cached_bytes("fact", name, {}, lambda: json.dumps(FACTS[name]()).encode(), ".json",
                           module=FACTS[name].__module__)
    return format_value(json.loads(data), fmt)


def get_table(name):
    """The table ``name`` as Markdown."""
    _load()
    if name not in TABLES:
        raise ValueError(f"unknown table {name!r}; see cnnbook.facts.names()")
    data, _ = cached_bytes("table", name, {}, lambda: TABLES[name]().encode(), ".md", module=TABLES[name].__module__)
    return data.decode()


def module_of(kind, name):
    """The module that defines fact, table or claim ``name`` (``kind``), or None if there is none.

    Examples
    --------
    >>> module_of("fact", "ch01.conv_params")
    'cnnbook.facts.ch01'
    """
    _load()
    func = {"fact": FACTS, "table": TABLES, "claim": CLAIMS}[kind].get(name)
    return None if func is None else func.__module__


def computed(name):
    """Decorate a function of no arguments whose JSON-able result several facts and claims read: computed once per
    version of the code its module depends on and kept in the cache (as a fact is), so that a claim, which is
    evaluated on every build, does not compute it again.

    A computation that reads experiment results must not use this: a claim must see the results as they are.
    """
    def decorate(func):
        import functools

        @functools.wraps(func)
        def cached():
            data, _ = cached_bytes("computed", name, {}, lambda: json.dumps(func()).encode(), ".json",
                                   module=func.__module__)
            return json.loads(data)

        return cached

    return decorate


def get_claim(name):
    """Evaluate the claim ``name`` on the current results and return its words.

    A claim whose module's code can read experiment results is never cached: it
    is evaluated on every build, on the cached results it reads, so a result that
    contradicts it fails the build however the result got there. A claim whose
    code cannot (its module imports no experiment, directly or through others:
    :func:`cnnbook.cache.dependencies`) depends on the code alone, and its verdict
    is cached like a fact's.

    Examples
    --------
    >>> get_claim("no.such.claim")
    Traceback (most recent call last):
    ...
    ValueError: unknown claim 'no.such.claim'; see cnnbook.facts.CLAIMS
    """
    from cnnbook.cache import dependencies
    from cnnbook.claims import ClaimError

    _load()
    if name not in CLAIMS:
        raise ValueError(f"unknown claim {name!r}; see cnnbook.facts.CLAIMS")
    module = CLAIMS[name].__module__
    if not module.startswith("cnnbook.") or "cnnbook.experiments" in dependencies(module):
        return _evaluate(name)

    def verdict():
        try:
            return json.dumps({"holds": True, "words": _evaluate(name)}).encode()
        except ClaimError as exc:
            return json.dumps({"holds": False, "why": str(exc)}).encode()

    data, _ = cached_bytes("claim", name, {}, verdict, ".json", module=module)
    outcome = json.loads(data)
    if not outcome["holds"]:
        raise ClaimError(outcome["why"])
    return outcome["words"]


def _evaluate(name):
    words = CLAIMS[name]()
    if not isinstance(words, str):
        raise TypeError(f"claim {name!r} must return the words the page shows (a str); got {type(words).__name__}")
    return words
