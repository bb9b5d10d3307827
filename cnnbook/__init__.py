"""cnnbook: the executable book on convolutional neural networks, as a library.

NumPy everywhere, CuPy on an NVIDIA GPU (see :mod:`cnnbook.backend`).

>>> import cnnbook
>>> cnnbook.shapes.conv_output_size(32, kernel_size=5)
28
"""

from cnnbook import (
    backend,
    data,
    functional,
    kernels,
    matrices,
    models,
    nn,
    ops,
    optim,
    padding,
    pooling,
    reference,
    shapes,
    spectral,
    train,
    transforms,
)
from cnnbook.backend import get_xp, gpu_available, to_device, to_numpy

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "backend",
    "data",
    "functional",
    "get_xp",
    "gpu_available",
    "kernels",
    "matrices",
    "models",
    "nn",
    "ops",
    "optim",
    "padding",
    "pooling",
    "reference",
    "shapes",
    "spectral",
    "to_device",
    "to_numpy",
    "train",
    "transforms",
]
