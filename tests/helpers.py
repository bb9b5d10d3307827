"""Shared test tools: central finite differences."""

from __future__ import annotations

import numpy as np
from numpy.testing import assert_allclose


def numerical_gradient(f, x, eps=1e-6):
    """Central differences of the scalar function ``f`` at ``x`` (every entry, changed in place and restored)."""
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        old = x[index]
        x[index] = old + eps
        up = f()
        x[index] = old - eps
        down = f()
        x[index] = old
        grad[index] = (up - down) / (2 * eps)
    return grad


def assert_gradients(forward, inputs, analytic, probe, rtol=1e-5, atol=1e-6):
    """Check ``analytic`` gradients of ``loss = <forward(), probe>`` against finite differences.

    ``inputs`` and ``analytic`` are parallel sequences: the float64 arrays the
    forward reads (perturbed in place) and the backward's gradients for them.
    """
    def loss():
        return float(np.sum(forward() * probe))

    assert len(inputs) == len(analytic)
    for x, got in zip(inputs, analytic):
        assert got.shape == x.shape
        assert_allclose(got, numerical_gradient(loss, x), rtol=rtol, atol=atol)
