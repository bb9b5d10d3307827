"""Benchmark of the numerical core against PyTorch and the naive loops: ``cnnbook bench``.

Each library is timed in its own child process, one after the other: NumPy's
and PyTorch's idle worker threads spin while the other library runs, and
interleaving their calls in one process slows both several-fold. Every time is
the median of ``repeat`` calls after two untimed ones, in float32.

The naive loops of :mod:`cnnbook.reference` take minutes to hours on these
shapes, so they are timed on one image (and one filter where there are no
groups) and scaled up by the number of images and filters: their loop nest does
exactly the same work for each.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

from cnnbook.timing import median_time

__all__ = ["CONV_SHAPES", "TARGETS", "main", "run"]

# (N, C_in, H, W, C_out, k, stride, padding, groups)
CONV_SHAPES = [
    (64, 1, 28, 28, 6, 5, 1, 2, 1),
    (64, 6, 14, 14, 16, 5, 1, 0, 1),
    (32, 3, 32, 32, 16, 3, 1, 1, 1),
    (8, 64, 56, 56, 64, 3, 1, 1, 1),
    (8, 64, 56, 56, 128, 3, 2, 1, 1),
    (8, 256, 56, 56, 64, 1, 1, 0, 1),
    (8, 64, 56, 56, 64, 3, 1, 1, 64),
]
CONV_NAMES = ["LeNet conv1", "LeNet conv2", "CIFAR 3x3", "ResNet 3x3", "strided 3x3", "1x1", "depthwise 3x3"]
BACKWARD_SHAPES = [1, 3]  # indices into CONV_SHAPES: forward + backward on shapes 2 and 4
POOL_SHAPE = (8, 64, 112, 112)
LENET_BATCH = 64

# Ratios of times (cnnbook / PyTorch CPU) the issue asks for.
TARGETS = {"conv_forward_geomean": 2.0, "conv_forward_worst": 4.0, "conv_backward": 2.5, "max_pool": 1.0,
           "lenet_step": 1.5, "conv_peak_extra_mib": 64.0, "gpu_throughput": 0.5}


def _data(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape, dtype=np.float32)


def _conv_arrays(shape):
    n, c_in, h, w, c_out, k, stride, padding, groups = shape
    return _data((n, c_in, h, w)), _data((c_out, c_in // groups, k, k), 1), dict(
        stride=stride, padding=padding, groups=groups)


def _lenet_params():
    shapes = {"c1": (6, 1, 5, 5), "c2": (16, 6, 5, 5), "f1": (120, 400), "f2": (84, 120), "f3": (10, 84)}
    params = {}
    for seed, (name, shape) in enumerate(shapes.items()):
        fan_in = int(np.prod(shape[1:]))
        params[name] = _data(shape, seed) * np.float32(np.sqrt(2 / fan_in))
        params[name + "b"] = np.zeros(shape[0], np.float32)
    return params


def _lenet_step_cnnbook(params, x, labels, lr=0.01):
    """One SGD step of LeNet-5 written with cnnbook.functional: forward, loss, backward, update."""
    from cnnbook import functional as F

    a1 = F.conv2d(x, params["c1"], params["c1b"], padding=2)
    r1 = F.relu(a1)
    p1 = F.max_pool2d(r1, 2)
    a2 = F.conv2d(p1, params["c2"], params["c2b"])
    r2 = F.relu(a2)
    p2 = F.max_pool2d(r2, 2)
    flat = p2.reshape(p2.shape[0], -1)
    h1 = F.linear(flat, params["f1"], params["f1b"])
    z1 = F.relu(h1)
    h2 = F.linear(z1, params["f2"], params["f2b"])
    z2 = F.relu(h2)
    logits = F.linear(z2, params["f3"], params["f3b"])
    loss = F.cross_entropy(logits, labels)
    grads = {}
    g = F.cross_entropy_backward(1.0, logits, labels)
    g, grads["f3"], grads["f3b"] = F.linear_backward(g, z2, params["f3"])
    g, grads["f2"], grads["f2b"] = F.linear_backward(F.relu_backward(g, h2), z1, params["f2"])
    g, grads["f1"], grads["f1b"] = F.linear_backward(F.relu_backward(g, h1), flat, params["f1"])
    g = F.max_pool2d_backward(g.reshape(p2.shape), r2, 2, output=p2)
    g, grads["c2"], grads["c2b"] = F.conv2d_backward(F.relu_backward(g, a2), p1, params["c2"])
    g = F.max_pool2d_backward(g, r1, 2, output=p1)
    _, grads["c1"], grads["c1b"] = F.conv2d_backward(F.relu_backward(g, a1), x, params["c1"], padding=2,
                                                     input_grad=False)  # the images need no gradient
    for name, grad in grads.items():
        params[name] -= lr * grad
    return loss


def lenet_step_seconds(repeat=7):
    """Median seconds of one cnnbook LeNet-5 SGD step (batch of 64, as in the benchmark) in this process.

    The unit of the build's training work: the build-time test scales DESIGN.md's cold-build budget by how
    much slower this step runs here than on the machine of the benchmark record.
    """
    from cnnbook.timing import median_time

    params, images = _lenet_params(), _data((LENET_BATCH, 1, 28, 28))
    labels = np.random.default_rng(0).integers(0, 10, LENET_BATCH)
    return median_time(lambda: _lenet_step_cnnbook(params, images, labels), repeat, min_time=0)


def _worker_cnnbook(repeat, device):
    from cnnbook import functional as F
    from cnnbook.backend import to_device

    xp = np
    if device == "gpu":
        import cupy as xp

    def sync():
        if device == "gpu":
            xp.cuda.Device().synchronize()

    def timed(func):
        return median_time(lambda: (func(), sync()), repeat, min_time=0)  # one call per round

    results = {"conv_forward": [], "conv_backward": {}}
    for shape in CONV_SHAPES:
        if device == "gpu":
            shape = (64,) + shape[1:]
        x, w, kwargs = _conv_arrays(shape)
        x, w = to_device(x, "cupy" if device == "gpu" else "numpy"), to_device(w, "cupy" if device == "gpu" else "numpy")
        results["conv_forward"].append(timed(lambda: F.conv2d(x, w, **kwargs)))
    if device == "gpu":
        return results
    for index in BACKWARD_SHAPES:
        x, w, kwargs = _conv_arrays(CONV_SHAPES[index])

        def forward_backward():
            y = F.conv2d(x, w, **kwargs)
            return F.conv2d_backward(y, x, w, **kwargs)

        results["conv_backward"][str(index)] = timed(forward_backward)
    x = _data(POOL_SHAPE)
    g = _data((POOL_SHAPE[0], POOL_SHAPE[1], POOL_SHAPE[2] // 2, POOL_SHAPE[3] // 2), 1)
    def pool():
        y = F.max_pool2d(x, 2)
        return F.max_pool2d_backward(g, x, 2, output=y)

    results["max_pool"] = timed(pool)
    params, images = _lenet_params(), _data((LENET_BATCH, 1, 28, 28))
    labels = np.random.default_rng(0).integers(0, 10, LENET_BATCH)
    results["lenet_step"] = timed(lambda: _lenet_step_cnnbook(params, images, labels))
    results["conv_peak_extra_mib"] = {str(n): _peak_extra_mib(n) for n in (8, 32)}
    return results


def _peak_extra_mib(batch):
    """Peak memory one conv2d call on the ResNet 3x3 shape allocates beyond its output (NumPy, tracemalloc)."""
    from cnnbook import functional as F

    x, w, kwargs = _conv_arrays((batch,) + CONV_SHAPES[3][1:])
    tracemalloc.start()
    y = F.conv2d(x, w, **kwargs)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return (peak - y.base.nbytes if y.base is not None else peak - y.nbytes) / 2**20


def _worker_torch(repeat, device):
    import torch
    import torch.nn.functional as TF

    dev = "cuda" if device == "gpu" else "cpu"
    torch.backends.cudnn.benchmark = True

    def sync():
        if dev == "cuda":
            torch.cuda.synchronize()

    def timed(func):
        return median_time(lambda: (func(), sync()), repeat, min_time=0)  # one call per round

    results = {"conv_forward": [], "conv_backward": {}}
    with torch.no_grad():
        for shape in CONV_SHAPES:
            if device == "gpu":
                shape = (64,) + shape[1:]
            x, w, kwargs = _conv_arrays(shape)
            x, w = torch.from_numpy(x).to(dev), torch.from_numpy(w).to(dev)
            results["conv_forward"].append(timed(lambda: TF.conv2d(x, w, **kwargs)))
    if device == "gpu":
        results["device"] = torch.cuda.get_device_name(0)
        return results
    for index in BACKWARD_SHAPES:
        x, w, kwargs = _conv_arrays(CONV_SHAPES[index])
        x, w = torch.from_numpy(x).requires_grad_(), torch.from_numpy(w).requires_grad_()

        def forward_backward():
            y = TF.conv2d(x, w, **kwargs)
            y.backward(y.detach())  # the same gradient as cnnbook's run: the output itself
            x.grad = w.grad = None

        results["conv_backward"][str(index)] = timed(forward_backward)
    x = torch.from_numpy(_data(POOL_SHAPE)).requires_grad_()
    g = torch.from_numpy(_data((POOL_SHAPE[0], POOL_SHAPE[1], POOL_SHAPE[2] // 2, POOL_SHAPE[3] // 2), 1))

    def pool():
        TF.max_pool2d(x, 2).backward(g)
        x.grad = None

    results["max_pool"] = timed(pool)
    params = {k: torch.from_numpy(v).requires_grad_() for k, v in _lenet_params().items()}
    images = torch.from_numpy(_data((LENET_BATCH, 1, 28, 28)))
    labels = torch.from_numpy(np.random.default_rng(0).integers(0, 10, LENET_BATCH))
    optimizer = torch.optim.SGD(params.values(), lr=0.01)

    def step():
        p = params
        h = TF.max_pool2d(TF.relu(TF.conv2d(images, p["c1"], p["c1b"], padding=2)), 2)
        h = TF.max_pool2d(TF.relu(TF.conv2d(h, p["c2"], p["c2b"])), 2).flatten(1)
        h = TF.relu(TF.linear(TF.relu(TF.linear(h, p["f1"], p["f1b"])), p["f2"], p["f2b"]))
        loss = TF.cross_entropy(TF.linear(h, p["f3"], p["f3b"]), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    results["lenet_step"] = timed(step)
    results["threads"] = torch.get_num_threads()
    return results


def _worker_reference(repeat, device):
    """The naive loops, timed on a slice and scaled (see the module docstring)."""
    from cnnbook import reference

    results = {"conv_forward": [], "conv_forward_scale": []}
    for shape in CONV_SHAPES:
        x, w, kwargs = _conv_arrays(shape)
        n, c_out = x.shape[0], w.shape[0]
        if kwargs["groups"] == 1:
            x, w, scale = x[:1], w[:1], n * c_out
        else:
            x, scale = x[:1], n
        start = time.perf_counter()
        reference.conv2d(x, w, **kwargs)
        results["conv_forward"].append((time.perf_counter() - start) * scale)
        results["conv_forward_scale"].append(scale)
    return results


_WORKERS = {"cnnbook": _worker_cnnbook, "torch": _worker_torch, "reference": _worker_reference}


def _child(library, repeat, device):
    """Run one library's block in a fresh interpreter and return its JSON."""
    command = [sys.executable, "-m", "cnnbook.bench", "--worker", library, "--repeat", str(repeat), "--device", device]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"cnnbook bench: the {library} block failed:\n{done.stderr.strip()}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _versions():
    versions = {"python": platform.python_version(), "numpy": np.__version__}
    try:
        import torch

        versions["torch"] = torch.__version__
    except ImportError:
        versions["torch"] = None
    try:
        import threadpoolctl

        versions["blas"] = [{k: info.get(k) for k in ("internal_api", "version", "num_threads")}
                            for info in threadpoolctl.threadpool_info()]
    except ImportError:
        versions["blas"] = None
    return versions


