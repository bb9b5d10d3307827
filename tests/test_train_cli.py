"""`cnnbook train` and `cnnbook models` from the command line, as a learner runs them after installing."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from bookbuild.workers import ONE_CORE


def _cnnbook(*args):
    """Run the command on one core, as the build's workers train: the same results bit for bit, and no BLAS
    threads spinning while other tests use the cores (with two threads, one CI run of ``train lenet`` took 230 s;
    on one core it takes under a minute on the same kind of machine, busy)."""
    return subprocess.run([sys.executable, "-m", "cnnbook.cli", *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **ONE_CORE})


@pytest.mark.long
def test_train_lenet_reaches_the_stated_accuracy(tmp_path, monkeypatch, request):
    """The command a learner runs prints the accuracy chapter 7 states: the same seeded run. The chapter's number
    is the experiment of the build that ``make test`` made first, or, without one, the experiment computed afresh."""
    from cnnbook import experiments

    done = _cnnbook("train", "lenet", "--quiet")
    assert done.returncode == 0, done.stderr
    accuracy = float(re.search(r"test accuracy ([\d.]+)%", done.stdout).group(1))
    assert accuracy >= 97.0, done.stdout
    from cnnbook import train

    assert f"after {train.RECIPES['lenet5'].epochs} epochs" in done.stdout
    built = os.environ.get("CNNBOOK_TEST_BUILD") and request.getfixturevalue("built_site")["cache"]
    monkeypatch.setenv("CNNBOOK_CACHE", str(built or tmp_path))
    stated = experiments.run("ch07.lenet")["history"]["test_accuracy"][-1]
    assert f"{stated:.2%}" == f"{accuracy:.2f}%"


def test_train_saves_weights_that_load(tmp_path):
    from cnnbook import data, models, train

    path = tmp_path / "mlp.npz"
    done = _cnnbook("train", "mlp", "--epochs", "1", "--seed", "3", "--save", str(path))
    assert done.returncode == 0, done.stderr
    assert "batch/s" in done.stderr  # tqdm's bar
    net = train.load(models.build("mlp"), path)
    digits = data.mnist(backend="numpy")
    shown = float(re.search(r"test accuracy ([\d.]+)%", done.stdout).group(1))
    assert round(train.evaluate(net, digits.x_test, digits.y_test)[1] * 100, 2) == shown


def test_unknown_model_and_catalogue():
    done = _cnnbook("train", "alexnet")
    assert done.returncode == 2 and "choose from lenet" in done.stderr
    listing = _cnnbook("models").stdout
    assert re.search(r"vgg16\s+138,357,544", listing) and re.search(r"resnet18\s+11,689,512", listing)
    table = _cnnbook("models", "lenet5").stdout
    assert re.search(r"total\s+61,706", table)
