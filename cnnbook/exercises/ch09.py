"""Exercises of chapter 9, "Transfer learning"."""

from __future__ import annotations

import numpy as np

from cnnbook import models, nn, shapes, transfer
from cnnbook.transfer import nearest_mean
from cnnbook.exercises import Exercise, code_block, register, tex

_HEAD = shapes.linear_params(64, 5)
_CONV3 = shapes.conv2d_params(16, 64, 3)
#: The backbone's layers on one axis (kernel, stride, padding), for its receptive field: conv1, pool, conv2,
#: pool, conv3.
_LAYERS = [(5, 1, 2), (2, 2), (3, 1, 1), (2, 2), (3, 1, 1)]
_RF = shapes.receptive_fields(_LAYERS)[-1].size
_NET = transfer.backbone(rng=0)
_BACKBONE = nn.count_parameters(_NET)
# The prompts of 9.1 and 9.2 describe the chapter's backbone in words: keep them true to the code.
assert _HEAD == nn.count_parameters(_NET[4]) and _CONV3 == nn.count_parameters(_NET[2]), "exercises 9.1-9.2"


_RESNET50 = models.summary("resnet50")
#: Parameters of ResNet-50's last stage (``layer4``).
_RESNET50_STAGE4 = sum(r.params for r in _RESNET50.rows if r.name.startswith("layer4"))

# ---- 9.1 what feature extraction trains ----
register(Exercise(
    id="9.1", kind="number", title="What feature extraction trains",
    prompt="The chapter's backbone ends in global average pooling over 64 channels. For feature extraction on the "
           "five target digits, everything but a new linear head (with biases) is frozen. How many parameters "
           "does the optimizer update?",
    hint="One weight per feature per class, and one bias per class.",
    solution=fr"$64 \cdot 5 + 5 = {tex(_HEAD)}$, while the other {tex(_BACKBONE - _HEAD)} of the network's "
             f"{tex(_BACKBONE)} stay frozen. Training the head is fitting a multinomial logistic regression on 64 "
             "numbers per image, which is why it can be trained to convergence in a fraction of a second once the "
             "features are computed.",
    answer=_HEAD,
    wrong=(64 * 5, 64 * 10 + 10, 64 + 5),
))

# ---- 9.2 what fine-tuning the top block trains ----
register(Exercise(
    id="9.2", kind="number", title="Fine-tuning the top block",
    prompt="Now `conv3` (16 input channels, 64 filters of 3×3, with biases) trains as well as the new head, and "
           "`conv1` and `conv2` stay frozen. How many parameters does the optimizer update?",
    hint=r"Add the head of exercise 9.1 to the convolution's $(k \cdot k \cdot C_{in} + 1) \cdot C_{out}$.",
    solution=fr"$(3 \cdot 3 \cdot 16 + 1) \cdot 64 + {tex(_HEAD)} = {tex(_CONV3)} + {tex(_HEAD)} = "
             f"{tex(_CONV3 + _HEAD)}$: {(_CONV3 + _HEAD) / _BACKBONE:.0%} of the network, because the last block "
             "has the most channels. In big backbones too the top blocks hold most of the weights (ResNet-50's "
             f"last stage has {_RESNET50_STAGE4 / 1e6:.1f} of its {_RESNET50.params / 1e6:.1f} million), "
             "so \"only the top\" is not a small model.",
    answer=_CONV3 + _HEAD,
    wrong=(_CONV3, 3 * 3 * 16 * 64 + _HEAD, _CONV3 + 64 * 5),
))

