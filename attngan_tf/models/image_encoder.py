"""Image encoder of DAMSM (the reference's ``CNN_ENCODER``)."""

from __future__ import annotations

import logging
import os

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from ..config import ImageEncoderConfig
from ..configurable import PACKAGE, ConfigModel
from .checks import check_rank
from .inception import InceptionV3Trunk, load_inception_trunk
from .small_cnn import SmallCNNTrunk

logger = logging.getLogger(__name__)
_random_init_reported = False


def _report_random_init() -> None:
    global _random_init_reported
    if not _random_init_reported:
        _random_init_reported = True
        logger.warning(
            "ImageEncoder: no pretrained Inception-v3 weights given (trunk_weights=None); "
            "the trunk starts from random initialisation. Nothing is downloaded: pass a local "
            "weights file to use pretrained features.")


def resize_bilinear(images, size: int, align_corners: bool):
    """Bilinear resize of ``[B, H, W, C]`` to ``size×size``.

    ``align_corners=True`` maps corner pixel centres onto each other (source
    index ``dst·(in−1)/(out−1)``, torch ≤ 0.3 upsampling); False uses
    half-pixel centres (``tf.image.resize``, torch ≥ 0.4 default).
    """
    if align_corners and images.dtype == tf.float64:
        # ResizeBilinear computes (and returns) float32 whatever its input; in
        # float64 (training parity, numerical debugging) the same interpolation
        # as two matrix products, exact in float64.
        rows = _align_corners_matrix(size, int(images.shape[1]))
        cols = _align_corners_matrix(size, int(images.shape[2]))
        return tf.einsum("oh,bhwc,pw->bopc", rows, images, cols)
    if align_corners:
        # The op behind the deprecated tf.compat.v1.image.resize_bilinear (which
        # logs a deprecation warning on first use); it has a registered gradient.
        return tf.raw_ops.ResizeBilinear(images=images, size=(size, size), align_corners=True,
                                         half_pixel_centers=False)
    return tf.image.resize(images, (size, size), method="bilinear")


