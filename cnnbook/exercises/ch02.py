"""Exercises of chapter 2, "Padding, stride and dilation"."""

from __future__ import annotations

import numpy as np

from cnnbook import functional, shapes
from cnnbook.analysis.ch02 import ALEXNET, OUTPUT_PADDING_EXAMPLE, SMALL_IMAGE
from cnnbook.exercises import Exercise, code_block, register, tex

# ---- examples the chapter's text shares with these exercises (cnnbook.facts.ch02 reads them) ----

#: (stride, shift) of the phase asked for in exercise 2.6.
PHASE_EXAMPLE = (3, 4)

# ---- 2.1 a small valid convolution ----
_n, _k = SMALL_IMAGE
_side = shapes.conv_output_size(_n, _k)
register(Exercise(
    id="2.1", kind="number", title="Valid convolution of a small image",
    prompt=f"A {_n}×{_n} image is convolved with a {_k}×{_k} kernel, no padding, stride 1. How many times is the "
           f"same set of {_k * _k} weights applied?",
    hint="One application per output pixel. How big is the output?",
    solution=f"The output is ${_n} - {_k} + 1 = {_side}$ pixels on a side, so the {_k * _k} weights "
             f"are applied ${_side}^2 = {shapes.weight_reuse(_n, _k)}$ times.",
    answer=shapes.weight_reuse(_n, _k),
    wrong=(_side, _n * _n, _k * _k * _side * _side),
))

# ---- 2.2 the general formula ----
_a = ALEXNET
_alexnet = shapes.conv_output_size(_a["input"], _a["kernel"], _a["stride"])
register(Exercise(
    id="2.2", kind="number", title="AlexNet's first layer",
    prompt=f"AlexNet's first layer applies {_a['kernel']}×{_a['kernel']} kernels with stride {_a['stride']} and no "
           f"padding to a {_a['input']}×{_a['input']} image. How many pixels wide is its output?",
    hint=r"$\lfloor (n + 2p - d(k-1) - 1)/s \rfloor + 1$ with $d = 1$.",
    solution=fr"$\lfloor ({_a['input']} + 0 - {_a['kernel'] - 1} - 1)/{_a['stride']} \rfloor + 1 = "
             f"{_alexnet - 1} + 1 = {_alexnet}$. (The paper says {_a['paper_input']}×{_a['paper_input']} input, "
             f"which gives $({_a['paper_input']} - {_a['kernel']})/{_a['stride']} + 1 = "
             f"{(_a['paper_input'] - _a['kernel']) / _a['stride'] + 1:g}$, not a whole number of steps; "
             f"reimplementations such as Caffe's reference model crop {_a['input']}×{_a['input']} inputs.)",
    answer=_alexnet,
    wrong=(_alexnet - 1, _alexnet + 1, _a["input"] - _a["kernel"] + 1),
))

# ---- 2.3 dilation ----
register(Exercise(
    id="2.3", kind="number", title="A dilated kernel",
    prompt="A 3×3 kernel with dilation 3 is applied to a 20×20 image with padding 3 and stride 1. How many "
           "pixels wide is the output?",
    hint="The dilated kernel spans $d(k-1)+1$ cells.",
    solution=fr"The kernel spans $3 \cdot 2 + 1 = 7$ cells, so the output is $20 + 6 - 7 + 1 = "
             f"{shapes.conv_output_size(20, 3, padding=3, dilation=3)}$ wide: with $p = d(k-1)/2$ a dilated "
             "kernel keeps the size, like a plain one with $p = (k-1)/2$.",
    answer=shapes.conv_output_size(20, 3, padding=3, dilation=3),
    wrong=(shapes.conv_output_size(20, 3, padding=3), 18, 14),
))

# ---- 2.4 TensorFlow same padding ----
register(Exercise(
    id="2.4", kind="shape", title="'Same' padding with a stride",
    prompt="TensorFlow's `padding=\"SAME\"` with a 4×4 kernel and stride 2 on a 7-pixel-wide input: how many "
           "zeros does it add (before, after) along the width? Answer as a pair such as (1, 1).",
    hint=r"'Same' wants $\lceil n/s \rceil$ outputs. How many input cells do that many windows span? The "
         "shortfall is split with the odd zero after.",
    solution=fr"It wants $\lceil 7/2 \rceil = 4$ outputs, whose windows span $(4-1) \cdot 2 + 4 = 10$ cells; "
             f"the input has 7, so 3 zeros are needed: {shapes.same_padding(7, 4, 2)[0]} before and "
             f"{shapes.same_padding(7, 4, 2)[1]} after. PyTorch refuses `padding=\"same\"` for a stride above 1.",
    answer=shapes.same_padding(7, 4, 2),
    wrong=((2, 1), (2, 2), (1, 1)),
))

