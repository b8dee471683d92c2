"""A small CNN trunk for DAMSM's image encoder on small images (``trunk="small_cnn"``).

Not part of the paper: a stand-in for Inception-v3 when no pretrained weights
are available and the encoder must be trained from scratch on a CPU (SynBirds,
small custom data). Five 3×3 conv layers (BatchNorm, LeakyReLU 0.2), the
second to fourth with stride 2; channels ``w, 2w, 4w, 8w, 8w``; the last layer
widens the receptive field to 33 px, the size of a large bird at 64 px::

    [B, S, S, 3] -> ... -> region map [B, S/8, S/8, 8w] -> global map (the same)

The region map plays the role of Inception's ``Mixed_6e`` (word-region
matching; an 8×8 grid at 64 px keeps the all-pairs word loss cheap), the
pooled map that of ``Mixed_7c`` (the image code). The image encoder pools it by
mean *and* max (``global_channels`` = 16w): small parts such as a beak cover a
few cells and would be diluted by a mean alone.
"""

from __future__ import annotations

import keras

from ..configurable import PACKAGE
from .blocks import batch_norm

__all__ = ["SmallCNNTrunk"]


@keras.saving.register_keras_serializable(package=PACKAGE)
class SmallCNNTrunk(keras.layers.Layer):
    """``images [B, S, S, 3] -> (region_map, global_map)``, both ``[B, S/8, S/8, 8w]``.

    Args:
        width: channels of the first layer (``w``).
    """

    #: (channel multiple of ``w``, stride) per layer.
    LAYERS = ((1, 1), (2, 2), (4, 2), (8, 2), (8, 1))

    def __init__(self, width: int = 32, **kwargs):
        super().__init__(**kwargs)
        self.width = width
        # Assigned as whole lists: TensorFlow checkpoints track a list attribute's
        # items only when they are in it at assignment.
        self.convs = [keras.layers.Conv2D(width * mult, 3, strides=stride, padding="same",
                                          use_bias=False, name=f"conv{i}")
                      for i, (mult, stride) in enumerate(self.LAYERS)]
        self.norms = [batch_norm(f"bn{i}") for i in range(len(self.LAYERS))]

    @property
    def region_channels(self) -> int:
        return 8 * self.width

    @property
    def global_channels(self) -> int:
        """Size of the pooled global vector (mean and max of the 8w-channel map)."""
        return 16 * self.width

    def pool(self, global_map):
        """``[B, h, w, 8w] -> [B, 16w]``: mean and max over positions."""
        return keras.ops.concatenate([keras.ops.mean(global_map, axis=(1, 2)),
                                      keras.ops.max(global_map, axis=(1, 2))], axis=-1)

    def build(self, input_shape=None):
        channels = 3
        for conv, norm in zip(self.convs, self.norms):
            conv.build((None, None, None, channels))
            channels = conv.filters
            norm.build((None, None, None, channels))

    def call(self, images, training=None):
        x = images
        for conv, norm in zip(self.convs, self.norms):
            x = keras.ops.leaky_relu(norm(conv(x), training=training), 0.2)
        return x, x

    def get_config(self):
        return {**super().get_config(), "width": self.width}
