"""What chapter 3's figures, facts and exercises share: its examples and the computations behind them."""

from __future__ import annotations

import json

import numpy as np

from cnnbook import cache, data, functional, kernels, transforms

#: AlexNet's first pooling layer (Krizhevsky et al., 2012): side of its input maps, window, stride.
ALEXNET_SIDE, ALEXNET_WINDOW, ALEXNET_STRIDE = 55, 3, 2
#: The feature bank every shift measurement starts from: edge detectors, then ReLU.
BANK = ("sobel x", "sobel y", "edge")
#: Diagonal shifts of the input, in pixels.
SHIFTS = tuple(range(0, 9))
#: Input pixels kept away from the borders when measuring (more than the largest shift).
MARGIN = 16
#: Side of the square centre crop of each photograph (after resizing its shorter side to it).
SIDE = 128
#: The photographs measured: all that scikit-image ships.
PHOTOS = data.PHOTOS
#: The wide pooling window (and stride) of the measurement, of the "where" example and of Figure 3.2.
WIDE = 4
MAX4, AVG4 = f"conv → max pool {WIDE}×{WIDE}", f"conv → average pool {WIDE}×{WIDE}"
BLUR4 = f"conv → blurred max pool {WIDE}×{WIDE}"
MAX2, STRIDED, GAP = "conv → max pool 2×2", f"conv with stride {WIDE}", "conv → global average pool"


def feature_bank():
    """The bank as a conv2d weight, shape (3, 1, 3, 3)."""
    return np.stack([kernels.kernel(name) for name in BANK])[:, None]


def photo_crop(name):
    """Photograph ``name`` as a (1, 1, SIDE, SIDE) batch: shorter side resized to SIDE, centre cropped."""
    image = data.photo(name, size=SIDE, backend="numpy")
    top, left = (image.shape[0] - SIDE) // 2, (image.shape[1] - SIDE) // 2
    return np.ascontiguousarray(image[top:top + SIDE, left:left + SIDE])[None, None]


#: The blur before the stride-4 subsampling: the binomial filter [1, 3, 3, 1] in each direction (sums to 1),
#: one of the binomial filters Zhang (2019) tries (his networks subsample by 2).
_BLUR = np.outer([1.0, 3.0, 3.0, 1.0], [1.0, 3.0, 3.0, 1.0]) / 64.0


def endings():
    """The layers compared: ``{label: (function, output stride)}``.

    Each function takes the image batch ``x`` (N, 1, H, W) and its feature maps ``f`` (the bank with
    padding 1, then ReLU: "conv") and returns the ending's output. The output stride says how many input
    pixels one output cell stands for (``None``: no positions left).
    """
    bank = feature_bank()
    blur = np.repeat(_BLUR[None, None], len(BANK), axis=0)

    def blurred_max(f):  # Zhang (2019): the maximum over every window (stride 1), then blur and subsample
        return functional.conv2d(functional.max_pool2d(f, WIDE, stride=1), blur, stride=WIDE, groups=len(BANK))

    return {
        "conv": (lambda x, f: f, 1),
        MAX2: (lambda x, f: functional.max_pool2d(f, 2), 2),
        MAX4: (lambda x, f: functional.max_pool2d(f, WIDE), WIDE),
        AVG4: (lambda x, f: functional.avg_pool2d(f, WIDE), WIDE),
        BLUR4: (lambda x, f: blurred_max(f), WIDE),
        STRIDED: (lambda x, f: functional.relu(functional.conv2d(x, bank, stride=WIDE, padding=1)), WIDE),
        GAP: (lambda x, f: f[..., MARGIN:-MARGIN, MARGIN:-MARGIN].mean(axis=(-2, -1), keepdims=True), None),
    }


def shift_changes(x):
    """How much each ending's output changes when ``x`` (1, 1, H, W) shifts diagonally by each of SHIFTS.

    Each ending runs once on the whole batch of shifted photographs (zeros fill in), and
    :func:`cnnbook.transforms.shift_changes` compares its outputs away from the borders (MARGIN input pixels).

    Returns
    -------
    dict
        ``{label: {"changed": [one per shift], "realigned": [one per shift]}}``: zero means invariant
        (``changed``) or equivariant (``realigned``).
    """
    batch = np.concatenate([transforms.translate(x, t, t) for t in SHIFTS])
    features = functional.relu(functional.conv2d(batch, feature_bank(), padding=1))
    result = {}
    for label, (f, stride) in endings().items():
        changed, realigned = transforms.shift_changes(f(batch, features), SHIFTS, stride, MARGIN)
        result[label] = {"changed": changed, "realigned": realigned}
    return result


def _measure():
    per_photo = {name: shift_changes(photo_crop(name)) for name in PHOTOS}
    labels = list(endings())
    return {"shifts": list(SHIFTS), "photos": list(PHOTOS),
            "endings": {label: {kind: [per_photo[name][label][kind] for name in PHOTOS]
                                for kind in ("changed", "realigned")} for label in labels},
            "avg_over_max": [pooled_brightness(photo_crop(name)) for name in PHOTOS]}


def shift_measurement():
    """The measurement of section 3.3 on every photograph, computed once per version of the package.

    Returns
    -------
    dict
        ``{"shifts", "photos", "endings": {label: {"changed": [[per shift] per photo], "realigned": ...}},
        "avg_over_max": [per photo]}`` (the last: :func:`pooled_brightness`).
    """
    stored, _ = cache.cached_bytes("fact", "ch03.shift_measurement", {}, lambda: json.dumps(_measure()).encode(),
                                   ".json", module=__name__)
    return json.loads(stored)


def pooled_brightness(x):
    """Mean of the WIDE×WIDE average-pooled vertical-edge map of ``x`` over the mean of the max-pooled one."""
    edges = functional.relu(functional.conv2d(x, feature_bank()[:1], padding=1))
    return float(functional.avg_pool2d(edges, WIDE).mean() / functional.max_pool2d(edges, WIDE).mean())


#: Heads compared: (network, channels, side of the last feature map, outputs of the first dense layer).
HEADS = (("ResNet-18, 1,000 classes", 512, 7, 1000), ("VGG-16, first dense layer", 512, 7, 4096),
         ("a small CNN, 10 classes", 64, 7, 10))
RESNET_HEAD, VGG_HEAD = HEADS[0], HEADS[1]
#: Side of the map on which a single feature is placed everywhere.
WHERE_SIDE = 16
#: The blob of the "where" figure and the column it moves to, inside the same WIDE×WIDE window.
WHERE_BLOB, WHERE_MOVED_COL = (5, 5), 6


def blob(row, col, n=WHERE_SIDE, blur=True):
    """A bright dot at (row, col) on a dark n×n image, blurred by a 3×3 Gaussian unless ``blur`` is False."""
    image = np.zeros((1, 1, n, n))
    image[0, 0, row, col] = 1.0
    if not blur:
        return image
    return functional.conv2d(image, kernels.kernel("gaussian blur")[None, None], padding=1)
