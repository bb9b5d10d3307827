"""Real images that registry packages ship: nothing is downloaded at run time.

Chapter 1 uses scikit-image's photographs (the wheel carries them). Arrays come
back on the backend chosen by ``CNNBOOK_BACKEND`` (see :mod:`cnnbook.backend`).
"""

from __future__ import annotations

import functools

import numpy as np

from cnnbook._checks import check_int
from cnnbook.backend import to_device

__all__ = ["PHOTOS", "photo"]

#: Photographs inside the scikit-image wheel, by the name of their loader.
PHOTOS = ("chelsea", "astronaut", "camera", "coffee", "coins", "brick", "grass", "gravel")


@functools.lru_cache(maxsize=16)
def _photo_numpy(name, size, gray):
    from skimage import color, data, transform  # heavy import, only when a photo is asked for

    image = getattr(data, name)()
    image = image.astype(np.float64) / (255.0 if image.dtype == np.uint8 else 1.0)
    if image.ndim == 3 and image.shape[2] == 4:
        image = image[..., :3]
    if gray and image.ndim == 3:
        image = color.rgb2gray(image)
    if size is not None:
        h, w = image.shape[:2]
        scale = size / min(h, w)
        shape = (round(h * scale), round(w * scale)) + image.shape[2:]
        image = transform.resize(image, shape, anti_aliasing=True)
    if image.ndim == 3:
        image = np.moveaxis(image, -1, 0)  # channels first: (3, H, W)
    image = np.ascontiguousarray(image)
    image.setflags(write=False)
    return image


def photo(name="chelsea", size=None, gray=True, backend=None):
    """A real photograph as floats in [0, 1].

    Parameters
    ----------
    name : str
        One of :data:`PHOTOS`.
    size : int, optional
        Resize so the shorter side has ``size`` pixels (anti-aliased).
    gray : bool
        Luminance only, shape ``(H, W)``; otherwise ``(3, H, W)`` (RGB, channels first).
    backend : {"numpy", "cupy"}, optional
        Defaults to ``CNNBOOK_BACKEND``.

    Examples
    --------
    >>> cat = photo("chelsea", size=64, backend="numpy")
    >>> cat.shape
    (64, 96)
    >>> 0.0 <= float(cat.min()) and float(cat.max()) <= 1.0
    True
    >>> photo("chelsea", size=32, gray=False, backend="numpy").shape
    (3, 32, 48)
    """
    if name not in PHOTOS:
        raise ValueError(f"photo: name must be one of {', '.join(PHOTOS)}; got {name!r}")
    if size is not None:
        size = check_int(size, "size", "photo", minimum=4)
    image = _photo_numpy(name, size, bool(gray))
    return to_device(image.copy(), backend)
