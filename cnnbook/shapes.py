"""Integer arithmetic of convolutional layers: sizes, parameters and costs.

Pure Python, no arrays: these are the formulas chapter 1 derives (output size
of a valid convolution, parameter and multiply-accumulate counts) and that
later chapters extend with padding, stride and dilation.
"""

from __future__ import annotations

from cnnbook._checks import check_int

__all__ = [
    "conv2d_macs",
    "conv2d_output_shape",
    "conv2d_params",
    "conv_output_size",
    "linear_params",
    "weight_reuse",
]


def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    """Length of a convolution's output along one axis.

    A kernel of ``kernel_size`` taps spread ``dilation`` apart spans
    ``dilation * (kernel_size - 1) + 1`` input positions; it can start at every
    ``stride``-th position of the padded input that leaves it room.

    Parameters
    ----------
    size : int
        Input length along the axis.
    kernel_size, stride, dilation : int
        Positive.
    padding : int
        Zeros added to *each* end.

    Returns
    -------
    int
        ``(size + 2*padding - dilation*(kernel_size - 1) - 1) // stride + 1``.

    Examples
    --------
    >>> conv_output_size(32, kernel_size=5)
    28
    >>> conv_output_size(7, kernel_size=3, stride=2, padding=1)
    4
    >>> conv_output_size(10, kernel_size=3, dilation=2)
    6
    """
    where = "conv_output_size"
    size = check_int(size, "size", where, minimum=1)
    kernel_size = check_int(kernel_size, "kernel_size", where, minimum=1)
    stride = check_int(stride, "stride", where, minimum=1)
    padding = check_int(padding, "padding", where, minimum=0)
    dilation = check_int(dilation, "dilation", where, minimum=1)
    span = dilation * (kernel_size - 1) + 1
    if size + 2 * padding < span:
        raise ValueError(
            f"{where}: the kernel spans {span} positions but the padded input has only "
            f"{size + 2 * padding} (size={size}, padding={padding})"
        )
    return (size + 2 * padding - span) // stride + 1


def conv2d_output_shape(input_shape, out_channels, kernel_size, stride=1, padding=0, dilation=1):
    """Shape ``(C_out, H_out, W_out)`` of a 2-D convolution of a ``(C_in, H, W)`` input.

    Examples
    --------
    >>> conv2d_output_shape((3, 32, 32), out_channels=16, kernel_size=5)
    (16, 28, 28)
    """
    if len(input_shape) != 3:
        raise ValueError(f"conv2d_output_shape: input_shape must be (C_in, H, W); got {input_shape!r}")
    out_channels = check_int(out_channels, "out_channels", "conv2d_output_shape", minimum=1)
    _, height, width = input_shape
    return (
        out_channels,
        conv_output_size(height, kernel_size, stride, padding, dilation),
        conv_output_size(width, kernel_size, stride, padding, dilation),
    )


def conv2d_params(in_channels, out_channels, kernel_size, bias=True, groups=1):
    """Number of learnable parameters of a 2-D convolution layer.

    Each of the ``out_channels`` filters has ``kernel_size**2 * in_channels / groups``
    weights, plus one bias.

    Examples
    --------
    >>> conv2d_params(3, 16, kernel_size=5)
    1216
    >>> conv2d_params(64, 128, kernel_size=3)
    73856
    """
    where = "conv2d_params"
    in_channels = check_int(in_channels, "in_channels", where, minimum=1)
    out_channels = check_int(out_channels, "out_channels", where, minimum=1)
    kernel_size = check_int(kernel_size, "kernel_size", where, minimum=1)
    groups = check_int(groups, "groups", where, minimum=1)
    if in_channels % groups or out_channels % groups:
        raise ValueError(
            f"{where}: groups={groups} must divide in_channels={in_channels} and out_channels={out_channels}"
        )
    weights = out_channels * (in_channels // groups) * kernel_size * kernel_size
    return weights + (out_channels if bias else 0)


def linear_params(in_features, out_features, bias=True):
    """Number of parameters of a fully connected (dense) layer.

    Examples
    --------
    >>> linear_params(32 * 32 * 3, 16)
    49168
    """
    in_features = check_int(in_features, "in_features", "linear_params", minimum=1)
    out_features = check_int(out_features, "out_features", "linear_params", minimum=1)
    return in_features * out_features + (out_features if bias else 0)


def conv2d_macs(input_shape, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1):
    """Multiply-accumulate operations of one forward pass of a 2-D convolution (one image).

    Every output value costs one MAC per weight that sees it:
    ``kernel_size**2 * C_in / groups``.

    Examples
    --------
    >>> conv2d_macs((3, 32, 32), out_channels=16, kernel_size=5)
    940800
    """
    c_out, h_out, w_out = conv2d_output_shape(input_shape, out_channels, kernel_size, stride, padding, dilation)
    in_channels = check_int(input_shape[0], "input_shape[0]", "conv2d_macs", minimum=1)
    groups = check_int(groups, "groups", "conv2d_macs", minimum=1)
    if in_channels % groups:
        raise ValueError(f"conv2d_macs: groups={groups} must divide in_channels={in_channels}")
    return c_out * h_out * w_out * (in_channels // groups) * kernel_size * kernel_size


def weight_reuse(size, kernel_size, stride=1, padding=0, dilation=1):
    """How many times each weight of a square kernel is used on a square ``size × size`` input.

    With weight sharing every weight is used once per output position.

    Examples
    --------
    >>> weight_reuse(9, kernel_size=3)
    49
    """
    side = conv_output_size(size, kernel_size, stride, padding, dilation)
    return side * side