# ---- 2.5 transposed output size ----
_e = OUTPUT_PADDING_EXAMPLE
_out = shapes.conv_output_size(_e["size"], _e["kernel"], _e["stride"], _e["padding"])
_back = shapes.conv_transpose_output_size(_out, _e["kernel"], _e["stride"], _e["padding"])
_needed = _e["size"] - _back
register(Exercise(
    id="2.5", kind="number", title="Undoing a strided convolution's shape",
    prompt=f"A stride-{_e['stride']} convolution with a {_e['kernel']}×{_e['kernel']} kernel and padding "
           f"{_e['padding']} maps {_e['size']}×{_e['size']} to {_out}×{_out}. The transposed convolution with the "
           f"same kernel size, stride and padding maps {_out}×{_out} back to {_back}×{_back}. What `output_padding` "
           f"makes it {_e['size']}×{_e['size']}?",
    hint=r"$o = (i - 1)s - 2p + d(k - 1) + \text{output\_padding} + 1$.",
    solution=fr"$({_out}-1) \cdot {_e['stride']} - {2 * _e['padding']} + {_e['kernel'] - 1} + 1 = {_back}$, so "
             f"{_needed} more row and column is needed: `output_padding = {_needed}`, giving "
             f"{shapes.conv_transpose_output_size(_out, _e['kernel'], _e['stride'], _e['padding'], _needed)}. Both "
             f"{_back} and {_e['size']} map to {_out} under the stride-{_e['stride']} convolution (the floor in the "
             "size formula loses the difference); `output_padding` says which one to go back to. It adds its zeros "
             "at the end (bottom and right), and must be smaller than the stride (or the dilation).",
    answer=_needed,
    wrong=(0, _needed + 1),
))

# ---- 2.6 proof: which shifts a stride respects ----
_s, _t = PHASE_EXAMPLE
register(Exercise(
    id="2.6", kind="number", title="Which shifts survive a stride? A proof",
    prompt=(
        r"Work on the infinite line (no borders). Let $y = x \star K$ be the stride-1 correlation of an image $x$ "
        r"with a kernel $K \neq 0$ of finite size, $y(j) = \sum_m x(j + m) K(m)$, and let the strided layer keep "
        r"every $s$-th sample, $f(x)(i) = y(s\,i)$. Write $T_t$ for the shift by $t$, $(T_t x)(j) = x(j - t)$." "\n\n"
        r"1. Prove that if $t = s u$ is a multiple of the stride, $f(T_t x) = T_u f(x)$ for every image $x$." "\n"
        "2. Prove that if $t$ is not a multiple of $s$, every sample of $f(T_t x)$ is a sample $y(j)$ with "
        r"$j \equiv r \pmod s$ for one phase $r \neq 0$, so it is made only of samples that $f(x)$ threw away. "
        r"Find $r$ in terms of $t$ and $s$." "\n"
        "3. Prove that then no output shift $t'$ gives $f(T_t x) = T_{t'} f(x)$ for *every* image $x$, and give "
        r"an image for which some $t'$ does (so the failure is for generic images, not all of them)." "\n\n"
        f"To check part 2, answer with a number: with stride $s = {_s}$ and shift $t = {_t}$, which phase "
        rf"$r$ (between $0$ and ${_s - 1}$) does $f(T_{{{_t}}} x)$ read?"),
    hint=r"Substitute: $(T_t x \star K)(j) = y(j - t)$. For part 3, try an image that is a single impulse "
         r"$x = \delta_a$ (one at $a$, zero elsewhere): what is $y$ then, and what would equality for every $a$ "
         "say about $K$?",
    solution=(
        r"**1.** $(T_t x \star K)(j) = \sum_m x(j + m - t) K(m) = y(j - t)$, so "
        r"$f(T_t x)(i) = y(s\,i - t)$. With $t = su$ this is $y(s(i - u)) = f(x)(i - u) = (T_u f(x))(i)$: "
        r"the output shifts by $u = t/s$, for every $x$." "\n\n"
        r"**2.** $s\,i - t \equiv -t \pmod s$ for every $i$, so all of $f(T_t x)$ is read from the phase "
        r"$r = (-t) \bmod s$ of $y$, and $r \neq 0$ exactly when $s$ does not divide $t$. The layer keeps phase "
        "$0$ and throws away the other $s - 1$; the shifted input makes it keep one of those instead. "
        rf"With $s = {_s}$ and $t = {_t}$: $r = (-{_t}) \bmod {_s} = {(-_t) % _s}$ (not "
        rf"${_t} \bmod {_s} = {_t % _s}$: the sign matters)." "\n\n"
        r"**3.** Suppose $f(T_t x) = T_{t'} f(x)$ for every $x$, that is $y(s\,i - t) = y(s\,i - s\,t')$ for every "
        r"$i$ and every $x$. Take $x = \delta_a$: then $y(j) = K(a - j)$, and $i = 0$ gives "
        r"$K(a + t) = K(a + s\,t')$ for every $a$. So $K$ repeats with period $q = s\,t' - t$, which is not zero "
        "because $t$ is not a multiple of $s$. But a kernel of finite size that is not zero cannot repeat: if "
        r"$K(m) \neq 0$ then $K(m + n q) \neq 0$ for every integer $n$, infinitely many taps. So no $t'$ works "
        "for all images. For *some* images one does: a constant image has a constant $y$, all of whose phases "
        "are equal, so $f(T_t x) = f(x)$ for every $t$ (and any image whose $y$ repeats with period "
        r"$s\,t' - t$ works too). Such images are exceptions: for each $t'$, the images with "
        r"$f(T_t x) = T_{t'} f(x)$ form a linear subspace (both sides are linear in $x$), and the impulses show "
        r"that it is a proper one for images on any window of at least $s$ pixels: if every impulse $\delta_a$ "
        r"of $s$ consecutive pixels satisfied it, $K(a - s\,i + t) = K(a - s\,i + s\,t')$ for those $a$ and every "
        "$i$ would again make $K$ repeat. A proper subspace has volume zero, and so does a countable union of them, "
        "so an image drawn at random from any distribution with a density satisfies the equation for no $t'$ at "
        "all, with probability one. That is what *generic* means here, and why the measurement of "
        "section 2.5 is made on a photograph, where every odd shift leaves an error far from zero."),
    answer=(-_t) % _s,
    wrong=(_t % _s, 0, _t / _s),
))

