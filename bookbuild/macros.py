"""What a chapter can ask for by name (mkdocs-macros).

In a page::

    {{ figure("ch01.flip", "Caption in Markdown.") }}
    {{ figref("ch01.flip") }}              -> [Figure 1.2](#figure-1-2)
    {{ secref("depth") }}                   -> [section 8.1](08-architectures.md#depth)
    {{ exref("3.2") }}                      -> [exercise 3.2](03-pooling-invariance.md#exercise-3-2)
    {{ fact("ch01.conv_params") }}          -> 1,216
    {{ claim("ch09.pretraining_helps") }}   -> by 11.1 points on average, in each of 3 seeds
    {{ table("ch01.params") }}
    {{ exercises(1) }}
    {{ source("cnnbook.reference.correlate2d") }}
    {{ instrument("rf-calculator", "ch06.rf_calculator", "Caption.") }}

Everything is computed by ``cnnbook`` (figures are rendered by the hooks into
``figures/``; this module only writes the Markdown that points at them). An
unknown name or a failing item fails the build, naming the item.
"""

from __future__ import annotations

import importlib
import inspect
import json
import math
import posixpath
import re
import textwrap
from pathlib import Path


def _chapter_number(name):
    prefix = name.split(".", 1)[0]
    return int(prefix[2:]) if prefix.startswith("ch") and prefix[2:].isdigit() else None


#: How far a narrow screen may shrink a figure: its smallest text, 9 pt (12 CSS pixels, cnnbook.figures.MIN_TEXT_PT)
#: at its own size, stays at 9 pixels or more; past that the figure scrolls sideways in its frame, as wide formulas
#: and tables do.
FIGURE_FLOOR = 0.75

_ROLE = re.compile(r":(?:func|meth|class|mod|data|attr|obj):`~?([^`]+)`")


def _summary(docstring):
    """A docstring's first line as a reader sees it: ``code`` and :func:`name` roles become `code` and `name`."""
    line = inspect.cleandoc(docstring).split("\n", 1)[0]
    return _ROLE.sub(r"`\1`", line.replace("``", "`"))


def listing(code):
    r'''The source ``code`` of a function or class as the book lists it: each docstring cut to its first line, without
    reST markup. The whole docstrings (parameters, doctested examples, math) are for the library's readers; the page
    around a listing says the same in its own prose and math.

    >>> print(listing('def f(x):\n    """Twice ``x``; see :func:`g`.\n\n    .. math:: y = 2x\n    """\n    return 2 * x'))
    def f(x):
        """Twice `x`; see `g`."""
        return 2 * x
    '''
    import ast

    lines = code.split("\n")
    for node in sorted(ast.walk(ast.parse(code)), key=lambda n: -getattr(n, "lineno", 0)):  # bottom up
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) or not node.body:
            continue
        first = node.body[0]
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
            start = lines[first.lineno - 1]
            indent = start[: len(start) - len(start.lstrip())]
            summary = _summary(first.value.value).replace('"""', "'''")
            lines[first.lineno - 1 : first.end_lineno] = [f'{indent}"""{summary}"""']
    return "\n".join(lines)


#: A numbered section's heading in a chapter page: ``## 8.1 Depth, shortcuts and normalization {#depth}``.
SECTION = re.compile(r"^## (\d+\.\d+) .*? \{#([a-z][a-z0-9-]*)\}\s*$", re.M)


def sections(docs_dir):
    """``{label: (number, page)}`` of every numbered section of the chapters, from the headings' ``{#label}``.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as docs:
    ...     _ = (Path(docs) / "chapters").mkdir()
    ...     _ = (Path(docs) / "chapters" / "08-architectures.md").write_text("# 8. A\\n\\n## 8.1 Depth {#depth}\\n")
    ...     sections(docs)
    {'depth': ('8.1', 'chapters/08-architectures.md')}
    """
    found = {}
    for page in sorted((Path(docs_dir) / "chapters").glob("[0-9][0-9]-*.md")):
        for number, label in SECTION.findall(page.read_text(encoding="utf-8")):
            if label in found:
                raise RuntimeError(f"section label {label!r} is on {found[label][1]} and on chapters/{page.name}")
            found[label] = (number, f"chapters/{page.name}")
    return found


