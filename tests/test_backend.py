"""The backend: array library from the inputs, and a GPU probe that never crashes."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest

from cnnbook import backend


@pytest.fixture
def fake_cupy(monkeypatch):
    """Install a fake ``cupy`` module and reset the probe; yields a setter for its failure."""

    def install(module):
        monkeypatch.setitem(sys.modules, "cupy", module)
        backend._probe_cupy.cache_clear()

    yield install
    backend._probe_cupy.cache_clear()


class CUDARuntimeError(RuntimeError):
    pass


def _cupy_without_driver():
    """What cupy-cuda12x does on a machine with no NVIDIA driver: imports, then fails on use."""

    def get_device_count():
        raise CUDARuntimeError("cudaErrorInsufficientDriver: CUDA driver version is insufficient")

    module = types.ModuleType("cupy")
    module.cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=get_device_count))
    return module


def _cupy_without_nvrtc():
    """A device is visible but kernels cannot be compiled."""

    def arange(*args, **kwargs):
        raise RuntimeError("CompileException: nvrtc not found")

    module = types.ModuleType("cupy")
    module.cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=lambda: 1))
    module.arange = arange
    module.float32 = np.float32
    return module


@pytest.mark.parametrize("make", [_cupy_without_driver, _cupy_without_nvrtc])
def test_auto_falls_back_to_numpy_when_cupy_cannot_run(fake_cupy, monkeypatch, make):
    fake_cupy(make())
    monkeypatch.setenv("CNNBOOK_BACKEND", "auto")
    assert backend.gpu_available() is False
    assert backend.backend_name() == "numpy"
    assert backend.default_xp() is np
    assert isinstance(backend.to_device([1.0, 2.0]), np.ndarray)


def test_auto_falls_back_when_cupy_import_fails(fake_cupy, monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)  # makes "import cupy" raise ImportError
    backend._probe_cupy.cache_clear()
    monkeypatch.delenv("CNNBOOK_BACKEND", raising=False)
    available, reason = backend.gpu_status()
    assert not available and "cannot be imported" in reason
    assert backend.backend_name() == "numpy"


def test_explicit_cupy_without_gpu_is_a_clear_error(fake_cupy, monkeypatch):
    fake_cupy(_cupy_without_driver())
    monkeypatch.setenv("CNNBOOK_BACKEND", "cupy")
    with pytest.raises(RuntimeError, match="CNNBOOK_BACKEND=cupy but no working GPU.*InsufficientDriver"):
        backend.backend_name()
    with pytest.raises(RuntimeError, match="cannot move to cupy"):
        backend.to_device(np.zeros(2), "cupy")


def test_unknown_backend_names_the_variable(monkeypatch):
    monkeypatch.setenv("CNNBOOK_BACKEND", "tpu")
    with pytest.raises(ValueError, match="CNNBOOK_BACKEND must be one of auto, numpy, cupy; got 'tpu'"):
        backend.backend_name()


def test_numpy_backend_never_probes(fake_cupy, monkeypatch):
    def boom():
        raise AssertionError("the probe must not run for CNNBOOK_BACKEND=numpy")

    module = types.ModuleType("cupy")
    module.cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=boom))
    fake_cupy(module)
    monkeypatch.setenv("CNNBOOK_BACKEND", "numpy")
    assert backend.backend_name() == "numpy"


def test_get_xp_and_to_numpy_on_numpy():
    x = np.arange(3.0)
    assert backend.get_xp(x, None, 2.0) is np
    assert backend.to_numpy(x) is x
    assert backend.is_cupy_array(x) is False


def test_to_device_rejects_unknown_backend():
    with pytest.raises(ValueError, match="to_device: backend must be"):
        backend.to_device([1], "gpu")


def test_cli_info_runs(capsys):
    from cnnbook.cli import main

    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert "backend" in out and "numpy" in out
