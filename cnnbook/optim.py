"""Optimizers and learning-rate schedules (chapter 7).

An optimizer holds the list of ``(name, parameter, gradient)`` triples of a
model (:meth:`cnnbook.nn.Module.parameters`) and updates the parameters *in
place* from their gradients, so the model sees the new values at once. Frozen
modules' parameters are left out when the optimizer is built.

>>> import numpy as np
>>> from cnnbook import nn
>>> layer = nn.Linear(1, 1, bias=False, rng=0)
>>> layer.params["weight"][...] = 3.0
>>> opt = SGD(layer, lr=0.1)
>>> layer.grads["weight"][...] = 2.0        # as if dL/dw = 2
>>> opt.step()
>>> round(float(layer.params["weight"][0, 0]), 6)     # 3 - 0.1·2
2.8
"""

from __future__ import annotations

import math
import numbers

from cnnbook.backend import get_xp

__all__ = ["SGD", "Adam", "AdamW", "constant_lr", "cosine_lr", "step_lr"]


def _positive(value, name, where, allow_zero=False):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{where}: {name} must be a number {bound}; got {value!r}")
    return float(value)


class _Optimizer:
    def __init__(self, model, lr, weight_decay, where):
        # (name, parameter, gradient) of every trainable parameter, and its module's learning-rate multiplier
        self.params, self.scales = [], []
        for prefix, module in model.modules():
            if module.frozen:
                continue
            for key, value in module.params.items():
                self.params.append((f"{prefix}.{key}" if prefix else key, value, module.grads[key]))
                self.scales.append(module.lr_scale)
        if not self.params:
            raise ValueError(f"{where}: the model has no trainable parameters")
        self.lr = _positive(lr, "lr", where)
        self.weight_decay = _positive(weight_decay, "weight_decay", where, allow_zero=True)
        self.steps = 0

    def _decayed(self, param, grad):
        # L2 weight decay: the gradient of (λ/2)·|w|², added to the loss's gradient.
        return grad + self.weight_decay * param if self.weight_decay else grad


class SGD(_Optimizer):
    """Stochastic gradient descent with (heavy-ball) momentum and L2 weight decay, as PyTorch's ``SGD``.

    .. math:: v \\leftarrow \\mu v + (g + \\lambda w), \\qquad w \\leftarrow w - \\eta v

    Examples
    --------
    >>> import numpy as np
    >>> from cnnbook import nn
    >>> layer = nn.Linear(1, 1, bias=False, rng=0)
    >>> layer.params["weight"][...] = 1.0
    >>> opt = SGD(layer, lr=0.5, momentum=0.9)
    >>> for _ in range(2):
    ...     layer.grads["weight"][...] = 1.0
    ...     opt.step()
    >>> round(float(layer.params["weight"][0, 0]), 6)   # 1 - 0.5·1 - 0.5·(0.9 + 1)
    -0.45
    """

    def __init__(self, model, lr=0.01, momentum=0.0, weight_decay=0.0):
        super().__init__(model, lr, weight_decay, "SGD")
        self.momentum = _positive(momentum, "momentum", "SGD", allow_zero=True)
        self.velocity = [None] * len(self.params)

    def step(self):
        for i, ((_, param, grad), scale) in enumerate(zip(self.params, self.scales)):
            g = self._decayed(param, grad)
            if self.momentum:
                if self.velocity[i] is None:
                    self.velocity[i] = g.copy()
                else:
                    self.velocity[i] *= self.momentum
                    self.velocity[i] += g
                g = self.velocity[i]
            param -= (self.lr * scale) * g
        self.steps += 1


