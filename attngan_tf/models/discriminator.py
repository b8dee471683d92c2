"""Per-scale discriminators (the reference's ``D_NET64``, ``D_NET128``, ``D_NET256``)."""

from __future__ import annotations

import functools

import keras
import tensorflow as tf
from keras import ops

from ..activations import leaky_relu
from ..config import DiscriminatorConfig
from ..configurable import PACKAGE, ConfigLayer, ConfigModel
from ..ops.batch_norm import batch_norm_act
from ..ops.conv_by_matmul import conv_by_matmul
from ..ops.initializers import TallOrthogonal
from .blocks import batch_norm, conv
from .checks import check_batch, check_last_dim, check_rank

#: Blocks on inputs at most this large (height) compute their convolution as a
#: matrix product (:func:`~attngan_tf.ops.conv_by_matmul.conv_by_matmul`) when no
#: GPU is visible (measured faster on CPUs only; GPUs keep cuDNN's convolution).
MATMUL_MAX_SIZE = 16


@functools.lru_cache(maxsize=1)
def _cpu_only() -> bool:
    return not tf.config.list_logical_devices("GPU")


@keras.saving.register_keras_serializable(package=PACKAGE)
class ConvBlock(keras.layers.Layer):
    """conv (no bias) → optional BatchNorm → LeakyReLU(0.2).

    ``kernel_size`` 4 with ``strides`` 2 halves the resolution (the reference's
    ``downBlock``: symmetric zero padding 1, i.e. "same" for even sizes);
    ``kernel_size`` 3, ``strides`` 1 keeps it (``Block3x3_leakRelu``).
    """

    def __init__(self, filters: int, kernel_size: int = 4, strides: int = 2,
                 use_batch_norm: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.kernel_size = int(kernel_size)
        self.strides = int(strides)
        self.use_batch_norm = bool(use_batch_norm)
        self.conv = conv(self.filters, self.kernel_size, "conv", strides=self.strides)
        self.bn = batch_norm("bn", grouped=True) if self.use_batch_norm else None

    def build(self, input_shape):
        self.conv.build((None, None, None, input_shape[-1]))
        if self.bn is not None:
            self.bn.build((None, None, None, self.filters))

    def call(self, x, training=None, groups: int = 1):
        if (x.shape[1] is not None and x.shape[1] <= MATMUL_MAX_SIZE
                and x.shape[2] is not None and _cpu_only()):
            x = conv_by_matmul(ops.cast(x, self.compute_dtype), self.conv.kernel, self.strides)
        else:
            x = self.conv(x)
        if self.bn is not None:
            return batch_norm_act(self.bn, x, training=training, activation="leaky_relu",
                                  groups=groups)
        return leaky_relu(x)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": self.kernel_size, "strides": self.strides,
                "use_batch_norm": self.use_batch_norm}


