"""MkDocs hooks of the book. No numerics here: this file only moves what ``cnnbook`` makes.

* ``on_config``: a fresh import of ``cnnbook`` for every build (``mkdocs serve``
  keeps modules imported between rebuilds, which would serve stale figures),
  the cache folder, a reproducible build date, and mkdocs-jupyter's notebook
  cache keyed also by the ``cnnbook`` code each lab imports (:mod:`bookbuild.notebooks`).
* ``on_files``: the training experiments, two at a time in worker processes; every
  registered figure, rendered or read from the cache, as a generated file under
  ``figures/``; the labs executed two at a time into mkdocs-jupyter's cache;
  KaTeX's stylesheet and fonts from ``node_modules``; each lab's ``.ipynb`` for download.
* ``on_page_content``: every formula typeset by KaTeX at build (:mod:`bookbuild.mathtex`), after the print
  page took the page's HTML; ``on_page_context`` lets the search index read a copy with each formula as text.
* ``on_post_build``: the print page typeset as a whole, its solutions moved to a part at the end, its ids
  prefixed; the typeset formulas kept for the next build.
* ``on_post_page``: removes ``<script src>`` tags that point at another host
  (mkdocs-jupyter's notebook template adds MathJax and Mermaid from a CDN; the
  book typesets all math with its own KaTeX and has no Mermaid diagrams), and
  numbers notebook cells in order (jupytext gives them random ids, which would
  make two builds of the same notebook differ).
"""

from __future__ import annotations

import hashlib
import logging
import os
import posixpath
import re
import subprocess
import sys
import time
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import CombinedEvent, event_priority
from mkdocs.structure.files import File

CELL_ID = re.compile(r'id="cell-id=[0-9a-zA-Z_-]+"')
ROOT = Path(__file__).resolve().parent.parent
KATEX_DIST = ROOT / "node_modules" / "katex" / "dist"
NOTEBOOK_CODE = re.compile(r'<div class="highlight-ipynb[^"]*"')
# A code listing's <code> (Pygments puts an empty <span> before it), not yet given a tabindex.
CODE_LISTING = re.compile(r'(<pre\b[^>]*>(?:<span></span>)?<code)(?=[\s>])(?![^>]*\btabindex=)')
KATEX_FALLBACK = re.compile(r',url\(fonts/[\w-]+\.(?:woff|ttf)\) format\("(?:woff|truetype)"\)')
LOG = logging.getLogger("mkdocs.hooks.book")
# A <script> that loads from another host, or whose code imports from one.
# Material's bundle, before which docs/assets/lazy-search.js must run (it holds back the search index's request)
MATERIAL_BUNDLE = re.compile(r'<script src="([^"]*)assets/javascripts/bundle\.[0-9a-f]+\.min\.js"')
EXTERNAL_SCRIPT = re.compile(
    r"<script\b[^>]*\bsrc=[\"']https?://[^\"']*[\"'][^>]*>\s*</script>"
    r"|<script\b[^>]*>(?:(?!</script>).)*?import\(\s*[\"']https?://(?:(?!</script>).)*</script>",
    re.I | re.S,
)


def _source_signature():
    """Path, size and modification time of every file of the package: cheap to read, changes with any edit."""
    package = ROOT / "cnnbook"
    return tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(package.rglob("*.py")))


def fresh_cnnbook(site_dir=None):
    """Forget every imported ``cnnbook`` module so this build sees the code on disk.

    Under ``mkdocs serve`` a Markdown edit leaves the package as it was: then the modules already
    imported are kept (re-importing the figure modules cost 0.4 s of every rebuild). After a code edit,
    the pages whose items the edit can change are removed, so that ``--dirty`` writes them again
    (bookbuild/pages.py); the others stay as they are.
    """
    signature = _source_signature()
    # Kept on the package module: mkdocs runs this hooks file afresh for every rebuild.
    previous = getattr(sys.modules.get("cnnbook"), "_bookbuild_signature", None)
    if previous == signature:
        return
    for name in [m for m in sys.modules if m == "cnnbook" or m.startswith("cnnbook.")]:
        del sys.modules[name]
    import cnnbook

    if previous is not None and site_dir is not None and Path(site_dir).is_dir():
        from bookbuild import pages

        stale = pages.stale(site_dir)
        for page in stale:
            page.unlink()
        LOG.info("code changed: %d pages to write again", len(stale))
    cnnbook._bookbuild_signature = signature


