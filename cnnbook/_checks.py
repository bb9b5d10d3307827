"""Argument checks shared by the public functions.

Every message names the function, the argument and the form it expects, so a
reader who passes something odd learns what to pass instead of reading a
traceback from deep inside NumPy.
"""

from __future__ import annotations

import numbers

import numpy as np


def check_int(value, name, where, minimum=None):
    """Return ``value`` as an ``int`` or raise naming ``where`` and ``name``."""
    if type(value) is int and (minimum is None or value >= minimum):  # the common case, checked cheaply
        return value
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{where}: {name} must be an int; got {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{where}: {name} must be an int >= {minimum}; got {value}")
    return value


def check_pair(value, name, where, minimum=None):
    """Return ``(a, b)`` from an int or a pair of ints (height, width)."""
    if type(value) is int and (minimum is None or value >= minimum):
        return value, value
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{where}: {name} must be an int or a pair (height, width); got {value!r}")
        return tuple(check_int(v, name, where, minimum) for v in value)
    v = check_int(value, name, where, minimum)
    return v, v


def check_array(x, name, where, ndim=None):
    """Check that ``x`` is an array (with ``ndim`` dimensions, if given) of real numbers."""
    if not hasattr(x, "shape") or not hasattr(x, "dtype"):
        raise TypeError(f"{where}: {name} must be an array (NumPy or CuPy); got {type(x).__name__}")
    if ndim is not None and x.ndim != ndim:
        raise ValueError(f"{where}: {name} must have {ndim} dimensions; got shape {tuple(x.shape)}")
    if x.dtype.kind not in "biuf":
        raise TypeError(f"{where}: {name} must hold real numbers; got dtype {x.dtype}")
    return x


def float_dtype(*arrays):
    """Common floating dtype: float32 stays float32, integers become float64."""
    dtype = np.result_type(*[a.dtype for a in arrays])
    return dtype if dtype.kind == "f" else np.dtype(np.float64)


def as_generator(rng):
    """NumPy's generator for ``rng``: a Generator as it is, else a new one seeded with ``rng`` (None: fresh entropy).

    Random numbers are always drawn by NumPy, whatever the array backend, so a seed gives the same values
    everywhere.
    """
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