def _geomean(values):
    return math.exp(sum(math.log(v) for v in values) / len(values))


def summarize(results):
    """The ratios the targets are stated in, from the raw times (torch may be missing)."""
    ours, torch_, ref = results.get("cnnbook"), results.get("torch"), results.get("reference")
    summary = {}
    if ours and torch_:
        conv = [a / b for a, b in zip(ours["conv_forward"], torch_["conv_forward"])]
        summary["conv_forward_ratios"] = conv
        summary["conv_forward_geomean"] = _geomean(conv)
        summary["conv_forward_worst"] = max(conv)
        if "max_pool" in ours:
            summary["conv_backward"] = {k: ours["conv_backward"][k] / torch_["conv_backward"][k]
                                        for k in ours["conv_backward"]}
            summary["max_pool"] = ours["max_pool"] / torch_["max_pool"]
            summary["lenet_step"] = ours["lenet_step"] / torch_["lenet_step"]
    if ours and ref:
        summary["reference_over_cnnbook"] = [a / b for a, b in zip(ref["conv_forward"], ours["conv_forward"])]
    if ours and "conv_peak_extra_mib" in ours:
        summary["conv_peak_extra_mib"] = max(ours["conv_peak_extra_mib"].values())
    return summary


def _verdicts(summary, gpu):
    rows = []

    def check(name, value, limit):
        rows.append((name, value, limit, value <= limit if not gpu else value >= limit))

    if gpu:
        for index, ratio in zip((3, 4, 5), summary.get("throughput", [])):
            check(f"GPU throughput vs PyTorch, shape {index + 1}", ratio, TARGETS["gpu_throughput"])
        return rows
    if "conv_forward_geomean" in summary:
        check("conv2d forward, geometric mean", summary["conv_forward_geomean"], TARGETS["conv_forward_geomean"])
        check("conv2d forward, worst shape", summary["conv_forward_worst"], TARGETS["conv_forward_worst"])
    for key, ratio in summary.get("conv_backward", {}).items():
        check(f"conv2d forward+backward, shape {int(key) + 1}", ratio, TARGETS["conv_backward"])
    if "max_pool" in summary:
        check("2x2 max-pool forward+backward", summary["max_pool"], TARGETS["max_pool"])
        check("LeNet-5 training step", summary["lenet_step"], TARGETS["lenet_step"])
    if "conv_peak_extra_mib" in summary:
        check("conv2d peak extra memory (MiB)", summary["conv_peak_extra_mib"], TARGETS["conv_peak_extra_mib"])
    return rows


