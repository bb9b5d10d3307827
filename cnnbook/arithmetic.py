"""Convolution arithmetic, drawn: where every window of a convolution lands (chapter 2).

:class:`Arithmetic` holds one square setting (input size, kernel size,
padding, stride, dilation, and whether the convolution is transposed) and
works out, along one axis, the *canvas* the kernel slides over, which canvas
cells hold input, and where each window starts. :func:`animate` turns it into
a step-through animated SVG for any setting, after the diagrams of Dumoulin &
Visin (2016).

A transposed convolution is drawn the way that guide draws it: as a plain
stride-1 convolution of the flipped kernel over a canvas where the inputs sit
``stride`` apart (``stride - 1`` zeros between neighbours) inside a border of
``dilation * (kernel_size - 1) - padding`` zeros, plus ``output_padding``
extra zeros at the bottom and right. The tests check both pictures against
``cnnbook.functional`` cell by cell.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from cnnbook import shapes
from cnnbook._checks import check_int

__all__ = ["Arithmetic", "animate"]


@dataclass(frozen=True)
class Arithmetic:
    """One convolution setting, the same along both axes.

    Parameters
    ----------
    input_size, kernel_size : int
        ``i`` and ``k``.
    stride, dilation : int
        ``s`` and ``d``.
    padding : int or (int, int)
        Zeros on each side, or ``(before, after)`` for the asymmetric "same"
        padding of even kernels. Transposed settings take an int.
    transposed : bool
        Draw the transposed convolution with these parameters.
    output_padding : int
        Transposed only: extra output rows/columns at the bottom/right.

    Examples
    --------
    >>> a = Arithmetic(5, 3, stride=2, padding=1)
    >>> a.output_size, a.canvas_size, a.positions
    (3, 7, [0, 2, 4])
    >>> a.formula()
    'o = ⌊(5 + 2·1 − 1·(3 − 1) − 1) / 2⌋ + 1 = 3'
    >>> t = Arithmetic(3, 3, stride=2, padding=1, transposed=True, output_padding=1)
    >>> t.output_size, t.input_cells
    (6, [1, 3, 5])
    """

    input_size: int
    kernel_size: int
    stride: int = 1
    padding: int | tuple = 0
    dilation: int = 1
    transposed: bool = False
    output_padding: int = 0

    def __post_init__(self):
        where = "Arithmetic"
        check_int(self.input_size, "input_size", where, minimum=1)
        check_int(self.kernel_size, "kernel_size", where, minimum=1)
        check_int(self.stride, "stride", where, minimum=1)
        check_int(self.dilation, "dilation", where, minimum=1)
        check_int(self.output_padding, "output_padding", where, minimum=0)
        if isinstance(self.padding, (tuple, list)):
            if self.transposed or len(self.padding) != 2:
                raise ValueError(f"{where}: padding must be an int, or a pair (before, after) for a direct "
                                 f"convolution; got {self.padding!r}")
            for p in self.padding:
                check_int(p, "padding", where, minimum=0)
            object.__setattr__(self, "padding", tuple(int(p) for p in self.padding))
        else:
            check_int(self.padding, "padding", where, minimum=0)
        if self.output_padding and not self.transposed:
            raise ValueError(f"{where}: output_padding belongs to transposed convolutions; got "
                             f"output_padding={self.output_padding} with transposed=False")
        if self.transposed and self.padding > self.span - 1:
            raise ValueError(f"{where}: a transposed convolution drawn as a direct one needs padding <= "
                             f"dilation*(kernel_size-1) = {self.span - 1}; got padding={self.padding}")
        if self.transposed:  # validates output_padding < max(stride, dilation), and a non-empty output
            shapes.conv_transpose_output_size(self.input_size, self.kernel_size, self.stride, self.padding,
                                              self.output_padding, self.dilation)
        elif self.canvas_size < self.span:
            raise ValueError(f"{where}: the kernel spans {self.span} cells but the padded input has only "
                             f"{self.canvas_size} (input_size={self.input_size}, padding={self.padding})")

    @property
    def span(self):
        """Cells one window covers: ``d(k - 1) + 1``."""
        return self.dilation * (self.kernel_size - 1) + 1

    @property
    def pads(self):
        """Zeros ``(before, after)`` around the input on the canvas."""
        if self.transposed:
            border = self.span - 1 - self.padding
            return border, border + self.output_padding
        if isinstance(self.padding, tuple):
            return self.padding
        return self.padding, self.padding

    @property
    def step(self):
        """How far the window moves between outputs on the canvas (1 for transposed)."""
        return 1 if self.transposed else self.stride

    @cached_property
    def input_cells(self):
        """Canvas indices that hold input values (the rest are zeros)."""
        spacing = self.stride if self.transposed else 1
        return [self.pads[0] + spacing * n for n in range(self.input_size)]

    @property
    def canvas_size(self):
        """Length of the canvas: the padded (and, if transposed, zero-stuffed) input."""
        spacing = self.stride if self.transposed else 1
        return sum(self.pads) + spacing * (self.input_size - 1) + 1

    @property
    def output_size(self):
        """Output length, from :mod:`cnnbook.shapes`."""
        if self.transposed:
            return shapes.conv_transpose_output_size(self.input_size, self.kernel_size, self.stride, self.padding,
                                                     self.output_padding, self.dilation)
        return (self.canvas_size - self.span) // self.stride + 1

    @cached_property
    def positions(self):
        """Canvas index where each window starts, in output order."""
        return [self.step * o for o in range(self.output_size)]

    def taps(self, start):
        """Canvas indices a window starting at ``start`` reads."""
        return [start + self.dilation * m for m in range(self.kernel_size)]

    @property
    def unused(self):
        """Canvas cells past the last window: where a stride does not fit (floor)."""
        return self.canvas_size - (self.positions[-1] + self.span)

    def formula(self):
        """The output-size formula with this setting's numbers filled in."""
        i, k, s, d = self.input_size, self.kernel_size, self.stride, self.dilation
        if self.transposed:
            return (f"o = ({i} − 1)·{s} − 2·{self.padding} + {d}·({k} − 1) + {self.output_padding} + 1 "
                    f"= {self.output_size}")
        before, after = self.pads
        pad = f"2·{before}" if before == after else f"{before} + {after}"
        return f"o = ⌊({i} + {pad} − {d}·({k} − 1) − 1) / {s}⌋ + 1 = {self.output_size}"

    def describe(self):
        """The setting in words, e.g. ``'i = 5, k = 3, p = 1, s = 2'``."""
        parts = [f"i = {self.input_size}", f"k = {self.kernel_size}"]
        before, after = (self.padding, self.padding) if self.transposed else self.pads
        parts.append(f"p = {before}" if before == after else f"p = ({before}, {after})")
        parts.append(f"s = {self.stride}")
        if self.dilation != 1:
            parts.append(f"d = {self.dilation}")
        if self.output_padding:
            parts.append(f"output padding = {self.output_padding}")
        return ("transposed: " if self.transposed else "") + ", ".join(parts)


