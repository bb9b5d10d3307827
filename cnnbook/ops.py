"""The rest of a CNN: activation, dense layer, batch normalization, dropout, softmax and the loss.

Each operation comes with ``<op>_backward(grad_out, ...)``, which takes the
gradient of the loss with respect to the operation's output and the forward's
own arguments, and returns the gradient with respect to every differentiable
input. Nothing is cached between the two calls: what the backward needs it
recomputes from the inputs (dropout's random mask is an input, made by
:func:`dropout_mask`). Names and conventions follow ``torch.nn.functional``.

Integer input is computed in float64; float32 stays float32.
"""

from __future__ import annotations

import numbers

import numpy as np

from cnnbook._checks import as_generator, check_array, float_dtype, in_float32_if_half
from cnnbook.backend import get_xp

__all__ = [
    "batch_norm",
    "batch_norm_backward",
    "cross_entropy",
    "cross_entropy_backward",
    "dropout",
    "dropout_backward",
    "dropout_mask",
    "group_norm",
    "group_norm_backward",
    "layer_norm",
    "layer_norm_backward",
    "linear",
    "linear_backward",
    "log_softmax",
    "log_softmax_backward",
    "relu",
    "relu_backward",
    "softmax",
    "softmax_backward",
]


def _same_shape(grad_out, x, where):
    check_array(grad_out, "grad_out", where)
    if tuple(grad_out.shape) != tuple(x.shape):
        raise ValueError(f"{where}: grad_out must have x's shape {tuple(x.shape)}; got {tuple(grad_out.shape)}")


def _floats(*arrays):
    present = [a for a in arrays if a is not None]
    xp = get_xp(*present)
    dtype = float_dtype(*present)
    return xp, [None if a is None else xp.asarray(a, dtype=dtype) for a in arrays]


def relu(x):
    """Rectified linear unit, ``max(x, 0)`` elementwise.

    Examples
    --------
    >>> import numpy as np
    >>> relu(np.array([-1.0, 0.0, 2.0]))
    array([0., 0., 2.])
    """
    xp, (x,) = _floats(check_array(x, "x", "relu"))
    return xp.maximum(x, 0)


def relu_backward(grad_out, x):
    """Gradient of :func:`relu`: ``grad_out`` where ``x > 0``, else 0 (also at 0, as PyTorch).

    Examples
    --------
    >>> import numpy as np
    >>> relu_backward(np.ones(3), np.array([-1.0, 0.0, 2.0]))
    array([0., 0., 1.])
    """
    where = "relu_backward"
    _same_shape(grad_out, check_array(x, "x", where), where)
    _, (g, x) = _floats(grad_out, x)
    return g * (x > 0)


def _linear_check(x, weight, bias, where):
    check_array(x, "x", where)
    check_array(weight, "weight", where, ndim=2)
    if x.ndim < 1 or x.shape[-1] != weight.shape[1]:
        raise ValueError(f"{where}: x's last axis ({tuple(x.shape)}) must match weight's in_features "
                         f"(weight shape (out_features, in_features) = {tuple(weight.shape)})")
    if bias is not None:
        check_array(bias, "bias", where, ndim=1)
        if bias.shape[0] != weight.shape[0]:
            raise ValueError(f"{where}: bias must have shape ({weight.shape[0]},); got {tuple(bias.shape)}")


def linear(x, weight, bias=None):
    """Fully connected layer: ``x @ weight.T + bias``.

    Parameters
    ----------
    x : array, shape (..., in_features)
    weight : array, shape (out_features, in_features)
    bias : array, shape (out_features,), optional

    Examples
    --------
    >>> import numpy as np
    >>> linear(np.array([[1.0, 2.0]]), np.array([[1.0, 1.0], [0.0, 3.0]]), np.array([0.5, 0.0]))
    array([[3.5, 6. ]])
    """
    _linear_check(x, weight, bias, "linear")
    xp, (x, weight, bias) = _floats(x, weight, bias)
    y = xp.matmul(x, weight.T)
    return y if bias is None else y + bias