def _build_date():
    """Seconds since the epoch of the last commit (so two builds of one commit are identical)."""
    try:
        out = subprocess.run(["git", "log", "-1", "--format=%ct"], cwd=ROOT, capture_output=True, text=True,
                             timeout=10, check=True).stdout.strip()
        return out or "0"
    except (OSError, subprocess.SubprocessError):
        return "0"


ERROR_BANNER = ('<div class="cnnbook-build-error" role="alert" style="margin:0;padding:1em 1.5em;background:#b00020;'
                'color:#fff;font:14px/1.5 monospace;white-space:pre-wrap">{}</div>')


def on_serve(server, config, builder):
    """Under ``mkdocs serve``, a rebuild that fails shows its error instead of ending or hanging the server.

    mkdocs keeps serving after a rebuild raises an ``Exception``, but holds every page request until a rebuild
    succeeds (the reader's browser seems to hang), and a ``SystemExit`` from a plugin ends the server. Here a
    failed rebuild puts its error, which names the figure, fact, lab or module at fault, at the top of every
    page, and lets the browsers reload; the next rebuild writes those pages again, and a good save recovers.
    """
    site = Path(config["site_dir"])
    rebuild = server.builder

    def rebuild_or_show_the_error():
        errors = _ErrorsLogged()  # mkdocs logs a plugin's error, then raises a bare "Aborted with a BuildError!"
        logging.getLogger("mkdocs").addHandler(errors)
        try:
            rebuild()
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # SystemExit from a plugin included: the server must stay up
            said = errors.messages[-3:]
            if "Aborted with a BuildError" not in str(exc):  # mkdocs' own wrapper says nothing more
                said.append(f"{type(exc).__name__}: {exc}")
            message = "The book's rebuild failed: " + "\n".join(said)
            LOG.error("%s (the pages show it until a rebuild succeeds)", message)
            try:
                _show_error(site, message)
            except OSError as error:
                LOG.error("could not put the error on the pages: %s", error)
        finally:
            logging.getLogger("mkdocs").removeHandler(errors)

    server.builder = rebuild_or_show_the_error
    return server