# ---- 9.3 ImageNet normalization ----
_RED = round((200 / 255 - 0.485) / 0.229, 4)
_RED_UNSCALED = (200 - 0.485) / 0.229  # the same byte, forgetting to divide by 255
register(Exercise(
    id="9.3", kind="number", title="The backbone's normalization",
    prompt=r"torchvision's ImageNet backbones expect each channel as $(x - \mu)/\sigma$ with $x$ in $[0, 1]$ "
           r"and, for the red channel, $\mu = 0.485$, $\sigma = 0.229$. A red value stored as the byte 200 "
           "enters the network as what number? Four decimals.",
    hint="Scale the byte to $[0, 1]$ first.",
    solution=fr"$(200/255 - 0.485)/0.229 = ({200 / 255:.4f} - 0.485)/0.229 \approx {_RED}$. Forgetting the "
             f"division by 255 gives about {_RED_UNSCALED:.0f}: every input hundreds of times too large, and a "
             "network that still runs and still answers, wrongly and without a warning.",
    answer=_RED, rel_tol=1e-3,
    wrong=(round((200 - 0.485) / 0.229, 4), round(200 / 255, 4), round((200 / 255 - 0.485) / 0.229**2, 4)),
))

# ---- 9.4 the receptive field at the top ----
register(Exercise(
    id="9.4", kind="number", title="What conv3 sees",
    prompt="The backbone is: 5×5 convolution (padding 2), 2×2 max pooling (stride 2), 3×3 convolution "
           "(padding 1), 2×2 max pooling, 3×3 convolution (padding 1). How many input pixels wide is the "
           "receptive field of one `conv3` unit?",
    hint=r"Chapter 6: $r \leftarrow r + (k - 1)\,j$ and $j \leftarrow j\,s$, starting from $r = j = 1$.",
    solution=fr"$1 + 4 = 5$; $+ 1 \cdot 1 = 6$ (pool, jump 2); $+ 2 \cdot 2 = 10$; $+ 1 \cdot 2 = 12$ (pool, "
             fr"jump 4); $+ 2 \cdot 4 = {_RF}$. On 14×14 digits one `conv3` unit sees the whole digit. Fed 28×28 "
             "digits, the same unit sees only part of one, and every stroke is twice as wide as the strokes the "
             "5×5 filters learned on: the network runs without complaint on features it was never trained on, "
             "which is the resolution mismatch of section 9.4.",
    answer=_RF,
    wrong=(11, 14, 9),
))

# ---- 9.5 choose the regime: few labels, near domain ----
_BIRDS, _KINDS = 40, 4  # the exercise's premise
#: ResNet-50's pooled features (the input of its last layer), and the parameters of a new linear head on them.
_RESNET50_FEATURES = _RESNET50.rows[-1].params // _RESNET50.rows[-1].output[0] - 1
_BIRD_HEAD = shapes.linear_params(_RESNET50_FEATURES, _KINDS)
register(Exercise(
    id="9.5", kind="choice", title="Forty labelled images",
    prompt=f"You have {_BIRDS} labelled photographs of {_KINDS} kinds of bird, and an ImageNet-pretrained ResNet-50 "
           "(ImageNet has dozens of bird classes). What is the best first thing to try?",
    choices={
        "a": "train a ResNet-50 from scratch with strong augmentation",
        "b": "freeze the backbone and train a linear head on its pooled features",
        "c": f"fine-tune all {_RESNET50.params / 1e6:.1f} million weights at ImageNet's original learning rate",
        "d": f"train a small CNN from scratch, because ResNet-50 is too big for {_BIRDS} images",
    },
    hint=f"Which of these fits the fewest parameters to the {_BIRDS} labels, while keeping what ImageNet taught?",
    solution=f"(b), the literature's advice at ImageNet scale (section 9.6). With {_BIRDS // _KINDS} labels per class, "
             "every parameter you fit to them is a chance to memorize; a linear head on features that already "
             f"separate birds fits {_BIRD_HEAD:,} numbers ({_RESNET50_FEATURES:,} weights per class and a bias), "
             f"against {_RESNET50.params / 1e6:.1f} million for (a) or (c). Fine-tuning everything at a large learning rate (c) can "
             "wreck the features before the head is any good; training from scratch (a, d) throws away the only "
             f"source of knowledge beyond the {_BIRDS} images. The chapter's own toy experiment, a tiny backbone "
             "pretrained on digits, is a different case: section 9.6 compares the two.",
    answer="b",
    wrong=("a", "c", "d"),
))

