"""Exercises of chapter 8, "Architectures"."""

from __future__ import annotations

from cnnbook import functional, models, shapes
from cnnbook.exercises import Exercise, code_block, register, tex


def _params(name, **options):
    return models.summary(name, **options).params


# ---- 8.1 VGG-16's first dense layer ----
_VGG_FC = next(r.params for r in models.summary("vgg16").rows if r.kind == "Linear")
register(Exercise(
    id="8.1", kind="number", title="VGG-16's first dense layer",
    prompt="VGG-16's last pool outputs 512 maps of 7×7, which are flattened into the first dense layer of 4,096 "
           "units (with biases). How many parameters does that one layer have?",
    hint="Count the inputs first.",
    solution=fr"$7 \cdot 7 \cdot 512 = {tex(25088)}$ inputs, so $({tex(25088)} + 1) \cdot {tex(4096)} = "
             f"{tex(_VGG_FC)}$: {_VGG_FC / _params('vgg16'):.0%} of the whole network's {tex(_params('vgg16'))}. "
             "Global average "
             "pooling, which GoogLeNet and ResNet use instead of flattening, cuts this layer to 512 inputs.",
    answer=_VGG_FC,
    wrong=(25088 * 4096, 512 * 4096 + 4096, 4096 * 4096 + 4096),
))

# ---- 8.2 AlexNet's first layer ----
register(Exercise(
    id="8.2", kind="number", title="AlexNet's first layer",
    prompt="AlexNet's first convolution (torchvision's version) has 11×11 kernels, stride 4 and padding 2, on a "
           "224×224 image. How wide is its output?",
    hint=r"$\lfloor (i + 2p - k)/s \rfloor + 1$.",
    solution=fr"$\lfloor (224 + 4 - 11)/4 \rfloor + 1 = \lfloor 54.25 \rfloor + 1 = "
             f"{shapes.conv_output_size(224, 11, 4, 2)}$. The 2012 paper says 224 and 55, which only fits a "
             "227-pixel input without padding, a well-known inconsistency.",
    answer=shapes.conv_output_size(224, 11, 4, 2),
    wrong=(54, 56, 53),
))

# ---- 8.3 a basic residual block ----
_BLOCK = 2 * shapes.conv2d_params(64, 64, 3, bias=False) + 2 * 2 * 64
register(Exercise(
    id="8.3", kind="number", title="The cost of a shortcut",
    prompt="A ResNet-18 basic block at 64 channels has two 3×3 convolutions without biases, each followed by "
           "batch normalization (a scale and a shift per channel), and an identity shortcut. How many "
           "parameters does the block have?",
    hint="The identity shortcut has none.",
    solution=fr"$2 \cdot 3 \cdot 3 \cdot 64 \cdot 64 + 2 \cdot 2 \cdot 64 = {tex(_BLOCK)}$. The identity "
             "shortcut costs nothing at all. Only where a block changes the width or the resolution does its "
             "shortcut need a 1×1 projection with weights of its own, which is why the residual stacks of "
             "section 8.1 have slightly more parameters than their plain twins.",
    answer=_BLOCK,
    wrong=(2 * shapes.conv2d_params(64, 64, 3, bias=False), _BLOCK + 64 * 64, 2 * shapes.conv2d_params(64, 64, 3)),
))

# ---- 8.4 Inception 3a ----
register(Exercise(
    id="8.4", kind="number", title="Inception 3a",
    prompt="GoogLeNet's module 3a has four branches: 64 1×1 filters; 96 1×1 then 128 3×3; 16 1×1 then 32 5×5; "
           "3×3 max pooling then 32 1×1. How many channels does it output?",
    hint="The branches are concatenated along the channels; only each branch's last layer counts.",
    solution="$64 + 128 + 32 + 32 = 256$. The 1×1 reductions (96 and 16) are internal: they shrink the input of "
             "the expensive 3×3 and 5×5 convolutions, which is where their saving comes from (chapter 4).",
    answer=sum(models.catalogue.GOOGLENET_MODULES["3a"][i] for i in (0, 2, 4, 5)),
    wrong=(352, 192, 480),
))

