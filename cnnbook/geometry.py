"""Where a sliding window lands along one axis: the output-size formula, written once.

A kernel of ``k`` taps spread ``d`` apart spans ``d (k - 1) + 1`` positions. On an axis of ``n`` positions
(padding included) it can start at ``0, s, 2s, ...`` as long as it fits, which is ``(n - span) // s + 1``
starts. Every convolution and pooling of the package (``functional``, ``unshared``, ``pooling``,
``matrices``, ``reference``, ``shapes``) takes its output sizes and its window slices from here; each checks
its own arguments and words its own errors.
"""

from __future__ import annotations

__all__ = ["positions", "span", "tap_slice", "transposed_size"]


def span(kernel_size, dilation=1):
    """Input positions covered by one window: ``dilation * (kernel_size - 1) + 1``.

    Examples
    --------
    >>> span(3), span(3, dilation=2), span(1, dilation=5)
    (3, 5, 1)
    """
    return dilation * (kernel_size - 1) + 1


def positions(size, kernel_size, stride=1, dilation=1):
    """How many windows fit on an axis of ``size`` positions (padding included): ``(size - span) // stride + 1``.

    Zero or less when not even one fits (callers turn that into their own error).

    Examples
    --------
    >>> positions(32, 5), positions(9, 3, stride=2), positions(10, 3, dilation=2), positions(2, 3)
    (28, 4, 6, 0)
    """
    return (size - span(kernel_size, dilation)) // stride + 1


def tap_slice(tap, count, stride=1, dilation=1):
    """The input positions that kernel tap ``tap`` reads for ``count`` consecutive outputs, as a slice.

    Examples
    --------
    >>> list(range(10)[tap_slice(1, 3, stride=2, dilation=2)])
    [2, 4, 6]
    """
    start = tap * dilation
    return slice(start, start + stride * (count - 1) + 1, stride)


def transposed_size(size, kernel_size, stride=1, padding=0, output_padding=0, dilation=1):
    """Output length of a transposed convolution: ``(size - 1) * stride - 2 * padding + span + output_padding``.

    Examples
    --------
    >>> transposed_size(4, 3, stride=2, padding=1, output_padding=1)
    8
    """
    return (size - 1) * stride - 2 * padding + span(kernel_size, dilation) + output_padding
