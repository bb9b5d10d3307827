"""Networks described once, as data: layer specifications, their analysis and their instantiation (chapter 8).

A specification is a tree of small frozen records: leaves (:class:`Conv`,
:class:`BN`, :class:`ReLU`, :class:`Pool`, :class:`Linear`, ...) and three
containers: :class:`Seq` (one after another), :class:`Add` (a residual sum)
and :class:`Cat` (parallel branches concatenated along the channels). From the
same tree :func:`summary` computes every layer's output shape, parameters,
multiply-accumulates and receptive field with integer arithmetic only (no
arrays: VGG-16's 138 million weights are counted, never allocated), and
:func:`instantiate` builds the :mod:`cnnbook.nn` modules that train.

>>> spec = Seq(Conv(8, 3, padding=1), ReLU(), Pool("max", 2), Flatten(), Linear(10))
>>> table = summary(spec, (1, 28, 28))
>>> [(row.name, row.output, row.params) for row in table.rows]
[('0', (8, 28, 28), 80), ('1', (8, 28, 28), 0), ('2', (8, 14, 14), 0), ('3', (1568,), 0), ('4', (10,), 15690)]
>>> table.params, table.macs
(15770, 72128)
"""

from __future__ import annotations

import dataclasses
import math

from cnnbook import geometry, nn, shapes
from cnnbook._checks import as_generator

__all__ = ["BN", "Act", "Add", "Cat", "Conv", "Dropout", "Flatten", "GN", "Gate", "GlobalAvgPool", "Identity", "LN", "Linear", "Pool",
           "ReLU", "Row", "Scale", "Seq", "Summary", "instantiate", "receptive_path", "summary"]


@dataclasses.dataclass(frozen=True)
class Conv:
    """A convolution with ``out`` filters of size ``k``; ``groups=0`` means depthwise (one group per input channel).

    ``padding`` is the zeros on each side, or ``"same"`` for TensorFlow's rule (:func:`cnnbook.shapes.same_padding`):
    ``ceil(size / stride)`` outputs, the odd zero after, so the amounts depend on the input's size and are worked
    out where the layer meets it.
    """

    out: int
    k: int
    stride: int = 1
    padding: int | str = 0
    dilation: int = 1
    groups: int = 1
    bias: bool = True

    def pads(self, h, w):
        """``(top, bottom, left, right)`` on an ``h × w`` input.

        >>> Conv(8, 3, stride=2, padding="same").pads(224, 224)
        (0, 1, 0, 1)
        >>> Conv(8, 3, padding=1).pads(5, 5)
        (1, 1, 1, 1)
        """
        if self.padding == "same":
            return (*shapes.same_padding(h, self.k, self.stride, self.dilation),
                    *shapes.same_padding(w, self.k, self.stride, self.dilation))
        if isinstance(self.padding, bool) or not isinstance(self.padding, int) or self.padding < 0:
            raise ValueError(f"padding must be an int >= 0 or 'same'; got {self.padding!r}")
        return (self.padding,) * 4


@dataclasses.dataclass(frozen=True)
class BN:
    """Batch normalization: a scale and a shift per channel (running statistics are buffers, not parameters)."""

    eps: float = 1e-5


@dataclasses.dataclass(frozen=True)
class LN:
    """Layer normalization over the channels at every position (ConvNeXt): a scale and a shift per channel."""

    eps: float = 1e-6


@dataclasses.dataclass(frozen=True)
class GN:
    """Group normalization of each image in ``groups`` groups of channels (one group: layer normalization over the
    channels and positions): a scale and a shift per channel, no running statistics."""

    groups: int
    eps: float = 1e-5


@dataclasses.dataclass(frozen=True)
class Scale:
    """Layer scale: one learnt factor per channel (ConvNeXt multiplies each block's output by it, started at
    ``init``)."""

    init: float = 1e-6


@dataclasses.dataclass(frozen=True)
class ReLU:
    """Rectified linear unit; ``cap=6`` makes it ReLU6, ``min(max(x, 0), 6)`` (MobileNet, EfficientNet-Lite).

    Either way no parameters and no MACs.
    """

    cap: float | None = None


#: The activations :class:`Act` names, and the :mod:`cnnbook.nn` module of each.
ACTIVATIONS = {"silu": "SiLU", "sigmoid": "Sigmoid", "hardswish": "Hardswish", "hardsigmoid": "Hardsigmoid",
               "gelu": "GELU"}


