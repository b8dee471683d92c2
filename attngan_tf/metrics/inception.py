"""The ImageNet Inception-v3 classifier used by the Inception Score and FID.

Keras' ``keras.applications.InceptionV3`` with its weights from a local file
(``inception_v3_weights_tf_dim_ordering_tf_kernels.h5``, the Keras
applications release); nothing is downloaded. Images in [-1, 1] (the
generator's range and this network's input convention) are resized to 299 px
with bilinear interpolation, the standard protocol.
"""

from __future__ import annotations

import os
import pathlib

import keras
import tensorflow as tf

__all__ = ["WEIGHTS_FILE", "load_inception_classifier", "inception_outputs"]

WEIGHTS_FILE = "inception_v3_weights_tf_dim_ordering_tf_kernels.h5"


def load_inception_classifier(weights: str | os.PathLike | None, *,
                              allow_random: bool = False) -> keras.Model:
    """``images [B, 299, 299, 3] -> (pool [B, 2048], probabilities [B, 1000])``.

    Args:
        weights: local path of ``inception_v3_weights_tf_dim_ordering_tf_kernels.h5``.
        allow_random: with ``weights=None``, build a randomly initialised
            network (tests only: its scores mean nothing).

    Raises:
        ValueError: no weights file given (and not ``allow_random``), or the
            file does not exist.
    """
    if weights is None:
        if not allow_random:
            raise ValueError(
                f"Inception Score and FID need the ImageNet Inception-v3 classifier weights, "
                f"the Keras applications file {WEIGHTS_FILE} (published with Keras "
                f"applications' InceptionV3, 92 MB); download it once and pass its path "
                f"(--inception-weights PATH). Nothing is downloaded here.")
    elif not pathlib.Path(weights).is_file():
        raise ValueError(f"inception weights: no such file: {weights}")
    base = keras.applications.InceptionV3(
        include_top=True, weights=str(weights) if weights is not None else None,
        classifier_activation="softmax")
    return keras.Model(base.input, [base.get_layer("avg_pool").output, base.output],
                       name="inception_v3_metrics")


def inception_outputs(classifier: keras.Model, images) -> tuple[tf.Tensor, tf.Tensor]:
    """``images [B, S, S, 3]`` in [-1, 1] -> ``(pool [B, 2048], probabilities [B, 1000])``."""
    images = tf.convert_to_tensor(images, tf.float32)
    if images.shape.rank != 4 or images.shape[-1] != 3:
        raise ValueError(f"images: expected [batch, height, width, 3], got {images.shape}")
    resized = tf.image.resize(images, [299, 299], method="bilinear")
    pool, probabilities = classifier(resized, training=False)
    return pool, probabilities
