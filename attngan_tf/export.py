"""SavedModel export for TF Serving: raw caption strings in, images out.

:func:`export_saved_model` writes ``OUT/<version>/`` (the layout TF Serving
watches) through ``keras.export.ExportArchive``, with the tokenizer, the
vocabulary (a lookup table), the text encoder and the averaged generator in
the graph -- only core TensorFlow ops, so a stock TF Serving binary and a plain
``tf.saved_model.load`` (without this package or tensorflow-text) run it.

Signatures (TF Serving allows no optional inputs, so the seed has its own):

``serving_default``
    ``captions``: ``tf.string [None]``. Each caption's noise comes from a
    fingerprint of its text, so a caption always gives the same picture.
``generate_with_seed``
    ``captions``: ``tf.string [None]``, ``seed``: ``tf.int64 [None]`` (one per
    caption): the picture :meth:`AttnGAN.generate` gives for that caption and seed.

Outputs of both: ``images`` (uint8 ``[None, S, S, 3]``, the last stage; S =
256 with three stages), ``images_stage1``/``images_stage2`` (uint8, the lower
stages), ``attention_stage2``/``attention_stage3`` (float32 ``[None, s, s, T]``,
the word attention of each refinement stage), ``token_ids`` (int32
``[None, T]``) and ``lengths`` (int32 ``[None]``, known words per caption).

Odd input never fails: an empty caption or one without known words is
generated from an empty sentence and reports length 0; words beyond ``T`` are
dropped; bytes that are not UTF-8 become separators; a batch of 0 returns
empty outputs.
"""

from __future__ import annotations

import os
import pathlib

import keras
import tensorflow as tf

from .text.tokenizer import CaptionTokenizer

__all__ = ["export_saved_model", "SIGNATURES"]

SIGNATURES = ("serving_default", "generate_with_seed")


def _uint8(images):
    return tf.cast(tf.clip_by_value(tf.round((images + 1.0) * 127.5), 0.0, 255.0), tf.uint8)


def _noise(seeds, dim: int, salt: int):
    salt = tf.constant(salt, tf.int64)
    return tf.map_fn(lambda s: tf.random.stateless_normal([dim], seed=tf.stack([s, salt])),
                     seeds, fn_output_signature=tf.TensorSpec([dim], tf.float32))


def export_saved_model(model, out: str | os.PathLike, version: int | None = None) -> pathlib.Path:
    """Writes the serving SavedModel of ``model`` (with its vocabulary) to ``out/<version>``.

    Args:
        model: an :class:`~attngan_tf.models.AttnGAN` with a vocabulary
            (e.g. from :func:`~attngan_tf.models.load_attngan`).
        out: the model's base directory (``saved_models/NAME``).
        version: the version directory (default: one more than the highest
            existing one, starting at 1).

    Returns the version directory.
    """
    if getattr(model, "vocabulary", None) is None:
        raise ValueError("model: no vocabulary attached (load it with load_attngan)")
    out = pathlib.Path(out)
    if version is None:
        existing = [int(p.name) for p in out.glob("*") if p.is_dir() and p.name.isdigit()]
        version = max(existing, default=0) + 1
    target = out / str(version)
    if target.exists():
        raise ValueError(f"{target}: already exists; choose another version")
    cfg = model.config
    words_num = cfg.text.words_num
    tokenizer = CaptionTokenizer(model.vocabulary, words_num, name="tokenizer")
    tokenizer.build()
    generator, text_encoder = model.ema_generator, model.text_encoder

    def run(captions, seeds):
        token_ids, lengths = tokenizer(captions)
        words_emb, sent_emb = text_encoder(token_ids, tf.maximum(lengths, 1), training=False)
        word_mask = tf.range(words_num)[None, :] < tf.maximum(lengths, 1)[:, None]
        out = generator(_noise(seeds, cfg.generator.z_dim, 0), sent_emb, words_emb, word_mask,
                        _noise(seeds, cfg.generator.condition_dim, 1), training=False)
        images = out["images"]
        result = {"images": _uint8(images[-1]), "token_ids": token_ids, "lengths": lengths}
        for i, stage in enumerate(images[:-1]):
            result[f"images_stage{i + 1}"] = _uint8(stage)
        for i, attention in enumerate(out["attention_maps"]):
            result[f"attention_stage{i + 2}"] = tf.cast(attention, tf.float32)
        return result

    sizes = cfg.generator.image_sizes
    empty_specs = {"images": ([sizes[-1], sizes[-1], 3], tf.uint8),
                   "token_ids": ([words_num], tf.int32), "lengths": ([], tf.int32)}
    for i, size in enumerate(sizes[:-1]):
        empty_specs[f"images_stage{i + 1}"] = ([size, size, 3], tf.uint8)
        empty_specs[f"attention_stage{i + 2}"] = ([size, size, words_num], tf.float32)

    def run_any(captions, seeds):
        # The networks need at least one row; an empty batch gets empty outputs.
        return tf.cond(tf.size(captions) > 0, lambda: run(captions, seeds),
                       lambda: {k: tf.zeros([0, *shape], dtype)
                                for k, (shape, dtype) in empty_specs.items()})

    captions_spec = tf.TensorSpec([None], tf.string, name="captions")

    def serve(captions):
        # A caption's own fingerprint seeds it: same text, same picture.
        seeds = tf.bitcast(tf.fingerprint(captions)[:, :8], tf.int64)
        return run_any(captions, tf.reshape(seeds, [-1]))

    def serve_with_seed(captions, seed):
        tf.debugging.assert_equal(tf.shape(seed), tf.shape(captions),
                                  message="seed: give one per caption")
        return run_any(captions, seed)

    archive = keras.export.ExportArchive()
    archive.track(text_encoder)  # only what serving uses: not the discriminators
    archive.track(generator)
    archive.track(tokenizer)
    archive.add_endpoint("serving_default", serve, input_signature=[captions_spec])
    archive.add_endpoint("generate_with_seed", serve_with_seed,
                         input_signature=[captions_spec, tf.TensorSpec([None], tf.int64,
                                                                       name="seed")])
    archive.write_out(str(target), verbose=False)
    return target
