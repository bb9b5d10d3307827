# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lab 2: padding, stride and transposed convolution
#
# This lab goes with [chapter 2](../../chapters/02-padding-stride-dilation/). You will predict output
# sizes and check them, draw the window positions of any setting you like, write a strided, padded,
# dilated convolution and a transposed convolution and have them checked, watch a stride break
# equivariance on a photograph, and make a checkerboard. It runs in a few seconds on a laptop CPU.
# [Download the notebook](../ch02_padding_stride.ipynb) to run and change it.

# %%
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import SVG, display

from cnnbook import data, functional, kernels, shapes, transforms
from cnnbook.arithmetic import Arithmetic, animate
from cnnbook.exercises import check

# %% [markdown]
# ## 1. Predict, then count
#
# The output size along one axis is $o = \lfloor (n + 2p - d(k-1) - 1)/s \rfloor + 1$. For each setting
# below, predict $o$ before reading the printed value. The second column counts the windows one by one
# (`Arithmetic.positions` lists where each starts), so the formula and the count can be compared.

# %%
settings = [
    dict(input_size=32, kernel_size=5),
    dict(input_size=7, kernel_size=3, stride=2, padding=1),
    dict(input_size=8, kernel_size=3, stride=2, padding=1),
    dict(input_size=10, kernel_size=3, dilation=3, padding=3),
    dict(input_size=227, kernel_size=11, stride=4),
]
for s in settings:
    a = Arithmetic(**s)
    by_formula = shapes.conv_output_size(s["input_size"], s["kernel_size"], s.get("stride", 1), s.get("padding", 0),
                                         s.get("dilation", 1))
    print(f"{a.describe():40s} formula {by_formula:4d}   windows counted {len(a.positions):4d}   "
          f"unread cells {a.unused}")

# %% [markdown]
# ## 2. Draw any setting
#
# `animate` draws a step-through animation for any input size, kernel, padding, stride and dilation, or
# a transposed convolution with `transposed=True` (and `output_padding`). Change the numbers and run the
# cell again. A setting that cannot exist (a kernel wider than the padded input, say) raises an error
# that says why.

# %%
display(SVG(animate(Arithmetic(7, 3, stride=3, padding=1, dilation=1))))

# %%
display(SVG(animate(Arithmetic(3, 4, stride=2, padding=1, transposed=True))))

# %% [markdown]
# ## 3. Your strided, padded, dilated convolution
#
# Exercise 2.9 asks for this function. Here is one way to write it; the checker runs it against
# `cnnbook.functional.conv2d` on random settings.

# %%
def conv2d_general(image, kernel, stride, padding, dilation):
    image = np.pad(image, padding)
    kh, kw = kernel.shape
    span_h, span_w = dilation * (kh - 1) + 1, dilation * (kw - 1) + 1
    out = np.zeros(((image.shape[0] - span_h) // stride + 1, (image.shape[1] - span_w) // stride + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            window = image[i * stride : i * stride + span_h : dilation, j * stride : j * stride + span_w : dilation]
            out[i, j] = np.sum(window * kernel)
    return out


print(check("2.9", conv2d_general))

# %% [markdown]
# ## 4. Transposed convolution: scatter, or multiply by $C^\top$
#
# Exercise 2.10: each input value adds a scaled copy of the kernel into the output, `stride` cells
# apart from its neighbours' copies. Then the adjoint test: for any $x$ and $y$,
# $\langle \mathrm{conv}(x), y\rangle = \langle x, \mathrm{conv}^\top(y)\rangle$.

# %%
def conv_transpose2d_single(x, kernel, stride):
    kh, kw = kernel.shape
    out = np.zeros(((x.shape[0] - 1) * stride + kh, (x.shape[1] - 1) * stride + kw))
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            out[i * stride : i * stride + kh, j * stride : j * stride + kw] += x[i, j] * kernel
    return out


print(check("2.10", conv_transpose2d_single))

rng = np.random.default_rng(0)
x = rng.standard_normal((1, 1, 9, 9))
w = rng.standard_normal((1, 1, 3, 3))
y = rng.standard_normal(functional.conv2d(x, w, stride=2).shape)
left = np.sum(functional.conv2d(x, w, stride=2) * y)
right = np.sum(x * conv_transpose2d_single(y[0, 0], w[0, 0], 2))
print(f"<conv x, y> = {left:.6f}   <x, conv^T y> = {right:.6f}")

# %% [markdown]
# ## 5. Stride and equivariance on another photograph
#
# Shift the coffee photograph by $t$ pixels, apply a strided edge detector, and compare, away from the
# borders, with the unshifted output shifted by $t/s$ rounded down or up, whichever matches better. The
# algebra of section 2.5 says that shifts by a multiple of the stride agree exactly, and that the others
# cannot for a generic image; the last line of the cell checks both on this photograph.

# %%
stride, shifts = 2, range(6)
margin = max(shifts) + 2                  # rows the shifts can disturb near the borders
cup = data.photo("coffee", size=96, backend="numpy")[None, None]
edge = kernels.kernel("sobel y")[None, None]
base = functional.conv2d(cup, edge, stride=stride)[0, 0]
errors = {}
for t in shifts:
    moved = functional.conv2d(transforms.translate(cup, t, 0), edge, stride=stride)[0, 0]
    candidates = {t // stride, -(-t // stride)}   # the output shifts on either side of t / stride
    errors[t] = min(np.abs(moved - transforms.translate(base, c, 0))[margin:-margin, margin:-margin].max()
                    for c in candidates)
    print(f"vertical shift {t}: largest interior difference {errors[t]:.4f}")
exact = all(errors[t] < 1e-12 for t in shifts if t % stride == 0)
broken = all(errors[t] > 1e-3 for t in shifts if t % stride)
print(f"multiples of the stride exact: {exact}; every other shift differs: {broken}")
assert exact and broken

# %% [markdown]
# ## 6. A checkerboard of your own
#
# Upsample a constant image with a strided transposed convolution. With a kernel size that the stride
# does not divide, the overlaps are uneven and a constant input does not come out constant. Try
# `size = 4` and `size = 5`.

# %%
size, stride = 3, 2
kernel = np.ones((1, 1, size, size)) * stride**2 / size**2   # average gain 1: size² taps over stride² outputs
out = functional.conv_transpose2d(np.ones((1, 1, 6, 6)), kernel, stride=stride)[0, 0]
flat = out[size:-size, size:-size]                           # away from the border, where fewer copies land
plt.figure(figsize=(3, 3))
plt.imshow(flat, cmap="viridis")
plt.title(f"{size}×{size}, stride {stride}: {flat.min():.2f} to {flat.max():.2f}")
plt.axis("off")
plt.show()

# %% [markdown]
# ## Your turn
#
# * Find the smallest input size $n$ for which a 3×3 kernel with stride $s = 3$ and no padding leaves
#   two cells unread. Check with `Arithmetic(n, 3, stride=3).unused`.
# * Show numerically that a convolution with stride $s = 3$ commutes with shifts by multiples of $s$ and
#   with no other shift (change `stride` in section 5). Which phase of the unstrided output does a shift
#   by $t$ read? Exercise 2.6 asks you to prove it.
# * Check your answers to the chapter's exercises from here, for example `check("2.4", (1, 2))`.
