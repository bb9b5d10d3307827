"""No number is typed into the book's prose that the code could compute or already holds.

Each page's prose (outside macros, math, code and links) and each lab's Markdown cells are scanned for
numbers (figure captions included), in digits or in words. A number passes when it is one of the forms every book uses without a
source (a year, a section, figure, table, exercise or chapter number, the name of a small square kernel
such as 3×3, the number in a name such as LeNet-5) or when the sentence it stands in is on the chapter's reviewed allowlist,
``tests/typed_numbers/<page>.txt``: one phrase per line, then ``#`` and why the number is not a
computation (a premise of a worked example that no code reads, a fact of the literature, a definition).
Everything else comes from a macro (``{{ fact(...) }}``), so the build computes it. An undeclared number
fails with its file and line, and an allowlist entry that no longer matches the text fails too.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ALLOWED = Path(__file__).resolve().parent / "typed_numbers"

_WORDS = ("three four five six seven eight nine ten eleven twelve thirteen fifteen twenty thirty forty fifty "
          "sixty hundred hundreds thousand thousands million millions billion billions twice thrice half halves "
          "dozen dozens").split()
NUMBER = re.compile(r"(?<![\w.,])(?<![A-Za-z]-)\d[\d,.]*\d(?:×\d+)*|(?<![\w.,])(?<![A-Za-z]-)\d(?:×\d+)*|\b(?:%s)\b" % "|".join(_WORDS), re.I)
#: Forms that need no source: years, references to parts of the book or of a paper, small square kernels.
_REFERENCE = (r"(?:chapters?|sections?|§|figures?|tables?|exercises?|labs?|equations?|appendix|eq\.)\s+"
              r"\d+(?:\.\d+)*(?:(?:,\s*|\s*(?:and|or|to|–|-)\s*)\d+(?:\.\d+)*)*")
_FREE = re.compile(r"|".join([
    _REFERENCE,
    r"\b(?:19|20)\d\d[a-z]?\b",                 # a year, in a citation or in history
    r"(?<![\d×])([12357])×\1(?![\d×])",             # a k×k kernel or window named by its size (1×1 … 7×7)
]), re.I)


def _blank(match):
    """Replace a span by as many newlines as it had, so line numbers survive."""
    return "\n" * match.group().count("\n")


_CAPTIONED = re.compile(r"\{\{-?\s*(?:figure|instrument)\((.*?)\)\s*-?\}\}", re.S)
_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"' + r"|'((?:[^'\\]|\\.)*)'")
_NAME = re.compile(r"[a-z][a-z0-9-]*|ch\d\d\.[\w.]+|cnnbook\.[\w.]+")


def _caption(match):
    """A figure's or instrument's caption, which the reader reads as prose; its other arguments are names."""
    texts = [a or b for a, b in _STRING.findall(match.group(1))]
    kept = " ".join(text for text in texts if not _NAME.fullmatch(text))
    return kept + "\n" * match.group().count("\n")


def prose(markdown):
    """The text a reader reads as prose: fenced code, math, macros (but captions), inline code, link targets removed."""
    text = re.sub(r"^(`{3,}|~{3,}).*?^\1\s*$", _blank, markdown, flags=re.S | re.M)
    text = _CAPTIONED.sub(_caption, text)
    text = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", _blank, text, flags=re.S)
    text = re.sub(r"\$\$.*?\$\$|\\\[.*?\\\]|\\\(.*?\\\)", _blank, text, flags=re.S)
    text = re.sub(r"(?<![\\$])\$[^$\n]+\$", " ", text)
    text = re.sub(r"`[^`\n]+`", " ", text)
    text = re.sub(r"\]\([^)\n]*\)", "]", text)            # link targets
    text = re.sub(r"<[^>\n]+>", " ", text)                 # HTML tags and their attributes
    text = re.sub(r"^(#+)\s*[\d.]+\s", r"\1 ", text, flags=re.M)  # section numbers of headings
    text = re.sub(r"^(\s*)\d+\.(?=\s)", r"\1", text, flags=re.M)   # the numbers of an ordered list
    text = re.sub(r"\+\+[a-z0-9+-]+\+\+", " ", text)       # keys, ++ctrl+s++
    return text


def lab_markdown(source):
    """The Markdown cells of a jupytext percent-format lab, with the lab's own line numbers."""
    lines, inside = [], False
    for line in source.splitlines():
        if line.startswith("# %%"):
            inside = "[markdown]" in line
            lines.append("")
        elif inside and (line.startswith("# ") or line == "#"):
            lines.append(line[2:])
        else:
            lines.append("")
    return "\n".join(lines)


