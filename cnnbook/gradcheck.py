"""Checking gradients by finite differences (chapter 5, section 5.5).

A backward pass is easy to get subtly wrong, and the forward pass gives an
independent way to check it: nudge one input by ``±eps``, see how the loss
moves, and compare with what the backward pass claims. :func:`check_all` runs
that check on every backward pass the book trains with (the table of section
5.5, computed when the book is built).
"""

from __future__ import annotations

import inspect
import numbers
import sys
from dataclasses import dataclass

import numpy as np

from cnnbook import functional as F
from cnnbook import nn, train

__all__ = ["EPS", "TOLERANCE", "Case", "backward_passes", "backward_passes_run", "check_all", "check_case", "gradient_cases",
           "numerical_gradient", "relative_error"]


def numerical_gradient(f, x, eps=1e-6):
    """Central differences of the scalar function ``f()`` with respect to every entry of ``x``.

    ``x`` is changed in place, one entry at a time, and restored; ``f`` reads it.
    The error of the central difference is of order ``eps**2`` (the Taylor terms
    of even order cancel), plus rounding of order ``precision / eps``, which is
    why the check runs in float64.

    Parameters
    ----------
    f : callable
        No arguments; returns the loss as a number.
    x : NumPy array of float64
        The input that ``f`` depends on.
    eps : float
        The nudge.

    Examples
    --------
    >>> x = np.array([1.0, 2.0, 3.0])
    >>> numerical_gradient(lambda: float(np.sum(x ** 2)), x).round(6)
    array([2., 4., 6.])
    """
    where = "numerical_gradient"
    if not callable(f):
        raise TypeError(f"{where}: f must be a function of no arguments returning the loss; got {f!r}")
    if not isinstance(x, np.ndarray) or x.dtype.kind != "f":
        raise TypeError(f"{where}: x must be a NumPy array of floats (changed in place); got "
                        f"{type(x).__name__}" + (f" of dtype {x.dtype}" if hasattr(x, "dtype") else ""))
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not eps > 0:
        raise ValueError(f"{where}: eps must be a positive number; got {eps!r}")
    grad = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        old = x[index]
        x[index] = old + eps
        up = f()
        x[index] = old - eps
        down = f()
        x[index] = old
        grad[index] = (up - down) / (2 * eps)
    return grad


def relative_error(analytic, numeric):
    """``||analytic - numeric|| / (||analytic|| + ||numeric||)``: 0 when equal, at most 1.

    Dividing by both norms makes the measure independent of the gradient's scale
    and safe when one of them is zero. By the triangle inequality it never
    exceeds 1, which it reaches when the two point in opposite directions or one
    is zero. For orthogonal vectors it is ``sqrt(a² + n²) / (a + n)`` of their
    norms: ``1/sqrt(2) ≈ 0.71`` when the norms are equal, more otherwise.

    Examples
    --------
    >>> relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.0]))
    0.0
    >>> round(relative_error(np.array([1.0, 0.0]), np.array([0.0, 1.0])), 4)   # orthogonal, equal norms
    0.7071
    >>> round(relative_error(np.array([1.0, 0.0]), np.array([0.0, 3.0])), 4)   # orthogonal, unequal norms
    0.7906
    >>> relative_error(np.array([1.0, 2.0]), np.array([-1.0, -2.0]))
    1.0
    """
    a, n = np.asarray(analytic, dtype=float), np.asarray(numeric, dtype=float)
    if a.shape != n.shape:
        raise ValueError(f"relative_error: analytic {a.shape} and numeric {n.shape} must have the same shape")
    scale = np.linalg.norm(a) + np.linalg.norm(n)
    return float(np.linalg.norm(a - n) / scale) if scale else 0.0


#: A backward pass passes the book's check when its largest relative error against central differences, in
#: float64 with ``eps = 1e-6``, is below this. Correct passes land near ``1e-10`` (the rounding of the
#: differences); the float32 check and a missing kernel flip land many orders of magnitude higher.
TOLERANCE = 1e-7
#: The nudge of the book's check (float64).
EPS = 1e-6


@dataclass(frozen=True)
class Case:
    """One backward pass to check: the loss is ``sum(forward() * probe)``, so the upstream gradient is ``probe``.

    ``arguments`` maps each differentiable input's name to ``(array, analytic gradient)``; the array is what
    ``forward`` reads (perturbed in place by :func:`numerical_gradient`). ``covers`` names the backward
    functions and layers whose code the analytic gradient went through.
    """

    label: str
    backward: str
    shape: tuple
    forward: object
    probe: object
    arguments: dict
    covers: tuple


