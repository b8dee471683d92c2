"""Inception-v3 trunk with torchvision's block structure, channels-last.

This is the trunk of the reference's ``CNN_ENCODER`` (torchvision
``inception_v3`` up to ``Mixed_7c``, without the auxiliary classifier and the
final classifier). Layer names are torchvision's module names, so a
torchvision state dict maps onto it name by name (:func:`load_inception_trunk`;
``attngan_tf.convert`` for the whole image encoder).

It differs from ``keras.applications.InceptionV3`` in ways that change the
numbers: BatchNorm has a learned scale (torchvision) and the 3×3 average pools
inside the blocks count the zero padding (every window divides by 9).
"""

from __future__ import annotations

import keras
from keras import ops

from ..configurable import PACKAGE
from ..torch_layout import Pair, assign, bn_pairs, conv_pairs, ensure_built

#: torchvision's BasicConv2d BatchNorm epsilon.
INCEPTION_BN_EPSILON = 1e-3


@keras.saving.register_keras_serializable(package=PACKAGE)
class BasicConv2d(keras.layers.Layer):
    """conv (no bias) → BatchNorm (eps 1e-3) → ReLU.

    ``padding`` is "same" (stride 1, the symmetric (k-1)/2 padding of
    torchvision) or "valid".
    """

    def __init__(self, filters: int, kernel_size, strides: int = 1, padding: str = "same",
                 **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.kernel_size = tuple(kernel_size) if isinstance(kernel_size, (tuple, list)) else (
            int(kernel_size), int(kernel_size))
        self.strides = int(strides)
        self.padding = padding
        self.conv = keras.layers.Conv2D(
            self.filters, self.kernel_size, strides=self.strides, padding=padding,
            use_bias=False,
            kernel_initializer=keras.initializers.TruncatedNormal(stddev=0.1), name="conv")
        self.bn = keras.layers.BatchNormalization(momentum=0.9, epsilon=INCEPTION_BN_EPSILON,
                                                  name="bn")

    def build(self, input_shape):
        self.conv.build((None, None, None, input_shape[-1]))
        self.bn.build((None, None, None, self.filters))

    def call(self, x, training=None):
        return ops.relu(self.bn(self.conv(x), training=training))

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": self.kernel_size, "strides": self.strides,
                "padding": self.padding}


def average_pool_3x3(x):
    """3×3 average pool, stride 1, zero padding 1 counted in every window."""
    x = ops.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]])
    return ops.average_pool(x, 3, strides=1, padding="valid")


def max_pool_3x3_s2(x):
    return ops.max_pool(x, 3, strides=2, padding="valid")


class _InceptionBlock(keras.layers.Layer):
    """A block of parallel branches; subclasses list them in ``BRANCHES``.

    ``BRANCHES`` is a tuple of branches; a branch is a tuple of
    ``(torchvision name, filters, kernel, strides, padding)`` steps applied in
    order, the string ``"avgpool"``/``"maxpool"`` for a pooling step, or a
    nested tuple ``("fork", (names...))`` of final convs applied to the same
    input and concatenated (InceptionE).
    """

    BRANCHES: tuple = ()

    def __init__(self, in_channels: int, **kwargs):
        super().__init__(**kwargs)
        self.in_channels = int(in_channels)
        self.convs: dict[str, BasicConv2d] = {}
        for branch in self._branches():
            for step in branch:
                for spec in self._conv_specs(step):
                    name, filters, kernel, strides, padding = spec
                    layer = BasicConv2d(filters, kernel, strides, padding, name=name)
                    self.convs[name] = layer

    def _branches(self):
        return self.BRANCHES

    @staticmethod
    def _conv_specs(step):
        if isinstance(step, str):
            return ()
        if step[0] == "fork":
            return step[1]
        return (step,)

    def build(self, input_shape=None):
        for branch in self._branches():
            channels = self.in_channels
            for step in branch:
                specs = self._conv_specs(step)
                for spec in specs:
                    self.convs[spec[0]].build((None, None, None, channels))
                if specs:
                    channels = specs[-1][1]

    def call(self, x, training=None):
        outputs = []
        for branch in self._branches():
            y = x
            for step in branch:
                if step == "avgpool":
                    y = average_pool_3x3(y)
                elif step == "maxpool":
                    y = max_pool_3x3_s2(y)
                elif step[0] == "fork":
                    y = ops.concatenate(
                        [self.convs[spec[0]](y, training=training) for spec in step[1]], axis=-1)
                else:
                    y = self.convs[step[0]](y, training=training)
            outputs.append(y)
        return ops.concatenate(outputs, axis=-1)

    def get_config(self):
        return {**super().get_config(), "in_channels": self.in_channels}