class _ErrorsLogged(logging.Handler):
    """The messages of the errors logged while it is attached."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def _show_error(site, message):
    import html

    banner = ERROR_BANNER.format(html.escape(message, quote=False))
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        text = re.sub(r'<div class="cnnbook-build-error".*?</div>', "", text, count=1, flags=re.S)
        text, count = re.subn(r"(<body\b[^>]*>)", lambda m: m.group(1) + banner, text, count=1)
        if count:
            page.write_text(text, encoding="utf-8")
            # Dated 1970: older than its source, so the next `--dirty` rebuild writes it again; until then (a
            # rebuild that fails again included) it is still there to show the error.
            os.utime(page, (0, 0))


_FULL_BUILD = []  # [start time] when this process runs `mkdocs build` (not serve, not --dirty): it prunes the caches


def on_startup(command, dirty):
    _FULL_BUILD[:] = [time.time()] if command in ("build", "gh-deploy") and not dirty else []


def _prune_caches(config):
    """Bound the caches (cnnbook's and the labs'): past :func:`cnnbook.cache.limit_bytes`, delete the entries this
    build did not use, oldest first; and the unfinished writes a killed build left. Only a full build knows every
    entry it uses, so only a full build prunes."""
    from cnnbook import cache

    files, used = cache.entries(), set(cache.located())
    jupyter = config.plugins.get("mkdocs-jupyter")
    if jupyter is not None and jupyter.config["cache"]:
        from bookbuild import notebooks

        files += notebooks.entries(jupyter)
        used |= {notebooks.cache_path(jupyter.config, f.abs_src_path) for f in _LAB_PAGES}
    removed = cache.prune(files, used, cache.limit_bytes(), since=_FULL_BUILD[0])
    if removed:
        LOG.info("cache: %d entries pruned (not used by this build, past %.0f MB)", len(removed),
                 cache.limit_bytes() / 2**20)


def _math_folder():
    """Where the math typeset by one build is kept for the next: beside the other caches."""
    return Path(os.environ["CNNBOOK_CACHE"]).parent / "katex"


def on_config(config):
    import matplotlib

    matplotlib.use("Agg")  # here, not in the package: notebooks keep their inline backend
    # Build with this checkout's cnnbook, in this process and in the notebook kernels it starts.
    if sys.path[:1] != [str(ROOT)]:
        sys.path.insert(0, str(ROOT))
    paths = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    if str(ROOT) not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in paths if p])
    os.environ.setdefault("CNNBOOK_CACHE", str(ROOT / ".cache" / "cnnbook"))
    os.environ.setdefault("SOURCE_DATE_EPOCH", _build_date())
    fresh_cnnbook(config["site_dir"])
    from bookbuild import mathtex, pages

    pages.start()
    mathtex.start_build(_math_folder())
    jupyter = config.plugins.get("mkdocs-jupyter")
    if jupyter is not None:
        from bookbuild import notebooks

        notebooks.check()
        notebooks.coalesce_streams_after_execution()
        notebooks.key_labs_by_code()
        jupyter.config["cache_dir"] = str(Path(os.environ["CNNBOOK_CACHE"]).parent / "mkdocs-jupyter")
    return config


def _add_figures(files, config):
    """Compute what the pages need, in the order bookbuild/schedule.py gives, then add every figure's file."""
    from bookbuild import schedule
    from cnnbook import figures

    steps = (("experiments", schedule.training_experiments, "in worker processes"),
             ("benchmarks", schedule.other_experiments, "one at a time"),
             ("figures", schedule.figures_to_draw, "in worker processes"))
    for step, compute, how in steps:
        start = time.perf_counter()
        try:
            done = compute()
        except RuntimeError as exc:
            raise PluginError(str(exc)) from exc
        if done and step != "figures":
            LOG.info("%s: %d computed %s, %.1f s", step, len(done), how, time.perf_counter() - start)
    names = figures.names()
    LOG.info("figures: %d drawn (in worker processes), %d from the cache, %.1f s", len(done), len(names) - len(done),
             time.perf_counter() - start)
    for name in names:
        try:
            data, hit = figures.render(name)
        except Exception as exc:
            raise PluginError(f"figure {name!r} failed: {type(exc).__name__}: {exc}") from exc
        if not hit:
            raise PluginError(f"figure {name!r} was not in the cache after it was drawn (bookbuild/schedule.py)")
        files.append(File.generated(config, f"figures/{figures.spec(name).filename}", content=data))


def _add_katex(files, config):
    """KaTeX's stylesheet and fonts, which the math typeset at build (bookbuild/mathtex.py) needs; no script."""
    if not (KATEX_DIST / "katex.min.css").is_file():
        raise PluginError("KaTeX is missing from node_modules: run 'npm ci' (make does it for you)")
    wanted = [p.relative_to(KATEX_DIST).as_posix() for p in sorted((KATEX_DIST / "fonts").glob("*.woff2"))]
    for rel in wanted:
        files.append(File.generated(config, f"assets/katex/{rel}", abs_src_path=str(KATEX_DIST / rel)))
    # Every browser the book supports reads WOFF2, the only fonts shipped: drop the CSS's .woff and .ttf
    # fallbacks, which would be links to files that are not there.
    css = (KATEX_DIST / "katex.min.css").read_text(encoding="utf-8")
    css, dropped = KATEX_FALLBACK.subn("", css)
    if not dropped:
        raise PluginError("KaTeX's CSS changed: no .woff/.ttf font fallbacks found to drop (bookbuild/hooks.py)")
    files.append(File.generated(config, "assets/katex/katex.min.css", content=css))


