"""The in-graph tokenizer against its plain-Python specification."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from attngan_tf.text import CaptionTokenizer, Vocabulary, python_tokenize, select_words, tokenize
from tests.conftest import SHARED

TRICKY = [
    "This bird has a RED crown, and blue-grey wings!",
    "the bird\ufffd\ufffdis small",
    "Café-like naïve bird_42 with 3 spots",
    "ünïcödé only: ñ",
    "   ",
    "tabs\tand\nnewlines\r\nhere",
    "İstanbul KELVIN\u212a sign",
    "emoji 🐦 between words",
]


def graph_tokens(texts):
    return [[t.decode() for t in row] for row in tokenize(tf.constant(texts)).to_list()]


def test_tokenize_matches_python_rule_on_tricky_text():
    assert graph_tokens(TRICKY) == [python_tokenize(t) for t in TRICKY]
    assert python_tokenize(TRICKY[2]) == ["caf", "like", "nave", "bird_42", "with", "3", "spots"]
    assert python_tokenize(TRICKY[0])[:4] == ["this", "bird", "has", "a"]


def test_tokenize_repairs_invalid_utf8():
    tokens = tokenize(tf.constant([b"red \xff\xfe wings"])).to_list()
    assert tokens == [[b"red", b"wings"]]


@pytest.fixture
def vocab():
    return Vocabulary(["<end>", "this", "bird", "has", "red", "wings", "a"])


def test_caption_tokenizer_pads_truncates_and_drops_unknown(vocab):
    layer = CaptionTokenizer(vocab, words_num=4)
    ids, lengths = layer(tf.constant(["This bird has RED zebra wings", "a bird", "zebra"]))
    np.testing.assert_array_equal(ids.numpy(), [[1, 2, 3, 4], [6, 2, 0, 0], [0, 0, 0, 0]])
    np.testing.assert_array_equal(lengths.numpy(), [4, 2, 0])
    assert ids.dtype == tf.int32 and lengths.dtype == tf.int32


def test_caption_tokenizer_in_tf_function_and_config_roundtrip(vocab):
    layer = CaptionTokenizer(vocab, words_num=5)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def serve(texts):
        return layer(texts)

    ids, _ = serve(tf.constant(["a red bird"]))
    clone = CaptionTokenizer.from_config(layer.get_config())
    ids2, _ = clone(tf.constant(["a red bird"]))
    np.testing.assert_array_equal(ids.numpy(), [[6, 4, 2, 0, 0]])
    np.testing.assert_array_equal(ids2.numpy(), ids.numpy())
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert restored.vocabulary == vocab and restored.words_num == 5


def test_caption_tokenizer_rejects_bad_arguments(vocab):
    with pytest.raises(ValueError, match="words_num"):
        CaptionTokenizer(vocab, words_num=0)
    with pytest.raises(ValueError, match="<end>"):
        CaptionTokenizer(["bird"], words_num=3)


def test_select_words_inference_keeps_first_words():
    ids, length = select_words(tf.range(1, 31), 18)
    np.testing.assert_array_equal(ids.numpy(), np.arange(1, 19))
    assert int(length) == 18
    ids, length = select_words(tf.constant([5, 6]), 4)
    np.testing.assert_array_equal(ids.numpy(), [5, 6, 0, 0])
    assert int(length) == 2


def test_select_words_training_random_subset_in_order():
    source = tf.range(1, 31)
    picks = []
    for s in range(20):
        ids, length = select_words(source, 18, seed=tf.constant([s, 7]))
        ids = ids.numpy()
        assert int(length) == 18
        assert np.all(np.diff(ids) > 0), "original order must be kept"
        assert set(ids) <= set(range(1, 31))
        picks.append(tuple(ids))
    assert len(set(picks)) > 15, "subsets must vary with the seed"
    again, _ = select_words(source, 18, seed=tf.constant([3, 7]))
    np.testing.assert_array_equal(again.numpy(), picks[3])
    short, n = select_words(tf.constant([4, 9, 2]), 18, seed=tf.constant([1, 2]))
    np.testing.assert_array_equal(short.numpy()[:4], [4, 9, 2, 0])
    assert int(n) == 3


BIRDS = SHARED / "data" / "birds"


@pytest.mark.skipif(not (BIRDS / "text").is_dir(), reason="../shared/data/birds is absent")
def test_real_cub_corpus_vocabulary_and_in_graph_ids():
    from attngan_tf.data.cub import read_cub

    captions = {}
    for split in ("train", "test"):
        index = read_cub(BIRDS, split, check_images=False)
        captions[split] = [c for e in index.examples for c in e.captions]
    assert len(captions["train"]) == 88_550
    assert len(captions["test"]) == 29_330
    python_tokens = [python_tokenize(c) for c in captions["train"] + captions["test"]]
    vocab = Vocabulary.build(python_tokens)
    assert len(vocab) == 5_450
    layer = CaptionTokenizer(vocab, words_num=18)
    graph_ids = layer.token_ids(tf.constant(captions["train"] + captions["test"]))
    graph_ids = graph_ids.to_list()
    python_ids = [vocab.encode(tokens) for tokens in python_tokens]
    mismatches = [i for i, (a, b) in enumerate(zip(graph_ids, python_ids)) if a != b]
    assert len(graph_ids) == 117_880
    assert not mismatches, f"{len(mismatches)} captions differ, first {mismatches[:3]}"
