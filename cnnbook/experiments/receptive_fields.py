"""Chapter 6's effective receptive fields, measured with the backward pass on photographs, over several seeds.

A seed draws a stack's random weights and the photographs its gradient is averaged over; the result is plain
JSON that chapter 6's figures and claims read (:func:`effective_fields`).
"""

from __future__ import annotations

import numpy as np

from cnnbook import functional, shapes
from cnnbook.data import PHOTOS, photo
from cnnbook.experiments import experiment

ERF_DEPTH = 8
#: The dilated stack's schedule: each dilation twice, doubling, starting dense.
ERF_DILATIONS = (1, 1, 2, 2, 4, 4, 8, 8)
_CONV3 = ("conv", 3, 1, 1, 1)
_POOL2 = ("pool", 2, 2, 0, 1)
#: Effective receptive fields compared: key → (title, weights, layers); a layer is (kind, kernel_size, stride,
#: padding, dilation). "uniform" weights are all equal and the stack is linear; "random" ones are He-initialised,
#: with a ReLU after every convolution.
ERF_STACKS = {
    "uniform": (f"{ERF_DEPTH} convs, uniform weights, no ReLU", "uniform", [_CONV3] * ERF_DEPTH),
    "random": (f"{ERF_DEPTH} convs + ReLU, random weights", "random", [_CONV3] * ERF_DEPTH),
    "pooled": ("the same with two 2×2 max pools", "random",
               [_CONV3] * 2 + [_POOL2] + [_CONV3] * 2 + [_POOL2] + [_CONV3] * (ERF_DEPTH - 4)),
    "dilated": (f"{ERF_DEPTH} convs + ReLU, dilation " + ", ".join(map(str, ERF_DILATIONS)), "random",
                [("conv", 3, 1, d, d) for d in ERF_DILATIONS]),
}
#: Side of the square crops the gradient is measured on, and channels of every convolution.
ERF_SIZE, ERF_CHANNELS = 80, 8
#: Seed i draws the random weights and the photographs it averages over: the spread over seeds covers both.
ERF_SEEDS = (0, 1, 2, 3, 4)
ERF_PHOTOS = 4
#: The effective field is the smallest centred square holding this fraction of the gradient's mass.
ERF_MASS = 0.95
#: Depths at which one deep stack of 3×3 convolutions + ReLU is measured (figure "ch06.erf_growth").
ERF_DEPTHS = (2, 4, 8, 16, 32)


def erf_photos(seed):
    """The photographs seed ``seed`` averages over: :data:`ERF_PHOTOS` of :data:`PHOTOS`, drawn without replacement.

    Examples
    --------
    >>> len(erf_photos(0)) == ERF_PHOTOS and set(erf_photos(0)) <= set(PHOTOS)
    True
    """
    rng = np.random.default_rng([seed, 1])  # a stream of its own, apart from the weights'
    return tuple(PHOTOS[i] for i in sorted(rng.choice(len(PHOTOS), ERF_PHOTOS, replace=False)))


def _erf_inputs(names, size=ERF_SIZE):
    """Grey square crops of the named photographs, as a batch (N, 1, size, size)."""
    return np.stack([photo(name, size=size, backend="numpy")[None, :size, :size] for name in names])


def erf_forward(weights, layers, x, rng, channels=ERF_CHANNELS):
    """Run a stack of :data:`ERF_STACKS` forward on ``x`` (N, 1, H, W); return what each backward step needs.

    Convolutions have ``channels`` outputs; ``"random"`` weights are drawn from ``rng`` (He initialisation)
    and followed by a ReLU, ``"uniform"`` ones are all ``1 / fan_in`` with no nonlinearity.
    """
    saved, a, c_in = [], x, x.shape[1]
    for kind, k, s, p, d in layers:
        if kind == "pool":
            out = functional.max_pool2d(a, k, s)
            saved.append(("pool", a, k, out.shape))
        else:
            if weights == "uniform":
                w = np.full((channels, c_in, k, k), 1.0 / (k * k * c_in))
            else:
                w = rng.standard_normal((channels, c_in, k, k)) * np.sqrt(2.0 / (k * k * c_in))
            z = functional.conv2d(a, w, stride=s, padding=p, dilation=d)
            out = functional.relu(z) if weights == "random" else z
            saved.append(("conv", a, w, s, p, d, z, out.shape))
            c_in = channels
        a = out
    return saved


def erf_input_gradient(saved, weights, depth):
    """|∂(centre unit of layer ``depth``, summed over channels)/∂x| for each image, shape (N, H, W).

    The backward pass of chapter 5, started from a gradient of 1 at the centre of layer ``depth``'s
    output (counting layers from 1), in every channel, and 0 everywhere else. Only the input half of each
    convolution's backward pass is needed: for stride 1 it is the convolution of the gradient with the
    flipped kernel, input and output channels swapped (chapter 5), which is what
    :func:`functional.conv2d_backward` computes too, without the weight gradients that are most of its work.
    """
    g = np.zeros(saved[depth - 1][-1])
    g[:, :, g.shape[2] // 2, g.shape[3] // 2] = 1.0
    for entry in reversed(saved[:depth]):
        if entry[0] == "pool":
            _, inp, k, _ = entry
            g = functional.max_pool2d_backward(g, inp, k)
            continue
        _, inp, w, s, p, d, z, _ = entry
        if weights == "random":
            g = functional.relu_backward(g, z)
        if s != 1 or p > d * (w.shape[-1] - 1):
            raise ValueError(f"erf_input_gradient: convolutions must have stride 1 and padding at most "
                             f"dilation * (kernel_size - 1); got stride {s}, padding {p}")
        flipped = w.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1]
        g = functional.conv2d(g, flipped, padding=d * (w.shape[-1] - 1) - p, dilation=d)
    return np.abs(g[:, 0])


