"""The book's figures: functions that return a matplotlib Figure (or an SVG document), registered by name.

A chapter asks for ``{{ figure("ch01.flip") }}``; the build calls
:func:`render`, which draws the figure in the book's style, saves it
deterministically (fixed SVG hash salt, no date) and caches the bytes under a
hash of the package source (:mod:`cnnbook.cache`).

Each figure is registered with its alt text, the sentence a screen reader
says instead of the picture. Figures call the numerics and read experiment
results; they never compute what an experiment should cache, and they never
change matplotlib's global settings.
"""

from __future__ import annotations

import functools
import importlib
import io
from dataclasses import dataclass

from cnnbook.cache import cached_bytes

__all__ = ["FIGURES", "STYLE", "FigureSpec", "names", "register", "render", "spec"]

#: Modules that define figures, imported on first use (one per chapter).
_MODULES = ("cnnbook.figures.ch01", "cnnbook.figures.ch02", "cnnbook.figures.ch03", "cnnbook.figures.ch04",
            "cnnbook.figures.ch05", "cnnbook.figures.ch06", "cnnbook.figures.ch07", "cnnbook.figures.ch08")

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
        import matplotlib

        @functools.wraps(func)
        def styled(*args, **kwargs):
            with matplotlib.rc_context(STYLE):
                return func(*args, **kwargs)

        if name in FIGURES:
            raise ValueError(f"register: figure {name!r} is defined twice")
        FIGURES[name] = FigureSpec(name, styled, alt, format)
        return styled

    return decorate


def _load():
    for module in _MODULES:
        importlib.import_module(module)


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
                        "." + figure_spec.format)


def _render_in_worker(name):
    import matplotlib

    matplotlib.use("Agg")  # a worker draws to files only
    render(name)
    return name


def render_parallel(workers=None):
    """Draw every figure not cached yet in worker processes of one core each; returns the names drawn.

    Drawing is single-threaded Python, so on two cores two workers draw the
    book's figures in about half the time. The experiments the figures read
    should be computed first (:func:`cnnbook.experiments.run_parallel`, then
    the benchmarks alone): a figure must never time anything itself.
    """
    from cnnbook._parallel import cores, in_processes
    from cnnbook.cache import cache_path

    pending = [n for n in names()
               if not cache_path("figure", n, {"format": FIGURES[n].format}, "." + FIGURES[n].format).is_file()]
    workers = min(len(pending), workers or cores())
    if workers <= 1:
        return []
    in_processes(_render_in_worker, pending, workers, lambda name: f"figure {name!r}")
    return pending
