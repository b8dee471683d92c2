"""Inception Score and FID on inputs with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from attngan_tf.metrics.fid import FeatureStatistics, feature_statistics, frechet_distance
from attngan_tf.metrics.inception_score import inception_score


def test_uniform_predictions_score_one():
    result = inception_score(np.full((100, 1000), 1 / 1000), splits=10)
    assert result.mean == pytest.approx(1.0) and result.std == pytest.approx(0.0, abs=1e-12)
    assert len(result.splits) == 10 and result.samples == 100


def test_confident_class_balanced_predictions_score_the_class_count():
    classes = 50
    labels = np.tile(np.arange(classes), 20)  # every split holds each class equally
    p = np.eye(classes)[labels]
    assert inception_score(p, splits=10).mean == pytest.approx(classes, rel=1e-6)
    assert inception_score(p, splits=1).mean == pytest.approx(classes, rel=1e-6)


def test_inception_score_rejects_bad_input():
    with pytest.raises(ValueError, match="distribution"):
        inception_score(np.ones((10, 3)), splits=2)
    with pytest.raises(ValueError, match="splits"):
        inception_score(np.full((5, 2), 0.5), splits=10)


def test_fid_of_a_set_with_itself_is_zero():
    x = np.random.default_rng(0).standard_normal((500, 16))
    stats = feature_statistics(x)
    assert frechet_distance(stats, stats) == pytest.approx(0.0, abs=1e-6)


def test_fid_matches_the_closed_form_for_gaussians():
    # Diagonal covariances: FID = |mu1-mu2|^2 + sum (s1 + s2 - 2 sqrt(s1 s2)).
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    s1, s2 = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 1.0])
    expected = np.sum((mu1 - mu2) ** 2) + np.sum(s1 + s2 - 2 * np.sqrt(s1 * s2))
    got = frechet_distance(FeatureStatistics(mu1, np.diag(s1), 1),
                           FeatureStatistics(mu2, np.diag(s2), 1))
    assert got == pytest.approx(expected, rel=1e-9)
    # Full covariances of samples: close to the population value for many samples.
    rng = np.random.default_rng(1)
    a = rng.multivariate_normal(mu1, np.diag(s1), 200_000)
    b = rng.multivariate_normal(mu2, np.diag(s2), 200_000)
    assert frechet_distance(feature_statistics(a), feature_statistics(b)) == pytest.approx(
        expected, rel=0.02)


def test_statistics_roundtrip_and_singular_covariances(tmp_path):
    x = np.random.default_rng(2).standard_normal((10, 32))  # fewer samples than dims: singular
    stats = feature_statistics(x)
    loaded = FeatureStatistics.load(stats.save(tmp_path / "ref" / "test.npz"))
    np.testing.assert_array_equal(loaded.sigma, stats.sigma)
    assert loaded.count == 10
    assert np.isfinite(frechet_distance(stats, feature_statistics(x[::-1] + 1.0)))
    with pytest.raises(ValueError, match="dimensions"):
        frechet_distance(stats, feature_statistics(x[:, :4]))
