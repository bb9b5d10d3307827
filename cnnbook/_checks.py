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


def in_float32_if_half(func):
    """Run ``func`` on float32 copies of its float16 array arguments and give the result back in float16.

    A float16 sum overflows past 65,504 and rounds away everything below a thousandth of it: a softmax over
    70,000 classes would sum to infinity and return zeros. Reductions (softmax, cross-entropy, batch-norm
    statistics, average pooling) therefore accumulate in float32, as PyTorch does for half precision; the
    result has the input's dtype. Arrays of other dtypes pass through untouched.
    """
    import functools

    def half(value):
        return getattr(value, "dtype", None) == np.float16

    def back(value):
        if isinstance(value, tuple):
            return tuple(back(v) for v in value)
        return value.astype(np.float16) if getattr(value, "dtype", None) == np.float32 else value

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        values = list(args) + list(kwargs.values())
        floats = [v.dtype for v in values if getattr(getattr(v, "dtype", None), "kind", None) == "f"]
        if not floats or np.result_type(*floats) != np.float16:  # no float16, or mixed with wider floats
            return func(*args, **kwargs)
        args = [a.astype(np.float32) if half(a) else a for a in args]
        kwargs = {k: v.astype(np.float32) if half(v) else v for k, v in kwargs.items()}
        return back(func(*args, **kwargs))

    return wrapper


def as_generator(rng):
    """NumPy's generator for ``rng``: a Generator as it is, else a new one seeded with ``rng`` (None: fresh entropy).

    Random numbers are always drawn by NumPy, whatever the array backend, so a seed gives the same values
    everywhere.
    """
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