@keras.saving.register_keras_serializable(package=PACKAGE)
class InceptionA(_InceptionBlock):
    def __init__(self, in_channels: int, pool_features: int, **kwargs):
        self.pool_features = int(pool_features)
        super().__init__(in_channels, **kwargs)

    def _branches(self):
        return (
            (("branch1x1", 64, 1, 1, "same"),),
            (("branch5x5_1", 48, 1, 1, "same"), ("branch5x5_2", 64, 5, 1, "same")),
            (("branch3x3dbl_1", 64, 1, 1, "same"), ("branch3x3dbl_2", 96, 3, 1, "same"),
             ("branch3x3dbl_3", 96, 3, 1, "same")),
            ("avgpool", ("branch_pool", self.pool_features, 1, 1, "same")),
        )

    def get_config(self):
        return {**super().get_config(), "pool_features": self.pool_features}


@keras.saving.register_keras_serializable(package=PACKAGE)
class InceptionB(_InceptionBlock):
    BRANCHES = (
        (("branch3x3", 384, 3, 2, "valid"),),
        (("branch3x3dbl_1", 64, 1, 1, "same"), ("branch3x3dbl_2", 96, 3, 1, "same"),
         ("branch3x3dbl_3", 96, 3, 2, "valid")),
        ("maxpool",),
    )


@keras.saving.register_keras_serializable(package=PACKAGE)
class InceptionC(_InceptionBlock):
    def __init__(self, in_channels: int, channels_7x7: int, **kwargs):
        self.channels_7x7 = int(channels_7x7)
        super().__init__(in_channels, **kwargs)

    def _branches(self):
        c7 = self.channels_7x7
        return (
            (("branch1x1", 192, 1, 1, "same"),),
            (("branch7x7_1", c7, 1, 1, "same"), ("branch7x7_2", c7, (1, 7), 1, "same"),
             ("branch7x7_3", 192, (7, 1), 1, "same")),
            (("branch7x7dbl_1", c7, 1, 1, "same"), ("branch7x7dbl_2", c7, (7, 1), 1, "same"),
             ("branch7x7dbl_3", c7, (1, 7), 1, "same"), ("branch7x7dbl_4", c7, (7, 1), 1, "same"),
             ("branch7x7dbl_5", 192, (1, 7), 1, "same")),
            ("avgpool", ("branch_pool", 192, 1, 1, "same")),
        )

    def get_config(self):
        return {**super().get_config(), "channels_7x7": self.channels_7x7}


@keras.saving.register_keras_serializable(package=PACKAGE)
class InceptionD(_InceptionBlock):
    BRANCHES = (
        (("branch3x3_1", 192, 1, 1, "same"), ("branch3x3_2", 320, 3, 2, "valid")),
        (("branch7x7x3_1", 192, 1, 1, "same"), ("branch7x7x3_2", 192, (1, 7), 1, "same"),
         ("branch7x7x3_3", 192, (7, 1), 1, "same"), ("branch7x7x3_4", 192, 3, 2, "valid")),
        ("maxpool",),
    )


@keras.saving.register_keras_serializable(package=PACKAGE)
class InceptionE(_InceptionBlock):
    BRANCHES = (
        (("branch1x1", 320, 1, 1, "same"),),
        (("branch3x3_1", 384, 1, 1, "same"),
         ("fork", (("branch3x3_2a", 384, (1, 3), 1, "same"),
                   ("branch3x3_2b", 384, (3, 1), 1, "same")))),
        (("branch3x3dbl_1", 448, 1, 1, "same"), ("branch3x3dbl_2", 384, 3, 1, "same"),
         ("fork", (("branch3x3dbl_3a", 384, (1, 3), 1, "same"),
                   ("branch3x3dbl_3b", 384, (3, 1), 1, "same")))),
        ("avgpool", ("branch_pool", 192, 1, 1, "same")),
    )


