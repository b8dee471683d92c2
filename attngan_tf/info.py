"""Builds every network of a configuration and counts its parameters."""

from __future__ import annotations

import dataclasses

import keras

from .config import AttnGANConfig
from .models import AttnGenerator, ImageEncoder, TextEncoder, build_discriminators

#: Variables that are state, not parameters (PyTorch "buffers").
_BUFFER_SUFFIXES = ("moving_mean", "moving_variance")


def _is_parameter(variable) -> bool:
    dtype = keras.backend.standardize_dtype(variable.dtype)
    return "float" in dtype and not variable.path.endswith(_BUFFER_SUFFIXES)


def parameter_count(model: keras.layers.Layer) -> tuple[int, int]:
    """``(total, trainable)`` parameter counts, as PyTorch counts them.

    BatchNorm moving statistics and random-seed state are buffers, not
    parameters, so they are left out (``model.count_params()`` includes them).
    """
    total = trainable = 0
    trainable_ids = {id(v) for v in model.trainable_variables}
    for variable in model.variables:
        if not _is_parameter(variable):
            continue
        size = 1
        for dim in variable.shape:
            size *= int(dim)
        total += size
        if id(variable) in trainable_ids:
            trainable += size
    return total, trainable


@dataclasses.dataclass(frozen=True)
class NetworkInfo:
    name: str
    parameters: int
    trainable: int
    summary: str

    def line(self) -> str:
        frozen = "" if self.trainable == self.parameters else f" ({self.trainable:,} trainable)"
        return f"{self.name:<22s} {self.parameters:>12,d}{frozen}  {self.summary}"


def build_networks(config: AttnGANConfig) -> dict[str, keras.Model]:
    """Builds (with weights) the text/image encoders, generator and discriminators."""
    nets: dict[str, keras.Model] = {
        "text_encoder": TextEncoder(config.text, name="text_encoder"),
        "image_encoder": ImageEncoder(config.image_encoder, _report_init=False,
                                      name="image_encoder"),
        "generator": AttnGenerator(config.generator, name="generator"),
    }
    for disc in build_discriminators(config.discriminator):
        nets[disc.name] = disc
    for net in nets.values():
        net.build()
    return nets


def describe(config: AttnGANConfig) -> list[NetworkInfo]:
    """One :class:`NetworkInfo` per network of ``config``."""
    text, image, gen = config.text, config.image_encoder, config.generator
    disc = config.discriminator
    nets = build_networks(config)
    summaries = {
        "text_encoder": (f"embedding {text.vocab_size}x{text.word_dim} -> bi-LSTM "
                         f"2x{text.embedding_dim // 2}; words_emb [B,{text.words_num},"
                         f"{text.embedding_dim}], sent_emb [B,{text.embedding_dim}]"),
        "image_encoder": (
            (f"Inception-v3 ({'trained' if image.train_trunk else 'frozen'}) at "
             f"{image.image_size}px -> region_features [B,17,17,{image.embedding_dim}]")
            if image.trunk == "inception_v3" else
            (f"CNN (width {image.trunk_width}) at {image.image_size}px -> region_features "
             f"[B,{image.image_size // 8},{image.image_size // 8},{image.embedding_dim}]"))
        + f", cnn_code [B,{image.embedding_dim}]",
        "generator": (f"CA {gen.condition_dim} + z {gen.z_dim} -> stages "
                      f"{'/'.join(str(s) for s in gen.image_sizes)}px, gf_dim {gen.gf_dim}, "
                      f"{gen.r_num} res-blocks/stage, word attention"
                      + (", one image (AttnDCGAN)" if gen.single_image else "")),
    }
    heads = "cond + uncond logits" if disc.unconditional else "cond logits"
    for i, size in enumerate(gen.output_sizes):
        summaries[f"discriminator{i}"] = (
            f"{size}px image -> [B,4,4,{8 * disc.df_dim}] code -> {heads} "
            f"(df_dim {disc.df_dim})")
    return [NetworkInfo(name, *parameter_count(net), summaries[name])
            for name, net in nets.items()]
