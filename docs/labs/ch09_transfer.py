# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lab 9: transfer learning
#
# This lab goes with [chapter 9](../../chapters/09-transfer-learning/). You will load the backbone pretrained on
# the source digits, adapt it to the target digits with a handful of labels, compare that with training from
# scratch, make the classic preprocessing mistakes and fix them, and write a head that needs no training at all.
# Then you will classify photographs with a real ImageNet network and transfer its features to a new task. It
# runs in seconds on a laptop CPU.
# [Download the notebook](../ch09_transfer.ipynb) to run and change it.

# %%
import matplotlib.pyplot as plt
import numpy as np

from cnnbook import train, transfer
from cnnbook.exercises import check

# %% [markdown]
# ## 1. The pretrained backbone
#
# `transfer.pretrained()` returns the backbone trained on the source digits and a record of that training. The
# weights are cached: the first call anywhere trains them (a few seconds), every later one reads them back.

# %%
backbone, record = transfer.pretrained()
source, target = transfer.tasks()
print(backbone)
print(f"source digits {transfer.SOURCE}, target digits {transfer.TARGET}")
print(f"source test accuracy {record['source_accuracy']:.1%}; target: {target.x_train.shape[0]} training and "
      f"{target.x_test.shape[0]} test digits of {target.x_train.shape[2]}×{target.x_train.shape[3]} pixels")

# %% [markdown]
# ## 2. A few labels
#
# Draw `n` labelled target digits (the same number of each), then adapt the backbone in each of the chapter's
# regimes: from scratch, by feature extraction, by fine-tuning the top block and by fine-tuning everything.
# `adapt(backbone, copy, freeze)` copies and freezes whole blocks; `fine_tune` trains with the chapter's learning
# rates and returns the accuracy on the target test digits. Change `n` and `seed` and run it again: with so few
# labels the seed matters, and one seed's ranking of the regimes can differ from another's (the chapter compares
# them over several seeds for that reason).

# %%
n, seed = 30, 0
few = transfer.labelled(target, n, seed)
results = {}
for regime, (copy, freeze) in transfer.REGIMES.items():
    model = transfer.adapt(backbone, copy, freeze, rng=1000 + seed)
    results[regime] = (transfer.fine_tune(model, few, seed=seed), model)
print(f"{n} labelled digits, seed {seed}; accuracy on the {len(target.y_test)} target test digits:")
print("\n".join(f"{regime:20s} {accuracy:.1%}" for regime, (accuracy, _) in results.items()))

# %% [markdown]
# ## 3. The silent failure
#
# Take the fine-tuned network and feed it the same test digits with inverted contrast (white background), then
# without standardization. Nothing complains. The fix is the backbone's own preprocessing.

# %%
tuned = results["fine-tune all"][1]
for name, prep in {"as the backbone expects": transfer.Preprocessing(),
                   "inverted contrast": transfer.Preprocessing(invert=True),
                   "not standardized": transfer.Preprocessing(mean=0.0, std=1.0)}.items():
    _, shown = transfer.tasks(prep)
    predicted = train.predict(tuned, shown.x_test).argmax(axis=1)
    print(f"{name:24s} accuracy {np.mean(predicted == shown.y_test):.1%}; "
          f"input mean {shown.x_test.mean():+.2f}, standard deviation {shown.x_test.std():.2f}")

# %% [markdown]
# ## 4. Exercise 9.9: a head with no training
#
# A nearest-class-mean classifier averages the features of each class's labelled examples and labels a new
# image with the class of the nearest mean. Replace the body with your own and run the cell: the checker runs
# it on random cases, then we use it on the pretrained features of the `n` labelled digits.

# %%
def nearest_mean(train_features, train_labels, test_features):
    classes = np.unique(train_labels)
    means = np.stack([train_features[train_labels == c].mean(axis=0) for c in classes])
    distances = ((test_features[:, None, :] - means[None, :, :]) ** 2).sum(axis=2)
    return classes[distances.argmin(axis=1)]


guess = nearest_mean(transfer.features(backbone, few.x_train), few.y_train, transfer.features(backbone, target.x_test))
print(check("9.9", nearest_mean), f"nearest class mean on pretrained features: {np.mean(guess == target.y_test):.1%}",
      sep="\n")

# %% [markdown]
# ## 5. Exercise 9.10: how separated are the classes?
#
# Write the share of the standardized features' variance that lies between the class means, then compare it
# before and after fine-tuning, and look at the first two principal components.

