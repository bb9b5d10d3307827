"""What chapter 4's figures, facts and exercises share: its examples and the computations behind them."""

from __future__ import annotations

import functools

import numpy as np

from cnnbook import experiments, functional, shapes, transforms
from cnnbook.data import photo

# ---- 4.7 locally connected ----
#: The unshared layer that section 4.5's table and this exercise count: a valid 5×5 layer, 32×32×3 → 28×28×16.
LOCAL_EXAMPLE = {"in_channels": 3, "out_channels": 16, "kernel_size": 5, "side": 32}


def cost_measurements():
    """The chapter's layer-cost experiment: counted MACs and seconds measured on this machine."""
    return experiments.run("ch04.layer_costs")


#: VGG-16's convolutional part as (kind, output channels): 3×3 convs with padding 1, 2×2 max pools.
VGG16_FEATURES = ((("conv", 64),) * 2 + (("pool", None),) + (("conv", 128),) * 2 + (("pool", None),)
                  + (("conv", 256),) * 3 + (("pool", None),) + (("conv", 512),) * 3 + (("pool", None),)
                  + (("conv", 512),) * 3 + (("pool", None),))
#: The image VGG-16 was trained on: RGB, 224×224.
VGG16_INPUT = (3, 224, 224)


def backbone_layers(spec=VGG16_FEATURES, input_shape=VGG16_INPUT):
    """Per layer of a conv/pool stack: name, output shape, activations (one image) and parameters."""
    c, h, w = input_shape
    rows, stage, index = [], 1, 1
    for kind, out in spec:
        if kind == "conv":
            params = shapes.conv2d_params(c, out, 3)
            c, h, w = shapes.conv2d_output_shape((c, h, w), out, 3, padding=1)
            name, index = f"conv{stage}_{index}", index + 1
        else:
            params = 0
            h, w = shapes.pool_output_size(h, 2), shapes.pool_output_size(w, 2)
            name, stage, index = f"pool{stage}", stage + 1, 1
        rows.append({"name": name, "shape": (c, h, w), "activations": c * h * w, "params": params})
    return rows


#: Bytes per stored value. "float32": everything in float32. "mixed" (Micikevicius et al. 2018): float16
#: activations, a float16 copy of the weights and float16 gradients, plus float32 master weights and a float32
#: optimizer state, which the update needs in full precision. "parameter" counts the weights and gradients of
#: one parameter, "state" one value of the optimizer's state.
PRECISIONS = {
    "float32": {"activation": 4, "parameter": 4 + 4, "state": 4},
    "mixed": {"activation": 2, "parameter": 2 + 2 + 4, "state": 4},
}
#: Values of optimizer state per parameter: a momentum buffer, or Adam's two moments.
OPTIMIZER_STATE = {"sgd": 0, "momentum": 1, "adam": 2}
#: The batch the chapter quotes the activations' memory for.
MEMORY_BATCH = 32


def training_memory(batch, rows=None, precision="float32", optimizer="momentum"):
    """Bytes that training a stack needs: (weights with gradients and optimizer state, stored activations).

    Backpropagation keeps every layer's output until the backward pass reaches it
    (chapter 5); ReLU is counted as in place, as ``inplace=True`` layers do. The
    first number counts what is kept per parameter (:data:`PRECISIONS`,
    :data:`OPTIMIZER_STATE`), whatever the batch; the second grows with it.

    Examples
    --------
    >>> rows = backbone_layers()
    >>> weights, activations = training_memory(8, rows)
    >>> mixed = training_memory(8, rows, precision="mixed")
    >>> mixed[0] == weights, mixed[1] * 2 == activations
    (True, True)
    """
    if precision not in PRECISIONS:
        raise ValueError(f"training_memory: precision must be one of {sorted(PRECISIONS)}; got {precision!r}")
    if optimizer not in OPTIMIZER_STATE:
        raise ValueError(f"training_memory: optimizer must be one of {sorted(OPTIMIZER_STATE)}; got {optimizer!r}")
    rows = backbone_layers() if rows is None else rows
    sizes = PRECISIONS[precision]
    per_parameter = sizes["parameter"] + OPTIMIZER_STATE[optimizer] * sizes["state"]
    weights = sum(r["params"] for r in rows) * per_parameter
    activations = sum(r["activations"] for r in rows) * batch * sizes["activation"]
    return weights, activations


