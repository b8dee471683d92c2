"""Loads PyTorch state dicts of the original AttnGAN onto our Keras models.

The original code (``code/model.py``) names its modules ``RNN_ENCODER``,
``CNN_ENCODER``, ``G_NET`` (``G_DCGAN`` for AttnDCGAN) and ``D_NET64/128/256``; a state dict maps their
parameter names to arrays in PyTorch layouts. Each ``*_pairs`` function below
lists, explicitly, every reference name a model has, the Keras variable it
fills and the layout change:

* Conv2d ``(out, in, kh, kw)`` → Keras ``(kh, kw, in, out)``;
* Linear ``(out, in)`` → Dense ``(in, out)``; a 1×1 conv applied to word
  vectors → Dense;
* LSTM ``weight_ih``/``weight_hh`` ``(4H, ·)`` → transposed, gate order i, f, g, o
  in both; both biases kept;
* BatchNorm ``weight, bias, running_mean, running_var`` → ``gamma, beta,
  moving_mean, moving_variance`` (``num_batches_tracked`` ignored);
* the generator's first Linear/BatchNorm1d rows are reordered from
  ``(channel, y, x)`` to ``(y, x, channel)`` so the 4×4 reshape is channels-last.

A key the model does not have, a key it needs that is missing, or an array of
the wrong shape raises :class:`StateDictError` naming the key.

The layouts and the checked assignment are :mod:`attngan_tf.torch_layout`; the
Inception-v3 trunk's pairs (torchvision's names) are
:func:`attngan_tf.models.inception.inception_pairs`, which the image encoder
also uses to load local trunk weights.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from ..models.discriminator import ConvBlock, Discriminator
from ..models.generator import AttnGenerator
from ..models.image_encoder import ImageEncoder
from ..models.inception import InceptionV3Trunk, inception_pairs, load_inception_trunk
from ..models.text_encoder import TextEncoder
from ..torch_layout import (CONV1X1_TO_DENSE, IDENTITY, LINEAR, Pair, StateDictError, assign,
                            bn_pairs, conv_pairs, ensure_built, linear_pairs, row_permutation)

__all__ = [
    "StateDictError",
    "load_text_encoder",
    "load_image_encoder",
    "load_inception_trunk",
    "load_generator",
    "load_discriminator",
    "load_state_dict",
    "export_state_dict",
]


# ---------------------------------------------------------------------------
# Text encoder (RNN_ENCODER)


def text_encoder_pairs(model: TextEncoder) -> list[Pair]:
    pairs: list[Pair] = [("encoder.weight", model.embedding.embeddings, IDENTITY)]
    for rnn, suffix in ((model.forward_rnn, ""), (model.backward_rnn, "_reverse")):
        cell = rnn.cell
        pairs += [
            (f"rnn.weight_ih_l0{suffix}", cell.kernel, LINEAR),
            (f"rnn.weight_hh_l0{suffix}", cell.recurrent_kernel, LINEAR),
            (f"rnn.bias_ih_l0{suffix}", cell.input_bias, IDENTITY),
            (f"rnn.bias_hh_l0{suffix}", cell.recurrent_bias, IDENTITY),
        ]
    return pairs


# ---------------------------------------------------------------------------
# Image encoder (CNN_ENCODER: torchvision Inception-v3 + two embedding heads)


def image_encoder_pairs(model: ImageEncoder) -> list[Pair]:
    return (inception_pairs(model.trunk)
            + conv_pairs("emb_features", model.region_projection)
            + linear_pairs("emb_cnn_code", model.code_projection))


# ---------------------------------------------------------------------------
# Generator (G_NET)


def _init_fc_permutation(gf_dim: int) -> np.ndarray:
    """Row ``j`` of our first dense layer = row ``perm[j]`` of the reference's.

    Each GLU half has ``16·gf_dim·16`` rows; the reference orders a half as
    ``(channel, y, x)``, ours as ``(y, x, channel)``.
    """
    channels = 16 * gf_dim
    half = channels * 16
    ours = np.arange(half)
    spatial, channel = ours // channels, ours % channels
    within = channel * 16 + spatial
    return np.concatenate([within, half + within])


def _upblock_pairs(prefix: str, block) -> list[Pair]:
    return conv_pairs(f"{prefix}.1", block.conv) + bn_pairs(f"{prefix}.2", block.bn)


def generator_pairs(model: AttnGenerator) -> list[Pair]:
    cfg = model.config
    perm = _init_fc_permutation(cfg.gf_dim)
    init = model.init_stage
    pairs: list[Pair] = linear_pairs("ca_net.fc", model.ca.fc)
    pairs.append(("h_net1.fc.0.weight", init.fc.kernel, row_permutation(perm, True)))
    pairs += bn_pairs("h_net1.fc.1", init.fc_bn, row_permutation(perm))
    for k, block in enumerate(init.upsample, start=1):
        pairs += _upblock_pairs(f"h_net1.upsample{k}", block)
    for i, stage in enumerate(model.next_stages, start=2):
        prefix = f"h_net{i}"
        pairs.append((f"{prefix}.att.conv_context.weight",
                      stage.attention.word_projection.kernel, CONV1X1_TO_DENSE))
        for r, block in enumerate(stage.residual):
            pairs += conv_pairs(f"{prefix}.residual.{r}.block.0", block.conv1)
            pairs += bn_pairs(f"{prefix}.residual.{r}.block.1", block.bn1)
            pairs += conv_pairs(f"{prefix}.residual.{r}.block.3", block.conv2)
            pairs += bn_pairs(f"{prefix}.residual.{r}.block.4", block.bn2)
        pairs += _upblock_pairs(f"{prefix}.upsample", stage.upsample)
    if cfg.single_image:  # G_DCGAN: one image head, img_net
        pairs += conv_pairs("img_net.img.0", model.image_heads[0])
    else:
        for i, head in enumerate(model.image_heads, start=1):
            pairs += conv_pairs(f"img_net{i}.img.0", head)
    return pairs


# ---------------------------------------------------------------------------
# Discriminators (D_NET64, D_NET128, D_NET256)


def _reference_trunk_names(stage: int) -> dict[str, tuple[str, str | None]]:
    """Our trunk block name → (reference conv key prefix, BN key prefix or None)."""
    names = {
        "encode0": ("img_code_s16.0", None),
        "encode1": ("img_code_s16.2", "img_code_s16.3"),
        "encode2": ("img_code_s16.5", "img_code_s16.6"),
        "encode3": ("img_code_s16.8", "img_code_s16.9"),
    }
    if stage == 1:
        names["down0"] = ("img_code_s32.0", "img_code_s32.1")
        names["reduce0"] = ("img_code_s32_1.0", "img_code_s32_1.1")
    elif stage == 2:
        names["down0"] = ("img_code_s32.0", "img_code_s32.1")
        names["down1"] = ("img_code_s64.0", "img_code_s64.1")
        names["reduce0"] = ("img_code_s64_1.0", "img_code_s64_1.1")
        names["reduce1"] = ("img_code_s64_2.0", "img_code_s64_2.1")
    return names


def _conv_block_pairs(conv_key: str, bn_key: str | None, block: ConvBlock) -> list[Pair]:
    pairs = conv_pairs(conv_key, block.conv)
    if block.bn is not None:
        if bn_key is None:
            raise StateDictError(f"block {block.name} has BatchNorm but the reference has none")
        pairs += bn_pairs(bn_key, block.bn)
    return pairs


def discriminator_pairs(model: Discriminator) -> list[Pair]:
    names = _reference_trunk_names(model.stage)
    pairs: list[Pair] = []
    for block in model.trunk:
        conv_key, bn_key = names[block.name]
        pairs += _conv_block_pairs(conv_key, bn_key, block)
    if model.uncond_head is not None:  # b_jcu=False (AttnDCGAN): no UNCOND_DNET
        pairs += conv_pairs("UNCOND_DNET.outlogits.0", model.uncond_head.logits)
    pairs += _conv_block_pairs("COND_DNET.jointConv.0", "COND_DNET.jointConv.1",
                               model.cond_head.joint)
    pairs += conv_pairs("COND_DNET.outlogits.0", model.cond_head.logits)
    return pairs


# ---------------------------------------------------------------------------
# Public entry points

_PAIRS = (
    ("TextEncoder", TextEncoder, text_encoder_pairs),
    ("ImageEncoder", ImageEncoder, image_encoder_pairs),
    ("AttnGenerator", AttnGenerator, generator_pairs),
    ("Discriminator", Discriminator, discriminator_pairs),
    ("InceptionV3Trunk", InceptionV3Trunk, inception_pairs),
)


def _pairs_for(model) -> list[Pair]:
    for _, cls, pairs in _PAIRS:
        if isinstance(model, cls):
            ensure_built(model)
            return pairs(model)
    raise TypeError(f"unsupported model type {type(model).__name__}")


def export_state_dict(model) -> dict[str, np.ndarray]:
    """The reference's state dict (names and PyTorch layouts) of one of our models.

    The inverse of the ``load_*`` functions: loading the result back gives the
    same weights. BatchNorm ``num_batches_tracked`` is not written.
    """
    return {key: np.ascontiguousarray(transform.inverse(np.asarray(variable)))
            for key, variable, transform in _pairs_for(model)}


def load_text_encoder(model: TextEncoder, state, module: str = "text_encoder") -> None:
    """Loads an ``RNN_ENCODER`` state dict (LSTM variant) into ``model``."""
    ensure_built(model)
    assign(text_encoder_pairs(model), state, module)


def load_image_encoder(model: ImageEncoder, state, module: str = "image_encoder") -> None:
    """Loads a ``CNN_ENCODER`` state dict into ``model``."""
    ensure_built(model)
    assign(image_encoder_pairs(model), state, module)


def load_generator(model: AttnGenerator, state, module: str = "netG") -> None:
    """Loads a ``G_NET`` (or, for ``single_image``, a ``G_DCGAN``) state dict into ``model``."""
    ensure_built(model)
    assign(generator_pairs(model), state, module)


def load_discriminator(model: Discriminator, state, module: str | None = None) -> None:
    """Loads a ``D_NET64/128/256`` state dict into ``model`` (its ``stage``; without
    ``UNCOND_DNET`` keys for a discriminator built with ``unconditional=False``)."""
    ensure_built(model)
    assign(discriminator_pairs(model), state, module or f"netD{model.stage}")


def load_state_dict(model, state: Mapping[str, np.ndarray], module: str | None = None) -> None:
    """Loads a reference state dict into any of our models, chosen by type."""
    if module is None:
        module = f"netD{model.stage}" if isinstance(model, Discriminator) else type(model).__name__
    assign(_pairs_for(model), state, module)
