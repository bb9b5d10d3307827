# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lab 5: backpropagation through convolution
#
# This lab goes with [chapter 5](../../chapters/05-backpropagation/). You will compute a convolution's
# gradients with loops, check them against finite differences and against `cnnbook`, see the gradient of a
# strided layer turn into a transposed convolution, write the backward pass of max pooling, and
# backpropagate by hand through a small network. It runs in a few seconds on a laptop CPU.
# [Download the notebook](../ch05_backprop.ipynb) to run and change it.

# %%
import matplotlib.pyplot as plt
import numpy as np

from cnnbook import data, functional, kernels
from cnnbook.exercises import check
from cnnbook.gradcheck import numerical_gradient, relative_error

rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. Gradients by loops
#
# The forward pass of a valid correlation with unit stride visits every (output position, kernel offset) pair.
# The backward pass visits the same pairs and sends each product's gradient to both of its factors. This is
# exercise 5.9; the checker compares it with `cnnbook` on random cases.

# %%
def conv2d_backward_single(x, w, g):
    k = w.shape[0]
    grad_x = np.zeros_like(x, dtype=float)
    grad_w = np.zeros_like(w, dtype=float)
    for i in range(g.shape[0]):
        for j in range(g.shape[1]):
            grad_x[i : i + k, j : j + k] += g[i, j] * w
            grad_w += g[i, j] * x[i : i + k, j : j + k]
    return grad_x, grad_w


print(check("5.9", conv2d_backward_single))

# %% [markdown]
# ## 2. Check against the definition of the derivative
#
# A gradient check needs nothing but the forward pass. Take $L = \sum_{i,j} y_{i,j}\, p_{i,j}$ for a fixed
# random array $p$, so that the upstream gradient is $p$ itself. The cell tries a coarse, a moderate and a tiny
# `eps`.

# %%
x = rng.standard_normal((7, 7))
w = rng.standard_normal((3, 3))
p = rng.standard_normal((5, 5))


def loss():
    y = functional.conv2d(x[None, None], w[None, None])[0, 0]
    return float(np.sum(y * p))


grad_x, grad_w = conv2d_backward_single(x, w, p)
errors = {eps: (relative_error(grad_x, numerical_gradient(loss, x, eps)),
                relative_error(grad_w, numerical_gradient(loss, w, eps))) for eps in (1e-2, 1e-6, 1e-12)}
for eps, (error_x, error_w) in errors.items():
    print(f"eps = {eps:g}: relative error of grad_x {error_x:.1e}, of grad_w {error_w:.1e}")
# what the next cell says: for this linear loss, the smaller the nudge, the larger the rounding error
coarse, moderate, tiny = errors.values()
assert all(c < m < t for c, m, t in zip(coarse, moderate, tiny))

# %% [markdown]
# The loss is linear in $x$ and in $w$, so even a coarse $\varepsilon$ is exact up to rounding, while the tiny
# one loses digits to rounding (the rounding error of the loss is divided by $2\varepsilon$). A ReLU after the convolution makes the
# loss only piecewise linear: a difference stays exact as long as no nudge carries an output across zero, and
# a coarse enough $\varepsilon$ does. The next cell adds the ReLU (its backward is `relu_backward`) and tries
# a coarser $\varepsilon$ too.

# %%
def relu_loss():
    y = functional.conv2d(x[None, None], w[None, None])[0, 0]
    return float(np.sum(np.maximum(y, 0) * p))


y = functional.conv2d(x[None, None], w[None, None])[0, 0]
grad_x, grad_w = conv2d_backward_single(x, w, functional.relu_backward(p, y))
print("closest output to the kink:", f"{np.abs(y).min():.3f}")
relu_errors = {eps: relative_error(grad_x, numerical_gradient(relu_loss, x, eps)) for eps in (1e-1, 1e-2, 1e-6)}
for eps, error in relu_errors.items():
    print(f"eps = {eps:g}: relative error of grad_x {error:.1e}")
