"""Captions state 2-5 true attribute values, stay short and use a small vocabulary."""

from __future__ import annotations

import collections

import numpy as np
import pytest

from attngan_tf.synbirds.attributes import BirdSpec, sample_spec
from attngan_tf.synbirds.captions import (MAX_TOKENS, caption_vocabulary, make_captions,
                                          mentioned_attributes, tokenize)


@pytest.fixture(scope="module")
def captioned():
    rng = np.random.default_rng(2024)
    pairs = []
    for _ in range(400):
        spec = sample_spec(rng)
        pairs.append((spec, make_captions(spec, rng, n=10)))
    return pairs


def test_captions_are_truthful_short_and_mention_two_to_five_attributes(captioned):
    mention_counts = collections.Counter()
    for spec, captions in captioned:
        assert len(captions) == 10
        truth = spec.attributes()
        for caption in captions:
            assert caption == caption.lower() and caption.isascii() and "\n" not in caption
            assert caption == caption.strip() and "  " not in caption
            assert len(tokenize(caption)) <= MAX_TOKENS, caption
            stated = mentioned_attributes(caption)
            assert 2 <= len(stated) <= 5, caption
            for name, value in stated.items():
                assert truth[name] == value, (caption, name, truth)
            mention_counts[len(stated)] += 1
    assert set(mention_counts) == {2, 3, 4, 5}
    assert min(mention_counts.values()) > 0.15 * sum(mention_counts.values())


def test_every_attribute_is_mentioned_in_every_form(captioned):
    text = " ".join(" ".join(captions) for _, captions in captioned)
    for word in ("crown", "head", "cap", "wings", "wing feathers", "belly", "body", "breast",
                 "tail", "tail feathers", "beak", "bill", "small", "little", "tiny", "large", "big",
                 "background", "backdrop", "grey", "gray", " is ", " are ", " with "):
        assert word in text, word
    counts = collections.Counter(name for _, captions in captioned for caption in captions
                                 for name in mentioned_attributes(caption))
    total = sum(counts.values())
    for name in ("crown", "wing", "body", "tail", "beak", "size", "background"):
        assert 0.10 < counts[name] / total < 0.19, (name, counts)


def test_vocabulary_is_small_and_exact(captioned):
    vocabulary = caption_vocabulary()
    assert 60 <= len(vocabulary) <= 140
    used = {token for _, captions in captioned for caption in captions
            for token in tokenize(caption)}
    assert used <= vocabulary, used - vocabulary
    assert len(used) >= len(vocabulary) - 3, vocabulary - used


def test_captions_are_deterministic_and_varied():
    spec = BirdSpec("red", "blue", "white", "black", "yellow", "small", "pale green")
    first = make_captions(spec, np.random.default_rng([1, 2]))
    assert first == make_captions(spec, np.random.default_rng([1, 2]))
    assert first != make_captions(spec, np.random.default_rng([1, 3]))
    assert len(set(first)) >= 9


def test_parser_on_hand_written_captions():
    assert mentioned_attributes("this small bird has a red crown, blue wings and a white belly") \
        == {"crown": "red", "wing": "blue", "body": "white", "size": "small"}
    assert mentioned_attributes(
        "a bird with a yellow beak and a black tail, perched against a pale green background") \
        == {"tail": "black", "beak": "yellow", "background": "pale green"}
    assert mentioned_attributes("the wing feathers are gray, and the backdrop is light blue") \
        == {"wing": "grey", "background": "light blue"}
    assert mentioned_attributes("a tiny bird with brown tail feathers and an orange bill") \
        == {"tail": "brown", "beak": "orange", "size": "small"}
    with pytest.raises(ValueError):
        mentioned_attributes("a red bird")  # a colour that belongs to no part
    with pytest.raises(ValueError):
        mentioned_attributes("a small bird with a red crown and a blue head")
    with pytest.raises(ValueError):
        mentioned_attributes("a big bird on a pink background")
