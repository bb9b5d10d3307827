"""References to the book's own figures, sections and exercises are made by macros, so none can go stale.

A chapter page refers to a figure with ``{{ figref("ch07.curves") }}``, to a section with ``{{ secref("depth") }}``
(the label its heading carries: ``## 8.1 Depth, shortcuts and normalization {#depth}``) and to an exercise with
``{{ exref("7.3") }}``: the build writes the number and the link, and fails on a name that does not exist. A typed
"figure 1.4", "section 7.3" or "exercise 2.6" in a page's prose fails here with its file and line, unless it cites
another work ("Goodfellow et al. 2016, section 9.5"). Exercise texts and lab notebooks cannot run macros: there, a
typed section or exercise number must at least exist.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bookbuild.macros import SECTION, sections
from tests.test_typed_numbers import lab_markdown, prose

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

#: A typed reference to a numbered part: "figure 1.4", "Sections 1.7 and 1.8", "exercises 5.2 and 5.3".
TYPED = re.compile(r"\b(figure|section|exercise|table|equation)s?\s+(\d+\.\d+)((?:\s*(?:,|and|or|–|to)\s*\d+\.\d+)*)",
                   re.I)
#: ... that cites another work: after "2016, " or "*Deep Learning*, ".
CITATION = re.compile(r"(?:\b(?:19|20)\d\d[a-z]?|\*),\s*$")


def _uncited(text):
    """The typed references in ``text`` that do not cite another work."""
    return (match for match in TYPED.finditer(text)
            if not CITATION.search(text[max(0, match.start() - 20):match.start()]))


def typed_references(text):
    """``[(line, reference)]`` for each typed reference to a numbered part of this book in ``text``'s prose.

    >>> typed_references("See section 7.3 (Goodfellow et al. 2016, section 9.5).\\nAnd figures 1.4 and 1.5.")
    [(1, 'section 7.3'), (2, 'figures 1.4 and 1.5')]
    >>> typed_references('The {{ secref("depth") }} study; *Deep Learning*, sections 6.5 and 9.5.')
    []
    """
    clean = prose(text)
    return [(clean.count("\n", 0, match.start()) + 1, " ".join(match.group().split())) for match in _uncited(clean)]


def _chapters():
    return sorted((DOCS / "chapters").glob("[0-9][0-9]-*.md"))


@pytest.mark.parametrize("page", sorted(DOCS.glob("*.md")) + _chapters(), ids=lambda p: p.name)
def test_no_typed_reference_in_a_page(page):
    found = typed_references(page.read_text(encoding="utf-8"))
    report = "\n".join(f"{page.relative_to(ROOT)}:{line}: {reference!r}" for line, reference in found)
    assert not found, ("typed references to the book's own parts: write {{ figref(name) }}, {{ secref(label) }} or "
                       f"{{{{ exref(id) }}}} instead, so the number is computed and linked\n{report}")


@pytest.mark.parametrize("page", _chapters(), ids=lambda p: p.name)
def test_sections_are_numbered_in_order_and_labelled(page):
    """Chapter N's sections are N.1, N.2, ... in order, and each heading carries a {#label} for secref."""
    chapter = int(page.name[:2])
    text = page.read_text(encoding="utf-8")
    numbered = re.findall(r"^## (\d+\.\d+) .*$", text, re.M)
    assert numbered == [f"{chapter}.{i}" for i in range(1, len(numbered) + 1)], f"{page.name}: sections {numbered}"
    labelled = [number for number, _ in SECTION.findall(text)]
    assert labelled == numbered, f"{page.name}: these section headings carry no {{#label}}: " \
                                 f"{sorted(set(numbered) - set(labelled))}"


def test_section_labels_are_unique_across_the_book():
    found = sections(DOCS)  # raises, naming both pages, on a label used twice
    assert len(found) == sum(len(SECTION.findall(p.read_text(encoding="utf-8"))) for p in _chapters())


def _typed_in_code_and_labs():
    """Texts that cannot run macros: the exercises' prompts, hints and solutions, and the labs' Markdown cells."""
    texts = [(p, p.read_text(encoding="utf-8")) for p in sorted((ROOT / "cnnbook" / "exercises").glob("ch*.py"))]
    texts += [(p, lab_markdown(p.read_text(encoding="utf-8"))) for p in sorted((DOCS / "labs").glob("*.py"))]
    for path, text in texts:
        for match in _uncited(text):
            numbers = [match.group(2)] + re.findall(r"\d+\.\d+", match.group(3))
            for number in numbers:
                yield path, text.count("\n", 0, match.start()) + 1, match.group(1).lower(), number


def test_typed_references_in_exercises_and_labs_exist():
    from cnnbook import exercises

    section_numbers = {number for number, _ in sections(DOCS).values()}
    known = {"section": section_numbers, "exercise": {e.id for e in exercises.chapter_exercises()}}
    missing = [f"{path.relative_to(ROOT)}:{line}: {kind} {number}" for path, line, kind, number in
               _typed_in_code_and_labs() if number not in known.get(kind, set())]
    assert not missing, "references to sections or exercises that do not exist:\n" + "\n".join(missing)


class _Env:
    """Just enough of mkdocs-macros' env to call the book's macros from a chapter page."""

    def __init__(self, page):
        from types import SimpleNamespace

        self.macros, self.conf = {}, {"docs_dir": str(DOCS)}
        self.page = SimpleNamespace(file=SimpleNamespace(src_uri=page))

    def macro(self, func):
        self.macros[func.__name__] = func
        return func


@pytest.fixture
def macros(monkeypatch):
    from bookbuild import macros, pages

    monkeypatch.setattr(pages, "note", lambda page, module: None)
    env = _Env("chapters/05-backpropagation.md")
    macros.define_env(env)
    return env.macros


def test_secref_and_exref_write_the_number_and_the_link(macros):
    assert macros["secref"]("depth") == "[section 8.1](08-architectures.md#depth)"
    assert macros["secref"]("one-dimension", "Section") == "[Section 5.1](#one-dimension)"
    assert macros["exref"]("5.2", "") == "[5.2](#exercise-5-2)"
    assert macros["exref"]("3.6") == "[exercise 3.6](03-pooling-invariance.md#exercise-3-6)"


def test_a_reference_to_nothing_fails_and_names_itself(macros):
    with pytest.raises(RuntimeError, match=r"secref 'nowhere' on chapters/05-backpropagation.md: no chapter heading"):
        macros["secref"]("nowhere")
    with pytest.raises(RuntimeError, match=r"exref '9.99' on chapters/05-backpropagation.md: unknown exercise"):
        macros["exref"]("9.99")
