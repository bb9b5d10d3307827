"""The architecture catalogue: LeNet-5 to DenseNet described once, counted and built from the same description.

>>> table = summary("vgg16")
>>> f"{table.params:,}", f"{table.macs / 1e9:.2f} G MACs", table.rf
('138,357,544', '15.47 G MACs', 212)
>>> import numpy as np
>>> net = build("lenet5", rng=0)
>>> net(np.zeros((2, 1, 28, 28), np.float32)).shape
(2, 10)
"""

from __future__ import annotations

import dataclasses

from cnnbook.models import catalogue, spec
from cnnbook.models.catalogue import (
    alexnet,
    convnext_tiny,
    densenet121,
    efficientnet_b0,
    efficientnet_lite0,
    googlenet,
    lenet5,
    mlp,
    mobilenet_v1,
    mobilenet_v2,
    mobilenet_v3_large,
    nin,
    resnet,
    resnet18,
    resnet50,
    resnet_small,
    resnext50,
    vgg16,
    vgg_small,
)
from cnnbook.models.spec import instantiate

__all__ = ["MODELS", "ModelInfo", "alexnet", "build", "catalogue", "convnext_tiny", "densenet121", "efficientnet_b0", "efficientnet_lite0",
           "googlenet",
           "lenet5", "mlp", "mobilenet_v1", "mobilenet_v2", "mobilenet_v3_large", "nin", "resnet", "resnet18", "resnet50", "resnet_small", "resnext50",
           "spec", "summary", "vgg16", "vgg_small"]


@dataclasses.dataclass(frozen=True)
class ModelInfo:
    """A catalogue entry: how to make the spec, its input, the published total and which variant it is."""

    title: str
    make: object
    input_shape: tuple
    year: int
    published_params: int | None
    variant: str
    trainable_here: bool = False


MODELS = {
    "lenet5": ModelInfo("LeNet-5", lenet5, (1, 28, 28), 1998, 61_706,
                        "as drawn in chapter 7: ReLU, max pooling, full C3 connections", True),
    "alexnet": ModelInfo("AlexNet", alexnet, (3, 224, 224), 2012, 61_100_840,
                         "torchvision's single-tower variant (64-192-384-256-256 kernels, no LRN)"),
    "nin": ModelInfo("NiN", nin, (3, 224, 224), 2014, None,
                     "the ImageNet model its first author released for Caffe: four mlpconv blocks, global pooling"),
    "vgg16": ModelInfo("VGG-16", vgg16, (3, 224, 224), 2014, 138_357_544, "configuration D, as torchvision"),
    "googlenet": ModelInfo("GoogLeNet", googlenet, (3, 224, 224), 2014, None,
                           "the paper's table 1, without the auxiliary classifiers"),
    "googlenet_torchvision": ModelInfo("GoogLeNet (torchvision)", lambda **kw: googlenet(variant="torchvision", **kw),
                                       (3, 224, 224), 2014, 6_624_904,
                                       "torchvision's, with batch norm and 3×3 in the '5×5' branch"),
    "resnet18": ModelInfo("ResNet-18", resnet18, (3, 224, 224), 2015, 11_689_512, "torchvision"),
    "resnet50": ModelInfo("ResNet-50", resnet50, (3, 224, 224), 2015, 25_557_032,
                          "torchvision (v1.5: stride on the 3×3)"),
    "densenet121": ModelInfo("DenseNet-121", densenet121, (3, 224, 224), 2017, 7_978_856, "torchvision"),
    "mobilenet_v1": ModelInfo("MobileNet v1", mobilenet_v1, (3, 224, 224), 2017, 4_231_976,
                              "width 1.0, Keras Applications (trainable parameters)"),
    "resnext50": ModelInfo("ResNeXt-50 (32×4d)", resnext50, (3, 224, 224), 2017, 25_028_904,
                           "torchvision's resnext50_32x4d (stride on the grouped 3×3)"),
    "mobilenet_v2": ModelInfo("MobileNetV2", mobilenet_v2, (3, 224, 224), 2018, 3_504_872,
                              "width 1.0, torchvision's"),
    "convnext_tiny": ModelInfo("ConvNeXt-T", convnext_tiny, (3, 224, 224), 2022, 28_589_128,
                               "torchvision's convnext_tiny (its linear layers as 1×1 convolutions)"),
    "mobilenet_v3_large": ModelInfo("MobileNetV3-Large", mobilenet_v3_large, (3, 224, 224), 2019, 5_483_032,
                                    "torchvision's (hard swish, squeeze-and-excitation with a hard sigmoid)"),
    "efficientnet_b0": ModelInfo("EfficientNet-B0", efficientnet_b0, (3, 224, 224), 2019, 5_288_548,
                                 "torchvision's (squeeze-and-excitation, swish)"),
    "efficientnet_lite0": ModelInfo("EfficientNet-Lite0", efficientnet_lite0, (3, 224, 224), 2020, 4_652_008,
                                    "TensorFlow's, as the ImageNet checkpoint the book runs (cnnbook.pretrained)"),
    "mlp": ModelInfo("MLP", mlp, (1, 28, 28), 1986, None, "784 → 72 → 64 → 10, LeNet-5's size", True),
    "vgg_small": ModelInfo("small VGG", vgg_small, (1, 28, 28), 2014, None, "VGG-style for 28×28 digits", True),
    "resnet_small": ModelInfo("small ResNet", resnet_small, (1, 28, 28), 2015, None,
                              "ResNet-style for 28×28 digits, 8 convolutions in blocks", True),
}


def _info(name, where):
    if name not in MODELS:
        raise ValueError(f"{where}: unknown model {name!r}; known: {', '.join(MODELS)}")
    return MODELS[name]


def summary(name, **options):
    """:func:`cnnbook.models.spec.summary` of a catalogue model on its own input shape.

    ``options`` go to the model's function (``num_classes``, ``width``, ...).
    """
    info = _info(name, "summary")
    return spec.summary(info.make(**options), info.input_shape)


def build(name, rng=None, xp=None, input_shape=None, **options):
    """A catalogue model as a :mod:`cnnbook.nn` network, with weights drawn from ``rng`` (a seed or generator).

    ``options`` go to the model's function: ``width=1/16`` makes a
    reduced-width copy of a large network that a CPU can run.
    """
    info = _info(name, "build")
    return instantiate(info.make(**options), input_shape or info.input_shape, rng=rng, xp=xp)