def _module_case(label, module, x, rng, covers, reseed=None):
    """A case for an :mod:`cnnbook.nn` layer in float64: the input and every parameter, through ``module.backward``."""
    def forward():
        if reseed is not None:
            reseed()
        return module.forward(x)[0]

    module.zero_grad()
    if reseed is not None:
        reseed()
    y, cache = module.forward(x)
    probe = rng.standard_normal(y.shape)
    grad_x = module.backward(probe, cache)
    arguments = {"x": (x, grad_x)}
    for name, param, grad in module.parameters():
        arguments[name] = (param, grad.copy())
    backward = f"{type(module).__name__}.backward"
    return Case(label, backward, tuple(x.shape), forward, probe, arguments, (type(module).__name__,) + tuple(covers))


def _away_from_kinks(x, margin=1e-3):
    """``x`` with every entry at least ``margin`` from 0, so ``±eps`` never crosses ReLU's kink."""
    return np.where(np.abs(x) < margin, np.copysign(margin, x), x)


def _with_random_params(module, rng):
    """``module`` with its parameters drawn at random: a check at the initial values (a scale of one, a shift of
    zero) would not see a backward pass that forgets them."""
    for name, value in module.params.items():
        value[...] = rng.standard_normal(value.shape)
    return module


def _functional_case(label, name, forward, backward, arrays, probe_shape, rng, covers=None, shape=None):
    """A case for the function ``name`` of :mod:`cnnbook.functional`: ``backward(probe)`` gives one gradient per array.

    ``probe_shape=None`` is for a scalar loss: the probe, the upstream gradient, is then 1. ``shape`` is the
    input's shape, if not that of the first array.
    """
    probe = rng.standard_normal(probe_shape) if probe_shape is not None else 1.0
    grads = backward(probe)
    arguments = dict(zip(arrays, zip(arrays.values(), grads)))
    shape = tuple(shape if shape is not None else next(iter(arrays.values())).shape)
    return Case(label, name, shape, forward, probe, arguments, tuple(covers or (name,)))