# ---- 2.7 full padding ----
register(Exercise(
    id="2.7", kind="number", title="Full padding",
    prompt="'Full' padding adds $k - 1$ zeros on each side so that every partial overlap of kernel and image "
           "counts. How wide is the output of a 5×5 kernel on a 12-pixel-wide image with full padding, stride 1?",
    hint="Put $p = k - 1$ into the size formula.",
    solution=fr"$12 + 2 \cdot 4 - 5 + 1 = {shapes.conv_output_size(12, 5, padding=4)}$: full padding grows the "
             "output by $k - 1$, where valid padding shrinks it by $k - 1$.",
    answer=shapes.conv_output_size(12, 5, padding=4),
    wrong=(12, 8, 20),
))

# ---- 2.8 true/false: dilation ----
register(Exercise(
    id="2.8", kind="bool", title="Dilation and parameters",
    prompt="True or false: a 3×3 kernel with dilation 2 sees a 5×5 patch of its input and therefore has as "
           "many weights as a 5×5 kernel.",
    hint="Dilation spreads the taps apart; does it add any?",
    solution=f"False. It sees a 5×5 patch but has only 9 weights, at every other cell; a 5×5 kernel has 25. "
             f"For a layer from 64 to 64 channels that is {tex(shapes.conv2d_params(64, 64, 3))} against "
             f"{tex(shapes.conv2d_params(64, 64, 5))} parameters. That is the point of dilation: wider context "
             "for the same weights (chapter 6), at the price of ignoring the cells in between.",
    answer=False,
    wrong=(True,),
))

# ---- 2.9 code: a strided, padded, dilated convolution ----


def conv2d_general(image, kernel, stride, padding, dilation):
    """Cross-correlation of a 2-D image with a 2-D kernel, with stride, zero padding and dilation."""
    image = np.pad(image, padding)
    kh, kw = kernel.shape
    span_h, span_w = dilation * (kh - 1) + 1, dilation * (kw - 1) + 1
    h_out = (image.shape[0] - span_h) // stride + 1
    w_out = (image.shape[1] - span_w) // stride + 1
    out = np.zeros((h_out, w_out))
    for i in range(h_out):
        for j in range(w_out):
            top, left = i * stride, j * stride
            window = image[top : top + span_h : dilation, left : left + span_w : dilation]
            out[i, j] = np.sum(window * kernel)
    return out


def _general_reference(image, kernel, stride, padding, dilation):
    return functional.conv2d(image[None, None], kernel[None, None], stride=stride, padding=padding,
                             dilation=dilation)[0, 0]


