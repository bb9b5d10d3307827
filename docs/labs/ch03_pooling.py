# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lab 3: pooling and invariance
#
# This lab goes with [chapter 3](../../chapters/03-pooling-invariance/). You will pool a real photograph,
# measure how much a pooled feature map changes when the photograph shifts, write max pooling and adaptive
# average pooling and have them checked, and count what global average pooling saves. It runs in a few
# seconds on a laptop CPU. [Download the notebook](../ch03_pooling.ipynb) to run and change it.

# %%
import matplotlib.pyplot as plt
import numpy as np

from cnnbook import data, functional, kernels, shapes, transforms
from cnnbook.exercises import check

# %% [markdown]
# ## 1. Pool a photograph
#
# An edge detector with ReLU, then max and average pooling with square windows of side `window`. Try other
# photographs from `data.PHOTOS` and other window sizes.

# %%
print("photographs:", ", ".join(data.PHOTOS))
window = 4
x = data.photo("coins", size=128, backend="numpy")[None, None]
edges = functional.relu(functional.conv2d(x, kernels.kernel("edge")[None, None], padding=1))
panels = {"input": x, "edge + ReLU": edges, f"max pool {window}×{window}": functional.max_pool2d(edges, window),
          f"average pool {window}×{window}": functional.avg_pool2d(edges, window)}
fig, axes = plt.subplots(1, 4, figsize=(11, 3))
for ax, (title, y) in zip(axes, panels.items()):
    ax.imshow(y[0, 0], cmap="gray" if title == "input" else "magma")
    ax.set_title(f"{title} {y.shape[-2]}×{y.shape[-1]}")
    ax.set_axis_off()
plt.show()

# %% [markdown]
# ## 2. How invariant is it?
#
# Shift the photograph by $t$ pixels to the right and measure the relative change of each output, as it is
# (no realignment), away from the borders. Zero would mean invariant. One photograph tells little, so the
# measurement runs on every photograph in `data.PHOTOS` and prints the smallest and the largest change.

# %%
def relative_change(f, x, t, margin=16, stride=1):
    base, moved = f(x), f(transforms.translate(x, 0, t))
    m = margin // stride
    inside = (slice(None), slice(None), slice(m, -m), slice(m, -m))
    return float(np.linalg.norm((moved - base)[inside]) / np.linalg.norm(base[inside]))


def features(x):
    return functional.relu(functional.conv2d(x, kernels.kernel("edge")[None, None], padding=1))


endings = {
    "conv": (features, 1),
    "max pool 2×2": (lambda x: functional.max_pool2d(features(x), 2), 2),
    "max pool 8×8": (lambda x: functional.max_pool2d(features(x), 8), 8),
}
photos = [data.photo(name, size=128, backend="numpy")[None, None] for name in data.PHOTOS]
shifts = range(0, 9, 2)
for name, (f, stride) in endings.items():
    changes = np.array([[relative_change(f, p, t, stride=stride) for t in shifts] for p in photos])
    print(f"{name:14s}", "  ".join(f"t={t}: {low:.2f}–{high:.2f}"
                                    for t, low, high in zip(shifts, changes.min(axis=0), changes.max(axis=0))))

# %% [markdown]
# ## 3. Max pooling and adaptive pooling, by hand
#
# Exercises 3.8 and 3.9. The checker runs each function against `cnnbook.functional` on random inputs.

# %%
def max_pool2d_single(image, kernel_size, stride):
    h_out = (image.shape[0] - kernel_size) // stride + 1
    w_out = (image.shape[1] - kernel_size) // stride + 1
    out = np.empty((h_out, w_out))
    for i in range(h_out):
        for j in range(w_out):
            out[i, j] = image[i * stride : i * stride + kernel_size, j * stride : j * stride + kernel_size].max()
    return out


def adaptive_avg_pool2d_single(image, out_h, out_w):
    h, w = image.shape
    out = np.empty((out_h, out_w))
    for i in range(out_h):
        top, bottom = (i * h) // out_h, -(-((i + 1) * h) // out_h)
        for j in range(out_w):
            left, right = (j * w) // out_w, -(-((j + 1) * w) // out_w)
            out[i, j] = image[top:bottom, left:right].mean()
    return out


# one print for both results, so the notebook shows one output block however long the checks take
print(check("3.8", max_pool2d_single), check("3.9", adaptive_avg_pool2d_single), sep="\n")

# %% [markdown]
# ## 4. What global average pooling saves
#
# Parameters of the classifier on top of a last feature map of $C$ channels, `side` × `side` positions each,
# with `classes` classes: flatten and a dense layer, or global average pooling and a dense layer.

# %%
side, classes = 7, 1000
for channels in (64, 256, 512, 2048):
    flat = shapes.linear_params(channels * side * side, classes)
    gap = shapes.linear_params(channels, classes)
    print(f"C = {channels:5d}: flatten + dense {flat:12,d}   GAP + dense {gap:10,d}")

# %% [markdown]
# ## Your turn
#
# 1. In section 2, add `"average pool 8×8"` and a stride-8 convolution
#    (`functional.conv2d(x, k, stride=8, padding=1)` followed by ReLU), and measure every shift from
#    $t = 0$ up, not every second one. Which ending changes least at $t = 1$, and is it so on every
#    photograph?
# 2. Make the shift a multiple of the pool's stride $s$ and realign the output by $t/s$ cells with
#    `transforms.translate`: the max-pooled map becomes exactly equivariant away from the borders.
# 3. Check your answers to the chapter's exercises from here, for example `check("3.1", 27)`.