def gradient_cases(seed=0):
    """Every backward pass that :mod:`cnnbook.nn`'s layers and the training loss use, as small float64 cases.

    Layers are checked through their own ``backward`` (what training calls), with every parameter; the loss,
    softmax and the functional ReLU through :mod:`cnnbook.functional`. Dropout reseeds its generator before
    every forward pass, so the finite differences see the same mask as the backward pass. The last case is a
    whole training step, :func:`cnnbook.train.train_step`, which skips the images' gradient.

    Returns
    -------
    list of :class:`Case`

    Examples
    --------
    >>> cases = gradient_cases()
    >>> [case.label for case in cases][:2]
    ['Conv2d 3×3, padding 1', 'Conv2d 3×3, more outputs than inputs']
    """
    rng = np.random.default_rng(seed)
    f64 = dict(dtype=np.float64)

    def normal(*shape):
        return rng.standard_normal(shape)

    def conv(label, x_shape, *args, **kwargs):
        layer = nn.Conv2d(*args, rng=rng, **f64, **kwargs)
        layer.params["bias"][...] = normal(layer.params["bias"].size)
        return _module_case(label, layer, normal(*x_shape), rng, ("conv2d_backward",))

    def module(label, layer, x, covers=(), reseed=None):
        return _module_case(label, layer, x, rng, covers, reseed)

    def batch_norm(training, x_shape):
        layer = nn.BatchNorm2d(x_shape[1], **f64)
        channels = x_shape[1]
        layer.params["weight"][...] = 1 + 0.5 * normal(channels)
        layer.params["bias"][...] = normal(channels)
        layer.buffers["running_mean"][...] = normal(channels)
        layer.buffers["running_var"][...] = 0.5 + rng.random(channels)
        layer.train(training)
        label = "training (batch statistics)" if training else "evaluation (running statistics)"
        label = f"BatchNorm2d on (N, C) features, {label}" if len(x_shape) == 2 else f"BatchNorm2d, {label}"
        return module(label, layer, normal(*x_shape), ("batch_norm_backward",))

    dropout = nn.Dropout(0.5)

    def reseed_dropout():
        dropout.rng = np.random.default_rng(seed)

    def block(*layers):
        return nn.Sequential(*layers)

    logits, target = normal(4, 5), rng.integers(0, 5, size=4)
    soft = normal(3, 5)
    # no bias before batch normalization: its gradient is exactly zero (the mean is subtracted), and a
    # relative error of two zeros says nothing
    network = block(nn.Conv2d(1, 2, 3, padding=1, bias=False, rng=rng, **f64), nn.BatchNorm2d(2, **f64), nn.ReLU(),
                    nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.5, rng=seed), nn.Linear(8, 3, rng=rng, **f64))
    net_x, net_target = normal(2, 1, 4, 4), rng.integers(0, 3, size=2)

    def net_loss():
        network[5].rng = np.random.default_rng(seed)
        return F.cross_entropy(network.forward(net_x)[0], net_target)

    def net_backward(probe):
        network.zero_grad()
        network[5].rng = np.random.default_rng(seed)
        y, cache = network.forward(net_x)
        gx = network.backward(F.cross_entropy_backward(probe, y, net_target), cache)
        return [gx] + [grad.copy() for _, _, grad in network.parameters()]

    net_arrays = {"x": net_x, **{name: param for name, param, _ in network.parameters()}}

    # The same kind of network as training runs it: train.train_step, whose first convolution computes no
    # input gradient and whose Sequential.backward is called with input_grad=False.
    step_network = block(nn.Conv2d(1, 2, 3, padding=1, bias=False, input_grad=False, rng=rng, **f64),
                         nn.BatchNorm2d(2, **f64), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.5, rng=seed),
                         nn.Linear(8, 3, rng=rng, **f64))
    step_x, step_target = normal(2, 1, 4, 4), rng.integers(0, 3, size=2)

    def step_loss():
        step_network[5].rng = np.random.default_rng(seed)
        return F.cross_entropy(step_network.forward(step_x)[0], step_target)

    def step_backward(probe):
        step_network[5].rng = np.random.default_rng(seed)
        train.train_step(step_network, step_x, step_target)
        return [probe * grad for _, _, grad in step_network.parameters()]

    step_arrays = {name: param for name, param, _ in step_network.parameters()}
    relu_x = _away_from_kinks(normal(2, 3, 4))
    capped_x = 6 + _away_from_kinks(4 * normal(2, 3, 4, 4) - 6)  # spread over both of ReLU6's kinks, clear of each
    capped_x = _away_from_kinks(capped_x)
    hard_x = _away_from_kinks(3 * normal(2, 3, 4, 4) + 3) - 3  # on both sides of hard swish's kinks, clear of -3
    hard_x = _away_from_kinks(hard_x - 3) + 3  # and of 3

    ln_x, ln_w, ln_b = normal(2, 3, 3, 3), normal(3), normal(3)
    # some inputs are not square, so that a backward pass that mixes up the height and width axes fails
    cases = [
        conv("Conv2d 3×3, padding 1", (2, 2, 4, 4), 2, 2, 3, padding=1),
        conv("Conv2d 3×3, more outputs than inputs", (2, 2, 4, 4), 2, 3, 3),
        conv("Conv2d 3×3, stride 2, padding 1", (2, 2, 5, 6), 2, 2, 3, stride=2, padding=1),
        conv("Conv2d 3×3, dilation 2", (2, 2, 6, 7), 2, 2, 3, dilation=2),
        conv("Conv2d 3×3, 2 groups", (2, 4, 4, 4), 4, 4, 3, groups=2, padding=1),
        conv("Conv2d 3×3, depthwise", (2, 3, 4, 4), 3, 3, 3, groups=3, padding=1),
        conv("Conv2d 1×1", (2, 3, 4, 4), 3, 2, 1),
        module("ConvTranspose2d 3×3, stride 2, padding 1", nn.ConvTranspose2d(
            2, 2, 3, stride=2, padding=1, output_padding=1, rng=rng, **f64), normal(2, 2, 3, 4),
            ("conv_transpose2d_backward",)),
        module("Linear", nn.Linear(5, 4, rng=rng, **f64), normal(3, 5), ("linear_backward",)),
        module("ReLU", nn.ReLU(), _away_from_kinks(normal(2, 3, 4, 4))),
        module("ReLU6 (capped at 6)", nn.ReLU(cap=6), capped_x),
        module("SiLU (swish)", nn.SiLU(), normal(2, 3, 4, 4)),
        module("Sigmoid", nn.Sigmoid(), normal(2, 3, 4, 4)),
        module("Hardswish", nn.Hardswish(), hard_x),
        module("Hardsigmoid", nn.Hardsigmoid(), hard_x),
        module("GELU", nn.GELU(), normal(2, 3, 4, 4)),
        module("LayerNorm2d over the channels", _with_random_params(nn.LayerNorm2d(3, **f64), rng), normal(2, 3, 4, 5)),
        module("LayerScale", _with_random_params(nn.LayerScale(3, **f64), rng), normal(2, 3, 4, 4)),
        module("GroupNorm, 2 groups of 2 channels", _with_random_params(nn.GroupNorm(2, 4, **f64), rng),
               normal(2, 4, 3, 3), ("group_norm_backward",)),
        module("GroupNorm, 1 group, a batch of 1", _with_random_params(nn.GroupNorm(1, 3, **f64), rng),
               normal(1, 3, 3, 3), ("group_norm_backward",)),
        _functional_case("layer_norm (functional), per image",
                         "layer_norm_backward", lambda: F.layer_norm(ln_x, ln_w, ln_b),
                         lambda g: list(F.layer_norm_backward(g, ln_x, ln_w, ln_b)),
                         {"x": ln_x, "weight": ln_w, "bias": ln_b}, ln_x.shape, rng),
        module("Gate: squeeze-and-excitation", nn.Gate(block(
            nn.AdaptiveAvgPool2d(1), nn.Conv2d(3, 2, 1, rng=rng, **f64), nn.SiLU(), nn.Conv2d(2, 3, 1, rng=rng, **f64),
            nn.Sigmoid())), normal(2, 3, 4, 4),
            ("Sequential", "AdaptiveAvgPool2d", "Conv2d", "SiLU", "Sigmoid", "conv2d_backward",
             "adaptive_avg_pool2d_backward")),
        _functional_case("relu (functional)", "relu_backward", lambda: F.relu(relu_x),
                         lambda g: [F.relu_backward(g, relu_x)], {"x": relu_x}, relu_x.shape, rng),
        module("MaxPool2d 2×2", nn.MaxPool2d(2), normal(2, 2, 4, 4), ("max_pool2d_backward",)),
        module("MaxPool2d 3×3, stride 2, padding 1", nn.MaxPool2d(3, 2, padding=1), normal(2, 2, 5, 6),
               ("max_pool2d_backward",)),
        module("AvgPool2d 2×2", nn.AvgPool2d(2), normal(2, 2, 4, 4), ("avg_pool2d_backward",)),
        module("AvgPool2d 3×3, stride 2, padding 1, padded zeros not counted",
               nn.AvgPool2d(3, 2, padding=1, count_include_pad=False), normal(2, 2, 5, 6), ("avg_pool2d_backward",)),
        module("AdaptiveAvgPool2d to 1×1 (global average)", nn.AdaptiveAvgPool2d(1), normal(2, 3, 4, 4),
               ("adaptive_avg_pool2d_backward",)),
        module("AdaptiveAvgPool2d 5×5 to 3×3 (overlapping bins)", nn.AdaptiveAvgPool2d(3), normal(2, 2, 5, 5),
               ("adaptive_avg_pool2d_backward",)),
        batch_norm(True, (4, 3, 3, 3)),
        batch_norm(False, (4, 3, 3, 3)),
        batch_norm(True, (6, 3)),
        module(f"Dropout, p = {dropout.p:g}, training (fixed mask)", dropout.train(), normal(2, 3, 4, 4),
               ("dropout_backward",), reseed=reseed_dropout),
        module("Dropout, evaluation (identity)", nn.Dropout(dropout.p, rng=seed).eval(), normal(2, 3, 4, 4)),
        module("Flatten", nn.Flatten(), normal(2, 2, 3, 3)),
        _functional_case("cross-entropy of softmax (mean over the batch)", "cross_entropy_backward",
                         lambda: F.cross_entropy(logits, target),
                         lambda g: [F.cross_entropy_backward(g, logits, target)], {"logits": logits}, None, rng),
        _functional_case("softmax", "softmax_backward", lambda: F.softmax(soft),
                         lambda g: [F.softmax_backward(g, soft)], {"x": soft}, soft.shape, rng),
        _functional_case("log-softmax", "log_softmax_backward", lambda: F.log_softmax(soft),
                         lambda g: [F.log_softmax_backward(g, soft)], {"x": soft}, soft.shape, rng),
        module("Residual, identity shortcut", nn.Residual(block(
            nn.Conv2d(2, 2, 3, padding=1, rng=rng, **f64), nn.ReLU())), normal(2, 2, 4, 4),
            ("Sequential", "Conv2d", "ReLU", "conv2d_backward")),
        module("Residual, 1×1 projection shortcut", nn.Residual(
            nn.Conv2d(2, 3, 3, padding=1, rng=rng, **f64), nn.Conv2d(2, 3, 1, rng=rng, **f64)),
            normal(2, 2, 4, 4), ("Conv2d", "conv2d_backward")),
        module("Concat of a 1×1 and a 3×3 branch", nn.Concat(
            nn.Conv2d(2, 2, 1, rng=rng, **f64), nn.Conv2d(2, 3, 3, padding=1, rng=rng, **f64)),
            normal(2, 2, 4, 4), ("Conv2d", "conv2d_backward")),
    ]
    cases.append(_functional_case(
        "a small network end to end, with cross-entropy",
        "Sequential.backward", net_loss, net_backward, net_arrays, None, rng,
        covers=("Sequential", "Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d", "Flatten", "Dropout", "Linear",
                "cross_entropy_backward")))
    cases.append(_functional_case(
        "one training step (train_step), parameters only", "train_step", step_loss, step_backward, step_arrays,
        None, rng, covers=("Sequential", "Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d", "Flatten", "Dropout", "Linear",
                           "cross_entropy_backward"), shape=step_x.shape))
    return cases