# %%
def between_share(features, labels):
    std = features.std(axis=0)
    kept = std > 0
    z = (features[:, kept] - features[:, kept].mean(axis=0)) / std[kept]
    between = 0.0
    for c in np.unique(labels):
        members = labels == c
        between += members.sum() * (z[members].mean(axis=0) ** 2).sum()
    return between / (z**2).sum()


fig, axes = plt.subplots(1, 2, figsize=(9, 3.8))
lines = [str(check("9.10", between_share))]
for ax, (name, model) in zip(axes, (("pretrained", backbone), (f"fine-tuned on {n} digits", tuned))):
    feats = transfer.features(model, target.x_test)
    lines.append(f"{name}: {between_share(feats, target.y_test):.0%} of the variance between digits")
    z = transfer.standardized(feats)  # principal components of the standardized features
    coords = z @ np.linalg.svd(z, full_matrices=False)[2][:2].T
    ax.scatter(coords[:, 0], coords[:, 1], c=np.asarray(transfer.TARGET)[target.y_test], cmap="tab10", s=6, vmin=0,
               vmax=9)
    ax.set_title(name)
print(*lines, sep="\n")
plt.show()

# %% [markdown]
# ## 6. A real ImageNet network
#
# `pretrained.efficientnet_lite0()` builds EfficientNet-Lite0 from `cnnbook` layers and loads its ImageNet
# weights (section 9.7). Classify one of the book's photographs, then one of your own: read it with
# `skimage.io.imread`, scale it to $[0, 1]$ and put the channels first, as the commented lines show.

# %%
from cnnbook import pretrained
from cnnbook.data import photo

net = pretrained.efficientnet_lite0()
image = photo("chelsea", gray=False)
# from skimage import io
# image = np.moveaxis(io.imread("my_photo.jpg")[..., :3] / 255.0, -1, 0)  # your own, as (3, H, W) in [0, 1]
for index, name, probability in pretrained.classify(net, pretrained.preprocess(image))[0]:
    print(f"{probability:6.1%}  {name} (class {index})")

# %% [markdown]
# ## 7. Transfer on real features, in seconds
#
# A task ImageNet never asked: tell brick, grass and gravel apart from small grey patches. Patches for training
# come from the left side of each texture photograph and patches for testing from the right side, so no test
# pixel was seen in training. The network's pooled features (one number per channel of its last convolution,
# `pretrained.features`) go
# to the nearest-class-mean head of exercise 9.9, with `n` labelled patches per texture; the same head on the raw
# pixels is the baseline. Change `n`, the patch `side` or the textures (`photo` also has "coins" and "camera").

# %%
textures, side, per_half, n = ("brick", "grass", "gravel"), 96, 8, 1
rng = np.random.default_rng(0)


def patches(name, half):
    """``per_half`` random side×side patches from the left (half 0) or right (half 1) half of a texture."""
    image = photo(name, gray=True)
    part = image[:, : image.shape[1] // 2] if half == 0 else image[:, image.shape[1] // 2 :]
    corners = zip(rng.integers(0, part.shape[0] - side, per_half), rng.integers(0, part.shape[1] - side, per_half))
    return [part[r : r + side, c : c + side] for r, c in corners]


train_patches, test_patches = ([p for name in textures for p in patches(name, half)] for half in (0, 1))
labels = np.repeat(np.arange(len(textures)), per_half)
chosen = np.concatenate([np.flatnonzero(labels == k)[:n] for k in range(len(textures))])


def real_features(images):
    return pretrained.features(net, np.concatenate([pretrained.preprocess(p) for p in images]))


train_feats, test_feats = real_features(train_patches), real_features(test_patches)
on_features = nearest_mean(train_feats[chosen], labels[chosen], test_feats)
on_pixels = nearest_mean(np.stack([p.ravel() for p in train_patches])[chosen], labels[chosen],
                         np.stack([p.ravel() for p in test_patches]))
print(f"{n} labelled patch(es) per texture, {len(test_patches)} test patches:")
print(f"  nearest class mean on EfficientNet-Lite0's features: {np.mean(on_features == labels):.0%}")
print(f"  nearest class mean on the raw pixels:                {np.mean(on_pixels == labels):.0%}")

# %% [markdown]
# Check your answers to the chapter's other exercises from here, for example `check("9.1", 325)`.
