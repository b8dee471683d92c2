"""Captions in, pictures out: tokenising, per-caption noise, generation, files.

``generate(model, captions, seed=...)`` is what :meth:`AttnGAN.generate` and
``attngan sample`` use. Each caption's noise (z and the conditioning
augmentation's) is drawn from its own seed with stateless ops, and the
averaged generator runs in inference mode, so one caption with one seed gives
the same picture on the same machine whatever else is in the batch: the same
pixels for the same batch, and across batch sizes up to rounding (the CPU
kernels' summation order depends on the batch size; the shipped model has had
2 of 12,288 values differ by 1 between a batch of 1 and one of 2).

Captions are tokenised in the graph like the training data (lower case, runs
of word characters, non-ASCII dropped); unknown words are dropped, captions
longer than ``words_num`` keep their first words. A caption with no known word
at all is generated from an empty sentence (one padding token); its
``lengths`` entry in the result is 0 so callers can tell.
"""

from __future__ import annotations

import os
import pathlib
import weakref
from typing import Sequence

import numpy as np
import tensorflow as tf

from .images import to_uint8
from .text.tokenizer import CaptionTokenizer

__all__ = ["caption_noise", "to_uint8", "generate", "write_samples", "read_caption_file",
           "read_example_captions"]


def caption_noise(seeds, dim: int, salt: int) -> tf.Tensor:
    """``[B, dim]`` standard-normal rows, row i a stateless draw from ``(seeds[i], salt)``."""
    seeds = tf.cast(tf.reshape(seeds, [-1]), tf.int64)
    salt = tf.constant(salt, tf.int64)
    return tf.map_fn(lambda s: tf.random.stateless_normal([dim], seed=tf.stack([s, salt])),
                     seeds, fn_output_signature=tf.TensorSpec([dim], tf.float32))


_TOKENIZERS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _tokenizer(model, words_num: int | None = None) -> CaptionTokenizer:
    vocabulary = getattr(model, "vocabulary", None)
    if vocabulary is None:
        raise ValueError("model: no vocabulary attached; load it with load_attngan or call "
                         "model.set_vocabulary(vocabulary)")
    words_num = words_num or model.config.text.words_num
    tokenizer = _TOKENIZERS.get(model)
    if (tokenizer is None or tokenizer.vocabulary != vocabulary
            or tokenizer.words_num != words_num):
        tokenizer = CaptionTokenizer(vocabulary, words_num)
        _TOKENIZERS[model] = tokenizer
    return tokenizer


def generate(model, captions: Sequence[str] | tf.Tensor, seed: int | Sequence[int] | None = None,
             noise: dict | None = None, use_ema: bool = True,
             words_num: int | None = None) -> dict:
    """Generates every stage's images for raw captions.

    Args:
        model: an :class:`~attngan_tf.models.AttnGAN` with a vocabulary.
        captions: ``B`` strings.
        seed: one int for all captions (caption i uses ``seed + i``), one int
            per caption, or None (a random seed per call).
        noise: instead of seeds, ``{"noise": [B, z_dim], "ca_noise": [B, condition_dim]}``.
        use_ema: the averaged generator (default) or the trained one.
        words_num: keep at most this many known words of a caption (default:
            the model's ``config.text.words_num``; the original's evaluation
            settings sample up to 25).

    Returns a dict of numpy arrays: ``images`` (tuple per stage, float32
    ``[B, S, S, 3]`` in [-1, 1]), ``images_uint8`` (the last stage, ``uint8``),
    ``attention_maps`` (tuple per refinement stage, ``[B, S, S, T]``),
    ``token_ids [B, T]``, ``lengths [B]`` (known words; 0 = none) and
    ``words`` (list of the known words of each caption).
    """
    if isinstance(captions, (str, bytes)):
        raise TypeError("captions: expected a list of strings, got one string")
    if not isinstance(captions, tf.Tensor):
        captions = list(captions)
        if not all(isinstance(c, (str, bytes)) for c in np.ravel(np.asarray(captions, object))):
            raise TypeError(f"captions: expected strings, got {captions[:3]!r}")
    elif captions.dtype != tf.string:
        raise TypeError(f"captions: expected a string tensor, got {captions.dtype.name}")
    texts = tf.constant(captions, tf.string)
    if texts.shape.rank != 1:
        raise ValueError(f"captions: expected a list of strings, got shape {texts.shape}")
    size = int(texts.shape[0])
    if size == 0:
        raise ValueError("captions: need at least one caption")
    if words_num is not None and (not isinstance(words_num, int) or words_num < 1):
        raise ValueError(f"words_num: must be a positive integer, got {words_num!r}")
    token_ids, lengths = _tokenizer(model, words_num)(texts)
    cfg = model.config.generator
    if noise is None:
        if seed is None:
            seed = int(np.random.default_rng().integers(0, 2**31))
        seeds = np.asarray(seed, np.int64)
        seeds = seeds + np.arange(size) if seeds.ndim == 0 else seeds
        if seeds.shape != (size,):
            raise ValueError(f"seed: need one int or {size} (one per caption), got {seed!r}")
        noise = {"noise": caption_noise(seeds, cfg.z_dim, 0),
                 "ca_noise": caption_noise(seeds, cfg.condition_dim, 1)}
    else:
        for key in ("noise", "ca_noise"):
            if not np.isfinite(np.asarray(noise[key], np.float64)).all():
                raise ValueError(f"noise[{key!r}]: has NaN or infinite values")
    batch = {"captions": token_ids, "lengths": tf.maximum(lengths, 1), **noise}
    out = model(batch, training=False, use_ema=use_ema)
    images = tuple(np.asarray(x) for x in out["images"])
    vocabulary = model.vocabulary
    ids, known = token_ids.numpy(), lengths.numpy()
    return {
        "images": images,
        "images_uint8": to_uint8(images[-1]).numpy(),
        "attention_maps": tuple(np.asarray(a) for a in out["attention_maps"]),
        "token_ids": ids,
        "lengths": known,
        "words": [vocabulary.decode(row[:n]) for row, n in zip(ids, known)],
    }