# ---- 9.6 choose the regime: many labels, distant domain ----
register(Exercise(
    id="9.6", kind="choice", title="A hundred thousand X-rays",
    prompt="You have 100,000 labelled chest X-rays (grayscale, large, nothing like ImageNet's photos) and the "
           "same ImageNet backbone. Which usually works best?",
    choices={
        "a": "feature extraction: the backbone frozen, a new head trained",
        "b": "fine-tuning every layer, starting from the pretrained weights",
        "c": "freezing the top blocks and training the first ones",
        "d": "nothing pretrained can help on such different images",
    },
    hint="With this much data, which layers can afford to change, and which features are least specific?",
    solution="(b). With plenty of labels the network can adapt every layer to the new images, and starting from "
             "pretrained weights is rarely worse than a random start; it usually converges faster (Raghu et al. "
             "2019 found medical imaging gains mostly in speed, Kornblith et al. 2019 that fine-tuning beats "
             "fixed features across twelve datasets). Frozen features (a) are tuned to photos; freezing the "
             "*top* (c) is backwards, since the top layers are the most specific to the source task, as "
             "section 9.3's frozen curve shows at small scale.",
    answer="b",
    wrong=("a", "c", "d"),
))

# ---- 9.7 frozen layers cost ----
register(Exercise(
    id="9.7", kind="bool", title="Are frozen layers free?",
    prompt="True or false: when a backbone is frozen and training uses random augmentation (a new random crop "
           "of every image at every step), each training step costs only the head's forward and backward pass.",
    hint="What has to be recomputed when the input changes?",
    solution="False. Freezing saves the backward pass through the backbone and its weight updates, but every new "
             "input still has to go forward through every frozen layer. Only when the inputs never change (no "
             "augmentation) can the features be computed once and reused; that is how this chapter's feature "
             f"extraction affords a budget of {transfer.PROBE_STEPS:,} steps per run, against {transfer.STEPS} for the "
             "regimes that train convolutions (both rounded up to whole passes over the labelled digits).",
    answer=False,
    wrong=(True,),
))

# ---- 9.8 can a head undo a mismatch ----
register(Exercise(
    id="9.8", kind="bool", title="Can the head fix it?",
    prompt="True or false: with a frozen backbone, any mismatch between your preprocessing and the backbone's is "
           "harmless as long as you train the new head on images prepared your way, because the head learns "
           "whatever mapping the features need.",
    hint="What can a linear head do with features the frozen layers computed from the wrong inputs?",
    solution="False. The head can only weigh the features it is given; if the frozen layers respond to the "
             "mismatched images with less informative features, no head recovers the information. A change of "
             "scale and offset is the mild case (the first layer is linear, so it only shifts and scales what "
             "the filters see); inverted strokes or a different size change which patterns are there at all. "
             "Section 9.4 measures both kinds.",
    answer=False,
    wrong=(True,),
))


# ---- 9.9 code: a nearest-class-mean classifier (its solution is cnnbook.transfer.nearest_mean) ----


def _mean_cases(rng, n):
    for _ in range(n):
        k, d = int(rng.integers(2, 6)), int(rng.integers(1, 9))
        labels = rng.permutation(np.concatenate([np.arange(k), rng.integers(0, k, size=int(rng.integers(0, 20)))]))
        labels = labels + int(rng.integers(0, 3))  # class labels need not start at 0
        centres = rng.standard_normal((labels.max() + 1, d)) * 3
        train = centres[labels] + rng.standard_normal((len(labels), d))
        yield train, labels, rng.standard_normal((int(rng.integers(1, 15)), d)) * 3


def _nearest_index(train_features, train_labels, test_features):
    classes = np.unique(train_labels)
    means = np.stack([train_features[train_labels == c].mean(axis=0) for c in classes])
    return ((test_features[:, None, :] - means[None]) ** 2).sum(axis=2).argmin(axis=1)


def _nearest_sample(train_features, train_labels, test_features):
    distances = ((test_features[:, None, :] - train_features[None]) ** 2).sum(axis=2)
    return train_labels[distances.argmin(axis=1)]


def _farthest_mean(train_features, train_labels, test_features):
    classes = np.unique(train_labels)
    means = np.stack([train_features[train_labels == c].mean(axis=0) for c in classes])
    return classes[((test_features[:, None, :] - means[None]) ** 2).sum(axis=2).argmax(axis=1)]