def linear_backward(grad_out, x, weight, bias=None):
    """Gradients of :func:`linear`: ``(grad_out @ W, grad_outᵀ x, Σ grad_out)``.

    Returns
    -------
    grad_x, grad_weight, grad_bias
        ``grad_bias`` has shape ``(out_features,)`` whether or not a bias was given.

    Examples
    --------
    >>> import numpy as np
    >>> gx, gw, gb = linear_backward(np.array([[1.0, -1.0]]), np.array([[1.0, 2.0]]), np.eye(2))
    >>> gx, gw, gb
    (array([[ 1., -1.]]), array([[ 1.,  2.],
           [-1., -2.]]), array([ 1., -1.]))
    """
    where = "linear_backward"
    _linear_check(x, weight, bias, where)
    check_array(grad_out, "grad_out", where)
    if tuple(grad_out.shape) != tuple(x.shape[:-1]) + (weight.shape[0],):
        raise ValueError(f"{where}: grad_out must have shape {tuple(x.shape[:-1]) + (weight.shape[0],)}; "
                         f"got {tuple(grad_out.shape)}")
    xp, (g, x, weight) = _floats(grad_out, x, weight)
    g2, x2 = g.reshape(-1, g.shape[-1]), x.reshape(-1, x.shape[-1])
    return xp.matmul(g, weight), xp.matmul(g2.T, x2), g2.sum(axis=0)


def _bn_check(x, running_mean, running_var, weight, bias, training, eps, where):
    check_array(x, "x", where)
    if x.ndim not in (2, 3, 4):
        raise ValueError(f"{where}: x must have shape (N, C), (N, C, L) or (N, C, H, W); got {tuple(x.shape)}")
    channels = x.shape[1]
    for name, value in (("running_mean", running_mean), ("running_var", running_var),
                        ("weight", weight), ("bias", bias)):
        if value is not None:
            check_array(value, name, where, ndim=1)
            if value.shape[0] != channels:
                raise ValueError(f"{where}: {name} must have shape ({channels},) for x of shape {tuple(x.shape)}; "
                                 f"got {tuple(value.shape)}")
    if not isinstance(training, bool):
        raise TypeError(f"{where}: training must be True or False; got {training!r}")
    if not training and (running_mean is None or running_var is None):
        raise ValueError(f"{where}: evaluation (training=False) needs running_mean and running_var")
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not eps >= 0:
        raise ValueError(f"{where}: eps must be a number >= 0; got {eps!r}")
    axes = (0,) + tuple(range(2, x.ndim))
    count = x.size // channels
    if training and count < 2:
        raise ValueError(f"{where}: training needs more than one value per channel to take a variance; "
                         f"got x of shape {tuple(x.shape)}")
    return axes, (1, channels) + (1,) * (x.ndim - 2)


def _working(xp, *arrays):
    """``arrays`` in float32 if they are float16 (the running statistics stay as they are, updated in place):
    :func:`cnnbook._checks.in_float32_if_half` says why."""
    return [a if a is None or a.dtype != xp.float16 else a.astype(xp.float32) for a in arrays]


