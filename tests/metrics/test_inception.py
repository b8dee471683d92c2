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


def test_weights_file_in_the_keras_applications_layout_is_loaded(tmp_path):
    """The released file is a legacy Keras HDF5 weights file (layer groups in model order)."""
    import h5py
    import keras
    from keras.src.legacy.saving import legacy_h5_format

    source = keras.applications.InceptionV3(weights=None, classifier_activation="softmax")
    path = tmp_path / WEIGHTS_FILE
    with h5py.File(path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, source)
    classifier = load_inception_classifier(path)
    expected, loaded = source.get_weights(), classifier.get_weights()
    assert len(loaded) == len(expected) == 378
    for a, b in zip(expected, loaded):
        np.testing.assert_array_equal(a, b)
    fresh = load_inception_classifier(None, allow_random=True).get_weights()
    assert not np.array_equal(fresh[0], expected[0]), "the comparison must be able to fail"
