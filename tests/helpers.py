"""Shared test tools: gradients checked by central finite differences."""

from __future__ import annotations

import numpy as np
from numpy.testing import assert_allclose

from cnnbook.gradcheck import numerical_gradient


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
