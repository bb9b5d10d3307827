"""Math typeset when the book is built, not in the reader's browser.

Every formula of a page goes to KaTeX, run by node (``bookbuild/katex_render.cjs``), and comes back as HTML
with MathML beside it for screen readers. So a page needs no math script (the reader's browser downloads,
parses and runs none), math shows with JavaScript off, and TeX that KaTeX cannot read fails the build,
naming the page and the formula. The site still serves KaTeX's stylesheet and fonts.

Two kinds of page carry math:

* chapters, written in Markdown: pymdownx.arithmatex leaves ``<span class="arithmatex">\\(...\\)</span>`` and
  ``<div class="arithmatex">\\[...\\]</div>``;
* labs, rendered from notebooks: their Markdown cells keep Jupyter's ``$...$`` and ``$$...$$`` as text.

Each formula is typeset once: ``mkdocs serve`` keeps this module, and with it what it has typeset, between
rebuilds, and a build keeps what it typeset for the next (:func:`start_build`, :func:`end_build`), under a key
that covers KaTeX's version and the renderer, in a file guarded by its digest like the cache's entries.
"""

from __future__ import annotations

import atexit
import hashlib
import html
import json
import re
import shutil
import subprocess
import threading
from pathlib import Path

from cnnbook import cache

ROOT = Path(__file__).resolve().parent.parent
RENDERER = Path(__file__).with_name("katex_render.cjs")

#: arithmatex's output (its "generic" mode): the TeX, HTML-escaped, between \( \) or \[ \].
ARITHMATEX = re.compile(r'<(span|div) class="arithmatex">\s*(?:\\\((.*?)\\\)|\\\[(.*?)\\\])\s*</\1>', re.S)
#: A notebook's rendered Markdown cell (nbconvert keeps the cell's ``$`` math as text).
MARKDOWN_CELL = re.compile(r'(<div class="[^"]*\bjp-RenderedMarkdown\b[^"]*"[^>]*>)(.*?)(</div>)', re.S)
#: In a Markdown cell's HTML: code (never math), a tag, or text.
CODE_OR_TAG = re.compile(r"(<pre\b.*?</pre>|<code\b.*?</code>|<[^>]*>)", re.S)
#: Jupyter's math delimiters in text: $$display$$ or $inline$. nbconvert turns a Markdown \\$ and &#36; into a
#: bare $ before this runs, so a lab's prose holds no literal dollar sign outside code: two would be read as math.
DOLLARS = re.compile(r"(?<!\\)\$\$(.+?)(?<!\\)\$\$|(?<![\\$])\$(?!\$)(.+?)(?<![\\$])\$", re.S)
#: Of a typeset formula, the text of its MathML without the TeX it keeps: what the search index reads, as a
#: screen reader would ("H×W"), instead of the drawn copy too ("H×WH×W").
MATHML = re.compile(r'<span class="katex-mathml">(.*?)</span>', re.S)
ANNOTATION = re.compile(r"<annotation\b.*?</annotation>", re.S)
TAG = re.compile(r"<[^>]*>")


class TexError(ValueError):
    """KaTeX could not typeset a formula."""


class _KaTeX:
    """One node process running KaTeX, started on first use, and what it has typeset."""

    def __init__(self):
        self.process = None
        self.typeset = {}  # (tex, display) -> HTML
        self.used = set()  # the formulas the build in progress asked for
        self.stored = None  # (file, the formulas it holds) as last read or written
        self.lock = threading.Lock()

    def _start(self):
        node = shutil.which("node")
        if node is None:
            raise TexError("node is not installed: the book typesets its math with KaTeX under node (make install)")
        if not (ROOT / "node_modules" / "katex" / "package.json").is_file():
            raise TexError("KaTeX is missing from node_modules: run 'npm ci' (make does it for you)")
        self.process = subprocess.Popen([node, str(RENDERER)], cwd=ROOT, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True, encoding="utf-8", bufsize=1)

    def close(self):
        if self.process is not None:
            process, self.process = self.process, None
            process.stdin.close()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def render(self, formulas):
        """HTML of each ``(tex, display)`` pair; a :class:`TexError` names the first that KaTeX refused."""
        with self.lock:
            todo = sorted({f for f in formulas if f not in self.typeset})
            if todo:
                if self.process is None or self.process.poll() is not None:
                    self.close()  # reap a process that ended
                    self._start()
                self.process.stdin.write(json.dumps(todo) + "\n")
                line = self.process.stdout.readline()
                try:
                    answers = json.loads(line)
                except ValueError:
                    answers = None
                if not isinstance(answers, list) or len(answers) != len(todo):
                    self.close()
                    raise TexError(f"the KaTeX process ({RENDERER.name}) ended without a whole answer")
                for formula, answer in zip(todo, answers, strict=True):
                    if "error" in answer:
                        raise TexError(f"TeX {formula[0]!r}: {answer['error']}")
                    self.typeset[formula] = answer["html"]
            self.used.update(formulas)
            return [self.typeset[f] for f in formulas]


KATEX = _KaTeX()
atexit.register(KATEX.close)
#: The layout of the store's file, in its key: a file of another layout is never read as this one.
FORMAT = b"1"