def backward_passes():
    """The names a complete check must cover: every ``*_backward`` of :mod:`cnnbook.functional` and every
    layer of :mod:`cnnbook.nn` with a ``backward`` of its own.

    Examples
    --------
    >>> names = backward_passes()
    >>> "batch_norm_backward" in names and "Dropout" in names and "Module" not in names
    True
    """
    functions = {name for name in F.__all__ if name.endswith("_backward")}
    layers = {name for name in nn.__all__ if isinstance(getattr(nn, name), type)
              and issubclass(getattr(nn, name), nn.Module) and getattr(nn, name) is not nn.Module
              and "backward" in vars(getattr(nn, name))}
    return sorted(functions | layers)


def backward_passes_run(seed=0):
    """The names of :func:`backward_passes` whose code actually runs while :func:`gradient_cases` computes the
    analytic gradients (a case's ``covers`` is declared by hand; this traces the calls).

    Examples
    --------
    >>> backward_passes_run() == set(backward_passes())
    True
    """
    # unwrapped: a decorated function's own code, not its wrapper's (which every function it decorates shares)
    codes = {name: inspect.unwrap(getattr(nn, name).backward if name[0].isupper() else getattr(F, name)).__code__
             for name in backward_passes()}
    called = set()

    def profile(frame, event, arg):
        if event == "call":
            called.add(frame.f_code)

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        gradient_cases(seed)
    finally:
        sys.setprofile(previous)
    return {name for name, code in codes.items() if code in called}