def _add_notebooks(files, config):
    import jupytext
    import nbformat

    for page_file in [f for f in files if f.src_uri.startswith("labs/") and f.src_uri.endswith(".py")]:
        notebook = jupytext.read(page_file.abs_src_path, fmt="py:percent")
        notebook.metadata.pop("jupytext", None)
        for number, cell in enumerate(notebook.cells, start=1):
            cell.id = f"cell-{number}"  # jupytext draws random ids; fixed ones keep builds identical
        content = nbformat.writes(notebook)
        files.append(File.generated(config, page_file.src_uri[:-3] + ".ipynb", content=content))


def _execute_labs(files, config):
    """Run the labs two at a time into mkdocs-jupyter's cache (bookbuild/labs.py), after every experiment."""
    jupyter = config.plugins.get("mkdocs-jupyter")
    if jupyter is None:
        return
    from bookbuild import labs
    from bookbuild.workers import cores

    pages = [f for f in files if f.src_uri.startswith("labs/") and f.src_uri.endswith(".py")]
    start = time.perf_counter()
    try:
        done = labs.execute_in_parallel(pages, jupyter, workers=min(2, cores()))
    except RuntimeError as exc:
        raise PluginError(str(exc)) from exc
    if done:
        LOG.info("labs: %d executed two at a time, %.1f s", len(done), time.perf_counter() - start)


_LAB_PAGES = []  # this build's lab pages (mkdocs File objects)


def _keep_lab_entries(files, config):
    """Under ``mkdocs serve --dirty`` only edited pages are rendered: keep the other labs' cache entries too."""
    _LAB_PAGES[:] = [f for f in files if f.src_uri.startswith("labs/") and f.src_uri.endswith(".py")]
    jupyter = config.plugins.get("mkdocs-jupyter")
    if jupyter is not None and jupyter.config["cache"]:
        from bookbuild import notebooks

        notebooks.keep_entries(jupyter, [f.abs_src_path for f in files
                                         if f.src_uri.startswith("labs/") and f.src_uri.endswith(".py")])


def on_files(files, config):
    _add_figures(files, config)
    _keep_lab_entries(files, config)
    _execute_labs(files, config)
    _add_katex(files, config)
    _add_notebooks(files, config)
    return files


def _number_cells(html):
    """Replace the random cell ids of a rendered notebook by their position."""
    counter = iter(range(1, 1_000_000))
    return CELL_ID.sub(lambda _: f'id="cell-id={next(counter)}"', html)


def _accessible(html):
    """Name the search dialog, and let the keyboard reach code that may scroll sideways.

    Whether a listing overflows is only known in the browser, and on the long print page the script that
    marks the overflowing ones can run before the layout settles; so every listing is focusable from the
    start, as a scrolling region must be.
    """
    html = html.replace('class="md-search" data-md-component="search" role="dialog"',
                        'class="md-search" data-md-component="search" role="dialog" aria-label="Search"')
    html = CODE_LISTING.sub(r'\1 tabindex="0"', html)
    return NOTEBOOK_CODE.sub(r'\g<0> tabindex="0"', html)


PRINT_SECTION = re.compile(r'<section class="print-page" id="([^"]+)"')


def _prefix_figure_ids(html):
    """On the print page, give each figure and each exercise anchor the page-prefixed id that print-site gives the
    links to it (it prefixes the headings' ids itself)."""
    parts = PRINT_SECTION.split(html)  # [before, id, body, id, body, ...]
    out = [parts[0]]
    for section, body in zip(parts[1::2], parts[2::2]):
        out.append(f'<section class="print-page" id="{section}"')
        out.append(body.replace('id="figure-', f'id="{section}-figure-').replace('id="exercise-',
                                                                                f'id="{section}-exercise-'))
    return "".join(out)


#: An exercise on the print page: its anchor, its title, what comes before its solution, and the solution.
_EXERCISE = re.compile(r'<div id="([^"]+-exercise-(\d+)-(\d+))" class="exercise-anchor"></div>\s*'
                       r'<div class="admonition question">\s*<p class="admonition-title">(.*?)</p>'
                       r'((?:(?!class="exercise-anchor").)*?)'
                       r'<details class="success">\s*<summary>Solution</summary>(.*?)</details>', re.S)