def report(record):
    """The benchmark as a text table."""
    res, summary, gpu = record["results"], record["summary"], record["device"] == "gpu"
    ours, torch_, ref = res.get("cnnbook", {}), res.get("torch"), res.get("reference")
    lines = [f"cnnbook bench on {record['machine']} ({record['device']}), float32, median of {record['repeat']}",
             f"versions: {json.dumps(record['versions'])}", ""]
    head = f"{'case':<34}{'cnnbook ms':>12}{'torch ms':>10}{'ratio':>8}"
    head += f"{'naive ms':>12}{'naive/ours':>11}" if ref else ""
    lines.append(head)
    for i, (name, shape) in enumerate(zip(CONV_NAMES, CONV_SHAPES)):
        n = 64 if gpu else shape[0]
        label = f"{i + 1} {name} N={n}"
        row = f"{label:<34}{ours['conv_forward'][i] * 1e3:>12.3f}"
        if torch_:
            row += f"{torch_['conv_forward'][i] * 1e3:>10.3f}{ours['conv_forward'][i] / torch_['conv_forward'][i]:>8.2f}"
        else:
            row += f"{'-':>10}{'-':>8}"
        if ref:
            row += f"{ref['conv_forward'][i] * 1e3:>12.0f}{ref['conv_forward'][i] / ours['conv_forward'][i]:>11.0f}"
        lines.append(row)
    extra = [(f"conv fwd+bwd, shape {int(k) + 1}", ours["conv_backward"][k], torch_ and torch_["conv_backward"][k])
             for k in ours.get("conv_backward", {})]
    if "max_pool" in ours:
        extra += [("2x2 max-pool fwd+bwd (8,64,112,112)", ours["max_pool"], torch_ and torch_["max_pool"]),
                  (f"LeNet-5 SGD step, batch {LENET_BATCH}", ours["lenet_step"], torch_ and torch_["lenet_step"])]
    for label, a, b in extra:
        lines.append(f"{label:<34}{a * 1e3:>12.3f}" + (f"{b * 1e3:>10.3f}{a / b:>8.2f}" if b else ""))
    if "conv_peak_extra_mib" in ours:
        peaks = ", ".join(f"N={n}: {v:.1f} MiB" for n, v in ours["conv_peak_extra_mib"].items())
        lines.append(f"conv2d peak extra memory, ResNet 3x3 shape: {peaks}")
    rows = _verdicts(summary, gpu)
    if rows:
        lines.append("")
        lines.append("targets" + (" (cnnbook/torch time ratios)" if not gpu else " (cnnbook/torch throughput)"))
        for name, value, limit, ok in rows:
            lines.append(f"  {'met ' if ok else 'MISS'}  {name:<44}{value:>8.2f}  {'<=' if not gpu else '>='} {limit}")
    return "\n".join(lines)


