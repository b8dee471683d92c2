"""R-precision@1 as the paper defines it."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from attngan_tf.metrics import r_precision, r_precision_from_features, sample_candidates


def test_ground_truth_always_best_gives_one():
    rng = np.random.default_rng(0)
    codes = rng.normal(size=(300, 16))
    result = r_precision_from_features(codes, codes + 0.01 * rng.normal(size=codes.shape))
    assert result.mean == 1.0 and result.std == 0.0 and len(result.runs) == 10
    assert result.candidates == 100 and result.samples == 300


def test_random_features_give_about_one_in_a_hundred():
    rng = np.random.default_rng(1)
    result = r_precision_from_features(rng.normal(size=(3000, 32)), rng.normal(size=(3000, 32)),
                                       runs=10, seed=3)
    assert 0.004 < result.mean < 0.018
    assert "R-precision@1" in str(result)


def test_candidates_are_distinct_and_never_from_the_same_image():
    ids = np.repeat(np.arange(150), 2)  # two captions per image
    picks = sample_candidates(ids, 99, seed=5)
    assert picks.shape == (300, 99)
    for row, chosen in enumerate(picks):
        assert len(set(chosen)) == 99
        assert not np.any(ids[chosen] == ids[row])
    again = sample_candidates(ids, 99, seed=5)
    np.testing.assert_array_equal(picks, again)
    assert not np.array_equal(picks, sample_candidates(ids, 99, seed=6))


def test_not_enough_images_lowers_candidates_with_a_warning(caplog):
    codes = np.eye(5)
    result = r_precision_from_features(codes, codes)
    assert result.candidates == 5 and result.mean == 1.0
    assert "not comparable" in caplog.text
    with pytest.raises(ValueError, match="two images"):
        r_precision_from_features(codes[:1], codes[:1])
    with pytest.raises(ValueError, match="captions of other images"):
        sample_candidates(np.arange(10), 20, seed=0)


class _FixedFeatures:
    """Stands in for a DAMSM: features looked up by key."""

    def __init__(self, table):
        self.table = table

    def global_features(self, batch):
        rows = [self.table[int(k)] for k in batch["keys"].numpy()]
        image = tf.constant([r[0] for r in rows])
        sentence = tf.constant([r[1] for r in rows])
        return image, sentence


def test_streaming_over_a_dataset_matches_the_feature_version():
    rng = np.random.default_rng(2)
    image, sentence = rng.normal(size=(230, 8)), rng.normal(size=(230, 8))
    sentence[:120] = image[:120]  # half of the pairs match perfectly
    table = {i: (image[i], sentence[i]) for i in range(230)}
    keys = tf.data.Dataset.from_tensor_slices({"keys": tf.range(230)}).batch(32)
    streamed = r_precision(_FixedFeatures(table), keys, runs=3, verbose=0)
    direct = r_precision_from_features(image, sentence, np.arange(230), runs=3)
    assert streamed == direct
    assert 0.5 < streamed.mean < 0.56
