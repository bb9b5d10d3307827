"""Drawing helpers the chapters' figures share: a matrix with its numbers, an image with a title."""

from __future__ import annotations

import numpy as np

from cnnbook.backend import to_numpy

#: The book's colour map for signed values (weights, feature maps, gradients): negative blue, zero white, positive
#: red. The kernel explorer colours its kernel and feature map with the same map (cnnbook.instruments), which
#: imports it from here: this module imports no figure of any chapter.
DIVERGING = "RdBu_r"

__all__ = ["draw_grid", "draw_image", "log_ticks", "mean_and_band", "seeds_and_mean", "plt"]


class _Pyplot:
    """``matplotlib.pyplot``, imported when a figure first draws: a build that finds every figure cached lists the
    figures (importing these modules) without paying for matplotlib's import, about 0.8 s."""

    def __getattr__(self, name):
        import matplotlib.pyplot

        return getattr(matplotlib.pyplot, name)


#: What the figure modules draw with: ``plt.subplots(...)`` as usual.
plt = _Pyplot()


def draw_grid(ax, values, title, highlight=None, cmap="Blues", fmt="{:g}", vmin=None, vmax=None, fontsize=9):
    """Draw a small matrix with its numbers written in the cells (at ``fontsize`` points: 9, the book's smallest,
    fits a cell of about 0.3 inch)."""
    values = np.asarray(values, dtype=float)
    image = ax.imshow(values, cmap=cmap, vmin=vmin, vmax=vmax)
    for (i, j), v in np.ndenumerate(values):
        red, green, blue, _ = image.cmap(image.norm(v))
        dark = 0.299 * red + 0.587 * green + 0.114 * blue < 0.5  # the cell's own lightness, for any colour map
        ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=fontsize, color="white" if dark else "black")
    # no major ticks: where one fell on a cell border, matplotlib would drop that border's minor tick and its line
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xticks(np.arange(values.shape[1] + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(values.shape[0] + 1) - 0.5, minor=True)
    # unclipped: the outer borders sit on the axes' edge, where clipping would cut them to half the inner lines' width
    ax.grid(which="minor", color="#555555", linewidth=0.6, clip_on=False)
    ax.tick_params(which="both", bottom=False, left=False, labelbottom=False, labelleft=False)
    for side in ax.spines.values():
        side.set_visible(False)
    ax.set_title(title)
    if highlight is not None:
        (top, left), (h, w), color = highlight
        ax.add_patch(plt.Rectangle((left - 0.5, top - 0.5), w, h, fill=False, edgecolor=color, linewidth=2.5))


def draw_image(ax, values, title, signed=False):
    """Show a photograph in grey, or a signed map in red (positive) and blue (negative) around zero."""
    values = to_numpy(values)
    if signed:
        limit = float(np.abs(values).max()) or 1.0
        ax.imshow(values, cmap=DIVERGING, vmin=-limit, vmax=limit)
    else:
        ax.imshow(values, cmap="gray", vmin=0, vmax=1)
    ax.set_title(title)
    ax.set_axis_off()


def log_ticks(axis, ticks):
    """A log-scaled ``axis`` (``ax.yaxis``) labelled at ``ticks`` only, as plain numbers (``0.3``, not ``3e-1``)."""
    from matplotlib.ticker import FixedLocator, NullFormatter, StrMethodFormatter

    axis.set_major_locator(FixedLocator(ticks))
    axis.set_major_formatter(StrMethodFormatter("{x:g}"))
    axis.set_minor_formatter(NullFormatter())


def mean_and_band(ax, x, seeds, colour, **line):
    """One run per row of ``seeds`` (at ``x``): their mean as a line, and a band from the lowest to the highest."""
    seeds = np.asarray(seeds, dtype=float)
    ax.plot(x, seeds.mean(axis=0), color=colour, **line)
    ax.fill_between(x, seeds.min(axis=0), seeds.max(axis=0), color=colour, alpha=0.15, linewidth=0)


def seeds_and_mean(ax, row, values, colour):
    """Each seed's value as a dot on ``row``, and their mean as a tick (not a bar from an axis that may not start
    at zero)."""
    values = np.asarray(values, dtype=float)
    ax.plot([values.mean()], [row], "|", color=colour, ms=16, mew=2)
    ax.plot(values, np.full(len(values), row), "o", color=colour, ms=4)
