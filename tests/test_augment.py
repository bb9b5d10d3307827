"""Data augmentation on batches of images: rotation and scaling, cutout, flips (cnnbook.data)."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from cnnbook import data


def test_a_quarter_turn_is_rot90_and_the_identity_is_exact(rng):
    x = rng.standard_normal((3, 2, 7, 7))
    x[:, :, 0, 0] = 0.0
    assert_allclose(data._affine(x, np.zeros(3), np.ones(3)), x, atol=1e-12)
    turned = data._affine(x, np.full(3, np.pi / 2), np.ones(3))
    assert_allclose(turned, np.rot90(x, 1, axes=(2, 3)), atol=1e-9)  # anticlockwise as drawn, row 0 at the top
    dot = np.zeros((1, 1, 5, 5))
    dot[0, 0, 0, 2] = 1.0  # at the top, in the middle
    assert data._affine(dot, np.array([np.pi / 2]), np.ones(1))[0, 0, 2, 0] == pytest.approx(1.0)  # now on the left


def test_scaling_grows_the_content_about_the_centre_and_fills_the_background(rng):
    x = np.full((1, 1, 9, 9), -0.4)  # the background of a standardized digit
    x[0, 0, 3:6, 3:6] = 1.0         # a 3×3 square at the centre
    bigger = data._affine(x, np.zeros(1), np.array([2.0]))[0, 0]
    assert (bigger > 0.9).sum() > 9 and bigger[4, 4] == pytest.approx(1.0)
    smaller = data._affine(x, np.zeros(1), np.array([0.5]))[0, 0]
    assert_allclose(smaller[0], -0.4)  # what comes in from outside is the background, not zero


def test_random_affine_draws_per_image_and_is_seeded(rng):
    x = rng.standard_normal((4, 1, 12, 12)).astype(np.float32)
    a, b = data.random_affine(x, 20, 0.1, rng=5), data.random_affine(x, 20, 0.1, rng=5)
    assert a.dtype == np.float32 and np.array_equal(a, b)
    assert not np.allclose(a[0], x[0])
    with pytest.raises(ValueError, match="max_degrees must be a number in"):
        data.random_affine(x, 200, 0.1, rng=0)
    with pytest.raises(ValueError, match="x must have shape"):
        data.random_affine(x[0], 10, 0.1, rng=0)


def test_cutout_and_flips(rng):
    x = rng.standard_normal((50, 1, 10, 10)) + 5
    x[:, :, 0, 0] = 0.0
    holes = data.cutout(x, 4, rng=1)
    changed = (holes != x).sum(axis=(1, 2, 3))
    assert changed.max() <= 16 and changed.min() >= 1 and (holes[holes != x] == 0).all()
    flipped = data.random_flip(x, rng=2)
    mirrored = np.array([np.array_equal(f, xi[..., ::-1]) for f, xi in zip(flipped, x)])
    unchanged = np.array([np.array_equal(f, xi) for f, xi in zip(flipped, x)])
    assert (mirrored ^ unchanged).all() and 10 < mirrored.sum() < 40
