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
stages; none for AttnDCGAN, which draws one image), ``attention_stage2``/``attention_stage3`` (float32 ``[None, s, s, T]``,
the word attention of each refinement stage), ``token_ids`` (int32
``[None, T]``) and ``lengths`` (int32 ``[None]``, known words per caption).

``precision="bfloat16"`` (opt-in) runs the generator under Keras'
``mixed_bfloat16`` policy: float32 weights in the file, convolutions and
matrix products in bfloat16, the text encoder and the outputs in float32. On a
CPU with bfloat16 instructions (AVX512-BF16, AMX) it samples about 1.5x faster
(BENCHMARKS.md). Its pictures are within a uint8 level or two of the float32
export's: on the shipped SynBirds model, mean difference 0.26 levels, 99 % of
values within 2, the largest 37 (a few edge pixels), and the same attributes
drawn (``tests/test_shipped_model.py::test_bfloat16_export_is_close_to_float32``).

Odd input never fails: an empty caption or one without known words is
generated from an empty sentence and reports length 0; words beyond ``T`` are
dropped; bytes that are not UTF-8 become separators; a batch of 0 returns
empty outputs.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pathlib
import tempfile

import keras
import tensorflow as tf

from .ops.upsampled_conv import plain_upsampling
from .sampling import caption_noise, to_uint8
from .text.tokenizer import CaptionTokenizer

logger = logging.getLogger("attngan_tf.export")

__all__ = ["export_saved_model", "export_tflite", "SIGNATURES", "TFLITE_FILE", "PRECISIONS",
           "cpu_has_bfloat16"]

TFLITE_FILE = "attngan.tflite"

SIGNATURES = ("serving_default", "generate_with_seed")

PRECISIONS = ("float32", "bfloat16")


def cpu_has_bfloat16() -> bool | None:
    """Whether this CPU has bfloat16 arithmetic (AVX512-BF16 or AMX-BF16); None if unknown."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return bool(flags & {"avx512_bf16", "amx_bf16"})
    except OSError:
        pass
    return None


def _generator_at(model, precision: str):
    """The averaged generator, or a ``mixed_bfloat16`` copy of it with the same weights."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision: one of {', '.join(PRECISIONS)}, got {precision!r}")
    if precision == "float32":
        return model.ema_generator
    if cpu_has_bfloat16() is False:
        logger.warning("this CPU has no bfloat16 instructions: a bfloat16 export runs slower "
                       "here than float32 (it is meant for CPUs with AVX512-BF16 or AMX)")
    from .models.generator import AttnGenerator

    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        generator = AttnGenerator(model.config.generator, name="ema_generator")
        generator.build()
    finally:
        keras.config.set_dtype_policy(previous)
    generator.set_weights(model.ema_generator.get_weights())
    return generator


