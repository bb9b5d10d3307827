"""Where arrays live: NumPy everywhere, CuPy when an NVIDIA GPU really works.

This is the only module of ``cnnbook`` that imports CuPy. Every numerical
function takes its array library from its inputs with :func:`get_xp`, so the
same code runs on both. The environment variable ``CNNBOOK_BACKEND`` chooses
only where *new* arrays are created (data loading, experiments):

``auto`` (the default)
    CuPy when a GPU really works (CuPy imports, at least one device is
    visible, and one tiny kernel compiles and runs), NumPy otherwise, silently.
``numpy``
    always NumPy.
``cupy``
    CuPy, or a :class:`RuntimeError` that says why the GPU cannot be used.
"""

from __future__ import annotations

import functools
import importlib
import os
import sys

import numpy as np

__all__ = [
    "BACKENDS",
    "backend_name",
    "default_xp",
    "get_xp",
    "gpu_available",
    "gpu_status",
    "is_cupy_array",
    "to_device",
    "to_numpy",
]

BACKENDS = ("auto", "numpy", "cupy")
ENV_VAR = "CNNBOOK_BACKEND"


@functools.cache
def _probe_cupy():
    """Try CuPy once; return ``(module or None, reason)``.

    Any failure at all (no package, no driver, no device, no NVRTC) is caught:
    a machine without a GPU must never crash here.
    """
    try:
        cupy = importlib.import_module("cupy")
    except Exception as exc:  # ImportError, or a broken CUDA install raising anything
        return None, f"CuPy cannot be imported ({type(exc).__name__}: {exc})"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
        if count < 1:
            return None, "CuPy sees no CUDA device"
        probe = cupy.arange(4, dtype=cupy.float32) * 2  # compiles an elementwise kernel
        if float(probe.sum()) != 12.0:
            return None, "CuPy's test kernel returned a wrong result"
    except Exception as exc:  # CUDARuntimeError, CompileException, ...
        return None, f"CuPy is installed but CUDA is not usable ({type(exc).__name__}: {exc})"
    return cupy, "ok"


def gpu_status():
    """Return ``(available, reason)`` for the CuPy GPU probe.

    Examples
    --------
    >>> available, reason = gpu_status()
    >>> isinstance(available, bool) and isinstance(reason, str)
    True
    """
    module, reason = _probe_cupy()
    return module is not None, reason


def gpu_available():
    """True when CuPy imports, sees a device and runs a kernel.

    Examples
    --------
    >>> gpu_available() in (True, False)
    True
    """
    return gpu_status()[0]


def backend_name():
    """The backend new arrays are created on: ``"numpy"`` or ``"cupy"``.

    Reads ``CNNBOOK_BACKEND`` (``auto``, ``numpy`` or ``cupy``; default
    ``auto``).

    Examples
    --------
    >>> import os
    >>> os.environ["CNNBOOK_BACKEND"] = "numpy"
    >>> backend_name()
    'numpy'
    >>> del os.environ["CNNBOOK_BACKEND"]
    """
    choice = os.environ.get(ENV_VAR, "auto").strip().lower() or "auto"
    if choice not in BACKENDS:
        raise ValueError(f"{ENV_VAR} must be one of {', '.join(BACKENDS)}; got {choice!r}")
    if choice == "numpy":
        return "numpy"
    available, reason = gpu_status()
    if choice == "cupy" and not available:
        raise RuntimeError(f"{ENV_VAR}=cupy but no working GPU: {reason}")
    return "cupy" if available else "numpy"


def default_xp():
    """The array module (``numpy`` or ``cupy``) that :func:`backend_name` selects.

    Examples
    --------
    >>> import os
    >>> os.environ["CNNBOOK_BACKEND"] = "numpy"
    >>> default_xp().__name__
    'numpy'
    >>> del os.environ["CNNBOOK_BACKEND"]
    """
    return _probe_cupy()[0] if backend_name() == "cupy" else np


def is_cupy_array(x):
    """True if ``x`` is a CuPy array (checked without importing CuPy).

    Examples
    --------
    >>> is_cupy_array(np.zeros(3))
    False
    """
    return type(x).__module__.split(".")[0] == "cupy"


def get_xp(*arrays):
    """The array module of the inputs: ``cupy`` if any input is a CuPy array, else ``numpy``.

    Non-array inputs (Python numbers, lists, ``None``) are ignored. NumPy and
    CuPy arrays together are refused with a ``TypeError``: a silent copy
    between host and device would hide a slow bug.

    Examples
    --------
    >>> get_xp(np.ones(2), 3.0).__name__
    'numpy'
    >>> get_xp().__name__
    'numpy'
    """
    on_gpu = [is_cupy_array(x) for x in arrays]
    if any(on_gpu):
        if not all(on or not isinstance(x, np.ndarray) for on, x in zip(on_gpu, arrays)):
            kinds = ", ".join("cupy" if on else type(x).__name__ for on, x in zip(on_gpu, arrays) if x is not None)
            raise TypeError(f"NumPy and CuPy arrays mixed in one call ({kinds}): move them to one device "
                            "first with cnnbook.to_device(x, 'numpy') or cnnbook.to_device(x, 'cupy')")
        return sys.modules["cupy"]
    return np


def to_numpy(x):
    """Copy ``x`` to a NumPy array (from CuPy, a list, a scalar, or NumPy itself).

    Examples
    --------
    >>> to_numpy([1, 2, 3])
    array([1, 2, 3])
    """
    if is_cupy_array(x):
        return x.get()
    return np.asarray(x)


def to_device(x, backend=None):
    """Move ``x`` to ``backend`` (``"numpy"``, ``"cupy"``, or ``None`` for :func:`backend_name`).

    Examples
    --------
    >>> to_device([1.5, 2.5], "numpy")
    array([1.5, 2.5])
    """
    target = backend_name() if backend is None else backend
    if target not in ("numpy", "cupy"):
        raise ValueError(f"to_device: backend must be 'numpy', 'cupy' or None; got {backend!r}")
    if target == "numpy":
        return to_numpy(x)
    cupy, reason = _probe_cupy()
    if cupy is None:
        raise RuntimeError(f"to_device: cannot move to cupy: {reason}")
    return cupy.asarray(x)