def _general_cases(rng, n):
    for _ in range(n):
        kh, kw = (int(v) for v in rng.integers(1, 4, size=2))
        stride, padding, dilation = int(rng.integers(1, 4)), int(rng.integers(0, 3)), int(rng.integers(1, 3))
        h = int(rng.integers(max(1, dilation * (kh - 1) + 1 - 2 * padding), 10))
        w = int(rng.integers(max(1, dilation * (kw - 1) + 1 - 2 * padding), 10))
        yield rng.standard_normal((h, w)), rng.standard_normal((kh, kw)), stride, padding, dilation


def _general_no_dilation(image, kernel, stride, padding, dilation):
    return _general_reference(image, kernel, stride, padding, 1)


def _general_pad_before_only(image, kernel, stride, padding, dilation):
    padded = np.pad(image, ((padding, 0), (padding, 0)))
    return conv2d_general(padded, kernel, stride, 0, dilation)


register(Exercise(
    id="2.9", kind="code", title="Stride, padding and dilation in one loop",
    prompt="Write `conv2d_general(image, kernel, stride, padding, dilation)`: the cross-correlation of a 2-D "
           "`image` with a 2-D `kernel` (any shape), after adding `padding` zeros on every side, with windows "
           "`stride` apart and kernel taps `dilation` apart. The output has "
           r"$\lfloor (n + 2p - d(k-1) - 1)/s \rfloor + 1$ rows and as many columns by the same rule.",
    hint="Pad first (`np.pad(image, padding)`). Window $(i, j)$ starts at $(i s, j s)$, and a slice with step "
         "$d$, `image[top : top + span : d, ...]`, picks exactly the cells the dilated kernel touches.",
    solution=f"{code_block(conv2d_general)}\n\n`cnnbook.functional.conv2d` computes the same thing for "
             "batches and channels, with `padding`, `stride` and `dilation` arguments of the same names.",
    function="conv2d_general", signature="conv2d_general(image, kernel, stride, padding, dilation)",
    reference=_general_reference, cases=_general_cases,
    wrong=(_general_no_dilation, _general_pad_before_only),
))

# ---- 2.10 code: transposed convolution by scattering ----


def conv_transpose2d_single(x, kernel, stride):
    """Transposed convolution of one 2-D input with one 2-D kernel (no padding): scatter and add."""
    kh, kw = kernel.shape
    h, w = x.shape
    out = np.zeros(((h - 1) * stride + kh, (w - 1) * stride + kw))
    for i in range(h):
        for j in range(w):
            out[i * stride : i * stride + kh, j * stride : j * stride + kw] += x[i, j] * kernel
    return out


def _transpose_reference(x, kernel, stride):
    return functional.conv_transpose2d(x[None, None], kernel[None, None], stride=stride)[0, 0]


def _transpose_cases(rng, n):
    for _ in range(n):
        h, w = (int(v) for v in rng.integers(1, 6, size=2))
        kh, kw = (int(v) for v in rng.integers(1, 5, size=2))
        yield rng.standard_normal((h, w)), rng.standard_normal((kh, kw)), int(rng.integers(1, 4))


def _transpose_flipped(x, kernel, stride):
    return conv_transpose2d_single(x, kernel[::-1, ::-1], stride)


def _transpose_no_overlap_add(x, kernel, stride):
    kh, kw = kernel.shape
    out = np.zeros(((x.shape[0] - 1) * stride + kh, (x.shape[1] - 1) * stride + kw))
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            out[i * stride : i * stride + kh, j * stride : j * stride + kw] = x[i, j] * kernel  # overwrites
    return out


register(Exercise(
    id="2.10", kind="code", title="Transposed convolution by scattering",
    prompt="Write `conv_transpose2d_single(x, kernel, stride)`, the transposed convolution of a 2-D input `x` "
           "with a 2-D `kernel`, stride `stride`, no padding: each input value adds a copy of the kernel, scaled "
           "by that value, into the output at offset `stride` times its position. The output is "
           r"$((h-1)s + k_h) \times ((w-1)s + k_w)$.",
    hint="Start from zeros and add `x[i, j] * kernel` into the block whose top-left corner is "
         "`(i * stride, j * stride)`. Where blocks overlap, the contributions add up.",
    solution=f"{code_block(conv_transpose2d_single)}\n\n"
             r"This is $C^\top$ applied to `x`, where $C$ is the matrix "
             "of the stride-`stride` convolution whose output has the shape of `x`: row $j$ of $C$ lists the cells "
             r"that output $j$ read, with their weights, and $C^\top$ sends `x`'s value $j$ back to exactly those "
             "cells, weighted the same way. `cnnbook.functional.conv_transpose2d` "
             "adds channels, padding, output padding and dilation.",
    function="conv_transpose2d_single", signature="conv_transpose2d_single(x, kernel, stride)",
    reference=_transpose_reference, cases=_transpose_cases,
    wrong=(_transpose_flipped, _transpose_no_overlap_add),
))