def erf_centre(layers, size=ERF_SIZE):
    """Theoretical field of the centre unit of a stack's last layer on a ``size`` input, and the pixel it is centred on.

    Examples
    --------
    >>> erf_centre(ERF_STACKS["pooled"][2])  # an even field: centred between two pixels
    (ReceptiveField(size=48, jump=4, padding=22), 41.5)
    """
    n = size
    for _, k, s, p, d in layers:
        n = shapes.conv_output_size(n, k, s, p, d)
    field = shapes.receptive_fields([(k, s, p, d) for _, k, s, p, d in layers])[-1]
    return field, field.centre + (n // 2) * field.jump


def mass_width(grad, centre, fraction=ERF_MASS):
    """Width of the smallest square centred on pixel ``centre`` (both axes) that holds ``fraction`` of ``grad``'s mass.

    A square of width ``w`` centred on ``c`` covers pixels ``c - (w - 1)/2`` to ``c + (w - 1)/2``, so ``w`` is
    odd when ``c`` is a pixel and even when ``c`` lies halfway between two.

    Examples
    --------
    >>> g = np.zeros((7, 7)); g[3, 3] = 8; g[3, 4] = 1; g[1, 1] = 1
    >>> mass_width(g, 3, 0.8), mass_width(g, 3, 0.9), mass_width(g, 3, 1.0)
    (1, 3, 5)
    >>> mass_width(np.ones((4, 4)), 1.5, 0.25)
    2
    """
    need = fraction * grad.sum() * (1 - 1e-12)  # rounding must not push a square that holds it all over
    for width in range(1, 2 * max(grad.shape) + 2):
        low = centre - (width - 1) / 2
        if low != np.floor(low):
            continue
        low = int(low)
        if grad[max(low, 0) : low + width, max(low, 0) : low + width].sum() >= need:
            return width
    raise ValueError("mass_width: centre must lie inside grad")


@experiment("ch06.effective_fields", parallel=True)
def effective_fields():
    """Every seed's effective receptive fields for :data:`ERF_STACKS` and for one deep stack.

    Returns
    -------
    dict
        ``seeds``, ``photos`` (those each seed averaged over), ``mass`` (:data:`ERF_MASS`);
        ``stacks``: for each key of :data:`ERF_STACKS` its ``title``, ``theoretical`` field, ``centre``
        (input pixel), ``widths`` (one per seed: the side of the centred square holding ``mass`` of the
        mean |gradient| over that seed's photographs), ``map`` (each seed's map scaled to a total of 1,
        averaged over the seeds, then scaled to a maximum of 1) and ``mean_width`` (the width measured on
        that map); ``growth``: ``depths``, their ``theoretical`` fields and ``widths`` (one list per seed, one
        width per depth) of one deep stack of 3×3 convolutions + ReLU.
    """
    stacks = {key: {"title": title, "widths": [], "maps": []} for key, (title, _, _) in ERF_STACKS.items()}
    deep = [_CONV3] * max(ERF_DEPTHS)
    growth = {"depths": list(ERF_DEPTHS), "theoretical": [], "widths": []}
    for depth in ERF_DEPTHS:
        growth["theoretical"].append(erf_centre(deep[:depth])[0].size)
    for seed in ERF_SEEDS:
        x = _erf_inputs(erf_photos(seed))
        rng = np.random.default_rng(seed)
        for key, (_, weights, layers) in ERF_STACKS.items():
            grad = erf_input_gradient(erf_forward(weights, layers, x, rng), weights, len(layers)).mean(axis=0)
            stacks[key]["widths"].append(mass_width(grad, erf_centre(layers)[1]))
            stacks[key]["maps"].append(grad / grad.sum())
        saved = erf_forward("random", deep, x, rng)  # one deep stack, its gradient taken from every depth
        growth["widths"].append([mass_width(erf_input_gradient(saved, "random", depth).mean(axis=0),
                                            erf_centre(deep[:depth])[1]) for depth in ERF_DEPTHS])
    for key, entry in stacks.items():
        field, centre = erf_centre(ERF_STACKS[key][2])
        mean = np.mean(entry.pop("maps"), axis=0)
        entry.update(theoretical=field.size, centre=centre, mean_width=mass_width(mean, centre),
                     map=np.round(mean / mean.max(), 5).tolist())
    return {"seeds": list(ERF_SEEDS), "photos": [list(erf_photos(seed)) for seed in ERF_SEEDS],
            "mass": ERF_MASS, "stacks": stacks, "growth": growth}
