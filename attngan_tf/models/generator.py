"""The attentional multi-stage generator (the reference's ``G_NET``)."""

from __future__ import annotations

import keras
from keras import ops

from ..activations import glu
from ..config import GeneratorConfig
from ..configurable import PACKAGE, ConfigLayer, ConfigModel
from ..ops.batch_norm import batch_norm_glu
from .attention import WordAttention
from .blocks import ResBlock, UpBlock, batch_norm, conv, dense
from .checks import check_batch, check_last_dim, check_rank


class _GeneratorLayer(ConfigLayer):
    """A layer built from a :class:`GeneratorConfig`."""

    config_class = GeneratorConfig


@keras.saving.register_keras_serializable(package=PACKAGE)
class ConditioningAugmentation(_GeneratorLayer):
    """Conditioning augmentation: a Gaussian around the sentence embedding.

    ``Dense(4·condition_dim)`` → GLU gives ``mu`` and ``logvar``;
    ``c_code = mu + noise · exp(logvar / 2)``.

    Call: ``c_code, mu, logvar = ca(sent_emb, noise=None)``

    Args (call):
        sent_emb: ``[B, embedding_dim]``.
        noise: optional ``[B, condition_dim]`` standard-normal sample; drawn
            from the layer's seed generator when omitted (also at inference, as
            the reference).

    Returns: three ``[B, condition_dim]`` tensors.
    """

    def __init__(self, config: GeneratorConfig, seed: int | None = None, **kwargs):
        super().__init__(config, **kwargs)
        self.seed = seed
        self.fc = dense(4 * self.config.condition_dim, "fc", use_bias=True)
        self.seed_generator = keras.random.SeedGenerator(seed, name="seed_generator")

    def build(self, input_shape=None):
        self.fc.build((None, self.config.embedding_dim))

    def call(self, sent_emb, noise=None):
        x = glu(self.fc(sent_emb))
        dim = self.config.condition_dim
        mu, logvar = x[:, :dim], x[:, dim:]
        if noise is None:
            noise = keras.random.normal(ops.shape(mu), dtype=mu.dtype, seed=self.seed_generator)
        c_code = ops.cast(noise, mu.dtype) * ops.exp(0.5 * logvar) + mu
        return c_code, mu, logvar

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


