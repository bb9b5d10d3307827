"""What chapter 8's figures, facts and exercises share: its examples and the computations behind them."""

from __future__ import annotations

import numpy as np

from cnnbook import experiments


def transfer_run():
    return experiments.run("ch08.transfer")


def spread(values):
    """Mean, lowest and highest of one point's runs (one per seed)."""
    values = np.asarray(values, dtype=float)
    return float(values.mean()), float(values.min()), float(values.max())
