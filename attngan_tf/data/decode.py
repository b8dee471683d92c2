"""Image files to tensors: read, decode and crop (bounding box); resize the
shorter side. Used by the pipeline (:mod:`.pipeline`) and its TFRecord cache
(:mod:`.tfrecord`).
"""

from __future__ import annotations

import tensorflow as tf

__all__ = ["decode_file", "resize_shorter_side"]


def decode_file(element):
    """Reads, decodes and crops the image file of one source element."""
    element = dict(element)
    data = tf.io.read_file(element.pop("path"))
    image = tf.io.decode_image(data, channels=3, expand_animations=False)
    crop = element.pop("crop")
    element["image"] = image[crop[0]:crop[2], crop[1]:crop[3]]
    return element


def resize_shorter_side(image, size: int):
    """Resizes so the shorter side is ``size`` (torchvision ``Scale(int)`` rounding)."""
    shape = tf.shape(image)
    height, width = tf.cast(shape[0], tf.float64), tf.cast(shape[1], tf.float64)
    size_f = tf.constant(float(size), tf.float64)
    new_h = tf.where(width < height, tf.floor(size_f * height / width), size_f)
    new_w = tf.where(width < height, size_f, tf.floor(size_f * width / height))
    new_size = tf.cast(tf.stack([new_h, new_w]), tf.int32)
    return tf.image.resize(image, new_size, method="bilinear", antialias=True)
