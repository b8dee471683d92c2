"""Word attention of the generator's refinement stages (the paper's F^attn)."""

from __future__ import annotations

import keras
from keras import ops

from ..config import GeneratorConfig
from ..configurable import PACKAGE, ConfigLayer
from .blocks import dense

#: Added to the scores of masked words; exp() of it underflows to exactly 0.
_MASKED_SCORE = -1e9


@keras.saving.register_keras_serializable(package=PACKAGE)
class WordAttention(ConfigLayer):
    """Attends from every image pixel to the caption's words.

    The words are projected to the image feature size (a bias-free 1×1 conv,
    here a ``Dense`` on the channel axis), each pixel scores every word by a
    dot product, padded words are masked out, and a softmax over the words
    gives the attention map. The word-context feature of a pixel is the
    attention-weighted sum of the projected words.

    With ``config.reference_mask_quirk`` the padding mask is tiled as the
    original code did, so pixel ``p`` of sample ``b`` uses the mask of sample
    ``(b·H·W + p) mod B``; only for reproducing models trained that way.

    Call: ``context, attention = layer(h_code, words_emb, word_mask)``

    Args (call):
        h_code: ``[B, H, W, gf_dim]`` image features (the query).
        words_emb: ``[B, T, embedding_dim]`` word features.
        word_mask: ``[B, T]`` bool, True at real words, False at padding. Every
            caption needs at least one real word.

    Returns:
        context: ``[B, H, W, gf_dim]`` word-context features.
        attention: ``[B, H, W, T]`` weights over the words at every pixel; they
            sum to 1 over the real words and are 0 on masked words.
    """

    config_class = GeneratorConfig

    def __init__(self, config: GeneratorConfig, **kwargs):
        super().__init__(config, **kwargs)
        self.word_projection = dense(self.config.gf_dim, "word_projection")

    def build(self, input_shape=None):
        self.word_projection.build((None, None, self.config.embedding_dim))

    def call(self, h_code, words_emb, word_mask):
        batch = ops.shape(h_code)[0]
        height, width, channels = h_code.shape[1], h_code.shape[2], h_code.shape[3]
        pixels = height * width
        source = self.word_projection(words_emb)  # [B, T, C]
        query = ops.reshape(h_code, (batch, pixels, channels))
        scores = ops.einsum("bpc,btc->bpt", query, source)  # [B, HW, T]

        word_mask = ops.cast(word_mask, "bool")
        if self.config.reference_mask_quirk:
            rows = (ops.arange(batch)[:, None] * pixels + ops.arange(pixels)[None, :]) % batch
            mask = ops.take(word_mask, rows, axis=0)  # [B, HW, T]
        else:
            mask = word_mask[:, None, :]  # [B, 1, T]
        scores = ops.where(mask, scores, ops.cast(_MASKED_SCORE, scores.dtype))
        attention = ops.softmax(scores, axis=-1)

        context = ops.einsum("bpt,btc->bpc", attention, source)
        context = ops.reshape(context, (batch, height, width, channels))
        attention = ops.reshape(attention, (batch, height, width, ops.shape(words_emb)[1]))
        return context, attention