#: Where the print page's last section ends (print-site's layout, checked by _solutions_at_the_end).
_BOOK_END = "</section></div><style>"


def _solutions_at_the_end(html):
    """The print page as a book prints: each exercise's solution moved to a "Solutions" part at the end, where it
    links back to its exercise, which points to it.

    >>> page = ('<section><div id="c-exercise-1-2" class="exercise-anchor"></div><div class="admonition question">'
    ...         '<p class="admonition-title">Exercise 1.2 · Size</p><p>How big?</p>'
    ...         '<details class="success"><summary>Solution</summary><p>58.</p></details></div>' + _BOOK_END)
    >>> print(_solutions_at_the_end(page).replace("><", ">\\n<"))
    <section>
    <div id="c-exercise-1-2" class="exercise-anchor">
    </div>
    <div class="admonition question">
    <p class="admonition-title">Exercise 1.2 · Size</p>
    <p>How big?</p>
    <p class="solution-pointer">
    <a href="#solution-1-2">Solution</a> at the end of the book.</p>
    </div>
    </section>
    <section class="print-page" id="solutions">
    <h1 id="solutions-title">Solutions</h1>
    <h2 id="solution-1-2">
    <a href="#c-exercise-1-2">Exercise 1.2 · Size</a>
    </h2>
    <p>58.</p>
    </section>
    </div>
    <style>
    """
    solutions = []

    def move(match):
        anchor, chapter, number, title, before, solution = match.groups()
        if "<details" in solution:  # the pattern would have cut it at the inner </details>
            raise PluginError(f"print page: exercise {chapter}.{number}'s solution holds a <details> "
                              "(bookbuild/hooks.py: _solutions_at_the_end reads up to the first </details>)")
        solutions.append(f'<h2 id="solution-{chapter}-{number}"><a href="#{anchor}">{title}</a></h2>{solution.strip()}')
        return (f'<div id="{anchor}" class="exercise-anchor"></div><div class="admonition question">'
                f'<p class="admonition-title">{title}</p>{before}<p class="solution-pointer">'
                f'<a href="#solution-{chapter}-{number}">Solution</a> at the end of the book.</p>')

    html = _EXERCISE.sub(move, html)
    left = html.count('<details class="success">')
    if left or html.count(_BOOK_END) != 1:
        raise PluginError(f"print page: {left} solutions not moved to the end, or print-site's layout changed "
                          f"(bookbuild/hooks.py: _solutions_at_the_end)")
    if not solutions:
        return html
    part = '<section class="print-page" id="solutions"><h1 id="solutions-title">Solutions</h1>'
    return html.replace(_BOOK_END, "</section>" + part + "".join(solutions) + _BOOK_END)


def _listed_in_contents(html):
    """The print page with "Solutions" last in its table of contents, which print-site copies from the page's own
    (Material's secondary navigation, rendered before the part was added): an item after the list's last one.

    >>> page = ('<div class="md-sidebar md-sidebar--secondary">'
    ...         '<nav class="md-nav md-nav--secondary"><ul class="md-nav__list" data-md-component="toc">'
    ...         '<li><a href="#a">A</a><nav class="md-nav"><ul><li>A.1</li></ul></nav></li></ul></nav>'
    ...         '<section class="print-page" id="solutions">')
    >>> print(_listed_in_contents(page).replace("><", ">\\n<"))
    <div class="md-sidebar md-sidebar--secondary">
    <nav class="md-nav md-nav--secondary">
    <ul class="md-nav__list" data-md-component="toc">
    <li>
    <a href="#a">A</a>
    <nav class="md-nav">
    <ul>
    <li>A.1</li>
    </ul>
    </nav>
    </li>
    <li class="md-nav__item">
    <a href="#solutions" class="md-nav__link">
    <span class="md-ellipsis">Solutions</span>
    </a>
    </li>
    </ul>
    </nav>
    <section class="print-page" id="solutions">
    """
    if '<section class="print-page" id="solutions">' not in html:
        return html
    sidebar = html.find('md-sidebar--secondary"')  # print-site copies this one (the primary sidebar has a copy too)
    start = html.find('<nav class="md-nav md-nav--secondary"', sidebar) if sidebar >= 0 else -1
    depth, end = 0, None
    for tag in re.finditer(r"<(/?)nav\b", html[start:]) if start >= 0 else ():
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            end = start + tag.start()
            break
    close = html.rfind("</ul>", start, end) if end is not None else -1
    if close < 0:
        raise PluginError("print page: no table of contents to list the solutions in (Material's layout changed; "
                          "bookbuild/hooks.py: _listed_in_contents)")
    item = ('<li class="md-nav__item"><a href="#solutions" class="md-nav__link">'
            '<span class="md-ellipsis">Solutions</span></a></li>')
    return html[:close] + item + html[close:]


