"""No import cycles in ``cnnbook`` or ``bookbuild``: each module can be read after the ones it imports."""

from __future__ import annotations

import ast

import pytest

from tests.conftest import ROOT


def _graph(package):
    """``{module: modules of package it imports}``, from the import statements (function bodies included)."""
    folder = ROOT / package
    modules = {}
    for path in sorted(folder.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path

    def resolve(target):
        while target and target not in modules:
            target = target.rpartition(".")[0]
        return target

    graph = {}
    for name, path in modules.items():
        edges = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                edges |= {resolve(a.name) for a in node.names if a.name.split(".")[0] == package}
            elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == package:
                edges |= {resolve(f"{node.module}.{a.name}") for a in node.names}
        # importing a.b.c runs a/__init__ and a/b/__init__ first: a module's own packages are not cycles
        graph[name] = {e for e in edges if e and e != name and not name.startswith(e + ".")}
    return graph


def _cycle(graph):
    state = {}

    def visit(node, path):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return path + [node, nxt]
            if nxt not in state:
                found = visit(nxt, path + [node])
                if found:
                    return found
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node, [])
            if found:
                return found[found.index(found[-1]):]
    return None


@pytest.mark.parametrize("package", ["cnnbook", "bookbuild"])
def test_no_import_cycles(package):
    cycle = _cycle(_graph(package))
    assert cycle is None, "import cycle: " + " -> ".join(cycle)
