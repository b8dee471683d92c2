"""The Inception classifier for IS / FID: local weights only, clear errors, shapes."""

from __future__ import annotations

import numpy as np
import pytest

from attngan_tf.metrics.inception import (WEIGHTS_FILE, inception_outputs,
                                          load_inception_classifier)


def test_no_weights_is_a_clear_error_never_a_random_network(tmp_path):
    with pytest.raises(ValueError, match=WEIGHTS_FILE) as error:
        load_inception_classifier(None)
    assert "Nothing is downloaded" in str(error.value)
    with pytest.raises(ValueError, match="no such file"):
        load_inception_classifier(tmp_path / "missing.h5")


def test_random_classifier_only_when_asked_and_outputs():
    classifier = load_inception_classifier(None, allow_random=True)
    images = np.random.default_rng(0).uniform(-1, 1, (2, 64, 64, 3)).astype(np.float32)
    pool, probabilities = inception_outputs(classifier, images)
    assert pool.shape == (2, 2048) and probabilities.shape == (2, 1000)
    np.testing.assert_allclose(probabilities.numpy().sum(axis=1), 1.0, rtol=1e-4)
    with pytest.raises(ValueError, match="batch, height, width, 3"):
        inception_outputs(classifier, images[..., :1])
