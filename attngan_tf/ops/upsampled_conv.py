"""Nearest ×2 upsampling then a 3 × 3 convolution, as one transposed convolution.

:func:`upsampled_conv` equals the plain form
``Conv2D(3, padding="same", use_bias=False)(UpSampling2D(2, "nearest")(x))``
in values and gradients, up to summation order. Proven by
``tests/ops/test_upsampled_conv.py::test_upsampled_conv_equals_upsampling_then_convolution_with_gradients``.
"""

from __future__ import annotations

import contextlib
import threading

import tensorflow as tf
from keras import ops

_FORM = threading.local()


@contextlib.contextmanager
def plain_upsampling():
    """Within it, layers built on :func:`upsampled_conv` trace the plain form
    (nearest upsampling, then the convolution) instead: for a TFLite runtime
    without ``TRANSPOSE_CONV`` (``export_tflite(transposed_upsampling=False)``)
    and for timing one form against the other. Read when a function is traced
    (per thread).
    """
    previous = getattr(_FORM, "plain", False)
    _FORM.plain = True
    try:
        yield
    finally:
        _FORM.plain = previous


def transposed_form() -> bool:
    """False inside :func:`plain_upsampling`."""
    return not getattr(_FORM, "plain", False)


def _transposed_kernel(kernel):
    """``[3, 3, C, O]`` → the ``[4, 4, O, C]`` kernel of the stride-2 transposed
    convolution equal to nearest ×2 upsampling followed by ``kernel``.

    After upsampling, output row ``2i`` reads input rows ``i - 1`` (tap 0) and
    ``i`` (taps 1 and 2), row ``2i + 1`` reads ``i`` (taps 0 and 1) and ``i + 1``
    (tap 2); as a transposed convolution (crop 1) those are taps 3, 1, 2, 0.
    The same along columns.
    """
    def spread(k, axis):
        first, middle, last = tf.unstack(k, axis=axis)
        return tf.stack([last, middle + last, first + middle, first], axis=axis)

    return tf.transpose(spread(spread(kernel, 0), 1), (0, 1, 3, 2))


def upsampled_conv(x, kernel):
    """Nearest ×2 upsampling, then a 3 × 3 convolution ("same", no bias).

    ``x [B, H, W, C]``, ``kernel [3, 3, C, O]`` → ``[B, 2H, 2W, O]``, computed
    as one stride-2 transposed convolution with a 4 × 4 kernel built from
    ``kernel``: 16 instead of 36 multiply-adds per input pixel and channel
    pair, no upsampled copy of the input to hold for the backward pass, and
    gradients that are ordinary (stride-2) convolutions. The same numbers as
    the plain form up to summation order.
    """
    if tuple(kernel.shape[:2]) != (3, 3):
        raise ValueError(f"upsampled_conv: needs a 3 × 3 kernel, got {tuple(kernel.shape)}")
    shape = tf.shape(x)
    # Static sizes where known, so the output's height and width stay known in a graph.
    height, width = (2 * x.shape[i] if x.shape[i] is not None else 2 * shape[i] for i in (1, 2))
    out_shape = tf.stack([shape[0], height, width, int(kernel.shape[-1])])
    return tf.nn.conv2d_transpose(x, _transposed_kernel(ops.cast(kernel, x.dtype)), out_shape,
                                  2, "SAME")
