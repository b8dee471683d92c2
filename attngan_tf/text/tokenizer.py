"""Caption tokenization, identical for training data, sampling and serving.

The rule (the reference's preprocessing): lower-case the caption, take runs of
word characters (``\\w+``: letters, digits, underscore) as tokens, then delete
every non-ASCII character from each token and drop tokens left empty. So
``"Café-like, naïve"`` gives ``["caf", "like", "nave"]``.

:func:`tokenize` implements the rule with core TensorFlow string ops
(``UnicodeTranscode``, ``StringLower``, ``StaticRegexReplace``,
``StringSplit``) and :class:`CaptionTokenizer` adds a Keras ``StringLookup``,
so an exported serving graph needs no custom ops. :func:`python_tokenize` is
the same rule in plain Python, kept as the specification the in-graph version
is tested against.

Captions longer than ``words_num`` tokens are shortened by
:func:`select_words`: at training time a random subset of ``words_num`` words
in their original order (as the reference's ``get_caption``), otherwise the
first ``words_num`` words.
"""

from __future__ import annotations

import re
from typing import Sequence

import keras
import tensorflow as tf

from ..configurable import PACKAGE
from .vocabulary import END_TOKEN, UNKNOWN_ID, Vocabulary

__all__ = ["python_tokenize", "tokenize", "select_words", "CaptionTokenizer"]

# Word characters: Unicode letters and numbers plus "_" (Python's str \w).
_NON_WORD_RE2 = r"[^\p{L}\p{N}_]+"
_NON_ASCII_RE2 = r"[^\x00-\x7f]"
_WORD_PY = re.compile(r"\w+")


def python_tokenize(text: str) -> list[str]:
    """The tokenization rule in plain Python (the specification).

    Args:
        text: one caption.

    Returns:
        The tokens, lower case ASCII.
    """
    tokens = []
    for token in _WORD_PY.findall(text.lower()):
        token = token.encode("ascii", "ignore").decode("ascii")
        if token:
            tokens.append(token)
    return tokens


def tokenize(texts) -> tf.RaggedTensor:
    """Splits captions into tokens inside the TF graph.

    Args:
        texts: string tensor ``[B]`` (UTF-8; invalid bytes become U+FFFD,
            which is a separator).

    Returns:
        ``tf.RaggedTensor`` of strings, ``[B, (tokens)]``.
    """
    texts = tf.convert_to_tensor(texts, dtype=tf.string)
    texts = tf.strings.unicode_transcode(texts, "UTF-8", "UTF-8", errors="replace")
    # StringLower (utf-8) stops at a NUL character; NUL separates words anyway.
    texts = tf.strings.regex_replace(texts, "\x00", " ")
    texts = tf.strings.lower(texts, encoding="utf-8")
    texts = tf.strings.regex_replace(texts, _NON_WORD_RE2, " ")
    texts = tf.strings.regex_replace(texts, _NON_ASCII_RE2, "")
    return tf.strings.split(texts)


def select_words(ids, words_num: int, seed=None):
    """Fits one caption's ids into ``words_num`` slots.

    Args:
        ids: ``[L]`` integer ids of one caption (no padding).
        words_num: T, the caption length the models take.
        seed: optional stateless seed (shape ``[2]``). Given, a caption longer
            than T keeps T words chosen uniformly at random, in their original
            order (training); without it, the first T words (inference).

    Returns:
        ``(ids [T] int32 zero-padded, length int32 scalar)``.
    """
    ids = tf.cast(tf.convert_to_tensor(ids), tf.int32)
    count = tf.size(ids)
    keep = tf.minimum(count, words_num)
    if seed is None:
        chosen = ids[:keep]
    else:
        scores = tf.random.stateless_uniform([count], seed=seed)
        _, positions = tf.math.top_k(scores, k=keep)
        chosen = tf.gather(ids, tf.sort(positions))
    padded = tf.pad(chosen, [[0, words_num - keep]])
    return tf.ensure_shape(padded, [words_num]), keep


@keras.saving.register_keras_serializable(package=PACKAGE)
class CaptionTokenizer(keras.layers.Layer):
    """Raw caption strings to the padded id matrix the text encoder takes.

    Args:
        vocabulary: a :class:`~attngan_tf.text.Vocabulary` or its word list
            (``words[0] == "<end>"``).
        words_num: T; longer captions keep their first T known words.

    Call:
        ``texts`` string ``[B]`` -> ``(token_ids [B, T] int32, lengths [B] int32)``;
        unknown words are dropped, padding is 0.
    """

    def __init__(self, vocabulary: Vocabulary | Sequence[str], words_num: int, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(vocabulary, Vocabulary):
            vocabulary = Vocabulary(vocabulary)
        if not isinstance(words_num, int) or words_num <= 0:
            raise ValueError(f"words_num: must be a positive integer, got {words_num!r}")
        self.vocabulary = vocabulary
        self.words_num = words_num
        # With no mask token and one OOV slot, StringLookup gives unknown words
        # id 0 and numbers the vocabulary from 1: exactly our id layout.
        self.lookup = keras.layers.StringLookup(
            vocabulary=list(vocabulary.words[1:]), num_oov_indices=1,
            oov_token=END_TOKEN, mask_token=None, output_mode="int", name="lookup")

    def build(self, input_shape=None):
        # Nothing to create: the lookup table is fixed by the vocabulary.
        self.built = True

    def token_ids(self, texts) -> tf.RaggedTensor:
        """``[B]`` strings -> ragged int32 ids ``[B, (words)]``, unknown words dropped."""
        tokens = tokenize(texts)
        ids = tf.cast(self.lookup(tokens.flat_values), tf.int32)
        ids = tokens.with_flat_values(ids)
        return tf.ragged.boolean_mask(ids, tf.not_equal(ids, UNKNOWN_ID))

    def call(self, texts):
        ids = self.token_ids(texts)[:, : self.words_num]
        lengths = tf.cast(ids.row_lengths(), tf.int32)
        padded = ids.to_tensor(default_value=0, shape=[None, self.words_num])
        return padded, lengths

    def compute_output_spec(self, texts):
        batch = texts.shape[0]
        return (keras.KerasTensor((batch, self.words_num), dtype="int32"),
                keras.KerasTensor((batch,), dtype="int32"))

    def get_config(self):
        return {**super().get_config(), "vocabulary": list(self.vocabulary.words),
                "words_num": self.words_num}
