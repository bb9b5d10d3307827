"""Numbers, tables and claims of chapter 3, "Pooling and invariance".

The shift measurement of section 3.3 lives here (the figures of the chapter draw it, they do not compute
it): a bank of edge detectors, several endings, every photograph scikit-image ships, shifted by a few
pixels. It is deterministic (no random weights), so its spread comes from the photographs, and the
comparisons pair the endings photograph by photograph.
"""

from __future__ import annotations

import numpy as np

from cnnbook import functional, models, shapes
from cnnbook.analysis.ch03 import (
    ALEXNET_SIDE,
    ALEXNET_STRIDE,
    ALEXNET_WINDOW,
    AVG4,
    BANK,
    BLUR4,
    GAP,
    HEADS,
    MAX2,
    MAX4,
    PHOTOS,
    RESNET_HEAD,
    SHIFTS,
    SIDE,
    STRIDED,
    VGG_HEAD,
    WHERE_BLOB,
    WHERE_MOVED_COL,
    WHERE_SIDE,
    WIDE,
    blob,
    endings,
    shift_measurement,
)
from cnnbook.claims import compare, expect
from cnnbook.facts import claim, fact, format_value, table

# ---- the premises the page, the figures and the exercises share ----


#: The shift at which the text reads the realigned wide-pooled map: half its stride, as far from a multiple as can be.
HALF_STRIDE_SHIFT = WIDE // 2


def _at(label, shift, kind="changed"):
    """One value per photograph: ``label``'s change at ``shift``."""
    i = SHIFTS.index(shift)
    return [curve[i] for curve in shift_measurement()["endings"][label][kind]]


def _span(values, fmt=".0%"):
    low, high = min(values), max(values)
    return f"{format(low, fmt)} to {format(high, fmt)}"


def _by_photo(a, b):
    """The rule applied to measurements paired by photograph (nothing here is random, so there are no seeds)."""
    return compare(a, b, over="photographs")


def _expect(comparison, verdict, message):
    return comparison.expect(verdict, message)


# ---- section 3.1 ----

@fact("ch03.alexnet_side")
def alexnet_side():
    return ALEXNET_SIDE


@fact("ch03.alexnet_stride")
def alexnet_stride():
    return ALEXNET_STRIDE


@fact("ch03.alexnet_pool")
def alexnet_pool():
    """AlexNet's overlapping max pooling: 3×3 windows, stride 2, on its 55×55 first-layer maps."""
    return shapes.pool_output_size(ALEXNET_SIDE, ALEXNET_WINDOW, stride=ALEXNET_STRIDE)


@claim("ch03.average_dims")
def average_dims():
    ratios = shift_measurement()["avg_over_max"]
    expect(max(ratios) < 1, "average pooling dims the edge map compared with max pooling on every photograph")
    return f"{_span(ratios)} (depending on the photograph)"


# ---- section 3.3: the shift measurement ----

@fact("ch03.photo_count")
def photo_count():
    return len(PHOTOS)


@fact("ch03.photos")
def photo_names():
    return ", ".join(f"`{name}`" for name in PHOTOS)


@fact("ch03.bank_size")
def bank_size():
    return len(BANK)


@fact("ch03.ending_count")
def ending_count():
    return len(endings())


@fact("ch03.max_shift")
def max_shift():
    return max(SHIFTS)


@fact("ch03.wide")
def wide():
    return f"{WIDE}×{WIDE}"


@fact("ch03.side")
def side():
    return SIDE


@fact("ch03.half_stride_shift")
def half_stride_shift():
    return HALF_STRIDE_SHIFT


@fact("ch03.conv_realigned_max")
def conv_realigned_max():
    return max(max(curve) for curve in shift_measurement()["endings"]["conv"]["realigned"])


@fact("ch03.conv_change_1")
def conv_change_1():
    return _span(_at("conv", 1))


@fact("ch03.max2_change_1")
def max2_change_1():
    return _span(_at(MAX2, 1))


@fact("ch03.max4_change_1")
def max4_change_1():
    return _span(_at(MAX4, 1))


@fact("ch03.max4_change_far")
def max4_change_far():
    return _span(_at(MAX4, max(SHIFTS)))


@fact("ch03.max4_realigned_half")
def max4_realigned_half():
    return _span(_at(MAX4, HALF_STRIDE_SHIFT, "realigned"))


@fact("ch03.blur4_change_1")
def blur4_change_1():
    return _span(_at(BLUR4, 1))


@fact("ch03.strided_change_1")
def strided_change_1():
    return _span(_at(STRIDED, 1))


@fact("ch03.gap_change_max")
def gap_change_max():
    return max(max(curve) for curve in shift_measurement()["endings"][GAP]["changed"])


@claim("ch03.max2_steadier_than_conv")
def max2_steadier_than_conv():
    return _expect(_by_photo(_at(MAX2, 1), _at("conv", 1)), "below",
                   "a 2×2 max pool changes less than the convolution at a one-pixel shift")


@claim("ch03.max4_steadier_than_max2")
def max4_steadier_than_max2():
    return _expect(_by_photo(_at(MAX4, 1), _at(MAX2, 1)), "below",
                   "a 4×4 max pool changes less than a 2×2 one at a one-pixel shift")


