"""How the book writes a computed number in prose (facts, exercise answers and hints use it alike)."""

from __future__ import annotations

import numbers

__all__ = ["format_value"]


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