@dataclasses.dataclass(frozen=True)
class Act:
    """An activation with no parameters, by name: ``"silu"`` (swish, ``x · σ(x)``), ``"sigmoid"`` (``σ(x)``), or their
    piecewise-linear stand-ins ``"hardswish"`` and ``"hardsigmoid"`` (MobileNetV3), or ``"gelu"`` (``x · Φ(x)``,
    ConvNeXt)."""

    kind: str


@dataclasses.dataclass(frozen=True)
class Pool:
    """Max or average pooling; ``stride`` defaults to ``k``."""

    kind: str
    k: int
    stride: int | None = None
    padding: int = 0
    ceil_mode: bool = False


@dataclasses.dataclass(frozen=True)
class GlobalAvgPool:
    """Adaptive average pooling to ``size × size`` (1: one number per channel)."""

    size: int = 1


@dataclasses.dataclass(frozen=True)
class Flatten:
    """``(C, H, W)`` → ``(C·H·W,)``."""


@dataclasses.dataclass(frozen=True)
class Dropout:
    """Dropout with probability ``p`` (training only; nothing to count)."""

    p: float = 0.5


@dataclasses.dataclass(frozen=True)
class Linear:
    """A fully connected layer with ``out`` units."""

    out: int
    bias: bool = True


@dataclasses.dataclass(frozen=True)
class Identity:
    """The input unchanged: DenseNet's "keep what came in" branch."""


@dataclasses.dataclass(frozen=True, init=False)
class Seq:
    """Layers one after another; ``name`` labels the block in summaries (``"layer1.0"``)."""

    layers: tuple
    name: str | None

    def __init__(self, *layers, name=None):
        object.__setattr__(self, "layers", tuple(layers))
        object.__setattr__(self, "name", name)


@dataclasses.dataclass(frozen=True)
class Add:
    """``body(x) + shortcut(x)``: a residual connection; ``shortcut=None`` is the identity."""

    body: Seq
    shortcut: Seq | None = None


@dataclasses.dataclass(frozen=True)
class Gate:
    """``x · body(x)``: squeeze-and-excitation (Hu et al. 2018) when ``body`` pools each channel to one number and
    returns one weight per channel, ``(C, 1, 1)``, which scales the whole of that channel."""

    body: Seq


@dataclasses.dataclass(frozen=True, init=False)
class Cat:
    """Parallel branches on one input, concatenated along the channels (Inception's module)."""

    branches: tuple

    def __init__(self, *branches):
        object.__setattr__(self, "branches", tuple(branches))


@dataclasses.dataclass(frozen=True)
class Row:
    """One leaf layer of a summary: where it is, what it outputs, what it costs, what it sees.

    ``rf`` and ``jump`` are the receptive field and the input-pixel distance
    between neighbouring units of its output (chapter 6), along the longest path.
    """

    name: str
    layer: object
    output: tuple
    params: int
    macs: int
    rf: int
    jump: int

    @property
    def kind(self):
        return type(self.layer).__name__

    @property
    def activations(self):
        return math.prod(self.output)


@dataclasses.dataclass(frozen=True)
class Summary:
    """Every leaf layer's :class:`Row` and the network's totals (for one image)."""

    input: tuple
    rows: tuple

    @property
    def output(self):
        return self.rows[-1].output

    @property
    def params(self):
        return sum(r.params for r in self.rows)

    @property
    def macs(self):
        return sum(r.macs for r in self.rows)

    @property
    def activations(self):
        """Values stored by the convolution, dense and pooling layers for one image.

        Batch normalization and ReLU outputs are left out: frameworks fuse them
        or compute them in place. Chapter 4 counts VGG-16's the same way.
        """
        return sum(r.activations for r in self.rows if r.kind in ("Conv", "Linear", "Pool", "GlobalAvgPool"))

    @property
    def rf(self):
        """Receptive field of the deepest convolution or pooling layer (global pooling sees everything).

        A network without either (an MLP) sees its whole input from its first layer.
        """
        return max((r.rf for r in self.rows if r.kind in ("Conv", "Pool")), default=max(self.input[1:]))

    def share(self, kind, what="params"):
        """The fraction of the network's parameters (or ``what="macs"``) in its layers of one ``kind``.

        >>> summary(Seq(Conv(2, 3), Flatten(), Linear(1)), (1, 4, 4)).share("Linear")  # 9 of 20 + 9
        0.3103448275862069
        """
        return sum(getattr(r, what) for r in self.rows if r.kind == kind) / getattr(self, what)

    def by_kind(self):
        """``{kind: (params, macs)}`` summed over the layers of each kind."""
        out = {}
        for r in self.rows:
            p, m = out.get(r.kind, (0, 0))
            out[r.kind] = (p + r.params, m + r.macs)
        return out