register(Exercise(
    id="9.9", kind="code", title="A head with no training",
    prompt="Write `nearest_mean(train_features, train_labels, test_features)`: average the training feature "
           "vectors (rows) of each class, then label every test row with the class whose mean is nearest in "
           "Euclidean distance. Return the labels as an array; the labels are integers but need not start at 0.",
    hint="`np.unique` gives the classes in order; broadcast test rows against the class means to get every "
         "distance at once.",
    solution=f"{code_block(nearest_mean)}\n\nOn pretrained features this is a respectable few-shot classifier "
             "with nothing to tune: the idea behind prototypical networks (Snell et al. 2017). It works exactly "
             "when the features put each class in its own region, which is what section 9.5's separation "
             "number measures.",
    function="nearest_mean", signature="nearest_mean(train_features, train_labels, test_features)",
    reference=nearest_mean, cases=_mean_cases,
    wrong=(_nearest_index, _nearest_sample, _farthest_mean),
))


# ---- 9.10 code: class separation ----


def between_share(features, labels):
    """Share of the standardized features' total sum of squares that lies between the class means."""
    std = features.std(axis=0)
    kept = std > 0
    z = (features[:, kept] - features[:, kept].mean(axis=0)) / std[kept]
    between = 0.0
    for c in np.unique(labels):
        members = labels == c
        between += members.sum() * (z[members].mean(axis=0) ** 2).sum()
    return between / (z**2).sum()


def _share_cases(rng, n):
    for _ in range(n):
        k, d, size = int(rng.integers(2, 5)), int(rng.integers(1, 7)), int(rng.integers(8, 40))
        labels = rng.permutation(np.arange(size) % k)
        features = rng.standard_normal((size, d)) * rng.uniform(0.1, 10, size=d) + rng.standard_normal((k, d))[labels]
        if rng.random() < 0.3:
            features[:, int(rng.integers(d))] = 2.5  # a feature that never varies (a dead ReLU unit)
        yield features, labels


def _share_raw(features, labels):
    z = features - features.mean(axis=0)
    return sum((labels == c).sum() * (z[labels == c].mean(axis=0) ** 2).sum() for c in np.unique(labels)) / (z**2).sum()


def _share_within(features, labels):
    std = features.std(axis=0)
    z = (features[:, std > 0] - features[:, std > 0].mean(axis=0)) / std[std > 0]
    within = sum(((z[labels == c] - z[labels == c].mean(axis=0)) ** 2).sum() for c in np.unique(labels))
    return within / (z**2).sum()


def _share_unweighted(features, labels):
    std = features.std(axis=0)
    z = (features[:, std > 0] - features[:, std > 0].mean(axis=0)) / std[std > 0]
    return len(z) / len(np.unique(labels)) * sum((z[labels == c].mean(axis=0) ** 2).sum()
                                                 for c in np.unique(labels)) / (z**2).sum()


register(Exercise(
    id="9.10", kind="code", title="How separated are the classes?",
    prompt="Write `between_share(features, labels)` for features of shape $(N, D)$: drop the columns that never "
           "vary, standardize the rest (subtract each column's mean, divide by its standard deviation), then "
           r"return $\sum_c n_c \lVert \bar z_c \rVert^2 / \sum_i \lVert z_i \rVert^2$, where $\bar z_c$ is "
           "the mean of the $n_c$ standardized rows of class $c$. It is the number in the titles of figure "
           "9.7 (`cnnbook.transfer.class_separation`).",
    hint="Because the standardized columns have mean 0, the total sum of squares splits exactly into a "
         "between-class part (the class means) and a within-class part (the spread around them).",
    solution=f"{code_block(between_share)}\n\nA share of 1 means every image sits exactly on its class mean; 0 "
             "means the class means coincide. Standardizing first gives every feature an equal say, and "
             "dropping constant features avoids dividing by zero for units that never fire.",
    function="between_share", signature="between_share(features, labels)",
    reference=between_share, cases=_share_cases,
    wrong=(_share_raw, _share_within, _share_unweighted),
))


