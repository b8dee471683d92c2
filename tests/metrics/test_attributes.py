"""Attribute accuracy: rendered birds with their own captions score 1, with others' low."""

from __future__ import annotations

import numpy as np
import pytest

from attngan_tf.metrics.attributes import caption_attribute_accuracy
from attngan_tf.synbirds import make_captions, render, sample_spec


def _birds(n, seed=0):
    rng = np.random.default_rng(seed)
    specs = [sample_spec(rng) for _ in range(n)]
    images = [np.asarray(render(spec, size=64)) for spec in specs]
    captions = [make_captions(spec, rng, n=1)[0] for spec in specs]
    return images, captions


def test_true_captions_score_one_and_shuffled_ones_do_not():
    images, captions = _birds(12)
    result = caption_attribute_accuracy(images, captions)
    assert result["mean"] == 1.0 and result["named"] >= 24
    assert set(result["per_attribute"]) == set(result["counts"])
    shuffled = caption_attribute_accuracy(images, captions[1:] + captions[:1])
    assert shuffled["mean"] < 0.6
    assert result["bird_found"] == 1.0


def test_bird_found_counts_only_birds():
    images, captions = _birds(6)
    noise = np.random.default_rng(3).integers(0, 256, (2, 64, 64, 3), dtype=np.uint8)
    result = caption_attribute_accuracy(images + list(noise), captions + captions[:2])
    assert result["bird_found"] == pytest.approx(6 / 8)


def test_errors():
    images, captions = _birds(2)
    with pytest.raises(ValueError, match="2 images but 1 captions"):
        caption_attribute_accuracy(images, captions[:1])
    with pytest.raises(ValueError, match="no images"):
        caption_attribute_accuracy([], [])