class _State:
    """What flows through the walk: the shape, the receptive field and jump, and where we are."""

    def __init__(self, shape, rf=1, jump=1):
        self.shape, self.rf, self.jump = tuple(shape), rf, jump


def _error(name, layer, message):
    raise ValueError(f"summary: layer {name} ({type(layer).__name__}): {message}")


def _leaf(layer, state, name):
    """Output state, params and MACs of one leaf layer."""
    shape = state.shape
    spatial = len(shape) == 3
    if isinstance(layer, (Conv, Pool)) and not spatial:
        _error(name, layer, f"needs a (C, H, W) input; got {shape}")
    if isinstance(layer, Conv):
        c, h, w = shape
        groups = c if layer.groups == 0 else layer.groups
        out = c if layer.groups == 0 and layer.out == 0 else layer.out
        if c % groups or out % groups:
            _error(name, layer, f"groups={groups} must divide {c} input and {out} output channels")
        try:
            top, bottom, left, right = layer.pads(h, w)
            size = [geometry.positions(s + before + after, layer.k, layer.stride, layer.dilation)
                    for s, before, after in ((h, top, bottom), (w, left, right))]
        except ValueError as error:
            _error(name, layer, str(error))
        if min(size) < 1:
            _error(name, layer, f"the input {h}×{w} is too small")
        params = out * (c // groups) * layer.k**2 + (out if layer.bias else 0)
        macs = out * (c // groups) * layer.k**2 * size[0] * size[1]
        rf = state.rf + (layer.k - 1) * layer.dilation * state.jump
        return _State((out, *size), rf, state.jump * layer.stride), params, macs
    if isinstance(layer, Pool):
        if layer.kind not in ("max", "avg"):
            _error(name, layer, f"kind must be 'max' or 'avg'; got {layer.kind!r}")
        c, h, w = shape
        stride = layer.stride or layer.k
        try:
            size = [shapes.pool_output_size(s, layer.k, stride, layer.padding, ceil_mode=layer.ceil_mode)
                    for s in (h, w)]
        except ValueError:
            size = [0]
        if min(size) < 1:
            _error(name, layer, f"the input {h}×{w} is too small")
        return _State((c, *size), state.rf + (layer.k - 1) * state.jump, state.jump * stride), 0, 0
    if isinstance(layer, GlobalAvgPool):
        c, h, w = shape
        # Adaptive pooling's windows run from floor(i·n/s) to ceil((i+1)·n/s): the widest sets the field.
        n, s = max(h, w), layer.size
        k = max(-(-(i + 1) * n // s) - i * n // s for i in range(s))
        return _State((c, s, s), state.rf + (k - 1) * state.jump, state.jump * max(1, n // s)), 0, 0
    if isinstance(layer, GN) and (isinstance(layer.groups, bool) or not isinstance(layer.groups, int)
                                  or layer.groups < 1 or shape[0] % layer.groups):
        _error(name, layer, f"groups must be an int >= 1 that divides the {shape[0]} channels; got {layer.groups!r}")
    if isinstance(layer, (BN, LN, GN)):
        return _State(shape, state.rf, state.jump), 2 * shape[0], 0
    if isinstance(layer, Scale):
        return _State(shape, state.rf, state.jump), shape[0], 0
    if isinstance(layer, Act) and layer.kind not in ACTIVATIONS:
        _error(name, layer, f"kind must be one of {', '.join(map(repr, ACTIVATIONS))}; got {layer.kind!r}")
    if isinstance(layer, (ReLU, Dropout, Identity, Act)):
        return _State(shape, state.rf, state.jump), 0, 0
    if isinstance(layer, Flatten):
        return _State((math.prod(shape),), state.rf, state.jump), 0, 0
    if isinstance(layer, Linear):
        if len(shape) != 1:
            _error(name, layer, f"needs a flat input (put a Flatten before it); got {shape}")
        return (_State((layer.out,), state.rf, state.jump), shape[0] * layer.out + (layer.out if layer.bias else 0),
                shape[0] * layer.out)
    raise TypeError(f"summary: layer {name} is not a layer specification: {layer!r}")


def _walk(layer, state, name, rows):
    if isinstance(layer, Seq):
        for i, child in enumerate(layer.layers):
            label = child.name if isinstance(child, Seq) and child.name else str(i)
            state = _walk(child, state, f"{name}.{label}" if name else label, rows)
        return state
    if isinstance(layer, Add):
        body = _walk(layer.body, state, f"{name}.body" if name else "body", rows)
        short = state if layer.shortcut is None else _walk(layer.shortcut, state, f"{name}.shortcut", rows)
        if body.shape != short.shape:
            _error(name, layer, f"the body gives {body.shape} but the shortcut {short.shape}")
        return _State(body.shape, max(body.rf, short.rf), body.jump)
    if isinstance(layer, Gate):
        gate = _walk(layer.body, state, f"{name}.gate" if name else "gate", rows)
        if gate.shape not in (state.shape, (state.shape[0], 1, 1)):
            _error(name, layer, f"the gate gives {gate.shape}; it must be {(state.shape[0], 1, 1)} or {state.shape}")
        return _State(state.shape, max(gate.rf, state.rf), state.jump)
    if isinstance(layer, Cat):
        outs = [_walk(b, state, f"{name}.{i}" if name else str(i), rows) for i, b in enumerate(layer.branches)]
        if len({o.shape[1:] for o in outs}) != 1:
            _error(name, layer, f"branches give different sizes {[o.shape for o in outs]}")
        return _State((sum(o.shape[0] for o in outs), *outs[0].shape[1:]), max(o.rf for o in outs), outs[0].jump)
    out, params, macs = _leaf(layer, state, name)
    rows.append(Row(name, layer, out.shape, params, macs, out.rf, out.jump))
    return out


def summary(spec, input_shape):
    """Per-layer output shapes, parameters, MACs and receptive fields of ``spec`` on one ``input_shape`` image.

    Parameters
    ----------
    spec : Seq
    input_shape : tuple (C, H, W)

    Returns
    -------
    Summary
        ``rows`` (one :class:`Row` per leaf layer, in order), and the totals
        ``params``, ``macs``, ``activations``, ``rf``.
    """
    if len(tuple(input_shape)) != 3 or not all(isinstance(s, int) and s > 0 for s in input_shape):
        raise ValueError(f"summary: input_shape must be (C, H, W) positive integers; got {input_shape!r}")
    rows = []
    _walk(spec, _State(input_shape), "", rows)
    return Summary(tuple(input_shape), tuple(rows))


def _module(layer, state, rng, xp):
    """The cnnbook.nn module for ``layer`` and the state after it."""
    if isinstance(layer, Seq):
        modules = []
        for child in layer.layers:
            module, state = _module(child, state, rng, xp)
            modules.append(module)
        return nn.Sequential(*modules), state
    if isinstance(layer, Add):
        body, out = _module(layer.body, state, rng, xp)
        short = None if layer.shortcut is None else _module(layer.shortcut, state, rng, xp)[0]
        return nn.Residual(body, short), out
    if isinstance(layer, Gate):
        return nn.Gate(_module(layer.body, state, rng, xp)[0]), state
    if isinstance(layer, Cat):
        built = [_module(b, state, rng, xp) for b in layer.branches]
        out = _State((sum(s.shape[0] for _, s in built), *built[0][1].shape[1:]))
        return nn.Concat(*(m for m, _ in built)), out
    out, _, _ = _leaf(layer, state, "?")
    c = state.shape[0]
    if isinstance(layer, Conv):
        groups = c if layer.groups == 0 else layer.groups
        pads = layer.pads(*state.shape[1:])
        padding = pads[0] if len(set(pads)) == 1 else pads
        module = nn.Conv2d(c, out.shape[0], layer.k, layer.stride, padding, layer.dilation, groups,
                           bias=layer.bias, rng=rng, xp=xp)
    elif isinstance(layer, Pool):
        cls = nn.MaxPool2d if layer.kind == "max" else nn.AvgPool2d
        module = cls(layer.k, layer.stride, layer.padding, ceil_mode=layer.ceil_mode)
    elif isinstance(layer, GlobalAvgPool):
        module = nn.AdaptiveAvgPool2d(layer.size)
    elif isinstance(layer, BN):
        module = nn.BatchNorm2d(c, eps=layer.eps, xp=xp)
    elif isinstance(layer, LN):
        module = nn.LayerNorm2d(c, eps=layer.eps, xp=xp)
    elif isinstance(layer, GN):
        module = nn.GroupNorm(layer.groups, c, eps=layer.eps, xp=xp)
    elif isinstance(layer, Scale):
        module = nn.LayerScale(c, init=layer.init, xp=xp)
    elif isinstance(layer, ReLU):
        module = nn.ReLU(layer.cap)
    elif isinstance(layer, Act):
        module = getattr(nn, ACTIVATIONS[layer.kind])()
    elif isinstance(layer, Dropout):
        module = nn.Dropout(layer.p, rng=rng)
    elif isinstance(layer, Flatten):
        module = nn.Flatten()
    elif isinstance(layer, Identity):
        module = nn.Sequential()
    else:
        module = nn.Linear(state.shape[0], layer.out, bias=layer.bias, rng=rng, xp=xp)
    return module, out


def instantiate(spec, input_shape, rng=None, xp=None):
    """A :mod:`cnnbook.nn` network built from ``spec`` for inputs of ``input_shape`` (C, H, W).

    Weights are drawn in layer order from one generator, so ``rng`` (a seed)
    fixes the whole network. The first convolution skips the gradient of the
    images (``input_grad=False``).

    Examples
    --------
    >>> import numpy as np
    >>> net = instantiate(Seq(Conv(4, 3), ReLU(), Flatten(), Linear(2)), (1, 5, 5), rng=0)
    >>> net(np.zeros((3, 1, 5, 5), np.float32)).shape
    (3, 2)
    >>> nn.count_parameters(net) == summary(Seq(Conv(4, 3), ReLU(), Flatten(), Linear(2)), (1, 5, 5)).params
    True
    """
    summary(spec, input_shape)  # refuses a spec that does not fit the input, naming the layer
    generator = as_generator(rng)
    module, _ = _module(spec, _State(input_shape), generator, xp)
    first = next((m for _, m in module.modules() if isinstance(m, nn.Conv2d)), None)
    if first is not None and first is _first_leaf(module):
        first.input_grad = False
    return module


def _first_leaf(module):
    while module.children and isinstance(module, nn.Sequential):
        module = module.children[0]
    return module


def _path(layer, rf, jump):
    """``(rf, jump, layers)`` along the path that sets the receptive field, from ``(rf, jump)`` in."""
    if isinstance(layer, Seq):
        steps = []
        for child in layer.layers:
            rf, jump, more = _path(child, rf, jump)
            steps += more
        return rf, jump, steps
    if isinstance(layer, Gate):
        return rf, jump, []  # it scales what comes in; its pooled branch sees everything, like global pooling
    if isinstance(layer, (Add, Cat)):
        branches = (layer.body, layer.shortcut) if isinstance(layer, Add) else layer.branches
        options = [_path(b, rf, jump) if b is not None else (rf, jump, []) for b in branches]
        return max(options, key=lambda option: option[0])  # the first of the widest, as summary's rf
    if isinstance(layer, Conv):
        step = {"name": f"{'depthwise conv' if layer.groups == 0 else 'conv'} {layer.k}×{layer.k}"
                        + (f"/{layer.stride}" if layer.stride > 1 else ""),
                "kernel_size": layer.k, "stride": layer.stride, "padding": layer.padding, "dilation": layer.dilation}
        return rf + (layer.k - 1) * layer.dilation * jump, jump * layer.stride, [step]
    if isinstance(layer, Pool):
        stride = layer.stride or layer.k
        step = {"name": f"{layer.kind} pool {layer.k}×{layer.k}/{stride}", "kernel_size": layer.k, "stride": stride,
                "padding": layer.padding}
        return rf + (layer.k - 1) * jump, jump * stride, [step]
    return rf, jump, []  # no window: BN, ReLU, dropout; global pooling and dense layers end the path


def receptive_path(spec):
    """The convolutions and pools on the path that sets ``spec``'s receptive field, input first.

    Each is a dict with ``name``, ``kernel_size``, ``stride``, ``padding`` (and
    ``dilation``), the form :func:`cnnbook.shapes.receptive_fields` takes. Where
    branches meet, the path follows the one with the widest field: a ResNet
    block's body rather than its shortcut, an Inception module's largest kernel.
    Global pooling and dense layers, which see everything, are left out.

    Examples
    --------
    >>> block = Seq(Conv(8, 7, 2, 3), Add(Seq(Conv(8, 3, padding=1), Conv(8, 3, padding=1)), Seq(Conv(8, 1))))
    >>> [step["name"] for step in receptive_path(block)]
    ['conv 7×7/2', 'conv 3×3', 'conv 3×3']
    """
    return tuple(_path(spec, 1, 1)[2])