def allowlist(page):
    """``[(phrase, reason)]`` of ``tests/typed_numbers/<page>.txt``."""
    path = ALLOWED / f"{page}.txt"
    if not path.is_file():
        return []
    entries = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        phrase, _, reason = line.partition(" #")
        if not reason.strip():
            raise AssertionError(f"{path.name}:{number}: an allowed phrase needs a reason after ' #'")
        entries.append((" ".join(phrase.split()), reason.strip()))
    return entries


def _flatten(text):
    """``text`` with every run of whitespace made one space, and the line number of each character."""
    flat, lines, line = [], [], 1
    for char in text:
        if char.isspace():
            if flat and flat[-1] != " ":
                flat.append(" ")
                lines.append(line)
            line += char == "\n"
        else:
            flat.append(char)
            lines.append(line)
    return "".join(flat), lines


def typed_numbers(text, allowed=()):
    """``[(line, number, line text)]`` for every number in ``text`` that is neither free nor allowed.

    ``allowed`` holds ``(phrase, reason)`` pairs; a phrase may run over a line break.

    Examples
    --------
    >>> typed_numbers("A 3×3 kernel (He et al., 2016, section 4.2) has 9 weights.")
    [(1, '9', 'A 3×3 kernel (He et al., 2016, section 4.2) has 9 weights.')]
    >>> typed_numbers("It took {{ fact('ch01.seconds') }} s,\\nabout twice as long.")
    [(2, 'twice', 'about twice as long.')]
    """
    clean = prose(text)
    flat, lines = _flatten(clean)
    covered = [m.span() for m in _FREE.finditer(flat)]
    covered += [m.span() for phrase, _ in allowed for m in re.finditer(re.escape(phrase), flat)]
    source = clean.split("\n")
    return [(lines[m.start()], m.group(), source[lines[m.start()] - 1].strip()) for m in NUMBER.finditer(flat)
            if not any(a <= m.start() < b for a, b in covered)]


def _pages():
    pages = [(p, p.read_text(), p.stem) for p in sorted((ROOT / "docs").glob("*.md"))]
    pages += [(p, p.read_text(), p.stem) for p in sorted((ROOT / "docs" / "chapters").glob("*.md"))]
    pages += [(p, lab_markdown(p.read_text()), p.stem) for p in sorted((ROOT / "docs" / "labs").glob("*.py"))]
    return pages


@pytest.mark.parametrize("path, text, page", _pages(), ids=lambda value: getattr(value, "name", None) or "")
def test_no_undeclared_number_in_the_prose(path, text, page):
    allowed = allowlist(page)
    flat, _ = _flatten(prose(text))
    stale = [phrase for phrase, _ in allowed if phrase not in flat]
    assert not stale, f"{ALLOWED.name}/{page}.txt: allowed phrases no longer in {path.name}: {stale}"
    found = typed_numbers(text, allowed)
    report = "\n".join(f"{path.relative_to(ROOT)}:{line}: {number!r} in: {context}" for line, number, context in found)
    assert not found, (f"{len(found)} typed numbers: compute them with a macro, or add the phrase to "
                       f"tests/{ALLOWED.name}/{page}.txt with the reason it is not a computation\n{report}")


def test_the_scanner_sees_numbers_in_prose_and_not_elsewhere():
    text = ("# 2.1 Title\n\nThe net has 61,706 weights and three layers.\n\n```python\nx = 5\n```\n"
            '{{ figure("ch02.x", "A 6×6 input, " ~ fact("ch02.n") ~ " outputs.") }}\n'
            "Math $k = 7$ and \\(n = 9\\), a macro {{ fact('a.b') }}, `code 4`, [link](../06-x/), a 5×5 kernel.\n"
            "Chapter 6 and sections 2.3 and 2.4, in 2016. 14×14 pixels.")
    numbers = [number for _, number, _ in typed_numbers(text)]
    assert numbers == ["61,706", "three", "6×6", "14×14"]
    left = typed_numbers(text, [("has 61,706 weights and three", "a premise"), ("A 6×6 input", "a premise")])
    assert left == [(10, "14×14", "Chapter 6 and sections 2.3 and 2.4, in 2016. 14×14 pixels.")]