def _align_corners_matrix(out_size: int, in_size: int) -> tf.Tensor:
    """``[out, in]`` float64 weights of 1-D linear interpolation with aligned corners
    (source position ``dst·(in−1)/(out−1)``), the rows of :func:`resize_bilinear`."""
    weights = np.zeros((out_size, in_size), np.float64)
    scale = (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
    for dst in range(out_size):
        src = dst * scale
        low = min(int(np.floor(src)), in_size - 1)
        high = min(low + 1, in_size - 1)
        frac = src - low
        weights[dst, low] += 1.0 - frac
        weights[dst, high] += frac
    return tf.constant(weights)


@keras.saving.register_keras_serializable(package=PACKAGE)
class ImageEncoder(ConfigModel):
    """CNN features projected into the common text–image space.

    Images are resized bilinearly to ``image_size`` (299 for Inception; no
    other normalisation, as the reference) and passed through the trunk; the
    region map (Inception: 17×17×768 ``Mixed_6e``) is projected by a 1×1 conv to
    ``region_features`` and the pooled global map (2048-d ``Mixed_7c``) by a
    dense layer to ``cnn_code``. With the paper's settings only these two heads
    train; ``config.train_trunk`` trains the trunk too (its BatchNorm then
    runs in training mode when ``training=True``), and ``config.trunk =
    "small_cnn"`` swaps Inception for :class:`SmallCNNTrunk`.

    Args:
        config: :class:`ImageEncoderConfig`.
        trunk_weights: optional path to local pretrained trunk weights: an
            ``.npz`` of a torchvision Inception-v3 state dict (torchvision names,
            e.g. ``Mixed_5b.branch1x1.conv.weight``; classifier keys ignored) or
            a Keras ``.weights.h5`` of this trunk. Without it the trunk starts
            from random initialisation and that is logged once. Never downloads.

    Call: ``region_features, cnn_code = encoder(images, training=False)``

    Args (call):
        images: ``[B, H, W, 3]`` in [-1, 1] (any size; 256×256 in AttnGAN).

    Returns:
        region_features: ``[B, R, R, embedding_dim]`` (R = 17 for Inception,
            ``image_size / 8`` for the small CNN).
        cnn_code: ``[B, embedding_dim]``.
    """

    config_class = ImageEncoderConfig

    def __init__(self, config: ImageEncoderConfig, trunk_weights: str | None = None,
                 _report_init: bool = True, **kwargs):
        super().__init__(config, **kwargs)
        config = self.config
        self.trunk_weights = trunk_weights
        if config.trunk == "small_cnn":
            if trunk_weights is not None:
                raise ValueError("trunk_weights: pretrained weights exist only for the "
                                 "inception_v3 trunk")
            self.trunk = SmallCNNTrunk(config.trunk_width, name="small_cnn")
        else:
            self.trunk = InceptionV3Trunk(name="inception")
        self.trunk.trainable = config.train_trunk
        head_init = keras.initializers.RandomUniform(-0.1, 0.1)
        self.region_projection = keras.layers.Conv2D(
            config.embedding_dim, 1, use_bias=False, kernel_initializer=head_init,
            name="region_projection")
        self.code_projection = keras.layers.Dense(
            config.embedding_dim, kernel_initializer=head_init, name="code_projection")
        if trunk_weights is None and _report_init and config.trunk == "inception_v3":
            _report_random_init()

    def build(self, input_shape=None):
        self.trunk.build()
        if isinstance(self.trunk, SmallCNNTrunk):
            region_channels, global_channels = self.trunk.region_channels, self.trunk.global_channels
        else:
            region_channels, global_channels = 768, 2048
        self.region_projection.build((None, None, None, region_channels))
        self.code_projection.build((None, global_channels))
        if self.trunk_weights is not None:
            load_trunk_weights(self.trunk, self.trunk_weights)

    def call(self, images, training=None):
        shape = check_rank("images", images, 4, "[batch, height, width, 3]")
        if shape[-1] != 3:
            raise ValueError(f"images: expected 3 channels (RGB, channels-last), got {shape}")
        size = self.config.image_size
        x = resize_bilinear(ops.cast(images, self.compute_dtype), size,
                            self.config.resize_align_corners)
        trunk_training = training if self.config.train_trunk else False
        region_map, global_map = self.trunk(x, training=trunk_training)
        region_features = self.region_projection(region_map)
        if isinstance(self.trunk, SmallCNNTrunk):
            pooled = self.trunk.pool(global_map)
        else:
            pooled = ops.mean(global_map, axis=(1, 2))
        cnn_code = self.code_projection(pooled)
        return region_features, cnn_code

    @classmethod
    def from_config(cls, config):
        # Weights come from the saved file; do not report a random init.
        return super().from_config({**config, "_report_init": False})


def load_trunk_weights(trunk: InceptionV3Trunk, path: str) -> None:
    """Loads local pretrained weights into an Inception-v3 trunk.

    ``.npz``: a torchvision ``inception_v3`` state dict (NCHW layouts, torchvision
    names); ``AuxLogits.*`` and ``fc.*`` keys are ignored, any other unknown or
    missing key is an error naming it. ``.weights.h5``: Keras weights of this trunk.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"trunk_weights: no such file: {path}")
    if not trunk.built:
        trunk.build()
    if path.endswith(".weights.h5"):
        trunk.load_weights(path)
        return
    if path.endswith(".npz"):
        with np.load(path) as data:
            state = {k: data[k] for k in data.files if not k.startswith(("AuxLogits.", "fc."))}
        load_inception_trunk(trunk, state, module="trunk_weights")
        return
    raise ValueError(f"trunk_weights: unsupported file type {path!r}; "
                     "expected a torchvision state dict as .npz or Keras .weights.h5")
