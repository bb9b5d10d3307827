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
from dataclasses import dataclass

from cnnbook._registry import load_modules
from cnnbook.cache import cache_path, cached_bytes, is_sound

__all__ = ["FIGURES", "STYLE", "FigureSpec", "is_cached", "names", "register", "render", "spec"]


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
        return fig.encode()  # drawn as SVG directly (the convolution-arithmetic animations)
    if not isinstance(fig, matplotlib.figure.Figure):
        raise TypeError(f"figure {figure_spec.name!r}: the function must return a matplotlib Figure "
                        "(or, for an SVG figure, the SVG document as a str)")
    buffer = io.BytesIO()
    metadata = {"Date": None} if figure_spec.format == "svg" else {"Software": None}
    with matplotlib.rc_context(STYLE):
        fig.savefig(buffer, format=figure_spec.format, metadata=metadata, bbox_inches="tight")
    plt.close(fig)
    if figure_spec.format == "png":
        return _palette_png(buffer.getvalue())
    return buffer.getvalue()


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