def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Batch normalization: standardize each channel, then scale by ``weight`` and shift by ``bias``.

    .. math:: y = \\gamma\\,\\frac{x - \\mu}{\\sqrt{\\sigma^2 + \\epsilon}} + \\beta

    In training, :math:`\\mu, \\sigma^2` are the batch's mean and (biased)
    variance over every axis but the channels, and the running statistics are
    updated *in place*: ``running = (1 - momentum) * running + momentum * batch``,
    with the unbiased variance, as PyTorch does. In evaluation the running
    statistics are used and nothing changes.

    Parameters
    ----------
    x : array, shape (N, C), (N, C, L) or (N, C, H, W)
    running_mean, running_var : array, shape (C,), or None (training only)
    weight, bias : array, shape (C,), optional
        :math:`\\gamma` (default 1) and :math:`\\beta` (default 0).
    training : bool
    momentum, eps : float

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1.0], [3.0]])
    >>> mean, var = np.zeros(1), np.ones(1)
    >>> batch_norm(x, mean, var, training=True, eps=0.0)
    array([[-1.],
           [ 1.]])
    >>> mean, var
    (array([0.2]), array([1.1]))
    """
    where = "batch_norm"
    axes, shape = _bn_check(x, running_mean, running_var, weight, bias, training, eps, where)
    if isinstance(momentum, bool) or not isinstance(momentum, numbers.Real) or not 0 <= momentum <= 1:
        raise ValueError(f"{where}: momentum must be a number in [0, 1]; got {momentum!r}")
    get_xp(x, running_mean, running_var, weight, bias)  # refuses NumPy and CuPy mixed
    xp, (x, weight, bias) = _floats(x, weight, bias)
    dtype = x.dtype
    x, weight, bias = _working(xp, x, weight, bias)
    if training:
        mean, var = x.mean(axis=axes), x.var(axis=axes)
        count = x.size // x.shape[1]
        if running_mean is not None:
            running_mean *= 1 - momentum
            running_mean += momentum * mean.astype(running_mean.dtype)
        if running_var is not None:
            running_var *= 1 - momentum
            running_var += momentum * (var * (count / (count - 1))).astype(running_var.dtype)
    else:
        mean, var = xp.asarray(running_mean, dtype=x.dtype), xp.asarray(running_var, dtype=x.dtype)
    scale = 1 / xp.sqrt(var + eps)
    if weight is not None:
        scale = scale * weight
    shift = -mean * scale
    if bias is not None:
        shift = shift + bias
    return (x * scale.reshape(shape) + shift.reshape(shape)).astype(dtype, copy=False)


def batch_norm_backward(grad_out, x, running_mean, running_var, weight=None, bias=None, training=False, eps=1e-5):
    """Gradients of :func:`batch_norm` with respect to ``x``, ``weight`` and ``bias``.

    With :math:`\\hat x = (x - \\mu)/\\sigma`, :math:`g` the gradient and
    :math:`\\langle\\cdot\\rangle` a mean over a channel's values:
    in training, :math:`\\partial L/\\partial x = \\frac{\\gamma}{\\sigma}\\,
    (g - \\langle g\\rangle - \\hat x\\,\\langle g \\hat x\\rangle)`, because
    :math:`\\mu` and :math:`\\sigma` depend on every value of the batch; in
    evaluation they are constants and :math:`\\partial L/\\partial x = \\gamma g/\\sigma`.
    Always :math:`\\partial L/\\partial\\gamma = \\sum g\\hat x` and
    :math:`\\partial L/\\partial\\beta = \\sum g`. Call it with the arguments of the
    forward pass; in training the batch statistics are recomputed from ``x``.

    Returns
    -------
    grad_x, grad_weight, grad_bias
        The last two have shape (C,) whether or not ``weight`` and ``bias`` were given.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1.0], [3.0]])
    >>> gx, gw, gb = batch_norm_backward(np.array([[1.0], [1.0]]), x, None, None, training=True, eps=0.0)
    >>> gx.ravel(), gw, gb
    (array([0., 0.]), array([0.]), array([2.]))
    """
    where = "batch_norm_backward"
    axes, shape = _bn_check(x, running_mean, running_var, weight, bias, training, eps, where)
    _same_shape(grad_out, x, where)
    get_xp(grad_out, x, running_mean, running_var, weight, bias)
    xp, (g, x, weight) = _floats(grad_out, x, weight)
    dtype = x.dtype
    g, x, weight = _working(xp, g, x, weight)
    if training:
        mean, var = x.mean(axis=axes), x.var(axis=axes)
    else:
        mean, var = xp.asarray(running_mean, dtype=x.dtype), xp.asarray(running_var, dtype=x.dtype)
    inv_std = 1 / xp.sqrt(var + eps)
    x_hat = (x - mean.reshape(shape)) * inv_std.reshape(shape)
    grad_bias = g.sum(axis=axes)
    grad_weight = (g * x_hat).sum(axis=axes)
    gamma = inv_std if weight is None else weight * inv_std
    if training:
        count = x.size // x.shape[1]
        g = g - (grad_bias / count).reshape(shape) - x_hat * (grad_weight / count).reshape(shape)
    return tuple(a.astype(dtype, copy=False) for a in (g * gamma.reshape(shape), grad_weight, grad_bias))


def _gn_check(x, num_groups, weight, bias, eps, where):
    check_array(x, "x", where)
    if x.ndim not in (2, 3, 4):
        raise ValueError(f"{where}: x must have shape (N, C), (N, C, L) or (N, C, H, W); got {tuple(x.shape)}")
    channels = x.shape[1]
    if isinstance(num_groups, bool) or not isinstance(num_groups, numbers.Integral) or num_groups < 1 \
            or channels % num_groups:
        raise ValueError(f"{where}: num_groups must be an int >= 1 that divides the {channels} channels of x; "
                         f"got {num_groups!r}")
    for name, value in (("weight", weight), ("bias", bias)):
        if value is not None:
            check_array(value, name, where, ndim=1)
            if value.shape[0] != channels:
                raise ValueError(f"{where}: {name} must have shape ({channels},) for x of shape {tuple(x.shape)}; "
                                 f"got {tuple(value.shape)}")
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not eps >= 0:
        raise ValueError(f"{where}: eps must be a number >= 0; got {eps!r}")
    if x.size // (x.shape[0] * num_groups) < 2:
        raise ValueError(f"{where}: each group needs more than one value to take a variance; got x of shape "
                         f"{tuple(x.shape)} in {num_groups} groups")
    return int(num_groups), (1, channels) + (1,) * (x.ndim - 2)


def _grouped(x, num_groups):
    """``x`` as ``(N, G, values of one group)``: the values that share one mean and variance."""
    return x.reshape(x.shape[0], num_groups, -1)


def group_norm(x, num_groups, weight=None, bias=None, eps=1e-5):
    """Group normalization (Wu and He 2018): standardize each image's channels in ``num_groups`` groups, then
    scale by ``weight`` and shift by ``bias`` (one of each per channel).

    .. math:: y = \\gamma_c\\,\\frac{x - \\mu_{n,g}}{\\sqrt{\\sigma_{n,g}^2 + \\epsilon}} + \\beta_c

    :math:`\\mu_{n,g}, \\sigma^2_{n,g}` are the mean and (biased) variance of
    image ``n``'s values in the channels of group ``g`` at every position.
    Nothing depends on the other images of the batch, so there are no
    running statistics and training and evaluation compute the same function.
    One group is layer normalization (:func:`layer_norm`); one group per
    channel is instance normalization.

    Parameters
    ----------
    x : array, shape (N, C), (N, C, L) or (N, C, H, W)
    num_groups : int, a divisor of C
    weight, bias : array, shape (C,), optional
        :math:`\\gamma` (default 1) and :math:`\\beta` (default 0).
    eps : float

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[[1.0], [3.0], [10.0], [20.0]]])       # one image, four channels, one position
    >>> group_norm(x, 2, eps=0.0).ravel()                    # channels {0, 1} and {2, 3}
    array([-1.,  1., -1.,  1.])
    >>> group_norm(np.concatenate([x, 2 * x]), 2, eps=0.0)[1].ravel()   # each image on its own
    array([-1.,  1., -1.,  1.])
    """
    where = "group_norm"
    groups, shape = _gn_check(x, num_groups, weight, bias, eps, where)
    xp, (x, weight, bias) = _floats(x, weight, bias)
    dtype = x.dtype
    x, weight, bias = _working(xp, x, weight, bias)
    grouped = _grouped(x, groups)
    mean = grouped.mean(axis=2, keepdims=True)
    inv_std = 1 / xp.sqrt(grouped.var(axis=2, keepdims=True) + eps)
    y = ((grouped - mean) * inv_std).reshape(x.shape)
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y.astype(dtype, copy=False)


def group_norm_backward(grad_out, x, num_groups, weight=None, bias=None, eps=1e-5):
    """Gradients of :func:`group_norm` with respect to ``x``, ``weight`` and ``bias``.

    Batch normalization's rule (:func:`batch_norm_backward`) with each image's group in the place of a channel
    of the batch: with :math:`\\hat x` the standardized values, :math:`h = \\gamma g` and
    :math:`\\langle\\cdot\\rangle` a mean over one group of one image,
    :math:`\\partial L/\\partial x = (h - \\langle h\\rangle - \\hat x\\,\\langle h \\hat x\\rangle)/\\sigma`;
    :math:`\\partial L/\\partial\\gamma = \\sum g\\hat x` and :math:`\\partial L/\\partial\\beta = \\sum g`
    over the batch and the positions.

    Returns
    -------
    grad_x, grad_weight, grad_bias
        The last two have shape (C,) whether or not ``weight`` and ``bias`` were given.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[[1.0], [3.0]]])
    >>> gx, gw, gb = group_norm_backward(np.ones((1, 2, 1)), x, 1, eps=0.0)
    >>> gx.ravel(), gw, gb                       # adding a constant to a group changes nothing
    (array([0., 0.]), array([-1.,  1.]), array([1., 1.]))
    """
    where = "group_norm_backward"
    groups, shape = _gn_check(x, num_groups, weight, bias, eps, where)
    _same_shape(grad_out, x, where)
    get_xp(grad_out, x, weight, bias)
    xp, (g, x, weight) = _floats(grad_out, x, weight)
    dtype = x.dtype
    g, x, weight = _working(xp, g, x, weight)
    grouped = _grouped(x, groups)
    inv_std = 1 / xp.sqrt(grouped.var(axis=2, keepdims=True) + eps)
    x_hat = ((grouped - grouped.mean(axis=2, keepdims=True)) * inv_std).reshape(x.shape)
    axes = (0,) + tuple(range(2, x.ndim))
    grad_weight, grad_bias = (g * x_hat).sum(axis=axes), g.sum(axis=axes)
    h = _grouped(g if weight is None else g * weight.reshape(shape), groups)
    x_hat = _grouped(x_hat, groups)
    grad_x = (h - h.mean(axis=2, keepdims=True) - x_hat * (h * x_hat).mean(axis=2, keepdims=True)) * inv_std
    return tuple(a.astype(dtype, copy=False) for a in (grad_x.reshape(x.shape), grad_weight, grad_bias))


def layer_norm(x, weight=None, bias=None, eps=1e-5):
    """Layer normalization of feature maps as Wu and He (2018) compare it with batch and group normalization:
    each image standardized by the mean and variance of all its channels and positions, then scaled and shifted
    per channel. It is :func:`group_norm` with one group. (ConvNeXt's layer normalization,
    :class:`cnnbook.nn.LayerNorm2d`, takes the statistics over the channels at each position instead.)

    Examples
    --------
    >>> import numpy as np
    >>> layer_norm(np.array([[[1.0], [3.0]], [[0.0], [10.0]]]), eps=0.0).ravel()
    array([-1.,  1., -1.,  1.])
    """
    return group_norm(x, 1, weight, bias, eps)


def layer_norm_backward(grad_out, x, weight=None, bias=None, eps=1e-5):
    """Gradients of :func:`layer_norm`: :func:`group_norm_backward` with one group.

    Examples
    --------
    >>> import numpy as np
    >>> gx, gw, gb = layer_norm_backward(np.ones((1, 2, 1)), np.array([[[1.0], [3.0]]]), eps=0.0)
    >>> gx.ravel()
    array([0., 0.])
    """
    return group_norm_backward(grad_out, x, 1, weight, bias, eps)


def _check_p(p, where):
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0 <= p < 1:
        raise ValueError(f"{where}: p must be a probability in [0, 1); got {p!r}")
    return float(p)


def dropout_mask(shape, p=0.5, rng=None, xp=None):
    """A random keep-mask for :func:`dropout`: each entry is 1 with probability ``1 - p``.

    Parameters
    ----------
    shape : tuple of int
    p : float in [0, 1)
        Probability of dropping.
    rng : int, numpy.random.Generator or None
        Seed or generator (NumPy's); the same seed gives the same mask.
    xp : module, optional
        ``numpy`` (default) or ``cupy``: where the mask is returned.

    Examples
    --------
    >>> dropout_mask((2, 4), p=0.5, rng=0)
    array([[ True, False, False, False],
           [ True,  True,  True,  True]])
    """
    p = _check_p(p, "dropout_mask")
    generator = as_generator(rng)
    keep = generator.random(shape) >= p
    return keep if xp is None or xp is np else xp.asarray(keep)


def dropout(x, p=0.5, training=True, mask=None, rng=None):
    """Inverted dropout: zero each value with probability ``p``, scale the rest by ``1/(1-p)``.

    The scaling keeps every value's expectation unchanged, so evaluation
    (``training=False``) is the identity.

    Parameters
    ----------
    x : array
    p : float in [0, 1)
    training : bool
    mask : boolean array of x's shape, optional
        Which values to keep; drawn with :func:`dropout_mask` (seeded by ``rng``)
        if not given. Pass the same mask to :func:`dropout_backward`.
    rng : int, numpy.random.Generator or None

    Examples
    --------
    >>> import numpy as np
    >>> dropout(np.ones(4), p=0.5, mask=np.array([True, False, True, True]))
    array([2., 0., 2., 2.])
    >>> dropout(np.ones(4), training=False)
    array([1., 1., 1., 1.])
    """
    where = "dropout"
    p = _check_p(p, where)
    check_array(x, "x", where)
    if not isinstance(training, bool):
        raise TypeError(f"{where}: training must be True or False; got {training!r}")
    xp, (x,) = _floats(x)
    if not training or p == 0:
        return x
    if mask is None:
        mask = dropout_mask(x.shape, p, rng, xp)
    _check_mask(mask, x, where)
    return x * mask / (1 - p)


def _check_mask(mask, x, where):
    if not hasattr(mask, "shape") or tuple(mask.shape) != tuple(x.shape):
        raise ValueError(f"{where}: mask must be a boolean array of x's shape {tuple(x.shape)}; "
                         f"got {getattr(mask, 'shape', type(mask).__name__)}")
    get_xp(mask, x)


def dropout_backward(grad_out, mask, p=0.5, training=True):
    """Gradient of :func:`dropout`: the same mask and scaling applied to the gradient.

    Examples
    --------
    >>> import numpy as np
    >>> dropout_backward(np.ones(3), np.array([True, False, True]), p=0.5)
    array([2., 0., 2.])
    """
    where = "dropout_backward"
    p = _check_p(p, where)
    check_array(grad_out, "grad_out", where)
    _, (g,) = _floats(grad_out)
    if not training or p == 0:
        return g
    _check_mask(mask, g, where)
    return g * mask / (1 - p)


def _dim(x, dim, where):
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral) or not -x.ndim <= dim < x.ndim:
        raise ValueError(f"{where}: dim must be an int in [-{x.ndim}, {x.ndim}) for x of shape "
                         f"{tuple(x.shape)}; got {dim!r}")
    if x.shape[dim] == 0:
        raise ValueError(f"{where}: x has no entries along dim {dim} to normalize over (shape {tuple(x.shape)})")
    return int(dim)


@in_float32_if_half
def log_softmax(x, dim=-1):
    """Logarithm of :func:`softmax`, computed stably as ``x - max - log Σ exp(x - max)``.

    Subtracting the maximum first changes nothing mathematically and keeps
    ``exp`` from overflowing.

    Examples
    --------
    >>> import numpy as np
    >>> log_softmax(np.array([1000.0, 1000.0]))
    array([-0.69314718, -0.69314718])
    """
    where = "log_softmax"
    dim = _dim(check_array(x, "x", where), dim, where)
    xp, (x,) = _floats(x)
    shifted = x - x.max(axis=dim, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))


@in_float32_if_half
def softmax(x, dim=-1):
    """Softmax along ``dim``: ``exp(x) / Σ exp(x)``, computed stably.

    Examples
    --------
    >>> import numpy as np
    >>> softmax(np.array([[0.0, np.log(3.0)]]))
    array([[0.25, 0.75]])
    """
    where = "softmax"
    dim = _dim(check_array(x, "x", where), dim, where)
    xp, (x,) = _floats(x)
    e = xp.exp(x - x.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


@in_float32_if_half
def softmax_backward(grad_out, x, dim=-1):
    """Gradient of :func:`softmax`: ``s * (g - Σ g s)`` with ``s = softmax(x)``.

    Examples
    --------
    >>> import numpy as np
    >>> softmax_backward(np.array([1.0, 1.0]), np.array([0.3, -2.0]))  # softmax sums to 1: no gradient
    array([0., 0.])
    """
    where = "softmax_backward"
    _same_shape(grad_out, check_array(x, "x", where), where)
    s = softmax(x, dim)
    _, (g, s) = _floats(grad_out, s)
    return s * (g - (g * s).sum(axis=dim, keepdims=True))


@in_float32_if_half
def log_softmax_backward(grad_out, x, dim=-1):
    """Gradient of :func:`log_softmax`: ``g - softmax(x) * Σ g``.

    Examples
    --------
    >>> import numpy as np
    >>> log_softmax_backward(np.array([1.0, 0.0]), np.zeros(2))
    array([ 0.5, -0.5])
    """
    where = "log_softmax_backward"
    _same_shape(grad_out, check_array(x, "x", where), where)
    s = softmax(x, dim)
    _, (g, s) = _floats(grad_out, s)
    return g - s * g.sum(axis=dim, keepdims=True)


_REDUCTIONS = ("mean", "sum", "none")


def _check_smoothing(value, where):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value <= 1:
        raise ValueError(f"{where}: label_smoothing must be a number in [0, 1]; got {value!r}")
    return float(value)


def _ce_check(logits, target, reduction, where):
    check_array(logits, "logits", where, ndim=2)
    check_array(target, "target", where, ndim=1)
    if target.dtype.kind not in "iu":
        raise TypeError(f"{where}: target must hold integer class indices; got dtype {target.dtype}")
    if target.shape[0] != logits.shape[0]:
        raise ValueError(f"{where}: target has {target.shape[0]} labels for {logits.shape[0]} rows of logits")
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{where}: reduction must be one of {_REDUCTIONS}; got {reduction!r}")
    xp = get_xp(logits, target)
    if target.size and (int(target.min()) < 0 or int(target.max()) >= logits.shape[1]):
        raise ValueError(f"{where}: target must hold class indices in [0, {logits.shape[1]}); got values "
                         f"from {int(target.min())} to {int(target.max())}")
    return xp


@in_float32_if_half
def cross_entropy(logits, target, reduction="mean", label_smoothing=0.0):
    """Cross-entropy of integer labels under the softmax of ``logits``: ``-log softmax(logits)[target]``.

    With ``label_smoothing`` :math:`\\varepsilon`, the target is no longer the one-hot vector but
    :math:`q = (1 - \\varepsilon)\\,\\text{onehot} + \\varepsilon / K` over the :math:`K` classes (Szegedy et
    al. 2016), and the loss is :math:`-\\sum_k q_k \\log p_k`, as PyTorch's ``label_smoothing``.

    Parameters
    ----------
    logits : array, shape (N, classes)
        Unnormalized scores.
    target : integer array, shape (N,)
        The true class of each row.
    reduction : ``"mean"``, ``"sum"`` or ``"none"``
    label_smoothing : float in [0, 1]

    Examples
    --------
    >>> import numpy as np
    >>> float(cross_entropy(np.zeros((2, 4)), np.array([0, 3])))  # uniform guess: log 4
    1.3862943611198906
    >>> sure = np.array([[20.0, 0.0, 0.0, 0.0]])                 # all but certain of class 0
    >>> round(float(cross_entropy(sure, np.array([0]))), 6), round(float(cross_entropy(sure, np.array([0]),
    ...                                                                label_smoothing=0.1)), 3)
    (0.0, 1.5)
    """
    where = "cross_entropy"
    xp = _ce_check(logits, target, reduction, where)
    smoothing = _check_smoothing(label_smoothing, where)
    logp = log_softmax(logits, dim=1)
    losses = -logp[xp.arange(logp.shape[0]), target]
    if smoothing:
        losses = (1 - smoothing) * losses - smoothing * logp.mean(axis=1)
    if reduction == "none":
        return losses
    return losses.sum() if reduction == "sum" else losses.mean()


@in_float32_if_half
def cross_entropy_backward(grad_out, logits, target, reduction="mean", label_smoothing=0.0):
    """Gradient of :func:`cross_entropy` with respect to ``logits``: ``softmax(logits) - onehot(target)``
    (``softmax(logits) - q`` with label smoothing).

    That simple form is why softmax and cross-entropy are always paired: the
    exponentials and the logarithm cancel. It is scaled by ``grad_out`` (a
    scalar for ``"mean"``/``"sum"``, shape (N,) for ``"none"``) and by ``1/N``
    for ``"mean"``.

    Examples
    --------
    >>> import numpy as np
    >>> cross_entropy_backward(1.0, np.zeros((1, 4)), np.array([2]))
    array([[ 0.25,  0.25, -0.75,  0.25]])
    """
    where = "cross_entropy_backward"
    xp = _ce_check(logits, target, reduction, where)
    n = logits.shape[0]
    if reduction == "none":
        check_array(grad_out, "grad_out", where, ndim=1)
        if grad_out.shape[0] != n:
            raise ValueError(f"{where}: with reduction='none' grad_out must have shape ({n},); "
                             f"got {tuple(grad_out.shape)}")
        scale = xp.asarray(grad_out).reshape(n, 1)
    else:
        if not isinstance(grad_out, numbers.Real) and getattr(grad_out, "shape", None) != ():
            raise ValueError(f"{where}: with reduction={reduction!r} grad_out must be a scalar; got {grad_out!r}")
        scale = float(grad_out) / (n if reduction == "mean" and n else 1)
    smoothing = _check_smoothing(label_smoothing, where)
    grad = softmax(logits, dim=1)
    grad[xp.arange(n), target] -= 1 - smoothing
    if smoothing:
        grad -= smoothing / logits.shape[1]
    return grad * scale
