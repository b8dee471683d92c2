"""Property tests (hypothesis): the tokenizer and the serving signature on any text.

The in-graph tokenizer must follow its documented rule (``python_tokenize``:
lower case, runs of word characters, non-ASCII deleted) for any Unicode text
and any bytes (invalid UTF-8 is a separator), in batches of 0-256 and lengths
up to 10,000 characters; the SavedModel's ``serving_default`` must answer any
batch of strings with one picture each and the token ids of that rule, never
an error. Characters are drawn from those assigned in Python's Unicode tables
(the rule's specification); later additions may be classified differently by
TensorFlow's regular expressions.
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from attngan_tf.text import Vocabulary, python_tokenize, tokenize
from tests.robustness.corpus import SHIPPED

CHARACTERS = st.characters(exclude_categories=("Cs", "Cn"))
TEXT = st.text(CHARACTERS, max_size=200)
PROPERTY = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def graph_tokens(texts) -> list[list[str]]:
    ragged = tokenize(tf.constant(texts, tf.string) if texts else tf.zeros([0], tf.string))
    return [[t.decode() for t in row] for row in ragged.to_list()]


def rule(text: str | bytes) -> list[str]:
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    return python_tokenize(text)


@PROPERTY
@given(st.lists(TEXT, max_size=256))
@example(["\x000", "red\x00bird", "\u0130x \u0130stanbul", "\u00df \ufb01ne"])
def test_tokenizer_follows_the_rule_on_any_unicode_batch(texts):
    assert graph_tokens(texts) == [rule(t) for t in texts]


@PROPERTY
@given(st.lists(st.binary(max_size=300), max_size=64))
def test_tokenizer_reads_any_bytes_as_the_rule_says(data):
    assert graph_tokens(data) == [rule(b) for b in data]


@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.builds(lambda text, length: (text * (length // max(1, len(text)) + 1))[:length],
                 st.text(CHARACTERS, min_size=1, max_size=50), st.integers(0, 10_000)))
def test_tokenizer_on_long_texts(text):
    assert graph_tokens([text]) == [rule(text)]


@pytest.fixture(scope="module")
def serving():
    if not (SHIPPED / "serving" / "1").is_dir():
        pytest.skip("no shipped SavedModel")
    loaded = tf.saved_model.load(str(SHIPPED / "serving" / "1"))
    vocabulary = Vocabulary.load(SHIPPED / "model" / "vocabulary.json")
    return loaded, vocabulary


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(captions=st.lists(st.one_of(TEXT, st.binary(max_size=200),
                                   st.text(st.sampled_from(" abcdefghijklmnopqrstuvwxyz,.!"),
                                           max_size=10_000)), max_size=256))
@example(captions=["a red\x00 bird with\x00blue wings", "\u0130stanbul bird", b"\xff\x00red"])
def test_serving_answers_any_batch_with_the_rules_tokens(serving, captions):
    loaded, vocabulary = serving
    signature = loaded.signatures["serving_default"]
    tensor = tf.constant([c.encode() if isinstance(c, str) else c for c in captions],
                         tf.string) if captions else tf.zeros([0], tf.string)
    out = signature(captions=tensor)
    images, ids, lengths = (out[k].numpy() for k in ("images", "token_ids", "lengths"))
    assert images.shape[0] == len(captions) and images.dtype == np.uint8
    words_num = ids.shape[1] if len(captions) else None
    for caption, row, length in zip(captions, ids, lengths):
        known = vocabulary.encode(rule(caption))[:words_num]
        assert int(length) == len(known)
        assert row.tolist() == known + [0] * (words_num - len(known))
