import numpy as np
import pytest

from attngan_tf.config import get_preset
from attngan_tf.models import TextEncoder

from ..helpers import make_captions

CFG = get_preset("tiny").text


@pytest.fixture(scope="module")
def encoder():
    enc = TextEncoder(CFG)
    enc.build()
    return enc


def test_shapes_and_zero_padding(encoder):
    ids, lens = make_captions([12, 7, 1], CFG.words_num, CFG.vocab_size)
    words, sent = encoder(ids, lens, training=False)
    assert words.shape == (3, CFG.words_num, CFG.embedding_dim)
    assert sent.shape == (3, CFG.embedding_dim)
    words = np.asarray(words)
    for b, n in enumerate(lens):
        assert np.all(words[b, n:] == 0.0)
        assert np.all(np.abs(words[b, :n]).sum(-1) > 0)


def test_sentence_is_final_states_of_both_directions(encoder):
    ids, lens = make_captions([12, 5], CFG.words_num, CFG.vocab_size, seed=3)
    words, sent = (np.asarray(t) for t in encoder(ids, lens))
    half = CFG.embedding_dim // 2
    for b, n in enumerate(lens):
        np.testing.assert_array_equal(sent[b, :half], words[b, n - 1, :half])
        np.testing.assert_array_equal(sent[b, half:], words[b, 0, half:])


def test_result_does_not_depend_on_padded_length(encoder):
    ids, lens = make_captions([6, 3], 6, CFG.vocab_size, seed=5)
    words_a, sent_a = encoder(ids, lens)
    longer = np.concatenate([ids, np.zeros((2, 9), ids.dtype)], axis=1)
    words_b, sent_b = encoder(longer, lens)
    np.testing.assert_allclose(np.asarray(sent_a), np.asarray(sent_b), atol=1e-6)
    np.testing.assert_allclose(np.asarray(words_a), np.asarray(words_b)[:, :6], atol=1e-6)
    assert np.all(np.asarray(words_b)[:, 6:] == 0)


def test_padding_ids_after_length_are_ignored(encoder):
    ids, lens = make_captions([4], CFG.words_num, CFG.vocab_size, seed=9)
    noisy = ids.copy()
    noisy[0, 4:] = 17  # garbage after the caption's end
    a = encoder(ids, lens)
    b = encoder(noisy, lens)
    for x, y in zip(a, b):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), atol=1e-6)


def test_dropout_only_in_training(encoder):
    ids, lens = make_captions([8, 8], CFG.words_num, CFG.vocab_size)
    eval_a = np.asarray(encoder(ids, lens, training=False)[1])
    eval_b = np.asarray(encoder(ids, lens, training=False)[1])
    train = np.asarray(encoder(ids, lens, training=True)[1])
    np.testing.assert_array_equal(eval_a, eval_b)
    assert np.abs(train - eval_a).max() > 1e-4


def test_graph_mode_matches_eager(encoder):
    import tensorflow as tf

    ids, lens = make_captions([10, 2], CFG.words_num, CFG.vocab_size)
    fn = tf.function(lambda i, n: encoder(i, n), jit_compile=False)
    for x, y in zip(encoder(ids, lens), fn(tf.constant(ids), tf.constant(lens))):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), atol=1e-6)


@pytest.mark.parametrize("ids, lens, match", [
    (np.zeros((2, 12, 1), np.int64), np.array([1, 1]), "token_ids"),
    (np.ones((2, 12), np.int64), np.array([[1], [1]]), "lengths"),
    (np.full((2, 12), 128, np.int64), np.array([3, 3]), "token_ids"),
    (np.full((2, 12), -1, np.int64), np.array([3, 3]), "token_ids"),
    (np.ones((2, 12), np.int64), np.array([0, 3]), "lengths"),
    (np.ones((2, 12), np.int64), np.array([13, 3]), "lengths"),
    (np.ones((2, 12), np.int64), np.array([3, 3, 3]), "batch sizes differ"),
    (np.ones((2, 12), np.float32), np.array([3, 3]), "token_ids"),
])
def test_bad_inputs_raise_value_error_naming_argument(encoder, ids, lens, match):
    with pytest.raises(ValueError, match=match):
        encoder(ids, lens)