def markdown(record):
    """The record's times and target verdicts as two Markdown tables (for benchmarks/README.md)."""
    res = record["results"]
    ours, torch_, ref = res["cnnbook"], res.get("torch"), res.get("reference")
    gpu = record["device"] == "gpu"
    lines = ["| case (N, C_in, H, W → C_out, k, stride, pad, groups) | cnnbook ms | PyTorch ms | ratio | naive ÷ cnnbook |",
             "|---|---:|---:|---:|---:|"]
    for i, (name, shape) in enumerate(zip(CONV_NAMES, CONV_SHAPES)):
        n, c_in, h, w, c_out, k, s, p, g = (64,) + shape[1:] if gpu else shape
        a = ours["conv_forward"][i]
        b = torch_["conv_forward"][i] if torch_ else None
        naive = f"{ref['conv_forward'][i] / a:,.0f}" if ref else ""
        lines.append(f"| {i + 1} {name} ({n},{c_in},{h},{w}→{c_out},{k},{s},{p},{g}) | {a * 1e3:.3f} | "
                     + (f"{b * 1e3:.3f} | {a / b:.2f} |" if b else "– | – |") + f" {naive} |")
    extra = [(f"conv2d forward + backward, shape {int(k) + 1}", ours["conv_backward"][k],
              torch_ and torch_["conv_backward"][k]) for k in ours.get("conv_backward", {})]
    if "max_pool" in ours:
        extra += [("2×2/2 max-pool forward + backward (8,64,112,112)", ours["max_pool"], torch_ and torch_["max_pool"]),
                  (f"LeNet-5 SGD step, batch {LENET_BATCH}", ours["lenet_step"], torch_ and torch_["lenet_step"])]
    for label, a, b in extra:
        lines.append(f"| {label} | {a * 1e3:.3f} | " + (f"{b * 1e3:.3f} | {a / b:.2f} |" if b else "– | – |") + " |")
    rows = _verdicts(record["summary"], gpu)
    if rows:
        lines += ["", "| target | measured | met? |", "|---|---:|---|"]
        for name, value, limit, ok in rows:
            lines.append(f"| {name}: {'≤' if not gpu else '≥'} {limit} | {value:.2f} | {'yes' if ok else 'no'} |")
    return "\n".join(lines)


