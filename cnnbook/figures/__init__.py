"""The book's figures: functions that return a matplotlib Figure (or an SVG document), registered by name.

A chapter asks for ``{{ figure("ch01.flip") }}``; the build calls
:func:`render`, which draws the figure in the book's style, saves it
deterministically (fixed SVG hash salt, no date) and caches the bytes under a
hash of the code the figure's module depends on (:mod:`cnnbook.cache`).

Each figure is registered with its alt text, the sentence a screen reader
says instead of the picture. Figures call the numerics and read experiment
results; they never compute what an experiment should cache, and they never
change matplotlib's global settings.
"""

from __future__ import annotations

import functools
import io
import re
from dataclasses import dataclass

from cnnbook._registry import load_modules
from cnnbook.cache import cache_path, cached_bytes, is_sound

__all__ = ["COLUMN_PX", "FIGURES", "MIN_TEXT_PT", "STYLE", "FigureSpec", "check_legible", "drawn_texts", "is_cached",
           "names", "pixel_size", "register", "render", "spec"]


#: The book's matplotlib style, applied while a figure function runs.
STYLE = {
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "font.size": 10,
    "axes.titlesize": 10,
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "image.interpolation": "nearest",
    "svg.hashsalt": "cnnbook",
    "path.simplify": True,
}


#: The widest a figure may be, in CSS pixels: the text column of a chapter read on a desktop (688 px in Material
#: at a 1280 px window) less the figure's frame, 6 px a side (docs/assets/book.css). A wider figure is shrunk into
#: the column, and its text with it. An SVG is 96/72 CSS pixels a point (7.04 inches at most); a PNG, saved at
#: 100 dpi, one CSS pixel a pixel (6.76 inches at most).
COLUMN_PX = 676

#: The smallest text a figure may carry, in points at its own size. No figure is shrunk on a desktop, so this is
#: what a reader sees there: 9 pt is 12 CSS pixels, against the body text's 16.
MIN_TEXT_PT = 9


@dataclass(frozen=True)
class FigureSpec:
    """A registered figure: its name, function, alt text and file format."""

    name: str
    func: object
    alt: str
    format: str

    @property
    def filename(self):
        return f"{self.name}.{self.format}"


FIGURES = {}


def register(name, alt, format="svg"):
    """Register the decorated function as figure ``name``.

    Parameters
    ----------
    name : str
        ``"chNN.short_name"``.
    alt : str
        What the figure shows, in a sentence, for readers who cannot see it.
    format : {"svg", "png"}
        SVG for line art, PNG for photographs and dense images.

    The decorated function runs inside the book's style (:data:`STYLE`) whether
    the build or a learner's notebook calls it.
    """
    if format not in ("svg", "png"):
        raise ValueError(f"register: format must be 'svg' or 'png'; got {format!r}")
    if not alt or len(alt) < 20:
        raise ValueError(f"register: figure {name!r} needs alt text that says what it shows")

    def decorate(func):
        @functools.wraps(func)
        def styled(*args, **kwargs):
            import matplotlib

            with matplotlib.rc_context(STYLE):
                return func(*args, **kwargs)

        if name in FIGURES:
            raise ValueError(f"register: figure {name!r} is defined twice")
        FIGURES[name] = FigureSpec(name, styled, alt, format)
        return styled

    return decorate


def _load():
    load_modules(__name__)  # every chNN.py (and other public module) here registers its items


def names():
    """Names of all registered figures.

    Examples
    --------
    >>> "ch01.flip" in names()
    True
    """
    _load()
    return sorted(FIGURES)


def spec(name):
    """The :class:`FigureSpec` registered as ``name``.

    Examples
    --------
    >>> spec("ch01.flip").format
    'svg'
    >>> spec("ch99.nothing")
    Traceback (most recent call last):
    ...
    ValueError: unknown figure 'ch99.nothing'; see cnnbook.figures.names()
    """
    _load()
    if name not in FIGURES:
        raise ValueError(f"unknown figure {name!r}; see cnnbook.figures.names()")
    return FIGURES[name]


def _draw(figure_spec):
    import matplotlib
    import matplotlib.pyplot as plt

    fig = figure_spec.func()
    if isinstance(fig, str) and figure_spec.format == "svg":
        # drawn as SVG directly (the convolution-arithmetic animations): sizes in CSS pixels, 3/4 of a point each
        data = fig.encode()
        texts = [("", float(size) * 0.75) for size in re.findall(r'font-size[=:]\s*"?([0-9.]+)', fig)]
        check_legible(figure_spec.name, data, figure_spec.format, texts)
        return data
    if not isinstance(fig, matplotlib.figure.Figure):
        raise TypeError(f"figure {figure_spec.name!r}: the function must return a matplotlib Figure "
                        "(or, for an SVG figure, the SVG document as a str)")
    texts = drawn_texts(fig)
    buffer = io.BytesIO()
    metadata = {"Date": None} if figure_spec.format == "svg" else {"Software": None}
    with matplotlib.rc_context(STYLE):
        fig.savefig(buffer, format=figure_spec.format, metadata=metadata, bbox_inches="tight")
    plt.close(fig)
    data = buffer.getvalue()
    check_legible(figure_spec.name, data, figure_spec.format, texts)
    return _palette_png(data) if figure_spec.format == "png" else data