@keras.saving.register_keras_serializable(package=PACKAGE)
class InitStage(_GeneratorLayer):
    """First stage: ``[c_code ‖ z]`` → Dense → BN → GLU → 4×4 → four up-blocks.

    ``[B, condition_dim + z_dim] → h_code [B, 64, 64, gf_dim]``. With
    ``initial_size`` 32: ``8·gf_dim`` channels at 4×4 and three up-blocks to
    ``[B, 32, 32, gf_dim]`` (the same halving of channels per block).

    The dense layer's outputs are ordered (y, x, channel), so the reshape to
    ``4×4×16·gf_dim`` is channels-last without a transpose (weight import
    reorders the reference's channel-first rows accordingly).
    """

    def __init__(self, config: GeneratorConfig, **kwargs):
        super().__init__(config, **kwargs)
        ngf16 = self._channels
        blocks = self.config.initial_size.bit_length() - 3  # 4 → initial_size: 4 (64) or 3 (32)
        self.fc = dense(ngf16 * 4 * 4 * 2, "fc")
        self.fc_bn = batch_norm("fc_bn")
        self.upsample = [UpBlock(ngf16 // 2 ** (k + 1), name=f"upsample{k + 1}")
                         for k in range(blocks)]

    @property
    def _channels(self) -> int:
        """Channels at 4×4: ``16·gf_dim`` for 64 px (the reference), ``8·gf_dim`` for 32."""
        return self.config.gf_dim * self.config.initial_size // 4

    def build(self, input_shape=None):
        cfg = self.config
        ngf16 = self._channels
        self.fc.build((None, cfg.condition_dim + cfg.z_dim))
        self.fc_bn.build((None, ngf16 * 4 * 4 * 2))
        channels = ngf16
        for block in self.upsample:
            block.build((None, None, None, channels))
            channels = block.filters

    def call(self, c_z_code, training=None):
        x = batch_norm_glu(self.fc_bn, self.fc(c_z_code), training=training)
        h = ops.reshape(x, (-1, 4, 4, self._channels))
        for block in self.upsample:
            h = block(h, training=training)
        return h


@keras.saving.register_keras_serializable(package=PACKAGE)
class NextStage(_GeneratorLayer):
    """Refinement stage: word attention → residual blocks → up-block.

    Call: ``h_code, attention = stage(h_code, words_emb, word_mask)``

    ``h_code [B, H, W, gf_dim]`` → ``[B, 2H, 2W, gf_dim]``; ``attention`` is
    ``[B, H, W, T]`` (see :class:`WordAttention`).
    """

    def __init__(self, config: GeneratorConfig, **kwargs):
        super().__init__(config, **kwargs)
        ngf = self.config.gf_dim
        self.attention = WordAttention(self.config, name="attention")
        self.residual = [ResBlock(2 * ngf, name=f"residual{r}") for r in range(self.config.r_num)]
        self.upsample = UpBlock(ngf, name="upsample")

    def build(self, input_shape=None):
        ngf = self.config.gf_dim
        self.attention.build()
        for block in self.residual:
            block.build((None, None, None, 2 * ngf))
        self.upsample.build((None, None, None, 2 * ngf))

    def call(self, h_code, words_emb, word_mask, training=None):
        context, attention = self.attention(h_code, words_emb, word_mask)
        h = ops.concatenate([h_code, context], axis=-1)
        for block in self.residual:
            h = block(h, training=training)
        return self.upsample(h, training=training), attention


@keras.saving.register_keras_serializable(package=PACKAGE)
class AttnGenerator(ConfigModel):
    """The AttnGAN generator: CA, initial stage, attentional refinement stages.

    Call::

        out = generator(noise, sent_emb, words_emb, word_mask,
                        ca_noise=None, training=False)

    Args (call):
        noise: ``[B, z_dim]`` z.
        sent_emb: ``[B, embedding_dim]`` sentence features.
        words_emb: ``[B, T, embedding_dim]`` word features (0 at padding).
        word_mask: ``[B, T]`` bool, True at real words.
        ca_noise: optional ``[B, condition_dim]`` noise of the conditioning
            augmentation (drawn from the layer's seed generator when omitted).

    Returns a dict:
        ``images``: tuple of ``branch_num`` images ``[B, S, S, 3]`` in
        [-1, 1], S = 64, 128, 256 (with ``single_image``, the AttnDCGAN
        variant: one image, the last stage's); ``attention_maps``: tuple of
        ``branch_num - 1`` maps ``[B, S, S, T]`` (S = 64, 128) of the
        refinement stages; ``c_code``, ``mu``, ``logvar``: ``[B, condition_dim]``.
    """

    config_class = GeneratorConfig

    def __init__(self, config: GeneratorConfig, seed: int | None = None, **kwargs):
        super().__init__(config, **kwargs)
        self.seed = seed
        cfg = self.config
        self.ca = ConditioningAugmentation(cfg, seed=seed, name="ca")
        self.init_stage = InitStage(cfg, name="init_stage")
        self.next_stages = [NextStage(cfg, name=f"next_stage{i}")
                            for i in range(1, cfg.branch_num)]
        # G_NET: an image head per stage; G_DCGAN (single_image): one, after the last.
        heads = 1 if cfg.single_image else cfg.branch_num
        self.image_heads = [conv(3, 3, f"image_head{cfg.branch_num - heads + i}",
                                 activation="tanh") for i in range(heads)]

    def build(self, input_shape=None):
        self.ca.build()
        self.init_stage.build()
        for stage in self.next_stages:
            stage.build()
        for head in self.image_heads:
            head.build((None, None, None, self.config.gf_dim))

    def call(self, noise, sent_emb, words_emb, word_mask, ca_noise=None, training=None):
        cfg = self.config
        check_rank("noise", noise, 2, "[batch, z_dim]")
        check_last_dim("noise", noise, cfg.z_dim, "[batch, z_dim]")
        check_rank("sent_emb", sent_emb, 2, "[batch, embedding_dim]")
        check_last_dim("sent_emb", sent_emb, cfg.embedding_dim, "[batch, embedding_dim]")
        check_rank("words_emb", words_emb, 3, "[batch, words, embedding_dim]")
        check_last_dim("words_emb", words_emb, cfg.embedding_dim,
                       "[batch, words, embedding_dim]")
        check_rank("word_mask", word_mask, 2, "[batch, words]")
        if ca_noise is not None:
            check_rank("ca_noise", ca_noise, 2, "[batch, condition_dim]")
            check_last_dim("ca_noise", ca_noise, cfg.condition_dim, "[batch, condition_dim]")
        check_batch(noise=noise, sent_emb=sent_emb, words_emb=words_emb, word_mask=word_mask,
                    ca_noise=ca_noise)

        c_code, mu, logvar = self.ca(sent_emb, ca_noise)
        noise = ops.cast(noise, c_code.dtype)
        h = self.init_stage(ops.concatenate([c_code, noise], axis=-1), training=training)
        per_stage = not cfg.single_image
        images = [self.image_heads[0](h)] if per_stage else []
        attention_maps = []
        for i, stage in enumerate(self.next_stages, start=1):
            h, attention = stage(h, words_emb, word_mask, training=training)
            if per_stage:
                images.append(self.image_heads[i](h))
            attention_maps.append(attention)
        if not per_stage:
            images.append(self.image_heads[-1](h))
        return {
            "images": tuple(images),
            "attention_maps": tuple(attention_maps),
            "c_code": c_code,
            "mu": mu,
            "logvar": logvar,
        }

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}