def write_samples(model, captions: Sequence[str], directory: str | os.PathLike, *,
                  seed: int = 0, per_caption: int = 1, batch_size: int = 8,
                  max_words: int | None = None,
                  words_num: int | None = None) -> list[pathlib.Path]:
    """Writes ``NNN_k.png`` (last stage) and ``NNN_k_attention.png`` (figure) per caption.

    ``per_caption`` samples per caption use seeds ``seed + k`` (k = 0, 1, ...),
    so ``NNN_0`` of a caption is the same picture whatever the other captions
    are. Also writes ``captions.txt`` (file, seed, caption, known words).
    ``words_num``: as :func:`generate`'s; ``max_words``: word tiles per figure row.
    """
    from PIL import Image

    from .figures import attention_figure

    directory = pathlib.Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    jobs = [(i, k) for i in range(len(captions)) for k in range(per_caption)]
    paths, lines = [], []
    for start in range(0, len(jobs), batch_size):
        chunk = jobs[start:start + batch_size]
        result = generate(model, [captions[i] for i, _ in chunk],
                          seed=[seed + k for _, k in chunk], words_num=words_num)
        for j, (i, k) in enumerate(chunk):
            stem = f"{i:03d}_{k}"
            Image.fromarray(result["images_uint8"][j]).save(directory / f"{stem}.png")
            figure = attention_figure([x[j] for x in result["images"]],
                                      [a[j] for a in result["attention_maps"]],
                                      result["words"][j], captions[i], max_words=max_words)
            figure.save(directory / f"{stem}_attention.png")
            paths.append(directory / f"{stem}.png")
            lines.append(f"{stem}.png\t{seed + k}\t{captions[i]}\t{' '.join(result['words'][j])}")
    (directory / "captions.txt").write_text("\n".join(lines) + "\n")
    return paths


def read_caption_file(path: str | os.PathLike) -> tuple[list[str], int]:
    """A caption file's captions: its non-blank lines, stripped, and how many lines
    held bytes that are not UTF-8 (read as U+FFFD, a word separator: the rule of the
    tokenizer and of the SavedModel's signature, so such a line is drawn, not fatal).

    Raises ``OSError`` when the file cannot be read.
    """
    text = pathlib.Path(path).read_bytes().decode("utf-8", errors="replace")
    lines = text.splitlines()
    replaced = sum(1 for line in lines if "\ufffd" in line)
    return [line.strip() for line in lines if line.strip()], replaced


def read_example_captions(data_dir: str | os.PathLike,
                          listing: str = "example_filenames.txt") -> list[tuple[str, list[str]]]:
    """The data set's example captions, as the original's ``gen_example`` reads them.

    ``data_dir/listing`` names one caption file per line (``data_dir/NAME.txt``,
    one caption per line). Returns ``[(NAME, captions), ...]`` in listing
    order; blank lines are skipped, bytes that are not UTF-8 read as word
    separators (the tokenizer's rule).

    Raises:
        FileNotFoundError: the listing or a file it names is missing (named).
        ValueError: the listing names no file, or a file has no caption.
    """
    root = pathlib.Path(data_dir)
    path = root / listing
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file (the list of example caption files)")
    names = [line.strip() for line in path.read_text(errors="replace").splitlines()
             if line.strip()]
    if not names:
        raise ValueError(f"{path}: names no caption file")
    examples = []
    for name in names:
        file = root / f"{name}.txt"
        if not file.is_file():
            raise FileNotFoundError(f"{file}: no such file (listed in {path})")
        captions, _ = read_caption_file(file)
        if not captions:
            raise ValueError(f"{file}: has no caption")
        examples.append((name, captions))
    return examples