def run(repeat=7, device="cpu", libraries=None):
    """Time every library in its own process; return the record written to JSON."""
    from cnnbook.timing import machine_label

    if libraries is None:
        libraries = ["cnnbook"]
        try:
            import torch  # noqa: F401

            libraries.append("torch")
        except ImportError:
            pass
        if device == "cpu":
            libraries.append("reference")
    results = {lib: _child(lib, repeat, device) for lib in libraries}
    summary = summarize(results)
    if device == "gpu" and "torch" in results:
        summary["throughput"] = [results["torch"]["conv_forward"][i] / results["cnnbook"]["conv_forward"][i]
                                 for i in (3, 4, 5)]
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine_label(),
        "device": device,
        "gpu_name": results.get("torch", {}).get("device"),
        "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "environment_threads": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")},
        "repeat": repeat,
        "versions": _versions(),
        "results": results,
        "summary": summary,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(prog="cnnbook bench", description=__doc__.splitlines()[0],
                                     epilog="Results: a table on stdout and a JSON record in --out.")
    parser.add_argument("--repeat", type=int, default=7, help="timed calls per case (median reported)")
    parser.add_argument("--device", choices=["cpu", "gpu"], default="cpu", help="gpu: CuPy vs PyTorch/cuDNN")
    parser.add_argument("--libraries", nargs="+", choices=sorted(_WORKERS), help="default: all available")
    parser.add_argument("--out", default="benchmarks/results", help="folder for the JSON record ('' for none)")
    parser.add_argument("--markdown", action="store_true", help="also print the tables as Markdown")
    parser.add_argument("--worker", choices=sorted(_WORKERS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.worker:
        print(json.dumps(_WORKERS[args.worker](args.repeat, args.device)))
        return 0
    record = run(args.repeat, args.device, args.libraries)
    print(report(record))
    if args.markdown:
        print("\n" + markdown(record))
    if args.out:
        folder = Path(args.out)
        folder.mkdir(parents=True, exist_ok=True)
        tag = (record["gpu_name"] or record["machine"].split(",")[0]).replace(" ", "-").replace("/", "-")
        path = folder / f"{record['date'][:10]}-{record['device']}-{tag}.json"
        path.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
        print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