# ---- the real network (section 9.7) ----

_LITE0 = models.summary("efficientnet_lite0")
#: Stage 2's first block of EfficientNet-Lite0: its rows of the catalogue's summary.
_BLOCK = [r for r in _LITE0.rows if r.name.startswith("stage2.0.")]
_BLOCK_PARAMS = sum(r.params for r in _BLOCK)
_BLOCK_BN = sum(r.params for r in _BLOCK if r.kind == "BN")
_EXPANDED = _BLOCK[0].output[0]  # the 1×1 expansion's channels
_BLOCK_IN, _BLOCK_OUT = _EXPANDED // 6, _BLOCK[-1].output[0]
assert (_BLOCK_IN, _EXPANDED, _BLOCK_OUT) == (16, 96, 24), "exercise 9.11's prompt describes this block"

register(Exercise(
    id="9.11", kind="number", title="One inverted residual block",
    prompt="EfficientNet-Lite0's first block of its second stage takes 16 channels, widens them six times with a "
           "1×1 convolution, filters each of the 96 channels with its own 3×3 kernel (a depthwise convolution, "
           "stride 2), and projects to 24 channels with a 1×1 convolution. No convolution has a bias; each is "
           "followed by batch normalization. How many trained parameters does the block have?",
    hint="Batch normalization trains a scale and a shift per channel (its running mean and variance are not "
         "trained). A depthwise convolution has one k×k kernel per channel.",
    solution=fr"$16 \cdot 96 + 96 \cdot 9 + 96 \cdot 24 = {tex(_BLOCK_PARAMS - _BLOCK_BN)}$ convolution weights and "
             fr"$2 \cdot (96 + 96 + 24) = {tex(_BLOCK_BN)}$ batch-norm parameters: {tex(_BLOCK_PARAMS)}. A full 3×3 "
             fr"convolution from 96 to 96 channels would have $96 \cdot 96 \cdot 9 = {tex(96 * 96 * 9)}$ weights on "
             "its own: the depthwise filter is what keeps the wide middle of the block cheap.",
    answer=_BLOCK_PARAMS,
    wrong=(_BLOCK_PARAMS - _BLOCK_BN, _BLOCK_PARAMS + _BLOCK_BN, 16 * 96 + 96 * 96 * 9 + 96 * 24 + _BLOCK_BN),
))

