"""Vocabulary building, saving and reading the reference's captions.pickle."""

from __future__ import annotations

import pickle

import pytest
import tensorflow as tf

from attngan_tf.text import CaptionTokenizer, Vocabulary, python_tokenize


def test_build_numbers_words_by_first_appearance():
    vocab = Vocabulary.build([["a", "red", "bird"], ["a", "blue", "bird"], ["tail"]])
    assert vocab.words == ("<end>", "a", "red", "bird", "blue", "tail")
    assert vocab.id_of("blue") == 4 and vocab.id_of("zebra") == 0
    assert vocab.encode(["red", "zebra", "tail"]) == [2, 5]
    assert vocab.decode([1, 4, 3, 0, 2]) == ["a", "blue", "bird"]
    with pytest.raises(ValueError, match="outside"):
        vocab.decode([9])


def test_save_and_load_roundtrip(tmp_path):
    vocab = Vocabulary.build([["x", "y"]])
    path = vocab.save(tmp_path)
    assert path.name == "vocabulary.json"
    assert Vocabulary.load(tmp_path) == vocab
    assert Vocabulary.load(path) == vocab
    path.write_text('{"format": "other"}')
    with pytest.raises(ValueError, match="not an attngan_tf vocabulary"):
        Vocabulary.load(path)


def test_invalid_word_lists_are_rejected():
    with pytest.raises(ValueError, match="first entry"):
        Vocabulary(["a", "<end>"])
    with pytest.raises(ValueError, match="twice"):
        Vocabulary(["<end>", "a", "a"])


def test_reference_pickle_ids_are_kept_exactly(tmp_path):
    # A reference-style pickle whose word order differs from first appearance.
    captions = ["the red bird has blue wings", "a small bird", "the tail is red"]
    words = ["<end>", "wings", "tail", "the", "red", "bird", "has", "blue", "a", "small", "is"]
    ixtoword = dict(enumerate(words))
    wordtoix = {w: i for i, w in ixtoword.items()}
    train = [[wordtoix[t] for t in python_tokenize(c)] for c in captions]
    path = tmp_path / "captions.pickle"
    with open(path, "wb") as f:
        pickle.dump([train, [], ixtoword, wordtoix], f, protocol=2)
    vocab = Vocabulary.from_reference_pickle(path)
    assert vocab.words == tuple(words)
    ids = CaptionTokenizer(vocab, words_num=18).token_ids(tf.constant(captions)).to_list()
    assert ids == train

    bad = dict(wordtoix, red=1)
    with open(path, "wb") as f:
        pickle.dump([train, [], ixtoword, bad], f, protocol=2)
    with pytest.raises(ValueError, match="disagrees"):
        Vocabulary.from_reference_pickle(path)
    path.write_bytes(b"not a pickle")
    with pytest.raises(ValueError, match="captions.pickle"):
        Vocabulary.from_reference_pickle(path)


def test_save_into_a_new_directory(tmp_path):
    vocab = Vocabulary.build([["x"]])
    path = vocab.save(tmp_path / "new" / "run")
    assert path == tmp_path / "new" / "run" / "vocabulary.json"
    assert Vocabulary.load(tmp_path / "new" / "run") == vocab
