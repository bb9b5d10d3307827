"""How the book writes a computed number in prose (facts, exercise answers and hints use it alike)."""

from __future__ import annotations

import numbers

__all__ = ["format_value", "join_words"]


def format_value(value, fmt=None):
    """Format a fact for prose: thousands separators for integers, ``fmt`` if given.

    Examples
    --------
    >>> format_value(49168)
    '49,168'
    >>> format_value(40.43421, ".1f")
    '40.4'
    >>> format_value(0.5)
    '0.5'
    """
    if fmt is not None:
        return format(value, fmt)
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return f"{value:.4g}"
    return str(value)


def join_words(items):
    """A list as prose: ``['a', 'b', 'c']`` -> ``'a, b and c'``.

    Examples
    --------
    >>> join_words(["8"]), join_words([8, 32]), join_words(["100", "300", "1,000"])
    ('8', '8 and 32', '100, 300 and 1,000')
    """
    items = [str(item) for item in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