def _link(text, target, anchor, page):
    """A Markdown link from ``page`` to ``target#anchor`` (both relative to docs/), or to ``#anchor`` on ``page``."""
    where = "" if target == page else posixpath.relpath(target, posixpath.dirname(page) or ".")
    return f"[{text}]({where}#{anchor})"


def define_env(env):
    counters = {}

    def note(module):
        """This page shows an item ``module`` computes (bookbuild/pages.py: what a code edit rebuilds)."""
        from bookbuild import pages

        if module:  # an unknown name fails below, naming itself
            pages.note(env.page, module)

    @env.macro
    def figure(name, caption=""):
        """A numbered figure with alt text from the registry and a Markdown caption."""
        from cnnbook import figures

        spec = figures.spec(name)
        note(spec.func.__module__)
        page = env.page.file.src_uri
        counters[page] = counters.get(page, 0) + 1
        chapter = _chapter_number(name)
        number = f"{chapter}.{counters[page]}" if chapter else str(counters[page])
        src = posixpath.relpath(f"figures/{spec.filename}", posixpath.dirname(page) or ".")
        alt = spec.alt.replace("[", "(").replace("]", ")")
        # Drawn before any page (hooks.on_files), so read from the cache: its size reserves the image's box before
        # it loads, and on a narrow screen it is shrunk no further than FIGURE_FLOOR (docs/assets/book.css)
        width, height = figures.pixel_size(figures.render(name)[0], spec.format)
        return (
            f'<figure class="book-figure" markdown="span" id="figure-{number.replace(".", "-")}">\n'
            f'  ![{alt}]({src}){{ loading=lazy width="{width:.0f}" height="{height:.0f}" '
            f'style="--floor: {math.ceil(width * FIGURE_FLOOR)}px" }}\n'
            f'  <figcaption markdown="span">**Figure {number}.** {caption}</figcaption>\n'
            f"</figure>\n"
        )

    @env.macro
    def instrument(name, figure_name, caption="", data=None):
        """A live instrument (docs/assets/instruments/NAME.js) mounted over the figure of its default state.

        Without JavaScript the figure is what the reader sees; with it, the instrument takes the image's
        place and the caption stays, so the figure numbering is the same either way. ``data`` names a
        cnnbook function (``"cnnbook.instruments.kernel_explorer_data"``) whose JSON result the page embeds
        for the instrument.
        """
        script = Path(env.conf["docs_dir"]) / "assets" / "instruments" / f"{name}.js"
        if not re.fullmatch(r"[a-z][a-z0-9-]*", name) or not script.is_file():
            raise RuntimeError(f"instrument {name!r}: no script docs/assets/instruments/{name}.js")
        embedded = ""
        if data is not None:
            module, _, attribute = data.rpartition(".")
            note(module)
            from cnnbook.cache import cached_bytes

            def compute():  # code-only, so cached like a fact: under the key of the data module's code
                return json.dumps(getattr(importlib.import_module(module), attribute)(), separators=(",", ":")).encode()

            try:
                payload = cached_bytes("instrument", data, {}, compute, ".json", module=module)[0].decode()
            except Exception as error:
                raise RuntimeError(f"instrument {name!r}: data {data!r} failed: {error}") from error
            payload = payload.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            embedded = f'<script type="application/json" class="instrument-data">{payload}</script>\n'
        return (f'<div class="book-instrument" data-instrument="{name}" markdown="1">\n{embedded}\n'
                f"{figure(figure_name, caption)}\n</div>\n")

    @env.macro
    def figref(name):
        """'Figure N.M' linking to the figure ``name`` on the same page, before or after the reference."""
        names = r"""\b(?:figure\(|instrument\(\s*["'][^"']+["']\s*,)\s*["']([^"']+)["']"""
        order = re.findall(names, env.markdown)
        if name not in order:
            raise RuntimeError(f"figref {name!r}: no figure of that name on {env.page.file.src_uri}")
        chapter = _chapter_number(name)
        position = order.index(name) + 1
        number = f"{chapter}.{position}" if chapter else str(position)
        return f"[Figure {number}](#figure-{number.replace('.', '-')})"

    @env.macro
    def secref(label, word="section"):
        """'section N.M' linking to the section whose heading carries ``{#label}``, on any chapter page: the number
        is the heading's, so a renumbered section is referred to by its new number. ``word`` may be "Section",
        "sections" (for "sections 1.7 and 1.8") or "" (the number alone)."""
        found = sections(env.conf["docs_dir"])
        if label not in found:
            raise RuntimeError(f"secref {label!r} on {env.page.file.src_uri}: no chapter heading ends in "
                               f"{{#{label}}}; labels are {', '.join(sorted(found))}")
        number, target = found[label]
        return _link(f"{word} {number}".strip(), target, label, env.page.file.src_uri)

    @env.macro
    def exref(exercise, word="exercise"):
        """'exercise N.M' linking to the exercise of that id (``cnnbook check N.M``), on its chapter's page; ``word``
        as for ``secref``."""
        from cnnbook import exercises as registry

        try:
            chapter = registry.get(exercise).chapter
        except Exception as exc:
            raise RuntimeError(f"exref {exercise!r} on {env.page.file.src_uri}: {exc}") from exc
        note(f"cnnbook.exercises.ch{int(chapter):02d}")
        pages = sorted((Path(env.conf["docs_dir"]) / "chapters").glob(f"{int(chapter):02d}-*.md"))
        if not pages:
            raise RuntimeError(f"exref {exercise!r} on {env.page.file.src_uri}: no page docs/chapters/"
                               f"{int(chapter):02d}-*.md for its chapter")
        return _link(f"{word} {exercise}".strip(), f"chapters/{pages[0].name}", registry.anchor(exercise),
                     env.page.file.src_uri)

    @env.macro
    def fact(name, fmt=None):
        """A number or phrase computed by cnnbook."""
        from cnnbook import facts

        try:
            note(facts.module_of("fact", name))
            return facts.get_fact(name, fmt)
        except Exception as exc:
            raise RuntimeError(f"fact {name!r} failed: {type(exc).__name__}: {exc}") from exc

    @env.macro
    def claim(name):
        """A comparison the text draws, evaluated on this build's results (cnnbook.claims): its words, or a failed build."""
        from cnnbook import facts
        from cnnbook.claims import ClaimError

        try:
            note(facts.module_of("claim", name))
            return facts.get_claim(name)
        except ClaimError as exc:
            raise RuntimeError(f"claim {name!r} on {env.page.file.src_uri} is false for this build's results: "
                               f"{exc}") from exc
        except Exception as exc:
            raise RuntimeError(f"claim {name!r} failed: {type(exc).__name__}: {exc}") from exc

    @env.macro
    def table(name):
        """A Markdown table computed by cnnbook."""
        from cnnbook import facts

        try:
            note(facts.module_of("table", name))
            return facts.get_table(name)
        except Exception as exc:
            raise RuntimeError(f"table {name!r} failed: {type(exc).__name__}: {exc}") from exc

    @env.macro
    def exercises(chapter):
        """The chapter's exercises with hints and collapsible solutions."""
        from cnnbook import exercises as registry

        try:
            note(f"cnnbook.exercises.ch{int(chapter):02d}")
            return registry.to_markdown(chapter)
        except Exception as exc:
            raise RuntimeError(f"exercises of chapter {chapter!r} failed: {type(exc).__name__}: {exc}") from exc

    @env.macro
    def source(dotted):
        """The source of a cnnbook function, as a code block: the book shows the tested code."""
        module_name, _, attr = dotted.rpartition(".")
        if not module_name.startswith("cnnbook"):
            raise RuntimeError(f"source {dotted!r}: only cnnbook code can be shown")
        note(module_name)
        obj = getattr(importlib.import_module(module_name), attr)
        code = listing(textwrap.dedent(inspect.getsource(obj)).strip())
        return f"```python\n{code}\n```"
