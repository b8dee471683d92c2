"""Small building blocks shared by the generator and the discriminators.

All tensors are channels-last (NHWC). Batch normalisation uses the reference's
PyTorch defaults: epsilon 1e-5 and momentum 0.1 (Keras ``momentum=0.9``).

These are the paper's layers; the faster forms they train with (one transposed
convolution for upsampling + conv, BatchNorm + GLU as one fused function) are
in :mod:`attngan_tf.ops`.
"""

from __future__ import annotations

import keras

from ..configurable import PACKAGE
from ..ops.batch_norm import GroupedBatchNormalization, batch_norm_act, batch_norm_glu
from ..ops.initializers import TallOrthogonal
from ..ops.upsampled_conv import transposed_form, upsampled_conv

#: BatchNorm settings of the generator and discriminators (torch defaults).
BN_EPSILON = 1e-5
BN_MOMENTUM = 0.9


def batch_norm(name: str, grouped: bool = False) -> keras.layers.BatchNormalization:
    """BatchNorm as initialised by the reference's ``weights_init`` (gamma ~ N(1, 0.02)).

    ``grouped``: a :class:`~attngan_tf.ops.batch_norm.GroupedBatchNormalization`
    (the discriminators).
    Saved weights of layers held in lists are keyed by class name, so the
    class of existing layers stays ``keras.layers.BatchNormalization``.
    """
    cls = GroupedBatchNormalization if grouped else keras.layers.BatchNormalization
    return cls(
        momentum=BN_MOMENTUM, epsilon=BN_EPSILON,
        gamma_initializer=keras.initializers.RandomNormal(1.0, 0.02), name=name)


def conv(filters: int, kernel_size, name: str, *, strides=1, padding="same",
         use_bias: bool = False, activation=None) -> keras.layers.Conv2D:
    """Conv2D with the reference's orthogonal initialisation and zero bias."""
    return keras.layers.Conv2D(filters, kernel_size, strides=strides, padding=padding,
                               use_bias=use_bias, activation=activation,
                               kernel_initializer=TallOrthogonal(), name=name)


def dense(units: int, name: str, *, use_bias: bool = False) -> keras.layers.Dense:
    """Dense with the reference's orthogonal initialisation and zero bias."""
    return keras.layers.Dense(units, use_bias=use_bias, kernel_initializer=TallOrthogonal(),
                              name=name)


@keras.saving.register_keras_serializable(package=PACKAGE)
class UpBlock(keras.layers.Layer):
    """Nearest ×2 upsampling → 3×3 conv (no bias) → BatchNorm → GLU.

    ``[B, H, W, C_in] → [B, 2H, 2W, filters]`` (the reference's ``upBlock``).
    Upsampling and convolution run as
    :func:`~attngan_tf.ops.upsampled_conv.upsampled_conv` (one transposed
    convolution: 16 instead of 36 multiply-adds per input pixel), in training
    and inference alike, except inside
    :func:`~attngan_tf.ops.upsampled_conv.plain_upsampling`; BatchNorm and GLU as
    :func:`~attngan_tf.ops.batch_norm.batch_norm_glu` (one fused function from
    :data:`~attngan_tf.ops.batch_norm.FUSED_MIN_ELEMENTS` elements on).
    """

    def __init__(self, filters: int, **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.upsample = keras.layers.UpSampling2D(2, interpolation="nearest", name="upsample")
        self.conv = conv(2 * self.filters, 3, "conv")
        self.bn = batch_norm("bn")

    def build(self, input_shape):
        up_shape = (input_shape[0], None, None, input_shape[-1])
        self.upsample.build(input_shape)
        self.conv.build(up_shape)
        self.bn.build(up_shape[:-1] + (2 * self.filters,))

    def call(self, x, training=None):
        if transposed_form():
            x = upsampled_conv(x, self.conv.kernel)
        else:
            x = self.conv(self.upsample(x))
        return batch_norm_glu(self.bn, x, training=training)

    def compute_output_shape(self, input_shape):
        def double(n):
            return None if n is None else 2 * n
        return (input_shape[0], double(input_shape[1]), double(input_shape[2]), self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters}


@keras.saving.register_keras_serializable(package=PACKAGE)
class ResBlock(keras.layers.Layer):
    """Residual block of the refinement stages (the reference's ``ResBlock``).

    conv3×3 (C → 2C) → BN → GLU → conv3×3 (C → C) → BN, plus the input.
    ``[B, H, W, C] → [B, H, W, C]``.
    """

    def __init__(self, channels: int, **kwargs):
        super().__init__(**kwargs)
        self.channels = int(channels)
        self.conv1 = conv(2 * self.channels, 3, "conv1")
        self.bn1 = batch_norm("bn1")
        self.conv2 = conv(self.channels, 3, "conv2")
        self.bn2 = batch_norm("bn2")

    def build(self, input_shape):
        shape = (input_shape[0], None, None, self.channels)
        self.conv1.build(shape)
        self.bn1.build(shape[:-1] + (2 * self.channels,))
        self.conv2.build(shape)
        self.bn2.build(shape)

    def call(self, x, training=None):
        y = batch_norm_glu(self.bn1, self.conv1(x), training=training)
        y = batch_norm_act(self.bn2, self.conv2(y), training=training)
        return x + y

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "channels": self.channels}
