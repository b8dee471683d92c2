"""DAMSM: custom train/test steps, reference optimisation defaults, export."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from attngan_tf.config import ImageEncoderConfig, get_preset
from attngan_tf.models import DAMSM, damsm_learning_rate, load_damsm
from attngan_tf.text import Vocabulary


def small_config(trunk="small_cnn"):
    cfg = get_preset("tiny")
    image = ImageEncoderConfig(embedding_dim=32, image_size=64, trunk="small_cnn",
                               train_trunk=True, trunk_width=8) if trunk == "small_cnn" \
        else cfg.image_encoder
    return cfg.replace(image_encoder=image)


def batches(cfg, n=8, batch=4, seed=0):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(2, cfg.text.words_num + 1, n)
    captions = np.zeros((n, cfg.text.words_num), np.int32)
    for i, length in enumerate(lengths):
        captions[i, :length] = rng.integers(1, cfg.text.vocab_size, length)
    data = {"images": (rng.uniform(-1, 1, (n, 64, 64, 3)).astype("float32"),),
            "captions": captions, "lengths": lengths.astype(np.int32),
            "class_ids": np.arange(1, n + 1, dtype=np.int32),
            "keys": np.array([f"k{i}" for i in range(n)])}
    return tf.data.Dataset.from_tensor_slices(data).batch(batch)


@pytest.fixture
def damsm():
    model = DAMSM(small_config())
    model.build()
    return model


def test_fit_and_evaluate_report_the_four_losses_and_r_precision(damsm):
    damsm.compile()
    history = damsm.fit(batches(damsm.config), epochs=2, verbose=0)
    names = {"loss", "words_loss0", "words_loss1", "sent_loss0", "sent_loss1", "r_precision"}
    assert names <= set(history.history)
    for name in names:
        assert all(np.isfinite(history.history[name]))
    assert history.history["loss"][0] == pytest.approx(
        sum(history.history[n][0] for n in names - {"loss", "r_precision"}), rel=1e-5)
    results = damsm.evaluate(batches(damsm.config), return_dict=True, verbose=0)
    assert names <= set(results) and 0.0 <= results["r_precision"] <= 1.0


def test_reference_optimisation_defaults(damsm):
    damsm.compile()
    opt = damsm.optimizer
    assert isinstance(opt, keras.optimizers.Adam)
    assert float(opt.learning_rate) == pytest.approx(2e-3)
    assert (opt.beta_1, opt.beta_2, opt.epsilon) == (0.5, 0.999, 1e-8)
    assert damsm.text_grad_clip == 0.25
    assert damsm_learning_rate(0) == pytest.approx(2e-3)
    assert damsm_learning_rate(1) == pytest.approx(2e-3 * 0.98)
    assert damsm_learning_rate(114) == pytest.approx(2e-3 * 0.98 ** 114)
    assert damsm_learning_rate(500) == damsm_learning_rate(114) < 2e-4
    damsm.fit(batches(damsm.config), epochs=3, verbose=0)
    assert float(damsm.optimizer.learning_rate) == pytest.approx(2e-3 * 0.98 ** 2, rel=1e-5)


def test_text_gradients_are_clipped_but_image_gradients_are_not(damsm):
    damsm.compile(optimizer=keras.optimizers.SGD(1.0), text_grad_clip=1e-4, lr_decay=None)
    text_before = [w.numpy().copy() for w in damsm.text_encoder.trainable_weights]
    image_before = [w.numpy().copy() for w in damsm.image_encoder.trainable_weights]
    damsm.train_step(next(iter(batches(damsm.config))))
    text_change = np.sqrt(sum(np.sum((w.numpy() - b) ** 2) for w, b in
                              zip(damsm.text_encoder.trainable_weights, text_before)))
    image_change = np.sqrt(sum(np.sum((w.numpy() - b) ** 2) for w, b in
                               zip(damsm.image_encoder.trainable_weights, image_before)))
    assert text_change <= 1.01e-4
    assert image_change > 1e-2


def test_inception_trunk_is_frozen_and_small_cnn_trains():
    frozen = DAMSM(small_config("inception_v3"))
    frozen.build()
    names = [w.path for w in frozen.image_encoder.trainable_weights]
    assert len(names) == 3 and all("projection" in n for n in names)
    small = DAMSM(small_config())
    small.build()
    assert any("small_cnn" in w.path for w in small.image_encoder.trainable_weights)
    out = small(next(iter(batches(small.config))), training=False)
    assert out["region_features"].shape == (4, 8, 8, 32)
    assert out["cnn_code"].shape == (4, 32) and out["sent_emb"].shape == (4, 32)


def test_export_and_load_roundtrip(damsm, tmp_path):
    vocab = Vocabulary(["<end>"] + [f"w{i}" for i in range(1, damsm.config.text.vocab_size)])
    damsm.export(tmp_path / "damsm", vocab)
    loaded, vocab2 = load_damsm(tmp_path / "damsm")
    assert vocab2 == vocab and loaded.config == damsm.config
    batch = next(iter(batches(damsm.config)))
    for a, b in zip(damsm.global_features(batch), loaded.global_features(batch)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-6)
    with pytest.raises(ValueError, match="vocabulary"):
        damsm.export(tmp_path / "bad", Vocabulary(["<end>", "x"]))
    with pytest.raises(ValueError, match="not an exported DAMSM"):
        load_damsm(tmp_path / "nothing")