def check_case(case, eps=EPS):
    """Largest relative error over the case's arguments (:func:`relative_error` against central differences)."""
    def loss():
        return float(np.sum(case.forward() * case.probe))

    return max(relative_error(analytic, numerical_gradient(loss, array, eps))
               for array, analytic in case.arguments.values())


def check_all(seed=0, eps=EPS):
    """Check every case of :func:`gradient_cases`: a list of row dicts, one per backward pass.

    Each row has ``label``, ``backward``, ``shape``, ``checked`` (the names of the gradients compared),
    ``error`` (the largest relative error) and ``passed`` (``error < TOLERANCE``).
    """
    rows = []
    for case in gradient_cases(seed):
        error = check_case(case, eps)
        rows.append({"label": case.label, "backward": case.backward, "shape": list(case.shape),
                     "checked": list(case.arguments), "error": error, "passed": error < TOLERANCE,
                     "covers": list(case.covers)})
    return rows


def flip_bug_and_float32(seed=0, eps=EPS):
    """The input gradient of a 3×3 convolution checked three ways, for scale.

    Returns
    -------
    dict
        ``scatter`` and ``bug_scatter``: ``(analytic, numerical)`` lists for every input entry, for the
        correct backward pass and for one that forgets the kernel flip (it correlates ``g`` with ``w``
        instead of convolving); ``error``, ``bug`` and ``float32``: the relative errors of the correct
        pass, of the bug, and of the correct pass checked with a float32 forward pass.
    """
    rng = np.random.default_rng(seed)
    x, w = rng.standard_normal((2, 2, 6, 6)), rng.standard_normal((2, 2, 3, 3))
    probe = rng.standard_normal(F.conv2d(x, w).shape)
    grad_x = F.conv2d_backward(probe, x, w)[0]
    bug = F.conv2d_backward(probe, x, w[:, :, ::-1, ::-1])[0]
    numeric = numerical_gradient(lambda: float(np.sum(F.conv2d(x, w) * probe)), x, eps)
    x32, w32 = x.astype(np.float32), w.astype(np.float32)
    numeric32 = numerical_gradient(lambda: float(np.sum(F.conv2d(x32, w32) * probe)), x32, eps)
    return {"scatter": (grad_x.ravel().tolist(), numeric.ravel().tolist()),
            "bug_scatter": (bug.ravel().tolist(), numeric.ravel().tolist()),
            "error": relative_error(grad_x, numeric), "bug": relative_error(bug, numeric),
            "float32": relative_error(grad_x, numeric32)}
