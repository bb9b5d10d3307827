"""The classic architectures as layer specifications (chapter 8).

Each function returns a :class:`~cnnbook.models.spec.Seq`. ``width`` scales
every hidden layer's channels (and dense units), ``num_classes`` sets the last
layer, so the same description gives the published network (``width=1``) and a
small one that trains on a CPU. Where published versions differ, the variant is
named in the docstring and in :data:`MODELS`; the tests check each total
against the published count.
"""

from __future__ import annotations

import dataclasses

from cnnbook.models.spec import (
    BN,
    Act,
    Add,
    Cat,
    Conv,
    Dropout,
    Flatten,
    GN,
    Gate,
    GlobalAvgPool,
    Identity,
    LN,
    Linear,
    Pool,
    ReLU,
    Scale,
    Seq,
)

__all__ = ["CONVNEXT_T_STAGES", "EFFICIENTNET_LITE0_STAGES", "MOBILENET_V2_STAGES", "MOBILENET_V3_LARGE_BLOCKS", "alexnet", "convnext_tiny",
           "densenet121", "efficientnet_b0", "efficientnet_lite0", "googlenet", "lenet5", "mlp", "mobilenet_v1", "mobilenet_v2",
           "mobilenet_v3_large", "nin", "resnet", "resnet18", "resnet50", "resnet_small", "resnext50", "vgg16", "vgg_small"]


def _scale(width):
    return lambda channels: max(1, round(channels * width))


def _conv_bn_relu(out, k, stride=1, padding=0, groups=1, eps=1e-5):
    """The modern unit: a convolution without bias (batch normalization's shift replaces it), BN, ReLU."""
    return (Conv(out, k, stride, padding, groups=groups, bias=False), BN(eps), ReLU())


def lenet5(num_classes=10, width=1.0, norm=None, groups=2, dropout=0.0):
    """LeNet-5 as drawn in chapter 7, for 28×28 digits (LeCun et al. 1998, modernized).

    Two 5×5 convolutions (6 and 16 maps) each followed by 2×2 max pooling, then
    dense layers of 120 and 84 units. The first convolution pads by 2, which
    is the paper's 32×32 input with the digit in the middle. Differences from
    1998: ReLU instead of scaled tanh, max instead of trainable subsampling,
    every C3 map connected to all six S2 maps, and a softmax output instead of
    RBF units. With 10 classes it has 61,706 parameters.

    ``norm`` puts a normalization after each convolution and each hidden dense layer, before its ReLU, as
    chapter 7 compares them: ``"batch"`` (:class:`BN`), ``"group"`` (``groups`` groups of channels or features,
    :class:`GN`) or ``"layer"`` (one group). Those layers then have no bias, which the normalization's shift
    replaces. ``dropout`` puts :class:`Dropout` with that probability after each hidden dense layer's ReLU, as
    AlexNet did.
    """
    c = _scale(width)
    drop = [Dropout(dropout)] if dropout else []
    if norm not in (None, "batch", "group", "layer"):
        raise ValueError(f"lenet5: norm must be None, 'batch', 'group' or 'layer'; got {norm!r}")

    def normalized(layer):
        if norm is None:
            return [layer]
        after = {"batch": BN(), "group": GN(groups), "layer": GN(1)}[norm]
        return [dataclasses.replace(layer, bias=False), after]

    return Seq(*normalized(Conv(c(6), 5, padding=2)), ReLU(), Pool("max", 2), *normalized(Conv(c(16), 5)), ReLU(),
               Pool("max", 2), Flatten(), *normalized(Linear(c(120))), ReLU(), *drop, *normalized(Linear(c(84))),
               ReLU(), *drop, Linear(num_classes))


def mlp(num_classes=10, width=1.0, hidden=(72, 64)):
    """A multilayer perceptron: flatten the image, then dense layers with ReLU.

    With 28×28 inputs its default (784 → 72 → 64 → 10) has 61,842 parameters,
    within 0.3% of LeNet-5's 61,706: chapter 7 compares the two at equal size.
    """
    c = _scale(width)
    layers = [Flatten()]
    for units in hidden:
        layers += [Linear(c(units)), ReLU()]
    return Seq(*layers, Linear(num_classes))