# ---- 8.5 DenseNet's growth ----
register(Exercise(
    id="8.5", kind="number", title="Dense growth",
    prompt="DenseNet-121's first dense block receives 64 channels and has 6 layers, each adding 32 new channels "
           "to everything before it. How many channels leave the block (before the transition halves them)?",
    hint="Nothing is ever dropped inside a block.",
    solution=fr"$64 + 6 \cdot 32 = {64 + 6 * 32}$. The transition's 1×1 convolution then halves that to 128 "
             "and its pooling halves the resolution.",
    answer=64 + 6 * 32,
    wrong=(32, 224, 64 * 2**6),
))

# ---- 8.6 the gradient through a shortcut ----
register(Exercise(
    id="8.6", kind="bool", title="Through the shortcut",
    prompt="True or false: in a block $y = x + F(x)$, if every weight of $F$ is zero, the gradient "
           r"$\partial L/\partial x$ still equals $\partial L/\partial y$.",
    hint=r"Differentiate: $\partial y/\partial x = I + \partial F/\partial x$.",
    solution=r"True. With $F$'s weights at zero, $\partial F/\partial x = 0$ and the Jacobian of the block is "
             "the identity, so the gradient passes unchanged. A plain block $y = F(x)$ would pass nothing back. "
             "A residual network can therefore start close to the identity and still pass gradients to every "
             "layer, one reason (He et al. 2016) why deep ones train.",
    answer=True,
    wrong=(False,),
))


# ---- 8.7 code: a basic residual block ----


def basic_block(x, w1, w2):
    """ReLU(conv(ReLU(conv(x, w1)), w2) + x), 3×3 convolutions with padding 1 (no batch norm)."""
    from cnnbook import functional as F

    h = F.relu(F.conv2d(x, w1, padding=1))
    return F.relu(F.conv2d(h, w2, padding=1) + x)


def _block_cases(rng, n):
    for _ in range(n):
        c, size = int(rng.integers(1, 5)), int(rng.integers(3, 8))
        yield (rng.standard_normal((int(rng.integers(1, 3)), c, size, size)),
               rng.standard_normal((c, c, 3, 3)) / 3, rng.standard_normal((c, c, 3, 3)) / 3)


def _block_no_final_relu(x, w1, w2):
    return functional.conv2d(functional.relu(functional.conv2d(x, w1, padding=1)), w2, padding=1) + x


def _block_relu_before_add(x, w1, w2):
    h = functional.relu(functional.conv2d(x, w1, padding=1))
    return functional.relu(functional.conv2d(h, w2, padding=1)) + x


def _block_plain(x, w1, w2):
    return functional.relu(functional.conv2d(functional.relu(functional.conv2d(x, w1, padding=1)), w2, padding=1))


register(Exercise(
    id="8.7", kind="code", title="A residual block",
    prompt="Write `basic_block(x, w1, w2)`: ResNet's basic block without batch normalization. `x` has shape "
           "$(N, C, H, W)$, `w1` and `w2` shape $(C, C, 3, 3)$. Apply a 3×3 convolution with `w1` (padding 1), "
           "ReLU, a 3×3 convolution with `w2` (padding 1), add the block's input `x`, and apply a last ReLU. "
           "You may use `cnnbook.functional`.",
    hint="The shortcut is added *before* the last ReLU; padding 1 keeps the shapes equal so the sum is defined.",
    solution=f"{code_block(basic_block)}\n\nThe order matters. With a ReLU on the body before the sum, a block "
             "could only ever add non-negative values to its input; leaving out the last ReLU is another block "
             "again (closer to the \"pre-activation\" design of He et al. 2016b, which moves batch normalization "
             "and ReLU in front of each convolution so that the shortcut path stays a pure identity).",
    function="basic_block", signature="basic_block(x, w1, w2)",
    reference=basic_block, cases=_block_cases,
    wrong=(_block_no_final_relu, _block_relu_before_add, _block_plain),
))


# ---- 8.8 bottleneck ----
_BASIC_256 = 2 * shapes.conv2d_params(256, 256, 3, bias=False)
_BOTTLENECK_256 = (shapes.conv2d_params(256, 64, 1, bias=False) + shapes.conv2d_params(64, 64, 3, bias=False)
                   + shapes.conv2d_params(64, 256, 1, bias=False))