@claim("ch03.max4_far_shift")
def max4_far_shift():
    return _expect(_by_photo(_at(MAX4, max(SHIFTS)), _at(MAX4, 1)), "above",
                   "the 4×4 max pool changes more at the largest shift than at one pixel")


@claim("ch03.avg_vs_max_1")
def avg_vs_max_1():
    c = _by_photo(_at(AVG4, 1), _at(MAX4, 1))
    expect(c.verdict != "below", f"average pooling is no more invariant than max pooling: {c.evidence()}")
    return f"{c.says('more than', 'less than', 'about as much as')} the max-pooled one ({c.evidence()})"


def _mean_beyond_one(label):
    """Per photograph: the mean change over the shifts of two pixels or more."""
    curves = np.asarray(shift_measurement()["endings"][label]["changed"])
    return curves[:, [i for i, t in enumerate(SHIFTS) if t >= 2]].mean(axis=1).tolist()


@claim("ch03.avg_moves_more_beyond_1")
def avg_moves_more_beyond_1():
    return _expect(_by_photo(_mean_beyond_one(AVG4), _mean_beyond_one(MAX4)), "above",
                   "beyond one pixel, average pooling changes more than max pooling (mean over shifts)")


@claim("ch03.blur_steadier_than_max")
def blur_steadier_than_max():
    evidence = _expect(_by_photo(_at(BLUR4, 1), _at(MAX4, 1)), "below",
                       "blurred max pooling changes less than plain 4×4 max pooling at a one-pixel shift")
    for t in SHIFTS[1:]:
        _by_photo(_at(BLUR4, t), _at(MAX4, t)).expect(
            "below", f"blurred max pooling changes less than plain 4×4 max pooling at a shift of {t} pixels")
    return f"{evidence}; and less at every other shift measured, on every photograph"


@claim("ch03.equivariant_at_stride")
def equivariant_at_stride():
    """Every ending with a stride: realigned, exactly equivariant at multiples of its stride, and only there."""
    for label, (_, stride) in endings().items():
        if stride is None or stride == 1:
            continue
        for t in SHIFTS:
            values = _at(label, t, "realigned")
            if t % stride == 0:
                expect(max(values) < 1e-9, f"{label}, realigned, is equivariant at a shift of {t} pixels")
            else:
                expect(min(values) > 0.05, f"{label}, realigned, still differs at a shift of {t} pixels")
    return ""


@claim("ch03.blur_not_equivariant")
def blur_not_equivariant():
    values = _at(BLUR4, HALF_STRIDE_SHIFT, "realigned")
    expect(min(values) > 0.05, "blurred max pooling is still far from equivariant between multiples of its stride")
    return f"by {_span(values)} at a shift of {HALF_STRIDE_SHIFT} pixels"


@claim("ch03.strided_vs_conv")
def strided_vs_conv():
    c = _by_photo(_at(STRIDED, 1), _at("conv", 1))
    expect(c.verdict != "below", f"the strided convolution is no steadier than the plain one: {c.evidence()}")
    return f"{c.says('more than', 'less than', 'about as much as')} the unpooled convolution's ({c.evidence()})"


@claim("ch03.strided_above_pools")
def strided_above_pools():
    by_max = _by_photo(_at(STRIDED, 1), _at(MAX4, 1))
    by_avg = _by_photo(_at(STRIDED, 1), _at(AVG4, 1))
    by_max.expect("above", "the stride-4 convolution changes more than 4×4 max pooling at one pixel")
    by_avg.expect("above", "the stride-4 convolution changes more than 4×4 average pooling at one pixel")
    return f"than max pooling {by_max.evidence()}; than average pooling {by_avg.evidence()}"


@claim("ch03.strided_above_both")
def strided_above_both():
    strided_above_pools()
    # the figure's alt text also says, of every shift: the two unpooled convolutions sit above every pooled
    # ending, and global average pooling below all of them
    for t in SHIFTS[1:]:
        for label in (MAX2, MAX4, AVG4, BLUR4):
            for unpooled in ("conv", STRIDED):
                _by_photo(_at(unpooled, t), _at(label, t)).expect(
                    "above", f"{unpooled} changes more than {label} at a shift of {t} pixels")
            _by_photo(_at(GAP, t), _at(label, t)).expect(
                "below", f"{GAP} changes less than {label} at a shift of {t} pixels")
    return f"on each of the {len(PHOTOS)} photographs"


@claim("ch03.gap_steadiest")
def gap_steadiest():
    worst = [max(curve) for curve in shift_measurement()["endings"][GAP]["changed"]]
    return _expect(_by_photo(worst, _at(MAX4, 1)), "below",
                   "global average pooling at its worst shift changes less than 4×4 max pooling at one pixel")


@claim("ch03.conv_equivariant")
def conv_equivariant():
    expect(conv_realigned_max() < 1e-9, "the convolution, realigned, equals its output for the shifted photograph")
    return ""


# ---- section 3.4: heads ----


