import numpy as np
import pytest

from attngan_tf.config import get_preset
from attngan_tf.models import Discriminator, build_discriminators

CFG = get_preset("tiny").discriminator


def _check(discs, cfg, batch=2):
    rng = np.random.default_rng(0)
    sent = rng.normal(size=(batch, cfg.embedding_dim)).astype(np.float32)
    for i, disc in enumerate(discs):
        size = 64 * 2**i
        images = rng.uniform(-1, 1, size=(batch, size, size, 3)).astype(np.float32)
        out = disc(images, sent, training=False)
        assert out["h_code"].shape == (batch, 4, 4, 8 * cfg.df_dim)
        assert out["uncond_logits"].shape == (batch,)
        assert out["cond_logits"].shape == (batch,)
        assert "cond_logits" not in disc(images, training=False)
        wrong = disc.cond_head(out["h_code"][:-1], sent[1:])
        assert wrong.shape == (batch - 1,)


def test_birds_discriminator_shapes(birds_networks):
    cfg = get_preset("birds").discriminator
    _check([birds_networks[f"discriminator{i}"] for i in range(3)], cfg)


def test_coco_discriminator_shapes():
    cfg = get_preset("coco").discriminator
    _check(build_discriminators(cfg), cfg)


def test_condition_changes_only_conditional_logits():
    disc = Discriminator(CFG, stage=1)
    rng = np.random.default_rng(1)
    images = rng.uniform(-1, 1, size=(2, 128, 128, 3)).astype(np.float32)
    a = disc(images, rng.normal(size=(2, 32)).astype(np.float32))
    b = disc(images, rng.normal(size=(2, 32)).astype(np.float32))
    np.testing.assert_array_equal(np.asarray(a["uncond_logits"]), np.asarray(b["uncond_logits"]))
    assert np.abs(np.asarray(a["cond_logits"]) - np.asarray(b["cond_logits"])).max() > 1e-6


def test_wrong_image_size_and_bad_stage_are_rejected():
    disc = Discriminator(CFG, stage=0)
    with pytest.raises(ValueError, match="images"):
        disc(np.zeros((1, 128, 128, 3), np.float32))
    with pytest.raises(ValueError, match="images"):
        disc(np.zeros((1, 64, 64), np.float32))
    with pytest.raises(ValueError, match="batch sizes differ"):
        disc(np.zeros((2, 64, 64, 3), np.float32), np.zeros((3, 32), np.float32))
    with pytest.raises(ValueError, match="stage"):
        Discriminator(CFG, stage=3)
