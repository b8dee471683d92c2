"""Losses of AttnGAN: DAMSM word and sentence matching, generator, discriminator, KL.

Conventions: channels-last tensors; discriminator outputs are *logits* (the
reference applies a sigmoid and uses ``BCELoss``; binary cross-entropy on
logits is the same function, computed stably). All losses are computed in
float32 and averaged over the batch, as the reference's ``nn.BCELoss`` /
``nn.CrossEntropyLoss``. Matching losses take the config's γ1, γ2, γ3.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import keras
from keras import ops

from .config import LossConfig

__all__ = [
    "bce_with_logits",
    "matching_cross_entropy",
    "sentence_loss",
    "words_loss",
    "kl_loss",
    "discriminator_loss",
    "generator_loss",
]

_EPS = 1e-8
#: Score given to excluded entries (same-class pairs, padded words); exp() of
#: it is exactly 0 in float32.
_EXCLUDED = -1e9


def _f32(x):
    """``x`` in float32, or in float64 under a float64 dtype policy (float64
    training, parity checks): the losses' precision follows the policy, not
    the inputs, so mixed float32/float64 inputs still meet in one dtype."""
    policy = keras.config.dtype_policy().compute_dtype
    return ops.cast(x, "float64" if policy == "float64" else "float32")


def bce_with_logits(logits, label: float):
    """Mean binary cross-entropy of ``sigmoid(logits)`` against a constant label."""
    logits = _f32(logits)
    target = ops.full_like(logits, label)
    return ops.mean(ops.binary_crossentropy(target, logits, from_logits=True))


def _same_class_mask(class_ids, batch):
    """``[B, B]`` bool: True where j ≠ i but class_ids[j] == class_ids[i]."""
    class_ids = ops.reshape(class_ids, (-1,))
    same = ops.equal(class_ids[:, None], class_ids[None, :])
    return ops.logical_and(same, ops.logical_not(ops.eye(batch, dtype="bool")))


def matching_cross_entropy(scores, class_ids=None):
    """Cross-entropy of matching scores in both directions.

    Args:
        scores: ``[B, B]``; ``scores[j, i]`` = match of image j and caption i.
        class_ids: optional ``[B]``; other samples of the same class are
            excluded from the softmax (the reference's ``masked_fill(-inf)``).

    Returns:
        ``(loss0, loss1)``: mean CE of each image over the captions (rows),
        and of each caption over the images (columns); the label of row/column
        ``i`` is ``i``.
    """
    batch = ops.shape(scores)[0]
    if class_ids is not None:
        scores = ops.where(_same_class_mask(class_ids, batch), _EXCLUDED, scores)
    loss0 = -ops.mean(ops.diagonal(ops.log_softmax(scores, axis=1)))
    loss1 = -ops.mean(ops.diagonal(ops.log_softmax(scores, axis=0)))
    return loss0, loss1


def _cosine(a, b, axis=-1):
    """Cosine similarity with the norm product clamped at 1e-8 (as the reference)."""
    dot = ops.sum(a * b, axis=axis)
    norms = ops.norm(a, axis=axis) * ops.norm(b, axis=axis)
    return dot / ops.maximum(norms, _EPS)


def sentence_loss(cnn_code, sent_emb, class_ids=None, config: LossConfig = LossConfig()):
    """DAMSM sentence loss (paper Eq. 11–13 on global features).

    Args:
        cnn_code: ``[B, D]`` global image features.
        sent_emb: ``[B, D]`` sentence features.
        class_ids: optional ``[B]`` class of each pair (same-class masking).
        config: γ3 scales the cosine similarities.

    Returns:
        ``(loss0, loss1)``, image→caption and caption→image.
    """
    cnn_code, sent_emb = _f32(cnn_code), _f32(sent_emb)
    scores = ops.matmul(cnn_code, ops.transpose(sent_emb))
    norms = ops.norm(cnn_code, axis=1)[:, None] * ops.norm(sent_emb, axis=1)[None, :]
    scores = scores / ops.maximum(norms, _EPS) * config.gamma3
    return matching_cross_entropy(scores, class_ids)


def word_region_attention(region_features, words_emb, word_mask, gamma1: float):
    """Attention of every caption's words over every image's regions.

    Args:
        region_features: ``[Bj, H, W, D]`` local image features.
        words_emb: ``[Bi, T, D]`` word features.
        word_mask: ``[Bi, T]`` bool, True at real words.
        gamma1: sharpness of the softmax over regions (Eq. 9).

    Returns:
        context: ``[Bj, Bi, T, D]`` region context of each word (Eq. 9).
        alpha: ``[Bj, Bi, H·W, T]`` attention over regions of each word.
    """
    batch_j = ops.shape(region_features)[0]
    dim = region_features.shape[-1]
    regions = ops.reshape(_f32(region_features), (batch_j, -1, dim))  # [Bj, R, D]
    words = _f32(words_emb)
    scores = ops.einsum("jrd,itd->jirt", regions, words)  # [Bj, Bi, R, T]
    valid = ops.cast(word_mask, "bool")[None, :, None, :]
    # Eq. 8: normalise over the caption's real words (padding never competes).
    scores = ops.where(valid, scores, _EXCLUDED)
    word_weights = ops.softmax(scores, axis=-1)
    # Eq. 9: sharpen with gamma1, normalise over the regions.
    alpha = ops.softmax(gamma1 * word_weights, axis=2)
    context = ops.einsum("jirt,jrd->jitd", alpha, regions)
    return context, alpha


def words_loss(region_features, words_emb, word_mask, class_ids=None,
               config: LossConfig = LossConfig()):
    """DAMSM word loss (paper Eq. 8–13), vectorised over all image–caption pairs.

    For caption i and image j, each real word attends over the regions of j;
    the relevance of the word is the cosine of the word and its region context,
    and ``R(j, i) = log Σ_t exp(γ2 · cos_t)`` over the real words.

    Args:
        region_features: ``[B, H, W, D]`` (17×17 Inception regions).
        words_emb: ``[B, T, D]``.
        word_mask: ``[B, T]`` bool, True at real words (≥ 1 per caption).
        class_ids: optional ``[B]`` (same-class masking).
        config: γ1, γ2, γ3.

    Returns:
        ``(loss0, loss1, attention)``: image→caption and caption→image losses,
        and ``attention [B, H, W, T]``, the region attention of each caption's
        words over its own image (0 at padded words).
    """
    context, alpha = word_region_attention(region_features, words_emb, word_mask,
                                           config.gamma1)
    words = _f32(words_emb)[None]  # [1, Bi, T, D]
    cosine = _cosine(words, context)  # [Bj, Bi, T]
    valid = ops.cast(word_mask, "bool")[None]
    relevance = ops.where(valid, config.gamma2 * cosine, _EXCLUDED)
    similarity = ops.logsumexp(relevance, axis=-1) * config.gamma3  # [Bj, Bi]
    loss0, loss1 = matching_cross_entropy(similarity, class_ids)

    own = ops.transpose(ops.diagonal(alpha, axis1=0, axis2=1), (2, 0, 1))  # [B, R, T]
    own = own * ops.cast(word_mask, own.dtype)[:, None, :]
    height, width = region_features.shape[1], region_features.shape[2]
    attention = ops.reshape(own, (-1, height, width, ops.shape(own)[-1]))
    return loss0, loss1, attention


def kl_loss(mu, logvar):
    """KL(N(mu, exp(logvar)) ‖ N(0, I)), averaged over all elements (not summed)."""
    mu, logvar = _f32(mu), _f32(logvar)
    return ops.mean(-0.5 * (1.0 + logvar - ops.square(mu) - ops.exp(logvar)))


def discriminator_loss(real: Mapping, fake: Mapping, wrong_cond_logits):
    """Discriminator loss of one scale (the reference's ``discriminator_loss``).

    Args:
        real: discriminator outputs on real images with their captions
            (``uncond_logits``, ``cond_logits``, each ``[B]``).
        fake: the same on generated images with the same captions.
        wrong_cond_logits: ``[B-1]`` conditional logits of real images
            ``0..B-2`` with the captions of samples ``1..B-1`` (mismatched).

    Returns:
        ``(real_u + real_c) / 2 + (fake_u + fake_c + wrong_c) / 3``; without
        ``uncond_logits`` (a discriminator without the unconditional head, the
        reference's ``b_jcu=False``): ``real_c + (fake_c + wrong_c) / 2``.
    """
    if "uncond_logits" not in real:
        return bce_with_logits(real["cond_logits"], 1.0) + (
            bce_with_logits(fake["cond_logits"], 0.0)
            + bce_with_logits(wrong_cond_logits, 0.0)) / 2.0
    real_term = bce_with_logits(real["uncond_logits"], 1.0) + bce_with_logits(
        real["cond_logits"], 1.0)
    fake_term = (bce_with_logits(fake["uncond_logits"], 0.0)
                 + bce_with_logits(fake["cond_logits"], 0.0)
                 + bce_with_logits(wrong_cond_logits, 0.0))
    return real_term / 2.0 + fake_term / 3.0


def generator_loss(fake_outputs: Sequence[Mapping], region_features, cnn_code, words_emb,
                   sent_emb, word_mask, class_ids=None, config: LossConfig = LossConfig()):
    """Generator loss without KL (the reference's ``generator_loss``).

    Args:
        fake_outputs: per stage, the discriminator outputs on the generated
            images with the real captions (``uncond_logits``, ``cond_logits``).
        region_features, cnn_code: image-encoder features of the last stage's
            images.
        words_emb, sent_emb, word_mask: text features of the captions.
        class_ids: optional ``[B]`` for same-class masking.
        config: γ's and λ.

    Returns a dict: ``total`` = Σ stages (BCE(uncond, 1) + BCE(cond, 1)) (the
    unconditional term only where the discriminator has that head) +
    λ·(words_loss0 + words_loss1 + sent_loss0 + sent_loss1); also the parts:
    ``adversarial``, ``stage_losses`` (tuple), ``words_loss0``, ``words_loss1``,
    ``sent_loss0``, ``sent_loss1``, ``damsm`` (λ-weighted sum).
    """
    stage_losses = tuple(
        bce_with_logits(out["uncond_logits"], 1.0) + bce_with_logits(out["cond_logits"], 1.0)
        if "uncond_logits" in out else bce_with_logits(out["cond_logits"], 1.0)
        for out in fake_outputs)
    adversarial = ops.sum(ops.stack(stage_losses))
    w0, w1, _ = words_loss(region_features, words_emb, word_mask, class_ids, config)
    s0, s1 = sentence_loss(cnn_code, sent_emb, class_ids, config)
    damsm = config.damsm_lambda * (w0 + w1 + s0 + s1)
    return {
        "total": adversarial + damsm,
        "adversarial": adversarial,
        "stage_losses": stage_losses,
        "words_loss0": w0,
        "words_loss1": w1,
        "sent_loss0": s0,
        "sent_loss1": s1,
        "damsm": damsm,
    }
