# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lab 8: architectures
#
# This lab goes with [chapter 8](../../chapters/08-architectures/). You will write a residual block and
# have it checked, measure the gradient that reaches the first layer of deep plain and residual stacks, and count
# the parameters of the classic networks. It runs in a few seconds on a laptop CPU.
# [Download the notebook](../ch08_architectures.ipynb) to run and change it.

# %%
import numpy as np

from cnnbook import data, models, nn, train
from cnnbook.exercises import check

# %% [markdown]
# ## 1. Exercises 8.7 and 8.9
#
# Write ResNet's basic block and its bottleneck block, without batch normalization. The checker runs your functions
# against the reference on random cases. Replace the bodies with your own and run the cell.

# %%
from cnnbook import functional as F


def basic_block(x, w1, w2):
    h = F.relu(F.conv2d(x, w1, padding=1))
    return F.relu(F.conv2d(h, w2, padding=1) + x)


def bottleneck_block(x, w1, w2, w3):
    h = F.relu(F.conv2d(x, w1))
    h = F.relu(F.conv2d(h, w2, padding=1))
    return F.relu(F.conv2d(h, w3) + x)


# one print for both results, so the notebook shows one output block however long the checks take
print(check("8.7", basic_block), check("8.9", bottleneck_block), sep="\n")

# %% [markdown]
# ## 2. Gradients in deep stacks
#
# Build plain and residual stacks, with and without batch normalization, and print the gradient that reaches
# the first layer's weights on one batch of digits averaged over 2×2 blocks, as in section 8.1. These are
# one seed's numbers (`rng=0` draws the chapter's first seed's weights): compare them with the spread of the
# seeds in the chapter's gradient figure, then change `depth` and `rng` and see which differences survive.

# %%
digits = data.mnist(backend="numpy")
depth, batch = 16, 64
x, y = F.avg_pool2d(digits.x_train[:batch], 2).astype(np.float32), digits.y_train[:batch]
for batch_norm in (False, True):
    for residual in (False, True):
        stack = models.build("resnet_small", rng=0, input_shape=x.shape[1:], depth=depth, width=0.5, residual=residual,
                             batch_norm=batch_norm)
        train.train_step(stack, x, y)
        first = next(m for _, m in stack.modules() if isinstance(m, nn.Conv2d))
        print(f"{'residual' if residual else 'plain':8s} {'with' if batch_norm else 'without'} BN: "
              f"|dL/dW| of the first layer = {np.linalg.norm(first.grads['weight']):.4f}")

# %% [markdown]
# ## 3. The catalogue
#
# Count any classic network. Try `"resnet50"`, `"densenet121"`, or a narrower copy with `width=0.5`.

# %%
for name in ("alexnet", "vgg16", "googlenet", "resnet18", "resnet50", "densenet121", "mobilenet_v1"):
    s = models.summary(name)
    print(f"{name:13s} {s.params:>12,} parameters {s.macs / 1e9:6.2f} G MACs  receptive field {s.rf}")

# %% [markdown]
# Check your answers to the chapter's other exercises from here, for example `check("8.4", 256)`.