class Adam(_Optimizer):
    """Adam (Kingma & Ba 2015): a step per weight scaled by running estimates of the gradient's moments.

    .. math::
        m \\leftarrow \\beta_1 m + (1-\\beta_1) g, \\quad v \\leftarrow \\beta_2 v + (1-\\beta_2) g^2, \\quad
        w \\leftarrow w - \\eta\\, \\frac{m/(1-\\beta_1^t)}{\\sqrt{v/(1-\\beta_2^t)} + \\epsilon}

    Dividing by :math:`\\sqrt v` makes the step about ``lr`` in size whatever
    the gradient's scale, which is why one learning rate (1e-3) suits so many
    networks. The bias corrections undo the zero start of ``m`` and ``v``.

    Examples
    --------
    >>> import numpy as np
    >>> from cnnbook import nn
    >>> layer = nn.Linear(1, 1, bias=False, rng=0)
    >>> layer.params["weight"][...] = 1.0
    >>> opt = Adam(layer, lr=0.1)
    >>> layer.grads["weight"][...] = 123.0    # the first step is lr whatever the gradient
    >>> opt.step()
    >>> round(float(layer.params["weight"][0, 0]), 6)
    0.9
    """

    def __init__(self, model, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(model, lr, weight_decay, "Adam")
        if len(betas) != 2 or not all(0 <= b < 1 for b in betas):
            raise ValueError(f"Adam: betas must be two numbers in [0, 1); got {betas!r}")
        self.betas, self.eps = tuple(float(b) for b in betas), _positive(eps, "eps", "Adam")
        self.m = [get_xp(p).zeros_like(p) for _, p, _ in self.params]
        self.v = [get_xp(p).zeros_like(p) for _, p, _ in self.params]

    def step(self):
        self.steps += 1
        b1, b2 = self.betas
        c1, c2 = 1 - b1**self.steps, 1 - b2**self.steps
        for (_, param, grad), scale, m, v in zip(self.params, self.scales, self.m, self.v):
            xp = get_xp(param)
            g = self._decayed(param, grad)
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            param -= (self.lr * scale / c1) * m / (xp.sqrt(v / c2) + self.eps)


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter 2019), as PyTorch's ``AdamW``.

    .. math:: w \leftarrow (1 - \eta\lambda)\, w, \quad \text{then Adam's step with the loss's gradient alone}

    :class:`Adam` with ``weight_decay`` adds :math:`\lambda w` to the gradient (L2 regularization), and Adam then
    divides it by :math:`\sqrt v` like the rest of the gradient: a weight whose gradients are large is hardly
    decayed at all. AdamW shrinks every weight by the same factor :math:`1 - \eta\lambda` per step, apart from
    the gradient, which is what weight decay meant for plain SGD.

    Examples
    --------
    >>> import numpy as np
    >>> from cnnbook import nn
    >>> def first_step(optimizer_class, grad):
    ...     layer = nn.Linear(1, 1, bias=False, rng=0)
    ...     layer.params["weight"][...] = 1.0
    ...     opt = optimizer_class(layer, lr=0.1, weight_decay=0.5)
    ...     layer.grads["weight"][...] = grad
    ...     opt.step()
    ...     return round(float(layer.params["weight"][0, 0]), 6)
    >>> first_step(AdamW, 0.0), first_step(Adam, 0.0)     # no gradient: AdamW shrinks by 1 - 0.1·0.5
    (0.95, 0.9)
    >>> first_step(AdamW, 100.0), first_step(Adam, 100.0)  # a large gradient: L2's 0.5 is lost in it
    (0.85, 0.9)
    """

    def __init__(self, model, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(model, lr, betas, eps, weight_decay=0.0)
        self.weight_decay = _positive(weight_decay, "weight_decay", "AdamW", allow_zero=True)

    def _decayed(self, param, grad):
        return grad  # the decay is applied to the weights in step(), not added to the gradient

    def step(self):
        if self.weight_decay:
            for (_, param, _), scale in zip(self.params, self.scales):
                param *= 1 - self.lr * scale * self.weight_decay
        super().step()


def constant_lr(base):
    """The schedule ``epoch -> base``."""
    base = _positive(base, "base", "constant_lr")
    return lambda epoch: base


def step_lr(base, step_size, gamma=0.1):
    """Multiply the rate by ``gamma`` every ``step_size`` epochs (the schedule of AlexNet, VGG and ResNet).

    Examples
    --------
    >>> schedule = step_lr(0.1, step_size=2, gamma=0.5)
    >>> [schedule(e) for e in range(5)]
    [0.1, 0.1, 0.05, 0.05, 0.025]
    """
    base = _positive(base, "base", "step_lr")
    if isinstance(step_size, bool) or not isinstance(step_size, int) or step_size < 1:
        raise ValueError(f"step_lr: step_size must be an integer >= 1; got {step_size!r}")
    return lambda epoch: base * gamma ** (epoch // step_size)


def cosine_lr(base, epochs, minimum=0.0):
    """Half a cosine from ``base`` at epoch 0 down to ``minimum`` at epoch ``epochs`` (Loshchilov & Hutter 2017).

    Examples
    --------
    >>> schedule = cosine_lr(1.0, epochs=4)
    >>> [round(schedule(e), 3) for e in range(5)]
    [1.0, 0.854, 0.5, 0.146, 0.0]
    """
    base = _positive(base, "base", "cosine_lr")
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"cosine_lr: epochs must be an integer >= 1; got {epochs!r}")
    return lambda epoch: minimum + (base - minimum) * 0.5 * (1 + math.cos(math.pi * min(epoch, epochs) / epochs))