def _store(folder):
    """The file that keeps what builds typeset with this KaTeX and this renderer."""
    katex = ROOT / "node_modules" / "katex" / "package.json"
    version = katex.read_bytes() if katex.is_file() else b""
    key = hashlib.sha256(FORMAT + b"\0" + version + b"\0" + RENDERER.read_bytes()).hexdigest()[:20]
    return Path(folder) / f"katex-{key}.json"


def start_build(folder):
    """Before a build: read what earlier builds typeset (once per process; a damaged file is reported and
    ignored, so its formulas are typeset again)."""
    path = _store(folder)
    with KATEX.lock:
        KATEX.used.clear()
        if KATEX.stored is not None and KATEX.stored[0] == path:
            return
        if KATEX.stored is not None:  # KaTeX or the renderer changed under `mkdocs serve`: forget what the old typeset
            KATEX.typeset.clear()
            KATEX.close()
        formulas = set()
        try:
            for tex, display, out in json.loads(cache.read_entry(path)):
                KATEX.typeset.setdefault((tex, display), out)
                formulas.add((tex, display))
        except FileNotFoundError:
            pass
        except (cache.CorruptEntry, ValueError, TypeError) as error:  # damaged, or not a list of triples
            cache.LOG.warning("cache: math %r: %s; typesetting its formulas again", path.name, error)
            path.unlink(missing_ok=True)
            KATEX.typeset.clear()
            formulas.clear()
        KATEX.stored = (path, frozenset(formulas))


def end_build(folder, full):
    """After a build: keep what it typeset for the next; a ``full`` build keeps only the formulas it used, so the
    file holds no formula the book has dropped. Files of another KaTeX or renderer are removed."""
    path = _store(folder)
    with KATEX.lock:
        keep = KATEX.used if full else set(KATEX.typeset)
        if KATEX.stored == (path, frozenset(keep)):
            return
        cache.write_entry(path, json.dumps(sorted([*f, KATEX.typeset[f]] for f in keep)).encode())
        KATEX.stored = (path, frozenset(keep))
    for other in Path(folder).glob("katex-*.json"):
        if other != path:
            other.unlink(missing_ok=True)


def searched(formula_html):
    """What the search index should read of a typeset formula: the text of its MathML, without the TeX (and
    without the MathML's tags, which would only give the index's HTML parser more to read).

    >>> searched(typeset_page('<span class="arithmatex">\\\\(H \\\\times W\\\\)</span>'))
    'H×W'
    """
    return TAG.sub("", ANNOTATION.sub("", "".join(MATHML.findall(formula_html))))


def typeset_page(page_html, for_search=False):
    """``page_html`` with every formula typeset: arithmatex's, and the ``$`` math of notebook Markdown cells;
    ``for_search``: each formula as :func:`searched`.

    >>> out = typeset_page('<p>Let <span class="arithmatex">\\\\(k &lt; n\\\\)</span>.</p>')
    >>> out.startswith('<p>Let <span class="arithmatex"><span class="katex">'), '<annotation' in out
    (True, True)
    >>> try:
    ...     typeset_page('<p><span class="arithmatex">\\\\(\\\\frac{1}\\\\)</span></p>')
    ... except TexError as error:
    ...     print(error)
    TeX '\\\\frac{1}': KaTeX parse error: Unexpected end of input in a macro argument, ...
    """
    marked, found = _marked(page_html)
    if not found:
        return page_html
    rendered = KATEX.render(found)
    return _filled(marked, [searched(f) for f in rendered] if for_search else rendered)


def typeset_page_and_search_copy(page_html):
    """``(typeset_page(page_html), typeset_page(page_html, for_search=True))``, from one reading of the page."""
    marked, found = _marked(page_html)
    if not found:
        return page_html, page_html
    rendered = KATEX.render(found)
    return _filled(marked, rendered), _filled(marked, [searched(f) for f in rendered])


def _marked(page_html):
    """``page_html`` with each formula replaced by a numbered mark, and the ``(tex, display)`` of each."""
    found = []

    def note(tex, display):
        found.append((html.unescape(tex).strip(), display))
        return f"\0{len(found) - 1}\0"

    marked = ARITHMATEX.sub(lambda m: f'<{m[1]} class="arithmatex">'
                            f'{note(m[2], False) if m[2] is not None else note(m[3], True)}</{m[1]}>', page_html)
    return MARKDOWN_CELL.sub(lambda m: m[1] + _mark_dollars(m[2], note) + m[3], marked), found


def _filled(marked, rendered):
    return re.sub("\0(\\d+)\0", lambda m: rendered[int(m[1])], marked)


def _mark_dollars(cell, note):
    """A notebook cell's HTML with each ``$`` formula outside code marked for typesetting."""
    parts = CODE_OR_TAG.split(cell)
    for i in range(0, len(parts), 2):  # the text between tags and code
        parts[i] = DOLLARS.sub(lambda m: '<span class="arithmatex">' + (
            note(m[1], True) if m[1] is not None else note(m[2], False)) + "</span>", parts[i])
    return "".join(parts)
