"""The paper's activations: the gated linear unit of the generator and the
discriminators' LeakyReLU (the reference's slope 0.2).

Used by :mod:`attngan_tf.models` and by the fused forms in :mod:`attngan_tf.ops`;
imports neither.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops

__all__ = ["LEAK", "glu", "leaky_relu"]


def glu(x):
    """Gated linear unit over the last axis: ``x[..., :C] * sigmoid(x[..., C:])``.

    Args:
        x: ``[..., 2C]``.
    Returns:
        ``[..., C]``.
    """
    # split's gradient is one concat; slicing's is two zero-padded copies and a sum.
    a, b = ops.split(x, 2, axis=-1)
    return a * ops.sigmoid(b)


#: Slope of the discriminators' LeakyReLU for negative inputs (the reference's 0.2).
LEAK = 0.2


def leaky_relu(x):
    """LeakyReLU with slope :data:`LEAK`: ``x`` where ``x > 0``, else ``LEAK · x``.

    TensorFlow's ``LeakyRelu`` op holds its slope as a float32 attribute
    (``0.2f`` = 0.20000000298…), which is exact for float32 and lower
    precisions but a 1.5e-8 relative error on float64 inputs; float64 inputs
    therefore take the written-out ``where`` form (same gradient: 1 for
    ``x > 0``, ``LEAK`` otherwise, as torch's). Proven by
    ``tests/test_activations.py::test_leaky_relu_float64_exact``.
    """
    if keras.backend.standardize_dtype(x.dtype) == "float64":
        return tf.where(x > 0, x, x * tf.constant(LEAK, tf.float64))
    return tf.nn.leaky_relu(x, LEAK)