#: The sharing comparison: a single-channel photo, 4 filters of 5×5, at these shifts.
SHARING_SHIFTS = tuple(range(0, 7))
SHARING_SIZE = 64
SHARING_MARGIN = 8


def sharing_layers(size=SHARING_SIZE, k=5, c_out=4, seed=0):
    """Conv, tiled (2×2 and 3×3 tiles) and locally connected layers with random weights.

    Returns ``{label: (function of x, parameter count)}``; every layer maps a
    (N, 1, size, size) batch to (N, c_out, size, size) with "same" padding.
    """
    rng = np.random.default_rng(seed)
    pad = k // 2
    out = shapes.conv_output_size(size, k, padding=pad)
    conv = rng.standard_normal((c_out, 1, k, k))
    tiled2 = rng.standard_normal((2, 2, c_out, 1, k, k))
    tiled3 = rng.standard_normal((3, 3, c_out, 1, k, k))
    local = rng.standard_normal((out, out, c_out, 1, k, k))
    return {
        "convolution (shared)": (lambda x: functional.conv2d(x, conv, padding=pad),
                                 shapes.conv2d_params(1, c_out, k, bias=False)),
        "tiled, 2×2 tiles": (lambda x: functional.tiled_conv2d(x, tiled2, padding=pad),
                             shapes.tiled_conv2d_params(1, c_out, k, 2, bias=False)),
        "tiled, 3×3 tiles": (lambda x: functional.tiled_conv2d(x, tiled3, padding=pad),
                             shapes.tiled_conv2d_params(1, c_out, k, 3, bias=False)),
        "locally connected": (lambda x: functional.local_conv2d(x, local, padding=pad),
                              shapes.local_conv2d_params(1, c_out, k, out, bias=False)),
    }


@functools.cache
def sharing_equivariance(name="camera"):
    """How far each layer is from equivariant: ``||f(shift x) - shift f(x)|| / ||f(x)||`` per shift."""
    x = photo(name, size=SHARING_SIZE, backend="numpy")[None, None]
    m = SHARING_MARGIN
    result = {"shifts": list(SHARING_SHIFTS), "photo": name, "layers": {}}
    for label, (f, params) in sharing_layers().items():
        base = f(x)
        scale = np.linalg.norm(base[..., m:-m, m:-m])
        errors = []
        for t in SHARING_SHIFTS:
            moved = f(transforms.translate(x, t, t)) - transforms.translate(base, t, t)
            errors.append(float(np.linalg.norm(moved[..., m:-m, m:-m]) / scale))
        result["layers"][label] = {"params": params, "error": errors}
    return result


#: The chapter's stack of stages, which is also the visualizer's default state: a 224×224 RGB input and four
#: stages of one "same" 3×3 convolution and a 2×2 max pool, starting at 64 channels and doubling them.
STAGES = {"input_size": 224, "channels": 3, "first": 64, "stages": 4, "convs": 1, "kernel": 3, "pool": 2}


def stage_shapes(input_size=STAGES["input_size"], channels=STAGES["channels"], first=STAGES["first"],
                 stages=STAGES["stages"], convs=STAGES["convs"], kernel=STAGES["kernel"], pool=STAGES["pool"]):
    """Stages of ``convs`` "same" k×k convolutions and a pool, channels doubling: what each stage outputs.

    The feature-map shape visualizer of chapter 4 computes the same in the browser. Returns one dict per
    stage: ``conv_side`` (after the convolutions), ``side`` (after the pool), ``channels``,
    ``activations`` (every conv output and the pooled output, one image) and ``params``. Stops early when
    the maps shrink below one pixel.
    """
    rows, side, c = [], input_size, channels
    for stage in range(1, stages + 1):
        out, params, activations = first * 2 ** (stage - 1), 0, 0
        for _ in range(convs):
            params += shapes.conv2d_params(c, out, kernel)
            side = side + 2 * (kernel // 2) - kernel + 1  # conv_output_size, also when it drops below 1
            c = out
            activations += c * side * side
        conv_side = side
        if pool > 1:
            side = (side - pool) // pool + 1
            activations += c * side * side
        rows.append({"stage": stage, "conv_side": conv_side, "side": side, "channels": c,
                     "activations": activations, "params": params})
        if side < 1:
            break
    return rows