def alexnet(num_classes=1000, width=1.0):
    """AlexNet as torchvision builds it (the single-tower "one weird trick" variant, Krizhevsky 2014).

    The 2012 paper's network was split over two GPUs and had 96/256/384/384/256
    kernels with local response normalization; this variant has 64/192/384/256/256
    and no LRN, and is the one with published weights: 61,100,840 parameters.
    """
    c = _scale(width)
    return Seq(Conv(c(64), 11, 4, 2), ReLU(), Pool("max", 3, 2), Conv(c(192), 5, padding=2), ReLU(),
               Pool("max", 3, 2), Conv(c(384), 3, padding=1), ReLU(), Conv(c(256), 3, padding=1), ReLU(),
               Conv(c(256), 3, padding=1), ReLU(), Pool("max", 3, 2), GlobalAvgPool(6), Flatten(), Dropout(),
               Linear(c(4096)), ReLU(), Dropout(), Linear(c(4096)), ReLU(), Linear(num_classes))


def nin(num_classes=1000, width=1.0):
    """Network in Network (Lin, Chen and Yan 2014) for ImageNet, as its first author released it for Caffe:
    7,595,176 parameters by this description (no framework publishes a total to check it against).

    Four "mlpconv" blocks, each an ordinary convolution followed by two 1×1 convolutions, which act as a small
    fully connected network on every position's channels, ReLU after each; max pooling 3×3 at stride 2 (rounding
    up, as Caffe does) after the first three and dropout before the last. The last block's final 1×1 convolution
    has one channel per class, and global average pooling turns each channel into its class's score: no fully
    connected layer at all, where AlexNet spends most of its weights.
    """
    c = _scale(width)

    def mlpconv(out, k, stride=1, padding=0, last=None):
        return [Conv(out, k, stride, padding), ReLU(), Conv(out, 1), ReLU(), Conv(last or out, 1), ReLU()]

    pool = Pool("max", 3, 2, ceil_mode=True)
    return Seq(*mlpconv(c(96), 11, 4), pool, *mlpconv(c(256), 5, padding=2), pool, *mlpconv(c(384), 3, padding=1),
               pool, Dropout(0.5), *mlpconv(c(1024), 3, padding=1, last=num_classes), GlobalAvgPool(), Flatten())


def _vgg_features(config, c, batch_norm=False):
    layers = []
    for item in config:
        if item == "M":
            layers.append(Pool("max", 2))
        elif batch_norm:
            layers += _conv_bn_relu(c(item), 3, padding=1)
        else:
            layers += [Conv(c(item), 3, padding=1), ReLU()]
    return layers


def vgg16(num_classes=1000, width=1.0):
    """VGG-16, configuration D of Simonyan & Zisserman (2015): thirteen 3×3 convolutions and three dense layers.

    138,357,544 parameters with 1,000 classes, as the paper's 138 M and torchvision's ``vgg16``.
    """
    c = _scale(width)
    config = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")
    return Seq(*_vgg_features(config, c), GlobalAvgPool(7), Flatten(), Linear(c(4096)), ReLU(), Dropout(),
               Linear(c(4096)), ReLU(), Dropout(), Linear(num_classes))


def vgg_small(num_classes=10, width=1.0):
    """A VGG-style network for 28×28 digits: three stages of two 3×3 convolutions with BN, then a dense layer."""
    c = _scale(width)
    config = (16, 16, "M", 32, 32, "M", 64, 64, "M")
    return Seq(*_vgg_features(config, c, batch_norm=True), Flatten(), Linear(c(128)), ReLU(), Linear(num_classes))


