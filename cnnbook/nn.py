"""Layers as thin classes over :mod:`cnnbook.functional` (chapter 7).

A layer owns its parameters as plain arrays in ``layer.params`` and their
gradients, of the same shapes, in ``layer.grads``. The two passes are pure in
the sense of the functional core: ``forward`` returns the output *and* the
cache the backward pass needs, and ``backward`` takes that cache back::

    y, cache = layer.forward(x)        # x: (N, C, H, W)
    grad_x = layer.backward(grad_y, cache)   # adds into layer.grads

Calling a layer, ``layer(x)``, runs the forward pass and drops the cache.
``train()`` and ``eval()`` switch batch normalization and dropout between
their two behaviours. Parameters live on the array library of the layer's
``xp`` (NumPy or CuPy); they are always *initialized* with NumPy's generator,
so a seed gives the same network on either backend.

>>> import numpy as np
>>> net = Sequential(Conv2d(1, 4, 3, padding=1, rng=0), ReLU(), MaxPool2d(2), Flatten(), Linear(4 * 2 * 2, 3, rng=0))
>>> y, cache = net.forward(np.ones((2, 1, 4, 4), dtype=np.float32))
>>> y.shape
(2, 3)
>>> net.backward(np.ones_like(y), cache).shape
(2, 1, 4, 4)
>>> [name for name, _, _ in net.parameters()]
['0.weight', '0.bias', '4.weight', '4.bias']
>>> count_parameters(net)  # (1·3·3 + 1)·4 + (16 + 1)·3
91
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from cnnbook import functional as F
from cnnbook._checks import as_generator, check_int, check_pair
from cnnbook.backend import default_xp, get_xp

__all__ = [
    "AdaptiveAvgPool2d", "AvgPool2d", "BatchNorm2d", "Concat", "Conv2d", "ConvTranspose2d", "Dropout", "Flatten",
    "GELU", "Gate", "GroupNorm", "Hardsigmoid", "Hardswish", "LayerNorm2d", "LayerScale", "Linear", "MaxPool2d",
    "Module", "ReLU", "Residual", "Sequential", "SiLU", "Sigmoid", "count_parameters",
    "fold_batch_norm", "glorot_uniform", "he_normal",
]


def he_normal(shape, fan_in, rng):
    """Weights drawn from :math:`\\mathcal N(0, 2/\\text{fan}_\\text{in})` (He et al. 2015).

    A ReLU zeroes half of its input on average, so it halves the second
    moment of what passes through; doubling the variance of the weights puts
    it back, and the signal keeps its scale through any number of layers.

    Examples
    --------
    >>> w = he_normal((64, 32, 3, 3), fan_in=32 * 9, rng=np.random.default_rng(0))
    >>> round(float(w.std() ** 2 * 32 * 9), 1)
    2.0
    """
    return rng.standard_normal(shape) * math.sqrt(2.0 / fan_in)


def glorot_uniform(shape, fan_in, fan_out, rng):
    """Weights uniform on :math:`\\pm\\sqrt{6/(\\text{fan}_\\text{in}+\\text{fan}_\\text{out})}` (Glorot & Bengio 2010).

    The variance :math:`2/(\\text{fan}_\\text{in}+\\text{fan}_\\text{out})` is a
    compromise between keeping the forward signal's scale (``1/fan_in``) and the
    backward gradient's (``1/fan_out``) for a linear or tanh unit.

    Examples
    --------
    >>> w = glorot_uniform((100, 300), 300, 100, np.random.default_rng(0))
    >>> bool(abs(w).max() <= math.sqrt(6 / 400))
    True
    """
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, shape)


class Module:
    """Base of every layer: parameters, gradients, buffers, children and the train/eval mode."""

    def __init__(self):
        self.params, self.grads, self.buffers = {}, {}, {}
        self.children = []
        self.training = True
        self.frozen = False
        self.lr_scale = 1.0  # the optimizer multiplies its learning rate by this for this module's parameters

    def _add_param(self, name, value, xp, dtype):
        self.params[name] = xp.asarray(value, dtype=dtype)
        self.grads[name] = xp.zeros_like(self.params[name])

    def _init_weights(self, init, shape, fan_in, fan_out, bias, rng, xp, dtype, where):
        rng, xp = as_generator(rng), xp or default_xp()
        if init == "he":
            weight = he_normal(shape, fan_in, rng)
        elif init == "glorot":
            weight = glorot_uniform(shape, fan_in, fan_out, rng)
        else:
            raise ValueError(f"{where}: init must be 'he' or 'glorot'; got {init!r}")
        self._add_param("weight", weight, xp, dtype)
        if bias:
            self._add_param("bias", np.zeros(shape[0]), xp, dtype)

    def forward(self, x):
        """``(output, cache)``; the cache is what :meth:`backward` needs."""
        raise NotImplementedError

    def backward(self, grad_out, cache):
        """Gradient with respect to the input; adds parameter gradients into ``self.grads``."""
        raise NotImplementedError

    def __call__(self, x):
        return self.forward(x)[0]

    def modules(self):
        """This module and all below it, depth first, with their dotted names."""
        yield "", self
        for i, child in enumerate(self.children):
            for name, module in child.modules():
                yield f"{i}.{name}" if name else str(i), module

    def parameters(self, trainable_only=False):
        """``(dotted name, parameter, gradient)`` for every parameter below this module."""
        for prefix, module in self.modules():
            if trainable_only and module.frozen:
                continue
            for key, value in module.params.items():
                yield (f"{prefix}.{key}" if prefix else key), value, module.grads[key]

    def zero_grad(self):
        for _, _, grad in self.parameters():
            grad[...] = 0

    def train(self, mode=True):
        for _, module in self.modules():
            module.training = bool(mode)
        return self

    def eval(self):
        return self.train(False)

    def freeze(self, frozen=True):
        """Stop (or restart) training every parameter below this module."""
        for _, module in self.modules():
            module.frozen = bool(frozen)
        return self

    def scale_lr(self, factor):
        """Train every parameter below this module at ``factor`` times the optimizer's learning rate.

        Set before the optimizer is built. Fine-tuning gives the copied layers a
        smaller factor than the new ones (chapter 9).

        Examples
        --------
        >>> from cnnbook import optim
        >>> net = Sequential(Linear(2, 2, rng=0), Linear(2, 2, rng=1))
        >>> _ = net[0].scale_lr(0.1)
        >>> optim.SGD(net, lr=0.5).scales
        [0.1, 0.1, 1.0, 1.0]
        """
        if isinstance(factor, bool) or not isinstance(factor, numbers.Real) or not factor > 0:
            raise ValueError(f"scale_lr: factor must be a number > 0; got {factor!r}")
        for _, module in self.modules():
            module.lr_scale = float(factor)
        return self

    def state_dict(self):
        """Every parameter and buffer as NumPy arrays, by dotted name (what :func:`cnnbook.train.save` writes)."""
        from cnnbook.backend import to_numpy

        state = {}
        for prefix, module in self.modules():
            for key, value in {**module.params, **module.buffers}.items():
                state[f"{prefix}.{key}" if prefix else key] = to_numpy(value).copy()
        return state

    def load_state_dict(self, state):
        """Copy arrays from ``state`` (as :meth:`state_dict` makes) into this module, in place."""
        own = {}
        for prefix, module in self.modules():
            for store in (module.params, module.buffers):
                for key in store:
                    own[f"{prefix}.{key}" if prefix else key] = (store, key)
        missing, unexpected = sorted(set(own) - set(state)), sorted(set(state) - set(own))
        if missing or unexpected:
            raise ValueError(f"load_state_dict: state does not fit this model; missing {missing}, unexpected {unexpected}")
        for name, (store, key) in own.items():
            value = state[name]
            if tuple(value.shape) != tuple(store[key].shape):
                raise ValueError(f"load_state_dict: {name} has shape {tuple(value.shape)}, "
                                 f"the model expects {tuple(store[key].shape)}")
            store[key][...] = get_xp(store[key]).asarray(value, dtype=store[key].dtype)

    def extra_repr(self):
        return ""

    def __repr__(self):
        inner = "".join(f"\n  ({i}): " + repr(c).replace("\n", "\n  ") for i, c in enumerate(self.children))
        return f"{type(self).__name__}({self.extra_repr()}{inner}{chr(10) if inner else ''})"


def count_parameters(module):
    """Number of scalar parameters below ``module`` (buffers such as running means not counted)."""
    return sum(int(p.size) for _, p, _ in module.parameters())


def fold_batch_norm(module):
    r"""A copy of ``module`` for inference, each convolution (or dense layer) followed by batch normalization merged
    into one.

    In evaluation mode batch normalization is a fixed affine map per channel,
    ``γ (z − μ) / sqrt(σ² + ε) + β`` with the running mean ``μ`` and variance
    ``σ²``. Applied to a convolution's output ``z = w ⋆ x + b`` it is the same
    convolution with each filter scaled and a new bias:

    .. math::
        w'_o = s_o\, w_o, \qquad b'_o = β_o + s_o (b_o − μ_o), \qquad s_o = γ_o / \sqrt{σ_o^2 + ε},

    so the folded network computes the same function with one layer fewer per
    pair, and none of batch normalization's arithmetic. The copy is in
    evaluation mode; the original is unchanged. Only a :class:`Conv2d` or a :class:`Linear` directly
    followed by a :class:`BatchNorm2d` in a :class:`Sequential` is folded (a dense layer's rows are its
    filters); the batch normalization becomes an empty :class:`Sequential` (the identity).

    Examples
    --------
    >>> net = Sequential(Conv2d(3, 4, 3, rng=0), BatchNorm2d(4), ReLU())
    >>> net[1].buffers["running_mean"][:] = 0.5; net[1].buffers["running_var"][:] = 4.0
    >>> x = np.random.default_rng(0).standard_normal((2, 3, 5, 5)).astype(np.float32)
    >>> folded = fold_batch_norm(net)
    >>> [type(m).__name__ for m in folded.children]
    ['Conv2d', 'Sequential', 'ReLU']
    >>> bool(np.allclose(folded(x), net.eval()(x), atol=1e-6))
    True
    """
    import copy

    folded = copy.deepcopy(module).eval()
    for _, parent in folded.modules():
        if not isinstance(parent, Sequential):
            continue
        for i in range(len(parent.children) - 1):
            conv, bn = parent.children[i], parent.children[i + 1]
            if not (isinstance(conv, (Conv2d, Linear)) and isinstance(bn, BatchNorm2d)):
                continue
            xp = get_xp(conv.params["weight"])
            scale = bn.params["weight"] / xp.sqrt(bn.buffers["running_var"] + bn.eps)
            bias = conv.params.get("bias", xp.zeros_like(bn.buffers["running_mean"]))
            conv.params["weight"] = conv.params["weight"] * scale.reshape((-1,) + (1,) * (conv.params["weight"].ndim - 1))
            conv._add_param("bias", bn.params["bias"] + scale * (bias - bn.buffers["running_mean"]), xp,
                            conv.params["weight"].dtype)
            conv.grads["weight"] = xp.zeros_like(conv.params["weight"])
            parent.children[i + 1] = Sequential()
    return folded


def _accumulate(module, **grads):
    if module.frozen:
        return
    for key, grad in grads.items():
        if key in module.grads:
            module.grads[key] += grad


class Conv2d(Module):
    """2-D convolution (cross-correlation) with ``out_channels`` filters of ``in_channels/groups × k × k``.

    Weights are He-initialized (``init="he"``) or Glorot-initialized
    (``init="glorot"``); the bias starts at zero. A network's first layer can
    set ``input_grad=False``: nothing needs the gradient of the images, and
    skipping it saves a third of the layer's backward pass (its ``backward``
    then returns ``None``).
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, init="he", input_grad=True, rng=None, xp=None, dtype=np.float32):
        super().__init__()
        self.input_grad = bool(input_grad)
        where = "Conv2d"
        in_channels = check_int(in_channels, "in_channels", where, minimum=1)
        out_channels = check_int(out_channels, "out_channels", where, minimum=1)
        self.groups = check_int(groups, "groups", where, minimum=1)
        if in_channels % self.groups or out_channels % self.groups:
            raise ValueError(f"{where}: groups={groups} must divide in_channels={in_channels} "
                             f"and out_channels={out_channels}")
        kh, kw = check_pair(kernel_size, "kernel_size", where, minimum=1)
        self.stride, self.padding, self.dilation = stride, padding, dilation
        shape = (out_channels, in_channels // self.groups, kh, kw)
        fan_in, fan_out = shape[1] * kh * kw, out_channels // self.groups * kh * kw
        self._init_weights(init, shape, fan_in, fan_out, bias, rng, xp, dtype, where)

    def _args(self):
        return dict(stride=self.stride, padding=self.padding, dilation=self.dilation, groups=self.groups)

    def forward(self, x):
        return F.conv2d(x, self.params["weight"], self.params.get("bias"), **self._args()), x

    def backward(self, grad_out, cache):
        gx, gw, gb = F.conv2d_backward(grad_out, cache, self.params["weight"], input_grad=self.input_grad,
                                       **self._args())
        _accumulate(self, weight=gw, bias=gb)
        return gx

    def extra_repr(self):
        o, i, kh, kw = self.params["weight"].shape
        return f"{i * self.groups}, {o}, kernel_size=({kh}, {kw}), stride={self.stride}, padding={self.padding}"


class ConvTranspose2d(Module):
    """Transposed convolution (chapter 2): weight shape ``(in_channels, out_channels/groups, k, k)``."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 dilation=1, bias=True, rng=None, xp=None, dtype=np.float32):
        super().__init__()
        where = "ConvTranspose2d"
        in_channels = check_int(in_channels, "in_channels", where, minimum=1)
        out_channels = check_int(out_channels, "out_channels", where, minimum=1)
        self.groups = check_int(groups, "groups", where, minimum=1)
        kh, kw = check_pair(kernel_size, "kernel_size", where, minimum=1)
        self.kw = dict(stride=stride, padding=padding, output_padding=output_padding, groups=groups,
                       dilation=dilation)
        shape = (in_channels, out_channels // self.groups, kh, kw)
        rng, xp = as_generator(rng), xp or default_xp()
        self._add_param("weight", he_normal(shape, shape[1] * kh * kw, rng), xp, dtype)
        if bias:
            self._add_param("bias", np.zeros(out_channels), xp, dtype)

    def forward(self, x):
        return F.conv_transpose2d(x, self.params["weight"], self.params.get("bias"), **self.kw), x

    def backward(self, grad_out, cache):
        gx, gw, gb = F.conv_transpose2d_backward(grad_out, cache, self.params["weight"], **self.kw)
        _accumulate(self, weight=gw, bias=gb)
        return gx


class Linear(Module):
    """Fully connected layer ``x @ weight.T + bias``, weight shape ``(out_features, in_features)``."""

    def __init__(self, in_features, out_features, bias=True, init="he", rng=None, xp=None, dtype=np.float32):
        super().__init__()
        where = "Linear"
        in_features = check_int(in_features, "in_features", where, minimum=1)
        out_features = check_int(out_features, "out_features", where, minimum=1)
        self._init_weights(init, (out_features, in_features), in_features, out_features, bias, rng, xp, dtype, where)

    def forward(self, x):
        return F.linear(x, self.params["weight"], self.params.get("bias")), x

    def backward(self, grad_out, cache):
        gx, gw, gb = F.linear_backward(grad_out, cache, self.params["weight"])
        _accumulate(self, weight=gw, bias=gb)
        return gx

    def extra_repr(self):
        o, i = self.params["weight"].shape
        return f"{i}, {o}"


class BatchNorm2d(Module):
    """Batch normalization over the channels of ``(N, C, H, W)`` maps (or the features of ``(N, C)``)."""

    def __init__(self, num_features, momentum=0.1, eps=1e-5, xp=None, dtype=np.float32):
        super().__init__()
        num_features = check_int(num_features, "num_features", "BatchNorm2d", minimum=1)
        xp = xp or default_xp()
        self.momentum, self.eps = momentum, eps
        self._add_param("weight", np.ones(num_features), xp, dtype)
        self._add_param("bias", np.zeros(num_features), xp, dtype)
        self.buffers = {"running_mean": xp.zeros(num_features, dtype=dtype),
                        "running_var": xp.ones(num_features, dtype=dtype)}

    def forward(self, x):
        y = F.batch_norm(x, self.buffers["running_mean"], self.buffers["running_var"], self.params["weight"],
                         self.params["bias"], training=self.training, momentum=self.momentum, eps=self.eps)
        return y, (x, self.training)

    def backward(self, grad_out, cache):
        x, training = cache
        gx, gw, gb = F.batch_norm_backward(grad_out, x, self.buffers["running_mean"], self.buffers["running_var"],
                                           self.params["weight"], self.params["bias"], training=training,
                                           eps=self.eps)
        _accumulate(self, weight=gw, bias=gb)
        return gx


class GroupNorm(Module):
    """Group normalization (:func:`cnnbook.functional.group_norm`): each image's ``num_channels`` channels
    standardized in ``num_groups`` groups, then scaled and shifted per channel. It keeps no running statistics:
    training and evaluation compute the same function, whatever the batch. ``GroupNorm(1, C)`` is layer
    normalization over all of an image's channels and positions.
    """

    def __init__(self, num_groups, num_channels, eps=1e-5, xp=None, dtype=np.float32):
        super().__init__()
        num_groups = check_int(num_groups, "num_groups", "GroupNorm", minimum=1)
        num_channels = check_int(num_channels, "num_channels", "GroupNorm", minimum=1)
        if num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_groups must divide num_channels; got {num_groups} groups of "
                             f"{num_channels} channels")
        if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not eps > 0:
            raise ValueError(f"GroupNorm: eps must be a number > 0; got {eps!r}")
        self.num_groups, self.eps = num_groups, float(eps)
        xp = xp or default_xp()
        self._add_param("weight", np.ones(num_channels), xp, dtype)
        self._add_param("bias", np.zeros(num_channels), xp, dtype)

    def forward(self, x):
        return F.group_norm(x, self.num_groups, self.params["weight"], self.params["bias"], self.eps), x

    def backward(self, grad_out, x):
        gx, gw, gb = F.group_norm_backward(grad_out, x, self.num_groups, self.params["weight"], self.params["bias"],
                                           self.eps)
        _accumulate(self, weight=gw, bias=gb)
        return gx

    def extra_repr(self):
        return f"{self.num_groups}, {self.params['weight'].shape[0]}, eps={self.eps:g}"


class ReLU(Module):
    """``max(x, 0)``; with a ``cap``, ``min(max(x, 0), cap)`` (``cap=6``: ReLU6, as MobileNet and EfficientNet-Lite).

    The gradient passes where the output is strictly between 0 and the cap, as PyTorch's.

    Examples
    --------
    >>> import numpy as np
    >>> relu6 = ReLU(cap=6)
    >>> y, cache = relu6.forward(np.array([-1.0, 3.0, 8.0]))
    >>> y, relu6.backward(np.ones(3), cache)
    (array([0., 3., 6.]), array([0., 1., 0.]))
    """

    def __init__(self, cap=None):
        super().__init__()
        if cap is not None and (isinstance(cap, bool) or not isinstance(cap, numbers.Real) or not cap > 0):
            raise ValueError(f"ReLU: cap must be a number > 0 or None; got {cap!r}")
        self.cap = cap

    def forward(self, x):
        y = F.relu(x)
        if self.cap is None:
            return y, y > 0
        y = get_xp(y).minimum(y, self.cap)
        return y, (y > 0) & (y < self.cap)

    def backward(self, grad_out, cache):
        return grad_out * cache

    def extra_repr(self):
        return "" if self.cap is None else f"cap={self.cap:g}"


def _sigmoid(x):
    return 1 / (1 + get_xp(x).exp(-x))


class Sigmoid(Module):
    """``σ(x) = 1 / (1 + e^{-x})``, whose derivative is ``σ(x)(1 − σ(x))``.

    >>> y, cache = Sigmoid().forward(np.array([0.0, 2.0]))
    >>> np.round(y, 4), np.round(Sigmoid().backward(np.ones(2), cache), 4)
    (array([0.5   , 0.8808]), array([0.25 , 0.105]))
    """

    def forward(self, x):
        y = _sigmoid(x)
        return y, y

    def backward(self, grad_out, cache):
        return grad_out * cache * (1 - cache)


class SiLU(Module):
    """Swish, ``x · σ(x)`` (EfficientNet's activation); its derivative is ``σ(x)(1 + x(1 − σ(x)))``.

    >>> y, cache = SiLU().forward(np.array([0.0, 2.0]))
    >>> np.round(y, 4), np.round(SiLU().backward(np.ones(2), cache), 4)
    (array([0.    , 1.7616]), array([0.5   , 1.0908]))
    """

    def forward(self, x):
        s = _sigmoid(x)
        return x * s, (x, s)

    def backward(self, grad_out, cache):
        x, s = cache
        return grad_out * s * (1 + x * (1 - s))


def _hard_sigmoid(x):
    return get_xp(x).clip(x + 3, 0, 6) / 6


class Hardsigmoid(Module):
    """``min(max(x + 3, 0), 6) / 6``: a sigmoid made of three straight pieces, cheap on phones (MobileNetV3); its
    derivative is 1/6 between -3 and 3 and 0 outside.

    >>> y, cache = Hardsigmoid().forward(np.array([-4.0, 0.0, 1.5, 4.0]))
    >>> y, Hardsigmoid().backward(np.ones(4), cache)
    (array([0.  , 0.5 , 0.75, 1.  ]), array([0.        , 0.16666667, 0.16666667, 0.        ]))
    """

    def forward(self, x):
        return _hard_sigmoid(x), x

    def backward(self, grad_out, cache):
        return grad_out * ((cache > -3) & (cache < 3)) / 6


class Hardswish(Module):
    """``x · min(max(x + 3, 0), 6) / 6``, swish with :class:`Hardsigmoid` in place of the sigmoid (MobileNetV3); its
    derivative is 0 below -3, ``(2x + 3) / 6`` between -3 and 3, and 1 above.

    >>> y, cache = Hardswish().forward(np.array([-4.0, 0.0, 1.5, 4.0]))
    >>> y, Hardswish().backward(np.ones(4), cache)
    (array([-0.   ,  0.   ,  1.125,  4.   ]), array([0. , 0.5, 1. , 1. ]))
    """

    def forward(self, x):
        return x * _hard_sigmoid(x), x

    def backward(self, grad_out, cache):
        xp = get_xp(cache)
        return grad_out * xp.where(cache < -3, 0.0, xp.where(cache > 3, 1.0, (2 * cache + 3) / 6)).astype(cache.dtype)


def _erf(x):
    """The error function, elementwise, on either backend (SciPy's, or CuPy's copy of it)."""
    if get_xp(x) is np:
        from scipy.special import erf
    else:  # pragma: no cover - needs a GPU
        from cupyx.scipy.special import erf
    return erf(x)


class GELU(Module):
    """``x · Φ(x)``, with ``Φ`` the standard normal distribution function, ``(1 + erf(x / √2)) / 2`` (ConvNeXt,
    transformers); its derivative is ``Φ(x) + x · φ(x)``, with ``φ`` the normal density.

    >>> y, cache = GELU().forward(np.array([-1.0, 0.0, 2.0]))
    >>> np.round(y, 4), np.round(GELU().backward(np.ones(3), cache), 4)
    (array([-0.1587,  0.    ,  1.9545]), array([-0.0833,  0.5   ,  1.0852]))
    """

    def forward(self, x):
        phi = (1 + _erf(x / np.sqrt(2))) / 2
        return x * phi, (x, phi)

    def backward(self, grad_out, cache):
        x, phi = cache
        density = get_xp(x).exp(-x * x / 2) / np.sqrt(2 * np.pi)
        return grad_out * (phi + x * density)


class LayerNorm2d(Module):
    """Layer normalization over the channels at every position (ConvNeXt's): each pixel's ``C`` values are
    standardized by their own mean and variance, then scaled by ``weight`` and shifted by ``bias`` (one of each per
    channel). No statistics are kept between batches, so training and evaluation compute the same function.

    The backward pass is batch normalization's with the roles of the axes exchanged: with ``x̂`` the standardized
    values and ``g = grad · weight``, ``grad_x = (g − mean(g) − x̂ · mean(g · x̂)) / σ``, the means over the channels.
    """

    def __init__(self, num_channels, eps=1e-6, xp=None, dtype=np.float32):
        super().__init__()
        num_channels = check_int(num_channels, "num_channels", "LayerNorm2d", minimum=1)
        if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not eps > 0:
            raise ValueError(f"LayerNorm2d: eps must be a number > 0; got {eps!r}")
        self.eps = float(eps)
        xp = xp or default_xp()
        self._add_param("weight", np.ones(num_channels), xp, dtype)
        self._add_param("bias", np.zeros(num_channels), xp, dtype)

    def forward(self, x):
        if x.ndim != 4 or x.shape[1] != self.params["weight"].shape[0]:
            raise ValueError(f"LayerNorm2d: x must have shape (N, {self.params['weight'].shape[0]}, H, W); got "
                             f"{tuple(x.shape)}")
        mean = x.mean(axis=1, keepdims=True)
        sigma = get_xp(x).sqrt(((x - mean) ** 2).mean(axis=1, keepdims=True) + self.eps)
        normed = (x - mean) / sigma
        shape = (1, -1, 1, 1)
        return normed * self.params["weight"].reshape(shape) + self.params["bias"].reshape(shape), (normed, sigma)

    def backward(self, grad_out, cache):
        normed, sigma = cache
        shape = (1, -1, 1, 1)
        self.grads["weight"] += (grad_out * normed).sum(axis=(0, 2, 3))
        self.grads["bias"] += grad_out.sum(axis=(0, 2, 3))
        g = grad_out * self.params["weight"].reshape(shape)
        return (g - g.mean(axis=1, keepdims=True) - normed * (g * normed).mean(axis=1, keepdims=True)) / sigma

    def extra_repr(self):
        return f"{self.params['weight'].shape[0]}, eps={self.eps:g}"


class LayerScale(Module):
    """A learnt factor per channel, ``x · γ_c`` (ConvNeXt's layer scale), started small (``init``) so that a
    residual block begins close to the identity."""

    def __init__(self, num_channels, init=1e-6, xp=None, dtype=np.float32):
        super().__init__()
        num_channels = check_int(num_channels, "num_channels", "LayerScale", minimum=1)
        if isinstance(init, bool) or not isinstance(init, numbers.Real):
            raise ValueError(f"LayerScale: init must be a number; got {init!r}")
        xp = xp or default_xp()
        self._add_param("weight", np.full(num_channels, float(init)), xp, dtype)

    def forward(self, x):
        return x * self.params["weight"].reshape(1, -1, *([1] * (x.ndim - 2))), x

    def backward(self, grad_out, cache):
        axes = (0, *range(2, cache.ndim))
        self.grads["weight"] += (grad_out * cache).sum(axis=axes)
        return grad_out * self.params["weight"].reshape(1, -1, *([1] * (cache.ndim - 2)))


class Gate(Module):
    """``x · body(x)``: the body's output (one number per channel, ``(N, C, 1, 1)``, or a full map) scales ``x``.

    Squeeze-and-excitation is a gate whose body pools each channel, mixes the channels through two 1×1
    convolutions and squashes them with a sigmoid. The backward pass sends ``grad · body(x)`` straight to ``x``
    and the gate's own gradient, ``grad · x`` summed over the positions it was broadcast to, through the body.
    """

    def __init__(self, body):
        super().__init__()
        self.children = [body]

    def forward(self, x):
        g, cache = self.children[0].forward(x)
        return x * g, (x, g, cache)

    def backward(self, grad_out, cache):
        x, g, body_cache = cache
        grad_g = grad_out * x
        if g.shape != x.shape:
            grad_g = grad_g.sum(axis=(2, 3), keepdims=True)
        return grad_out * g + self.children[0].backward(grad_g, body_cache)


class MaxPool2d(Module):
    """Max pooling; ``stride`` defaults to ``kernel_size``."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False):
        super().__init__()
        self.kw = dict(kernel_size=kernel_size, stride=stride, padding=padding, ceil_mode=ceil_mode)

    def forward(self, x):
        y = F.max_pool2d(x, **self.kw)
        return y, (x, y)

    def backward(self, grad_out, cache):
        x, y = cache
        return F.max_pool2d_backward(grad_out, x, output=y, **self.kw)


class AvgPool2d(Module):
    """Average pooling; ``stride`` defaults to ``kernel_size``."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
        super().__init__()
        self.kw = dict(kernel_size=kernel_size, stride=stride, padding=padding, ceil_mode=ceil_mode,
                       count_include_pad=count_include_pad)

    def forward(self, x):
        return F.avg_pool2d(x, **self.kw), x

    def backward(self, grad_out, cache):
        return F.avg_pool2d_backward(grad_out, cache, **self.kw)


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed ``output_size`` whatever the input size (1 gives global average pooling)."""

    def __init__(self, output_size=1):
        super().__init__()
        self.output_size = output_size

    def forward(self, x):
        return F.adaptive_avg_pool2d(x, self.output_size), x

    def backward(self, grad_out, cache):
        return F.adaptive_avg_pool2d_backward(grad_out, cache, self.output_size)


class Flatten(Module):
    """``(N, C, H, W)`` → ``(N, C·H·W)``."""

    def forward(self, x):
        return x.reshape(x.shape[0], -1), x.shape

    def backward(self, grad_out, cache):
        return grad_out.reshape(cache)


class Dropout(Module):
    """Zero each value with probability ``p`` in training (scaling the rest by ``1/(1-p)``); identity in eval."""

    def __init__(self, p=0.5, rng=None):
        super().__init__()
        self.p, self.rng = p, as_generator(rng)

    def forward(self, x):
        if not self.training or self.p == 0:
            return x, None
        mask = F.dropout_mask(x.shape, self.p, self.rng, get_xp(x))
        return F.dropout(x, self.p, training=True, mask=mask), mask

    def backward(self, grad_out, cache):
        return grad_out if cache is None else F.dropout_backward(grad_out, cache, self.p)


class Sequential(Module):
    """Layers applied one after another; the cache is the list of theirs."""

    def __init__(self, *layers):
        super().__init__()
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(f"Sequential: layer {i} must be a cnnbook.nn.Module; got {type(layer).__name__}")
        self.children = list(layers)

    def __len__(self):
        return len(self.children)

    def __getitem__(self, index):
        return self.children[index]

    def forward(self, x):
        caches = []
        for layer in self.children:
            x, cache = layer.forward(x)
            caches.append(cache)
        return x, caches

    def frozen_prefix(self):
        """How many leading layers have nothing to train (frozen, or without parameters).

        Examples
        --------
        >>> net = Sequential(Linear(2, 2, rng=0), ReLU(), Linear(2, 2, rng=1))
        >>> net.frozen_prefix(), net[0].freeze() and net.frozen_prefix()
        (0, 2)
        """
        for index, child in enumerate(self.children):
            if any(True for _ in child.parameters(trainable_only=True)):
                return index
        return len(self.children)

    def backward(self, grad_out, cache, input_grad=True):
        """Back through the layers in reverse order.

        With ``input_grad=False`` (the training loop's call on a whole network)
        it stops once no layer before the current one has trainable parameters
        and returns ``None``: a frozen feature extractor costs a forward pass only.
        """
        first = 0 if input_grad else self.frozen_prefix()
        for index in range(len(self.children) - 1, first - 1, -1):
            grad_out = self.children[index].backward(grad_out, cache[index])
        return grad_out if first == 0 else None


class Residual(Module):
    """``body(x) + shortcut(x)``: the shortcut is the identity unless a module (a 1×1 projection) is given.

    The backward pass is where the idea pays: the gradient reaching the sum is
    passed *unchanged* to the identity path, whatever the body does to its copy.
    """

    def __init__(self, body, shortcut=None):
        super().__init__()
        self.children = [body] + ([shortcut] if shortcut is not None else [])

    def forward(self, x):
        y, body_cache = self.children[0].forward(x)
        if len(self.children) == 1:
            return y + x, (body_cache, None)
        s, short_cache = self.children[1].forward(x)
        return y + s, (body_cache, short_cache)

    def backward(self, grad_out, cache):
        body_cache, short_cache = cache
        grad_x = self.children[0].backward(grad_out, body_cache)
        if len(self.children) == 1:
            return grad_x + grad_out
        return grad_x + self.children[1].backward(grad_out, short_cache)


class Concat(Module):
    """Parallel branches on the same input, their outputs concatenated along the channels (Inception, DenseNet)."""

    def __init__(self, *branches):
        super().__init__()
        self.children = list(branches)

    def forward(self, x):
        outs, caches = zip(*(branch.forward(x) for branch in self.children))
        return get_xp(x).concatenate(outs, axis=1), (caches, [o.shape[1] for o in outs])

    def backward(self, grad_out, cache):
        caches, widths = cache
        grad_x, start = 0, 0
        for branch, branch_cache, width in zip(self.children, caches, widths):
            grad_x = grad_x + branch.backward(grad_out[:, start : start + width], branch_cache)
            start += width
        return grad_x
