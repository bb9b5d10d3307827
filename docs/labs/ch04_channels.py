# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lab 4: channels
#
# This lab goes with [chapter 4](../../chapters/04-channels/). You will take a colour photograph apart
# channel by channel, check that a 1×1 convolution is a matrix product, build a depthwise separable layer
# and time it against a standard one on your own machine, and count the activations and parameters of a
# network you design. It runs in under a minute on a laptop CPU.
# [Download the notebook](../ch04_channels.ipynb) to run and change it.

# %%
import matplotlib.pyplot as plt
import numpy as np

from cnnbook import data, experiments, functional, kernels, shapes
from cnnbook.exercises import check
from cnnbook.experiments import layer_costs

# %% [markdown]
# ## 1. One filter, every channel
#
# A filter for an RGB image has one 3×3 slice per channel. This one looks for vertical edges in the red
# channel only and ignores green and blue. Change the slices (for example, put the edge kernel on the blue
# channel, or a negative one on green) and see which parts of the photograph respond.

# %%
x = data.photo("coffee", size=96, gray=False, backend="numpy")          # (3, H, W)
weight = np.zeros((1, 3, 3, 3))
weight[0, 0] = kernels.kernel("sobel x")                               # red channel only
contributions = [functional.conv2d(x[c][None, None], weight[:, c : c + 1], padding=1)[0, 0] for c in range(3)]
total = functional.conv2d(x[None], weight, padding=1)[0, 0]
print("sum of the per-channel contributions equals the layer:", np.allclose(sum(contributions), total))

fig, axes = plt.subplots(1, 4, figsize=(12, 3))
for ax, title, image in zip(axes, ["red part", "green part", "blue part", "output"], contributions + [total]):
    limit = np.abs(total).max()
    ax.imshow(image, cmap="RdBu_r", vmin=-limit, vmax=limit)
    ax.set_title(title)
    ax.set_axis_off()
plt.show()

# %% [markdown]
# ## 2. A 1×1 convolution is a matrix product
#
# Reshape the image to a $3 \times HW$ matrix of pixels; a 1×1 convolution from the colour channels to two
# output channels is a $2 \times 3$ matrix times it.

# %%
w1 = np.array([[0.2125, 0.7154, 0.0721],     # luminance
               [1.0, -1.0, 0.0]])            # red minus green
by_conv = functional.conv2d(x[None], w1[:, :, None, None])[0]
by_matmul = (w1 @ x.reshape(3, -1)).reshape(2, *x.shape[1:])
print("largest difference:", np.abs(by_conv - by_matmul).max())

# %% [markdown]
# ## 3. Depthwise separable, counted and timed
#
# The counts say a separable 3×3 layer costs $1/C_{\text{out}} + 1/9$ of a standard one. The chapter's
# timing experiment runs a standard, a grouped and a depthwise separable layer on one square map.
# `experiments.run` times them on *your* machine the first time you call it (under a minute) and reads the
# cached result afterwards. Compare the ratio of times with the ratio of counts, and look at the spread of
# the timed rounds: a ratio means something only when the two layers' ranges of rounds, from the fastest to
# the slowest, do not overlap.

# %%
costs = experiments.run("ch04.layer_costs")
print("measured on:", costs["machine"])
print(f"one {layer_costs.SIZE}×{layer_costs.SIZE} map, {costs['repeat']} timed rounds per layer")
standard, grouped, separable = layer_costs.LABELS        # the results' keys, in a fixed order
for i, c in enumerate(costs["channels"]):
    mac_ratio = costs["macs"][standard][i] / costs["macs"][separable][i]
    time_ratio = costs["seconds"][standard][i] / costs["seconds"][separable][i]
    slowest_separable, fastest_standard = max(costs["rounds"][separable][i]), min(costs["rounds"][standard][i])
    fastest_separable, slowest_standard = min(costs["rounds"][separable][i]), max(costs["rounds"][standard][i])
    if slowest_separable < fastest_standard:
        verdict = "separable faster in every round"
    elif fastest_separable > slowest_standard:
        verdict = "separable slower in every round"
    else:
        verdict = "the rounds overlap: no difference shown"
    print(f"C = {c:4d}: separable needs {mac_ratio:4.1f}x fewer MACs; "
          f"median time ratio standard/separable {time_ratio:4.1f} ({verdict})")

# %% [markdown]
# To time a layer of your own, `from cnnbook import timing` and use `timing.round_times`, which repeats a
# call in several timed rounds and returns the seconds per call of each round, for example
# `timing.round_times(lambda: functional.conv2d(x, w, padding=1))`. Compare two layers by their ranges of
# rounds, as above, not by one number each.

# %% [markdown]
# ## 4. Exercises 4.10 and 4.11, by hand
#
# The checker runs each function against `cnnbook.functional` on random inputs.

# %%
def multichannel_conv(x, weight, bias):
    c_out, c_in, k, _ = weight.shape
    h_out, w_out = x.shape[1] - k + 1, x.shape[2] - k + 1
    y = np.empty((c_out, h_out, w_out))
    for o in range(c_out):
        for i in range(h_out):
            for j in range(w_out):
                y[o, i, j] = np.sum(x[:, i : i + k, j : j + k] * weight[o]) + bias[o]
    return y


def separable_conv(x, depthwise, pointwise):
    c, k, _ = depthwise.shape
    mid = np.stack([multichannel_conv(x[ch : ch + 1], depthwise[ch][None, None], np.zeros(1))[0]
                    for ch in range(c)])
    return np.einsum("oc,chw->ohw", pointwise, mid)


# one print for both results, so the notebook shows one output block however long the checks take
print(check("4.10", multichannel_conv), check("4.11", separable_conv), sep="\n")

# %% [markdown]
# ## 5. Design a network and count it
#
# Each stage is a 3×3 convolution, padded to keep the size, and a 2×2 max pool. Change the widths, the input
# size or the number of stages, and watch where the parameters and the activations go.

# %%
widths = [32, 64, 128, 256, 512]
c, h = 3, 224
copies = 3                                                  # weights, gradients, momentum
total_params = total_activations = 0
for stage, out in enumerate(widths, start=1):
    params = shapes.conv2d_params(c, out, 3)
    conv = shapes.conv_output_size(h, 3, padding=1)         # the padded conv keeps the size
    c, h = out, shapes.pool_output_size(conv, 2)
    activations = out * conv * conv + out * h * h           # conv output and pooled output
    total_params += params
    total_activations += activations
    print(f"stage {stage}: {h:3d}×{h:<3d}×{c:<4d} parameters {params:10,d}   activations {activations:11,d}")
print(f"total: parameters {total_params:,d}, activations per image {total_activations:,d}")
print(f"batch at which activations outweigh {copies} copies of the weights: "
      f"{copies * total_params // total_activations + 1}")

# %% [markdown]
# ## Your turn
#
# - Time a grouped convolution with `groups=8` against a standard one with `timing.round_times`. Do their
#   ranges overlap? Is its speed-up closer to its MAC count than the separable layer's?
# - In section 5, give the first stage a stride of two (halve `h` once more before the loop). How do the
#   activations change, and the parameters?
# - Check your answers to the chapter's exercises from here, for example `check("4.3", (256, 32, 3, 3))`.
