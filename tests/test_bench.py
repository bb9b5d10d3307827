"""The benchmark harness: its LeNet step trains, its workers run, its report states the targets."""

from __future__ import annotations

import json

import numpy as np

from cnnbook import bench


def test_lenet_step_lowers_the_loss():
    params = bench._lenet_params()
    images = bench._data((16, 1, 28, 28))
    labels = np.random.default_rng(0).integers(0, 10, 16)
    losses = [float(bench._lenet_step_cnnbook(params, images, labels, lr=0.05)) for _ in range(15)]
    assert losses[-1] < 0.5 * losses[0]  # it fits one batch: the gradients point downhill
    assert params["c1"].dtype == np.float32


def test_cnnbook_worker_times_every_case():
    times = bench._child("cnnbook", 1, "cpu")
    assert len(times["conv_forward"]) == len(bench.CONV_SHAPES)
    assert all(t > 0 for t in times["conv_forward"])
    assert set(times["conv_backward"]) == {str(i) for i in bench.BACKWARD_SHAPES}
    assert times["max_pool"] > 0 and times["lenet_step"] > 0
    assert max(times["conv_peak_extra_mib"].values()) <= bench.TARGETS["conv_peak_extra_mib"]


def test_report_and_targets_from_a_record():
    ours = {"conv_forward": [2.0] * 7, "conv_backward": {"1": 3.0, "3": 2.0}, "max_pool": 1.0, "lenet_step": 1.0,
            "conv_peak_extra_mib": {"8": 10.0, "32": 10.0}}
    torch_ = {"conv_forward": [1.0] * 6 + [0.25], "conv_backward": {"1": 1.0, "3": 1.0}, "max_pool": 1.0,
              "lenet_step": 1.0}
    results = {"cnnbook": ours, "torch": torch_}
    summary = bench.summarize(results)
    assert summary["conv_forward_worst"] == 8.0
    assert abs(summary["conv_forward_geomean"] - (2.0**6 * 8.0) ** (1 / 7)) < 1e-12
    record = {"machine": "test", "device": "cpu", "repeat": 1, "versions": {}, "results": results, "summary": summary}
    text = bench.report(record)
    assert "MISS  conv2d forward, worst shape" in text
    assert "met   2x2 max-pool forward+backward" in text
    json.dumps(record)  # the record is what gets written as JSON
    table = bench.markdown(record)
    assert "| 7 depthwise 3x3 (8,64,56,56→64,3,1,1,64) | 2000.000 | 250.000 | 8.00 |" in table
    assert "| conv2d forward, worst shape: ≤ 4.0 | 8.00 | no |" in table
