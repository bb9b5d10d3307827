"""Comparisons between measurements, checked when the book is built (every chapter).

A sentence such as "fine-tuning beats feature extraction with 300 labels" is a
*claim*: the page writes ``{{ claim("ch09.all_beats_features_300") }}`` beside it,
and the build evaluates the claim on the cached results every time the page is
built. A claim that the run contradicts raises :class:`ClaimError`, which fails
the build and names the claim; a claim that holds returns the words that show
its evidence (or the words the run chose, where the honest wording depends on
the run).

**The rule for a difference, used everywhere in the book.** Two quantities
measured with the same seeds (seed *i* draws the same data subset, initial
weights and batch order for both) differ only when their paired difference
has the same sign *in every seed*, with at least :data:`MIN_SEEDS` seeds.
Otherwise the two are *within the run-to-run spread* of each other and the book
says so, whatever their means are. Measurements that cannot be paired (timings
of two functions, repeats of one benchmark) differ only when their ranges do
not overlap. The rule is strict on purpose: with three seeds a difference of
the same sign in all three happens by chance with probability 1/4 when there
is no difference at all (1/16 with five), so the book also reports the mean
difference and the seeds behind it, and it never reads meaning into a
comparison that fails the rule.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["MIN_SEEDS", "ClaimError", "Comparison", "compare", "expect", "points"]

#: The fewest seeds behind a measured comparison.
MIN_SEEDS = 3


class ClaimError(AssertionError):
    """A claim of the text that the measurements do not support."""


def expect(condition, message):
    """Raise :class:`ClaimError` with ``message`` unless ``condition`` holds.

    For claims about exact quantities (counts, shapes, ratios of formulas),
    where there is no noise to weigh.

    Examples
    --------
    >>> expect(3 * 3 < 5 * 5, "a 3×3 kernel has fewer weights than a 5×5 one")
    >>> expect(2 > 3, "two is more than three")
    Traceback (most recent call last):
    ...
    cnnbook.claims.ClaimError: two is more than three
    """
    if not condition:
        raise ClaimError(message)


def points(value, digits=1):
    """A fraction as percentage points for prose: ``0.0213`` -> ``'2.1 points'``.

    Examples
    --------
    >>> points(0.0213), points(-0.005, 2)
    ('2.1 points', '0.50 points')
    """
    return f"{abs(100 * value):.{digits}f} points"


def _values(values, name):
    array = np.asarray(values, dtype=float).reshape(-1)
    if array.size == 0 or not np.all(np.isfinite(array)):
        raise ValueError(f"compare: {name} must be a non-empty sequence of finite numbers; got {values!r}")
    return array


@dataclass(frozen=True)
class Comparison:
    """Measurements ``a`` and ``b`` (one value per seed or repeat) and what the rule says of them.

    ``verdict`` is ``"above"`` when ``a`` is larger beyond the spread,
    ``"below"`` when smaller, and ``"within"`` otherwise.
    """

    a: tuple
    b: tuple
    paired: bool
    unit: str = "points"
    over: str = ""

    @property
    def difference(self):
        """Mean of ``a`` minus mean of ``b``."""
        return float(np.mean(self.a) - np.mean(self.b))

    @property
    def verdict(self):
        a, b = np.asarray(self.a), np.asarray(self.b)
        if self.paired:
            d = a - b
            if np.all(d > 0):
                return "above"
            if np.all(d < 0):
                return "below"
            return "within"
        if a.min() > b.max():
            return "above"
        if a.max() < b.min():
            return "below"
        return "within"

    @property
    def count(self):
        """How many seeds (paired), or ``"m and n"`` repeats (unpaired) stand behind the comparison."""
        if self.paired or len(self.a) == len(self.b):
            return len(self.a)
        return f"{len(self.a)} and {len(self.b)}"

    def _size(self):
        if self.unit == "points":
            return points(self.difference, 2 if abs(self.difference) < 0.0005 else 1)
        if self.unit == "times":
            ratio = np.mean(self.a) / np.mean(self.b)
            return f"a factor of {ratio:.2g}" if ratio < 10 else f"a factor of {ratio:,.0f}"
        return f"{abs(self.difference):.3g}{self.unit}"

    def evidence(self):
        """The measured difference and what stands behind it, in words.

        Examples
        --------
        >>> compare([0.9, 0.8, 0.85], [0.7, 0.75, 0.7]).evidence()
        'by 13.3 points on average, in each of 3 seeds'
        >>> compare([0.9, 0.7, 0.85], [0.7, 0.75, 0.7]).evidence()
        'the means differ by 10.0 points, but not in the same direction in all 3 seeds'
        """
        kind = self.over or ("seeds" if self.paired else "repeats")
        if self.verdict == "within":
            if self.paired:
                return (f"the means differ by {self._size()}, but not in the same direction in all {self.count} "
                        f"{kind}")
            return f"the means differ by {self._size()}, but the ranges of {self.count} {kind} overlap"
        if self.paired:
            return f"by {self._size()} on average, in each of {self.count} {kind}"
        return f"by {self._size()} on average, with no overlap between their ranges over {self.count} {kind}"

    def says(self, above="is above", below="is below", within="is within the run-to-run spread of"):
        """The run's own wording of the comparison, chosen by the rule.

        Examples
        --------
        >>> compare([0.9, 0.8, 0.85], [0.7, 0.75, 0.7]).says()
        'is above'
        >>> compare([0.9, 0.7, 0.85], [0.7, 0.75, 0.7]).says()
        'is within the run-to-run spread of'
        """
        return {"above": above, "below": below, "within": within}[self.verdict]

    def expect(self, verdict, claim):
        """Raise :class:`ClaimError` naming ``claim`` unless the rule gives ``verdict``; return the evidence.

        Examples
        --------
        >>> compare([3, 4, 5], [1, 2, 3], unit=" ms").expect("above", "more is more")
        'by 2 ms on average, in each of 3 seeds'
        >>> compare([3, 1, 5], [1, 2, 3], unit=" ms").expect("above", "more is more")
        Traceback (most recent call last):
        ...
        cnnbook.claims.ClaimError: more is more: expected 'above', measured 'within' (the means differ by 1 ms, but not in the same direction in all 3 seeds; a = [3, 1, 5], b = [1, 2, 3])
        """
        if verdict not in ("above", "below", "within"):
            raise ValueError(f"Comparison.expect: verdict must be 'above', 'below' or 'within'; got {verdict!r}")
        if self.verdict != verdict:
            shown = lambda values: "[" + ", ".join(f"{v:.4g}" for v in values) + "]"  # noqa: E731
            raise ClaimError(f"{claim}: expected {verdict!r}, measured {self.verdict!r} ({self.evidence()}; "
                             f"a = {shown(self.a)}, b = {shown(self.b)})")
        return self.evidence()


def compare(a, b, paired=True, unit="points", over=""):
    """Compare measurements ``a`` and ``b`` by the book's rule (see the module's docstring).

    Parameters
    ----------
    a, b : sequence of float
        One value per seed (``paired=True``: ``a[i]`` and ``b[i]`` share seed
        ``i``) or per repeat (``paired=False``). At least :data:`MIN_SEEDS` each.
    unit : str
        How :meth:`Comparison.evidence` states the difference: ``"points"``
        (fractions as percentage points), ``"times"`` (ratio of the means), or
        a suffix such as ``" ms"``.
    over : str
        What the pairs or repeats are, in the evidence's words: ``"seeds"``
        (paired, the default), ``"repeats"`` (unpaired, the default), or for
        example ``"photographs"`` when each pair is one image.

    Examples
    --------
    >>> compare([0.91, 0.93, 0.92], [0.90, 0.91, 0.93]).verdict
    'within'
    >>> compare([0.91, 0.93, 0.94], [0.90, 0.91, 0.93]).verdict
    'above'
    >>> compare([2.0, 2.1, 2.2], [1.0, 1.1, 1.2], paired=False, unit="times").evidence()
    'by a factor of 1.9 on average, with no overlap between their ranges over 3 repeats'
    >>> compare([0.3, 0.2, 0.4], [0.1, 0.1, 0.2], over="photographs").evidence()
    'by 16.7 points on average, in each of 3 photographs'
    >>> compare([150, 160, 170, 150], [1.0, 1.1, 1.2], paired=False, unit="times").evidence()
    'by a factor of 143 on average, with no overlap between their ranges over 4 and 3 repeats'
    >>> compare([1, 2], [0, 1])
    Traceback (most recent call last):
    ...
    ValueError: compare: a and b need at least 3 seeds or repeats each; got 2 and 2
    """
    a, b = _values(a, "a"), _values(b, "b")
    if min(a.size, b.size) < MIN_SEEDS:
        raise ValueError(f"compare: a and b need at least {MIN_SEEDS} seeds or repeats each; got {a.size} and {b.size}")
    if paired and a.size != b.size:
        raise ValueError(f"compare: paired measurements need one value per seed on both sides; got {a.size} and {b.size}")
    return Comparison(tuple(a.tolist()), tuple(b.tolist()), bool(paired), unit, str(over))
