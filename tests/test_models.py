"""The architecture catalogue: totals equal the published counts, fields equal chapter 6's, every model builds."""

from __future__ import annotations

import numpy as np
import pytest

from cnnbook import models, nn
from cnnbook.analysis import ch06
from cnnbook.models import spec

PUBLISHED = {name: info.published_params for name, info in models.MODELS.items() if info.published_params}


def test_every_published_total_is_checked():
    assert set(PUBLISHED) == {"lenet5", "alexnet", "vgg16", "googlenet_torchvision", "resnet18", "resnet50",
                              "densenet121", "mobilenet_v1", "efficientnet_lite0", "resnext50", "mobilenet_v2",
                              "efficientnet_b0", "mobilenet_v3_large", "convnext_tiny"}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_parameter_totals_match_the_published_models(name):
    assert models.summary(name).params == PUBLISHED[name]


def test_known_totals_and_costs():
    assert models.summary("vgg16").params == 138_357_544
    assert models.summary("resnet18").params == 11_689_512
    assert models.summary("resnet50", stride_on_3x3=False).params == 25_557_032  # moving the stride moves no weight
    # MACs as the papers and torchvision's model cards report them (in billions).
    for name, gmacs in (("vgg16", 15.47), ("resnet18", 1.81), ("resnet50", 4.09), ("alexnet", 0.71),
                        ("mobilenet_v1", 0.569), ("densenet121", 2.83), ("resnext50", 4.23), ("mobilenet_v2", 0.30),
                        ("efficientnet_b0", 0.39), ("mobilenet_v3_large", 0.22),
                        ("convnext_tiny", 4.46)):
        assert models.summary(name).macs / 1e9 == pytest.approx(gmacs, abs=0.01), name


def test_receptive_fields_agree_with_chapter_6():
    expected = {title: ch06.network_fields(layers)[-1].size for title, _, _, layers in ch06.NETWORKS}
    assert models.summary("alexnet").rf == expected["AlexNet"] == 195
    assert models.summary("vgg16").rf == expected["VGG-16"] == 212
    assert models.summary("resnet18").rf == expected["ResNet-18"] == 435
    assert models.summary("resnet50").rf == expected["ResNet-50"] == 427
    assert models.summary("mobilenet_v1").rf == expected["MobileNet v1"] == 315
    assert spec.summary(models.resnet50(stride_on_3x3=False), (3, 224, 224)).rf == 483


def test_vgg16_activations_agree_with_chapter_4():
    from cnnbook.analysis import ch04

    rows = [r for r in models.summary("vgg16").rows if r.kind in ("Conv", "Pool")]
    assert [r.output for r in rows] == [row["shape"] for row in ch04.backbone_layers()]


@pytest.mark.parametrize("name", sorted(models.MODELS))
def test_every_model_builds_at_reduced_width_and_counts_agree(name):
    info = models.MODELS[name]
    width = 1.0 if info.trainable_here else 1 / 16
    net = models.build(name, rng=0, width=width, num_classes=7)
    assert nn.count_parameters(net) == models.summary(name, width=width, num_classes=7).params
    x = np.random.default_rng(0).standard_normal((2, *info.input_shape)).astype(np.float32)
    net.eval()
    y = net(x)
    assert y.shape == (2, 7) and np.isfinite(y).all()


def test_residual_block_of_resnet18_is_what_the_text_says():
    rows = models.summary("resnet18").rows
    block = [r for r in rows if r.name.startswith("layer2.0.")]
    assert [(r.name, r.kind, r.output) for r in block if r.kind == "Conv"] == [
        ("layer2.0.0.body.0", "Conv", (128, 28, 28)), ("layer2.0.0.body.3", "Conv", (128, 28, 28)),
        ("layer2.0.0.shortcut.0", "Conv", (128, 28, 28))]


def test_bad_specs_name_the_layer():
    with pytest.raises(ValueError, match=r"layer 3 \(Linear\): needs a flat input"):
        spec.summary(spec.Seq(spec.Conv(4, 3), spec.ReLU(), spec.Pool("max", 2), spec.Linear(10)), (1, 8, 8))
    with pytest.raises(ValueError, match=r"layer 0 \(Conv\): the input 2×2 is too small"):
        spec.summary(spec.Seq(spec.Conv(4, 5)), (1, 2, 2))
    with pytest.raises(ValueError, match="the body gives"):
        spec.summary(spec.Seq(spec.Add(spec.Seq(spec.Conv(8, 3, padding=1)))), (4, 8, 8))
    with pytest.raises(ValueError, match="unknown model 'vgg'"):
        models.build("vgg")
    with pytest.raises(ValueError, match="input_shape must be"):
        spec.summary(spec.Seq(), (28, 28))


def test_nin_counts_its_mlpconv_blocks_and_pools_to_one_score_per_class():
    """No framework publishes NiN's total: the count is checked layer by layer (weights and a bias per filter),
    and the last block's maps are 6×6 before the global average, as the released model's 6×6 average pool."""
    blocks = [(3, 96, 11), (96, 256, 5), (256, 384, 3), (384, 1024, 3)]
    expected = 0
    for c_in, c, k in blocks:
        last = 1000 if c == 1024 else c
        expected += (c_in * c * k * k + c) + (c * c + c) + (c * last + last)
    summary = models.summary("nin")
    assert summary.params == expected == 7_595_176
    convs = [r for r in summary.rows if r.kind == "Conv"]
    assert convs[-1].output == (1000, 6, 6) and summary.rows[-1].output == (1000,)