# nudging one input by eps moves each output by at most eps * max|w|: only the largest nudge can cross zero
assert 1e-1 * np.abs(w).max() > np.abs(y).min() > 1e-2 * np.abs(w).max()
assert relu_errors[1e-1] > max(relu_errors[1e-2], relu_errors[1e-6])

# %% [markdown]
# ## 3. A strided gradient is a transposed convolution
#
# Send a single unit of gradient back through the strided convolution below and look at where it lands. Then
# send a constant gradient: the result is the checkerboard of chapter 2, because with this kernel and stride
# some input positions are covered by more windows than others.

# %%
kernel = np.ones((1, 1, 3, 3))
x = np.zeros((1, 1, 9, 9))
one = np.zeros((1, 1, 5, 5))
one[0, 0, 2, 2] = 1.0
gx_one = functional.conv2d_backward(one, x, kernel, stride=2, padding=1)[0]
gx_flat = functional.conv2d_backward(np.ones((1, 1, 5, 5)), x, kernel, stride=2, padding=1)[0]
print("same as conv_transpose2d:",
      np.allclose(gx_flat, functional.conv_transpose2d(np.ones((1, 1, 5, 5)), kernel, stride=2, padding=1)))
fig, axes = plt.subplots(1, 2, figsize=(7, 3.2))
for ax, grad, title in ((axes[0], gx_one, "one unit of gradient"), (axes[1], gx_flat, "constant gradient")):
    ax.imshow(grad[0, 0], cmap="Oranges")
    ax.set_title(title)
    ax.set_axis_off()
plt.show()

# %% [markdown]
# ## 4. The backward pass of max pooling
#
# Exercise 5.10: each window's gradient goes to its winner, the first one in reading order if several tie.

# %%
def max_pool_backward_single(x, g, k):
    grad = np.zeros_like(x, dtype=float)
    for i in range(g.shape[0]):
        for j in range(g.shape[1]):
            window = x[i * k : (i + 1) * k, j * k : (j + 1) * k]
            m, n = np.unravel_index(np.argmax(window), window.shape)
            grad[i * k + m, j * k + n] += g[i, j]
    return grad


print(check("5.10", max_pool_backward_single))

# %% [markdown]
# ## 5. Backpropagation through a small network, by hand
#
# A photograph goes through conv → ReLU → 2×2 max pool → conv, and the loss is the mean of the output.
# Each `*_backward` call takes the gradient of the layer's output and returns the gradient of its input
# (and weights). Chaining them in reverse order is all backpropagation is. The gradient check at the end
# compares the first layer's weight gradient with finite differences.

# %%
image = data.photo("camera", size=24, backend="numpy")[None, None]
w1 = np.stack([kernels.kernel("sobel x"), kernels.kernel("sobel y")])[:, None] + 0.1 * rng.standard_normal((2, 1, 3, 3))
w2 = rng.standard_normal((1, 2, 3, 3))


def forward():
    a = functional.conv2d(image, w1, padding=1)
    r = functional.relu(a)
    m = functional.max_pool2d(r, 2)
    y = functional.conv2d(m, w2)
    return a, r, m, y


a, r, m, y = forward()
g_y = np.full(y.shape, 1 / y.size)                                   # d(mean)/dy
g_m, g_w2, _ = functional.conv2d_backward(g_y, m, w2)
g_r = functional.max_pool2d_backward(g_m, r, 2)
g_a = functional.relu_backward(g_r, a)
_, g_w1, _ = functional.conv2d_backward(g_a, image, w1, padding=1, input_grad=False)

numeric = numerical_gradient(lambda: float(forward()[3].mean()), w1)
print("relative error of the first layer's weight gradient:", f"{relative_error(g_w1, numeric):.1e}")

# %% [markdown]
# ## Your turn
#
# - In the last section, replace the max pool by `functional.avg_pool2d` (and its backward). Does the check
#   still pass? Which positions of the first layer's output (`g_a`) now receive gradient?
# - Break the backward pass on purpose: flip `w2` in the first `conv2d_backward` call
#   (`w2[:, :, ::-1, ::-1]`) and watch the relative error jump.
# - Check your answers to the chapter's exercises from here, for example `check("5.2", 12)`.