# --- drawing -----------------------------------------------------------------------------------

CELL = 20          # px per grid cell
GAP = 56           # px between the canvas and the output grid
COLOURS = {
    "input": "#8ab6e8", "zero": "#ffffff", "pad": "#f2f2f2", "grid": "#6b6b6b", "window": "#e8590c",
    "output": "#7fc98f", "text": "#1a1a1a", "unused": "#c92a2a",
}


def _rect(x, y, w, h, fill, extra=""):
    return f'<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{fill}"{extra}/>'


def _outline(x, y, w, h, colour, width):
    return _rect(x, y, w, h, "none", f' stroke="{colour}" stroke-width="{width}"')


def _keyframes(name, stops):
    body = " ".join(f"{pct:.4f}% {{{rule}}}" for pct, rule in stops)
    return f"@keyframes {name} {{{body}}}"


def animate(arith, seconds_per_step=0.7, cell=CELL):
    """A step-through animated SVG of ``arith``: canvas, window, output, formula.

    The window (orange) visits every output position in raster order and the
    output cell it produces lights up; the animation loops. With
    ``prefers-reduced-motion`` set it stays at its last frame: the last window
    and the whole output. The same rule is given for print media (whether a
    browser applies it inside an image varies; the book's PDF is printed with
    reduced motion set, scripts/print_pdf.py). Class names carry a prefix unique to the setting so
    several animations (or one inlined in a notebook) never share styles.

    Parameters
    ----------
    arith : Arithmetic
    seconds_per_step : float
        Time each window position is shown.

    Returns
    -------
    str
        A standalone SVG document.

    Examples
    --------
    >>> svg = animate(Arithmetic(4, 3))
    >>> svg.startswith("<svg") and svg.count("@keyframes") == 1 + 4
    True
    """
    if not isinstance(arith, Arithmetic):
        raise TypeError(f"animate: arith must be an Arithmetic; got {type(arith).__name__}")
    if not (isinstance(seconds_per_step, (int, float)) and 0.05 <= seconds_per_step <= 10):
        raise ValueError(f"animate: seconds_per_step must be a number in [0.05, 10]; got {seconds_per_step!r}")
    a = arith
    n_canvas, n_out = a.canvas_size, a.output_size
    prefix = "ca{}-{}-{}-{}-{}-{}-{}".format(a.input_size, a.kernel_size, a.stride, "-".join(map(str, a.pads)),
                                             a.dilation, "t" if a.transposed else "d", a.output_padding)
    top, left = 30, 10
    out_left = left + n_canvas * cell + GAP
    out_top = top + (n_canvas - n_out) * cell / 2
    notes = [a.formula()]
    if a.unused > 0:
        notes.append(f"red: {a.unused} row(s) and column(s) no window reaches, the stride does not fit")
    text_width = 7.2 * max(len(t) for t in notes + [a.describe()])  # about 7 px a character at 13 px
    width = round(max(out_left + n_out * cell, left + text_width) + 10)
    height = top + n_canvas * cell + 26 + 18 * len(notes)

    steps = [(r, c) for r in range(n_out) for c in range(n_out)]
    frames = len(steps) + 2  # two still frames at the end before the loop restarts
    duration = frames * seconds_per_step

    def pct(q):
        return 100.0 * q / frames

    css = [f".{prefix} .win, .{prefix} .cur {{animation: {prefix}-move {duration:.2f}s step-end infinite}}",
           f".{prefix} .cur {{animation-name: {prefix}-cur}}"]
    win_stops, cur_stops = [], []
    for q, (r, c) in enumerate(steps):
        win_stops.append((pct(q), f"transform: translate({a.positions[c] * cell}px, {a.positions[r] * cell}px)"))
        cur_stops.append((pct(q), f"transform: translate({c * cell}px, {r * cell}px)"))
    last = win_stops[-1][1], cur_stops[-1][1]
    css.append(_keyframes(f"{prefix}-move", win_stops + [(100, last[0])]))
    css.append(_keyframes(f"{prefix}-cur", cur_stops + [(100, last[1])]))
    for q in range(1, len(steps)):
        css.append(_keyframes(f"{prefix}-o{q}", [(0, "opacity: 0"), (pct(q), "opacity: 1"), (100, "opacity: 1")]))
        css.append(f".{prefix} .o{q} {{animation: {prefix}-o{q} {duration:.2f}s step-end infinite}}")
    still = (f".{prefix} * {{animation: none !important}} .{prefix} .win {{{last[0]}}} "
             f".{prefix} .cur {{{last[1]}}}")
    css.append(f"@media (prefers-reduced-motion: reduce), print {{{still}}}")

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{prefix}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{a.describe()}; {a.formula()}">',
        f"<title>{a.describe()}</title>",
        f"<style>{' '.join(css)}</style>",
        _rect(0, 0, width, height, "#ffffff"),
        f'<text x="{left}" y="18" font-family="sans-serif" font-size="13" fill="{COLOURS["text"]}">'
        f"{a.describe()}</text>",
    ]
    inside = set(a.input_cells)
    for r in range(n_canvas):
        for c in range(n_canvas):
            if r in inside and c in inside:
                fill = COLOURS["input"]
            elif a.pads[0] <= r < n_canvas - a.pads[1] and a.pads[0] <= c < n_canvas - a.pads[1]:
                fill = COLOURS["zero"]  # zeros stuffed between the inputs of a transposed conv
            else:
                fill = COLOURS["pad"]
            dash = "" if fill == COLOURS["input"] else ' stroke-dasharray="3 2"'
            parts.append(_rect(left + c * cell, top + r * cell, cell, cell, fill,
                               f' stroke="{COLOURS["grid"]}" stroke-width="0.8"{dash}'))
    if a.unused > 0:  # the cells no window reaches, when the stride does not fit
        for q in range(n_canvas - a.unused, n_canvas):
            for rect in ((left + q * cell, top, cell, n_canvas * cell), (left, top + q * cell, n_canvas * cell, cell)):
                parts.append(_outline(*rect, COLOURS["unused"], 1.5))
    taps = "".join(_rect(left + t * cell + 2, top + u * cell + 2, cell - 4, cell - 4, COLOURS["window"],
                         ' fill-opacity="0.75"') for u in a.taps(0) for t in a.taps(0))
    frame = _outline(left, top, a.span * cell, a.span * cell, COLOURS["window"], 2)
    parts.append(f'<g class="win">{taps}{frame}</g>')
    for q, (r, c) in enumerate(steps):
        parts.append(_rect(out_left + c * cell, out_top + r * cell, cell, cell, COLOURS["output"],
                           f' class="o{q}" stroke="{COLOURS["grid"]}" stroke-width="0.8"'))
    parts.append(f'<g class="cur">{_outline(out_left, out_top, cell, cell, COLOURS["window"], 3)}</g>')
    for line, note in enumerate(notes):
        colour = COLOURS["text"] if line == 0 else COLOURS["unused"]
        parts.append(f'<text x="{left}" y="{top + n_canvas * cell + 26 + 18 * line}" font-family="sans-serif" '
                     f'font-size="13" fill="{colour}">{note}</text>')
    parts.append("</svg>")
    return "\n".join(parts)
