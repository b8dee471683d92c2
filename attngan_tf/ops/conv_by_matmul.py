"""A "same"-padded 2-D convolution as one matrix product (image patches × kernel).

:func:`conv_by_matmul` equals the plain form ``Conv2D(padding="same",
use_bias=False)`` in values and gradients, up to summation order. Proven by
``tests/ops/test_conv_by_matmul.py::test_conv_by_matmul_is_a_same_padded_convolution``.
"""

from __future__ import annotations

import tensorflow as tf
from keras import ops

from .few_rows_matmul import few_rows_matmul


def conv_by_matmul(x, kernel, strides: int = 1):
    """A "same"-padded 2-D convolution computed as image patches × kernel matrix.

    ``x [B, H, W, C]``, ``kernel [k, k, C, O]`` → ``[B, ⌈H/s⌉, ⌈W/s⌉, O]``, the
    same numbers as ``Conv2D(padding="same")`` (up to summation order). For
    small images with many channels (the discriminators' 4×4 to 16×16 blocks,
    up to 2,048 channels) one large matrix product runs about twice as fast on
    a CPU as TensorFlow's convolution kernels, forward and backward
    (``benchmarks/train_step.py``, BENCHMARKS.md).
    """
    k = int(kernel.shape[0])
    height, width, channels = (int(d) for d in x.shape[1:])
    pads = []
    for size in (height, width):
        out = -(-size // strides)
        total = max((out - 1) * strides + k - size, 0)
        pads.append((total // 2, total - total // 2))
    x = tf.pad(x, [(0, 0), *pads, (0, 0)])
    patches = tf.image.extract_patches(x, [1, k, k, 1], [1, strides, strides, 1],
                                       [1, 1, 1, 1], "VALID")  # [B, H', W', k·k·C]
    shape = tf.shape(patches)
    rows = tf.reshape(patches, (-1, k * k * channels))
    out = few_rows_matmul(rows, tf.reshape(ops.cast(kernel, x.dtype), (k * k * channels, -1)))
    return tf.reshape(out, (shape[0], shape[1], shape[2], int(kernel.shape[-1])))
