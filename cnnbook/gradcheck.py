"""Checking gradients by finite differences (chapter 5).

A backward pass is easy to get subtly wrong, and the forward pass gives an
independent way to check it: nudge one input by ``±eps``, see how the loss
moves, and compare with what the backward pass claims.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["numerical_gradient", "relative_error"]


def numerical_gradient(f, x, eps=1e-6):
    """Central differences of the scalar function ``f()`` with respect to every entry of ``x``.

    ``x`` is changed in place, one entry at a time, and restored; ``f`` reads it.
    The error of the central difference is of order ``eps**2`` (the Taylor terms
    of even order cancel), plus rounding of order ``precision / eps``, which is
    why the check runs in float64.

    Parameters
    ----------
    f : callable
        No arguments; returns the loss as a number.
    x : NumPy array of float64
        The input that ``f`` depends on.
    eps : float
        The nudge.

    Examples
    --------
    >>> x = np.array([1.0, 2.0, 3.0])
    >>> numerical_gradient(lambda: float(np.sum(x ** 2)), x).round(6)
    array([2., 4., 6.])
    """
    where = "numerical_gradient"
    if not callable(f):
        raise TypeError(f"{where}: f must be a function of no arguments returning the loss; got {f!r}")
    if not isinstance(x, np.ndarray) or x.dtype.kind != "f":
        raise TypeError(f"{where}: x must be a NumPy array of floats (changed in place); got "
                        f"{type(x).__name__}" + (f" of dtype {x.dtype}" if hasattr(x, "dtype") else ""))
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not eps > 0:
        raise ValueError(f"{where}: eps must be a positive number; got {eps!r}")
    grad = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        old = x[index]
        x[index] = old + eps
        up = f()
        x[index] = old - eps
        down = f()
        x[index] = old
        grad[index] = (up - down) / (2 * eps)
    return grad


def relative_error(analytic, numeric):
    """``||analytic - numeric|| / (||analytic|| + ||numeric||)``: 0 when equal, 1 when opposite.

    Dividing by both norms makes the measure independent of the gradient's scale
    and safe when one of them is zero.

    Examples
    --------
    >>> relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.0]))
    0.0
    >>> round(relative_error(np.array([1.0, 0.0]), np.array([0.0, 1.0])), 4)   # unrelated: orthogonal
    0.7071
    >>> relative_error(np.array([1.0, 2.0]), np.array([-1.0, -2.0]))
    1.0
    """
    a, n = np.asarray(analytic, dtype=float), np.asarray(numeric, dtype=float)
    if a.shape != n.shape:
        raise ValueError(f"relative_error: analytic {a.shape} and numeric {n.shape} must have the same shape")
    scale = np.linalg.norm(a) + np.linalg.norm(n)
    return float(np.linalg.norm(a - n) / scale) if scale else 0.0
