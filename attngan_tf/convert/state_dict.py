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
"""

from __future__ import annotations

from typing import Callable, Iterable, Mapping

import numpy as np

from ..models.discriminator import ConvBlock, Discriminator
from ..models.generator import AttnGenerator
from ..models.image_encoder import ImageEncoder
from ..models.inception import BasicConv2d, InceptionV3Trunk
from ..models.text_encoder import TextEncoder

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

class Transform:
    """A layout change from the reference's array to ours, with its inverse."""

    def __init__(self, forward: Callable[[np.ndarray], np.ndarray],
                 inverse: Callable[[np.ndarray], np.ndarray]):
        self.forward = forward
        self.inverse = inverse


Pair = tuple[str, object, Transform]


class StateDictError(ValueError):
    """A state dict does not fit the model (names the offending key)."""


_identity = Transform(lambda w: w, lambda w: w)
# Conv2d (out, in, kh, kw) <-> Keras (kh, kw, in, out).
_conv = Transform(lambda w: np.transpose(w, (2, 3, 1, 0)), lambda w: np.transpose(w, (3, 2, 0, 1)))
# Linear (out, in) <-> Dense (in, out).
_linear = Transform(np.transpose, np.transpose)
# 1x1 Conv2d on word vectors (out, in, 1, 1) <-> Dense (in, out).
_conv1x1_to_dense = Transform(lambda w: np.transpose(w[:, :, 0, 0]),
                              lambda w: np.transpose(w)[:, :, None, None])


def _row_permutation(perm: np.ndarray, then_transpose: bool = False) -> Transform:
    """Ours = reference rows reordered by ``perm`` (optionally then transposed)."""
    inv = np.argsort(perm)
    if then_transpose:
        return Transform(lambda w: np.transpose(w[perm]), lambda w: np.transpose(w)[inv])
    return Transform(lambda w: w[perm], lambda w: w[inv])


def _conv_pairs(prefix: str, layer) -> list[Pair]:
    pairs = [(f"{prefix}.weight", layer.kernel, _conv)]
    if layer.use_bias:
        pairs.append((f"{prefix}.bias", layer.bias, _identity))
    return pairs


def _linear_pairs(prefix: str, layer) -> list[Pair]:
    pairs = [(f"{prefix}.weight", layer.kernel, _linear)]
    if layer.use_bias:
        pairs.append((f"{prefix}.bias", layer.bias, _identity))
    return pairs


def _bn_pairs(prefix: str, bn, transform: Transform = _identity) -> list[Pair]:
    return [
        (f"{prefix}.weight", bn.gamma, transform),
        (f"{prefix}.bias", bn.beta, transform),
        (f"{prefix}.running_mean", bn.moving_mean, transform),
        (f"{prefix}.running_var", bn.moving_variance, transform),
    ]


def _assign(pairs: Iterable[Pair], state: Mapping[str, np.ndarray], module: str) -> None:
    pairs = list(pairs)
    expected = {key for key, _, _ in pairs}
    bn_prefixes = {key.rsplit(".", 1)[0] for key in expected if key.endswith(".running_mean")}
    ignorable = {f"{p}.num_batches_tracked" for p in bn_prefixes}
    unexpected = sorted(k for k in state if k not in expected and k not in ignorable)
    if unexpected:
        raise StateDictError(
            f"{module}: unexpected key {unexpected[0]!r}"
            + (f" (and {len(unexpected) - 1} more)" if len(unexpected) > 1 else ""))
    missing = [k for k, _, _ in pairs if k not in state]
    if missing:
        raise StateDictError(
            f"{module}: missing key {missing[0]!r}"
            + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""))
    values = []
    for key, variable, transform in pairs:
        value = transform.forward(np.asarray(state[key], dtype=np.float32))
        if tuple(value.shape) != tuple(variable.shape):
            raise StateDictError(
                f"{module}: key {key!r} has shape {tuple(np.shape(state[key]))}, which does not "
                f"fit {variable.path} of shape {tuple(variable.shape)}")
        values.append(value)
    for (_, variable, _), value in zip(pairs, values):
        variable.assign(value)


# ---------------------------------------------------------------------------
# Text encoder (RNN_ENCODER)


def text_encoder_pairs(model: TextEncoder) -> list[Pair]:
    pairs: list[Pair] = [("encoder.weight", model.embedding.embeddings, _identity)]
    for rnn, suffix in ((model.forward_rnn, ""), (model.backward_rnn, "_reverse")):
        cell = rnn.cell
        pairs += [
            (f"rnn.weight_ih_l0{suffix}", cell.kernel, _linear),
            (f"rnn.weight_hh_l0{suffix}", cell.recurrent_kernel, _linear),
            (f"rnn.bias_ih_l0{suffix}", cell.input_bias, _identity),
            (f"rnn.bias_hh_l0{suffix}", cell.recurrent_bias, _identity),
        ]
    return pairs


# ---------------------------------------------------------------------------
# Image encoder (CNN_ENCODER: torchvision Inception-v3 + two embedding heads)


def _basic_conv_pairs(prefix: str, layer: BasicConv2d) -> list[Pair]:
    return _conv_pairs(f"{prefix}.conv", layer.conv) + _bn_pairs(f"{prefix}.bn", layer.bn)


def inception_pairs(trunk: InceptionV3Trunk) -> list[Pair]:
    pairs: list[Pair] = []
    for layer in trunk.stem:
        pairs += _basic_conv_pairs(layer.name, layer)
    for block in (*trunk.mixed_6, *trunk.mixed_7):
        for name, layer in block.convs.items():
            pairs += _basic_conv_pairs(f"{block.name}.{name}", layer)
    return pairs