def export_saved_model(model, out: str | os.PathLike, version: int | None = None, *,
                       precision: str = "float32") -> pathlib.Path:
    """Writes the serving SavedModel of ``model`` (with its vocabulary) to ``out/<version>``.

    Args:
        model: an :class:`~attngan_tf.models.AttnGAN` with a vocabulary
            (e.g. from :func:`~attngan_tf.models.load_attngan`).
        out: the model's base directory (``saved_models/NAME``).
        version: the version directory (default: one more than the highest
            existing one, starting at 1).
        precision: ``"float32"`` (default) or ``"bfloat16"``: the generator's
            arithmetic (see the module docstring).

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
    generator, text_encoder = _generator_at(model, precision), model.text_encoder

    def run(captions, seeds):
        token_ids, lengths = tokenizer(captions)
        words_emb, sent_emb = text_encoder(token_ids, tf.maximum(lengths, 1), training=False)
        word_mask = tf.range(words_num)[None, :] < tf.maximum(lengths, 1)[:, None]
        out = generator(caption_noise(seeds, cfg.generator.z_dim, 0), sent_emb, words_emb, word_mask,
                        caption_noise(seeds, cfg.generator.condition_dim, 1), training=False)
        images = out["images"]
        result = {"images": to_uint8(images[-1]), "token_ids": token_ids, "lengths": lengths}
        for i, stage in enumerate(images[:-1]):
            result[f"images_stage{i + 1}"] = to_uint8(stage)
        for i, attention in enumerate(out["attention_maps"]):
            result[f"attention_stage{i + 2}"] = tf.cast(attention, tf.float32)
        return result

    sizes = cfg.generator.image_sizes
    empty_specs = {"images": ([sizes[-1], sizes[-1], 3], tf.uint8),
                   "token_ids": ([words_num], tf.int32), "lengths": ([], tf.int32)}
    for i, size in enumerate(cfg.generator.output_sizes[:-1]):
        empty_specs[f"images_stage{i + 1}"] = ([size, size, 3], tf.uint8)
    for i, size in enumerate(sizes[:-1]):
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
    logger.info("export: tracing and writing the signatures to %s (about a minute)", target)
    archive.write_out(str(target), verbose=False)
    return target


def export_tflite(model, out: str | os.PathLike, *, float16: bool = False,
                  batch_size: int = 1, transposed_upsampling: bool = True) -> pathlib.Path:
    """Converts text encoder + averaged generator to TensorFlow Lite (builtin ops only).

    Writes ``out/attngan.tflite`` and, beside it, ``vocabulary.json`` (the
    caller tokenises: ids of :class:`~attngan_tf.text.Vocabulary`, 0-padded).

    Signature ``serving_default`` (use ``Interpreter.get_signature_runner()``),
    inputs for a fixed ``batch_size`` N: ``token_ids`` int32 ``[N, T]``,
    ``lengths`` int32 ``[N]`` (known words, at least 1), ``noise`` float32
    ``[N, z_dim]``, ``ca_noise`` float32 ``[N, condition_dim]``; output
    ``images`` float32 ``[N, S, S, 3]`` in [-1, 1], the last stage. Any int32
    values are safe: ids outside the vocabulary are read as padding (0) and
    lengths are clipped to ``1..T`` (no out-of-range embedding reads).

    Args:
        float16: store the weights as float16 (about half the size; computed in float32).
        transposed_upsampling: the up-blocks as one transposed convolution
            (``TRANSPOSE_CONV``), as the SavedModel has them: LiteRT runs it
            faster than nearest upsampling + a 3 × 3 ``CONV_2D`` on this
            project's CPU (93 vs 108 ms at the ``birds`` preset, BENCHMARKS.md,
            "Sampling"). False: the plain form, for a runtime or delegate
            without ``TRANSPOSE_CONV``.
    """
    if getattr(model, "vocabulary", None) is None:
        raise ValueError("model: no vocabulary attached (load it with load_attngan)")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size: must be a positive integer, got {batch_size!r}")
    cfg = model.config
    words = cfg.text.words_num
    n = batch_size

    def generate(token_ids, lengths, noise, ca_noise):
        inside = (token_ids >= 0) & (token_ids < cfg.text.vocab_size)
        token_ids = tf.where(inside, token_ids, tf.zeros_like(token_ids))
        lengths = tf.clip_by_value(lengths, 1, words)
        words_emb, sent_emb = model.text_encoder(token_ids, lengths, training=False)
        word_mask = tf.range(words)[None, :] < lengths[:, None]
        out = model.ema_generator(noise, sent_emb, words_emb, word_mask, ca_noise,
                                  training=False)
        return {"images": tf.cast(out["images"][-1], tf.float32)}

    # Through a SavedModel with resource variables: the LSTM's while loop reads
    # its weights as variables, which a frozen concrete function leaves unset.
    archive = keras.export.ExportArchive()
    archive.track(model.text_encoder)
    archive.track(model.ema_generator)
    form = contextlib.nullcontext() if transposed_upsampling else plain_upsampling()
    with tempfile.TemporaryDirectory() as staging:
        logger.info("export: [1/2] tracing the generator into a SavedModel")
        with form:  # read while tracing
            archive.add_endpoint("serving_default", generate, input_signature=[
                tf.TensorSpec([n, words], tf.int32, name="token_ids"),
                tf.TensorSpec([n], tf.int32, name="lengths"),
                tf.TensorSpec([n, cfg.generator.z_dim], tf.float32, name="noise"),
                tf.TensorSpec([n, cfg.generator.condition_dim], tf.float32, name="ca_noise")])
            archive.write_out(staging, verbose=False)
        logger.info("export: [2/2] converting it to TFLite%s", " (float16 weights)" if float16
                    else "")
        converter = tf.lite.TFLiteConverter.from_saved_model(staging)
        converter.experimental_enable_resource_variables = True
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
        if float16:
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
            converter.target_spec.supported_types = [tf.float16]
        data = converter.convert()
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / TFLITE_FILE).write_bytes(data)
    model.vocabulary.save(out / "vocabulary.json")
    return out / TFLITE_FILE
