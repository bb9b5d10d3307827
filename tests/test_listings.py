"""Listings of the book's code (``{{ source("cnnbook.x.f") }}``) as a reader sees them: the tested code, no reST."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import textwrap
from pathlib import Path

from bookbuild.macros import listing

DOCS = Path(__file__).resolve().parent.parent / "docs"
MARKUP = re.compile(r"\.\. math::|``|:(?:func|meth|class|mod|data|attr|obj):`|^\s*>>> ", re.M)


def _shown():
    return sorted({name for page in DOCS.rglob("*.md")
                   for name in re.findall(r"""source\(\s*["']([\w.]+)["']\s*\)""", page.read_text())})


def test_every_listing_is_code_without_rest_markup():
    shown = _shown()
    assert len(shown) >= 8, shown
    for dotted in shown:
        module, _, name = dotted.rpartition(".")
        code = textwrap.dedent(inspect.getsource(getattr(importlib.import_module(module), name))).strip()
        listed = listing(code)
        assert not MARKUP.search(listed), (dotted, MARKUP.search(listed).group())
        compile(listed, dotted, "exec")  # still Python
        assert _without_docstrings(listed) == _without_docstrings(code), dotted  # the code itself is unchanged


def _without_docstrings(code):
    tree = ast.parse(code)
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and ast.get_docstring(node):
            node.body = node.body[1:]
    return ast.dump(tree)


def test_a_listing_keeps_the_first_line_of_each_docstring():
    code = 'def f(x):\n    """Twice ``x``; see :func:`g`.\n\n    .. math:: y = 2x\n    """\n    return 2 * x'
    assert listing(code) == 'def f(x):\n    """Twice `x`; see `g`."""\n    return 2 * x'