#: Stem convs (torchvision name, filters, kernel, strides, padding); max-pools
#: follow Conv2d_2b_3x3 and Conv2d_4a_3x3.
_STEM = (
    ("Conv2d_1a_3x3", 32, 3, 2, "valid"),
    ("Conv2d_2a_3x3", 32, 3, 1, "valid"),
    ("Conv2d_2b_3x3", 64, 3, 1, "same"),
    ("Conv2d_3b_1x1", 80, 1, 1, "valid"),
    ("Conv2d_4a_3x3", 192, 3, 1, "valid"),
)
_POOL_AFTER = ("Conv2d_2b_3x3", "Conv2d_4a_3x3")


@keras.saving.register_keras_serializable(package=PACKAGE)
class InceptionV3Trunk(keras.layers.Layer):
    """torchvision Inception-v3 from the stem to ``Mixed_7c`` (no classifier).

    Call: ``mixed_6e, mixed_7c = trunk(images_299)``

    Args (call):
        images_299: ``[B, 299, 299, 3]``.

    Returns:
        mixed_6e: ``[B, 17, 17, 768]`` (the local features AttnGAN uses).
        mixed_7c: ``[B, 8, 8, 2048]``.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.stem = [BasicConv2d(f, k, s, p, name=name) for name, f, k, s, p in _STEM]
        self.mixed_6 = [
            InceptionA(192, 32, name="Mixed_5b"),
            InceptionA(256, 64, name="Mixed_5c"),
            InceptionA(288, 64, name="Mixed_5d"),
            InceptionB(288, name="Mixed_6a"),
            InceptionC(768, 128, name="Mixed_6b"),
            InceptionC(768, 160, name="Mixed_6c"),
            InceptionC(768, 160, name="Mixed_6d"),
            InceptionC(768, 192, name="Mixed_6e"),
        ]
        self.mixed_7 = [
            InceptionD(768, name="Mixed_7a"),
            InceptionE(1280, name="Mixed_7b"),
            InceptionE(2048, name="Mixed_7c"),
        ]

    @property
    def blocks(self) -> list:
        """Every sub-layer with torchvision's name, stem convs then Mixed blocks."""
        return [*self.stem, *self.mixed_6, *self.mixed_7]

    def build(self, input_shape=None):
        channels = 3
        for layer in self.stem:
            layer.build((None, None, None, channels))
            channels = layer.filters
        for block in (*self.mixed_6, *self.mixed_7):
            block.build()

    def call(self, x, training=None):
        for layer in self.stem:
            x = layer(x, training=training)
            if layer.name in _POOL_AFTER:
                x = max_pool_3x3_s2(x)
        for block in self.mixed_6:
            x = block(x, training=training)
        mixed_6e = x
        for block in self.mixed_7:
            x = block(x, training=training)
        return mixed_6e, x


# ---------------------------------------------------------------------------
# torchvision's state dict (its parameter names and PyTorch layouts)


def _basic_conv_pairs(prefix: str, layer: BasicConv2d) -> list[Pair]:
    return conv_pairs(f"{prefix}.conv", layer.conv) + bn_pairs(f"{prefix}.bn", layer.bn)


def inception_pairs(trunk: InceptionV3Trunk) -> list[Pair]:
    """Every torchvision name of the trunk with its variable and layout change
    (:mod:`attngan_tf.torch_layout`)."""
    pairs: list[Pair] = []
    for layer in trunk.stem:
        pairs += _basic_conv_pairs(layer.name, layer)
    for block in (*trunk.mixed_6, *trunk.mixed_7):
        for name, layer in block.convs.items():
            pairs += _basic_conv_pairs(f"{block.name}.{name}", layer)
    return pairs


def load_inception_trunk(trunk: InceptionV3Trunk, state, module: str = "inception") -> None:
    """Loads a torchvision Inception-v3 trunk state dict (no classifier keys)."""
    ensure_built(trunk)
    assign(inception_pairs(trunk), state, module)
