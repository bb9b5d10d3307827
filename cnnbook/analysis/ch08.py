"""What chapter 8's figures, facts and exercises share: its examples and the computations behind them."""

from __future__ import annotations

from cnnbook import experiments

#: Catalogue models of section 8.2 on the comparison figure and in the table (the trainable small ones are drawn
#: elsewhere), and those of section 8.3.
PUBLISHED_MODELS = ("alexnet", "nin", "vgg16", "googlenet", "resnet18", "resnet50", "densenet121")
MODERN_MODELS = ("mobilenet_v1", "resnext50", "mobilenet_v2", "efficientnet_b0", "mobilenet_v3_large", "convnext_tiny")


def depth_run():
    """The depth study, its seeds combined (:func:`cnnbook.experiments.depth.combine_depth`)."""
    from cnnbook.experiments.depth import combine_depth

    return combine_depth(experiments.run("ch08.depth"))