register(Exercise(
    id="8.8", kind="number", title="Why ResNet-50 uses bottlenecks",
    prompt="At 256 channels, how many times more convolution weights does a basic block (two 3×3 convolutions, "
           "256 → 256) have than a bottleneck block (1×1 to 64, 3×3 at 64, 1×1 back to 256)? Ignore batch "
           "normalization. Give the ratio to two decimals.",
    hint=r"$2 \cdot 9 \cdot 256^2$ against $256 \cdot 64 + 9 \cdot 64^2 + 64 \cdot 256$.",
    solution=fr"${tex(_BASIC_256)} / {tex(_BOTTLENECK_256)} \approx {_BASIC_256 / _BOTTLENECK_256:.2f}$. The "
             "bottleneck does its spatial mixing at a quarter of the width, which is how ResNet-50 is deeper "
             "than ResNet-34 at almost the same cost.",
    answer=round(_BASIC_256 / _BOTTLENECK_256, 2), rel_tol=0.01,
    wrong=(4.0, 9.0, round(_BOTTLENECK_256 / _BASIC_256, 2)),
))


# ---- 8.9 code: a bottleneck block ----


def bottleneck_block(x, w1, w2, w3):
    """ResNet-50's bottleneck block without batch normalization: 1×1 down, 3×3, 1×1 up, identity shortcut."""
    from cnnbook import functional as F

    h = F.relu(F.conv2d(x, w1))
    h = F.relu(F.conv2d(h, w2, padding=1))
    return F.relu(F.conv2d(h, w3) + x)


def _bottleneck_cases(rng, n):
    for _ in range(n):
        c, inner, size = int(rng.integers(2, 7)), int(rng.integers(1, 3)), int(rng.integers(3, 7))
        yield (rng.standard_normal((int(rng.integers(1, 3)), c, size, size)), rng.standard_normal((inner, c, 1, 1)),
               rng.standard_normal((inner, inner, 3, 3)) / 3, rng.standard_normal((c, inner, 1, 1)))


def _bottleneck_no_final_relu(x, w1, w2, w3):
    h = functional.relu(functional.conv2d(x, w1))
    h = functional.relu(functional.conv2d(h, w2, padding=1))
    return functional.conv2d(h, w3) + x


def _bottleneck_relu_last_conv(x, w1, w2, w3):
    h = functional.relu(functional.conv2d(x, w1))
    h = functional.relu(functional.conv2d(h, w2, padding=1))
    return functional.relu(functional.conv2d(h, w3)) + x


def _bottleneck_plain(x, w1, w2, w3):
    h = functional.relu(functional.conv2d(x, w1))
    h = functional.relu(functional.conv2d(h, w2, padding=1))
    return functional.relu(functional.conv2d(h, w3))


register(Exercise(
    id="8.9", kind="code", title="A bottleneck block",
    prompt="Write `bottleneck_block(x, w1, w2, w3)`: ResNet-50's bottleneck block without batch normalization. `x` "
           r"has shape $(N, C, H, W)$; `w1` has shape $(C', C, 1, 1)$, `w2` $(C', C', 3, 3)$ and `w3` "
           r"$(C, C', 1, 1)$ with $C' < C$. Apply the 1×1 convolution `w1` and a ReLU, the 3×3 convolution `w2` "
           "(padding 1) and a ReLU, the 1×1 convolution `w3`, add the block's input, and apply a last ReLU. You "
           "may use `cnnbook.functional`.",
    hint="Exercise 8.7's block with its two 3×3 convolutions replaced by three; only the middle one needs padding.",
    solution=f"{code_block(bottleneck_block)}\n\nThe 3×3 convolution works at the reduced width $C'$ (a quarter "
             "of $C$ in ResNet-50), which is where exercise 8.8's saving comes from; the last 1×1 convolution "
             "restores the width so that the identity shortcut can be added.",
    function="bottleneck_block", signature="bottleneck_block(x, w1, w2, w3)",
    reference=bottleneck_block, cases=_bottleneck_cases,
    wrong=(_bottleneck_no_final_relu, _bottleneck_relu_last_conv, _bottleneck_plain),
))
