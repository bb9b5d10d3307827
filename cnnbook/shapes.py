"""Integer arithmetic of convolutional layers: sizes, padding, parameters, costs, receptive fields.

Pure Python, no arrays: these are the formulas chapter 1 derives (output size
of a valid convolution, parameter and multiply-accumulate counts) and that
later chapters extend with padding, stride, dilation, pooling, transposed
convolution and receptive fields.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnnbook import geometry
from cnnbook._checks import check_int

__all__ = [
    "ReceptiveField",
    "conv2d_macs",
    "conv2d_output_shape",
    "conv2d_params",
    "conv_output_size",
    "conv_transpose_output_size",
    "linear_params",
    "local_conv2d_params",
    "pool_output_size",
    "receptive_fields",
    "same_padding",
    "tiled_conv2d_params",
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
    out = geometry.positions(size + 2 * padding, kernel_size, stride, dilation)
    if out < 1:
        raise ValueError(
            f"{where}: the kernel spans {geometry.span(kernel_size, dilation)} positions but the padded input has "
            f"only {size + 2 * padding} (size={size}, padding={padding})"
        )
    return out


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


def local_conv2d_params(in_channels, out_channels, kernel_size, output_size, bias=True):
    """Parameters of a locally connected (unshared) layer: one filter bank per output position.

    Every one of the ``output_size**2`` positions has its own
    ``out_channels * in_channels * kernel_size**2`` weights and, with ``bias``,
    its own ``out_channels`` biases.

    Examples
    --------
    >>> local_conv2d_params(3, 16, kernel_size=5, output_size=28)
    953344
    """
    where = "local_conv2d_params"
    output_size = check_int(output_size, "output_size", where, minimum=1)
    return output_size * output_size * conv2d_params(in_channels, out_channels, kernel_size, bias=bias)


def tiled_conv2d_params(in_channels, out_channels, kernel_size, tiles, bias=True):
    """Parameters of a tiled convolution with a ``tiles × tiles`` grid of weight sets (shared biases).

    Examples
    --------
    >>> tiled_conv2d_params(3, 16, kernel_size=5, tiles=2)
    4816
    >>> tiled_conv2d_params(3, 16, kernel_size=5, tiles=1) == conv2d_params(3, 16, 5)
    True
    """
    where = "tiled_conv2d_params"
    tiles = check_int(tiles, "tiles", where, minimum=1)
    weights = conv2d_params(in_channels, out_channels, kernel_size, bias=False)
    return tiles * tiles * weights + (check_int(out_channels, "out_channels", where, minimum=1) if bias else 0)


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


def pool_output_size(size, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """Length of a pooling layer's output along one axis, as PyTorch computes it.

    Floor mode is :func:`conv_output_size`. Ceil mode rounds the division up,
    so a last, partial window is kept when the stride does not fit, except a
    window that would start beyond the input and its left padding (it would
    see nothing but padding).

    Parameters
    ----------
    size, kernel_size : int
    stride : int, optional
        Defaults to ``kernel_size`` (non-overlapping windows).
    padding : int
        At most ``kernel_size // 2`` (PyTorch's rule: a window must never see only padding).
    dilation : int
    ceil_mode : bool

    Examples
    --------
    >>> pool_output_size(7, 2)
    3
    >>> pool_output_size(7, 2, ceil_mode=True)
    4
    >>> pool_output_size(6, 3, stride=2, padding=1, ceil_mode=True)
    4
    >>> pool_output_size(5, 2, stride=2, padding=1, ceil_mode=True)
    3
    """
    where = "pool_output_size"
    kernel_size = check_int(kernel_size, "kernel_size", where, minimum=1)
    stride = kernel_size if stride is None else check_int(stride, "stride", where, minimum=1)
    padding = check_int(padding, "padding", where, minimum=0)
    if padding > kernel_size // 2:
        raise ValueError(f"{where}: padding must be at most kernel_size // 2 = {kernel_size // 2}; got {padding}")
    floor = conv_output_size(size, kernel_size, stride, padding, dilation)
    if not ceil_mode:
        return floor
    out = geometry.positions(size + 2 * padding + stride - 1, kernel_size, stride, dilation)  # rounded up
    if (out - 1) * stride >= size + padding:  # the last window would start in the right padding
        out -= 1
    return out


def conv_transpose_output_size(size, kernel_size, stride=1, padding=0, output_padding=0, dilation=1):
    """Length of a transposed convolution's output along one axis.

    A transposed convolution maps a conv's output size back to its input size:
    ``(size - 1) * stride`` places the input values ``stride`` apart, the
    dilated kernel adds ``dilation * (kernel_size - 1) + 1`` at the end,
    ``padding`` is trimmed from both ends and ``output_padding`` (smaller than
    ``stride`` or ``dilation``) added at one end. It picks one of the
    ``stride`` input sizes that a strided conv sends to the same output size.

    Examples
    --------
    >>> conv_transpose_output_size(4, 3, stride=2, padding=1)
    7
    >>> conv_transpose_output_size(4, 3, stride=2, padding=1, output_padding=1)
    8
    >>> conv_output_size(8, 3, stride=2, padding=1)
    4
    """
    where = "conv_transpose_output_size"
    size = check_int(size, "size", where, minimum=1)
    kernel_size = check_int(kernel_size, "kernel_size", where, minimum=1)
    stride = check_int(stride, "stride", where, minimum=1)
    padding = check_int(padding, "padding", where, minimum=0)
    output_padding = check_int(output_padding, "output_padding", where, minimum=0)
    dilation = check_int(dilation, "dilation", where, minimum=1)
    if output_padding >= max(stride, dilation):
        raise ValueError(f"{where}: output_padding must be smaller than stride or dilation; got "
                         f"output_padding={output_padding}, stride={stride}, dilation={dilation}")
    out = geometry.transposed_size(size, kernel_size, stride, padding, output_padding, dilation)
    if out < 1:
        raise ValueError(f"{where}: padding={padding} trims the whole output (it would be {out} long)")
    return out


def same_padding(size, kernel_size, stride=1, dilation=1):
    """Zeros ``(before, after)`` that TensorFlow's ``padding="SAME"`` adds along one axis.

    "Same" asks for ``ceil(size / stride)`` outputs; the windows they need span
    ``(out - 1) * stride + dilation * (kernel_size - 1) + 1`` positions, and the
    shortfall is split with the odd zero *after* the input. With stride 1 this
    is ``dilation * (kernel_size - 1)`` in total whatever the size; with a larger
    stride it depends on the size, and may be zero or asymmetric even for odd
    kernels. PyTorch's ``padding="same"`` agrees for stride 1 and refuses stride > 1.

    Examples
    --------
    >>> same_padding(7, 3)
    (1, 1)
    >>> same_padding(7, 4)
    (1, 2)
    >>> same_padding(8, 3, stride=2)
    (0, 1)
    >>> same_padding(7, 3, stride=2)
    (1, 1)
    """
    where = "same_padding"
    size = check_int(size, "size", where, minimum=1)
    kernel_size = check_int(kernel_size, "kernel_size", where, minimum=1)
    stride = check_int(stride, "stride", where, minimum=1)
    dilation = check_int(dilation, "dilation", where, minimum=1)
    out = -(-size // stride)
    total = max((out - 1) * stride + dilation * (kernel_size - 1) + 1 - size, 0)
    return total // 2, total - total // 2


@dataclass(frozen=True)
class ReceptiveField:
    """What one unit of a layer's output sees of the network's input (one axis).

    Attributes
    ----------
    size : int
        Receptive field: how many input positions one output unit depends on.
    jump : int
        Effective stride: input distance between neighbouring output units.
    padding : int
        Effective padding: how far left of the input the first unit's field starts.
    start : int
        Input index of the first unit's leftmost position (``-padding``).
    centre : float
        Input coordinate of the first unit's centre; unit ``i`` is centred at
        ``centre + i * jump``.
    """

    size: int
    jump: int
    padding: int

    @property
    def start(self):
        return -self.padding

    @property
    def centre(self):
        return self.start + (self.size - 1) / 2


def _layer_spec(layer, index):
    where = "receptive_fields"
    if isinstance(layer, dict):
        unknown = set(layer) - {"kernel_size", "stride", "padding", "dilation", "name"}
        if unknown or "kernel_size" not in layer:
            raise ValueError(f"{where}: layer {index} must have a kernel_size and only kernel_size, stride, "
                             f"padding, dilation, name; got {layer!r}")
        k, s, p, d = (layer.get(key, default) for key, default in
                      (("kernel_size", None), ("stride", 1), ("padding", 0), ("dilation", 1)))
    elif isinstance(layer, (tuple, list)) and 1 <= len(layer) <= 4:
        k, s, p, d = (tuple(layer) + (1, 0, 1)[len(layer) - 1:])[:4]
    else:
        raise TypeError(f"{where}: layer {index} must be a (kernel_size, stride, padding, dilation) tuple "
                        f"(trailing items optional) or a dict; got {layer!r}")
    name = f"layer {index}"
    return (check_int(k, f"{name} kernel_size", where, minimum=1), check_int(s, f"{name} stride", where, minimum=1),
            check_int(p, f"{name} padding", where, minimum=0), check_int(d, f"{name} dilation", where, minimum=1))


def receptive_fields(layers):
    r"""Receptive field, jump and effective padding after each layer of a stack (one axis).

    Each layer is ``(kernel_size, stride, padding, dilation)`` (trailing items
    optional: ``(3, 1, 1)``) or a dict with those keys; a pooling layer is
    described the same way. Going up one layer with kernel ``k``, stride ``s``,
    padding ``p`` and dilation ``d``, where the layer below has jump ``j``:

    .. math::
        r \leftarrow r + d(k - 1)\,j, \qquad
        P \leftarrow P + p\,j, \qquad
        j \leftarrow j\,s

    starting from the input itself (``r = 1``, ``j = 1``, ``P = 0``), as in
    Araujo, Norris & Sim, *Computing receptive fields of convolutional neural
    networks* (Distill, 2019). The first output unit sees input positions
    ``-P ... -P + r - 1``.

    Returns
    -------
    list of ReceptiveField, one per layer

    Examples
    --------
    >>> [(f.size, f.jump, f.padding) for f in receptive_fields([(3, 1, 1), (3, 1, 1), (2, 2)])]
    [(3, 1, 1), (5, 1, 2), (6, 2, 2)]
    >>> receptive_fields([(7, 2, 3), (3, 2, 1)])[-1]  # a ResNet stem: conv 7/2/3, max-pool 3/2/1
    ReceptiveField(size=11, jump=4, padding=5)
    >>> receptive_fields([(7, 2, 3), (3, 2, 1)])[-1].centre  # symmetric padding: centred on pixel 0
    0.0
    >>> receptive_fields([(3, 1), (2, 2)])[-1].centre
    1.5
    """
    if isinstance(layers, (str, bytes)) or not hasattr(layers, "__iter__"):
        raise TypeError(f"receptive_fields: layers must be a sequence of layer tuples or dicts; got {layers!r}")
    size, jump, padding = 1, 1, 0
    fields = []
    for index, layer in enumerate(layers):
        k, s, p, d = _layer_spec(layer, index)
        size += d * (k - 1) * jump
        padding += p * jump
        jump *= s
        fields.append(ReceptiveField(size, jump, padding))
    return fields