def on_env(env, config, files):
    """Keep the theme's compiled templates between builds (0.7 s of every rebuild under ``mkdocs serve``).

    Jinja keys each cached template on its source's checksum, so an edited template is compiled again.
    """
    import jinja2

    folder = Path(os.environ["CNNBOOK_CACHE"]).parent / "jinja"
    folder.mkdir(parents=True, exist_ok=True)
    env.bytecode_cache = jinja2.FileSystemBytecodeCache(str(folder))
    return env


_NOTEBOOK_CSS = {}  # path under site/ -> the labs' stylesheet, written once by on_post_build
_STYLED = {}  # a lab page's dest_uri -> the path under site/ of the stylesheet its <head> links


#: What the search index should not read in a notebook's HTML: the "In [1]:" prompts and the copy buttons'
#: "Copied!" (Material's search skips an element marked data-search-exclude, with all it holds).
_NOT_SEARCHED = re.compile(r'<div (?=class="(?:jp-InputPrompt|jp-OutputPrompt|zeroclipboard-container)\b)')


def searchable(html):
    """A notebook's HTML as the search index should read it: its headings' "¶" links are Material's permalinks
    (which search leaves out of titles), and its prompts and copy buttons are excluded.

    >>> searchable('<h2 id="a">A<a class="anchor-link" href="#a">¶</a></h2><div class="jp-InputPrompt x">In [1]:</div>')
    '<h2 id="a">A<a class="headerlink" href="#a">¶</a></h2><div data-search-exclude class="jp-InputPrompt x">In [1]:</div>'
    """
    html = html.replace('<a class="anchor-link" href=', '<a class="headerlink" href=')
    return _NOT_SEARCHED.sub("<div data-search-exclude ", html)


#: Search weights (Material's ``search.boost``): for a chapter's own terms the chapter comes before its lab, which
#: names the same things in its headings but explains less.
SEARCH_BOOST = {"chapter": 2.0, "lab": 0.5}


@event_priority(50)  # before the print page and the search index take the page's HTML
def _notebook_pages(html, page, config, files):
    """A lab page links the notebooks' stylesheet, written once (bookbuild/notebooks.py: shared_stylesheet),
    instead of carrying 589 KB of CSS in its HTML, as the print page did eight times; and it is made
    :func:`searchable`. Chapters and labs get their search weights."""
    from bookbuild import notebooks

    if page.file.src_uri.startswith("chapters/"):
        page.meta.setdefault("search", {}).setdefault("boost", SEARCH_BOOST["chapter"])
    if page.file not in _LAB_PAGES:
        return html
    page.meta.setdefault("search", {}).setdefault("boost", SEARCH_BOOST["lab"])
    html, css = notebooks.shared_stylesheet(searchable(html))
    if css:
        name = f"assets/notebook-{hashlib.sha256(css.encode()).hexdigest()[:12]}.css"
        _NOTEBOOK_CSS[name] = css
        _STYLED[page.file.dest_uri] = name
    return html


@event_priority(-50)  # after the print page took the page's HTML: it is typeset there once the book is assembled
def _typeset_math(html, page, config, files):
    """Every page's math typeset (bookbuild/mathtex.py), and a copy of the page with each formula as its text,
    for the search index.

    The print page takes each page's HTML with its math still TeX, and typesets the whole book at the end
    (:func:`on_post_build`): print-site's anchor rewriting scans forward from every tag for an ``id``, and on
    KaTeX's long lines of nested spans that scan took 89 s of a 103 s warm build (measured on 2 cores).
    """
    from bookbuild import mathtex

    try:
        typeset, searched = mathtex.typeset_page_and_search_copy(html)
    except mathtex.TexError as error:
        raise PluginError(f"{page.file.src_uri}: {error}") from error
    if searched != typeset:
        _SEARCHED[page.file.src_uri] = searched
    return typeset