def image_encoder_pairs(model: ImageEncoder) -> list[Pair]:
    return (inception_pairs(model.trunk)
            + _conv_pairs("emb_features", model.region_projection)
            + _linear_pairs("emb_cnn_code", model.code_projection))


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
    return _conv_pairs(f"{prefix}.1", block.conv) + _bn_pairs(f"{prefix}.2", block.bn)


def generator_pairs(model: AttnGenerator) -> list[Pair]:
    cfg = model.config
    perm = _init_fc_permutation(cfg.gf_dim)
    init = model.init_stage
    pairs: list[Pair] = _linear_pairs("ca_net.fc", model.ca.fc)
    pairs.append(("h_net1.fc.0.weight", init.fc.kernel, _row_permutation(perm, True)))
    pairs += _bn_pairs("h_net1.fc.1", init.fc_bn, _row_permutation(perm))
    for k, block in enumerate(init.upsample, start=1):
        pairs += _upblock_pairs(f"h_net1.upsample{k}", block)
    for i, stage in enumerate(model.next_stages, start=2):
        prefix = f"h_net{i}"
        pairs.append((f"{prefix}.att.conv_context.weight",
                      stage.attention.word_projection.kernel, _conv1x1_to_dense))
        for r, block in enumerate(stage.residual):
            pairs += _conv_pairs(f"{prefix}.residual.{r}.block.0", block.conv1)
            pairs += _bn_pairs(f"{prefix}.residual.{r}.block.1", block.bn1)
            pairs += _conv_pairs(f"{prefix}.residual.{r}.block.3", block.conv2)
            pairs += _bn_pairs(f"{prefix}.residual.{r}.block.4", block.bn2)
        pairs += _upblock_pairs(f"{prefix}.upsample", stage.upsample)
    if cfg.single_image:  # G_DCGAN: one image head, img_net
        pairs += _conv_pairs("img_net.img.0", model.image_heads[0])
    else:
        for i, head in enumerate(model.image_heads, start=1):
            pairs += _conv_pairs(f"img_net{i}.img.0", head)
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
    pairs = _conv_pairs(conv_key, block.conv)
    if block.bn is not None:
        if bn_key is None:
            raise StateDictError(f"block {block.name} has BatchNorm but the reference has none")
        pairs += _bn_pairs(bn_key, block.bn)
    return pairs


def discriminator_pairs(model: Discriminator) -> list[Pair]:
    names = _reference_trunk_names(model.stage)
    pairs: list[Pair] = []
    for block in model.trunk:
        conv_key, bn_key = names[block.name]
        pairs += _conv_block_pairs(conv_key, bn_key, block)
    if model.uncond_head is not None:  # b_jcu=False (AttnDCGAN): no UNCOND_DNET
        pairs += _conv_pairs("UNCOND_DNET.outlogits.0", model.uncond_head.logits)
    pairs += _conv_block_pairs("COND_DNET.jointConv.0", "COND_DNET.jointConv.1",
                               model.cond_head.joint)
    pairs += _conv_pairs("COND_DNET.outlogits.0", model.cond_head.logits)
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
            _ensure_built(model)
            return pairs(model)
    raise TypeError(f"unsupported model type {type(model).__name__}")


def export_state_dict(model) -> dict[str, np.ndarray]:
    """The reference's state dict (names and PyTorch layouts) of one of our models.

    The inverse of the ``load_*`` functions: loading the result back gives the
    same weights. BatchNorm ``num_batches_tracked`` is not written.
    """
    return {key: np.ascontiguousarray(transform.inverse(np.asarray(variable)))
            for key, variable, transform in _pairs_for(model)}


def _ensure_built(model) -> None:
    if not model.built:
        model.build()


def load_text_encoder(model: TextEncoder, state, module: str = "text_encoder") -> None:
    """Loads an ``RNN_ENCODER`` state dict (LSTM variant) into ``model``."""
    _ensure_built(model)
    _assign(text_encoder_pairs(model), state, module)


def load_image_encoder(model: ImageEncoder, state, module: str = "image_encoder") -> None:
    """Loads a ``CNN_ENCODER`` state dict into ``model``."""
    _ensure_built(model)
    _assign(image_encoder_pairs(model), state, module)


def load_inception_trunk(trunk: InceptionV3Trunk, state, module: str = "inception") -> None:
    """Loads a torchvision Inception-v3 trunk state dict (no classifier keys)."""
    _ensure_built(trunk)
    _assign(inception_pairs(trunk), state, module)


def load_generator(model: AttnGenerator, state, module: str = "netG") -> None:
    """Loads a ``G_NET`` (or, for ``single_image``, a ``G_DCGAN``) state dict into ``model``."""
    _ensure_built(model)
    _assign(generator_pairs(model), state, module)


def load_discriminator(model: Discriminator, state, module: str | None = None) -> None:
    """Loads a ``D_NET64/128/256`` state dict into ``model`` (its ``stage``; without
    ``UNCOND_DNET`` keys for a discriminator built with ``unconditional=False``)."""
    _ensure_built(model)
    _assign(discriminator_pairs(model), state, module or f"netD{model.stage}")


def load_state_dict(model, state: Mapping[str, np.ndarray], module: str | None = None) -> None:
    """Loads a reference state dict into any of our models, chosen by type."""
    if module is None:
        module = f"netD{model.stage}" if isinstance(model, Discriminator) else type(model).__name__
    _assign(_pairs_for(model), state, module)
