# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lab 6: receptive fields
#
# This lab goes with [chapter 6](../../chapters/06-receptive-fields/). You will compute the receptive
# field, jump and effective padding of a stack you design, draw the region one unit sees on a photograph,
# write the recursion and have it checked, and measure an effective receptive field with the backward
# pass. It runs in a few seconds on a laptop CPU.
# [Download the notebook](../ch06_receptive_fields.ipynb) to run and change it.

# %%
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from cnnbook import data, functional, shapes
from cnnbook.exercises import check

# %% [markdown]
# ## 1. Design a stack
#
# Each layer is `(kernel_size, stride, padding, dilation)`; trailing items may be left out. This one is a
# small VGG-style network: pairs of 3×3 convolutions with "same" padding and a 2×2 pool after each pair.
# Add layers, change strides, try dilations.

# %%
stack = [(3, 1, 1), (3, 1, 1), (2, 2), (3, 1, 1), (3, 1, 1), (2, 2), (3, 1, 1), (3, 1, 1), (2, 2)]
for number, (layer, field) in enumerate(zip(stack, shapes.receptive_fields(stack)), start=1):
    print(f"layer {number}: {str(layer):12s} r = {field.size:3d}  jump = {field.jump:2d}  "
          f"padding = {field.padding:2d}  first centre = {field.centre:g}")

# %% [markdown]
# ## 2. What one unit sees
#
# The unit in row $i$ of the last layer sees input rows $-P + i\,j_L$ to $-P + i\,j_L + r - 1$, where $j_L$ is
# the jump (and the same for columns). Draw the fields of a few units on a photograph; parts outside the image are padding.

# %%
image = data.photo("astronaut", size=128, backend="numpy")
field = shapes.receptive_fields(stack)[-1]
units = [(0, 0), (5, 5), (10, 3)]  # (row, column) of units of the last layer
fig, ax = plt.subplots(figsize=(5, 5))
ax.imshow(image, cmap="gray")
for (i, j), colour in zip(units, ["#d62728", "#2ca02c", "#1f77b4"]):
    top, left = field.start + i * field.jump, field.start + j * field.jump
    ax.add_patch(Rectangle((left - 0.5, top - 0.5), field.size, field.size, fill=False, edgecolor=colour,
                           linewidth=2))
    ax.plot(left + (field.size - 1) / 2, top + (field.size - 1) / 2, "+", color=colour, markersize=12)
margin = field.padding + 2  # show the padding the first unit's field hangs over
ax.set_xlim(-margin, image.shape[1] + margin)
ax.set_ylim(image.shape[0] + margin, -margin)
ax.set_title(f"fields of {len(units)} units: {field.size}×{field.size} pixels, {field.jump} apart")
plt.show()

# %% [markdown]
# ## 3. The recursion, by hand
#
# Exercises 6.9 and 6.10. The checker compares your functions with `cnnbook.shapes.receptive_fields` on
# random stacks.

# %%
def receptive_field(layers):
    size, jump, padding = 1, 1, 0
    for k, s, p, d in layers:
        size += d * (k - 1) * jump
        padding += p * jump
        jump *= s
    return size, jump, padding


def input_region(layers, i):
    size, jump, padding = receptive_field(layers)
    first = -padding + i * jump
    return first, first + size - 1


# one print for both results, so the notebook shows one output block however long the checks take
print(check("6.9", receptive_field), check("6.10", input_region), sep="\n")

# %% [markdown]
# ## 4. An effective receptive field
#
# Run the backward pass from the centre unit $y$ of a random stack of 3×3 convolutions with ReLU, starting
# from $\partial y / \partial y = 1$, down to the photograph: the magnitude of the input gradient shows how much each pixel influences that unit. Compare
# its spread with the theoretical field. Try more layers, or another seed or photograph: one seed and one
# photograph are a single sample, so check a pattern on several before you trust it.

# %%
rng = np.random.default_rng(0)
size, layers, channels = 64, 6, 4
x = data.photo("coffee", size=size, backend="numpy")[None, None, :size, :size]
saved, a = [], x
for _ in range(layers):
    w = rng.standard_normal((channels, a.shape[1], 3, 3)) * np.sqrt(2 / (9 * a.shape[1]))
    z = functional.conv2d(a, w, padding=1)
    saved.append((a, w, z))
    a = functional.relu(z)
g = np.zeros_like(a)
centre = (a.shape[2] // 2, a.shape[3] // 2)
g[0, :, centre[0], centre[1]] = 1.0
for a_in, w, z in reversed(saved):
    g = functional.conv2d_backward(functional.relu_backward(g, z), a_in, w, padding=1)[0]
influence = np.abs(g[0, 0])
field = shapes.receptive_fields([(3, 1, 1)] * layers)[-1]
print("theoretical field:", field.size, "pixels wide")
print("pixels with any influence:", int((influence > 0).sum()), "of the", field.size**2, "in the field")
top, left = (max(c - field.size, 0) for c in centre)  # the field and as much again around it
plt.imshow(influence[top : centre[0] + field.size + 1, left : centre[1] + field.size + 1], cmap="magma")
plt.title("|∂ unit / ∂ input| around the centre")
plt.axis("off")
plt.show()

# %% [markdown]
# ## Your turn
#
# 1. In section 1, build ResNet-18's stem and first stage: `[(7, 2, 3), (3, 2, 1)] + [(3, 1, 1)] * 4`.
#    Where is unit `i = 10` of its last layer centred?
# 2. In section 4, average the influence over several seeds and photographs, then fit its width. Does it
#    grow like the number of layers or like its square root?
# 3. Check your answers to the chapter's exercises from here, for example `check("6.1", 18)`.