on_page_content = CombinedEvent(_notebook_pages, _typeset_math)


_SEARCHED = {}  # a page's src_uri -> its HTML as the search index reads it: each formula as its text


@event_priority(100)  # before the search plugin indexes the page
def _index_math_as_text(context, page, config, nav):
    """The search index reads each formula once, as its MathML text ("H×W"), not its drawn copy too ("H×WH×W").

    Material's search skips an element marked data-search-exclude, but ends the skip at the first inner element
    of the same tag, so it cannot skip KaTeX's nested spans: it reads this other copy of the page instead."""
    if page.file.src_uri in _SEARCHED:
        page.content, _SEARCHED[page.file.src_uri] = _SEARCHED[page.file.src_uri], page.content
    return context


@event_priority(-100)  # after the search plugin
def _show_typeset_math(context, page, config, nav):
    if page.file.src_uri in _SEARCHED:
        page.content = _SEARCHED.pop(page.file.src_uri)
    return context


on_page_context = CombinedEvent(_index_math_as_text, _show_typeset_math)


def _link_stylesheet(html, dest_uri, name):
    """``html`` with a ``<link>`` to the stylesheet ``name`` (a path under site/) at the end of its head."""
    href = posixpath.relpath(name, posixpath.dirname(dest_uri))
    return html.replace("</head>", f'<link rel="stylesheet" href="{href}">\n</head>', 1)


def _search_on_demand(html):
    """``html`` with docs/assets/lazy-search.js loaded just before Material's bundle: the search index is fetched
    when the reader first uses search, not on every page."""
    return MATERIAL_BUNDLE.sub(lambda m: f'<script src="{m[1]}assets/lazy-search.js"></script>\n{m[0]}', html, 1)


def on_post_page(output, page, config):
    from bookbuild import pages

    pages.rendered(page)
    if page.file.dest_uri in _STYLED:
        output = _link_stylesheet(output, page.file.dest_uri, _STYLED[page.file.dest_uri])
    output = _search_on_demand(EXTERNAL_SCRIPT.sub("", output))
    if "cell-id=" in output:
        output = _number_cells(output)
    return _accessible(output)


def on_post_build(config):
    """The 404 page and the print page (written by its plugin after every other page) get the same treatment;
    the modules each page read are kept for the next code edit (bookbuild/pages.py)."""
    from bookbuild import mathtex, pages

    pages.save(config["site_dir"], labs=[(f.dest_uri, f.abs_src_path) for f in _LAB_PAGES])
    if _FULL_BUILD:
        _prune_caches(config)
    for name, css in _NOTEBOOK_CSS.items():
        target = Path(config["site_dir"]) / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(css, encoding="utf-8")
    for name in ("404.html", "print_page/index.html"):
        page = Path(config["site_dir"]) / name
        if page.is_file():  # the print page holds the notebooks' HTML from before on_post_page: number it too
            html = _search_on_demand(EXTERNAL_SCRIPT.sub("", page.read_text(encoding="utf-8")))
            html = _number_cells(html) if "cell-id=" in html else html
            if name.startswith("print_page"):
                html = _listed_in_contents(_solutions_at_the_end(_prefix_figure_ids(mathtex.typeset_page(html))))
                for sheet in sorted(set(_STYLED.values())):  # the labs' stylesheet, which their pages link
                    html = _link_stylesheet(html, name, sheet)
                # Material wraps wide tables in a focusable scrolling box by script, which on this long page can
                # come after an audit or a reader's first Tab: until then the table itself is the scrolling box.
                html = html.replace("<table>", '<table tabindex="0">')
            page.write_text(_accessible(html), encoding="utf-8")
    mathtex.end_build(_math_folder(), full=bool(_FULL_BUILD))
