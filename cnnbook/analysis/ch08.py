"""What chapter 8's figures, facts and exercises share: its examples and the computations behind them."""

from __future__ import annotations

from cnnbook import experiments

#: Catalogue models on the comparison figure (the trainable small ones are drawn elsewhere).
PUBLISHED_MODELS = ("alexnet", "vgg16", "googlenet", "resnet18", "resnet50", "densenet121", "mobilenet_v1")


def depth_run():
    """The depth study, its seeds combined (:func:`cnnbook.experiments.depth.combine_depth`)."""
    from cnnbook.experiments.depth import combine_depth

    return combine_depth(experiments.run("ch08.depth"))