@keras.saving.register_keras_serializable(package=PACKAGE)
class UnconditionalLogits(keras.layers.Layer):
    """Real/fake logit from the image code alone: 4×4 conv, stride 4, with bias.

    ``h_code [B, 4, 4, 8·df_dim] → [B]`` logits (the reference applies a sigmoid;
    the losses here take logits, ``sigmoid(logits)`` are its probabilities).
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.logits = keras.layers.Conv2D(1, 4, strides=4, padding="valid",
                                          kernel_initializer=TallOrthogonal(), name="logits")

    def build(self, input_shape):
        self.logits.build((None, 4, 4, input_shape[-1]))

    def call(self, h_code):
        return ops.reshape(self.logits(h_code), (-1,))


@keras.saving.register_keras_serializable(package=PACKAGE)
class ConditionalLogits(ConfigLayer):
    """Image-text matching logit: ``[h_code ‖ tiled sent_emb]`` → 3×3 ConvBlock → 4×4 conv.

    Call: ``logits = head(h_code, sent_emb)`` with ``h_code [B, 4, 4, 8·df_dim]``,
    ``sent_emb [B, embedding_dim]`` → ``[B]`` logits.
    """

    config_class = DiscriminatorConfig

    def __init__(self, config: DiscriminatorConfig, **kwargs):
        super().__init__(config, **kwargs)
        self.joint = ConvBlock(8 * self.config.df_dim, 3, 1, name="joint")
        self.logits = keras.layers.Conv2D(1, 4, strides=4, padding="valid",
                                          kernel_initializer=TallOrthogonal(), name="logits")

    def build(self, input_shape=None):
        ndf8 = 8 * self.config.df_dim
        self.joint.build((None, 4, 4, ndf8 + self.config.embedding_dim))
        self.logits.build((None, 4, 4, ndf8))

    def call(self, h_code, sent_emb, training=None, groups: int = 1):
        sent = ops.cast(sent_emb, h_code.dtype)[:, None, None, :]
        sent = ops.tile(sent, (1, ops.shape(h_code)[1], ops.shape(h_code)[2], 1))
        x = self.joint(ops.concatenate([h_code, sent], axis=-1), training=training,
                       groups=groups)
        return ops.reshape(self.logits(x), (-1,))


@keras.saving.register_keras_serializable(package=PACKAGE)
class Discriminator(ConfigModel):
    """Discriminator of one scale: image code trunk + unconditional and conditional heads.

    ``stage`` 0, 1, 2 takes 64, 128, 256 px images. The trunk halves the
    resolution down to 4×4 (``8·df_dim`` channels at 64 px → ``32·df_dim`` at
    256 px, then 3×3 blocks back to ``8·df_dim``).

    Call: ``out = discriminator(images, sent_emb=None, training=False, groups=1,
    small_inputs=False)``

    Args (call):
        images: ``[B, S, S, 3]`` in [-1, 1], S = 64·2^stage.
        sent_emb: optional ``[B, embedding_dim]``; when given, the conditional
            logits are computed too.
        groups: in training, ``images`` holds this many equal batches (e.g.
            real and generated images) whose BatchNorm statistics are kept
            apart, as that many separate calls would; the convolutions run once.
        small_inputs: also return ``small_inputs``, the inputs of the trunk
            blocks on at most 8 × 8 images, in order (these blocks hold the
            largest kernels; see :meth:`backward_segments`).

    Returns a dict: ``h_code [B, 4, 4, 8·df_dim]``, ``uncond_logits [B]``
    (unless ``config.unconditional`` is False) and, with ``sent_emb``,
    ``cond_logits [B]``. Logits are pre-sigmoid. For
    mismatched pairs call ``discriminator.cond_head(h_code, other_sent_emb)``.
    """

    config_class = DiscriminatorConfig

    def __init__(self, config: DiscriminatorConfig, stage: int = 0, **kwargs):
        super().__init__(config, **kwargs)
        if stage not in range(self.config.branch_num):
            raise ValueError(f"stage: must be in [0, {self.config.branch_num}), got {stage!r}")
        self.stage = int(stage)
        ndf = self.config.df_dim
        # encode_image_by_16times: 4 halvings to 8·ndf channels, first without BN
        # (initial_size 32: three halvings, 2·ndf, 4·ndf, 8·ndf).
        halvings = self.config.initial_size.bit_length() - 3
        blocks = [ConvBlock(8 * ndf // 2 ** (halvings - 1 - k), use_batch_norm=k > 0,
                            name=f"encode{k}") for k in range(halvings)]
        # Larger images: more halvings (16·ndf, 32·ndf), then 3×3 blocks that
        # halve the channels back to 8·ndf.
        widths = [16 * ndf * 2**k for k in range(self.stage)]
        blocks += [ConvBlock(w, name=f"down{k}") for k, w in enumerate(widths)]
        blocks += [ConvBlock(w // 2, 3, 1, name=f"reduce{k}")
                   for k, w in enumerate(reversed(widths))]
        self.trunk = blocks
        # The reference's b_jcu: AttnDCGAN's D_NET256(b_jcu=False) has no unconditional head.
        self.uncond_head = (UnconditionalLogits(name="uncond_head")
                            if self.config.unconditional else None)
        self.cond_head = ConditionalLogits(self.config, name="cond_head")

    @property
    def image_size(self) -> int:
        return self.config.initial_size * 2**self.stage

    def build(self, input_shape=None):
        channels = 3
        for block in self.trunk:
            block.build((None, None, None, channels))
            channels = block.filters
        if self.uncond_head is not None:
            self.uncond_head.build((None, 4, 4, channels))
        self.cond_head.build()

    def call(self, images, sent_emb=None, training=None, groups: int = 1,
             small_inputs: bool = False):
        shape = check_rank("images", images, 4, "[batch, height, width, 3]")
        size = self.image_size
        if tuple(shape[1:]) != (size, size, 3):
            raise ValueError(f"images: discriminator stage {self.stage} takes "
                             f"[batch, {size}, {size}, 3], got {shape}")
        h = images
        inputs = []
        for k, block in enumerate(self.trunk):
            if k >= self._split:
                inputs.append(h)
            h = block(h, training=training, groups=groups)
        out = {"h_code": h}
        if self.uncond_head is not None:
            out["uncond_logits"] = self.uncond_head(h)
        if small_inputs:
            out["small_inputs"] = inputs
        if sent_emb is not None:
            check_rank("sent_emb", sent_emb, 2, "[batch, embedding_dim]")
            check_last_dim("sent_emb", sent_emb, self.config.embedding_dim,
                           "[batch, embedding_dim]")
            check_batch(images=images, sent_emb=sent_emb)
            out["cond_logits"] = self.cond_head(h, sent_emb, training=training, groups=groups)
        return out

    @property
    def _split(self) -> int:
        """Index of the trunk's first block on an input of at most 8 × 8 (halving blocks
        first: block k of those sees ``image_size / 2^k``)."""
        return next(k for k in range(len(self.trunk)) if self.image_size >> k <= 8)

    def backward_segments(self, out: dict) -> list:
        """The network cut into pieces for a backward pass one piece at a time.

        ``out``: what this discriminator returned (in training, with
        ``small_inputs=True``). Returns
        ``[(variables, input), ...]`` from the output side down: the heads
        with their input ``h_code``, then each block on an at most 8 × 8
        input with that input, last the larger-image blocks with ``None``.
        Each piece's variables affect the loss only through its input's
        successor, so the gradient at a piece's input is all the pieces
        below need (``tape.gradient(input, ..., output_gradients=...)``).
        """
        heads = self.cond_head.trainable_variables
        if self.uncond_head is not None:
            heads = self.uncond_head.trainable_variables + heads
        segments = [(heads, out["h_code"])]
        for block, block_input in zip(reversed(self.trunk[self._split:]),
                                      reversed(out["small_inputs"])):
            segments.append((block.trainable_variables, block_input))
        lower = [v for block in self.trunk[:self._split] for v in block.trainable_variables]
        return segments + [(lower, None)]

    def get_config(self):
        return {**super().get_config(), "stage": self.stage}


def build_discriminators(config: DiscriminatorConfig) -> list[Discriminator]:
    """One discriminator per generator image, named ``discriminator{i}``: one per
    stage, or with ``single_image`` (AttnDCGAN) one, for the last stage's size."""
    if config.single_image:
        return [Discriminator(config, stage=config.branch_num - 1, name="discriminator0")]
    return [Discriminator(config, stage=i, name=f"discriminator{i}")
            for i in range(config.branch_num)]
