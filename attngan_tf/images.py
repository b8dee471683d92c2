"""Generator images (float, in [-1, 1]) as pixels.

Used by :mod:`attngan_tf.sampling` (which also exports :func:`to_uint8`) and
:mod:`attngan_tf.figures`.
"""

from __future__ import annotations

import tensorflow as tf

__all__ = ["to_uint8"]


def to_uint8(images) -> tf.Tensor:
    """Images in [-1, 1] (any shape, any float dtype) to uint8 pixels, rounded; graph-safe."""
    images = tf.cast(images, tf.float32)
    return tf.cast(tf.clip_by_value(tf.round((images + 1.0) * 127.5), 0.0, 255.0), tf.uint8)