def drawn_texts(fig):
    """Every text a matplotlib figure draws, as ``(text, size in points)``: titles, labels, tick labels, legends
    and annotations that reach the page (hidden axes' tick labels and empty strings do not).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> _ = ax.set_title("kernel", fontsize=11); ax.set_axis_off()
    >>> drawn_texts(fig)
    [('kernel', 11.0)]
    >>> plt.close(fig)
    """
    from matplotlib.backends.backend_agg import RendererAgg

    class Recorder(RendererAgg):
        def __init__(self, *args):
            super().__init__(*args)
            self.texts = []

        def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
            if s.strip():
                self.texts.append((s, prop.get_size_in_points()))

    width, height = fig.get_size_inches()
    recorder = Recorder(width * fig.dpi, height * fig.dpi, fig.dpi)
    fig.draw(recorder)
    return recorder.texts


def pixel_size(data, format):
    """The width and height, in CSS pixels, at which a page shows a figure file at its own size.

    Examples
    --------
    >>> pixel_size(b'<svg xmlns="http://www.w3.org/2000/svg" width="360pt" height="180pt">', "svg")
    (480.0, 240.0)
    >>> pixel_size(b'<svg width="330" height="120">', "svg")
    (330.0, 120.0)
    """
    if format == "png":
        from PIL import Image

        return tuple(float(n) for n in Image.open(io.BytesIO(data)).size)
    root = re.search(rb"<svg\b[^>]*>", data)
    sizes = [re.search(rb'\s%s="([0-9.]+)(pt|px)?"' % key, root.group()) if root else None
             for key in (b"width", b"height")]
    if not all(sizes):
        raise ValueError("pixel_size: the SVG's root element has no width and height")
    return tuple(float(m.group(1)) * (4 / 3 if m.group(2) == b"pt" else 1) for m in sizes)


def check_legible(name, data, format, texts):
    """Refuse a figure a reader could not read at the column's width: wider than :data:`COLUMN_PX`, or with text
    below :data:`MIN_TEXT_PT` (``texts`` as :func:`drawn_texts` gives them).

    Examples
    --------
    >>> check_legible("ch00.demo", b'<svg width="600" height="200">', "svg", [("x", 9.0)])
    >>> check_legible("ch00.demo", b'<svg width="600pt" height="200pt">', "svg", [("stride 2", 7.0)])
    Traceback (most recent call last):
    ...
    ValueError: figure 'ch00.demo': 800 px wide, more than the 676 px column (it would be shrunk, its text with it); \
text below 9 pt: 'stride 2' at 7 pt
    """
    width, _ = pixel_size(data, format)
    problems = []
    if width > COLUMN_PX + 0.5:
        problems.append(f"{width:.0f} px wide, more than the {COLUMN_PX} px column (it would be shrunk, its text "
                        "with it)")
    small = [(text, size) for text, size in texts if size < MIN_TEXT_PT - 1e-6]
    if small:
        shown = ", ".join(f"{text!r} at {size:g} pt" if text else f"text at {size:g} pt" for text, size in small[:4])
        more = f" and {len(small) - 4} more" if len(small) > 4 else ""
        problems.append(f"text below {MIN_TEXT_PT} pt: {shown}{more}")
    if problems:
        raise ValueError(f"figure {name!r}: " + "; ".join(problems))


def _palette_png(data):
    """Re-encode a PNG with a 256-colour palette: half the bytes, no visible change at our sizes."""
    from PIL import Image

    image = Image.open(io.BytesIO(data)).convert("RGB")
    palette = image.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    palette.save(out, format="PNG", optimize=True)
    return out.getvalue()


def render(name):
    """The figure's file content (SVG or PNG bytes), drawn now or read from the cache.

    Returns
    -------
    (bytes, bool)
        The file's bytes and whether they came from the cache.
    """
    figure_spec = spec(name)
    return cached_bytes("figure", name, {"format": figure_spec.format}, lambda: _draw(figure_spec),
                        "." + figure_spec.format, module=figure_spec.func.__module__)


def is_cached(name):
    """Whether figure ``name`` is in the cache for the present code, whole (:func:`render` would read it)."""
    figure_spec = spec(name)
    return is_sound(cache_path("figure", name, {"format": figure_spec.format}, "." + figure_spec.format,
                               module=figure_spec.func.__module__), "figure", name)