# ---- 9.12 TensorFlow's padding at stride 2 ----
_BEFORE, _AFTER = shapes.same_padding(112, 3, stride=2)
_OUTPUTS = -(-112 // 2)
_SPAN = (_OUTPUTS - 1) * 2 + 3
register(Exercise(
    id="9.12", kind="number", title="Where the zero goes",
    prompt="A 3×3 depthwise convolution at stride 2 with TensorFlow's \"same\" padding meets a 112×112 map (the "
           "case of EfficientNet-Lite0's second stage). How many zeros does it add *before* the input on each axis "
           "(above the first row, and left of the first column)?",
    hint="\"Same\" asks for ⌈112 / 2⌉ outputs; count the positions their windows span, and put the odd zero "
         "after the input.",
    solution=fr"The {tex(_OUTPUTS)} outputs need $({tex(_OUTPUTS)} - 1) \cdot 2 + 3 = {tex(_SPAN)}$ positions, "
             f"{_SPAN - 112} more than the input has: {_BEFORE} zeros before and {_AFTER} after "
             "(`cnnbook.shapes.same_padding(112, 3, stride=2)`). A re-implementation that writes `padding=1` puts "
             f"one zero on each side instead: the same {_OUTPUTS} outputs, every window shifted by one pixel, which "
             "is section 9.7's \"symmetric padding\" mistake.",
    answer=_BEFORE,
    wrong=(1, _BEFORE + _AFTER + 1),
))
assert (_BEFORE, _AFTER) == (0, 1), "exercise 9.12's solution"


# ---- 9.13 folding batch normalization: a number ----
_GAMMA, _BETA, _MU, _VAR, _EPS = 0.5, 0.1, 2.0, 0.24, 1e-3
_S = _GAMMA / (_VAR + _EPS) ** 0.5
register(Exercise(
    id="9.13", kind="number", title="A folded bias",
    prompt=r"A convolution without bias is followed by batch normalization in evaluation mode with "
           rf"$\gamma = {_GAMMA}$, $\beta = {_BETA}$, running mean $\mu = {_MU}$, running variance "
           rf"$\sigma^2 = {_VAR}$ and $\epsilon = {_EPS}$ for one channel. Folded into the convolution, what bias "
           "does that channel's filter get? (Three decimals are enough.)",
    hint=r"Batch normalization computes $\gamma (z - \mu) / \sqrt{\sigma^2 + \epsilon} + \beta$; write it as "
         r"$s z + b'$.",
    solution=rf"$s = \gamma / \sqrt{{\sigma^2 + \epsilon}} = {_S:.4f}$, and with no bias before, "
             rf"$b' = \beta - s \mu = {_BETA} - {_S:.4f} \cdot {_MU} = {_BETA - _S * _MU:.4f}$. The filter's "
             f"weights are multiplied by {_S:.4f}. (`cnnbook.nn.fold_batch_norm` does this for every pair.)",
    answer=_BETA - _S * _MU, rel_tol=1e-3,
    wrong=(_BETA - _GAMMA / _VAR**0.5 * _MU, _BETA + _S * _MU, -_S * _MU, _BETA - _GAMMA * _MU),
))


# ---- 9.14 code: fold batch normalization ----


def fold(weight, bias, gamma, beta, mean, var, eps):
    """A convolution ``(weight, bias)`` followed by evaluation-mode batch norm, as one convolution."""
    scale = gamma / np.sqrt(var + eps)
    return weight * scale[:, None, None, None], beta + scale * (bias - mean)


def _fold_cases(rng, n):
    for _ in range(n):
        c_out, c_in, k = int(rng.integers(1, 5)), int(rng.integers(1, 4)), int(rng.choice([1, 3]))
        yield (rng.standard_normal((c_out, c_in, k, k)), rng.standard_normal(c_out), rng.uniform(0.2, 2, c_out),
               rng.standard_normal(c_out), rng.standard_normal(c_out), rng.uniform(0.05, 3, c_out),
               float(rng.choice([1e-5, 1e-3])))


def _fold_no_eps(weight, bias, gamma, beta, mean, var, eps):
    return fold(weight, bias, gamma, beta, mean, var, 0.0)


def _fold_bias_unscaled(weight, bias, gamma, beta, mean, var, eps):
    scale = gamma / np.sqrt(var + eps)
    return weight * scale[:, None, None, None], beta + bias - scale * mean


def _fold_std_not_var(weight, bias, gamma, beta, mean, var, eps):
    scale = gamma / (var + eps)
    return weight * scale[:, None, None, None], beta + scale * (bias - mean)


register(Exercise(
    id="9.14", kind="code", title="Fold batch normalization",
    prompt="Write `fold(weight, bias, gamma, beta, mean, var, eps)`: given a convolution's `weight` of shape "
           "$(C_{out}, C_{in}, k, k)$ and `bias` of shape $(C_{out},)$, and the batch normalization after it "
           "(scale `gamma`, shift `beta`, running `mean` and `var`, all of shape $(C_{out},)$, and `eps`), return "
           "the `(weight, bias)` of the one convolution that computes the same thing in evaluation mode.",
    hint=r"Per output channel, $\gamma (w \star x + b - \mu)/\sqrt{\sigma^2 + \epsilon} + \beta$ is "
         r"$s\,(w \star x) + \beta + s(b - \mu)$ with $s = \gamma / \sqrt{\sigma^2 + \epsilon}$.",
    solution=f"{code_block(fold)}\n\nThe folded network computes the same logits with one layer fewer per "
             "convolution; section 9.7 times both on the real network.",
    function="fold", signature="fold(weight, bias, gamma, beta, mean, var, eps)",
    reference=fold, cases=_fold_cases,
    wrong=(_fold_no_eps, _fold_bias_unscaled, _fold_std_not_var),
))
