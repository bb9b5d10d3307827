# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lab 1: convolution by hand and by machine
#
# This lab goes with [chapter 1](../../chapters/01-convolution/). You will write a cross-correlation
# yourself, check it against `cnnbook`, watch translation equivariance hold and break on a real
# photograph, and time the chapter's implementations on *your* machine. It runs in a few seconds on a
# laptop CPU. [Download the notebook](../ch01_convolution.ipynb) to run and change it.
#
# Everything here uses `cnnbook`, the book's own package, and NumPy.

# %%
import matplotlib.pyplot as plt
import numpy as np

import cnnbook
from cnnbook import data, functional, kernels, transforms
from cnnbook.exercises import check
from cnnbook.experiments.conv_timings import METHODS, SETTINGS
from cnnbook.timing import round_times

print("cnnbook", cnnbook.__version__, "| GPU available:", cnnbook.gpu_available())

# %% [markdown]
# ## 1. Your own cross-correlation
#
# The definition is $S(i, j) = \sum_{m}\sum_{n} I(i + m, j + n)\,K(m, n)$ over every position where the
# kernel fits. Here is one way to write it: loops over the output rows and columns, and NumPy doing
# each window's sum. Exercise 1.9 asks for exactly this function, so the lab checks it the way
# `cnnbook check 1.9 your_file.py` would.

# %%
def correlate2d(image, kernel):
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(image[i : i + kh, j : j + kw] * kernel)
    return out


print(check("1.9", correlate2d))

# %% [markdown]
# A classic slip is to flip the kernel (that computes the mathematician's convolution). The checker
# finds the first input where it goes wrong:

# %%
def flipped(image, kernel):
    return correlate2d(image, kernel[::-1, ::-1])


print(check("1.9", flipped))

# %% [markdown]
# ## 2. Feature maps of a photograph
#
# scikit-image ships a few real photographs inside its package. We take the coffee cup this time (the
# chapter used the cat) and apply two edge detectors. Positive responses are red, negative blue.

# %%
cup = data.photo("coffee", size=96, backend="numpy")
fig, axes = plt.subplots(1, 3, figsize=(10, 2.8))
axes[0].imshow(cup, cmap="gray")
axes[0].set_title("input")
for ax, name in zip(axes[1:], ["sobel x", "sobel y"]):
    response = functional.conv2d(cup[None, None], kernels.kernel(name)[None, None])[0, 0]
    limit = np.abs(response).max()
    ax.imshow(response, cmap="RdBu_r", vmin=-limit, vmax=limit)
    ax.set_title(name)
for ax in axes:
    ax.set_axis_off()
plt.show()

# %% [markdown]
# ## 3. Equivariance, measured
#
# Shift the image by $(dy, dx)$, then convolve; or convolve, then shift. With zero padding the two
# agree exactly everywhere except near the borders. With circular padding and a circular shift they
# agree *everywhere*: the border is what breaks the symmetry. The cell checks both statements before it
# prints the differences.

# %%
x = cup[None, None]
k = kernels.kernel("edge")[None, None]
dy, dx = 5, 7

a = functional.conv2d(transforms.translate(x, dy, dx), k, padding="same")
b = transforms.translate(functional.conv2d(x, k, padding="same"), dy, dx)
interior = np.abs(a - b)[..., dy + 1 : -1, dx + 1 : -1]
assert interior.max() == 0 and np.abs(a - b).max() > 0
print("zero padding: max difference", float(np.abs(a - b).max()), "| interior", float(interior.max()))


def circular_conv(x, k):
    """Same-size convolution with wrap-around: pad by copying the opposite edge."""
    padded = np.pad(x, [(0, 0), (0, 0), (1, 1), (1, 1)], mode="wrap")
    return functional.conv2d(padded, k)


a = circular_conv(transforms.translate(x, dy, dx, mode="wrap"), k)
b = transforms.translate(circular_conv(x, k), dy, dx, mode="wrap")
assert np.abs(a - b).max() == 0
print("circular:     max difference", float(np.abs(a - b).max()))

# %% [markdown]
# ## 4. The implementations on your machine
#
# The chapter's timing figure was measured on the machine that built the book. Here are the same
# methods on the machine running this notebook, for a small and a large kernel on the chapter's small
# image (the sizes are set in the cell). The cell first checks that they compute the same numbers, then
# prints each method's median time and the range of its repeats: call one method faster than another
# only where the ranges do not overlap. (The book's build does not run this cell, so that two builds of
# the site are identical; run it yourself.)

# %% tags=["skip-execution"]
rng = np.random.default_rng(0)
image = rng.standard_normal(SETTINGS["small"]["shape"])  # the chapter's small image
methods = METHODS  # {"naive loops": cnnbook.reference.conv2d, "im2col + matmul": ..., "FFT": ...}
kernel_sizes = (3, 15)

for size in kernel_sizes:
    weight = rng.standard_normal((1, 1, size, size))
    results = {name: f(image, weight) for name, f in methods.items()}
    agree = all(np.allclose(r, results["naive loops"]) for r in results.values())
    # seconds per call in each of three timed rounds (after one warm-up call), as milliseconds
    rounds = {name: 1e3 * np.array(round_times(lambda f=f: f(image, weight), repeat=3))
              for name, f in methods.items()}
    summary = ", ".join(f"{name} {np.median(r):.3f} ms ({r.min():.3f}–{r.max():.3f})" for name, r in rounds.items())
    print(f"{size}x{size}: agree={agree}; {summary}")

# %% [markdown]
# ## Your turn
#
# - Change `kernel_sizes` in the last cell to find where the FFT starts beating im2col on your machine,
#   with no overlap between their repeats.
# - In the zero-padding part of section 3, convolve with `padding=1, stride=2` instead of
#   `padding="same"` (which is for stride one only), and shift the convolved image by `(dy // 2, dx // 2)`
#   instead of `(dy, dx)`. Which shifts $(dy, dx)$ keep the interior difference at zero? Chapter 2
#   explains the answer.
# - Check your answers to the chapter's exercises from here, for example `check("1.2", your_answer)`.