def _head(spec, flatten=True):
    _, channels, side_, outputs = spec
    return shapes.linear_params(channels * side_ * side_ if flatten else channels, outputs)


@table("ch03.heads")
def heads_table():
    lines = ["| last stage | feature map | flatten + dense | global average pool + dense | ratio |",
             "| --- | :---: | ---: | ---: | ---: |"]
    for spec in HEADS:
        name, channels, side_, _ = spec
        flat, gap = _head(spec), _head(spec, flatten=False)
        lines.append(f"| {name} | {side_}×{side_}×{channels} | {format_value(flat)} | {format_value(gap)} "
                     f"| {flat / gap:.1f}× |")
    return "\n".join(lines)


@fact("ch03.resnet_flat")
def resnet_flat():
    return _head(RESNET_HEAD)


@fact("ch03.resnet_gap")
def resnet_gap():
    return _head(RESNET_HEAD, flatten=False)


@fact("ch03.resnet_flat_vs_rest")
def resnet_flat_vs_rest():
    """The flattened head against the rest of ResNet-18 (everything but its GAP head), as a ratio."""
    rest = models.summary("resnet18").params - _head(RESNET_HEAD, flatten=False)
    return _head(RESNET_HEAD) / rest


@fact("ch03.vgg_map")
def vgg_map():
    _, channels, side_, _ = VGG_HEAD
    return f"{side_}×{side_}×{channels}"


@fact("ch03.vgg_fc")
def vgg_fc():
    return _head(VGG_HEAD)


@fact("ch03.vgg_fc_share")
def vgg_fc_share():
    """VGG-16's first dense layer as a share of the whole network's parameters."""
    return _head(VGG_HEAD) / models.summary("vgg16").params


# ---- section 3.5: what pooling forgets ----

#: Pooling windows compared in the "where" table: (label, kernel_size, stride).
WHERE_POOLS = (("2×2, stride 2", 2, 2), ("3×3, stride 2 (overlapping)", 3, 2),
               (f"{WIDE}×{WIDE}, stride {WIDE}", WIDE, WIDE))


def distinguishable_positions(kernel_size, stride, blur, n=WHERE_SIDE):
    """How many of the n×n positions of a dot (or blob) a max-pooled map can still tell apart."""
    seen = set()
    for row in range(n):
        for col in range(n):
            pooled = functional.max_pool2d(blob(row, col, n, blur), kernel_size, stride)
            seen.add(np.round(pooled, 12).tobytes())
    return len(seen)


@table("ch03.where")
def where_table():
    lines = ["| max pooling | sharp dot | blurred blob (3×3 Gaussian) |", "| --- | ---: | ---: |"]
    for label, k, s in WHERE_POOLS:
        sharp, blurred = (distinguishable_positions(k, s, blur=b) for b in (False, True))
        lines.append(f"| {label} | {sharp} of {WHERE_SIDE ** 2} | {blurred} of {WHERE_SIDE ** 2} |")
    return "\n".join(lines)


@fact("ch03.where_side")
def where_side():
    return WHERE_SIDE


@fact("ch03.where_positions")
def where_positions():
    return WHERE_SIDE ** 2


@fact("ch03.where_sharp_2")
def where_sharp_2():
    return distinguishable_positions(2, 2, blur=False)


@fact("ch03.where_sharp_4")
def where_sharp_4():
    return distinguishable_positions(WIDE, WIDE, blur=False)


@claim("ch03.where_one_per_window")
def where_one_per_window():
    for k in (2, WIDE):
        windows = shapes.pool_output_size(WHERE_SIDE, k) ** 2
        expect(distinguishable_positions(k, k, blur=False) == windows,
               f"a sharp dot under a {k}×{k} pool is told apart only to its window")
    return ""


@claim("ch03.where_blur_and_overlap")
def where_blur_and_overlap():
    for label, k, s in WHERE_POOLS:
        expect(distinguishable_positions(k, s, blur=True) > distinguishable_positions(k, s, blur=False),
               f"a blurred blob keeps more positions than a sharp dot under {label}")
    expect(distinguishable_positions(3, 2, blur=False) > distinguishable_positions(2, 2, blur=False),
           "overlapping 3×3 windows keep more positions of a sharp dot than 2×2 ones with the same stride")
    return ""


@claim("ch03.where_identical")
def where_identical():
    row, col = WHERE_BLOB
    a, b = (functional.max_pool2d(blob(row, c), WIDE) for c in (col, WHERE_MOVED_COL))
    expect(WHERE_MOVED_COL - col == 1, "the blob of the 'where' figure moves by one pixel")
    expect(np.array_equal(a, b), "the blob moved by one pixel inside its window gives the same pooled map")
    return ""


# ---- section 3.6 ----

@fact("ch03.avgpool_as_conv_error")
def avgpool_as_conv_error():
    """Largest difference between average pooling and a strided depthwise convolution with weights 1/k²."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 5, 12, 12))
    weight = np.full((5, 1, 2, 2), 0.25)
    by_conv = functional.conv2d(x, weight, stride=2, groups=5)
    return float(np.abs(functional.avg_pool2d(x, 2) - by_conv).max())