def _inception(c, ones, reduce3, threes, reduce5, fives, pool_proj, unit, five_k):
    """Inception module: 1×1, 1×1→3×3, 1×1→5×5 and 3×3 max pool→1×1 branches, concatenated."""
    return Cat(Seq(*unit(c(ones), 1)),
               Seq(*unit(c(reduce3), 1), *unit(c(threes), 3, padding=1)),
               Seq(*unit(c(reduce5), 1), *unit(c(fives), five_k, padding=five_k // 2)),
               Seq(Pool("max", 3, 1, 1, ceil_mode=True), *unit(c(pool_proj), 1)))


#: The nine Inception modules of GoogLeNet (Szegedy et al. 2015, table 1): #1×1, #3×3 reduce, #3×3,
#: #5×5 reduce, #5×5, pool proj.
GOOGLENET_MODULES = {
    "3a": (64, 96, 128, 16, 32, 32), "3b": (128, 128, 192, 32, 96, 64),
    "4a": (192, 96, 208, 16, 48, 64), "4b": (160, 112, 224, 24, 64, 64), "4c": (128, 128, 256, 24, 64, 64),
    "4d": (112, 144, 288, 32, 64, 64), "4e": (256, 160, 320, 32, 128, 128),
    "5a": (256, 160, 320, 32, 128, 128), "5b": (384, 192, 384, 48, 128, 128),
}


def googlenet(num_classes=1000, width=1.0, variant="paper"):
    """GoogLeNet (Inception v1) without its two auxiliary classifiers.

    ``variant="paper"``: the layers of Szegedy et al. (2015), table 1, with
    biases and ReLU and without local response normalization (it has no
    parameters). ``variant="torchvision"``: torchvision's ``googlenet``, which
    adds batch normalization, drops the biases, uses a 3×3 kernel where the
    paper's branch says 5×5 (kept for compatibility with its weights) and a 2×2
    pool before stage 5: 6,624,904 parameters.
    """
    if variant not in ("paper", "torchvision"):
        raise ValueError(f"googlenet: variant must be 'paper' or 'torchvision'; got {variant!r}")
    c = _scale(width)
    if variant == "paper":
        def unit(out, k, stride=1, padding=0):
            return (Conv(out, k, stride, padding), ReLU())
        five_k, last_pool = 5, Pool("max", 3, 2, ceil_mode=True)
    else:
        def unit(out, k, stride=1, padding=0):
            return _conv_bn_relu(out, k, stride, padding, eps=1e-3)
        five_k, last_pool = 3, Pool("max", 2, 2, ceil_mode=True)
    blocks = {name: Seq(_inception(c, *sizes, unit=unit, five_k=five_k), name=f"inception{name}")
              for name, sizes in GOOGLENET_MODULES.items()}
    return Seq(*unit(c(64), 7, 2, 3), Pool("max", 3, 2, ceil_mode=True), *unit(c(64), 1), *unit(c(192), 3, 1, 1),
               Pool("max", 3, 2, ceil_mode=True), blocks["3a"], blocks["3b"], Pool("max", 3, 2, ceil_mode=True),
               blocks["4a"], blocks["4b"], blocks["4c"], blocks["4d"], blocks["4e"], last_pool, blocks["5a"],
               blocks["5b"], GlobalAvgPool(), Flatten(), Dropout(0.4), Linear(num_classes))


def _basic_block(c_in, c_out, stride, name):
    body = Seq(*_conv_bn_relu(c_out, 3, stride, 1), Conv(c_out, 3, 1, 1, bias=False), BN())
    shortcut = Seq(Conv(c_out, 1, stride, bias=False), BN()) if stride != 1 or c_in != c_out else None
    return Seq(Add(body, shortcut), ReLU(), name=name)


def _bottleneck(c_in, width, stride, name, stride_on_3x3=True, groups=1, c_out=None):
    """A bottleneck block: 1×1 down to ``width``, 3×3 (in ``groups``: ResNeXt's cardinality), 1×1 up to ``c_out``
    (four times ``width`` unless given)."""
    c_out = c_out or 4 * width
    s1, s3 = (1, stride) if stride_on_3x3 else (stride, 1)
    body = Seq(*_conv_bn_relu(width, 1, s1), *_conv_bn_relu(width, 3, s3, 1, groups=groups), Conv(c_out, 1, bias=False),
               BN())
    shortcut = Seq(Conv(c_out, 1, stride, bias=False), BN()) if stride != 1 or c_in != c_out else None
    return Seq(Add(body, shortcut), ReLU(), name=name)


def resnet(blocks, bottleneck, num_classes=1000, width=1.0, stride_on_3x3=True, groups=1, width_per_group=64):
    """A ResNet for 224×224 images (He et al. 2016): a 7×7 stem, four stages of residual blocks, global pooling.

    ``blocks`` gives the blocks per stage, e.g. (2, 2, 2, 2) for ResNet-18.
    Bottleneck blocks (1×1, 3×3, 1×1 with 4× expansion) for ResNet-50 and
    deeper. ``stride_on_3x3`` puts a downsampling bottleneck's stride on its
    3×3 convolution, as torchvision does ("ResNet v1.5"); the paper put it on
    the first 1×1. The shortcut is the identity, or a 1×1 convolution with
    batch normalization where the shape changes (option B of the paper).
    """
    c = _scale(width)
    layers = [*_conv_bn_relu(c(64), 7, 2, 3), Pool("max", 3, 2, 1)]
    c_in = c(64)
    for stage, count in enumerate(blocks):
        for block in range(count):
            stride = 2 if stage > 0 and block == 0 else 1
            name = f"layer{stage + 1}.{block}"
            if bottleneck:
                planes = c(64 * 2**stage)
                # torchvision's width of the grouped 3×3; at least one channel a group in a reduced-width copy
                inner = max(1, planes * width_per_group // 64) * groups
                layers.append(_bottleneck(c_in, inner, stride, name, stride_on_3x3, groups, 4 * planes))
                c_in = 4 * planes
            else:
                layers.append(_basic_block(c_in, c(64 * 2**stage), stride, name))
                c_in = c(64 * 2**stage)
    return Seq(*layers, GlobalAvgPool(), Flatten(), Linear(num_classes))


def resnet18(num_classes=1000, width=1.0):
    """ResNet-18, as torchvision's ``resnet18``: 11,689,512 parameters."""
    return resnet((2, 2, 2, 2), False, num_classes, width)


def resnet50(num_classes=1000, width=1.0, stride_on_3x3=True):
    """ResNet-50, as torchvision's ``resnet50`` (v1.5): 25,557,032 parameters (the same with the stride moved)."""
    return resnet((3, 4, 6, 3), True, num_classes, width, stride_on_3x3)


def resnext50(num_classes=1000, width=1.0):
    """ResNeXt-50 (32×4d) as torchvision's ``resnext50_32x4d`` (Xie et al. 2017): 25,028,904 parameters.

    ResNet-50 with each bottleneck's 3×3 convolution split into 32 groups of 4 channels per 64 of the stage's
    width (128 channels in the first stage's 3×3, twice ResNet-50's), so about the same weights buy a wider layer.
    """
    return resnet((3, 4, 6, 3), True, num_classes, width, groups=32, width_per_group=4)


def resnet_small(depth=8, num_classes=10, width=1.0, residual=True, batch_norm=True):
    """A ResNet-style network for 28×28 digits, or its plain twin (``residual=False``), for chapter 8's depth study.

    A 3×3 stem to 16 channels, then ``depth`` 3×3 convolutions in three stages
    (16, 32, 64 channels; the second and third start with stride 2), global
    average pooling and a dense layer. ``depth`` must be even (blocks of two
    convolutions); with ``residual=False`` the same layers are stacked without
    shortcuts. ``batch_norm=False`` leaves batch normalization out.
    """
    if depth < 2 or depth % 2:
        raise ValueError(f"resnet_small: depth must be an even number >= 2; got {depth!r}")
    c = _scale(width)
    norm = (BN(),) if batch_norm else ()

    def conv(out, stride=1):
        return (Conv(out, 3, stride, 1, bias=not batch_norm), *norm)

    layers, c_in = [*conv(c(16)), ReLU()], c(16)
    blocks = depth // 2
    per_stage = [blocks // 3 + (1 if i < blocks % 3 else 0) for i in range(3)]
    for stage, count in enumerate(per_stage):
        for block in range(count):
            out, stride = c(16 * 2**stage), 2 if stage > 0 and block == 0 else 1
            body = Seq(*conv(out, stride), ReLU(), *conv(out))
            if residual:
                shortcut = Seq(Conv(out, 1, stride, bias=not batch_norm), *norm) if stride != 1 or c_in != out else None
                layers.append(Seq(Add(body, shortcut), ReLU(), name=f"block{stage + 1}.{block}"))
            else:
                layers.append(Seq(*body.layers, ReLU(), name=f"block{stage + 1}.{block}"))
            c_in = out
    return Seq(*layers, GlobalAvgPool(), Flatten(), Linear(num_classes))


def densenet121(num_classes=1000, width=1.0, growth=32):
    """DenseNet-121 (Huang et al. 2017), as torchvision's ``densenet121``: 7,978,856 parameters.

    Four dense blocks of 6, 12, 24 and 16 layers. Each layer (BN, ReLU, 1×1 to
    4·growth channels, BN, ReLU, 3×3 to ``growth``) sees the concatenation of
    everything before it in its block; transitions halve the channels with a
    1×1 convolution and the resolution with 2×2 average pooling.
    """
    c = _scale(width)
    k = c(growth)
    layers, channels = [*_conv_bn_relu(c(64), 7, 2, 3), Pool("max", 3, 2, 1)], c(64)
    for index, count in enumerate((6, 12, 24, 16)):
        for i in range(count):
            new = Seq(BN(), ReLU(), Conv(4 * k, 1, bias=False), BN(), ReLU(), Conv(k, 3, padding=1, bias=False))
            layers.append(Seq(Cat(Seq(Identity()), new), name=f"denseblock{index + 1}.{i}"))
            channels += k
        if index < 3:
            channels //= 2
            layers.append(Seq(BN(), ReLU(), Conv(channels, 1, bias=False), Pool("avg", 2),
                              name=f"transition{index + 1}"))
    return Seq(*layers, BN(), ReLU(), GlobalAvgPool(), Flatten(), Linear(num_classes))


def mobilenet_v1(num_classes=1000, width=1.0):
    """MobileNet v1 (Howard et al. 2017) at width 1.0, as Keras Applications builds it: 4,231,976 parameters.

    A 3×3 convolution, then 13 depthwise separable layers (a 3×3 depthwise
    convolution and a 1×1 pointwise one, each with BN and ReLU6), global
    pooling and the classifier. (Keras's model also holds 21,888 batch-norm
    running statistics, which are not trained.)
    """
    c = _scale(width)
    layers = [*_conv_bn_relu(c(32), 3, 2, 1)]
    plan = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)) + ((512, 1),) * 5 + ((1024, 2), (1024, 1))
    for i, (out, stride) in enumerate(plan):
        layers.append(Seq(Conv(0, 3, stride, 1, groups=0, bias=False), BN(), ReLU(), *_conv_bn_relu(c(out), 1),
                          name=f"separable{i + 1}"))
    return Seq(*layers, GlobalAvgPool(), Flatten(), Dropout(1e-3), Linear(num_classes))


#: EfficientNet-Lite0's seven stages of MBConv blocks: (expansion, kernel, stride of the first block, output
#: channels, blocks). The same plan as EfficientNet-B0 (Tan and Le 2019, table 1).
EFFICIENTNET_LITE0_STAGES = ((1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2), (6, 3, 2, 80, 3), (6, 5, 1, 112, 3),
                             (6, 5, 2, 192, 4), (6, 3, 1, 320, 1))


def _mbconv(c_in, expansion, k, stride, c_out, name, eps, padding="same"):
    """An inverted residual block (MobileNetV2's, EfficientNet's MBConv): a 1×1 convolution widens the channels
    ``expansion`` times, a k×k depthwise convolution filters each channel alone, a 1×1 convolution projects to
    ``c_out`` with no activation after it; the input is added back when the shapes allow. ``padding`` is the
    depthwise convolution's: TensorFlow's ``"same"``, or PyTorch's ``k // 2`` on every side."""
    widen = (*_conv_bn_relu(c_in * expansion, 1, eps=eps)[:2], ReLU(6)) if expansion != 1 else ()
    body = Seq(*widen, Conv(0, k, stride, padding, groups=0, bias=False), BN(eps), ReLU(6),
               Conv(c_out, 1, bias=False), BN(eps))
    return Seq(Add(body), name=name) if stride == 1 and c_in == c_out else Seq(*body.layers, name=name)


def efficientnet_lite0(num_classes=1000, width=1.0):
    """EfficientNet-Lite0: EfficientNet-B0's plan made for phones' integer hardware, 4,652,008 parameters.

    A 3×3 stem at stride 2, sixteen MBConv blocks in seven stages (:data:`EFFICIENTNET_LITE0_STAGES`), a 1×1
    convolution to 1,280 channels, global pooling and the classifier. What "Lite" changes in B0, by its release's
    account: no squeeze-and-excitation in the blocks (poorly supported by some mobile accelerators), and ReLU6 in
    place of swish (for easier quantization after training). Padding is
    TensorFlow's "same", where the weights were trained, so a stride-2 layer on an even input pads one zero after
    and none before. Batch normalization uses ε = 0.001, TensorFlow's default.
    """
    c, eps = _scale(width), 1e-3
    layers = [Conv(c(32), 3, 2, "same", bias=False), BN(eps), ReLU(6)]
    c_in = c(32)
    for stage, (expansion, k, stride, out, blocks) in enumerate(EFFICIENTNET_LITE0_STAGES):
        for block in range(blocks):
            layers.append(_mbconv(c_in, expansion, k, stride if block == 0 else 1, c(out), f"stage{stage + 1}.{block}",
                                  eps))
            c_in = c(out)
    return Seq(*layers, Conv(c(1280), 1, bias=False), BN(eps), ReLU(6), GlobalAvgPool(), Flatten(), Dropout(0.2),
               Linear(num_classes))


#: MobileNetV2's bottleneck stages (Sandler et al. 2018, table 2): (expansion, output channels, blocks, stride of
#: the first block); every depthwise kernel is 3×3.
MOBILENET_V2_STAGES = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                       (6, 320, 1, 1))


def mobilenet_v2(num_classes=1000, width=1.0):
    """MobileNetV2 at width 1.0, as torchvision's ``mobilenet_v2``: 3,504,872 parameters.

    A 3×3 convolution at stride 2 to 32 channels, seventeen inverted residual blocks
    (:data:`MOBILENET_V2_STAGES`, ReLU6 after the expansion and the depthwise convolution, none after the
    projection), a 1×1 convolution to 1,280 channels, global pooling and the classifier. Padding is PyTorch's,
    one zero on every side of each 3×3 (EfficientNet-Lite0, trained in TensorFlow, pads differently).
    """
    c, eps = _scale(width), 1e-5
    layers = [*_conv_bn_relu(c(32), 3, 2, 1)[:2], ReLU(6)]
    c_in = c(32)
    for stage, (expansion, out, blocks, stride) in enumerate(MOBILENET_V2_STAGES):
        for block in range(blocks):
            layers.append(_mbconv(c_in, expansion, 3, stride if block == 0 else 1, c(out), f"stage{stage + 1}.{block}",
                                  eps, padding=1))
            c_in = c(out)
    return Seq(*layers, *_conv_bn_relu(c(1280), 1)[:2], ReLU(6), GlobalAvgPool(), Flatten(), Dropout(0.2),
               Linear(num_classes))


def efficientnet_b0(num_classes=1000, width=1.0):
    """EfficientNet-B0 (Tan and Le 2019) as torchvision's ``efficientnet_b0``: 5,288,548 parameters.

    The plan of :func:`efficientnet_lite0` (:data:`EFFICIENTNET_LITE0_STAGES`) with what Lite removed: swish
    (``x · σ(x)``) as the activation, and in every block a squeeze-and-excitation gate after the depthwise
    convolution, which pools each channel to one number, squeezes them through a 1×1 convolution to a quarter of
    the block's *input* channels, widens back with another and scales each channel by the sigmoid of its result.
    Padding is PyTorch's ``k // 2``.
    """
    c = _scale(width)
    swish = Act("silu")
    layers = [Conv(c(32), 3, 2, 1, bias=False), BN(), swish]
    c_in = c(32)
    for stage, (expansion, k, stride, out, blocks) in enumerate(EFFICIENTNET_LITE0_STAGES):
        for block in range(blocks):
            wide, step = c_in * expansion, stride if block == 0 else 1
            widen = (Conv(wide, 1, bias=False), BN(), swish) if expansion != 1 else ()
            excite = Gate(Seq(GlobalAvgPool(), Conv(max(1, c_in // 4), 1), swish, Conv(wide, 1), Act("sigmoid")))
            body = Seq(*widen, Conv(0, k, step, k // 2, groups=0, bias=False), BN(), swish, excite,
                       Conv(c(out), 1, bias=False), BN())
            name = f"stage{stage + 1}.{block}"
            layers.append(Seq(Add(body), name=name) if step == 1 and c_in == c(out) else Seq(*body.layers, name=name))
            c_in = c(out)
    return Seq(*layers, Conv(c(1280), 1, bias=False), BN(), swish, GlobalAvgPool(), Flatten(), Dropout(0.2),
               Linear(num_classes))


#: MobileNetV3-Large's bottleneck blocks (Howard et al. 2019, table 1): (kernel, expanded channels, output
#: channels, squeeze-and-excitation, activation, stride).
MOBILENET_V3_LARGE_BLOCKS = (
    (3, 16, 16, False, "relu", 1), (3, 64, 24, False, "relu", 2), (3, 72, 24, False, "relu", 1),
    (5, 72, 40, True, "relu", 2), (5, 120, 40, True, "relu", 1), (5, 120, 40, True, "relu", 1),
    (3, 240, 80, False, "hardswish", 2), (3, 200, 80, False, "hardswish", 1), (3, 184, 80, False, "hardswish", 1),
    (3, 184, 80, False, "hardswish", 1), (3, 480, 112, True, "hardswish", 1), (3, 672, 112, True, "hardswish", 1),
    (5, 672, 160, True, "hardswish", 2), (5, 960, 160, True, "hardswish", 1), (5, 960, 160, True, "hardswish", 1),
)


def _multiple_of_8(channels):
    """``channels`` rounded to a multiple of 8, never below 8 nor more than 10% down (MobileNet's rule for layer
    widths).

    >>> _multiple_of_8(18), _multiple_of_8(30), _multiple_of_8(168)
    (24, 32, 168)
    """
    rounded = max(8, int(channels + 4) // 8 * 8)
    return rounded + 8 if rounded < 0.9 * channels else rounded


def mobilenet_v3_large(num_classes=1000, width=1.0):
    """MobileNetV3-Large (Howard et al. 2019) as torchvision's ``mobilenet_v3_large``: 5,483,032 parameters.

    Fifteen inverted residual blocks (:data:`MOBILENET_V3_LARGE_BLOCKS`) found by architecture search: ReLU in the
    early blocks and hard swish, ``x · min(max(x + 3, 0), 6) / 6``, in the later ones, where its cost is smaller
    next to the convolutions; squeeze-and-excitation in some, gated by a hard sigmoid and squeezed to a quarter of
    the block's *expanded* channels, rounded to a multiple of 8. The head pools first and only then widens: a 1×1
    convolution to 960 channels, global pooling, and a linear layer to 1,280 units before the classifier.
    """
    c, eps, hard = _scale(width), 1e-3, Act("hardswish")
    layers = [Conv(c(16), 3, 2, 1, bias=False), BN(eps), hard]
    c_in = c(16)
    for index, (k, wide, out, excite, act, stride) in enumerate(MOBILENET_V3_LARGE_BLOCKS):
        wide, out = c(wide), c(out)
        a = ReLU() if act == "relu" else hard
        widen = (Conv(wide, 1, bias=False), BN(eps), a) if wide != c_in else ()
        gate = (Gate(Seq(GlobalAvgPool(), Conv(_multiple_of_8(wide // 4), 1), ReLU(), Conv(wide, 1),
                         Act("hardsigmoid"))),) if excite else ()
        body = Seq(*widen, Conv(0, k, stride, k // 2, groups=0, bias=False), BN(eps), a, *gate,
                   Conv(out, 1, bias=False), BN(eps))
        name = f"block{index + 1}"
        layers.append(Seq(Add(body), name=name) if stride == 1 and c_in == out else Seq(*body.layers, name=name))
        c_in = out
    return Seq(*layers, Conv(c(960), 1, bias=False), BN(eps), hard, GlobalAvgPool(), Flatten(), Linear(c(1280)), hard,
               Dropout(0.2), Linear(num_classes))


#: ConvNeXt-T's four stages (Liu et al. 2022): (channels, blocks).
CONVNEXT_T_STAGES = ((96, 3), (192, 3), (384, 9), (768, 3))


def convnext_tiny(num_classes=1000, width=1.0):
    """ConvNeXt-T (Liu et al. 2022) as torchvision's ``convnext_tiny``: 28,589,128 parameters.

    A ResNet modernized step by step towards the vision transformers' design: a "patchify" stem (a 4×4
    convolution at stride 4, then layer normalization), stages of (3, 3, 9, 3) blocks (:data:`CONVNEXT_T_STAGES`)
    joined by layer normalization and a 2×2 convolution at stride 2, and in every block a 7×7 depthwise
    convolution, layer normalization over the channels, an inverted bottleneck of two pointwise layers four times
    as wide inside with GELU between them, and a learnt scale per channel before the residual sum. The paper
    writes the pointwise layers as linear layers on each position's channels: the same map, and the same weights,
    as a 1×1 convolution with bias. The head pools, normalizes and classifies.
    """
    c = _scale(width)
    layers = [Conv(c(96), 4, 4), LN()]
    for stage, (channels, blocks) in enumerate(CONVNEXT_T_STAGES):
        dim = c(channels)
        if stage:
            layers += [LN(), Conv(dim, 2, 2)]
        for block in range(blocks):
            body = Seq(Conv(0, 7, 1, 3, groups=0), LN(), Conv(4 * dim, 1), Act("gelu"), Conv(dim, 1), Scale())
            layers.append(Seq(Add(body), name=f"stage{stage + 1}.{block}"))
    return Seq(*layers, GlobalAvgPool(), LN(), Flatten(), Linear(num_classes))

