"""What chapter 6's figures, facts and exercises share: its examples and the computations behind them."""

from __future__ import annotations

from cnnbook import experiments, shapes


def _conv(k, s=1, p=0, d=1, name="conv"):
    return {"name": f"{name} {k}×{k}" + (f"/{s}" if s > 1 else "") + (f", dilation {d}" if d > 1 else ""),
            "kernel_size": k, "stride": s, "padding": p, "dilation": d}


def _pool(k, s, p=0, name="pool"):
    return {"name": f"{name} {k}×{k}/{s}", "kernel_size": k, "stride": s, "padding": p}


def _unnamed(layers):
    """Layer dicts without their names, as :func:`shapes.receptive_fields` takes them."""
    return [{key: v for key, v in layer.items() if key != "name"} for layer in layers]


#: A small conv-pool stack, the chapter's running example: conv 3×3, pool 2×2, conv 3×3, pool 2×2, conv 3×3.
SMALL_STACK = (_conv(3), _pool(2, 2), _conv(3), _pool(2, 2), _conv(3))


def model_path(name, **options):
    """The layers on the longest path of a network of the catalogue (:mod:`cnnbook.models`), described there once."""
    from cnnbook import models

    return models.spec.receptive_path(models.MODELS[name].make(**options))


#: Classic networks as the layers on their longest path: (name, variant, input size, layers).
NETWORKS = (
    ("small conv-pool stack (section 6.1)", "conv, pool, conv, pool, conv", None, SMALL_STACK),
    ("LeNet-5", "C1 to C5 (LeCun et al. 1998)", 32,
     (_conv(5), _pool(2, 2), _conv(5), _pool(2, 2), _conv(5))),
    ("AlexNet", "torchvision's single-GPU variant, to the last pool", 224, model_path("alexnet")),
    ("VGG-16", "to pool5", 224, model_path("vgg16")),
    ("ResNet-18", "torchvision, to the last block", 224, model_path("resnet18")),
    ("ResNet-50", "torchvision (v1.5: stride on the 3×3)", 224, model_path("resnet50")),
    ("MobileNet v1", "width 1.0, to the last pointwise conv", 224, model_path("mobilenet_v1")),
)


def network_fields(layers):
    """The ReceptiveField after every layer of a stack of named layer dicts."""
    return shapes.receptive_fields(_unnamed(layers))


def effective_fields():
    """The measured effective receptive fields (:func:`cnnbook.experiments.receptive_fields.effective_fields`)."""
    return experiments.run("ch06.effective_fields")


#: The receptive-field calculator's default state: a VGG-style stack on a 64-pixel input, unit (0, 0).
CALCULATOR_BLOCK, CALCULATOR_REPEATS = [(3, 1, 1), (3, 1, 1), (2, 2)], 3
CALCULATOR_DEFAULT = (CALCULATOR_BLOCK * CALCULATOR_REPEATS, 64)
